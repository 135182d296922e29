"""Conformance: every resource of every example site passes every policy, in both modes, and no
policy is skipped as "can't run during preview" except on the values GCP alone computes (listed below,
each "not judged in preview (judged at update)", never met). Evaluated by the real pack process."""

from __future__ import annotations

import pytest

from preflight.engine import stacks
from tests.conftest import MODES, SITES, site_plan

FIRST_PREVIEW_UNKNOWNS = {
    (site, f"{config.site_code}-logging-siem-publisher", ".member"): "the SIEM sink's writer identity, which "
    "Cloud Logging assigns when it creates the sink (ProjectSink.writerIdentity)"
    for site, config in ((site, stacks.site_of(stacks.load(site))) for site in SITES)
    if config.logging.siem.subscriber is not None  # a Pub/Sub export: the sink's identity publishes to it
} | {
    (site, f"{config.site_code}-logging-scc-publisher", ".member"): "the findings export's service account, which "
    "Security Command Center assigns when it creates the config (V2ProjectNotificationConfig.serviceAccount)"
    for site, config in ((site, stacks.site_of(stacks.load(site))) for site in SITES)
    if config.logging.siem.subscriber is not None and config.logging.findings.organisation is None
}
"""(site, resource, property) whose value no invoke or config can give before the resources exist: the
only values a first preview of an example site leaves to the update run (docs/adr/0026)."""


def preview_unknown(site: str, diagnostic) -> bool:
    """Whether a diagnostic is a skip in preview on one of the listed values (naming the property)."""
    return diagnostic.skipped_in_preview and any(
        s == site and diagnostic.urn.endswith(f"::{name}") and f"at {path} can't be known" in diagnostic.message
        for s, name, path in FIRST_PREVIEW_UNKNOWNS
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("site", SITES)
def test_example_site_passes_every_policy(policy_pack, site, mode):
    pack = policy_pack(site, mode)
    resources = site_plan(site, mode)
    diagnostics = [d for r in resources for d in pack.analyze(r)] + pack.analyze_stack(resources)
    skipped = [d for d in diagnostics if d.skipped_in_preview and not preview_unknown(site, d)]
    assert not skipped, [f"{d.policy} on {d.urn}: {d.message}" for d in skipped]
    found = [d for d in diagnostics if not preview_unknown(site, d)]
    assert not found, [f"{d.level} {d.policy} on {d.urn}: {d.message}" for d in found]


def test_a_first_preview_leaves_only_gcp_computed_values_to_the_update_run(policy_pack):
    """The listed values are still unknown in a first preview: when one becomes known (a component learns
    it from an invoke), its entry goes, and the site is judged whole in that preview."""
    for site, name, path in FIRST_PREVIEW_UNKNOWNS:
        resources = site_plan(site, "preview")
        target = next(r for r in resources if r.name == name)
        found = policy_pack(site, "preview").analyze(target)
        assert found
        assert all(preview_unknown(site, d) for d in found), [(d.policy, d.message) for d in found]
        assert path.lstrip(".") in target.inputs


def test_there_are_at_least_two_differing_example_sites():
    # Two sites of a fleet may share a region; the examples differ so that the conformance covers two.
    assert len(SITES) >= 2
    regions = {
        next(r.inputs["location"] for r in site_plan(s, "update") if r.type == "gcp:kms/keyRing:KeyRing") for s in SITES
    }
    assert len(regions) >= 2
