"""Legitimate variants: changes a site team makes for good reasons, which the pack must not judge as
breaking a control (no false findings, issue 12 item 7). Each variant is applied to the Lausanne
site's real plan and judged by the real pack process, resource by resource (``Analyze``) and as a
stack (``AnalyzeStack``): zero mandatory findings."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from components.detections import bucket_term, sent_bytes
from preflight.engine import stacks
from preflight.engine.runner import UNKNOWN, Resource
from preflight.judge import pack as judge_pack
from tests.packs import configured_pack
from tests.plans import site_plan
from tests.policies.mutation import add_resource, set_prop
from tests.sites import by_name

Change = Callable[[list[Resource]], list[Resource]]
"""Changes the plan's resources; returns those it added or changed (each is analysed on its own)."""

ACCESS_LOGS = "chuv-imaging-lau-lau-access-logs"
IMAGES_KEY = "projects/chuv-imaging-lau/locations/europe-west6/keyRings/lau-imaging/cryptoKeys/lau-images"
APP_LOGS = "chuv-imaging-lau-lau-app-logs"
APP_SINK_WRITER = "serviceAccount:p221841688848-471302@gcp-sa-logging.iam.gserviceaccount.com"
RESEARCH_LOGS = "chuv-imaging-lau-lau-research-logs"
LOG_BUCKET_PATH = "projects/chuv-imaging-lau/locations/europe-west6/buckets"
SECURITY_TEAM = "securite@chuv.example"
POLICY_CONFIG = {"gcp-iam-groups-not-users": {"additionalGroups": [SECURITY_TEAM]}}
"""The site declares its security team in the pack's config (IAM-07); every variant runs with it."""


def _with_auditor(config: dict[str, str]) -> dict[str, str]:
    """The Lausanne config with the security team in ``rbac`` as ``auditor`` (reads the log buckets only)."""
    rbac = json.loads(config["imaging-landing-zone:rbac"])
    return {**config, "imaging-landing-zone:rbac": json.dumps({**rbac, SECURITY_TEAM: "auditor"})}


APP_LOG_FILTER = 'resource.type="cloud_run_revision" AND severity>=WARNING'


def _added(type_: str, name: str, inputs: dict[str, object], **outputs: object) -> Change:
    def change(resources: list[Resource]) -> list[Resource]:
        r = add_resource(type_, name, inputs)(resources)
        r.outputs.update(outputs)
        return [r]

    return change


def _all(*changes: Change) -> Change:
    def change(resources: list[Resource]) -> list[Resource]:
        return [r for c in changes for r in c(resources)]

    return change


def _clone(original: str, new_name: str, **values: object) -> Change:
    """A copy of a resource of the plan under another logical name, with some top-level values changed."""

    def change(resources: list[Resource]) -> list[Resource]:
        r = copy.deepcopy(by_name(resources, original))
        r.name, r.urn = new_name, r.urn.removesuffix(f"::{original}") + f"::{new_name}"
        for key, value in values.items():
            set_prop(key, value=value)(r)
        resources.append(r)
        return [r]

    return change


def _changed(name: str, *steps: Callable[[Resource], None]) -> Change:
    def change(resources: list[Resource]) -> list[Resource]:
        r = by_name(resources, name)
        for step in steps:
            step(r)
        return [r]

    return change


def _app_log_bucket(resources: list[Resource]) -> list[Resource]:
    """A short-retention Cloud Storage bucket for the viewer's application logs, written by its own sink."""
    access_logs = by_name(resources, "lau-images-access-logs")
    bucket = _clone(
        "lau-images-access-logs",
        "lau-app-logs",
        name=APP_LOGS,
        lifecycleRules=[{"action": {"type": "Delete"}, "condition": {"age": 30.0}}],
    )(resources)[0]
    bucket.dependencies = list(access_logs.dependencies)  # waits for the storage agent's key grant
    sink = _added(
        "gcp:logging/projectSink:ProjectSink",
        "lau-app-logs-sink",
        {
            "name": "lau-app-logs",
            "project": "chuv-imaging-lau",
            "destination": f"storage.googleapis.com/{APP_LOGS}",
            "filter": APP_LOG_FILTER,
            "uniqueWriterIdentity": True,
        },
        writerIdentity=APP_SINK_WRITER,
    )(resources)
    writer = _added(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "lau-app-logs-writer",
        {"bucket": APP_LOGS, "role": "roles/storage.objectCreator", "member": APP_SINK_WRITER},
    )(resources)
    return [bucket, *sink, *writer]


IMAGES = "chuv-imaging-lau-lau-images"
RESEARCH = "chuv-imaging-lau-lau-research"


def watched_buckets(resources: list[Resource], buckets: list[str]) -> list[Resource]:
    """The site's image-read metrics and egress detector given ``buckets`` (as ``SecurityAlerts`` and
    ``AnomalyDetectors`` write them when given those ``image_buckets``) instead of the one image bucket."""
    touched = []
    for name, old, new, key in [
        ("lau-alerts-image-read-spike", bucket_term([IMAGES]), bucket_term(buckets), ("filter",)),
        ("lau-detectors-unexpected-image-read", bucket_term([IMAGES]), bucket_term(buckets), ("filter",)),
        (
            "lau-detectors-egress-vs-last-week-alert",
            sent_bytes([IMAGES]),
            sent_bytes(buckets),
            ("conditions", 0, "conditionPrometheusQueryLanguage", "query"),
        ),
    ]:
        r, done = by_name(resources, name), 0
        for props in (r.inputs, r.outputs):
            node: Any = props
            for step in key[:-1]:
                node = node[step]
            if old in node[key[-1]]:  # the outputs may share the inputs' objects
                node[key[-1]] = node[key[-1]].replace(old, new)
                done += 1
        assert done, (name, old)
        touched.append(r)
    return touched


def _second_image_bucket(resources: list[Resource]) -> list[Resource]:
    """A second image bucket (a research archive) built like the first, read by the viewer, and watched by the
    site's detectors like the first (the components given both buckets)."""
    images = by_name(resources, "lau-images")
    bucket = _clone("lau-images", "lau-research", name=RESEARCH)(resources)[0]
    bucket.dependencies = list(images.dependencies)
    grant = _clone("lau-images-viewer", "lau-research-viewer", bucket=RESEARCH)(resources)
    return [bucket, *grant, *watched_buckets(resources, [IMAGES, RESEARCH])]


def _key_grant_as_binding(resources: list[Resource]) -> list[Resource]:
    """The second image bucket waits for a CryptoKeyIAMBinding (the authoritative form) instead of a member."""
    grant = by_name(resources, "lau-images-agent-key")
    binding = _clone("lau-images-agent-key", "lau-research-agent-key")(resources)[0]
    binding.type = "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding"
    binding.urn = binding.urn.replace(grant.type, binding.type)
    for props in (binding.inputs, binding.outputs):
        props["members"] = [props.pop("member")]
    binding.property_dependencies = {**binding.property_dependencies, "members": []}
    binding.property_dependencies.pop("member", None)
    bucket, *rest = _second_image_bucket(resources)
    bucket.dependencies = [binding.urn if d == grant.urn else d for d in bucket.dependencies]
    return [binding, bucket, *rest]


VARIANTS = [
    pytest.param(
        _added(
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            "lau-access-logs-security-team",
            {"bucket": ACCESS_LOGS, "role": "roles/storage.objectViewer", "member": f"group:{SECURITY_TEAM}"},
        ),
        id="security-team-reads-the-access-logs",
    ),  # the security team reviews who read which study; the access-log bucket is still not an image bucket
    pytest.param(_app_log_bucket, id="short-retention-app-log-bucket"),
    # application logs kept 30 days in their own bucket, which receives no security logs
    pytest.param(_second_image_bucket, id="second-image-bucket"),
    # a second compliant image bucket logging into the same access-log bucket
    pytest.param(
        _all(
            _second_image_bucket,
            _clone("lau-images-access-logs", "lau-research-access-logs", name=RESEARCH_LOGS),
            _changed("lau-research", set_prop("logging", "logBucket", value=RESEARCH_LOGS)),
            _clone("lau-images-access-logs-writer", "lau-research-logs-writer", bucket=RESEARCH_LOGS),
        ),
        id="image-bucket-with-its-own-access-log-bucket",
    ),  # a separate access-log bucket per image bucket, e.g. per retention class
    pytest.param(_key_grant_as_binding, id="key-grant-as-a-binding"),
    # the storage agent's key grant written as a binding; the bucket waits for it
    pytest.param(
        _changed("lau-images", set_prop("location", value="europe-west6")),
        id="location-in-lower-case",
    ),  # the provider accepts either case and stores upper case
    pytest.param(
        _changed("lau-logging-siem-subscription", set_prop("pushConfig", value=None)),
        id="pull-subscription-for-the-siem",
    ),
    pytest.param(
        _changed("lau-firewall-deny-all-egress", set_prop("sourceRanges", value=["0.0.0.0/0"])),
        id="deny-all-egress-from-every-source-spelled-out",
    ),  # NET-04: a source range that covers every address narrows nothing
    pytest.param(
        _changed("lau-logging-siem-sink", set_prop("uniqueWriterIdentity", value=None)),
        id="siem-sink-with-the-default-writer-identity",
    ),  # LOG-08: uniqueWriterIdentity left out is the provider's default, true: the sink's own identity writes
    pytest.param(
        _added(
            "gcp:dns/recordSet:RecordSet",
            "lau-network-googleapis-storage",
            {
                "name": "storage.googleapis.com.",
                "type": "CNAME",
                "managedZone": "lau-googleapis",
                "project": "chuv-imaging-lau",
                "rrdatas": ["restricted.googleapis.com."],
            },
        ),
        id="one-google-api-named-to-the-restricted-vip",
    ),  # NET-05: a record spelling out one API's name to restricted.googleapis.com, as the wildcard does
]


@pytest.fixture(scope="module")
def policy_pack():
    """The real pack per mode, configured as `pulumi preview --policy-pack-config` would with POLICY_CONFIG."""
    running: dict[str, judge_pack.PackProcess] = {}

    def get(site: str, mode: str) -> judge_pack.PackProcess:
        if mode not in running:
            running[mode] = configured_pack(
                _with_auditor(stacks.load(site).config),
                stack=site,
                mode="preview" if mode == "preview" else "update",
                policy_config=POLICY_CONFIG,
            )
        return running[mode]

    yield get
    for pack in running.values():
        pack.close()


def _assert_no_mandatory_finding(pack, change: Change, mode: str = "update") -> None:
    resources = site_plan("lausanne", mode)
    touched = change(resources)
    found = [d for r in touched for d in pack.analyze(r)] + pack.analyze_stack(resources)
    mandatory = [f"{d.policy} on {d.urn}: {d.message}" for d in found if d.level == "mandatory"]
    assert not mandatory, mandatory
    assert not [d for d in found if d.skipped_in_preview], [d.message for d in found]


@pytest.mark.parametrize("change", VARIANTS)
def test_a_legitimate_variant_has_no_mandatory_finding(policy_pack, change):
    _assert_no_mandatory_finding(policy_pack("lausanne", "update"), change)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_second_image_bucket, id="second-image-bucket"),
        pytest.param(VARIANTS[0].values[0], id="security-team-reads-the-access-logs"),
        pytest.param(_app_log_bucket, id="short-retention-app-log-bucket"),
    ],
)
def test_a_legitimate_variant_is_judged_in_a_first_preview(policy_pack, change):
    """The same variants in a fresh site's first preview (key ids unknown): judged, not skipped."""
    _assert_no_mandatory_finding(policy_pack("lausanne", "preview"), change, "preview")


def test_an_access_log_bucket_named_by_reference_is_judged_in_a_first_preview(policy_pack):
    """``logging.logBucket`` computed from the access-log bucket (``log_bucket=access_logs.name``) is unknown
    in a first preview; its property dependency names a separate bucket of the stack, which is enough."""
    change = _changed("lau-images", set_prop("logging", "logBucket", value=UNKNOWN))
    _assert_no_mandatory_finding(policy_pack("lausanne", "preview"), change, "preview")


def test_a_short_retention_log_bucket_for_application_logs_is_not_a_security_log_bucket(policy_pack):
    """A Cloud Logging bucket for the viewer's application logs, kept 30 days and unlocked, routed by a sink
    whose filter selects no security log: not a security-log bucket (the sink's destination says so)."""
    change = _all(
        _added(
            "gcp:logging/projectBucketConfig:ProjectBucketConfig",
            "lau-app-log-bucket",
            {
                "project": "chuv-imaging-lau",
                "location": "europe-west6",
                "bucketId": "lau-app-logs",
                "retentionDays": 30.0,
                "cmekSettings": {"kmsKeyName": IMAGES_KEY.replace("lau-images", "lau-logs")},
            },
        ),
        _added(
            "gcp:logging/projectSink:ProjectSink",
            "lau-app-log-sink",
            {
                "name": "lau-app-logs",
                "project": "chuv-imaging-lau",
                "destination": f"logging.googleapis.com/{LOG_BUCKET_PATH}/lau-app-logs",
                "filter": APP_LOG_FILTER,
            },
        ),
    )
    _assert_no_mandatory_finding(policy_pack("lausanne", "update"), change)
