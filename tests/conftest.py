"""Shared fixtures only: the verdict cache of the session and the running policy-pack processes. The
helpers live in plain modules a test imports by need (``tests/sites.py`` pure, ``tests/plans.py`` the
mock engine, ``tests/packs.py`` the pack's driver), so a pure test pays for neither gRPC nor Pulumi.

Mock state is process-global: every plan is built by ``preflight.engine.runner.capture``, which installs a
fresh monitor and config per run and clears the config afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from preflight.engine import stacks

if TYPE_CHECKING:
    from preflight.judge.pack import PackProcess
    from tests.packs import PackFactory


@pytest.fixture(autouse=True, scope="session")
def _fresh_verdicts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every check a test runs judges afresh (``PREFLIGHT_NO_CACHE``), and the verdicts it keeps go to a
    directory of the session, not the repository's cache; tests/preflight/judge/test_verdict_cache.py turns reuse on."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFLIGHT_CACHE_DIR", str(tmp_path_factory.mktemp("verdict-cache")))
        patch.setenv("PREFLIGHT_NO_CACHE", "1")
        yield


@pytest.fixture(scope="session")
def policy_pack() -> Iterator[PackFactory]:
    """Start (once per site and mode) the real pack process, configured as the CLI would."""
    from tests.packs import configured_pack

    running: dict[tuple[str, str], PackProcess] = {}

    def get(site: str, mode: str) -> PackProcess:
        if (site, mode) not in running:
            running[site, mode] = configured_pack(stacks.load(site).config, stack=site, mode=mode)
        return running[site, mode]

    yield get
    for pack in running.values():
        pack.close()
