"""Anomaly detectors: unexpected access, deviation from the site's own past, and its off-hours.

Image reads, key use and security-log reads by a principal the site does not intend; image reads, egress
bytes and denied requests against the same hour a week earlier; bulk reads in the site's off-hours. The
detectors, their queries and what they miss are the catalogue in :mod:`components.detections`; Google's own
detectors reach the SIEM through :mod:`components.logging`. The controls it meets are in the catalogue.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp
from pydantic import Field, model_validator

from ._base import Component, ComponentArgs, StrInput, child, renamed_field
from .contract import (
    MAX_QUIET_PERIOD,
    MIN_ALERT_SEVERITY,
    AlertSeverity,
    BaselineRatio,
    HourOfDay,
    MinVolume,
    QuietPeriod,
    SiteCode,
)
from .detections import (
    BY_KEY,
    DENIED,
    AccessIntent,
    Detector,
    baseline,
    baseline_by,
    image_reads,
    key_use,
    log_metric,
    log_reads,
    off_hours,
    sent_bytes,
    service_agents,
    unexpected,
)

TYPE_TOKEN = "imaging:monitoring:AnomalyDetectors"
DENIED_METRIC = "denied-requests"
"""The log-based metric the denied-requests baseline watches: ``<site>-denied-requests``."""


class BaselineArgs(ComponentArgs):
    """How far a volume may grow over the same hour a week earlier."""

    ratio: BaselineRatio
    """Times the same hour a week earlier."""
    minimum: MinVolume
    """The least volume in the hour for the detector to fire."""


class OffHoursArgs(ComponentArgs):
    """The site's off-hours (UTC) and the bulk-read threshold in them."""

    start_hour: HourOfDay
    """The first off-hour."""
    end_hour: HourOfDay
    """The first working hour after them."""
    bulk_reads: MinVolume
    """Image reads within an off-hour that raise the alert."""


class AnomalyDetectorsArgs(ComponentArgs):
    """Inputs of :class:`AnomalyDetectors`."""

    project: str
    """The site project."""
    site_code: SiteCode
    """The site code, used in metric names."""
    notification_channels: list[StrInput]
    """The channels every detector notifies (the site's, as :class:`SecurityAlerts` resolves them)."""
    image_buckets: list[StrInput] = Field(min_length=1)
    """Every bucket the site keeps images in: their reads and each one's sent bytes are watched (``image_bucket``,
    one bucket, is its deprecated name)."""
    read_metric: StrInput
    """The log-based metric counting the image bucket's reads (SecurityAlerts' image-read-spike metric)."""
    key_ring: str
    """The name of the site's key ring."""
    log_bucket: str
    """The id of the site's locked security-log bucket."""
    image_readers: AccessIntent
    """Who the site intends to read images."""
    key_users: AccessIntent
    """The runtime accounts the site intends to use its keys (its service agents are added here)."""
    log_readers: AccessIntent
    """Who the site intends to read its security logs."""
    image_reads: BaselineArgs
    """Image reads per hour against a week earlier."""
    egress_bytes: BaselineArgs
    """Bytes sent by the image bucket per hour against a week earlier."""
    denied_requests: BaselineArgs
    """Denied requests per hour against a week earlier."""
    off_hours: OffHoursArgs
    """The off-hours and their bulk-read threshold."""
    quiet_period: QuietPeriod = MAX_QUIET_PERIOD
    """``alertStrategy.autoClose`` of every detector (LOG-14)."""
    min_severity: AlertSeverity = MIN_ALERT_SEVERITY
    """The least severity of a detector (they are CRITICAL, raised to nothing above it)."""

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, values: Any) -> Any:
        return renamed_field(values, "image_bucket", "image_buckets", as_list=True)


class AnomalyDetectors(Component):
    """One alert policy per detector of the catalogue, notifying the site's channels.

    Children: per unexpected-access detector ``<name>-<key>`` (logging Metric) and ``<name>-<key>-alert``
    (AlertPolicy, threshold on the metric); ``<name>-denied-requests`` (logging Metric); per baseline and
    off-hours detector ``<name>-<key>-alert`` (AlertPolicy, PromQL condition).
    """

    def __init__(self, name: str, args: AnomalyDetectorsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, opts)
        number = gcp.organizations.get_project_output(
            project_id=args.project, opts=pulumi.InvokeOutputOptions(parent=self)
        ).number
        key_filter = number.apply(
            lambda n: unexpected(
                key_use(args.project, args.key_ring),
                AccessIntent(accounts=(*args.key_users.accounts, *service_agents(str(n))), domains=()),
            )
        )
        buckets = pulumi.Output.all(*args.image_buckets)
        image_filter = buckets.apply(lambda names: unexpected(image_reads(names), args.image_readers))
        filters: dict[str, StrInput] = {
            "unexpected-image-read": image_filter,
            "unexpected-key-use": key_filter,
            "unexpected-log-read": unexpected(log_reads(args.log_bucket), args.log_readers),
        }
        for key, log_filter in filters.items():
            metric = self._metric(name, args, key, log_filter, BY_KEY[key].title)
            self._threshold_alert(name, args, BY_KEY[key], metric)
        denied = self._metric(name, args, DENIED_METRIC, DENIED, "Requests denied for want of permission")
        reads = pulumi.Output.from_input(args.read_metric).apply(log_metric)
        queries: dict[str, pulumi.Output[str]] = {
            "image-reads-vs-last-week": reads.apply(
                lambda m: baseline(m, args.image_reads.ratio, args.image_reads.minimum)
            ),
            "egress-vs-last-week": buckets.apply(
                lambda names: baseline_by(
                    "bucket_name", sent_bytes(names), args.egress_bytes.ratio, args.egress_bytes.minimum
                )
            ),
            "denied-vs-last-week": denied.name.apply(
                lambda m: baseline(log_metric(m), args.denied_requests.ratio, args.denied_requests.minimum)
            ),
            "off-hours-bulk-read": reads.apply(
                lambda m: off_hours(m, args.off_hours.bulk_reads, args.off_hours.start_hour, args.off_hours.end_hour)
            ),
        }
        for key, query in queries.items():
            self._promql_alert(name, args, BY_KEY[key], query, denied)
        self.register_outputs({})

    def _metric(
        self, name: str, args: AnomalyDetectorsArgs, key: str, log_filter: StrInput, title: str
    ) -> gcp.logging.Metric:
        return gcp.logging.Metric(
            f"{name}-{key}",
            project=args.project,
            name=f"{args.site_code}-{key}",
            description=f"{title} (anomaly detection).",
            filter=log_filter,
            metric_descriptor={"metric_kind": "DELTA", "value_type": "INT64", "unit": "1"},
            opts=child(self),
        )

    def _policy(
        self,
        name: str,
        args: AnomalyDetectorsArgs,
        detector: Detector,
        condition: gcp.monitoring.AlertPolicyConditionArgsDict,
        depends_on: list[pulumi.Resource],
    ) -> None:
        gcp.monitoring.AlertPolicy(
            f"{name}-{detector.key}-alert",
            project=args.project,
            display_name=f"[{args.site_code}] {detector.title}",
            combiner="OR",
            severity="CRITICAL",  # the highest, so at least min_severity: every detector pages
            conditions=[condition],
            notification_channels=args.notification_channels,
            documentation={
                "content": f"## {detector.title}\n\n**Catches:** {detector.catches}.\n\n**Does not catch:** "
                f"{detector.misses}.\n\n**Act:** identify the principal or the volume's cause; if it is not a "
                "planned change, disable the principal and open a security incident.\n",
                "mime_type": "text/markdown",
                "subject": detector.title,
            },
            alert_strategy={"auto_close": f"{args.quiet_period}s", "notification_prompts": ["OPENED", "CLOSED"]},
            user_labels={"site": args.site_code, "control": detector.control.lower(), "detector": detector.key},
            enabled=True,
            opts=child(self, depends_on=depends_on),
        )

    def _threshold_alert(
        self, name: str, args: AnomalyDetectorsArgs, detector: Detector, metric: gcp.logging.Metric
    ) -> None:
        condition: gcp.monitoring.AlertPolicyConditionArgsDict = {
            "display_name": detector.title,
            "condition_threshold": {
                "filter": f'metric.type="logging.googleapis.com/user/{args.site_code}-{detector.key}"',
                "comparison": "COMPARISON_GT",
                "threshold_value": 0,
                "duration": "0s",
                "aggregations": [
                    {"alignment_period": "60s", "per_series_aligner": "ALIGN_SUM", "cross_series_reducer": "REDUCE_SUM"}
                ],
                "trigger": {"count": 1},
            },
        }
        self._policy(name, args, detector, condition, [metric])

    def _promql_alert(
        self,
        name: str,
        args: AnomalyDetectorsArgs,
        detector: Detector,
        query: pulumi.Output[str],
        denied: gcp.logging.Metric,
    ) -> None:
        condition: gcp.monitoring.AlertPolicyConditionArgsDict = {
            "display_name": detector.title,
            "condition_prometheus_query_language": {
                "query": query,
                "duration": "0s",
                "evaluation_interval": "60s",
            },
        }
        self._policy(name, args, detector, condition, [denied] if detector.key == "denied-vs-last-week" else [])
