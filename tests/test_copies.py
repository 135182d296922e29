"""The deliberate copies: the pack is published alone and never imports our code, so where it needs one
of our facts it keeps its own copy, and this module holds each copy equal to the one source. A drift
fails here, naming both places. Static: nothing runs."""

from __future__ import annotations

from imaging_policies import PACK_NAME, _registry, _site, edge

from components import ranges
from preflight.catalogue import controls
from preflight.engine import stacks
from preflight.judge import words
from program import site
from program.config import NAMESPACE


def test_google_s_ranges_are_the_components():
    assert _site.RESTRICTED_GOOGLE_APIS == ranges.RESTRICTED_GOOGLE_APIS
    assert set(ranges.RESTRICTED_GOOGLE_APIS_ADDRESSES) == _site.RESTRICTED_GOOGLE_APIS_ADDRESSES
    assert _site.LOAD_BALANCER_RANGES == ranges.LOAD_BALANCER_RANGES
    assert _site.IAP_RANGE == ranges.IAP_RANGE


def test_the_api_allowlist_is_the_site_program_s():
    """Every API a site can need (``program/site.py``) is the pack's ``allowedServices`` default."""
    assert set(edge.SITE_SERVICES) == site.SITE_SERVICES
    assert len(edge.SITE_SERVICES) == len(set(edge.SITE_SERVICES))


def test_the_pack_s_name_is_one_name():
    """The pack's name, config namespace and compliance framework are one name, and the check's copy of it."""
    assert PACK_NAME == _site.PACK_NAMESPACE == _registry.FRAMEWORK
    assert words.PACK_NAME == _site.PACK_NAMESPACE
    assert controls.FRAMEWORK == words.PACK_NAME


def test_the_site_config_namespace_is_the_project_s():
    assert _site.SITE_NAMESPACE == NAMESPACE == stacks.PROJECT
