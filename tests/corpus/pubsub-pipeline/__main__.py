"""Events fanned out through Pub/Sub to an HTTPS endpoint and a dead-letter topic."""

import pulumi
import pulumi_gcp as gcp

events = gcp.pubsub.Topic("events", message_retention_duration="86400s")
dead = gcp.pubsub.Topic("events-dead-letter")
subscription = gcp.pubsub.Subscription(
    "events-push",
    topic=events.id,
    ack_deadline_seconds=20,
    push_config={"push_endpoint": "https://hooks.example.com/events"},
    dead_letter_policy={"dead_letter_topic": dead.id, "max_delivery_attempts": 5},
)
pulumi.export("topic", events.name)
pulumi.export("subscription", subscription.id)
