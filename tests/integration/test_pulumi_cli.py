"""The real paths: the Pulumi CLI with the policy pack, and a real GCP project.

Skipped with a reason where the CLI or credentials are missing; never faked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration

needs_cli = pytest.mark.skipif(shutil.which("pulumi") is None, reason="the Pulumi CLI is not on PATH")
needs_gcp = pytest.mark.skipif(
    not (os.environ.get("GOOGLE_APPLICATION_CREDENTIALS") or os.environ.get("GOOGLE_OAUTH_ACCESS_TOKEN")),
    reason="no GCP credentials (GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_OAUTH_ACCESS_TOKEN)",
)


@needs_gcp
@needs_cli
def test_pulumi_preview_with_the_policy_pack_passes(tmp_path):
    """`pulumi preview --policy-pack policies` on an example site with a local backend exits 0."""
    env = {**os.environ, "PULUMI_BACKEND_URL": f"file://{tmp_path}", "PULUMI_CONFIG_PASSPHRASE": ""}
    subprocess.run(["pulumi", "stack", "select", "--create", "utrecht"], cwd=ROOT, env=env, check=True)
    result = subprocess.run(
        ["pulumi", "preview", "--stack", "utrecht", "--policy-pack", "policies", "--non-interactive"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mandatory" not in result.stdout
