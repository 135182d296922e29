"""What every command shares: an error is one ``error: ...`` line per problem on stderr, never a traceback;
a numeric option is checked where it is parsed."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence

from preflight.judge.results import EXIT_BAD_INPUT


def positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    """An argparse type: a number (``int`` or ``float``) greater than 0, else a one-line usage error."""
    expected = "a whole number" if kind is int else "a number"

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"must be {expected} greater than 0, got {text!r}")
        return value

    return parse


def fail(lines: Sequence[str]) -> int:
    """Report ``lines`` as errors on stderr; the bad-input exit code."""
    for line in lines:
        print(f"error: {line}", file=sys.stderr)
    return EXIT_BAD_INPUT
