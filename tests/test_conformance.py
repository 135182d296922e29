"""Conformance: every resource of every example site passes every policy, in both modes, and no
mandatory policy is skipped as "can't run during preview". Evaluated by the real pack process."""

from __future__ import annotations

import pytest

from tests.conftest import MODES, SITES, site_plan


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("site", SITES)
def test_example_site_passes_every_policy(policy_pack, site, mode):
    pack = policy_pack(site, mode)
    resources = site_plan(site, mode)
    diagnostics = [d for r in resources for d in pack.analyze(r)] + pack.analyze_stack(resources)
    skipped = [d for d in diagnostics if d.skipped_in_preview]
    assert not skipped, [f"{d.policy} on {d.urn}: {d.message}" for d in skipped]
    assert not diagnostics, [f"{d.level} {d.policy} on {d.urn}: {d.message}" for d in diagnostics]


def test_there_are_at_least_two_differing_example_sites():
    # Two sites of a fleet may share a region; the examples differ so that the conformance covers two.
    assert len(SITES) >= 2
    regions = {
        next(r.inputs["location"] for r in site_plan(s, "update") if r.type == "gcp:kms/keyRing:KeyRing") for s in SITES
    }
    assert len(regions) >= 2
