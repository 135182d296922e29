"""Every security log's path, end to end (LOG-13): from the SIEM sink to the declared SIEM subscriber.

LOG-08 proves that an enabled sink selects every security entry (the samples of
:mod:`imaging_policies.log_samples`) and sends it to the declared SIEM destination, LOG-10 that no
exclusion drops one before a sink sees it, LOG-09 that the locked bucket keeps them. When the SIEM
destination is the site's Pub/Sub topic, the entries then cross two more hops the stack declares, and
each has properties that can drop, divert, rewrite or hold back a message without any sink changing:

- the **topic**: ``messageTransforms`` (a JavaScript UDF or an AI inference rewrites each message, and a
  UDF that returns null drops it), ``schemaSettings`` (a publish that does not match the schema is
  rejected, so the Log Router's export fails), ``ingestionDataSourceSettings`` (another source publishes
  into the topic, so the SIEM reads entries the site never logged among its own) and
  ``messageStoragePolicy.enforceInTransit`` (publishes and pulls outside ``allowedPersistenceRegions``
  fail);
- the **subscription** the declared subscriber reads: ``filter`` (Pub/Sub acknowledges every message the
  filter does not match without delivering it), ``deadLetterPolicy`` (after ``maxDeliveryAttempts`` a
  message goes to ``deadLetterTopic`` instead), ``expirationPolicy`` (absent: the subscription is deleted
  after 31 days without a pull, with its backlog), ``messageRetentionDuration`` (a backlog older than that
  is deleted: the SIEM can be offline no longer) and ``messageTransforms``. Delivery by push, BigQuery or
  Cloud Storage is LOG-08's (``gcp-pubsub-subscription-pull-only``).

The semantics are the provider's descriptions (terraform-provider-google-beta,
google-beta/services/pubsub/resource_pubsub_subscription.go and resource_pubsub_topic.go at commit
93c65b2d60fea598528f2769b5b09de856f8cb8c): ``expiration_policy`` "If expirationPolicy is not set, a
default policy with ttl of 31 days will be used. If it is set but ttl is "", the resource never
expires"; ``filter`` "Pub/Sub automatically acknowledges the messages that don't match the filter";
``dead_letter_policy.dead_letter_topic`` "messages published to a topic with no subscriptions are
lost"; ``enforce_in_transit`` "Pub/Sub will fail topics.publish operations on this topic and subscribe
operations on any subscription attached to this topic in any region that is not in
allowedPersistenceRegions". The other properties cannot lose an entry, and are read as such: the
topic's ``messageRetentionDuration`` (replay on the topic; each subscription keeps its own backlog),
``kmsKeyName`` (ENC-09 judges the key), ``ackDeadlineSeconds`` and ``retryPolicy`` (redelivery within
600 seconds at most), ``retainAckedMessages`` (keeps more), ``enableMessageOrdering`` and
``enableExactlyOnceDelivery`` (the Log Router sets no ordering key; exactly-once only removes duplicates).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy import PolicyResource, Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from imaging_policies import tokens
from imaging_policies._props import UNKNOWN, as_str, items, known, leaf, members, names, references
from imaging_policies._registry import Report, stack_policy
from imaging_policies._site import LoggingDeclaration, site_logging
from imaging_policies.log_filters import describe, security_samples, select
from imaging_policies.log_samples import Sample

MIN_BACKLOG_SECONDS: Final = 604800
"""Seven days: how long the SIEM may be offline without losing an exported entry (the components'
``EXPORT_RETENTION``; a contract test holds the two equal)."""
SUBSCRIBER_ROLES: Final = frozenset({"roles/pubsub.subscriber", "roles/pubsub.editor", "roles/pubsub.admin"})
"""Roles that let a principal pull from a subscription (``pubsub.subscriptions.consume``)."""
_DURATION = re.compile(r"^(\d+(?:\.\d{0,9})?)s$")


def seconds(value: Any) -> float | None:
    """A protobuf duration (``"604800s"``, ``"3.5s"``) in seconds; ``None`` when it is not one."""
    text = as_str(value)
    match = _DURATION.match(text.strip()) if text is not None else None
    return float(match.group(1)) if match else None


PATH_POLICY: Final = "gcp-logging-siem-path-intact"
HARMLESS: Final = "harmless"
ELSEWHERE: Final = "elsewhere"
_LIFECYCLE = "what a destroy does to the resource (ABANDON keeps it), not what it carries"
_TAGS = "resource-manager tags: the conditional IAM grants and org policies they bind are judged there"

PROPERTIES: Final[dict[str, dict[str, tuple[str, str]]]] = {
    tokens.PUBSUB_TOPIC: {
        "name": (PATH_POLICY, "the topic a sink's destination names"),
        "project": (PATH_POLICY, "the topic a sink's destination names"),
        "messageTransforms": (PATH_POLICY, "a UDF or AI inference rewrites each message; null drops it"),
        "schemaSettings": (PATH_POLICY, "a publish that does not match the schema is rejected"),
        "ingestionDataSourceSettings": (PATH_POLICY, "another source publishes among the security entries"),
        "messageStoragePolicy": (PATH_POLICY, "enforceInTransit fails publishes and pulls outside its regions"),
        "kmsKeyName": ("gcp-logging-storage-cmek", "the site's logs key (ENC-09)"),
        "messageRetentionDuration": (HARMLESS, "replay on the topic; each subscription keeps its own backlog"),
        "labels": (HARMLESS, "metadata"),
        "deletionPolicy": (HARMLESS, _LIFECYCLE),
        "tags": (ELSEWHERE, _TAGS),
    },
    tokens.PUBSUB_SUBSCRIPTION: {
        "name": (PATH_POLICY, "the subscription the SIEM's grant names"),
        "project": (PATH_POLICY, "the subscription the SIEM's grant names"),
        "topic": (PATH_POLICY, "which topic it copies (a second subscription of the SIEM topic is a copy)"),
        "filter": (PATH_POLICY, "Pub/Sub acknowledges what it does not match without delivering it"),
        "deadLetterPolicy": (PATH_POLICY, "diverts a message after maxDeliveryAttempts"),
        "expirationPolicy": (PATH_POLICY, "an idle subscription is deleted with its backlog"),
        "messageRetentionDuration": (PATH_POLICY, "an unpulled message older than this is deleted"),
        "messageTransforms": (PATH_POLICY, "a UDF or AI inference rewrites each message; null drops it"),
        "pushConfig": ("gcp-pubsub-subscription-pull-only", "delivers to an HTTP endpoint (LOG-08)"),
        "bigqueryConfig": ("gcp-pubsub-subscription-pull-only", "delivers into a BigQuery table (LOG-08)"),
        "cloudStorageConfig": ("gcp-pubsub-subscription-pull-only", "delivers into a bucket (LOG-08)"),
        "ackDeadlineSeconds": (HARMLESS, "an unacknowledged message is redelivered, not lost"),
        "retryPolicy": (HARMLESS, "delays redelivery by 600 seconds at most"),
        "retainAckedMessages": (HARMLESS, "keeps more: acknowledged messages stay for replay"),
        "enableMessageOrdering": (HARMLESS, "the Log Router sets no ordering key, so nothing waits on one"),
        "enableExactlyOnceDelivery": (HARMLESS, "removes duplicate deliveries only"),
        "labels": (HARMLESS, "metadata"),
        "deletionPolicy": (HARMLESS, _LIFECYCLE),
        "tags": (ELSEWHERE, _TAGS),
    },
}
"""Every property of the types on the SIEM path (the pinned provider schema's, a test holds them equal), with
the policy that judges it, or why it cannot drop, divert, rewrite or hold back an entry."""


@dataclass(frozen=True)
class Break:
    """A hop that can drop, divert, rewrite or hold back security entries: the resource, the property (camelCase
    path), what it does, the entries it affects and the fix."""

    resource: PolicyResource
    prop: str
    does: str
    lost: tuple[Sample, ...]
    fix: str

    @property
    def message(self) -> str:
        kind = self.resource.resource_type.rsplit(":", 1)[-1].lower()
        return (
            f"{kind} {self.resource.name!r} {self.prop}: {self.does}, on the path of {describe(self.lost)} to the "
            f"declared SIEM subscriber. {self.fix}"
        )


def topic_path(topic: PolicyResource, declared: LoggingDeclaration) -> str | None:
    """The topic as a sink names it (``pubsub.googleapis.com/projects/<p>/topics/<name>``)."""
    name = as_str(leaf(topic.props, "name"))
    project = as_str(leaf(topic.props, "project")) or declared.project
    if name is None:
        return None
    if name.startswith("projects/"):
        return f"pubsub.googleapis.com/{name}"
    return f"pubsub.googleapis.com/projects/{project}/topics/{name}" if project else None


def _exported(sinks: Iterable[PolicyResource], samples: tuple[Sample, ...]) -> tuple[Sample, ...]:
    """The security entries the enabled sinks to the SIEM hand to it (each sink's filter less its exclusions);
    all of them when a filter is unknown or unreadable (LOG-08 judges the filter itself)."""
    ids: set[str] = set()
    for sink in sinks:
        if leaf(sink.props, "disabled") is True:
            continue
        selection = select(leaf(sink.props, "filter"), samples)
        if selection.unknown or selection.error:
            return samples
        dropped: set[str] = set()
        for index, exclusion in enumerate(items(sink.props, "exclusions")):
            for key in ("disabled", "filter"):
                if exclusion is UNKNOWN or leaf(exclusion, key) is UNKNOWN:
                    # a first preview: an exclusion not known yet could drop every security entry
                    raise UnknownValueError(UNKNOWN_STRING_VALUE, [f"[{sink.name}]", "exclusions", str(index), key])
            if leaf(exclusion, "disabled") is not True:
                dropped |= select(leaf(exclusion, "filter"), samples, anyone=True).ids
        ids |= selection.ids - dropped
    return tuple(s for s in samples if s.id in ids)


def _transforms(resource: PolicyResource, lost: tuple[Sample, ...], hop: str) -> list[Break]:
    found = []
    for index, transform in enumerate(items(resource.props, "messageTransforms")):
        if known(resource.props, "messageTransforms", index, "disabled", resource=resource.name) is True:
            continue
        udf = leaf(transform, "javascriptUdf", "functionName")
        what = f"the JavaScript function {udf!r}" if isinstance(udf, str) else "an AI inference endpoint"
        found.append(
            Break(
                resource,
                f"messageTransforms[{index}]",
                f"{what} rewrites every message {hop}, and a function that returns null drops it",
                lost,
                "Remove the transform: the SIEM must receive each entry as Cloud Logging exported it.",
            )
        )
    return found


def topic_breaks(topic: PolicyResource, lost: tuple[Sample, ...]) -> list[Break]:
    """What on the SIEM topic can drop, rewrite or hold back the exported entries."""
    name, props = topic.name, topic.props
    found = _transforms(topic, lost, "published to the topic")
    schema = known(props, "schemaSettings", "schema", resource=name)
    if schema:
        found.append(
            Break(
                topic,
                "schemaSettings.schema",
                f"Pub/Sub rejects every publish that does not match the schema {schema}, and the Log Router's "
                "LogEntry JSON is not written for it, so the export fails",
                lost,
                "Remove schemaSettings from the SIEM topic.",
            )
        )
    sources = known(props, "ingestionDataSourceSettings", resource=name)
    if sources:
        kinds = ", ".join(sorted(str(k) for k in sources if leaf(sources, k) not in (None, {}, []))) or "a source"
        found.append(
            Break(
                topic,
                "ingestionDataSourceSettings",
                f"{kinds} publishes into the SIEM topic, so the SIEM reads messages the site never logged among "
                "its security entries",
                lost,
                "Remove ingestionDataSourceSettings: only the SIEM sink publishes to the SIEM topic.",
            )
        )
    if known(props, "messageStoragePolicy", "enforceInTransit", resource=name) is True:
        found.append(
            Break(
                topic,
                "messageStoragePolicy.enforceInTransit",
                "Pub/Sub fails every publish and pull made outside allowedPersistenceRegions, and neither the Log "
                "Router nor the SIEM's collector is bound to those regions",
                lost,
                "Remove enforceInTransit; allowedPersistenceRegions alone keeps the messages in the region.",
            )
        )
    return found


def subscription_breaks(
    subscription: PolicyResource, lost: tuple[Sample, ...], topic: PolicyResource, declared: LoggingDeclaration
) -> list[Break]:
    """What on the subscription the SIEM reads can drop, divert, rewrite or hold back the entries."""
    name, props = subscription.name, subscription.props
    found = _transforms(subscription, lost, "before delivery")
    message_filter = known(props, "filter", resource=name)
    if message_filter:
        found.append(
            Break(
                subscription,
                "filter",
                f"Pub/Sub acknowledges without delivering every message that {message_filter!r} does not match, and "
                "the pack cannot show which exported entries it keeps (a filter reads attributes, and the Log Router "
                "sets only logging.googleapis.com/timestamp)",
                lost,
                "Remove the filter; the SIEM selects what it needs itself (a subscription's filter cannot be "
                "changed, so create a new subscription).",
            )
        )
    dead_letter = known(props, "deadLetterPolicy", "deadLetterTopic", resource=name)
    if dead_letter and not names(dead_letter, topic) and not _same_topic(dead_letter, topic, declared):
        attempts = leaf(props, "deadLetterPolicy", "maxDeliveryAttempts")
        after = f"{attempts:g}" if isinstance(attempts, int | float) else "5 (the default)"
        found.append(
            Break(
                subscription,
                "deadLetterPolicy.deadLetterTopic",
                f"after {after} failed deliveries a message goes to {dead_letter} instead of the SIEM",
                lost,
                "Remove deadLetterPolicy: an entry the SIEM cannot take stays in the backlog for it.",
            )
        )
    policy = known(props, "expirationPolicy", resource=name)
    ttl = known(props, "expirationPolicy", "ttl", resource=name)
    if policy is None or ttl:
        shown = f"ttl {ttl}" if ttl else "not set, so Pub/Sub applies its 31-day default"
        found.append(
            Break(
                subscription,
                "expirationPolicy",
                f"is {shown}: after that long without a pull the subscription is deleted with its backlog, and "
                "later entries reach no one",
                lost,
                'Set expirationPolicy.ttl to "" (never expires).',
            )
        )
    retention = known(props, "messageRetentionDuration", resource=name)
    kept = seconds(retention) if retention is not None else MIN_BACKLOG_SECONDS
    if kept is None or kept < MIN_BACKLOG_SECONDS:
        found.append(
            Break(
                subscription,
                "messageRetentionDuration",
                f"is {retention}: an entry the SIEM has not pulled within that time is deleted, so an outage "
                f"longer than that loses entries (the site keeps {MIN_BACKLOG_SECONDS}s, seven days)",
                lost,
                f'Set messageRetentionDuration to at least "{MIN_BACKLOG_SECONDS}s".',
            )
        )
    return found


def _same_topic(reference: Any, topic: PolicyResource, declared: LoggingDeclaration) -> bool:
    path = topic_path(topic, declared)
    return isinstance(reference, str) and path is not None and f"pubsub.googleapis.com/{reference}" == path


def subscriptions_of(
    topic: PolicyResource, resources: Sequence[PolicyResource], declared: LoggingDeclaration
) -> list[PolicyResource]:
    """The stack's subscriptions attached to ``topic``: by name, path or (in preview) the property dependency."""
    found = []
    for r in resources:
        if r.resource_type != tokens.PUBSUB_SUBSCRIPTION:
            continue
        value = leaf(r.props, "topic")
        if references(r, "topic", value, topic) or _same_topic(value, topic, declared):
            found.append(r)
    return found


def readers(subscription: PolicyResource, resources: Sequence[PolicyResource]) -> set[Any]:
    """Who may pull from the subscription: members granted a subscriber role on it or on its project (lower
    case); :data:`UNKNOWN` stands for a member or role not known yet."""
    project = as_str(leaf(subscription.props, "project"))
    found: set[Any] = set()
    for r in resources:
        on_it = r.resource_type in tokens.SUBSCRIPTION_IAM and references(
            r, "subscription", leaf(r.props, "subscription"), subscription
        )
        on_project = r.resource_type in tokens.PROJECT_IAM and leaf(r.props, "project") in (project, UNKNOWN)
        if not (on_it or on_project):
            continue
        for role, member in members(r.props):
            if role in SUBSCRIBER_ROLES or role is UNKNOWN:
                found.add(member.lower() if isinstance(member, str) else UNKNOWN)
    return found


def trace(resources: Sequence[PolicyResource], declared: LoggingDeclaration) -> list[Break]:
    """Every hop past the SIEM sink that can lose an exported security entry before the declared subscriber
    pulls it. Nothing to trace when the SIEM destination is not a Pub/Sub topic (a central log bucket: the
    organisation's, outside the stack) or no subscriber is declared."""
    siem = declared.siem
    if siem is None or not siem.startswith("pubsub.googleapis.com/") or declared.subscriber is None:
        return []
    topics = [r for r in resources if r.resource_type == tokens.PUBSUB_TOPIC and topic_path(r, declared) == siem]
    samples = security_samples()
    sinks = [
        r for r in resources if r.resource_type in tokens.LOG_SINKS and leaf(r.props, "destination") in (siem, UNKNOWN)
    ]
    lost = _exported(sinks, samples) or samples
    found: list[Break] = []
    for topic in topics:
        found.extend(topic_breaks(topic, lost))
        attached = subscriptions_of(topic, resources, declared)
        read = [s for s in attached if {declared.subscriber, UNKNOWN} & readers(s, resources)]
        for subscription in read:
            found.extend(subscription_breaks(subscription, lost, topic, declared))
        for subscription in attached:
            if subscription not in read:
                found.append(
                    Break(
                        subscription,
                        "topic",
                        f"the subscription takes a copy of every message of the SIEM topic, and the declared SIEM "
                        f"subscriber {declared.subscriber} does not read it",
                        lost,
                        "Remove it: the site's security entries have one reader, the SIEM.",
                    )
                )
        if not read:
            found.append(
                Break(
                    topic,
                    "name",
                    f"no subscription of the SIEM topic is read by the declared SIEM subscriber {declared.subscriber}"
                    " (roles/pubsub.subscriber), so the entries reach no one",
                    lost,
                    "Attach a pull subscription and grant the subscriber roles/pubsub.subscriber on it "
                    "(SecurityLogging does).",
                )
            )
    return found


def _siem_path(args: StackValidationArgs, report: Report) -> None:
    declared = site_logging()
    resources = list(args.resources)
    siem = declared.siem
    if siem is None or not siem.startswith("pubsub.googleapis.com/"):
        args.not_applicable(
            f"the SIEM destination ({siem or 'none declared'}) is not a Pub/Sub topic of the site: the security "
            "entries' path ends at the sink, which LOG-08 judges"
        )
    if (
        siem is not None
        and siem.startswith("pubsub.googleapis.com/")
        and declared.subscriber is not None
        and not any(r.resource_type == tokens.PUBSUB_TOPIC and topic_path(r, declared) == siem for r in resources)
        and not any(r.resource_type == tokens.PUBSUB_TOPIC and leaf(r.props, "name") is UNKNOWN for r in resources)
    ):
        report(
            f"the declared SIEM topic {siem.removeprefix('pubsub.googleapis.com/')} is not in the stack, so the pack "
            "cannot follow the security entries from the sink to the SIEM subscriber. Declare the topic and its "
            "subscription in the stack (SecurityLogging does)."
        )
        return
    for hop in trace(resources, declared):
        report(hop.message, hop.resource.urn)


POLICIES = [
    stack_policy(
        name=PATH_POLICY,
        site_only=True,
        types=[tokens.PUBSUB_TOPIC, tokens.PUBSUB_SUBSCRIPTION],
        control="LOG-13",
        description="No hop between the SIEM sink and the declared SIEM subscriber (the topic's transforms, schema, "
        "ingestion and storage policy; the subscription's filter, dead-letter policy, expiry, backlog retention "
        "and transforms; another subscription) can drop, divert, rewrite or hold back a security log entry.",
        severity=Severity.HIGH,
        remediation=(
            "Keep the SIEM topic without messageTransforms, schemaSettings, ingestionDataSourceSettings or "
            "enforceInTransit, and its one subscription (read by the declared subscriber) without filter, "
            'deadLetterPolicy or messageTransforms, with expirationPolicy.ttl "" and at least seven days of '
            "messageRetentionDuration (SecurityLogging does)."
        ),
        check=_siem_path,
    ),
]
