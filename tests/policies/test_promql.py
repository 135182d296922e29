"""The pack's PromQL evaluator (``imaging_policies.promql``): Prometheus' documented semantics on the subset the
detectors use, and a refusal, never a guess, for anything else. Proves the evaluator; not that Cloud Monitoring
evaluates every corner identically."""

from __future__ import annotations

import pytest
from imaging_policies.promql import PromQLError, Series, fires, metric_name, parse

AT = 1_773_655_200  # 2026-03-16 10:00 UTC
WEEK = 7 * 86400


def _series(name: str, per_minute: float, end: int, **labels: str) -> Series:
    return Series(name, labels, {end - 60 * i: per_minute for i in range(60)})


READS = [_series("m", 10, AT, principal="a"), _series("m", 5, AT, principal="b")]


def test_increase_sums_an_hour_of_a_delta_metric_and_sum_adds_the_series():
    assert parse("sum(increase(m[1h]))")(READS, AT) == {frozenset(): 900.0}
    assert parse("sum by (principal) (increase(m[1h]))")(READS, AT)[frozenset({("principal", "a")})] == 600.0


def test_offset_looks_a_week_back_and_an_absent_week_is_no_series():
    assert parse("sum(increase(m[1h] offset 1w))")(READS, AT) == {}
    assert parse("sum(increase(m[1h] offset 1w)) or vector(0)")(READS, AT) == {frozenset(): 0.0}
    old = [_series("m", 2, AT - WEEK)]
    assert parse("sum(increase(m[1h] offset 1w))")(old, AT) == {frozenset(): 120.0}


def test_a_comparison_with_an_absent_series_returns_nothing():
    """Why the baseline needs ``or vector(0)``: without it a flood in a week without history is quiet."""
    assert not fires("sum(increase(m[1h])) > 3 * sum(increase(m[1h] offset 1w))", READS, AT)
    assert fires("sum(increase(m[1h])) > 3 * (sum(increase(m[1h] offset 1w)) or vector(0))", READS, AT)


def test_precedence_is_prometheus_or_lowest_then_and_then_comparisons():
    assert fires("sum(increase(m[1h])) > 100 and (hour() >= 9 and hour() < 11)", READS, AT)
    assert not fires("sum(increase(m[1h])) > 100 and (hour() >= 22 or hour() < 6)", READS, AT)
    assert fires("sum(increase(m[1h])) > 1000 or vector(1)", READS, AT)


def test_clamp_min_and_label_matchers():
    assert parse("clamp_min(sum(increase(m[1h])), 2000)")(READS, AT) == {frozenset(): 2000.0}
    assert parse('sum(increase(m{principal="a"}[1h]))')(READS, AT) == {frozenset(): 600.0}
    assert parse('sum(increase(m{principal=~"a|b"}[1h]))')(READS, AT) == {frozenset(): 900.0}
    assert parse('sum(increase(m{principal!="a"}[1h]))')(READS, AT) == {frozenset(): 300.0}


@pytest.mark.parametrize(
    "query",
    [
        "sum(rate(m[1h])) > bool 1",
        "sum(increase(m[1h])) > on() vector(1)",
        "absent(m)",
        "1 > 2",
        "sum(increase(m[1h]",
    ],
    ids=["bool-modifier", "on-matching", "unsupported-function", "scalar-comparison", "unbalanced"],
)
def test_what_the_subset_does_not_read_is_refused(query: str):
    with pytest.raises(PromQLError):
        fires(query, READS, AT)


def test_metric_names_map_as_cloud_monitoring_documents():
    assert metric_name("logging.googleapis.com/user/lau-image-read-spike") == (
        "logging_googleapis_com:user_lau_image_read_spike"
    )
