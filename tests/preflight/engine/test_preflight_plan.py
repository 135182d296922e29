"""``python -m preflight plan``: the documented JSON plan of each example site, in both modes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from preflight.cli import SCHEMA_FILE, schema_text
from preflight.engine.plan import FORMAT
from preflight.engine.runner import UNKNOWN
from tests.conftest import SITES
from tests.paths import ROOT


def _plan(site: str, *flags: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "preflight", "plan", site, "--format", "json", *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture(
    scope="module", params=[(s, m) for s in SITES for m in ("preview", "update")], ids=lambda p: f"{p[0]}-{p[1]}"
)
def plan(request):
    site, mode = request.param
    return _plan(site, *(["--preview"] if mode == "preview" else []))


def _one(plan: dict, type_: str, name_suffix: str) -> dict:
    found = [r for r in plan["resources"] if r["type"] == type_ and r["name"].endswith(name_suffix)]
    assert len(found) == 1, [r["name"] for r in found]
    return found[0]


def test_plan_json_shows_the_foundation(plan):
    assert plan["format"] == FORMAT
    assert plan["project"] == "imaging-landing-zone"
    ring = _one(plan, "gcp:kms/keyRing:KeyRing", "-kms")
    assert ring["options"]["protect"] is True
    for data_class in ("images", "logs"):
        assert _one(plan, "gcp:kms/cryptoKey:CryptoKey", f"-kms-{data_class}")["options"]["protect"] is True
    bucket = _one(plan, "gcp:storage/bucket:Bucket", "-images")
    grant = _one(plan, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "-images-agent-key")
    assert grant["urn"] in bucket["options"]["dependencies"]
    assert bucket["inputs"]["publicAccessPrevention"] == "enforced"
    assert bucket["inputs"]["logging"]["logBucket"].endswith("-access-logs")
    assert _one(plan, "gcp:storage/bucket:Bucket", "-access-logs")["options"]["protect"] is True
    assert {
        r["inputs"]["role"] for r in plan["resources"] if r["type"] == "gcp:storage/bucketIAMMember:BucketIAMMember"
    } == {"roles/storage.objectViewer", "roles/storage.objectCreator"}
    assert any(
        r["inputs"]["member"].startswith("group:")
        for r in plan["resources"]
        if r["type"] == "gcp:storage/bucketIAMMember:BucketIAMMember"
    )


def test_preview_mode_marks_computed_values_unknown():
    preview, update = _plan("utrecht", "--preview"), _plan("utrecht")

    def key_in(plan: dict) -> str:
        return _one(plan, "gcp:storage/bucket:Bucket", "-images")["inputs"]["encryption"]["defaultKmsKeyName"]

    def url_map_in(plan: dict) -> str:
        return _one(plan, "gcp:compute/targetHttpsProxy:TargetHttpsProxy", "-https-proxy")["inputs"]["urlMap"]

    assert url_map_in(preview) == UNKNOWN
    assert url_map_in(update) not in (UNKNOWN, None)
    # a key id is formed from config (SiteKeys, docs/adr/0026): the same in a first preview as after update
    key = "projects/umcu-imaging-utr/locations/europe-west4/keyRings/utr-imaging/cryptoKeys/utr-images"
    assert key_in(preview) == key_in(update) == key
    assert _one(preview, "gcp:storage/bucket:Bucket", "-images")["id"] is None


def test_table_lists_every_resource_under_its_parent():
    result = subprocess.run(
        [sys.executable, "-m", "preflight", "plan", "utrecht"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "imaging-landing-zone / utrecht (update mode): 108 resources"
    assert "  utr  imaging:site:ImagingSite" in lines
    assert "      utr-kms-images  gcp:kms/cryptoKey:CryptoKey  [protected]" in lines


def test_stack_file_schema_is_current():
    assert (ROOT / SCHEMA_FILE).read_text(encoding="utf-8") == schema_text(), (
        "stacks/site-config.schema.json is stale: run `python -m preflight schema --write`"
    )


def test_example_stack_files_match_the_schema():
    import jsonschema
    import yaml

    schema = json.loads((ROOT / SCHEMA_FILE).read_text())
    for site in SITES:
        jsonschema.validate(yaml.safe_load((ROOT / "stacks" / f"Pulumi.{site}.yaml").read_text()), schema)


def test_pulumi_yaml_declares_the_scalar_site_keys():
    import yaml

    from program.config import NAMESPACE, SiteConfig

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    scalars = {f"{NAMESPACE}:{f.alias}" for f in SiteConfig.model_fields.values() if f.annotation is str}
    assert set(declared) == scalars
    assert all(entry["type"] == "string" for entry in declared.values())


def test_a_closed_pipe_ends_the_plan_quietly():
    result = subprocess.run(  # noqa: S602 (a shell pipe is the point of the test)
        f"{sys.executable} -m preflight plan lausanne | head -1",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.startswith("imaging-landing-zone / lausanne")
    assert result.stderr == ""


def test_a_program_run_leaves_no_event_loop_for_the_garbage_collector():
    """The cause of the closed-pipe test's rare failure: the Pulumi runtime's event loops (the main
    thread's and one per executor thread) were never closed, so the garbage collector closed them at
    interpreter exit, after their sockets were finalised ("Invalid file descriptor: -1"). An open
    loop is reported as a ResourceWarning when it is collected: there must be none."""
    result = subprocess.run(
        [sys.executable, "-W", "always::ResourceWarning", "-m", "preflight", "plan", "lausanne"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "unclosed event loop" not in result.stderr
    assert result.stderr == ""
