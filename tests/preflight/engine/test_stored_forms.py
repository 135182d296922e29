"""The model of stored state against its table of provider rules, and the pack on the stored form.

``update`` mode gives every output in the form terraform-provider-google-beta stores it. The table
(``preflight.engine.gcp_model.STORED_FORMS``) names the provider source of each rule; these tests hold the
model to it for every type the example sites use, and run the pack's stack policies on the stored
form: the org-policy regression (the provider stores a v2 org policy's ``name`` as the short
constraint name) and the other org-policy forms (v1, project number). Every mutation suite runs on the
stored form too: it is the ``update`` mode they default to (ADR 0029).
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from preflight.engine.gcp_model import STORED_FORMS, project_number
from preflight.engine.runner import UNKNOWN, Resource, capture
from tests.conftest import SITES, by_name, site_plan
from tests.policies.mutation import Case, add_resource, on, remove, set_prop

V1 = "gcp:projects/organizationPolicy:OrganizationPolicy"
LAU_PROJECT = "chuv-imaging-lau"


def _at(props: dict[str, Any], path: str) -> tuple[bool, Any]:
    node: Any = props
    for step in path.split("."):
        if isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        elif isinstance(node, dict) and step in node:
            node = node[step]
        else:
            return False, None
    return True, node


_samples: list[Resource] = []


def _sample_plan() -> list[Resource]:
    """Resources of types or forms no example site has, in the stored form: a v1 org policy (the guard
    rails recognise it), a Cloud Run service that leaves ``ingress`` to the API."""
    if not _samples:
        import pulumi_gcp as gcp

        def program() -> None:
            gcp.projects.OrganizationPolicy(
                "v1-sample",
                project=LAU_PROJECT,
                constraint="iam.disableServiceAccountKeyCreation",
                boolean_policy={"enforced": True},
            )
            gcp.cloudrunv2.Service(
                "run-sample",
                project=LAU_PROJECT,
                location="europe-west6",
                template={"containers": [{"image": "europe-west6-docker.pkg.dev/p/r/i@sha256:0"}]},
            )

        _samples.extend(capture(program, project="imaging-landing-zone", stack="samples", mode="update"))
    return copy.deepcopy(_samples)


def test_an_ingress_left_to_the_api_is_stored_as_the_api_serves_it():
    """The provider takes a Cloud Run service's ``ingress`` from the API when the program sets none; the API
    then serves traffic from everywhere, and a stack policy reading the stored form must see that."""
    run = next(r for r in _sample_plan() if r.name == "run-sample")
    assert "ingress" not in run.inputs
    assert run.outputs["ingress"] == "INGRESS_TRAFFIC_ALL"


def test_a_v1_org_policy_is_stored_with_the_api_constraint():
    v1 = next(r for r in _sample_plan() if r.name == "v1-sample")
    assert v1.inputs["constraint"] == "iam.disableServiceAccountKeyCreation"
    assert v1.outputs["constraint"] == "constraints/iam.disableServiceAccountKeyCreation"
    assert v1.id == f"{LAU_PROJECT}:iam.disableServiceAccountKeyCreation"


def _site_types() -> set[str]:
    return {r.type for site in SITES for r in site_plan(site, "update") if r.custom}


def test_the_table_covers_every_type_the_example_sites_use():
    assert _site_types() <= {row.type for row in STORED_FORMS}
    assert all(row.source and ".go" in row.source for row in STORED_FORMS)


@pytest.mark.parametrize("row", STORED_FORMS, ids=lambda row: f"{row.type.rsplit(':', 1)[-1]}.{row.field}")
def test_the_model_stores_each_type_as_the_provider_does(row):
    resources = [r for site in SITES for r in site_plan(site, "update") if r.type == row.type]
    resources += [r for r in _sample_plan() if r.type == row.type]
    assert resources, f"no example site uses {row.type}; drop the row or add a site that uses it"
    seen = 0
    for r in resources:
        props = {**r.outputs, "id": r.id}
        present, value = _at(props, row.field)
        if row.pattern is None:
            assert not present, f"{r.name}: {row.field} should be absent ({row.source})"
            continue
        if not present and row.optional:
            continue  # an optional reference this resource does not set
        assert present, f"{r.name}: {row.field} missing ({row.source})"
        assert re.fullmatch(row.pattern, str(value)), f"{r.name}: {row.field}={value!r} ({row.source})"
        seen += 1
    assert seen or row.pattern is None, f"no example resource exercises {row.type} {row.field}"


def test_org_policies_are_stored_by_their_short_name():
    stored = site_plan("lausanne", "update")
    policy = by_name(stored, "lau-project-gcp.resourceLocations")
    assert policy.inputs["name"] == f"projects/{LAU_PROJECT}/policies/gcp.resourceLocations"
    assert policy.outputs["name"] == "gcp.resourceLocations"


def _stack_findings(pack, resources: list[Resource], prefix: str = "") -> list[tuple[str, str]]:
    found = pack.analyze_stack(resources)
    return sorted((d.policy, d.urn.split("::")[-1]) for d in found if d.policy.startswith(prefix))


GUARD_RAILS = "gcp-orgpolicy-"
"""The guard-rail policies' prefix: the v1 tests judge only them (whether the v1 type is also allowed
in a site stack is the closed world's decision, not the guard rails')."""


@pytest.mark.parametrize("site", SITES)
def test_the_stored_form_of_every_guard_rail_passes(policy_pack, site):
    """The regression: with the outputs the provider returns, every ORG control reported "missing"."""
    stored = site_plan(site, "update")
    assert [r for r in stored if r.type == "gcp:orgpolicy/policy:Policy" and "/" not in r.outputs["name"]]
    assert _stack_findings(policy_pack(site, "update"), stored) == []


STORED_MUTATIONS = [
    pytest.param(
        Case(
            "gcp-orgpolicy-disable-sa-key-creation",
            on(
                "lau-project-iam.disableServiceAccountKeyCreation",
                set_prop("spec", "rules", 0, "enforce", value="FALSE"),
            ),
            "a rule has enforce 'FALSE'",
            stack=True,
        ),
        id="stored-enforce-false",
    ),
    pytest.param(
        Case(
            "gcp-orgpolicy-storage-public-access-prevention",
            on("lau-project-storage.publicAccessPrevention", set_prop("spec", "rules", 0, "enforce", value="")),
            "no unconditional rule has enforce 'TRUE'",
            stack=True,
        ),
        id="stored-enforce-unset",
    ),
    pytest.param(
        Case(
            "gcp-orgpolicy-resource-locations",
            on(
                "lau-project-gcp.resourceLocations",
                set_prop("spec", "rules", 0, "values", "allowedValues", value=["in:europe-locations"]),
            ),
            "admits in:europe-locations, outside the site region europe-west6",
            stack=True,
        ),
        id="stored-locations-whole-continent",
    ),
    pytest.param(
        Case(
            "gcp-orgpolicy-restrict-cmek-key-projects",
            on(
                "lau-project-gcp.restrictCmekCryptoKeyProjects",
                set_prop("spec", "rules", 0, "values", "allowedValues", value=["under:projects/someone-elses-keys"]),
            ),
            "must name the projects that hold the site's keys",
            stack=True,
        ),
        id="stored-key-project-of-another-project",
    ),
    pytest.param(
        Case(
            "gcp-orgpolicy-restrict-tls-version",
            on(
                "lau-project-gcp.restrictTLSVersion",
                set_prop("spec", "rules", 0, "condition", value={"expression": "resource.matchTag('env', 'prod')"}),
            ),
            "values.deniedValues lacks TLS_VERSION_1, TLS_VERSION_1_1",
            stack=True,
        ),
        id="stored-tls-denied-only-under-a-condition",
    ),
    pytest.param(
        Case(
            "gcp-orgpolicy-resource-locations",
            on("lau-project-gcp.resourceLocations", set_prop("parent", value="projects/another-project")),
            "is missing on the project chuv-imaging-lau (it is set on projects/another-project",
            stack=True,
        ),
        id="stored-short-name-on-another-project",
    ),
]


STORED_MUTATIONS.append(
    pytest.param(
        Case(
            "gcp-orgpolicy-resource-locations",
            on("lau-project-gcp.resourceLocations", set_prop("spec", "inheritFromParent", value=True)),
            "inheritFromParent is true",
            stack=True,
        ),
        id="stored-locations-inherit-the-parents",
    )
)


def _assert_stack_rejects(pack, resources: list[Resource], case: Case) -> None:
    """As ``tests.policies.mutation.assert_rejected``, on the resources given (any mode)."""
    target = case.mutate(resources)
    found = pack.analyze_stack(resources) if case.stack else pack.analyze(target)
    mine = [d for d in found if d.policy == case.policy]
    assert mine, f"{case.policy} did not fire; found {[(d.policy, d.message) for d in found]}"
    assert all(d.level == "mandatory" for d in mine)
    assert any(case.expected in d.message for d in mine), [d.message for d in mine]
    assert {d.policy for d in found} == {case.policy, *case.also}


@pytest.mark.parametrize("case", STORED_MUTATIONS)
def test_a_weakened_guard_rail_in_the_stored_form_is_caught(policy_pack, case):
    """A real user hits these by editing the policy in the console or a later program change: the
    stack policy sees the stored form then."""
    _assert_stack_rejects(policy_pack("lausanne", "update"), site_plan("lausanne", "update"), case)


def _v1_policy(constraint: str, **spec: object) -> Any:
    return add_resource(V1, f"v1-{constraint}", {"project": LAU_PROJECT, "constraint": constraint, **spec})


def _replace(name: str, mutation: Any) -> Any:
    def mutate(resources: list[Resource]) -> Resource:
        remove(name)(resources)
        return mutation(resources)

    return mutate


def test_a_v1_org_policy_holds_the_guard_rail(policy_pack):
    """A team that manages org policies with the older resource (gcp.projects.OrganizationPolicy)."""
    resources = site_plan("lausanne", "update")
    _replace(
        "lau-project-iam.disableServiceAccountKeyUpload",
        _v1_policy("constraints/iam.disableServiceAccountKeyUpload", booleanPolicy={"enforced": True}),
    )(resources)
    _replace(
        "lau-project-gcp.resourceLocations",
        _v1_policy("gcp.resourceLocations", listPolicy={"allow": {"values": ["in:europe-west6-locations"]}}),
    )(resources)
    assert _stack_findings(policy_pack("lausanne", "update"), resources, GUARD_RAILS) == []


@pytest.mark.parametrize(
    ("mutation", "policy", "expected"),
    [
        pytest.param(
            _v1_policy("constraints/iam.disableServiceAccountKeyUpload", booleanPolicy={"enforced": False}),
            "gcp-orgpolicy-disable-sa-key-upload",
            "a rule has enforce 'FALSE'",
            id="v1-not-enforced",
        ),
        pytest.param(
            _v1_policy("constraints/iam.disableServiceAccountKeyUpload", restorePolicy={"default": True}),
            "gcp-orgpolicy-disable-sa-key-upload",
            "resets to Google's default",
            id="v1-restores-default",
        ),
    ],
)
def test_a_weak_v1_org_policy_is_caught(policy_pack, mutation, policy, expected):
    resources = site_plan("lausanne", "update")
    _replace("lau-project-iam.disableServiceAccountKeyUpload", mutation)(resources)
    found = [d for d in policy_pack("lausanne", "update").analyze_stack(resources) if d.policy == policy]
    assert any(expected in d.message for d in found), [d.message for d in found]


def test_a_v1_list_policy_allowing_everything_is_caught(policy_pack):
    resources = site_plan("lausanne", "update")
    _replace(
        "lau-project-gcp.resourceLocations", _v1_policy("gcp.resourceLocations", listPolicy={"allow": {"all": True}})
    )(resources)
    found = policy_pack("lausanne", "update").analyze_stack(resources)
    assert [d.message for d in found if d.policy == "gcp-orgpolicy-resource-locations"]


def test_narrower_locations_than_the_region_group_pass(policy_pack):
    """A site that pins resources to its region or to zones of it (legitimate: narrower than required)."""
    resources = site_plan("lausanne", "update")
    values = ["europe-west6", "europe-west6-a", "in:europe-west6-locations"]
    on("lau-project-gcp.resourceLocations", set_prop("spec", "rules", 0, "values", "allowedValues", value=values))(
        resources
    )
    assert _stack_findings(policy_pack("lausanne", "update"), resources) == []


def test_the_project_number_names_the_site_project(policy_pack):
    """The API returns (and a team may write) ``projects/<number>``; the bucket's stored projectNumber ties it."""
    resources = site_plan("lausanne", "update")
    number = project_number(LAU_PROJECT)
    by_name(resources, "lau-project-gcp.resourceLocations").outputs["parent"] = f"projects/{number}"
    assert _stack_findings(policy_pack("lausanne", "update"), resources) == []
    by_name(resources, "lau-project-gcp.resourceLocations").outputs["parent"] = "projects/123456789012"
    found = policy_pack("lausanne", "update").analyze_stack(resources)
    assert [d.policy for d in found] == ["gcp-orgpolicy-resource-locations"]
    assert "set on projects/123456789012, not the site project" in found[0].message


def test_an_unknown_name_is_not_judged_against_every_constraint(policy_pack):
    """A first preview of an org policy whose name is computed: it is judged at update, and the
    other guard rails give no false findings because of it."""
    resources = site_plan("lausanne", "preview")
    remove("lau-project-gcp.resourceLocations")(resources)
    add_resource(
        "gcp:orgpolicy/policy:Policy",
        "computed-policy",
        {"name": UNKNOWN, "parent": f"projects/{LAU_PROJECT}", "spec": {"rules": [{"denyAll": "TRUE"}]}},
    )(resources)
    found = policy_pack("lausanne", "preview").analyze_stack(resources)
    assert [(d.policy, d.skipped_in_preview) for d in found] == [("gcp-orgpolicy-resource-locations", True)]
