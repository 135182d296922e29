"""``check --plan`` reads Pulumi's own records of a real site: ``pulumi stack export`` (a deployment,
version 3) and ``pulumi preview --json`` (a preview digest), besides the plan format.

The fixtures under ``tests/fixtures/pulumi/`` are written by hand in Pulumi's documented formats
(``apitype.DeploymentV3`` / ``ResourceV3``; the preview digest of ``pkg/backend/display/json.go``);
whole sites are then built from the example sites' stored form to check that a replayed record of a
compliant site passes and a weakened one fails."""

from __future__ import annotations

import json
from typing import Any

import pytest

from preflight.cli import main
from preflight.engine import plan as plan_module
from preflight.engine import stacks
from preflight.engine.runner import REDACTED, UNKNOWN, Resource
from preflight.engine.stacks import PROJECT
from preflight.judge import check
from preflight.judge import pack as judge_pack
from tests.paths import TESTS
from tests.plans import site_plan

FIXTURES = TESTS / "fixtures" / "pulumi"
ROOT_URN = f"urn:pulumi:lausanne::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-lausanne"


def test_a_stack_export_is_read_as_the_stored_state():
    document, resources = plan_module.read_file(FIXTURES / "stack-export.json")
    assert (document["project"], document["stack"], document["mode"]) == (PROJECT, "lausanne", "update")
    assert document["outputs"]["imageBucket"] == "chuv-imaging-lau-lau-images"
    assert [r.type for r in resources] == [
        "gcp:orgpolicy/policy:Policy",
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "gcp:monitoring/notificationChannel:NotificationChannel",
    ], "the root stack and the provider are the check's own"
    policy, grant, channel = resources
    assert policy.name == "lau-project-iam.disableServiceAccountKeyCreation"
    assert policy.outputs["name"] == "iam.disableServiceAccountKeyCreation"
    assert policy.id == "projects/chuv-imaging-lau/policies/iam.disableServiceAccountKeyCreation"
    assert policy.dependencies
    assert policy.provider.endswith("::3c7c0a45-8b51-4d5e-9a3f-1f2e3d4c5b6a")
    assert grant.outputs["bucket"] == "b/chuv-imaging-lau-lau-images"
    assert channel.inputs["sensitiveLabels"] == REDACTED == channel.outputs["sensitiveLabels"]


def test_a_preview_json_is_read_from_its_steps_new_state():
    document, resources = plan_module.read_file(FIXTURES / "preview.json")
    assert (document["stack"], document["mode"]) == ("lausanne", "preview")
    assert [r.name for r in resources] == ["lau-project-gcp.resourceLocations", "scratch"], "deletions left out"
    assert resources[1].inputs["kmsKeyName"] == UNKNOWN


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        pytest.param({"resources": []}, "neither a plan", id="neither"),
        pytest.param({"version": 2, "deployment": {"resources": []}}, "version: is 2; expected 3", id="old-export"),
        pytest.param(
            {"version": 3, "deployment": {"manifest": {}}}, "deployment.resources: missing", id="no-resources"
        ),
        pytest.param({"version": 3, "deployment": {"resources": []}}, "no pulumi:pulumi:Stack", id="no-root-stack"),
        pytest.param(
            {"version": 3, "deployment": {"resources": [{"urn": "u"}]}}, "resources[0].type: missing", id="no-type"
        ),
        pytest.param({"steps": [{"op": "same", "urn": "u"}]}, "steps[0].newState: missing", id="step-without-state"),
        pytest.param({"steps": [{"urn": "u"}]}, "steps[0].op: missing", id="step-without-op"),
    ],
)
def test_a_file_that_is_no_record_exits_2_naming_what_is_missing(tmp_path, capsys, document, reason):
    path = tmp_path / "record.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert main(["check", "--plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert reason in err
    assert len(err.splitlines()) == 1


def _state(r: Resource) -> dict[str, Any]:
    """A resource as ``apitype.ResourceV3`` (what ``pulumi stack export`` and preview steps hold)."""
    return {
        "urn": r.urn,
        "custom": r.custom,
        "id": r.id or "",
        "type": r.type,
        "inputs": r.inputs,
        "outputs": r.outputs,
        "parent": r.parent or ROOT_URN,
        "protect": r.protect,
        "retainOnDelete": r.retain_on_delete,
        "dependencies": r.dependencies,
        "propertyDependencies": r.property_dependencies,
        "provider": r.provider,
        "aliases": r.aliases,
        "additionalSecretOutputs": r.additional_secret_outputs,
    }


def _root() -> dict[str, Any]:
    return {"urn": ROOT_URN, "custom": False, "type": "pulumi:pulumi:Stack", "outputs": {"imageBucket": "b"}}


def _export(resources: list[Resource]) -> dict[str, Any]:
    states = [_root(), *(_state(r) for r in resources)]
    return {"version": 3, "deployment": {"manifest": {"version": "v3.210.0"}, "resources": states}}


def _preview(resources: list[Resource]) -> dict[str, Any]:
    steps = [{"op": "same", "urn": s["urn"], "newState": s} for s in [_root(), *(_state(r) for r in resources)]]
    return {"steps": steps, "changeSummary": {"same": len(steps)}}


def _weaken(resources: list[Resource]) -> list[Resource]:
    for r in resources:
        if r.name == "lau-project-iam.disableServiceAccountKeyCreation":
            r.outputs["spec"]["rules"][0]["enforce"] = "FALSE"
    return resources


@pytest.mark.parametrize("record", [_export, _preview], ids=["stack-export", "preview-json"])
def test_a_replayed_record_of_a_compliant_site_passes_and_a_weakened_one_fails(tmp_path, capsys, record):
    """What a site team with credentials runs to compare the offline verdict with the real one."""
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record(site_plan("lausanne", "update"))), encoding="utf-8")
    assert main(["check", "--plan", str(path), "--format", "json"]) == 0, capsys.readouterr().out[-2000:]
    capsys.readouterr()
    path.write_text(json.dumps(record(_weaken(site_plan("lausanne", "update")))), encoding="utf-8")
    assert main(["check", "--plan", str(path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    policies = {f["policy"] for site in report["sites"] for f in site["findings"]}
    assert policies == {"gcp-orgpolicy-disable-sa-key-creation"}


def test_the_plan_format_carries_the_stack_exports():
    document = plan_module.build(stacks.load("lausanne"), "update")
    assert document["outputs"]["imageBucket"] == "chuv-imaging-lau-lau-images"
    read, _ = plan_module.read(json.dumps(document), "plan.json")
    assert read["outputs"] == document["outputs"]


def test_the_root_stack_is_analysed_with_the_programs_exports(monkeypatch):
    """The engine analyses the root stack resource with the program's exports as its outputs."""
    roots: list[Resource] = []
    original = judge_pack.PackProcess._analyze_stack

    def spy(self, resources, provider):
        roots.extend(r for r in resources if r.type == "pulumi:pulumi:Stack")
        return original(self, resources, provider)

    monkeypatch.setattr(judge_pack.PackProcess, "_analyze_stack", spy)
    check.check_site(stacks.load("lausanne"), ("update",))
    assert [r.outputs["imageBucket"] for r in roots] == ["chuv-imaging-lau-lau-images"]
    assert roots[0].outputs["viewerMember"].startswith("serviceAccount:lau-viewer@")


@pytest.mark.parametrize(
    ("given", "modes"),
    [
        (None, ("preview", "update")),
        ("both", ("preview", "update")),
        ("all", ("preview", "update")),
        ("update", ("update",)),
        ("existing", ("update",)),
    ],
)
def test_check_runs_every_mode_a_site_meets_by_default(given, modes):
    from preflight.cli import _modes
    from preflight.engine.modes import MODES

    assert _modes(given) == modes
    assert set(modes) <= set(MODES)


@pytest.mark.parametrize("mode", ["update", "existing"])
def test_plan_prints_the_stored_form_in_update_mode(capsys, mode):
    """``existing``, the stored form's earlier name, is still accepted, with a note that it is ``update``."""
    assert main(["plan", "lausanne", "--mode", mode, "--format", "json"]) == 0
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert document["mode"] == "update"
    assert ("--mode existing is deprecated" in err) is (mode == "existing")
    names = {r["outputs"].get("name") for r in document["resources"] if r["type"] == "gcp:orgpolicy/policy:Policy"}
    assert "gcp.resourceLocations" in names
