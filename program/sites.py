"""Which names a site may have: the one rule for a site's name, shared by every tool that meets it.

A site's name is its stack's name, the ``<site>`` of ``stacks/Pulumi.<site>.yaml``. The same word names
its GitHub environment (``site-<site>``), its secrets key (``secrets-<site>``) and its three deployment
identities (service accounts ``deploy-<site>``, ``drift-<site>``, ``preview-<site>``, whose ids are at
most 30 characters, end with a letter or digit and never hold ``_`` or ``.``), and is quoted in the
bootstrap's IAM conditions. So ``python -m preflight check`` and ``fleet``, the bootstrap's stack file
and the deploy workflow's matrix all accept exactly the names of :func:`check`.

Standard library only: the deploy workflow runs ``python3 -m program.sites stacks`` with the runner's
Python before anything is installed, and the bootstrap imports it from ``bootstrap/``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

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


def main(argv: Sequence[str] | None = None) -> int:
    """``python3 -m program.sites [STACKS_DIR] [--name NAME ...]``: print the sites of ``STACKS_DIR``
    (default ``stacks``) as a JSON list, or check the names given; exit 2 with one line per invalid
    name (the deploy workflow's matrix and its dispatch input)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--name"]:
        names = args[1:]
        if not names:
            print("error: --name needs at least one site name", file=sys.stderr)
            return 2
    else:
        directory = Path(args[0] if args else "stacks")
        if not directory.is_dir():
            print(f"error: {directory}: no such directory of stack files", file=sys.stderr)
            return 2
        names = stack_names(directory)
    problems = [found for name in names if (found := problem(name))]
    for line in problems:
        print(f"error: {line}", file=sys.stderr)
    if problems:
        return 2
    print(json.dumps(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
