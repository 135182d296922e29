"""The procedures' real Pulumi CLI paths on a local file backend (no cloud credentials needed): the login
check and ``rollout retire`` of a site whose stack holds nothing. Skipped with the reason where the
Pulumi CLI is missing; never faked (``tests/test_site_procedures.py`` drives them through the seam)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("pulumi") is None, reason="the Pulumi CLI is not on PATH"),
]


def _env(tmp_path: Path) -> dict[str, str]:
    backend = tmp_path / "backend"
    backend.mkdir(exist_ok=True)
    return {**os.environ, "PULUMI_BACKEND_URL": f"file://{backend}", "PULUMI_CONFIG_PASSPHRASE": "integration"}


def test_the_real_cli_answers_whoami_for_the_backend_and_up_with_no_site_refuses(tmp_path):
    from rollout import pulumi_ops

    env = _env(tmp_path)
    user = pulumi_ops.check_backend(env["PULUMI_BACKEND_URL"], work_dir=ROOT)
    assert user
    refused = subprocess.run(
        [sys.executable, "-m", "rollout", "up"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: no site named")


def test_retire_removes_an_empty_stack_with_the_real_cli(tmp_path):
    """In a copy of the repository: `pulumi stack init` writes the stack file's encryption salt."""
    from tests.test_site_procedures import _copy_repository

    env = _env(tmp_path)
    repo = _copy_repository(tmp_path / "repo")
    subprocess.run(
        ["pulumi", "stack", "init", "utrecht", "--secrets-provider", "passphrase", "--non-interactive"],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [sys.executable, "-m", "rollout", "retire", "utrecht"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not (repo / "stacks" / "Pulumi.utrecht.yaml").exists()
    record = json.loads((repo / "retired" / "utrecht" / "retirement.json").read_text(encoding="utf-8"))
    assert record["kept"] == []
    listed = subprocess.run(
        ["pulumi", "stack", "ls", "--json"], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    assert "utrecht" not in listed.stdout
