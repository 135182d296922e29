"""A Pulumi Python project's own virtualenv (``runtime.options.virtualenv`` in its ``Pulumi.yaml``), which
the offline check puts on the import path while it runs the project's program, as the CLI runs the
program with that environment's interpreter."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class VirtualenvError(Exception):
    """The project's virtualenv cannot serve the offline run; the message is one line."""


def site_packages(virtualenv: Path) -> Path:
    """The ``site-packages`` folder of ``virtualenv`` for this interpreter's Python version."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    found = sorted((virtualenv / "lib").glob("python3*/site-packages")) + sorted(
        (virtualenv / "Lib").glob("site-packages")
    )
    for candidate in found:
        if candidate.parent.name in (version, "Lib"):
            return candidate
    if found:
        others = ", ".join(c.parent.name for c in found)
        raise VirtualenvError(
            f"{virtualenv}: its packages are for {others}, and the offline check runs {version}; "
            f"recreate it with {version} or run the check with that Python"
        )
    raise VirtualenvError(f"{virtualenv}: not a virtualenv (no lib/python3*/site-packages)")


def project_virtualenv(project_dir: Path, document: Mapping[str, Any]) -> tuple[Path | None, str | None]:
    """The virtualenv a ``Pulumi.yaml`` names (``runtime.options.virtualenv``, relative to the project),
    and a note when it names one that does not exist yet (``pulumi install`` makes it): the program then
    runs with the offline check's own packages. Raises :class:`VirtualenvError` when it exists but
    cannot be used."""
    runtime = document.get("runtime")
    options = runtime.get("options") if isinstance(runtime, Mapping) else None
    named = options.get("virtualenv") if isinstance(options, Mapping) else None
    if not isinstance(named, str) or not named:
        return None, None
    path = Path(named) if Path(named).is_absolute() else project_dir / named
    if not path.exists():
        return None, (
            f"virtualenv {named} does not exist (pulumi install makes it); the program ran with the offline "
            "check's own packages"
        )
    site_packages(path)
    return path, None
