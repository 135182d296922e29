"""The site VPC: no default network, custom mode and declared routes, private Google APIs, flow, DNS and NAT logs.

Controls NET-01, NET-02, NET-05, LOG-03, LOG-06 and LOG-07. The firewall rules on the VPC are
:mod:`imaging_policies.firewall`'s (NET-03, NET-04, LOG-04); the declared worklist next hops that
NET-02 judges routes against come from :mod:`imaging_policies._site`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from imaging_policies import tokens
from imaging_policies._network import refers_to_network, stack_networks
from imaging_policies._props import UNKNOWN, items, leaf, refers_by_dependency
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies._site import RESTRICTED_GOOGLE_APIS, RESTRICTED_GOOGLE_APIS_ADDRESSES, inside, route_allowlist

PROXY_ONLY_PURPOSES = frozenset({"REGIONAL_MANAGED_PROXY", "GLOBAL_MANAGED_PROXY", "INTERNAL_HTTPS_LOAD_BALANCER"})
"""Subnets that carry no workload traffic and cannot have flow logs (LOG-03 exempts them)."""
FLOW_LOGS = {"aggregationInterval": "INTERVAL_5_SEC", "flowSampling": 1.0, "metadata": "INCLUDE_ALL_METADATA"}
INTERNET_GATEWAY = "default-internet-gateway"
GOOGLEAPIS = "googleapis.com."
RESTRICTED_HOST = "restricted.googleapis.com."


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


# --- NET-05, LOG-03 (subnets) ---------------------------------------------------------------------


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


def _private_google_access(args: ResourceValidationArgs, report: Report) -> None:
    props = args.props
    if not _is_proxy_only(props) and leaf(props, "privateIpGoogleAccess") not in (True, UNKNOWN):
        report(
            "privateIpGoogleAccess is not true, so workloads without public addresses cannot reach Google "
            "APIs privately. Set it to true."
        )


# --- NET-05, LOG-06 (stack policies: per network) ------------------------------------------------------


def _zone_serves(zone: PolicyResource, network: PolicyResource) -> bool:
    props = zone.props
    if leaf(props, "visibility") != "private" or leaf(props, "dnsName") != GOOGLEAPIS:
        return False
    urls = [leaf(n, "networkUrl") for n in items(props, "privateVisibilityConfig", "networks")]
    return any(refers_to_network(zone, url, "privateVisibilityConfig", network) for url in urls)


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


def _google_api_answer(record: PolicyResource) -> str | None:
    """Why a record of a zone serving the network answers a Google API name with something else than the
    restricted VIP (an A record outside it, a CNAME to another name, a routing policy's answers, which the pack
    does not read), or ``None``. A more specific name overrides ``*.googleapis.com.``."""
    props = record.props
    name, kind = leaf(props, "name"), leaf(props, "type")
    if not isinstance(name, str) or not name.rstrip(".").endswith(GOOGLEAPIS.rstrip(".")):
        return None
    if leaf(props, "routingPolicy") is not None:
        return f"{name} {kind} answers through routingPolicy, whose answers the pack does not hold to the VIP"
    data = set(items(props, "rrdatas"))
    if UNKNOWN in data or kind is UNKNOWN:
        return None
    if kind == "A" and not data <= RESTRICTED_GOOGLE_APIS_ADDRESSES:
        return f"{name} A {', '.join(sorted(map(str, data)))} is outside the restricted VIP"
    if kind == "CNAME" and not data <= {RESTRICTED_HOST}:
        return f"{name} CNAME {', '.join(sorted(map(str, data)))} is not {RESTRICTED_HOST}"
    return None


def _private_google_path(args: StackValidationArgs, report: Report) -> None:
    for network in stack_networks(args):
        routes = [
            r
            for r in args.resources
            if r.resource_type == tokens.ROUTE and refers_to_network(r, leaf(r.props, "network"), "network", network)
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
        for record in (r for zone in zones for r in _records_of(args, zone)):
            if (answer := _google_api_answer(record)) is not None:
                report(
                    f"DNS record {record.name!r} in the network's {GOOGLEAPIS} zone: {answer}, so that API "
                    f"resolves to another address than {RESTRICTED_GOOGLE_APIS}. Remove it (*.{GOOGLEAPIS} "
                    f"answers {RESTRICTED_HOST}).",
                    record.urn,
                )
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
    for network in stack_networks(args):
        logged = [
            p
            for p in policies
            if leaf(p.props, "enableLogging") in (True, UNKNOWN)
            and any(
                refers_to_network(p, leaf(n, "networkUrl"), "networks", network) for n in items(p.props, "networks")
            )
        ]
        if not logged:
            report(
                f"network {network.name!r} is not attached to a DNS policy with enableLogging true, so its DNS "
                "queries are not logged. Add a gcp.dns.Policy with enableLogging and the network in networks.",
                network.urn,
            )


# --- LOG-07 -------------------------------------------------------------------------------------------


def _nat_logs(args: ResourceValidationArgs, report: Report) -> None:
    enabled, kind = leaf(args.props, "logConfig", "enable"), leaf(args.props, "logConfig", "filter")
    if enabled not in (True, UNKNOWN) or kind not in ("ALL", UNKNOWN):
        report(f"logConfig is enable={enabled!r}, filter={kind!r}; set {{enable: true, filter: 'ALL'}}.")


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
            "the worklist ranges through their declared next hop (network.worklist) and "
            f"{RESTRICTED_GOOGLE_APIS} through default-internet-gateway; set importCustomRoutes and "
            "exportCustomRoutes false on peerings."
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
            f"Add a route to {RESTRICTED_GOOGLE_APIS} through default-internet-gateway and a private DNS zone "
            "'googleapis.com.' with restricted.googleapis.com A 199.36.153.4-7 and *.googleapis.com CNAME "
            "(SiteNetwork does)."
        ),
        check=_restricted_google_apis,
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
    stack_policy(
        name="gcp-dns-query-logging",
        types=[tokens.NETWORK, tokens.DNS_POLICY],
        control="LOG-06",
        description="Every network logs its DNS queries.",
        severity=Severity.MEDIUM,
        remediation="Attach every network to a gcp.dns.Policy with enableLogging true (SiteNetwork does).",
        check=_dns_logging,
    ),
    resource_policy(
        name="gcp-compute-nat-logs-all",
        control="LOG-07",
        description="Cloud NAT logs every translation and error.",
        severity=Severity.MEDIUM,
        remediation="Set logConfig {enable: true, filter: 'ALL'} on every RouterNat.",
        types=[tokens.ROUTER_NAT],
        check=_nat_logs,
    ),
]
