"""Command line: ``python -m preflight plan <site> [--preview] [--format table|json]``.

Exit codes: 0 success, 2 bad input (unknown site, invalid stack file) or a tool failure, each
reported as one line per problem on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from components.config import ConfigError

EXIT_OK, EXIT_VIOLATION, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m preflight", description="Offline pre-deployment checks of a hospital site."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    plan = sub.add_parser("plan", help="run the site's program under the mock engine and print its plan")
    plan.add_argument("site", help="the stack name: stacks/Pulumi.<site>.yaml")
    plan.add_argument(
        "--preview",
        action="store_true",
        help="a fresh site's first preview: provider-computed values are unknown (default: update mode)",
    )
    plan.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def _fail(lines: Sequence[str]) -> int:
    for line in lines:
        print(f"error: {line}", file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    from preflight import plan as plan_module  # noqa: PLC0415 (keep --help fast)
    from preflight import stacks
    from preflight.engine import ProgramError

    try:
        stack = stacks.load(args.site)
        plan = plan_module.build(stack, "preview" if args.preview else "update")
    except ConfigError as exc:
        return _fail(exc.problems)
    except (stacks.StackFileError, ProgramError) as exc:
        return _fail([str(exc)])
    if args.format == "json":
        json.dump(plan, sys.stdout, indent=2, sort_keys=False)
        sys.stdout.write("\n")
    else:
        print(plan_module.table(plan))
    return EXIT_OK
