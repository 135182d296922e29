"""Command line: ``python -m preflight plan <site> [--preview] [--format table|json]``.

Exit codes: 0 success, 2 bad input (unknown site, invalid stack file) or a tool failure, each
reported as one line per problem on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from components.config import ConfigError

EXIT_OK, EXIT_VIOLATION, EXIT_BAD_INPUT = 0, 1, 2
SCHEMA_FILE = "stacks/site-config.schema.json"


def schema_text() -> str:
    """The stack-file JSON schema as written to ``stacks/``."""
    from components.config import stack_file_schema

    return json.dumps(stack_file_schema(), indent=2, sort_keys=True) + "\n"


def _schema(*, write: bool) -> int:
    text = schema_text()
    if write:
        from preflight.stacks import ROOT

        (ROOT / SCHEMA_FILE).write_text(text, encoding="utf-8")
        print(f"wrote {SCHEMA_FILE}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


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
    plan.add_argument("--stacks-dir", type=Path, default=None, help="where the stack files are (default: stacks/)")
    schema = sub.add_parser("schema", help="print the JSON schema of stack files")
    schema.add_argument("--write", action="store_true", help=f"write it to {SCHEMA_FILE}")
    docs = sub.add_parser("docs", help="regenerate the README's component args tables")
    docs.add_argument("--write", action="store_true", help="rewrite README.md (otherwise exit 1 if stale)")
    return parser


def _fail(lines: Sequence[str]) -> int:
    for line in lines:
        print(f"error: {line}", file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "schema":
        return _schema(write=args.write)
    if args.command == "docs":
        from preflight import docs as docs_module

        if args.write:
            docs_module.write()
            return EXIT_OK
        current = docs_module.README.read_text(encoding="utf-8")
        return EXIT_OK if docs_module.render(current) == current else EXIT_VIOLATION
    from preflight import plan as plan_module
    from preflight import stacks
    from preflight.engine import ProgramError

    try:
        stack = stacks.load(args.site, args.stacks_dir or stacks.STACKS_DIR)
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
