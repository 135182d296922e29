"""Every security log's path, end to end, and alerts that notify: mutations of the Lausanne site's real plan,
judged by the real pack process (see ``mutation.py``).

Issue part 4. LOG-13 (``gcp-logging-siem-path-intact``) follows the sample security entries past the SIEM
sink: the topic and the subscription the declared subscriber reads. LOG-14
(``gcp-monitoring-security-alerts-notify``) judges each alert policy on a security event against the
bounds the site declares (``logging.alerts``). LOG-09 keeps the security-log bucket at the retention the
site declares. The hops before them (sinks, their filters and exclusions, project exclusions, the
built-in sinks) are held by ``test_logs_mutations.py``, ``test_guard_logging.py`` and
``test_bypass_mutations.py``; delivery by push, BigQuery or Cloud Storage by ``test_closed_world.py``.

Each case says why a careless engineer or an insider would write it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from imaging_policies import log_path, monitoring
from imaging_policies._site import IMAGE_READ_SPIKE, MAX_CONDITION_DURATION, MAX_QUIET_PERIOD, MIN_ALERT_SEVERITY

from components.logs import EXPORT_RETENTION
from components.monitoring import SPIKE_WINDOW
from preflight.engine.runner import UNKNOWN, Resource
from program.config import AlertSettings
from tests.conftest import by_name, site_plan
from tests.policies.mutation import Case, Mutation, add_resource, assert_rejected, changes, on, remove, set_prop

PATH = "gcp-logging-siem-path-intact"
ALERTS = "gcp-monitoring-security-alerts-notify"
RETENTION = "gcp-logging-bucket-locked-retention"
TOPIC = "lau-logging-siem"
SUBSCRIPTION = "lau-logging-siem-subscription"
SIEM_TOPIC = "projects/chuv-imaging-lau/topics/lau-siem-export"
THRESHOLD = ("conditions", 0, "conditionThreshold")
DATA_ACCESS_LOG = "projects/chuv-imaging-lau/logs/cloudaudit.googleapis.com%2Fdata_access"
DROP_AUDIT = """function dropAudit(message, metadata) {
  const entry = JSON.parse(message.data);
  return entry.logName.includes("cloudaudit.googleapis.com") ? null : message;
}"""


def _snooze_of(alert: str) -> Mutation:
    """A Snooze resource whose criteria name the alert policy, as the console's "snooze" button writes it."""

    def mutate(resources: list[Resource]) -> Resource:
        policy = by_name(resources, alert)
        snooze = add_resource(
            "gcp:monitoring/snooze:Snooze",
            "lau-change-freeze",
            {
                "project": "chuv-imaging-lau",
                "displayName": "Change freeze: migration weekend",
                "criteria": {"policies": [policy.outputs["name"]]},
                "interval": {"startTime": "2026-12-12T00:00:00Z", "endTime": "2026-12-14T00:00:00Z"},
            },
        )(resources)
        snooze.property_dependencies = {"criteria": [policy.urn]}
        return snooze

    return mutate


def _second_condition(alert: str, metric: str) -> Callable[[Resource], None]:
    """Adds a threshold condition on another event's metric and combines the two with AND."""

    def change(r: Resource) -> None:
        for props in (r.inputs, r.outputs):
            first = props["conditions"][0]
            other = {
                "displayName": f"{metric} changed",
                "conditionThreshold": {
                    **first["conditionThreshold"],
                    "filter": f'metric.type="logging.googleapis.com/user/{metric}"',
                },
            }
            props["conditions"] = [first, other]
            props["combiner"] = "AND"

    return change


CASES = [
    # --- LOG-13: the SIEM topic -------------------------------------------------------------------
    pytest.param(
        # An insider hides their own admin activity: a "noise reduction" UDF on the topic drops audit entries.
        Case(
            PATH,
            on(
                TOPIC,
                set_prop(
                    "messageTransforms", value=[{"javascriptUdf": {"functionName": "dropAudit", "code": DROP_AUDIT}}]
                ),
            ),
            "topic 'lau-logging-siem' messageTransforms[0]: the JavaScript function 'dropAudit' rewrites every "
            "message published to the topic, and a function that returns null drops it",
            stack=True,
        ),
        id="topic-transform-drops-audit-entries",
    ),
    pytest.param(
        # A platform engineer "validates" the feed with the SIEM vendor's Avro schema; LogEntry JSON fails it.
        Case(
            PATH,
            on(
                TOPIC,
                set_prop(
                    "schemaSettings", value={"schema": "projects/chuv-imaging-lau/schemas/siem-v1", "encoding": "JSON"}
                ),
            ),
            "schemaSettings.schema: Pub/Sub rejects every publish that does not match the schema",
            stack=True,
        ),
        id="schema-on-the-siem-topic",
    ),
    pytest.param(
        # Someone feeds a partner's log drop into the same topic "so the SOC has one feed": spoofable entries.
        Case(
            PATH,
            on(
                TOPIC,
                set_prop(
                    "ingestionDataSourceSettings",
                    value={"cloudStorage": {"bucket": "partner-log-drop", "textFormat": {"delimiter": "\n"}}},
                ),
            ),
            "ingestionDataSourceSettings: cloudStorage publishes into the SIEM topic",
            stack=True,
        ),
        id="partner-bucket-ingested-into-the-siem-topic",
    ),
    pytest.param(
        # A residency review adds enforceInTransit "to be sure"; the Log Router and the SOC's collector are global.
        Case(
            PATH,
            on(
                TOPIC,
                set_prop(
                    "messageStoragePolicy",
                    value={"allowedPersistenceRegions": ["europe-west6"], "enforceInTransit": True},
                ),
            ),
            "messageStoragePolicy.enforceInTransit: Pub/Sub fails every publish and pull made outside",
            stack=True,
        ),
        id="topic-enforces-regions-in-transit",
    ),
    # --- LOG-13: the SIEM subscription ------------------------------------------------------------
    pytest.param(
        # The SOC's licence is priced per GB: someone filters Data Access entries out of the subscription.
        Case(
            PATH,
            on(
                SUBSCRIPTION,
                set_prop(
                    "filter",
                    value=f'NOT hasPrefix(attributes.logName, "{DATA_ACCESS_LOG}")',
                ),
            ),
            "subscription 'lau-logging-siem-subscription' filter: Pub/Sub acknowledges without delivering every "
            "message",
            stack=True,
        ),
        id="subscription-filter-drops-data-access",
    ),
    pytest.param(
        # Copied from a tutorial: a dead-letter topic in the shared ops project, "so poison messages don't block".
        Case(
            PATH,
            on(
                SUBSCRIPTION,
                set_prop(
                    "deadLetterPolicy",
                    value={"deadLetterTopic": "projects/shared-ops/topics/dead-letters", "maxDeliveryAttempts": 5.0},
                ),
            ),
            "deadLetterPolicy.deadLetterTopic: after 5 failed deliveries a message goes to "
            "projects/shared-ops/topics/dead-letters instead of the SIEM",
            stack=True,
        ),
        id="dead-letter-to-a-foreign-topic",
    ),
    pytest.param(
        # A cost clean-up sets a one-day expiry on "idle" subscriptions: a SIEM outage over a weekend deletes it.
        Case(
            PATH,
            on(SUBSCRIPTION, set_prop("expirationPolicy", value={"ttl": "86400s"})),
            "expirationPolicy: is ttl 86400s: after that long without a pull the subscription is deleted",
            stack=True,
        ),
        id="subscription-expires-after-a-day",
    ),
    pytest.param(
        # Rewritten by hand without the component: expirationPolicy left out, so the 31-day default applies.
        Case(
            PATH,
            on(SUBSCRIPTION, set_prop("expirationPolicy", value=None)),
            "expirationPolicy: is not set, so Pub/Sub applies its 31-day default",
            stack=True,
        ),
        id="subscription-expiry-left-to-the-default",
    ),
    pytest.param(
        # "The SIEM pulls every minute anyway": an hour of backlog, and a collector outage loses entries.
        Case(
            PATH,
            on(SUBSCRIPTION, set_prop("messageRetentionDuration", value="3600s")),
            "messageRetentionDuration: is 3600s: an entry the SIEM has not pulled within that time is deleted",
            stack=True,
        ),
        id="subscription-backlog-one-hour",
    ),
    pytest.param(
        # A "PII redaction" UDF on the subscription: it rewrites the principal and caller IP the SOC needs.
        Case(
            PATH,
            on(
                SUBSCRIPTION,
                set_prop(
                    "messageTransforms",
                    value=[{"javascriptUdf": {"functionName": "redact", "code": "function redact(m) { return m; }"}}],
                ),
            ),
            "messageTransforms[0]: the JavaScript function 'redact' rewrites every message before delivery",
            stack=True,
        ),
        id="subscription-transform-redacts",
    ),
    pytest.param(
        # A second team attaches its own subscription to the SIEM topic "to build dashboards": a full copy.
        Case(
            PATH,
            add_resource(
                "gcp:pubsub/subscription:Subscription",
                "lau-siem-dashboards",
                {"project": "chuv-imaging-lau", "name": "lau-siem-dashboards", "topic": SIEM_TOPIC},
            ),
            "subscription 'lau-siem-dashboards' topic: the subscription takes a copy of every message of the SIEM "
            "topic, and the declared SIEM subscriber serviceaccount:siem-collector@chuv-soc.iam.gserviceaccount.com "
            "does not read it",
            stack=True,
        ),
        id="second-subscription-copies-the-siem-topic",
    ),
    pytest.param(
        # The SIEM's grant removed during an IAM clean-up: the entries pile up for nobody, then expire.
        Case(
            PATH,
            remove("lau-logging-siem-reader"),
            "no subscription of the SIEM topic is read by the declared SIEM subscriber",
            stack=True,
            also=frozenset({"gcp-iam-needed-grants-in-place"}),  # the effective access sees the grant missing
        ),
        id="siem-subscriber-grant-removed",
    ),
    pytest.param(
        # A test migration re-points the SIEM's subscription at a staging topic and is never pointed back.
        Case(
            PATH,
            on(SUBSCRIPTION, set_prop("topic", value="projects/chuv-imaging-lau/topics/lau-siem-staging")),
            "topic 'lau-logging-siem' name: no subscription of the SIEM topic is read by the declared SIEM subscriber",
            stack=True,
        ),
        id="siem-subscription-re-pointed-at-staging",
    ),
    # --- LOG-09: the security-log bucket at the site's declared retention --------------------------
    pytest.param(
        # The site declares ten years (the canton's archive rule); someone sets seven, above the pack minimum.
        Case(
            RETENTION,
            on("lau-logging-bucket", set_prop("retentionDays", value=2555.0)),
            "retentionDays is 2555, shorter than the 3650 days the site declares",
        ),
        id="security-bucket-shorter-than-declared",
    ),
    # --- LOG-14: alert policies that notify --------------------------------------------------------
    pytest.param(
        # "Only tell us when it is over": the ownership alert notifies on close only.
        Case(
            ALERTS,
            on(
                "lau-alerts-project-ownership-alert",
                set_prop("alertStrategy", value={"autoClose": "1800s", "notificationPrompts": ["CLOSED"]}),
            ),
            "alertStrategy.notificationPrompts is ['CLOSED']: nobody is notified when an incident opens",
            stack=True,
        ),
        id="alert-notifies-on-close-only",
    ),
    pytest.param(
        # Two alerts merged into one policy "to cut noise": AND over firewall and route changes never fires.
        Case(
            ALERTS,
            on("lau-alerts-firewall-alert", _second_condition("lau-alerts-firewall-alert", "lau-route")),
            "combiner is AND over 2 conditions: an incident opens only when all of them hold at once",
            stack=True,
        ),
        id="alert-and-over-conditions-that-cannot-co-occur",
    ),
    pytest.param(
        # A noisy night: the spike threshold raised tenfold, above the site's declared imageReadSpike (500).
        Case(
            ALERTS,
            on("lau-alerts-image-read-spike-alert", set_prop(*THRESHOLD, "thresholdValue", value=5000.0)),
            "conditions[0].conditionThreshold.thresholdValue is 5000 (COMPARISON_GT), so 500 events do not fire it "
            "(the site declares imageReadSpike 500)",
            stack=True,
        ),
        id="spike-threshold-above-the-declared-bound",
    ),
    pytest.param(
        # "Only alert if it persists": the custom-role alert must hold for a day, which one change never does.
        Case(
            ALERTS,
            on("lau-alerts-custom-role-alert", set_prop(*THRESHOLD, "duration", value="86400s")),
            "conditions[0].conditionThreshold.duration is 86400s, longer than the site's maxConditionDuration (60s)",
            stack=True,
        ),
        id="alert-condition-holds-a-day",
    ),
    pytest.param(
        # The event alert now needs three changes at once: COMPARISON_GT 2.
        Case(
            ALERTS,
            on("lau-alerts-route-alert", set_prop(*THRESHOLD, "thresholdValue", value=2.0)),
            "conditions[0].conditionThreshold.thresholdValue is 2 (COMPARISON_GT), so 1 event does not fire it",
            stack=True,
        ),
        id="event-alert-needs-three-events",
    ),
    pytest.param(
        # Per-second rate instead of a count: 500 reads in five minutes are 1.7 per second, below any threshold.
        Case(
            ALERTS,
            on(
                "lau-alerts-image-read-spike-alert",
                set_prop(*THRESHOLD, "aggregations", 0, "perSeriesAligner", value="ALIGN_RATE"),
            ),
            "aggregations[0].perSeriesAligner is ALIGN_RATE: the aligned value is no longer the count of events",
            stack=True,
        ),
        id="spike-counted-as-a-rate",
    ),
    pytest.param(
        # The spike window cut to one minute: 500 reads must now happen in 60 s instead of five minutes.
        Case(
            ALERTS,
            on(
                "lau-alerts-image-read-spike-alert",
                set_prop(*THRESHOLD, "aggregations", 0, "alignmentPeriod", value="60s"),
            ),
            "aggregations[0].alignmentPeriod is 60s: the reads are counted over less than the 300s window",
            stack=True,
        ),
        id="spike-window-cut-to-a-minute",
    ),
    pytest.param(
        # The spike must come from three principals at once before anyone hears of it.
        Case(
            ALERTS,
            on("lau-alerts-image-read-spike-alert", set_prop(*THRESHOLD, "trigger", value={"count": 3.0})),
            "conditions[0].conditionThreshold.trigger.count is 3: that many series must cross at once",
            stack=True,
        ),
        id="spike-needs-three-principals",
    ),
    pytest.param(
        # An incident left open for a week swallows every later network change of that week.
        Case(
            ALERTS,
            on("lau-alerts-network-alert", set_prop("alertStrategy", value={"autoClose": "604800s"})),
            "alertStrategy.autoClose is 604800s, longer than the site's maxQuietPeriod (1800s)",
            stack=True,
        ),
        id="alert-incident-open-for-a-week",
    ),
    pytest.param(
        # Rate-limited to one notification a day: the second log-routing change of the day goes unheard.
        Case(
            ALERTS,
            on(
                "lau-alerts-log-routing-alert",
                set_prop("alertStrategy", value={"autoClose": "1800s", "notificationRateLimit": {"period": "86400s"}}),
            ),
            "alertStrategy.notificationRateLimit.period is 86400s, longer than the site's maxQuietPeriod",
            stack=True,
        ),
        id="alert-rate-limited-to-one-a-day",
    ),
    pytest.param(
        # Downgraded to WARNING so the on-call pager ignores it.
        Case(
            ALERTS,
            on("lau-alerts-kms-key-disabled-alert", set_prop("severity", value="WARNING")),
            "severity is WARNING, below the site's minSeverity ERROR",
            stack=True,
        ),
        id="kms-alert-downgraded-to-warning",
    ),
    pytest.param(
        # Copied from the dev project's monitoring config with its project: it watches dev's metrics, not the site's.
        Case(
            ALERTS,
            on("lau-alerts-service-account-key-alert", set_prop("project", value="chuv-imaging-dev")),
            "project is chuv-imaging-dev, not the site project chuv-imaging-lau",
            stack=True,
        ),
        id="key-creation-alert-in-another-project",
    ),
    pytest.param(
        # A "change freeze" snooze on the audit-config alert, the weekend an insider turns Data Access logs off.
        Case(
            ALERTS,
            _snooze_of("lau-alerts-audit-config-alert"),
            "snooze 'lau-change-freeze' criteria.policies silences alert policy 'lau-alerts-audit-config-alert'",
            stack=True,
        ),
        id="audit-config-alert-snoozed",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_policy_rejects_mutation(policy_pack, case: Case):
    assert_rejected(policy_pack("lausanne", "update"), case)


@pytest.mark.parametrize(
    "case",
    [
        c
        for c in CASES
        if c.id in {"subscription-expires-after-a-day", "alert-notifies-on-close-only", "schema-on-the-siem-topic"}
    ],
)
def test_policy_rejects_mutation_in_a_first_preview(policy_pack, case: Case):
    """The same hops in a fresh site's first preview (keys and ids unknown): judged, not skipped."""
    assert_rejected(policy_pack("lausanne", "preview"), case, "preview")


@pytest.mark.parametrize(
    ("name", "path", "policy"),
    [
        pytest.param(SUBSCRIPTION, ("filter",), PATH, id="subscription-filter"),
        pytest.param(SUBSCRIPTION, ("expirationPolicy", "ttl"), PATH, id="subscription-expiry"),
        pytest.param(TOPIC, ("schemaSettings", "schema"), PATH, id="topic-schema"),
        pytest.param("lau-alerts-route-alert", ("combiner",), ALERTS, id="alert-combiner"),
        pytest.param("lau-alerts-route-alert", ("alertStrategy", "notificationPrompts"), ALERTS, id="alert-prompts"),
        pytest.param("lau-alerts-image-read-spike-alert", (*THRESHOLD, "thresholdValue"), ALERTS, id="spike-threshold"),
    ],
)
def test_an_unknown_value_on_the_path_is_not_judged_in_preview(policy_pack, name, path, policy):
    """A value computed from another resource (unknown in a first preview) could be the one that drops or silences:
    the policy is reported as not run during preview, naming the resource and property, never as met."""
    resources = site_plan("lausanne", "preview")
    set_prop(*path, value=UNKNOWN)(by_name(resources, name))
    found = [d for d in policy_pack("lausanne", "preview").analyze_stack(resources) if d.skipped_in_preview]
    assert [d.policy for d in found] == [policy]
    assert f"value at .[{name}].{'.'.join(map(str, path))} can't be known during preview" in found[0].message


def _no_mandatory_finding(pack, change: Callable[[list[Resource]], list[Resource]], mode: str = "update") -> None:
    resources = site_plan("lausanne", mode)
    touched = change(resources)
    found = [d for r in touched for d in pack.analyze(r)] + pack.analyze_stack(resources)
    mandatory = [f"{d.policy} on {d.urn}: {d.message}" for d in found if d.level == "mandatory"]
    assert not mandatory, mandatory
    assert not [d for d in found if d.skipped_in_preview], [d.message for d in found]


def _changed(name: str, *steps: Callable[[Resource], None]) -> Callable[[list[Resource]], list[Resource]]:
    def change(resources: list[Resource]) -> list[Resource]:
        r = by_name(resources, name)
        changes(*steps)(r)
        return [r]

    return change


LEGITIMATE = [
    pytest.param(
        _changed(TOPIC, set_prop("labels", "data-owner", value="soc")),
        id="siem-topic-gets-a-label",
    ),  # the SOC tags the topic for its cost report
    pytest.param(
        _changed(
            SUBSCRIPTION,
            set_prop("messageRetentionDuration", value="1209600s"),
            set_prop("retainAckedMessages", value=True),
            set_prop("ackDeadlineSeconds", value=300.0),
        ),
        id="siem-subscription-keeps-two-weeks",
    ),  # a longer backlog and replay for the SOC's slow collector: keeps more, loses nothing
    pytest.param(
        _changed(
            SUBSCRIPTION,
            set_prop("retryPolicy", value={"minimumBackoff": "10s", "maximumBackoff": "600s"}),
            set_prop("enableExactlyOnceDelivery", value=True),
        ),
        id="siem-subscription-backs-off-and-delivers-once",
    ),  # redelivery delayed at most ten minutes; exactly-once removes only duplicates
    pytest.param(
        _changed(
            "lau-alerts-image-read-spike-alert",
            set_prop(*THRESHOLD, "thresholdValue", value=199.0),
        ),
        id="stricter-spike-threshold",
    ),  # the SOC wants to hear of 200 reads, not 500
    pytest.param(
        _changed(
            "lau-alerts-project-ownership-alert",
            set_prop("alertStrategy", value={"autoClose": "900s", "notificationPrompts": ["OPENED"]}),
        ),
        id="alert-notifies-on-open-only-and-closes-sooner",
    ),  # no "resolved" e-mail; incidents close after a quarter of an hour
    pytest.param(
        _changed("lau-alerts-org-policy-alert", set_prop("userLabels", "runbook", value="sec-7")),
        id="alert-gets-a-runbook-label",
    ),
]


@pytest.mark.parametrize("change", LEGITIMATE)
def test_a_legitimate_variant_has_no_mandatory_finding(policy_pack, change):
    _no_mandatory_finding(policy_pack("lausanne", "update"), change)


def test_a_longer_backlog_is_judged_in_a_first_preview(policy_pack):
    _no_mandatory_finding(policy_pack("lausanne", "preview"), LEGITIMATE[1].values[0], "preview")


def test_the_packs_copies_of_the_site_facts_are_the_components():
    """The pack is published alone: its copies of the export backlog, the spike window and the alert bounds'
    defaults are held equal to the components' and the site config's here."""
    assert log_path.seconds(EXPORT_RETENTION) == log_path.MIN_BACKLOG_SECONDS
    assert log_path.seconds(SPIKE_WINDOW) == monitoring.SPIKE_WINDOW_SECONDS
    defaults = AlertSettings.model_validate({"emails": {"soc": "soc@chuv.example"}})
    assert (
        defaults.max_condition_duration,
        defaults.max_quiet_period,
        defaults.min_severity,
        defaults.image_read_spike,
    ) == (MAX_CONDITION_DURATION, MAX_QUIET_PERIOD, MIN_ALERT_SEVERITY, IMAGE_READ_SPIKE)
