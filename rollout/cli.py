"""``python -m rollout preview|up|drift SITE ... | --all``, ``retire SITE`` and ``move-bootstrap-state``:
real Pulumi runs over the fleet.

Safe by default: the sites are named or ``--all`` is given (never every site by omission); the state
backend is the bootstrap's bucket (or ``--backend-url`` / ``PULUMI_BACKEND_URL``) and ``pulumi whoami``
must answer for it before anything starts; a stack created by a run is encrypted with the site's own
key from the bootstrap, never the backend's default secrets provider.

Exit codes: 0 every site succeeded (drift: none drifted), 1 a site failed, drifted or was skipped (retire:
a step failed), 2 bad input or a refusal before any change (unknown site, no Pulumi CLI, no login, bad
option), each in one line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rollout import platform, runner

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


def _backend_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend-url",
        help="the Pulumi state backend (default: PULUMI_BACKEND_URL, else the bootstrap's state bucket "
        "gs://<platformProject>-pulumi-state); `pulumi whoami` must answer for it before anything starts",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m rollout",
        description=(
            "Preview, update, drift-check or retire hospital sites for real with the Pulumi CLI (Automation API), "
            "the policy pack attached. For the offline check without credentials, use python -m preflight."
        ),
    )
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for operation, text in (
        ("preview", "pulumi preview of each site"),
        ("up", "pulumi up of each site"),
        ("drift", "refresh and preview: a change means drift"),
    ):
        sub = commands.add_parser(operation, help=text, description=f"{text}, the policy pack attached.")
        sub.add_argument("sites", nargs="*", metavar="SITE", help="the sites' stack names (stacks/Pulumi.<site>.yaml)")
        sub.add_argument(
            "--all", action="store_true", help="every stacks/Pulumi.<site>.yaml (default: only the sites named)"
        )
        sub.add_argument(
            "--jobs", type=_jobs, default=DEFAULT_JOBS, help=f"sites run at once (default: {DEFAULT_JOBS})"
        )
        sub.add_argument(
            "--keep-going",
            action="store_true",
            help="start the remaining sites after one failed (default: for up, no new site starts after a failure)",
        )
        sub.add_argument(
            "--policy-pack", type=Path, default=ROOT / "policies", help="policy pack directory (default: policies)"
        )
        sub.add_argument("--policy-pack-config", type=Path, help="policy pack config JSON (default: none)")
        sub.add_argument(
            "--secrets-provider",
            help="secrets provider for stacks created by this run, {site} standing for the site (default: the "
            "site's own key from the bootstrap, gcpkms://projects/<platformProject>/locations/<region>/keyRings/"
            "pulumi/cryptoKeys/secrets-<site>; a new stack never gets the backend's default)",
        )
        _backend_option(sub)
        sub.add_argument("--json", type=Path, metavar="FILE", help="also write the summary as JSON to FILE")
    retire = commands.add_parser(
        "retire",
        help="retire a site: export its state, destroy what is not protected, remove its stack, then drop it",
        description="Retire a site (docs/deploying.md, Retire a site): refuses while its state holds images, locked "
        "retention or other records unless --data-kept says how they are kept; exports the state to "
        "retired/<site>/, destroys every resource that is not protected, removes the stack, and only then "
        "deletes stacks/Pulumi.<site>.yaml and moves the site to the bootstrap's retiredSites. Keys and "
        "buckets are protected: they stay in the cloud, named in retired/<site>/retirement.json.",
    )
    retire.add_argument("site", metavar="SITE", help="the site's stack name")
    retire.add_argument(
        "--data-kept",
        metavar="DECISION",
        help="how and where the site's images and logs are kept, by whose decision, in a sentence (recorded); "
        "required while the state holds any (default: none, so such a site is refused)",
    )
    retire.add_argument(
        "--records-dir",
        type=Path,
        help="where the state export and the record are written, in <site>/ (default: retired)",
    )
    _backend_option(retire)
    move = commands.add_parser(
        "move-bootstrap-state",
        help="move the bootstrap's stack from its first local backend into the state bucket it created",
        description="The second step of the bootstrap (docs/deploying.md, Deploying a site for real): the stack's "
        "secrets provider becomes the platform's state key, then the stack is exported from --from, created "
        "on the state bucket with that provider, imported and counted. The source is left for you to delete.",
    )
    move.add_argument(
        "--from", dest="source", required=True, metavar="URL", help="the backend of the first up (file://...)"
    )
    move.add_argument(
        "--to",
        dest="target",
        metavar="URL",
        help="the state bucket (default: the bootstrap's, gs://<platformProject>-pulumi-state)",
    )
    return p


def _backend(args: argparse.Namespace, fleet: platform.Platform | None) -> str:
    if args.backend_url:
        return str(args.backend_url)
    if os.environ.get("PULUMI_BACKEND_URL"):
        return os.environ["PULUMI_BACKEND_URL"]
    if fleet is None:
        raise platform.PlatformError("no backend: give --backend-url or set PULUMI_BACKEND_URL")
    return fleet.backend_url


def _fail(problems: Sequence[str]) -> int:
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 2


def main(
    argv: Sequence[str] | None = None,
    *,
    operation_factory: runner.OperationFactory | None = None,
    pulumi_command: Any = None,
    bootstrap_stack: Path = platform.BOOTSTRAP_STACK,
    stacks_dir: Path | None = None,
    records_dir: Path | None = None,
) -> int:
    """Run the command. ``pulumi_command`` (an ``auto.PulumiCommand``) replaces the Pulumi CLI under the
    Automation API, ``operation_factory`` the whole per-site operation (the tests' seams)."""
    args = parser().parse_args(argv)
    if args.command == "retire":
        args.records_dir = args.records_dir or records_dir or ROOT / "retired"
        return _retire(args, pulumi_command, bootstrap_stack, stacks_dir)
    if args.command == "move-bootstrap-state":
        return _move(args, pulumi_command, bootstrap_stack)
    return _fleet(args, operation_factory, pulumi_command, bootstrap_stack, stacks_dir)


def _ready(pulumi_command: Any, backend_url: str, problems: list[str]) -> str:
    """The CLI is there and logged in to ``backend_url``: the user, or a problem added."""
    from rollout import pulumi_ops

    if problems:
        return ""
    if pulumi_command is None:
        try:
            pulumi_ops.require_cli()
        except pulumi_ops.CliMissingError as error:
            problems.append(str(error))
            return ""
    try:
        return pulumi_ops.check_backend(backend_url, work_dir=ROOT, pulumi_command=pulumi_command)
    except pulumi_ops.BackendError as error:
        problems.append(str(error))
        return ""


def _selected(args: argparse.Namespace, known: list[str]) -> tuple[list[str], list[str]]:
    """The sites to run (named, or every one with ``--all``; never every one by omission) and the problems."""
    if args.sites and args.all:
        return [], ["name sites or give --all, not both"]
    if not args.sites and not args.all:
        return [], [f"no site named: give the sites ({', '.join(known) or 'none in stacks/'}) or --all for every one"]
    if args.all and not known:
        return [], ["no sites: stacks/ has no Pulumi.<site>.yaml"]
    sites = known if args.all else list(dict.fromkeys(args.sites))
    unknown = [s for s in sites if s not in known]
    return sites, [f"no stack file stacks/Pulumi.{s}.yaml (known sites: {', '.join(known) or 'none'})" for s in unknown]


def _fleet(
    args: argparse.Namespace,
    operation_factory: runner.OperationFactory | None,
    pulumi_command: Any,
    bootstrap_stack: Path,
    stacks_dir: Path | None,
) -> int:
    from preflight.engine import stacks
    from rollout import pulumi_ops

    sites, problems = _selected(args, stacks.available(stacks_dir or stacks.STACKS_DIR))
    if not sites:
        return _fail(problems)  # one line: which sites, or --all
    if not args.policy_pack.joinpath("PulumiPolicy.yaml").is_file():
        problems.append(f"--policy-pack {args.policy_pack}: no PulumiPolicy.yaml there")
    if args.policy_pack_config is not None and not args.policy_pack_config.is_file():
        problems.append(f"--policy-pack-config {args.policy_pack_config}: no such file")
    elif args.policy_pack_config is not None and not problems:
        # the engine applies the config's levels without asking the pack: refuse here what `check` refuses
        from preflight.judge import check

        problems += [
            f"--policy-pack-config {problem}"
            for problem in check.policy_config_problems(args.policy_pack_config, args.policy_pack)
        ]
    secrets_provider = args.secrets_provider
    fleet: platform.Platform | None = None
    try:
        fleet = platform.load(bootstrap_stack)
        if secrets_provider is None and not problems:
            for site in sites:
                fleet.secrets_provider(site)  # the bootstrap made a key for every site to run
            secrets_provider = f"gcpkms://{fleet.key('secrets-{site}')}"
    except platform.PlatformError as error:
        if secrets_provider is None:
            problems.append(str(error))
    backend_url = ""
    try:
        backend_url = _backend(args, fleet)
    except platform.PlatformError as error:
        problems.append(str(error))
    if operation_factory is None:
        _ready(pulumi_command, backend_url, problems)
    if problems:
        return _fail(problems)
    factory = operation_factory or pulumi_ops.operation
    operation = factory(
        args.command,
        work_dir=ROOT,
        backend_url=backend_url,
        policy_pack=args.policy_pack,
        policy_pack_config=args.policy_pack_config,
        secrets_provider=secrets_provider,
        **({"pulumi_command": pulumi_command} if pulumi_command is not None else {}),
    )
    runs = runner.run_fleet(
        sites,
        operation,
        jobs=args.jobs,
        stop_on_failure=args.command == "up" and not args.keep_going,
        progress=runner.Progress(len(sites), sys.stderr),
    )
    print(runner.summary_table(args.command, runs))
    if args.json is not None:
        args.json.write_text(json.dumps(runner.to_json(args.command, runs), indent=2) + "\n", encoding="utf-8")
    return runner.exit_code(runs)


def _retire(args: argparse.Namespace, pulumi_command: Any, bootstrap_stack: Path, stacks_dir: Path | None) -> int:
    from preflight.engine import stacks
    from program import sites
    from rollout import pulumi_ops, retire

    directory = stacks_dir or stacks.STACKS_DIR
    problems = [p for p in (sites.problem(args.site), retire.decision_problem(args.data_kept)) if p]
    if not problems and not (directory / f"Pulumi.{args.site}.yaml").is_file():
        problems.append(f"no stack file stacks/Pulumi.{args.site}.yaml: site {args.site} is not in the fleet")
    fleet: platform.Platform | None = None
    try:
        fleet = platform.load(bootstrap_stack)
        if not problems and args.site not in fleet.sites:
            problems.append(f"site {args.site} is not in the bootstrap's sites ({bootstrap_stack.name})")
        backend_url = _backend(args, fleet)
    except platform.PlatformError as error:
        problems.append(str(error))
        backend_url = ""
    user = _ready(pulumi_command, backend_url, problems)
    if problems:
        return _fail(problems)
    steps = pulumi_ops.retire_steps(ROOT, backend_url, pulumi_command=pulumi_command)
    try:
        retire.retire(
            args.site,
            steps,
            stacks_dir=directory,
            bootstrap_stack=bootstrap_stack,
            records_dir=args.records_dir,
            data_kept=args.data_kept,
            user=user,
            backend_url=backend_url,
            log=lambda line: print(line, file=sys.stderr),
        )
    except (retire.RetireError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return error.code if isinstance(error, retire.RetireError) else 1
    print(
        f"retired {args.site}: record in {args.records_dir / args.site / 'retirement.json'}; next: the bootstrap's "
        "pulumi up, then a pull request with the deleted stack file, the bootstrap's stack file and the record"
    )
    return 0


def _move(args: argparse.Namespace, pulumi_command: Any, bootstrap_stack: Path) -> int:
    from rollout import pulumi_ops

    problems: list[str] = []
    try:
        fleet = platform.load(bootstrap_stack)
    except platform.PlatformError as error:
        return _fail([str(error)])
    target = args.target or fleet.backend_url
    if not target.startswith("gs://"):
        problems.append(f"--to {target}: the bootstrap's state belongs in its gs:// state bucket")
    if args.source == target:
        problems.append("--from and --to are the same backend")
    _ready(pulumi_command, args.source, problems)
    _ready(pulumi_command, target, problems)
    if problems:
        return _fail(problems)
    try:
        count = pulumi_ops.move_bootstrap_state(
            bootstrap_stack.parent,
            source=args.source,
            target=target,
            secrets_provider=f"gcpkms://{fleet.key('state')}",
            pulumi_command=pulumi_command,
            log=lambda line: print(line, file=sys.stderr),
        )
    except pulumi_ops.BackendError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"the bootstrap's stack {pulumi_ops.BOOTSTRAP_STACK} ({count} resource(s)) is in {target}; run "
        f"`pulumi login {target}` and `pulumi preview --stack {pulumi_ops.BOOTSTRAP_STACK}` in bootstrap/ "
        "(no changes expected), then delete the local state"
    )
    return 0
