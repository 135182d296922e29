"""Where a site's deployment jobs run (``imaging-deploy:runsOn``, ``program/runners.py``), read the way the
deploy workflow's ``sites`` job reads it (the runner's bare ``python3``, standard library only), held equal to
the YAML reader, the stack-file schema and ``preflight check``.

Proves what the workflow's matrix step prints and refuses, and that its line reader never reads a stack file
otherwise than YAML does (it refuses what it cannot read); not that GitHub routes a job to the runner its
labels name, nor that the perimeter admits that runner (only a real run shows either)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from preflight.engine import stacks
from program import config, runners
from tests.paths import ROOT

LAUSANNE = (ROOT / "stacks" / "Pulumi.lausanne.yaml").read_text(encoding="utf-8")
UTRECHT = (ROOT / "stacks" / "Pulumi.utrecht.yaml").read_text(encoding="utf-8")
SCHEMA = jsonschema.Draft202012Validator(
    json.loads((ROOT / "stacks" / "site-config.schema.json").read_text(encoding="utf-8"))
)
RUNS_ON_LINE = "  imaging-deploy:runsOn: [self-hosted, chuv-imaging]"
ENFORCED_WITHOUT_RUNNER = (
    "site bern: imaging-deploy:runsOn is missing (the default runner is GitHub-hosted ubuntu-latest) and its "
    "perimeter is enforced (imaging-landing-zone:perimeter.enforced): a GitHub-hosted runner is outside every "
    "service perimeter, which refuses its calls to the site's APIs; name the labels of a self-hosted runner in a "
    "hospital network or inside the perimeter, e.g. imaging-deploy:runsOn: [self-hosted, bern-imaging] "
    '(docs/deploying.md, "The service perimeter")'
)
MALFORMED_TAIL = (
    "must be a list of runner labels (non-empty strings; quote one YAML would read as a number, date or boolean), "
    "e.g. [self-hosted, <site>-imaging]; got "
)


def _lausanne(runs_on: str | None) -> str:
    """Lausanne's stack file (enforced perimeter) with ``runs_on`` lines in place of its runner (none: no key)."""
    lines = LAUSANNE.split("\n")
    [at] = [i for i, line in enumerate(lines) if line.startswith(RUNS_ON_LINE)]
    lines[at : at + 1] = [] if runs_on is None else runs_on.split("\n")
    return "\n".join(lines)


def _line_of_runner(text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if "imaging-deploy:" in line)


def _matrix(stacks_dir: Path) -> subprocess.CompletedProcess[str]:
    """``python3 -m program.sites <dir> --matrix`` as the workflow runs it: a bare interpreter (``-S``: no
    site-packages), from a copy of ``program/`` holding only the two standard-library modules it runs."""
    work = stacks_dir.parent
    (work / "program").mkdir(exist_ok=True)
    for name in ("__init__.py", "sites.py", "runners.py"):
        shutil.copy(ROOT / "program" / name, work / "program" / name)
    return subprocess.run(
        [sys.executable, "-S", "-m", "program.sites", stacks_dir.name, "--matrix"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )


def _fleet(tmp_path: Path, **files: str) -> Path:
    directory = tmp_path / "stacks"
    directory.mkdir()
    for site, text in files.items():
        (directory / f"Pulumi.{site}.yaml").write_text(text, encoding="utf-8")
    return directory


def _schema_errors(text: str) -> list[str]:
    return [error.message for error in SCHEMA.iter_errors(yaml.safe_load(text))]


# --- The matrix -------------------------------------------------------------------------------------------


def test_the_matrix_runs_lausanne_on_its_hospital_runner_and_utrecht_on_the_default(tmp_path):
    """Lausanne's perimeter is enforced: its own self-hosted runner. Utrecht's is in dry run: GitHub-hosted."""
    done = _matrix(_fleet(tmp_path, lausanne=LAUSANNE, utrecht=UTRECHT))
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout) == [
        {"site": "lausanne", "runsOn": ["self-hosted", "chuv-imaging"]},
        {"site": "utrecht", "runsOn": ["ubuntu-latest"]},
    ]
    listed = subprocess.run(
        [sys.executable, "-S", "-m", "program.sites", "stacks", "--matrix"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(listed.stdout) == json.loads(done.stdout)  # the repository's own stack files


def test_an_enforced_site_without_a_runner_of_its_own_stops_the_matrix_in_one_line(tmp_path):
    done = _matrix(_fleet(tmp_path, bern=_lausanne(None), utrecht=UTRECHT))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"error: stacks/Pulumi.bern.yaml: {ENFORCED_WITHOUT_RUNNER}\n"


@pytest.mark.parametrize(
    "runs_on",
    [
        pytest.param("  imaging-deploy:runsOn: [ubuntu-latest]", id="github-hosted-named"),
        pytest.param("  imaging-deploy:runsOn: [chuv-imaging]", id="custom-label-without-self-hosted"),
    ],
)
def test_an_enforced_site_naming_no_self_hosted_runner_is_refused(tmp_path, runs_on):
    """A label set without ``self-hosted`` may land on a GitHub-hosted (larger) runner: refused, not guessed."""
    done = _matrix(_fleet(tmp_path, bern=_lausanne(runs_on)))
    assert done.returncode == 2
    labels = runs_on.split("[")[1].rstrip("]")
    assert done.stderr.startswith(
        f"error: stacks/Pulumi.bern.yaml: site bern: imaging-deploy:runsOn [{labels}] names no self-hosted runner and "
        "its perimeter is enforced (imaging-landing-zone:perimeter.enforced): a GitHub-hosted runner is outside"
    )
    assert done.stderr.count("\n") == 1


def test_a_dry_run_site_may_name_a_self_hosted_runner(tmp_path):
    text = UTRECHT.replace(
        "  imaging-landing-zone:labels:", "  imaging-deploy:runsOn: [Self-Hosted, umcu]\n  imaging-landing-zone:labels:"
    )
    done = _matrix(_fleet(tmp_path, utrecht=text))
    assert json.loads(done.stdout) == [{"site": "utrecht", "runsOn": ["Self-Hosted", "umcu"]}]


# --- A malformed value: refused by the workflow, the schema and check alike -------------------------------

MALFORMED = [
    pytest.param("  imaging-deploy:runsOn: self-hosted", "'self-hosted'", id="one-label-not-a-list"),
    pytest.param("  imaging-deploy:runsOn: []", "an empty list", id="empty-list"),
    pytest.param("  imaging-deploy:runsOn:", "nothing", id="no-value"),
    pytest.param("  imaging-deploy:runsOn: [self-hosted, '']", "['self-hosted', '']", id="empty-label"),
    pytest.param("  imaging-deploy:runsOn: [self-hosted, ' ']", "['self-hosted', ' ']", id="blank-label"),
    pytest.param(
        "  imaging-deploy:runsOn: [self-hosted, 4410]", "['self-hosted', 4410 (not a string)]", id="number-label"
    ),
    pytest.param(
        "  imaging-deploy:runsOn: [self-hosted, yes]", "['self-hosted', True (not a string)]", id="boolean-label"
    ),
    pytest.param("  imaging-deploy:runsOn: [self-hosted, [chuv]]", "['self-hosted', ['chuv']]", id="nested-list"),
    pytest.param(
        "  imaging-deploy:runsOn:\n    - self-hosted\n    - group: chuv-runners",
        "['self-hosted', a mapping]",
        id="runner-group-mapping",
    ),
    pytest.param("  imaging-deploy:runsOn: {group: chuv-runners}", "a mapping", id="mapping"),
]


@pytest.mark.parametrize(("runs_on", "got"), MALFORMED)
def test_a_runner_that_is_not_a_list_of_labels_is_refused_naming_the_line(tmp_path, runs_on, got):
    text = _lausanne(runs_on)
    line = _line_of_runner(text)
    expected = f"stacks/Pulumi.bern.yaml: line {line}: imaging-deploy:runsOn: {MALFORMED_TAIL}{got}"
    done = _matrix(_fleet(tmp_path, bern=text))
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"error: {expected}\n")
    assert _schema_errors(text), "the stack-file schema must refuse it too"
    with pytest.raises(stacks.StackConfigError) as refused:
        stacks.load_file(tmp_path / "stacks" / "Pulumi.bern.yaml")
    assert refused.value.problems == [f"Pulumi.bern.yaml: line {line}: imaging-deploy:runsOn: {MALFORMED_TAIL}{got}"]


def test_another_key_of_the_namespace_is_refused_by_the_workflow_the_schema_and_check(tmp_path):
    """``runson`` for ``runsOn``: the site would silently run on the default runner."""
    text = _lausanne("  imaging-deploy:runson: [self-hosted, chuv-imaging]")
    line = _line_of_runner(text)
    problem = (
        "imaging-deploy:runson: unknown key; the imaging-deploy namespace holds runsOn only (imaging-deploy:runsOn)"
    )
    done = _matrix(_fleet(tmp_path, bern=text))
    assert done.stderr == f"error: stacks/Pulumi.bern.yaml: line {line}: {problem}\n"
    assert any("imaging-deploy:runson" in error for error in _schema_errors(text))
    with pytest.raises(stacks.StackConfigError) as refused:
        stacks.load_file(tmp_path / "stacks" / "Pulumi.bern.yaml")
    assert refused.value.problems == [f"Pulumi.bern.yaml: line {line}: {problem}"]


# --- The line reader reads what YAML reads, or refuses --------------------------------------------------

FORMS = [
    pytest.param(RUNS_ON_LINE, id="flow-list"),
    pytest.param("  imaging-deploy:runsOn:\n  - self-hosted\n  - chuv-imaging", id="block-list-level-with-key"),
    pytest.param("  imaging-deploy:runsOn:\n      - self-hosted\n      - chuv-imaging", id="block-list-indented"),
    pytest.param("  'imaging-deploy:runsOn': ['self-hosted', \"chuv-imaging\"]", id="quoted-key-and-labels"),
    pytest.param("  imaging-deploy:runsOn: [self-hosted, chuv-imaging,]   # trailing comma", id="trailing-comma"),
    pytest.param(
        "  imaging-deploy:runsOn:   # the hospital's\n    - self-hosted  # all self-hosted\n    - '#4'", id="comments"
    ),
    pytest.param("  imaging-deploy:runsOn: [self-hosted, '4410', 'it''s']", id="quoted-number-and-quote"),
    pytest.param(None, id="absent"),
]


def _yaml_reading(text: str) -> tuple[tuple[str, ...] | None, bool]:
    document = yaml.safe_load(text)["config"]
    labels = document.get(runners.RUNS_ON)
    site = config.SiteConfig.from_stack_config(document)
    return (tuple(labels) if labels is not None else None), bool(site.perimeter and site.perimeter.enforced)


@pytest.mark.parametrize("runs_on", FORMS)
def test_each_form_of_the_runner_reads_as_yaml_reads_it(runs_on):
    text = _lausanne(runs_on)
    found = runners.parse(text, "bern", "Pulumi.bern.yaml")
    assert (found.runs_on, found.enforced) == _yaml_reading(text)
    assert _schema_errors(text) == []
    crlf = runners.parse(text.replace("\n", "\r\n"), "bern", "Pulumi.bern.yaml")
    assert crlf == found


ENFORCED = [
    pytest.param("enforced: true", True, id="true"),
    pytest.param("enforced: True", True, id="capitalised"),
    pytest.param("enforced: yes", True, id="yaml-1.1-yes"),
    pytest.param("enforced: 'true'", True, id="quoted-string"),
    pytest.param("'enforced': on   # on", True, id="quoted-key-on"),
    pytest.param("enforced: 1", True, id="one"),
]


@pytest.mark.parametrize(("written", "enforced"), ENFORCED)
def test_each_form_of_an_enforced_perimeter_reads_as_the_site_model_reads_it(written, enforced):
    text = _lausanne(None).replace("    enforced: true\n", f"    {written}\n")
    found = runners.parse(text, "bern", "Pulumi.bern.yaml")
    assert found.enforced is enforced
    assert _yaml_reading(text)[1] is enforced
    assert found.problem == ENFORCED_WITHOUT_RUNNER


def test_a_perimeter_written_on_one_line_is_read_and_one_it_cannot_read_is_refused():
    one_line = (
        "config:\n  imaging-landing-zone:perimeter: {accessPolicy: accessPolicies/1, enforced: true, "
        "restrictedServices: [a]}\n"
    )
    assert runners.parse(one_line, "bern", "x").enforced is True
    no_perimeter = "config:\n  imaging-landing-zone:siteCode: brn\n"
    assert runners.parse(no_perimeter, "bern", "x").enforced is False
    unreadable = "config:\n  imaging-landing-zone:perimeter:\n    enforced: maybe\n"
    with pytest.raises(runners.RunnerError) as refused:
        runners.parse(unreadable, "bern", "Pulumi.bern.yaml")
    assert str(refused.value) == (
        "Pulumi.bern.yaml: line 3: imaging-landing-zone:perimeter.enforced: cannot read 'maybe' as true or false; "
        "write `enforced: true` or `enforced: false`"
    )


LABEL = st.text(alphabet=st.sampled_from("ab-_.:#'\" 0179yY"), min_size=0, max_size=8)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(st.lists(LABEL, min_size=0, max_size=4), st.booleans())
def test_the_line_reader_never_reads_labels_otherwise_than_yaml(labels, flow):
    """Any labels, as PyYAML writes them (quoting what needs quoting): read equal, or refused; never misread."""
    body = yaml.safe_dump({"config": {runners.RUNS_ON: labels}}, default_flow_style=flow, width=1000)
    expected = yaml.safe_load(body)["config"][runners.RUNS_ON]
    try:
        found = runners.parse(body, "bern", "x")
    except runners.RunnerError:
        return
    assert runners.labels_problem(expected) is None
    assert list(found.runs_on or ()) == expected


# --- preflight check says what the workflow will say ----------------------------------------------------


def test_check_notes_that_the_workflow_refuses_an_enforced_site_without_a_runner(tmp_path):
    """A deployment fact, not a cloud control: a note on the site's report, never a finding or a traceback."""
    directory = _fleet(tmp_path, bern=_lausanne(None))
    stack = stacks.load("bern", directory)
    assert stack.notes == (
        "the deploy workflow (program/runners.py) refuses every site (exit 2): Pulumi.bern.yaml: "
        + ENFORCED_WITHOUT_RUNNER,
    )


def test_the_example_sites_have_no_note():
    assert [stacks.load(site).notes for site in ("lausanne", "utrecht")] == [(), ()]


def test_check_notes_a_stack_file_the_workflow_cannot_read(tmp_path):
    """An anchor is YAML the line reader does not read: the workflow would stop, and check says so."""
    anchor = _lausanne("  imaging-deploy:runsOn: &runner [self-hosted, chuv-imaging]")
    [note] = stacks.load("anchored", _fleet(tmp_path, anchored=anchor)).notes
    assert note.startswith(
        "the deploy workflow (program/runners.py) cannot read this stack file and refuses every site (exit 2): "
        f"Pulumi.anchored.yaml: line {_line_of_runner(anchor)}: imaging-deploy:runsOn: cannot read the value &runner"
    )


@pytest.mark.parametrize(
    "written",
    [
        pytest.param('  "imaging-landing-zone:perimet\\x65r":', id="escaped-key"),
        pytest.param("  !!str imaging-landing-zone:perimeter:", id="tagged-key"),
    ],
)
def test_a_key_that_may_mean_another_than_it_spells_is_refused_not_skipped(written):
    """YAML reads both as ``imaging-landing-zone:perimeter``: skipped, the site would look unenforced."""
    text = _lausanne(None).replace("  imaging-landing-zone:perimeter:", written)
    assert _yaml_reading(text)[1] is True
    with pytest.raises(runners.RunnerError, match=r"cannot read .* as `key: value`"):
        runners.parse(text, "bern", "Pulumi.bern.yaml")


def test_check_notes_a_reading_of_the_workflow_that_differs_from_yaml_s(tmp_path, monkeypatch):
    """The guard behind the line reader: were it ever to read a file otherwise than YAML (no form is known
    to make it), check says so rather than trust either."""
    directory = _fleet(tmp_path, bern=LAUSANNE)
    monkeypatch.setattr(runners, "read", lambda path, site, shown: runners.Deployment(site, None, False))
    assert stacks.load("bern", directory).notes == (
        "the deploy workflow (program/runners.py) reads imaging-deploy:runsOn as None and perimeter.enforced as False, "
        "the site model as ('self-hosted', 'chuv-imaging') and True: write them in the block form of the example sites",
    )


# --- One fact, one place -------------------------------------------------------------------------------


def test_the_site_program_ignores_the_key():
    with_runner = yaml.safe_load(LAUSANNE)["config"]
    without = {k: v for k, v in with_runner.items() if not k.startswith(f"{runners.NAMESPACE}:")}
    assert runners.RUNS_ON in with_runner
    assert config.SiteConfig.from_stack_config(with_runner) == config.SiteConfig.from_stack_config(without)


def test_the_reader_s_copies_of_the_site_model_s_facts_are_equal():
    """``program/runners.py`` runs before anything is installed: it cannot import the site model."""
    assert runners.SITE_NAMESPACE == config.NAMESPACE
    assert runners.MAX_BYTES == config.MAX_STACK_FILE_BYTES
    assert "enforced" in config.PerimeterSettings.model_fields
    assert not config.close_namespace(runners.NAMESPACE)  # the site program leaves it alone
