"""A VM running a startup script kept next to the program, on a subnetwork that takes the provider's region."""

import pulumi
import pulumi_gcp as gcp

config = pulumi.Config()
password = config.require_secret("adminPassword")

network = gcp.compute.Network("web-net", auto_create_subnetworks=False)
subnet = gcp.compute.Subnetwork("web-subnet", network=network.id, ip_cidr_range="10.10.0.0/24")

with open("scripts/startup.sh", encoding="utf-8") as script:
    startup = script.read()

vm = gcp.compute.Instance(
    "web",
    machine_type="e2-small",
    zone="europe-west6-a",
    boot_disk={"initialize_params": {"image": "debian-cloud/debian-12"}},
    network_interfaces=[{"subnetwork": subnet.id, "access_configs": [{}]}],
    metadata_startup_script=startup,
    metadata={"admin-password": password},
    tags=["http-server"],
)

gcp.compute.Firewall(
    "allow-http",
    network=network.id,
    allows=[{"protocol": "tcp", "ports": ["80"]}],
    source_ranges=["0.0.0.0/0"],
    target_tags=["http-server"],
)

pulumi.export("instance_ip", vm.network_interfaces.apply(lambda nics: nics[0].access_configs[0].nat_ip))
pulumi.export("subnet_region", subnet.region)
