"""The site network, firewall and bucket IP filter under the mock engine, and the firewall rules' invariants.

The rule builder is pure, so its properties are checked over generated worklists (hypothesis).
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import ranges
from components.firewall import (
    DENY_ALL_PRIORITY,
    AllowlistFirewall,
    AllowlistFirewallArgs,
    Destination,
    Direction,
    FirewallTarget,
    firewall_rules,
)
from components.network import WorklistRoute
from preflight.engine.runner import capture
from tests.conftest import by_name, site_plan

LOGGED = {"metadata": "INCLUDE_ALL_METADATA"}
LAU_NETWORK = "projects/chuv-imaging-lau/global/networks/lau-vpc"


def test_vpc_is_custom_mode_without_default_routes():
    network = by_name(site_plan("lausanne", "update"), "lau-network")
    assert network.inputs["name"] == "lau-vpc"
    assert network.inputs["autoCreateSubnetworks"] is False
    assert network.inputs["deleteDefaultRoutesOnCreate"] is True


def test_every_subnet_logs_every_flow_and_reaches_google_privately():
    subnets = [r for r in site_plan("utrecht", "update") if r.type == "gcp:compute/subnetwork:Subnetwork"]
    assert {s.name: s.inputs["ipCidrRange"] for s in subnets} == {
        "utr-network-viewer": "10.70.0.0/24",
        "utr-network-batch": "10.70.1.0/24",
    }
    for subnet in subnets:
        assert subnet.inputs["logConfig"] == {
            "aggregationInterval": "INTERVAL_5_SEC",
            "flowSampling": 1.0,
            "metadata": "INCLUDE_ALL_METADATA",
        }
        assert subnet.inputs["privateIpGoogleAccess"] is True
        assert subnet.inputs["region"] == "europe-west4"


def test_google_apis_resolve_and_route_to_the_restricted_vip():
    resources = site_plan("lausanne", "update")
    route = by_name(resources, "lau-network-restricted-apis")
    assert route.inputs["destRange"] == "199.36.153.4/30"
    assert route.inputs["nextHopGateway"] == "default-internet-gateway"
    zone = by_name(resources, "lau-network-googleapis")
    assert zone.inputs["dnsName"] == "googleapis.com."
    assert zone.inputs["visibility"] == "private"
    assert zone.inputs["privateVisibilityConfig"] == {"networks": [{"networkUrl": LAU_NETWORK}]}
    records = {
        by_name(resources, n).inputs["type"]: by_name(resources, n).inputs
        for n in ("lau-network-googleapis-a", "lau-network-googleapis-cname")
    }
    assert records["A"]["name"] == "restricted.googleapis.com."
    assert records["A"]["rrdatas"] == ["199.36.153.4", "199.36.153.5", "199.36.153.6", "199.36.153.7"]
    assert records["CNAME"]["name"] == "*.googleapis.com."
    assert records["CNAME"]["rrdatas"] == ["restricted.googleapis.com."]


def test_dns_queries_are_logged_on_the_site_vpc():
    policy = by_name(site_plan("lausanne", "update"), "lau-network-dns-logging")
    assert policy.inputs["enableLogging"] is True
    assert policy.inputs["networks"] == [{"networkUrl": LAU_NETWORK}]


def test_worklist_routes_follow_the_declared_next_hop():
    lau = site_plan("lausanne", "update")
    vpn = by_name(lau, "lau-network-to-ris-10-200-16-0-24")
    assert vpn.inputs["nextHopVpnTunnel"] == "projects/chuv-imaging-lau/regions/europe-west6/vpnTunnels/chuv-lau-1"
    utr = site_plan("utrecht", "update")
    routes = {r.name: r.inputs for r in utr if r.type == "gcp:compute/route:Route"}
    assert routes["utr-network-to-emr-10-12-4-0-24"]["nextHopIp"] == "10.70.1.250"
    assert not [name for name in routes if "-to-ris-" in name], "routes over the interconnect are learned over BGP"


def test_network_id_is_known_in_a_first_preview_and_waits_for_the_network():
    resources = site_plan("lausanne", "preview")
    rule = by_name(resources, "lau-firewall-allow-worklist-ris")
    assert rule.inputs["network"] == LAU_NETWORK
    assert by_name(resources, "lau-network").urn in rule.dependencies
    assert by_name(resources, "lau-images").inputs["ipFilter"]["vpcNetworkSources"][0]["network"] == LAU_NETWORK


def test_firewall_rules_of_the_lausanne_site():
    resources = site_plan("lausanne", "update")
    rules = {r.name.removeprefix("lau-firewall-"): r.inputs for r in resources if r.type.endswith("firewall:Firewall")}
    assert set(rules) == {
        "deny-all-egress",
        "deny-all-ingress",
        "allow-google-apis",
        "allow-worklist-ris",
        "allow-load-balancer",
        "allow-iap",
    }
    assert all(rule["logConfig"] == LOGGED for rule in rules.values())
    assert rules["deny-all-egress"]["denies"] == [{"protocol": "all"}]
    assert rules["deny-all-egress"]["destinationRanges"] == ["0.0.0.0/0"]
    assert rules["deny-all-egress"]["priority"] == 65535
    assert "targetTags" not in rules["deny-all-egress"]
    assert rules["allow-worklist-ris"]["destinationRanges"] == ["10.200.16.0/24"]
    assert rules["allow-worklist-ris"]["allows"] == [{"protocol": "tcp", "ports": ["443"]}]
    assert rules["allow-load-balancer"]["sourceRanges"] == ["130.211.0.0/22", "35.191.0.0/16"]
    assert rules["allow-load-balancer"]["allows"] == [{"protocol": "tcp", "ports": ["8080"]}]
    assert rules["allow-iap"]["sourceRanges"] == ["35.235.240.0/20"]
    for name in ("allow-google-apis", "allow-worklist-ris", "allow-load-balancer", "allow-iap"):
        assert rules[name]["targetTags"] == ["lau-viewer"], name
        assert rules[name]["name"] == f"lau-{name}"


def test_site_without_iap_has_no_iap_rule():
    names = {r.name for r in site_plan("utrecht", "update") if r.type.endswith("firewall:Firewall")}
    assert "utr-firewall-allow-iap" not in names
    assert "utr-firewall-allow-load-balancer" in names


def test_image_bucket_admits_only_declared_networks_and_service_agents():
    resources = site_plan("utrecht", "update")
    ip_filter = by_name(resources, "utr-images").inputs["ipFilter"]
    assert ip_filter == {
        "mode": "Enabled",
        "allowAllServiceAgentAccess": True,
        "allowCrossOrgVpcs": False,
        "publicNetworkSource": {"allowedIpCidrRanges": ["192.0.2.32/28", "192.0.2.64/26", "198.51.100.128/25"]},
        "vpcNetworkSources": [
            {
                "network": "projects/umcu-imaging-utr/global/networks/utr-vpc",
                "allowedIpCidrRanges": ["10.70.0.0/24", "10.70.1.0/24"],
            }
        ],
    }
    assert "ipFilter" not in by_name(resources, "utr-images-access-logs").inputs


def test_firewall_can_target_a_service_account():
    def program() -> None:
        AllowlistFirewall(
            "fw",
            AllowlistFirewallArgs(
                project="proj-123456",
                site_code="abc",
                network="projects/proj-123456/global/networks/abc-vpc",
                target=FirewallTarget(service_account="viewer@proj-123456.iam.gserviceaccount.com"),
                worklist={"ris": Destination(cidrs=["10.9.0.0/24"], ports=[443])},
                load_balancer_ingress=False,
            ),
        )

    rules = {r.name: r.inputs for r in capture(program, project="p", stack="s", preview=True) if r.custom}
    assert set(rules) == {"fw-deny-all-egress", "fw-deny-all-ingress", "fw-allow-google-apis", "fw-allow-worklist-ris"}
    assert rules["fw-allow-worklist-ris"]["targetServiceAccounts"] == ["viewer@proj-123456.iam.gserviceaccount.com"]
    assert "targetTags" not in rules["fw-allow-worklist-ris"]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(FirewallTarget, "exactly one of network_tag or service_account", id="no-target"),
        pytest.param(
            lambda: FirewallTarget(network_tag="t", service_account="a@b"),
            "exactly one of network_tag or service_account",
            id="two-targets",
        ),
        pytest.param(lambda: Destination(cidrs=["0.0.0.0/0"], ports=[443]), "whole internet", id="anywhere"),
        pytest.param(lambda: Destination(cidrs=["10.9.0.0/24"], ports=[0]), "greater than or equal to 1", id="port-0"),
        pytest.param(lambda: WorklistRoute(cidrs=["10.9.0.0/24"]), "exactly one of vpn_tunnel", id="no-next-hop"),
    ],
)
def test_network_args_refuse_what_the_controls_forbid(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# --- properties of the rule builder -----------------------------------------------------------------

_cidrs = st.builds(
    lambda address, prefix: str(ipaddress.ip_network(f"{ipaddress.IPv4Address(address)}/{prefix}", strict=False)),
    st.integers(0, 2**32 - 1),
    st.integers(ranges.WIDEST_ALLOWLIST_PREFIX, 32),  # an allowlist range is at most a /16
)
_destinations = st.builds(
    lambda cidrs, ports: Destination(cidrs=cidrs, ports=ports),
    st.lists(_cidrs, min_size=1, max_size=4),
    st.lists(st.integers(1, 65535), min_size=1, max_size=4),
)
_args = st.builds(
    lambda worklist, ports, lb, iap, tag: AllowlistFirewallArgs(
        project="proj-123456",
        site_code="abc",
        network="n",
        target=FirewallTarget(network_tag="abc-viewer") if tag else FirewallTarget(service_account="v@p"),
        worklist=worklist,
        viewer_ports=ports,
        load_balancer_ingress=lb,
        iap_ingress=iap,
    ),
    st.dictionaries(st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9]", fullmatch=True), _destinations, max_size=5),
    st.lists(st.integers(1, 65535), min_size=1, max_size=3),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)


@given(_args)
def test_no_generated_allow_rule_admits_the_whole_internet(args):
    for rule in firewall_rules(args).values():
        if rule.allow:
            assert ranges.ANYWHERE not in rule.ranges
            assert all(ipaddress.ip_network(r).prefixlen > 0 for r in rule.ranges)


@given(_args)
def test_every_generated_allow_rule_has_a_target_and_explicit_ports(args):
    for rule in firewall_rules(args).values():
        if rule.allow:
            assert rule.targeted
            assert rule.ports
            assert all(1 <= p <= 65535 for p in rule.ports)


@given(_args)
def test_generated_rules_always_deny_by_default_at_the_lowest_precedence(args):
    rules = firewall_rules(args)
    for direction in Direction:
        deny = rules[f"deny-all-{direction.value.lower()}"]
        assert (deny.direction, deny.allow, deny.ranges, deny.priority) == (
            direction,
            False,
            (ranges.ANYWHERE,),
            DENY_ALL_PRIORITY,
        )
        assert not deny.targeted
    assert all(r.priority < DENY_ALL_PRIORITY for r in rules.values() if r.allow)


@given(_args)
def test_egress_goes_only_to_declared_worklists_and_restricted_apis(args):
    declared = {c for d in args.worklist.values() for c in d.cidrs} | {ranges.RESTRICTED_GOOGLE_APIS}
    for rule in firewall_rules(args).values():
        if rule.allow and rule.direction is Direction.EGRESS:
            assert set(rule.ranges) <= declared
        if rule.allow and rule.direction is Direction.INGRESS:
            assert set(rule.ranges) <= {*ranges.LOAD_BALANCER_RANGES, ranges.IAP_RANGE}
