"""The verdict cache (preflight/judge/cache.py): an unchanged site reuses its verdict and every report says
so; any change to what a verdict depends on checks the site again, so a kept verdict can never turn
a failing site green."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from preflight.engine import stacks
from preflight.engine.modes import MODES
from preflight.judge import cache, fleet
from preflight.judge.results import SiteResult
from tests.paths import ROOT


def _cli(*argv: str, cache_dir: Path) -> subprocess.CompletedProcess[str]:
    """``python -m preflight`` with reuse on (the test session turns it off for every other test)."""
    env = {k: v for k, v in os.environ.items() if k != "PREFLIGHT_NO_CACHE"}
    return subprocess.run(
        [sys.executable, "-m", "preflight", *argv, "--cache-dir", str(cache_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=600,
    )


def _check_utrecht(directory: Path, *extra: str, cache_dir: Path) -> subprocess.CompletedProcess[str]:
    """``check utrecht`` of ``directory`` in update mode (the quickest), reuse on."""
    return _cli("check", "utrecht", "--stacks-dir", str(directory), "--mode", "update", *extra, cache_dir=cache_dir)


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A stacks directory with utrecht, checked once (update mode, the quickest) so its verdict is kept."""
    directory = tmp_path_factory.mktemp("stacks")
    shutil.copy(ROOT / "stacks" / "Pulumi.utrecht.yaml", directory)
    cache_dir = tmp_path_factory.mktemp("cache")
    first = _check_utrecht(directory, "--format", "json", cache_dir=cache_dir)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["sites"][0]["reused"] is False
    return directory, cache_dir


@pytest.mark.parametrize("fmt", ["json", "table", "markdown", "sarif", "html"])
def test_an_unchanged_site_reuses_its_verdict_and_the_report_says_so(kept, fmt, tmp_path):
    directory, cache_dir = kept
    out = tmp_path / f"report.{fmt}"
    done = _check_utrecht(
        directory,
        "--format",
        fmt,
        "--output",
        str(out),
        cache_dir=cache_dir,
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    if fmt == "json":
        site = json.loads(text)["sites"][0]
        assert site["reused"] is True
        assert site["checkedAt"].endswith("Z")
        assert site["controls"]  # the whole verdict, matrix included
    elif fmt == "sarif":
        notes = json.loads(text)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        assert any("reused" in n["message"]["text"] and n["level"] == "note" for n in notes)
    else:
        assert "reused: its recorded inputs (stack file, code, pack, policy config, packages) are unchanged" in text


def test_no_cache_checks_again(kept):
    directory, cache_dir = kept
    done = _check_utrecht(
        directory,
        "--format",
        "json",
        "--no-cache",
        cache_dir=cache_dir,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sites"][0]["reused"] is False


def test_a_stricter_policy_config_checks_again_and_fails(kept, tmp_path):
    """The pack's config is an input: utrecht rotates its keys every 90 days, a config that asks for
    30 must fail it, whatever was kept under the pack's defaults."""
    directory, cache_dir = kept
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"gcp-kms-crypto-key-rotation": {"maxRotationDays": 30}}), encoding="utf-8")
    done = _check_utrecht(
        directory,
        "--format",
        "json",
        "--policy-config",
        str(config),
        cache_dir=cache_dir,
    )
    site = json.loads(done.stdout)["sites"][0]
    assert site["reused"] is False
    assert done.returncode == 1, done.stderr


def test_an_edited_stack_file_checks_again(kept, tmp_path):
    """Any edit of the stack file, a comment included, checks the site again (the file is read as bytes:
    the key does not try to tell which edits could matter)."""
    directory, cache_dir = kept
    edited = tmp_path / "stacks"
    edited.mkdir()
    text = (directory / "Pulumi.utrecht.yaml").read_text(encoding="utf-8")
    (edited / "Pulumi.utrecht.yaml").write_text(text + "\n# edited\n", "utf-8")
    done = _check_utrecht(edited, "--format", "json", cache_dir=cache_dir)
    assert json.loads(done.stdout)["sites"][0]["reused"] is False


def test_a_warm_fleet_rechecks_only_the_changed_site(tmp_path):
    directory = tmp_path / "stacks"
    directory.mkdir()
    for site in ("utrecht", "lausanne"):
        shutil.copy(ROOT / "stacks" / f"Pulumi.{site}.yaml", directory)
    cache_dir = tmp_path / "cache"
    argv = (
        "fleet",
        "--stacks-dir",
        str(directory),
        "--mode",
        "update",
        "--format",
        "json",
        "--no-progress",
        "--jobs",
        "1",
    )
    first = _cli(*argv, cache_dir=cache_dir)
    assert first.returncode == 0, first.stderr
    again = _cli(*argv, cache_dir=cache_dir)
    assert [s["reused"] for s in json.loads(again.stdout)["sites"]] == [True, True]
    assert "2 verdict(s) reused from the cache" in again.stderr
    assert json.loads(again.stdout)["reusedVerdicts"] == 2
    stack_file = directory / "Pulumi.utrecht.yaml"
    stack_file.write_text(stack_file.read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
    third = _cli(*argv, cache_dir=cache_dir)
    reused = {s["site"]: s["reused"] for s in json.loads(third.stdout)["sites"]}
    assert reused == {"lausanne": True, "utrecht": False}


# -- the key: every input kind changes it ---------------------------------------------------------


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's code and pack (the key reads files, never runs them)."""
    copy = tmp_path_factory.mktemp("repo")
    ignore = shutil.ignore_patterns(".venv*", ".git", "__pycache__", "node_modules", "build", "*.egg-info", "docs")
    for name in ("components", "policies", "preflight", "program", "stacks"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    for name in ("__main__.py", "Pulumi.yaml", "pyproject.toml", "requirements.txt"):
        shutil.copy(ROOT / name, copy / name)
    return copy


def _key(
    root: Path, *, policy_config: dict | None = None, modes: tuple[str, ...] = MODES, site: str = "utrecht"
) -> str:
    stack = stacks.load(site, root / "stacks")
    return cache.Inputs(policy_config, root=root).key(stack, modes)


def _edit(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda root: _edit(root / "stacks" / "Pulumi.utrecht.yaml"), id="stack-file"),
        pytest.param(lambda root: _edit(root / "components" / "storage.py"), id="component-source"),
        pytest.param(lambda root: _edit(root / "__main__.py"), id="program-source"),
        pytest.param(lambda root: _edit(root / "preflight" / "engine" / "gcp_model.py"), id="mock-engine-source"),
        pytest.param(
            lambda root: _edit(next((root / "policies" / "imaging_policies").glob("storage.py"))), id="pack-source"
        ),
        pytest.param(lambda root: _edit(root / "policies" / "PulumiPolicy.yaml"), id="pack-manifest"),
        pytest.param(lambda root: _edit(root / "requirements.txt"), id="pinned-requirements"),
        pytest.param(lambda root: _edit(root / "Pulumi.yaml"), id="project-file"),
        pytest.param(lambda root: (root / "components" / "added.py").write_text("X = 1\n", "utf-8"), id="new-module"),
    ],
)
def test_each_file_input_changes_the_key(repository, tmp_path, change):
    root = tmp_path / "repo"
    shutil.copytree(repository, root)
    before = _key(root)
    change(root)
    assert _key(root) != before


def test_what_no_verdict_reads_keeps_the_key(repository, tmp_path):
    """Another site's stack file, the docs, the tests and the benchmark are not inputs of this site's
    verdict (a pull request that only touches tests reuses every verdict)."""
    root = tmp_path / "repo"
    shutil.copytree(repository, root)
    before = _key(root)
    _edit(root / "stacks" / "Pulumi.lausanne.yaml")
    for folder, name in (("docs", "notes.md"), ("tests", "test_more.py"), ("bench", "more.py")):
        (root / folder).mkdir(exist_ok=True)
        (root / folder / name).write_text("X = 1\n", encoding="utf-8")
    assert _key(root) == before


def test_the_policy_config_and_the_modes_change_the_key(repository):
    before = _key(repository)
    assert _key(repository, policy_config={"gcp-kms-crypto-key-rotation": {"maxRotationDays": 30}}) != before
    assert _key(repository, modes=("update",)) != before


def test_an_installed_version_changes_the_key(repository, monkeypatch):
    before = _key(repository)
    real = metadata.distributions

    class Bumped:
        def __init__(self, dist: metadata.Distribution) -> None:
            self._dist = dist
            self.metadata = dist.metadata
            self.version = dist.version + ".post1" if dist.metadata["Name"] == "pulumi" else dist.version

        def read_text(self, name: str) -> str | None:
            """The files as an upgrade leaves them: the metadata names the new version."""
            text = self._dist.read_text(name)
            if text and name in ("METADATA", "PKG-INFO") and self.version != self._dist.version:
                text = text.replace(f"\nVersion: {self._dist.version}\n", f"\nVersion: {self.version}\n", 1)
            return text

    monkeypatch.setattr(cache.metadata, "distributions", lambda: [Bumped(d) for d in real()])
    assert _key(repository) != before


def test_a_local_package_outside_the_repository_is_read_by_its_source(repository, tmp_path, monkeypatch):
    """``pip install -e DIR`` keeps its version while its code changes: the code is the input."""
    source = tmp_path / "their-lib"
    source.mkdir()
    (source / "lib.py").write_text("X = 1\n", encoding="utf-8")
    real = metadata.distributions

    class Local:
        def __init__(self) -> None:
            self.metadata = {"Name": "their-lib"}
            self.version = "0.1.0"

        def read_text(self, name: str) -> str | None:
            return (
                json.dumps({"url": source.as_uri(), "dir_info": {"editable": True}})
                if name == "direct_url.json"
                else None
            )

    monkeypatch.setattr(cache.metadata, "distributions", lambda: [*real(), Local()])
    before = _key(repository)
    (source / "lib.py").write_text("X = 2\n", encoding="utf-8")
    assert _key(repository) != before


def test_the_environment_the_provider_reads_changes_the_key(repository, monkeypatch):
    before = _key(repository)
    monkeypatch.setenv("GOOGLE_PROJECT", "another-project")
    assert _key(repository) != before


def test_an_unreadable_entry_is_a_miss_and_is_replaced(kept, tmp_path):
    directory, _ = kept
    cache_dir = tmp_path / "cache"
    first = _check_utrecht(directory, cache_dir=cache_dir)
    assert first.returncode == 0, first.stderr
    [entry] = (cache_dir / "verdicts").rglob("utrecht.update.json")
    entry.write_text("{not json", encoding="utf-8")
    done = _check_utrecht(directory, "--format", "json", cache_dir=cache_dir)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sites"][0]["reused"] is False
    assert json.loads(entry.read_text(encoding="utf-8"))["format"] == cache.FORMAT
    assert (
        (cache_dir / "CACHEDIR.TAG")
        .read_text(encoding="utf-8")
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )


def test_a_cache_that_cannot_be_written_warns_and_checks(kept, tmp_path):
    directory, _ = kept
    (tmp_path / "file-not-dir").write_text("", encoding="utf-8")
    blocked = tmp_path / "file-not-dir" / "cache"  # cannot be made (tests run as root: modes would not stop it)
    done = _check_utrecht(directory, "--format", "json", cache_dir=blocked)
    assert done.returncode == 0, done.stderr
    assert "warning: cannot keep verdicts in" in done.stderr
    assert "Traceback" not in done.stderr


# -- what a reviewer tried (each once a stale green) -----------------------------------------------


def test_a_code_folder_linked_from_a_skipped_folder_is_still_read(repository, tmp_path):
    """A docs tool's symbolic link (docs/components -> ../components) must not hide components/."""
    root = tmp_path / "repo"
    shutil.copytree(repository, root, symlinks=True)
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "components").symlink_to(root / "components", target_is_directory=True)
    (root / "bench").mkdir(exist_ok=True)
    (root / "bench" / "components").symlink_to(root / "components", target_is_directory=True)
    before = _key(root)
    _edit(root / "components" / "storage.py")
    assert _key(root) != before


def test_a_folder_on_the_import_path_is_read(repository, tmp_path, monkeypatch):
    """``PYTHONPATH`` (or a ``.pth`` file) puts a folder on the import path; a program imports from it."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "netdefs.py").write_text('CIDRS = ["198.51.100.0/24"]\n', encoding="utf-8")
    monkeypatch.syspath_prepend(str(shared))
    before = _key(repository)
    (shared / "netdefs.py").write_text('CIDRS = ["0.0.0.0/0"]\n', encoding="utf-8")
    assert _key(repository) != before
    monkeypatch.setenv("PYTHONPATH", str(shared))
    assert _key(repository) != before


def test_a_build_package_of_another_project_is_read(repository, tmp_path):
    """``build/`` is skipped at the repository's top (its build output), never in a ``--project`` folder,
    where ``from build import netdefs`` resolves."""
    project = tmp_path / "archive"
    shutil.copytree(ROOT / "examples" / "research-archive", project)
    (project / "build").mkdir()
    (project / "build" / "netdefs.py").write_text("X = 1\n", encoding="utf-8")
    stack = stacks.load_project(project, "dev")
    inputs = cache.Inputs(root=repository)
    before = inputs.key(stack, ("update",))
    (project / "build" / "netdefs.py").write_text("X = 2\n", encoding="utf-8")
    assert cache.Inputs(root=repository).key(stack, ("update",)) != before


def test_the_same_stack_file_bytes_at_another_path_is_another_verdict(repository, tmp_path):
    """A reused verdict would name the other file in every report (SARIF annotations included)."""
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(repository / "stacks" / "Pulumi.utrecht.yaml", other)
    inputs = cache.Inputs(root=repository)
    here = inputs.key(stacks.load("utrecht", repository / "stacks"), MODES)
    assert inputs.key(stacks.load("utrecht", other), MODES) != here


def _result(site: str) -> SiteResult:
    return SiteResult(site, "stacks/x.yaml", ("update",), "pack", "1.0.0", [], {}, {"update": 0}, [])


def test_a_stack_file_edited_while_the_fleet_runs_keeps_nothing(repository, tmp_path):
    """The key is taken before the check and again after it: a verdict made from other files than the
    key's (a git checkout during the run) is not kept."""
    root = tmp_path / "repo"
    shutil.copytree(repository, root)
    verdicts = cache.VerdictCache(tmp_path / "cache", cache.Inputs(root=root))
    stack = stacks.load("utrecht", root / "stacks")
    keys = {"utrecht": (stack, verdicts.inputs.key(stack, ("update",)))}
    _edit(root / "stacks" / "Pulumi.utrecht.yaml")
    fleet._keep(verdicts, keys, [_result("utrecht")], ("update",), None)
    assert not (tmp_path / "cache").exists()
    _edit(root / "policies" / "PulumiPolicy.yaml")  # and an input every site shares
    keys = {"utrecht": (stack, verdicts.inputs.key(stack, ("update",)))}
    fleet._keep(verdicts, keys, [_result("utrecht")], ("update",), None)
    assert not (tmp_path / "cache").exists()


def test_an_entry_with_an_index_out_of_range_is_a_miss(repository, tmp_path):
    verdicts = cache.VerdictCache(tmp_path / "cache", cache.Inputs(root=repository))
    stack = stacks.load("utrecht", repository / "stacks")
    result = _result("utrecht")
    result.evaluated = {"some-policy": {"urn:a"}}
    verdicts.put(stack, ("update",), result)
    assert verdicts.get(stack, ("update",)) is not None
    [entry] = (tmp_path / "cache").rglob("*.json")
    document = json.loads(entry.read_text(encoding="utf-8"))
    document["result"]["evaluated"]["some-policy"] = [7]
    entry.write_text(json.dumps(document), encoding="utf-8")
    assert verdicts.get(stack, ("update",)) is None


def test_names_cannot_lead_out_of_the_cache(repository, tmp_path):
    verdicts = cache.VerdictCache(tmp_path / "cache", cache.Inputs(root=repository))
    stack = dataclasses.replace(stacks.load("utrecht", repository / "stacks"), project="../../../escaped")
    verdicts.put(stack, ("update",), _result("utrecht"))
    [entry] = (tmp_path / "cache").rglob("*.json")
    assert entry.resolve().is_relative_to((tmp_path / "cache").resolve())
    assert not (tmp_path / "escaped").exists()


def _inside_the_pack(tmp: Path) -> Path:
    return ROOT / "policies" / ".verdicts"


def _a_file(tmp: Path) -> Path:
    (tmp / "f").write_text("", encoding="utf-8")
    return tmp / "f"


def _someones_folder(tmp: Path) -> Path:
    (tmp / "notes.md").write_text("notes\n", encoding="utf-8")
    return tmp


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(_inside_the_pack, "would change the pack's inputs", id="inside-the-pack"),
        pytest.param(_a_file, "is a file", id="a-file"),
        pytest.param(_someones_folder, "not a verdict cache", id="a-folder"),
    ],
)
def test_a_cache_directory_that_cannot_serve_is_refused_in_one_line(kept, tmp_path, make, message):
    directory, _ = kept
    done = _check_utrecht(directory, cache_dir=make(tmp_path))
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (ROOT / "policies" / ".verdicts").exists()
