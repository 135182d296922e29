"""``python -m preflight netcheck``: the site network readiness probe (``netcheck/probe.py``) from the
command line, on the hospital network."""

from __future__ import annotations

import argparse
import json
import ssl
import sys
from pathlib import Path
from typing import Any

from preflight.commands.common import fail, positive
from program.config import ConfigError


def add_parser(sub: Any) -> None:
    """The ``netcheck`` subcommand and its options."""
    netcheck = sub.add_parser(
        "netcheck",
        help="measure the site's network readiness: latency, throughput, TLS (run on the hospital network)",
        description="Measure TCP connect time, the TLS handshake and version, HTTPS round-trip latency and "
        "download throughput to the site's storage and viewer endpoints, and judge them against the site's "
        "minimums (PERF-01, PERF-02, TLS-04). Exit 0 all pass, 1 a minimum is missed, 2 unusable input or "
        "an endpoint that cannot be measured.",
    )
    netcheck.add_argument(
        "site", help="the stack name (stacks/Pulumi.<site>.yaml) or its stack file: minimums and endpoints"
    )
    netcheck.add_argument(
        "--url",
        action="append",
        default=[],
        metavar="[storage=|viewer=]URL",
        help="an https endpoint to measure instead of the site's (repeatable); a bare URL is a storage endpoint, "
        "for example a signed URL to a test object (default: the site's storage and viewer endpoints)",
    )
    netcheck.add_argument(
        "--seconds", type=positive(float), default=10.0, help="download for at most this many seconds (default: 10)"
    )
    netcheck.add_argument(
        "--max-mb", type=positive(float), default=100.0, help="download at most this many MB (default: 100)"
    )
    netcheck.add_argument(
        "--samples", type=positive(int), default=5, help="TCP connects and HTTPS round trips to time (default: 5)"
    )
    netcheck.add_argument(
        "--timeout", type=positive(float), default=10.0, help="seconds to wait for any answer (default: 10)"
    )
    netcheck.add_argument(
        "--ca-file",
        type=Path,
        default=None,
        help="also trust this PEM CA certificate, e.g. a TLS-inspecting proxy's CA or a test CA "
        "(default: the system's CAs only)",
    )
    netcheck.add_argument(
        "--format", choices=("table", "json"), default="table", help="table (for people) or json (default: table)"
    )
    netcheck.add_argument(
        "--quiet", action="store_true", help="no download progress on stderr (default: progress shown)"
    )
    netcheck.add_argument("--stacks-dir", type=Path, default=None, help="where the stack files are (default: stacks/)")


def run(args: argparse.Namespace) -> int:
    """Measure the site's endpoints and print the report; the probe's exit code."""
    from netcheck import probe as netcheck
    from preflight.engine import stacks

    try:
        site = stacks.site_of(stacks.load(args.site, args.stacks_dir or stacks.STACKS_DIR))
        endpoints = netcheck.url_endpoints(args.url) if args.url else netcheck.site_endpoints(site)
    except ConfigError as exc:
        return fail(exc.problems)
    except (stacks.StackFileError, ValueError) as exc:
        return fail([str(exc)])
    options = netcheck.Options(
        samples=int(args.samples),
        seconds=args.seconds,
        max_bytes=max(1, int(args.max_mb * 1e6)),
        timeout=args.timeout,
        ca_file=args.ca_file,
    )
    try:
        netcheck.tls_context(options.ca_file)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        return fail([f"--ca-file {args.ca_file}: not a readable PEM CA certificate ({reason})"])
    minimums = netcheck.Minimums(site.netcheck.min_download_mbps, site.netcheck.max_latency_ms)
    report = netcheck.run(args.site, endpoints, minimums, options, progress=None if args.quiet else sys.stderr)
    if args.format == "json":
        json.dump(netcheck.to_json(report), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(netcheck.table(report))
    for line in netcheck.errors(report):
        print(f"error: {line}", file=sys.stderr)
    return report.exit_code
