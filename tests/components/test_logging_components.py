"""Security logging and alerts under the mock engine: audit config, locked CMEK bucket, sinks, SIEM export,
metrics and alert policies with their channels and runbooks."""

from __future__ import annotations

import pytest

from components.alert_catalogue import SECURITY_ALERTS, SECURITY_LOGS_FILTER
from components.logging import SiemDestination
from components.monitoring import SecurityAlertsArgs
from preflight.engine.gcp_model import project_number
from preflight.engine.runner import UNKNOWN
from tests.plans import site_plan
from tests.sites import by_name

LAU_NUMBER = project_number("chuv-imaging-lau")


def test_data_access_audit_logs_for_every_service_nobody_exempt():
    audit = by_name(site_plan("lausanne", "update"), "lau-logging-audit")
    assert audit.inputs["service"] == "allServices"
    assert audit.inputs["auditLogConfigs"] == [
        {"logType": "ADMIN_READ"},
        {"logType": "DATA_READ"},
        {"logType": "DATA_WRITE"},
    ]


def test_log_bucket_is_locked_cmek_protected_and_keyed_first():
    resources = site_plan("lausanne", "update")
    bucket = by_name(resources, "lau-logging-bucket")
    logs_key = by_name(resources, "lau-kms-logs").outputs["id"]
    assert bucket.inputs["bucketId"] == "lau-security-logs"
    assert bucket.inputs["location"] == "europe-west6"
    assert bucket.inputs["retentionDays"] == 3650
    assert bucket.inputs["locked"] is True
    assert bucket.inputs["cmekSettings"] == {"kmsKeyName": logs_key}
    assert bucket.protect is True
    grant = by_name(resources, "lau-logging-bucket-agent-key")
    assert grant.inputs["member"] == f"serviceAccount:cmek-p{LAU_NUMBER}@gcp-sa-logging.iam.gserviceaccount.com"
    assert grant.inputs["cryptoKeyId"] == logs_key
    assert grant.urn in bucket.dependencies


def test_default_retention_is_six_years():
    assert by_name(site_plan("utrecht", "update"), "utr-logging-bucket").inputs["retentionDays"] == 2190


def test_both_sinks_route_every_security_log_family():
    resources = site_plan("lausanne", "update")
    retention = by_name(resources, "lau-logging-retention-sink")
    siem = by_name(resources, "lau-logging-siem-sink")
    assert retention.inputs["destination"] == (
        "logging.googleapis.com/projects/chuv-imaging-lau/locations/europe-west6/buckets/lau-security-logs"
    )
    assert siem.inputs["destination"] == "pubsub.googleapis.com/projects/chuv-imaging-lau/topics/lau-siem-export"
    for sink in (retention, siem):
        assert sink.inputs["filter"] == SECURITY_LOGS_FILTER
        assert sink.inputs["uniqueWriterIdentity"] is True
        assert "disabled" not in sink.inputs
        assert "exclusions" not in sink.inputs


def test_siem_topic_is_cmek_and_only_the_sink_publishes_only_the_siem_reads():
    resources = site_plan("lausanne", "update")
    topic = by_name(resources, "lau-logging-siem")
    assert topic.inputs["kmsKeyName"] == by_name(resources, "lau-kms-logs").outputs["id"]
    assert topic.inputs["messageStoragePolicy"]["allowedPersistenceRegions"] == ["europe-west6"]
    pubsub_agent = by_name(resources, "lau-logging-pubsub-agent-key")
    assert pubsub_agent.inputs["member"] == f"serviceAccount:service-{LAU_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com"
    assert pubsub_agent.urn in topic.dependencies
    sink = by_name(resources, "lau-logging-siem-sink")
    publisher = by_name(resources, "lau-logging-siem-publisher")
    assert (publisher.inputs["role"], publisher.inputs["member"]) == (
        "roles/pubsub.publisher",
        sink.outputs["writerIdentity"],
    )
    reader = by_name(resources, "lau-logging-siem-reader")
    assert (reader.inputs["role"], reader.inputs["member"]) == (
        "roles/pubsub.subscriber",
        "serviceAccount:siem-collector@chuv-soc.iam.gserviceaccount.com",
    )
    subscription = by_name(resources, "lau-logging-siem-subscription")
    assert subscription.inputs["topic"] == "projects/chuv-imaging-lau/topics/lau-siem-export"
    assert subscription.inputs["expirationPolicy"] == {"ttl": ""}


def test_writer_identity_is_unknown_in_a_first_preview_but_the_grant_follows_the_sink():
    resources = site_plan("lausanne", "preview")
    publisher = by_name(resources, "lau-logging-siem-publisher")
    assert publisher.inputs["member"] == UNKNOWN
    assert by_name(resources, "lau-logging-siem-sink").urn in publisher.property_dependencies["member"]


def test_central_destination_has_no_topic_and_exports_there():
    resources = site_plan("utrecht", "update")
    assert not [r for r in resources if r.type.startswith("gcp:pubsub/")]
    sink = by_name(resources, "utr-logging-siem-sink")
    assert sink.inputs["destination"] == (
        "logging.googleapis.com/projects/umcu-security-logs/locations/europe-west4/buckets/siem"
    )


def test_every_catalogued_alert_has_a_metric_and_a_policy_with_channels_and_runbook():
    resources = site_plan("lausanne", "update")
    channel = by_name(resources, "lau-alerts-email-soc")
    assert channel.inputs["labels"] == {"email_address": "soc@chuv.example"}
    for alert in SECURITY_ALERTS:
        metric = by_name(resources, f"lau-alerts-{alert.key}")
        policy = by_name(resources, f"lau-alerts-{alert.key}-alert")
        assert metric.inputs["name"] == f"lau-{alert.key}"
        assert metric.inputs["filter"].startswith(alert.filter)
        condition = policy.inputs["conditions"][0]["conditionThreshold"]
        assert condition["filter"] == f'metric.type="logging.googleapis.com/user/lau-{alert.key}"'
        assert policy.inputs["notificationChannels"] == [channel.outputs["name"]]
        assert policy.inputs["documentation"]["content"] == alert.runbook
        assert policy.inputs["documentation"]["mimeType"] == "text/markdown"
        assert policy.inputs["enabled"] is True
        assert metric.urn in policy.dependencies


def test_read_spike_counts_image_reads_per_principal_against_the_site_threshold():
    resources = site_plan("lausanne", "update")
    metric = by_name(resources, "lau-alerts-image-read-spike")
    assert metric.inputs["filter"].endswith(' AND resource.labels.bucket_name="chuv-imaging-lau-lau-images"')
    assert metric.inputs["labelExtractors"] == {"principal": "EXTRACT(protoPayload.authenticationInfo.principalEmail)"}
    condition = by_name(resources, "lau-alerts-image-read-spike-alert").inputs["conditions"][0]["conditionThreshold"]
    assert condition["thresholdValue"] == 499  # more than 499 reads: 500 or more (imageReadSpike: 500)
    assert condition["aggregations"] == [
        {
            "alignmentPeriod": "300s",
            "perSeriesAligner": "ALIGN_SUM",
            "crossSeriesReducer": "REDUCE_SUM",
            "groupByFields": ["metric.label.principal"],
        }
    ]


def test_existing_channels_from_the_site_config_are_used_as_given():
    policy = by_name(site_plan("utrecht", "update"), "utr-alerts-firewall-alert")
    assert policy.inputs["notificationChannels"] == ["projects/umcu-imaging-utr/notificationChannels/4812736450917"]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(SiemDestination, "exactly one of subscriber or central_destination", id="no-siem"),
        pytest.param(
            lambda: SecurityAlertsArgs(project="proj-123456", site_code="abc", image_buckets=["b"]),
            "at least one notification channel",
            id="no-channel",
        ),
    ],
)
def test_logging_args_refuse_what_the_controls_forbid(build, message):
    with pytest.raises(ValueError, match=message):
        build()
