"""A report never overwrites an input of the run: ``--output`` and ``--report FORMAT=FILE`` naming a stack
file, the ``--plan`` document, the ``--policy-config`` file or an ``--evidence`` report (by any path: a
symlink, a hard link, ``..``) are refused before anything runs (exit 2, one line), and so are two reports
to one file. The inputs stay as they were."""

from __future__ import annotations

import os

import pytest

from preflight.cli import main
from tests.paths import ROOT

STACK = ROOT / "stacks" / "Pulumi.lausanne.yaml"


@pytest.fixture
def stack_text() -> str:
    return STACK.read_text(encoding="utf-8")


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.strip().splitlines()
    return line


def test_output_over_the_stack_file_being_checked_is_refused(capsys, stack_text):
    line = _refused(["check", "lausanne", "--output", str(STACK)], capsys)
    assert line.startswith(f"error: --output {STACK}: is the stack file being checked")
    assert STACK.read_text(encoding="utf-8") == stack_text


def test_a_report_over_another_site_s_stack_file_is_refused(capsys):
    other = ROOT / "stacks" / "Pulumi.utrecht.yaml"
    line = _refused(["check", "lausanne", "--report", f"html={other}"], capsys)
    assert f"--report html {other}: is a stack file" in line


def test_output_through_a_symlink_to_the_stack_file_is_refused(capsys, tmp_path, stack_text):
    link = tmp_path / "report.json"
    link.symlink_to(STACK)
    line = _refused(["check", "lausanne", "--format", "json", "--output", str(link)], capsys)
    assert "is the stack file being checked" in line
    assert STACK.read_text(encoding="utf-8") == stack_text


def test_output_through_a_relative_path_to_the_stack_file_is_refused(capsys, tmp_path):
    roundabout = ROOT / "stacks" / ".." / "stacks" / STACK.name
    assert "is the stack file being checked" in _refused(["check", "lausanne", "--output", str(roundabout)], capsys)


def test_output_over_a_hard_link_of_the_policy_config_is_refused(capsys, tmp_path):
    config = tmp_path / "policy-config.json"
    config.write_text("{}", encoding="utf-8")
    linked = tmp_path / "also.json"
    os.link(config, linked)
    line = _refused(["check", "lausanne", "--policy-config", str(config), "--output", str(linked)], capsys)
    assert "is the --policy-config file" in line
    assert config.read_text(encoding="utf-8") == "{}"


def test_a_report_over_the_plan_document_is_refused(capsys, tmp_path):
    document = tmp_path / "plan.json"
    document.write_text("{}", encoding="utf-8")
    line = _refused(["check", "--plan", str(document), "--report", f"sarif={document}"], capsys)
    assert "is the --plan document" in line
    assert document.read_text(encoding="utf-8") == "{}"


def test_a_report_over_an_evidence_file_is_refused(capsys, tmp_path):
    report = tmp_path / "netcheck-lausanne.json"
    report.write_text("{}", encoding="utf-8")
    line = _refused(["check", "lausanne", "--evidence", str(report), "--report", f"markdown={report}"], capsys)
    assert "is an --evidence report" in line


def test_two_reports_to_one_file_are_refused(capsys, tmp_path):
    target = tmp_path / "preflight.md"
    line = _refused(["check", "lausanne", "--output", str(target), "--report", f"markdown={target}"], capsys)
    assert "--output writes that file too" in line
    assert not target.exists()


def test_fleet_output_over_a_stack_file_is_refused(capsys, tmp_path):
    stacks_dir = tmp_path / "stacks"
    stacks_dir.mkdir()
    (stacks_dir / "Pulumi.lausanne.yaml").write_text(STACK.read_text(encoding="utf-8"), encoding="utf-8")
    target = stacks_dir / "Pulumi.lausanne.yaml"
    line = _refused(["fleet", "--stacks-dir", str(stacks_dir), "--output", str(target)], capsys)
    assert "is a stack file" in line


def test_a_project_s_stack_file_is_an_input_too(capsys, tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: proj\nruntime: python\n", encoding="utf-8")
    (project / "Pulumi.dev.yaml").write_text("config: {}\n", encoding="utf-8")
    line = _refused(["check", "--project", str(project), "dev", "--output", str(project / "Pulumi.dev.yaml")], capsys)
    assert "is a file of the --project" in line
