"""Security logging: Data Access audit logs, a locked CMEK log bucket, and the SIEM export.

Controls LOG-01 (audit logs for every service), LOG-08 and LOG-10 (security logs routed to the SIEM,
nothing excluded), LOG-09 (locked retention) and ENC-09 (log storage under the site's logs key). The
alerts on these logs are a separate component (:mod:`components.monitoring`).
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp
from pydantic import field_validator, model_validator

from . import principals
from ._base import Component, ComponentArgs, child, known_after, service_agent_member
from .alerts import SECURITY_LOGS_FILTER
from .contract import MIN_LOG_RETENTION_DAYS, KeyId, LogRetentionDays, Region, SiemMember, SiteCode, key_in
from .detections import FINDINGS_FILTER

TYPE_TOKEN = "imaging:logging:SecurityLogging"

AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
"""Every audit log type, for every service, nobody exempted (LOG-01, CIS 2.1)."""
ALL_SERVICES = "allServices"
ENCRYPTER_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
PUBLISHER_ROLE = "roles/pubsub.publisher"
SUBSCRIBER_ROLE = "roles/pubsub.subscriber"
VIEW_ACCESSOR_ROLE = "roles/logging.viewAccessor"
ALL_LOGS_VIEW = "_AllLogs"
"""The view Cloud Logging creates in every log bucket; a grant on it reads that bucket's entries only
(https://cloud.google.com/logging/docs/logs-views, "Control access to a log view")."""
EXPORT_RETENTION = "604800s"
"""Seven days: how long the SIEM can be offline without losing an exported log entry."""


class SiemDestination(ComponentArgs):
    """Where the SIEM reads security logs: exactly one of a Pub/Sub subscriber or a central destination."""

    subscriber: SiemMember | None = None
    """The SIEM's IAM member; the component creates a CMEK topic and a subscription only it can read."""
    central_destination: str | None = None
    """A sink destination the organisation runs (a central log bucket or project)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> SiemDestination:
        if (self.subscriber is None) == (self.central_destination is None):
            raise ValueError("set exactly one of subscriber or central_destination")
        return self


class SecurityLoggingArgs(ComponentArgs):
    """Inputs of :class:`SecurityLogging`."""

    project: str
    """The site project."""
    region: Region
    """Where the log bucket keeps the logs: the site's region, the same as the logs key."""
    site_code: SiteCode
    """The site code, used in every name."""
    logs_key_id: KeyId
    """The site key for log data (``SiteKeys.key_ids['logs']``; a key of `project` in `region`)."""
    retention_days: LogRetentionDays = MIN_LOG_RETENTION_DAYS
    """Days the locked log bucket keeps security logs."""
    siem: SiemDestination
    """The SIEM export."""
    labels: dict[str, str] = {}
    """Labels on the topic and subscription."""
    findings_by_organisation: str | None = None
    """Set (the reason, a sentence) when the organisation, not the site, exports Security Command Center findings to
    its SIEM; otherwise a Pub/Sub export also carries the site project's findings (LOG-18)."""
    log_view_readers: dict[str, str] = {}
    """Groups that read the locked log bucket's entries and nothing else (the site's ``auditor`` role), keyed
    by a stable name: ``group:<email>`` members, granted ``roles/logging.viewAccessor`` on the bucket's
    ``_AllLogs`` view only (never on the project, where it would reach every log bucket)."""

    @field_validator("log_view_readers")
    @classmethod
    def _readers(cls, readers: dict[str, str]) -> dict[str, str]:
        for member in readers.values():
            principals.parse_member(member)
            if not member.startswith("group:"):
                raise ValueError(f"{member!r} is not a group: the security logs are read by the security team's group")
        return readers

    @model_validator(mode="after")
    def _key_of_the_site(self) -> SecurityLoggingArgs:
        key_in(self.logs_key_id, project=self.project, region=self.region)
        return self


def log_bucket_id(site_code: str) -> str:
    """The site's locked security-log bucket."""
    return f"{site_code}-security-logs"


class SecurityLogging(Component):
    """Audit logs on, security logs kept for years in a locked CMEK bucket and exported to the SIEM.

    Children: ``<name>-audit`` (IAMAuditConfig), ``<name>-bucket-agent-key`` (CryptoKeyIAMMember),
    ``<name>-bucket`` (ProjectBucketConfig, locked, protected), ``<name>-retention-sink`` and
    ``<name>-siem-sink`` (ProjectSink); for a Pub/Sub export also ``<name>-pubsub-agent`` (the Pub/Sub
    service agent), ``<name>-pubsub-agent-key``,
    ``<name>-siem`` (Topic), ``<name>-siem-publisher`` (TopicIAMMember), ``<name>-siem-subscription``
    (Subscription) and ``<name>-siem-reader`` (SubscriptionIAMMember), and unless the organisation exports
    them, ``<name>-scc-findings`` (V2ProjectNotificationConfig) and ``<name>-scc-publisher`` (TopicIAMMember);
    per log-view reader
    ``<name>-bucket-<key>`` (LogViewIamMember on the bucket's ``_AllLogs`` view).
    """

    siem_writer_identity: pulumi.Output[str]
    """The SIEM sink's writer identity: for a central destination, its owners grant it the writer role."""
    log_bucket: pulumi.Output[str]
    """The locked log bucket's resource name."""

    def __init__(self, name: str, args: SecurityLoggingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, opts)
        gcp.projects.IAMAuditConfig(
            f"{name}-audit",
            project=args.project,
            service=ALL_SERVICES,
            audit_log_configs=[{"log_type": log_type} for log_type in AUDIT_LOG_TYPES],
            opts=child(self),
        )
        logging_agent = gcp.logging.get_project_cmek_settings_output(
            project=args.project, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        bucket_grant = gcp.kms.CryptoKeyIAMMember(
            f"{name}-bucket-agent-key",
            crypto_key_id=args.logs_key_id,
            role=ENCRYPTER_ROLE,
            member=logging_agent.service_account_id.apply(lambda email: f"serviceAccount:{email}"),
            opts=child(self),
        )
        bucket_id = log_bucket_id(args.site_code)
        bucket = gcp.logging.ProjectBucketConfig(
            f"{name}-bucket",
            project=args.project,
            location=args.region,
            bucket_id=bucket_id,
            retention_days=args.retention_days,
            locked=True,
            cmek_settings={"kms_key_name": args.logs_key_id},
            description="Security logs of the imaging site: locked, CMEK, kept for the site's retention (LOG-09).",
            opts=child(self, protect=True, depends_on=[bucket_grant]),
        )
        for key, member in args.log_view_readers.items():
            # The IAM updater builds <parent>/locations/<location>/buckets/<bucket>/views/<name> from its inputs
            # as given, so bucket is the bucket id, not its path (LoggingLogViewIamUpdater.GetResourceId in
            # terraform-provider-google-beta google-beta/services/logging/iam_logging_log_view.go, 93c65b2d).
            gcp.logging.LogViewIamMember(
                f"{name}-bucket-{key}",
                parent=f"projects/{args.project}",
                location=args.region,
                bucket=bucket_id,
                name=ALL_LOGS_VIEW,
                role=VIEW_ACCESSOR_ROLE,
                member=member,
                opts=child(self, depends_on=[bucket]),
            )
        gcp.logging.ProjectSink(
            f"{name}-retention-sink",
            project=args.project,
            name=f"{args.site_code}-security-logs",
            destination=f"logging.googleapis.com/projects/{args.project}/locations/{args.region}/buckets/{bucket_id}",
            filter=SECURITY_LOGS_FILTER,
            unique_writer_identity=True,
            description="Security logs into the locked log bucket (LOG-09).",
            opts=child(self, depends_on=[bucket]),
        )
        if args.siem.subscriber is not None:
            sink = self._pubsub_export(name, args, args.siem.subscriber)
        else:
            sink = gcp.logging.ProjectSink(
                f"{name}-siem-sink",
                project=args.project,
                name=f"{args.site_code}-siem",
                destination=args.siem.central_destination,
                filter=SECURITY_LOGS_FILTER,
                unique_writer_identity=True,
                description="Security logs to the organisation's central SIEM destination (LOG-08).",
                opts=child(self),
            )
        self.siem_writer_identity = sink.writer_identity
        self.log_bucket = bucket.name
        self.register_outputs({"siemWriterIdentity": sink.writer_identity, "logBucket": bucket.name})

    def _pubsub_export(self, name: str, args: SecurityLoggingArgs, subscriber: str) -> gcp.logging.ProjectSink:
        """A CMEK topic the SIEM sink alone publishes to, and a subscription the SIEM alone reads."""
        pubsub_agent = gcp.projects.ServiceIdentity(
            f"{name}-pubsub-agent", project=args.project, service="pubsub.googleapis.com", opts=child(self)
        )
        topic_grant = gcp.kms.CryptoKeyIAMMember(
            f"{name}-pubsub-agent-key",
            crypto_key_id=args.logs_key_id,
            role=ENCRYPTER_ROLE,
            member=service_agent_member(pubsub_agent, args.project, "gcp-sa-pubsub", self),
            opts=child(self),
        )
        topic = gcp.pubsub.Topic(
            f"{name}-siem",
            project=args.project,
            name=f"{args.site_code}-siem-export",
            kms_key_name=args.logs_key_id,
            message_retention_duration=EXPORT_RETENTION,
            message_storage_policy={"allowed_persistence_regions": [args.region]},
            labels=args.labels,
            opts=child(self, depends_on=[topic_grant]),
        )
        topic_path = known_after(topic, f"projects/{args.project}/topics/{args.site_code}-siem-export")
        sink = gcp.logging.ProjectSink(
            f"{name}-siem-sink",
            project=args.project,
            name=f"{args.site_code}-siem",
            destination=pulumi.Output.concat("pubsub.googleapis.com/", topic_path),
            filter=SECURITY_LOGS_FILTER,
            unique_writer_identity=True,
            description="Security logs to the SIEM's Pub/Sub topic (LOG-08).",
            opts=child(self),
        )
        gcp.pubsub.TopicIAMMember(
            f"{name}-siem-publisher",
            project=args.project,
            topic=topic.name,
            role=PUBLISHER_ROLE,
            member=sink.writer_identity,
            opts=child(self),
        )
        if args.findings_by_organisation is None:
            self._findings_export(name, args, topic, topic_path)
        subscription = gcp.pubsub.Subscription(
            f"{name}-siem-subscription",
            project=args.project,
            name=f"{args.site_code}-siem-export",
            topic=topic_path,
            ack_deadline_seconds=60,
            message_retention_duration=EXPORT_RETENTION,
            expiration_policy={"ttl": ""},
            labels=args.labels,
            opts=child(self),
        )
        gcp.pubsub.SubscriptionIAMMember(
            f"{name}-siem-reader",
            project=args.project,
            subscription=subscription.name,
            role=SUBSCRIBER_ROLE,
            member=subscriber,
            opts=child(self),
        )
        return sink

    def _findings_export(
        self, name: str, args: SecurityLoggingArgs, topic: gcp.pubsub.Topic, topic_path: pulumi.Output[str]
    ) -> None:
        """Security Command Center's active findings of the site project, published to the SIEM topic by the
        notification config's own service account (its ``serviceAccount``, which the API says needs
        ``pubsub.topics.publish``: terraform-provider-google-beta
        google-beta/services/securitycenterv2/resource_scc_v2_project_notification_config.go, 93c65b2d)."""
        findings = gcp.securitycenter.V2ProjectNotificationConfig(
            f"{name}-scc-findings",
            project=args.project,
            location="global",
            config_id=f"{args.site_code}-siem-findings",
            description="Active Security Command Center findings of the site project to the SIEM (LOG-18).",
            pubsub_topic=topic_path,
            streaming_config={"filter": FINDINGS_FILTER},
            opts=child(self, depends_on=[topic]),
        )
        gcp.pubsub.TopicIAMMember(
            f"{name}-scc-publisher",
            project=args.project,
            topic=topic.name,
            role=PUBLISHER_ROLE,
            member=pulumi.Output.concat("serviceAccount:", findings.service_account),
            opts=child(self),
        )
