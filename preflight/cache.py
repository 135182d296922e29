"""The verdict cache: a site whose inputs have not changed reuses its last verdict.

A verdict depends on the site's stack file, the program and everything it imports, the policy pack
and its config, the installed packages, the Python that runs them, the modes, and the environment
variables the program, provider or pack could read. :class:`Inputs` hashes all of them into one key;
an entry is reused only when its key is equal, so a change to any input re-checks the site (a stale
verdict cannot turn a failing site green: ``tests/test_verdict_cache.py`` changes each input kind).

What is hashed, and why (conservative: a change that cannot alter a verdict may still re-check):

* the stack file's bytes, the project's ``Pulumi.yaml``, the project and stack names, the modes;
* every ``.py`` file under this repository (the program, the components, the pack, the check itself;
  not ``stacks/``, ``tests/``, ``bench/`` or ``docs/``, which no verdict reads) and, for ``--project
  DIR``, under DIR; every file of ``policies/`` (the pack's ``PulumiPolicy.yaml`` and requirements);
  the repository's ``*.toml``, ``*.txt`` and ``Pulumi.yaml`` and ``preflight/*.toml``. Other sites'
  stack files are not read (each site has its own entry);
* the policy config (its JSON, keys sorted);
* the name and version of every installed distribution and, for one installed from a local
  directory outside this repository (``pip install -e DIR``, where the version says nothing of the
  code), every ``.py`` file of that directory;
* the Python version and platform, and every environment variable named ``PULUMI_*``, ``GOOGLE_*``,
  ``GCP_*`` or ``CLOUDSDK_*`` (hashed, never stored).

One file per stack and mode set, ``<cache dir>/verdicts/<project>/<stack>.<modes>.json``, so the cache
does not grow with time. The directory carries a ``CACHEDIR.TAG`` and a ``.gitignore`` of ``*`` (the
conventions of pytest's and ruff's caches). An entry that cannot be read is a miss; a cache that cannot
be written costs the reuse, never the check.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, fields
from importlib import metadata
from pathlib import Path
from typing import Any

from preflight.analyzer import PolicyInfo
from preflight.check import Finding, SiteResult
from preflight.stacks import ROOT, Stack

FORMAT = "imaging-landing-zone/verdict-cache@2"
DEFAULT_DIR = ROOT / ".preflight-cache"
"""Where verdicts are kept unless ``--cache-dir`` says otherwise (ignored by git)."""
ENVIRONMENT_PREFIXES = ("PULUMI_", "GOOGLE_", "GCP_", "CLOUDSDK_")
_SKIPPED_DIRS = frozenset({".git", "__pycache__", "node_modules", ".preflight-cache", ".mypy_cache", ".ruff_cache"})
_SKIPPED_TOP = frozenset({"build", "dist"})
"""Build output, skipped only at the top of a tree (a package may have a ``build`` module folder)."""
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by imaging-landing-zone's preflight check.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


class CacheWriteError(Exception):
    """The cache could not be written; the message is one line naming the directory."""


def _skipped(name: str) -> bool:
    return name in _SKIPPED_DIRS or name.startswith(".venv") or name.endswith(".egg-info")


def _files(root: Path, suffixes: tuple[str, ...] | None) -> Iterator[Path]:
    """Files under ``root`` (with one of ``suffixes``, or all), in a stable order, following symbolic
    links (once), skipping virtual environments, caches and build output."""
    seen: set[str] = set()
    for directory, dirs, names in os.walk(root, followlinks=True):
        real = os.path.realpath(directory)
        if real in seen:  # a symbolic link back up the tree
            dirs[:] = []
            continue
        seen.add(real)
        top = Path(directory) == root
        dirs[:] = sorted(d for d in dirs if not _skipped(d) and not (top and d in _SKIPPED_TOP))
        for name in sorted(names):
            if (suffixes is None or name.endswith(suffixes)) and not name.endswith((".pyc", ".pyo")):
                yield Path(directory, name)


def _digest_files(digest: Any, paths: Iterable[Path], base: Path) -> None:
    for path in paths:
        try:
            content = path.read_bytes()
        except OSError:
            content = b"<unreadable>"
        digest.update(f"{path.relative_to(base).as_posix() if path.is_relative_to(base) else path}\0".encode())
        digest.update(hashlib.sha256(content).digest())


def _local_source(dist: metadata.Distribution) -> Path | None:
    """The directory a distribution was installed from, when it was a local one (``direct_url.json``)."""
    try:
        text = dist.read_text("direct_url.json")
        url = json.loads(text)["url"] if text else ""
    except (ValueError, KeyError, TypeError, OSError):
        return None
    if not isinstance(url, str) or not url.startswith("file://"):
        return None
    path = Path(url.removeprefix("file://"))
    return path if path.is_dir() else None


def environment_digest() -> str:
    """The installed distributions (names, versions, local sources), Python, platform and the
    environment variables a program, provider or pack could read."""
    digest = hashlib.sha256()
    digest.update(f"{sys.version}\0{platform.platform()}\0{sys.executable}\0".encode())
    dists = sorted(
        (((dist.metadata["Name"] or "").lower(), dist.version, dist) for dist in metadata.distributions()),
        key=lambda entry: entry[:2],
    )
    for name, version, dist in dists:
        digest.update(f"{name}=={version}\0".encode())
        source = _local_source(dist)
        if source is not None and not source.resolve().is_relative_to(ROOT.resolve()):
            _digest_files(digest, _files(source, (".py",)), source)
    for key in sorted(os.environ):
        if key.startswith(ENVIRONMENT_PREFIXES):
            digest.update(f"{key}={os.environ[key]}\0".encode())
    return digest.hexdigest()


NOT_INPUTS = ("stacks", "tests", "bench", "docs")
"""Folders of the repository no verdict reads: the stack files (each site's is part of its own key),
the tests, the benchmark and the docs. A ``--project`` program inside one of them is still read, as
its project's code."""


def source_digest(root: Path = ROOT) -> str:
    """The repository's code and the pack: every ``.py`` file outside :data:`NOT_INPUTS`, the pack's
    files, the build and requirement files."""
    digest = hashlib.sha256()
    skipped = tuple(root / name for name in NOT_INPUTS)
    code = (p for p in _files(root, (".py",)) if not any(p.is_relative_to(d) for d in skipped))
    _digest_files(digest, code, root)
    _digest_files(digest, _files(root / "policies", None), root)
    extra = [*root.glob("*.toml"), *root.glob("*.txt"), root / "Pulumi.yaml", *root.glob("preflight/*.toml")]
    _digest_files(digest, sorted(p for p in extra if p.is_file()), root)
    return digest.hexdigest()


class Inputs:
    """What every verdict of one run shares (code, environment, policy config), hashed once; a
    site's key adds its own stack file, project and modes."""

    def __init__(self, policy_config: Mapping[str, Any] | None = None, *, root: Path = ROOT) -> None:
        self._root = root.resolve()
        self._shared = hashlib.sha256()
        self._shared.update(f"{FORMAT}\0".encode())
        self._shared.update(source_digest(root).encode())
        self._shared.update(environment_digest().encode())
        self._shared.update(json.dumps(dict(policy_config or {}), sort_keys=True, default=str).encode())
        self._projects: dict[Path, str] = {}

    def _project_digest(self, program: Path) -> str:
        """A ``--project`` program's own files, when it lives outside this repository."""
        directory = program.parent.resolve()
        if directory not in self._projects:
            digest = hashlib.sha256()
            digest.update(f"{directory}\0".encode())
            for name in ("Pulumi.yaml", "Pulumi.yml"):
                _digest_files(digest, [p for p in [directory / name] if p.is_file()], directory)
            if directory != self._root:
                _digest_files(digest, _files(directory, (".py",)), directory)
                _digest_files(digest, sorted(directory.glob("requirements*.txt")), directory)
            self._projects[directory] = digest.hexdigest()
        return self._projects[directory]

    def key(self, stack: Stack, modes: Iterable[str]) -> str:
        """The key of ``stack``'s verdict in ``modes``."""
        digest = self._shared.copy()
        digest.update(f"{stack.project}\0{stack.name}\0{'+'.join(modes)}\0{stack.program.resolve()}\0".encode())
        digest.update(self._project_digest(stack.program).encode())
        try:
            digest.update(stack.path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
        return digest.hexdigest()


def _encode(result: SiteResult, *, keep_plan: bool) -> dict[str, Any]:
    urns = sorted({urn for judged in result.evaluated.values() for urn in judged})
    index = {urn: i for i, urn in enumerate(urns)}
    document: dict[str, Any] = {
        "site": result.site,
        "stackFile": result.stack_file,
        "modes": list(result.modes),
        "pack": result.pack,
        "packVersion": result.pack_version,
        "policies": [asdict(p) for p in result.policies],
        "levels": result.levels,
        "resources": result.resources,
        "findings": [asdict(f) for f in result.findings],
        "urns": urns,
        "evaluated": {name: sorted(index[u] for u in judged) for name, judged in result.evaluated.items()},
        "source": result.source,
        "skipReasons": result.skip_reasons,
        "exemptions": result.exemptions,
        "stackNotApplicable": result.stack_not_applicable,
        "checkedAt": result.checked_at,
    }
    if keep_plan:
        document["plan"] = [asdict(r) for r in result.plan]
    return document


def _finding(document: Mapping[str, Any], names: set[str]) -> Finding:
    values: dict[str, Any] = {k: v for k, v in document.items() if k in names}
    values["modes"] = tuple(values.get("modes", ()))
    return Finding(**values)


def _decode(document: Mapping[str, Any], stack: Stack, *, keep_plan: bool) -> SiteResult:
    urns = document["urns"]
    finding_fields = {f.name for f in fields(Finding)}
    plan: list[Any] = []
    if keep_plan:
        from preflight.engine import Resource

        plan = [Resource(**r) for r in document["plan"]]
    return SiteResult(
        site=document["site"],
        stack_file=document["stackFile"],
        modes=tuple(document["modes"]),
        pack=document["pack"],
        pack_version=document["packVersion"],
        policies=[PolicyInfo(**p) for p in document["policies"]],
        levels=dict(document["levels"]),
        resources=dict(document["resources"]),
        findings=[_finding(f, finding_fields) for f in document["findings"]],
        evaluated={name: {urns[i] for i in judged} for name, judged in document["evaluated"].items()},
        source=document["source"],
        site_config=stack.site,
        plan=plan,
        skip_reasons=dict(document["skipReasons"]),
        exemptions={name: dict(entries) for name, entries in document["exemptions"].items()},
        stack_not_applicable=dict(document["stackNotApplicable"]),
        checked_at=document["checkedAt"],
        cached=True,
    )


class VerdictCache:
    """Verdicts kept in ``directory``, keyed by :class:`Inputs`."""

    def __init__(self, directory: Path, inputs: Inputs) -> None:
        self.directory = directory
        self.inputs = inputs
        self._warned = False

    def _path(self, stack: Stack, modes: tuple[str, ...]) -> Path:
        return self.directory / "verdicts" / stack.project / f"{stack.name}.{'+'.join(modes)}.json"

    def get(
        self, stack: Stack, modes: tuple[str, ...], *, key: str | None = None, keep_plan: bool = False
    ) -> SiteResult | None:
        """The stored verdict of ``stack`` in ``modes`` if nothing it depends on has changed (``key``:
        :meth:`Inputs.key` of its inputs, taken now by default)."""
        try:
            document = json.loads(self._path(stack, modes).read_text(encoding="utf-8"))
            if document.get("format") != FORMAT or document.get("key") != (key or self.inputs.key(stack, modes)):
                return None
            if keep_plan and "plan" not in document["result"]:
                return None
            return _decode(document["result"], stack, keep_plan=keep_plan)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(
        self,
        stack: Stack,
        modes: tuple[str, ...],
        result: SiteResult,
        *,
        key: str | None = None,
        keep_plan: bool = False,
    ) -> None:
        """Keep ``result``, made from the inputs whose :meth:`Inputs.key` is ``key`` (by default the
        stack's inputs now: pass the key taken before the check when the files may change meanwhile);
        raises :class:`CacheWriteError` when the directory cannot be written."""
        path = self._path(stack, modes)
        document = {
            "format": FORMAT,
            "key": key or self.inputs.key(stack, modes),
            "result": _encode(result, keep_plan=keep_plan),
        }
        try:
            self._prepare()
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
            partial.replace(path)
        except OSError as exc:
            raise CacheWriteError(
                f"cannot keep verdicts in {self.directory} ({exc.strerror or exc}); the next run checks again"
            ) from None

    def _prepare(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", _CACHEDIR_TAG), (".gitignore", "# created by preflight\n*\n")):
            marker = self.directory / name
            if not marker.exists():
                marker.write_text(text, encoding="utf-8")


__all__ = ["DEFAULT_DIR", "CacheWriteError", "Inputs", "VerdictCache", "environment_digest", "source_digest"]
