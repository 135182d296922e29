"""Adding a site: a third site in a temporary copy of the repository, and the tests that mean "every
site" run there on all three. They read the fleet from ``stacks/`` (``tests/sites.py``'s ``SITES``),
so the new site is checked like the examples: every policy in every mode (conformance), the fleet's
summary and consistency, the schema and the deploy matrix. Costs about as much as the conformance test
once more."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from bench import sites as generated
from preflight.engine.modes import MODES

ROOT = Path(__file__).resolve().parent.parent
NS = "imaging-landing-zone"
FLEET_TESTS = [
    "tests/test_conformance.py",
    "tests/preflight/judge/test_fleet_consistency.py::test_the_example_fleet_is_consistent",
    "tests/preflight/judge/test_preflight_fleet.py::test_a_fleet_with_an_invalid_stack_checks_the_others_and_exits_2",
    "tests/preflight/engine/test_preflight_plan.py::test_example_stack_files_match_the_schema",
    "tests/test_workflow.py::test_the_deploy_matrix_is_every_stack_file_with_its_runner",
]


def _copy_of_the_repository(destination: Path) -> Path:
    """The repository's tracked files (and the working tree's edits of them), as a fresh clone would
    have them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    return destination


def test_the_fleet_level_tests_pass_with_a_third_site(tmp_path):
    copy = _copy_of_the_repository(tmp_path / "repository")
    config = generated.site_config(4)  # a distinct site: its own code, project, ranges and names
    config[f"{NS}:siteCode"] = "brn"
    config[f"{NS}:gcpProject"] = "insel-imaging-brn"
    (copy / "stacks" / "Pulumi.bern.yaml").write_text(
        "# yaml-language-server: $schema=./site-config.schema.json\n# Bern: the third site.\n"
        + yaml.safe_dump({"config": config}, sort_keys=False, width=200),
        encoding="utf-8",
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", *FLEET_TESTS],
        cwd=copy,
        env={**environment, "PYTHONPATH": str(copy)},
        capture_output=True,
        text=True,
        check=False,
        timeout=1500,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    passed = [line for line in done.stdout.splitlines() if line.startswith("PASSED")]
    # the third site went through the conformance in every mode
    bern = [line for line in passed if "test_example_site_passes_every_policy[" in line and "bern" in line]
    assert len(bern) == len(MODES)
