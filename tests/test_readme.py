"""The README tells the truth: its component example runs, its args tables match the models,
and its quick start is the command CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from preflight import docs
from preflight.engine import capture

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_args_tables_match_the_models():
    assert docs.render(README) == README, "README args tables are stale: run `python -m preflight docs --write`"


def test_component_example_runs_and_builds_the_documented_children():
    example = next(
        block
        for block in re.findall(r"```python\n(.*?)```", README, re.S)
        if "ImageBucket(" in block and "imaging_landing_zone" not in block
    )

    def program() -> None:
        exec(compile(example, "README.md", "exec"), {})  # noqa: S102 (runs our own README example)

    resources = capture(program, project="p", stack="s", preview=False)
    names = {(r.type, r.name) for r in resources}
    assert ("gcp:storage/bucket:Bucket", "gva-images") in names
    assert ("gcp:storage/bucket:Bucket", "gva-images-access-logs") in names
    assert ("gcp:kms/cryptoKey:CryptoKey", "gva-kms-images") in names
    assert ("gcp:storage/bucketIAMMember:BucketIAMMember", "gva-images-viewer") in names
    assert ("gcp:compute/firewall:Firewall", "gva-firewall-deny-all-egress") in names
    assert ("gcp:compute/route:Route", "gva-network-to-ris-10-1-2-0-24") in names


def test_quick_start_test_command_is_what_ci_runs():
    quick_start = re.search(r"## Quick start.*?```sh\n(.*?)```", README, re.S).group(1).splitlines()
    assert len(quick_start) == 2
    assert quick_start[1] in (ROOT / ".ci" / "run").read_text()
    assert "-r requirements-dev.txt" in quick_start[0]


def test_policy_count_in_the_readme_is_the_pack_s():
    from imaging_policies import POLICIES

    assert f"{len(POLICIES)} policies, at least one per\ncontrol" in README
