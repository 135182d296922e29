"""Log management: audit logs, locked CMEK retention, SIEM export, no exclusions, security alerts.

Controls LOG-01, LOG-05, LOG-07 to LOG-12 and ENC-09. The security log families and the required
alerts are declared here by the evidence a filter must carry (the pack never imports the
components, whose catalogue is tested against sample log entries).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from imaging_policies import tokens
from imaging_policies._props import UNKNOWN, as_str, items, leaf, members, refers_by_dependency
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies.kms import site_key_problem

AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
MIN_RETENTION_DAYS = 2190
PUBLISHER_ROLE = "roles/pubsub.publisher"
BUILT_IN_SINKS = frozenset({"_Default", "_Required"})

SECURITY_LOG_FAMILIES: dict[str, tuple[str, ...]] = {
    "audit logs": ("cloudaudit.googleapis.com",),
    "VPC flow logs": ("vpc_flows",),
    "firewall logs": ("compute.googleapis.com/firewall", "compute.googleapis.com%2Ffirewall"),
    "load balancer request logs": ("http_load_balancer",),
    "DNS query logs": ("dns_queries",),
}
"""Each security log family and the filter terms that select it (any one of them)."""


@dataclass(frozen=True)
class RequiredAlert:
    title: str
    control: str
    evidence: tuple[str, ...]
    """Every term the metric's (or log-match condition's) filter must contain."""


REQUIRED_ALERTS = (
    RequiredAlert("project ownership changes (CIS 2.4)", "LOG-11", ("policyDelta.bindingDeltas", "roles/owner")),
    RequiredAlert("audit configuration changes (CIS 2.5)", "LOG-11", ("SetIamPolicy", "auditConfigDeltas")),
    RequiredAlert(
        "custom role changes (CIS 2.6)",
        "LOG-11",
        (
            "iam_role",
            "google.iam.admin.v1.CreateRole",
            "google.iam.admin.v1.DeleteRole",
            "google.iam.admin.v1.UpdateRole",
        ),
    ),
    RequiredAlert(
        "VPC firewall rule changes (CIS 2.7)",
        "LOG-11",
        ("gce_firewall_rule", "compute.firewalls.insert", "compute.firewalls.patch", "compute.firewalls.delete"),
    ),
    RequiredAlert(
        "VPC route changes (CIS 2.8)", "LOG-11", ("gce_route", "compute.routes.insert", "compute.routes.delete")
    ),
    RequiredAlert(
        "VPC network changes (CIS 2.9)",
        "LOG-11",
        ("gce_network", "compute.networks.insert", "compute.networks.delete", "compute.networks.addPeering"),
    ),
    RequiredAlert("Cloud Storage IAM changes (CIS 2.10)", "LOG-11", ("gcs_bucket", "storage.setIamPermissions")),
    RequiredAlert(
        "KMS key version disable or destroy",
        "LOG-12",
        ("DestroyCryptoKeyVersion", "UpdateCryptoKeyVersion", "DISABLED"),
    ),
    RequiredAlert(
        "log sink or log bucket changes", "LOG-12", ("UpdateSink", "DeleteSink", "UpdateBucket", "DeleteBucket")
    ),
    RequiredAlert("service-account key creation", "LOG-12", ("CreateServiceAccountKey",)),
    RequiredAlert("org-policy changes", "LOG-12", ("orgpolicy.googleapis.com",)),
    RequiredAlert("spikes of image reads by one principal", "LOG-12", ("storage.objects.get",)),
)


# --- LOG-01 ---------------------------------------------------------------------------------------


def _log_types(props: Any) -> set[Any]:
    return {leaf(c, "logType") for c in items(props, "auditLogConfigs")}


def _audit_config(args: ResourceValidationArgs, report: Report) -> None:
    for index, config in enumerate(items(args.props, "auditLogConfigs")):
        exempted = items(config, "exemptedMembers")
        if exempted:
            shown = ", ".join(str(m) for m in exempted)
            report(
                f"auditLogConfigs[{index}].exemptedMembers exempts {shown} from {leaf(config, 'logType')} audit "
                "logs, so their access is not recorded. Remove the exemption."
            )
    if leaf(args.props, "service") == "allServices":
        found = _log_types(args.props)
        missing = [t for t in AUDIT_LOG_TYPES if t not in found]
        if missing and UNKNOWN not in found:
            report(
                f"auditLogConfigs for allServices lacks {', '.join(missing)}, so those accesses are not logged. "
                f"Configure {', '.join(AUDIT_LOG_TYPES)}."
            )


def _audit_logs_on(args: StackValidationArgs, report: Report) -> None:
    complete = [
        r
        for r in args.resources
        if r.resource_type in tokens.AUDIT_CONFIGS
        and leaf(r.props, "service") in ("allServices", UNKNOWN)
        and (UNKNOWN in _log_types(r.props) or set(AUDIT_LOG_TYPES) <= _log_types(r.props))
    ]
    if not complete:
        report(
            "no audit config for allServices with ADMIN_READ, DATA_READ and DATA_WRITE: reads of images and "
            "metadata are not logged. Add a gcp.projects.IAMAuditConfig (SecurityLogging does)."
        )


# --- LOG-05, LOG-07 -------------------------------------------------------------------------------


def _backend_logs(args: ResourceValidationArgs, report: Report) -> None:
    if leaf(args.props, "logConfig", "enable") not in (True, UNKNOWN):
        report(
            "logConfig.enable is not true, so requests (and authentication attempts) at the edge are not "
            "logged. Set logConfig {enable: true, sampleRate: 1.0}."
        )
        return
    rate = leaf(args.props, "logConfig", "sampleRate")
    if rate not in (None, UNKNOWN) and rate != 1:
        report(f"logConfig.sampleRate is {rate}; set it to 1.0 so every request is logged.")


def _nat_logs(args: ResourceValidationArgs, report: Report) -> None:
    enabled, kind = leaf(args.props, "logConfig", "enable"), leaf(args.props, "logConfig", "filter")
    if enabled not in (True, UNKNOWN) or kind not in ("ALL", UNKNOWN):
        report(f"logConfig is enable={enabled!r}, filter={kind!r}; set {{enable: true, filter: 'ALL'}}.")


# --- ENC-09, LOG-09 -------------------------------------------------------------------------------


def _log_storage_cmek(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type == tokens.PUBSUB_TOPIC:
        if leaf(args.props, "kmsKeyName") is None:
            report("kmsKeyName is not set, so exported logs are encrypted with a Google-managed key. Set it.")
    elif leaf(args.props, "cmekSettings", "kmsKeyName") is None:
        report(
            "cmekSettings.kmsKeyName is not set, so the logs (which hold patient metadata) are encrypted with a "
            "Google-managed key. Set it to the site's logs key."
        )
    field = "kmsKeyName" if args.resource_type == tokens.PUBSUB_TOPIC else "cmekSettings.kmsKeyName"
    problem = site_key_problem(leaf(args.props, *field.split(".")), field)
    if problem:
        report(problem)


def _locked_retention(args: ResourceValidationArgs, report: Report) -> None:
    minimum = int(args.get_config().get("minRetentionDays", MIN_RETENTION_DAYS))
    if leaf(args.props, "locked") not in (True, UNKNOWN):
        report("locked is not true, so anyone with logging admin rights can shorten retention or delete logs.")
    days = leaf(args.props, "retentionDays")
    if days is not UNKNOWN and (days is None or days < minimum):
        shown = f"{days:g}" if isinstance(days, int | float) else repr(days)
        report(f"retentionDays is {shown}; keep security logs at least {minimum} days.")


def _destination(sink: PolicyResource) -> str | None:
    return as_str(leaf(sink.props, "destination"))


def _missing_families(sink: PolicyResource) -> list[str] | None:
    """The security log families a sink's filter does not select (``None`` when unknown)."""
    log_filter = leaf(sink.props, "filter")
    if log_filter is UNKNOWN:
        return None
    if not log_filter:
        return []  # no filter: every log
    if re.search(r"\bNOT\b|(^|\s)-\w", str(log_filter)):
        return ["(the filter negates terms, so it is not an inclusion of the security logs)"]
    return [family for family, terms in SECURITY_LOG_FAMILIES.items() if not any(t in log_filter for t in terms)]


def _enabled(sink: PolicyResource) -> bool:
    return leaf(sink.props, "disabled") is not True


def _retention_routed(args: StackValidationArgs, report: Report) -> None:
    sinks = [r for r in args.resources if r.resource_type in tokens.LOG_SINKS and _enabled(r)]
    for bucket in (r for r in args.resources if r.resource_type in tokens.LOG_BUCKETS):
        bucket_id = as_str(leaf(bucket.props, "bucketId"))
        routed = [
            s
            for s in sinks
            if bucket.urn in {d.urn for d in s.dependencies}
            or (bucket_id is not None and (_destination(s) or "").endswith(f"/buckets/{bucket_id}"))
        ]
        if not any(_missing_families(s) in (None, []) for s in routed):
            report(
                f"no enabled sink routes every security log family into log bucket {bucket.name!r}, so it does not "
                "keep them. Add a ProjectSink with that bucket as destination and the security log filter.",
                bucket.urn,
            )


# --- LOG-08 ---------------------------------------------------------------------------------------


def _is_siem_sink(sink: PolicyResource) -> bool:
    destination = _destination(sink)
    if destination is None:
        return leaf(sink.props, "destination") is UNKNOWN
    if destination.startswith("pubsub.googleapis.com/"):
        return True
    project = as_str(leaf(sink.props, "project"))
    return destination.startswith("logging.googleapis.com/projects/") and (
        project is None or not destination.startswith(f"logging.googleapis.com/projects/{project}/")
    )


def _grants_to(args: StackValidationArgs, sink: PolicyResource) -> Iterable[tuple[PolicyResource, Any]]:
    """(IAM resource, role) for every grant whose member is the sink's writer identity."""
    writer = as_str(leaf(sink.props, "writerIdentity"))
    for r in args.resources:
        if not tokens.is_iam(r.resource_type):
            continue
        by_dependency = refers_by_dependency(r, "member", sink)
        for role, member in members(r.props):
            if by_dependency or (writer is not None and member == writer):
                yield r, role


def _siem_export(args: StackValidationArgs, report: Report) -> None:
    sinks = [r for r in args.resources if r.resource_type in tokens.LOG_SINKS and _is_siem_sink(r)]
    if not any(_enabled(s) for s in sinks):
        report(
            "no enabled sink exports the security logs to the SIEM (a Pub/Sub topic or the organisation's central "
            "log destination). Add one with the security log filter (SecurityLogging does)."
        )
    for sink in sinks:
        if not _enabled(sink):
            report(f"sink {sink.name!r} is disabled, so the SIEM receives nothing. Set disabled to false.", sink.urn)
        missing = _missing_families(sink)
        if missing:
            report(
                f"sink {sink.name!r} filter does not select {', '.join(missing)}, so the SIEM never sees them. "
                "Use the security log filter (audit, VPC flows, firewall, load balancer, DNS).",
                sink.urn,
            )
        if not (_destination(sink) or "").startswith("pubsub.googleapis.com/"):
            continue
        roles = [role for _, role in _grants_to(args, sink)]
        if PUBLISHER_ROLE not in roles and UNKNOWN not in roles:
            report(
                f"the writer identity of sink {sink.name!r} has no {PUBLISHER_ROLE} on its topic, so exports "
                "fail. Grant it with a TopicIAMMember whose member is the sink's writer_identity.",
                sink.urn,
            )
        for grant, role in _grants_to(args, sink):
            if role not in (PUBLISHER_ROLE, UNKNOWN):
                report(
                    f"the writer identity of sink {sink.name!r} also holds {role} ({grant.name!r}); it needs "
                    f"{PUBLISHER_ROLE} on its topic and nothing more.",
                    grant.urn,
                )


# --- LOG-10 ---------------------------------------------------------------------------------------


def _suppresses(log_filter: Any) -> str | None:
    """Why an exclusion filter may drop security logs, or ``None``."""
    if log_filter is UNKNOWN:
        return None
    text = str(log_filter or "")
    hit = [family for family, terms in SECURITY_LOG_FAMILIES.items() if any(t in text for t in terms)]
    if hit:
        return f"it matches {', '.join(hit)}"
    if "log_id(" not in text and "logName" not in text:
        return "it names no log, so it can match security logs; pin it to a non-security log with log_id(...)"
    if re.search(r"\b(OR|NOT)\b|(^|\s)-\w", text):
        return "it uses OR or NOT, so it can match more than the log it names; select that log with AND only"
    return None


def _no_suppression(args: ResourceValidationArgs, report: Report) -> None:
    props = args.props
    if args.resource_type in tokens.LOG_EXCLUSIONS:
        reason = _suppresses(leaf(props, "filter"))
        if leaf(props, "disabled") is not True and reason:
            report(f"exclusion filter drops logs before any sink sees them: {reason}. Remove the exclusion.")
        return
    if leaf(props, "interceptChildren") is True:
        report(
            "interceptChildren is true, so the site project's own sinks (SIEM export, locked bucket) stop "
            "receiving its logs. Set it to false."
        )
    if leaf(props, "name") in BUILT_IN_SINKS and leaf(props, "disabled") is True:
        report(f"the built-in sink {leaf(props, 'name')} is disabled; audit logs stop reaching the _Required bucket.")
    for index, exclusion in enumerate(items(props, "exclusions")):
        reason = _suppresses(leaf(exclusion, "filter"))
        if leaf(exclusion, "disabled") is not True and reason:
            report(f"exclusions[{index}] drops logs from this sink: {reason}. Remove it.")


# --- LOG-11, LOG-12 -------------------------------------------------------------------------------


def _alerts_present(control: str) -> Any:
    def check(args: StackValidationArgs, report: Report) -> None:
        metrics = [
            r for r in args.resources if r.resource_type == tokens.LOG_METRIC and leaf(r.props, "disabled") is not True
        ]
        policies = [
            r
            for r in args.resources
            if r.resource_type == tokens.ALERT_POLICY and leaf(r.props, "enabled") is not False
        ]
        for required in (a for a in REQUIRED_ALERTS if a.control == control):
            _check_alert(required, metrics, policies, report)

    return check


def _catches(log_filter: Any, required: RequiredAlert) -> bool:
    return log_filter is UNKNOWN or (isinstance(log_filter, str) and all(t in log_filter for t in required.evidence))


def _alerts_on(condition: Any, required: RequiredAlert, metric_names: set[str]) -> bool:
    """Whether an alert condition fires on the event: a log-match on it, or a threshold on its metric."""
    matched = leaf(condition, "conditionMatchedLog", "filter")
    if matched is not None and _catches(matched, required):
        return True
    threshold = leaf(condition, "conditionThreshold", "filter")
    if threshold is UNKNOWN:
        return bool(metric_names)
    return any(f'logging.googleapis.com/user/{name}"' in str(threshold or "") for name in metric_names)


def _check_alert(
    required: RequiredAlert, metrics: list[PolicyResource], policies: list[PolicyResource], report: Report
) -> None:
    names = {n for m in metrics if _catches(leaf(m.props, "filter"), required) and (n := as_str(leaf(m.props, "name")))}
    unknown_names = any(leaf(m.props, "name") is UNKNOWN for m in metrics)
    alerting = [p for p in policies if any(_alerts_on(c, required, names) for c in items(p.props, "conditions"))]
    if not alerting and not unknown_names:
        what = (
            "an enabled AlertPolicy on it"
            if names
            else f"a logging Metric whose filter has {', '.join(required.evidence)}"
        )
        report(
            f"nothing alerts on {required.title}: missing {what}. Add the metric and an alert policy with "
            "notification channels (SecurityAlerts does)."
        )
        return
    for policy in alerting:
        if not items(policy.props, "notificationChannels"):
            report(
                f"alert policy {policy.name!r} on {required.title} has no notificationChannels, so nobody hears "
                "of it. Add the site's channels.",
                policy.urn,
            )


POLICIES = [
    resource_policy(
        name="gcp-logging-storage-cmek",
        control="ENC-09",
        description="Log buckets and the SIEM export topic are encrypted with the site's logs key.",
        severity=Severity.HIGH,
        remediation="Set cmekSettings.kmsKeyName on log buckets and kmsKeyName on Pub/Sub topics.",
        types=[*tokens.LOG_BUCKETS, tokens.PUBSUB_TOPIC],
        check=_log_storage_cmek,
    ),
    resource_policy(
        name="gcp-audit-config-no-exemptions",
        control="LOG-01",
        description="Audit configs log every type for every service and exempt nobody.",
        severity=Severity.HIGH,
        remediation="Configure ADMIN_READ, DATA_READ and DATA_WRITE for allServices without exemptedMembers.",
        types=sorted(tokens.AUDIT_CONFIGS),
        check=_audit_config,
    ),
    stack_policy(
        name="gcp-project-data-access-audit-logs",
        types=sorted(tokens.AUDIT_CONFIGS),
        control="LOG-01",
        description="Data Access audit logs are on for all services.",
        severity=Severity.HIGH,
        remediation="Add gcp.projects.IAMAuditConfig for allServices with ADMIN_READ, DATA_READ and DATA_WRITE.",
        check=_audit_logs_on,
    ),
    resource_policy(
        name="gcp-compute-backend-request-logs",
        control="LOG-05",
        description="Load-balancer backends log every request.",
        severity=Severity.MEDIUM,
        remediation="Set logConfig {enable: true, sampleRate: 1.0} on every backend service.",
        types=sorted(tokens.BACKEND_SERVICES),
        check=_backend_logs,
    ),
    resource_policy(
        name="gcp-compute-nat-logs-all",
        control="LOG-07",
        description="Cloud NAT logs every translation and error.",
        severity=Severity.MEDIUM,
        remediation="Set logConfig {enable: true, filter: 'ALL'} on every RouterNat.",
        types=[tokens.ROUTER_NAT],
        check=_nat_logs,
    ),
    stack_policy(
        name="gcp-logging-siem-export",
        types=sorted(tokens.LOG_SINKS),
        control="LOG-08",
        description="An enabled sink exports every security log family to the SIEM; its writer only publishes.",
        severity=Severity.HIGH,
        remediation=(
            "Add a ProjectSink to the SIEM topic (or the central log destination) with the security log filter, "
            "and grant its writer_identity roles/pubsub.publisher on the topic only (SecurityLogging does)."
        ),
        check=_siem_export,
    ),
    resource_policy(
        name="gcp-logging-bucket-locked-retention",
        control="LOG-09",
        description="Log buckets are locked and keep logs for the site minimum.",
        severity=Severity.HIGH,
        remediation="Set locked: true and retentionDays to at least 2190 (the pack's minRetentionDays).",
        types=sorted(tokens.LOG_BUCKETS),
        check=_locked_retention,
        config={
            "minRetentionDays": {
                "type": "integer",
                "minimum": 1,
                "default": MIN_RETENTION_DAYS,
                "description": "The least retention a log bucket may have.",
            }
        },
    ),
    stack_policy(
        name="gcp-logging-bucket-receives-security-logs",
        types=sorted(tokens.LOG_BUCKETS),
        control="LOG-09",
        description="Every log bucket receives the security logs through an enabled sink.",
        severity=Severity.MEDIUM,
        remediation="Route the security log filter into the locked log bucket with a ProjectSink.",
        check=_retention_routed,
    ),
    resource_policy(
        name="gcp-logging-no-security-exclusions",
        control="LOG-10",
        description="No exclusion drops security logs and the built-in sinks stay enabled.",
        severity=Severity.HIGH,
        remediation="Remove exclusions that match audit, flow, firewall, load-balancer or DNS logs.",
        types=sorted(tokens.LOG_EXCLUSIONS | tokens.LOG_SINKS),
        check=_no_suppression,
    ),
    stack_policy(
        name="gcp-monitoring-cis-security-alerts",
        types=[tokens.LOG_METRIC, tokens.ALERT_POLICY],
        control="LOG-11",
        description="The CIS 2.4 to 2.10 events each raise an alert that notifies someone.",
        severity=Severity.HIGH,
        remediation="Add a log-based metric and an alert policy with notification channels per event (SecurityAlerts).",
        check=_alerts_present("LOG-11"),
    ),
    stack_policy(
        name="gcp-monitoring-site-security-alerts",
        types=[tokens.LOG_METRIC, tokens.ALERT_POLICY],
        control="LOG-12",
        description="Key, log-routing, key-creation, org-policy and image-read-spike events raise alerts.",
        severity=Severity.HIGH,
        remediation="Add a log-based metric and an alert policy with notification channels per event (SecurityAlerts).",
        check=_alerts_present("LOG-12"),
    ),
]
