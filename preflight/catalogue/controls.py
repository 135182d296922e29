"""The project's control catalogue (``preflight/catalogue/controls.toml``) and the compliance matrix built on it.

Every control of the catalogue has a row on every site, with one status from a fixed vocabulary
(:class:`Status`) and, where the status needs one, the reason or the evidence. The rows are derived
from what the pack reported (``SiteResult.controls()``), the site's recorded guard-rail skips and, for
the controls no deployment can provision, the site network readiness probe's report
(``preflight/judge/evidence.py``). ``docs/controls.md`` is rendered from the same catalogue
(``preflight/catalogue/docs.py``, the one module of the check that imports the pack's registry).
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from preflight.judge.words import PACK_NAME

if TYPE_CHECKING:
    from preflight.judge.results import ControlResult, SiteResult
    from program.config import SiteConfig

CATALOGUE = Path(__file__).resolve().parent / "controls.toml"
DOC = Path(__file__).resolve().parents[2] / "docs" / "controls.md"
FRAMEWORK = PACK_NAME
"""The pack's compliance framework: its name."""


class Status(StrEnum):
    """The fixed vocabulary of the matrix, the same on every site and in every report."""

    MET = "met"
    VIOLATED = "violated"
    NOT_JUDGED = "not judged in preview"
    NOT_APPLICABLE = "not applicable"
    OUTSIDE = "evidence outside the stack"


STATUSES = tuple(Status)


@dataclass(frozen=True)
class Control:
    """One control of the catalogue."""

    id: str
    area: str
    requirement: str
    section: str
    met_by: str
    checked_by: str
    """``pack``, ``probe`` or ``pack+probe``."""
    decision: str = ""
    judged_with: str = ""
    constraint: str = ""
    not_applicable: str = ""


@dataclass(frozen=True)
class Catalogue:
    """The controls in catalogue order, the areas and the requirement document's sections."""

    controls: tuple[Control, ...]
    areas: Mapping[str, str]
    sections: Mapping[str, str]

    def get(self, control: str) -> Control | None:
        return next((c for c in self.controls if c.id == control), None)

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.controls]


class CatalogueError(Exception):
    """The catalogue file is malformed; the message names the control and the field."""


_FIELDS = {"id", "requirement", "section", "met_by", "checked_by"}
_OPTIONAL = {"decision", "judged_with", "constraint", "not_applicable", "tests"}


@cache
def load(path: Path = CATALOGUE) -> Catalogue:
    """Read and validate the catalogue (cached: it is part of the code)."""
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    areas, sections = document.get("areas", {}), document.get("sections", {})
    controls = []
    for entry in document.get("control", []):
        name = entry.get("id", "?")
        missing, unknown = _FIELDS - set(entry), set(entry) - _FIELDS - _OPTIONAL
        if missing or unknown:
            raise CatalogueError(f"{path.name}: {name}: missing {sorted(missing)}, unknown {sorted(unknown)}")
        area = name.split("-", maxsplit=1)[0]
        if area not in areas or entry["section"] not in sections:
            raise CatalogueError(f"{path.name}: {name}: unknown area {area!r} or section {entry['section']!r}")
        if entry["checked_by"] not in ("pack", "probe", "pack+probe"):
            raise CatalogueError(f"{path.name}: {name}: checked_by must be pack, probe or pack+probe")
        # a hand-kept ``tests`` list is not read: the tests name their controls (a catalogue test refuses it)
        controls.append(Control(area=area, **{k: v for k, v in entry.items() if k != "tests"}))
    return Catalogue(tuple(controls), areas, sections)


# -- the matrix ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One control of one site's compliance matrix."""

    control: str
    requirement: str
    status: Status
    detail: str
    """The reason (not applicable), the evidence (outside the stack, readiness probe), or what was
    found (violated, not judged in preview); empty when met needs no word."""
    policies: tuple[str, ...]
    evaluated: int
    stack_checked: bool
    verdict: str | None = None
    """The pack's own verdict on the control's policies (``ControlResult.verdict``); ``None`` when no
    policy judges it."""

    @property
    def evaluated_text(self) -> str:
        """``3``, ``stack``, ``1 + stack``, or ``-`` when no policy judges the control."""
        if not self.policies:
            return "-"
        if self.stack_checked:
            return f"{self.evaluated} + stack" if self.evaluated else "stack"
        return str(self.evaluated)


def _not_applicable_reason(
    control: Control | None, result: ControlResult | None, reasons: Mapping[str, str] | None = None
) -> str:
    if result is not None and result.verdict == "disabled":
        return "exempted: the policy config disables " + ", ".join(result.policies)
    given = [reasons[p] for p in (result.policies if result else ()) if reasons and p in reasons]
    if given:
        # the pack's own reason ("LOG-08 is a site-completeness control and this stack is not a hospital
        # site ..."), without the control id it starts with: a row may show a control judged with another's
        return re.sub(r"^[A-Z]+-\d+ is ", "", given[0])
    if control is not None and control.not_applicable:
        return control.not_applicable
    return "nothing of the kinds its policies judge is in this site"


_FROM_VERDICT = {
    "violated": (Status.VIOLATED, "a mandatory finding: the deployment would stop"),
    "advisory findings": (Status.VIOLATED, "advisory findings only: they do not fail the check"),
    "not judged in preview": (Status.NOT_JUDGED, "a value is unknown until the resources exist; judged in update mode"),
}


def _organisation(
    result: ControlResult, control: Control | None, skips: Mapping[str, str], policy_skips: Mapping[str, str]
) -> str:
    """Why the organisation, not the stack, holds this guard rail; ``""`` when the stack does."""
    if control is not None and control.constraint in skips:
        return f"organisation: {control.constraint} is enforced above the project: {skips[control.constraint]}"
    reasons = [reason for policy, reason in policy_skips.items() if policy in result.policies]
    return "organisation (policy config skipReason): " + "; ".join(reasons) if reasons else ""


HELD_BY_THE_ORGANISATION = " is held by the organisation: "
"""How the pack says a control is the organisation's on this site (a stack policy's not-applicable reason,
``LOG-18 is held by the organisation: ...``): the matrix shows evidence outside the stack, never met."""


def _held_by_organisation(result: ControlResult, held: Mapping[str, str] | None) -> str:
    for policy in result.policies:
        reason = (held or {}).get(policy, "")
        if HELD_BY_THE_ORGANISATION in reason:
            return "organisation: " + reason.split(HELD_BY_THE_ORGANISATION, 1)[1]
    return ""


def _from_pack(
    result: ControlResult,
    control: Control | None,
    skips: Mapping[str, str],
    policy_skips: Mapping[str, str],
    reasons: Mapping[str, str] | None = None,
    *,
    held: Mapping[str, str] | None = None,
) -> tuple[Status, str]:
    if result.verdict in _FROM_VERDICT:
        return _FROM_VERDICT[result.verdict]
    if result.verdict == "no resources" and (organisation := _held_by_organisation(result, held)):
        return Status.OUTSIDE, organisation
    if result.verdict == "exempted":
        return Status.NOT_APPLICABLE, "exempted: every finding is on a resource the policy config exempts"
    if result.verdict in ("no resources", "disabled"):
        return Status.NOT_APPLICABLE, _not_applicable_reason(control, result, reasons)
    outside = _organisation(result, control, skips, policy_skips)
    return (Status.OUTSIDE, outside) if outside else (Status.MET, "")


def _lowered(policies: Sequence[str], result: SiteResult) -> str:
    """Which mandatory policies of the row the policy config lowers, to what, and its recorded reason."""
    info = {p.name: p for p in result.policies}
    entries = [
        f"{name} set to {result.levels.get(name, '?')} by the policy config: {info[name].level_reason}"
        for name in policies
        if name in info and info[name].level_reason
    ]
    return "; ".join(entries)


def _exemptions(policies: Sequence[str], exemptions: Mapping[str, Mapping[str, str]]) -> str:
    """What the policy config exempts from these policies, for the row's detail (never hidden)."""
    entries = [f"{pattern} ({reason})" for policy in policies for pattern, reason in exemptions.get(policy, {}).items()]
    return "exempted by the policy config: " + "; ".join(entries) if entries else ""


PERIMETER_CONTROL = "NET-10"
"""The control whose met row names the perimeter's dry run, when the site declares one."""


def _dry_run(site: SiteConfig) -> str:
    """``dry run until <date>: <reason>`` when the site's perimeter is not enforced yet, else ``""``."""
    perimeter = site.perimeter
    if perimeter is None or perimeter.enforced or perimeter.dry_run is None:
        return ""
    return f"dry run until {perimeter.dry_run.until.isoformat()}: {perimeter.dry_run.reason}"


def rows(result: SiteResult) -> list[Row]:
    """The site's matrix: every catalogue control in catalogue order, then any control the pack
    names that the catalogue lacks (a test keeps that list empty)."""
    catalogue = load()
    by_control = {c.control: c for c in result.controls()}
    site = result.site_config
    skips: Mapping[str, str] = site.guard_rails.skip if site is not None else {}
    from preflight.judge.words import fit

    matrix: list[Row] = []
    for control in catalogue.controls:
        pack = by_control.get(control.judged_with or control.id)
        policies = pack.policies if pack else ()
        status, detail = (
            # on a stack that is not a site, a site control's row gives the pack's reason ("not a hospital site")
            _from_pack(
                pack,
                control,
                skips,
                result.skip_reasons,
                result.stack_not_applicable if site is None else None,
                held=result.stack_not_applicable,
            )
            if pack
            else (Status.OUTSIDE, "")
        )
        if site is None:
            # another project's stack (`check --project`): no site, so no site wording and no readiness probe
            detail = fit(detail.replace("in this site", "in this stack"), site=False)
        if "probe" in control.checked_by and site is None:
            probe = "a hospital site's network readiness; this stack is not a site"
            status = Status.NOT_APPLICABLE if pack is None else status
            detail = f"{detail}; {probe}" if detail and pack is not None else probe
        elif "probe" in control.checked_by:
            status, detail = _with_probe(control, result, status, detail, judged=pack is not None)
        elif pack is None:
            status, detail = Status.NOT_JUDGED, "no policy of the pack names this control"
        if control.id == PERIMETER_CONTROL and status is Status.MET and site is not None:
            detail = _dry_run(site) or detail
        for recorded in (_lowered(policies, result), _exemptions(policies, result.exemptions)):
            if recorded:
                detail = f"{detail}; {recorded}" if detail else recorded
        matrix.append(
            Row(
                control.id,
                control.requirement if site is not None else fit(control.requirement, site=False),
                status,
                detail,
                policies,
                pack.evaluated if pack else 0,
                pack.stack_checked if pack else False,
                pack.verdict if pack else None,
            )
        )
    for extra, pack in by_control.items():
        if catalogue.get(extra) is None:
            status, detail = _from_pack(pack, None, skips, result.skip_reasons)
            matrix.append(
                Row(
                    extra,
                    "(not in the catalogue)",
                    status,
                    detail,
                    pack.policies,
                    pack.evaluated,
                    pack.stack_checked,
                    pack.verdict,
                )
            )
    return matrix


def _with_probe(
    control: Control, result: SiteResult, status: Status, detail: str, *, judged: bool
) -> tuple[Status, str]:
    """A probe control's row on a site: the readiness report's figures against the site config's minimums (or
    that it is stale, or the command that produces it); violated when the report shows the site missing them."""
    from preflight.judge import evidence

    site = result.site_config
    minimums = evidence.Minimums.of(site.netcheck if site is not None else None)
    probe = evidence.summary(control.id, result.readiness, result.site, minimums)
    if control.id in result.readiness_failing():
        status = Status.VIOLATED  # the report's figures miss the site's minimums: the check exits 1
    if status is Status.MET and control.judged_with:
        return status, f"judged with {control.judged_with}'s org policy; {probe}"
    if not judged:
        return status, probe
    return status, f"{detail}; {probe}" if detail else probe


@dataclass(frozen=True)
class FleetRow:
    """One control over a fleet: how many sites have each status, and which sites fail it."""

    control: str
    requirement: str
    counts: Mapping[Status, int]
    failing: tuple[str, ...]


def fleet_rows(results: Sequence[SiteResult]) -> list[FleetRow]:
    """Every control with its status counts over the sites and the sites where it is violated."""
    per_site = [(r.site, rows(r)) for r in results]
    order: dict[str, str] = {}
    for _, matrix in per_site:
        for row in matrix:
            order.setdefault(row.control, row.requirement)
    out = []
    for control, requirement in order.items():
        counts: Counter[Status] = Counter()
        failing = []
        for site, matrix in per_site:
            found = next((r for r in matrix if r.control == control), None)
            if found is None:
                continue
            counts[found.status] += 1
            if found.status is Status.VIOLATED:
                failing.append(site)
        out.append(FleetRow(control, requirement, {s: counts.get(s, 0) for s in STATUSES}, tuple(failing)))
    return out


def failing_sites(results: Sequence[SiteResult]) -> list[tuple[str, list[str]]]:
    """Each site with a violated control, and those controls."""
    out = []
    for r in results:
        violated = [row.control for row in rows(r) if row.status is Status.VIOLATED]
        if violated or r.exit_code:
            out.append((r.site, violated))
    return out


def listing(names: Iterable[str], limit: int = 8) -> str:
    """``a, b, c and 12 more``: a list that stays one readable line at 100 sites."""
    items = list(names)
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
