"""The closed world of properties and resource options (IAM-13, issue part 3): every property a plan can
set on a judged type is judged, harmless with a reason, or a finding until allowed with one; resource
options do not hide changes, drop protection or deploy elsewhere. The table is held against the pinned
provider schema (pulumi-gcp 10.2.0); the cases run through the real pack process against the Lausanne
site's real plan (see ``mutation.py``). Each case says why a careless engineer or an insider writes it."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pulumi
import pulumi_gcp
import pytest
from imaging_policies import REGISTRY, closed_world, properties, tokens
from imaging_policies._property_table import PROPERTIES, SELF, TRAFFIC, verdict

from preflight.engine import gcp_schema
from preflight.engine.runner import Resource, capture
from preflight.judge import pack as judge_pack
from tests.packs import configured_pack
from tests.plans import site_plan
from tests.policies.mutation import Case, add_resource, assert_rejected, on, set_prop
from tests.sites import by_name

CONTROLS = ("IAM-13",)
"""The controls this module holds (the catalogue's "tests" line is read from it)."""


POLICY = properties.POLICY_NAME
IMAGES = "lau-images"
ACCESS_LOGS = "lau-images-access-logs"
SITE_PROJECT = "chuv-imaging-lau"


def schema_properties(token: str) -> set[str]:
    """The wire names of ``token``'s inputs in the installed pulumi-gcp: the parameters of the resource's
    ``_internal_init`` (its inputs), named as the resource's getters name them (``pulumi.getter(name=...)``).
    Not its ``*Args`` class by name: a package may export a nested input type under the same name
    (``compute.SecurityPolicyRuleArgs`` is a rule of ``SecurityPolicy.rules``, not the resource's args)."""
    names, missing = gcp_schema.inputs_of(token)
    assert not missing, f"{token}: no getter names {sorted(missing)}"
    return set(names)


def judged_types() -> list[str]:
    """Every type the pack judges that has a typed row: declared by a policy, judged or listed harmless by
    the closed world (IAM grants share one shape, see ``test_every_iam_grant_type_is_classified``)."""
    declared = {t for t in REGISTRY.judged_tokens() if t not in tokens.IAM_GRANTS}
    return sorted(declared | set(closed_world.HARMLESS) | set(closed_world.JUDGED_HERE))


def test_the_schema_is_the_pinned_one():
    assert pulumi_gcp.__name__
    assert importlib.metadata.version("pulumi_gcp") == "10.2.0"


@pytest.mark.parametrize("token", judged_types())
def test_every_property_of_every_judged_type_is_classified_and_none_invented(token):
    row = PROPERTIES.get(token)
    assert row is not None, f"{token} is judged but has no row in the property table"
    schema = schema_properties(token)
    assert sorted(schema - set(row)) == [], "unclassified: add each to the table (judged, harmless or not judged)"
    assert sorted(set(row) - schema) == [], "invented: the pinned schema has no such property"


def test_the_table_has_no_row_for_a_type_the_pack_does_not_judge():
    assert sorted(set(PROPERTIES) - set(judged_types())) == []


def test_every_iam_grant_type_is_classified():
    """IAM grants of every service: what they grant is judged by the IAM controls, every other input names
    the resource granted on (``deletionPolicy``: harmless); every grant type is in the pinned schema, with
    ``role`` or ``policyData``."""
    for token in sorted(tokens.IAM_GRANTS):
        schema = schema_properties(token)
        assert schema & {"role", "policyData"}, token
        for prop in schema:
            found = verdict(token, prop)
            assert found is not None, (token, prop)
            assert found.kind == ("harmless" if prop == "deletionPolicy" else "judged"), (token, prop)


def test_every_judging_policy_named_in_the_table_exists():
    names = {p.name for p in REGISTRY.policies}
    owned = {TRAFFIC, "the guard-rail policies (gcp-orgpolicy-*)"}
    for token, row in PROPERTIES.items():
        for prop, v in row.items():
            if v.kind == "judged":
                named = v.by
                for control in owned:
                    named = named.replace(control, "")
                assert set(named.split()) <= names, (token, prop, v.by)
            if v.kind == "harmless":
                assert v.by.strip(), (token, prop)
                assert "\n" not in v.by, (token, prop)


def test_the_site_sets_no_property_the_pack_does_not_judge():
    for site in ("lausanne", "utrecht"):
        for r in site_plan(site, "update"):
            for prop in r.inputs:
                v = verdict(r.type, prop)
                assert v is None or v.kind != "not judged", (site, r.name, prop)


def _cors(*origins: str) -> Callable[[Resource], None]:
    return set_prop("cors", value=[{"origins": list(origins), "methods": ["GET"], "maxAgeSeconds": 3600.0}])


def _rules(*rules: dict[str, object]) -> Callable[[Resource], None]:
    return set_prop("lifecycleRules", value=list(rules))


def _ignore(*paths: str) -> Callable[[Resource], None]:
    def change(r: Resource) -> None:
        r.ignore_changes = list(paths)

    return change


CASES = [
    pytest.param(
        Case(POLICY, on(IMAGES, _cors("*")), "cors[0].origins admits every origin"),
        id="cors-every-origin-on-the-image-bucket",
    ),  # part 3: a front-end developer makes the viewer's fetch() work from a local dev server
    pytest.param(
        Case(POLICY, on(IMAGES, _cors("http://viewer.chuv.example")), "the insecure origin"),
        id="cors-plain-http-origin",
    ),  # part 3: the viewer's origin copied without its scheme upgrade; a network attacker can forge it
    pytest.param(
        Case(
            POLICY,
            on(IMAGES, _cors("https://imagerie.chuv.example.attacker.net")),
            "the origin 'https://imagerie.chuv.example.attacker.net', which is not the viewer's",
        ),
        id="cors-https-origin-that-is-not-the-viewer",
    ),  # part 3: an https look-alike of the viewer's host: its pages read images with the user's access
    pytest.param(
        Case(
            POLICY,
            on(IMAGES, set_prop("website", value={"mainPageSuffix": "index.html"})),
            "the pack does not judge `gcp:storage/bucket:Bucket.website`",
        ),
        id="unjudged-website-on-the-image-bucket",
    ),  # part 3: an engineer serves a study index page straight from the bucket
    pytest.param(
        Case(
            POLICY,
            on(ACCESS_LOGS, set_prop("requesterPays", value=True)),
            "the pack does not judge `gcp:storage/bucket:Bucket.requesterPays`",
        ),
        id="unjudged-requester-pays-on-the-access-logs",
    ),  # part 3: finance wants the SOC to pay for its reads; the log readers then fail without a billing project
    pytest.param(
        Case(
            POLICY,
            on(
                "lau-kms-images",
                set_prop("cryptoKeyBackend", value="projects/x/locations/europe-west6/ekmConnections/ekm"),
            ),
            "the pack does not judge `gcp:kms/cryptoKey:CryptoKey.cryptoKeyBackend`",
        ),
        id="unjudged-external-key-backend",
    ),  # part 3: an insider moves the images key to an external key manager they control
    pytest.param(
        Case(
            POLICY,
            on("lau-network", set_prop("enableUlaInternalIpv6", value=True)),
            "the pack does not judge `gcp:compute/network:Network.enableUlaInternalIpv6`",
        ),
        id="unjudged-ipv6-on-the-site-vpc",
    ),  # part 3: a network engineer turns on IPv6, a second address family no egress rule was written for
    pytest.param(
        Case(POLICY, on(IMAGES, _ignore("encryption")), "ignoreChanges lists 'encryption'"),
        id="ignore-changes-on-the-bucket-encryption",
    ),  # part 3: the key was swapped in the console; an engineer silences the diff instead of fixing it
    pytest.param(
        Case(POLICY, on("lau-images-viewer", _ignore("member")), "ignoreChanges lists 'member'"),
        id="ignore-changes-on-a-grant-member",
    ),  # part 3: an insider re-points the viewer's grant in the console and hides it from the stack
    pytest.param(
        Case(POLICY, on("lau-kms-images", _ignore("*")), "ignoreChanges is ['*']"),
        id="ignore-all-changes-on-the-images-key",
    ),  # part 3: "the key is managed by the security team" turns into a key the stack never updates again
    pytest.param(
        Case(POLICY, on("lau-logging-siem-sink", _ignore('["filter"]')), """ignoreChanges lists '["filter"]'"""),
        id="ignore-changes-on-the-siem-filter-in-bracket-form",
    ),  # part 3: the same silencing in the engine's bracketed path form, which a reviewer's eye reads past
    pytest.param(
        Case(
            POLICY,
            on("lau-identities-viewer", set_prop("project", value="chuv-research")),
            "project is 'chuv-research', not the site project",
        ),
        id="service-account-in-another-project",
    ),  # part 3: the viewer's identity is created in a research project the site's controls do not reach
    pytest.param(
        Case(
            POLICY,
            on(
                "lau-viewer-run",
                set_prop("sshEnabled", value=True),
            ),
            "the pack does not judge `gcp:cloudrunv2/service:Service.sshEnabled`",
        ),
        id="unjudged-ssh-into-the-viewer",
    ),  # part 3: under pressure an engineer opens SSH into the viewer's instances to debug a release
    # (binaryAuthorization is judged since the viewer's supply chain: tests/policies/test_supply_chain_mutations.py)
]


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("case", CASES)
def test_property_and_option_mutations_are_rejected(policy_pack, case, mode):
    """Each mutation is rejected in a fresh site's first preview as at its first update: the leaves each
    check reads are the program's literals, known in both."""
    assert_rejected(policy_pack("lausanne", mode), case, mode)


def _explicit_provider(resources: list[Resource], **inputs: object) -> Resource:
    urn = "urn:pulumi:lausanne::imaging-landing-zone::pulumi:providers:gcp::other"
    provider = Resource(
        type="pulumi:providers:gcp",
        name="other",
        urn=urn,
        custom=True,
        parent="",
        provider="",
        inputs={**inputs, "version": "10.2.0"},
        outputs={**inputs, "version": "10.2.0"},
        id="p1",
    )
    resources.append(provider)
    return provider


PROVIDER_CASES = [
    pytest.param(
        {"project": "chuv-research", "region": "europe-west6"},
        "deploys into project 'chuv-research'",
        id="explicit-provider-for-another-project",
    ),
    # part 3: an engineer reuses the research team's provider object to add a bucket
    pytest.param(
        {"project": SITE_PROJECT, "region": "us-central1"},
        "has region 'us-central1'",
        id="explicit-provider-for-another-region",
    ),
    # part 3: a provider copied from a tutorial keeps its us-central1 default
]


@pytest.mark.parametrize(("inputs", "expected"), PROVIDER_CASES)
def test_an_explicit_provider_elsewhere_is_rejected(policy_pack, inputs, expected):
    """The provider the engine sends is the resource's own (``judge_pack.provider_for``), not the default."""
    resources = site_plan("lausanne", "update")
    provider = _explicit_provider(resources, **inputs)
    target = by_name(resources, IMAGES)
    target.provider = f"{provider.urn}::{provider.id}"
    sent = judge_pack.provider_for(target, None, {provider.urn: provider})
    assert sent is provider
    found = policy_pack("lausanne", "update").analyze(target, sent)
    assert {d.policy for d in found} == {POLICY}
    assert any(expected in d.message and d.level == "mandatory" for d in found)


def test_the_stack_request_keeps_each_resource_s_provider():
    resources = site_plan("lausanne", "update")
    default = Resource(
        type="pulumi:providers:gcp",
        name="default_10_2_0",
        urn="urn:default",
        custom=True,
        parent="",
        provider="",
        inputs={},
        outputs={},
        id="d",
    )
    provider = _explicit_provider(resources, project="chuv-research")
    target = by_name(resources, IMAGES)
    target.provider = f"{provider.urn}::{provider.id}"
    request = judge_pack.stack_request(resources, default)
    wires = {w.name: w for w in request.resources}
    assert wires[IMAGES].provider.name == "other"
    assert wires["lau-kms-images"].provider.name == "default_10_2_0"


def test_the_mock_engine_keeps_the_provider_reference_and_the_options_the_protocol_drops():
    """Under mocks, the registration keeps the explicit provider (so the check sends it, not the default)
    and ``retainOnDelete``, ``deletedWith`` and ``import``, which no Analyzer request carries."""
    import pulumi_gcp as gcp

    def program() -> None:
        other = gcp.Provider("other", project="chuv-research", region="europe-west1")
        anchor = gcp.storage.Bucket("anchor", location="EUROPE-WEST6")
        gcp.storage.Bucket(
            "kept",
            location="EUROPE-WEST6",
            opts=pulumi.ResourceOptions(provider=other, retain_on_delete=True, deleted_with=anchor, import_="kept"),
        )
        gcp.compute.Subnetwork(
            "subnet", ip_cidr_range="10.0.0.0/24", network="n", opts=pulumi.ResourceOptions(provider=other)
        )

    captured = capture(program, project="p", stack="t", mode="update")
    provider = next(r for r in captured if r.type == "pulumi:providers:gcp")
    kept = next(r for r in captured if r.name == "kept")
    assert kept.provider.rsplit("::", 1)[0] == provider.urn
    assert provider.inputs["project"] == "chuv-research"
    assert provider.inputs["region"] == "europe-west1"
    assert kept.retain_on_delete
    assert kept.import_id == "kept"
    assert kept.deleted_with.endswith("::anchor")
    assert kept.outputs["project"] == "chuv-research", "the explicit provider's project, as the provider stores it"
    assert next(r for r in captured if r.name == "anchor").outputs["project"] != "chuv-research"
    subnet = next(r for r in captured if r.name == "subnet")
    assert subnet.outputs["region"] == "europe-west1", "the explicit provider's region"


VARIANTS = [
    pytest.param(on(IMAGES, _cors("https://imagerie.chuv.example")), None, id="cors-for-the-viewer-origin-only"),
    # part 3: the viewer fetches studies from its own https origin
    pytest.param(
        on(IMAGES, _rules({"action": {"type": "Delete"}, "condition": {"age": 30.0, "withState": "ARCHIVED"}})),
        None,
        id="lifecycle-expires-noncurrent-versions",
    ),  # part 3: old versions of overwritten objects expire after 30 days
    pytest.param(
        on(IMAGES, _rules({"action": {"type": "Delete"}, "condition": {"age": 3650.0}})),
        None,
        id="lifecycle-deletes-after-the-retention",
    ),  # part 3: studies are deleted once their ten-year retention ends
    pytest.param(on(IMAGES, set_prop("defaultEventBasedHold", value=True)), None, id="harmless-event-based-hold"),
    # part 3: the legal team holds new studies until a case closes
    pytest.param(
        on("lau-logging-siem-subscription", set_prop("ackDeadlineSeconds", value=300.0)),
        None,
        id="harmless-longer-ack-deadline",
    ),  # part 3: the SIEM's batch reader needs five minutes before it acknowledges
    pytest.param(
        on(IMAGES, set_prop("autoclass", value={"enabled": True, "terminalStorageClass": "NEARLINE"})),
        {"gcp:storage/bucket:Bucket.autoclass": "reviewed 2026-12: the viewer's reads keep hot studies STANDARD"},
        id="allowed-property-with-a-reason",
    ),  # part 3: a reviewed exception, recorded in the pack's config
]


@pytest.mark.parametrize(("change", "allowed"), VARIANTS)
def test_legitimate_property_variants_pass(change, allowed):
    resources = site_plan("lausanne", "update")
    target = change(resources)
    config = {POLICY: {"allowedProperties": allowed}} if allowed else None
    with configured_pack(site_plan_config(), stack="lausanne", policy_config=config) as pack:
        found = [d for d in pack.analyze(target) if d.level == "mandatory"]
    assert found == []


def test_an_explicit_provider_of_the_site_passes(policy_pack):
    resources = site_plan("lausanne", "update")
    provider = _explicit_provider(resources, project=SITE_PROJECT, region="europe-west6")
    target = by_name(resources, IMAGES)
    target.provider = f"{provider.urn}::{provider.id}"
    found = policy_pack("lausanne", "update").analyze(target, provider)
    assert [d for d in found if d.level == "mandatory"] == []


def site_plan_config() -> dict[str, str]:
    from preflight.engine import stacks

    return dict(stacks.load("lausanne").config)


def test_a_new_judged_type_needs_a_row(policy_pack):
    """A property of a type in the closed world is judged by the table; a type outside it is IAM-08's."""
    resources = site_plan("lausanne", "update")
    other = add_resource("gcp:bigquery/dataset:Dataset", "lau-analytics", {"datasetId": "x"})(resources)
    assert not properties.applies(other.type)
    assert verdict(other.type, "datasetId") is None
    assert verdict(tokens.BUCKET, "cors").by == SELF


def _retained(r: Resource) -> None:
    r.retain_on_delete = True


def _deleted_with(name: str) -> Callable[[Resource], None]:
    def change(r: Resource) -> None:
        r.deleted_with = f"urn:pulumi:lausanne::imaging-landing-zone::gcp:compute/network:Network::{name}"

    return change


OFFLINE_CASES = [
    pytest.param("lau-images-viewer", _retained, "retainOnDelete is set", id="retain-on-delete-on-a-grant"),
    # part 3: "keep the viewer's access if the stack is torn down by mistake": the grant outlives the site
    pytest.param(
        "lau-images-viewer",
        _deleted_with("lau-network"),
        "deletedWith names 'lau-network'",
        id="deleted-with-elsewhere",
    ),  # part 3: copied from a network resource, so the grant is never deleted on its own
]


@pytest.mark.parametrize(("name", "change", "expected"), OFFLINE_CASES)
def test_options_the_protocol_drops_are_judged_by_the_offline_check(name, change, expected):
    """Through the real check path (``check_plan``: the pack process plus the offline check's own reading
    of the registrations): the finding is IAM-13's, mandatory, on the resource. Under the real engine the
    pack cannot see these options (the README says so)."""
    from preflight.engine import stacks
    from preflight.judge import check

    resources = site_plan("lausanne", "update")
    change(by_name(resources, name))
    result = check.check_plan(stacks.load("lausanne"), "update", resources, "program", keep_plan=False)
    mine = [f for f in result.findings if f.policy == POLICY]
    assert [f.resource_name for f in mine] == [name]
    assert expected in mine[0].message
    assert mine[0].level == "mandatory"
    assert mine[0].control == "IAM-13"
    assert {f.policy for f in result.findings if f.level == "mandatory"} == {POLICY}


def test_retain_on_delete_on_a_bucket_is_not_a_finding():
    """Keeping a bucket after a destroy keeps the images: not a grant left behind."""
    from preflight.judge import options

    resources = site_plan("lausanne", "update")
    _retained(by_name(resources, IMAGES))
    assert options.findings(resources) == []
