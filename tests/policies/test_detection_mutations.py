"""Anomaly detectors (issue 24): each one change to Lausanne's real plan that blinds a detector, through the real
pack process in every mode, and the legitimate variants that must pass.

LOG-16 (unexpected access, part 1) and LOG-17 (deviation from the site's own past and its off-hours, part 2):
the pack finds each detector by what it fires on and stays quiet on (part 5), never by its name.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest

from preflight.engine import stacks
from preflight.engine.runner import UNKNOWN, Resource, run_program
from preflight.engine.stacks import PROGRAM, PROJECT
from tests.packs import configured_pack
from tests.plans import site_plan
from tests.policies.mutation import Case, Mutation, add_resource, assert_rejected, on, remove, set_prop
from tests.sites import by_name

CONTROLS = ("LOG-12", "LOG-16", "LOG-17", "LOG-18")

UNEXPECTED = "gcp-monitoring-unexpected-access-detectors"
SPIKE = "gcp-monitoring-site-security-alerts"
BASELINE = "gcp-monitoring-baseline-detectors"
FINDINGS = "gcp-scc-findings-to-siem"
WITHIN_INTENT = "gcp-iam-effective-access-within-intent"
SIEM_EXPORT = "gcp-logging-siem-export"
WITHOUT_ACCESS_TRANSPARENCY = (
    'log_id("cloudaudit.googleapis.com/activity") OR log_id("cloudaudit.googleapis.com/data_access") OR '
    'log_id("cloudaudit.googleapis.com/system_event") OR log_id("cloudaudit.googleapis.com/policy") OR '
    'log_id("compute.googleapis.com/vpc_flows") OR log_id("compute.googleapis.com/firewall") OR '
    'resource.type="http_load_balancer" OR log_id("dns.googleapis.com/dns_queries")'
)
"""The SIEM sink's filter as it was before Access Transparency joined the audit family."""
PROMQL = ("conditions", 0, "conditionPrometheusQueryLanguage", "query")


def _rewrite(old: str, new: str, *path: str | int) -> Callable[[Resource], None]:
    """Replace ``old`` by ``new`` in the string at ``path`` (inputs and outputs alike)."""

    def change(r: Resource) -> None:
        done = 0
        for props in (r.inputs, r.outputs):
            node = props
            for key in path[:-1]:
                node = node[key]
            if old in node[path[-1]]:  # the outputs may share the inputs' objects
                node[path[-1]] = node[path[-1]].replace(old, new)
                done += 1
        assert done, f"{old!r} is not in {path}"

    return change


def _snooze_of(alert: str) -> Mutation:
    """A "maintenance" snooze the console writes for one alert policy."""

    def mutate(resources: list[Resource]) -> Resource:
        policy = by_name(resources, alert)
        snooze = add_resource(
            "gcp:monitoring/snooze:Snooze",
            "lau-pacs-migration-quiet",
            {
                "project": "chuv-imaging-lau",
                "displayName": "PACS migration: expected bulk reads",
                "criteria": {"policies": [policy.outputs.get("name", UNKNOWN)]},  # computed in a first preview
                "interval": {"startTime": "2026-12-19T20:00:00Z", "endTime": "2026-12-21T06:00:00Z"},
            },
        )(resources)
        snooze.property_dependencies = {"criteria": [policy.urn]}
        return snooze

    return mutate


INTENT_PACS = 'protoPayload.authenticationInfo.principalEmail="lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com"'

CASES = [
    # --- LOG-16: unexpected access -----------------------------------------------------------------
    pytest.param(
        Case(UNEXPECTED, remove("lau-detectors-unexpected-image-read"), "nothing detects image reads", stack=True),
        id="image-read-detector-removed",
    ),  # part 1: a cost review deletes "the metric nobody looks at"; the first read by a leaked key goes unseen
    pytest.param(
        Case(UNEXPECTED, remove("lau-detectors-unexpected-key-use-alert"), "nothing detects key use", stack=True),
        id="key-use-alert-removed",
    ),  # part 1: an engineer removes the alert after a noisy night, keeping the metric
    pytest.param(
        Case(
            UNEXPECTED,
            on(
                "lau-detectors-unexpected-image-read",
                _rewrite(
                    INTENT_PACS,
                    INTENT_PACS + ' OR protoPayload.authenticationInfo.principalEmail="lau-pacs@'
                    'chuv-imaging-lau.iam.gserviceaccount.com"',
                    "filter",
                ),
            ),
            "does not select image-read-by-uploader",
            stack=True,
        ),
        id="uploader-read-whitelisted",
    ),  # part 1: an insider adds the PACS account to the intended readers, then reads images with its key
    pytest.param(
        Case(
            UNEXPECTED,
            on(
                "lau-detectors-unexpected-log-read",
                _rewrite(
                    "NOT (",
                    'NOT (protoPayload.authenticationInfo.principalEmail=~"gserviceaccount[.]com$" OR ',
                    "filter",
                ),
            ),
            "does not select log-read-by-viewer",
            stack=True,
        ),
        id="log-reads-by-accounts-ignored",
    ),  # part 1: "service accounts are automation" - a stolen viewer key then reads the security logs unseen
    pytest.param(
        Case(
            UNEXPECTED,
            on("lau-detectors-unexpected-key-use", set_prop("disabled", value=True)),
            "nothing detects key use",
            stack=True,
        ),
        id="key-use-metric-disabled",
    ),  # part 5: the metric is disabled in the console; the alert on it never sees a count again
    pytest.param(
        Case(
            UNEXPECTED,
            on(
                "lau-detectors-unexpected-log-read-alert",
                set_prop("conditions", 0, "conditionThreshold", "thresholdValue", value=25),
            ),
            "thresholdValue is 25",
            stack=True,
        ),
        id="log-read-alert-needs-many-reads",
    ),  # part 5: "tuned" to fire on 25 reads; one export of the logs by an intruder is 1 read
    pytest.param(
        Case(
            UNEXPECTED,
            on(
                "lau-detectors-unexpected-image-read-alert",
                set_prop("alertStrategy", value={"notificationPrompts": ["CLOSED"]}),
            ),
            "nobody is notified when an incident opens",
            stack=True,
        ),
        id="image-read-alert-notifies-on-close-only",
    ),  # part 5: a noise reduction that reports incidents only once they are over
    pytest.param(
        Case(
            UNEXPECTED,
            on("lau-detectors-unexpected-key-use-alert", set_prop("notificationChannels", value=[])),
            "has no notificationChannels",
            stack=True,
        ),
        id="key-use-alert-without-channels",
    ),  # part 5: the alert stays, its channels are removed: it opens incidents nobody hears of
    # --- LOG-18: Google's detectors in the SIEM -------------------------------------------------------
    pytest.param(
        Case(
            FINDINGS,
            on(
                "lau-logging-scc-findings",
                set_prop("streamingConfig", value={"filter": 'state="ACTIVE" AND severity="CRITICAL"'}),
            ),
            "it keeps some active findings from the SIEM",
            stack=True,
        ),
        id="findings-export-narrowed-to-critical",
    ),  # part 3: "only what matters": a HIGH Event Threat Detection finding (exfiltration) never reaches the SOC
    pytest.param(
        Case(
            FINDINGS,
            on(
                "lau-logging-scc-findings", set_prop("pubsubTopic", value="projects/chuv-imaging-lau/topics/scc-triage")
            ),
            "not the SIEM topic",
            stack=True,
            also=frozenset({WITHIN_INTENT}),  # the findings' publisher grant on the SIEM topic is then nobody's need
        ),
        id="findings-export-to-a-triage-topic",
    ),  # part 3: findings diverted to a topic only the cloud team reads
    pytest.param(
        Case(
            SIEM_EXPORT,
            on("lau-logging-siem-sink", set_prop("filter", value=WITHOUT_ACCESS_TRANSPARENCY)),
            "google-staff-read-an-image",
            stack=True,
        ),
        id="siem-sink-without-access-transparency",
    ),  # part 3 (LOG-08's policy): the filter pasted from an older site: Google staff's reads never reach the SIEM
    # --- LOG-17: deviation from the site's past, off-hours -------------------------------------------
    pytest.param(
        Case(
            BASELINE,
            remove("lau-detectors-egress-vs-last-week-alert"),
            "nothing detects image bucket egress",
            stack=True,
        ),
        id="egress-detector-removed",
    ),  # part 2: removed as a duplicate of the read detector; an exfiltration by a few huge objects goes unseen
    pytest.param(
        Case(
            BASELINE,
            on("lau-detectors-image-reads-vs-last-week-alert", _rewrite(" or vector(0))", ")", *PROMQL)),
            "does not fire on first-week",
            stack=True,
        ),
        id="read-baseline-blind-without-history",
    ),  # part 2: the "simpler" query: with no series a week earlier, the comparison returns nothing
    pytest.param(
        Case(
            BASELINE,
            on("lau-detectors-image-reads-vs-last-week-alert", _rewrite("clamp_min(3 *", "clamp_min(10 *", *PROMQL)),
            "does not fire on surge",
            stack=True,
        ),
        id="read-baseline-ratio-above-the-declared",
    ),  # part 2: the ratio raised in the console instead of logging.detection: a threefold copy is quiet
    pytest.param(
        Case(
            BASELINE,
            on("lau-detectors-off-hours-bulk-read-alert", _rewrite("hour() >= 22", "hour() >= 23", *PROMQL)),
            "does not fire on bulk-read-at-22h",
            stack=True,
        ),
        id="off-hours-window-narrowed",
    ),  # part 2: the window trimmed by an hour: the 22:00 copy by a leaving employee is quiet
    pytest.param(
        Case(
            BASELINE,
            on("lau-detectors-egress-vs-last-week-alert", _rewrite("lau-images", "lau-access-logs", *PROMQL)),
            "does not fire on surge",
            stack=True,
        ),
        id="egress-baseline-on-another-bucket",
    ),  # part 2: a copy-paste from the access-log dashboard: the image bucket's egress is not watched
    pytest.param(
        Case(
            BASELINE,
            on(
                "lau-detectors-denied-requests",
                _rewrite('log_id("cloudaudit.googleapis.com/activity") OR ', "", "filter"),
            ),
            "nothing detects denied requests",
            stack=True,
        ),
        id="denied-metric-misses-admin-denials",
    ),  # part 2: the metric narrowed to data reads: probing of IAM and configuration is no longer counted
    pytest.param(
        Case(
            BASELINE,
            on(
                "lau-detectors-denied-vs-last-week-alert",
                set_prop("conditions", 0, "conditionPrometheusQueryLanguage", "duration", value="7200s"),
            ),
            "conditionPrometheusQueryLanguage.duration is 7200s",
            stack=True,
        ),
        id="denied-baseline-must-hold-two-hours",
    ),  # part 5: the condition must hold two hours: a burst of probing within one hour opens no incident
]


IMAGE_READ_FILTER = 'metric.type="logging.googleapis.com/user/lau-unexpected-image-read"'
THRESHOLD_FILTER = ("conditions", 0, "conditionThreshold", "filter")

SCOPE_AND_FILTER = [
    pytest.param(
        Case(
            UNEXPECTED,
            on("lau-detectors-unexpected-image-read", set_prop("project", value="chuv-imaging-sandbox")),
            "project is chuv-imaging-sandbox, not the site project chuv-imaging-lau",
            stack=True,
        ),
        id="image-read-detector-metric-in-sandbox",
    ),  # LOG-16, scope of the metric: "tried it in the sandbox first" and never moved; the site's alert then
    # watches a metric that does not exist in the site project, so an outsider's reads are never counted
    pytest.param(
        Case(
            UNEXPECTED,
            on(
                "lau-detectors-unexpected-image-read",
                set_prop("bucketName", value="projects/chuv-imaging-lau/locations/europe-west6/buckets/lau-empty"),
            ),
            "bucketName is projects/chuv-imaging-lau/locations/europe-west6/buckets/lau-empty",
            stack=True,
        ),
        id="image-read-detector-counts-an-empty-log-bucket",
    ),  # LOG-16, scope of the metric: an insider scopes the metric to a log bucket no sink fills; it counts nothing
    pytest.param(
        Case(
            UNEXPECTED,
            on(
                "lau-detectors-unexpected-image-read-alert",
                set_prop(*THRESHOLD_FILTER, value=IMAGE_READ_FILTER + ' AND resource.type="gce_instance"'),
            ),
            "conditions[0].conditionThreshold.filter keeps only resource.type 'gce_instance'",
            stack=True,
        ),
        id="image-read-alert-filtered-to-vms",
    ),  # LOG-16, the alert's filter: pasted from a VM dashboard; the image reads' series (gcs_bucket) never match
    pytest.param(
        Case(
            UNEXPECTED,
            on(
                "lau-detectors-unexpected-image-read-alert",
                set_prop(
                    *THRESHOLD_FILTER, value=IMAGE_READ_FILTER + ' AND resource.label.project_id="chuv-imaging-sandbox"'
                ),
            ),
            "conditions[0].conditionThreshold.filter is",
            stack=True,
        ),
        id="image-read-alert-filtered-to-another-project",
    ),  # LOG-16, the alert's filter: an insider adds a clause that no series of the site project matches
]


def _append(clause: str, *path: str | int) -> Callable[[Resource], None]:
    """Add `` AND <clause>`` to the string at ``path`` (inputs and outputs alike)."""

    def change(r: Resource) -> None:
        for props in (r.inputs, r.outputs):
            node = props
            for key in path[:-1]:
                node = node[key]
            if isinstance(node.get(path[-1]), str) and not node[path[-1]].endswith(clause):
                node[path[-1]] = f"{node[path[-1]]} AND {clause}"

    return change


WHO = "protoPayload.authenticationInfo.principalEmail"
READ_SERIES = "logging_googleapis_com:user_lau_image_read_spike[1h])) >"

NARROWED = [
    # Each narrows a detector on a value no sample held before (the samples now vary it too); the pack refuses the
    # field, the bare term or the principal comparison itself, whatever the samples hold.
    pytest.param(
        Case(
            UNEXPECTED,
            on(
                "lau-detectors-unexpected-image-read",
                _append('NOT protoPayload.requestMetadata.callerSuppliedUserAgent:"rclone"', "filter"),
            ),
            "reads protoPayload.requestMetadata.callerSuppliedUserAgent, which the caller chooses",
            stack=True,
        ),
        id="image-read-detector-ignores-a-client",
    ),  # LOG-16: "the nightly rclone sync to the research share is noise": an attacker using rclone is never seen
    pytest.param(
        Case(
            UNEXPECTED,
            on("lau-detectors-unexpected-image-read", _append('NOT "rclone"', "filter")),
            'reads the bare term "rclone"',
            stack=True,
        ),
        id="image-read-detector-ignores-a-bare-word",
    ),  # LOG-16: the same exclusion typed as a console search word: it reads every string, the user agent included
    pytest.param(
        Case(
            UNEXPECTED,
            on("lau-detectors-unexpected-image-read", _append(f'NOT {WHO}:"chuv"', "filter")),
            'compares protoPayload.authenticationInfo.principalEmail:"chuv", which is not exactly an intended',
            stack=True,
        ),
        id="image-read-detector-trusts-any-name-with-the-hospitals-word",
    ),  # LOG-16: "everything of ours": an insider's chuv-export@gmail.example, any *chuv* account, reads unseen
    pytest.param(
        Case(
            UNEXPECTED,
            on("lau-detectors-unexpected-key-use", _append(f'NOT {WHO}=~"svc-"', "filter")),
            'compares protoPayload.authenticationInfo.principalEmail=~"svc-"',
            stack=True,
        ),
        id="key-use-detector-trusts-every-svc-account",
    ),  # LOG-16: "svc- accounts are automation": a stolen key of any svc-* account, anywhere, decrypts unseen
    pytest.param(
        Case(
            BASELINE,
            on(
                "lau-detectors-image-reads-vs-last-week-alert",
                _rewrite(
                    READ_SERIES,
                    READ_SERIES.replace("[1h]", '{principal=~"reader-.+"}[1h]'),
                    *PROMQL,
                ),
            ),
            'matches logging_googleapis_com:user_lau_image_read_spike{principal=~"reader-.+"}',
            stack=True,
        ),
        id="read-baseline-counts-only-reader-accounts",
    ),  # LOG-17: copied from a dashboard of the reader accounts: a copy by any other identity is never counted
    pytest.param(
        Case(
            BASELINE,
            on(
                "lau-detectors-egress-vs-last-week-alert",
                _rewrite(
                    'monitored_resource="gcs_bucket"}', 'method!="GetObject",monitored_resource="gcs_bucket"}', *PROMQL
                ),
            ),
            'matches storage_googleapis_com:network_sent_bytes_count{method!="GetObject"}',
            stack=True,
        ),
        id="egress-baseline-ignores-object-downloads",
    ),  # LOG-17: "downloads are the read detector's job": the bytes of a bulk download are no longer compared
    pytest.param(
        Case(
            BASELINE,
            on("lau-detectors-denied-requests", _append(f'NOT {WHO}="pentest@chuv.example"', "filter")),
            'compares protoPayload.authenticationInfo.principalEmail="pentest@chuv.example": the metric must count',
            stack=True,
        ),
        id="denied-metric-skips-the-pentest-account",
    ),  # LOG-17: the red team's account left out of the denied count; whoever holds its password probes unseen
    pytest.param(
        Case(
            SPIKE,
            on("lau-alerts-image-read-spike", _append('NOT "rclone"', "filter")),
            "(metric 'lau-alerts-image-read-spike' reads the bare term \"rclone\"",
            stack=True,
            also=frozenset({BASELINE}),  # the read baselines watch the same metric, now no source of them either
        ),
        id="read-spike-metric-ignores-a-bare-word",
    ),  # LOG-12: the spike metric "without the research sync": a bulk copy with rclone never spikes
]


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("case", NARROWED)
def test_a_detector_narrowed_on_what_an_attacker_chooses_is_rejected(policy_pack, case: Case, mode: str):
    """A clause on the caller's client, a bare word, a principal comparison beyond the intent, a label matcher: each
    refused by what it reads, not only by the samples (which hold a few values of each)."""
    assert_rejected(policy_pack("lausanne", mode), case, mode)


RESEARCH = "chuv-imaging-lau-lau-research"


def _research_archive(resources: list[Resource]) -> Resource:
    """A second image bucket built like the first (a research archive), its detectors left as they were."""
    images = by_name(resources, "lau-images")
    bucket = copy.deepcopy(images)
    bucket.name, bucket.urn = "lau-research", images.urn.removesuffix("::lau-images") + "::lau-research"
    set_prop("name", value=RESEARCH)(bucket)
    resources.append(bucket)
    return bucket


UNWATCHED_BUCKET = [
    pytest.param(
        Case(
            UNEXPECTED,
            _research_archive,
            f"does not select image-read-by-uploader-on-{RESEARCH}",  # and the other attacks on it
            stack=True,
            also=frozenset({BASELINE, SPIKE}),
        ),
        id="second-image-bucket-left-unwatched",
    ),  # LOG-12/16/17, which buckets hold images: a team adds a research archive next to the clinical one by hand;
    # the detectors watch the first bucket's name only, so a bulk copy of the archive is never seen
    pytest.param(
        Case(
            UNEXPECTED,
            on("lau-images", set_prop("name", value="chuv-imaging-lau-lau-dicom")),
            "selects image-read-by-uploader-on-chuv-imaging-lau-lau-dicom",  # the filter selects none of them
            stack=True,
            # the spike and baselines watch the old name too; the site's grants name it too (IAM-11)
            also=frozenset({BASELINE, SPIKE, "gcp-iam-needed-grants-in-place"}),
        ),
        id="image-bucket-renamed-detectors-left-behind",
    ),  # LOG-12/16/17, which buckets hold images: the bucket is recreated under a new name by hand (a migration);
    # the detectors still watch the old name, and reads of the new bucket are never seen
]


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("case", UNWATCHED_BUCKET)
def test_an_image_bucket_no_detector_watches_is_rejected(policy_pack, case: Case, mode: str):
    """Every bucket of the stack that may hold images is watched by the spike alert, the unexpected-read detector
    and the read and egress baselines, by its name: not the conventional ``<project>-<site>-images`` only."""
    assert_rejected(policy_pack("lausanne", mode), case, mode)


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("case", SCOPE_AND_FILTER)
def test_a_detector_watching_another_scope_is_rejected(policy_pack, case: Case, mode: str):
    """The metric's own scope (project, bucketName) and the alert's whole threshold filter are judged, not only the
    alert policy's project and the metric name in its filter."""
    assert_rejected(policy_pack("lausanne", mode), case, mode)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        pytest.param("lau-detectors-unexpected-image-read-alert", THRESHOLD_FILTER, id="threshold-filter"),
        pytest.param("lau-detectors-unexpected-image-read", ("name",), id="metric-name"),
    ],
)
def test_an_unknown_detector_filter_or_metric_name_is_not_judged_in_preview(policy_pack, name, path):
    """The usual pattern builds the alert's filter from ``metric.name``: unknown in a first preview, it is not judged
    (the SDK's skip), never "nothing detects image reads"; nor is the detector's alert taken for LOG-12's spike."""
    resources = site_plan("lausanne", "preview")
    set_prop(*path, value=UNKNOWN)(by_name(resources, name))
    found = policy_pack("lausanne", "preview").analyze_stack(resources)
    assert not [d for d in found if d.level == "mandatory"], [(d.policy, d.message) for d in found]
    skipped = [d for d in found if d.skipped_in_preview]
    assert UNEXPECTED in {d.policy for d in skipped}, [(d.policy, d.message) for d in found]
    assert any(f".[{name}].{'.'.join(map(str, path))} can't be known" in d.message for d in skipped)


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("case", CASES)
def test_policy_rejects_mutation(policy_pack, case: Case, mode: str):
    assert_rejected(policy_pack("lausanne", mode), case, mode)


REMOVED_EXPORT = [
    pytest.param(
        Case(
            FINDINGS,
            remove("lau-logging-scc-findings"),
            "do not reach the SIEM",
            stack=True,
            also=frozenset({WITHIN_INTENT}),
        ),
        id="findings-export-removed",
    ),  # part 3: deleted after "permission denied" errors in a project whose organisation never activated SCC
]


@pytest.mark.parametrize("mode", ["update"])
@pytest.mark.parametrize("case", REMOVED_EXPORT)
def test_removing_the_findings_export_is_a_finding(policy_pack, case: Case, mode: str):
    """Its publisher grant stays, now nobody's need (IAM-10). In a first preview the grant's member was computed from
    the removed config, so IAM-10 and IAM-11 cannot judge it there; LOG-18's finding stands in every mode."""
    assert_rejected(policy_pack("lausanne", mode), case, mode)


def test_removing_the_findings_export_is_a_finding_in_a_first_preview(policy_pack):
    resources = site_plan("lausanne", "preview")
    remove("lau-logging-scc-findings")(resources)
    found = [d for d in policy_pack("lausanne", "preview").analyze_stack(resources) if d.policy == FINDINGS]
    assert [d.level for d in found] == ["mandatory"]


SNOOZED = [
    pytest.param(
        Case(
            UNEXPECTED,
            _snooze_of("lau-detectors-unexpected-image-read-alert"),
            "silences alert policy 'lau-detectors-unexpected-image-read-alert'",
            stack=True,
        ),
        id="image-read-detector-snoozed",
    ),  # part 5: a weekend snooze "for the migration", the weekend an insider copies the archive
]


@pytest.mark.parametrize("mode", ["update"])
@pytest.mark.parametrize("case", SNOOZED)
def test_policy_rejects_a_snooze_of_a_detector(policy_pack, case: Case, mode: str):
    """Once the alert policy's name is known: in a first preview the snooze's computed criteria could name any
    alert policy, and every alert's policy rightly reports it (LOG-14's behaviour)."""
    assert_rejected(policy_pack("lausanne", mode), case, mode)


def _snooze_by_number_of(alert: str) -> Mutation:
    """A snooze naming the alert policy with the project's number, which the API takes as well as its id."""

    def mutate(resources: list[Resource]) -> Resource:
        snooze = _snooze_of(alert)(resources)
        policies = [
            p.replace("projects/chuv-imaging-lau/", "projects/221841688848/")
            for p in snooze.inputs["criteria"]["policies"]
        ]
        set_prop("criteria", "policies", value=policies)(snooze)
        snooze.property_dependencies = {}
        return snooze

    return mutate


IMAGE_READS_ALERT = "lau-detectors-image-reads-vs-last-week-alert"

TIMED = [
    # Each blinds a baseline to part of the time or the volume while every single scenario of one hour still passed.
    pytest.param(
        Case(
            BASELINE,
            on(IMAGE_READS_ALERT, _rewrite(", 2000)", ", 2000) and hour() == 10", *PROMQL)),
            "does not fire on surge-at-03h",
            stack=True,
        ),
        id="read-baseline-watches-one-hour-a-day",
    ),  # LOG-17: "only alert in office hours, when someone is there to answer": a copy at night is never seen
    pytest.param(
        Case(
            BASELINE,
            on(IMAGE_READS_ALERT, _rewrite(", 2000)", ", 2000) < 20000", *PROMQL)),
            "does not fire on flood-x1000",
            stack=True,
        ),
        id="read-baseline-capped-above",
    ),  # LOG-17: "a burst that large is the nightly backup": a fast bulk copy above the cap never alerts
    pytest.param(
        Case(
            BASELINE,
            on(IMAGE_READS_ALERT, _rewrite("[1h] offset 1w", "[1w] offset 1w", *PROMQL)),
            "does not fire on surge-at",
            stack=True,
        ),
        id="read-baseline-against-a-whole-week",
    ),  # LOG-17: "compare with last week, not one hour of it": three times a whole week is never reached in an hour
    pytest.param(
        Case(
            BASELINE,
            on(
                IMAGE_READS_ALERT,
                set_prop("conditions", 0, "conditionPrometheusQueryLanguage", "evaluationInterval", value="86400s"),
            ),
            "evaluationInterval is 86400s",
            stack=True,
        ),
        id="read-baseline-evaluated-once-a-day",
    ),  # LOG-17: "save evaluation cost": the query sees one hour a day
    pytest.param(
        Case(
            "gcp-monitoring-site-security-alerts",
            on(
                "lau-alerts-image-read-spike",
                _rewrite(
                    'log_id("cloudaudit.googleapis.com/data_access")',
                    'log_id("cloudaudit.googleapis.com/data_access") AND NOT '
                    'protoPayload.resourceName:"/objects/archive/"',
                    "filter",
                ),
            ),
            "names part of an asset",
            stack=True,
            also=frozenset({BASELINE}),  # the read baselines count the same metric
        ),
        id="read-spike-skips-the-archive-folder",
    ),  # LOG-12: "the archive folder is read by the research export every night": a copy of the archive is not counted
]


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("case", TIMED)
def test_a_detector_blinded_to_some_hours_volumes_or_objects_is_rejected(policy_pack, case: Case, mode: str):
    """Scenarios at several hours of the day, floods far above a surge and a week of background, and names of whole
    buckets only: a gate, a cap, a wider window or an object path is refused."""
    assert_rejected(policy_pack("lausanne", mode), case, mode)


def test_a_snooze_naming_a_detector_by_project_number_is_rejected(policy_pack):
    """The API takes ``projects/[PROJECT_ID_OR_NUMBER]/alertPolicies/[ID]``: the number form silences it too."""
    case = Case(
        UNEXPECTED,
        _snooze_by_number_of("lau-detectors-unexpected-image-read-alert"),
        "silences alert policy 'lau-detectors-unexpected-image-read-alert'",
        stack=True,
    )
    assert_rejected(policy_pack("lausanne", "update"), case, "update")


# --- Legitimate variants (zero mandatory findings) -------------------------------------------------


def _assert_clean(pack, resources: list[Resource]) -> None:
    found = [d for d in pack.analyze_stack(resources) if d.level == "mandatory"]
    assert not found, [f"{d.policy}: {d.message}" for d in found]


def _own_thresholds(config: dict[str, str]) -> dict[str, str]:
    logging = json.loads(config["imaging-landing-zone:logging"])
    logging["detection"] = {
        "imageReads": {"ratio": 5, "minimum": 300},
        "egressBytes": {"ratio": 2.5, "minimum": 1073741824},
        "offHours": {"startHour": 0, "endHour": 6, "bulkReads": 100},
    }
    return {**config, "imaging-landing-zone:logging": json.dumps(logging)}


def _auditor_of_another_domain(config: dict[str, str]) -> dict[str, str]:
    rbac = json.loads(config["imaging-landing-zone:rbac"])
    domains = json.loads(config["imaging-landing-zone:groupDomains"])
    return {
        **config,
        "imaging-landing-zone:rbac": json.dumps({**rbac, "cert@soc-vaud.example": "auditor"}),
        "imaging-landing-zone:groupDomains": json.dumps({**domains, "soc-vaud.example": "C04socvd1"}),
    }


def _organisation_exports_findings(config: dict[str, str]) -> dict[str, str]:
    logging = json.loads(config["imaging-landing-zone:logging"])
    logging["findings"] = {
        "organisation": "The CHUV security team exports every project's findings at organisation level (SOC-114)."
    }
    return {**config, "imaging-landing-zone:logging": json.dumps(logging)}


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(_own_thresholds, id="site-declares-its-own-thresholds-and-night"),
        pytest.param(_auditor_of_another_domain, id="auditors-from-a-second-domain"),
        pytest.param(_organisation_exports_findings, id="organisation-exports-the-findings"),
    ],
)
@pytest.mark.parametrize("mode", ["preview", "update"])
def test_a_site_tuning_its_detectors_in_its_config_passes(variant, mode: str):
    """The site's own thresholds, off-hours or intended readers, declared in its config: the program's detectors
    follow them and the pack judges them by them."""
    config = variant(dict(stacks.load("lausanne").config))
    resources = run_program(PROGRAM, config=config, project=PROJECT, stack="lausanne", mode=mode)
    pack = configured_pack(config, stack="lausanne", mode=mode)
    try:
        _assert_clean(pack, resources)
    finally:
        pack.close()


def _stricter_copy(resources: list[Resource]) -> None:
    """A second image-read detector the SOC adds: a log-match condition on the same filter, its own channel."""
    metric = by_name(resources, "lau-detectors-unexpected-image-read")
    policy = copy.deepcopy(by_name(resources, "lau-detectors-unexpected-image-read-alert"))
    policy.name = "lau-soc-image-read-match"
    policy.urn = policy.urn.rsplit("::", 1)[0] + "::lau-soc-image-read-match"
    for props in (policy.inputs, policy.outputs):
        props["conditions"] = [
            {"displayName": "Unexpected reader", "conditionMatchedLog": {"filter": metric.inputs["filter"]}}
        ]
        props["alertStrategy"] = {"notificationRateLimit": {"period": "300s"}, "autoClose": "1800s"}
    resources.append(policy)


def _copy_paused_elsewhere(resources: list[Resource]) -> None:
    """A snooze of an unrelated alert of the stack (a test policy) leaves every detector notifying."""
    test_policy = copy.deepcopy(by_name(resources, "lau-detectors-off-hours-bulk-read-alert"))
    test_policy.name = "lau-load-test"
    test_policy.urn = test_policy.urn.rsplit("::", 1)[0] + "::lau-load-test"
    for props in (test_policy.inputs, test_policy.outputs):
        props["conditions"] = [{"displayName": "load test", "conditionPrometheusQueryLanguage": {"query": "vector(1)"}}]
        props["name"] = "projects/chuv-imaging-lau/alertPolicies/999"
    resources.append(test_policy)
    _snooze_of("lau-load-test")(resources)


def _alert_on_the_entries_resource(resources: list[Resource]) -> None:
    """The alert's filter also names the monitored resource of the image reads it exists for (the console's form)."""
    on(
        "lau-detectors-unexpected-image-read-alert",
        set_prop(*THRESHOLD_FILTER, value=IMAGE_READ_FILTER + ' AND resource.type="gcs_bucket"'),
    )(resources)


def _metric_in_the_site_project(resources: list[Resource]) -> None:
    """The metric names its project explicitly: the site project, where the alert looks."""
    on("lau-detectors-unexpected-key-use", set_prop("project", value="chuv-imaging-lau"))(resources)


def _intent_first_dots_backslashed(resources: list[Resource]) -> None:
    """The image-read filter written by hand: the intended domain's dots escaped with a backslash (the filter string
    escapes the backslash), the exclusion of the intended principals first, the accounts in another order."""

    def rewrite(r: Resource) -> None:
        for props in {id(p): p for p in (r.inputs, r.outputs)}.values():  # the outputs may be the inputs' object
            asset, _, intended = props["filter"].partition(" AND NOT (")
            terms = intended.removesuffix(")").replace("[.]", "\\\\.").split(" OR ")
            props["filter"] = f"NOT ({' OR '.join(reversed(terms))}) AND {asset}"

    on("lau-detectors-unexpected-image-read", rewrite)(resources)


def _egress_on_the_site_project(resources: list[Resource]) -> None:
    """The egress query also matches the bucket's project (a label of the gcs_bucket resource)."""
    on(
        "lau-detectors-egress-vs-last-week-alert",
        _rewrite(
            'monitored_resource="gcs_bucket"}',
            'monitored_resource="gcs_bucket",project_id="chuv-imaging-lau"}',
            *PROMQL,
        ),
    )(resources)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_intent_first_dots_backslashed, id="image-read-filter-hand-written-dots-backslashed"),
        pytest.param(_egress_on_the_site_project, id="egress-query-names-the-site-project"),
        pytest.param(_stricter_copy, id="soc-adds-a-log-match-detector"),
        pytest.param(_copy_paused_elsewhere, id="snooze-of-an-unrelated-alert"),
        pytest.param(_alert_on_the_entries_resource, id="alert-filter-names-the-reads-resource-type"),
        pytest.param(_metric_in_the_site_project, id="metric-names-the-site-project"),
    ],
)
@pytest.mark.parametrize("mode", ["preview", "update"])
def test_a_legitimate_addition_has_no_mandatory_finding(policy_pack, change, mode: str):
    resources = site_plan("lausanne", mode)
    change(resources)
    _assert_clean(policy_pack("lausanne", mode), resources)
