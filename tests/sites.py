"""The example sites and small helpers every kind of test uses; pure: importing it starts neither gRPC
nor the Pulumi SDK (a pure test imports this, never ``conftest.py``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from preflight.engine import stacks
from tests.paths import ROOT

if TYPE_CHECKING:
    from preflight.engine.runner import Resource

SITES = stacks.available()
"""The example sites (``stacks/Pulumi.<site>.yaml``)."""


def by_name(resources: list[Resource], name: str, *, component: bool = False) -> Resource:
    """The one cloud resource (or, with ``component``, the one component) with logical name ``name``."""
    found = [r for r in resources if r.name == name and r.custom is not component]
    assert len(found) == 1, f"expected one resource named {name!r}, found {len(found)}"
    return found[0]


def preflight_cli(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``python -m preflight ARGV`` as a user runs it, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "preflight", *argv], cwd=cwd, capture_output=True, text=True, check=False
    )
