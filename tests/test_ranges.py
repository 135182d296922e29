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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "32.0.0.0/3", "'32.0.0.0/3' spans 536,870,912 addresses, wider than a /16", id="an-eighth-of-ipv4"
        ),
        pytest.param("198.50.0.0/15", "'198.50.0.0/15' spans 131,072 addresses, wider than a /16", id="slash-15"),
        pytest.param("0.0.0.0/1", "'0.0.0.0/1' contains the private range 10.0.0.0/8", id="contains-private"),
    ],
)
def test_an_allowlist_range_is_one_hospitals_not_a_slice_of_the_internet(text, message):
    with pytest.raises(ValueError, match=r"addresses|private") as raised:
        ranges.parse_public_cidr(text)
    assert str(raised.value).startswith(message)


def test_a_slash_16_is_the_widest_allowlist_range():
    assert str(ranges.parse_allowlist_cidr("10.200.0.0/16")) == "10.200.0.0/16"
