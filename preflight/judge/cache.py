"""The verdict cache: a site whose inputs have not changed reuses its last verdict.

A verdict depends on the site's stack file, the program and everything it imports, the policy pack
and its config, the installed packages, the Python that runs them, the modes, and the environment
variables the program, provider or pack could read. :class:`Inputs` hashes all of them into one key;
an entry is reused only when its key is equal, so a change to any input re-checks the site (a stale
verdict cannot turn a failing site green: ``tests/preflight/judge/test_verdict_cache.py`` changes each input kind).

What is hashed, and why (conservative: a change that cannot alter a verdict may still re-check):

* the stack file's bytes and path, the project's ``Pulumi.yaml``, the project and stack names, the
  program's path, the modes;
* every ``.py`` file under this repository but :data:`NOT_INPUTS` (the program, the components, the
  pack, the check itself), following symbolic links; for ``--project DIR``, every ``.py`` file and
  requirements file under DIR; every file of ``policies/``; the repository's ``*.toml``, ``*.txt``,
  ``Pulumi.yaml`` and ``preflight/*.toml``. Other sites' stack files are not read;
* the policy config (its JSON, keys sorted);
* every installed distribution's name, version and ``RECORD`` (its files and their hashes, so a
  reinstall of another build at the same version counts) and, for one installed from a local folder
  outside this repository (``pip install -e DIR``), that folder's ``.py`` files; every other folder on
  the import path (``PYTHONPATH``, ``.pth`` files) and ``PYTHONPATH`` itself;
* the Python version, the operating system and machine, the interpreter's path, and every
  environment variable named ``PULUMI_*``, ``GOOGLE_*``, ``GCP_*`` or ``CLOUDSDK_*`` (hashed, never
  stored).

A verdict is kept under the key taken before its check only if the key taken after it is the same
(a ``git checkout`` during a run keeps nothing). Not covered, and said in ``docs/check.md``: files a
program reads by itself (other than its ``.py`` files), import folders a program adds to ``sys.path``
while it runs, installed files edited in place, environment variables outside the prefixes, and an
input edited and edited back while a check runs.

One file per stack and mode set, ``<cache dir>/verdicts/<project>-<folder hash>/<stack>.<modes>.json``
(names reduced to safe characters), so the cache does not grow with time. The directory carries a
``CACHEDIR.TAG`` and a ``.gitignore`` of ``*`` (the conventions of pytest's and ruff's caches); a
directory that is not empty and not such a cache, a file, or a folder inside ``policies/`` is refused
(:func:`check_directory`). An entry that cannot be read is a miss; a cache that cannot be written
costs the reuse, never the check.
"""

from __future__ import annotations

import email
import hashlib
import json
import os
import platform
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, fields
from importlib import metadata
from pathlib import Path
from typing import Any

from preflight.engine.stacks import INSTALLED, ROOT, Stack
from preflight.judge.pack import PolicyInfo
from preflight.judge.results import Finding, SiteResult

FORMAT = "imaging-landing-zone/verdict-cache@2"
DEFAULT_DIR = Path(".preflight-cache") if INSTALLED else ROOT / ".preflight-cache"
"""Where verdicts are kept unless ``--cache-dir`` says otherwise (ignored by git): the repository's, or
the current directory's for the installed command (never inside the installed package)."""
ENVIRONMENT_PREFIXES = ("PULUMI_", "GOOGLE_", "GCP_", "CLOUDSDK_")
_SKIPPED_DIRS = frozenset({".git", "__pycache__", "node_modules", ".preflight-cache", ".mypy_cache", ".ruff_cache"})
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by imaging-landing-zone's preflight check.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


class CacheWriteError(Exception):
    """The cache could not be written; the message is one line naming the directory."""


def _skipped(name: str) -> bool:
    return name in _SKIPPED_DIRS or name.startswith(".venv") or name.endswith(".egg-info")


def _files(root: Path, suffixes: tuple[str, ...] | None, *, skip_top: Iterable[str] = ()) -> Iterator[Path]:
    """Files under ``root`` (with one of ``suffixes``, or all), in a stable order, skipping virtual
    environments and caches anywhere and ``skip_top`` at the top. Symbolic links are followed (a
    folder linked from two places is read twice, under each name), except a link back to a folder
    the walk is inside (a cycle)."""
    top_skipped = set(skip_top)
    for directory, dirs, names in os.walk(root, followlinks=True):
        here = os.path.realpath(directory)
        top = Path(directory) == root

        def wanted(name: str, directory: str = directory, here: str = here, top: bool = top) -> bool:
            if _skipped(name) or (top and name in top_skipped):
                return False
            target = os.path.realpath(os.path.join(directory, name))
            return not (here == target or here.startswith(target + os.sep))  # not an ancestor: no cycle

        dirs[:] = sorted(d for d in dirs if wanted(d))
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


def _extra_paths() -> list[Path]:
    """The import path's folders beyond the standard library, the installed packages and this
    repository: ``PYTHONPATH`` and ``.pth`` files put them there, and a program imports from them."""
    import sysconfig

    known = {Path(sysconfig.get_paths()[name]).resolve() for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    found = []
    for entry in sys.path:
        path = Path(entry or ".").resolve()
        if (
            not path.is_dir()
            or path in known
            or path.is_relative_to(ROOT)
            or any(path.is_relative_to(k) for k in known)
        ):
            continue
        found.append(path)
    return sorted(set(found))


_HEADERS_END = re.compile(r"\r?\n\r?\n")


def _name_version(dist: metadata.Distribution) -> tuple[str, str]:
    """The distribution's name (lower case) and version, as ``dist.metadata`` gives them, read from the
    metadata's headers only: parsing the whole file (its long description) twice per distribution was most
    of the time a verdict's key took."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or dist.read_text("") or ""
    headers = email.message_from_string(_HEADERS_END.split(text, maxsplit=1)[0] + "\n")
    return (headers["Name"] or "").lower(), headers["Version"]


def environment_digest() -> str:
    """The installed distributions (names, versions, their ``RECORD`` of installed files and hashes,
    local sources), the import path's other folders, Python, the platform and the environment
    variables a program, provider or pack could read."""
    digest = hashlib.sha256()
    digest.update(
        f"{sys.version}\0{platform.system()}\0{platform.machine()}\0{sys.executable}\0"
        f"{os.environ.get('PYTHONPATH', '')}\0".encode()
    )
    dists = sorted(
        ((*_name_version(dist), dist) for dist in metadata.distributions()),
        key=lambda entry: entry[:2],
    )
    for name, version, dist in dists:
        digest.update(f"{name}=={version}\0".encode())
        try:
            record = dist.read_text("RECORD") or ""
        except OSError:
            record = "<unreadable>"
        digest.update(hashlib.sha256(record.encode()).digest())
        source = _local_source(dist)
        if source is not None and not source.resolve().is_relative_to(ROOT.resolve()):
            _digest_files(digest, _files(source, (".py",)), source)
    for path in _extra_paths():
        _digest_files(digest, _files(path, (".py",)), path)
    for key in sorted(os.environ):
        if key.startswith(ENVIRONMENT_PREFIXES):
            digest.update(f"{key}={os.environ[key]}\0".encode())
    return digest.hexdigest()


NOT_INPUTS = ("stacks", "tests", "bench", "docs", "examples", "bootstrap", "rollout", "build", "dist")
"""Folders of the repository no verdict of this repository's program reads: the stack files (each
site's is part of its own key), the tests, the benchmark, the docs, the other projects (each read as
its project's code when checked with ``--project``), the deployment tool and build output."""


def source_digest(root: Path = ROOT) -> str:
    """The repository's code and the pack: every ``.py`` file outside :data:`NOT_INPUTS`, the pack's
    files, the build and requirement files."""
    digest = hashlib.sha256()
    _digest_files(digest, _files(root, (".py",), skip_top=NOT_INPUTS), root)
    _digest_files(digest, _files(root / "policies", None), root)
    extra = [*root.glob("*.toml"), *root.glob("*.txt"), root / "Pulumi.yaml", *root.glob("preflight/**/*.toml")]
    _digest_files(digest, sorted(p for p in extra if p.is_file()), root)
    return digest.hexdigest()


class Inputs:
    """What every verdict of one run shares (code, environment, policy config), hashed once; a
    site's key adds its own stack file, project and modes."""

    def __init__(self, policy_config: Mapping[str, Any] | None = None, *, root: Path = ROOT) -> None:
        self._policy_config = dict(policy_config or {})
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

    def again(self) -> Inputs:
        """The same inputs hashed again from the files as they are now: a verdict is kept only under a
        key taken both before and after its check (an input edited meanwhile keeps nothing)."""
        return Inputs(self._policy_config, root=self._root)

    def key(self, stack: Stack, modes: Iterable[str]) -> str:
        """The key of ``stack``'s verdict in ``modes``."""
        digest = self._shared.copy()
        digest.update(
            f"{stack.project}\0{stack.name}\0{'+'.join(modes)}\0{stack.program.resolve()}\0{stack.path.resolve()}\0".encode()
        )
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
    if any(not 0 <= i < len(urns) for judged in document["evaluated"].values() for i in judged):
        raise ValueError("an evaluated resource index out of range")
    finding_fields = {f.name for f in fields(Finding)}
    plan: list[Any] = []
    if keep_plan:
        from preflight.engine.runner import Resource

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
        settings=dict(stack.config),
        plan=plan,
        skip_reasons=dict(document["skipReasons"]),
        exemptions={name: dict(entries) for name, entries in document["exemptions"].items()},
        stack_not_applicable=dict(document["stackNotApplicable"]),
        checked_at=document["checkedAt"],
        notes=list(stack.notes),
        cached=True,
    )


def _safe(name: str) -> str:
    """``name`` as one file name: letters, digits, ``.``, ``_`` and ``-`` kept, the rest ``_``, no
    leading dot."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "_"


class CacheDirError(Exception):
    """A cache directory that cannot be used; the message is one line naming it and the fix."""


def check_directory(directory: Path, root: Path = ROOT) -> None:
    """Refuse a cache directory that would change the inputs it is keyed by (inside ``policies/``,
    whose every file is hashed), or that is a file, or an existing directory that is not empty and not
    a verdict cache (its tag would mark someone's folder as a cache)."""
    resolved = directory.resolve()
    if resolved.is_relative_to((root / "policies").resolve()):
        raise CacheDirError(f"{directory}: a cache inside policies/ would change the pack's inputs; choose another")
    if resolved.exists() and not resolved.is_dir():
        raise CacheDirError(f"{directory}: is a file, not a directory; name a new or an existing cache directory")
    if resolved.is_dir() and any(resolved.iterdir()) and not (resolved / "CACHEDIR.TAG").is_file():
        raise CacheDirError(
            f"{directory}: not a verdict cache (it is not empty and has no CACHEDIR.TAG); name a new or an existing "
            "cache directory"
        )


class VerdictCache:
    """Verdicts kept in ``directory``, keyed by :class:`Inputs`."""

    def __init__(self, directory: Path, inputs: Inputs) -> None:
        self.directory = directory
        self.inputs = inputs
        self._warned = False

    def _path(self, stack: Stack, modes: tuple[str, ...]) -> Path:
        """``verdicts/<project>-<its folder's hash>/<stack>.<modes>.json``: names reduced to safe
        characters (a name cannot lead out of the cache), projects of one name in two folders apart."""
        folder = hashlib.sha256(str(stack.program.parent.resolve()).encode()).hexdigest()[:12]
        project = _safe(stack.project)
        return self.directory / "verdicts" / f"{project}-{folder}" / f"{_safe(stack.name)}.{'+'.join(modes)}.json"

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
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
            return None

    def keep(
        self, checked: Iterable[tuple[Stack, str, SiteResult]], modes: tuple[str, ...], *, keep_plan: bool = False
    ) -> None:
        """Keep each ``(stack, key, result)`` whose inputs hash the same now as when ``key`` was taken,
        before the check (an input edited meanwhile, a ``git checkout`` during the run, keeps nothing);
        raises :class:`CacheWriteError` when the directory cannot be written."""
        now: Inputs | None = None
        for stack, key, result in checked:
            now = now or self.inputs.again()
            if now.key(stack, modes) == key:
                self.put(stack, modes, result, key=key, keep_plan=keep_plan)

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
            handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as partial:
                    json.dump(document, partial, separators=(",", ":"))
                os.replace(name, path)
            except BaseException:
                Path(name).unlink(missing_ok=True)
                raise
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


__all__ = [
    "DEFAULT_DIR",
    "CacheDirError",
    "CacheWriteError",
    "Inputs",
    "VerdictCache",
    "check_directory",
    "environment_digest",
    "source_digest",
]
