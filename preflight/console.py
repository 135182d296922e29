"""The command line as a process runs it: ``python -m preflight`` in a clone, the console command
``imaging-preflight`` of the installed distribution (``pip install 'imaging-landing-zone[check]'``).

Installed, the check is the folder ``imaging_landing_zone/_check/``, a copy of this repository's top level
(ADR 0036); :func:`main` puts that folder first on its own process's import path, so the check, the site
program and the components import each other by the names they have here (``preflight``, ``program``,
``components``), and no other program sees those names. This module imports nothing of the check before
that: the command's entry point imports it under the installed name."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HOME = Path(__file__).resolve().parents[1]
"""The folder that holds ``preflight/``, ``program/``, ``components/`` and ``policies/``: the
repository's root, or ``imaging_landing_zone/_check`` when installed."""


def main() -> int:
    """Run the command line with ``sys.argv``; returns the process exit code."""
    if str(HOME) not in sys.path:
        sys.path.insert(0, str(HOME))
    from preflight.cli import main as cli_main
    from preflight.signals import install

    install()  # SIGTERM and SIGHUP: see preflight.signals
    try:
        code = cli_main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        code = 130
    return code
