"""examples/research-archive: another team's Pulumi project built from the installed components library
(`imaging_landing_zone.components`, installed editable by requirements-dev.txt), checked offline with the
pack as any stack is: `preflight check --project`. It passes with its recorded policy config, and one
careless change to it is caught. Through the CLI, as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.sites import preflight_cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "research-archive"
CONFIG = EXAMPLE / "policy-config.json"


def _check(project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return preflight_cli("check", "--project", str(project), "dev", "--format", "json", *extra)


def test_the_example_imports_the_installed_library_not_this_checkouts_components():
    source = (EXAMPLE / "__main__.py").read_text(encoding="utf-8")
    assert "from imaging_landing_zone.components." in source
    assert "from components" not in source


def test_the_example_passes_the_pack_in_every_mode():
    done = _check(EXAMPLE, "--policy-config", str(CONFIG))
    assert done.returncode == 0, done.stderr
    [site] = json.loads(done.stdout)["sites"]
    assert site["findings"] == []
    assert site["modes"] == ["preview", "update"]


def test_dropping_its_firewall_is_caught(tmp_path):
    """A careless edit: the team removes the deny-all firewall (the network then has no default deny)."""
    project = tmp_path / "research-archive"
    shutil.copytree(EXAMPLE, project)
    program = project / "__main__.py"
    source = program.read_text(encoding="utf-8")
    start = source.index("AllowlistFirewall(\n")
    end = source.index("archive = ImageBucket(")
    program.write_text(source[:start] + source[end:], encoding="utf-8")
    done = _check(project, "--policy-config", str(CONFIG), "--mode", "update")
    assert done.returncode == 1
    [site] = json.loads(done.stdout)["sites"]
    assert {f["policy"] for f in site["findings"]} == {
        "gcp-compute-network-denies-egress",
        "gcp-compute-network-denies-ingress",
    }


def test_site_controls_say_why_they_do_not_apply_to_a_stack_that_is_not_a_site():
    """A reviewer reading the example's matrix sees why LOG-08 (SIEM export) is not applicable: the stack
    is not a hospital site, not that it lacks a resource kind."""
    done = _check(EXAMPLE, "--policy-config", str(CONFIG), "--mode", "update")
    [site] = json.loads(done.stdout)["sites"]
    rows = {row["control"]: row for row in site["controls"]}
    assert rows["LOG-08"]["status"] == "not applicable"
    assert rows["LOG-08"]["detail"].startswith("a site-completeness control and this stack is not a hospital site")
