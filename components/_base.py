"""What every component's args share: frozen, typed, no unknown fields."""

from __future__ import annotations

import warnings
from typing import Any

import pulumi
import pulumi_gcp as gcp
from pydantic import BaseModel, ConfigDict

SECONDS_PER_DAY = 86_400
"""GCP takes durations in seconds; site settings are in days."""

StrInput = str | pulumi.Output[str]
"""A string known now or produced by another resource (ids, emails)."""


class ComponentArgs(BaseModel):
    """Base of every component's args: frozen, forbids unknown fields, accepts Pulumi outputs."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True, use_attribute_docstrings=True)


def renamed_field(values: Any, old: str, new: str, *, as_list: bool = False) -> Any:
    """For a ``model_validator(mode="before")``: an args field renamed ``old`` -> ``new`` keeps working for one
    release, with a ``DeprecationWarning`` (``as_list``: the old field held one of what the new one lists)."""
    if not isinstance(values, dict) or old not in values:
        return values
    if new in values:
        raise ValueError(f"{old} and {new} are the same setting ({old} is its deprecated name): give only {new}")
    warnings.warn(f"{old} is deprecated: use {new}", DeprecationWarning, stacklevel=4)
    rest = {k: v for k, v in values.items() if k != old}
    return {**rest, new: [values[old]] if as_list else values[old]}


class Component(pulumi.ComponentResource):
    """A component whose children wait for whatever the component was told to wait for.

    Pulumi does not pass a component's ``depends_on`` to its children; a site's resources must still
    wait for the project's APIs, so :func:`child` adds it to every child's ``depends_on``.
    """

    def __init__(self, type_token: str, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token, name, None, opts)
        depends: object = opts.depends_on if opts is not None else None
        listed = [depends] if isinstance(depends, pulumi.Resource) else depends if isinstance(depends, list) else []
        self.child_depends_on: list[pulumi.Resource] = [d for d in listed if isinstance(d, pulumi.Resource)]


def child(parent: pulumi.Resource, **kwargs: object) -> pulumi.ResourceOptions:
    """Options for a child: the component as parent, its ``depends_on``, nothing else of its opts."""
    inherited = getattr(parent, "child_depends_on", [])
    if inherited:
        kwargs["depends_on"] = [*inherited, *kwargs.get("depends_on", [])]  # type: ignore[misc]
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


def service_agent_member(
    agent: pulumi.Resource, project: str, domain: str, parent: pulumi.Resource
) -> pulumi.Output[str]:
    """The member of a Google service agent that ``agent`` (a ``ServiceIdentity``) makes sure exists:
    ``serviceAccount:service-<project number>@<domain>.iam.gserviceaccount.com``, the form Google documents for
    its per-project agents (https://cloud.google.com/iam/docs/service-agents).

    The number comes from the ``getProject`` invoke, which answers in a first preview too, so a grant to the
    agent carries a literal member there and the policy pack judges it (instead of leaving it to the update
    run); the output still waits for ``agent``."""
    number = gcp.organizations.get_project_output(project_id=project, opts=pulumi.InvokeOutputOptions(parent=parent))
    return pulumi.Output.all(number.number, known_after(agent, domain)).apply(
        lambda values: f"serviceAccount:service-{values[0]}@{values[1]}.iam.gserviceaccount.com"
    )
