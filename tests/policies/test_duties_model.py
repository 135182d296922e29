"""Separation of duties, computed by the pack's own effective-access model (IAM-15 to IAM-18, issue 26 part 3).

First the pure facts (``_duties``): the grant-limit condition, deny policies' v2 forms, a deny rule's reach
and what an identity may grant itself. Then the proof the issue asks for: the bootstrap's deployer, drift
checker and previewer of Lausanne and the key administrators, applied to Lausanne's real plan with every deny
policy of the bootstrap (``_access.evaluate``, the model IAM-10 judges with): none holds, or may grant itself,
an object read, write or delete, a key's use, or a log bucket's deletion. Pure: no pack process (what the real
pack makes of the same plans is ``tests/bootstrap/test_duties.py``)."""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest
from imaging_policies import _duties
from imaging_policies._resolve import SiteProject

from preflight.engine import runner as engine
from preflight.engine import stacks
from preflight.engine.runner import Resource
from preflight.reports import access
from tests.bootstrap.test_bootstrap_program import BOOTSTRAP, PROJECT, _config
from tests.plans import site_plan

CONTROLS = ("IAM-15", "IAM-16", "IAM-17", "IAM-18")
"""The controls this module holds (the catalogue's "tests" line is read from it)."""

SITE_PROJECT = "chuv-imaging-lau"
PLATFORM = "chuv-imaging-platform"
KEY_ADMINS = "group:imaging-key-admins@chuv.example"
IDENTITIES = {
    kind: f"serviceaccount:{kind}-lausanne@{PLATFORM}.iam.gserviceaccount.com"
    for kind in ("deploy", "drift", "preview")
}
LIMIT = "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([{}])"


# --- pure facts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        pytest.param(LIMIT.format(""), frozenset(), id="empty-list"),
        pytest.param(
            LIMIT.format("'roles/run.invoker', \"roles/logging.logWriter\""),
            {"roles/run.invoker", "roles/logging.logWriter"},
            id="both-quotes",
        ),
        pytest.param(" " + LIMIT.format("'roles/run.invoker'") + " ", {"roles/run.invoker"}, id="surrounding-space"),
        pytest.param(LIMIT.format("") + " || true", None, id="ored-with-anything"),
        pytest.param("!" + LIMIT.format(""), None, id="negated"),
        pytest.param(LIMIT.format("request.auth.claims.role"), None, id="not-a-literal"),
        pytest.param(LIMIT.format("").replace("modifiedGrantsByRole", "modifiedGrants"), None, id="another-attribute"),
        pytest.param(None, None, id="no-condition"),
    ],
)
def test_a_grant_limit_is_read_only_in_its_exact_form(expression, expected):
    assert _duties.grant_limit(expression) == (frozenset(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("v2", "v1"),
    [
        ("storage.googleapis.com/objects.get", "storage.objects.get"),
        ("cloudkms.googleapis.com/cryptoKeyVersions.useToDecrypt", "cloudkms.cryptoKeyVersions.useToDecrypt"),
        ("cloudresourcemanager.googleapis.com/projects.setIamPolicy", "resourcemanager.projects.setIamPolicy"),
        ("storage.googleapis.com/objects.*", "storage.objects.*"),
        ("storage.objects.get", None),
        ("storage.googleapis.com", None),
    ],
)
def test_deny_permissions_are_read_in_the_v2_form(v2, v1):
    assert _duties.v1_permission(v2) == v1


@pytest.mark.parametrize(
    ("v2", "member"),
    [
        (
            "principal://iam.googleapis.com/projects/-/serviceAccounts/d@p.iam.gserviceaccount.com",
            "serviceaccount:d@p.iam.gserviceaccount.com",
        ),
        ("principalSet://goog/group/Admins@Chuv.example", "group:admins@chuv.example"),
        ("principal://goog/subject/alice@chuv.example", "user:alice@chuv.example"),
        ("principalSet://goog/public:all", "*"),
        ("serviceAccount:d@p.iam.gserviceaccount.com", None),
        ("principalSet://cloudresourcemanager.googleapis.com/projects/1/type/ServiceAccount", None),
    ],
)
def test_deny_principals_are_read_in_the_v2_forms(v2, member):
    assert _duties.deny_principal(v2) == member


def test_a_deny_parent_is_the_url_encoded_attachment_point():
    assert (
        _duties.deny_parent("cloudresourcemanager.googleapis.com%2Fprojects%2Fchuv-imaging-lau")
        == "project:chuv-imaging-lau"
    )
    assert _duties.deny_parent("cloudresourcemanager.googleapis.com%2Ffolders%2F123") == "folder:123"
    assert _duties.deny_parent("projects/chuv-imaging-lau") is None


@dataclass(frozen=True)
class _R:
    resource_type: str
    name: str
    props: dict[str, Any]
    urn: str = ""
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


def _deny(rule: dict[str, Any], parent: str = f"cloudresourcemanager.googleapis.com%2Fprojects%2F{SITE_PROJECT}") -> _R:
    return _R(_duties.DENY_POLICY, "deny", {"parent": parent, "rules": [{"denyRule": rule}]}, urn="urn:deny")


def test_a_deny_rule_denies_its_principals_its_permissions_less_its_exceptions():
    deployer = IDENTITIES["deploy"]
    v2 = "principal://iam.googleapis.com/projects/-/serviceAccounts/" + deployer.split(":", 1)[1]
    rule = {
        "deniedPrincipals": [v2],
        "deniedPermissions": ["storage.googleapis.com/objects.*"],
        "exceptionPermissions": ["storage.googleapis.com/objects.list"],
    }
    denied = _duties.denials([_deny(rule)])
    assert denied.denied(deployer, "storage.objects.get", SITE_PROJECT)
    assert not denied.denied(deployer, "storage.objects.list", SITE_PROJECT)
    assert not denied.denied(deployer, "storage.objects.get", "umcu-imaging-utr")
    assert not denied.denied(IDENTITIES["drift"], "storage.objects.get", SITE_PROJECT)
    conditional = _duties.denials([_deny({**rule, "denialCondition": {"expression": "true"}})])
    assert conditional.rules == []  # the pack cannot tell when it holds: it denies nothing
    unplaced = _duties.denials(
        [_deny({**rule, "exceptionPrincipals": ["principalSet://goog/cloudIdentityCustomerId/C0"]})]
    )
    assert not unplaced.denied(deployer, "storage.objects.get", SITE_PROJECT)


@pytest.mark.parametrize(
    ("parent", "protects"),
    [
        pytest.param(f"cloudresourcemanager.googleapis.com%2Fprojects%2F{SITE_PROJECT}", True, id="site-project-id"),
        pytest.param("cloudresourcemanager.googleapis.com%2Fprojects%2F412345678901", True, id="site-project-number"),
        pytest.param("cloudresourcemanager.googleapis.com%2Fprojects%2F99", False, id="another-projects-number"),
        pytest.param("cloudresourcemanager.googleapis.com%2Ffolders%2F999999", False, id="any-folder"),
        pytest.param("cloudresourcemanager.googleapis.com%2Forganizations%2F4242", False, id="any-organisation"),
    ],
)
def test_a_deny_rule_protects_the_site_project_only_when_attached_to_it(parent, protects):
    """A folder or organisation may not be above the site project, and no site setting says which are: the pack
    credits such a rule to no project (a grant there is still assumed to reach it: unsafe the other way)."""
    deployer = IDENTITIES["deploy"]
    v2 = "principal://iam.googleapis.com/projects/-/serviceAccounts/" + deployer.split(":", 1)[1]
    rule = {"deniedPrincipals": [v2], "deniedPermissions": ["storage.googleapis.com/objects.get"]}
    site = SiteProject(SITE_PROJECT, "412345678901")
    denied = _duties.denials([_deny(rule, parent)], site)
    assert bool(denied.denied(deployer, "storage.objects.get", SITE_PROJECT)) is protects
    assert not denied.denied(deployer, "storage.objects.get", "umcu-imaging-utr")


def _grant(role: str, member: str, condition: str | None = None, project: str = SITE_PROJECT) -> _duties.ProjectGrant:
    return _duties.ProjectGrant(f"grant-{role}", f"urn:{role}", role, member, condition, project)


def _lookup(role: str) -> frozenset[str] | None:
    from imaging_policies._principals import ROLE_PERMISSIONS

    return ROLE_PERMISSIONS.get(role) or _duties.OUTSIDE_TABLE.get(role)


def test_what_an_identity_may_grant_itself_is_within_its_reach():
    member = IDENTITIES["deploy"]
    limited = [_grant("roles/resourcemanager.projectIamAdmin", member, LIMIT.format(""))]
    [reach] = _duties.reaches(limited, _lookup)
    within = reach.within(_lookup, _duties.Denials())
    assert "storage.objects.get" not in within
    assert "resourcemanager.projects.setIamPolicy" in within
    [unlimited] = _duties.reaches([_grant("roles/resourcemanager.projectIamAdmin", member)], _lookup)
    assert "storage.objects.get" in unlimited.within(_lookup, _duties.Denials())
    [buckets] = _duties.reaches([_grant("roles/storage.admin", member)], _lookup)
    reach_of_buckets = buckets.within(_lookup, _duties.Denials())
    assert "storage.objects.get" in reach_of_buckets
    assert "cloudkms.cryptoKeyVersions.useToDecrypt" not in reach_of_buckets


def test_a_deny_policy_does_not_hold_against_whoever_may_lift_it():
    member = IDENTITIES["deploy"]
    v2 = "principal://iam.googleapis.com/projects/-/serviceAccounts/" + member.split(":", 1)[1]
    denied = _duties.denials(
        [_deny({"deniedPrincipals": [v2], "deniedPermissions": ["storage.googleapis.com/objects.get"]})]
    )
    [reach] = _duties.reaches([_grant("roles/storage.admin", member)], _lookup)
    assert "storage.objects.get" not in reach.within(_lookup, denied)
    [owner_like] = _duties.reaches([_grant("roles/resourcemanager.projectIamAdmin", member)], _lookup)
    assert "storage.objects.get" in owner_like.within(_lookup, denied)  # may grant itself roles/iam.denyAdmin


# --- the bootstrap's identities on Lausanne, by the model ------------------------------------------------


@cache
def _bootstrap() -> tuple[Resource, ...]:
    found = engine.run_program(BOOTSTRAP / "__main__.py", config=_config(), project=PROJECT, stack="platform")
    sys.modules.pop("platform_config", None)
    sys.modules.pop("duties", None)
    return tuple(found)


def _on_lausanne(resource: Resource) -> bool:
    """A bootstrap resource that acts on Lausanne's project: its grants, custom roles and deny policy."""
    inputs = resource.inputs
    if resource.type == _duties.DENY_POLICY:
        return str(inputs.get("parent", "")).endswith(f"%2F{SITE_PROJECT}")
    return inputs.get("project") == SITE_PROJECT


def _combined(*, without: str = "", parent: str = "") -> list[Resource]:
    """Lausanne's plan with the bootstrap's resources on its project (``parent``: the deny policy's, moved)."""
    mine = [copy.deepcopy(r) for r in _bootstrap() if _on_lausanne(r) and r.name != without]
    for r in mine:
        if parent and r.type == _duties.DENY_POLICY:
            r.inputs["parent"] = r.outputs["parent"] = parent
    return site_plan("lausanne", "update") + mine


SECURITY_LOGS = {"logging.views.access", "logging.privateLogEntries.list"}
SIEM_DRAIN = {"pubsub.subscriptions.consume", "pubsub.snapshots.seek"}


LOG_DELETION = {"storage.objects.delete", "logging.buckets.delete", "storage.buckets.delete"}


def _held(resources: list[Resource]) -> dict[str, dict[str, set[str]]]:
    """principal -> asset kind -> permissions held (deny policies applied)."""
    model, _ = access.model(resources, stacks.load("lausanne").config)
    found: dict[str, dict[str, set[str]]] = {}
    for h in model.holdings:
        found.setdefault(h.member, {}).setdefault(h.asset.kind, set()).update(h.permissions)
    return found


def test_the_model_places_the_bootstrap_identities_on_lausannes_assets():
    """The proof reads what it claims to read: the deployer holds the bucket and key settings it deploys."""
    held = _held(_combined())
    assert {"storage.buckets.create", "storage.buckets.setIamPolicy"} <= held[IDENTITIES["deploy"]]["image bucket"]
    assert "cloudkms.cryptoKeys.create" in held[IDENTITIES["deploy"]]["key"]
    assert "cloudkms.cryptoKeyVersions.destroy" in held[KEY_ADMINS]["key"]


@pytest.mark.parametrize("who", [*IDENTITIES, "key-admins"])
def test_no_bootstrap_identity_reads_images_decrypts_or_deletes_logs(who):
    member = KEY_ADMINS if who == "key-admins" else IDENTITIES[who]
    held = _held(_combined()).get(member, {})
    for kind in ("image bucket", "access-log bucket"):
        assert not held.get(kind, set()) & _duties.DATA["read, write or delete objects (images, access logs)"], kind
    assert not held.get("key", set()) & _duties.KEY_USE
    for kind in ("access-log bucket", "security-log bucket"):
        assert not held.get(kind, set()) & LOG_DELETION, kind


@pytest.mark.parametrize("who", [*IDENTITIES, "key-admins"])
def test_no_bootstrap_identity_drains_the_siem_subscription_or_reads_the_security_log_view(who):
    """The security logs are data: nobody who deploys pulls or acknowledges the SIEM subscription's messages
    (deleting them from the SIEM), seeks it, or reads the security-log view, held or granted to itself."""
    member = KEY_ADMINS if who == "key-admins" else IDENTITIES[who]
    held = _held(_combined()).get(member, {})
    assert not held.get("SIEM subscription", set()) & SIEM_DRAIN
    for kind in ("security-log bucket", "log view"):
        assert not held.get(kind, set()) & SECURITY_LOGS, kind
    resources = [access._Adapted(r.type, r.name, r.urn, {**r.inputs, **r.outputs}) for r in _combined()]
    lookup = _duties.role_table(resources, None)
    grants, _ = _duties.project_grants(resources)
    for reach in (r for r in _duties.reaches(grants, lookup) if r.member == member and r.project == SITE_PROJECT):
        assert not set(reach.within(lookup, _duties.denials(resources))) & (SIEM_DRAIN | SECURITY_LOGS)


def test_without_the_deny_policy_the_deployer_drains_the_siem_and_may_grant_itself_the_view():
    """What the deny policy takes away: roles/pubsub.admin consumes the SIEM subscription, and the view's IAM
    (imagingDeployLogging) lets the deployer grant itself the security-log view."""
    held = _held(_combined(without="lausanne-no-data"))[IDENTITIES["deploy"]]
    assert "pubsub.subscriptions.consume" in held["SIEM subscription"]
    resources = [
        access._Adapted(r.type, r.name, r.urn, {**r.inputs, **r.outputs}) for r in _combined(without="lausanne-no-data")
    ]
    lookup = _duties.role_table(resources, None)
    grants, _ = _duties.project_grants(resources)
    [reach] = [
        r for r in _duties.reaches(grants, lookup) if r.member == IDENTITIES["deploy"] and r.project == SITE_PROJECT
    ]
    assert {"logging.views.access", "pubsub.subscriptions.consume"} <= set(reach.within(lookup, _duties.Denials()))


@pytest.mark.parametrize(
    ("parent", "protects"),
    [
        pytest.param("cloudresourcemanager.googleapis.com%2Fprojects%2F{number}", True, id="site-project-number"),
        pytest.param("cloudresourcemanager.googleapis.com%2Ffolders%2F999999", False, id="a-folder"),
        pytest.param("cloudresourcemanager.googleapis.com%2Forganizations%2F4242", False, id="an-organisation"),
    ],
)
def test_the_deny_policy_protects_lausanne_only_attached_to_its_project(parent, protects):
    """By number it is Lausanne's (the resolver); on a folder or organisation the model credits it nothing, so
    the drift checker's iam.securityReviewer lists the image objects again."""
    _, intent = access.model(site_plan("lausanne", "update"), stacks.load("lausanne").config)
    assert intent.site.number
    held = _held(_combined(parent=parent.format(number=intent.site.number)))
    listed = "storage.objects.list" in held.get(IDENTITIES["drift"], {}).get("image bucket", set())
    assert listed is not protects


@pytest.mark.parametrize("who", [*IDENTITIES, "key-admins"])
def test_nor_may_it_grant_itself_any_of_that(who):
    """Reach: held plus what an unlimited setIamPolicy or the grant limit lets it grant itself, less the deny."""
    member = KEY_ADMINS if who == "key-admins" else IDENTITIES[who]
    resources = [access._Adapted(r.type, r.name, r.urn, {**r.inputs, **r.outputs}) for r in _combined()]
    lookup = _duties.role_table(resources, None)
    grants, unknown = _duties.project_grants(resources)
    assert unknown == []
    [reach] = [r for r in _duties.reaches(grants, lookup) if r.member == member and r.project == SITE_PROJECT]
    within = reach.within(lookup, _duties.denials(resources))
    assert not set(within) & _duties.DATA_PERMISSIONS
    assert not set(within) & (_duties.DENY_ADMIN | _duties.ROLE_ADMIN)


def test_without_the_deny_policy_the_deployer_could_grant_itself_the_images():
    """The deny policy is what holds: take it away and the deployer's bucket IAM reaches the objects."""
    resources = [
        access._Adapted(r.type, r.name, r.urn, {**r.inputs, **r.outputs}) for r in _combined(without="lausanne-no-data")
    ]
    lookup = _duties.role_table(resources, None)
    grants, _ = _duties.project_grants(resources)
    [reach] = [
        r for r in _duties.reaches(grants, lookup) if r.member == IDENTITIES["deploy"] and r.project == SITE_PROJECT
    ]
    assert {"storage.objects.get", "cloudkms.cryptoKeyVersions.useToDecrypt"} <= set(
        reach.within(lookup, _duties.denials(resources))
    )
    held = _held(_combined(without="lausanne-no-data"))
    assert "storage.objects.list" in held[IDENTITIES["drift"]]["image bucket"]  # iam.securityReviewer lists objects
