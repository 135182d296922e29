"""The closed world (IAM-08): a resource type the pack cannot judge is a finding naming the type and
the fix, refused types stay refused whatever the config says, and an unknown value that could hide a
violation is reported as not judged in preview, never passed. Through the real pack process against
the Lausanne site's real plan (see ``mutation.py``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pulumi_gcp
import pytest
from imaging_policies import REGISTRY, closed_world, tokens

from preflight.cli import main
from preflight.engine import plan, stacks
from preflight.engine.runner import UNKNOWN, Resource
from preflight.engine.stacks import PROJECT
from preflight.judge import analyzer
from tests.conftest import SITES, by_name, site_plan
from tests.policies.mutation import Case, add_resource, assert_rejected, on, set_prop

POLICY = closed_world.POLICY_NAME
PULL_ONLY = "gcp-pubsub-subscription-pull-only"
SUBSCRIPTION = "lau-logging-siem-subscription"

CASES = [
    pytest.param(
        Case(
            POLICY,
            add_resource(
                "gcp:storage/transferJob:TransferJob",
                "lau-copy-to-research",
                {"transferSpec": {"gcsDataSource": {"bucketName": "chuv-imaging-lau-lau-images"}}},
            ),
            "gcp:storage/transferJob:TransferJob is refused",
        ),
        id="transfer-job-copies-images-out",
    ),  # a research team wants a copy of the images in its own project
    pytest.param(
        Case(
            POLICY,
            add_resource(
                "gcp:storage/bucketObject:BucketObject",
                "lau-sample-study",
                {"bucket": "chuv-imaging-lau-lau-images", "name": "sample.dcm", "source": "./sample.dcm"},
            ),
            "gcp:storage/bucketObject:BucketObject is refused",
        ),
        id="object-uploaded-by-the-stack",
    ),  # an engineer seeds a test study through the stack
    pytest.param(
        Case(
            POLICY,
            add_resource("gcp:container/cluster:Cluster", "lau-ai", {"location": "europe-west6"}),
            "gcp:container/cluster:Cluster is refused",
        ),
        id="kubernetes-cluster",
    ),  # an AI team runs its inference cluster in the site project
    pytest.param(
        Case(
            POLICY,
            add_resource("gcp:compute/packetMirroring:PacketMirroring", "lau-debug", {"network": {"url": "lau-vpc"}}),
            "gcp:compute/packetMirroring:PacketMirroring is refused",
        ),
        id="packet-mirroring",
    ),  # a network engineer debugs the viewer's traffic
    pytest.param(
        Case(
            POLICY,
            add_resource("gcp:compute/vPNTunnel:VPNTunnel", "lau-to-lab", {"peerIp": "192.0.2.10"}),
            "gcp:compute/vPNTunnel:VPNTunnel is a resource type the pack does not judge (a VPN is a path out",
        ),
        id="vpn-tunnel-without-reason",
    ),  # the worklist tunnel moved into the site stack, without a recorded reason
    pytest.param(
        Case(
            POLICY,
            add_resource("gcp:bigquery/dataset:Dataset", "lau-analytics", {"datasetId": "lau_analytics"}),
            'allowedTypes": {"gcp:bigquery/dataset:Dataset": "<why it cannot move or expose data>"}',
        ),
        id="unknown-type-names-the-fix",
    ),  # an analytics dataset added by hand
    pytest.param(
        Case(
            PULL_ONLY,
            on(SUBSCRIPTION, set_prop("pushConfig", "pushEndpoint", value="https://collector.example.net/push")),
            "pushConfig.pushEndpoint is 'https://collector.example.net/push'",
        ),
        id="subscription-pushes-security-logs-out",
    ),  # a SIEM vendor's quick start uses push delivery (LOG-08: the logs leave by an undeclared path)
    pytest.param(
        Case(
            PULL_ONLY,
            on(SUBSCRIPTION, set_prop("cloudStorageConfig", "bucket", value="vendor-archive")),
            "cloudStorageConfig.bucket is 'vendor-archive'",
        ),
        id="subscription-exports-to-a-bucket",
    ),
    pytest.param(
        Case(
            PULL_ONLY,
            on(SUBSCRIPTION, set_prop("bigqueryConfig", "table", value="analytics-proj.siem.raw")),
            "bigqueryConfig.table is 'analytics-proj.siem.raw'",
        ),
        id="subscription-writes-to-bigquery",
    ),  # an analytics team asks for the security logs in their warehouse
]


@pytest.mark.parametrize("case", CASES)
def test_policy_rejects_mutation(policy_pack, case):
    assert_rejected(policy_pack("lausanne", "update"), case)


# -- what is not a cloud resource ------------------------------------------------------------------


def _resource(type_: str, *, custom: bool = True) -> Resource:
    return Resource(
        type=type_,
        name="thing",
        urn=f"urn:pulumi:lausanne::imaging-landing-zone::{type_}::thing",
        custom=custom,
        parent="",
        provider="",
        inputs={},
        outputs={},
        id=None,
    )


@pytest.mark.parametrize(
    "type_", ["pulumi:pulumi:Stack", "pulumi:providers:gcp", "imaging:storage:ImageBucket", "acme:index:Team"]
)
def test_engine_types_and_components_are_not_judged(policy_pack, type_):
    assert policy_pack("lausanne", "update").analyze(_resource(type_, custom=False)) == []


def test_another_packages_resource_is_judged_when_the_engine_names_its_provider(policy_pack):
    provider = _resource("pulumi:providers:random")
    found = policy_pack("lausanne", "update").analyze(_resource("random:index/randomPassword:RandomPassword"), provider)
    assert [d.policy for d in found] == [POLICY]
    assert "random:index/randomPassword:RandomPassword is a resource type the pack does not judge" in found[0].message


@pytest.mark.parametrize("type_", ["pulumi-python:dynamic:Resource", "pulumi-nodejs:dynamic:Resource"])
def test_a_dynamic_provider_resource_is_judged_even_without_a_provider_reference(policy_pack, type_):
    """IAM-08: a dynamic provider (an engineer's "small helper" that calls the Storage API to copy objects) runs
    the program's own code with the deployer's credentials; the pack sees only its inputs: a finding until the
    config allows it with a reason, not an engine type passed over."""
    found = policy_pack("lausanne", "update").analyze(_resource(type_))
    assert [(d.policy, d.level) for d in found] == [(POLICY, "mandatory")]
    assert "a dynamic provider runs the program's own code with the deployer's credentials" in found[0].message


# -- the config: allowed with a reason, never a refused type -----------------------------------------


def _configured(config: dict, *, validate: bool = True) -> analyzer.PolicyPack:
    stack = stacks.load("lausanne")
    pack = analyzer.PolicyPack(config=stack.config, project=PROJECT, stack="lausanne", dry_run=False)
    user = {POLICY: config}
    if validate:
        pack.configure(analyzer.reconcile(pack.info(), user))
    else:  # an engine that skipped the schema: the policy itself still refuses an empty reason
        levels = analyzer.reconcile(pack.info())
        levels[POLICY] = (levels[POLICY][0], {**levels[POLICY][1], **config})
        pack.configure(levels)
    return pack


def _added(type_: str) -> Resource:
    resources = site_plan("lausanne", "update")
    return add_resource(type_, "lau-extra", {})(resources)


def test_a_type_allowed_with_a_reason_passes():
    reason = "holds de-identified statistics only; no image or log is ever exported to it"
    with _configured({"allowedTypes": {"gcp:bigquery/dataset:Dataset": reason}}) as pack:
        assert pack.analyze(_added("gcp:bigquery/dataset:Dataset")) == []
        assert [d.policy for d in pack.analyze(_added("gcp:compute/vPNTunnel:VPNTunnel"))] == [POLICY]


def test_the_config_cannot_allow_a_refused_type():
    with _configured({"allowedTypes": {"gcp:storage/transferJob:TransferJob": "nightly research copy"}}) as pack:
        [finding] = pack.analyze(_added("gcp:storage/transferJob:TransferJob"))
        assert "the config cannot allow a refused type" in finding.message


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_an_allowed_type_without_a_reason_is_refused_by_the_config_check(reason):
    stack = stacks.load("lausanne")
    with analyzer.PolicyPack(config=stack.config, project=PROJECT, stack="lausanne", dry_run=False) as pack:
        user = {POLICY: {"allowedTypes": {"gcp:bigquery/dataset:Dataset": reason}}}
        with pytest.raises(analyzer.PolicyConfigError, match=r"allowedTypes\.gcp:bigquery/dataset:Dataset"):
            analyzer.reconcile(pack.info(), user)


def test_an_allowed_type_without_a_reason_is_still_a_finding_where_the_schema_is_not_checked():
    with _configured({"allowedTypes": {"gcp:bigquery/dataset:Dataset": " "}}, validate=False) as pack:
        messages = [d.message for d in pack.analyze(_added("gcp:bigquery/dataset:Dataset"))]
        assert any("allowedTypes['gcp:bigquery/dataset:Dataset'] has no reason" in m for m in messages)
        assert any("is a resource type the pack does not judge" in m for m in messages)


# -- preview honesty -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path", "policy"),
    [
        (SUBSCRIPTION, ("pushConfig", "pushEndpoint"), PULL_ONLY),
        ("lau-images", ("publicAccessPrevention",), "gcp-storage-bucket-public-access-prevention"),
        ("lau-images", ("uniformBucketLevelAccess",), "gcp-storage-bucket-uniform-access"),
        ("lau-images", ("location",), "gcp-storage-bucket-in-site-region"),
        (
            "lau-images",
            ("encryption", "googleManagedEncryptionEnforcementConfig", "restrictionMode"),
            "gcp-storage-bucket-enforces-cmek-per-object",
        ),
    ],
    ids=["push-endpoint", "public-access-prevention", "uniform-access", "location", "restriction-mode"],
)
def test_an_unknown_value_that_could_hide_a_violation_is_not_judged_in_preview(policy_pack, name, path, policy):
    """A value computed from another resource (unknown in a first preview) could be the violating one:
    the policy is reported as not run during preview, naming the property; ``pulumi up`` judges it."""
    resources = site_plan("lausanne", "preview")
    target = by_name(resources, name)
    set_prop(*path, value=UNKNOWN)(target)
    [diagnostic] = policy_pack("lausanne", "preview").analyze(target)
    assert diagnostic.policy == policy
    assert diagnostic.skipped_in_preview
    assert f"value at .{'.'.join(path)} can't be known during preview" in diagnostic.message


def test_an_unknown_usage_log_bucket_is_not_judged_in_preview(policy_pack):
    resources = site_plan("lausanne", "preview")
    images = by_name(resources, "lau-images")
    set_prop("logging", "logBucket", value=UNKNOWN)(images)
    images.property_dependencies["logging"] = []  # computed from something other than a bucket of the stack
    found = [d for d in policy_pack("lausanne", "preview").analyze_stack(resources) if d.skipped_in_preview]
    assert [d.policy for d in found] == ["gcp-storage-bucket-usage-logs"]
    assert "value at .[lau-images].logging.logBucket can't be known during preview" in found[0].message


# -- the lists -------------------------------------------------------------------------------------


def test_the_lists_do_not_contradict_the_policies():
    judged = set(REGISTRY.judged_tokens())
    lists = {
        "HARMLESS": closed_world.HARMLESS,
        "REFUSED": closed_world.REFUSED,
        "NEEDS_REASON": closed_world.NEEDS_REASON,
    }
    overlaps = [
        f"{name} lists {token}, which {', '.join(by)} judges"
        for name, found in lists.items()
        for token in found
        if (by := REGISTRY.judges(token))
    ]
    assert not overlaps, "remove the type from the list (a policy judges it now): " + "; ".join(sorted(overlaps))
    assert not judged & set(closed_world.JUDGED_HERE), "judged twice"
    seen: dict[str, str] = {}
    for name, found in lists.items():
        for token in found:
            assert token not in seen, f"{token} is in both {seen[token]} and {name}"
            seen[token] = name


def _sdk_tokens(module: str) -> str:
    root = Path(pulumi_gcp.__file__).parent / module
    return "\n".join(p.read_text(encoding="utf-8") for p in root.glob("*.py"))


def test_every_listed_token_is_spelled_as_the_installed_sdk_spells_it():
    listed = [
        *closed_world.HARMLESS,
        *closed_world.REFUSED,
        *closed_world.NEEDS_REASON,
        *closed_world.JUDGED_HERE,
        *REGISTRY.judged_tokens(),
    ]
    listed = [t for t in listed if t not in closed_world.DYNAMIC_TYPES]  # the SDKs' own, not pulumi-gcp's
    missing = [t for t in listed if f'"{t}"' not in _sdk_tokens(t.split(":")[1].split("/")[0])]
    assert not missing, f"not a pulumi-gcp type token (copy it from the SDK): {missing}"


def test_every_example_site_type_is_known():
    for site in SITES:
        for r in site_plan(site, "update"):
            if r.custom and r.type not in closed_world.REFUSED:
                assert (
                    r.type in closed_world.HARMLESS or r.type in closed_world.JUDGED_HERE or REGISTRY.judges(r.type)
                ), r.type
    assert REGISTRY.judges(tokens.PUBSUB_SUBSCRIPTION)  # by LOG-08's pull-only policy


# -- the check ---------------------------------------------------------------------------------------


def test_check_on_a_plan_with_an_unknown_resource_type_exits_1_naming_the_type(tmp_path, capsys):
    document = plan.build(stacks.load("lausanne"), "update")
    extra = copy.deepcopy(next(r for r in document["resources"] if r["name"] == "lau-images-access-logs"))
    extra.update(
        type="gcp:bigquery/dataset:Dataset",
        name="lau-analytics",
        urn=extra["urn"].replace(
            "gcp:storage/bucket:Bucket::lau-images-access-logs", "gcp:bigquery/dataset:Dataset::lau-analytics"
        ),
        inputs={"datasetId": "lau_analytics"},
        outputs={"datasetId": "lau_analytics"},
        id="projects/chuv-imaging-lau/datasets/lau_analytics",
    )
    document["resources"].append(extra)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert main(["check", "--plan", str(path)]) == 1
    out = capsys.readouterr().out
    finding = next(line for line in out.splitlines() if POLICY in line and "lau-analytics" in line)
    assert "[mandatory, high]" in finding
    assert "gcp:bigquery/dataset:Dataset is a resource type the pack does not judge" in out
    assert "IAM-08   violated" in out
