"""The HTML report: one self-contained file per check, for a security officer or an auditor.

One site: the verdict, the data-flow diagram (``preflight/reports/flows.py``, inline SVG), the compliance
matrix (every catalogue control with its requirement, status and the reason or evidence) and the
findings with their fixes. A fleet: the controls by status counts with the sites that fail each, the
failing sites, one line per site, and the findings of the failing sites; readable at 100 sites.

Nothing is loaded at view time: styles are inline and the page's Content-Security-Policy forbids
any fetch, so the file can be mailed or archived as evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from preflight.catalogue import controls
from preflight.catalogue.controls import Status
from preflight.judge.results import Finding, SiteError, SiteResult
from preflight.reports import flows

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_CLASS = {
    Status.MET: "met",
    Status.VIOLATED: "violated",
    Status.NOT_JUDGED: "notjudged",
    Status.NOT_APPLICABLE: "na",
    Status.OUTSIDE: "outside",
}
_STYLE = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#263238;margin:24px;max-width:1500px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #cfd8dc}
p.meta{color:#546e7a;margin:2px 0} .verdict{font-weight:bold}
.fail{color:#c62828} .pass{color:#2e7d32}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #cfd8dc;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eceff1} td.num{text-align:right;white-space:nowrap}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;white-space:nowrap}
.met{background:#e8f5e9;color:#1b5e20} .violated{background:#ffebee;color:#b71c1c;font-weight:bold}
.notjudged{background:#fff3e0;color:#e65100} .na{background:#eceff1;color:#455a64}
.outside{background:#e3f2fd;color:#0d47a1}
tr.bad td{background:#fff5f5}
.diagram{overflow:auto;border:1px solid #cfd8dc;padding:8px} .diagram svg{max-width:100%;height:auto}
.unavailable{background:#fff3e0;padding:8px;border:1px solid #ffcc80}
li.finding{margin-bottom:8px} .fix{color:#1b5e20} code{font-size:12px}
"""


def _badge(status: Status) -> str:
    return f'<span class="badge {_CLASS[status]}">{escape(status.value)}</span>'


def _page(title: str, body: list[str]) -> str:
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            f"<title>{escape(title)}</title>",
            f"<style>{_STYLE}</style>",
            "</head>",
            "<body>",
            *body,
            f'<p class="meta">Generated {generated} by <code>python -m preflight</code>. The controls and their '
            "requirements are the project's catalogue (<code>docs/controls.md</code>).</p>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _verdict(result: SiteResult) -> str:
    fails, advisory, skipped = result.tally()
    if result.exit_code:
        missed = result.readiness_failing()
        text = f"FAIL: {fails} mandatory violation(s)" + (
            f", the readiness report misses the site's minimums ({', '.join(missed)})" if missed else ""
        )
        cls = "fail"
    else:
        text, cls = "pass: no mandatory violation", "pass"
    extra = [
        f"{advisory} advisory finding(s)" if advisory else "",
        f"{skipped} not judged in preview" if skipped else "",
    ]
    more = ", ".join(e for e in extra if e)
    return f'<span class="verdict {cls}">{escape(text)}</span>' + (f" ({escape(more)})" if more else "")


def _findings(findings: Sequence[Finding]) -> list[str]:
    if not findings:
        return ["<p>No findings.</p>"]
    out = ["<ul>"]
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    for f in sorted(findings, key=lambda f: (f.skipped_in_preview, f.level != "mandatory", order.get(f.severity, 4))):
        level = "not judged in preview" if f.skipped_in_preview else f.level
        out.append(
            f'<li class="finding"><b>{escape(f.control)}</b> <code>{escape(f.policy)}</code> ({escape(level)}, '
            f"{escape(f.severity)}) on <code>{escape(f.resource_name)}</code> ({escape(f.resource_type)}, "
            f"{escape(f.mode)} mode): {escape(f.message)}"
        )
        if f.remediation and not f.skipped_in_preview:
            out.append(f'<br><span class="fix">Fix: {escape(f.remediation)}</span>')
        out.append("</li>")
    out.append("</ul>")
    return out


def _matrix(result: SiteResult) -> list[str]:
    out = [
        '<table id="matrix">',
        "<tr><th>control</th><th>requirement</th><th>status</th><th>reason or evidence</th><th>policies</th>"
        "<th>resources evaluated</th></tr>",
    ]
    for row in controls.rows(result):
        policies = "<br>".join(f"<code>{escape(p)}</code>" for p in row.policies) or "-"
        cls = "bad" if row.status is Status.VIOLATED else "row"
        out.append(
            f'<tr class="{cls}" id="row-{escape(row.control)}"><td>{escape(row.control)}</td>'
            f"<td>{escape(row.requirement)}</td><td>{_badge(row.status)}</td><td>{escape(row.detail)}</td>"
            f'<td>{policies}</td><td class="num">{row.evaluated_text}</td></tr>'
        )
    out.append("</table>")
    return out


def _status_counts(rows: Sequence[controls.Row]) -> str:
    counts = {s: sum(1 for r in rows if r.status is s) for s in controls.STATUSES}
    return " ".join(f"{_badge(s)} {counts[s]}" for s in controls.STATUSES if counts[s])


def site(result: SiteResult) -> str:
    """One site's report."""
    rows = controls.rows(result)
    modes = " and ".join(result.modes)
    diagram = flows.svg(result) if result.plan else None
    missing = flows.unavailable()
    body = [
        f"<h1>Compliance report: site {escape(result.site)}</h1>",
        f'<p class="meta"><code>{escape(result.stack_file)}</code>, {escape(modes)} mode, policy pack '
        f"{escape(result.pack)} {escape(result.pack_version)}: {_verdict(result)}</p>",
        *([f'<p class="meta" id="reused">The {escape(result.provenance)}.</p>'] if result.cached else []),
        *(f'<p class="meta note">Note: {escape(note)}.</p>' for note in result.notes),
        f'<p class="meta">{len(rows)} controls: {_status_counts(rows)}</p>',
        '<h2 id="flows">Data flows</h2>',
        '<p class="meta">Generated from the plan: each edge names its protocol and TLS floor and the firewall rule, '
        "route or grant that allows it; anything the pack flagged is drawn in red.</p>",
    ]
    if not result.plan:
        body.append(
            '<p class="unavailable">Data-flow diagram not drawn: this result kept no plan (a fleet run keeps none); '
            f"<code>python -m preflight check {escape(result.site)} --report html=FILE</code> draws it.</p>"
        )
    elif diagram is not None:
        body.append(f'<div class="diagram">{diagram}</div>')
    else:
        body.append(f'<p class="unavailable">Data-flow diagram not drawn: {escape(missing or "Graphviz failed")}.</p>')
    body += ['<h2 id="matrix-title">Compliance matrix</h2>', *_matrix(result)]
    body += ['<h2 id="access">Effective access</h2>', *_access(result)]
    body += ['<h2 id="findings">Findings</h2>', *_findings(result.findings)]
    return _page(f"Preflight: {result.site}", body)


def _access(result: SiteResult) -> list[str]:
    """Who holds which permission on each protected asset, and whether the site declares it (the pack's
    IAM-10 model, ``preflight access``): the page an access review asks for."""
    if not result.plan:
        return [
            '<p class="unavailable">Effective access not computed: this result kept no plan; '
            f"<code>python -m preflight access {escape(result.site)}</code> prints it.</p>"
        ]
    from preflight.reports import access

    rows = access.rows(result.plan, result.settings)
    out = [
        '<p class="meta">From the plan, with the provider\'s IAM semantics and the pinned role table; '
        "&quot;intended&quot; compares with what the site config declares.</p>",
        "<table><tr><th>asset</th><th>kind</th><th>principal</th><th>permissions</th><th>granted by</th>"
        "<th>intended</th></tr>",
    ]
    for row in rows:
        intended = {None: "no declared intent", True: "yes", False: "no: " + ", ".join(row["beyondIntent"])}
        marked = ' class="bad"' if row["intended"] is False else ""
        out.append(
            f"<tr{marked}><td>{escape(row['asset'])}</td>"
            f"<td>{escape(row['kind'])}</td><td><code>{escape(row['principal'])}</code></td>"
            f"<td>{escape(', '.join(row['permissions']))}</td><td>{escape('; '.join(row['grantedBy']))}</td>"
            f"<td>{escape(intended[row['intended']])}</td></tr>"
        )
    out.append("</table>")
    return out


def _probe(result: SiteResult) -> str:
    """The site's readiness report in one cell: its verdict and date, or that there is none."""
    readiness = result.readiness
    if readiness is None:
        return '<span class="badge na">no report</span>'
    from preflight.judge import evidence

    if evidence.stale(readiness):
        cls, verdict = "na", "stale"
    else:
        cls, verdict = ("violated", "fail") if result.readiness_failing() else ("met", "pass")
    return f'<span class="badge {cls}">{verdict}</span> {escape(readiness.date)}'


def _not_checked(error: SiteError) -> list[str]:
    first = error.problems[0].splitlines()[0] if error.problems else ""
    return [
        f"<li><b>{escape(error.site)}</b>: could not be checked (<code>{escape(error.stack_file)}</code>): "
        f"{escape(first)}</li>"
    ]


def not_checked(error: SiteError) -> str:
    """The page of a site that could not be checked: its stack file and every reason, exit code 2."""
    body = [
        f"<h1>Compliance report: {escape(error.site)}</h1>",
        f'<p class="meta"><span class="verdict fail">NOT CHECKED</span> (exit code {error.exit_code}), '
        f"<code>{escape(error.stack_file)}</code></p>",
        "<ul>",
        *(f"<li>{escape(problem)}</li>" for problem in error.problems),
        "</ul>",
    ]
    return _page(f"Preflight: {error.site} not checked", body)


def fleet(results: Sequence[SiteResult], errors: Sequence[SiteError] = ()) -> str:
    """A fleet's report: the failing sites (those that could not be checked first), the controls by status
    counts over the checked sites, one line per site."""
    failing = controls.failing_sites(results)
    header = "".join(f"<th>{_badge(s)}</th>" for s in controls.STATUSES)
    body = [
        f"<h1>Compliance report: fleet of {len(results) + len(errors)} site(s)</h1>",
        f'<p class="meta"><span class="verdict {"fail" if failing or errors else "pass"}">'
        f"{len(failing) + len(errors)} failing</span> ({len(errors)} could not be checked), "
        f"{len(results) - len(failing)} passing.</p>",
        '<h2 id="failing">Failing sites</h2>',
    ]
    if failing or errors:
        body.append("<ul>")
        body += [line for error in errors for line in _not_checked(error)]
        body += [f"<li><b>{escape(s)}</b>: {escape(', '.join(c) or 'a mandatory violation')}</li>" for s, c in failing]
        body.append("</ul>")
    else:
        body.append("<p>None.</p>")
    body += [
        '<h2 id="controls">Controls over the fleet</h2>',
        f'<table id="fleet-matrix"><tr><th>control</th><th>requirement</th>{header}<th>failing sites</th></tr>',
    ]
    for row in controls.fleet_rows(results):
        counts = "".join(f'<td class="num">{row.counts[s] or ""}</td>' for s in controls.STATUSES)
        cls = ' class="bad"' if row.failing else ""
        body.append(
            f"<tr{cls}><td>{escape(row.control)}</td><td>{escape(row.requirement)}</td>{counts}"
            f"<td>{escape(controls.listing(row.failing))}</td></tr>"
        )
    body.append("</table>")
    body += [
        '<h2 id="sites">Sites</h2>',
        '<table id="sites-table"><tr><th>site</th><th>verdict</th><th>mandatory</th><th>advisory</th>'
        "<th>not judged</th><th>modes</th><th>readiness probe</th><th>stack file</th></tr>",
    ]
    for r in results:
        fails, advisory, skipped = r.tally()
        verdict = '<span class="fail">FAIL</span>' if r.exit_code else '<span class="pass">pass</span>'
        modes = escape("+".join(r.modes) + r.reused_note)
        body.append(
            f'<tr><td>{escape(r.site)}</td><td>{verdict}</td><td class="num">{fails}</td><td class="num">{advisory}'
            f'</td><td class="num">{skipped}</td><td>{modes}</td><td>{_probe(r)}</td>'
            f"<td><code>{escape(r.stack_file)}</code></td></tr>"
        )
    body.append("</table>")
    with_findings = [r for r in results if r.findings]
    if with_findings:
        body.append('<h2 id="fleet-findings">Findings of the sites with findings</h2>')
        for r in with_findings:
            body.append(f"<details><summary><b>{escape(r.site)}</b>: {_verdict(r)}</summary>")
            body += _findings(r.findings)
            body.append("</details>")
    return _page(f"Preflight: fleet of {len(results)} sites", body)


def report(outcomes: Sequence[SiteResult | SiteError]) -> str:
    """The HTML report of a check: one site's page, or the fleet's."""
    results = [o for o in outcomes if isinstance(o, SiteResult)]
    errors = [o for o in outcomes if isinstance(o, SiteError)]
    if len(outcomes) == 1:
        return site(results[0]) if results else not_checked(errors[0])
    return fleet(results, errors)
