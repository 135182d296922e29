"""The modes a site meets in its life, defined once: the mock engine runs the program in each, the check
judges each, the command line offers them. A module without imports, so ``--help`` stays fast.

Each mode is a moment of the real engine (ADR 0029): ``preview`` is what a pack sees in a site's first
preview (computed values unknown); ``update`` what it sees in an update, a later preview and ``pulumi policy
analyze`` (every output as the provider stores it)."""

from __future__ import annotations

MODE_MOMENTS = {
    "preview": "a first preview: computed values unknown",
    "update": "an update, or a later preview: values as the provider stores them",
}
"""Each mode, in the order a site meets them, with the moment of its life it stands for."""

MODES = tuple(MODE_MOMENTS)
"""Every view the engine hands a pack in a site's life: the first preview's, and the stored form's."""

DEPRECATED_MODES = {"existing": "update"}
"""Earlier mode names still accepted, and the mode each now means."""


def mode_named(name: str) -> str:
    """The mode ``name`` stands for: itself, or the mode a deprecated name now means."""
    return DEPRECATED_MODES.get(name, name)


PROGRAM_TIMEOUT = 600.0
"""Seconds one program run (one mode) may take by default before it is stopped (``--program-timeout``;
``preflight.engine.isolation``): a site of a few hundred resources takes about a second, a program of
3,000 resources under ten; ten minutes leaves room for any real program on a loaded CI runner."""
