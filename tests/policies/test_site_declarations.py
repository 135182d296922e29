"""Where the policies get what the site declares (allowlists, region), and the arithmetic they judge with.

The pack reads them from a policy's own config when it has one, and otherwise from the stack's
site config, which the engine passes to every policy pack (``PULUMI_CONFIG``). Both paths run the
real pack process here.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imaging_policies._site import Destination, allowed, ports

from preflight.engine import stacks
from preflight.engine.stacks import PROJECT
from preflight.judge import analyzer
from tests.conftest import by_name, site_plan
from tests.policies.mutation import set_prop

EGRESS = "gcp-compute-firewall-egress-allowlist"
BUCKET_FILTER = "gcp-storage-bucket-ip-filter"
INGRESS = "gcp-compute-firewall-ingress-allowlist"
REGION = "gcp-storage-bucket-in-site-region"


def _pack(config: dict[str, str], user_config: dict[str, object] | None = None) -> analyzer.PolicyPack:
    pack = analyzer.PolicyPack(config=config, project=PROJECT, stack="lausanne", dry_run=False)
    pack.configure(analyzer.reconcile(pack.info(), user_config))
    return pack


@pytest.fixture(scope="module")
def lausanne_config() -> dict[str, str]:
    return dict(stacks.load("lausanne").config)


def _undeclared_egress():
    resources = site_plan("lausanne", "update")
    rule = by_name(resources, "lau-firewall-allow-worklist-ris")
    set_prop("destinationRanges", value=["10.99.0.0/16"])(rule)
    return rule


def test_policy_config_allowlist_replaces_the_site_config(lausanne_config):
    pack = _pack(lausanne_config, {EGRESS: {"allowedEgress": [{"cidrs": ["10.99.0.0/16"], "ports": [443]}]}})
    try:
        assert [d for d in pack.analyze(_undeclared_egress()) if d.policy == EGRESS] == []
        declared_in_site_only = by_name(site_plan("lausanne", "update"), "lau-firewall-allow-worklist-ris")
        found = [d.message for d in pack.analyze(declared_in_site_only) if d.policy == EGRESS]
        assert any("declared in the policy's allowedEgress config" in m for m in found), found
    finally:
        pack.close()


def test_a_stack_without_site_network_config_may_reach_only_google_apis(lausanne_config):
    config = {k: v for k, v in lausanne_config.items() if k != "imaging-landing-zone:network"}
    pack = _pack(config)
    try:
        resources = site_plan("lausanne", "update")
        worklist = [d.message for d in pack.analyze(by_name(resources, "lau-firewall-allow-worklist-ris"))]
        assert any("no imaging-landing-zone:network in the stack config" in m for m in worklist), worklist
        assert pack.analyze(by_name(resources, "lau-firewall-allow-google-apis")) == []
        assert any(d.policy == BUCKET_FILTER for d in pack.analyze_stack(resources))
        iap = [d.message for d in pack.analyze(by_name(resources, "lau-firewall-allow-iap")) if d.policy == INGRESS]
        assert any("35.235.240.0/20, outside the allowed ingress ranges" in m for m in iap), iap
    finally:
        pack.close()


def test_bucket_region_is_judged_only_where_a_region_is_declared(lausanne_config):
    config = {k: v for k, v in lausanne_config.items() if k != "imaging-landing-zone:region"}
    elsewhere = by_name(site_plan("lausanne", "update"), "lau-images")
    set_prop("location", value="US")(elsewhere)
    pack = _pack(config)
    try:
        assert [d for d in pack.analyze(elsewhere) if d.policy == REGION] == []
    finally:
        pack.close()
    pack = _pack(config, {REGION: {"allowedLocations": ["europe-west6", "EU"]}})
    try:
        found = [d.message for d in pack.analyze(elsewhere) if d.policy == REGION]
        assert len(found) == 1
        assert (
            "location is 'US', not the site's region (eu, europe-west6, from the policy's allowedLocations)"
            in (found[0])
        )
    finally:
        pack.close()


def test_policy_config_can_refuse_iap_that_the_site_config_enables(lausanne_config):
    pack = _pack(lausanne_config, {INGRESS: {"allowIap": False}})
    try:
        rule = by_name(site_plan("lausanne", "update"), "lau-firewall-allow-iap")
        assert [d.policy for d in pack.analyze(rule)] == [INGRESS]
    finally:
        pack.close()


# --- the arithmetic, against brute force over small ranges ------------------------------------------

_small = st.builds(
    lambda address, prefix: str(ipaddress.ip_network(f"10.0.{address}.0/{prefix}", strict=False)),
    st.integers(0, 3),
    st.integers(22, 26),
)
_destination = st.builds(
    lambda cidrs, wanted: Destination(tuple(cidrs), frozenset(wanted)),
    st.lists(_small, min_size=1, max_size=2),
    st.sets(st.integers(440, 445), min_size=1, max_size=3),
)


@given(_small, st.sets(st.integers(440, 445), min_size=1, max_size=3), st.lists(_destination, max_size=3))
def test_a_range_is_allowed_only_when_one_destination_covers_every_address_and_port(cidr, wanted, destinations):
    addresses = set(ipaddress.ip_network(cidr))
    expected = any(
        any(addresses <= set(ipaddress.ip_network(c)) for c in d.cidrs) and wanted <= d.ports for d in destinations
    )
    assert allowed(cidr, frozenset(wanted), destinations) == expected


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        pytest.param(["443"], {443}, id="one"),
        pytest.param(["8000-8002", "443"], {443, 8000, 8001, 8002}, id="range"),
        pytest.param(["0"], None, id="zero"),
        pytest.param(["70000"], None, id="too-high"),
        pytest.param(["9-1"], None, id="reversed"),
        pytest.param(["https"], None, id="name"),
        pytest.param([443.0], {443}, id="number-from-policy-config"),
    ],
)
def test_rule_ports_are_parsed_like_gcp_reads_them(listed, expected):
    assert ports(listed) == (frozenset(expected) if expected is not None else None)
