"""The modes a site meets in its life, defined once: the mock engine runs the program in each, the check
judges each, the command line offers them. A module without imports, so ``--help`` stays fast."""

from __future__ import annotations

MODE_MOMENTS = {
    "preview": "a first preview: computed values unknown",
    "update": "a first update: computed values known",
    "existing": "a later preview or update: values as the provider stores them",
}
"""Each mode, in the order a site meets them, with the moment of its life it stands for."""

MODES = tuple(MODE_MOMENTS)
"""Every mode a site meets in its life: first preview, first update, later preview or update."""
