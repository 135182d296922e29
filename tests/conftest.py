"""Shared fixtures: example sites' plans (cached per session) and running policy-pack processes.

Mock state is process-global: every plan is built by ``preflight.engine.runner.capture``, which installs a
fresh monitor and config per run and clears the config afterwards.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from preflight.engine import stacks
from preflight.engine.runner import Resource, run_program
from preflight.engine.stacks import PROGRAM, PROJECT
from preflight.judge import analyzer

ROOT = Path(__file__).resolve().parent.parent
SITES = stacks.available()
MODES = ("preview", "update")
"""Every view the engine hands a pack in a site's life (preflight.engine.runner.MODES)."""

_plans: dict[tuple[str, str], list[Resource]] = {}


@pytest.fixture(autouse=True, scope="session")
def _fresh_verdicts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every check a test runs judges afresh (``PREFLIGHT_NO_CACHE``), and the verdicts it keeps go to a
    directory of the session, not the repository's cache; tests/preflight/judge/test_verdict_cache.py turns reuse on."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFLIGHT_CACHE_DIR", str(tmp_path_factory.mktemp("verdict-cache")))
        patch.setenv("PREFLIGHT_NO_CACHE", "1")
        yield


def site_plan(site: str, mode: str) -> list[Resource]:
    """The resources of an example site's real program in ``mode`` (a fresh copy per call)."""
    if (site, mode) not in _plans:
        stack = stacks.load(site)
        _plans[site, mode] = run_program(PROGRAM, config=stack.config, project=PROJECT, stack=site, mode=mode)
    return copy.deepcopy(_plans[site, mode])


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


def configured_pack(
    config: Mapping[str, str],
    *,
    project: str = PROJECT,
    stack: str,
    mode: str = "update",
    policy_config: Mapping[str, Any] | None = None,
) -> analyzer.PolicyPack:
    """A real pack process for one stack, configured as the CLI would with ``policy_config``; the caller
    closes it. ``mode``: the engine's dry run is on in every mode but ``update``."""
    pack = analyzer.PolicyPack(config=dict(config), project=project, stack=stack, dry_run=mode != "update")
    pack.configure(analyzer.reconcile(pack.info(), dict(policy_config) if policy_config else None))
    return pack


PackFactory = Callable[[str, str], analyzer.PolicyPack]


@pytest.fixture(scope="session")
def policy_pack() -> Iterator[PackFactory]:
    """Start (once per site and mode) the real pack process, configured as the CLI would."""
    running: dict[tuple[str, str], analyzer.PolicyPack] = {}

    def get(site: str, mode: str) -> analyzer.PolicyPack:
        if (site, mode) not in running:
            running[site, mode] = configured_pack(stacks.load(site).config, stack=site, mode=mode)
        return running[site, mode]

    yield get
    for pack in running.values():
        pack.close()
