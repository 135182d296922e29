"""Security alerts: a log-based metric and an alert policy per security event, each with a runbook.

The CIS GCP Foundations alerts 2.4 to 2.10, and alerts on KMS key versions, log routing,
service-account keys, org policies, and a spike of image reads by one principal as the anomaly
signal (the controls it meets: the catalogue's "met by"). The events and their filters are the
catalogue in :mod:`components.alert_catalogue`.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp
from pydantic import Field, model_validator

from ._base import Component, ComponentArgs, StrInput, child, renamed_field
from .alert_catalogue import READ_SPIKE, SECURITY_ALERTS, SecurityAlert
from .contract import (
    MAX_QUIET_PERIOD,
    MIN_ALERT_SEVERITY,
    SPIKE_WINDOW_SECONDS,
    AlertSeverity,
    NotificationEmail,
    QuietPeriod,
    ReadSpike,
    SiteCode,
    StableName,
)
from .detections import bucket_term

TYPE_TOKEN = "imaging:monitoring:SecurityAlerts"

SPIKE_WINDOW = f"{SPIKE_WINDOW_SECONDS}s"
"""The anomaly window: image reads per principal are summed over five minutes."""
PRINCIPAL = "principal"
SEVERITIES: tuple[AlertSeverity, ...] = ("WARNING", "ERROR", "CRITICAL")
"""Cloud Monitoring's alert severities, least first."""


class SecurityAlertsArgs(ComponentArgs):
    """Inputs of :class:`SecurityAlerts`."""

    project: str
    """The site project."""
    site_code: SiteCode
    """The site code, used in metric names."""
    notification_channels: list[StrInput] = []
    """Existing notification channels every alert notifies."""
    emails: dict[StableName, NotificationEmail] = {}
    """Email channels to create, by stable name."""
    image_buckets: list[StrInput] = Field(min_length=1)
    """Every bucket the site keeps images in: their reads are counted per principal (``image_bucket``, one
    bucket, is its deprecated name)."""
    image_read_spike: ReadSpike = 1000
    """Reads by one principal within five minutes that raise the anomaly alert."""
    quiet_period: QuietPeriod = MAX_QUIET_PERIOD
    """Seconds an incident stays open without data (``alertStrategy.autoClose``): the site's longest quiet
    period after an alert (LOG-14)."""
    min_severity: AlertSeverity = MIN_ALERT_SEVERITY
    """The least severity an alert policy carries: a CIS or anomaly alert is CRITICAL, the others ERROR,
    raised to this floor (LOG-14)."""

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, values: Any) -> Any:
        return renamed_field(values, "image_bucket", "image_buckets", as_list=True)

    @model_validator(mode="after")
    def _some_channel(self) -> SecurityAlertsArgs:
        if not self.notification_channels and not self.emails:
            raise ValueError("alerts need at least one notification channel or email")
        return self


def metric_name(site_code: str, alert: SecurityAlert) -> str:
    """The log-based metric of an alert: ``<site>-<key>``."""
    return f"{site_code}-{alert.key}"


class SecurityAlerts(Component):
    """One metric and one alert policy per event of the catalogue, notifying every channel.

    Children: ``<name>-email-<key>`` (NotificationChannel) per email, and per alert key
    ``<name>-<key>`` (logging Metric) and ``<name>-<key>-alert`` (AlertPolicy).
    """

    channels: list[StrInput]
    """Every channel the alerts notify (the declared ones and the email channels created here)."""
    read_metric: pulumi.Output[str]
    """The name of the metric counting the image bucket's reads per principal (the anomaly detectors' source)."""

    def __init__(self, name: str, args: SecurityAlertsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, opts)
        channels: list[StrInput] = list(args.notification_channels)
        for key, email in args.emails.items():
            channel = gcp.monitoring.NotificationChannel(
                f"{name}-email-{key}",
                project=args.project,
                type="email",
                display_name=f"Imaging site {args.site_code}: {key}",
                labels={"email_address": email},
                opts=child(self),
            )
            channels.append(channel.name)
        self.channels = channels
        for alert in SECURITY_ALERTS:
            metric = self._alert(name, args, alert, channels)
            if alert.key == READ_SPIKE:
                self.read_metric = metric.name
        self.register_outputs({})

    def _alert(
        self, name: str, args: SecurityAlertsArgs, alert: SecurityAlert, channels: list[StrInput]
    ) -> gcp.logging.Metric:
        metric_id = metric_name(args.site_code, alert)
        spike = alert.key == READ_SPIKE
        log_filter: StrInput = (
            pulumi.Output.all(*args.image_buckets).apply(lambda names: f"{alert.filter} AND {bucket_term(names)}")
            if spike
            else alert.filter
        )
        descriptor: gcp.logging.MetricMetricDescriptorArgsDict = {
            "metric_kind": "DELTA",
            "value_type": "INT64",
            "unit": "1",
        }
        if spike:
            descriptor["labels"] = [{"key": PRINCIPAL, "value_type": "STRING", "description": "Who read."}]
        metric = gcp.logging.Metric(
            f"{name}-{alert.key}",
            project=args.project,
            name=metric_id,
            description=f"{alert.title} ({alert.control}{f', CIS {alert.cis}' if alert.cis else ''}).",
            filter=log_filter,
            metric_descriptor=descriptor,
            label_extractors=(
                {PRINCIPAL: "EXTRACT(protoPayload.authenticationInfo.principalEmail)"} if spike else None
            ),
            opts=child(self),
        )
        aggregation: gcp.monitoring.AlertPolicyConditionConditionThresholdAggregationArgsDict = {
            "alignment_period": SPIKE_WINDOW if spike else "60s",
            "per_series_aligner": "ALIGN_SUM",
            "cross_series_reducer": "REDUCE_SUM",
            "group_by_fields": [f"metric.label.{PRINCIPAL}"] if spike else [],
        }
        gcp.monitoring.AlertPolicy(
            f"{name}-{alert.key}-alert",
            project=args.project,
            display_name=f"[{args.site_code}] {alert.title}",
            combiner="OR",
            severity=max(
                "CRITICAL" if alert.control == "LOG-11" or spike else "ERROR", args.min_severity, key=SEVERITIES.index
            ),
            conditions=[
                gcp.monitoring.AlertPolicyConditionArgsDict(
                    display_name=alert.title,
                    condition_threshold={
                        "filter": f'metric.type="logging.googleapis.com/user/{metric_id}"',
                        "comparison": "COMPARISON_GT",
                        "threshold_value": (args.image_read_spike - 1) if spike else 0,
                        "duration": "0s",
                        "aggregations": [aggregation],
                        "trigger": {"count": 1},
                    },
                )
            ],
            notification_channels=channels,
            documentation={"content": alert.runbook, "mime_type": "text/markdown", "subject": alert.title},
            alert_strategy={"auto_close": f"{args.quiet_period}s", "notification_prompts": ["OPENED", "CLOSED"]},
            user_labels={"site": args.site_code, "control": alert.control.lower()},
            enabled=True,
            opts=child(self, depends_on=[metric]),
        )
        return metric
