"""The pack's words as the check uses them: the pack's folder and name, whether it judges a stack as a
hospital site, and its vocabulary table. Importing it starts nothing (no gRPC, no program run), so the
reports and the catalogue read it without the pack's driver."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from preflight.engine.stacks import PROJECT

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
"""The pack's folder: it is published alone and runs from there, in its own process."""

PACK_NAME = "imaging-site-requirements"
"""The pack's name, its config namespace and its compliance framework: our one copy of the pack's
``_site.PACK_NAMESPACE`` (the pack never imports our code; a test holds the two equal)."""


EXEMPTED_BY_CONFIG = "exempted by the policy config: "
"""How the pack's not-applicable reason says a ``exempt`` entry hid what a policy found (our copy of the
pack's ``_registry.EXEMPTED_BY_CONFIG``; a test holds the two equal): the matrix shows the control not
applicable with the reason, never met."""

LOWERED = ("advisory", "disabled")
"""The enforcement levels that lower a mandatory policy: its violations no longer stop a deployment."""


@functools.cache
def _pack_words() -> Any:
    """The pack's own vocabulary table (``imaging_policies/_words.py``, a module without imports of the
    pack), loaded by path: a fix text reads as the pack's messages do, one table for both."""
    path = PACK_DIR / "imaging_policies" / "_words.py"
    spec = importlib.util.spec_from_file_location("_imaging_pack_words", path)
    if spec is None or spec.loader is None:  # pragma: no cover (the file is part of the repository)
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fit(text: str, *, site: bool) -> str:
    """``text`` in words that fit the stack (the pack's ``_words.fit``)."""
    return str(_pack_words().fit(text, site=site))


def is_site(config: Mapping[str, str]) -> bool:
    """Whether the pack judges the stack as a hospital site (``_site.stack_scope`` of the pack): it has
    ``imaging-landing-zone:siteCode``, or its config opts in with ``imaging-site-requirements:scope: site``."""
    return bool(config.get(f"{PROJECT}:siteCode")) or config.get(f"{PACK_NAME}:scope", "").strip().lower() == "site"
