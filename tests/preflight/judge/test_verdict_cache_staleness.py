"""What a kept verdict depends on besides the code (preflight/judge/cache.py): today's date, the data files
of the check, program and pack, and a ``--project``'s own virtualenv. A change of any of them must check
the site again: each was once a verdict reused after it had gone stale (a dry run that ended, a stored
form changed, a team's library changed in its virtualenv), which can turn a failing site green."""

from __future__ import annotations

import ast
import datetime
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from preflight.engine import stacks
from preflight.engine.modes import MODES
from preflight.judge import cache
from preflight.judge.results import SiteResult
from tests.paths import ROOT

UPDATE = ("update",)


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's code, data and pack (the key reads files, never runs them)."""
    copy = tmp_path_factory.mktemp("repo")
    ignore = shutil.ignore_patterns(".venv*", ".git", "__pycache__", "node_modules", "build", "*.egg-info")
    for name in ("components", "policies", "preflight", "program", "stacks"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    for name in ("__main__.py", "Pulumi.yaml", "pyproject.toml", "requirements.txt"):
        shutil.copy(ROOT / name, copy / name)
    return copy


@pytest.fixture
def root(repository: Path, tmp_path: Path) -> Path:
    """A copy of :func:`repository` a test may change."""
    copy = tmp_path / "repo"
    shutil.copytree(repository, copy)
    return copy


def _clock(day: str) -> Callable[[], datetime.date]:
    """A fixed clock: the cache's seam for today (no faketime)."""
    return lambda: datetime.date.fromisoformat(day)


def _result(site: str) -> SiteResult:
    return SiteResult(site, f"stacks/Pulumi.{site}.yaml", UPDATE, "pack", "1.0.0", [], {}, {"update": 0}, [])


def _kept_then_read(root: Path, site: str, cache_dir: Path, *, made: str, read: str, policy_config=None):
    """``site``'s verdict kept on day ``made``, then looked up on day ``read`` (the files unchanged)."""
    stack = stacks.load(site, root / "stacks")
    cache.VerdictCache(cache_dir, cache.Inputs(policy_config, root=root, clock=_clock(made))).put(
        stack, UPDATE, _result(site)
    )
    later = cache.VerdictCache(cache_dir, cache.Inputs(policy_config, root=root, clock=_clock(read)))
    return later.get(stack, UPDATE)


# -- finding: today's date --------------------------------------------------------------------------


def test_a_dry_run_verdict_kept_before_its_end_is_not_reused_after_it(repository, tmp_path):
    """utrecht's perimeter is in dry run until 2027-06-30; the pack reports NET-10 violated from the day
    after (``policies/imaging_policies/perimeter.py``). A verdict kept on the last day must not be reused
    the next day, whatever else is unchanged; on its own day it is."""
    assert _kept_then_read(repository, "utrecht", tmp_path / "a", made="2027-06-30", read="2027-06-30") is not None
    assert _kept_then_read(repository, "utrecht", tmp_path / "b", made="2027-06-30", read="2027-07-01") is None


def test_a_verdict_that_reads_no_date_is_reused_on_later_days(repository, tmp_path):
    """lausanne's perimeter is enforced and its stack file holds no date: its verdict does not depend on
    the day, and a CI cache restored the next week still serves it."""
    assert _kept_then_read(repository, "lausanne", tmp_path, made="2026-12-07", read="2027-01-15") is not None


def test_a_date_in_the_policy_config_dates_every_verdict(repository, tmp_path):
    config = {"gcp-kms-crypto-key-rotation": {"note": "reviewed until 2027-01-31"}}
    assert (
        _kept_then_read(repository, "lausanne", tmp_path, made="2026-12-07", read="2026-12-08", policy_config=config)
        is None
    )


@pytest.mark.parametrize(
    "until",
    [
        pytest.param("2027-06-30", id="yaml-date"),
        pytest.param("1814313600", id="unix-time"),
    ],
)
def test_an_end_date_in_any_form_the_site_config_accepts_dates_the_key(root, until):
    """The site config reads ``until`` as a date however it is written (pydantic takes a Unix time);
    every such form is a date of the verdict."""
    path = root / "stacks" / "Pulumi.utrecht.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('until: "2027-06-30"', f"until: {until}"), encoding="utf-8"
    )
    stack = stacks.load("utrecht", root / "stacks")
    assert stack.site is not None
    assert stack.site.perimeter is not None
    assert stack.site.perimeter.dry_run is not None
    first = cache.Inputs(root=root, clock=_clock("2027-06-30")).key(stack, UPDATE)
    assert cache.Inputs(root=root, clock=_clock("2027-07-01")).key(stack, UPDATE) != first


def test_a_check_that_spans_midnight_keeps_nothing(repository, tmp_path):
    """The key taken after the check is on the next day: the verdict may have read either day."""
    days = iter(["2027-06-30", "2027-07-01"])
    inputs = cache.Inputs(root=repository, clock=lambda: datetime.date.fromisoformat(next(days)))
    verdicts = cache.VerdictCache(tmp_path / "cache", inputs)
    stack = stacks.load("utrecht", repository / "stacks")
    verdicts.keep([(stack, inputs.key(stack, UPDATE), _result("utrecht"))], UPDATE)
    assert not (tmp_path / "cache").exists()


_CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}
_CLOCK_READS |= {("time", name) for name in ("time", "time_ns", "localtime", "gmtime", "ctime", "asctime")}

KNOWN_CLOCK_READS = {
    "policies/imaging_policies/perimeter.py": "NET-10 compares the dry run's end, a date of the site config "
    "(perimeter.dryRun.until), with today: a stack file holding a date is keyed by the day",
    "program/config.py": "how far ahead a dry run may end: the stack file is validated at every run, before "
    "the cache (a refusal is never kept), and it holds the date, so the key holds the day",
    "preflight/judge/check.py": "checkedAt, when the verdict was made: shown with a reused verdict, not part of it",
    "preflight/reports/html_report.py": "the HTML report's own date, written after the cache",
    "preflight/judge/evidence.py": "a readiness report's age: evidence is judged at every run, never kept",
    "preflight/judge/cache.py": "today's date, which the key of a verdict that may read it holds",
}
"""Every module of the program, components, pack and check that reads the clock, and why no kept verdict
goes stale by it. A verdict that compares today with a date must take that date from the stack file or the
policy config (then the key holds the day: preflight/judge/cache.py), or the cache must learn its date."""


def _clock_reads(path: Path) -> list[str]:
    reads = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name | ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
            if (owner, node.attr) in _CLOCK_READS:
                reads.append(f"{owner}.{node.attr} (line {node.lineno})")
    return reads


def test_every_clock_read_is_known_to_the_cache():
    """A guard, not a list: a new clock read in a verdict's code fails here until the cache's key covers it."""
    found: dict[str, list[str]] = {}
    for folder in ("program", "components", "policies/imaging_policies", "preflight"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if reads := _clock_reads(path):
                found[path.relative_to(ROOT).as_posix()] = reads
    for path in (ROOT / "__main__.py", ROOT / "policies" / "__main__.py"):
        if reads := _clock_reads(path):
            found[path.relative_to(ROOT).as_posix()] = reads
    unknown = {name: reads for name, reads in found.items() if name not in KNOWN_CLOCK_READS}
    assert not unknown, f"clock reads the verdict cache does not know of: {unknown}"
    assert "preflight/judge/cache.py" in found  # the guard sees reads (the cache's own clock)


# -- finding: data files ----------------------------------------------------------------------------


def _edit_bytes(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\n")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda root: _edit_bytes(root / "preflight" / "engine" / "stored_forms.json"), id="stored-forms"),
        pytest.param(lambda root: _edit_bytes(root / "preflight" / "catalogue" / "controls.toml"), id="catalogue"),
        pytest.param(lambda root: (root / "program" / "sites.yaml").write_text("a: 1\n", "utf-8"), id="program-yaml"),
        pytest.param(
            lambda root: (
                (root / "components" / "data" / "ranges.txt").parent.mkdir()
                or (root / "components" / "data" / "ranges.txt").write_text("0.0.0.0/0\n", "utf-8")
            ),
            id="component-data-folder",
        ),
        pytest.param(lambda root: _edit_bytes(root / "policies" / "PulumiPolicy.yaml"), id="pack-data"),
        pytest.param(lambda root: (root / "settings.cfg").write_text("[x]\n", "utf-8"), id="top-level-config"),
    ],
)
def test_a_changed_data_file_is_not_reused(root, tmp_path, change):
    """Every file of the folders that decide a verdict is an input, not only ``.py`` and ``.toml``: the
    update mode reads ``preflight/engine/stored_forms.json`` (a default changed there once kept LOG-11 met)."""
    stack = stacks.load("lausanne", root / "stacks")
    cache.VerdictCache(tmp_path / "cache", cache.Inputs(root=root)).put(stack, UPDATE, _result("lausanne"))
    assert cache.VerdictCache(tmp_path / "cache", cache.Inputs(root=root)).get(stack, UPDATE) is not None
    change(root)
    assert cache.VerdictCache(tmp_path / "cache", cache.Inputs(root=root)).get(stack, UPDATE) is None


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda root: (root / "README.md").write_text("# x\n", "utf-8"), id="top-level-readme"),
        pytest.param(
            lambda root: (root / "out").mkdir() or (root / "out" / "r.json").write_text("{}", "utf-8"), id="out"
        ),
        pytest.param(
            lambda root: (
                (root / "program" / "__pycache__").mkdir(exist_ok=True)
                or (root / "program" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
            ),
            id="bytecode",
        ),
        pytest.param(
            lambda root: [
                (root / "program" / ".tool-cache").mkdir(),
                (root / "program" / ".tool-cache" / "CACHEDIR.TAG").write_text("Signature: x\n", "utf-8"),
                (root / "program" / ".tool-cache" / "entry").write_text("x", "utf-8"),
            ],
            id="tagged-cache",
        ),
        pytest.param(
            lambda root: [
                (root / "program" / "env").mkdir(),
                (root / "program" / "env" / "pyvenv.cfg").write_text("home = /usr\n", "utf-8"),
            ],
            id="a-virtualenv",
        ),
    ],
)
def test_caches_generated_output_and_the_top_levels_docs_are_not_inputs(root, change):
    """A cache (``CACHEDIR.TAG``), bytecode, a virtualenv, report output and the README change no verdict:
    a verdict cache kept inside a code folder must not change its own key."""
    stack = stacks.load("lausanne", root / "stacks")
    before = cache.Inputs(root=root).key(stack, MODES)
    change(root)
    assert cache.Inputs(root=root).key(stack, MODES) == before


def test_a_cache_directory_inside_a_code_folder_keeps_and_reuses(root):
    """The cache writes ``CACHEDIR.TAG`` before its first entry: the key taken after the first check (and
    every later one) is the key taken before it."""
    stack = stacks.load("lausanne", root / "stacks")
    verdicts = cache.VerdictCache(root / "program" / "verdicts", cache.Inputs(root=root))
    verdicts.keep([(stack, verdicts.inputs.key(stack, UPDATE), _result("lausanne"))], UPDATE)
    assert cache.VerdictCache(root / "program" / "verdicts", cache.Inputs(root=root)).get(stack, UPDATE) is not None


# -- finding: a --project's own virtualenv ----------------------------------------------------------

_PROGRAM = '''"""A team's program: who reads its bucket comes from the team's library, in its own virtualenv."""

import pulumi_gcp as gcp
import teamlib

bucket = gcp.storage.Bucket("team-bucket", location="EU", uniform_bucket_level_access=True)
for member in teamlib.READERS:
    gcp.storage.BucketIAMMember(
        f"reader-{len(member)}", bucket=bucket.name, role="roles/storage.objectViewer", member=member
    )
'''


def _fake_virtualenv(path: Path, readers: str) -> Path:
    """A virtualenv as ``python -m venv`` lays it out, for this Python, with ``teamlib`` in its packages."""
    packages = path / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    packages.mkdir(parents=True)
    (path / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).parent}\n", encoding="utf-8")
    (packages / "teamlib.py").write_text(f"READERS = {readers}\n", encoding="utf-8")
    return packages / "teamlib.py"


def _check_project(project: Path, cache_dir: Path) -> tuple[int, dict]:
    env = {k: v for k, v in os.environ.items() if k != "PREFLIGHT_NO_CACHE"}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "preflight", "check", "--project", str(project), "dev"),
            *("--mode", "update", "--format", "json", "--cache-dir", str(cache_dir)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)["sites"][0]


@pytest.mark.parametrize(
    "named",
    [
        pytest.param(".venv", id="dot-venv-in-the-project"),
        pytest.param("../team-env", id="outside-the-project"),
    ],
)
def test_a_changed_library_in_the_projects_own_virtualenv_is_not_reused(tmp_path, named):
    """The program imports ``teamlib`` from the virtualenv its ``Pulumi.yaml`` names; the walk of the
    project's files skips virtualenvs (``.venv*``, any folder with ``pyvenv.cfg``) and one outside the
    folder is not walked at all. Its packages are an input of their own: a library changed to grant
    ``allUsers`` must be checked again, and fail."""
    project = tmp_path / "team" / "project"
    project.mkdir(parents=True)
    (project / "Pulumi.yaml").write_text(
        f"name: team-project\nruntime:\n  name: python\n  options:\n    virtualenv: {named}\n", encoding="utf-8"
    )
    (project / "Pulumi.dev.yaml").write_text("config:\n  gcp:project: team-project-1\n", encoding="utf-8")
    (project / "__main__.py").write_text(_PROGRAM, encoding="utf-8")
    library = _fake_virtualenv((project / named).resolve(), '["group:readers@team.example"]')
    cache_dir = tmp_path / "cache"

    first_code, first = _check_project(project, cache_dir)
    again_code, again = _check_project(project, cache_dir)
    assert (again["reused"], again_code) == (True, first_code)  # the virtualenv's bytecode is not an input

    library.write_text('READERS = ["group:readers@team.example", "allUsers"]\n', encoding="utf-8")
    changed_code, changed = _check_project(project, cache_dir)
    assert changed["reused"] is False
    assert changed_code == 1
    assert "gcp-iam-no-public-principals" in {f["policy"] for f in changed["findings"]}
    assert "gcp-iam-no-public-principals" not in {f["policy"] for f in first["findings"]}


def _project_with_virtualenv(tmp_path: Path) -> tuple[stacks.Stack, Path]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        "name: team-project\nruntime:\n  name: python\n  options:\n    virtualenv: ../env\n", encoding="utf-8"
    )
    (project / "Pulumi.dev.yaml").write_text("config:\n  gcp:project: team-project-1\n", encoding="utf-8")
    (project / "__main__.py").write_text("import teamlib\n", encoding="utf-8")
    library = _fake_virtualenv(tmp_path / "env", "[]")
    return stacks.load_project(project, "dev"), library.parent


def test_a_folder_a_pth_file_of_the_virtualenv_adds_is_an_input(repository, tmp_path):
    stack, packages = _project_with_virtualenv(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "netdefs.py").write_text("CIDRS = []\n", encoding="utf-8")
    (packages / "shared.pth").write_text(f"{shared}\n", encoding="utf-8")
    before = cache.Inputs(root=repository).key(stack, UPDATE)
    (shared / "netdefs.py").write_text('CIDRS = ["0.0.0.0/0"]\n', encoding="utf-8")
    assert cache.Inputs(root=repository).key(stack, UPDATE) != before


def test_a_package_installed_editable_into_the_virtualenv_is_read_from_its_source(repository, tmp_path):
    stack, packages = _project_with_virtualenv(tmp_path)
    source = tmp_path / "their-lib"
    source.mkdir()
    (source / "lib.py").write_text("X = 1\n", encoding="utf-8")
    info = packages / "their_lib-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: their-lib\nVersion: 0.1.0\n", encoding="utf-8")
    (info / "direct_url.json").write_text(
        json.dumps({"url": source.as_uri(), "dir_info": {"editable": True}}), encoding="utf-8"
    )
    before = cache.Inputs(root=repository).key(stack, UPDATE)
    (source / "lib.py").write_text("X = 22\n", encoding="utf-8")
    assert cache.Inputs(root=repository).key(stack, UPDATE) != before


def test_a_virtualenv_made_after_the_verdict_is_not_reused(repository, tmp_path):
    """Named but not made yet, the program ran with the check's own packages; once ``pulumi install``
    makes it, the program imports from it."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        "name: team-project\nruntime:\n  name: python\n  options:\n    virtualenv: ../env\n", encoding="utf-8"
    )
    (project / "Pulumi.dev.yaml").write_text("config:\n  gcp:project: team-project-1\n", encoding="utf-8")
    (project / "__main__.py").write_text("import teamlib\n", encoding="utf-8")
    before = cache.Inputs(root=repository).key(stacks.load_project(project, "dev"), UPDATE)
    _fake_virtualenv(tmp_path / "env", "[]")
    assert cache.Inputs(root=repository).key(stacks.load_project(project, "dev"), UPDATE) != before
