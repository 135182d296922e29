"""``python -m rollout preview|up|drift [SITE ...]``: real Pulumi runs over the fleet.

Exit codes: 0 every site succeeded (drift: none drifted), 1 a site failed, drifted or was skipped,
2 bad input (unknown site, no Pulumi CLI, bad option).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rollout import runner

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JOBS = 4


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m rollout",
        description=(
            "Preview, update or drift-check hospital sites for real with the Pulumi CLI (Automation API), "
            "the policy pack attached. For the offline check without credentials, use python -m preflight."
        ),
    )
    p.add_argument(
        "operation",
        choices=runner.OPERATIONS,
        help="preview: pulumi preview; up: pulumi up; drift: refresh and preview, a change means drift",
    )
    p.add_argument("sites", nargs="*", metavar="SITE", help="stack names (default: every stacks/Pulumi.<site>.yaml)")
    p.add_argument("--jobs", type=_jobs, default=DEFAULT_JOBS, help=f"sites run at once (default: {DEFAULT_JOBS})")
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="start the remaining sites after one failed (default: for up, no new site starts after a failure)",
    )
    p.add_argument(
        "--policy-pack", type=Path, default=ROOT / "policies", help="policy pack directory (default: policies)"
    )
    p.add_argument("--policy-pack-config", type=Path, help="policy pack config JSON (default: none)")
    p.add_argument(
        "--secrets-provider",
        help="secrets provider for stacks created by this run, {site} standing for the site, e.g. "
        "gcpkms://projects/<platform>/locations/<region>/keyRings/pulumi/cryptoKeys/secrets-{site} "
        "(default: the backend's)",
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the summary as JSON to FILE")
    return p


def main(argv: Sequence[str] | None = None, *, operation_factory: runner.OperationFactory | None = None) -> int:
    """Run the command; ``operation_factory`` replaces the Automation API (the tests' seam)."""
    from preflight import stacks
    from rollout import pulumi_ops

    args = parser().parse_args(argv)
    known = stacks.available()
    sites = args.sites or known
    unknown = [s for s in sites if s not in known]
    problems = [f"no stack file stacks/Pulumi.{s}.yaml (known sites: {', '.join(known) or 'none'})" for s in unknown]
    if not args.policy_pack.joinpath("PulumiPolicy.yaml").is_file():
        problems.append(f"--policy-pack {args.policy_pack}: no PulumiPolicy.yaml there")
    if args.policy_pack_config is not None and not args.policy_pack_config.is_file():
        problems.append(f"--policy-pack-config {args.policy_pack_config}: no such file")
    if not sites:
        problems.append("no sites: stacks/ has no Pulumi.<site>.yaml")
    if not problems and operation_factory is None:
        try:
            pulumi_ops.require_cli()
        except pulumi_ops.CliMissingError as error:
            problems.append(str(error))
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    factory = operation_factory or pulumi_ops.operation
    operation = factory(
        args.operation,
        work_dir=ROOT,
        policy_pack=args.policy_pack,
        policy_pack_config=args.policy_pack_config,
        secrets_provider=args.secrets_provider,
    )
    runs = runner.run_fleet(
        sites,
        operation,
        jobs=args.jobs,
        stop_on_failure=args.operation == "up" and not args.keep_going,
        progress=runner.Progress(len(sites), sys.stderr),
    )
    print(runner.summary_table(args.operation, runs))
    if args.json is not None:
        args.json.write_text(json.dumps(runner.to_json(args.operation, runs), indent=2) + "\n", encoding="utf-8")
    return runner.exit_code(runs)
