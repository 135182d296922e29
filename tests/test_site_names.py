"""One rule for site names (``program/sites.py``), held equal across the three places that meet a name:
the preflight check (a stack file's name), the bootstrap (its ``sites`` keys) and the deploy workflow
(the command its ``sites`` job runs, with the runner's bare ``python3``).

Each place is driven as it runs: ``check`` through the CLI, the bootstrap through its config model, the
workflow through the command read from ``deploy.yml``. Proves they agree with each other and with the
rule; not that GitHub or GCP accept every name (the rule is derived from their limits, in the module)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from preflight import cli
from preflight.engine import stacks
from program import sites

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP = ROOT / "bootstrap"
TEMPLATE = (ROOT / "stacks" / "Pulumi.utrecht.yaml").read_text(encoding="utf-8")

NAMES = [
    pytest.param("bern", True, id="plain"),
    pytest.param("b", True, id="one-letter"),
    pytest.param("st-gallen2", True, id="hyphen-and-digit"),
    pytest.param("a" * 22, True, id="twenty-two-characters"),
    pytest.param("a" * 23, False, id="twenty-three-characters-too-long-for-preview-account-id"),
    pytest.param("Bern", False, id="upper-case"),
    pytest.param("bern_1", False, id="underscore"),
    pytest.param("bern.1", False, id="dot"),
    pytest.param("bern-", False, id="trailing-hyphen"),
    pytest.param("1bern", False, id="leading-digit"),
    pytest.param("-bern", False, id="leading-hyphen"),
    pytest.param("bern!", False, id="punctuation"),
]


def _bootstrap_accepts(name: str) -> bool:
    sys.path.insert(0, str(BOOTSTRAP))
    try:
        from platform_config import PlatformConfigError, from_stack_config

        document = yaml.safe_load((BOOTSTRAP / "Pulumi.platform.yaml").read_text(encoding="utf-8"))["config"]
        document["imaging-bootstrap:sites"] = {name: "insel-imaging-brn"}
        values = {k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in document.items()}
        try:
            from_stack_config(values)
        except PlatformConfigError:
            return False
        return True
    finally:
        sys.path.remove(str(BOOTSTRAP))
        sys.modules.pop("platform_config", None)


def _stack_file_accepts(name: str, directory: Path) -> bool:
    path = directory / f"Pulumi.{name}.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    try:
        stacks.load(name, directory)
    except stacks.StackFileError as exc:
        return "is not valid" not in str(exc)
    finally:
        path.unlink()
    return True


def _workflow_command() -> list[str]:
    """The deploy workflow's check of a dispatched site name, as its `sites` job runs it."""
    document = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8"))
    [step] = [s for s in document["jobs"]["sites"]["steps"] if s.get("id") == "list"]
    [line] = [line.strip() for line in step["run"].splitlines() if "program.sites --name" in line]
    return shlex.split(line.split(">", 1)[0])


def _workflow_accepts(name: str) -> bool:
    argv = [a.replace("$SITE", name) for a in _workflow_command()]
    assert argv[:3] == ["python3", "-m", "program.sites"]
    env = {"PATH": os.environ["PATH"]}  # the runner's bare python3: nothing of ours installed
    result = subprocess.run(
        [sys.executable, "-S", *argv[1:]], cwd=ROOT, capture_output=True, text=True, check=False, env=env
    )
    assert result.returncode in (0, 2), result.stderr
    return result.returncode == 0


@pytest.mark.parametrize(("name", "valid"), NAMES)
def test_check_the_bootstrap_and_the_workflow_accept_the_same_site_names(name, valid, tmp_path):
    assert (sites.problem(name) is None) == valid
    assert _stack_file_accepts(name, tmp_path) == valid
    assert _bootstrap_accepts(name) == valid
    assert _workflow_accepts(name) == valid


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="abzAZ019-_.!", min_size=1, max_size=25))
def test_any_name_is_accepted_by_check_exactly_when_by_the_bootstrap(name):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        assert _stack_file_accepts(name, Path(folder)) == _bootstrap_accepts(name) == (sites.problem(name) is None)


def test_the_rule_fits_the_longest_identity_the_bootstrap_derives_from_a_name():
    """``preview-<site>`` is a service-account id: 6-30 characters, a letter first, no trailing hyphen."""
    account = re.compile(r"^[a-z](?:[a-z0-9-]{4,28}[a-z0-9])$")
    for name in ("a", "a" * 22, "st-gallen2"):
        for kind in ("deploy", "drift", "preview"):
            assert account.match(f"{kind}-{name}"), (kind, name)
    assert not account.match(f"preview-{'a' * 23}")


def test_check_refuses_a_site_name_off_the_rule_in_one_line_with_exit_2(tmp_path, capsys):
    (tmp_path / "Pulumi.Bern_1.yaml").write_text(TEMPLATE, encoding="utf-8")
    code = cli.main(["check", "Bern_1", "--stacks-dir", str(tmp_path), "--no-cache"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[0].startswith(
        "error: Pulumi.Bern_1.yaml: site name 'Bern_1' is not valid: it must be 1-22 of a-z, 0-9 and '-'"
    )


def test_the_workflow_module_lists_the_sites_and_refuses_a_bad_file_name(tmp_path):
    listed = subprocess.run(
        [sys.executable, "-S", "-m", "program.sites"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(listed.stdout) == stacks.available()
    (tmp_path / "Pulumi.lausanne.yaml").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "Pulumi.St_Gallen.yaml").write_text(TEMPLATE, encoding="utf-8")
    refused = subprocess.run(
        [sys.executable, "-S", "-m", "program.sites", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.startswith("error: site name 'St_Gallen' is not valid")
    assert refused.stderr.count("\n") == 1
