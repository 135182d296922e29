"""Readiness evidence (``check --evidence``, a ``netcheck --format json`` report) is judged against the site
config's minimums (``imaging-landing-zone:netcheck``), never the minimums the report carries; a report whose
figures miss them makes the control violated and the check exit 1; a report measured more than
``evidence.MAX_AGE_DAYS`` days ago (or dated in the future) is stale: said so, never evidence either way.

Utrecht declares ``maxLatencyMs: 25``; the requirement's own maximum is 30."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from preflight.cli import main
from preflight.engine import stacks
from preflight.judge import evidence

CONTROLS = ("PERF-01", "PERF-02", "TLS-04")

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def _report(latency_ms: float, measured: datetime = NOW - timedelta(days=6)) -> dict[str, Any]:
    """A netcheck report of Utrecht measured against the requirement's minimums (30 ms), not the site's."""
    return {
        "format": "imaging-landing-zone/netcheck@1",
        "site": "utrecht",
        "measuredAt": measured.isoformat(),
        "minimums": {"downloadMbps": 50.0, "latencyMs": 30.0},
        "verdict": "pass",
        "endpoints": [
            {
                "name": "storage",
                "role": "storage",
                "verdict": "pass",
                "problems": [],
                "tls": {"version": "TLSv1.3"},
                "latencyMs": {"median": latency_ms},
                "download": {"mbps": 120.0},
            }
        ],
    }


def _write(directory: Path, document: dict[str, Any]) -> Path:
    path = directory / "netcheck-utrecht.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evidence, "today", lambda: NOW)


def _utrecht() -> evidence.Minimums:
    return evidence.Minimums.of(stacks.load("utrecht").site.netcheck)


# -- the judgement ------------------------------------------------------------------------------------


def test_figures_are_judged_against_the_site_config_not_the_report_s_own_minimums(tmp_path):
    readiness = evidence.read(_write(tmp_path, _report(28.0)))
    text = evidence.summary("PERF-02", readiness, "utrecht", _utrecht(), now=NOW)
    assert "DOES NOT MEET the minimum: storage: 28 ms (maximum 25) ABOVE" in text
    assert evidence.failing(readiness, _utrecht(), now=NOW) == ["PERF-02"]


def test_figures_within_the_site_s_minimums_fail_nothing(tmp_path):
    readiness = evidence.read(_write(tmp_path, _report(20.0)))
    assert evidence.failing(readiness, _utrecht(), now=NOW) == []


@pytest.mark.parametrize(
    ("age", "stale"),
    [(timedelta(days=89), False), (timedelta(days=91), True), (timedelta(days=-2), True)],
    ids=["89-days-old", "91-days-old", "dated-in-the-future"],
)
def test_a_report_older_than_the_bound_or_from_the_future_is_stale(tmp_path, age, stale):
    readiness = evidence.read(_write(tmp_path, _report(20.0, measured=NOW - age)))
    assert evidence.stale(readiness, NOW) is stale
    assert evidence.MAX_AGE_DAYS == 90


def test_a_stale_report_that_misses_the_minimum_fails_nothing_and_says_it_is_stale(tmp_path):
    readiness = evidence.read(_write(tmp_path, _report(28.0, measured=datetime(2019, 3, 1, tzinfo=UTC))))
    assert evidence.failing(readiness, _utrecht(), now=NOW) == []
    text = evidence.summary("PERF-02", readiness, "utrecht", _utrecht(), now=NOW)
    assert "STALE, not evidence (measured 2838 days ago, more than 90)" in text
    assert "meets" not in text


# -- through the command line ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One verdict cache for the module: Utrecht's program runs once, the evidence is read on every run."""
    return tmp_path_factory.mktemp("cache")


def _check(report: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    argv = ["check", "utrecht", "--mode", "update", "--evidence", str(report), "--format", "json"]
    code = main([*argv, "--cache-dir", str(cache_dir)])
    [site] = json.loads(capsys.readouterr().out)["sites"]
    return code, {row["control"]: row for row in site["controls"]}


def test_a_report_that_misses_the_site_s_minimum_is_violated_and_the_check_exits_1(tmp_path, cache_dir, capsys, clock):
    code, rows = _check(_write(tmp_path, _report(28.0)), cache_dir, capsys)
    assert code == 1
    assert rows["PERF-02"]["status"] == "violated"
    assert "(maximum 25) ABOVE" in rows["PERF-02"]["detail"]
    assert rows["PERF-01"]["status"] == "evidence outside the stack"


def test_a_report_within_the_site_s_minimums_is_evidence_outside_the_stack_and_exits_0(
    tmp_path, cache_dir, capsys, clock
):
    code, rows = _check(_write(tmp_path, _report(20.0)), cache_dir, capsys)
    assert code == 0
    assert rows["PERF-02"]["status"] == "evidence outside the stack"
    assert "meets the minimum: storage: 20 ms (maximum 25)" in rows["PERF-02"]["detail"]


def test_a_stale_report_is_never_met_and_the_rows_say_so(tmp_path, cache_dir, capsys, clock):
    code, rows = _check(_write(tmp_path, _report(20.0, measured=datetime(2019, 3, 1, tzinfo=UTC))), cache_dir, capsys)
    assert code == 0  # as without a report: no evidence either way
    for control in ("PERF-01", "PERF-02"):
        assert rows[control]["status"] == "evidence outside the stack"
        assert "STALE, not evidence" in rows[control]["detail"]
        assert "meets" not in rows[control]["detail"]
