"""Stack-file mistakes a site engineer makes, through the CLI as they run it: each is refused before
any resource is registered, with one line naming the field (or line) and the fix, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

LAUSANNE = (ROOT / "stacks" / "Pulumi.lausanne.yaml").read_text(encoding="utf-8")
NS = "imaging-landing-zone"


def _plan(stacks_dir: Path, site: str = "bad") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", "plan", site, "--stacks-dir", str(stacks_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _errors(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "Pulumi.bad.yaml").write_text(text, encoding="utf-8")
    done = _plan(tmp_path)
    assert done.returncode == 2, done.stdout
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    return done.stderr.splitlines()


def test_a_key_written_twice_is_refused_with_both_lines(tmp_path):
    # Two people edit the same stack file and both add the region: YAML would keep the last one.
    text = LAUSANNE.replace(f"  {NS}:region: europe-west6", f"  {NS}:region: europe-west6\n  {NS}:region: europe-west4")
    assert text != LAUSANNE
    first = LAUSANNE.splitlines().index(f"  {NS}:region: europe-west6") + 1
    assert _errors(tmp_path, text) == [
        f"error: Pulumi.bad.yaml: line {first + 1}: key '{NS}:region' appears twice in one mapping "
        f"(first on line {first}); keep one: YAML readers disagree on which one wins"
    ]


def test_a_yaml_syntax_error_names_line_and_column_and_never_shows_the_line(tmp_path):
    # A flow list left open while editing the ranges; the file's line is not echoed (it may hold a secret).
    lines = _errors(tmp_path, "config:\n  imaging-landing-zone:siteCode: lau\n  foo: [1\n  bar: token-x\n")
    assert lines == [
        "error: Pulumi.bad.yaml: line 4, column 6: not valid YAML: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence)"
    ]


def test_an_empty_config_section_is_reported_as_empty(tmp_path):
    # A new site's file started with `pulumi stack init`, before any key was set.
    assert _errors(tmp_path, "config:\n") == [
        "error: Pulumi.bad.yaml: the 'config:' section is empty; add the site's keys, e.g. "
        "imaging-landing-zone:siteCode (see stacks/site-config.schema.json)"
    ]


def test_a_file_without_a_config_section_says_so(tmp_path):
    assert _errors(tmp_path, "encryptionsalt: abc\n") == [
        "error: Pulumi.bad.yaml: must be a mapping with a 'config:' section (the site's keys go under it)"
    ]


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


def test_a_key_without_the_namespace_names_the_namespaced_form(tmp_path):
    text = LAUSANNE.replace(f"  {NS}:region:", "  region:")
    assert _errors(tmp_path, text) == [
        f"error: Pulumi.bad.yaml: line {_line_of(text, '  region:')}: region: a stack key needs its namespace; "
        f"write it as {NS}:region"
    ]


@pytest.mark.parametrize(
    ("field", "bad", "expected"),
    [
        pytest.param(
            "hospitalNetworks: [198.51.100.0/24]",
            "hospitalNetworks: [172.20.0.0/16]",
            f"{NS}:network.hospitalNetworks.0: '172.20.0.0/16' is in the private range 172.16.0.0/12; "
            "name the public (NAT egress) range traffic comes from",
            id="hospital-network-private",
        ),
        pytest.param(
            "pacsEgressCidrs: [203.0.113.16/28]",
            "pacsEgressCidrs: [203.0.113.20]",
            f"{NS}:network.pacsEgressCidrs.0: '203.0.113.20' is a single address; write it as 203.0.113.20/32",
            id="bare-address",
        ),
        pytest.param(
            "region: europe-west6",
            "region: europe-west99",
            f"{NS}:region: unknown region 'europe-west99': must be a Google Cloud region; "
            "closest: europe-west9, europe-west1, europe-west2, europe-west3",
            id="unknown-region",
        ),
    ],
)
def test_a_wrong_value_names_the_field_and_the_fix(tmp_path, field, bad, expected):
    text = LAUSANNE.replace(field, bad)
    assert text != LAUSANNE
    # the line of the field itself (a list item is on its list's line in flow form)
    assert _errors(tmp_path, text) == [f"error: Pulumi.bad.yaml: line {_line_of(text, bad)}: {expected}"]


def test_a_stack_file_name_is_understood_as_its_site(tmp_path):
    (tmp_path / "Pulumi.bern.yaml").write_text(LAUSANNE, encoding="utf-8")
    for given in ("Pulumi.bern.yaml", f"{tmp_path.name}/Pulumi.bern.yaml"):
        done = subprocess.run(
            [sys.executable, "-m", "preflight", "plan", given, "--stacks-dir", str(tmp_path)],
            cwd=tmp_path.parent,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[0].startswith("imaging-landing-zone / bern (update mode): ")


def test_a_stack_file_that_is_not_utf8_is_refused_in_one_line(tmp_path):
    # Saved by an editor in UTF-16 (its byte-order mark first).
    (tmp_path / "Pulumi.bad.yaml").write_bytes("config:\n".encode("utf-16"))
    done = _plan(tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == ["error: Pulumi.bad.yaml: not UTF-8 text (byte 0); save it as UTF-8"]


def _cli_in(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", *argv],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_errors_and_reports_name_a_stack_file_as_it_was_given(tmp_path):
    # `check ./Pulumi.x.yaml` names ./Pulumi.x.yaml, the file the user typed, in the error and the report row.
    text = LAUSANNE.replace("rotationDays: 30", "rotationDays: 365")
    assert text != LAUSANNE
    (tmp_path / "Pulumi.x.yaml").write_text(text, encoding="utf-8")
    line = _line_of(text, "rotationDays: 365")
    report = tmp_path / "check.json"
    done = _cli_in(tmp_path, "check", "./Pulumi.x.yaml", f"--report=json={report}")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: ./Pulumi.x.yaml: line {line}: {NS}:kms.rotationDays: must be at most 90, got 365"
    ]
    row = json.loads(report.read_text())["sites"][0]
    assert (row["site"], row["stackFile"]) == ("x", "./Pulumi.x.yaml")


def test_a_valid_stack_file_given_by_its_path_is_named_so_in_the_report(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "Pulumi.x.yaml").write_text(LAUSANNE, encoding="utf-8")
    done = _cli_in(tmp_path, "check", "sub/../sub/Pulumi.x.yaml", "--mode", "preview", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sites"][0]["stackFile"] == "sub/../sub/Pulumi.x.yaml"
