"""Stack files: ``stacks/Pulumi.<site>.yaml``, read the way the Pulumi CLI hands them to a program."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from preflight.virtualenv import VirtualenvError, project_virtualenv
from program import sites
from program.config import ConfigError, SiteConfig

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "imaging-landing-zone"
STACKS_DIR = ROOT / "stacks"
PROGRAM = ROOT / "__main__.py"
_STACK_FILE = re.compile(r"^Pulumi\.(.+)\.ya?ml$")


class StackFileError(Exception):
    """A stack that cannot be read; the message's first line names the file and the problem (a YAML
    syntax error adds the offending line, with a caret under the column, on the lines after)."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line
        """The stack file's line the problem is on (1 when it is not about one line)."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key that appears twice in one mapping (PyYAML keeps the last,
    silently; the Pulumi CLI refuses the file)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            line = key_node.start_mark.line + 1
            if isinstance(key, str | int | float | bool) and key in seen:
                raise StackFileError(
                    f"line {line}: key {key!r} appears twice in one mapping (first on line {seen[key]}); "
                    "keep one: YAML readers disagree on which one wins",
                    line,
                )
            if isinstance(key, str | int | float | bool):
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class Stack:
    """A stack: its name, file, engine-form config, and for a hospital site its validated site config.
    ``project`` and ``program`` are this repository's by default; ``--project DIR`` names another."""

    name: str
    path: Path
    config: dict[str, str]
    site: SiteConfig | None
    project: str = PROJECT
    program: Path = PROGRAM
    virtualenv: Path | None = None
    """The project's own virtualenv (``runtime.options.virtualenv``), when it names one that exists."""
    notes: tuple[str, ...] = ()
    """What the offline run does differently from the engine for this stack (a placeholder for a secret,
    a virtualenv not made yet); every report shows them."""
    secret_keys: tuple[str, ...] = ()
    """Keys whose stack-file value is ``secure:``: offline they hold :func:`secret_placeholder`, marked
    secret for the program and the pack as the engine marks a decrypted secret."""


def display_path(path: Path) -> str:
    """``path`` relative to the repository root when it is inside it (how reports and errors name it)."""
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)


def available(stacks_dir: Path = STACKS_DIR) -> list[str]:
    """The stack names that have a file in ``stacks_dir``."""
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in stacks_dir.glob("Pulumi.*.yaml"))


def secret_placeholder(key: str) -> str:
    """What a ``secure:`` value holds offline: the ciphertext cannot be decrypted without the stack's
    secrets provider, so the program and the pack get this string, marked secret."""
    return f"offline-secret-placeholder-{key.replace(':', '-')}"


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _engine_value(key: str, value: Any) -> str:
    """The CLI passes config to programs and packs as strings, objects and lists as JSON. A ``secure:``
    value of another namespace is a placeholder (:func:`secret_placeholder`); the site's own settings
    are read and validated offline, so they must be plain text (none of them is a secret)."""
    if _is_secure(value):
        if key.startswith(f"{PROJECT}:"):
            raise StackFileError(
                f"{key}: a site setting cannot be a secret: the offline check validates it, and none of the "
                "site's settings is secret; write it in plain text"
            )
        return secret_placeholder(key)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def site_name(text: str) -> str:
    """The stack name a user meant: ``bern``, or a stack file's name or path (``Pulumi.bern.yaml``,
    ``stacks/Pulumi.bern.yaml``)."""
    match = _STACK_FILE.match(Path(text).name)
    return match.group(1) if match else text


def stack_path(name: str, stacks_dir: Path = STACKS_DIR) -> Path:
    """Where stack ``name``'s file is (or would be)."""
    return stacks_dir / f"Pulumi.{site_name(name)}.yaml"


def load(name: str, stacks_dir: Path = STACKS_DIR) -> Stack:
    """Read and validate one stack, named by its stack name or its file (:func:`site_name`). Raises
    ``StackFileError`` or ``ConfigError`` (one line per problem)."""
    given = Path(name)
    if _STACK_FILE.match(given.name) and given.is_file():
        return load_file(given, site_name(name))
    name = site_name(name)
    path = stacks_dir / f"Pulumi.{name}.yaml"
    if not path.is_file():
        known = ", ".join(available(stacks_dir)) or "none"
        raise StackFileError(f"no stack file {display_path(path)} (known sites: {known})")
    return load_file(path, name)


def _secret_keys(config: dict[str, str]) -> tuple[str, ...]:
    return tuple(sorted(key for key, value in config.items() if value == secret_placeholder(key)))


def _read_config(path: Path, *, site: bool) -> dict[str, str]:
    """A stack file's ``config:`` in the engine's form (strings; objects and lists as JSON). A site's stack
    file must have keys; another project's may have none."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StackFileError(f"{path.name}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise StackFileError(f"{path.name}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except StackFileError as exc:
        raise StackFileError(f"{path.name}: {exc}", exc.line) from None
    except yaml.YAMLError as exc:
        raise _syntax_error(path, text, exc) from None
    if not site and (document is None or (isinstance(document, dict) and document.get("config") is None)):
        return {}
    if document is None:
        raise StackFileError(f"{path.name}: the file is empty; it needs a 'config:' section with the site's keys")
    if not isinstance(document, dict) or "config" not in document:
        raise StackFileError(f"{path.name}: must be a mapping with a 'config:' section (the site's keys go under it)")
    if site and (document["config"] is None or document["config"] == {}):
        raise StackFileError(
            f"{path.name}: the 'config:' section is empty; add the site's keys, e.g. "
            "imaging-landing-zone:siteCode (see stacks/site-config.schema.json)",
            _line_of_key(text, "config"),
        )
    if not isinstance(document["config"], dict):
        raise StackFileError(
            f"{path.name}: 'config:' must be a mapping of keys to values, got {type(document['config']).__name__}",
            _line_of_key(text, "config"),
        )
    return {str(key): _engine_value(str(key), value) for key, value in document["config"].items()}


def load_file(path: Path, name: str | None = None) -> Stack:
    """Read and validate a site's stack file at ``path``; its stack name must be a site name
    (:mod:`program.sites`, the rule the bootstrap and the deploy workflow share)."""
    stack_name = name or path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    if (problem := sites.problem(stack_name)) is not None:
        raise StackFileError(f"{path.name}: {problem}; rename the file")
    config = _read_config(path, site=True)
    try:
        site = SiteConfig.from_stack_config(config)
    except ConfigError as exc:
        raise ConfigError([f"{path.name}: {problem}" for problem in exc.problems]) from None
    return Stack(name=stack_name, path=path, config=config, site=site, secret_keys=_secret_keys(config))


def site_of(stack: Stack) -> SiteConfig:
    """The stack's site config; a stack of another project has none (``StackFileError``)."""
    if stack.site is None:
        raise StackFileError(f"{display_path(stack.path)}: stack of project {stack.project}, not a hospital site")
    return stack.site


def load_project(directory: Path, name: str) -> Stack:
    """A stack of any Pulumi Python project (``--project DIR STACK``): its ``Pulumi.yaml`` names the
    project, its program (``main``, default ``__main__.py``) and where its stack files are
    (``stackConfigDir``). This repository's own project is read as a site (its stack files validated)."""
    project_file = next((directory / f for f in ("Pulumi.yaml", "Pulumi.yml") if (directory / f).is_file()), None)
    if project_file is None:
        raise StackFileError(f"{directory}: no Pulumi.yaml; --project takes a Pulumi project's directory")
    try:
        document = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise StackFileError(f"{display_path(project_file)}: not a readable project file ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise StackFileError(f"{display_path(project_file)}: has no project 'name'")
    runtime = document.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise StackFileError(
            f"{display_path(project_file)}: runtime is {runtime_name!r}; only Python programs run under the "
            "offline mock engine (use `pulumi preview --policy-pack` for the others)"
        )
    program = directory / str(document.get("main") or "__main__.py")
    if program.is_dir():
        program = program / "__main__.py"
    if not program.is_file():
        raise StackFileError(f"{display_path(project_file)}: its program {display_path(program)} does not exist")
    stacks_dir = directory / str(document.get("stackConfigDir") or ".")
    name = site_name(name)
    path = stacks_dir / f"Pulumi.{name}.yaml"
    if directory.resolve() == ROOT and document["name"] == PROJECT:
        return load(name, stacks_dir)
    if not path.is_file():
        known = ", ".join(available(stacks_dir)) or "none"
        raise StackFileError(f"no stack file {display_path(path)} (stacks of project {document['name']}: {known})")
    config = _read_config(path, site=False)
    try:
        virtualenv, venv_note = project_virtualenv(directory, document)
    except VirtualenvError as exc:
        raise StackFileError(f"{display_path(project_file)}: {exc}") from None
    secret_keys = _secret_keys(config)
    notes = [*([venv_note] if venv_note else [])]
    if secret_keys:
        notes.append(
            f"secure values held offline placeholders, marked secret: {', '.join(secret_keys)} (their ciphertext "
            "cannot be decrypted without the stack's secrets provider)"
        )
    return Stack(
        name=name,
        path=path,
        config=config,
        site=None,
        project=document["name"],
        program=program,
        virtualenv=virtualenv,
        notes=tuple(notes),
        secret_keys=secret_keys,
    )


def problem_line(path: Path, problem: str) -> int:
    """The line of the stack file a config problem (``<file>: <namespace>:<key>[.<path>]: ...``) is
    about: the line of its top-level key, or 1 when it is not in the file (a missing key)."""
    match = re.search(rf"\b({re.escape(PROJECT)}:[A-Za-z]+)", problem)
    if match is None:
        return 1
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return 1
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^\s+{re.escape(match.group(1))}\s*:", line):
            return number
    return 1


def _line_of_key(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def _syntax_error(path: Path, text: str, exc: yaml.YAMLError) -> StackFileError:
    """A YAML syntax error: the first line names the file, line, column and problem; then the
    offending line with a caret under the column."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    if mark is None:
        return StackFileError(f"{path.name}: not valid YAML: {problem}")
    line, column = mark.line + 1, mark.column + 1
    where = f" ({context})" if context else ""
    message = f"{path.name}: line {line}, column {column}: not valid YAML: {problem}{where}"
    source = text.splitlines()
    if 0 < line <= len(source):
        message += f"\n  {line:>4} | {source[line - 1]}\n         {' ' * mark.column}^"
    return StackFileError(message, line)
