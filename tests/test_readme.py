"""The README tells the truth: its component example runs, its args tables match the models,
and its quick start is the command CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from preflight.catalogue import docs
from preflight.engine.runner import capture

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_args_tables_match_the_models():
    assert docs.render(README) == README, "README args tables are stale: run `python -m preflight docs --write`"


@pytest.mark.parametrize(
    ("model", "field", "shown"),
    [
        pytest.param("SiteKeysArgs", "rotation_days", "RotationDays", id="a-bare-contract-type"),
        pytest.param("BucketNetworkAccess", "vpc_cidrs", "list[Cidr]", id="inside-a-list"),
        pytest.param("BucketNetworkAccess", "public_cidrs", "list[PublicCidr]", id="inside-a-constrained-list"),
        pytest.param("ImageBucketArgs", "retention_days", "ObjectRetentionDays \\| None", id="optional"),
        pytest.param("SecurityAlertsArgs", "emails", "dict[StableName, NotificationEmail]", id="keys-and-values"),
        pytest.param("PacsFederationArgs", "subject", "OidcSubject", id="the-oidc-subject"),
        pytest.param("ViewerEndpointArgs", "iap_groups", "list[GroupEmail]", id="group-emails"),
        pytest.param("SiteKeysArgs", "project", "str", id="a-plain-string-stays-str"),
    ],
)
def test_args_tables_name_the_contract_types(model, field, shown):
    """A reader sees which rule a field follows (``Cidr``, not ``str``): the contract's aliases by name."""
    assert f"| `{field}` | `{shown}` |" in docs.args_table(docs.MODELS[model])


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
