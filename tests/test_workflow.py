"""The pull-request workflow runs the fleet check the README documents, uploads its SARIF and puts
the compliance matrix in the job summary."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from preflight.cli import _parser

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "preflight.yml"


def _steps() -> list[dict]:
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert "pull_request" in document[True]  # YAML 1.1 reads the `on:` key as True
    assert document["permissions"]["security-events"] == "write"
    [job] = document["jobs"].values()
    return job["steps"]


def _fleet_step() -> dict:
    [step] = [s for s in _steps() if "preflight fleet" in s.get("run", "")]
    return step


def test_the_workflow_runs_the_fleet_check_with_the_cli_as_it_is():
    argv = shlex.split(_fleet_step()["run"])
    args = _parser().parse_args(argv[argv.index("preflight") + 1 :])
    assert args.command == "fleet"
    assert args.mode == "both"
    assert {fmt for fmt, _ in args.report} == {"sarif", "markdown"}


def test_the_sarif_is_uploaded_and_the_matrix_summarised_even_when_the_check_fails():
    argv = shlex.split(_fleet_step()["run"])
    reports = dict(_parser().parse_args(argv[argv.index("preflight") + 1 :]).report)
    steps = _steps()
    [upload] = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == str(reports["sarif"])
    assert upload["if"].startswith("always()")
    [summary] = [s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", "")]
    assert str(reports["markdown"]) in summary["run"]
    assert summary["if"].startswith("always()")


def test_the_readme_documents_the_workflow():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ".github/workflows/preflight.yml" in readme
