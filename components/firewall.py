"""The site firewall: deny everything, then allow the viewer to reach only the worklist and Google APIs.

Ingress only from the load-balancer, health-check and, when enabled, IAP ranges; default-deny egress,
allowing only declared destinations; every rule logs. The controls it meets are the catalogue's (its
"met by", rendered in ``docs/controls.md``). The rules are computed by the pure function
:func:`firewall_rules`, so their properties are testable without Pulumi; :class:`AllowlistFirewall` turns
each into a ``gcp.compute.Firewall``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

import pulumi
import pulumi_gcp as gcp
from pydantic import Field, model_validator

from . import ranges
from ._base import Component, ComponentArgs, StrInput, child
from .contract import AllowlistCidr, Port, SiteCode, StableName

TYPE_TOKEN = "imaging:network:AllowlistFirewall"

LOG_METADATA = "INCLUDE_ALL_METADATA"
"""Every rule logs, deny rules included (LOG-04)."""
ALLOW_PRIORITY = 1000
DENY_ALL_PRIORITY = 65535
"""The lowest precedence a rule can have: anything not allowed above is denied, and logged."""
HTTPS = 443


class Direction(StrEnum):
    INGRESS = "INGRESS"
    EGRESS = "EGRESS"


class FirewallTarget(ComponentArgs):
    """The workload that allow rules apply to: a network tag or a service account, exactly one.

    Cloud Run with Direct VPC egress honours network tags only (ADR 0006).
    """

    network_tag: str | None = None
    """A network tag the workload carries, for example on its Cloud Run revision."""
    service_account: StrInput | None = None
    """A service account email the workload runs as (Compute Engine, GKE nodes)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> FirewallTarget:
        if (self.network_tag is None) == (self.service_account is None):
            raise ValueError("set exactly one of network_tag or service_account")
        return self


class Destination(ComponentArgs):
    """An allowed destination: its ranges and TCP ports."""

    cidrs: Annotated[list[AllowlistCidr], Field(min_length=1)]
    """IPv4 ranges, never ``/0``."""
    ports: Annotated[list[Port], Field(min_length=1)]
    """TCP ports."""


class AllowlistFirewallArgs(ComponentArgs):
    """Inputs of :class:`AllowlistFirewall`."""

    project: str
    """The GCP project of the network."""
    site_code: SiteCode
    """The site code, used in every rule's name."""
    network: StrInput
    """The network's id or self link."""
    target: FirewallTarget
    """The viewer workload every allow rule applies to."""
    worklist: dict[StableName, Destination]
    """Worklist endpoints by stable name: the only egress besides Google APIs."""
    viewer_ports: Annotated[list[Port], Field(min_length=1)] = [HTTPS]
    """The ports the viewer serves on, for ingress from the load balancer and IAP."""
    load_balancer_ingress: bool = True
    """Allow Google's load-balancer and health-check ranges to reach the viewer's ports."""
    iap_ingress: bool = False
    """Allow the IAP TCP-forwarding range to reach the viewer's ports."""


@dataclass(frozen=True)
class Rule:
    """One firewall rule, before it becomes a resource."""

    direction: Direction
    allow: bool
    ranges: tuple[str, ...]
    """Source ranges (ingress) or destination ranges (egress)."""
    ports: tuple[int, ...]
    """TCP ports for allow rules; empty for the deny-all rules (every protocol)."""
    priority: int
    description: str

    @property
    def targeted(self) -> bool:
        """Allow rules apply to the viewer workload only; the deny-all rules to everything."""
        return self.allow


def firewall_rules(args: AllowlistFirewallArgs) -> dict[str, Rule]:
    """Every rule of the site firewall, keyed by its stable name."""
    rules = {
        "deny-all-egress": Rule(
            Direction.EGRESS, False, (ranges.ANYWHERE,), (), DENY_ALL_PRIORITY, "Default deny: all egress (NET-04)."
        ),
        "deny-all-ingress": Rule(
            Direction.INGRESS, False, (ranges.ANYWHERE,), (), DENY_ALL_PRIORITY, "Default deny: all ingress (NET-03)."
        ),
        "allow-google-apis": Rule(
            Direction.EGRESS,
            True,
            (ranges.RESTRICTED_GOOGLE_APIS,),
            (HTTPS,),
            ALLOW_PRIORITY,
            "The viewer reaches Google APIs (image storage) through restricted.googleapis.com.",
        ),
    }
    for key, destination in args.worklist.items():
        rules[f"allow-worklist-{key}"] = Rule(
            Direction.EGRESS,
            True,
            tuple(destination.cidrs),
            tuple(sorted(set(destination.ports))),
            ALLOW_PRIORITY,
            f"The viewer reaches worklist endpoint {key}.",
        )
    viewer_ports = tuple(sorted(set(args.viewer_ports)))
    if args.load_balancer_ingress:
        rules["allow-load-balancer"] = Rule(
            Direction.INGRESS,
            True,
            ranges.LOAD_BALANCER_RANGES,
            viewer_ports,
            ALLOW_PRIORITY,
            "Google's load balancers and health checks reach the viewer.",
        )
    if args.iap_ingress:
        rules["allow-iap"] = Rule(
            Direction.INGRESS,
            True,
            (ranges.IAP_RANGE,),
            viewer_ports,
            ALLOW_PRIORITY,
            "Administrators reach the viewer through IAP TCP forwarding.",
        )
    return rules


class AllowlistFirewall(Component):
    """The site's VPC firewall rules: logged deny-all in both directions, then explicit allows.

    Children: ``<name>-<rule>`` (Firewall) for each key of :func:`firewall_rules`, named
    ``<site>-<rule>`` in GCP.
    """

    rule_names: list[str]
    """The stable names of the rules."""

    def __init__(self, name: str, args: AllowlistFirewallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, opts)
        rules = firewall_rules(args)
        for key, rule in rules.items():
            allows: list[gcp.compute.FirewallAllowArgsDict] = [
                {"protocol": "tcp", "ports": [str(p) for p in rule.ports]}
            ]
            denies: list[gcp.compute.FirewallDenyArgsDict] = [{"protocol": "all"}]
            log_config: gcp.compute.FirewallLogConfigArgsDict = {"metadata": LOG_METADATA}
            gcp.compute.Firewall(
                f"{name}-{key}",
                project=args.project,
                name=f"{args.site_code}-{key}",
                network=args.network,
                direction=rule.direction.value,
                priority=rule.priority,
                allows=allows if rule.allow else None,
                denies=None if rule.allow else denies,
                source_ranges=list(rule.ranges) if rule.direction is Direction.INGRESS else None,
                destination_ranges=list(rule.ranges) if rule.direction is Direction.EGRESS else None,
                target_tags=[args.target.network_tag] if rule.targeted and args.target.network_tag else None,
                target_service_accounts=(
                    [args.target.service_account] if rule.targeted and args.target.service_account else None
                ),
                log_config=log_config,
                description=rule.description,
                opts=child(self),
            )
        self.rule_names = list(rules)
        self.register_outputs({"ruleNames": self.rule_names})
