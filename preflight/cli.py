"""Command line: ``python -m preflight check|fleet|plan|access|netcheck|schema|docs``.

``check <site> [--mode preview|update|both] [--policy-config FILE] [--format table|json|sarif|markdown]``
and ``check --plan FILE``: the site's program (or a plan document) judged by the real policy pack.
Exit codes: 0 no mandatory violation (advisory findings never fail), 1 a mandatory violation, 2 bad
input (unknown site, invalid stack file, missing or malformed plan, broken policy config) or a tool
failure.

``fleet [--jobs N] [--mode ...] [--format ...]``: ``check`` for every stack in ``stacks/``, in
parallel, with a progress bar (stderr) and a summary; the exit code is the worst over the fleet.

``plan <site> [--preview] [--format table|json|terraform-plan]``: the offline plan; ``json`` is
``imaging-landing-zone/plan@1``, ``terraform-plan`` the same resources as a Terraform plan JSON
(``terraform show -json``, format 1.2, ``preflight/reports/terraform.py``) for scanners such as Checkov.
Exit codes: 0 success, 2 bad input (unknown site, invalid stack file) or a tool failure.

``access <site> [--format table|json] [--project DIR]``: who holds which permission on each protected
asset of the update-mode plan, and whether the site declares it (``preflight/reports/access.py``). Exit codes: 0
success, 2 bad input or a tool failure.

``netcheck <site> [--url URL ...] [--seconds N] [--format table|json] ...``: the site network
readiness probe (``netcheck/probe.py``). Exit codes: 0 every endpoint meets the minimums, 1 one
does not, 2 unusable input or an endpoint that cannot be measured.

Errors are reported as one ``error: ...`` line per problem on stderr, never a traceback. ``check`` and
``fleet`` exit 143 when stopped by SIGTERM or SIGHUP (``preflight/signals.py``), 130 after Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from preflight.commands import netcheck as netcheck_command
from preflight.commands.common import fail as _fail
from preflight.commands.common import positive as _positive
from preflight.engine import files
from preflight.engine.modes import DEPRECATED_MODES, MODES, PROGRAM_TIMEOUT
from preflight.judge.results import EXIT_OK, EXIT_VIOLATION
from program.config import ConfigError

SCHEMA_FILE = "stacks/site-config.schema.json"


def schema_text() -> str:
    """The stack-file JSON schema as written to ``stacks/``."""
    from program.config import stack_file_schema

    return json.dumps(stack_file_schema(), indent=2, sort_keys=True) + "\n"


def _schema(*, write: bool) -> int:
    text = schema_text()
    if write:
        from preflight.engine.stacks import ROOT

        (ROOT / SCHEMA_FILE).write_text(text, encoding="utf-8")
        print(f"wrote {SCHEMA_FILE}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _docs(*, write: bool) -> int:
    from preflight.catalogue import docs as docs_module

    if write:
        docs_module.write()
        return EXIT_OK
    return EXIT_VIOLATION if docs_module.stale() else EXIT_OK


def option_defaults() -> list[tuple[str, str, str]]:
    """``(command, option, default)`` for every option of every command, the default as its help
    states it (every help text ends with ``(default: ...)``); ``docs/check.md``'s table is held equal."""
    rows = []
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    for command, parser in sub.choices.items():
        for action in parser._actions:
            if not action.option_strings or isinstance(action, argparse._HelpAction):
                continue
            text = action.help or ""
            default = text.rsplit("(default: ", 1)[1][:-1] if text.endswith(")") and "(default: " in text else ""
            rows.append((command, action.option_strings[0], default))
    return rows


def _parser() -> argparse.ArgumentParser:
    # the same command line under both names: the installed command's usage lines say its own name
    prog = "imaging-preflight" if Path(sys.argv[0]).name == "imaging-preflight" else "python -m preflight"
    parser = argparse.ArgumentParser(prog=prog, description="Offline pre-deployment checks of a hospital site.")
    sub = parser.add_subparsers(dest="command", required=True)
    plan = sub.add_parser(
        "plan",
        help="run the site's program under the mock engine and print its plan",
        description="Run the site's program under Pulumi's mocks and print every resource it registers, with its "
        "inputs and options. Exit 0 success, 2 bad input (unknown site, invalid stack file) or a tool failure.",
    )
    plan.add_argument("site", help="the stack name (stacks/Pulumi.<site>.yaml) or its stack file")
    which = plan.add_mutually_exclusive_group()
    which.add_argument(
        "--preview",
        action="store_true",
        help="a fresh site's first preview: provider-computed values are unknown; same as --mode preview "
        "(default: update mode)",
    )
    which.add_argument(
        "--mode",
        choices=(*MODES, *DEPRECATED_MODES),
        default=None,
        help="preview: a fresh site's first preview; update: an update or a later preview (outputs as the "
        "provider stores them); existing: deprecated, the same as update (default: update)",
    )
    plan.add_argument(
        "--format",
        choices=("table", "json", "terraform-plan"),
        default="table",
        help="table (for people), json (imaging-landing-zone/plan@1) or terraform-plan (terraform show -json "
        "format, for scanners such as Checkov) (default: table)",
    )
    plan.add_argument("--stacks-dir", type=Path, default=None, help="where the stack files are (default: stacks/)")
    _project_option(plan)
    _timeout_option(plan)
    _check_parsers(sub)
    access = sub.add_parser(
        "access",
        help="print who holds which permission on each protected asset, and whether the site declares it",
        description="Run the site's program under the mock engine in update mode and print the effective access "
        "of every protected asset (image and log buckets, log views, keys, the SIEM topic and subscription, the "
        "viewer, the site's accounts, the project): principal, permissions, the grants that give them, and "
        "whether the site config declares them (the pack's IAM-10 and IAM-11 model). Exit 0 success, 2 bad "
        "input or a tool failure.",
    )
    access.add_argument("site", help="the stack name (stacks/Pulumi.<site>.yaml) or its stack file")
    access.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table (for people) or json (imaging-landing-zone/access@1) (default: table)",
    )
    access.add_argument("--stacks-dir", type=Path, default=None, help="where the stack files are (default: stacks/)")
    _project_option(access)
    _timeout_option(access)
    netcheck_command.add_parser(sub)
    schema = sub.add_parser(
        "schema",
        help="print the JSON schema of stack files",
        description=f"Print the JSON schema of stacks/Pulumi.<site>.yaml, generated from the site config model "
        f"(editors validate stack files with it; a test fails when {SCHEMA_FILE} is stale). Exit 0.",
    )
    schema.add_argument("--write", action="store_true", help=f"write it to {SCHEMA_FILE} (default: print it on stdout)")
    docs = sub.add_parser(
        "docs",
        help="regenerate the component args tables of components/README.md and docs/controls.md",
        description="Render the component args tables of components/README.md from the components' pydantic models and "
        "docs/controls.md from the control catalogue. Exit 0 when both are current (or were rewritten with "
        "--write), 1 when one is stale.",
    )
    docs.add_argument(
        "--write",
        action="store_true",
        help=(
            "rewrite README.md, the property table of policies/README.md and docs/controls.md "
            "(default: only check them, exit 1 if stale)"
        ),
    )
    from preflight import new_site

    new_site.add_parser(sub)
    return parser


_FORMATS = ("table", "json", "sarif", "markdown", "html")


def _timeout_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--program-timeout",
        type=_positive(float),
        default=None,
        metavar="SECONDS",
        help="stop a program run (one per mode) that has not finished after SECONDS: the site could not be "
        f"checked, exit 2 (default: {PROGRAM_TIMEOUT:g})",
    )


def _project_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project",
        type=Path,
        default=None,
        metavar="DIR",
        help="run another Pulumi Python project's program (DIR/Pulumi.yaml, its main and stackConfigDir); SITE is "
        "then its stack name, judged for the pack's resource controls unless the stack declares a site "
        "(default: this repository's site program)",
    )


def _check_parsers(sub: Any) -> None:
    check = sub.add_parser(
        "check",
        help="judge a site with the real policy pack, offline: verdict and compliance matrix",
        description="Run the site's program under the mock engine (or read a plan document) and judge every "
        "resource with the real policy pack over the engine's Analyzer protocol. Exit 0 no mandatory violation, "
        "1 a mandatory violation, 2 bad input or a tool failure, 143 stopped by SIGTERM or SIGHUP.",
    )
    check.add_argument(
        "site",
        nargs="?",
        help="the stack name (stacks/Pulumi.<site>.yaml) or its stack file; optional with --plan",
    )
    check.add_argument(
        "--plan",
        type=Path,
        default=None,
        metavar="FILE",
        help="judge this plan document instead of running the program: `plan --format json` (possibly edited), "
        "a `pulumi stack export` or a `pulumi preview --json` of a real site; the site's config comes from the "
        "stack it was made for (default: run the program)",
    )
    check.add_argument(
        "--allow-other-stack",
        action="store_true",
        help="with --plan: judge a plan made for another stack or project with SITE's config (default: refuse)",
    )
    _common_check_options(check)
    _project_option(check)
    fleet = sub.add_parser(
        "fleet",
        help="check every stack in stacks/ in parallel",
        description="`check` for every stack file, in parallel worker processes (one policy pack each), with a "
        "progress bar on stderr and a summary. Exit 0 no mandatory violation anywhere, 1 a violation, 2 a site "
        "that could not be checked (among them two sites that share a site code, project, bucket name or subnet "
        "range) or a tool failure, 143 stopped by SIGTERM or SIGHUP.",
    )
    fleet.add_argument(
        "--jobs", type=_positive(int), default=None, help="worker processes (default: the CPUs available, plus one)"
    )
    fleet.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress on stderr (default: a bar on a terminal, one line per site otherwise)",
    )
    _common_check_options(fleet)


def _common_check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mode",
        choices=(*MODES, *DEPRECATED_MODES, "both", "all"),
        default=None,
        help="preview: a fresh site's first preview; update: an update or a later preview (outputs as the "
        "provider stores them); both or all: both; existing: deprecated, the same as update (default: both)",
    )
    parser.add_argument(
        "--policy-config",
        type=Path,
        default=None,
        metavar="FILE",
        help="a policy pack config file, as `pulumi preview --policy-pack-config FILE` takes it "
        "(default: the pack's own defaults)",
    )
    parser.add_argument(
        "--format",
        choices=_FORMATS,
        default="table",
        help="table (for people), json (imaging-landing-zone/check@1), sarif (SARIF 2.1.0, for code scanning) "
        "or markdown (the compliance matrix, for pull requests) (default: table)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the report here (default: stdout)",
    )
    parser.add_argument(
        "--report",
        type=_report_target,
        action="append",
        default=[],
        metavar="FORMAT=FILE",
        help="also write the report in FORMAT to FILE (repeatable), e.g. --report sarif=preflight.sarif "
        "--report markdown=preflight.md: one run for every report a pull request needs (default: none)",
    )
    parser.add_argument(
        "--evidence",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a readiness probe report (`netcheck <site> --format json`) as evidence for PERF-01, PERF-02 and "
        "TLS-04 of the site it names (repeatable) (default: none; the rows name the command)",
    )
    parser.add_argument("--stacks-dir", type=Path, default=None, help="where the stack files are (default: stacks/)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where verdicts are kept: a site whose stack file, program, pack, policy config, packages and modes "
        "are unchanged reuses its last verdict, and the reports say so (default: $PREFLIGHT_CACHE_DIR, else "
        ".preflight-cache/ in the repository, or in the current directory when installed)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="check every site again, reusing no kept verdict; the new verdicts are kept (default: reuse, unless "
        "$PREFLIGHT_NO_CACHE is 1)",
    )
    _timeout_option(parser)


def _verdict_cache(args: argparse.Namespace, policy_config: Any) -> Any:
    """The verdict cache for this run (``preflight/judge/cache.py``)."""
    from preflight.judge import cache

    from_environment = os.environ.get("PREFLIGHT_CACHE_DIR")
    directory = args.cache_dir or (Path(from_environment) if from_environment else cache.DEFAULT_DIR)
    cache.check_directory(directory)
    return cache.VerdictCache(directory, cache.Inputs(policy_config))


def _reuse(args: argparse.Namespace) -> bool:
    """Whether kept verdicts may be reused: not with ``--no-cache``, nor with ``PREFLIGHT_NO_CACHE`` set to
    anything but empty, ``0``, ``false``, ``no`` or ``off``."""
    setting = os.environ.get("PREFLIGHT_NO_CACHE", "").strip().lower()
    return not args.no_cache and setting in {"", "0", "false", "no", "off"}


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _readiness(files: Sequence[Path]) -> dict[str, Any]:
    """The ``--evidence`` reports by site; raises ``EvidenceError`` (one line) on a bad file or two for one site."""
    from preflight.judge import evidence

    reports: dict[str, Any] = {}
    for file in files:
        readiness = evidence.read(file)
        if readiness.site in reports:
            raise evidence.EvidenceError(f"{file}: a second readiness report for site {readiness.site}")
        reports[readiness.site] = readiness
    return reports


def _matched(reports: dict[str, Any], sites: Sequence[str]) -> dict[str, Any]:
    """``reports`` if each names a site being checked; else raise ``EvidenceError`` naming the file."""
    from preflight.judge import evidence

    for site, readiness in reports.items():
        if site not in sites:
            raise evidence.EvidenceError(
                f"{readiness.file}: the readiness report is for site {site!r}, which is not being checked"
            )
    return reports


def _report_target(text: str) -> tuple[str, Path]:
    fmt, sep, file = text.partition("=")
    if not sep or fmt not in _FORMATS or not file:
        raise argparse.ArgumentTypeError(f"must be FORMAT=FILE with FORMAT one of {', '.join(_FORMATS)}, got {text!r}")
    return fmt, Path(file)


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file: the same path once symlinks are resolved, or (both existing)
    the same file on disk (a hard link)."""
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except (OSError, RuntimeError):  # a symlink loop: not one of our inputs
        return False


def _inputs(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """Every file the run reads that a report must never overwrite: the stack files (every one of the
    stacks folder, the one named by path, a ``--project``'s project and stack files), ``--plan``,
    ``--policy-config`` and each ``--evidence``."""
    from preflight.engine import stacks

    found: list[tuple[str, Path]] = []
    project = getattr(args, "project", None)
    if project is not None:
        found += [
            ("a file of the --project", f) for f in [*sorted(project.glob("Pulumi.*y*ml")), project / "Pulumi.yaml"]
        ]
    else:
        found += [("a stack file", f) for f in sorted((args.stacks_dir or stacks.STACKS_DIR).glob("Pulumi.*.yaml"))]
    site = getattr(args, "site", None)
    if site and project is None:
        checked = stacks.given_file(site) or stacks.stack_path(site, args.stacks_dir or stacks.STACKS_DIR)
        found.insert(0, ("the stack file being checked", checked))
    if getattr(args, "plan", None) is not None:
        found.append(("the --plan document", args.plan))
    if args.policy_config is not None:
        found.append(("the --policy-config file", args.policy_config))
    found += [("an --evidence report", file) for file in args.evidence]
    return found


def _overwrites(args: argparse.Namespace) -> str | None:
    """One line when ``--output`` or a ``--report`` file is an input of the run, or two of them name one file;
    ``None`` when every report goes to a file of its own."""
    targets = [("--output", args.output)] if args.output is not None else []
    targets += [(f"--report {fmt}", file) for fmt, file in args.report]
    inputs = _inputs(args)
    for index, (option, target) in enumerate(targets):
        for what, source in inputs:
            if _same_file(target, source):
                return (
                    f"{option} {target}: is {what} ({source}); a report never overwrites an input, write it elsewhere"
                )
        for other, earlier in targets[:index]:
            if _same_file(target, earlier):
                return f"{option} {target}: {other} writes that file too; give each report its own file"
    return None


def _emit(results: Sequence[Any], args: argparse.Namespace, *, table_to_stdout: bool = True) -> None:
    from preflight.reports import formats as report

    for fmt, output in [(args.format, args.output), *args.report]:
        if not table_to_stdout and fmt == "table" and output is None:
            continue  # the errors are on stderr already
        rendered = report.RENDERERS[fmt](results)
        text = rendered if isinstance(rendered, str) else json.dumps(rendered, indent=2)
        text = text if text.endswith("\n") else text + "\n"
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")


def _mode(mode: str) -> str:
    """``mode``, or the mode a deprecated name now means, with a note on stderr."""
    if mode in DEPRECATED_MODES:
        _warn(
            f"--mode {mode} is deprecated: it is --mode {DEPRECATED_MODES[mode]}, the outputs as the provider "
            "stores them (the view of an update and of a later preview)"
        )
        return DEPRECATED_MODES[mode]
    return mode


def _modes(mode: str | None) -> tuple[str, ...]:
    return MODES if mode in (None, "both", "all") else (_mode(str(mode)),)


class _UsageError(Exception):
    """Arguments that do not go together; the message is one line."""


def _judge(args: argparse.Namespace) -> Any:
    """The ``check`` command's result: the site's program, or the plan document, judged."""
    from preflight.engine import plan as plan_module
    from preflight.engine import stacks
    from preflight.judge import check

    stacks_dir = args.stacks_dir or stacks.STACKS_DIR
    policy_config = check.read_policy_config(args.policy_config) if args.policy_config else {}
    if args.project is not None and args.plan is not None:
        raise _UsageError("--project runs a program; a --plan document names its own project and stack")
    if args.allow_other_stack and args.plan is None:
        raise _UsageError("--allow-other-stack applies to --plan only (a plan made for another stack)")
    if args.plan is not None:
        if args.mode is not None:
            raise _UsageError("--mode does not apply to --plan: a plan document has its own mode")
        document, resources = plan_module.read_file(args.plan)
        site = stacks.site_name(args.site) if args.site else document["stack"]
        if not args.allow_other_stack:
            if document["project"] != stacks.PROJECT:
                raise _UsageError(
                    f"{args.plan}: the plan was made for project {document['project']!r}, not {stacks.PROJECT!r}; "
                    "judge it anyway with --allow-other-stack"
                )
            if site != document["stack"]:
                raise _UsageError(
                    f"{args.plan}: the plan was made for stack {document['stack']!r}, not {site!r}; drop SITE to "
                    f"judge it with its own stack's config, or judge it with {site!r}'s with --allow-other-stack"
                )
        stack = stacks.load(site, stacks_dir)
        return check.check_plan(
            stack,
            document["mode"],
            resources,
            str(args.plan),
            policy_config=policy_config,
            exports=document.get("outputs"),
        )
    if args.site is None:
        raise _UsageError("name a site (the stack name of stacks/Pulumi.<site>.yaml) or give --plan FILE")
    from preflight.judge import cache as cache_module

    stack = _stack(args)
    modes = _modes(args.mode)
    verdicts = _verdict_cache(args, policy_config)
    key = verdicts.inputs.key(stack, modes)
    # the data-flow diagram of an HTML report needs the plan: only then must a kept verdict have it
    keep_plan = "html" in (args.format, *(fmt for fmt, _ in args.report))
    if _reuse(args):
        kept = verdicts.get(stack, modes, key=key, keep_plan=keep_plan)
        if kept is not None:
            return kept
    result = check.check_site(stack, modes, policy_config=policy_config, keep_plan=True, timeout=args.program_timeout)
    try:
        verdicts.keep([(stack, key, result)], modes, keep_plan=True)
    except cache_module.CacheWriteError as exc:
        _warn(str(exc))
    return result


def _stack(args: argparse.Namespace) -> Any:
    """The stack to run: SITE of stacks/ (``--stacks-dir``), or stack SITE of the ``--project`` DIR."""
    from preflight.engine import stacks

    if args.project is not None:
        if args.stacks_dir is not None:
            raise _UsageError("--project reads the project's own stackConfigDir; drop --stacks-dir")
        return stacks.load_project(args.project, args.site)
    return stacks.load(args.site, args.stacks_dir or stacks.STACKS_DIR)


def _check(args: argparse.Namespace) -> int:
    from preflight.engine import plan as plan_module
    from preflight.engine import stacks
    from preflight.engine.runner import ProgramError
    from preflight.judge import cache, check, evidence
    from preflight.reports import formats as report

    if (overwrite := _overwrites(args)) is not None:
        return _fail([overwrite])
    try:
        reports = _readiness(args.evidence)
        result = _judge(args)
        result.readiness = _matched(reports, [result.site]).get(result.site)
    except (ConfigError, stacks.StackFileError, ProgramError) as exc:
        problems = exc.problems if isinstance(exc, ConfigError) else [str(exc)]
        line = exc.line if isinstance(exc, stacks.StackFileError | stacks.StackConfigError) else 1
        return _site_failed(args, problems, line)
    except check.PackError as exc:
        return _fail(exc.problems)
    except (
        _UsageError,
        plan_module.PlanError,
        check.PolicyConfigFileError,
        evidence.EvidenceError,
        cache.CacheDirError,
    ) as exc:
        return _fail([str(exc)])
    try:
        _emit([result], args)
    except OSError as exc:
        return _fail([files.cannot_write(exc)])
    return report.exit_code([result])


def _site_failed(args: argparse.Namespace, problems: Sequence[str], line: int = 1) -> int:
    """A site that could not be checked: its errors on stderr and, when the site exists, a failing
    row in the reports asked for (a CI job that keeps the SARIF or Markdown sees why)."""
    from preflight.engine import stacks
    from preflight.judge import fleet
    from preflight.judge.results import SiteError

    code = _fail(problems)
    stacks_dir = args.stacks_dir or stacks.STACKS_DIR
    if not args.site or args.plan is not None or args.project is not None:
        return code
    given = stacks.given_file(args.site)
    if given is not None:  # a stack file named by its path: the row names it as given
        error = SiteError(stacks.site_name(args.site), args.site, tuple(problems), line)
    elif stacks.stack_path(args.site, stacks_dir).is_file():
        error = fleet.site_error(stacks.site_name(args.site), stacks_dir, problems, line)
    else:
        return code
    try:
        _emit([error], args, table_to_stdout=False)
    except OSError as exc:
        return _fail([files.cannot_write(exc)])
    return code


def _fleet(args: argparse.Namespace) -> int:
    from preflight.engine import stacks
    from preflight.judge import cache, check, evidence, fleet
    from preflight.judge.results import SiteError, SiteResult
    from preflight.reports import formats as report

    stacks_dir = args.stacks_dir or stacks.STACKS_DIR
    sites = stacks.available(stacks_dir)
    if not sites:
        return _fail([f"no stack files (Pulumi.<site>.yaml) in {stacks_dir}"])
    if (overwrite := _overwrites(args)) is not None:
        return _fail([overwrite])
    try:
        reports = _matched(_readiness(args.evidence), sites)
        policy_config = check.read_policy_config(args.policy_config) if args.policy_config else {}
        outcomes = fleet.run(
            sites,
            stacks_dir=stacks_dir,
            modes=_modes(args.mode),
            jobs=int(args.jobs or fleet.default_jobs()),
            policy_config=policy_config,
            progress=None if args.no_progress else sys.stderr,
            cache=_verdict_cache(args, policy_config),
            reuse=_reuse(args),
            warn=_warn,
            timeout=args.program_timeout,
        )
    except check.PackError as exc:
        return _fail(exc.problems)
    except (check.PolicyConfigFileError, evidence.EvidenceError, cache.CacheDirError) as exc:
        return _fail([str(exc)])
    for result in outcomes:
        if isinstance(result, SiteResult):
            result.readiness = reports.get(result.site)
    try:
        _emit(outcomes, args)
    except OSError as exc:
        return _fail([files.cannot_write(exc)])
    for error in (o for o in outcomes if isinstance(o, SiteError)):
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
    if args.format != "table" or args.output is not None:
        print(report.fleet_summary(outcomes), file=sys.stderr)
    return report.exit_code(outcomes)


def _plan(args: argparse.Namespace) -> int:
    from preflight.engine import plan as plan_module
    from preflight.engine import stacks
    from preflight.engine.runner import ProgramError
    from preflight.reports import terraform

    try:
        stack = _stack(args)
        plan = plan_module.build(
            stack, "preview" if args.preview else _mode(args.mode or "update"), timeout=args.program_timeout
        )
        if args.format == "terraform-plan":
            plan = terraform.export(plan)
    except ConfigError as exc:
        return _fail(exc.problems)
    except (_UsageError, stacks.StackFileError, ProgramError, terraform.ExportError) as exc:
        return _fail([str(exc)])
    if args.format == "table":
        print(plan_module.table(plan))
    else:
        json.dump(plan, sys.stdout, indent=2, sort_keys=False)
        sys.stdout.write("\n")
    return EXIT_OK


def _access(args: argparse.Namespace) -> int:
    from preflight.engine import stacks
    from preflight.engine.runner import ProgramError, run_stack
    from preflight.reports import access

    try:
        stack = _stack(args)
        resources = run_stack(stack, "update", own_program=stacks.PROGRAM, timeout=args.program_timeout)
    except ConfigError as exc:
        return _fail(exc.problems)
    except (_UsageError, stacks.StackFileError, ProgramError) as exc:
        return _fail([str(exc)])
    document = access.document(stack.name, resources, stack.config)
    sys.stdout.write(access.table(document) if args.format == "table" else access.dumps(document))
    return EXIT_OK


def _new_site(args: argparse.Namespace) -> int:
    from preflight import new_site

    return new_site.run(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "schema": lambda a: _schema(write=a.write),
        "docs": lambda a: _docs(write=a.write),
        "netcheck": netcheck_command.run,
        "check": _check,
        "fleet": _fleet,
        "plan": _plan,
        "access": _access,
        "new-site": _new_site,
    }
    return commands[args.command](args)
