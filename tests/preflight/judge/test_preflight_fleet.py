"""``python -m preflight fleet``: every stack of a directory in parallel worker processes, each with
its own pack; a summary, progress on stderr, and the worst exit code over the fleet."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from preflight.engine import stacks
from tests.conftest import SITES
from tests.paths import ROOT


def _fleet(stacks_dir: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", "fleet", "--stacks-dir", str(stacks_dir), "--jobs", "2", *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def _copy_sites(tmp_path: Path) -> Path:
    for site in SITES:
        shutil.copy(ROOT / "stacks" / f"Pulumi.{site}.yaml", tmp_path)
    return tmp_path


def test_a_fleet_with_an_invalid_stack_checks_the_others_and_exits_2(tmp_path):
    stacks_dir = _copy_sites(tmp_path)
    (stacks_dir / "Pulumi.broken.yaml").write_text("config:\n  imaging-landing-zone:siteCode: X\n", encoding="utf-8")
    done = _fleet(stacks_dir, "--mode", "preview")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "error: Pulumi.broken.yaml: line 2: imaging-landing-zone:siteCode:" in done.stderr
    progress = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == len(SITES) + 1  # one line per site when stderr is not a terminal
    summary = done.stdout.splitlines()
    assert summary[-1] == f"{len(SITES) + 1} site(s), 1 failing (1 could not be checked); exit code 2"
    rows = {cells[0]: cells[1] for cells in map(str.split, summary) if cells and cells[0] in {*SITES, "broken"}}
    assert rows == {**dict.fromkeys(SITES, "pass"), "broken": "ERROR"}


def test_a_fleet_exits_1_when_a_site_violates_and_reports_json(tmp_path):
    (tmp_path / "stacks").mkdir()
    stacks_dir = _copy_sites(tmp_path / "stacks")
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"gcp-kms-crypto-key-rotation": {"maxRotationDays": 60}}), encoding="utf-8")
    done = _fleet(stacks_dir, "--mode", "update", "--format", "json", "--no-progress", "--policy-config", str(config))
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    verdicts = {site["site"]: site["exitCode"] for site in document["sites"]}
    # A site violates 60 days where its keys rotate less often (Lausanne every 30 days, Utrecht every 90).
    rotations = {site: stacks.site_of(stacks.load(site, stacks_dir)).kms.rotation_days for site in SITES}
    assert 1 in verdicts.values()  # the example fleet has a site that violates it
    for site, days in rotations.items():
        assert verdicts[site] == (1 if days > 60 else 0), f"{site}: rotation {days} days, exit {verdicts[site]}"
    assert document["exitCode"] == 1
    assert not [line for line in done.stderr.splitlines() if line.startswith("[")]  # --no-progress
