"""The service perimeter (NET-10 to NET-15) against the Lausanne site's real plan, through the real pack
process: one named mutation per case is rejected with a message naming the property and the fix (see
``mutation.py``), and legitimate variants (a dry run with its dated reason, an extra restricted service, a
narrower access level, a rule declared as its own resource) have no mandatory finding.

Lausanne's perimeter is enforced; its status holds the site project by number, the required services, two
access levels (PACS and hospital ranges) and two ingress rules (the PACS uploader, the SIEM subscriber)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest

from preflight.engine import stacks
from preflight.engine.gcp_model import project_number
from preflight.engine.runner import Resource
from tests.packs import configured_pack
from tests.plans import site_plan
from tests.policies.mutation import Case, add_resource, assert_rejected, changes, on, remove, set_prop
from tests.sites import by_name

CONTROLS = ("IAM-08", "NET-10", "NET-11", "NET-12", "NET-13", "NET-14", "NET-15")

PERIMETER = "lau-perimeter"
HOSPITAL_LEVEL = "lau-perimeter-hospital"
POLICY = "accessPolicies/802734169215"
SITE = f"projects/{project_number('chuv-imaging-lau')}"
SIEM_PROJECT = "projects/229846704756"
IN_PERIMETER = "gcp-accesscontextmanager-site-in-enforced-perimeter"
SERVICES = "gcp-accesscontextmanager-perimeter-restricts-services"
INGRESS = "gcp-accesscontextmanager-ingress-names-identity-source-resource"
EGRESS = "gcp-accesscontextmanager-egress-to-declared-siem-only"
LEVELS = "gcp-accesscontextmanager-access-levels-declared-ranges"
NO_BRIDGE = "gcp-accesscontextmanager-no-perimeter-bridge"
PACS_RULE = ("status", "ingressPolicies", 0)


def _status(r: Resource) -> dict:
    return r.inputs["status"]


def _to_dry_run(r: Resource) -> None:
    """The enforced configuration moved to the explicit dry-run one: what enforced: false deploys."""
    for props in (r.inputs, r.outputs):
        props["spec"] = props.pop("status")
        props["useExplicitDryRunSpec"] = True


def _without_service(service: str) -> Callable[[Resource], None]:
    def change(r: Resource) -> None:
        for props in (r.inputs, r.outputs):
            props["status"]["restrictedServices"] = [s for s in props["status"]["restrictedServices"] if s != service]

    return change


def _egress_rule(**rule: object) -> Callable[[Resource], None]:
    return set_prop("status", "egressPolicies", value=[rule])


EGRESS_TO = {"operations": [{"serviceName": "storage.googleapis.com", "methodSelectors": [{"method": "*"}]}]}

CASES = [
    pytest.param(
        # NET-10, part 2: a careless engineer drops the perimeter while "simplifying" the site, or an insider
        # deletes it to copy images from home; the plan without it is a mandatory finding.
        Case(IN_PERIMETER, remove(PERIMETER), "is in no regular service perimeter", stack=True),
        id="no-perimeter",
    ),
    pytest.param(
        # NET-11, part 2: Cloud Storage left out of restrictedServices "because the PACS upload broke": the images
        # answer from anywhere again while the perimeter looks in place.
        Case(
            SERVICES,
            on(PERIMETER, _without_service("storage.googleapis.com")),
            "lacks storage.googleapis.com",
            stack=True,
        ),
        id="storage-not-restricted",
    ),
    pytest.param(
        # NET-11, part 2: VPC-accessible services switched off to let a job reach an unrestricted API: the VPC can
        # then copy data out through any Google API.
        Case(
            SERVICES,
            on(PERIMETER, set_prop("status", "vpcAccessibleServices", "enableRestriction", value=False)),
            "vpcAccessibleServices.enableRestriction",
            stack=True,
        ),
        id="vpc-reaches-unrestricted-apis",
    ),
    pytest.param(
        # NET-10, part 2: the perimeter switched to dry run to "unblock" a pipeline, while the site config still
        # declares it enforced and records no reason: it silently denies nothing.
        Case(IN_PERIMETER, on(PERIMETER, _to_dry_run), "only in the dry-run configuration (spec)", stack=True),
        id="dry-run-without-reason",
    ),
    pytest.param(
        # NET-12, part 2: the PACS rule opened to every identity when a new gateway's account was not known yet.
        Case(
            INGRESS,
            on(PERIMETER, set_prop(*PACS_RULE, "ingressFrom", "identityType", value="ANY_IDENTITY")),
            "identityType is ANY_IDENTITY",
        ),
        id="ingress-any-identity",
    ),
    pytest.param(
        # NET-12, part 2: the PACS rule's source widened to any access level to let uploads from a new site through.
        Case(
            INGRESS,
            on(PERIMETER, set_prop(*PACS_RULE, "ingressFrom", "sources", value=[{"accessLevel": "*"}])),
            "accessLevel '*'",
        ),
        id="ingress-any-source",
    ),
    pytest.param(
        # NET-12, part 2: an insider's ingress rule for their own account, from the PACS's range.
        Case(
            INGRESS,
            on(PERIMETER, set_prop(*PACS_RULE, "ingressFrom", "identities", value=["user:contractor@gmail.example"])),
            "admits user:contractor@gmail.example, neither the PACS uploader nor the SIEM subscriber",
        ),
        id="ingress-undeclared-identity",
    ),
    pytest.param(
        # NET-12, part 2: the SIEM rule's target widened to every project ("the collector moves around").
        Case(
            INGRESS,
            on(PERIMETER, set_prop("status", "ingressPolicies", 1, "ingressTo", "resources", value=["*"])),
            "ingressTo.resources has '*'",
        ),
        id="ingress-any-resource",
    ),
    pytest.param(
        # NET-12, part 2: the same wildcard rule declared as a separate ingress-policy resource, which a careless
        # engineer copies from a blog post.
        Case(
            INGRESS,
            add_resource(
                "gcp:accesscontextmanager/servicePerimeterIngressPolicy:ServicePerimeterIngressPolicy",
                "lau-any-ingress",
                {
                    "perimeter": f"{POLICY}/servicePerimeters/lau_imaging",
                    "ingressFrom": {"identityType": "ANY_IDENTITY", "sources": [{"accessLevel": "*"}]},
                    "ingressTo": {"resources": ["*"], "operations": [{"serviceName": "*"}]},
                },
            ),
            "serviceName '*'",
        ),
        id="ingress-rule-resource-wildcards",
    ),
    pytest.param(
        # NET-13, part 2: an egress rule for any identity to the SIEM project "to make exports work".
        Case(
            EGRESS,
            on(
                PERIMETER,
                _egress_rule(
                    egressFrom={"identityType": "ANY_IDENTITY"}, egressTo={**EGRESS_TO, "resources": [SIEM_PROJECT]}
                ),
            ),
            "egressFrom.identityType is ANY_IDENTITY",
        ),
        id="egress-any-identity",
    ),
    pytest.param(
        # NET-13, part 2: an egress rule to every project: an insider's path to copy images to their own bucket.
        Case(
            EGRESS,
            on(
                PERIMETER,
                _egress_rule(
                    egressFrom={"identities": ["serviceAccount:lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com"]},
                    egressTo={**EGRESS_TO, "resources": ["*"]},
                ),
            ),
            "egressTo.resources has '*'",
        ),
        id="egress-any-resource",
    ),
    pytest.param(
        # NET-13, part 2: an egress rule to a research project the site config does not declare.
        Case(
            EGRESS,
            on(
                PERIMETER,
                _egress_rule(
                    egressFrom={"identities": ["serviceAccount:lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com"]},
                    egressTo={**EGRESS_TO, "resources": ["projects/123456789012"]},
                ),
            ),
            "reaches projects/123456789012, not the SIEM project",
        ),
        id="egress-to-undeclared-project",
    ),
    pytest.param(
        # NET-13, part 2: egress to an S3 bucket (externalResources): images leave Google Cloud.
        Case(
            EGRESS,
            on(
                PERIMETER,
                _egress_rule(
                    egressFrom={"identities": ["serviceAccount:lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com"]},
                    egressTo={**EGRESS_TO, "externalResources": ["s3://exfil-bucket"]},
                ),
            ),
            "externalResources names storage outside Google Cloud",
        ),
        id="egress-external-resources",
    ),
    pytest.param(
        # NET-14, part 2: the hospital level widened to a /16 "to cover the new wing": addresses the site never
        # declared now count as inside.
        Case(
            LEVELS,
            on(HOSPITAL_LEVEL, set_prop("basic", "conditions", 0, "ipSubnetworks", value=["198.51.0.0/16"])),
            "admits 198.51.0.0/16, outside the ranges",
            stack=True,
        ),
        id="access-level-wider-than-declared",
    ),
    pytest.param(
        # NET-14, part 2: a person added to an access level's members: admitted from any address.
        Case(
            LEVELS,
            on(HOSPITAL_LEVEL, set_prop("basic", "conditions", 0, "members", value=["user:radiologist@chuv.example"])),
            "members admits those identities from any address",
            stack=True,
        ),
        id="access-level-members",
    ),
    pytest.param(
        # NET-14, part 2: a negated level admits everything outside the hospital's ranges.
        Case(
            LEVELS,
            on(HOSPITAL_LEVEL, set_prop("basic", "conditions", 0, "negate", value=True)),
            "negate is true",
            stack=True,
        ),
        id="access-level-negated",
    ),
    pytest.param(
        # NET-14, part 2: the perimeter admits an access level of another team that the pack cannot see.
        Case(
            LEVELS,
            on(PERIMETER, set_prop("status", "accessLevels", value=[f"{POLICY}/accessLevels/corp_anywhere"])),
            "an access level the stack does not declare",
            stack=True,
        ),
        id="perimeter-admits-undeclared-level",
    ),
    pytest.param(
        # NET-15, part 2: a bridge between the site and a research project "to share de-identified data".
        Case(
            NO_BRIDGE,
            add_resource(
                "gcp:accesscontextmanager/servicePerimeter:ServicePerimeter",
                "lau-research-bridge",
                {
                    "parent": POLICY,
                    "title": "lau-research",
                    "perimeterType": "PERIMETER_TYPE_BRIDGE",
                    "status": {"resources": [SITE, "projects/123456789012"]},
                },
            ),
            "perimeterType is PERIMETER_TYPE_BRIDGE",
        ),
        id="perimeter-bridge",
    ),
    pytest.param(
        # IAM-08 (closed world), part 2: the plural resource replaces every perimeter of the organisation's
        # policy, other sites' included; refused whatever the config says.
        Case(
            "gcp-project-services-needed-only",
            add_resource(
                "gcp:accesscontextmanager/servicePerimeters:ServicePerimeters",
                "lau-all-perimeters",
                {"parent": POLICY, "servicePerimeters": []},
            ),
            "replaces every perimeter of the organisation's access policy",
        ),
        id="all-perimeters-of-the-policy",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_a_perimeter_mutation_is_rejected(policy_pack, case):
    assert_rejected(policy_pack("lausanne", "update"), case)


def test_removing_the_perimeter_is_a_mandatory_finding_in_a_first_preview(policy_pack):
    """NET-10 in a fresh site's first preview: no perimeter needs no project number to be judged."""
    assert_rejected(policy_pack("lausanne", "preview"), CASES[0].values[0], mode="preview")


def _lausanne_config(**perimeter: object) -> dict[str, str]:
    config = dict(stacks.load("lausanne").config)
    declared = json.loads(config["imaging-landing-zone:perimeter"])
    declared.update(perimeter)
    config["imaging-landing-zone:perimeter"] = json.dumps({k: v for k, v in declared.items() if v is not None})
    return config


def _stack_findings(config: dict[str, str], change: Callable[[Resource], None] | None = None) -> list:
    resources = site_plan("lausanne", "update")
    if change is not None:
        change(by_name(resources, PERIMETER))
    pack = configured_pack(config, stack="lausanne")
    try:
        return pack.analyze_stack(resources)
    finally:
        pack.close()


@pytest.mark.parametrize(
    ("perimeter", "expected"),
    [
        pytest.param(
            # NET-10, part 2: the site config says dry run but gives no reason and no date.
            {"enforced": False, "dryRun": None},
            "records no dry-run reason and end date",
            id="dry-run-declared-without-reason",
        ),
        pytest.param(
            # NET-10, part 2: a dry run whose end date passed: "temporary" became permanent.
            {
                "enforced": False,
                "dryRun": {"reason": "Reading the nightly re-indexing job's violations.", "until": "2020-01-31"},
            },
            "dry run ended on 2020-01-31",
            id="dry-run-past-its-date",
        ),
    ],
)
def test_a_dry_run_needs_a_current_dated_reason(perimeter, expected):
    found = _stack_findings(_lausanne_config(**perimeter), _to_dry_run)
    mine = [d for d in found if d.policy == IN_PERIMETER]
    assert [d.level for d in mine] == ["mandatory"], [(d.policy, d.message) for d in found]
    assert expected in mine[0].message
    assert {d.policy for d in found if d.level == "mandatory"} == {IN_PERIMETER}


# --- legitimate variants -------------------------------------------------------------------------------


def test_a_dry_run_with_a_dated_reason_has_no_mandatory_finding():
    """Part 1 and 5: a migrating site deploys the perimeter in dry run, with the reason and end date recorded."""
    config = _lausanne_config(
        enforced=False, dryRun={"reason": "Reading the nightly re-indexing job's violations.", "until": "2999-12-31"}
    )
    found = _stack_findings(config, _to_dry_run)
    assert not [f"{d.policy}: {d.message}" for d in found if d.level == "mandatory"]


def _legitimate(pack, mutate: Callable[[list[Resource]], list[Resource]]) -> None:
    resources = site_plan("lausanne", "update")
    touched = mutate(resources)
    found = [d for r in touched for d in pack.analyze(r)] + pack.analyze_stack(resources)
    assert not [f"{d.policy} on {d.urn}: {d.message}" for d in found if d.level == "mandatory"]


def _narrower_level(resources: list[Resource]) -> list[Resource]:
    """A workstation subnet of the hospital range, only from managed devices: narrower than declared."""
    r = by_name(resources, HOSPITAL_LEVEL)
    condition = {
        "ipSubnetworks": ["198.51.100.0/26"],
        "devicePolicy": {"requireCorpOwned": True},
        "regions": ["CH"],
    }
    for props in (r.inputs, r.outputs):
        props["basic"] = {"conditions": [condition]}
    return [r]


def _pacs_rule_as_resource(resources: list[Resource]) -> list[Resource]:
    """The PACS rule declared as a separate ingress-policy resource instead of inside status."""
    perimeter = by_name(resources, PERIMETER)
    rule = copy.deepcopy(_status(perimeter)["ingressPolicies"][0])
    added = add_resource(
        "gcp:accesscontextmanager/servicePerimeterIngressPolicy:ServicePerimeterIngressPolicy",
        "lau-pacs-ingress",
        {"perimeter": f"{POLICY}/servicePerimeters/lau_imaging", **rule},
    )(resources)
    return [added, perimeter]


def _site_project_added_by_resource(resources: list[Resource]) -> list[Resource]:
    """The site project added to the perimeter by a membership resource, not in status.resources."""
    perimeter = by_name(resources, PERIMETER)
    set_prop("status", "resources", value=[])(perimeter)
    added = add_resource(
        "gcp:accesscontextmanager/servicePerimeterResource:ServicePerimeterResource",
        "lau-perimeter-project",
        {"perimeterName": f"{POLICY}/servicePerimeters/lau_imaging", "resource": SITE},
    )(resources)
    for props in (perimeter.inputs, perimeter.outputs):
        props["name"] = f"{POLICY}/servicePerimeters/lau_imaging"
    return [added, perimeter]


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(_narrower_level, id="narrower-access-level-with-device-policy"),
        pytest.param(_pacs_rule_as_resource, id="pacs-rule-as-its-own-resource"),
        pytest.param(_site_project_added_by_resource, id="site-project-added-by-membership-resource"),
        pytest.param(
            lambda rs: [
                on(
                    PERIMETER,
                    changes(
                        set_prop(
                            "status",
                            "restrictedServices",
                            value=[*_status(by_name(rs, PERIMETER))["restrictedServices"], "bigquery.googleapis.com"],
                        )
                    ),
                )(rs)
            ],
            id="extra-restricted-service",
        ),
    ],
)
def test_a_legitimate_perimeter_variant_has_no_mandatory_finding(policy_pack, mutate):
    _legitimate(policy_pack("lausanne", "update"), mutate)
