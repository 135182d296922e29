"""A research team's archive of de-identified studies, built from the imaging components installed as a
library: its own keys, a network of its own, and a CMEK-only, network-restricted bucket read by one group.

Not a hospital site: the policy pack judges its resources (``python -m preflight check --project
examples/research-archive dev --policy-config examples/research-archive/policy-config.json``).
"""

import pulumi
from imaging_landing_zone.components.firewall import AllowlistFirewall, AllowlistFirewallArgs, FirewallTarget
from imaging_landing_zone.components.kms import SiteKeys, SiteKeysArgs
from imaging_landing_zone.components.network import SiteNetwork, SiteNetworkArgs
from imaging_landing_zone.components.storage import (
    BucketMember,
    BucketNetworkAccess,
    BucketRole,
    ImageBucket,
    ImageBucketArgs,
)

config = pulumi.Config("research-archive")
project = pulumi.Config("gcp").require("project")
region = config.require("region")

keys = SiteKeys("research-keys", SiteKeysArgs(project=project, location=region, site_code="res"))
network = SiteNetwork(
    "research-network",
    SiteNetworkArgs(project=project, region=region, site_code="res", subnets={"analysis": "10.70.0.0/24"}),
)
# deny-all in both directions, logged; the analysis workstations reach nothing but Google's APIs
AllowlistFirewall(
    "research-firewall",
    AllowlistFirewallArgs(
        project=project,
        site_code="res",
        network=network.network_id,
        target=FirewallTarget(network_tag="res-analysis"),
        worklist={},
        load_balancer_ingress=False,
    ),
)
archive = ImageBucket(
    "research-archive",
    ImageBucketArgs(
        project=project,
        region=region,
        site_code="res",
        kms_key_id=keys.key_ids["images"],
        network_access=BucketNetworkAccess(
            public_cidrs=config.require_object("publicCidrs"),
            vpc_network=network.network_id,
            vpc_cidrs=["10.70.0.0/24"],
        ),
        members={"readers": BucketMember(role=BucketRole.OBJECT_VIEWER, member=f"group:{config.require('readers')}")},
    ),
)
pulumi.export("archiveBucket", archive.bucket_name)
