"""Real policy-pack processes for tests, configured as the command line configures them (imports the
pack's driver: gRPC)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from preflight.engine.stacks import PROJECT
from preflight.judge import pack as judge_pack


def configured_pack(
    config: Mapping[str, str],
    *,
    project: str = PROJECT,
    stack: str,
    mode: str = "update",
    policy_config: Mapping[str, Any] | None = None,
) -> judge_pack.PackProcess:
    """A real pack process for one stack, configured as the CLI would with ``policy_config``; the caller
    closes it. ``mode``: the engine's dry run is on in every mode but ``update``."""
    pack = judge_pack.PackProcess(config=dict(config), project=project, stack=stack, dry_run=mode != "update")
    pack.configure(judge_pack.reconcile(pack.info(), dict(policy_config) if policy_config else None))
    return pack


PackFactory = Callable[[str, str], judge_pack.PackProcess]
"""The ``policy_pack`` fixture: the running pack of a site in a mode."""
