"""Every anomaly detector of every example site fires on its attack and stays quiet on a normal day.

The unexpected-access filters (LOG-16) are evaluated on sample audit entries with the pack's filter evaluator
(``imaging_policies._logquery``); the baseline and off-hours PromQL queries (LOG-17) on sample series with the
pack's PromQL evaluator (``imaging_policies._promql``). The entries and series are the pack's
(``imaging_policies._detection_samples``): one copy of the facts. Proves what the queries select under the
documented semantics of both languages as those evaluators implement them; not that Cloud Logging and Cloud
Monitoring agree on every corner, which only a real project can show.

Also holds the copies equal: the site's access intent (``program.intent``) and the pack's effective-access
intent, the detection defaults of the site config and the pack, the detector keys of the components and the
pack, the PromQL name mapping, and the generated catalogue ``docs/detections.md``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from imaging_policies import _detection_samples as samples
from imaging_policies import detection as pack_detection
from imaging_policies._detector_reach import Intended
from imaging_policies._logquery import matches
from imaging_policies._promql import fires, metric_name

from components import detections
from components.detections import DETECTORS, catalogue, promql_metric, service_agents
from preflight.engine import stacks
from preflight.engine.runner import Resource
from preflight.reports import access
from program.config import DetectionSettings, OffHours, SiteConfig
from program.intent import site_intent
from tests.plans import site_plan
from tests.sites import by_name

CONTROLS = ("LOG-16", "LOG-17", "LOG-18")

ROOT = Path(__file__).resolve().parents[2]
SITES = ["lausanne", "utrecht"]
UNEXPECTED = [d.key for d in DETECTORS if d.kind == "log-match"]
PROMQL = [d.key for d in DETECTORS if d.kind in ("baseline", "off-hours")]
SETTING = {"image-reads-vs-last-week": "imageReads", "egress-vs-last-week": "egressBytes"}
SETTING["denied-vs-last-week"] = "deniedRequests"


@cache
def _site(site: str) -> tuple[list[Resource], SiteConfig, samples.Site]:
    config = SiteConfig.from_stack_config(stacks.load(site).config)
    return site_plan(site, "update"), config, samples.Site(config.gcp_project, config.region, config.site_code)


def _settings(site: str):
    config = stacks.load(site).config
    return lambda key: config.get(f"imaging-landing-zone:{key}")


def _access_samples(site: str) -> dict[str, samples.AccessSamples]:
    resources, _, where = _site(site)
    _, intent = access.model(resources, stacks.load(site).config)
    return samples.access_samples(intent, where)


def _filter(site: str, key: str) -> str:
    resources, config, _ = _site(site)
    return str(by_name(resources, f"{config.site_code}-detectors-{key}").inputs["filter"])


def _query(site: str, key: str) -> str:
    resources, config, _ = _site(site)
    policy = by_name(resources, f"{config.site_code}-detectors-{key}-alert")
    return str(policy.inputs["conditions"][0]["conditionPrometheusQueryLanguage"]["query"])


# --- Unexpected access (LOG-16) -------------------------------------------------------------------


@pytest.mark.parametrize("key", UNEXPECTED)
@pytest.mark.parametrize("site", SITES)
def test_unexpected_access_fires_on_every_unintended_principal(site: str, key: str) -> None:
    wanted = _access_samples(site)[key]
    log_filter = _filter(site, key)
    assert wanted.attacks
    assert [e.id for e in wanted.attacks if not matches(log_filter, e.entry)] == []


@pytest.mark.parametrize("key", UNEXPECTED)
@pytest.mark.parametrize("site", SITES)
def test_unexpected_access_is_quiet_on_every_intended_principal(site: str, key: str) -> None:
    wanted = _access_samples(site)[key]
    log_filter = _filter(site, key)
    assert [e.id for e in wanted.quiet if matches(log_filter, e.entry)] == []


def test_the_quiet_entries_cover_each_kind_of_intended_principal() -> None:
    """The quiet side is not empty: Lausanne's viewer and reader domain read images, its agents and runtime
    accounts use keys, its auditor domain reads the logs."""
    quiet = {key: {e.id for e in s.quiet} for key, s in _access_samples("lausanne").items()}
    assert "image-read-by-lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com" in quiet["unexpected-image-read"]
    assert "image-read-by-someone@chuv.example" in quiet["unexpected-image-read"]
    assert any("gs-project-accounts" in q for q in quiet["unexpected-key-use"])
    assert quiet["unexpected-log-read"] == {"log-read-by-someone@chuv.example"}


def test_a_site_without_auditors_intends_nobody_to_read_its_logs() -> None:
    """Utrecht declares no auditor group: every read of its security-log bucket is unexpected."""
    assert _access_samples("utrecht")["unexpected-log-read"].quiet == ()
    assert " NOT " not in _filter("utrecht", "unexpected-log-read")


# --- Deviation from the site's past and off-hours (LOG-17) ----------------------------------------


def _scenarios(site: str, key: str) -> tuple[samples.Scenario, ...]:
    resources, config, where = _site(site)
    declared = samples.declaration(_settings(site))
    reads = metric_name(f"logging.googleapis.com/user/{config.site_code}-image-read-spike")
    readers = samples.read_principals(where)
    if key == "off-hours-bulk-read":
        return samples.off_hours_scenarios(reads, readers, declared.off_hours)
    if key == "egress-vs-last-week":
        bucket = by_name(resources, f"{config.site_code}-images").outputs["name"]
        return samples.egress_scenarios(samples.SENT_BYTES, [bucket], declared.baselines[SETTING[key]])
    if key == "denied-vs-last-week":
        denied = metric_name(f"logging.googleapis.com/user/{config.site_code}-denied-requests")
        return samples.baseline_scenarios(denied, ({},), declared.baselines[SETTING[key]])
    return samples.baseline_scenarios(reads, readers, declared.baselines[SETTING[key]])


@pytest.mark.parametrize("key", PROMQL)
@pytest.mark.parametrize("site", SITES)
def test_promql_detector_fires_on_its_attacks_and_is_quiet_on_a_normal_day(site: str, key: str) -> None:
    query = _query(site, key)
    wrong = [(s.id, s.fires) for s in _scenarios(site, key) if fires(query, s.series, s.at) is not s.fires]
    assert wrong == []


@pytest.mark.parametrize("site", SITES)
def test_the_watched_metrics_count_what_the_detectors_compare(site: str) -> None:
    """The read metric selects the site's image reads; the denied metric selects both denied requests."""
    resources, config, where = _site(site)
    denied = by_name(resources, f"{config.site_code}-detectors-denied-requests").inputs["filter"]
    assert all(matches(denied, e.entry) for e in samples.denied_entries(where))
    reads = by_name(resources, f"{config.site_code}-alerts-image-read-spike").inputs["filter"]
    assert matches(reads, samples._image_read(where))


def test_the_egress_detector_watches_the_image_bucket_only() -> None:
    """A surge of another bucket's sent bytes (the access logs) does not fire the image bucket's detector."""
    declared = samples.declaration(_settings("lausanne"))
    other = ({"monitored_resource": "gcs_bucket", "bucket_name": "chuv-imaging-lau-lau-access-logs"},)
    surge = next(
        s
        for s in samples.baseline_scenarios(samples.SENT_BYTES, other, declared.baselines["egressBytes"])
        if s.id == "surge-at-10h"
    )
    assert not fires(_query("lausanne", "egress-vs-last-week"), surge.series, surge.at)


# --- Every image bucket is watched ------------------------------------------------------------------

TWO = ("chuv-imaging-lau-lau-images", "chuv-imaging-lau-lau-research")
"""A site that keeps images in two buckets (its clinical archive and a research archive)."""


def test_the_image_read_filter_selects_reads_of_every_image_bucket() -> None:
    where = samples.Site("chuv-imaging-lau", "europe-west6", "lau")
    log_filter = detections.image_reads(TWO)
    reads = [samples.Entry("read", samples._image_read(where))]
    on_both = samples._on_buckets(reads, where, TWO)
    assert [e.id for e in on_both] == ["read", "read-on-chuv-imaging-lau-lau-research"]
    assert all(matches(log_filter, e.entry) for e in on_both)
    assert not matches(log_filter, samples._on_buckets(reads, where, ["chuv-imaging-lau-lau-scratch"])[0].entry)


def test_the_egress_detector_judges_each_image_bucket_against_its_own_past() -> None:
    """One query over both buckets fires when either surges while the other sends its usual bytes, and on a
    bucket's first week; it is quiet on a normal day of both."""
    declared = samples.declaration(_settings("lausanne")).baselines["egressBytes"]
    query = detections.baseline_by("bucket_name", detections.sent_bytes(TWO), declared.ratio, declared.minimum)
    scenarios = samples.egress_scenarios(samples.SENT_BYTES, TWO, declared)
    assert len(scenarios) == 2 * len(samples.baseline_scenarios(samples.SENT_BYTES, [{}], declared))
    assert [(s.id, s.fires) for s in scenarios if fires(query, s.series, s.at) is not s.fires] == []


def test_a_total_over_the_image_buckets_misses_a_surge_of_one() -> None:
    """Why the detector sums by bucket: the two buckets' total against last week's total dilutes one bucket's
    surge in the other's steady bytes."""
    declared = samples.declaration(_settings("lausanne")).baselines["egressBytes"]
    total = detections.baseline(detections.sent_bytes(TWO), declared.ratio, declared.minimum)
    missed = [
        s.id
        for s in samples.egress_scenarios(samples.SENT_BYTES, TWO, declared)
        if s.fires and not fires(total, s.series, s.at)
    ]
    assert "surge-at-10h-on-chuv-imaging-lau-lau-research" in missed


def test_the_alerts_and_detectors_still_take_one_image_bucket_by_its_old_name() -> None:
    """``image_bucket`` (one bucket) is the deprecated name of ``image_buckets``: it works, with a warning; both
    at once is an error naming them."""
    from components.monitoring import SecurityAlertsArgs

    with pytest.warns(DeprecationWarning, match="image_bucket is deprecated: use image_buckets"):
        args = SecurityAlertsArgs(
            project="proj-123456", site_code="abc", image_bucket="b", emails={"soc": "s@h.example"}
        )
    assert args.image_buckets == ["b"]
    with pytest.raises(ValueError, match="give only image_buckets"):
        SecurityAlertsArgs(
            project="proj-123456", site_code="abc", image_bucket="b", image_buckets=["b"], emails={"soc": "s@h.example"}
        )
    with pytest.raises(ValueError, match="image_buckets"):
        SecurityAlertsArgs(project="proj-123456", site_code="abc", image_buckets=[], emails={"soc": "s@h.example"})


# --- One copy of each fact --------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_the_program_intends_whom_the_packs_access_model_intends(site: str) -> None:
    """``program.intent`` and the pack's effective-access intent name the same principals per asset."""
    resources, config, _ = _site(site)
    _, pack = access.model(resources, stacks.load(site).config)
    mine = site_intent(config)

    def people(intent: detections.AccessIntent, agents: tuple[str, ...] = ()) -> Intended:
        return Intended(frozenset({*intent.accounts, *agents}), frozenset(intent.domains))

    number = pack.site.number
    assert number
    assert people(mine.image_readers) == samples.intended(pack, "image bucket", samples.READ_IMAGE)
    assert people(mine.key_users, service_agents(number)) == samples.intended(pack, "key", samples.DECRYPT)
    assert people(mine.log_readers) == samples.intended(pack, "security-log bucket", samples.READ_LOGS)


def test_the_pack_copies_the_detection_defaults() -> None:
    defaults = DetectionSettings()
    copied = samples.DetectionDeclaration()
    for key, baseline in copied.baselines.items():
        mine = getattr(
            defaults, {"imageReads": "image_reads", "egressBytes": "egress_bytes"}.get(key, "denied_requests")
        )
        assert (mine.ratio, mine.minimum) == (baseline.ratio, baseline.minimum), key
    hours = OffHours()
    assert (hours.start_hour, hours.end_hour, hours.bulk_reads) == (
        copied.off_hours.start_hour,
        copied.off_hours.end_hour,
        copied.off_hours.bulk_reads,
    )


def test_the_pack_requires_every_detector_of_the_catalogue() -> None:
    required = {(a.key, a.control) for a in (*pack_detection.UNEXPECTED, *pack_detection.BASELINES)}
    assert required == {(d.key, d.control) for d in DETECTORS if d.kind != "findings"}


@pytest.mark.parametrize(
    "metric_type",
    ["logging.googleapis.com/user/lau-image-read-spike", "storage.googleapis.com/network/sent_bytes_count"],
)
def test_promql_names_are_mapped_alike(metric_type: str) -> None:
    assert promql_metric(metric_type) == metric_name(metric_type)


def test_the_detection_catalogue_is_current() -> None:
    """``docs/detections.md`` is generated: run ``python -m components.detections --write``."""
    assert (ROOT / "docs" / "detections.md").read_text(encoding="utf-8") == catalogue()


def test_a_site_whose_siem_is_the_organisations_shows_the_findings_as_its_organisations() -> None:
    """Utrecht's SIEM is the organisation's central destination: LOG-18 is evidence outside the stack, never met."""
    from preflight.catalogue import controls
    from preflight.judge import check

    result = check.check_site(stacks.load("utrecht"), modes=["update"])
    row = next(r for r in controls.rows(result) if r.control == "LOG-18")
    assert row.status is controls.Status.OUTSIDE
    assert row.detail.startswith("organisation: the SIEM is the organisation's central destination")
