"""Network isolation: custom VPC, allowlist firewall, private Google APIs, flow, firewall and DNS logs.

Controls NET-01 to NET-05, NET-07, LOG-03, LOG-04 and LOG-06. The allowlists that NET-03, NET-04
and NET-07 judge against come from :mod:`imaging_policies._site`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from imaging_policies import tokens
from imaging_policies._props import (
    UNKNOWN,
    as_str,
    items,
    leaf,
    property_dependencies,
    references,
    refers_by_dependency,
)
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies._site import (
    GOOGLE_APIS,
    IAP_RANGE,
    LOAD_BALANCER_RANGES,
    RESTRICTED_GOOGLE_APIS,
    RESTRICTED_GOOGLE_APIS_ADDRESSES,
    WHOLE_INTERNET,
    allowed,
    egress_allowlist,
    iap_allowed,
    inside,
    ports,
    route_allowlist,
    source_allowlist,
)
from imaging_policies.storage import usage_log_targets

PROXY_ONLY_PURPOSES = frozenset({"REGIONAL_MANAGED_PROXY", "GLOBAL_MANAGED_PROXY", "INTERNAL_HTTPS_LOAD_BALANCER"})
"""Subnets that carry no workload traffic and cannot have flow logs (LOG-03 exempts them)."""
FLOW_LOGS = {"aggregationInterval": "INTERVAL_5_SEC", "flowSampling": 1.0, "metadata": "INCLUDE_ALL_METADATA"}
INTERNET_GATEWAY = "default-internet-gateway"
GOOGLEAPIS = "googleapis.com."
RESTRICTED_HOST = "restricted.googleapis.com."


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


def _allowed_ports(props: Any, report: Report) -> list[frozenset[int]] | None:
    """The TCP ports of each ``allows`` entry, after reporting entries that are not explicit TCP ports."""
    found: list[frozenset[int]] = []
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
        found.append(parsed)
    return found


def _require_target(props: Any, report: Report) -> None:
    if not _targets(props):
        report(
            "the rule has no targetTags or targetServiceAccounts, so it applies to every workload in the "
            "network. Scope it to the viewer (its network tag or service account)."
        )


# --- NET-01, NET-02 -------------------------------------------------------------------------------


def _no_default_network(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type == tokens.PROJECT:
        if leaf(args.props, "autoCreateNetwork") not in (False, UNKNOWN):
            report("autoCreateNetwork is not false, so the project gets the default network. Set it to false.")
        return
    if leaf(args.props, "name") == "default":
        report("a network named 'default' is the permissive default network; name the site VPC after the site.")


NEXT_HOPS = {"nextHopIp": "ip", "nextHopVpnTunnel": "vpnTunnel", "nextHopIlb": "ip", "nextHopInstance": None}
"""A route's next-hop fields and the worklist next-hop kind each can carry (``nextHopIlb`` may be an address;
an instance is never a declared next hop). ``nextHopGateway`` is judged on its own."""
ROUTE_IMPORTS = {
    "importCustomRoutes": "imports the peer's static and dynamic routes",
    "exportCustomRoutes": "exports the site's routes (the worklist path) to the peer",
    "importSubnetRoutesWithPublicIp": "imports the peer's subnets that use public addresses",
}


def _same_hop(declared: str, value: str, kind: str) -> bool:
    """Whether a route's next hop is the declared one: the same address, or the same VPN tunnel (by path,
    self link or, when either side is a bare name, by name).

    The provider reads ``nextHopVpnTunnel`` back as the API's self link and compares it to the program's
    value with ``CompareSelfLinkOrResourceName`` (``nextHopIlb``: an address, or a self link the same way);
    hashicorp/terraform-provider-google google/services/compute/resource_compute_route.go."""
    if kind == "ip":
        return declared.strip() == value.strip()
    ours, theirs = (v[v.find("projects/") :] if "projects/" in v else v for v in (declared, value))
    if "/" in ours and "/" in theirs:
        return ours == theirs
    return ours.rsplit("/", 1)[-1] == theirs.rsplit("/", 1)[-1]


def _route(props: Any, report: Report, config: Mapping[str, Any]) -> None:
    destination = leaf(props, "destRange")
    if destination is UNKNOWN:
        return
    if leaf(props, "nextHopGateway") is not None:
        if not inside(str(destination), [RESTRICTED_GOOGLE_APIS]):
            report(
                f"destRange {destination} through nextHopGateway is a route to the internet. Remove the route; the "
                f"only gateway route is to the restricted Google APIs range {RESTRICTED_GOOGLE_APIS}."
            )
        return
    declared, where = route_allowlist(config)
    for field, kind in NEXT_HOPS.items():
        hop = leaf(props, field)
        if hop is None or hop is UNKNOWN:
            continue
        mine = [d for d in declared if d.kind == kind and _same_hop(d.hop, str(hop), d.kind)]
        worklist = [c for d in declared for c in d.cidrs]
        overlapped = [c for c in worklist if inside(str(destination), [c])]  # more specific: it wins
        if not mine:
            diverts = f"; it is more specific than the worklist range {overlapped[0]}, so it wins" if overlapped else ""
            report(
                f"{field} {hop} is not a declared worklist next hop ({where}){diverts}. The only routes are the "
                f"worklist's (network.worklist.<name>.nextHop) and {RESTRICTED_GOOGLE_APIS}; remove the route."
            )
        elif not inside(str(destination), [c for d in mine for c in d.cidrs]):
            report(
                f"destRange {destination} through {field} {hop} is wider than the worklist ranges declared for "
                f"that next hop ({', '.join(c for d in mine for c in d.cidrs)}): other traffic would leave "
                "through it. Narrow destRange to the declared ranges."
            )


BGP_HOPS = frozenset({"vpnTunnel", "interconnectAttachment"})
"""Declared next hops whose Cloud Router may learn the worklist ranges over BGP."""


def _learned_ranges(props: Any, report: Report, config: Mapping[str, Any]) -> None:
    """A BGP peer's custom learned ranges are routes too: only the worklist ranges of a BGP next hop."""
    declared, where = route_allowlist(config)
    worklist = [c for d in declared if d.kind in BGP_HOPS for c in d.cidrs]
    for index, entry in enumerate(items(props, "customLearnedIpRanges")):
        cidr = leaf(entry, "range")
        if cidr is UNKNOWN or cidr is None or inside(str(cidr), worklist):
            continue
        report(
            f"customLearnedIpRanges[{index}].range {cidr} is not a worklist range reached over a VPN tunnel or "
            f"interconnect ({where}): the peer becomes a next hop for it. Remove it."
        )


def _custom_vpc(args: ResourceValidationArgs, report: Report) -> None:
    props = args.props
    if args.resource_type == tokens.ROUTE:
        _route(props, report, args.get_config())
        return
    if args.resource_type == tokens.ROUTER_PEER:
        _learned_ranges(props, report, args.get_config())
        return
    if args.resource_type in (tokens.NETWORK_PEERING, tokens.NETWORK_PEERING_ROUTES_CONFIG):
        for key, meaning in ROUTE_IMPORTS.items():
            if leaf(props, key) is True:
                report(
                    f"{key} is true: the peering {meaning}, routes beyond the declared worklist and Google API "
                    "routes. Set it to false."
                )
        return
    if leaf(props, "autoCreateSubnetworks") not in (False, UNKNOWN):
        report("autoCreateSubnetworks is not false (auto mode creates a subnet in every region). Set it to false.")
    if leaf(props, "deleteDefaultRoutesOnCreate") not in (True, UNKNOWN):
        report(
            "deleteDefaultRoutesOnCreate is not true, so the network keeps a 0.0.0.0/0 route to the internet. "
            "Set it to true."
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
    _allowed_ports(props, report)


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
        for wanted in allowed_ports:
            if not allowed(str(cidr), wanted, destinations):
                shown = ", ".join(str(p) for p in sorted(wanted)[:5]) + (", ..." if len(wanted) > 5 else "")
                report(
                    f"destinationRanges {cidr} on TCP {shown} is not a declared destination (declared in "
                    f"{where}; Google APIs: {RESTRICTED_GOOGLE_APIS} on 443). Declare the worklist endpoint "
                    "in network.worklist or remove the range."
                )


# --- LOG-03, LOG-04, NET-05 (subnets) ---------------------------------------------------------------


def _is_proxy_only(props: Any) -> bool:
    return leaf(props, "purpose") in PROXY_ONLY_PURPOSES


def _flow_logs(args: ResourceValidationArgs, report: Report) -> None:
    props = args.props
    if _is_proxy_only(props):
        return
    config = leaf(props, "logConfig")
    if config is UNKNOWN:
        return
    if not config:
        report(
            "logConfig is not set, so the subnet records no flow logs. Set logConfig to "
            "aggregationInterval 'INTERVAL_5_SEC', flowSampling 1.0, metadata 'INCLUDE_ALL_METADATA'."
        )
        return
    for key, wanted in FLOW_LOGS.items():
        value = leaf(config, key)
        if value is not UNKNOWN and value != wanted:
            report(f"logConfig.{key} is {value!r}; set it to {wanted!r} so every flow is recorded in full.")
    expression = leaf(config, "filterExpr")
    if expression not in (None, "", "true", UNKNOWN):
        report(f"logConfig.filterExpr {expression!r} drops flows from the log; remove the filter.")


def _firewall_logging(props: Any, report: Report, config: Mapping[str, Any]) -> None:
    if leaf(props, "logConfig", "metadata") is None:
        report(
            "logConfig.metadata (enableLogging for firewall-policy rules) is not set, so the rule's hits are not "
            "logged. Set logConfig to {metadata: 'INCLUDE_ALL_METADATA'} (deny rules too)."
        )


def _private_google_access(args: ResourceValidationArgs, report: Report) -> None:
    props = args.props
    if not _is_proxy_only(props) and leaf(props, "privateIpGoogleAccess") not in (True, UNKNOWN):
        report(
            "privateIpGoogleAccess is not true, so workloads without public addresses cannot reach Google "
            "APIs privately. Set it to true."
        )


# --- stack policies: per network ----------------------------------------------------------------------


def _network_names(network: PolicyResource) -> tuple[str | None, str | None]:
    return as_str(leaf(network.props, "name")), as_str(leaf(network.props, "project"))


def _refers_to(resource: PolicyResource, value: Any, dependency: str, network: PolicyResource) -> bool:
    """Whether a network reference on ``resource`` names ``network``: by value, or by dependency."""
    if refers_by_dependency(resource, dependency, network):
        return True
    name, project = _network_names(network)
    if not isinstance(value, str) or name is None:
        return value is UNKNOWN
    if value == name:
        return True
    return value.endswith(f"/networks/{name}") and (project is None or f"projects/{project}/" in value)


def _networks(args: StackValidationArgs) -> list[PolicyResource]:
    return [r for r in args.resources if r.resource_type == tokens.NETWORK]


def _firewalls_of(args: StackValidationArgs, network: PolicyResource) -> list[PolicyResource]:
    return [
        r
        for r in args.resources
        if r.resource_type == tokens.FIREWALL and _refers_to(r, leaf(r.props, "network"), "network", network)
    ]


IPV6_STACKS = frozenset({"IPV4_IPV6", "IPV6_ONLY"})
WHOLE_FAMILY = {4: frozenset({"0.0.0.0/0", "0.0.0.0"}), 6: frozenset({"::/0", "::0", "::"})}  # noqa: S104 - ranges


def _is_deny_all(rule: PolicyResource, direction: str, family: int) -> bool:
    """A logged-or-not VPC rule that denies every protocol to or from every address of ``family`` for every
    workload (an egress rule without destinationRanges covers IPv4 only)."""
    props = rule.props
    ranges_key = "sourceRanges" if direction == "INGRESS" else "destinationRanges"
    ranges = items(props, ranges_key)
    covers_all = (
        UNKNOWN in ranges
        or bool(set(ranges) & WHOLE_FAMILY[family])
        or (direction == "EGRESS" and family == 4 and not ranges)
    )
    protocols = {leaf(d, "protocol") for d in items(props, "denies")}
    return (
        _direction(props) == direction
        and leaf(props, "disabled") is not True
        and bool(protocols & {"all", UNKNOWN})
        and covers_all
        and not _targets(props)
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
        and _refers_to(subnet, leaf(subnet.props, "network"), "network", network)
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

    def check(args: StackValidationArgs, report: Report) -> None:
        for network in _networks(args):
            rules = _firewalls_of(args, network)
            if not any(_is_deny_all(rule, direction, 4) for rule in rules):
                report(
                    f"network {network.name!r} has no deny-all {direction.lower()} rule: a Firewall with "
                    f"direction {direction}, denies [{{protocol: 'all'}}], {ranges_key} ['0.0.0.0/0'], "
                    f"no targets, priority 65535 and logging ({control}).",
                    network.urn,
                )
            ipv6 = _ipv6_subnets(args, network)
            if ipv6 and not any(_is_deny_all(rule, direction, 6) for rule in rules):
                report(
                    f"network {network.name!r} has IPv6 subnets ({', '.join(ipv6)}) but no IPv6 deny-all "
                    f"{direction.lower()} rule, so IPv6 traffic meets only GCP's implied rules. Add a Firewall "
                    f"with direction {direction}, denies [{{protocol: 'all'}}], {ranges_key} ['::/0'], no "
                    f"targets, priority 65535 and logging ({control}).",
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


def _zone_serves(zone: PolicyResource, network: PolicyResource) -> bool:
    props = zone.props
    if leaf(props, "visibility") != "private" or leaf(props, "dnsName") != GOOGLEAPIS:
        return False
    urls = [leaf(n, "networkUrl") for n in items(props, "privateVisibilityConfig", "networks")]
    return any(_refers_to(zone, url, "privateVisibilityConfig", network) for url in urls)


def _records_of(args: StackValidationArgs, zone: PolicyResource) -> list[PolicyResource]:
    zone_name = leaf(zone.props, "name")
    return [
        r
        for r in args.resources
        if r.resource_type == tokens.DNS_RECORD_SET
        and (leaf(r.props, "managedZone") in (zone_name, UNKNOWN) or refers_by_dependency(r, "managedZone", zone))
    ]


def _resolves_restricted(records: Iterable[PolicyResource]) -> tuple[bool, bool]:
    """(an A record for restricted.googleapis.com. on the VIP, a CNAME of *.googleapis.com. to it)."""
    has_a = has_cname = False
    for record in records:
        name, kind = leaf(record.props, "name"), leaf(record.props, "type")
        data = set(items(record.props, "rrdatas"))
        if name == RESTRICTED_HOST and kind == "A" and (UNKNOWN in data or data <= RESTRICTED_GOOGLE_APIS_ADDRESSES):
            has_a = bool(data)
        if name == f"*.{GOOGLEAPIS}" and kind == "CNAME" and data & {RESTRICTED_HOST, UNKNOWN}:
            has_cname = True
    return has_a, has_cname


def _private_google_path(args: StackValidationArgs, report: Report) -> None:
    for network in _networks(args):
        routes = [
            r
            for r in args.resources
            if r.resource_type == tokens.ROUTE and _refers_to(r, leaf(r.props, "network"), "network", network)
        ]
        if not any(
            leaf(r.props, "destRange") == RESTRICTED_GOOGLE_APIS and leaf(r.props, "nextHopGateway") is not None
            for r in routes
        ):
            report(
                f"network {network.name!r} has no route to {RESTRICTED_GOOGLE_APIS} (restricted.googleapis.com) "
                f"through nextHopGateway '{INTERNET_GATEWAY}'. Add it: its default routes are deleted.",
                network.urn,
            )
        zones = [z for z in args.resources if z.resource_type == tokens.DNS_MANAGED_ZONE and _zone_serves(z, network)]
        resolved = [_resolves_restricted(_records_of(args, zone)) for zone in zones]
        if not any(a and cname for a, cname in resolved):
            report(
                f"network {network.name!r} has no private DNS zone '{GOOGLEAPIS}' that resolves "
                f"{RESTRICTED_HOST} to {RESTRICTED_GOOGLE_APIS} (A record) and *.{GOOGLEAPIS} to it (CNAME), "
                "so Google API names resolve to public addresses. Add the zone and both records.",
                network.urn,
            )


PSC_GOOGLE_APIS = {"all-apis": False, "vpc-sc": True}
"""Private Service Connect bundles a forwarding rule can target: ``vpc-sc`` is the restricted VIP's set of
APIs (harmless), ``all-apis`` every Google API, VPC Service Controls or not."""


def _dns_forwarding(resource: PolicyResource) -> list[str]:
    """What in a DNS policy, managed zone or response policy sends the site's queries to other name servers
    or answers Google API names with other addresses."""
    props = resource.props
    found = []
    if resource.resource_type == tokens.DNS_POLICY:
        servers = items(props, "alternativeNameServerConfig", "targetNameServers")
        if servers:
            found.append(
                f"alternativeNameServerConfig.targetNameServers ({len(servers)}) receives every query of the "
                "attached networks, bypassing their private zones"
            )
    elif resource.resource_type == tokens.DNS_MANAGED_ZONE:
        servers = items(props, "forwardingConfig", "targetNameServers")
        if servers:
            found.append(f"forwardingConfig.targetNameServers forwards {leaf(props, 'dnsName')} to other servers")
        target = leaf(props, "peeringConfig", "targetNetwork", "networkUrl")
        if target is not None:
            found.append(f"peeringConfig resolves {leaf(props, 'dnsName')} in another network ({target})")
    elif resource.resource_type == tokens.DNS_RESPONSE_POLICY_RULE:
        found.extend(_google_api_override(props))
    return found


def _google_api_override(props: Any) -> list[str]:
    """A response-policy rule that answers a Google API name with anything but the restricted VIP."""
    name = leaf(props, "dnsName")
    if not isinstance(name, str) or not name.rstrip(".").endswith(GOOGLEAPIS.rstrip(".")):
        return []
    found = []
    for record in items(props, "localData", "localDatas"):
        kind, data = leaf(record, "type"), set(items(record, "rrdatas"))
        restricted = (kind == "A" and data <= RESTRICTED_GOOGLE_APIS_ADDRESSES) or (
            kind == "CNAME" and data <= {RESTRICTED_HOST}
        )
        if record is not UNKNOWN and UNKNOWN not in data and kind is not UNKNOWN and not restricted:
            found.append(
                f"response policy rule answers {name} with {kind} {', '.join(sorted(map(str, data)))}, not the "
                f"restricted VIP {RESTRICTED_GOOGLE_APIS}"
            )
    return found


def _restricted_google_apis(args: StackValidationArgs, report: Report) -> None:
    _private_google_path(args, report)
    for resource in args.resources:
        for finding in _dns_forwarding(resource):
            report(
                f"DNS {resource.name!r}: {finding}. Name resolution must stay in Cloud DNS (googleapis.com to the "
                "restricted VIP) and queries must not leave the site; remove it.",
                resource.urn,
            )
        if resource.resource_type in tokens.FORWARDING_RULES:
            target = leaf(resource.props, "target")
            if isinstance(target, str) and PSC_GOOGLE_APIS.get(target) is False:
                report(
                    f"forwarding rule {resource.name!r} targets '{target}': a Private Service Connect endpoint for "
                    "every Google API, outside the restricted VIP. Target 'vpc-sc' or remove it.",
                    resource.urn,
                )


def _dns_logging(args: StackValidationArgs, report: Report) -> None:
    policies = [r for r in args.resources if r.resource_type == tokens.DNS_POLICY]
    for policy in policies:
        if leaf(policy.props, "enableLogging") not in (True, UNKNOWN):
            report(
                f"DNS policy {policy.name!r} has enableLogging off, so DNS queries are not logged. Set it to true.",
                policy.urn,
            )
    for network in _networks(args):
        logged = [
            p
            for p in policies
            if leaf(p.props, "enableLogging") in (True, UNKNOWN)
            and any(_refers_to(p, leaf(n, "networkUrl"), "networks", network) for n in items(p.props, "networks"))
        ]
        if not logged:
            report(
                f"network {network.name!r} is not attached to a DNS policy with enableLogging true, so its DNS "
                "queries are not logged. Add a gcp.dns.Policy with enableLogging and the network in networks.",
                network.urn,
            )


# --- NET-07 -------------------------------------------------------------------------------------------


def _subnet_ranges(args: StackValidationArgs, network: PolicyResource) -> list[Any]:
    """The primary and secondary ranges of the stack's subnets on ``network`` (``UNKNOWN`` where unknown)."""
    found: list[Any] = []
    for subnet in args.resources:
        if subnet.resource_type == tokens.SUBNETWORK and _refers_to(
            subnet, leaf(subnet.props, "network"), "network", network
        ):
            found.append(leaf(subnet.props, "ipCidrRange"))
            found.extend(leaf(r, "ipCidrRange") for r in items(subnet.props, "secondaryIpRanges"))
    return found


def _vpc_source_problems(args: StackValidationArgs, bucket: PolicyResource, source: Any) -> list[str]:
    """Why one ``vpcNetworkSources`` entry admits more than the site VPC's subnets."""
    if source is UNKNOWN:
        return []
    value = leaf(source, "network")
    networks = [n for n in _networks(args) if references(bucket, "ipFilter", value, n)]
    if value is UNKNOWN and not networks:
        return []  # computed from something else in the stack: judged when known
    if not networks:
        return [f"admits network {value}, which is not a network of this stack (the pack cannot judge it)"]
    ranges = [r for n in networks for r in _subnet_ranges(args, n)]
    if UNKNOWN in ranges:
        return []
    return [
        f"admits {cidr}, outside the subnets of {networks[0].name!r} ({', '.join(str(r) for r in ranges) or 'none'})"
        for cidr in items(source, "allowedIpCidrRanges")
        if cidr is not UNKNOWN and not inside(str(cidr), [str(r) for r in ranges if r is not None])
    ]


def _bucket_ip_filter(args: StackValidationArgs, report: Report) -> None:
    buckets = [r for r in args.resources if r.resource_type == tokens.BUCKET]
    log_targets = usage_log_targets(buckets, args.resources)
    declared, where = source_allowlist(args.get_config())
    for bucket in buckets:
        if as_str(leaf(bucket.props, "name")) in log_targets:
            continue  # an access-log bucket: written only by Cloud Storage itself, read by no workload
        ip_filter = leaf(bucket.props, "ipFilter")
        if ip_filter is UNKNOWN:
            continue
        mode = leaf(ip_filter, "mode")
        if mode not in ("Enabled", UNKNOWN):
            state = "ipFilter is not set" if ip_filter is None else f"ipFilter.mode is {mode!r}"
            report(
                f"bucket {bucket.name!r}: {state}, so any network can reach it. Enable the IP "
                "filter with the PACS egress ranges, the hospital networks and the site VPC as sources.",
                bucket.urn,
            )
            continue
        if leaf(ip_filter, "allowCrossOrgVpcs") is True:
            report(
                f"bucket {bucket.name!r} has ipFilter.allowCrossOrgVpcs true; set it to false.",
                bucket.urn,
            )
        for index, source in enumerate(items(ip_filter, "vpcNetworkSources")):
            for problem in _vpc_source_problems(args, bucket, source):
                report(
                    f"bucket {bucket.name!r}: ipFilter.vpcNetworkSources[{index}] {problem}. Admit only the site "
                    "VPC (a Network of this stack) and its subnets' ranges.",
                    bucket.urn,
                )
        for cidr in items(ip_filter, "publicNetworkSource", "allowedIpCidrRanges"):
            if cidr is UNKNOWN:
                continue
            if cidr in WHOLE_INTERNET or not inside(str(cidr), declared):
                report(
                    f"bucket {bucket.name!r} admits {cidr} in ipFilter.publicNetworkSource.allowedIpCidrRanges, "
                    f"which is not a declared PACS or hospital range ({where}). Remove it or declare it.",
                    bucket.urn,
                )


POLICIES = [
    resource_policy(
        name="gcp-compute-no-default-network",
        control="NET-01",
        description="The site project has no default network.",
        severity=Severity.HIGH,
        remediation="Create projects with autoCreateNetwork false and never name a network 'default'.",
        types=[tokens.NETWORK, tokens.PROJECT],
        check=_no_default_network,
    ),
    resource_policy(
        name="gcp-compute-network-custom-mode",
        control="NET-02",
        description=(
            "Networks are custom mode without default routes; the only routes are the declared worklist next hops "
            "and the restricted Google APIs range; peerings exchange no custom routes."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Set autoCreateSubnetworks false and deleteDefaultRoutesOnCreate true (SiteNetwork does); route only "
            "the worklist ranges through their declared next hop (network.worklist) and 199.36.153.4/30 through "
            "default-internet-gateway; set importCustomRoutes and exportCustomRoutes false on peerings."
        ),
        types=[
            tokens.NETWORK,
            tokens.ROUTE,
            tokens.ROUTER_PEER,
            tokens.NETWORK_PEERING,
            tokens.NETWORK_PEERING_ROUTES_CONFIG,
        ],
        check=_custom_vpc,
        config={
            "allowedRoutes": {
                "type": "array",
                "description": "Declared next hops (default: the site config's network.worklist[*].nextHop).",
                "items": {
                    "type": "object",
                    "properties": {
                        "cidrs": {"type": "array", "items": {"type": "string"}},
                        "nextHop": {
                            "type": "object",
                            "properties": {
                                "ip": {"type": "string"},
                                "vpnTunnel": {"type": "string"},
                                "interconnectAttachment": {"type": "string"},
                            },
                        },
                    },
                    "required": ["cidrs", "nextHop"],
                },
            }
        },
    ),
    resource_policy(
        name="gcp-compute-firewall-ingress-allowlist",
        control="NET-03",
        description="Allow-ingress rules admit only the load-balancer, health-check and IAP ranges to the viewer.",
        severity=Severity.CRITICAL,
        remediation=(
            "Limit sourceRanges to 130.211.0.0/22 and 35.191.0.0/16 (and 35.235.240.0/20 when administrators "
            "use IAP), target the viewer's tag or service account and list explicit TCP ports."
        ),
        types=tokens.ANY_FIREWALL,
        check=_each_rule(_ingress_allowlist),
        config={"allowIap": {"type": "boolean", "description": "Admit the IAP range (default: the site config)."}},
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
        name="gcp-compute-subnetwork-private-google-access",
        control="NET-05",
        description="Subnets reach Google APIs privately.",
        severity=Severity.MEDIUM,
        remediation="Set privateIpGoogleAccess to true on every subnet.",
        types=[tokens.SUBNETWORK],
        check=_private_google_access,
    ),
    stack_policy(
        name="gcp-compute-network-restricted-google-apis",
        types=sorted(
            {
                tokens.NETWORK,
                tokens.ROUTE,
                tokens.DNS_MANAGED_ZONE,
                tokens.DNS_RECORD_SET,
                tokens.DNS_POLICY,
                tokens.DNS_RESPONSE_POLICY_RULE,
            }
            | tokens.FORWARDING_RULES
        ),
        control="NET-05",
        description=(
            "Every network routes and resolves Google APIs to restricted.googleapis.com; no DNS forwarding and no "
            "Private Service Connect endpoint for all APIs."
        ),
        severity=Severity.MEDIUM,
        remediation=(
            "Add a route to 199.36.153.4/30 through default-internet-gateway and a private DNS zone "
            "'googleapis.com.' with restricted.googleapis.com A 199.36.153.4-7 and *.googleapis.com CNAME "
            "(SiteNetwork does)."
        ),
        check=_restricted_google_apis,
    ),
    stack_policy(
        name="gcp-storage-bucket-ip-filter",
        types=[tokens.BUCKET, tokens.NETWORK, tokens.SUBNETWORK],
        control="NET-07",
        description=(
            "Image buckets accept requests only from the declared PACS and hospital ranges and the site VPC's subnets."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Set ipFilter.mode 'Enabled', allowAllServiceAgentAccess true, allowCrossOrgVpcs false, the PACS "
            "egress and hospital ranges as publicNetworkSource and the site VPC as vpcNetworkSources."
        ),
        check=_bucket_ip_filter,
        config={
            "allowedSources": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Allowed public ranges (default: the site config's PACS and hospital ranges).",
            }
        },
    ),
    resource_policy(
        name="gcp-compute-subnetwork-flow-logs",
        control="LOG-03",
        description="Subnets log every flow with all metadata at 5-second aggregation.",
        severity=Severity.MEDIUM,
        remediation=(
            "Set logConfig {aggregationInterval: 'INTERVAL_5_SEC', flowSampling: 1.0, metadata: "
            "'INCLUDE_ALL_METADATA'} without filterExpr."
        ),
        types=[tokens.SUBNETWORK],
        check=_flow_logs,
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
    stack_policy(
        name="gcp-dns-query-logging",
        types=[tokens.NETWORK, tokens.DNS_POLICY],
        control="LOG-06",
        description="Every network logs its DNS queries.",
        severity=Severity.MEDIUM,
        remediation="Attach every network to a gcp.dns.Policy with enableLogging true (SiteNetwork does).",
        check=_dns_logging,
    ),
]
