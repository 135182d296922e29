"""Security alerts: log-based metrics and alert policies that reach a declared, enabled channel.

Controls LOG-11 (the CIS 2.4 to 2.10 events), LOG-12 (what the site's requirements add) and LOG-14
(each such alert policy notifies when an incident opens, within the bounds the site declares). Each
required alert is known by the sample entries it exists for (``trips`` in
:mod:`imaging_policies._log_samples`): an alert counts when an enabled alert policy fires on a
log-match condition, or a threshold on an enabled log-based metric, whose filter selects every one
of them. Its notification channels must include one the site declares (or an enabled email channel
of the stack to a declared address), and no channel it uses may be disabled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy import PolicyResource, Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from imaging_policies import tokens
from imaging_policies._detector_reach import counting_everyone
from imaging_policies._log_filters import on_image_buckets, select, site_samples
from imaging_policies._log_samples import Sample
from imaging_policies._props import UNKNOWN, as_str, items, known, leaf, names, property_dependencies
from imaging_policies._registry import Report, stack_policy
from imaging_policies._site import AlertBounds, LoggingDeclaration, site_logging
from imaging_policies.log_path import seconds
from imaging_policies.storage import image_buckets


@dataclass(frozen=True)
class RequiredAlert:
    key: str
    """The alert's key: the samples it must select are those whose ``trips`` hold it."""
    control: str
    title: str


REQUIRED_ALERTS = (
    RequiredAlert("project-ownership", "LOG-11", "project ownership changes (CIS 2.4)"),
    RequiredAlert("audit-config", "LOG-11", "audit configuration changes (CIS 2.5)"),
    RequiredAlert("custom-role", "LOG-11", "custom role changes (CIS 2.6)"),
    RequiredAlert("firewall", "LOG-11", "VPC firewall rule changes (CIS 2.7)"),
    RequiredAlert("route", "LOG-11", "VPC route changes (CIS 2.8)"),
    RequiredAlert("network", "LOG-11", "VPC network changes (CIS 2.9)"),
    RequiredAlert("bucket-iam", "LOG-11", "Cloud Storage IAM changes (CIS 2.10)"),
    RequiredAlert("kms-key-disabled", "LOG-12", "KMS key version disable or destroy"),
    RequiredAlert("log-routing", "LOG-12", "log sink or log bucket changes"),
    RequiredAlert("service-account-key", "LOG-12", "service-account key creation"),
    RequiredAlert("org-policy", "LOG-12", "org-policy changes"),
    RequiredAlert("image-read-spike", "LOG-12", "spikes of image reads by one principal"),
)
"""Every alert a site must have; the keys are the components' ``SecurityAlert.key`` (a contract test)."""


def _entries(required: RequiredAlert, samples: tuple[Sample, ...]) -> tuple[Sample, ...]:
    return tuple(s for s in samples if required.key in s.trips)


def _catches(log_filter: Any, entries: tuple[Sample, ...], key: str = "") -> bool:
    return select(log_filter, entries).keeps_all(entries) and not _narrowed(key, log_filter)


def _narrowed(key: str, log_filter: Any) -> list[str]:
    """The read-spike metric counts every principal: what its filter reads beyond that, whatever the samples hold."""
    return counting_everyone(log_filter) if key == SPIKE_KEY else []


_LOG_METRIC: Final = r'metric\.type\s*=\s*"logging\.googleapis\.com/user/(?P<{0}>[^"\\]+)"'
_RESOURCE: Final = r'resource\.type\s*=\s*"(?P<{0}>[^"\\]+)"'
_STRICT: Final = re.compile(
    rf"\s*(?:{_LOG_METRIC.format('m1')}(?:\s+AND\s+{_RESOURCE.format('r1')})?"
    rf"|{_RESOURCE.format('r2')}\s+AND\s+{_LOG_METRIC.format('m2')})\s*"
)
_NAMED: Final = re.compile(r'logging\.googleapis\.com/user/([^"\s]+)"')


def threshold_metric(condition: Any) -> str | None:
    """The log-based metric a threshold condition's filter names (``None``: none, or unknown). Only which
    alert the condition is; whether the filter keeps every series of it is :func:`threshold_filter_problem`'s."""
    threshold = leaf(condition, "conditionThreshold", "filter")
    found = _NAMED.search(threshold) if isinstance(threshold, str) else None
    return found.group(1) if found else None


def threshold_filter_problem(threshold: Any, resource_types: Iterable[str]) -> str | None:
    """Why a threshold filter may not keep every series of its log-based metric (``None``: it does). Only
    ``metric.type="logging.googleapis.com/user/<name>"`` is read, optionally ``AND resource.type="<type>"`` where
    the type is the monitored resource of every entry the alert exists for (a log-based metric's series carry
    the entry's resource); any other clause (a label, a project, another resource) can keep the event out."""
    found = _STRICT.fullmatch(threshold) if isinstance(threshold, str) else None
    if found is None:
        return (
            f'filter is {threshold!r}: the pack reads only metric.type="logging.googleapis.com/user/<metric>" '
            "(optionally AND the entries' resource.type); another clause can keep the event's series out. Filter "
            "on the metric alone"
        )
    resource = found.group("r1") or found.group("r2")
    allowed = sorted(set(resource_types))
    if resource is not None and allowed != [resource]:
        return (
            f"filter keeps only resource.type {resource!r}, but the event's entries are on {', '.join(allowed)}: "
            "their series are not counted. Filter on the metric alone"
        )
    return None


def not_judged_in_preview(resource: str, *path: str | int) -> None:
    """Not judged in a first preview: an unknown value could be the alert (the SDK's advisory skip)."""
    raise UnknownValueError(UNKNOWN_STRING_VALUE, [f"[{resource}]", *(str(p) for p in path)])


def metric_scope_problem(metric: PolicyResource, project: str | None) -> str | None:
    """Why a log-based metric does not count the site project's entries (``None``: it does).

    Its ``project`` must be the site project (unset: the provider's, which the site program sets to it):
    elsewhere the alert policy in the site project watches a metric that does not exist there. Its
    ``bucketName`` must be unset: a project metric counts every entry the project's Log Router receives,
    whatever the sinks and exclusions do; a bucket-scoped metric counts only what is routed into that one log
    bucket (an empty bucket counts nothing), which the pack would have to prove sample by sample."""
    where = known(metric.props, "project", resource=metric.name)
    if isinstance(where, str) and project and where != project:
        return (
            f"metric {metric.name!r} project is {where}, not the site project {project}: the site's alert watches "
            "a metric that does not exist there. Create the metric in the site project"
        )
    bucket = known(metric.props, "bucketName", resource=metric.name)
    if bucket:
        return (
            f"metric {metric.name!r} bucketName is {bucket}: it counts only the entries routed to that log "
            "bucket, not the site project's. Remove bucketName"
        )
    return metric_shape_problem(metric)


def metric_shape_problem(metric: PolicyResource) -> str | None:
    """Why a log-based metric is not a count of its entries (``None``: it is). A ``valueExtractor`` makes it a
    distribution of a value read from each entry, and a ``metricDescriptor`` of another kind or value type than
    ``DELTA`` / ``INT64`` (the provider's defaults when unset) is not what an alert's counting aligners add up."""
    if known(metric.props, "valueExtractor", resource=metric.name):
        return (
            f"metric {metric.name!r} has a valueExtractor: it is a distribution of a value read from each entry, not "
            "a count of the entries. Remove valueExtractor"
        )
    for key, counting in (("valueType", "INT64"), ("metricKind", "DELTA")):
        value = known(metric.props, "metricDescriptor", key, resource=metric.name)
        if value not in (None, counting):
            return (
                f"metric {metric.name!r} metricDescriptor.{key} is {value}: the alert's count of entries needs "
                f"{counting}. Set it to {counting}"
            )
    return None


PRINCIPAL_EXTRACTOR: Final = "EXTRACT(protoPayload.authenticationInfo.principalEmail)"
"""The label extractor that names who made an entry: the only label a per-principal spike may group by."""


def principal_labels(metrics: Iterable[PolicyResource], names: set[str]) -> frozenset[str]:
    """The labels of the metrics named ``names`` whose extractor reads the entry's principal."""
    found = set()
    for metric in metrics:
        if as_str(leaf(metric.props, "name")) in names:
            extractors = leaf(metric.props, "labelExtractors")
            if isinstance(extractors, Mapping):
                found |= {
                    k for k, v in extractors.items() if isinstance(v, str) and "".join(v.split()) == PRINCIPAL_EXTRACTOR
                }
    return frozenset(found)


def _alerts_on(condition: Any, entries: tuple[Sample, ...], metric_names: set[str], key: str = "") -> bool:
    """Whether an alert condition fires on the event: a log-match on it, or a threshold on its metric. An
    unknown threshold filter is not taken for the event's alert (:func:`_unknown_threshold`)."""
    matched = leaf(condition, "conditionMatchedLog", "filter")
    if matched is not None and _catches(matched, entries, key):
        return True
    return threshold_metric(condition) in metric_names


def _unknown_threshold(policies: list[PolicyResource]) -> tuple[str, int] | None:
    """The first alert policy (and condition index) whose threshold filter is unknown in a first preview."""
    for policy in policies:
        for index, condition in enumerate(items(policy.props, "conditions")):
            if condition is UNKNOWN or leaf(condition, "conditionThreshold", "filter") is UNKNOWN:
                return policy.name, index
    return None


def _resource_types(entries: Iterable[Any]) -> set[str]:
    return {t for e in entries if isinstance(t := leaf(e, "resource", "type"), str)}


def _near_misses(metrics: list[PolicyResource], entries: tuple[Sample, ...]) -> str:
    """Metrics whose filter selects some of the entries but not all (a narrowed alert), for the message."""
    found = []
    for metric in metrics:
        selection = select(leaf(metric.props, "filter"), entries)
        missed = selection.missed(entries)
        if selection.hits(entries) and missed:
            found.append(f"metric {metric.name!r} no longer selects {', '.join(s.id for s in missed)}")
    return f" ({'; '.join(found)})" if found else ""


def _channels_used(policy: PolicyResource, channels: list[PolicyResource]) -> tuple[list[Any], list[PolicyResource]]:
    """The policy's channel names, and the stack's NotificationChannel resources among them."""
    names = items(policy.props, "notificationChannels")
    known = {n for n in names if isinstance(n, str)}
    if len(known) == len(names):  # every name is known: a channel is used when it is named, whatever it was made from
        return names, [c for c in channels if as_str(leaf(c.props, "name")) in known]
    sources = property_dependencies(policy, "notificationChannels")
    return names, [c for c in channels if c.urn in sources or as_str(leaf(c.props, "name")) in known]


def _reaches_declared(names: list[Any], used: list[PolicyResource], declared: LoggingDeclaration) -> bool:
    """Whether the policy notifies a channel the site declares: one of its ``notificationChannels``, or an
    enabled email channel of the stack to one of its ``emails``. With nothing declared, any enabled channel."""
    enabled = [c for c in used if leaf(c.props, "enabled") is not False]
    if not declared.channels and not declared.emails:
        return bool(enabled) or any(
            isinstance(n, str) and n not in {leaf(c.props, "name") for c in used} for n in names
        )
    if any(n in declared.channels for n in names) or any(leaf(c.props, "name") in declared.channels for c in enabled):
        return True
    for channel in enabled:
        if leaf(channel.props, "type") not in ("email", UNKNOWN):
            continue  # only an email channel sends to its email_address label
        email = leaf(channel.props, "labels", "email_address")
        if email is UNKNOWN or (isinstance(email, str) and email.lower() in declared.emails):
            return True
    unresolved = [n for n in names if n is UNKNOWN]
    return len(unresolved) > len(used)  # an unknown channel the pack cannot resolve: not judged in preview


def _check_channels(
    policy: PolicyResource,
    required: RequiredAlert,
    channels: list[PolicyResource],
    disabled_seen: set[str],
    report: Report,
) -> None:
    names, used = _channels_used(policy, channels)
    if not names:
        report(
            f"alert policy {policy.name!r} on {required.title} has no notificationChannels, so nobody hears "
            "of it. Add the site's channels.",
            policy.urn,
        )
        return
    for channel in used:
        if leaf(channel.props, "enabled") is False and channel.urn not in disabled_seen:
            disabled_seen.add(channel.urn)  # once per channel, naming the first alert it silences
            report(
                f"notification channel {channel.name!r}, used by alert policy {policy.name!r} on {required.title}, "
                "is disabled (enabled: false), so it delivers nothing. Set enabled to true.",
                channel.urn,
            )
    declared = site_logging()
    if not _reaches_declared(names, used, declared):
        shown = ", ".join(str(n) for n in names)
        report(
            f"alert policy {policy.name!r} on {required.title} notifies only {shown}, none of them an enabled "
            f"channel the site declares ({declared.source}). Use the channels of logging.alerts.",
            policy.urn,
        )


def _check_alert(
    required: RequiredAlert,
    resources: list[PolicyResource],
    samples: tuple[Sample, ...],
    disabled_seen: set[str],
    report: Report,
) -> None:
    entries = _entries(required, samples)
    project = site_logging().project
    metrics = [r for r in resources if r.resource_type == tokens.LOG_METRIC and leaf(r.props, "disabled") is not True]
    policies = [r for r in resources if r.resource_type == tokens.ALERT_POLICY]
    channels = [r for r in resources if r.resource_type == tokens.NOTIFICATION_CHANNEL]
    catching = [m for m in metrics if _catches(leaf(m.props, "filter"), entries, required.key)]
    scoped = [problem for m in catching if (problem := metric_scope_problem(m, project))]
    names = {n for m in catching if metric_scope_problem(m, project) is None and (n := as_str(leaf(m.props, "name")))}
    unknown_name = next((m for m in catching if leaf(m.props, "name") is UNKNOWN), None)
    alerting = [
        p for p in policies if any(_alerts_on(c, entries, names, required.key) for c in items(p.props, "conditions"))
    ]
    enabled = [p for p in alerting if leaf(p.props, "enabled") is not False]
    if not enabled:
        if unknown_name is not None:
            not_judged_in_preview(unknown_name.name, "name")
        if names and (unknown := _unknown_threshold(policies)) is not None:
            not_judged_in_preview(unknown[0], "conditions", unknown[1], "conditionThreshold", "filter")
        if alerting:
            for policy in alerting:
                report(
                    f"alert policy {policy.name!r} on {required.title} is disabled (enabled: false), so nothing "
                    "alerts on it. Set enabled to true.",
                    policy.urn,
                )
            return
        what = (
            "an enabled AlertPolicy on it"
            if names
            else f"a logging Metric whose filter selects {', '.join(s.id for s in entries)}"
        )
        near = _near_misses(metrics, entries)
        narrowed = [
            f"metric {m.name!r} {'; '.join(p)}"
            for m in metrics
            if select(leaf(m.props, "filter"), entries).keeps_all(entries)
            and (p := _narrowed(required.key, leaf(m.props, "filter")))
        ]
        if narrowed:
            near = f" ({'; '.join(narrowed)})" + near
        if scoped:
            near = f" ({'; '.join(scoped)})" + near
        report(
            f"nothing alerts on {required.title}: missing {what}{near}. Add the metric "
            "and an alert policy with notification channels (SecurityAlerts does)."
        )
        return
    for policy in enabled:
        _check_channels(policy, required, channels, disabled_seen, report)


def _spike_on_image_buckets(samples: tuple[Sample, ...], resources: list[PolicyResource]) -> tuple[Sample, ...]:
    """The image-read spike's entries on every image bucket of the stack (whatever it is called): a spike of reads
    of any of them must alert; the other alerts' entries as they are. An image bucket whose name is unknown (a
    first preview) leaves the spike alert not judged."""
    buckets = image_buckets(resources)
    if buckets.unknown is not None:
        not_judged_in_preview(buckets.unknown.name, "name")
    spike = [s for s in samples if SPIKE_KEY in s.trips]
    return (*(s for s in samples if SPIKE_KEY not in s.trips), *on_image_buckets(spike, buckets.names))


def _alerts_present(control: str) -> Callable[[StackValidationArgs, Report], None]:
    def check(args: StackValidationArgs, report: Report) -> None:
        samples = site_samples()
        resources, disabled_seen = list(args.resources), set[str]()
        for required in (a for a in REQUIRED_ALERTS if a.control == control):
            if required.key == SPIKE_KEY:  # the last: an unknown bucket name skips only what follows
                samples = _spike_on_image_buckets(samples, resources)
            _check_alert(required, resources, samples, disabled_seen, report)

    return check


POLICIES = [
    stack_policy(
        name="gcp-monitoring-cis-security-alerts",
        site_only=True,
        types=[tokens.LOG_METRIC, tokens.ALERT_POLICY, tokens.NOTIFICATION_CHANNEL],
        control="LOG-11",
        description="The CIS 2.4 to 2.10 events each raise an alert that notifies a declared, enabled channel.",
        severity=Severity.HIGH,
        remediation="Add a log-based metric and an alert policy with notification channels per event (SecurityAlerts).",
        check=_alerts_present("LOG-11"),
    ),
    stack_policy(
        name="gcp-monitoring-site-security-alerts",
        site_only=True,
        types=[tokens.LOG_METRIC, tokens.ALERT_POLICY, tokens.NOTIFICATION_CHANNEL],
        control="LOG-12",
        description="Key, log-routing, key-creation, org-policy and image-read-spike events raise alerts that "
        "notify a declared, enabled channel.",
        severity=Severity.HIGH,
        remediation="Add a log-based metric and an alert policy with notification channels per event (SecurityAlerts).",
        check=_alerts_present("LOG-12"),
    ),
]


# --- LOG-14 ---------------------------------------------------------------------------------------

NOTIFY_POLICY = "gcp-monitoring-security-alerts-notify"
PROPERTIES: dict[str, dict[str, tuple[str, str]]] = {
    tokens.ALERT_POLICY: {
        "conditions": (NOTIFY_POLICY, "which event fires it (LOG-11, LOG-12), and within the site's bounds"),
        "combiner": (NOTIFY_POLICY, "AND over several conditions needs all of them at once"),
        "alertStrategy": (NOTIFY_POLICY, "notification prompts, auto-close and rate limit"),
        "severity": (NOTIFY_POLICY, "at least the site's minSeverity"),
        "project": (NOTIFY_POLICY, "another project's policy watches that project's metrics"),
        "enabled": ("gcp-monitoring-cis-security-alerts", "a disabled policy alerts on nothing (LOG-11, LOG-12)"),
        "notificationChannels": ("gcp-monitoring-cis-security-alerts", "a declared, enabled channel (LOG-11, LOG-12)"),
        "documentation": ("harmless", "text sent with a notification; it cannot stop one"),
        "displayName": ("harmless", "a name"),
        "userLabels": ("harmless", "metadata"),
        "deletionPolicy": ("harmless", "what a destroy does to the resource (ABANDON keeps it)"),
    },
    tokens.SNOOZE: {
        "criteria": (NOTIFY_POLICY, "the policies it silences"),
        "interval": (NOTIFY_POLICY, "named in the finding; a snooze of a security alert is one whenever it is"),
        "displayName": ("harmless", "a name"),
        "project": ("harmless", "criteria.policies names each policy with its project"),
    },
}
"""Every property of the alerting types (the pinned provider schema's, a test holds them equal), with the
policy that judges it or why it cannot keep a notification from being sent."""
SPIKE_KEY = "image-read-spike"
SPIKE_WINDOW_SECONDS = 300
"""The anomaly window the site declares reads over (the components' ``SPIKE_WINDOW_SECONDS``; a contract test)."""
SEVERITIES = ("WARNING", "ERROR", "CRITICAL")
"""Cloud Monitoring's alert policy severities, least first."""
COUNTING_ALIGNERS = frozenset({"ALIGN_SUM", "ALIGN_DELTA"})
"""Per-series aligners whose aligned value is the number of events in the window (a log metric is a DELTA
count); another (a rate, a mean, a percentile) turns the count into something the threshold does not mean."""
COUNTING_REDUCERS = frozenset({"REDUCE_NONE", "REDUCE_SUM", "REDUCE_MAX"})
"""Cross-series reducers that keep a series' count or add to it (absent is REDUCE_NONE)."""


def _fires_at(read: Callable[..., Any], events: int) -> str | None:
    """Why a threshold condition does not fire when ``events`` entries arrive at once (``None``: it does)."""
    threshold = read("thresholdValue")
    value = 0.0 if threshold is None else threshold
    comparison = read("comparison")
    if comparison == "COMPARISON_GT" and events > value:
        return None
    if comparison == "COMPARISON_GE" and events >= value:
        return None
    if comparison in ("COMPARISON_GT", "COMPARISON_GE"):
        verb = "events do" if events > 1 else "event does"
        return f"thresholdValue is {value:g} ({comparison}), so {events} {verb} not fire it"
    return f"comparison is {comparison}, so a rising count of events does not fire it"


def _split_principals(fields: Any, at: str, principals: frozenset[str]) -> list[str]:
    """Why a spike's grouping splits one principal's reads among series (each may stay under the threshold)."""
    return [
        f"{at}.groupByFields holds {field}, which is not the label the metric extracts from the entry's principal: "
        "one principal's reads are split among series, and each may stay under the spike threshold. Group by the "
        "principal's label only"
        for field in (fields or [])
        if not (isinstance(field, str) and field.removeprefix("metric.label.") in principals)
    ]


def _threshold_problems(
    props: Any,
    index: int,
    required: RequiredAlert,
    bounds: AlertBounds,
    name: str,
    *,
    principals: frozenset[str] = frozenset(),
) -> list[str]:
    """What keeps the threshold condition ``conditions[index]`` from firing on the event within the site's
    bounds. A value unknown in a first preview stops the policy there, naming its path (not judged)."""

    def read(*path: str | int) -> Any:
        return known(props, "conditions", index, "conditionThreshold", *path, resource=name)

    where = f"conditions[{index}].conditionThreshold"
    spike = required.key == SPIKE_KEY
    events = bounds.image_read_spike if spike else 1
    found = []
    if (problem := _fires_at(read, events)) is not None:
        declared = f"imageReadSpike {events}" if spike else "one event"
        found.append(f"{where}.{problem} (the site declares {declared})")
    duration = seconds(read("duration") or "0s")
    if duration is None or duration > bounds.max_condition_duration:
        found.append(
            f"{where}.duration is {read('duration')}, longer than the site's maxConditionDuration "
            f"({bounds.max_condition_duration}s): the count must stay above the threshold that long, which one event "
            "does not do"
        )
    count, percent = read("trigger", "count"), read("trigger", "percent")
    if isinstance(count, int | float) and count > 1:
        found.append(f"{where}.trigger.count is {count:g}: that many series must cross at once, not one principal")
    if percent not in (None, 0):
        found.append(f"{where}.trigger.percent is {percent}: a share of the series must cross at once, not one")
    for key in ("denominatorFilter", "forecastOptions"):
        if read(key):
            found.append(f"{where}.{key} is set: the condition no longer compares the count of events")
    for at_index in range(len(items(leaf(props, "conditions", index, "conditionThreshold"), "aggregations"))):
        at = f"{where}.aggregations[{at_index}]"
        aligner = read("aggregations", at_index, "perSeriesAligner")
        if aligner is not None and aligner not in COUNTING_ALIGNERS:
            found.append(f"{at}.perSeriesAligner is {aligner}: the aligned value is no longer the count of events")
        reducer = read("aggregations", at_index, "crossSeriesReducer")
        if reducer is not None and reducer not in COUNTING_REDUCERS:
            found.append(f"{at}.crossSeriesReducer is {reducer}: it dilutes one principal's count among the others")
        if spike:
            found += _split_principals(read("aggregations", at_index, "groupByFields"), at, principals)
        shown = read("aggregations", at_index, "alignmentPeriod")
        period = seconds(shown or "60s")
        if period is None or period > bounds.max_quiet_period:
            found.append(
                f"{at}.alignmentPeriod is {shown}, longer than the site's maxQuietPeriod ({bounds.max_quiet_period}s): "
                "an event keeps the series above the threshold that long, and a repeat within it opens no new incident"
            )
        elif spike and period < SPIKE_WINDOW_SECONDS:
            found.append(
                f"{at}.alignmentPeriod is {shown}: the reads are counted over less than the {SPIKE_WINDOW_SECONDS}s "
                "window the site's imageReadSpike is declared for"
            )
    return found


def _policy_problems(
    policy: PolicyResource,
    required: RequiredAlert,
    firing: list[int],
    declared: LoggingDeclaration,
    resource_types: Iterable[str] = (),
    *,
    principals: frozenset[str] = frozenset(),
) -> list[str]:
    """Why an alert policy on a required event may not notify when it happens (properties named); ``principals``:
    the labels its metrics extract from the entry's principal (a spike may group by them only)."""
    name, props, bounds = policy.name, policy.props, declared.alert_bounds
    found = []
    project = known(props, "project", resource=name)
    if isinstance(project, str) and declared.project and project != declared.project:
        found.append(
            f"project is {project}, not the site project {declared.project}: the policy watches that project's "
            "metrics, where the site's log-based metric does not exist. Create it in the site project"
        )
    conditions = items(props, "conditions")
    combiner = known(props, "combiner", resource=name)
    if len(conditions) > 1 and combiner != "OR":
        found.append(
            f"combiner is {combiner} over {len(conditions)} conditions: an incident opens only when all of them hold "
            f"at once, so {required.title} alone notifies nobody. Set combiner to OR, or give the alert its own policy"
        )
    prompts = known(props, "alertStrategy", "notificationPrompts", resource=name)
    if prompts and "OPENED" not in list(prompts):
        found.append(
            f"alertStrategy.notificationPrompts is {list(prompts)}: nobody is notified when an incident opens. "
            "Include OPENED"
        )
    for path, what in (
        (("alertStrategy", "autoClose"), "an open incident swallows a repeat of the event that long"),
        (("alertStrategy", "notificationRateLimit", "period"), "a repeat within that period is not notified"),
    ):
        value = known(props, *path, resource=name)
        span = seconds(value) if value is not None else 0.0
        if span is None or span > bounds.max_quiet_period:
            found.append(
                f"{'.'.join(path)} is {value}, longer than the site's maxQuietPeriod ({bounds.max_quiet_period}s): "
                f"{what}. Shorten it"
            )
    severity = known(props, "severity", resource=name)
    if severity not in SEVERITIES or SEVERITIES.index(severity) < SEVERITIES.index(bounds.min_severity):
        found.append(
            f"severity is {severity or 'not set'}, below the site's minSeverity {bounds.min_severity}: the SOC routes "
            f"it as routine. Set severity to {bounds.min_severity} or above"
        )
    for index in firing:
        if known(props, "conditions", index, "conditionThreshold", resource=name) is not None:
            threshold = known(props, "conditions", index, "conditionThreshold", "filter", resource=name)
            if (problem := threshold_filter_problem(threshold, resource_types)) is not None:
                found.append(f"conditions[{index}].conditionThreshold.{problem}")
            problems = _threshold_problems(props, index, required, bounds, name, principals=principals)
            found.extend(f"{p}. Keep it within logging.alerts" for p in problems)
    return found


def _snoozed(snooze: PolicyResource, policy: PolicyResource) -> bool:
    """Whether a Snooze names the alert policy in ``criteria.policies`` (by name, or computed from it)."""
    if policy.urn in property_dependencies(snooze, "criteria"):
        return True
    targets = items(snooze.props, "criteria", "policies")
    return UNKNOWN in targets or any(names(t, policy) or _same_policy_id(t, policy) for t in targets)


_POLICY_ID: Final = re.compile(r"(?:^|/)alertPolicies/(?P<id>[^/]+)$")


def _same_policy_id(reference: Any, policy: PolicyResource) -> bool:
    """Whether ``reference`` names the policy's ``alertPolicies/<id>`` whatever its project segment says: the API
    takes ``projects/[PROJECT_ID_OR_NUMBER]/alertPolicies/[POLICY_ID]``, so a snooze naming the site project by
    number silences the policy as surely as one naming it by id (a guard counts it)."""
    mine = {m["id"] for k in ("name", "id") if (v := as_str(leaf(policy.props, k))) and (m := _POLICY_ID.search(v))}
    found = _POLICY_ID.search(reference) if isinstance(reference, str) else None
    return found is not None and found["id"] in mine


def _alerts_notify(args: StackValidationArgs, report: Report) -> None:
    samples = site_samples()
    resources = list(args.resources)
    declared = site_logging()
    metrics = [r for r in resources if r.resource_type == tokens.LOG_METRIC and leaf(r.props, "disabled") is not True]
    policies = [
        r for r in resources if r.resource_type == tokens.ALERT_POLICY and leaf(r.props, "enabled") is not False
    ]
    snoozes = [r for r in resources if r.resource_type == tokens.SNOOZE]
    judged: set[tuple[str, str]] = set()
    for required in REQUIRED_ALERTS:
        entries = _entries(required, samples)
        metric_names = {
            n
            for m in metrics
            if _catches(leaf(m.props, "filter"), entries)
            and metric_scope_problem(m, declared.project) is None
            and (n := as_str(leaf(m.props, "name")))
        }
        for policy in policies:
            conditions = items(policy.props, "conditions")
            firing = [i for i, c in enumerate(conditions) if _alerts_on(c, entries, metric_names)]
            if not firing:
                continue
            types = _resource_types(s.entry for s in entries)
            principals = principal_labels(metrics, metric_names)
            for problem in _policy_problems(policy, required, firing, declared, types, principals=principals):
                if (policy.urn, problem) not in judged:
                    judged.add((policy.urn, problem))
                    report(f"alert policy {policy.name!r} on {required.title}: {problem}.", policy.urn)
            for snooze in snoozes:
                if _snoozed(snooze, policy) and (snooze.urn, policy.urn) not in judged:
                    judged.add((snooze.urn, policy.urn))
                    report(
                        f"snooze {snooze.name!r} criteria.policies silences alert policy {policy.name!r} on "
                        f"{required.title} (interval {leaf(snooze.props, 'interval', 'startTime')} to "
                        f"{leaf(snooze.props, 'interval', 'endTime')}): nobody is notified of it meanwhile. Remove "
                        "the snooze; a security alert is tuned through its threshold, within logging.alerts.",
                        snooze.urn,
                    )
    if (unknown := _unknown_threshold(policies)) is not None:  # it could be a security alert outside the bounds
        not_judged_in_preview(unknown[0], "conditions", unknown[1], "conditionThreshold", "filter")


POLICIES.append(
    stack_policy(
        name=NOTIFY_POLICY,
        site_only=True,
        types=[tokens.ALERT_POLICY, tokens.SNOOZE],
        control="LOG-14",
        description="Every alert policy on a security event notifies when an incident opens: its combiner lets the "
        "event's condition fire alone, its threshold, duration, trigger and aggregations fire on the event within "
        "the site's declared bounds, its severity is at least the site's, and no snooze silences it.",
        severity=Severity.HIGH,
        remediation=(
            "Use combiner OR, include OPENED in alertStrategy.notificationPrompts, keep thresholds, durations, "
            "alignment periods, autoClose and rate limits within imaging-landing-zone:logging.alerts, and remove "
            "snoozes of security alerts (SecurityAlerts does)."
        ),
        check=_alerts_notify,
    )
)
