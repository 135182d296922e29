"""`plan` and `check --project DIR STACK`: any Pulumi Python project's program under the mock engine,
judged by the pack (resource controls; the site-completeness controls only when the stack is a site).
The bootstrap program (bootstrap/) is such a project. Through the CLI, as a user runs it."""

from __future__ import annotations

import json

import pytest

from tests.paths import ROOT
from tests.sites import preflight_cli

POLICY_CONFIG = "bootstrap/policy-config.json"


def test_the_bootstrap_passes_the_pack_with_its_recorded_exemptions():
    done = preflight_cli(
        "check", "--project", "bootstrap", "platform", "--policy-config", POLICY_CONFIG, "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    [site] = json.loads(done.stdout)["sites"]
    assert site["findings"] == []
    assert site["modes"] == ["preview", "update"]
    statuses = {c["control"]: c["status"] for c in site["controls"]}
    assert statuses["ORG-01"] == "not applicable"  # a site-completeness control: the bootstrap is no site
    assert statuses["ENC-01"] == "met"
    # every exemption is on its control's row, with its reason, never hidden behind a plain "met"
    details = {c["control"]: c["detail"] for c in site["controls"]}
    assert "exempted by the policy config: deploy-* (a site's deployer runs `pulumi up`" in details["IAM-04"]
    assert "exempted by the policy config: state (the Pulumi state is read and written" in details["NET-07"]


def test_without_its_exemptions_the_bootstrap_fails_naming_the_deployers_roles():
    done = preflight_cli("check", "--project", "bootstrap", "platform", "--mode", "update", "--format", "json")
    assert done.returncode == 1
    [site] = json.loads(done.stdout)["sites"]
    policies = {f["policy"] for f in site["findings"] if f["level"] == "mandatory"}
    # exactly the policies bootstrap/policy-config.json exempts something from, each with its reason
    exempted = json.loads((ROOT / "bootstrap" / "policy-config.json").read_text(encoding="utf-8"))
    assert policies == set(exempted)


def test_the_plan_of_another_project_names_that_project():
    done = preflight_cli("plan", "--project", "bootstrap", "platform", "--format", "json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert (plan["project"], plan["stack"]) == ("imaging-landing-zone-bootstrap", "platform")
    assert any(
        r["type"] == "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider" for r in plan["resources"]
    )


def test_this_repository_as_a_project_is_a_site():
    done = preflight_cli("plan", "--project", ".", "lausanne", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["project"] == "imaging-landing-zone"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(("check", "--project", "docs", "x"), "docs: no Pulumi.yaml; --project takes", id="not-a-project"),
        pytest.param(
            ("check", "--project", "bootstrap", "prod"),
            "no stack file bootstrap/Pulumi.prod.yaml (stacks of project imaging-landing-zone-bootstrap: platform)",
            id="unknown-stack",
        ),
        pytest.param(
            ("check", "--project", "bootstrap", "platform", "--stacks-dir", "stacks"),
            "--project reads the project's own stackConfigDir; drop --stacks-dir",
            id="with-stacks-dir",
        ),
        pytest.param(
            ("check", "lausanne", "--allow-other-stack"),
            "--allow-other-stack applies to --plan only",
            id="allow-other-stack-without-plan",
        ),
        pytest.param(
            ("check", "--project", "bootstrap", "--plan", "plan.json"),
            "--project runs a program; a --plan document names its own project and stack",
            id="with-plan",
        ),
    ],
)
def test_bad_project_input_is_one_line_and_exit_2(argv, message):
    done = preflight_cli(*argv)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_project_in_another_language_is_refused_with_the_way_to_judge_it(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: web\nruntime: nodejs\n", encoding="utf-8")
    done = preflight_cli("check", "--project", str(tmp_path), "dev")
    assert done.returncode == 2
    assert "runtime is 'nodejs'; only Python programs run under the offline mock engine" in done.stderr


def test_a_program_that_raises_is_a_program_failure_in_one_line(tmp_path):
    """Another team's program with a bug of its own (not a Pulumi error): exit 2, never read as a
    violation (exit 1), and the line names the exception and where it was raised."""
    (tmp_path / "Pulumi.yaml").write_text("name: broken\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n", encoding="utf-8")
    (tmp_path / "__main__.py").write_text("raise ValueError('no such region')\n", encoding="utf-8")
    done = preflight_cli("check", "--project", str(tmp_path), "dev", "--mode", "update")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "ValueError: no such region (at " in done.stderr
    assert "__main__.py:1)" in done.stderr
