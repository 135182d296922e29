"""The SIEM path tracer (:mod:`imaging_policies.log_path`) on hand-built resources: which hop it names, with
which property, and what it leaves alone. Pure logic: it proves the tracer's reading of the properties, not
what Pub/Sub does with them (the module's docstring cites the provider's descriptions)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pulumi_gcp
import pytest
from imaging_policies import POLICIES, log_path, monitoring, tokens
from imaging_policies._log_filters import security_samples
from imaging_policies._props import UNKNOWN
from imaging_policies._site import LoggingDeclaration
from pulumi_policy import PolicyResource

CONTROLS = ("LOG-13",)
"""The controls this module holds (the catalogue's "tests" line is read from it)."""


PROJECT = "chuv-imaging-lau"
SIEM = f"pubsub.googleapis.com/projects/{PROJECT}/topics/lau-siem-export"
SUBSCRIBER = "serviceaccount:siem-collector@chuv-soc.iam.gserviceaccount.com"
DECLARED = LoggingDeclaration(siem=SIEM, project=PROJECT, site_code="lau", subscriber=SUBSCRIBER)
SINK_FILTER = 'log_id("cloudaudit.googleapis.com/activity") OR log_id("cloudaudit.googleapis.com/data_access")'


def resource(
    type_: str, name: str, props: dict[str, Any], **property_dependencies: list[PolicyResource]
) -> PolicyResource:
    return PolicyResource(
        resource_type=type_,
        props=props,
        urn=f"urn:pulumi:lausanne::imaging-landing-zone::{type_}::{name}",
        name=name,
        opts=None,  # type: ignore[arg-type]
        provider=None,
        parent=None,
        dependencies=[],
        property_dependencies=dict(property_dependencies),
    )


def site(*, topic: dict[str, Any] | None = None, subscription: dict[str, Any] | None = None) -> list[PolicyResource]:
    """The site's export as SecurityLogging builds it, with some properties changed."""
    sink = resource(
        tokens.PROJECT_SINK,
        "siem-sink",
        {"project": PROJECT, "name": "lau-siem", "destination": SIEM, "filter": SINK_FILTER},
    )
    siem_topic = resource(tokens.PUBSUB_TOPIC, "siem", {"project": PROJECT, "name": "lau-siem-export", **(topic or {})})
    siem_subscription = resource(
        tokens.PUBSUB_SUBSCRIPTION,
        "siem-subscription",
        {
            "project": PROJECT,
            "name": "lau-siem-export",
            "topic": f"projects/{PROJECT}/topics/lau-siem-export",
            "expirationPolicy": {"ttl": ""},
            "messageRetentionDuration": "604800s",
            **(subscription or {}),
        },
    )
    reader = resource(
        "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
        "siem-reader",
        {
            "subscription": "lau-siem-export",
            "role": "roles/pubsub.subscriber",
            "member": "serviceAccount:siem-collector@chuv-soc.iam.gserviceaccount.com",
        },
    )
    return [sink, siem_topic, siem_subscription, reader]


def hops(resources: list[PolicyResource]) -> list[tuple[str, str]]:
    return [(b.resource.name, b.prop) for b in log_path.trace(resources, DECLARED)]


def test_the_components_export_has_no_break():
    assert hops(site()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"topic": {"messageTransforms": [{"javascriptUdf": {"functionName": "f", "code": "x"}}]}},
                     ("siem", "messageTransforms[0]"), id="topic-udf"),
        pytest.param({"topic": {"messageTransforms": [{"aiInference": {"endpoint": "e"}}]}},
                     ("siem", "messageTransforms[0]"), id="topic-ai-inference"),
        pytest.param({"topic": {"schemaSettings": {"schema": f"projects/{PROJECT}/schemas/s"}}},
                     ("siem", "schemaSettings.schema"), id="topic-schema"),
        pytest.param({"topic": {"ingestionDataSourceSettings": {"awsKinesis": {"streamArn": "arn"}}}},
                     ("siem", "ingestionDataSourceSettings"), id="topic-ingestion"),
        pytest.param({"topic": {"messageStoragePolicy": {"enforceInTransit": True}}},
                     ("siem", "messageStoragePolicy.enforceInTransit"), id="topic-in-transit"),
        pytest.param({"subscription": {"filter": 'attributes.kind="audit"'}},
                     ("siem-subscription", "filter"), id="subscription-filter"),
        pytest.param({"subscription": {"deadLetterPolicy": {"deadLetterTopic": "projects/x/topics/y"}}},
                     ("siem-subscription", "deadLetterPolicy.deadLetterTopic"), id="dead-letter"),
        pytest.param({"subscription": {"expirationPolicy": {"ttl": "2678400s"}}},
                     ("siem-subscription", "expirationPolicy"), id="expires-in-31-days"),
        pytest.param({"subscription": {"expirationPolicy": None}},
                     ("siem-subscription", "expirationPolicy"), id="expiry-default"),
        pytest.param({"subscription": {"messageRetentionDuration": "86400s"}},
                     ("siem-subscription", "messageRetentionDuration"), id="backlog-a-day"),
        pytest.param({"subscription": {"messageRetentionDuration": "seven days"}},
                     ("siem-subscription", "messageRetentionDuration"), id="backlog-unreadable"),
        pytest.param({"subscription": {"messageTransforms": [{"javascriptUdf": {"functionName": "g", "code": "y"}}]}},
                     ("siem-subscription", "messageTransforms[0]"), id="subscription-udf"),
    ],
)  # fmt: skip
def test_each_hop_that_can_lose_an_entry_is_named(changes, expected):
    assert hops(site(**changes)) == [expected]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"topic": {"messageTransforms": [{"javascriptUdf": {"functionName": "f"}, "disabled": True}]}},
                     id="disabled-transform"),
        pytest.param({"topic": {"messageRetentionDuration": "600s"}}, id="short-topic-replay"),
        pytest.param({"topic": {"messageStoragePolicy": {"allowedPersistenceRegions": ["europe-west6"]}}},
                     id="storage-regions-without-in-transit"),
        pytest.param({"subscription": {"messageRetentionDuration": None}}, id="backlog-default-seven-days"),
        pytest.param({"subscription": {"expirationPolicy": {}}}, id="expiry-without-ttl-never-expires"),
        pytest.param({"subscription": {"retryPolicy": {"maximumBackoff": "600s"}, "ackDeadlineSeconds": 600.0}},
                     id="slow-redelivery"),
        pytest.param({"subscription": {"enableMessageOrdering": True, "retainAckedMessages": True}},
                     id="ordering-and-replay"),
        pytest.param({"subscription": {"deadLetterPolicy": {"deadLetterTopic": SIEM.split("/", 1)[1]}}},
                     id="dead-letter-back-to-the-siem-topic"),
    ],
)  # fmt: skip
def test_a_property_that_loses_nothing_is_no_break(changes):
    assert hops(site(**changes)) == []


def test_a_reader_granted_on_the_project_reads_the_subscription():
    resources = [r for r in site() if r.name != "siem-reader"]
    resources.append(
        resource(
            "gcp:projects/iAMMember:IAMMember",
            "siem-project-reader",
            {
                "project": PROJECT,
                "role": "roles/pubsub.subscriber",
                "member": SUBSCRIBER.replace("serviceaccount", "serviceAccount"),
            },
        )
    )
    assert hops(resources) == []


def test_a_topic_nobody_declared_reads_is_a_dead_end():
    resources = [r for r in site() if r.name != "siem-reader"]
    assert hops(resources) == [("siem-subscription", "topic"), ("siem", "name")]


def test_a_subscription_attached_in_a_first_preview_is_found_by_its_dependency():
    resources = site()
    topic = resources[1]
    late = resource(
        tokens.PUBSUB_SUBSCRIPTION,
        "late-copy",
        {"project": PROJECT, "name": "late", "topic": UNKNOWN, "expirationPolicy": {"ttl": ""}},
        topic=[topic],
    )
    assert hops([*resources, late]) == [("late-copy", "topic")]


def test_the_entries_named_are_those_the_sink_exports():
    """A sink selecting only audit logs hands only audit entries to the topic: a break names those."""
    [found] = log_path.trace(site(topic={"schemaSettings": {"schema": "s"}}), DECLARED)
    families = {s.family for s in found.lost}
    assert families == {"audit"}
    assert {s.id for s in found.lost} < {s.id for s in security_samples()}
    assert "audit logs (" in found.message
    assert "VPC flow logs" not in found.message


def test_nothing_is_traced_for_a_central_destination():
    declared = LoggingDeclaration(
        siem="logging.googleapis.com/projects/umcu-security-logs/locations/europe-west4/buckets/siem", project=PROJECT
    )
    assert log_path.trace(site(topic={"schemaSettings": {"schema": "s"}}), declared) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [("604800s", 604800.0), ("3.5s", 3.5), ("0s", 0.0), ("", None), ("7d", None), (604800, None), (None, None)],
)
def test_durations_are_read_as_protobuf_durations(value, expected):
    assert log_path.seconds(value) == expected


# --- The pinned provider schema -------------------------------------------------------------------

_GETTER = re.compile(r'@pulumi\.getter(?:\(name="(\w+)"\))?\n\s+def (\w+)\(self\) -> ([^:]+):')
_ARGS_CLASS = re.compile(r"'(\w+Args)'")
_SCHEMA_FILES = {
    tokens.PUBSUB_TOPIC: ("pubsub/topic.py", "TopicArgs"),
    tokens.PUBSUB_SUBSCRIPTION: ("pubsub/subscription.py", "SubscriptionArgs"),
    tokens.ALERT_POLICY: ("monitoring/alert_policy.py", "AlertPolicyArgs"),
    tokens.SNOOZE: ("monitoring/snooze.py", "SnoozeArgs"),
}


def _properties(path: str, cls: str) -> dict[str, str | None]:
    """The camelCase wire names of a pinned ``*Args`` class, each with the ``*Args`` class of its value."""
    package = Path(pulumi_gcp.__file__).parent
    for source in (package / path, package / path.rsplit("/", 1)[0] / "_inputs.py"):
        text = source.read_text(encoding="utf-8")
        start = text.find(f"\nclass {cls}:")
        if start >= 0:
            end = text.find("\nclass ", start + 1)
            found = {}
            for wire, python, annotation in _GETTER.findall(text[start : end if end >= 0 else None]):
                nested = _ARGS_CLASS.search(annotation)
                found[wire or python] = nested.group(1) if nested else None
            return found
    raise AssertionError(f"{cls} is not in the pinned pulumi_gcp")


def _exists(token: str, dotted: str) -> bool:
    path, cls = _SCHEMA_FILES[token]
    for step in dotted.split("."):
        props = _properties(path, cls)
        if step not in props:
            return False
        cls = props[step] or ""
    return True


@pytest.mark.parametrize("token", sorted(_SCHEMA_FILES))
def test_every_property_of_the_pinned_schema_is_classified(token):
    """Each property of a type on the SIEM or alert path is judged by a named policy, or says why it cannot lose
    an entry or a notification; none is invented."""
    tables = {**log_path.PROPERTIES, **monitoring.PROPERTIES}
    path, cls = _SCHEMA_FILES[token]
    assert set(tables[token]) == set(_properties(path, cls))
    names = {p.name for p in POLICIES}
    for verdict, reason in tables[token].values():
        assert verdict in names | {log_path.HARMLESS, log_path.ELSEWHERE}
        assert reason


@pytest.mark.parametrize(
    ("token", "dotted"),
    [
        (tokens.PUBSUB_TOPIC, "messageTransforms.disabled"),
        (tokens.PUBSUB_TOPIC, "messageTransforms.javascriptUdf.functionName"),
        (tokens.PUBSUB_TOPIC, "schemaSettings.schema"),
        (tokens.PUBSUB_TOPIC, "messageStoragePolicy.enforceInTransit"),
        (tokens.PUBSUB_TOPIC, "ingestionDataSourceSettings.cloudStorage"),
        (tokens.PUBSUB_SUBSCRIPTION, "deadLetterPolicy.deadLetterTopic"),
        (tokens.PUBSUB_SUBSCRIPTION, "deadLetterPolicy.maxDeliveryAttempts"),
        (tokens.PUBSUB_SUBSCRIPTION, "expirationPolicy.ttl"),
        (tokens.PUBSUB_SUBSCRIPTION, "messageTransforms.javascriptUdf.functionName"),
        (tokens.ALERT_POLICY, "alertStrategy.notificationPrompts"),
        (tokens.ALERT_POLICY, "alertStrategy.autoClose"),
        (tokens.ALERT_POLICY, "alertStrategy.notificationRateLimit.period"),
        (tokens.ALERT_POLICY, "conditions.conditionThreshold.thresholdValue"),
        (tokens.ALERT_POLICY, "conditions.conditionThreshold.comparison"),
        (tokens.ALERT_POLICY, "conditions.conditionThreshold.duration"),
        (tokens.ALERT_POLICY, "conditions.conditionThreshold.trigger.count"),
        (tokens.ALERT_POLICY, "conditions.conditionThreshold.trigger.percent"),
        (tokens.ALERT_POLICY, "conditions.conditionThreshold.denominatorFilter"),
        (tokens.ALERT_POLICY, "conditions.conditionThreshold.forecastOptions"),
        (tokens.ALERT_POLICY, "conditions.conditionThreshold.aggregations.alignmentPeriod"),
        (tokens.ALERT_POLICY, "conditions.conditionThreshold.aggregations.perSeriesAligner"),
        (tokens.ALERT_POLICY, "conditions.conditionThreshold.aggregations.crossSeriesReducer"),
        (tokens.ALERT_POLICY, "conditions.conditionMatchedLog.filter"),
        (tokens.SNOOZE, "criteria.policies"),
        (tokens.SNOOZE, "interval.startTime"),
        (tokens.SNOOZE, "interval.endTime"),
    ],
)
def test_every_nested_property_the_policies_read_is_in_the_pinned_schema(token, dotted):
    assert _exists(token, dotted), f"{token} has no {dotted} in pulumi_gcp {pulumi_gcp.__name__}"


def test_an_invented_property_is_not_in_the_pinned_schema():
    assert not _exists(tokens.PUBSUB_SUBSCRIPTION, "deadLetterPolicy.topic")
