"""The verdict cache: a site whose inputs have not changed reuses its last verdict.

A verdict depends on the site's stack file, the program and everything it imports, the policy pack
and its config, the installed packages, the Python that runs them, the modes, and the environment
variables the program, provider or pack could read. :class:`Inputs` hashes all of them into one key;
an entry is reused only when its key is equal, so a change to any input re-checks the site (a stale
verdict cannot turn a failing site green: ``tests/preflight/judge/test_verdict_cache.py`` changes each input kind).

What is hashed, and why (conservative: a change that cannot alter a verdict may still re-check):

* the stack file's bytes and path, the project's ``Pulumi.yaml``, the project and stack names, the
  program's path, the modes;
* every file of every folder of this repository but :data:`NOT_INPUTS` and the hidden ones (the program,
  the components, the pack, the check itself, and their data: ``preflight/engine/stored_forms.json``,
  the catalogue, the pack's files), following symbolic links, and at the top the code, ``Pulumi.yaml``
  and the build and requirement files; for ``--project DIR``, every file under DIR. Caches (a folder
  with ``CACHEDIR.TAG``, bytecode) and virtualenvs (a folder with ``pyvenv.cfg``, ``.venv*``) are not
  read. Other sites' stack files are not read;
* the policy config (its JSON, keys sorted);
* today's date (UTC, the pack's), when the verdict may compare a date with it: the stack file or the
  policy config holds a date (NET-10 compares a perimeter dry run's end with today). Such a verdict
  is reused on the day it was made only; ``tests/preflight/judge/test_verdict_cache_staleness.py``
  fails on a clock read in the program, components, pack or check the key does not know of;
* every installed distribution's name, version and ``RECORD`` (its files and their hashes, so a
  reinstall of another build at the same version counts) and, for one installed from a local folder
  outside this repository (``pip install -e DIR``), that folder's ``.py`` files; every other folder on
  the import path (``PYTHONPATH``, ``.pth`` files) and ``PYTHONPATH`` itself;
* a ``--project``'s own virtualenv (``runtime.options.virtualenv``, wherever it is), whose packages
  its program imports: :func:`virtualenv_digest`;
* the Python version, the operating system and machine, the interpreter's path, and every
  environment variable named ``PULUMI_*``, ``GOOGLE_*``, ``GCP_*`` or ``CLOUDSDK_*`` (hashed, never
  stored).

A verdict is kept under the key taken before its check only if the key taken after it is the same
(a ``git checkout`` during a run, or midnight, keeps nothing). Not covered, and said in
``docs/check.md``: files a program reads outside its folder (and, for this repository's program,
data files at the repository's top), a program that reads the clock itself, import folders a program
adds to ``sys.path`` while it runs, files of the check's own installed packages edited in place,
environment variables outside the prefixes, and an input edited and edited back while a check runs.

One file per stack and mode set, ``<cache dir>/verdicts/<project>-<folder hash>/<stack>.<modes>.json``
(names reduced to safe characters), so the cache does not grow with time. The directory carries a
``CACHEDIR.TAG`` and a ``.gitignore`` of ``*`` (the conventions of pytest's and ruff's caches); a
directory that is not empty and not such a cache, a file, or a folder inside ``policies/`` is refused
(:func:`check_directory`). An entry that cannot be read is a miss; a cache that cannot be written
costs the reuse, never the check.
"""

from __future__ import annotations

import datetime
import email
import hashlib
import json
import os
import platform
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, fields
from importlib import metadata
from pathlib import Path
from typing import Any

from preflight.engine.stacks import INSTALLED, ROOT, Stack
from preflight.engine.virtualenv import VirtualenvError, site_packages
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


def _not_inputs_here(names: Iterable[str]) -> bool:
    """Whether a folder holding ``names`` is a cache (``CACHEDIR.TAG``, the convention pytest's, mypy's,
    ruff's and this cache's folders follow) or a virtualenv (``pyvenv.cfg``: its packages are the
    environment's, read by :func:`environment_digest` or :func:`virtualenv_digest`)."""
    return "CACHEDIR.TAG" in names or "pyvenv.cfg" in names


def _files(
    root: Path,
    suffixes: tuple[str, ...] | None,
    *,
    skip_top: Iterable[str] = (),
    top_files: Callable[[str], bool] | None = None,
) -> Iterator[Path]:
    """Files under ``root`` (with one of ``suffixes``, or all), in a stable order, skipping virtual
    environments and caches anywhere and ``skip_top`` at the top; at the top, only the files
    ``top_files`` accepts when it is given. Symbolic links are followed (a folder linked from two
    places is read twice, under each name), except a link back to a folder the walk is inside (a
    cycle)."""
    top_skipped = set(skip_top)
    for directory, dirs, names in os.walk(root, followlinks=True):
        here = os.path.realpath(directory)
        top = Path(directory) == root
        if not top and _not_inputs_here(names):
            dirs[:] = []
            continue

        def wanted(name: str, directory: str = directory, here: str = here, top: bool = top) -> bool:
            if _skipped(name) or (top and name in top_skipped):
                return False
            target = os.path.realpath(os.path.join(directory, name))
            return not (here == target or here.startswith(target + os.sep))  # not an ancestor: no cycle

        dirs[:] = sorted(d for d in dirs if wanted(d))
        for name in sorted(names):
            if (suffixes is None or name.endswith(suffixes)) and not name.endswith((".pyc", ".pyo")):
                if top and top_files is not None and not top_files(name):
                    continue
                yield Path(directory, name)


def _digest_files(digest: Any, paths: Iterable[Path], base: Path) -> None:
    for path in paths:
        try:
            content = path.read_bytes()
        except OSError:
            content = b"<unreadable>"
        digest.update(f"{path.relative_to(base).as_posix() if path.is_relative_to(base) else path}\0".encode())
        digest.update(hashlib.sha256(content).digest())


def _digest_stats(digest: Any, root: Path) -> None:
    """Every file under ``root`` by its path, size and modification time (not its bytes: a virtualenv
    holds thousands of files), skipping what :func:`_files` skips. Symbolic links are followed; a folder
    seen before (a cycle, or a folder linked twice) is read once. Plain strings, not ``Path``: this walk
    is most of the time of a key with a virtualenv (measured: 4 times faster)."""
    base = str(root)
    seen: set[tuple[int, int]] = set()
    for directory, dirs, names in os.walk(base, followlinks=True):
        try:
            stat = os.stat(directory)
        except OSError:
            dirs[:] = []
            continue
        if (stat.st_dev, stat.st_ino) in seen or (directory != base and _not_inputs_here(names)):
            dirs[:] = []
            continue
        seen.add((stat.st_dev, stat.st_ino))
        dirs[:] = sorted(d for d in dirs if not _skipped(d))
        relative = directory[len(base) + 1 :]
        for name in sorted(names):
            if name.endswith((".pyc", ".pyo")):
                continue
            try:
                stat = os.stat(os.path.join(directory, name))
                facts = f"{stat.st_size}\0{stat.st_mtime_ns}"
            except OSError:
                facts = "<unreadable>"
            digest.update(f"{relative}/{name}\0{facts}\0".encode())


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


NOT_INPUTS = ("stacks", "tests", "bench", "docs", "examples", "bootstrap", "rollout", "build", "dist", "out")
"""Folders of the repository no verdict of this repository's program reads: the stack files (each
site's is part of its own key), the tests, the benchmark, the docs, the other projects (each read as
its project's code when checked with ``--project``), the deployment tool and build and report output."""
_TOP_SUFFIXES = (".py", ".pyi", ".toml", ".txt", ".cfg", ".ini")


def _top_file(name: str) -> bool:
    """A file at the repository's top that is an input: code, ``Pulumi.yaml``, the build and requirement
    files (not the README, the changelog or a report written there)."""
    return name.endswith(_TOP_SUFFIXES) or name in ("Pulumi.yaml", "Pulumi.yml")


def source_digest(root: Path = ROOT) -> str:
    """The repository's code and data: every file of every folder outside :data:`NOT_INPUTS` and the
    hidden ones (the program, the components, the pack, the check with its data such as
    ``preflight/engine/stored_forms.json``), and at the top the files :func:`_top_file` names."""
    digest = hashlib.sha256()
    hidden = [p.name for p in root.iterdir() if p.name.startswith(".")] if root.is_dir() else []
    _digest_files(digest, _files(root, None, skip_top=(*NOT_INPUTS, *hidden), top_files=_top_file), root)
    return digest.hexdigest()


def _pth_folders(packages: Path) -> list[Path]:
    """The folders a virtualenv's ``.pth`` files put on the import path (``site.addsitedir`` reads them
    as the runner does), outside its ``site-packages``."""
    found = []
    for pth in sorted(packages.glob("*.pth")):
        try:
            lines = pth.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for entry in (line.strip() for line in lines):
            if not entry or entry.startswith(("#", "import ", "import\t")):
                continue
            folder = (packages / entry).resolve()
            if folder.is_dir() and not folder.is_relative_to(packages.resolve()):
                found.append(folder)
    return found


def _local_sources(packages: Path) -> list[Path]:
    """The folders a virtualenv's packages were installed from (``pip install DIR`` or ``-e DIR``)."""
    found = []
    for info in sorted(packages.glob("*.dist-info")):
        source = _local_source(metadata.PathDistribution(info))
        if source is not None:
            found.append(source.resolve())
    return found


def virtualenv_digest(virtualenv: Path) -> str:
    """A ``--project``'s own virtualenv, whose packages its program imports (``runtime.options.virtualenv``;
    :mod:`preflight.engine.virtualenv`): its ``pyvenv.cfg``; every file of its ``site-packages`` by path,
    size and modification time (a package's version, a module put there by hand, a file edited in place);
    and so the folders its ``.pth`` files add and the local folders its packages were installed from
    (``pip install -e DIR``). Stat, not bytes: a virtualenv holds thousands of files."""
    digest = hashlib.sha256()
    digest.update(f"{virtualenv.resolve()}\0".encode())
    _digest_files(digest, [p for p in [virtualenv / "pyvenv.cfg"] if p.is_file()], virtualenv)
    try:
        packages = site_packages(virtualenv)
    except VirtualenvError as exc:
        digest.update(f"<{exc}>".encode())
        return digest.hexdigest()
    _digest_stats(digest, packages)
    for folder in sorted({*_pth_folders(packages), *_local_sources(packages)}):
        digest.update(f"{folder}\0".encode())
        _digest_stats(digest, folder)
    return digest.hexdigest()


def _today() -> datetime.date:
    """Today in UTC, the day the pack compares dates with."""
    return datetime.datetime.now(tz=datetime.UTC).date()


_DATE = re.compile(rb"(?<![0-9])[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?![0-9])")
"""A date as YAML (a timestamp's start) or an ISO string writes it."""


def _holds_date(value: Any) -> bool:
    """Whether a validated config value holds a date anywhere (however it was written)."""
    if isinstance(value, datetime.date):
        return True
    if isinstance(value, Mapping):
        return any(_holds_date(v) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_date(v) for v in value)
    return False


def _reads_dates(stack: Stack, text: bytes) -> bool:
    """Whether ``stack``'s verdict may depend on today's date: its stack file holds a date (the pack
    compares a perimeter dry run's end with today: NET-10), in any form its site config accepts."""
    return bool(_DATE.search(text)) or (stack.site is not None and _holds_date(stack.site.model_dump()))


class Inputs:
    """What every verdict of one run shares (code, environment, policy config), hashed once; a
    site's key adds its own stack file, project, virtualenv and modes, and today's date when the
    verdict may read it. ``clock`` gives today (UTC); a test passes its own."""

    def __init__(
        self,
        policy_config: Mapping[str, Any] | None = None,
        *,
        root: Path = ROOT,
        clock: Callable[[], datetime.date] = _today,
    ) -> None:
        self._policy_config = dict(policy_config or {})
        self._root = root.resolve()
        self._clock = clock
        self._today = clock()
        config_text = json.dumps(self._policy_config, sort_keys=True, default=str).encode()
        self._dated_config = bool(_DATE.search(config_text))
        self._shared = hashlib.sha256()
        self._shared.update(f"{FORMAT}\0".encode())
        self._shared.update(source_digest(root).encode())
        self._shared.update(environment_digest().encode())
        self._shared.update(config_text)
        self._projects: dict[Path, str] = {}
        self._virtualenvs: dict[Path, str] = {}

    def _project_digest(self, program: Path) -> str:
        """A ``--project`` program's own files, when it lives outside this repository: every file of its
        folder but caches and virtualenvs (its own is :func:`virtualenv_digest`'s)."""
        directory = program.parent.resolve()
        if directory not in self._projects:
            digest = hashlib.sha256()
            digest.update(f"{directory}\0".encode())
            for name in ("Pulumi.yaml", "Pulumi.yml"):
                _digest_files(digest, [p for p in [directory / name] if p.is_file()], directory)
            if directory != self._root:
                _digest_files(digest, _files(directory, None), directory)
            self._projects[directory] = digest.hexdigest()
        return self._projects[directory]

    def _virtualenv_digest(self, virtualenv: Path | None) -> str:
        """The stack's project's own virtualenv, unless it is the check's own (:func:`environment_digest`)."""
        if virtualenv is None:
            return "no virtualenv of its own"
        resolved = virtualenv.resolve()
        if resolved == Path(sys.prefix).resolve():
            return f"{resolved}: the check's own"
        if resolved not in self._virtualenvs:
            self._virtualenvs[resolved] = virtualenv_digest(virtualenv)
        return self._virtualenvs[resolved]

    def again(self) -> Inputs:
        """The same inputs hashed again from the files (and the clock) as they are now: a verdict is kept
        only under a key taken both before and after its check (an input edited meanwhile keeps nothing)."""
        return Inputs(self._policy_config, root=self._root, clock=self._clock)

    def key(self, stack: Stack, modes: Iterable[str]) -> str:
        """The key of ``stack``'s verdict in ``modes``."""
        digest = self._shared.copy()
        digest.update(
            f"{stack.project}\0{stack.name}\0{'+'.join(modes)}\0{stack.program.resolve()}\0{stack.path.resolve()}\0".encode()
        )
        digest.update(self._project_digest(stack.program).encode())
        digest.update(self._virtualenv_digest(stack.virtualenv).encode())
        try:
            text = stack.path.read_bytes()
        except OSError:
            text = b"<unreadable>"
        digest.update(text)
        if self._dated_config or _reads_dates(stack, text):
            # the verdict may compare a date with today: reused only on the day it was made (UTC, the pack's)
            digest.update(f"\0today {self._today.isoformat()}".encode())
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
