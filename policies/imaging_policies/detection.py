"""Anomaly detectors: unexpected access (LOG-16) and deviation from the site's own past (LOG-17).

Each detector is known by what it must fire on and stay quiet on (:mod:`imaging_policies._detection_samples`),
never by the words of its query:

- an unexpected-access detector counts when an enabled alert policy fires on one entry of an enabled
  log-based metric (or a log-match condition) whose filter selects every attack entry (reads and key use by
  principals the site does not intend) and none of the entries of the holders the pack's effective-access
  model intends (:mod:`imaging_policies._intent`);
- a baseline or off-hours detector counts when an enabled alert policy's ``conditionPrometheusQueryLanguage``
  query, evaluated by :mod:`imaging_policies._promql` on the series of the metric it must watch (the
  log-based metric selecting the site's image reads or denied requests, or the image bucket's sent bytes),
  fires on every attack scenario and on no normal one, at the thresholds the site declares.

A detector found must then notify as the site's alerts do (LOG-11, LOG-12, LOG-14): a declared, enabled
channel, an incident notified when it opens, within the site's bounds, and no snooze.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy import PolicyResource, Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from imaging_policies import tokens
from imaging_policies._detection_samples import (
    SENT_BYTES,
    AccessSamples,
    Entry,
    Scenario,
    Site,
    access_samples,
    baseline_scenarios,
    declaration,
    denied_entries,
    egress_scenarios,
    off_hours_scenarios,
    read_principals,
)
from imaging_policies._detector_reach import ALLOWED_LABELS, EVERYONE_COUNTED, filter_problems, query_problems
from imaging_policies._log_filters import on_image_buckets, site_samples
from imaging_policies._log_samples import images_of
from imaging_policies._logquery import QuerySyntaxError, parse
from imaging_policies._promql import PromQLError, fires, metric_name
from imaging_policies._props import UNKNOWN, as_str, items, leaf
from imaging_policies._registry import Report, stack_policy
from imaging_policies._site import site_logging, site_setting
from imaging_policies.access import site_intent
from imaging_policies.log_path import seconds
from imaging_policies.monitoring import (
    RequiredAlert,
    _check_channels,
    _policy_problems,
    _resource_types,
    _snoozed,
    _unknown_threshold,
    metric_scope_problem,
    threshold_metric,
)
from imaging_policies.storage import image_buckets

UNEXPECTED: Final = (
    RequiredAlert("unexpected-image-read", "LOG-16", "image reads by a principal the site does not intend"),
    RequiredAlert("unexpected-key-use", "LOG-16", "key use by a principal the site does not intend"),
    RequiredAlert("unexpected-log-read", "LOG-16", "security-log reads by a principal the site does not intend"),
)
BASELINES: Final = (
    RequiredAlert("image-reads-vs-last-week", "LOG-17", "image reads far above the same hour a week earlier"),
    RequiredAlert("egress-vs-last-week", "LOG-17", "image bucket egress far above the same hour a week earlier"),
    RequiredAlert("denied-vs-last-week", "LOG-17", "denied requests far above the same hour a week earlier"),
    RequiredAlert("off-hours-bulk-read", "LOG-17", "bulk image reads in the site's off-hours"),
)
"""Every detector the pack requires; the keys are the components' ``Detector.key`` (a contract test)."""
_SETTING: Final = {
    "image-reads-vs-last-week": "imageReads",
    "egress-vs-last-week": "egressBytes",
    "denied-vs-last-week": "deniedRequests",
}
_PROMQL: Final = ("conditionPrometheusQueryLanguage", "query")


def _skip(resource: str, *path: str) -> None:
    """Not judged in a first preview: an unknown filter or query could be the one detector."""
    raise UnknownValueError(UNKNOWN_STRING_VALUE, [f"[{resource}]", *path])


def _site() -> Site | None:
    declared = site_logging()
    if declared.project and declared.region and declared.site_code:
        return Site(declared.project, declared.region, declared.site_code)
    return None


@dataclass
class _Stack:
    metrics: list[PolicyResource]
    policies: list[PolicyResource]
    channels: list[PolicyResource]
    snoozes: list[PolicyResource]
    image_buckets: tuple[str, ...]
    """The names of the stack's buckets that may hold images: every one must be watched."""

    @classmethod
    def of(cls, args: StackValidationArgs) -> _Stack:
        resources = list(args.resources)

        def of_type(token: str) -> list[PolicyResource]:
            return [r for r in resources if r.resource_type == token]

        buckets = image_buckets(resources)
        if buckets.unknown is not None:
            _skip(buckets.unknown.name, "name")  # whatever watches the others, it may go unwatched
        return cls(
            metrics=[m for m in of_type(tokens.LOG_METRIC) if leaf(m.props, "disabled") is not True],
            policies=of_type(tokens.ALERT_POLICY),
            channels=of_type(tokens.NOTIFICATION_CHANNEL),
            snoozes=of_type(tokens.SNOOZE),
            image_buckets=buckets.names,
        )


def _selected(log_filter: str, entries: Sequence[Entry]) -> list[str] | None:
    """The ids of the entries ``log_filter`` selects; ``None`` when it cannot be parsed."""
    try:
        node = parse(log_filter)
    except QuerySyntaxError:
        return None
    return [e.id for e in entries if node.matches(e.entry)]


def _filter_problem(log_filter: Any, samples: AccessSamples) -> str | None:
    """Why a filter does not detect (``None``: it selects every attack entry and no intended principal's)."""
    if not isinstance(log_filter, str):
        return "has no filter"
    hits = _selected(log_filter, samples.attacks)
    if hits is None:
        return "has a filter the pack cannot parse"
    missed = [e.id for e in samples.attacks if e.id not in hits]
    reach = filter_problems(parse(log_filter), samples.intended)
    if missed or reach:
        return "; ".join([*([f"does not select {', '.join(missed)}"] if missed else []), *reach])
    noisy = _selected(log_filter, samples.quiet) or []
    if noisy:
        return f"also selects {', '.join(noisy)}, the site's intended principals (an alert nobody can act on)"
    return None


def _notify(
    required: RequiredAlert,
    found: list[tuple[PolicyResource, list[int]]],
    stack: _Stack,
    report: Report,
    missing: str,
    *,
    disabled_seen: set[str],
    resource_types: Sequence[str] = (),
) -> None:
    """The detector's alert policies (with their threshold conditions' indexes) must exist, be enabled and notify."""
    if not found:
        report(f"nothing detects {required.title}: {missing}. Add the detector (AnomalyDetectors does).")
        return
    enabled = [(p, firing) for p, firing in found if leaf(p.props, "enabled") is not False]
    if not enabled:
        for policy, _ in found:
            report(
                f"alert policy {policy.name!r} on {required.title} is disabled (enabled: false), so nothing "
                "detects it. Set enabled to true.",
                policy.urn,
            )
        return
    declared = site_logging()
    for policy, firing in enabled:
        _check_channels(policy, required, stack.channels, disabled_seen, report)
        for problem in _policy_problems(policy, required, firing, declared, resource_types):
            report(f"alert policy {policy.name!r} on {required.title}: {problem}.", policy.urn)
        for index, condition in enumerate(items(policy.props, "conditions")):
            limit = declared.alert_bounds.max_condition_duration
            for key, why in (
                ("duration", "the query must hold that long before an incident opens"),
                ("evaluationInterval", "the query is run that seldom, and the hours between runs are never seen"),
            ):
                value = leaf(condition, "conditionPrometheusQueryLanguage", key)
                span = seconds(value) if isinstance(value, str) else 0.0
                if span is None or span > limit:
                    report(
                        f"alert policy {policy.name!r} on {required.title}: conditions[{index}]."
                        f"conditionPrometheusQueryLanguage.{key} is {value}, longer than the site's "
                        f"maxConditionDuration ({limit}s): {why}. Keep it within logging.alerts.",
                        policy.urn,
                    )
        for snooze in stack.snoozes:
            if _snoozed(snooze, policy):
                report(
                    f"snooze {snooze.name!r} criteria.policies silences alert policy {policy.name!r} on "
                    f"{required.title}: nobody is notified of it meanwhile. Remove the snooze; a detector is tuned "
                    "through imaging-landing-zone:logging.detection.",
                    snooze.urn,
                )


def _unexpected_access(args: StackValidationArgs, report: Report) -> None:
    site = _site()
    if site is None:
        report("the stack's site config names no gcpProject, region and siteCode: no detector can be judged.")
        return
    stack, disabled_seen = _Stack.of(args), set[str]()  # a disabled channel: one finding per control
    samples = access_samples(site_intent(args), site, stack.image_buckets)
    for required in UNEXPECTED:
        wanted = samples[required.key]
        good, near, unknown = set[str](), list[str](), None
        for metric in stack.metrics:
            log_filter = leaf(metric.props, "filter")
            if log_filter is UNKNOWN:
                unknown = (metric.name, "filter")
                continue
            problem = _filter_problem(log_filter, wanted)
            name = leaf(metric.props, "name")
            if problem is None and name is UNKNOWN:
                unknown = (metric.name, "name")
            elif problem is None and (scope := metric_scope_problem(metric, site.project)) is not None:
                near.append(scope)
            elif problem is None and isinstance(name, str) and name:
                good.add(name)
            elif problem and isinstance(log_filter, str) and (_selected(log_filter, wanted.attacks) or []):
                near.append(f"metric {metric.name!r} {problem}")
        found = []
        for policy in stack.policies:
            conditions = items(policy.props, "conditions")
            firing = [i for i, c in enumerate(conditions) if threshold_metric(c) in good]
            matched = [
                i
                for i, c in enumerate(conditions)
                if isinstance(f := leaf(c, "conditionMatchedLog", "filter"), str) and _filter_problem(f, wanted) is None
            ]
            if firing or matched:
                found.append((policy, firing))
        if not found and unknown is not None:
            _skip(*unknown)
        if not found and good and (threshold := _unknown_threshold(stack.policies)) is not None:
            _skip(threshold[0], "conditions", str(threshold[1]), "conditionThreshold", "filter")
        attacks = ", ".join(e.id for e in wanted.attacks)
        missing = (
            f"missing a logging Metric whose filter selects {attacks} and no intended principal's entry, with an "
            "enabled AlertPolicy on it"
        )
        _notify(
            required,
            found,
            stack,
            report,
            missing + (f" ({'; '.join(near)})" if near else ""),
            disabled_seen=disabled_seen,
            resource_types=sorted(_resource_types(e.entry for e in wanted.attacks)),
        )


def _sources(required: RequiredAlert, stack: _Stack, site: Site) -> tuple[list[str], str, list[str]]:
    """The PromQL metric names the detector may watch, what they must count (for messages), and why a metric
    that selects every sample is no source (it names a principal or reads what an attacker chooses)."""
    if required.key == "egress-vs-last-week":
        return [SENT_BYTES], "each image bucket's sent bytes", []
    if required.key == "denied-vs-last-week":
        entries: Sequence[Entry] = denied_entries(site)
        what = "denied requests"
    else:
        reads = [s for s in site_samples() if s.id == "image-read"]
        entries = [Entry(s.id, s.entry) for s in on_image_buckets(reads, stack.image_buckets)]
        what = "the image buckets' reads"
    names, narrowed = [], []
    for metric in stack.metrics:
        log_filter, name = leaf(metric.props, "filter"), as_str(leaf(metric.props, "name"))
        if (
            isinstance(log_filter, str)
            and name
            and _selected(log_filter, entries) == [e.id for e in entries]
            and metric_scope_problem(metric, site.project) is None
        ):
            if reach := filter_problems(parse(log_filter), EVERYONE_COUNTED):
                narrowed.append(f"metric {metric.name!r} {'; '.join(reach)}")
            else:
                names.append(metric_name(f"logging.googleapis.com/user/{name}"))
    return names, what, narrowed


def _scenarios(required: RequiredAlert, source: str, site: Site, buckets: Sequence[str]) -> tuple[Scenario, ...]:
    declared = declaration(site_setting)
    if required.key == "off-hours-bulk-read":
        return off_hours_scenarios(source, read_principals(site), declared.off_hours)
    if required.key == "egress-vs-last-week":  # each image bucket against its own past, the others steady
        return egress_scenarios(
            source,
            buckets or (images_of(site.project, site.code),),
            declared.baselines[_SETTING[required.key]],
            project=site.project,
        )
    labels: tuple[Mapping[str, str], ...] = ({},) if required.key == "denied-vs-last-week" else read_principals(site)
    return baseline_scenarios(source, labels, declared.baselines[_SETTING[required.key]])


def _query_problem(
    query: str, required: RequiredAlert, sources: list[str], site: Site, buckets: Sequence[str]
) -> str | None:
    """Why a query does not detect (``None``: on one of the sources it fires on every attack and on nothing
    normal)."""
    problems = []
    for source in sources:
        try:
            wrong = query_problems(query, source, ALLOWED_LABELS.get(required.key, frozenset()))
        except PromQLError as error:
            return f"cannot be evaluated by the pack ({error})"
        for scenario in _scenarios(required, source, site, buckets):
            try:
                fired = fires(query, scenario.series, scenario.at)
            except PromQLError as error:
                return f"cannot be evaluated by the pack ({error})"
            if fired != scenario.fires:
                wrong.append(f"{'does not fire on' if scenario.fires else 'fires on'} {scenario.id}")
        if not wrong:
            return None
        if source in query:
            problems.append(f"on {source}: {', '.join(wrong)}")
    return "; ".join(problems) or f"watches none of {', '.join(sources) or 'the metrics it must'}"


def _baselines(args: StackValidationArgs, report: Report) -> None:
    site = _site()
    if site is None:
        report("the stack's site config names no gcpProject, region and siteCode: no detector can be judged.")
        return
    stack, disabled_seen = _Stack.of(args), set[str]()  # a disabled channel: one finding per control
    for required in BASELINES:
        sources, what, narrowed = _sources(required, stack, site)
        found: list[tuple[PolicyResource, list[int]]] = []
        near: list[str] = narrowed
        unknown: str | None = None
        for policy in stack.policies:
            for index, condition in enumerate(items(policy.props, "conditions")):
                query = leaf(condition, *_PROMQL)
                if query is UNKNOWN:
                    unknown = policy.name
                    continue
                if not isinstance(query, str):
                    continue
                problem = _query_problem(query, required, sources, site, stack.image_buckets)
                if problem is None:
                    found.append((policy, []))
                    break
                if any(s in query for s in sources):
                    near.append(f"alert policy {policy.name!r} conditions[{index}].{'.'.join(_PROMQL)} {problem}")
        if not found and unknown is not None:
            _skip(unknown, "conditions")
        missing = (
            f"missing an enabled AlertPolicy whose conditionPrometheusQueryLanguage query on {what} fires on the "
            "site's attack scenarios and is quiet on a normal day, at the thresholds of logging.detection"
        )
        _notify(
            required,
            found,
            stack,
            report,
            missing + (f" ({'; '.join(near)})" if near else ""),
            disabled_seen=disabled_seen,
        )


_TYPES: Final = [tokens.LOG_METRIC, tokens.ALERT_POLICY, tokens.NOTIFICATION_CHANNEL, tokens.SNOOZE]

POLICIES = [
    stack_policy(
        name="gcp-monitoring-unexpected-access-detectors",
        site_only=True,
        types=_TYPES,
        control="LOG-16",
        description="Image reads, key use and security-log reads by any principal the site does not intend each "
        "raise an alert at the first entry, notifying a declared channel when an incident opens.",
        severity=Severity.HIGH,
        remediation="Keep a log-based metric per asset whose filter excludes exactly the site's intended principals, "
        "with an enabled, notifying alert policy on it (AnomalyDetectors).",
        check=_unexpected_access,
    ),
    stack_policy(
        name="gcp-monitoring-baseline-detectors",
        site_only=True,
        types=_TYPES,
        control="LOG-17",
        description="Image reads, image-bucket egress and denied requests far above the same hour a week earlier, "
        "and bulk image reads in the site's off-hours, each raise an alert that notifies a declared channel.",
        severity=Severity.HIGH,
        remediation="Keep a PromQL alert policy per detector at the thresholds of imaging-landing-zone:logging."
        "detection, enabled and notifying (AnomalyDetectors).",
        check=_baselines,
    ),
]
