"""Which names a site may have: the one rule for a site's name, shared by every tool that meets it.

A site's name is its stack's name, the ``<site>`` of ``stacks/Pulumi.<site>.yaml``. The same word names
its GitHub environment (``site-<site>``), its secrets key (``secrets-<site>``) and its three deployment
identities (service accounts ``deploy-<site>``, ``drift-<site>``, ``preview-<site>``, whose ids are at
most 30 characters, end with a letter or digit and never hold ``_`` or ``.``), and is quoted in the
bootstrap's IAM conditions. So ``python -m preflight check`` and ``fleet``, the bootstrap's stack file
and the deploy workflow's matrix all accept exactly the names of :func:`check`.

Standard library only: the deploy workflow runs ``python3 -m program.sites stacks --matrix`` with the
runner's Python before anything is installed (each site with the runner labels its stack file names,
:mod:`program.runners`), and the bootstrap imports it from ``bootstrap/``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from program import runners

PATTERN: Final = r"^[a-z](?:[a-z0-9-]{0,20}[a-z0-9])?$"
"""1 to 22 characters: ``preview-`` plus 22 is a service-account id's 30."""
RULE: Final = "1-22 of a-z, 0-9 and '-', starting with a letter and not ending with '-'"
_STACK_FILE = re.compile(r"^Pulumi\.(.+)\.yaml$")


def problem(name: str) -> str | None:
    """Why ``name`` is not a site name, or ``None`` when it is one."""
    if re.fullmatch(PATTERN, name, re.ASCII):
        return None
    return (
        f"site name {name!r} is not valid: it must be {RULE} (it names the stack, the GitHub environment "
        "site-<site>, the secrets key secrets-<site> and the service accounts deploy-, drift- and preview-<site>)"
    )


def check(name: str) -> str:
    """``name`` if it is a site name, else ``ValueError`` saying what is accepted (a pydantic validator too)."""
    found = problem(name)
    if found is not None:
        raise ValueError(found)
    return name


def stack_names(stacks_dir: Path) -> list[str]:
    """The stack names of the ``Pulumi.<site>.yaml`` files in ``stacks_dir``, sorted, valid or not."""
    return sorted(m.group(1) for p in stacks_dir.glob("Pulumi.*.yaml") if (m := _STACK_FILE.match(p.name)))


BOOTSTRAP_NAMESPACE: Final = "imaging-bootstrap"


class BootstrapFileError(Exception):
    """The bootstrap's stack file cannot be changed as asked; the message is one line."""


def _block(lines: list[str], key: str) -> tuple[int, int] | None:
    """The line of ``  imaging-bootstrap:<key>:`` and the end (exclusive) of the lines indented under it."""
    head = re.compile(rf"^  {re.escape(BOOTSTRAP_NAMESPACE)}:{re.escape(key)}:\s*(#.*)?$")
    for start, line in enumerate(lines):
        if head.match(line):
            end = start + 1
            while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
                end += 1
            while end > start + 1 and not lines[end - 1].strip():
                end -= 1
            return start, end
    return None


def _lines(path: Path) -> list[str]:
    """The bootstrap stack file's lines; ``BootstrapFileError`` (one line) when it cannot be read as text."""
    try:
        return path.read_bytes().decode("utf-8").splitlines()
    except OSError as exc:
        raise BootstrapFileError(f"{path.name}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise BootstrapFileError(f"{path.name}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BootstrapFileError(f"{path.name}: cannot write it ({(exc.strerror or str(exc)).lower()})") from None


def add_to_bootstrap(path: Path, site: str, project: str) -> None:
    """Add ``site: project`` to the bootstrap's ``imaging-bootstrap:sites`` in ``path``, keeping the file's
    comments and layout; ``BootstrapFileError`` when the site is there already or the list is not found."""
    _write(path, with_site(path, site, project))


def with_site(path: Path, site: str, project: str) -> str:
    """The bootstrap stack file at ``path`` with ``site: project`` added to its ``imaging-bootstrap:sites``
    (nothing written): ``BootstrapFileError`` when the file cannot be read, the site is there already or
    the list is not found."""
    check(site)
    lines = _lines(path)
    block = _block(lines, "sites")
    if block is None:
        raise BootstrapFileError(f"{path.name}: no block `  {BOOTSTRAP_NAMESPACE}:sites:` to add site {site} to")
    start, end = block
    entry = re.compile(rf"^    {re.escape(site)}\s*:")
    if any(entry.match(line) for line in lines[start + 1 : end]):
        raise BootstrapFileError(f"{path.name}: site {site} is in {BOOTSTRAP_NAMESPACE}:sites already")
    lines.insert(end, f"    {site}: {project}")
    return "\n".join(lines) + "\n"


def retire_in_bootstrap(path: Path, site: str) -> None:
    """Move ``site`` from the bootstrap's ``sites`` to its ``retiredSites`` in ``path``: its identities go at
    the bootstrap's next ``up``, its secrets key stays (the site's exported state is encrypted with it)."""
    lines = _lines(path)
    block = _block(lines, "sites")
    entry = re.compile(rf"^    {re.escape(site)}\s*:")
    found = [i for i in range(block[0] + 1, block[1]) if entry.match(lines[i])] if block else []
    if not found or block is None:
        raise BootstrapFileError(f"{path.name}: site {site} is not in {BOOTSTRAP_NAMESPACE}:sites")
    del lines[found[0]]
    retired = _block(lines, "retiredSites")
    if retired is None:
        end = _block(lines, "sites")[1]  # type: ignore[index]  # found above
        lines[end:end] = [f"  {BOOTSTRAP_NAMESPACE}:retiredSites:", f"    - {site}"]
    else:
        lines.insert(retired[1], f"    - {site}")
    _write(path, "\n".join(lines) + "\n")


def deployment(stacks_dir: Path, site: str) -> runners.Deployment:
    """Where site ``site``'s deployment jobs run, from its stack file in ``stacks_dir``; ``RunnerError`` (one
    line) when the stack file cannot be read, its runner is malformed, or the workflow cannot deploy it from
    that runner (an enforced perimeter and no self-hosted runner, :func:`program.runners.runner_problem`)."""
    path = stacks_dir / f"Pulumi.{site}.yaml"
    if not path.is_file():
        raise runners.RunnerError(f"{path}: no such stack file (the sites of {stacks_dir}: {stack_names(stacks_dir)})")
    found = runners.read(path, site, str(path))
    if found.problem is not None:
        raise runners.RunnerError(f"{path}: {found.problem}")
    return found


def matrix(stacks_dir: Path) -> tuple[list[dict[str, object]], list[str]]:
    """The deploy workflow's matrix, one ``{"site": <name>, "runsOn": [<label>, ...]}`` per stack file of
    ``stacks_dir``, and one line per problem (a bad name, a runner it cannot use)."""
    names = stack_names(stacks_dir)
    problems = _invalid(names)
    if problems:
        return [], problems
    entries: list[dict[str, object]] = []
    for name in names:
        try:
            entries.append({"site": name, "runsOn": deployment(stacks_dir, name).labels})
        except runners.RunnerError as exc:
            problems.append(str(exc))
    return entries, problems


def main(argv: Sequence[str] | None = None) -> int:
    """``python3 -m program.sites [STACKS_DIR] [--matrix | --runs-on SITE]`` or ``--name NAME ...``: print
    the sites of ``STACKS_DIR`` (default ``stacks``) as a JSON list; with ``--matrix`` the deploy workflow's
    matrix (each site with its runner labels, :func:`matrix`); with ``--runs-on`` one site's runner labels
    (a rollback's); with ``--name`` check the names given. Exit 2 with one line per problem."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--name"]:
        names = args[1:]
        return _report(_invalid(names) if names else ["--name needs at least one site name"], names)
    directory = Path(args.pop(0) if args and not args[0].startswith("--") else "stacks")
    result: object = None
    if not directory.is_dir():
        problems = [f"{directory}: no such directory of stack files"]
    elif args == ["--matrix"]:
        result, problems = matrix(directory)
    elif len(args) == 2 and args[0] == "--runs-on":  # the option and its site
        problems = _invalid(args[1:])
        try:
            result = None if problems else deployment(directory, args[1]).labels
        except runners.RunnerError as exc:
            problems = [str(exc)]
    elif args:
        problems = [f"unexpected {' '.join(args)}; give [STACKS_DIR] [--matrix | --runs-on SITE]"]
    else:
        result = stack_names(directory)
        problems = _invalid(stack_names(directory))
    return _report(problems, result)


def _invalid(names: list[str]) -> list[str]:
    """Why each of ``names`` that is not a site name is not one."""
    return [found for name in names if (found := problem(name))]


def _report(problems: list[str], result: object) -> int:
    """Print each problem as an ``error:`` line and return 2, else print ``result`` as JSON (one line)."""
    for line in problems:
        print(f"error: {line}", file=sys.stderr)
    if problems:
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
