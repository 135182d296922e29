"""The components' args refuse what the controls forbid, whoever builds them (a team importing the
library never passes through the site config). Every rule is one annotated type in
``components.contract``, used by the components' args and by the site config alike, so both refuse a
bad value with the same message."""

from __future__ import annotations

import copy
import typing
from collections.abc import Callable
from enum import EnumType
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from components import contract, principals
from components.admission import AdmissionPolicyArgs
from components.contract import SignOn
from components.detection import BaselineArgs, OffHoursArgs
from components.firewall import AllowlistFirewallArgs, Destination, FirewallTarget
from components.iam import PacsFederationArgs, SiteIdentitiesArgs, subject_condition
from components.kms import SiteKeysArgs
from components.logging import SecurityLoggingArgs, SiemDestination
from components.monitoring import SecurityAlertsArgs
from components.network import SiteNetworkArgs, WorklistRoute
from components.perimeter import ServicePerimeterArgs
from components.project import ProjectGuardRailsArgs
from components.storage import BucketMember, BucketNetworkAccess, BucketRole, ImageBucketArgs
from components.viewer import ViewerEndpointArgs
from program.config import SiteConfig


@pytest.mark.parametrize(
    ("member", "message"),
    [
        pytest.param("allUsers", "is a public principal", id="all-users"),
        pytest.param("allAuthenticatedUsers", "is a public principal", id="all-authenticated-users"),
        pytest.param("group:allUsers", "is a public principal", id="public-as-group"),
        pytest.param("user:dr.house@chuv.example", "people and other principals", id="person"),
        pytest.param("domain:chuv.example", "people and other principals", id="domain"),
        pytest.param(
            "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*",
            "people and other principals",
            id="principal-set",
        ),
        pytest.param("projectViewer:chuv-imaging-lau", "people and other principals", id="basic-role-holders"),
    ],
)
def test_a_bucket_member_refuses_what_the_controls_forbid(member, message):
    with pytest.raises(ValidationError, match=message):
        BucketMember(role=BucketRole.OBJECT_VIEWER, member=member)


@pytest.mark.parametrize(
    "member", ["group:radiologie@chuv.example", "serviceAccount:lau-viewer@p.iam.gserviceaccount.com"]
)
def test_a_bucket_member_accepts_groups_and_workloads(member):
    assert BucketMember(role=BucketRole.OBJECT_VIEWER, member=member).member == member


def test_the_site_configs_siem_identity_follows_the_same_rule():
    from program.config import SiemExport

    with pytest.raises(ValidationError, match="never a person or a public principal"):
        SiemExport(subscriber="allUsers")
    assert principals.parse_member("group:soc@chuv.example") == "group:soc@chuv.example"


# --- every shared type: a component refuses what the site config refuses, with the same message -------

_NS = "imaging-landing-zone"
_SITE = yaml.safe_load((Path(__file__).resolve().parents[2] / "stacks" / "Pulumi.lausanne.yaml").read_text())["config"]
_DIGEST = "@sha256:" + "0" * 64
_WIF = "identities/pacsUploader/workloadIdentity"

_COMMON = {"project": "proj-123456", "site_code": "abc"}
_BUILDERS: dict[str, Callable[[dict[str, Any]], object]] = {
    "kms": lambda kw: SiteKeysArgs(**{**_COMMON, "location": "europe-west1", **kw}),
    "bucket": lambda kw: ImageBucketArgs(
        **{
            **_COMMON,
            "region": "europe-west1",
            "kms_key_id": "projects/proj-123456/locations/europe-west1/keyRings/r/cryptoKeys/k",
            "network_access": BucketNetworkAccess(
                public_cidrs=["198.51.100.0/24"], vpc_network="n", vpc_cidrs=["10.1.0.0/24"]
            ),
            **kw,
        }
    ),
    "bucket-access": lambda kw: BucketNetworkAccess(
        **{"public_cidrs": ["198.51.100.0/24"], "vpc_network": "n", "vpc_cidrs": ["10.1.0.0/24"], **kw}
    ),
    "federation": lambda kw: PacsFederationArgs(**{"issuer_uri": "https://sso.example", "subject": "pacs", **kw}),
    "identities": lambda kw: SiteIdentitiesArgs(
        **{**_COMMON, "viewer_account_id": "abc-viewer", "pacs_uploader_account_id": "abc-pacs", **kw}
    ),
    "network": lambda kw: SiteNetworkArgs(
        **{**_COMMON, "region": "europe-west1", "subnets": {"viewer": "10.1.0.0/24"}, **kw}
    ),
    "route": lambda kw: WorklistRoute(**{"cidrs": ["10.9.0.0/24"], "next_hop_ip": "10.1.0.250", **kw}),
    "destination": lambda kw: Destination(**{"cidrs": ["10.9.0.0/24"], "ports": [443], **kw}),
    "firewall": lambda kw: AllowlistFirewallArgs(
        **{**_COMMON, "network": "n", "target": FirewallTarget(network_tag="t"), "worklist": {}, **kw}
    ),
    "logging": lambda kw: SecurityLoggingArgs(
        **{
            **_COMMON,
            "region": "europe-west1",
            "logs_key_id": "projects/proj-123456/locations/europe-west1/keyRings/r/cryptoKeys/k",
            "siem": SiemDestination(central_destination="d"),
            **kw,
        }
    ),
    "siem": lambda kw: SiemDestination(**kw),
    "perimeter": lambda kw: ServicePerimeterArgs(
        **{
            "access_policy": "accessPolicies/802734169215",
            "project_number": "221841688848",
            "site_code": "lau",
            "access_ranges": {"pacs": ["198.51.100.0/24"]},
            "pacs_range": "pacs",
            "pacs_uploader": "serviceAccount:p@proj-123456.iam.gserviceaccount.com",
            "enforced": True,
            **kw,
        }
    ),
    "baseline": lambda kw: BaselineArgs(**{"ratio": 3, "minimum": 10, **kw}),
    "off-hours": lambda kw: OffHoursArgs(**{"start_hour": 22, "end_hour": 6, "bulk_reads": 10, **kw}),
    "alerts": lambda kw: SecurityAlertsArgs(
        **{**_COMMON, "image_buckets": ["b"], "emails": {"soc": "soc@h.example"}, **kw}
    ),
    "viewer": lambda kw: ViewerEndpointArgs(
        **{
            **_COMMON,
            "region": "europe-west1",
            "domain": "v.example",
            "image": "r.example/i" + _DIGEST,
            "service_account": "v@p",
            "network": "n",
            "subnetwork": "s",
            "network_tag": "t",
            "allowed_sources": ["198.51.100.0/24"],
            "sign_on": SignOn.LAUNCH_TOKEN,
            **kw,
        }
    ),
    "project": lambda kw: ProjectGuardRailsArgs(
        **{"project": "proj-123456", "region": "europe-west1", "services": [], **kw}
    ),
    "admission": lambda kw: AdmissionPolicyArgs(
        **{"project": "proj-123456", "attestors": ["projects/build-123456/attestors/a"], **kw}
    ),
}

# (shared type, component args, their field and bad value, the stack file's key path and bad value)
_CASES = [
    ("Region", "kms", {"location": "europe-west99"}, "region", "europe-west99"),
    ("CustomerId", "project", {"member_customers": ["chuv.example"]}, "groupDomains", {"chuv.example": "chuv.example"}),
    ("Region", "bucket", {"region": "mars-north1"}, "region", "mars-north1"),
    ("Region", "network", {"region": "mars-north1"}, "region", "mars-north1"),
    ("Region", "logging", {"region": "mars-north1"}, "region", "mars-north1"),
    ("Region", "viewer", {"region": "mars-north1"}, "region", "mars-north1"),
    ("Region", "project", {"region": "mars-north1"}, "region", "mars-north1"),
    ("SiteCode", "kms", {"site_code": "Lausanne!"}, "siteCode", "Lausanne!"),
    ("SiteCode", "identities", {"site_code": "a"}, "siteCode", "a"),
    ("SiteCode", "firewall", {"site_code": "abc-"}, "siteCode", "abc-"),
    ("SiteCode", "alerts", {"site_code": "ABC"}, "siteCode", "ABC"),
    ("RotationDays", "kms", {"rotation_days": 365}, "kms/rotationDays", 365),
    ("DestroyScheduledDays", "kms", {"destroy_scheduled_days": 0}, "kms/destroyScheduledDays", 0),
    ("ProtectionLevel", "kms", {"protection_level": "ROT13"}, "kms/protectionLevel", "ROT13"),
    ("SoftDeleteDays", "bucket", {"soft_delete_days": 3}, "imageBucket/softDeleteDays", 3),
    ("ObjectRetentionDays", "bucket", {"retention_days": 0}, "imageBucket/retentionDays", 0),
    ("PublicCidr", "bucket-access", {"public_cidrs": ["10.0.0.0/24"]}, "network/pacsEgressCidrs", ["10.0.0.0/24"]),
    ("PublicCidr", "viewer", {"allowed_sources": ["192.168.1.0/24"]}, "viewer/allowedSources", ["192.168.1.0/24"]),
    ("PublicCidr", "viewer", {"allowed_sources": ["0.0.0.0/0"]}, "network/hospitalNetworks", ["0.0.0.0/0"]),
    ("Cidr", "bucket-access", {"vpc_cidrs": ["10.1.0.1/24"]}, "network/subnets", {"viewer": "10.1.0.1/24"}),
    ("PrivateCidr", "network", {"subnets": {"viewer": "10.1.0.0"}}, "network/subnets", {"viewer": "10.1.0.0"}),
    ("PrivateCidr", "network", {"subnets": {"viewer": "8.8.8.0/24"}}, "network/subnets", {"viewer": "8.8.8.0/24"}),
    ("StableName", "network", {"subnets": {"Viewer": "10.1.0.0/24"}}, "network/subnets", {"Viewer": "10.1.0.0/24"}),
    ("AllowlistCidr", "route", {"cidrs": ["10.0.0.0/8"]}, "network/worklist/ris/cidrs", ["10.0.0.0/8"]),
    ("AllowlistCidr", "destination", {"cidrs": ["0.0.0.0/0"]}, "network/worklist/ris/cidrs", ["0.0.0.0/0"]),
    ("Port", "destination", {"ports": [0]}, "network/worklist/ris/ports", [0]),
    ("Port", "firewall", {"viewer_ports": [70000]}, "network/viewerPorts", [70000]),
    ("OidcSubject", "federation", {"subject": "x' || true || '"}, _WIF + "/subject", "x' || true || '"),
    ("OidcSubject", "federation", {"subject": "x\\'"}, _WIF + "/subject", "x\\'"),
    ("OidcIssuer", "federation", {"issuer_uri": "http://sso.example"}, _WIF + "/issuerUri", "http://sso.example"),
    ("LogRetentionDays", "logging", {"retention_days": 365}, "logging/retentionDays", 365),
    ("SiemMember", "siem", {"subscriber": "allUsers"}, "logging/siem/subscriber", "allUsers"),
    ("SiemMember", "siem", {"subscriber": "user:a@b.example"}, "logging/siem/subscriber", "user:a@b.example"),
    ("NotificationEmail", "alerts", {"emails": {"soc": "soc"}}, "logging/alerts/emails", {"soc": "soc"}),
    ("ReadSpike", "alerts", {"image_read_spike": 0}, "logging/alerts/imageReadSpike", 0),
    ("QuietPeriod", "alerts", {"quiet_period": 60}, "logging/alerts/maxQuietPeriod", 60),
    ("BaselineRatio", "baseline", {"ratio": 1}, "logging/detection", {"imageReads": {"ratio": 1, "minimum": 10}}),
    (
        "BaselineRatio",
        "baseline",
        {"ratio": float("inf")},
        "logging/detection",
        {"egressBytes": {"ratio": "inf", "minimum": 9}},
    ),
    ("MinVolume", "baseline", {"minimum": 0}, "logging/detection", {"deniedRequests": {"minimum": 0}}),
    ("MinVolume", "off-hours", {"bulk_reads": 0}, "logging/detection", {"offHours": {"bulkReads": 0}}),
    ("HourOfDay", "off-hours", {"start_hour": 24}, "logging/detection", {"offHours": {"startHour": 24}}),
    ("GroupEmail", "viewer", {"sign_on": "iap", "iap_groups": ["allUsers"]}, "viewer/iapGroups", ["allUsers"]),
    (
        "GroupEmail",
        "viewer",
        {"sign_on": "iap", "iap_groups": ["user:a@b.example"]},
        "viewer/iapGroups",
        ["user:a@b.example"],
    ),
    ("PinnedImage", "viewer", {"image": "r.example/i:latest"}, "viewer/image", "r.example/i:latest"),
    ("DnsName", "viewer", {"domain": "https://v.example/"}, "viewer/domain", "https://v.example/"),
    ("SignOn", "viewer", {"sign_on": "password"}, "viewer/signOn", "password"),
    ("AttestorName", "admission", {"attestors": ["built-by-ci"]}, "viewer/attestors", ["built-by-ci"]),
    (
        "AttestorName",
        "admission",
        {"attestors": ["projects/build/attestors/a"]},
        "viewer/attestors",
        ["projects/build/attestors/a"],
    ),
    ("AccessPolicyId", "perimeter", {"access_policy": "policies/abc"}, "perimeter/accessPolicy", "policies/abc"),
    (
        "RestrictableService",
        "perimeter",
        {"extra_services": ["bigquery"]},
        "perimeter/restrictedServices",
        ["bigquery"],
    ),
    (
        "ProjectByNumber",
        "perimeter",
        {"siem_project": "chuv-soc", "siem_writer": "serviceAccount:w@x.iam.gserviceaccount.com"},
        "perimeter/siemProject",
        "chuv-soc",
    ),
]


def _site_config_messages(path: str, value: Any) -> list[str]:
    """The messages the site config's model gives for the Lausanne stack file with ``path`` set to ``value``."""
    site = {key.removeprefix(f"{_NS}:"): copy.deepcopy(item) for key, item in _SITE.items()}
    *parents, leaf = path.split("/")
    target = site
    for part in parents:
        target = target[part]
    target[leaf] = value
    with pytest.raises(ValidationError) as caught:
        SiteConfig.model_validate(site)
    return [error["msg"] for error in caught.value.errors()]


@pytest.mark.parametrize(
    ("builder", "bad", "path", "value"),
    [pytest.param(b, bad, path, value, id=f"{kind}-{b}-{i}") for i, (kind, b, bad, path, value) in enumerate(_CASES)],
)
def test_a_component_refuses_what_the_site_config_refuses_with_the_same_message(builder, bad, path, value):
    """Through the component's args (never the site config): the shared type refuses the bad value, and the
    site config refuses the same value in its own stack-file key with the same words."""
    with pytest.raises(ValidationError) as caught:
        _BUILDERS[builder](bad)
    component_messages = [error["msg"] for error in caught.value.errors()]
    assert len(component_messages) == 1, component_messages
    assert component_messages[0] in _site_config_messages(path, value)


def test_every_shared_type_is_exercised():
    """A rule added to the contract gets a case above."""
    shared = {
        name
        for name, value in vars(contract).items()
        if not name.startswith("_")
        and (
            typing.get_origin(value) is typing.Annotated
            or (isinstance(value, EnumType) and value.__module__ == contract.__name__)
        )
    }
    # IamMember: the bucket's members above (the site config names no member but the SIEM's, SiemMember).
    # KeyId: tests/components/test_key_ids.py (the site config names no key: the program creates them).
    assert shared == {kind for kind, *_ in _CASES} | {"IamMember", "KeyId"}


def test_the_cel_condition_is_built_from_a_validated_subject_only():
    assert subject_condition("pacs-gateway-01") == "assertion.sub == 'pacs-gateway-01'"
    unchecked = PacsFederationArgs.model_construct(issuer_uri="https://sso.example", subject="x' || true || '")
    with pytest.raises(ValueError, match="quoted in a CEL condition"):
        subject_condition(unchecked.subject)
