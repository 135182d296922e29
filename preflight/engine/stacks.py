"""Stack files: ``stacks/Pulumi.<site>.yaml``, read the way the Pulumi CLI hands them to a program."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from preflight.engine.virtualenv import VirtualenvError, project_virtualenv
from program import runners, sites
from program.config import MAX_NESTING, MAX_STACK_FILE_BYTES, MAX_VALUES, NAMESPACE, ConfigError, SiteConfig

ROOT = Path(__file__).resolve().parents[2]
"""The folder of the site program, ``program/`` and ``policies/``: a clone's root, or the installed
distribution's ``imaging_landing_zone/_check`` (ADR 0036)."""
INSTALLED = ROOT.parts[-2:] == ("imaging_landing_zone", "_check")
"""Whether this is the installed command ``imaging-preflight``: it holds no stack files and keeps no
verdicts of its own, so both default to the current directory's (``stacks/``, ``.preflight-cache/``)."""
PROJECT = NAMESPACE
"""The Pulumi project (``Pulumi.yaml``'s name), whose name is the site config's namespace."""
STACKS_DIR = Path("stacks") if INSTALLED else ROOT / "stacks"
PROGRAM = ROOT / "__main__.py"
_STACK_FILE = re.compile(r"^Pulumi\.(.+)\.ya?ml$")


class StackFileError(Exception):
    """A stack that cannot be read; the message is one line naming the file, the line (and column) or
    key path, and the problem. It never quotes the file's content beyond its keys: a stack file may be
    something else than it seems (a copied secret), and errors reach CI logs."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line
        """The stack file's line the problem is on (1 when it is not about one line)."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader for untrusted files: it refuses a key that appears twice in one mapping
    (PyYAML keeps the last, silently; the Pulumi CLI refuses the file), nesting deeper than
    :data:`~program.config.MAX_NESTING` levels (PyYAML composes nested nodes recursively: 3,000
    brackets overflow the interpreter's stack) and more than :data:`~program.config.MAX_VALUES` values
    once aliases are expanded (a few nested aliases expand to billions of values: the document is
    refused from its node graph, before anything is expanded). The caller bounds the file's size."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self.lines: dict[tuple[str, ...], int] = {}
        """The line of each mapping key, by its path of keys from the top (list items by index)."""
        self.paths: dict[int, tuple[str, ...]] = {}
        """The path of keys of each value node, by the node's id (what an error about a value names)."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING + 1:  # the document itself is one level
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise StackFileError(
                    f"line {mark.line + 1}: nested deeper than {MAX_NESTING} levels; a stack file nests at most "
                    f"{MAX_NESTING}",
                    mark.line + 1,
                )
            node = super().compose_node(parent, index)
            assert node is not None  # an alias or a node: the composer never returns nothing here
            return node
        finally:
            self._depth -= 1

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _measure(node)
        _note_lines(node, (), self.lines, self.paths)
        return self.construct_document(node)  # type: ignore[no-untyped-call]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                line = key_node.start_mark.line + 1
                raise StackFileError(
                    f"line {line}: a YAML merge key (<<) is not supported in a stack file; write the keys out",
                    line,
                )
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
            if not isinstance(key, str):
                # JSON, the form the engine passes values in, has text keys only: `null:` would become "null"
                # and `22:` "22", colliding with the quoted key; YAML 1.1 also reads `no:` or `on:` as a boolean
                path = ".".join(self.paths.get(id(node), ()))
                if not isinstance(key_node, yaml.ScalarNode):
                    raise StackFileError(f"line {line}: {path}: a key must be text, not a list or mapping", line)
                kind = "null" if key is None else type(key).__name__
                raise StackFileError(
                    f"line {line}: {path}.{key_node.value}: a key must be text, and {key_node.value!r} reads as "
                    f"{kind}; quote it",
                    line,
                )
        return super().construct_mapping(node, deep=deep)


_MERGE_TAG = "tag:yaml.org,2002:merge"
_UNSUPPORTED_TAGS = {
    "tag:yaml.org,2002:binary": "!!binary",
    "tag:yaml.org,2002:set": "!!set",
    "tag:yaml.org,2002:omap": "!!omap",
    "tag:yaml.org,2002:pairs": "!!pairs",
}
"""Tags the safe loader constructs as something that is no config value (bytes, a set, a list of pairs):
refused, naming the key, instead of failing later or passing a Python repr to the program."""


def _refuse_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    line = node.start_mark.line + 1
    path = getattr(loader, "paths", {}).get(id(node))
    where = f"{'.'.join(path)}: " if path else ""
    raise StackFileError(
        f"line {line}: {where}a {_UNSUPPORTED_TAGS[node.tag]} value is not supported in a stack file; write a plain "
        "string, list or mapping",
        line,
    )


for _tag in _UNSUPPORTED_TAGS:
    _UniqueKeyLoader.add_constructor(_tag, _refuse_tag)


def _measure(root: yaml.Node) -> None:
    """Refuse a node graph that, with its aliases expanded, nests deeper than ``MAX_NESTING`` levels,
    holds more than ``MAX_VALUES`` values, or contains itself (a recursive alias). Each node is sized
    once (aliases share nodes), without recursion: linear in the file, whatever the aliases expand to."""
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth) once expanded
    on_path: set[int] = set()
    pending: list[tuple[yaml.Node, bool]] = [(root, False)]
    while pending:
        node, finished = pending.pop()
        children = _children(node)
        if finished:
            on_path.discard(id(node))
            values = 1 + sum(sizes[id(c)][0] for c in children)
            depth = (1 + max(sizes[id(c)][1] for c in children)) if children else 0
            line = node.start_mark.line + 1
            if depth > MAX_NESTING:
                raise StackFileError(
                    f"line {line}: aliases nest deeper than {MAX_NESTING} levels; a stack file nests at most "
                    f"{MAX_NESTING}",
                    line,
                )
            if values > MAX_VALUES:
                raise StackFileError(
                    f"line {line}: more than {MAX_VALUES} values (aliases expanded); a stack file holds at most "
                    f"{MAX_VALUES}",
                    line,
                )
            sizes[id(node)] = (values, depth)
            continue
        if id(node) in sizes:
            continue
        if id(node) in on_path:
            line = node.start_mark.line + 1
            raise StackFileError(f"line {line}: an alias refers to a value that contains it (recursive alias)", line)
        on_path.add(id(node))
        pending.append((node, True))
        pending.extend((c, False) for c in children if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _note_lines(
    root: yaml.Node,
    where: tuple[str, ...],
    lines: dict[tuple[str, ...], int],
    paths: dict[int, tuple[str, ...]] | None = None,
) -> None:
    """Note in ``lines`` the line of every mapping key (and list item) under ``root``, by its path, and in
    ``paths`` each node's path; an alias's values are noted where its anchor is (the graph is bounded by
    :func:`_measure`)."""
    pending: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, where)]
    while pending:
        node, path = pending.pop()
        if paths is not None:
            paths.setdefault(id(node), path)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    inner = (*path, str(key.value))
                    lines.setdefault(inner, key.start_mark.line + 1)
                    pending.append((value, inner))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                inner = (*path, str(index))
                lines.setdefault(inner, item.start_mark.line + 1)
                pending.append((item, inner))


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
    a virtualenv not made yet), and what the deploy workflow will refuse of it (a site it cannot deploy from
    its runner); every report shows them."""
    secret_keys: tuple[str, ...] = ()
    """Keys whose stack-file value is ``secure:``: offline they hold :func:`secret_placeholder`, marked
    secret for the program and the pack as the engine marks a decrypted secret."""
    given: str | None = None
    """The stack file's path as the user wrote it (``./Pulumi.x.yaml``), when they named a file."""
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    """The line of each config key and field (``imaging-landing-zone:kms.rotationDays``); ``""`` is ``config:``'s."""

    def line_of(self, key: str) -> int:
        """The line of config key or field ``key``, else of ``config:``."""
        return self.lines.get(key, self.lines.get("", 1))

    @property
    def shown(self) -> str:
        """How reports name the stack file: as the user wrote it, else :func:`display_path`."""
        return self.given or display_path(self.path)


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
        # The CLI's YAML reader (gopkg.in/yaml.v3) keeps a date-like scalar a string when it decodes into an
        # untyped value; PyYAML makes it a date: give it back as the string the engine would pass.
        return json.dumps(value, default=_date_text)
    return str(value)


def _date_text(value: object) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise StackFileError(
        f"a value of type {type(value).__name__} is not supported in a stack file; write a plain string"
    )


def site_name(text: str) -> str:
    """The stack name a user meant: ``bern``, or a stack file's name or path (``Pulumi.bern.yaml``,
    ``stacks/Pulumi.bern.yaml``)."""
    match = _STACK_FILE.match(Path(text).name)
    return match.group(1) if match else text


def given_file(name: str) -> Path | None:
    """The stack file ``name`` names by its path (``./Pulumi.bern.yaml``), when it is one that exists."""
    given = Path(name)
    return given if _STACK_FILE.match(given.name) and given.is_file() else None


def stack_path(name: str, stacks_dir: Path = STACKS_DIR) -> Path:
    """Where stack ``name``'s file is (or would be)."""
    return stacks_dir / f"Pulumi.{site_name(name)}.yaml"


def load(name: str, stacks_dir: Path = STACKS_DIR) -> Stack:
    """Read and validate one stack, named by its stack name or its file (:func:`site_name`). Raises
    ``StackFileError`` or ``ConfigError`` (one line per problem)."""
    given = given_file(name)
    if given is not None:
        return load_file(given, site_name(name), given=name)
    name = site_name(name)
    path = stacks_dir / f"Pulumi.{name}.yaml"
    if not path.is_file():  # an existing file with a name off the rule is refused naming the file (load_file)
        known = ", ".join(available(stacks_dir)) or "none"
        if (problem := sites.problem(name)) is not None:
            raise StackFileError(f"{problem}; name a site (known sites: {known}) or its stack file Pulumi.<site>.yaml")
        raise StackFileError(f"no stack file {display_path(path)} (known sites: {known})")
    return load_file(path, name)


def inside(path: Path, shown: str) -> None:
    """Refuse a stack file that is a link to a file outside its own folder (``StackFileError``): the check
    would read, and its errors name, whatever the link points at (a key file, another team's secrets)."""
    if path.is_symlink() and not path.resolve().is_relative_to(path.parent.resolve()):
        raise StackFileError(
            f"{shown}: a link to a file outside its folder {display_path(path.parent)}; a stack file is read only "
            "from its stacks folder (copy the file there instead of linking to it)"
        )


def _secret_keys(config: dict[str, str]) -> tuple[str, ...]:
    return tuple(sorted(key for key, value in config.items() if value == secret_placeholder(key)))


def read_yaml(path: Path, shown: str | None = None) -> tuple[Any, dict[tuple[str, ...], int]]:
    """An untrusted YAML file's document and the line of each key (by its path of keys), read within
    the stack-file limits (size, nesting, values after aliases). Raises ``StackFileError`` whose first
    line names the file (``shown``, else its name) and the problem or the limit."""
    shown = shown or path.name
    try:
        with path.open("rb") as file:
            data = file.read(MAX_STACK_FILE_BYTES + 1)
    except OSError as exc:
        raise StackFileError(f"{shown}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > MAX_STACK_FILE_BYTES:
        raise StackFileError(
            f"{shown}: larger than {MAX_STACK_FILE_BYTES // 1024} KiB; a stack file is at most "
            f"{MAX_STACK_FILE_BYTES // 1024} KiB ({MAX_STACK_FILE_BYTES} bytes)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StackFileError(f"{shown}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    loader: _UniqueKeyLoader | None = None
    try:
        loader = _UniqueKeyLoader(text)  # refuses a control character at once
        document = loader.get_single_data()
    except StackFileError as exc:
        raise StackFileError(f"{shown}: {exc}", exc.line) from None
    except yaml.YAMLError as exc:
        raise _syntax_error(shown, exc) from None
    except RecursionError:  # not reached within the limits; never a traceback
        raise StackFileError(f"{shown}: nested too deeply; a stack file nests at most {MAX_NESTING}") from None
    finally:
        if loader is not None:
            loader.dispose()  # type: ignore[no-untyped-call]
    return document, loader.lines


def _read_config(
    path: Path, *, site: bool, shown: str | None = None
) -> tuple[dict[str, str], dict[str, int], dict[str, Any]]:
    """A stack file's ``config:`` in the engine's form (strings; objects and lists as JSON), the line
    of each config key and field (``imaging-landing-zone:kms.rotationDays``), and the values as YAML reads
    them. A site's stack file must have keys; another project's may have none."""
    shown = shown or path.name
    document, lines = read_yaml(path, shown)
    if not site and (document is None or (isinstance(document, dict) and document.get("config") is None)):
        return {}, {}, {}
    if document is None:
        raise StackFileError(f"{shown}: the file is empty; it needs a 'config:' section with the site's keys")
    if not isinstance(document, dict) or "config" not in document:
        raise StackFileError(f"{shown}: must be a mapping with a 'config:' section (the site's keys go under it)")
    config_line = lines.get(("config",), 1)
    if site and (document["config"] is None or document["config"] == {}):
        raise StackFileError(
            f"{shown}: the 'config:' section is empty; add the site's keys, e.g. "
            "imaging-landing-zone:siteCode (see stacks/site-config.schema.json)",
            config_line,
        )
    if not isinstance(document["config"], dict):
        raise StackFileError(
            f"{shown}: 'config:' must be a mapping of keys to values, got {type(document['config']).__name__}",
            config_line,
        )
    fields = {
        path_[1] + "".join(f".{part}" for part in path_[2:]): line
        for path_, line in lines.items()
        if len(path_) > 1 and path_[0] == "config"
    }
    fields[""] = config_line
    config = {}
    for key, value in document["config"].items():
        try:
            config[str(key)] = _engine_value(str(key), value)
        except StackFileError as exc:
            line = fields.get(str(key), config_line)
            raise StackFileError(
                f"{shown}: line {line}: {key}: {exc}".replace(f"{key}: {key}:", f"{key}:"), line
            ) from None
    return config, fields, {str(key): value for key, value in document["config"].items()}


class StackConfigError(ConfigError):
    """A stack file whose config does not describe a valid site: one line per problem, each naming the
    file and the line (:attr:`lines`) of the field it is about (the line of ``config:`` for a missing key)."""

    def __init__(self, problems: list[str], lines: list[int]) -> None:
        super().__init__(problems)
        self.lines = lines
        self.line = lines[0] if lines else 1
        """The line of the first problem."""


def field_line(fields: dict[str, int], problem: str) -> int:
    """The line of the field a config problem (``<namespace>:<key>[.<path>]: ...``) is about: the
    deepest field of its path that the file has (map keys may hold dots: fields are matched whole),
    else the ``config:`` line."""
    best, line = -1, fields.get("", 1)
    for key, number in fields.items():
        written = ascii(key)[1:-1]  # a problem shows a key's letters that are not ASCII escaped
        if key and len(key) > best and any(problem.startswith(f"{k}{end}") for k in {key, written} for end in ":."):
            best, line = len(key), number
    return line


def load_file(path: Path, name: str | None = None, *, given: str | None = None) -> Stack:
    """Read and validate a site's stack file at ``path``; ``given`` is the path as the user wrote it
    (errors and reports name the file so), else errors name the file by its name."""
    shown = given or path.name
    stack_name = name or path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    if (problem := sites.problem(stack_name)) is not None:
        raise StackFileError(f"{shown}: {problem}; rename the file")
    inside(path, shown)
    config, fields, values = _read_config(path, site=True, shown=shown)
    problems = _runner_problems(values)
    try:
        site = SiteConfig.from_stack_config(config)
    except ConfigError as exc:
        problems = [*exc.problems, *problems]
    if problems:
        lines = [field_line(fields, problem) for problem in problems]
        raise StackConfigError(
            [f"{shown}: line {line}: {problem}" for line, problem in zip(lines, problems, strict=True)], lines
        ) from None
    return Stack(
        name=stack_name,
        path=path,
        config=config,
        site=site,
        notes=_runner_notes(path, stack_name, shown, values, site),
        secret_keys=_secret_keys(config),
        given=given,
        lines=fields,
    )


def _runner_problems(values: Mapping[str, Any]) -> list[str]:
    """The stack file's ``imaging-deploy`` keys that are not a runner (``program/runners.py``): a key
    other than ``runsOn``, a value that is not a list of labels. A bad stack file, as the workflow reads it."""
    problems = [
        f"{key}: unknown key; the {runners.NAMESPACE} namespace holds {runners.KEY} only ({runners.RUNS_ON})"
        for key in values
        if key.partition(":")[0] == runners.NAMESPACE and key != runners.RUNS_ON
    ]
    if runners.RUNS_ON in values and (problem := runners.labels_problem(values[runners.RUNS_ON])) is not None:
        problems.append(f"{runners.RUNS_ON}: {problem}")
    return problems


def _runner_notes(path: Path, name: str, shown: str, values: Mapping[str, Any], site: SiteConfig) -> tuple[str, ...]:
    """What the deploy workflow will say of this site's runner (``program/runners.py``, which reads the stack
    file line by line with the standard library): that it refuses the site (an enforced perimeter and no
    self-hosted runner), or cannot read the file, or reads it otherwise than the YAML reader. A deployment
    fact, not a cloud control: a note in every report, never a finding."""
    workflow = "the deploy workflow (program/runners.py)"
    try:
        found = runners.read(path, name, shown)
    except runners.RunnerError as exc:
        return (f"{workflow} cannot read this stack file and refuses every site (exit 2): {exc}",)
    value = values.get(runners.RUNS_ON)
    declared = tuple(value) if isinstance(value, list) else None
    enforced = site.perimeter is not None and site.perimeter.enforced
    if (found.runs_on, found.enforced) != (declared, enforced):
        return (
            f"{workflow} reads {runners.RUNS_ON} as {found.runs_on} and perimeter.enforced as {found.enforced}, the "
            f"site model as {declared} and {enforced}: write them in the block form of the example sites",
        )
    if found.problem is not None:
        return (f"{workflow} refuses every site (exit 2): {shown}: {found.problem}",)
    return ()


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
    document, _ = read_yaml(project_file, display_path(project_file))
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
    inside(path, display_path(path))
    config, _, _ = _read_config(path, site=False, shown=display_path(path))
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


def _syntax_error(shown: str, exc: yaml.YAMLError) -> StackFileError:
    """A YAML syntax error in one line: the file, line, column and problem. The offending line is not
    shown: the file may hold what must not reach a log (line and column find it)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    if mark is None:
        return StackFileError(f"{shown}: not valid YAML: {problem}")
    line, column = mark.line + 1, mark.column + 1
    where = f" ({context})" if context else ""
    return StackFileError(f"{shown}: line {line}, column {column}: not valid YAML: {problem}{where}", line)
