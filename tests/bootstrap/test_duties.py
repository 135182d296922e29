"""Separation of duties in the bootstrap's real plan, judged by the real pack process (IAM-15 to IAM-18,
issue 26): one change to the bootstrap's plan per case, the control it must break and how; legitimate
variants that must pass; the roles table of docs/deploying.md and the pack's data permissions held equal
to bootstrap/duties.py.

Proves what the pack makes of the plan's inputs; not that GCP applies the deny policies as the pack does
(the marker-gated integration test does)."""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from imaging_policies import _duties

from preflight.engine import runner as engine
from preflight.engine.runner import Resource
from tests.bootstrap.test_bootstrap_program import BOOTSTRAP, PROJECT, _config
from tests.packs import configured_pack
from tests.policies.mutation import changes, set_prop
from tests.sites import by_name

CONTROLS = ("IAM-15", "IAM-16", "IAM-17", "IAM-18")
"""The controls this module holds (the catalogue's "tests" line is read from it)."""

ROOT = Path(__file__).resolve().parents[2]
LIMITED = "gcp-iam-admin-grants-limited-roles"
READABLE = "gcp-iam-deny-policy-readable"
KEYS_APART = "gcp-kms-key-admin-apart-from-use"
DENIED_DATA = "gcp-iam-grant-capable-denied-data"
DEPLOYER = "deploy-lausanne@chuv-imaging-platform.iam.gserviceaccount.com"
DEPLOYER_V2 = f"principal://iam.googleapis.com/projects/-/serviceAccounts/{DEPLOYER}"
IAM_ADMIN_GRANT = "deploy-lausanne-resourcemanager-projectIamAdmin"
SITE_DENY = "lausanne-no-data"
LIMIT = "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([{}])"


def _duties_module():
    sys.path.insert(0, str(BOOTSTRAP))
    try:
        import duties

        return duties
    finally:
        sys.path.remove(str(BOOTSTRAP))
        sys.modules.pop("duties", None)


@cache
def _plan(mode: str) -> tuple[Resource, ...]:
    found = engine.run_program(
        BOOTSTRAP / "__main__.py", config=_config(), project=PROJECT, stack="platform", mode=mode
    )
    sys.modules.pop("platform_config", None)
    sys.modules.pop("duties", None)
    return tuple(found)


def plan(mode: str = "update") -> list[Resource]:
    return copy.deepcopy(list(_plan(mode)))


@pytest.fixture(scope="module")
def pack():
    policy_config = json.loads((BOOTSTRAP / "policy-config.json").read_text(encoding="utf-8"))
    running = configured_pack(_config(), project=PROJECT, stack="platform", mode="update", policy_config=policy_config)
    yield running
    running.close()


def _mandatory(pack, resources: list[Resource], changed: list[Resource]) -> list[tuple[str, str]]:
    found = [d for r in changed for d in pack.analyze(r)] + pack.analyze_stack(resources)
    return [(d.policy, d.message) for d in found if d.level == "mandatory"]


@dataclass(frozen=True)
class Case:
    policy: str
    target: str
    change: Callable[[Resource], None]
    expected: str
    also: frozenset[str] = frozenset()


def _rule(**rule: object) -> Callable[[Resource], None]:
    """Replace the first rule's denyRule fields named (``None`` removes one)."""

    def change(r: Resource) -> None:
        for props in (r.inputs, r.outputs):
            deny = props["rules"][0]["denyRule"]
            for key, value in rule.items():
                if value is None:
                    deny.pop(key, None)
                else:
                    deny[key] = value

    return change


def _remove(r: Resource) -> None:
    """Marker: the case removes the target from the plan."""


CASES = [
    pytest.param(
        Case(
            LIMITED,
            IAM_ADMIN_GRANT,
            set_prop("condition", value=None),
            "without a condition limiting the roles",
            frozenset({DENIED_DATA}),
        ),
        # IAM-15, part 1: "projectIamAdmin is needed for the audit config" and the condition is dropped as noise:
        # the deployer may then grant itself roles/iam.denyAdmin and lift the deny policy (IAM-18 too).
        id="iam-admin-role-without-grant-limit",
    ),
    pytest.param(
        Case(
            LIMITED,
            IAM_ADMIN_GRANT,
            set_prop("condition", "expression", value=LIMIT.format("'roles/storage.objectViewer'")),
            "holds storage.objects.get",
        ),
        # IAM-15, part 1: an engineer lets the deployer grant the reader role "for the viewer", on the project:
        # it could grant it to itself (the deny policy still denies the objects, so IAM-18 holds).
        id="grant-limit-lists-a-role-that-reads-objects",
    ),
    pytest.param(
        Case(
            LIMITED,
            IAM_ADMIN_GRANT,
            set_prop(
                "condition",
                "expression",
                value=LIMIT.format("") + " || request.time > timestamp('2020-01-01T00:00:00Z')",
            ),
            "without a condition limiting the roles",
            frozenset({DENIED_DATA}),
        ),
        # IAM-15, part 1: an insider keeps the limit's text but ors it with an always-true clause.
        id="grant-limit-ored-with-an-always-true-clause",
    ),
    pytest.param(
        Case(
            LIMITED,
            IAM_ADMIN_GRANT,
            set_prop("condition", "expression", value=LIMIT.format("'roles/iam.denyAdmin'")),
            "iam.denypolicies",
            frozenset({DENIED_DATA}),
        ),
        # IAM-15, part 1: "the deployer must be able to fix a deny policy": then it can delete it (IAM-18 too).
        id="grant-limit-lists-the-deny-admin-role",
    ),
    pytest.param(
        Case(
            READABLE,
            SITE_DENY,
            _rule(denialCondition={"expression": "request.time.getHours('Europe/Zurich') < 20"}),
            "denialCondition makes the rule apply only sometimes",
            frozenset({DENIED_DATA}),
        ),
        # IAM-16, part 3: "only outside office hours": the pack cannot evaluate when it holds, so it denies nothing.
        id="deny-rule-with-a-condition",
    ),
    pytest.param(
        Case(
            READABLE,
            SITE_DENY,
            _rule(exceptionPrincipals=[DEPLOYER_V2]),
            "whom the rule denies",
            frozenset({DENIED_DATA}),
        ),
        # IAM-16, part 1: an insider exempts the deployer "to restore a backup", undoing the rule for it.
        id="deny-rule-exempts-the-deployer",
    ),
    pytest.param(
        Case(
            READABLE,
            SITE_DENY,
            _rule(deniedPermissions=["storage.objects.get"]),
            "a permission form the pack cannot read",
            frozenset({DENIED_DATA}),
        ),
        # IAM-16, part 3: the v1 permission form copied from a role listing; the API wants the v2 form.
        id="deny-rule-names-a-v1-permission",
    ),
    pytest.param(
        Case(
            READABLE,
            SITE_DENY,
            set_prop("parent", value="projects/chuv-imaging-lau"),
            "is not the URL-encoded full name",
            frozenset({DENIED_DATA}),
        ),
        # IAM-16, part 3: the parent written as a resource path instead of the URL-encoded attachment point.
        id="deny-policy-parent-as-a-resource-path",
    ),
    pytest.param(
        Case(
            KEYS_APART,
            "key-admins",
            set_prop("member", value=f"serviceAccount:{DEPLOYER}"),
            "administers the keys of",
            frozenset({"gcp-iam-least-privilege-roles"}),
        ),
        # IAM-17, part 2: "the deployer already decrypts the stack's secrets, let it manage the key ring too"
        # (IAM-04 also refuses cloudkms.admin for an account).
        id="deployer-administers-the-key-ring-it-uses",
    ),
    pytest.param(
        Case(
            KEYS_APART,
            "drift-lausanne-secrets",
            changes(
                set_prop("role", value="roles/cloudkms.admin"), set_prop("member", value=f"serviceAccount:{DEPLOYER}")
            ),
            "uses the keys of",
        ),
        # IAM-17, part 2: a grant copied for "key rotation by the deployer" on the very key it decrypts with.
        id="deployer-administers-the-secrets-key-it-uses",
    ),
    pytest.param(
        Case(DENIED_DATA, SITE_DENY, _remove, "read, write or delete objects"),
        # IAM-18, part 1: the deny policy removed "because the roles are custom now": setIamPolicy on buckets
        # lets the deployer grant itself the objects again.
        id="site-deny-policy-removed",
    ),
    pytest.param(
        Case(
            DENIED_DATA,
            SITE_DENY,
            _rule(deniedPermissions=[p for p in _duties_module().denied_permissions() if "cloudkms" not in p]),
            "encrypt or decrypt with a key",
        ),
        # IAM-18, part 1: "CMEK decryption is done by the storage agent anyway": the deployer can still grant
        # itself the key's use.
        id="deny-policy-misses-the-keys-use",
    ),
    pytest.param(
        Case(
            DENIED_DATA,
            SITE_DENY,
            set_prop("parent", value="cloudresourcemanager.googleapis.com%2Fprojects%2Fumcu-imaging-utr"),
            "on project chuv-imaging-lau",
        ),
        # IAM-18, part 1: a copy-paste of Utrecht's policy: Lausanne's project has none.
        id="deny-policy-on-another-sites-project",
    ),
    pytest.param(
        Case(
            READABLE,
            SITE_DENY,
            set_prop("parent", value="cloudresourcemanager.googleapis.com%2Ffolders%2F999999"),
            "is a folder, and no site setting declares",
            frozenset({DENIED_DATA}),
        ),
        # IAM-16 and IAM-18, review finding 1: "one deny policy on the hospital's imaging folder covers every
        # site": any folder would pass, the pack cannot tell it is above Lausanne's project, so it credits nothing.
        id="deny-policy-on-a-folder",
    ),
    pytest.param(
        Case(
            READABLE,
            SITE_DENY,
            set_prop("parent", value="cloudresourcemanager.googleapis.com%2Forganizations%2F4242"),
            "is an organisation",
            frozenset({DENIED_DATA}),
        ),
        # IAM-16 and IAM-18, review finding 1: an insider moves the deny policy to an organisation (another one,
        # or theirs) "to manage it centrally": it no longer provably protects the site project.
        id="deny-policy-on-an-organisation",
    ),
    pytest.param(
        Case(
            DENIED_DATA,
            SITE_DENY,
            _rule(deniedPermissions=[p for p in _duties_module().denied_permissions() if "pubsub" not in p]),
            "drain the SIEM subscription (pubsub.snapshots.seek, pubsub.subscriptions.consume)",
        ),
        # IAM-18, review finding 2: "the SIEM subscription is not patient data": roles/pubsub.admin then pulls
        # and acknowledges the security logs, deleting them from the SIEM.
        id="deny-policy-lets-the-deployer-drain-the-siem-subscription",
    ),
    pytest.param(
        Case(
            DENIED_DATA,
            SITE_DENY,
            _rule(deniedPermissions=[p for p in _duties_module().denied_permissions() if "views.access" not in p]),
            "logging.views.access",
        ),
        # IAM-18, review finding 2: the deployer grants the security-log view to the SOC, so "it may read it too":
        # logging.views.setIamPolicy lets it grant itself the view.
        id="deny-policy-lets-the-deployer-read-the-security-log-view",
    ),
    pytest.param(
        Case(
            DENIED_DATA,
            SITE_DENY,
            _rule(deniedPrincipals=[DEPLOYER_V2.replace("deploy-", "drift-")]),
            "act with another account's credentials",
        ),
        # IAM-18, part 1: the rule names only the drift checker (the one with securityReviewer), not the deployer.
        id="deny-policy-names-the-drift-checker-only",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_each_duty_is_guarded(pack, case: Case):
    resources = plan()
    target = by_name(resources, case.target)
    if case.change is _remove:
        resources.remove(target)
        changed: list[Resource] = []
    else:
        case.change(target)
        changed = [target]
    found = _mandatory(pack, resources, changed)
    mine = [m for p, m in found if p == case.policy]
    assert mine, f"{case.policy} did not fire; found {found}"
    assert any(case.expected in m for m in mine), mine
    assert {p for p, _ in found} == {case.policy, *case.also}, found


def _variant_grant_limit(resources: list[Resource]) -> list[Resource]:
    """The deployer may grant a role that reads and writes no data (a log writer), on the project."""
    grant = by_name(resources, IAM_ADMIN_GRANT)
    set_prop("condition", "expression", value=LIMIT.format('"roles/logging.logWriter"'))(grant)
    return [grant]


def _variant_wildcard_deny(resources: list[Resource]) -> list[Resource]:
    """The deny rule names every object permission with a wildcard and the principals as groups and accounts."""
    deny = by_name(resources, SITE_DENY)
    permissions = [p for p in _duties_module().denied_permissions() if not p.startswith("storage.")]
    _rule(deniedPermissions=["storage.googleapis.com/objects.*", *permissions])(deny)
    return [deny]


def _variant_key_admins_denied_all_data(resources: list[Resource]) -> list[Resource]:
    """The platform project's deny policy denies the key administrators every data permission, not only the keys'
    use (a stricter platform team)."""
    deny = by_name(resources, "key-admins-no-key-use")
    _rule(deniedPermissions=_duties_module().denied_permissions())(deny)
    return [deny]


def _variant_limited_security_reviewer(resources: list[Resource]) -> list[Resource]:
    """The deny policy also denies reading log entries (a stricter site): nothing else changes."""
    deny = by_name(resources, SITE_DENY)
    _rule(deniedPermissions=[*_duties_module().denied_permissions(), "logging.googleapis.com/logEntries.list"])(deny)
    return [deny]


def _variant_deny_by_project_number(resources: list[Resource]) -> list[Resource]:
    """The platform project's deny policy names its project by number (what GCP reports for the state bucket's
    project), not id: IAM-16 accepts a project parent in either form. (That the number is credited to the
    project is shown by tests/policies/test_duties_model.py on Lausanne, whose number the model knows; nothing
    in the platform stack depends on this policy, so this variant cannot show it.)"""
    number = str(int(by_name(resources, "state").outputs["projectNumber"]))
    deny = by_name(resources, "key-admins-no-key-use")
    set_prop("parent", value=f"cloudresourcemanager.googleapis.com%2Fprojects%2F{number}")(deny)
    return [deny]


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(_variant_deny_by_project_number, id="deny-policy-names-its-project-by-number"),
        pytest.param(_variant_grant_limit, id="grant-limit-lists-a-role-without-data"),
        pytest.param(_variant_wildcard_deny, id="deny-rule-with-a-wildcard-permission"),
        pytest.param(_variant_key_admins_denied_all_data, id="key-admins-denied-every-data-permission"),
        pytest.param(_variant_limited_security_reviewer, id="deny-rule-denies-more-than-the-data"),
    ],
)
def test_legitimate_duty_variants_pass(pack, variant):
    resources = plan()
    changed = variant(resources)
    assert _mandatory(pack, resources, changed) == []


def test_the_pack_judges_the_bootstrap_with_only_its_recorded_exemptions_in_a_first_preview():
    """Part 4/7: in a first preview every duty control reaches a verdict (the literals are known), none fires."""
    policy_config = json.loads((BOOTSTRAP / "policy-config.json").read_text(encoding="utf-8"))
    resources = plan("preview")
    running = configured_pack(_config(), project=PROJECT, stack="platform", mode="preview", policy_config=policy_config)
    try:
        found = [d for r in resources for d in running.analyze(r)] + running.analyze_stack(resources)
    finally:
        running.close()
    mine = [d for d in found if d.policy in (LIMITED, READABLE, KEYS_APART, DENIED_DATA)]
    assert [(d.policy, d.level, d.message) for d in mine if d.level != "advisory"] == []


# --- facts held equal -------------------------------------------------------------------------------


def test_the_deny_policies_deny_exactly_the_packs_data_permissions():
    duties = _duties_module()
    denied = {_duties.v1_permission(p) for p in duties.denied_permissions()}
    assert denied == set(_duties.DATA_PERMISSIONS)
    assert {_duties.v1_permission(p) for p in duties.KEY_USE_DENIED} == set(_duties.KEY_USE)


def test_each_custom_roles_permissions_come_from_the_role_it_replaces_without_data():
    from imaging_policies._principals import ROLE_PERMISSIONS

    for role_id, (source, _, permissions) in _duties_module().CUSTOM_ROLES.items():
        assert set(permissions) <= ROLE_PERMISSIONS[source], role_id
        assert not set(permissions) & (_duties.DATA_PERMISSIONS | {"logging.buckets.delete", "storage.buckets.delete"})
        assert not set(permissions) & (_duties.KEY_ADMINISTRATION - {"cloudkms.cryptoKeys.setIamPolicy"}), role_id


def _roles_table() -> dict[str, set[str]]:
    """docs/deploying.md's roles table: identity column -> the roles named in its row."""
    text = (ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")
    section = text.split("<!-- roles:begin -->", 1)[1].split("<!-- roles:end -->", 1)[0]
    found: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        role = cells[0].strip("`")
        for identity, cell in zip(("deploy", "drift", "preview", "key-admins"), cells[1:5], strict=False):
            if cell.startswith("yes"):
                found.setdefault(identity, set()).add(role)
    return found


def test_the_roles_table_of_docs_deploying_matches_the_code():
    duties = _duties_module()
    assert _roles_table() == {
        "deploy": set(duties.DEPLOYER_ROLES),
        "drift": set(duties.DRIFT_ROLES),
        "preview": set(duties.PREVIEWER_ROLES),
        "key-admins": {duties.KEY_ADMIN_ROLE},
    }


def test_the_plan_grants_each_identity_exactly_its_roles_and_limits_the_iam_admin_role():
    duties = _duties_module()
    grants = [r for r in plan() if r.type == "gcp:projects/iAMMember:IAMMember"]
    for kind, roles in (
        ("deploy", duties.DEPLOYER_ROLES),
        ("drift", duties.DRIFT_ROLES),
        ("preview", duties.PREVIEWER_ROLES),
    ):
        mine = [g for g in grants if g.name.startswith(f"{kind}-lausanne-")]
        expected = {r if r.startswith("roles/") else duties.custom_role("chuv-imaging-lau", r) for r in roles}
        assert {g.inputs["role"] for g in mine} == expected
        for g in mine:
            limited = g.inputs["role"] == duties.IAM_ADMIN_ROLE
            condition = g.inputs.get("condition")
            assert (condition or {}).get("expression") == (duties.grant_limit() if limited else None), g.name
    assert re.fullmatch(
        r"api\.getAttribute\('iam\.googleapis\.com/modifiedGrantsByRole', \[\]\)\.hasOnly\(\[\]\)", duties.grant_limit()
    )


@pytest.mark.parametrize("site", ["lausanne", "utrecht"])
def test_site_stacks_hold_no_secret_a_preview_could_decrypt(site):
    """Part 5: the previewer (a pull request's code) decrypts with its site's secrets key, which today protects
    only labels: no `secure:` value in the stack file, and the only secret outputs are the labels pulumi-gcp
    itself marks secret (effectiveLabels, pulumiLabels: the site's own labels). The day another appears, this
    fails and docs/deploying.md "Secrets a preview can decrypt" must be decided again."""
    import yaml

    document = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{site}.yaml").read_text(encoding="utf-8"))
    assert "secure:" not in json.dumps(document)
    assert '"secure"' not in json.dumps(document)
    from tests.plans import site_plan

    secret = {name for r in site_plan(site, "update") for name in r.additional_secret_outputs}
    assert secret == {"effectiveLabels", "pulumiLabels"}
