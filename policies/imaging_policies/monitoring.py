"""Security alerts: log-based metrics and alert policies that reach a declared, enabled channel.

Controls LOG-11 (the CIS 2.4 to 2.10 events) and LOG-12 (what the site's requirements add). Each
required alert is known by the sample entries it exists for (``trips`` in
:mod:`imaging_policies.log_samples`): an alert counts when an enabled alert policy fires on a
log-match condition, or a threshold on an enabled log-based metric, whose filter selects every one
of them. Its notification channels must include one the site declares (or an enabled email channel
of the stack to a declared address), and no channel it uses may be disabled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from imaging_policies import tokens
from imaging_policies._props import UNKNOWN, as_str, items, leaf, property_dependencies
from imaging_policies._registry import Report, stack_policy
from imaging_policies._site import LoggingDeclaration, site_logging
from imaging_policies.log_filters import select, site_samples
from imaging_policies.log_samples import Sample


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


def _catches(log_filter: Any, entries: tuple[Sample, ...]) -> bool:
    return select(log_filter, entries).keeps_all(entries)


def _alerts_on(condition: Any, entries: tuple[Sample, ...], metric_names: set[str]) -> bool:
    """Whether an alert condition fires on the event: a log-match on it, or a threshold on its metric."""
    matched = leaf(condition, "conditionMatchedLog", "filter")
    if matched is not None and _catches(matched, entries):
        return True
    threshold = leaf(condition, "conditionThreshold", "filter")
    if threshold is UNKNOWN:
        return bool(metric_names)
    return any(f'logging.googleapis.com/user/{name}"' in str(threshold or "") for name in metric_names)


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
    sources = property_dependencies(policy, "notificationChannels")
    known = {n for n in names if isinstance(n, str)}
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
    metrics = [r for r in resources if r.resource_type == tokens.LOG_METRIC and leaf(r.props, "disabled") is not True]
    policies = [r for r in resources if r.resource_type == tokens.ALERT_POLICY]
    channels = [r for r in resources if r.resource_type == tokens.NOTIFICATION_CHANNEL]
    names = {n for m in metrics if _catches(leaf(m.props, "filter"), entries) and (n := as_str(leaf(m.props, "name")))}
    unknown_names = any(leaf(m.props, "name") is UNKNOWN for m in metrics)
    alerting = [p for p in policies if any(_alerts_on(c, entries, names) for c in items(p.props, "conditions"))]
    enabled = [p for p in alerting if leaf(p.props, "enabled") is not False]
    if not enabled and not unknown_names:
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
        report(
            f"nothing alerts on {required.title}: missing {what}{_near_misses(metrics, entries)}. Add the metric "
            "and an alert policy with notification channels (SecurityAlerts does)."
        )
        return
    for policy in enabled:
        _check_channels(policy, required, channels, disabled_seen, report)


def _alerts_present(control: str) -> Callable[[StackValidationArgs, Report], None]:
    def check(args: StackValidationArgs, report: Report) -> None:
        samples = site_samples()
        resources, disabled_seen = list(args.resources), set[str]()
        for required in (a for a in REQUIRED_ALERTS if a.control == control):
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
