"""Roles people legitimately need: the ``auditor`` site role, the declared group domains and the domain guard
rail, through the real pack process against the Lausanne site's real plan (see ``mutation.py``).

Lausanne declares ``soc@chuv.example: auditor`` and ``groupDomains: {chuv.example: C03chuv7k}``. Each case
is one change, named by behaviour, with the control it breaks and why someone would write it; the
legitimate variants below (the auditor as intended, and other honest forms) pass with no mandatory finding.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from preflight.engine import stacks
from preflight.engine.runner import Resource
from tests.conftest import by_name, configured_pack, site_plan
from tests.policies.mutation import Case, add_resource, assert_rejected, on, remove, set_prop

LEAST_PRIVILEGE = "gcp-iam-least-privilege-roles"
PEOPLE = "gcp-iam-groups-not-users"
DOMAINS = "gcp-iam-group-domains-declared"
DOMAIN_RAIL = "gcp-orgpolicy-allowed-member-domains"

AUDITOR = "group:soc@chuv.example"
ACCESS_LOG_GRANT = "lau-images-access-logs-auditor-soc@chuv.example"
VIEW_GRANT = "lau-logging-bucket-auditor-soc@chuv.example"
RAIL = "lau-project-iam.allowedPolicyMemberDomains"
IMAGES = "chuv-imaging-lau-lau-images"
ACCESS_LOGS = "chuv-imaging-lau-lau-access-logs"
SECURITY_LOGS = "projects/chuv-imaging-lau/locations/europe-west6/buckets/lau-security-logs"
DEFAULT_LOGS = "projects/chuv-imaging-lau/locations/global/buckets/_Default"
CUSTOMER = "C03chuv7k"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
BUCKET_BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"
VIEW_MEMBER = "gcp:logging/logViewIamMember:LogViewIamMember"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
FOLDER_MEMBER = "gcp:storage/managedFolderIamMember:ManagedFolderIamMember"
ORG_POLICY_V1 = "gcp:projects/organizationPolicy:OrganizationPolicy"


def _rules(*rules: object) -> Callable[[Resource], None]:
    return set_prop("spec", value={"rules": list(rules)})


def _custom_role_on_images(resources: list[Resource]) -> Resource:
    """A custom role with object read permissions only, declared in the stack, granted to the auditor on the
    image bucket."""
    add_resource(
        "gcp:projects/iAMCustomRole:IAMCustomRole",
        "soc-reader-role",
        {
            "project": "chuv-imaging-lau",
            "roleId": "socReader",
            "title": "SOC reader",
            "permissions": ["storage.objects.get", "storage.objects.list"],
        },
    )(resources)
    return add_resource(
        BUCKET_MEMBER,
        "soc-custom-reads-images",
        {"bucket": IMAGES, "role": "projects/chuv-imaging-lau/roles/socReader", "member": AUDITOR},
    )(resources)


CASES = [
    # --- the auditor reaches images, or more than reading the logs ------------------------------------------
    pytest.param(
        Case(
            LEAST_PRIVILEGE,
            on(ACCESS_LOG_GRANT, set_prop("bucket", value=IMAGES)),
            f"holds roles/storage.objectViewer on bucket {IMAGES} (bucket); an auditor reads the site's access-log",
        ),
        id="auditor-reads-the-image-bucket",
    ),  # IAM-04, part 2: "the SOC needs to see the images too" -- the auditor would read every patient's images
    pytest.param(
        Case(
            LEAST_PRIVILEGE,
            on(ACCESS_LOG_GRANT, set_prop("role", value="roles/storage.objectAdmin")),
            "but holds roles/storage.objectAdmin on a bucket; grant roles/storage.objectViewer",
        ),
        id="auditor-object-admin-on-the-access-log-bucket",
    ),  # IAM-04, part 2: "they need to clean up old logs" -- the team could delete the evidence it audits
    pytest.param(
        Case(
            LEAST_PRIVILEGE,
            add_resource(
                FOLDER_MEMBER,
                "soc-reads-a-studies-folder",
                {
                    "bucket": IMAGES,
                    "managedFolder": "studies/",
                    "role": "roles/storage.objectViewer",
                    "member": AUDITOR,
                },
            ),
            f"holds roles/storage.objectViewer on bucket {IMAGES} (bucket)",
        ),
        id="auditor-reads-an-image-folder",
    ),  # IAM-04, part 2: a managed folder of the image bucket looks narrower, yet holds images
    pytest.param(
        Case(
            LEAST_PRIVILEGE,
            add_resource(
                PROJECT_MEMBER,
                "soc-reads-images-by-condition",
                {
                    "project": "chuv-imaging-lau",
                    "role": "roles/storage.objectViewer",
                    "member": AUDITOR,
                    "condition": {
                        "title": "images only",
                        "expression": f"resource.name.startsWith('projects/_/buckets/{IMAGES}/')",
                    },
                },
            ),
            f"holds roles/storage.objectViewer on bucket {IMAGES} (bucket)",
        ),
        id="auditor-reads-images-through-a-scoped-project-grant",
    ),  # IAM-04, part 2: a project grant narrowed to the image bucket by a condition is still the image bucket
    pytest.param(
        Case(
            "gcp-iam-custom-roles-and-federation",
            _custom_role_on_images,
            f"custom role projects/chuv-imaging-lau/roles/socReader held by {AUDITOR} reads objects of another bucket "
            f"than the access-log bucket: group {AUDITOR} has the site role auditor but holds it on bucket {IMAGES}",
            stack=True,
            also=frozenset({"gcp-iam-effective-access-within-intent"}),  # IAM-10: reads images beyond intent
        ),
        id="auditor-custom-read-role-on-the-image-bucket",
    ),  # IAM-04, part 2: a custom "read-only" role looks harmless by its permissions; it is on the image bucket
    pytest.param(
        Case(
            LEAST_PRIVILEGE,
            add_resource(
                PROJECT_MEMBER,
                "soc-reads-every-view",
                {"project": "chuv-imaging-lau", "role": "roles/logging.viewAccessor", "member": AUDITOR},
            ),
            "which do not include roles/logging.viewAccessor on IAMMember",
        ),
        id="auditor-view-accessor-on-the-project",
    ),  # IAM-04, part 2: granted on the project "to save a step", it reads every log bucket's views
    pytest.param(
        Case(
            LEAST_PRIVILEGE,
            on(VIEW_GRANT, set_prop("bucket", value="_Default")),
            "on a view of log bucket projects/chuv-imaging-lau/locations/europe-west6/buckets/_Default (bucket",
        ),
        id="auditor-reads-the-default-log-bucket",
    ),  # IAM-04, part 2: pointed at _Default, which holds every log of the project (Data Access included)
    pytest.param(
        Case(
            LEAST_PRIVILEGE,
            on(VIEW_GRANT, set_prop("name", value=f"{DEFAULT_LOGS}/views/_AllLogs")),
            "on a view of log bucket projects/chuv-imaging-lau/locations/global/buckets/_Default (bucket",
        ),
        id="auditor-view-named-in-full-form-of-another-bucket",
    ),  # IAM-04, part 2: bucket still says lau-security-logs, but the provider takes the view's full name first
    pytest.param(
        Case(
            LEAST_PRIVILEGE,
            on(VIEW_GRANT, set_prop("role", value="roles/logging.admin")),
            "which do not include roles/logging.admin on LogViewIamMember",
        ),
        id="auditor-logging-admin-on-the-view",
    ),  # IAM-04, part 2: an admin role on the view lets the team change who reads the security logs
    pytest.param(
        Case(
            LEAST_PRIVILEGE,
            add_resource(
                VIEW_MEMBER,
                "radiologists-read-security-logs",
                {
                    "parent": "projects/chuv-imaging-lau",
                    "location": "europe-west6",
                    "bucket": "lau-security-logs",
                    "name": "_AllLogs",
                    "role": "roles/logging.viewAccessor",
                    "member": "group:radiologie@chuv.example",
                },
            ),
            "map the group as auditor in the stack's rbac",
        ),
        id="reader-group-reads-the-security-logs",
    ),  # IAM-04, part 2: a reader group given the logs too; the fix proposes auditor, not a wider role
    # --- fix texts propose the narrowest site role -----------------------------------------------------------
    pytest.param(
        Case(
            PEOPLE,
            add_resource(
                BUCKET_MEMBER,
                "cert-reads-access-logs",
                {"bucket": ACCESS_LOGS, "role": "roles/storage.objectViewer", "member": "group:cert@chuv.example"},
            ),
            "to read logs, map the group as auditor in the stack's rbac",
        ),
        id="undeclared-security-group-told-to-be-auditor",
    ),  # IAM-07, part 2: the fix text proposed rbac, whose roles read or write images; now it proposes auditor
    # --- groups of undeclared domains -----------------------------------------------------------------------
    pytest.param(
        Case(
            DOMAINS,
            on("lau-images-group-radiologie@chuv.example", set_prop("member", value="group:radiologie@hug.example")),
            "its domain 'hug.example' is not one the site declares (chuv.example",
            also=frozenset({PEOPLE}),
        ),
        id="reader-of-an-undeclared-domain",
    ),  # IAM-12, part 2: a partner hospital's group of the same name; its directory is not the site's
    pytest.param(
        Case(
            DOMAINS,
            on(VIEW_GRANT, set_prop("member", value="group:soc@mssp-soc.example")),
            "its domain 'mssp-soc.example' is not one the site declares",
            also=frozenset({PEOPLE}),
        ),
        id="outsourced-soc-group-reads-the-security-logs",
    ),  # IAM-12, part 2: an outsourced SOC's own group, managed by people the site never vetted
    pytest.param(
        Case(
            DOMAINS,
            on(
                "lau-viewer-iap-radiologie@chuv.example",
                set_prop("member", value="group:radiologie@chuv.example.attacker.example"),
            ),
            "its domain 'chuv.example.attacker.example' is not one the site declares",
            also=frozenset({PEOPLE}),
        ),
        id="iap-group-of-a-look-alike-domain",
    ),  # IAM-12, part 2: a look-alike domain that ends like the site's is another directory (exact match)
    # --- the domain guard rail ------------------------------------------------------------------------------
    pytest.param(
        Case(DOMAIN_RAIL, remove(RAIL), "org policy iam.allowedPolicyMemberDomains is missing", stack=True),
        id="domain-guard-rail-missing",
    ),  # ORG-11, part 2: removed "because a vendor's support group could not be granted"
    pytest.param(
        Case(
            DOMAIN_RAIL,
            on(RAIL, _rules({"values": {"allowedValues": [CUSTOMER]}}, {"allowAll": "TRUE"})),
            "a rule allows members of any domain",
            stack=True,
        ),
        id="domain-guard-rail-allows-all",
    ),  # ORG-11, part 2: an allowAll rule added beside the right one during an incident and never taken out
    pytest.param(
        Case(
            DOMAIN_RAIL,
            on(RAIL, _rules({"values": {"allowedValues": ["C01gmail0"]}})),
            "values.allowedValues admits C01gmail0, not a customer of the declared group domains",
            stack=True,
        ),
        id="domain-guard-rail-of-another-customer",
    ),  # ORG-11, part 2: a customer id copied from another organisation's template
    pytest.param(
        Case(
            DOMAIN_RAIL,
            on(
                RAIL,
                _rules(
                    {"values": {"allowedValues": [CUSTOMER]}},
                    {
                        "condition": {"expression": "resource.matchTag('1234/env', 'dev')"},
                        "values": {"allowedValues": ["is:C07vendr2"]},
                    },
                ),
            ),
            "values.allowedValues admits C07vendr2",
            stack=True,
        ),
        id="domain-guard-rail-admits-a-vendor-by-condition",
    ),  # ORG-11, part 2: a conditional rule admits the vendor's directory for "dev" resources (tags move)
    pytest.param(
        Case(
            DOMAIN_RAIL,
            on(RAIL, _rules({"values": {"allowedValues": ["C05partnr"]}}, {"values": {"allowedValues": [CUSTOMER]}})),
            "admits C05partnr",
            stack=True,
        ),
        id="domain-guard-rail-adds-a-partner-customer",
    ),  # ORG-11, part 2: a second rule quietly widens the list beyond the declared directory
    pytest.param(
        Case(
            DOMAIN_RAIL,
            add_resource(
                ORG_POLICY_V1,
                "lau-member-domains-merged",
                {
                    "project": "chuv-imaging-lau",
                    "constraint": "iam.allowedPolicyMemberDomains",
                    "listPolicy": {"inheritFromParent": True, "allow": {"values": [CUSTOMER]}},
                },
            ),
            "inheritFromParent is true",
            stack=True,
        ),
        id="domain-guard-rail-merged-with-the-parent",
    ),  # ORG-11, part 2: a v1 policy beside the v2 one merges the folder's list, which may admit any customer
    pytest.param(
        Case(
            DOMAIN_RAIL,
            add_resource(
                ORG_POLICY_V1,
                "lau-member-domains-v1",
                {
                    "project": "chuv-imaging-lau",
                    "constraint": "constraints/iam.allowedPolicyMemberDomains",
                    "listPolicy": {"allow": {"values": [f"is:{CUSTOMER}", "is:C08mssp55"]}},
                },
            ),
            "values.allowedValues admits C08mssp55",
            stack=True,
        ),
        id="domain-guard-rail-widened-by-a-v1-policy",
    ),  # ORG-11, part 2: the older resource type on the same constraint admits the managed SOC's directory
]


@pytest.mark.parametrize("case", CASES)
def test_policy_rejects_mutation(policy_pack, case: Case):
    assert_rejected(policy_pack("lausanne", "update"), case)


# --- legitimate variants ----------------------------------------------------------------------------------

Change = Callable[[list[Resource]], list[Resource]]


def _as_planned(resources: list[Resource]) -> list[Resource]:
    """Lausanne as declared: the auditor holds its two grants, on the log buckets only."""
    return [by_name(resources, ACCESS_LOG_GRANT), by_name(resources, VIEW_GRANT), by_name(resources, RAIL)]


def _view_by_full_name(resources: list[Resource]) -> list[Resource]:
    """The view grant names the view by its full resource name (the form the provider stores)."""
    grant = by_name(resources, VIEW_GRANT)
    set_prop("name", value=f"{SECURITY_LOGS}/views/_AllLogs")(grant)
    return [grant]


def _access_logs_as_binding(resources: list[Resource]) -> list[Resource]:
    """The auditor's bucket grant written as a binding of the role (the group alone)."""
    grant = copy.deepcopy(by_name(resources, ACCESS_LOG_GRANT))
    resources.remove(by_name(resources, ACCESS_LOG_GRANT))
    grant.type, grant.name = BUCKET_BINDING, "lau-access-logs-auditors"
    grant.urn = f"urn:pulumi:lausanne::imaging-landing-zone::{BUCKET_BINDING}::{grant.name}"
    for props in (grant.inputs, grant.outputs):
        props["members"] = [props.pop("member")]
    resources.append(grant)
    return [grant]


def _customer_with_is_prefix(resources: list[Resource]) -> list[Resource]:
    """The guard rail's value in the list-constraint ``is:`` form."""
    rail = by_name(resources, RAIL)
    _rules({"values": {"allowedValues": [f"is:{CUSTOMER}"]}})(rail)
    return [rail]


def _a_second_auditor_grant(resources: list[Resource]) -> list[Resource]:
    """The same auditor group granted the view a second time (a team's own stack adds it again): still its role."""
    grant = add_resource(
        VIEW_MEMBER,
        "soc-night-shift-reads-security-logs",
        {
            "parent": "projects/chuv-imaging-lau",
            "location": "europe-west6",
            "bucket": "lau-security-logs",
            "name": "_AllLogs",
            "role": "roles/logging.viewAccessor",
            "member": AUDITOR,
        },
    )(resources)
    return [grant]


VARIANTS = [
    pytest.param(_as_planned, id="auditor-as-declared"),
    pytest.param(_view_by_full_name, id="auditor-view-grant-by-full-view-name"),
    pytest.param(_access_logs_as_binding, id="auditor-bucket-grant-as-a-binding"),
    pytest.param(_customer_with_is_prefix, id="domain-guard-rail-in-is-form"),
    pytest.param(_a_second_auditor_grant, id="auditor-second-grant-on-the-same-view"),
]


def _assert_no_mandatory_finding(pack, change: Change, mode: str) -> None:
    resources = site_plan("lausanne", mode)
    touched = change(resources)
    found = [d for r in touched for d in pack.analyze(r)] + pack.analyze_stack(resources)
    mandatory = [f"{d.policy} on {d.urn}: {d.message}" for d in found if d.level == "mandatory"]
    assert not mandatory, mandatory


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("change", VARIANTS)
def test_a_legitimate_variant_has_no_mandatory_finding(policy_pack, change, mode):
    _assert_no_mandatory_finding(policy_pack("lausanne", mode), change, mode)


def test_the_auditor_holds_grants_on_the_log_buckets_only():
    """The done-when line: a site declaring ``soc@<its domain>: auditor`` grants it on the log buckets only."""
    held = {
        (r.type, r.inputs.get("bucket"), r.inputs.get("role"))
        for r in site_plan("lausanne", "update")
        if AUDITOR in (r.inputs.get("member"), *(r.inputs.get("members") or []))
    }
    assert held == {
        (BUCKET_MEMBER, ACCESS_LOGS, "roles/storage.objectViewer"),
        (VIEW_MEMBER, "lau-security-logs", "roles/logging.viewAccessor"),
    }


def test_the_domain_guard_rail_skipped_with_a_recorded_reason_is_not_required():
    """ORG-11, part 2: a site whose organisation sets domain restricted sharing higher up records why, and the
    pack then does not require the project's own policy (the other guard rails' skip mechanism)."""
    config = dict(stacks.load("lausanne").config)
    config["imaging-landing-zone:guardRails"] = (
        '{"skip": {"iam.allowedPolicyMemberDomains": '
        '"Set on the CHUV organisation node by the cloud team (ORG-POL-3)."}}'
    )
    resources = site_plan("lausanne", "update")
    resources.remove(by_name(resources, RAIL))
    pack = configured_pack(config, stack="lausanne")
    try:
        assert [d for d in pack.analyze_stack(resources) if d.policy == DOMAIN_RAIL] == []
    finally:
        pack.close()


def test_the_pack_s_copies_of_the_site_s_facts_are_the_components():
    """The pack keeps its own copies (it is published alone): the customer-id rule of its IAM-12 config, and
    the access-log bucket's name (the auditor-as-declared variant above passes through the real pack with
    the components' name)."""
    from imaging_policies import iam
    from imaging_policies._site import SITE_NAMESPACE

    from components import contract, naming
    from program import config

    policy = next(p for p in iam.POLICIES if p.name == DOMAINS)
    assert policy.config_schema.properties["groupDomains"]["additionalProperties"]["pattern"] == (
        contract.CUSTOMER_ID_PATTERN
    )
    assert naming.bucket_name("chuv-imaging-lau", "lau", "access-logs") == ACCESS_LOGS
    assert SITE_NAMESPACE == config.NAMESPACE
