"""Log management: audit logs, locked CMEK retention, SIEM export, no exclusions.

Controls ENC-09, LOG-01 and LOG-08 to LOG-10 (the alerts, LOG-11 and LOG-12, are in
:mod:`imaging_policies.monitoring`; the logs each resource writes are judged with it: usage logs LOG-02
in :mod:`imaging_policies.storage`, flow, DNS and NAT logs LOG-03, LOG-06 and LOG-07 in
:mod:`imaging_policies.vpc`, firewall logs LOG-04 in :mod:`imaging_policies.firewall`, backend request
logs LOG-05 in :mod:`imaging_policies.edge`). Filters are judged by the sample security entries they select
(:mod:`imaging_policies._log_filters`), and destinations by equality with what the site declares
(``imaging-landing-zone:logging``, read by :func:`imaging_policies._site.site_logging`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from imaging_policies import tokens
from imaging_policies._log_filters import Selection, describe, security_samples, select
from imaging_policies._principals import site_project_number
from imaging_policies._props import (
    UNKNOWN,
    as_str,
    items,
    known,
    leaf,
    members,
    property_dependencies,
    refers_by_dependency,
)
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies._resolve import SiteProject, placed_in_site, project_of
from imaging_policies._site import LoggingDeclaration, site_logging, site_project
from imaging_policies.kms import site_key_problem

AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
MIN_RETENTION_DAYS = 2190
PUBLISHER_ROLE = "roles/pubsub.publisher"
BUILT_IN_SINKS = frozenset({"_Default", "_Required"})
UNREADABLE_FIX = "Write it with AND, OR, NOT (not '-'), comparisons and log_id() only."
_BUILT_IN_BUCKET = re.compile(
    r"^logging\.googleapis\.com/projects/(?P<project>[^/]+)/locations/[^/]+/buckets/_(Default|Required)$"
)


# --- LOG-01 ---------------------------------------------------------------------------------------


def _log_types(configs: Sequence[Any]) -> set[Any]:
    return {leaf(c, "logType") for c in configs}


def _audit_configs(resource_type: str, props: Any) -> list[tuple[str, Any, list[Any]]] | None:
    """Every audit config a resource carries as (where, service, auditLogConfigs); ``None`` when unknown.

    An IAMAuditConfig is one; an IAM policy document (``policyData``) holds a list under
    ``auditConfigs``, in the IAM API's JSON, which is what the provider's ``google_iam_policy`` emits.
    """
    if resource_type in tokens.AUDIT_CONFIGS:
        return [("auditLogConfigs", leaf(props, "service"), items(props, "auditLogConfigs"))]
    document = leaf(props, "policyData")
    if document is UNKNOWN:
        return None
    try:
        parsed = json.loads(document) if isinstance(document, str) else {}
    except ValueError:
        return []  # an unreadable document is the IAM policies' finding
    configs = parsed.get("auditConfigs") if isinstance(parsed, Mapping) else None
    found = []
    for index, config in enumerate(configs if isinstance(configs, list) else []):
        if isinstance(config, Mapping):
            log_configs = config.get("auditLogConfigs")
            where = f"policyData.auditConfigs[{index}].auditLogConfigs"
            found.append((where, config.get("service"), list(log_configs) if isinstance(log_configs, list) else []))
    return found


def _complete(configs: list[tuple[str, Any, list[Any]]]) -> bool:
    """Whether one of the audit configs logs every type for allServices (an unknown one may)."""
    for _, service, log_configs in configs:
        found = _log_types(log_configs)
        if service in ("allServices", UNKNOWN) and (UNKNOWN in found or set(AUDIT_LOG_TYPES) <= found):
            return True
    return False


def _audit_config(args: ResourceValidationArgs, report: Report) -> None:
    carried = _audit_configs(args.resource_type, args.props)
    if args.resource_type == tokens.PROJECT_IAM_POLICY and carried is not None and not _complete(carried):
        # An authoritative project policy replaces the project's audit configs: it and IAMAuditConfig "will
        # fight over what your policy should be" (pulumi_gcp/projects/iam_policy.py, the provider's docs).
        report(
            "policyData has no auditConfigs entry for allServices with ADMIN_READ, DATA_READ and DATA_WRITE, and an "
            "authoritative project IAMPolicy replaces the project's audit configuration, so Data Access logs go "
            "off. Add that audit config to policyData, or grant with IAMMember/IAMBinding instead."
        )
    for where, service, configs in carried or []:
        for index, config in enumerate(configs):
            exempted = items(config, "exemptedMembers")
            if exempted:
                shown = ", ".join(str(m) for m in exempted)
                report(
                    f"{where}[{index}].exemptedMembers exempts {shown} from {leaf(config, 'logType')} audit "
                    f"logs of {service}, so their access is not recorded. Remove the exemption."
                )
        if service == "allServices":
            found = _log_types(configs)
            missing = [t for t in AUDIT_LOG_TYPES if t not in found]
            if missing and UNKNOWN not in found:
                report(
                    f"{where} for allServices lacks {', '.join(missing)}, so those accesses are not logged. "
                    f"Configure {', '.join(AUDIT_LOG_TYPES)}."
                )


def _audit_logs_on(args: StackValidationArgs, report: Report) -> None:
    site = SiteProject(site_project(), site_project_number(list(args.resources), args.get_config())[0])
    for r in args.resources:
        if r.resource_type in tokens.AUDIT_CONFIGS | tokens.IAM_POLICY_DOCUMENTS:
            # only an audit config of the site's project logs the site's reads (one placed in another project,
            # or in none the resolver can read, does not count); an unknown project is judged at update
            placed = placed_in_site(r.props, site) if leaf(r.props, "project") is not None else True
            if placed is None:
                known(r.props, "project", resource=r.name)
            if not placed:
                continue
            configs = _audit_configs(r.resource_type, r.props)
            if configs is None or _complete(configs):
                return  # complete, or a policy document not known before the update
    report(
        "no audit config for allServices with ADMIN_READ, DATA_READ and DATA_WRITE: reads of images and "
        "metadata are not logged. Add a gcp.projects.IAMAuditConfig (SecurityLogging does)."
    )


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
    problem = site_key_problem(known(args.props, *field.split(".")), field)  # unknown: judged at update
    if problem:
        report(problem)


def _security_bucket(props: Any) -> bool:
    """Whether a log bucket is (or may be) the site's security-log bucket: its ``bucketId`` is the declared
    one, or unknown. With nothing declared every log bucket is. Another bucket keeps no security logs: a
    sink that sends them there is LOG-08's finding (an undeclared destination)."""
    declared = site_logging().security_bucket
    bucket_id = leaf(props, "bucketId")
    return declared is None or bucket_id is UNKNOWN or declared.rsplit("/", 1)[-1] == bucket_id


def security_log_bucket(props: Any) -> bool:
    """Whether a log bucket is (or may be) the site's security-log bucket (see ``_security_bucket``)."""
    return _security_bucket(props)


def _locked_retention(args: ResourceValidationArgs, report: Report) -> None:
    if not _security_bucket(args.props):
        return
    minimum = int(args.get_config().get("minRetentionDays", MIN_RETENTION_DAYS))
    # unknown in a first preview: not judged in preview (judged at update), never met
    if known(args.props, "locked") is not True:
        report("locked is not true, so anyone with logging admin rights can shorten retention or delete logs.")
    days = known(args.props, "retentionDays")
    if days is None or days < minimum:  # a value of another type is reported by the registry, never passed
        shown = f"{days:g}" if isinstance(days, int | float) else repr(days)
        report(f"retentionDays is {shown}; keep security logs at least {minimum} days.")
        return
    declared = site_logging()
    if isinstance(days, int | float) and declared.retention_days is not None and days < declared.retention_days:
        # The site's own retention (longer than the pack's minimum) is what its archive rule asks for: a
        # locked bucket cannot be lengthened back once entries older than the shorter retention are gone.
        report(
            f"retentionDays is {days:g}, shorter than the {declared.retention_days} days the site declares "
            f"({declared.source}.retentionDays), so security entries older than {days:g} days are deleted "
            "before the site's archive rule allows. Set retentionDays to the declared retention."
        )


def _enabled(sink: PolicyResource) -> bool:
    return leaf(sink.props, "disabled") is not True


def _declared(config: Mapping[str, Any]) -> tuple[LoggingDeclaration, str | None]:
    """What the site declares, with the SIEM destination of the policy's ``siemDestination`` config if set."""
    declared = site_logging()
    siem = config.get("siemDestination")
    return declared, siem if isinstance(siem, str) else declared.siem


def _path_of(resource: PolicyResource, declared: LoggingDeclaration) -> str | None:
    """The sink destination naming an in-stack topic or log bucket, from its (known) inputs."""
    props = resource.props
    project = as_str(leaf(props, "project")) or declared.project
    if resource.resource_type == tokens.PUBSUB_TOPIC:
        name = as_str(leaf(props, "name"))
        if name and name.startswith("projects/"):
            return f"pubsub.googleapis.com/{name}"
        return f"pubsub.googleapis.com/projects/{project}/topics/{name}" if name and project else None
    location, bucket_id = as_str(leaf(props, "location")), as_str(leaf(props, "bucketId"))
    if resource.resource_type == tokens.PROJECT_BUCKET_CONFIG and project and location and bucket_id:
        return f"logging.googleapis.com/projects/{project}/locations/{location}/buckets/{bucket_id}"
    return None


def _destination(
    sink: PolicyResource, declared: LoggingDeclaration, resources: Iterable[PolicyResource] = ()
) -> str | Any | None:
    """The sink's destination: its value, else (in preview) the in-stack topic or bucket it was computed
    from; :data:`UNKNOWN` when neither is known."""
    value = leaf(sink.props, "destination")
    if value is not UNKNOWN:
        return as_str(value)
    sources = property_dependencies(sink, "destination")
    for resource in resources:
        if resource.urn in sources and (path := _path_of(resource, declared)) is not None:
            return path
    return UNKNOWN


def _security_store(destination: Any, declared: LoggingDeclaration, siem: str | None) -> bool:
    """Whether security logs may go to ``destination``: the declared SIEM destination, the declared locked
    bucket, or the project's own built-in ``_Default``/``_Required`` bucket."""
    if destination in (siem, declared.security_bucket) and destination is not None:
        return True
    built_in = _BUILT_IN_BUCKET.match(destination) if isinstance(destination, str) else None
    return built_in is not None and built_in["project"] == declared.project


def _sees_site_logs(sink: PolicyResource, declared: LoggingDeclaration) -> bool:
    """Whether the sink receives the site project's logs: a project sink of that project, or an organisation
    or folder sink that includes or intercepts its children (assumed to hold the site); a billing-account
    sink never does."""
    props = sink.props
    if sink.resource_type == tokens.BILLING_ACCOUNT_SINK:
        return False
    if sink.resource_type == tokens.PROJECT_SINK:
        project = as_str(leaf(props, "project"))
        return project is None or declared.project is None or project == declared.project
    return leaf(props, "includeChildren") in (True, UNKNOWN) or leaf(props, "interceptChildren") in (True, UNKNOWN)


def _exports(sink: PolicyResource) -> Selection:
    """The security entries the sink exports: its filter's, less those its enabled exclusions drop."""
    samples = security_samples()
    selection = select(leaf(sink.props, "filter"), samples)
    if selection.unknown or selection.error:
        return selection
    dropped: set[str] = set()
    for exclusion in items(sink.props, "exclusions"):
        if leaf(exclusion, "disabled") is not True:
            dropped |= select(leaf(exclusion, "filter"), samples, anyone=True).ids
    return Selection(ids=selection.ids - dropped)


def _retention_routed(args: StackValidationArgs, report: Report) -> None:
    declared, _ = _declared({})
    samples = security_samples()
    sinks = [r for r in args.resources if r.resource_type in tokens.LOG_SINKS and _enabled(r)]
    buckets = [r for r in args.resources if r.resource_type in tokens.LOG_BUCKETS and _security_bucket(r.props)]
    paths = {_path_of(b, declared) for b in buckets if b.resource_type == tokens.PROJECT_BUCKET_CONFIG}
    if declared.security_bucket is not None and declared.security_bucket not in paths and None not in paths:
        report(
            f"the stack has no log bucket {declared.security_bucket} ({declared.source}), so nothing keeps the "
            "security logs for the site's retention. Add it locked, with the site's retention (SecurityLogging "
            "does)."
        )
    for bucket in buckets:
        bucket_id = as_str(leaf(bucket.props, "bucketId"))
        routed = [
            s
            for s in sinks
            if bucket.urn in {d.urn for d in s.dependencies}
            or (bucket_id is not None and str(_destination(s, declared)).endswith(f"/buckets/{bucket_id}"))
        ]
        if not any(select(leaf(s.props, "filter"), samples).keeps_all(samples) for s in routed):
            report(
                f"no enabled sink routes every security log family into log bucket {bucket.name!r}, so it does not "
                "keep them. Add a ProjectSink with that bucket as destination and the security log filter.",
                bucket.urn,
            )


# --- LOG-08 ---------------------------------------------------------------------------------------


def _pull_only(args: ResourceValidationArgs, report: Report) -> None:
    """The SIEM pulls from the site's subscription: any delivery the subscription makes itself (push,
    BigQuery, Cloud Storage) sends the security logs to a destination the export never declared."""
    for path, what in (
        (("pushConfig", "pushEndpoint"), "pushes the messages to an HTTP endpoint"),
        (("bigqueryConfig", "table"), "writes the messages into a BigQuery table"),
        (("cloudStorageConfig", "bucket"), "writes the messages into a Cloud Storage bucket"),
    ):
        value = known(args.props, *path)
        if value:
            report(
                f"{'.'.join(path)} is {value!r}: the subscription {what}, so the security logs leave the site's "
                f"control. Remove {path[0]} and let the SIEM pull (roles/pubsub.subscriber on the subscription)."
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


def _narrowed(sink: PolicyResource, samples: Sequence[Any]) -> str | None:
    """What is wrong with a SIEM sink's filter (a message), or ``None`` when it selects every security entry."""
    selection = select(leaf(sink.props, "filter"), samples)
    if selection.error:
        return (
            f"sink {sink.name!r} filter cannot be read by the pack ({selection.error}), so it cannot be shown to "
            f"export the security logs. {UNREADABLE_FIX}"
        )
    missed = selection.missed(samples)
    if not missed:
        return None
    return (
        f"sink {sink.name!r} filter does not select {describe(missed)}, so the SIEM never sees them. Use the "
        "security log filter (audit, VPC flows, firewall, load balancer, DNS)."
    )


def _siem_export(args: StackValidationArgs, report: Report) -> None:
    declared, siem = _declared(args.get_config())
    if siem is None:
        report(
            f"the stack declares no SIEM destination ({declared.source}), so no sink can be shown to export the "
            "security logs to it. Set imaging-landing-zone:logging.siem (or this policy's siemDestination)."
        )
        return
    samples = security_samples()
    sinks = [r for r in args.resources if r.resource_type in tokens.LOG_SINKS and _sees_site_logs(r, declared)]
    destinations = {s.urn: _destination(s, declared, args.resources) for s in sinks}
    to_siem = [s for s in sinks if destinations[s.urn] in (siem, UNKNOWN)]
    complete = [s for s in to_siem if _enabled(s) and _narrowed(s, samples) is None]
    if not complete:
        if not to_siem:
            report(
                f"no sink exports the security logs to the declared SIEM destination {siem} ({declared.source}). "
                "Add a ProjectSink with that destination and the security log filter (SecurityLogging does)."
            )
        for sink in to_siem:
            if not _enabled(sink):
                report(
                    f"sink {sink.name!r} is disabled, so the SIEM receives nothing. Set disabled to false.", sink.urn
                )
            elif reason := _narrowed(sink, samples):
                report(reason, sink.urn)
    for sink in sinks:
        _undeclared_export(sink, destinations[sink.urn], declared, siem, report)
    for sink in to_siem:
        _own_writer(sink, report)
        _publisher_only(args, sink, destinations[sink.urn], report)
    for dataset in (r for r in args.resources if r.resource_type == tokens.LINKED_DATASET):
        bucket = as_str(leaf(dataset.props, "bucket"))
        if bucket is not None and declared.site_code and bucket.endswith(f"{declared.site_code}-security-logs"):
            report(
                f"linked dataset {dataset.name!r} exposes the locked security-log bucket in BigQuery, a copy the "
                "site does not declare and whose access the bucket's lock does not govern. Remove it.",
                dataset.urn,
            )


def _undeclared_export(
    sink: PolicyResource, destination: Any, declared: LoggingDeclaration, siem: str, report: Report
) -> None:
    """A sink to anywhere but the declared stores may carry no security entry."""
    if destination is UNKNOWN or _security_store(destination, declared, siem) or not _enabled(sink):
        return
    samples = security_samples()
    exported = _exports(sink)
    if exported.error:
        report(
            f"sink {sink.name!r} exports to {destination}, which the site does not declare, and its filter cannot "
            f"be read by the pack ({exported.error}), so it may carry security logs. {UNREADABLE_FIX}",
            sink.urn,
        )
    elif hits := exported.hits(samples):
        report(
            f"sink {sink.name!r} exports {describe(hits)} to {destination}, which the site does not declare "
            f"(the SIEM is {siem}). Send security logs only to the declared SIEM destination and the locked "
            "log bucket, or narrow the filter to the logs that destination is for.",
            sink.urn,
        )


SHARED_WRITER = "serviceAccount:cloud-logs@system.gserviceaccount.com"
"""The writer of every project sink without a unique writer identity (the provider's and the Logging API's
``uniqueWriterIdentity`` reference): one identity for every project's such sinks."""


def _own_writer(sink: PolicyResource, report: Report) -> None:
    """A SIEM sink writes as its own Logging identity: not the identity every project's legacy sinks share,
    not a service account someone can act as (either could publish forged entries into the SIEM topic)."""
    if (
        sink.resource_type == tokens.PROJECT_SINK
        and known(sink.props, "uniqueWriterIdentity", resource=sink.name) is False
    ):
        report(
            f"sink {sink.name!r} has uniqueWriterIdentity false, so it writes as {SHARED_WRITER}, the identity "
            "every project's sinks without one share: its publisher grant on the SIEM topic lets any of them "
            "publish into the SIEM. Set uniqueWriterIdentity to true.",
            sink.urn,
        )
    custom = known(sink.props, "customWriterIdentity", resource=sink.name)
    if custom not in (None, ""):
        report(
            f"sink {sink.name!r} writes as customWriterIdentity {custom}, a service account whoever can act as "
            "it can publish forged entries into the SIEM topic with. Remove customWriterIdentity (the sink's "
            "own Logging identity writes).",
            sink.urn,
        )


def _publisher_only(args: StackValidationArgs, sink: PolicyResource, destination: Any, report: Report) -> None:
    if destination is not UNKNOWN and not str(destination).startswith("pubsub.googleapis.com/"):
        return
    roles = [role for _, role in _grants_to(args, sink)]
    if destination is not UNKNOWN and PUBLISHER_ROLE not in roles and UNKNOWN not in roles:
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
    """Why an exclusion filter drops security logs, or ``None``."""
    samples = security_samples()
    selection = select(log_filter, samples, anyone=True)
    if selection.error:
        return (
            f"the pack cannot read its filter ({selection.error}), so it cannot be shown to keep the security logs "
            "(write it with AND, OR, NOT and comparisons)"
        )
    hits = selection.hits(samples)
    return f"it drops {describe(hits)}" if hits else None


def _carries_security_logs(props: Any) -> bool:
    """Whether security entries travel through a sink (so its exclusions matter): a built-in sink, or one
    whose filter selects some security entry or cannot be read. Where the sink may send them is LOG-08's."""
    if leaf(props, "name") in BUILT_IN_SINKS:
        return True
    selection = select(leaf(props, "filter"), security_samples())
    return selection.unknown or selection.error is not None or bool(selection.ids)


def _excludes_from_site(resource_type: str, props: Any) -> bool:
    """Whether an exclusion can drop the site project's entries: not one of a billing account's logs or of
    another project's. Folder and organisation exclusions are judged as if they held the site."""
    if resource_type == tokens.BILLING_ACCOUNT_EXCLUSION:
        return False
    project, site = as_str(leaf(props, "project")), site_logging().project
    if resource_type != tokens.PROJECT_EXCLUSION or project is None or site is None:
        return True
    # a project number cannot be told apart from the site's here: it may be the site's (conservative)
    return SiteProject(site).holds(project) or project_of(project) is None or str(project_of(project)).isdigit()


def _no_suppression(args: ResourceValidationArgs, report: Report) -> None:
    props = args.props
    if args.resource_type in tokens.LOG_EXCLUSIONS:
        if not _excludes_from_site(args.resource_type, props):
            return
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
    if not _carries_security_logs(props):
        return  # no security entry goes through this sink: its exclusions drop none
    for index, exclusion in enumerate(items(props, "exclusions")):
        reason = _suppresses(leaf(exclusion, "filter"))
        if leaf(exclusion, "disabled") is not True and reason:
            report(f"exclusions[{index}] drops logs from this sink: {reason}. Remove it.")


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
        description="Audit configs (IAMAuditConfig, or auditConfigs in an IAM policy document) log every type "
        "for every service and exempt nobody.",
        severity=Severity.HIGH,
        remediation="Configure ADMIN_READ, DATA_READ and DATA_WRITE for allServices without exemptedMembers.",
        types=sorted(tokens.AUDIT_CONFIGS | tokens.IAM_POLICY_DOCUMENTS),
        check=_audit_config,
    ),
    stack_policy(
        name="gcp-project-data-access-audit-logs",
        site_only=True,
        types=sorted(tokens.AUDIT_CONFIGS | tokens.IAM_POLICY_DOCUMENTS),
        control="LOG-01",
        description="Data Access audit logs are on for all services.",
        severity=Severity.HIGH,
        remediation="Add gcp.projects.IAMAuditConfig for allServices with ADMIN_READ, DATA_READ and DATA_WRITE.",
        check=_audit_logs_on,
    ),
    stack_policy(
        name="gcp-logging-siem-export",
        site_only=True,
        types=sorted(tokens.LOG_SINKS | {tokens.LINKED_DATASET}),
        control="LOG-08",
        description="An enabled sink to the declared SIEM destination selects every security log; no other sink "
        "exports security logs elsewhere; the SIEM writer only publishes.",
        severity=Severity.HIGH,
        remediation=(
            "Add a ProjectSink to the declared SIEM destination with the security log filter, grant its "
            "writer_identity roles/pubsub.publisher on the topic only (SecurityLogging does), and keep security "
            "logs out of every other sink's filter."
        ),
        check=_siem_export,
        config={
            "siemDestination": {
                "type": "string",
                "description": "The SIEM sink's destination, instead of the one the site config declares.",
            }
        },
    ),
    resource_policy(
        name="gcp-pubsub-subscription-pull-only",
        control="LOG-08",
        description="Pub/Sub subscriptions deliver by pull only: no push endpoint, BigQuery table or Cloud Storage "
        "bucket takes the messages elsewhere.",
        severity=Severity.HIGH,
        remediation="Remove pushConfig, bigqueryConfig and cloudStorageConfig; the SIEM pulls with "
        "roles/pubsub.subscriber on the subscription.",
        types=frozenset({tokens.PUBSUB_SUBSCRIPTION}),
        check=_pull_only,
    ),
    resource_policy(
        name="gcp-logging-bucket-locked-retention",
        control="LOG-09",
        description="The security-log bucket (the declared one; every log bucket when none is declared) is locked "
        "and keeps logs for the site minimum, and for the retention the site declares when that is longer.",
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
        site_only=True,
        types=sorted(tokens.LOG_BUCKETS),
        control="LOG-09",
        description="The declared security-log bucket is in the stack and receives every security log through an "
        "enabled sink.",
        severity=Severity.MEDIUM,
        remediation="Route the security log filter into the locked log bucket with a ProjectSink.",
        check=_retention_routed,
    ),
    resource_policy(
        name="gcp-logging-no-security-exclusions",
        control="LOG-10",
        description="No exclusion drops a security log entry and the built-in sinks stay enabled.",
        severity=Severity.HIGH,
        remediation="Remove exclusions whose filter selects audit, flow, firewall, load-balancer or DNS entries.",
        types=sorted(tokens.LOG_EXCLUSIONS | tokens.LOG_SINKS),
        check=_no_suppression,
    ),
]
