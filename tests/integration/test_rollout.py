"""The fleet runner for real: ``python -m rollout preview`` through the Pulumi CLI with the policy pack,
on a local file backend. Skipped with a reason where the CLI or GCP credentials are missing; never faked."""

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
    pytest.mark.skipif(
        not (os.environ.get("GOOGLE_APPLICATION_CREDENTIALS") or os.environ.get("GOOGLE_OAUTH_ACCESS_TOKEN")),
        reason="no GCP credentials (GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_OAUTH_ACCESS_TOKEN)",
    ),
]


def test_a_real_preview_of_an_example_site_passes_the_pack(tmp_path):
    env = {**os.environ, "PULUMI_BACKEND_URL": f"file://{tmp_path}", "PULUMI_CONFIG_PASSPHRASE": ""}
    summary = tmp_path / "rollout.json"
    # a local backend has no site key: the provider is named explicitly (never the backend's default)
    argv = ["preview", "utrecht", "--secrets-provider", "passphrase", "--json", str(summary)]
    result = subprocess.run(
        [sys.executable, "-m", "rollout", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [site] = json.loads(summary.read_text())["sites"]
    assert site["status"] == "changes"  # a new stack: everything is to be created
    assert site["policyViolations"] == 0
