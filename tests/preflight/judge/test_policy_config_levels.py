"""What a policy config may do to the verdict, and what the reports say about it:

- lowering a mandatory policy (``advisory`` or ``disabled``, by its own key or by ``all``) needs a recorded
  ``levelReason`` in that policy's config; without one the check refuses the config (exit 2, one line naming
  the policy and the key), and with one every report shows it. The pack cannot refuse it itself: the engine
  applies enforcement levels and never tells a policy its own;
- an ``exempt`` entry that hides what a policy found makes the control not applicable (exempted), never met,
  never "nothing of the kinds its policies judge"; its reason is a sentence (20 characters or more).

Through the command line, on plan documents of Lausanne changed in one place (no program run)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from preflight.cli import main
from preflight.engine import plan, stacks
from preflight.judge.check import unreasoned_lowering
from preflight.judge.pack import PolicyInfo
from tests.paths import ROOT

CONTROLS = ("ENC-04", "ORG-11")

ROTATION = "gcp-kms-crypto-key-rotation"
DOMAINS = "gcp-orgpolicy-allowed-member-domains"
REASON = "the vendor rotates this key by hand once a year, change ticket SEC-1042"


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Lausanne's update plan as it is, with every key rotated yearly (ENC-04 violated), and with its
    project's allowedPolicyMemberDomains policy allowing every domain (ORG-11 violated)."""
    directory = tmp_path_factory.mktemp("plans")
    document = plan.build(stacks.load("lausanne"), "update")
    keys = copy.deepcopy(document)
    for r in keys["resources"]:
        if r["type"] == "gcp:kms/cryptoKey:CryptoKey":
            for side in ("inputs", "outputs"):
                r[side]["rotationPeriod"] = "31536000s"
    domains = copy.deepcopy(document)
    for r in domains["resources"]:
        if r["name"] == "lau-project-iam.allowedPolicyMemberDomains":
            for side in ("inputs", "outputs"):
                r[side]["spec"]["rules"] = [{"allowAll": "TRUE"}]
    files = {}
    for name, doc in (("clean", document), ("keys", keys), ("domains", domains)):
        files[name] = directory / f"{name}.json"
        files[name].write_text(json.dumps(doc), encoding="utf-8")
    return files


def _check(
    plan_file: Path, config: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any], str]:
    """Exit code, the control rows by id (JSON report) and stderr."""
    config_file = tmp_path / "policy-config.json"
    config_file.write_text(json.dumps(config), encoding="utf-8")
    code = main(["check", "--plan", str(plan_file), "--policy-config", str(config_file), "--format", "json"])
    captured = capsys.readouterr()
    rows = {}
    if captured.out.strip():
        [site] = json.loads(captured.out)["sites"]
        rows = {row["control"]: row for row in site["controls"]}
    return code, rows, captured.err


# -- lowering a mandatory policy ---------------------------------------------------------------------


def test_disabling_a_mandatory_policy_without_a_reason_is_refused_naming_the_policy_and_the_key(
    plans, tmp_path, capsys
):
    code, rows, err = _check(plans["keys"], {ROTATION: "disabled"}, tmp_path, capsys)
    assert (code, rows) == (2, {})
    [line] = err.strip().splitlines()
    assert f"{ROTATION}: sets the mandatory policy {ROTATION} (ENC-04) to disabled with no recorded reason" in line
    assert f"{ROTATION}.levelReason" in line


def test_disabling_every_policy_with_all_is_refused_naming_the_all_key(plans, tmp_path, capsys):
    code, _, err = _check(plans["keys"], {"all": "disabled"}, tmp_path, capsys)
    [line] = err.strip().splitlines()
    assert code == 2
    assert " all: sets the mandatory policy " in line
    assert "more mandatory policies" in line


def test_demoting_every_policy_to_advisory_with_all_is_refused(plans, tmp_path, capsys):
    code, _, err = _check(plans["keys"], {"all": "advisory"}, tmp_path, capsys)
    assert code == 2
    assert "to advisory with no recorded reason" in err


def test_demoting_a_policy_in_its_object_is_refused_naming_its_enforcement_level_key(plans, tmp_path, capsys):
    code, _, err = _check(plans["keys"], {ROTATION: {"enforcementLevel": "advisory"}}, tmp_path, capsys)
    assert code == 2
    assert f"{ROTATION}.enforcementLevel: sets the mandatory policy" in err


def test_a_level_reason_shorter_than_a_sentence_is_refused(plans, tmp_path, capsys):
    config = {ROTATION: {"enforcementLevel": "disabled", "levelReason": "legacy key"}}
    code, _, err = _check(plans["keys"], config, tmp_path, capsys)
    assert code == 2
    assert "levelReason: a recorded reason is a sentence: 20 characters or more, got 'legacy key'" in err


def test_a_demotion_with_its_reason_is_accepted_and_the_row_shows_the_reason(plans, tmp_path, capsys):
    config = {ROTATION: {"enforcementLevel": "advisory", "levelReason": REASON}}
    code, rows, _ = _check(plans["keys"], config, tmp_path, capsys)
    assert code == 0
    assert rows["ENC-04"]["verdict"] == "advisory findings"
    assert f"{ROTATION} set to advisory by the policy config: {REASON}" in rows["ENC-04"]["detail"]


def test_a_disabled_policy_with_its_reason_is_not_applicable_with_that_reason(plans, tmp_path, capsys):
    config = {ROTATION: {"enforcementLevel": "disabled", "levelReason": REASON}}
    code, rows, _ = _check(plans["keys"], config, tmp_path, capsys)
    assert code == 0
    assert rows["ENC-04"]["status"] == "not applicable"
    assert f"{ROTATION} set to disabled by the policy config: {REASON}" in rows["ENC-04"]["detail"]


@pytest.mark.parametrize("level", ["mandatory", "remediate"])
def test_keeping_a_policy_mandatory_needs_no_reason(plans, tmp_path, capsys, level):
    code, rows, _ = _check(plans["keys"], {ROTATION: level}, tmp_path, capsys)
    assert code == 1
    assert rows["ENC-04"]["status"] == "violated"


def _info(name: str, level: str = "mandatory") -> PolicyInfo:
    return PolicyInfo(name, "", level, "high", "ENC-04", "", {})


def test_the_refusal_names_the_first_lowered_policy_and_counts_the_others():
    policies = [_info("a"), _info("b"), _info("c", "advisory")]
    reconciled = {"a": ("disabled", {}), "b": ("disabled", {}), "c": ("disabled", {})}
    line = unreasoned_lowering(policies, {"all": "disabled"}, reconciled)
    assert line is not None
    assert line.startswith("all: sets the mandatory policy a (ENC-04) to disabled")
    assert "(and 1 more mandatory policies)" in line  # c is advisory by the pack's own declaration


def test_a_lowering_with_its_reason_passes():
    reconciled = {"a": ("advisory", {"levelReason": REASON})}
    assert unreasoned_lowering([_info("a")], {"a": {"enforcementLevel": "advisory"}}, reconciled) is None


def test_the_deploy_workflow_passes_no_policy_config_to_the_engine():
    """Under the engine, a policy config lowers levels unchecked (the pack never sees its level): the deploy
    workflow runs the pack with its own levels. A config added there must first pass the check's rule
    (``check --policy-config``), and this test must then run it through ``unreasoned_lowering``."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8"))
    steps = [step for job in workflow["jobs"].values() for step in job.get("steps", [])]
    pulumi = [step for step in steps if str(step.get("uses", "")).startswith("pulumi/actions")]
    assert pulumi
    assert all("policyPackConfigs" not in (step.get("with") or {}) for step in pulumi)
    runs = "\n".join(str(step.get("run", "")) for step in steps)
    assert "--policy-pack-config" not in runs


# -- exemptions -------------------------------------------------------------------------------------


def test_a_violated_stack_control_whose_findings_are_all_exempted_is_not_applicable_never_met(plans, tmp_path, capsys):
    config = {DOMAINS: {"exempt": {"lau-project-iam.*": REASON}}}
    code, rows, _ = _check(plans["domains"], config, tmp_path, capsys)
    assert code == 0
    row = rows["ORG-11"]
    assert (row["status"], row["verdict"]) == ("not applicable", "exempted")
    assert row["detail"].startswith("exempted: ")
    assert REASON in row["detail"]


def test_without_the_exemption_the_same_stack_control_is_violated(plans, tmp_path, capsys):
    code, rows, _ = _check(plans["domains"], {}, tmp_path, capsys)
    assert code == 1
    assert rows["ORG-11"]["status"] == "violated"


def test_a_resource_control_whose_findings_are_all_exempted_is_not_applicable_not_nothing_of_the_kinds(
    plans, tmp_path, capsys
):
    config = {ROTATION: {"exempt": {"lau-*": REASON}}}
    code, rows, _ = _check(plans["keys"], config, tmp_path, capsys)
    assert code == 0
    row = rows["ENC-04"]
    assert (row["status"], row["verdict"]) == ("not applicable", "exempted")
    assert "nothing of the kinds" not in row["detail"]
    assert REASON in row["detail"]


def test_an_exemption_that_hides_nothing_leaves_the_control_met_and_shows_it(plans, tmp_path, capsys):
    config = {DOMAINS: {"exempt": {"lau-project-iam.*": REASON}}}
    code, rows, _ = _check(plans["clean"], config, tmp_path, capsys)
    assert code == 0
    assert rows["ORG-11"]["status"] == "met"
    assert f"exempted by the policy config: lau-project-iam.* ({REASON})" in rows["ORG-11"]["detail"]


def test_an_exemption_with_a_one_character_reason_is_refused(plans, tmp_path, capsys):
    code, _, err = _check(plans["domains"], {DOMAINS: {"exempt": {"lau-project-iam.*": "x"}}}, tmp_path, capsys)
    assert code == 2
    [line] = err.strip().splitlines()
    assert "exempt.lau-project-iam.*: a recorded reason is a sentence: 20 characters or more, got 'x'" in line
