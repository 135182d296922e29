"""What every component's args share: frozen, typed, no unknown fields."""

from __future__ import annotations

import pulumi
from pydantic import BaseModel, ConfigDict

SECONDS_PER_DAY = 86_400
"""GCP takes durations in seconds; site settings are in days."""

StrInput = str | pulumi.Output[str]
"""A string known now or produced by another resource (ids, emails)."""


class ComponentArgs(BaseModel):
    """Base of every component's args: frozen, forbids unknown fields, accepts Pulumi outputs."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True, use_attribute_docstrings=True)


def child(parent: pulumi.Resource, **kwargs: object) -> pulumi.ResourceOptions:
    """Options for a child: the component as parent and nothing else of the component's own opts."""
    return pulumi.ResourceOptions(parent=parent, **kwargs)  # type: ignore[arg-type]


def known_after(resource: pulumi.Resource, value: str) -> pulumi.Output[str]:
    """``value`` as an output that depends on ``resource`` yet is known during preview.

    Used for names that are determined by config (a service account's member string): a consumer
    waits for the resource, and the policy pack can judge the literal value in a first preview.
    """

    async def _resolve(result: object) -> object:
        return result

    return pulumi.Output(
        resources={resource},
        future=_resolve(value),  # type: ignore[arg-type]
        is_known=_resolve(True),  # type: ignore[arg-type]
    )
