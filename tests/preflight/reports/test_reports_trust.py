"""Reports a reviewer can trust, through the CLI as a user runs it: a site that could not be checked
is a failing row in every format, the exit code is the worst over the sites and in every report,
findings are counted once across modes, fix texts carry the configured values, a plan is judged only
with the stack it was made for, and the help states every default as the README does."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from preflight.cli import _parser, option_defaults
from tests.paths import ROOT
from tests.sites import SITES

ROTATION = "gcp-kms-crypto-key-rotation"


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "preflight", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=600
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture(scope="module")
def broken_fleet(tmp_path_factory):
    """The example sites and one stack file with a wrong site code, as a PR that breaks one site does."""
    tmp = tmp_path_factory.mktemp("fleet")
    stacks_dir = tmp / "stacks"
    stacks_dir.mkdir()
    for site in SITES:
        shutil.copy(ROOT / "stacks" / f"Pulumi.{site}.yaml", stacks_dir)
    broken = (
        (ROOT / "stacks" / "Pulumi.lausanne.yaml").read_text(encoding="utf-8").replace("siteCode: lau", "siteCode: X")
    )
    (stacks_dir / "Pulumi.broken.yaml").write_text(broken, encoding="utf-8")
    reports = {fmt: tmp / f"report.{fmt}" for fmt in ("json", "sarif", "markdown")}
    flags = [f"--report={fmt}={path}" for fmt, path in reports.items()]
    done = _run("fleet", "--stacks-dir", str(stacks_dir), "--jobs", "2", "--mode", "update", "--no-progress", *flags)
    return done, {fmt: path.read_text(encoding="utf-8") for fmt, path in reports.items()}


def test_a_broken_site_fails_the_fleet_summary_with_its_reason(broken_fleet):
    done, _ = broken_fleet
    assert done.returncode == 2
    rows = {cells[0]: cells for cells in map(str.split, done.stdout.splitlines()) if cells}
    assert rows["broken"][1] == "ERROR"
    assert "imaging-landing-zone:siteCode: must be 3-12" in done.stdout
    assert {rows[site][1] for site in SITES} == {"pass"}
    assert done.stdout.splitlines()[-1] == f"{len(SITES) + 1} site(s), 1 failing (1 could not be checked); exit code 2"


def test_a_broken_site_is_in_the_json_with_its_exit_code_and_errors(broken_fleet):
    _, reports = broken_fleet
    document = json.loads(reports["json"])
    assert document["exitCode"] == 2
    sites = {site["site"]: site for site in document["sites"]}
    assert set(sites) == {*SITES, "broken"}
    assert sites["broken"]["exitCode"] == 2
    text = (ROOT / "stacks" / "Pulumi.lausanne.yaml").read_text(encoding="utf-8")
    line = next(n for n, source in enumerate(text.splitlines(), start=1) if "siteCode: lau" in source)
    assert sites["broken"]["errors"][0].startswith(
        f"Pulumi.broken.yaml: line {line}: imaging-landing-zone:siteCode: must be"
    )
    assert sites["broken"]["stackFile"].endswith("stacks/Pulumi.broken.yaml")
    assert all(sites[site]["exitCode"] == 0 and sites[site]["errors"] == [] for site in SITES)


def test_a_broken_site_is_a_failing_row_in_the_markdown(broken_fleet):
    _, reports = broken_fleet
    markdown = reports["markdown"]
    assert "Exit code 2." in markdown
    assert re.search(r"^\| broken \| \*\*ERROR\*\*: not checked \| .*siteCode", markdown, re.M)
    assert "## Compliance matrix: broken" in markdown
    assert "**could not be checked** (exit code 2)" in markdown
    # The fleet matrix counts the checked sites only and says so: the broken site is never counted as met.
    assert f"### Controls over {len(SITES)} checked sites" in markdown


def test_a_broken_site_is_an_error_in_the_sarif_at_its_stack_file(broken_fleet):
    _, reports = broken_fleet
    [run] = json.loads(reports["sarif"])["runs"]
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["exitCode"] == 2
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    [result] = [r for r in run["results"] if r["ruleId"] == "preflight-site-not-checked"]
    assert result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("stacks/Pulumi.broken.yaml")
    lines = (ROOT / "stacks" / "Pulumi.lausanne.yaml").read_text(encoding="utf-8").splitlines()
    assert location["region"]["startLine"] == 1 + next(i for i, line in enumerate(lines) if "siteCode:" in line)
    assert "siteCode" in result["message"]["text"]
    rules = run["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == "preflight-site-not-checked"


@pytest.fixture(scope="module")
def strict_rotation(tmp_path_factory):
    """Utrecht's keys rotate every 90 days; the organisation's config asks for 30: a violation per
    key, reported in both modes."""
    tmp = tmp_path_factory.mktemp("strict")
    config = tmp / "policy-config.json"
    config.write_text(json.dumps({ROTATION: {"maxRotationDays": 30}}), encoding="utf-8")
    sarif = tmp / "check.sarif"
    json_report = tmp / "check.json"
    done = _run(
        "check", "utrecht", "--policy-config", str(config), f"--report=sarif={sarif}", f"--report=json={json_report}"
    )
    return done, json.loads(json_report.read_text()), json.loads(sarif.read_text())


def test_findings_in_both_modes_are_counted_once(strict_rotation):
    done, document, sarif = strict_rotation
    assert done.returncode == 1
    [site] = document["sites"]
    rotation = [f for f in site["findings"] if f["policy"] == ROTATION]
    keys = {f["resourceName"] for f in rotation}
    assert len(keys) == 2  # images and logs: one finding each, not one per mode
    assert len(rotation) == len(keys)
    assert all(f["modes"] == ["preview", "update"] for f in rotation)
    assert f"  {len(rotation)} mandatory violation(s)" in done.stdout.splitlines()
    [run] = sarif["runs"]
    results = [r for r in run["results"] if r["ruleId"] == ROTATION]
    assert len(results) == len(keys)
    assert len({r["partialFingerprints"]["imagingFinding/v1"] for r in results}) == len(keys)
    assert all(r["properties"]["modes"] == ["preview", "update"] for r in results)
    assert "preview + update" in done.stdout


def test_the_fix_text_carries_the_configured_bound(strict_rotation):
    done, document, sarif = strict_rotation
    [finding, *_] = [f for f in document["sites"][0]["findings"] if f["policy"] == ROTATION]
    assert "30 days" in finding["message"]
    assert finding["remediation"].startswith("Set rotationPeriod to at most 30 days")
    assert "fix: Set rotationPeriod to at most 30 days" in done.stdout
    [rule] = [r for r in sarif["runs"][0]["tool"]["driver"]["rules"] if r["id"] == ROTATION]
    assert rule["help"]["text"].startswith("Set rotationPeriod to at most 30 days")


@pytest.fixture(scope="module")
def lausanne_plan(tmp_path_factory):
    path = tmp_path_factory.mktemp("plan") / "lausanne.json"
    done = _run("plan", "lausanne", "--format", "json")
    assert done.returncode == 0, done.stderr
    path.write_text(done.stdout, encoding="utf-8")
    return path


def test_a_plan_of_another_stack_is_refused_unless_allowed(lausanne_plan, tmp_path):
    # A reviewer passes lausanne's plan but names utrecht: utrecht's config would judge lausanne's resources.
    done = _run("check", "--plan", str(lausanne_plan), "utrecht")
    assert done.returncode == 2
    assert done.stderr == (
        f"error: {lausanne_plan}: the plan was made for stack 'lausanne', not 'utrecht'; drop SITE to judge it "
        "with its own stack's config, or judge it with 'utrecht''s with --allow-other-stack\n"
    )
    allowed = _run("check", "--plan", str(lausanne_plan), "utrecht", "--allow-other-stack", "--format", "sarif")
    assert allowed.returncode in (0, 1), allowed.stderr
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(allowed.stdout)["runs"][0]["results"]
    }
    assert uris <= {"stacks/Pulumi.utrecht.yaml"}


def test_a_plan_of_another_project_is_refused(lausanne_plan, tmp_path):
    document = json.loads(lausanne_plan.read_text())
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**document, "project": "payroll"}), encoding="utf-8")
    done = _run("check", "--plan", str(other))
    assert done.returncode == 2
    assert "the plan was made for project 'payroll', not 'imaging-landing-zone'" in done.stderr


def test_a_plan_is_judged_with_its_own_stack_and_counts_as_plan_does(lausanne_plan):
    done = _run("check", "--plan", str(lausanne_plan), "--format", "json")
    assert done.returncode == 0, done.stderr
    [site] = json.loads(done.stdout)["sites"]
    assert site["stackFile"] == "stacks/Pulumi.lausanne.yaml"
    planned = len(json.loads(lausanne_plan.read_text())["resources"])
    assert site["resources"] == {"update": planned}
    table = _run("plan", "lausanne").stdout.splitlines()[0]
    assert table.endswith(f": {planned} resources")


def test_check_understands_a_stack_file_name():
    done = _run("check", "stacks/Pulumi.lausanne.yaml", "--mode", "update")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("lausanne (stacks/Pulumi.lausanne.yaml; update ")


def test_every_option_states_its_default_and_the_reference_table_matches():
    rows = option_defaults()
    assert all(default for _, _, default in rows), [r for r in rows if not r[2]]
    reference = (ROOT / "docs" / "check.md").read_text(encoding="utf-8")
    table = re.search(r"\| command \| option \| default \|\n\|---\|---\|---\|\n((?:\|.*\|\n)+)", reference)
    assert table, "docs/check.md: the options table is missing"
    documented = [tuple(c.strip().strip("`") for c in line.strip("|").split("|")) for line in table[1].splitlines()]
    assert documented == rows


def test_the_stated_defaults_are_the_parser_s():
    sub = next(a for a in _parser()._actions if a.dest == "command")
    for command, option, stated in option_defaults():
        action = next(a for a in sub.choices[command]._actions if option in a.option_strings)
        if isinstance(action.default, str | int | float) and not isinstance(action.default, bool):
            assert stated == f"{action.default:g}" if isinstance(action.default, float) else str(action.default)
        elif option == "--mode":
            # None means every mode in turn for check and fleet, the first update for plan
            assert stated == ("update" if command == "plan" else "both")


@pytest.mark.parametrize("command", ["check", "fleet", "schema", "docs", "plan", "netcheck", "new-site"])
def test_every_command_has_a_description(command):
    sub = next(a for a in _parser()._actions if a.dest == "command")
    assert sub.choices[command].description, command


def test_the_pack_version_agrees_with_the_framework_it_cites():
    from imaging_policies._registry import FRAMEWORK_VERSION

    # The pack's major.minor is the control catalogue's version it implements; the patch counts the
    # pack's own fixes within it.
    version = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())["version"]
    assert version.rsplit(".", maxsplit=1)[0] == FRAMEWORK_VERSION


def test_a_terminal_shows_the_fleet_s_progress_at_once(tmp_path):
    shutil.copy(ROOT / "stacks" / "Pulumi.lausanne.yaml", tmp_path)
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "preflight", "fleet", "--stacks-dir", str(tmp_path), "--mode", "update"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=terminal,
    )
    os.close(terminal)
    try:
        started = time.monotonic()
        ready, _, _ = select.select([controller], [], [], 30)
        assert ready, "no progress on the terminal"
        first = os.read(controller, 4096).decode()
        assert "0/1 sites" in first
        assert "checking lausanne" in first
        # Long before the site is done: the bar is drawn before the imports and the first program.
        assert time.monotonic() - started < 30
    finally:
        process.wait(timeout=600)
        os.close(controller)
    assert process.returncode == 0


def test_check_of_a_broken_site_still_writes_the_reports_a_ci_job_keeps(tmp_path):
    stacks_dir = tmp_path / "stacks"
    stacks_dir.mkdir()
    text = (ROOT / "stacks" / "Pulumi.lausanne.yaml").read_text(encoding="utf-8")
    (stacks_dir / "Pulumi.bern.yaml").write_text(
        text.replace("rotationDays: 30", "rotationDays: 365"), encoding="utf-8"
    )
    report = tmp_path / "check.json"
    done = _run("check", "bern", "--stacks-dir", str(stacks_dir), f"--report=json={report}")
    assert done.returncode == 2
    assert done.stdout == ""  # the table's content is the error on stderr
    line = next(n for n, text in enumerate(text.splitlines(), start=1) if "rotationDays: 30" in text)
    problem = f"Pulumi.bern.yaml: line {line}: imaging-landing-zone:kms.rotationDays: must be at most 90, got 365"
    assert done.stderr == f"error: {problem}\n"
    document = json.loads(report.read_text())
    assert document["exitCode"] == 2
    assert document["sites"][0]["errors"] == [problem]
