"""Pure tests of the resolver (``_resolve``), the pinned role table, the intent (``_intent``) and the
effective-access model (``_access``): exact outputs for each form and each IAM semantics, without the
pack process. What the real pack makes of them is ``test_effective_access.py``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from imaging_policies import _access, _intent, _role_permissions, tokens
from imaging_policies._principals import CREATE_OBJECTS, READ_OBJECTS, ROLE_PERMISSIONS, Kind, kind
from imaging_policies._resolve import (
    SiteProject,
    bucket,
    placed_in_site,
    principal,
    principal_project,
    project_of,
    resource_path,
    site_owns,
    workload_pool,
)

from tests.conftest import site_plan

SITE = SiteProject("chuv-imaging-lau", "221841688848")
AGENT = "serviceaccount:service-221841688848@gs-project-accounts.iam.gserviceaccount.com"
KEY = "projects/chuv-imaging-lau/locations/europe-west6/keyrings/lau-imaging/cryptokeys/lau-images"

# --- the resolver ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("chuv-imaging-lau", "chuv-imaging-lau"),
        ("projects/221841688848", "221841688848"),
        ("projects/chuv-imaging-lau/topics/t", "chuv-imaging-lau"),
        ("https://www.googleapis.com/compute/v1/projects/Chuv-Imaging-Lau/global/networks/n", "chuv-imaging-lau"),
        ("//cloudkms.googleapis.com/projects/p/locations/l/keyRings/r", "p"),
        ("projects/_/buckets/b", None),
        ("projects/-/serviceAccounts/a@p.iam.gserviceaccount.com", None),
        ("folders/123", None),
        (None, None),
    ],
)
def test_project_of_every_form(value, expected):
    assert project_of(value) == expected


def test_the_site_project_by_id_or_number():
    for held in ("chuv-imaging-lau", "projects/221841688848", "CHUV-IMAGING-LAU"):
        assert SITE.holds(held)
    for other in ("chuv-imaging-lau-2", "221841688849", None):
        assert not SITE.holds(other)


@pytest.mark.parametrize(
    "value",
    [
        "images",
        "b/images",
        "gs://images",
        "https://www.googleapis.com/storage/v1/b/images",
        "projects/_/buckets/images",
        "//storage.googleapis.com/projects/_/buckets/images",
        "projects/_/buckets/images/objects/a.dcm",
    ],
)
def test_a_bucket_in_every_form(value):
    assert bucket(value) == "images"


def test_resource_paths_lose_their_api_prefix():
    link = "https://www.googleapis.com/compute/v1/projects/p/global/backendServices/b"
    assert resource_path(link) == "projects/p/global/backendServices/b"
    assert resource_path("//compute.googleapis.com/projects/p/global/backendServices/b") == resource_path(link)
    assert resource_path("pubsub.googleapis.com/projects/p/topics/t") == "projects/p/topics/t"


@pytest.mark.parametrize(
    ("member", "canonical", "project"),
    [
        ("serviceAccount:A@P.iam.gserviceaccount.com", "serviceaccount:a@p.iam.gserviceaccount.com", "p"),
        (
            "principal://iam.googleapis.com/projects/-/serviceAccounts/a@p.iam.gserviceaccount.com",
            "serviceaccount:a@p.iam.gserviceaccount.com",
            "p",
        ),
        (
            "serviceAccount:a@p.example.com.iam.gserviceaccount.com",
            "serviceaccount:a@p.example.com.iam.gserviceaccount.com",
            "example.com:p",
        ),
        ("serviceAccount:service-12@gcp-sa-pubsub.iam.gserviceaccount.com", None, "12"),
        ("serviceAccount:cmek-p12@gcp-sa-logging.iam.gserviceaccount.com", None, "12"),
        ("serviceAccount:p12-345@gcp-sa-logging.iam.gserviceaccount.com", None, "12"),
        ("serviceAccount:12-compute@developer.gserviceaccount.com", None, "12"),
        ("serviceAccount:p@appspot.gserviceaccount.com", None, "p"),
        (
            "serviceAccount:p.svc.id.goog[ns/ksa]",
            "principal://iam.googleapis.com/projects/p/locations/global/workloadidentitypools/p.svc.id.goog/subject/ns/ns/sa/ksa",
            "p",
        ),
        (
            "serviceAccount:example.com:p.svc.id.goog[ns/ksa]",
            "principal://iam.googleapis.com/projects/example.com:p/locations/global/workloadidentitypools/"
            "example.com:p.svc.id.goog/subject/ns/ns/sa/ksa",
            "example.com:p",
        ),
        (
            "principal://iam.googleapis.com/projects/12/locations/global/workloadIdentityPools/pool/subject/s",
            None,
            "12",
        ),
        ("principalSet://iam.googleapis.com/projects/12/locations/global/workloadIdentityPools/pool/*", None, "12"),
        (
            "principal://iam.googleapis.com/projects/12/locations/global/workloadIdentityPools/p.svc.id.goog/subject/ns/a/sa/b",
            None,
            "p",
        ),
        ("group:radiologie@chuv.example", None, None),
        ("user:someone@chuv.example", None, None),
    ],
)
def test_every_principal_form_is_placed(member, canonical, project):
    assert principal(member) == (canonical or member.lower())
    assert principal_project(member) == project


def test_what_the_resolver_cannot_place_is_not_the_sites():
    assert site_owns("serviceAccount:x@chuv-imaging-lau.iam.gserviceaccount.com", SITE)
    assert site_owns(AGENT, SITE)
    assert not site_owns("group:radiologie@chuv.example", SITE)
    assert not site_owns("serviceAccount:x@other.iam.gserviceaccount.com", SITE)
    assert not site_owns(None, SITE)


def test_workload_pools_by_number_and_of_gke():
    assert workload_pool(
        "principal://iam.googleapis.com/projects/12/locations/global/workloadIdentityPools/p/subject/s"
    ) == ("projects/12/locations/global/workloadidentitypools/p")
    assert (
        workload_pool("serviceAccount:p.svc.id.goog[a/b]")
        == "projects/p/locations/global/workloadidentitypools/p.svc.id.goog"
    )


def test_the_principal_kinds_read_the_canonical_form():
    assert (
        kind("principal://iam.googleapis.com/projects/-/serviceAccounts/a@p.iam.gserviceaccount.com")
        is Kind.SERVICE_ACCOUNT
    )
    assert kind("serviceAccount:p.svc.id.goog[ns/ksa]") is Kind.WORKLOAD


def test_site_controls_count_only_in_the_site_project():
    assert placed_in_site({"project": "chuv-imaging-lau"}, SITE) is True
    assert placed_in_site({"project": "221841688848"}, SITE) is True
    assert placed_in_site({"project": "other"}, SITE) is False
    assert placed_in_site({}, SITE) is False
    assert placed_in_site({"parent": "projects/chuv-imaging-lau"}, SITE, "parent") is True
    assert placed_in_site({"parent": "folders/1"}, SITE, "parent") is False


# --- the pinned role table --------------------------------------------------------------------------------


def test_the_table_is_pinned_and_dated():
    assert re.fullmatch(r"[0-9a-f]{40}", _role_permissions.COMMIT)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", _role_permissions.COMMITTED)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", _role_permissions.READ_ON)
    assert _role_permissions.COMMIT in _role_permissions.__doc__


def _granted_roles() -> set[str]:
    """Every predefined role the example sites' components grant (update mode)."""
    roles = set()
    for site in ("lausanne", "utrecht"):
        for r in site_plan(site, "update"):
            if r.type in tokens.IAM_GRANTS and isinstance(r.inputs.get("role"), str):
                roles.add(r.inputs["role"])
    return roles


def test_the_table_knows_every_role_our_components_grant():
    missing = sorted(r for r in _granted_roles() if r not in ROLE_PERMISSIONS)
    assert not missing


def test_the_table_knows_every_role_the_pack_names():
    from imaging_policies import iam

    named = {r for grants in iam.SITE_ROLE_GRANTS.values() for roles in grants.values() for r in roles}
    named |= set(iam.RUNTIME_PROJECT_ROLES) | {"roles/owner", "roles/editor", "roles/viewer"}
    assert not sorted(r for r in named if r not in ROLE_PERMISSIONS)


def test_the_storage_roles_grant_what_googles_reference_documents():
    """The rows the old hand table had, held against the generated one (Google's reference is the authority)."""
    assert {"storage.objects.get", "storage.objects.list"} <= READ_OBJECTS
    assert "storage.objects.create" in CREATE_OBJECTS
    assert not {
        p
        for p in READ_OBJECTS | CREATE_OBJECTS
        if p.startswith("storage.objects.") and p.endswith(("delete", "update", "setIamPolicy"))
    }
    assert ROLE_PERMISSIONS["roles/pubsub.publisher"] == frozenset({"pubsub.topics.publish"})
    assert "pubsub.subscriptions.consume" in ROLE_PERMISSIONS["roles/pubsub.subscriber"]
    assert "run.routes.invoke" in ROLE_PERMISSIONS["roles/run.invoker"]
    assert "logging.sinks.update" in ROLE_PERMISSIONS["roles/logging.configWriter"]


def test_every_kept_permission_is_of_a_kept_service():
    services = _role_permissions.SERVICES
    assert all(p.split(".", 1)[0] in services for perms in ROLE_PERMISSIONS.values() for p in perms)


# --- the model -----------------------------------------------------------------------------------------------


@dataclass
class R:
    resource_type: str
    name: str
    props: dict[str, Any]
    urn: str = ""
    property_dependencies: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.urn = self.urn or f"urn:pulumi:s::p::{self.resource_type}::{self.name}"


def _settings(**values: Any) -> Any:
    base = {
        "siteCode": "lau",
        "gcpProject": "chuv-imaging-lau",
        "rbac": json.dumps({"radiologie@chuv.example": "reader", "soc@chuv.example": "auditor"}),
        "logging": json.dumps({"siem": {"subscriber": "serviceAccount:siem@soc.iam.gserviceaccount.com"}}),
        "viewer": json.dumps({"signOn": "iap", "iapGroups": ["radiologie@chuv.example"]}),
    }
    base.update(values)
    return base.get


INTENT = _intent.from_settings(_settings(), "chuv-imaging-lau", "221841688848")
IMAGES = R(
    tokens.BUCKET, "images", {"name": "images", "project": "chuv-imaging-lau", "encryption": {"defaultKmsKeyName": KEY}}
)
RING = R(tokens.KEY_RING, "ring", {"id": "projects/chuv-imaging-lau/locations/europe-west6/keyRings/lau-imaging"})
CRYPTO_KEY = R(tokens.CRYPTO_KEY, "key", {"id": KEY})
AGENT_GRANT = R(
    tokens.CRYPTO_KEY_IAM_MEMBER,
    "agent-key",
    {"cryptoKeyId": KEY, "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "member": AGENT},
)
DECLARED = [
    R(
        tokens.BUCKET_IAM_MEMBER,
        f"declared-{index}",
        {
            "bucket": "images",
            "role": "roles/storage.objectViewer" if "storage.objects.get" in h.need else "roles/storage.objectCreator",
            "member": h.label,
        },
    )
    for index, h in enumerate(INTENT.holders("image bucket"))
    if h.needed
]
"""The declared readers' and uploaders' grants on the image bucket (needed grants, IAM-11)."""
BASE = [IMAGES, RING, CRYPTO_KEY, AGENT_GRANT, *DECLARED]


def _held(model: _access.Model, asset: str, member: str) -> set[str]:
    return {p for h in model.holdings if h.asset.name == asset and h.member == member for p in h.permissions}


def test_a_member_adds_and_a_role_stands_for_its_permissions():
    grant = R(
        tokens.BUCKET_IAM_MEMBER,
        "g",
        {"bucket": "b/images", "role": "roles/storage.objectViewer", "member": "group:Radiologie@chuv.example"},
    )
    model = _access.evaluate([*BASE, grant], INTENT)
    assert _held(model, "images", "group:radiologie@chuv.example") == {
        p for p in READ_OBJECTS if p.startswith("storage.")
    }
    assert not [h for h in model.holdings if h.extra]
    assert not model.missing


def test_a_project_grant_reaches_every_asset_with_its_permissions_there():
    grant = R(
        "gcp:projects/iAMMember:IAMMember",
        "p",
        {"project": "221841688848", "role": "roles/owner", "member": "user:x@chuv.example"},
    )
    model = _access.evaluate([*BASE, grant], INTENT)
    # basic roles hold no object permissions (Google's reference); a bucket's own setting still reaches it
    assert "storage.buckets.delete" in _held(model, "images", "user:x@chuv.example")
    assert "cloudkms.cryptoKeyVersions.destroy" in _held(model, "lau-images", "user:x@chuv.example")
    assert "resourcemanager.projects.setIamPolicy" in _held(model, "chuv-imaging-lau", "user:x@chuv.example")


def test_a_key_ring_grant_reaches_its_keys():
    grant = R(
        "gcp:kms/keyRingIAMMember:KeyRingIAMMember",
        "r",
        {
            "keyRingId": "chuv-imaging-lau/europe-west6/lau-imaging",
            "role": "roles/cloudkms.cryptoKeyDecrypter",
            "member": "group:x@chuv.example",
        },
    )
    model = _access.evaluate([*BASE, grant], INTENT)
    assert "cloudkms.cryptoKeyVersions.useToDecrypt" in _held(model, "lau-images", "group:x@chuv.example")


def test_a_policy_replaces_every_grant_on_its_resource():
    policy = R(
        "gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy",
        "lock",
        {
            "cryptoKeyId": KEY,
            "policyData": json.dumps(
                {"bindings": [{"role": "roles/cloudkms.viewer", "members": ["group:x@chuv.example"]}]}
            ),
        },
    )
    model = _access.evaluate([*BASE, policy], INTENT)
    [missing] = model.missing
    assert (missing.holder.label, missing.permission, [d.resource for d in missing.dropped_by]) == (
        AGENT,
        "cloudkms.cryptoKeyVersions.useToEncrypt",
        ["lock"],
    )


def test_a_policy_that_keeps_the_grant_drops_nothing():
    policy = R(
        "gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy",
        "keep",
        {
            "cryptoKeyId": KEY,
            "policyData": json.dumps(
                {"bindings": [{"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": [AGENT]}]}
            ),
        },
    )
    assert not _access.evaluate([*BASE, policy], INTENT).missing


def test_a_binding_replaces_the_members_of_its_role_only():
    same_role = R(
        "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding",
        "b",
        {"cryptoKeyId": KEY, "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": ["group:x@chuv.example"]},
    )
    other_role = R(
        "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding",
        "c",
        {"cryptoKeyId": KEY, "role": "roles/cloudkms.viewer", "members": ["group:x@chuv.example"]},
    )
    assert [m.dropped_by[0].resource for m in _access.evaluate([*BASE, same_role], INTENT).missing] == ["b"]
    assert not _access.evaluate([*BASE, other_role], INTENT).missing


def test_an_empty_authoritative_policy_still_replaces():
    empty = R(
        "gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy",
        "empty",
        {"cryptoKeyId": KEY, "policyData": json.dumps({"bindings": []})},
    )
    [missing] = _access.evaluate([*BASE, empty], INTENT).missing
    assert [d.resource for d in missing.dropped_by] == ["empty"]


def test_a_condition_narrows_only_to_the_bucket_it_names():
    scoped = {"title": "t", "expression": 'resource.name.startsWith("projects/_/buckets/other/")'}
    grant = R(
        "gcp:projects/iAMMember:IAMMember",
        "p",
        {
            "project": "chuv-imaging-lau",
            "role": "roles/storage.objectViewer",
            "member": "group:x@chuv.example",
            "condition": scoped,
        },
    )
    assert not _held(_access.evaluate([*BASE, grant], INTENT), "images", "group:x@chuv.example")
    always = {"title": "t", "expression": "true"}
    grant.props["condition"] = always
    assert "storage.objects.get" in _held(_access.evaluate([*BASE, grant], INTENT), "images", "group:x@chuv.example")


def test_custom_roles_stand_for_their_declared_permissions_and_unknown_roles_are_not_trusted():
    role = R(
        tokens.CUSTOM_ROLE if hasattr(tokens, "CUSTOM_ROLE") else "gcp:projects/iAMCustomRole:IAMCustomRole",
        "r",
        {"project": "chuv-imaging-lau", "roleId": "reader", "permissions": ["storage.objects.get"]},
    )
    grant = R(
        tokens.BUCKET_IAM_MEMBER,
        "g",
        {"bucket": "images", "role": "projects/chuv-imaging-lau/roles/reader", "member": "group:x@chuv.example"},
    )
    assert _held(_access.evaluate([*BASE, role, grant], INTENT), "images", "group:x@chuv.example") == {
        "storage.objects.get"
    }
    unknown = R(
        tokens.BUCKET_IAM_MEMBER,
        "u",
        {"bucket": "images", "role": "roles/composer.worker", "member": "group:x@chuv.example"},
    )
    assert [g.resource for g in _access.evaluate([*BASE, unknown], INTENT).untrusted_roles] == ["u"]


def test_the_intent_comes_from_the_site_config():
    images = INTENT.holders("image bucket")
    assert {h.label for h in images} == {
        "serviceaccount:lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com",
        "serviceaccount:lau-pacs@chuv-imaging-lau.iam.gserviceaccount.com",
        "group:radiologie@chuv.example",
    }
    assert "group:soc@chuv.example" in {h.label for h in INTENT.holders("access-log bucket")}
    assert "group:soc@chuv.example" not in {h.label for h in images}
    assert [h.label for h in INTENT.holders("viewer service")] == [
        "serviceaccount:service-221841688848@gcp-sa-iap.iam.gserviceaccount.com"
    ]
    assert not _intent.from_settings(_settings(siteCode=None), "x", "1").holders("image bucket")


def test_no_other_service_agent_is_trusted_on_a_key():
    labels = {h.label for h in INTENT.holders("key")}
    assert AGENT in labels
    assert "serviceaccount:service-221841688848@gcp-sa-iap.iam.gserviceaccount.com" not in labels
