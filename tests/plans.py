"""The example sites' real plans, built once per site and mode by the program under the mock engine
(imports the Pulumi SDK; a fresh copy per call, so a test may change it)."""

from __future__ import annotations

import copy

from preflight.engine import stacks
from preflight.engine.runner import Resource, run_program
from preflight.engine.stacks import PROGRAM, PROJECT

_plans: dict[tuple[str, str], list[Resource]] = {}


def site_plan(site: str, mode: str) -> list[Resource]:
    """The resources of an example site's real program in ``mode`` (a fresh copy per call)."""
    if (site, mode) not in _plans:
        stack = stacks.load(site)
        _plans[site, mode] = run_program(PROGRAM, config=stack.config, project=PROJECT, stack=site, mode=mode)
    return copy.deepcopy(_plans[site, mode])
