"""Policy metadata, as the engine reads it from the running pack (``GetAnalyzerInfo``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from imaging_policies import POLICIES
from imaging_policies._registry import DuplicatePolicyError, Registry
from pulumi_policy import ResourceValidationPolicy

from preflight.catalogue import controls

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = controls.load()
CONTROLS = set(CATALOGUE.ids)
DELIVERED = {c.id for c in CATALOGUE.controls if "pack" in c.checked_by and not c.judged_with}
"""The controls a policy of the pack judges itself, from the repository's catalogue
(``preflight/catalogue/controls.toml``). TLS-04 is judged by ORG-01's policy (gcp.restrictTLSVersion);
PERF-01 and PERF-02 by the readiness probe, outside the stack."""


@pytest.fixture(scope="module")
def info(policy_pack):
    return policy_pack("lausanne", "update").info()


def test_pack_declares_every_policy_of_the_package(info):
    assert [p.name for p in info] == [p.name for p in POLICIES]


def test_every_delivered_control_has_a_policy_and_no_policy_is_unaccounted_for(info):
    assert {p.control for p in info} == DELIVERED


def test_a_control_has_at_most_one_resource_and_one_stack_policy(info):
    kinds: dict[str, list[str]] = {}
    for p, policy in zip(info, POLICIES, strict=True):
        kinds.setdefault(p.control, []).append("resource" if isinstance(policy, ResourceValidationPolicy) else "stack")
    assert all(sorted(k) in (["resource"], ["stack"], ["resource", "stack"]) for k in kinds.values()), kinds


def test_controls_exist_in_the_catalogue(info):
    assert {p.control for p in info} <= CONTROLS


@pytest.mark.parametrize("policy", [p.name for p in POLICIES])
def test_policy_metadata_is_complete(info, policy):
    p = next(item for item in info if item.name == policy)
    assert re.fullmatch(r"gcp-[a-z0-9]+(-[a-z0-9]+)+", p.name)
    assert p.description.endswith(".")
    assert p.severity in {"medium", "high", "critical"}
    assert p.remediation
    assert p.level == "mandatory", "patient-data controls are mandatory"


def test_registry_rejects_duplicate_names():
    registry = Registry()
    registry.add(POLICIES[0])
    with pytest.raises(DuplicatePolicyError, match=POLICIES[0].name):
        registry.add(ResourceValidationPolicy(name=POLICIES[0].name, description="Again.", validate=lambda a, r: None))
