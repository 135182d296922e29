"""The model of stored state against its table of provider rules, and the pack on the stored form.

``update`` mode gives every output in the form terraform-provider-google-beta stores it. The table
(``preflight.engine.stored_form_table.STORED_FORMS``) names the provider source of each rule; these tests hold
that every type the pack judges has rows (every IAM grant type by its family), that rows name only
properties of the pinned schema, the model to every row (hand rows on the example sites and a sample
program, generated rows on a sample per type), and run the pack's stack policies on the stored form:
the org-policy regression (the provider stores a v2 org policy's ``name`` as the short constraint
name), the other org-policy forms (v1, project number), and identical verdicts for the planned and the
stored form on both sites and on every stack mutation of the suites.
"""

from __future__ import annotations

import copy
import importlib
import re
from typing import Any

import pytest
from imaging_policies import REGISTRY, tokens

from preflight.engine import gcp_schema
from preflight.engine.gcp_model import COMPUTED, project_number
from preflight.engine.runner import UNKNOWN, Resource, capture
from preflight.engine.stored_families import generated_rule, grant_kind, grant_rule, source
from preflight.engine.stored_form_table import HAND_ROWS, STORED_FORMS, StoredForm
from preflight.engine.stored_forms import stored_rule
from tests.paths import TESTS
from tests.plans import site_plan
from tests.policies.mutation import Case, add_resource, on, remove, set_prop
from tests.sites import SITES, by_name

CONTROLS = ("ENC-10", "ORG-01", "ORG-02", "ORG-04", "ORG-10")
"""The controls this module holds (the catalogue's "tests" line is read from it)."""


V1 = "gcp:projects/organizationPolicy:OrganizationPolicy"
LAU_PROJECT = "chuv-imaging-lau"


def _at(props: dict[str, Any], path: str) -> tuple[bool, Any]:
    """The value at a dotted ``path`` (``\\.`` is a dot inside a key, as in an annotation's name)."""
    node: Any = props
    for step in (part.replace("\\.", ".") for part in re.split(r"(?<!\\)\.", path)):
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
    rails recognise it), Cloud Run services that leave ingress to the API, and one resource of each
    judged type whose stored form a hand rule gives."""
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
            gcp.cloudrun.Service(
                "run-v1-sample",
                project=LAU_PROJECT,
                location="europe-west6",
                template={"spec": {"containers": [{"image": "europe-west6-docker.pkg.dev/p/r/i@sha256:0"}]}},
            )
            for owner, kind in (("folder", "folders/1234"), ("org_id", "5678"), ("billing_account", "01-02-03")):
                key = owner.replace("_id", "").replace("_account", "Account")
                sink = {"folder": gcp.logging.FolderSink, "org": gcp.logging.OrganizationSink}.get(
                    key, gcp.logging.BillingAccountSink
                )
                sink(f"{key}-sink", name=f"{key}-sink", destination="pubsub.googleapis.com/x", **{owner: kind})
                exclusion = {"folder": gcp.logging.FolderExclusion, "org": gcp.logging.OrganizationExclusion}.get(
                    key, gcp.logging.BillingAccountExclusion
                )
                exclusion(f"{key}-exclusion", name=f"{key}-exclusion", filter="severity<ERROR", **{owner: kind})
                bucket = {"folder": gcp.logging.FolderBucketConfig, "org": gcp.logging.OrganizationBucketConfig}.get(
                    key, gcp.logging.BillingAccountBucketConfig
                )
                owner_key = "organization" if owner == "org_id" else owner
                bucket(f"{key}-bucket", bucket_id="_Default", location="global", **{owner_key: kind})
            gcp.logging.ProjectExclusion("project-exclusion", project=LAU_PROJECT, filter="severity<ERROR")
            gcp.folder.IamAuditConfig(
                "folder-audit",
                folder="folders/1234",
                service="allServices",
                audit_log_configs=[{"log_type": "DATA_READ"}],
            )
            gcp.organizations.IamAuditConfig(
                "org-audit", org_id="5678", service="allServices", audit_log_configs=[{"log_type": "DATA_READ"}]
            )
            gcp.projects.IAMCustomRole(
                "role-sample",
                project=LAU_PROJECT,
                role_id="imageReader",
                title="t",
                permissions=["storage.objects.get"],
            )
            gcp.serviceaccount.Key(
                "key-sample",
                service_account_id=f"projects/{LAU_PROJECT}/serviceAccounts/a@{LAU_PROJECT}.iam.gserviceaccount.com",
            )
            gcp.compute.NetworkPeering(
                "peering-sample",
                network=f"projects/{LAU_PROJECT}/global/networks/vpc",
                peer_network="projects/other/global/networks/vpc",
            )
            gcp.storage.BucketACL("bucket-acl-sample", bucket="lau-images")
            gcp.storage.ObjectACL("object-acl-sample", bucket="lau-images", object="study.dcm")
            gcp.storage.DefaultObjectACL("default-acl-sample", bucket="lau-images")
            gcp.monitoring.Snooze(
                "snooze-sample",
                project=LAU_PROJECT,
                display_name="s",
                interval={"end_time": "2027-01-01T00:00:00Z"},
                criteria={"policies": [f"projects/{LAU_PROJECT}/alertPolicies/1"]},
            )
            gcp.organizations.Project("project-sample", project_id="lau-sample-project", name="sample")

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
    assert all(row.source and (".go" in row.source or "SDK" in row.source) for row in STORED_FORMS)


def test_every_judged_type_has_a_row():
    """Every type some policy judges: its id as the provider builds it, or another stored rule."""
    rows = {row.type for row in STORED_FORMS}
    judged = set(REGISTRY.judged_tokens())
    assert sorted(judged - rows) == []
    assert all(stored_rule(token) is not None for token in judged)


@pytest.mark.parametrize("token", sorted(tokens.IAM_GRANTS))
def test_every_iam_grant_type_is_stored_by_its_family(token):
    """474 grant types, a handful of families: the id the family builds, the policy's etag, and the
    parent field the updater writes back, stated for each type."""
    fields = {row.field for row in STORED_FORMS if row.type == token}
    assert {"id", "etag"} <= fields
    entry = source()["iam"][token]
    assert {field for field, origin in entry["writes"].items() if origin == "id"} <= fields
    assert grant_kind(token) in {"member", "binding", "policy"}


@pytest.mark.parametrize("row", STORED_FORMS, ids=lambda row: f"{row.type.split(':')[1]}.{row.field}")
def test_rows_name_only_properties_of_the_pinned_schema(row):
    outputs = gcp_schema.output_types(row.type)
    assert outputs, f"{row.type} is not a type of the pinned schema"
    head = re.split(r"(?<!\\)\.", row.field)[0]
    if row.pattern is None:  # a field the provider's name has and pulumi-gcp renames: absent by design
        assert head not in outputs
    else:
        assert head == "id" or head in outputs, f"{row.field} is not an output of {row.type}"


def _holds(row: StoredForm, r: Resource) -> bool | None:
    """Whether ``r`` holds ``row`` (None: the row does not apply to it)."""
    if row.when_unset and _at(r.inputs, row.field)[0]:
        return None
    present, value = _at({**r.outputs, "id": r.id}, row.field)
    if row.pattern is None:
        return not present
    if not present and row.optional:
        return None
    return present and re.fullmatch(row.pattern, str(value)) is not None


@pytest.mark.parametrize("row", HAND_ROWS, ids=lambda row: f"{row.type.rsplit(':', 1)[-1]}.{row.field}")
def test_the_model_stores_each_type_as_the_provider_does(row):
    resources = [r for site in SITES for r in site_plan(site, "update") if r.type == row.type]
    resources += [r for r in _sample_plan() if r.type == row.type]
    assert resources, f"no example site uses {row.type}; drop the row or add a sample that uses it"
    verdicts = {r.name: _holds(row, r) for r in resources}
    assert False not in verdicts.values(), f"{row.source}: {verdicts}"
    assert True in verdicts.values() or row.when_unset, f"no example resource exercises {row.type} {row.field}"


def _sample_inputs(token: str) -> dict[str, Any]:
    """Inputs of a sample grant or resource of ``token``: each var its stored form reads, named after it."""
    sample: dict[str, Any] = {"project": "sample-project", "location": "europe-west6", "region": "europe-west6"}
    sample |= {"zone": "europe-west6-a", "role": "roles/viewer", "member": "user:Ann@Example.ch"}
    sample |= {"members": ["user:ann@example.ch"], "policyData": "{}", "ipCidrRange": "10.60.0.0/24"}
    entry = {**source()["iam"], **source()["resources"]}[token]
    templates = [entry.get(key) or "" for key in ("format", "path", "id")]
    for name in {n for template in templates for n in re.findall(r"\{(\w+)\}", template)} - sample.keys():
        sample[name] = f"sample-{name.lower()}"
    if entry.get("path"):  # a handwritten parser's full form, as a program that names the resource by id
        sample[re.findall(r"\{(\w+)\}", entry["format"])[0]] = entry["path"].format_map(
            {n: f"sample-{n.lower()}" for n in re.findall(r"\{(\w+)\}", entry["path"])} | {"project": "sample-project"}
        )
    return sample


@pytest.mark.parametrize("token", sorted({row.type for row in STORED_FORMS if row.generated}))
def test_the_generated_rules_store_a_sample_of_each_type_as_the_rows_say(token):
    inputs = _sample_inputs(token)
    computed = COMPUTED[token](inputs, "sample") if token in COMPUTED else {"id": "sample-id"}
    rule = grant_rule(token) or generated_rule(token)  # the hand rules, refining some, are held on samples
    assert rule is not None
    stored = {**computed, **rule(inputs, computed, "sample")}
    r = Resource(token, "sample", f"urn:{token}::sample", True, "", "", inputs, stored, stored["id"])
    for row in (row for row in STORED_FORMS if row.type == token and row.generated):
        assert _holds(row, r) is not False, f"{row.field}={_at(stored, row.field)[1]!r} ({row.source})"


def test_the_generated_defaults_are_the_pinned_schemas():
    """The defaults read in the provider's source are those the pinned SDK documents ("Default value is
    `X`"): the source read and the pinned release agree (a v8 default, such as a global backend service's
    EXTERNAL_MANAGED scheme, would differ from v7's)."""
    checked = 0
    for row in (row for row in STORED_FORMS if row.generated and row.when_unset):
        getter = gcp_schema.getters(row.type).get(row.field)
        documented = re.search(r"Default value is `([^`]+)`", (getter.__doc__ or "") if getter else "")
        if documented:
            assert re.fullmatch(row.pattern or "", documented.group(1)), (row.type, row.field, documented.group(1))
            checked += 1
    assert checked >= 10
    backend = [r for r in STORED_FORMS if r.type == "gcp:compute/backendService:BackendService" and r.when_unset]
    assert any(r.field == "loadBalancingScheme" and r.pattern == "EXTERNAL_MANAGED" for r in backend)


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


@pytest.mark.parametrize("site", SITES)
def test_every_policy_gives_the_same_verdict_on_both_forms(policy_pack, site):
    planned, stored = site_plan(site, "update"), site_plan(site, "update")
    for mode, resources in (("update", planned), ("update", stored)):
        pack = policy_pack(site, mode)
        assert [d for r in resources for d in pack.analyze(r)] == []
        assert _stack_findings(pack, resources) == []


def _suite_cases() -> list[Any]:
    """Every ``Case`` of every mutation suite under tests/policies (a module-level ``CASES`` list), so a
    new suite is run on the stored form too."""
    found = []
    for path in sorted((TESTS / "policies").glob("test_*.py")):
        module = importlib.import_module(f"tests.policies.{path.stem}")
        for param in getattr(module, "CASES", []):
            values = getattr(param, "values", ())
            if values and isinstance(values[0], Case):
                found.append(pytest.param(values[0], id=f"{path.stem.removeprefix('test_')}-{param.id}"))
    return found


@pytest.mark.parametrize("case", _suite_cases())
def test_every_mutation_gives_the_same_verdict_on_the_stored_form(policy_pack, case):
    """The mutation suites' cases, applied to the stored form (outputs as the provider stores them,
    inputs derived from stored values): the same policy rejects each with the same message."""
    _assert_stack_rejects(policy_pack("lausanne", "update"), site_plan("lausanne", "update"), case)


def _public_run_v1(mode: str) -> list[Resource]:
    import pulumi_gcp as gcp

    def program() -> None:
        service = gcp.cloudrun.Service(
            "run-v1-viewer",
            project=LAU_PROJECT,
            location="europe-west6",
            name="viewer-v1",
            template={"spec": {"containers": [{"image": "europe-west6-docker.pkg.dev/p/r/i@sha256:0"}]}},
        )
        gcp.cloudrun.IamMember(
            "run-v1-public",
            project=LAU_PROJECT,
            location="europe-west6",
            service=service.name,
            role="roles/run.invoker",
            member="allUsers",
        )

    return capture(program, project="imaging-landing-zone", stack="lausanne", mode=mode)


def test_a_grant_on_a_cloud_run_v1_service_is_placed_in_its_stored_form_too(policy_pack):
    """The provider stores a Cloud Run v1 grant's ``service`` as its updater's ``GetResourceId``,
    ``v1/projects/<p>/locations/<l>/services/<s>``: the effective-access model still ties the public grant
    to the service, and every policy gives the same verdict on both forms."""
    verdicts = {}
    for mode in ("update", "update"):
        added = _public_run_v1(mode)
        pack = policy_pack("lausanne", mode)
        found = {d.policy for r in added for d in pack.analyze(r)}
        found |= {d.policy for d in pack.analyze_stack(site_plan("lausanne", mode) + added)}
        verdicts[mode] = found
    grant = next(r for r in _public_run_v1("update") if r.name == "run-v1-public")
    assert grant.outputs["service"] == f"v1/projects/{LAU_PROJECT}/locations/europe-west6/services/viewer-v1"
    assert "gcp-iam-effective-access-within-intent" in verdicts["update"]
    assert verdicts["update"] == verdicts["update"]
