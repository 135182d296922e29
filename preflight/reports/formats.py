"""Reports of a check (one site or a fleet): a terminal table grouped by control, JSON, SARIF 2.1.0
for code-scanning annotations, and a Markdown compliance matrix for auditors and pull requests.

Every renderer takes the list of outcomes, one per site: a :class:`~preflight.judge.results.SiteResult`, or a
:class:`~preflight.judge.results.SiteError` for a site that could not be checked (a failing row with its
reasons in every format), and returns text or a JSON-able object; none of them prints. A finding
reported in several modes is shown once, with its modes. The JSON form is documented in
``docs/check-format.md``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preflight.catalogue import controls
from preflight.catalogue.controls import Row, Status
from preflight.engine.stacks import ROOT
from preflight.judge.results import EXIT_OK, Finding, SiteError, SiteResult
from preflight.judge.words import PACK_NAME, fit
from preflight.reports.tables import text_table

if TYPE_CHECKING:
    from preflight.judge.pack import PolicyInfo

Outcome = SiteResult | SiteError
FORMAT = "imaging-landing-zone/check@1"
NOT_CHECKED_RULE = "preflight-site-not-checked"
"""The SARIF rule of a site that could not be checked (its stack file is invalid, its program failed)."""
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "": 4}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
# Where in a stack file a control area is configured: SARIF results point there.
_SECTIONS = {
    "ENC": ("kms", "imageBucket"),
    "IAM": ("identities", "rbac"),
    "LOG": ("logging",),
    "NET": ("network",),
    "TLS": ("viewer",),
    "ORG": ("guardRails",),
    "PERF": ("region", "netcheck"),
}
_MARK = {status: status.value for status in Status} | {Status.VIOLATED: "**VIOLATED**"}


def exit_code(outcomes: Sequence[Outcome]) -> int:
    """The worst over the sites: 2 a site could not be checked, 1 a mandatory violation, else 0
    (advisory findings never fail)."""
    return max((o.exit_code for o in outcomes), default=EXIT_OK)


def _checked(outcomes: Sequence[Outcome]) -> list[SiteResult]:
    return [o for o in outcomes if isinstance(o, SiteResult)]


def _modes(f: Finding) -> str:
    return " + ".join(f.modes or (f.mode,))


def _sorted(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (f.skipped_in_preview, f.level != "mandatory", _SEVERITY_ORDER.get(f.severity, 4), f.control),
    )


def _evaluated(row: Row) -> str:
    return row.evaluated_text


def _verdict(result: SiteResult) -> str:
    fails, advisory, skipped = result.tally()
    parts = [f"{fails} mandatory violation(s)" if fails else "no mandatory violation"]
    if advisory:
        parts.append(f"{advisory} advisory finding(s)")
    if skipped:
        parts.append(f"{skipped} not judged in preview")
    if missed := result.readiness_failing():
        parts.append(f"the readiness report misses the site's minimums ({', '.join(missed)})")
    return ", ".join(parts)


# -- table -----------------------------------------------------------------------------------------


def table(results: Sequence[Outcome]) -> str:
    """For a terminal: per site, the findings grouped by control with the fix, then the compliance
    matrix; for a fleet, only the sites with findings or errors, then one summary line per site."""
    lines: list[str] = []
    fleet = len(results) > 1
    for result in results:
        if isinstance(result, SiteError):
            lines.append(f"{result.site} ({result.stack_file}): could not be checked")
            lines += [f"  error: {line}" for problem in result.problems for line in problem.splitlines()[:1]]
            lines.append("")
            continue
        if fleet and not result.findings:
            continue
        modes = ", ".join(f"{m} {result.resources[m]} resources" for m in result.modes)
        lines.append(f"{result.site} ({result.stack_file}; {modes}): {result.pack} {result.pack_version}")
        if result.cached:
            lines.append(f"  {result.provenance}")
        lines += [f"  note: {note}" for note in result.notes]
        by_control: dict[str, list[Finding]] = {}
        for f in _sorted(result.distinct_findings()):
            by_control.setdefault(f.control or f.policy, []).append(f)
        for control, findings in by_control.items():
            lines.append(f"  {control}")
            for f in findings:
                level = "preview: not judged" if f.skipped_in_preview else f.level
                lines.append(
                    f"    [{level}, {f.severity}] {f.policy}  {f.resource_name} ({f.resource_type}), {_modes(f)}"
                )
                lines += [f"      {line}" for line in f.message.splitlines()]
                if f.remediation and not f.skipped_in_preview:
                    lines.append(f"      fix: {f.remediation}")
        if not fleet:
            matrix = controls.rows(result)
            rows = [("control", "status", "resources", "policies")]
            rows += [(c.control, c.status.value, _evaluated(c), ", ".join(c.policies) or "-") for c in matrix]
            lines += ["  " + line for line in text_table(rows)]
            lines += [f"  {c.control}: {c.detail}" for c in matrix if c.detail]
        lines.append(f"  {_verdict(result)}")
        lines.append("")
    if fleet:
        lines.append(fleet_summary(results))
    return "\n".join(lines).rstrip("\n")


def fleet_summary(results: Sequence[Outcome]) -> str:
    """One line per site: verdict, counts and modes (a site that could not be checked: ERROR and its
    first reason); then the totals and the exit code."""
    rows: list[tuple[str, ...]] = [("site", "verdict", "mandatory", "advisory", "not judged", "modes")]
    for r in results:
        if isinstance(r, SiteError):
            reason = r.problems[0].splitlines()[0] if r.problems else "could not be checked"
            rows.append((r.site, "ERROR", "-", "-", "-", f"not checked: {reason}"))
            continue
        counts = (str(count) for count in r.tally())
        modes = "+".join(r.modes) + r.reused_note
        rows.append((r.site, "FAIL" if r.exit_code else "pass", *counts, modes))
    failing = sum(1 for r in results if r.exit_code)
    errors = sum(1 for r in results if isinstance(r, SiteError))
    reused = sum(1 for r in results if isinstance(r, SiteResult) and r.cached)
    total = f"{len(results)} site(s), {failing} failing"
    if errors:
        total += f" ({errors} could not be checked)"
    if reused:
        total += f", {reused} verdict(s) reused from the cache"
    return "\n".join([*text_table(rows), f"{total}; exit code {exit_code(results)}"])


# -- JSON ------------------------------------------------------------------------------------------


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "control": f.control,
        "policy": f.policy,
        "level": f.level,
        "severity": f.severity,
        "mode": f.mode,
        "modes": list(f.modes or (f.mode,)),
        "urn": f.urn,
        "resourceType": f.resource_type,
        "resourceName": f.resource_name,
        "message": f.message,
        "remediation": f.remediation,
        "skippedInPreview": f.skipped_in_preview,
    }


def site_json(result: Outcome) -> dict[str, Any]:
    """One site's result as a JSON-able object (``docs/check-format.md``)."""
    if isinstance(result, SiteError):
        return {
            "site": result.site,
            "stackFile": result.stack_file,
            "exitCode": result.exit_code,
            "errors": list(result.problems),
            "modes": [],
            "controls": [],
            "findings": [],
        }
    return {
        "site": result.site,
        "stackFile": result.stack_file,
        "source": result.source,
        "modes": list(result.modes),
        "resources": result.resources,
        "pack": {"name": result.pack, "version": result.pack_version},
        "checkedAt": result.checked_at,
        "reused": result.cached,
        "notes": list(result.notes),
        "exitCode": result.exit_code,
        "controls": [
            {
                "control": c.control,
                "requirement": c.requirement,
                "status": c.status.value,
                "detail": c.detail,
                "policies": list(c.policies),
                "resourcesEvaluated": c.evaluated,
                "stackEvaluated": c.stack_checked,
                "verdict": c.verdict,
            }
            for c in controls.rows(result)
        ],
        "findings": [_finding_json(f) for f in _sorted(result.distinct_findings())],
        "errors": [],
    }


def to_json(results: Sequence[Outcome]) -> dict[str, Any]:
    """The whole check as one JSON document."""
    return {
        "format": FORMAT,
        "exitCode": exit_code(results),
        "reusedVerdicts": sum(1 for r in results if isinstance(r, SiteResult) and r.cached),
        "sites": [site_json(r) for r in results],
    }


# -- SARIF -----------------------------------------------------------------------------------------


def _line_of(stack_file: str, control: str) -> int:
    """The line of the stack file where the control's area is configured (1 when it is not there)."""
    path = Path(stack_file) if Path(stack_file).is_absolute() else ROOT / stack_file
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    keys = _SECTIONS.get(control.split("-", maxsplit=1)[0], ())
    for key in keys:
        pattern = re.compile(rf"^\s*imaging-landing-zone:{re.escape(key)}\s*:")
        for number, line in enumerate(lines, start=1):
            if pattern.match(line):
                return number
    for number, line in enumerate(lines, start=1):
        if line.startswith("config:"):
            return number
    return 1


_NOT_CHECKED: dict[str, Any] = {
    "id": NOT_CHECKED_RULE,
    "name": NOT_CHECKED_RULE,
    "shortDescription": {"text": "The site could not be checked."},
    "fullDescription": {"text": "The stack file is invalid or the site's program failed: no policy judged the site."},
    "help": {"text": "Fix the stack file or the program as the message says, then run the check again."},
    "defaultConfiguration": {"level": "error"},
    "properties": {"tags": ["preflight"]},
}


def _sarif_rules(policies: Sequence[PolicyInfo], *, site: bool) -> list[dict[str, Any]]:
    """One rule per policy (help = its remediation), in the stack's words: a site's unless no stack of
    the run is a site."""

    def worded(text: str) -> str:
        return text if site else fit(text, site=False)

    return [
        {
            "id": p.name,
            "name": p.name,
            "shortDescription": {"text": worded(p.description)},
            "fullDescription": {"text": f"{p.control}: {worded(p.description)}"},
            "help": {"text": worded(p.remediation), "markdown": f"**{p.control}**: {worded(p.remediation)}"},
            "defaultConfiguration": {"level": "error" if p.level == "mandatory" else "warning"},
            "properties": {
                "control": p.control,
                "severity": p.severity,
                "security-severity": _SECURITY_SEVERITY.get(p.severity, "5.0"),
                "tags": ["security", p.control],
            },
        }
        for p in policies
    ]


def _sarif_finding(result: SiteResult, f: Finding, index: Mapping[str, int]) -> dict[str, Any]:
    """One distinct finding: located at the stack file's line for the control's area and, logically,
    at the resource's URN, with a fingerprint that survives a re-run."""
    level = "note" if f.skipped_in_preview else ("error" if f.level == "mandatory" else "warning")
    text = f"{f.control} {f.resource_name} ({f.resource_type}, {_modes(f)} mode): {f.message}"
    if f.remediation and not f.skipped_in_preview:
        text += f" Fix: {f.remediation}"
    identity = f"{f.site}|{f.policy}|{f.urn}|{f.skipped_in_preview}|{f.message}"
    entry: dict[str, Any] = {
        "ruleId": f.policy,
        "level": level,
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": result.stack_file},
                    "region": {"startLine": _line_of(result.stack_file, f.control)},
                },
                "logicalLocations": [
                    {"name": f.resource_name, "fullyQualifiedName": f.urn or result.site, "kind": "resource"}
                ],
            }
        ],
        "partialFingerprints": {"imagingFinding/v1": hashlib.sha256(identity.encode()).hexdigest()},
        "properties": {
            "site": f.site,
            "control": f.control,
            "mode": f.mode,
            "modes": list(f.modes or (f.mode,)),
            "urn": f.urn,
        },
    }
    if f.policy in index:
        entry["ruleIndex"] = index[f.policy]
    return entry


def _sarif_not_checked(error: SiteError, rule_index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A site that could not be checked: an error result of its own rule at its stack file (so code
    scanning does not read the missing findings as fixed), and the tool execution notification."""
    location = {
        "physicalLocation": {
            "artifactLocation": {"uri": error.stack_file},
            "region": {"startLine": error.line},
        }
    }
    text = f"{error.site} could not be checked: " + " ".join(p.splitlines()[0] for p in error.problems)
    result = {
        "ruleId": NOT_CHECKED_RULE,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {
            "imagingFinding/v1": hashlib.sha256(f"{error.site}|{NOT_CHECKED_RULE}".encode()).hexdigest()
        },
        "properties": {"site": error.site},
    }
    return result, {"level": "error", "message": {"text": text}, "locations": [location]}


def _sarif_notes(result: SiteResult) -> list[dict[str, Any]]:
    """What the offline run did differently for the stack, and the reused verdict's age, as notes."""
    texts = [*result.notes, *([result.provenance] if result.cached else [])]
    return [
        {
            "level": "note",
            "message": {"text": f"{result.site}: {text}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": result.stack_file}}}],
        }
        for text in texts
    ]


def sarif(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """SARIF 2.1.0: one rule per policy, one result per distinct finding (:func:`_sarif_finding`), one
    error result and notification per site that could not be checked (:func:`_sarif_not_checked`)."""
    results = _checked(outcomes)
    errors = [o for o in outcomes if isinstance(o, SiteError)]
    policies = results[0].policies if results else []
    index = {p.name: i for i, p in enumerate(policies)}
    rules = _sarif_rules(policies, site=any(r.site_config is not None for r in results))
    if errors:
        rules.append(_NOT_CHECKED)
    found = [_sarif_finding(result, f, index) for result in results for f in _sorted(result.distinct_findings())]
    notifications = []
    for error in errors:
        entry, notification = _sarif_not_checked(error, len(rules) - 1)
        found.append(entry)
        notifications.append(notification)
    for result in results:
        notifications += _sarif_notes(result)
    pack = results[0] if results else None
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": pack.pack if pack else PACK_NAME,
                        "version": pack.pack_version if pack else "",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": "imaging-landing-zone/preflight/"},
                "invocations": [
                    {
                        "executionSuccessful": not errors,
                        "exitCode": exit_code(outcomes),
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": found,
            }
        ],
    }


# -- Markdown --------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _matrix_markdown(r: SiteResult) -> list[str]:
    out = ["| control | requirement | status | detail | policies | resources evaluated |", "|---|---|---|---|---|---|"]
    for c in controls.rows(r):
        policies = ", ".join(f"`{p}`" for p in c.policies) or "-"
        out.append(
            f"| {c.control} | {_cell(c.requirement)} | {_MARK[c.status]} | {_cell(c.detail)} | {policies} | "
            f"{_evaluated(c)} |"
        )
    return out


def fleet_matrix_markdown(results: Sequence[SiteResult]) -> list[str]:
    """Controls by status counts over the fleet, with the sites that fail each: one row per control
    whatever the number of sites."""
    header = " | ".join(s.value for s in controls.STATUSES)
    out = [f"| control | requirement | {header} | failing sites |", "|---" * (len(controls.STATUSES) + 3) + "|"]
    for row in controls.fleet_rows(results):
        counts = " | ".join(str(row.counts[s]) for s in controls.STATUSES)
        out.append(f"| {row.control} | {_cell(row.requirement)} | {counts} | {controls.listing(row.failing)} |")
    return out


def markdown(outcomes: Sequence[Outcome]) -> str:
    """The compliance matrix (every catalogue control: requirement, status, detail, policies,
    resources evaluated) per site, then the findings; with several sites, a summary, the controls by
    status counts, and the matrix and findings of the sites with findings only. A site that could not
    be checked is a failing row with its reasons."""
    out: list[str] = []
    checked = _checked(outcomes)
    fleet = len(outcomes) > 1
    if fleet:
        out += ["## Preflight: fleet", ""]
        reused = sum(1 for o in outcomes if isinstance(o, SiteResult) and o.cached)
        out += [
            f"Exit code {exit_code(outcomes)}." + (f" {reused} verdict(s) reused from the cache." if reused else ""),
            "",
        ]
        out += ["| site | verdict | mandatory | advisory | not judged | modes |", "|---|---|---|---|---|---|"]
        for o in outcomes:
            if isinstance(o, SiteError):
                reason = _cell(o.problems[0].splitlines()[0]) if o.problems else ""
                out.append(f"| {o.site} | **ERROR**: not checked | - | - | - | {reason} |")
                continue
            fails, advisory, skipped = o.tally()
            verdict = "**FAIL**" if o.exit_code else "pass"
            modes = " + ".join(o.modes) + o.reused_note
            out.append(f"| {o.site} | {verdict} | {fails} | {advisory} | {skipped} | {modes} |")
        out += ["", f"### Controls over {len(checked)} checked sites", ""]
        out += fleet_matrix_markdown(checked)
        out.append("")
    for r in outcomes:
        if isinstance(r, SiteError):
            out += [f"## Compliance matrix: {r.site}", ""]
            out += [f"`{r.stack_file}`: **could not be checked** (exit code {r.exit_code}):", ""]
            out += [f"- {_cell(line)}" for problem in r.problems for line in problem.splitlines()[:1]]
            out.append("")
            continue
        if fleet and not r.findings:
            continue
        out += [f"## Compliance matrix: {r.site}", ""]
        out.append(
            f"`{r.stack_file}`, {' and '.join(r.modes)} mode, policy pack {r.pack} {r.pack_version}: {_verdict(r)}."
            + (f" The {r.provenance}." if r.cached else "")
            + "".join(f" Note: {_cell(note)}." for note in r.notes)
        )
        out += ["", *_matrix_markdown(r)]
        if r.findings:
            out += ["", "### Findings", ""]
            for f in _sorted(r.distinct_findings()):
                level = "not judged in preview" if f.skipped_in_preview else f.level
                out.append(
                    f"- **{f.control}** `{f.policy}` ({level}, {f.severity}) on `{f.resource_name}` "
                    f"({f.resource_type}, {_modes(f)} mode): {_cell(f.message)}"
                )
                if f.remediation and not f.skipped_in_preview:
                    out.append(f"  - Fix: {_cell(f.remediation)}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def html(outcomes: Sequence[Outcome]) -> str:
    """One self-contained HTML page: a site's matrix, findings and data-flow diagram, or the fleet's
    controls by status counts (``preflight/reports/html_report.py``); sites that could not be checked are
    failing rows."""
    from preflight.reports import html_report

    return html_report.report(outcomes)


RENDERERS: dict[str, Callable[[Sequence[Outcome]], Any]] = {
    "table": table,
    "json": to_json,
    "sarif": sarif,
    "markdown": markdown,
    "html": html,
}
"""Format name to renderer; ``json`` and ``sarif`` return objects to serialise, the others text."""
