"""A consistent fleet: two stack files that share what must be distinct (site code, GCP project, a bucket
name, the stack name, an overlapping site subnet) are each a failing row of ``fleet`` (exit 2) naming
both files and the lines, before either program runs. The example fleet and a generated third site are
the legitimate variant."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench import sites as generated
from preflight.engine import stacks
from preflight.judge import fleet
from tests.conftest import SITES
from tests.paths import ROOT

NS = "imaging-landing-zone"


def _write(directory: Path, name: str, config: dict[str, Any]) -> Path:
    path = directory / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False, width=200), encoding="utf-8")
    return path


def _line(path: Path, fragment: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if fragment in line)


def _pair(tmp_path: Path, change: dict[str, Any], names: tuple[str, str] = ("aaa", "bbb")) -> dict[str, list[str]]:
    """Two generated, distinct sites, the second with ``change`` applied; their conflicts."""
    first, second = generated.site_config(0), generated.site_config(2)
    second.update(change)
    _write(tmp_path, names[0], first)
    _write(tmp_path, names[1], second)
    return fleet.conflicts([stacks.load(name, tmp_path) for name in names])


def test_two_distinct_sites_do_not_conflict(tmp_path):
    assert _pair(tmp_path, {}) == {}


def test_the_example_fleet_is_consistent():
    assert fleet.conflicts([stacks.load(site) for site in SITES]) == {}


@pytest.mark.parametrize(
    ("change", "what"),
    [
        pytest.param({f"{NS}:siteCode": "lau000"}, f"{NS}:siteCode 'lau000' is the same as", id="same-site-code"),
        pytest.param(
            {f"{NS}:gcpProject": "bench-imaging-lau000"},
            f"{NS}:gcpProject 'bench-imaging-lau000' is the same as",
            id="same-project",
        ),
    ],
)
def test_a_shared_name_fails_both_sites_naming_both_files(tmp_path, change, what):
    problems = _pair(tmp_path, change)
    key = next(iter(change))
    for here, there in (("aaa", "bbb"), ("bbb", "aaa")):
        here_path, there_path = tmp_path / f"Pulumi.{here}.yaml", tmp_path / f"Pulumi.{there}.yaml"
        expected = (
            f"{here_path}: line {_line(here_path, key)}: {what} {key} {change[key]!r} of {there_path} "
            f"(line {_line(there_path, key)}); every site of a fleet needs its own"
        )
        assert expected in problems[here]


def test_a_bucket_name_shared_by_two_codes_and_projects_is_caught(tmp_path):
    # clinic-imaging + bern-abc and clinic-imaging-bern + abc both name clinic-imaging-bern-abc-images
    first, second = generated.site_config(0), generated.site_config(2)
    first.update({f"{NS}:gcpProject": "clinic-imaging", f"{NS}:siteCode": "bern-abc"})
    second.update({f"{NS}:gcpProject": "clinic-imaging-bern", f"{NS}:siteCode": "abc"})
    _write(tmp_path, "aaa", first)
    _write(tmp_path, "bbb", second)
    problems = fleet.conflicts([stacks.load(name, tmp_path) for name in ("aaa", "bbb")])
    assert [p for p in problems["aaa"] if "bucket name 'clinic-imaging-bern-abc-access-logs' is the same as" in p]


def test_stack_names_cannot_differ_only_in_case(tmp_path):
    # Backends compare stack names without case: two such files would share one state. The site-name
    # rule admits lower case only, so the second file is refused before any comparison.
    _write(tmp_path, "Bern", generated.site_config(0))
    with pytest.raises(stacks.StackFileError, match="site name 'Bern' is not valid"):
        stacks.load("Bern", tmp_path)


def test_overlapping_site_subnets_are_caught_naming_each_subnet(tmp_path):
    viewer = generated.site_config(0)[f"{NS}:network"]["subnets"]["viewer"]
    network = generated.site_config(2)[f"{NS}:network"]
    network["subnets"] = {"viewer": network["subnets"]["viewer"], "batch": viewer}
    problems = _pair(tmp_path, {f"{NS}:network": network})
    assert len(problems["bbb"]) == 1
    assert (
        f"{NS}:network.subnets.batch {viewer!r} overlaps {NS}:network.subnets.viewer {viewer!r} of"
        in (problems["bbb"][0])
    )
    assert f"{NS}:network.subnets.viewer {viewer!r} overlaps {NS}:network.subnets.batch" in problems["aaa"][0]


def test_fleet_fails_two_stacks_of_one_site_naming_both_files(tmp_path):
    # The case: a new site's file started as a copy of another and never changed.
    site = SITES[0]
    text = (ROOT / "stacks" / f"Pulumi.{site}.yaml").read_text(encoding="utf-8")
    (tmp_path / f"Pulumi.{site}.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "Pulumi.copy.yaml").write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "preflight", "fleet", "--stacks-dir", str(tmp_path), "--no-progress"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    rows = {cells[0]: cells[1] for cells in map(str.split, done.stdout.splitlines()) if len(cells) > 1}
    assert rows["copy"] == rows[site] == "ERROR"
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert any(
        line.startswith(f"error: {tmp_path}/Pulumi.copy.yaml: line ") and f"of {tmp_path}/Pulumi.{site}.yaml" in line
        for line in errors
    )
    assert any(
        line.startswith(f"error: {tmp_path}/Pulumi.{site}.yaml: line ") and f"of {tmp_path}/Pulumi.copy.yaml" in line
        for line in errors
    )
