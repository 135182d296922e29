"""Helpers the firewall, VPC and storage policies share: which networks the stack declares, and whether
a resource's network reference names one of them (by value or by property dependency).

Holds no policy; :mod:`imaging_policies.firewall` (NET-03, NET-04), :mod:`imaging_policies.vpc`
(NET-05, LOG-06) and :mod:`imaging_policies.storage` (NET-07) use it.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, StackValidationArgs

from imaging_policies import tokens
from imaging_policies._props import UNKNOWN, as_str, leaf, refers_by_dependency


def _network_names(network: PolicyResource) -> tuple[str | None, str | None]:
    return as_str(leaf(network.props, "name")), as_str(leaf(network.props, "project"))


def refers_to_network(resource: PolicyResource, value: Any, dependency: str, network: PolicyResource) -> bool:
    """Whether a network reference on ``resource`` names ``network``: by value, or by dependency."""
    if refers_by_dependency(resource, dependency, network):
        return True
    name, project = _network_names(network)
    if not isinstance(value, str) or name is None:
        return value is UNKNOWN
    if value == name:
        return True
    return value.endswith(f"/networks/{name}") and (project is None or f"projects/{project}/" in value)


def stack_networks(args: StackValidationArgs) -> list[PolicyResource]:
    """The VPC networks the stack declares."""
    return [r for r in args.resources if r.resource_type == tokens.NETWORK]
