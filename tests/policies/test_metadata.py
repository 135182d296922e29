"""Policy metadata, as the engine reads it from the running pack (``GetAnalyzerInfo``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from imaging_policies import POLICIES
from imaging_policies._registry import DuplicatePolicyError, Registry
from pulumi_policy import ResourceValidationPolicy

ROOT = Path(__file__).resolve().parents[2]
CONTROLS = (
    {
        bold or listed
        for bold, listed in re.findall(
            r"\*\*([A-Z]{3,4}-\d{2})\*\*|(ORG-\d{2})\s+`", (ROOT.parent / "shared" / "controls.md").read_text()
        )
    }
    if (ROOT.parent / "shared" / "controls.md").exists()
    else set()
)
DELIVERED = {
    "ENC-01",
    "ENC-02",
    "ENC-03",
    "ENC-04",
    "ENC-05",
    "ENC-06",
    "ENC-07",
    "ENC-08",
    "IAM-01",
    "IAM-02",
    "IAM-03",
    "IAM-04",
    "IAM-05",
    "IAM-06",
    "IAM-07",
    "ENC-09",
    "ENC-10",
    "LOG-01",
    "LOG-02",
    "LOG-03",
    "LOG-04",
    "LOG-05",
    "LOG-06",
    "LOG-07",
    "LOG-08",
    "LOG-09",
    "LOG-10",
    "LOG-11",
    "LOG-12",
    "NET-01",
    "NET-02",
    "NET-03",
    "NET-04",
    "NET-05",
    "NET-07",
    "PERF-03",
    "TLS-01",
    "TLS-02",
    "TLS-03",
    "TLS-05",
    "NET-06",
    "NET-08",
    "IAM-08",
    "IAM-09",
    *(f"ORG-{n:02d}" for n in range(1, 11)),
}
"""The controls of the slices delivered so far: foundation, network isolation, network readiness, log
management, TLS endpoint and guard rails. TLS-04 is enforced by ORG-01's policy (gcp.restrictTLSVersion)."""


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
    if not CONTROLS:
        pytest.skip("../shared/controls.md is not beside this checkout")
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
