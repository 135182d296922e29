"""CIDR rules shared by the site config and the firewall, against Python's own ``ipaddress`` (hypothesis)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import ranges

_networks = st.builds(
    lambda address, prefix: ipaddress.ip_network(f"{ipaddress.IPv4Address(address)}/{prefix}", strict=False),
    st.integers(0, 2**32 - 1),
    st.integers(0, 32),
)


@given(_networks)
def test_a_canonical_range_parses_unless_it_is_the_whole_internet(network):
    if network.prefixlen == 0:
        with pytest.raises(ValueError, match="whole internet"):
            ranges.parse_cidr(str(network))
    else:
        assert ranges.parse_cidr(str(network)) == network


@given(st.integers(0, 2**32 - 1), st.integers(1, 31))
def test_host_bits_are_refused_with_the_range_meant(address, prefix):
    text = f"{ipaddress.IPv4Address(address)}/{prefix}"
    meant = ipaddress.ip_network(text, strict=False)
    if str(meant) == text:
        assert ranges.parse_cidr(text) == meant
    else:
        with pytest.raises(ValueError, match=f"did you mean {meant}"):
            ranges.parse_cidr(text)


@given(_networks.filter(lambda n: n.prefixlen >= 24), _networks.filter(lambda n: n.prefixlen >= 24))
def test_overlap_and_containment_agree_with_the_addresses(a, b):
    assert ranges.overlaps(str(a), str(b)) == bool(set(a) & set(b))
    assert ranges.within(str(a), [str(b)]) == (set(a) <= set(b))


@pytest.mark.parametrize("text", ["10.0.0.0", "ten/8", "10.0.0.0/33", "2001:db8::/32", "", "10.0.0.0/-1"])
def test_malformed_ranges_are_refused(text):
    with pytest.raises(ValueError, match=repr(text).strip("'") if text else "CIDR form"):
        ranges.parse_cidr(text)
