"""``python -m preflight new-site NAME``: a new site's stack file from flags (or prompts on a terminal).

It writes ``stacks/Pulumi.<NAME>.yaml`` with the site's required settings, validated by the site config
model before anything is written (so the file passes ``check``), and adds ``NAME: <project>`` to the
bootstrap's ``imaging-bootstrap:sites`` (``bootstrap/Pulumi.platform.yaml``), so that the bootstrap makes
the site's key and identities. The new site's perimeter is enforced, so the deploy workflow needs a
self-hosted runner of the site's own: ``--runs-on`` names its labels (``imaging-deploy:runsOn``), refused
without ``self-hosted`` as the workflow refuses it (``program/runners.py``). It never overwrites a file
and never asks without a terminal: a missing required value is then one line naming its flag, exit 2. The
deploying guide's "Add a site" (``docs/deploying.md``) gives the steps after.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from program import runners, sites
from program.config import NAMESPACE, ConfigError, SiteConfig

ROOT = Path(__file__).resolve().parent.parent
HOPS = ("vpnTunnel", "ip", "interconnectAttachment")


class NewSiteError(Exception):
    """The site cannot be written; one line per problem, each naming the flag or the file."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Field:
    """A required value: its flag, what it is (the prompt), and whether it is given once or several times."""

    dest: str
    flag: str
    what: str
    many: bool = False


REQUIRED = (
    Field("site_code", "--site-code", "the site code in every physical name, 3-12 of a-z, 0-9 and '-'"),
    Field("gcp_project", "--gcp-project", "the site's GCP project id"),
    Field("region", "--region", "the region of images and keys, e.g. europe-west6"),
    Field("subnet", "--subnet", "a subnet as NAME=CIDR, e.g. viewer=10.80.0.0/24", many=True),
    Field(
        "worklist",
        "--worklist",
        "a worklist endpoint as NAME:CIDR[,CIDR]:PORT[,PORT]:HOP, HOP one of vpnTunnel=<link>, ip=<address>, "
        "interconnectAttachment=<link>",
        many=True,
    ),
    Field("pacs_egress", "--pacs-egress", "a public range the PACS uploads from (CIDR)", many=True),
    Field("hospital_network", "--hospital-network", "a public range of the hospital's workstations (CIDR)", many=True),
    Field(
        "group_domain",
        "--group-domain",
        "a domain the site's groups come from as DOMAIN=CUSTOMER_ID, e.g. hospital.example=C03xgje4y",
        many=True,
    ),
    Field(
        "access_policy",
        "--access-policy",
        "the organisation's access policy the site's perimeter joins, accessPolicies/<number> (the platform team's)",
    ),
)
RUNNER = Field(
    "runs_on",
    "--runs-on",
    "the labels of the site's self-hosted deployment runner, e.g. self-hosted insel-imaging",
    many=True,
)
"""Where the deploy workflow runs the site's jobs (``imaging-deploy:runsOn``): the perimeter is enforced."""
ONE_OF = (
    (
        Field("siem_subscriber", "--siem-subscriber", "the SIEM's identity, serviceAccount:<email> or group:<email>"),
        Field("siem_destination", "--siem-destination", "the central log bucket, logging.googleapis.com/projects/..."),
    ),
    (
        Field("alert_email", "--alert-email", "an alert email as NAME=EMAIL, e.g. soc=soc@hospital.example", many=True),
        Field("alert_channel", "--alert-channel", "a notification channel, projects/<p>/notificationChannels/<id>"),
    ),
)


def add_parser(sub: Any) -> None:
    """The ``new-site`` command's options (``preflight.cli``)."""
    p = sub.add_parser(
        "new-site",
        help="write a new site's stack file from flags (prompts for what is missing on a terminal)",
        description="Write stacks/Pulumi.<NAME>.yaml with the site's required settings, validated before it is "
        "written (it passes check), and add the site to the bootstrap's sites. Never overwrites; without a "
        "terminal a missing value is an error naming its flag. Exit 0 written, 2 bad or missing input.",
    )
    p.add_argument("name", metavar="NAME", help=f"the site's stack name: {sites.RULE}")
    partner = {a.flag: b.flag for a, b in ONE_OF} | {b.flag: a.flag for a, b in ONE_OF}
    for field in (*REQUIRED, *(f for pair in ONE_OF for f in pair)):
        required = "required" if field in REQUIRED else f"this or {partner[field.flag]} required"
        p.add_argument(
            field.flag,
            dest=field.dest,
            action="append" if field.many else "store",
            metavar="VALUE",
            help=f"{field.what}{'; repeatable' if field.many else ''} (default: none, {required})",
        )
    p.add_argument(
        "--siem-project",
        metavar="VALUE",
        help="the SIEM's project by number, projects/<number>: where --siem-subscriber reads from, or the project "
        "of a --siem-destination outside the site (default: none; required in both cases)",
    )
    p.add_argument(
        "--runs-on",
        action="append",
        metavar="LABEL",
        help=f"a label of the self-hosted runner the deploy workflow runs the site's jobs on, in a hospital network "
        f"or inside the perimeter (the perimeter is enforced: a GitHub-hosted runner is refused), written to "
        f"{runners.RUNS_ON}; repeatable, e.g. --runs-on self-hosted --runs-on insel-imaging (default: none, required)",
    )
    p.add_argument(
        "--protection-level",
        choices=("SOFTWARE", "HSM"),
        default="SOFTWARE",
        help="where the site's key material lives (default: SOFTWARE)",
    )
    p.add_argument("--stacks-dir", type=Path, help="where the stack file is written (default: stacks)")
    p.add_argument(
        "--bootstrap-stack",
        type=Path,
        help="the bootstrap's stack file the site is added to (default: bootstrap/Pulumi.platform.yaml)",
    )


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        name, equals, rest = value.partition("=")
        if not equals or not name or not rest:
            raise NewSiteError(f"{flag} {value!r}: give NAME=VALUE")
        if name in found:
            raise NewSiteError(f"{flag} {value!r}: {name} is given twice ({name}={found[name]} before); give each once")
        found[name] = rest
    return found


def _ports(text: str, flag: str) -> list[int]:
    try:
        return [int(p) for p in text.split(",")]
    except ValueError:
        raise NewSiteError(f"{flag}: ports {text!r} must be whole numbers separated by ','") from None


def _worklist(values: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for value in values:
        parts = value.split(":", 3)
        if len(parts) != 4 or not all(parts):
            raise NewSiteError(f"--worklist {value!r}: give NAME:CIDR[,CIDR]:PORT[,PORT]:HOP")
        name, cidrs, ports, hop = parts
        if name in found:
            raise NewSiteError(f"--worklist {value!r}: endpoint {name} is given twice; give each once")
        kind, equals, target = hop.partition("=")
        if kind not in HOPS or not equals or not target:
            raise NewSiteError(
                f"--worklist {value!r}: the next hop must be one of {', '.join(h + '=...' for h in HOPS)}"
            )
        found[name] = {"cidrs": cidrs.split(","), "ports": _ports(ports, "--worklist"), "nextHop": {kind: target}}
    return found


def _config(values: dict[str, Any], protection_level: str) -> dict[str, Any]:
    """The stack file's ``config:`` map, in the order of the example sites."""
    siem = (
        {"subscriber": values["siem_subscriber"]}
        if values.get("siem_subscriber")
        else {"centralDestination": values["siem_destination"]}
    )
    alerts = (
        {"emails": _pairs(values["alert_email"], "--alert-email")}
        if values.get("alert_email")
        else {"notificationChannels": [values["alert_channel"]]}
    )
    config = {
        "siteCode": values["site_code"],
        "gcpProject": values["gcp_project"],
        "region": values["region"],
        "kms": {"protectionLevel": protection_level},
        "network": {
            "subnets": _pairs(values["subnet"], "--subnet"),
            "worklist": _worklist(values["worklist"]),
            "pacsEgressCidrs": values["pacs_egress"],
            "hospitalNetworks": values["hospital_network"],
        },
        "logging": {"siem": siem, "alerts": alerts},
        "groupDomains": _pairs(values["group_domain"], "--group-domain"),
        # A new site runs nothing yet: its perimeter is enforced from the first deployment (a live site
        # migrates through a dry run instead, docs/deploying.md).
        "perimeter": {
            "accessPolicy": values["access_policy"],
            "enforced": True,
            **({"siemProject": values["siem_project"]} if values.get("siem_project") else {}),
        },
    }
    return {f"{NAMESPACE}:{key}": value for key, value in config.items()}


def _gather(
    args: argparse.Namespace, *, interactive: bool, ask: Callable[[str], str]
) -> tuple[dict[str, Any], list[str]]:
    """Every required value from its flag, or asked for on a terminal; the flags still missing."""
    values: dict[str, Any] = {f.dest: getattr(args, f.dest) for f in (*REQUIRED, *(f for p in ONE_OF for f in p))}
    values["siem_project"] = getattr(args, "siem_project", None)
    values[RUNNER.dest] = getattr(args, RUNNER.dest, None)

    def asked(field: Field) -> Any:
        several = "; several separated by spaces" if field.many else ""
        answer = ask(f"{field.flag.removeprefix('--')} ({field.what}{several}): ").strip()
        if not answer:
            return None
        return answer.split() if field.many else answer

    missing: list[str] = []
    for field in REQUIRED:
        if not values[field.dest] and interactive:
            values[field.dest] = asked(field)
        if not values[field.dest]:
            missing.append(field.flag)
    for first, second in ONE_OF:
        if values[first.dest] and values[second.dest]:
            raise NewSiteError(f"{first.flag} and {second.flag} are given: give one of them, not both")
        if not values[first.dest] and not values[second.dest] and interactive:
            values[first.dest] = asked(first)
        if not values[first.dest] and not values[second.dest]:
            missing.append(f"{first.flag} (or {second.flag})")
    if values[RUNNER.dest] is None and interactive:
        values[RUNNER.dest] = asked(RUNNER)  # without it, refused below as the deploy workflow refuses it
    return values, missing


def _runner(name: str, labels: list[str] | None) -> list[str]:
    """The site's runner labels, refused as the deploy workflow refuses them (``program/runners.py``): the
    new site's perimeter is enforced, so it needs a self-hosted runner of its own."""
    if labels is not None and (problem := runners.labels_problem(labels)) is not None:
        raise NewSiteError(f"{RUNNER.flag} {' '.join(map(repr, labels))}: {runners.RUNS_ON} {problem}")
    problem = runners.runner_problem(name, tuple(labels) if labels else None, enforced=True)
    if problem is not None:
        raise NewSiteError(f"{problem}; give each label as {RUNNER.flag} LABEL")
    return list(labels or ())


def run(
    args: argparse.Namespace,
    *,
    interactive: bool | None = None,
    ask: Callable[[str], str] = input,
    out: Callable[[str], None] = print,
) -> int:
    """The command; ``interactive`` defaults to whether stdin is a terminal. Returns the exit code."""
    try:
        _write(args, interactive=sys.stdin.isatty() if interactive is None else interactive, ask=ask, out=out)
    except NewSiteError as exc:
        for line in exc.problems:
            print(f"error: new-site: {line}", file=sys.stderr)
        return 2
    return 0


def _write(
    args: argparse.Namespace, *, interactive: bool, ask: Callable[[str], str], out: Callable[[str], None]
) -> None:
    from preflight.engine import files, stacks

    if (problem := sites.problem(args.name)) is not None:
        raise NewSiteError(problem)
    stacks_dir = args.stacks_dir or stacks.STACKS_DIR
    bootstrap = args.bootstrap_stack or ROOT / "bootstrap" / "Pulumi.platform.yaml"
    target = stacks_dir / f"Pulumi.{args.name}.yaml"
    shown = stacks.display_path(target)
    if target.exists():
        raise NewSiteError(f"{shown} exists; refusing to overwrite it (edit it, or choose another name)")
    if not bootstrap.is_file():
        raise NewSiteError(f"{stacks.display_path(bootstrap)}: no such file (the bootstrap's stack file)")
    values, missing = _gather(args, interactive=interactive, ask=ask)
    if missing:
        raise NewSiteError(f"missing {', '.join(missing)}: give them as flags (nothing is asked without a terminal)")
    config = _config(values, args.protection_level)
    try:
        site = SiteConfig.from_stack_config(config)
    except ConfigError as exc:
        raise NewSiteError(*exc.problems) from None
    config[runners.RUNS_ON] = _runner(args.name, values[RUNNER.dest])
    _distinct(site, stacks_dir)
    try:  # read and change the bootstrap's file before writing anything: both files or neither
        bootstrap_text = sites.with_site(bootstrap, args.name, site.gcp_project)
    except sites.BootstrapFileError as exc:
        raise NewSiteError(str(exc)) from None
    header = (
        "# yaml-language-server: $schema=./site-config.schema.json\n"
        f"# Site {args.name}: written by `python -m preflight new-site`; add the viewer, rbac and labels as the site "
        "needs (stacks/site-config.schema.json).\n"
    )
    body = yaml.safe_dump({"config": config}, sort_keys=False, default_flow_style=False, width=200)
    try:  # the deploy workflow reads the file with the standard library only: it must read it as written
        read = runners.parse(header + body, args.name, shown)
    except runners.RunnerError as exc:
        raise NewSiteError(str(exc)) from None
    if read.labels != config[runners.RUNS_ON] or read.problem is not None:
        raise NewSiteError(
            f"{shown}: the deploy workflow would read {runners.RUNS_ON} as {read.labels}; name other labels"
        )
    try:
        stacks_dir.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as file:  # never overwrite, even a file made meanwhile
            file.write(header + body)
    except FileExistsError:
        raise NewSiteError(f"{shown} exists; refusing to overwrite it (edit it, or choose another name)") from None
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise NewSiteError(files.cannot_write(exc, "the stack file")) from None
    try:
        bootstrap.write_text(bootstrap_text, encoding="utf-8")
    except OSError as exc:
        target.unlink()  # both files or neither
        raise NewSiteError(files.cannot_write(exc, "the bootstrap's stack file")) from None
    out(f"wrote {shown}; added {args.name}: {site.gcp_project} to {stacks.display_path(bootstrap)}")
    out(f"next: python -m preflight check {args.name}, then the bootstrap's pulumi up (docs/deploying.md, Add a site)")


def _distinct(site: SiteConfig, stacks_dir: Path) -> None:
    """The new site shares no site code and no GCP project with a site of the fleet (``fleet`` refuses
    such a pair; refused here before anything is written)."""
    from preflight.engine import stacks

    problems = []
    for name in stacks.available(stacks_dir):
        try:
            other = stacks.load(name, stacks_dir).site
        except (ConfigError, stacks.StackFileError):
            continue  # a broken stack file is fleet's to report
        if other is None:
            continue
        if other.site_code == site.site_code:
            problems.append(f"site code {site.site_code!r} is site {name}'s already; choose another --site-code")
        if other.gcp_project == site.gcp_project:
            problems.append(f"GCP project {site.gcp_project!r} is site {name}'s already; each site has its own project")
    if problems:
        raise NewSiteError(*problems)


def main(argv: Sequence[str]) -> int:
    """``new-site`` alone (tests): parse ``argv`` as ``python -m preflight new-site`` does."""
    parser = argparse.ArgumentParser(prog="python -m preflight")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(["new-site", *argv]))
