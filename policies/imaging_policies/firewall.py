"""Firewall rules: ingress and egress allowlists, a logged deny-all per network, every rule logged.

Controls NET-03, NET-04 and LOG-04. VPC firewall rules and firewall-policy rules (network, regional,
hierarchical) are read in the VPC rule's shape. The allowlists that NET-03 and NET-04 judge against
come from :mod:`imaging_policies._site`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from imaging_policies import tokens
from imaging_policies._network import refers_to_network, stack_networks
from imaging_policies._props import UNKNOWN, items, leaf, property_dependencies, references
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies._site import (
    GOOGLE_APIS,
    IAP_RANGE,
    LOAD_BALANCER_RANGES,
    RESTRICTED_GOOGLE_APIS,
    WHOLE_INTERNET,
    allowed,
    egress_allowlist,
    iap_allowed,
    inside,
    ports,
    viewer_ports,
)

# --- reading firewall rules ---------------------------------------------------------------------


LETS_THROUGH = frozenset({"allow", "apply_security_profile_group", "goto_next"})
"""Firewall-policy actions that let a packet past the rule: ``apply_security_profile_group`` allows it after
inspection, ``goto_next`` hands it to the next policy level and skips this policy's later deny rules, which
may be outside the stack. Both are judged as allow (a conservative reading)."""
BEYOND_RANGES = {
    "INGRESS": ("srcFqdns", "srcRegionCodes", "srcThreatIntelligences", "srcAddressGroups"),
    "EGRESS": ("destFqdns", "destRegionCodes", "destThreatIntelligences", "destAddressGroups"),
}
"""Match fields that add peers the pack cannot judge by address: a domain, a whole country, a Google-kept
threat list, an address group (kept outside the rule). For firewall-policy rules they widen the match
(they are OR-ed with the IP ranges); the opposite direction's fields only narrow it."""


def _policy_rule_view(rule: Any) -> dict[str, Any]:
    """A firewall-policy rule (network, regional or hierarchical) in the shape of a VPC firewall rule."""
    direction = leaf(rule, "direction")
    ranges_key = "sourceRanges" if direction != "EGRESS" else "destinationRanges"
    match_key = "srcIpRanges" if direction != "EGRESS" else "destIpRanges"
    layer4 = [
        {"protocol": leaf(c, "ipProtocol"), "ports": items(c, "ports")} for c in items(rule, "match", "layer4Configs")
    ]
    action = leaf(rule, "action")
    view: dict[str, Any] = {
        "direction": direction,
        "disabled": leaf(rule, "disabled"),
        ranges_key: items(rule, "match", match_key),
        "targetServiceAccounts": items(rule, "targetServiceAccounts"),
        "targetTags": items(rule, "targetSecureTags"),
        "sourceTags": items(rule, "match", "srcSecureTags"),
    }
    if action in LETS_THROUGH or action is UNKNOWN:
        view["allows"] = layer4 or [{"protocol": "all", "ports": []}]
        view["action"] = action
        view["beyondRanges"] = [
            (f"match.{key}", value)
            for key in BEYOND_RANGES.get(str(direction), ())
            for value in items(rule, "match", key)
        ]
    if leaf(rule, "enableLogging") in (True, UNKNOWN):
        view["logConfig"] = {"metadata": "INCLUDE_ALL_METADATA"}
    return view


def _firewall_rules(args: ResourceValidationArgs) -> list[tuple[str, Any]]:
    """(where, rule) for each firewall rule a resource holds, in the VPC firewall rule's shape."""
    if args.resource_type in tokens.FIREWALL_POLICY_RULES:
        return [("", _policy_rule_view(args.props))]
    if args.resource_type in tokens.FIREWALL_POLICIES_WITH_RULES:
        return [
            (f"rules[{index}]: ", _policy_rule_view(rule))
            for index, rule in enumerate(items(args.props, "rules"))
            if rule is not UNKNOWN
        ]
    if args.resource_type != tokens.FIREWALL:
        return []  # a policy container or association: its rules are resources of their own
    return [("", args.props)]


def _each_rule(
    check: Callable[[Any, Report, Mapping[str, Any]], None],
) -> Callable[[ResourceValidationArgs, Report], None]:
    """Run a VPC-rule check on every rule of a firewall or firewall policy, prefixing where it is."""

    def run(args: ResourceValidationArgs, report: Report) -> None:
        config = args.get_config()
        for where, rule in _firewall_rules(args):

            def located(message: str, urn: str | None = None, /, prefix: str = where) -> None:
                report(prefix + message)

            check(rule, located, config)

    return run


def _beyond_ranges(props: Any, report: Report, wanted: str) -> bool:
    """Report each match field that names peers by something other than an address; whether any did."""
    found = [entry for entry in items(props, "beyondRanges") if entry is not UNKNOWN]
    action = leaf(props, "action")
    judged = "" if action in ("allow", None) else f" (action {action!r} lets the packet through)"
    for field, value in found:
        report(
            f"{field} contains {value}{judged}: the pack can judge peers only by address, and this one stands "
            f"for addresses nobody declared. Match by {wanted} with declared ranges instead."
        )
    return bool(found)


def _direction(props: Any) -> Any:
    value = leaf(props, "direction")
    return "INGRESS" if value is None else value


def _is_allow_rule(props: Any) -> bool:
    return bool(items(props, "allows")) and leaf(props, "disabled") is not True


def _targets(props: Any) -> list[Any]:
    return items(props, "targetTags") + items(props, "targetServiceAccounts")


def _allowed_ports(props: Any, report: Report) -> list[tuple[int, frozenset[int]]] | None:
    """(index, TCP ports) of each ``allows`` entry, after reporting entries that are not explicit TCP ports."""
    found: list[tuple[int, frozenset[int]]] = []
    for index, entry in enumerate(items(props, "allows")):
        protocol = leaf(entry, "protocol")
        listed = items(entry, "ports")
        if entry is UNKNOWN or protocol is UNKNOWN or UNKNOWN in listed:
            return None
        if str(protocol).lower() not in ("tcp", "6"):
            report(
                f"allows[{index}].protocol is {protocol!r}: allow only TCP to explicit ports. Set protocol to 'tcp'."
            )
            continue
        parsed = ports(listed)
        if not listed or parsed is None:
            report(f"allows[{index}].ports is {listed or 'empty (every port)'}: list the explicit TCP ports.")
            continue
        found.append((index, parsed))
    return found


def _require_target(props: Any, report: Report) -> None:
    if not _targets(props):
        report(
            "the rule has no targetTags or targetServiceAccounts, so it applies to every workload in the "
            "network. Scope it to the viewer (its network tag or service account)."
        )


# --- NET-03 ---------------------------------------------------------------------------------------


def _ingress_allowlist(props: Any, report: Report, config: Mapping[str, Any]) -> None:
    if _direction(props) != "INGRESS" or not _is_allow_rule(props):
        return
    sources = ", ".join([*LOAD_BALANCER_RANGES, *([IAP_RANGE] if iap_allowed(config) else [])])
    source_ranges = items(props, "sourceRanges")
    beyond = _beyond_ranges(props, report, "match.srcIpRanges")
    if items(props, "sourceTags") or items(props, "sourceServiceAccounts"):
        report(
            "sourceTags / sourceServiceAccounts admit traffic from other workloads; ingress is allowed only "
            f"from {sources}. Remove them."
        )
    elif not source_ranges and not beyond:
        report(f"sourceRanges is empty, which GCP reads as 0.0.0.0/0. Set it to ranges within {sources}.")
    for cidr in source_ranges:
        if cidr is UNKNOWN:
            continue
        if cidr in WHOLE_INTERNET:
            report(f"sourceRanges contains {cidr}: ingress from anywhere. Allow only {sources}.")
        elif not inside(str(cidr), sources.split(", ")):
            report(f"sourceRanges contains {cidr}, outside the allowed ingress ranges {sources}. Remove it.")
    _require_target(props, report)
    _undeclared_ports(props, report, config)


def _undeclared_ports(props: Any, report: Report, config: Mapping[str, Any]) -> None:
    """Each TCP port an ingress allow rule opens must be one the site declares the viewer serves on."""
    declared, where = viewer_ports(config)
    opened = _allowed_ports(props, report)
    for index, wanted in opened or []:
        extra = sorted(wanted - declared)
        if extra:
            shown = ", ".join(str(p) for p in extra[:5]) + (", ..." if len(extra) > 5 else "")
            allowed_ports = ", ".join(str(p) for p in sorted(declared)) or "none"
            report(
                f"allows[{index}].ports opens TCP {shown}, which the site does not declare for the viewer "
                f"({where}: {allowed_ports}). Remove the port, or declare it in network.viewerPorts."
            )


# --- NET-04 ---------------------------------------------------------------------------------------


def _egress_allowlist(props: Any, report: Report, config: Mapping[str, Any]) -> None:
    if _direction(props) != "EGRESS" or not _is_allow_rule(props):
        return
    declared, where = egress_allowlist(config)
    destinations = (GOOGLE_APIS, *declared)
    _require_target(props, report)
    allowed_ports = _allowed_ports(props, report)
    ranges = items(props, "destinationRanges")
    if not _beyond_ranges(props, report, "match.destIpRanges") and not ranges:
        report("destinationRanges is empty, which GCP reads as every destination. List the declared ranges.")
    if allowed_ports is None or UNKNOWN in ranges:
        return
    for cidr in ranges:
        if cidr in WHOLE_INTERNET:
            report(f"destinationRanges contains {cidr}: egress to anywhere. Allow only declared destinations.")
            continue
        for _, wanted in allowed_ports:
            if not allowed(str(cidr), wanted, destinations):
                shown = ", ".join(str(p) for p in sorted(wanted)[:5]) + (", ..." if len(wanted) > 5 else "")
                report(
                    f"destinationRanges {cidr} on TCP {shown} is not a declared destination (declared in "
                    f"{where}; Google APIs: {RESTRICTED_GOOGLE_APIS} on 443). Declare the worklist endpoint "
                    "in network.worklist or remove the range."
                )


# --- LOG-04 ---------------------------------------------------------------------------------------


def _firewall_logging(props: Any, report: Report, config: Mapping[str, Any]) -> None:
    if leaf(props, "logConfig", "metadata") is None:
        report(
            "logConfig.metadata (enableLogging for firewall-policy rules) is not set, so the rule's hits are not "
            "logged. Set logConfig to {metadata: 'INCLUDE_ALL_METADATA'} (deny rules too)."
        )


# --- stack policies: the default deny per network ----------------------------------------------------


def _firewalls_of(args: StackValidationArgs, network: PolicyResource) -> list[PolicyResource]:
    return [
        r
        for r in args.resources
        if r.resource_type == tokens.FIREWALL and refers_to_network(r, leaf(r.props, "network"), "network", network)
    ]


IPV6_STACKS = frozenset({"IPV4_IPV6", "IPV6_ONLY"})
WHOLE_FAMILY = {4: frozenset({"0.0.0.0/0", "0.0.0.0"}), 6: frozenset({"::/0", "::0", "::"})}  # noqa: S104 - ranges


NARROWING = {"INGRESS": ("destinationRanges",), "EGRESS": ("sourceRanges", "sourceTags", "sourceServiceAccounts")}
"""What narrows a rule to some of its direction's traffic besides its targets: the destination of an ingress
rule, the source of an egress rule (an egress rule's source is one of the network's own workloads). A
deny-all narrowed by one of them denies only that part and lets the rest meet GCP's implied rules (egress:
allow all). An ingress rule's ``sourceTags``/``sourceServiceAccounts`` are OR-ed with its ``sourceRanges``:
they widen it, never narrow it."""


def _whole(ranges: list[Any], family: int) -> bool:
    return UNKNOWN in ranges or bool(set(ranges) & WHOLE_FAMILY[family])


def _narrowed_by(props: Any, direction: str, family: int) -> list[str]:
    """The properties that narrow a deny rule of ``direction`` to part of ``family``'s traffic."""
    found = []
    for key in NARROWING[direction]:
        values = items(props, key)
        if values and not (key.endswith("Ranges") and _whole(values, family)):
            found.append(key)
    return found


def _is_deny_all(rule: PolicyResource, direction: str, family: int) -> bool:
    """A logged-or-not VPC rule that denies every protocol to or from every address of ``family`` for every
    workload (an egress rule without destinationRanges covers IPv4 only), narrowed by nothing."""
    props = rule.props
    ranges_key = "sourceRanges" if direction == "INGRESS" else "destinationRanges"
    ranges = items(props, ranges_key)
    covers_all = _whole(ranges, family) or (direction == "EGRESS" and family == 4 and not ranges)
    protocols = {leaf(d, "protocol") for d in items(props, "denies")}
    return (
        _direction(props) == direction
        and leaf(props, "disabled") is not True
        and bool(protocols & {"all", UNKNOWN})
        and covers_all
        and not _targets(props)
        and not _narrowed_by(props, direction, family)
    )


def _ipv6_subnets(args: StackValidationArgs, network: PolicyResource) -> list[str]:
    """The subnets of ``network`` that give workloads IPv6 addresses (dual-stack, IPv6-only, or with an IPv6
    access type or external IPv6 range)."""
    return [
        f"{subnet.name} (stackType {leaf(subnet.props, 'stackType')})"
        for subnet in args.resources
        if subnet.resource_type == tokens.SUBNETWORK
        and (
            leaf(subnet.props, "stackType") in IPV6_STACKS
            or any(leaf(subnet.props, k) is not None for k in ("ipv6AccessType", "externalIpv6Prefix"))
        )
        and refers_to_network(subnet, leaf(subnet.props, "network"), "network", network)
    ]


def _unseen_firewall_policies(args: StackValidationArgs) -> list[tuple[PolicyResource, Any]]:
    """Associations that attach a firewall policy the stack does not hold: its rules cannot be judged."""
    policies = [r for r in args.resources if r.resource_type in tokens.FIREWALL_POLICIES]
    return [
        (association, value)
        for association in args.resources
        if association.resource_type in tokens.FIREWALL_POLICY_ASSOCIATIONS
        and (value := leaf(association.props, "firewallPolicy")) is not None
        and not any(references(association, "firewallPolicy", value, p) for p in policies)
        and not (value is UNKNOWN and property_dependencies(association, "firewallPolicy"))
    ]


def _default_deny(direction: str, control: str) -> Any:
    ranges_key = "sourceRanges" if direction == "INGRESS" else "destinationRanges"
    narrowing = " or ".join(NARROWING[direction])

    def check(args: StackValidationArgs, report: Report) -> None:
        for network in stack_networks(args):
            rules = _firewalls_of(args, network)
            if not any(_is_deny_all(rule, direction, 4) for rule in rules):
                report(
                    f"network {network.name!r} has no deny-all {direction.lower()} rule: a Firewall with "
                    f"direction {direction}, denies [{{protocol: 'all'}}], {ranges_key} ['0.0.0.0/0'], "
                    f"no targets, no {narrowing}, priority 65535 and logging ({control}).",
                    network.urn,
                )
            ipv6 = _ipv6_subnets(args, network)
            if ipv6 and not any(_is_deny_all(rule, direction, 6) for rule in rules):
                report(
                    f"network {network.name!r} has IPv6 subnets ({', '.join(ipv6)}) but no IPv6 deny-all "
                    f"{direction.lower()} rule, so IPv6 traffic meets only GCP's implied rules. Add a Firewall "
                    f"with direction {direction}, denies [{{protocol: 'all'}}], {ranges_key} ['::/0'], no "
                    f"targets, no {narrowing}, priority 65535 and logging ({control}).",
                    network.urn,
                )
        for association, value in _unseen_firewall_policies(args) if direction == "EGRESS" else []:
            report(
                f"{association.name!r} attaches firewall policy {value} (firewallPolicy), which is not in this "
                "stack: its rules could let traffic in or out and the pack cannot judge them. Manage the policy "
                "and its rules in this stack, or remove the association.",
                association.urn,
            )

    return check


POLICIES = [
    resource_policy(
        name="gcp-compute-firewall-ingress-allowlist",
        control="NET-03",
        description="Allow-ingress rules admit only the load-balancer, health-check and IAP ranges to the viewer.",
        severity=Severity.CRITICAL,
        remediation=(
            f"Limit sourceRanges to {' and '.join(LOAD_BALANCER_RANGES)} (and {IAP_RANGE} when administrators "
            "use IAP), target the viewer's tag or service account and list explicit TCP ports."
        ),
        types=tokens.ANY_FIREWALL,
        check=_each_rule(_ingress_allowlist),
        config={
            "allowIap": {"type": "boolean", "description": "Admit the IAP range (default: the site config)."},
            "allowedPorts": {
                "type": "array",
                "items": {"type": ["integer", "string"]},
                "description": "TCP ports ingress may open (default: the site's network.viewerPorts, else 443).",
            },
        },
    ),
    stack_policy(
        name="gcp-compute-network-denies-ingress",
        types=sorted({tokens.NETWORK, tokens.SUBNETWORK} | tokens.ANY_FIREWALL),
        control="NET-03",
        description="Every network has a logged deny-all ingress rule.",
        severity=Severity.HIGH,
        remediation="Add a Firewall denying protocol 'all' from 0.0.0.0/0 at priority 65535 (AllowlistFirewall does).",
        check=_default_deny("INGRESS", "NET-03"),
    ),
    resource_policy(
        name="gcp-compute-firewall-egress-allowlist",
        control="NET-04",
        description="Allow-egress rules reach only the declared worklist endpoints and restricted Google APIs.",
        severity=Severity.CRITICAL,
        remediation=(
            "Declare each worklist endpoint (cidrs, ports) under network.worklist in the stack file, or in the "
            "policy's allowedEgress config; target the viewer and list explicit TCP ports."
        ),
        # containers and associations hold no rule of their own: the stack policy below judges which policy
        # an association attaches
        types=tokens.ANY_FIREWALL | tokens.FIREWALL_POLICY_CONTAINERS | tokens.FIREWALL_POLICY_ASSOCIATIONS,
        check=_each_rule(_egress_allowlist),
        config={
            "allowedEgress": {
                "type": "array",
                "description": "Allowed destinations (default: the site config's network.worklist).",
                "items": {
                    "type": "object",
                    "properties": {
                        "cidrs": {"type": "array", "items": {"type": "string"}},
                        "ports": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 65535}},
                    },
                    "required": ["cidrs", "ports"],
                },
            }
        },
    ),
    stack_policy(
        name="gcp-compute-network-denies-egress",
        types=sorted(
            {tokens.NETWORK, tokens.SUBNETWORK}
            | tokens.ANY_FIREWALL
            | tokens.FIREWALL_POLICY_CONTAINERS
            | tokens.FIREWALL_POLICY_ASSOCIATIONS
        ),
        control="NET-04",
        description="Every network has a logged deny-all egress rule.",
        severity=Severity.CRITICAL,
        remediation="Add a Firewall denying protocol 'all' to 0.0.0.0/0 at priority 65535 (AllowlistFirewall does).",
        check=_default_deny("EGRESS", "NET-04"),
    ),
    resource_policy(
        name="gcp-compute-firewall-logging",
        control="LOG-04",
        description="Every firewall rule logs its hits, deny rules included.",
        severity=Severity.MEDIUM,
        remediation="Set logConfig {metadata: 'INCLUDE_ALL_METADATA'} on every Firewall.",
        types=tokens.ANY_FIREWALL,
        check=_each_rule(_firewall_logging),
    ),
]
