"""The real paths: the Pulumi CLI with the policy pack, and a real GCP project.

Skipped with a reason where the CLI or credentials are missing; never faked.
"""

from __future__ import annotations

import json
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


@needs_gcp
@needs_cli
def test_pulumi_preview_finds_what_the_preflight_finds(tmp_path):
    """The same site, pack and policy config through the real engine and through the preflight: the
    same (policy, resource) findings. The config tightens rotation so that there is a finding to compare."""
    from preflight.engine import stacks
    from preflight.judge import check

    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"gcp-kms-crypto-key-rotation": {"maxRotationDays": 7}}), encoding="utf-8")
    events = tmp_path / "events.jsonl"
    env = {**os.environ, "PULUMI_BACKEND_URL": f"file://{tmp_path}", "PULUMI_CONFIG_PASSPHRASE": ""}
    subprocess.run(["pulumi", "stack", "select", "--create", "lausanne"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [
            "pulumi", "preview", "--stack", "lausanne", "--non-interactive",
            "--policy-pack", "policies", "--policy-pack-config", str(config), "--event-log", str(events),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    engine = set()
    for line in events.read_text(encoding="utf-8").splitlines():
        policy_event = json.loads(line).get("policyEvent")
        if policy_event:
            engine.add((policy_event["policyName"], policy_event.get("resourceUrn", "")))
    result = check.check_site(stacks.load("lausanne"), ("preview",), policy_config=json.loads(config.read_text()))
    preflight = {(f.policy, f.urn) for f in result.findings}
    assert engine, "the engine reported no policy event: the comparison would be vacuous"
    assert preflight == engine


@needs_gcp
@needs_cli
def test_the_bootstraps_preview_with_the_pack_and_its_exemptions_passes(tmp_path):
    """The bootstrap (separation of duties: custom roles, the grant-limited IAM-admin role, the deny policies,
    the components' state bucket and keys) through the real engine and the pack with its recorded exemptions:
    exit 0 and no mandatory finding. A refused deny permission or custom-role permission shows at its `up`."""
    bootstrap = ROOT / "bootstrap"
    env = {**os.environ, "PULUMI_BACKEND_URL": f"file://{tmp_path}", "PULUMI_CONFIG_PASSPHRASE": ""}
    subprocess.run(["pulumi", "stack", "select", "--create", "platform"], cwd=bootstrap, env=env, check=True)
    result = subprocess.run(
        [
            "pulumi", "preview", "--stack", "platform", "--non-interactive",
            "--policy-pack", str(ROOT / "policies"), "--policy-pack-config", str(bootstrap / "policy-config.json"),
        ],
        cwd=bootstrap,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mandatory" not in result.stdout
