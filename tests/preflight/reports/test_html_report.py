"""The compliance matrix on every site and the HTML report: every catalogue control has one row with
one status of the fixed vocabulary on both example sites and on a generated 100-site fleet; ``check``
and ``fleet --report html=FILE`` write one self-contained page with the matrix, the findings and
fixes and a data-flow diagram; headless Chromium renders it.

The example sites are checked for real (the pack process, both modes). A 100-site fleet check takes
about a minute on this project's 2-CPU machine (README, Performance), so the 100-site tests give the
report functions synthesized results instead: each generated site (``bench/sites.py``) gets the real
result of the example site it was generated from, with its own name, stack file and site config, and
two sites get a synthesized ENC-04 finding. They prove the matrix and the fleet view at that size,
not the pack's verdicts on those sites.
"""

from __future__ import annotations

import dataclasses
import html as markup
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench import sites as generated_sites
from netcheck import probe as netcheck
from preflight.catalogue import controls
from preflight.catalogue.controls import Status
from preflight.cli import main
from preflight.engine import stacks
from preflight.engine.modes import MODES
from preflight.judge import check, evidence
from preflight.judge import results as outcome
from preflight.reports import flows
from preflight.reports import formats as report
from preflight.reports import html_report as html
from tests.paths import ROOT
from tests.sites import SITES
from tests.test_conformance import FIRST_PREVIEW_UNKNOWNS

CONTROLS = ("TLS-04", "PERF-01", "PERF-02")
"""The controls this module holds (the catalogue's "tests" line is read from it)."""


CATALOGUE = controls.load()
ROTATION = "gcp-kms-crypto-key-rotation"
STRICT_ROTATION = {ROTATION: {"maxRotationDays": 60}}
"""Lausanne rotates every 30 days, Utrecht every 90: with a 60-day maximum only Utrecht violates ENC-04."""
READINESS = {
    "format": "imaging-landing-zone/netcheck@1",
    "site": "lausanne",
    "minimums": {"downloadMbps": 50.0, "latencyMs": 30.0},
    "options": {"samples": 5, "seconds": 10.0, "maxBytes": 100000000, "timeoutSeconds": 10.0, "caFile": None},
    "verdict": "fail",
    "endpoints": [
        {
            "name": "storage",
            "role": "storage",
            "url": "https://storage.googleapis.com/chuv-imaging-lau-lau-images/netcheck/100MB.bin",
            "source": "--url",
            "verdict": "pass",
            "reason": None,
            "problems": [],
            "notes": [],
            "address": "142.250.203.123",
            "connectMs": {"median": 4.1, "min": 3.9, "max": 5.0, "samples": [4.1, 3.9, 5.0]},
            "tls": {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "handshakeMs": 9.2},
            "latencyMs": {"median": 12.4, "min": 11.0, "max": 14.0, "samples": [12.4, 11.0, 14.0]},
            "download": {"bytes": 100000000, "seconds": 3.8, "mbps": 210.5, "status": 206, "stoppedBy": "size"},
        },
        {
            "name": "viewer",
            "role": "viewer",
            "url": "https://imagerie.chuv.example/",
            "source": "config",
            "verdict": "fail",
            "reason": None,
            "problems": ["latency 41.0 ms is above the maximum of 30 ms (PERF-02)"],
            "notes": [],
            "address": "34.160.1.10",
            "connectMs": {"median": 20.1, "min": 19.0, "max": 22.0, "samples": [20.1, 19.0, 22.0]},
            "tls": {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "handshakeMs": 39.2},
            "latencyMs": {"median": 41.0, "min": 38.0, "max": 45.0, "samples": [41.0, 38.0, 45.0]},
            "download": None,
        },
    ],
}
"""A readiness report as ``netcheck lausanne --format json`` writes it (figures made up)."""
MEASURED = 1796026500  # 2026-11-30 08:15 UTC, the report file's time


NEEDS_DOT = pytest.mark.skipif(
    flows.unavailable() is not None and not os.environ.get("CI"),
    reason=f"{flows.unavailable()} (.ci/run installs it; under CI this test fails instead)",
)


def _readiness(directory: Path, when: float = MEASURED) -> Path:
    path = directory / "netcheck-lausanne.json"
    path.write_text(json.dumps(READINESS), encoding="utf-8")
    os.utime(path, (when, when))
    return path


FLEET_MEASURED = int(datetime.now(UTC).timestamp()) - 7 * 86400
"""The fleet run's readiness report is a week old when the fleet runs (a subprocess: its clock is today's)."""


@pytest.fixture(autouse=True)
def _a_week_after_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """The readiness report is judged a week after it was measured: current evidence, whatever today is."""
    monkeypatch.setattr(evidence, "today", lambda: datetime.fromtimestamp(MEASURED, tz=UTC) + timedelta(days=7))


@pytest.fixture(scope="module")
def results() -> dict[str, outcome.SiteResult]:
    """Both example sites checked in both modes through one pack process."""
    with check.Checker(first=stacks.load(SITES[0])) as checker:
        return {site: check.check_site(stacks.load(site), MODES, checker=checker, keep_plan=True) for site in SITES}


def _rows(result: outcome.SiteResult) -> dict[str, controls.Row]:
    return {row.control: row for row in controls.rows(result)}


# -- the matrix --------------------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_every_catalogue_control_has_one_row_on_each_example_site(results, site):
    rows = controls.rows(results[site])
    assert [row.control for row in rows] == CATALOGUE.ids
    assert {row.status for row in rows} <= set(Status)
    assert all(row.requirement == CATALOGUE.get(row.control).requirement for row in rows)
    assert not [row.control for row in rows if row.status is Status.VIOLATED]
    # not judged in preview only where a first preview leaves a GCP-computed value to the update run
    unknowns = [entry for entry in FIRST_PREVIEW_UNKNOWNS if entry[0] == site]
    assert unknowns or not [row.control for row in rows if row.status is Status.NOT_JUDGED]
    assert all(row.detail for row in rows if row.status in (Status.NOT_APPLICABLE, Status.OUTSIDE))


def test_a_control_with_nothing_to_judge_reads_the_same_on_every_site(results):
    """Neither site has Cloud NAT: LOG-07 is not applicable, with the reason, on both."""
    assert {(_rows(results[s])["LOG-07"].status, _rows(results[s])["LOG-07"].detail) for s in SITES} == {
        (Status.NOT_APPLICABLE, "the site has no Cloud NAT")
    }


def test_without_a_readiness_report_the_rows_say_which_command_produces_it(results):
    rows = _rows(results["lausanne"])
    for control in ("PERF-01", "PERF-02"):
        assert rows[control].status is Status.OUTSIDE
        assert "run python -m preflight netcheck lausanne" in rows[control].detail
        assert "--evidence FILE" in rows[control].detail
    assert rows["TLS-04"].status is Status.MET  # gcp.restrictTLSVersion, judged by ORG-01's policy
    assert rows["TLS-04"].policies == ("gcp-orgpolicy-restrict-tls-version",)
    assert "readiness probe: no report given" in rows["TLS-04"].detail


def test_a_guard_rail_the_organisation_enforces_is_evidence_outside_the_stack(results):
    """Utrecht skips compute.vmExternalIpAccess in guardRails.skip with the organisation's policy id."""
    utrecht = _rows(results["utrecht"])["ORG-09"]
    assert utrecht.status is Status.OUTSIDE
    assert utrecht.detail.startswith("organisation: compute.vmExternalIpAccess is enforced above the project")
    assert "CCT-ORG-017" in utrecht.detail
    assert _rows(results["lausanne"])["ORG-09"].status is Status.MET


def test_a_guard_rail_skipped_in_the_policy_config_is_evidence_outside_the_stack_in_the_json(tmp_path, capsys):
    """A stack that is not ours records the organisation's enforcement as the policy's skipReason."""
    config = tmp_path / "policy-config.json"
    reason = "gcp.resourceLocations is set on the organisation node (CCT-ORG-020)."
    config.write_text(json.dumps({"gcp-orgpolicy-resource-locations": {"skipReason": reason}}), encoding="utf-8")
    assert main(["check", "lausanne", "--mode", "update", "--policy-config", str(config), "--format", "json"]) == 0
    [site] = json.loads(capsys.readouterr().out)["sites"]
    row = next(c for c in site["controls"] if c["control"] == "ORG-10")
    assert (row["status"], row["verdict"]) == ("evidence outside the stack", "met")
    assert row["detail"] == f"organisation (policy config skipReason): {reason}"
    assert [c["control"] for c in site["controls"]] == CATALOGUE.ids


def test_a_readiness_report_gives_its_date_and_figures(results, tmp_path):
    result = dataclasses.replace(results["lausanne"], readiness=evidence.read(_readiness(tmp_path)))
    rows = _rows(result)
    source = "readiness probe netcheck-lausanne.json (file time 2026-11-30 08:15 UTC)"
    assert rows["PERF-01"].detail == f"{source}: meets the minimum: storage: 210.5 Mbps (minimum 50)"
    assert rows["PERF-02"].detail == (
        f"{source}: DOES NOT MEET the minimum: storage: 12.4 ms (maximum 30); viewer: 41 ms (maximum 30) ABOVE"
    )
    assert rows["TLS-04"].detail.endswith(f"{source}: meets the minimum: storage: TLSv1.3; viewer: TLSv1.3")
    assert rows["PERF-01"].status is Status.OUTSIDE
    assert rows["PERF-02"].status is Status.VIOLATED  # the viewer's 41 ms misses Lausanne's maximum
    assert result.exit_code == 1


def test_the_probe_dates_its_report_and_the_matrix_cites_that_date(tmp_path):
    """netcheck writes when it measured (``measuredAt``); copying the file does not change the date cited."""
    probe = netcheck.Report(
        "lausanne", netcheck.Minimums(50.0, 30.0), netcheck.Options(), [], "2026-11-30T08:15:00+00:00"
    )
    document = netcheck.to_json(probe)
    assert document["measuredAt"] == "2026-11-30T08:15:00+00:00"
    path = tmp_path / "netcheck.json"
    path.write_text(json.dumps({**READINESS, "measuredAt": document["measuredAt"]}), encoding="utf-8")
    assert evidence.summary("PERF-01", evidence.read(path), "lausanne").startswith(
        "readiness probe netcheck.json (measured 2026-11-30 08:15 UTC): meets the minimum"
    )


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("not json", "the readiness report is not JSON"),
        (json.dumps({"format": "imaging-landing-zone/check@1"}), "format: expected 'imaging-landing-zone/netcheck@1'"),
        (json.dumps({**READINESS, "measuredAt": "yesterday"}), "measuredAt: not an ISO 8601 time"),
    ],
    ids=["not-json", "another-format", "bad-date"],
)
def test_an_unusable_readiness_report_exits_2_in_one_line(tmp_path, capsys, document, reason):
    path = tmp_path / "netcheck.json"
    path.write_text(document, encoding="utf-8")
    assert main(["check", "lausanne", "--evidence", str(path)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {path}: ")
    assert reason in line


# -- one site's HTML report, through the CLI ----------------------------------------------------------


@pytest.fixture(scope="module")
def site_report(tmp_path_factory) -> str:
    """``check utrecht --report html=FILE`` with a 60-day rotation maximum: a real ENC-04 violation."""
    directory = tmp_path_factory.mktemp("site-report")
    config = directory / "policy-config.json"
    config.write_text(json.dumps(STRICT_ROTATION), encoding="utf-8")
    page = directory / "utrecht.html"
    code = main(["check", "utrecht", "--mode", "update", "--policy-config", str(config), "--report", f"html={page}"])
    assert code == 1
    return page.read_text(encoding="utf-8")


def _svg_node(page: str, text: str) -> str:
    """The SVG group of the diagram node whose label contains ``text``."""
    for group in re.findall(r'<g id="node\d+" class="node">.*?</g>', page, re.S):
        if text in markup.unescape(group):
            return markup.unescape(group)
    raise AssertionError(f"no diagram node with {text!r}")


@NEEDS_DOT
def test_check_writes_one_self_contained_page(site_report):
    assert site_report.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in site_report  # the page may fetch nothing
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", site_report)
    assert "<svg" in site_report
    for control in CATALOGUE.ids:
        assert f'id="row-{control}"' in site_report


def test_the_report_holds_the_finding_with_its_fix(site_report):
    assert f"<code>{ROTATION}</code> (mandatory, high) on <code>utr-kms-images</code>" in site_report
    assert "Fix: Set rotationPeriod" in site_report
    row = re.search(r'<tr class="bad" id="row-ENC-04">.*?</tr>', site_report, re.S)
    assert row is not None
    assert "violated" in row.group(0)


@NEEDS_DOT
def test_the_diagram_draws_what_the_pack_flagged_in_red(site_report):
    assert flows.RED in _svg_node(site_report, "Key utr-kms-images")
    assert "FLAGGED by the pack" in _svg_node(site_report, "Key utr-kms-images")
    assert flows.RED in _svg_node(site_report, "Key utr-kms-logs")  # 90 days too: both keys violate
    assert flows.RED not in _svg_node(site_report, "Log bucket")


@NEEDS_DOT
def test_a_flagged_resource_the_diagram_does_not_show_gets_a_red_node_of_its_own(results):
    """Synthesized finding on an alert policy (no flow of its own): it must still appear, in red."""
    result = results["lausanne"]
    alert = next(r for r in result.plan if r.name == "lau-alerts-route-alert")
    finding = outcome.Finding(
        site="lausanne",
        mode="update",
        control="LOG-11",
        policy="gcp-monitoring-cis-security-alerts",
        level="mandatory",
        severity="high",
        urn=alert.urn,
        resource_type=alert.type,
        resource_name=alert.name,
        message="synthesized",
        remediation="",
        skipped_in_preview=False,
    )
    page = html.site(dataclasses.replace(result, findings=[finding]))
    assert "Other resources the pack flagged" in markup.unescape(page)
    assert flows.RED in _svg_node(page, "AlertPolicy lau-alerts-route-alert")


@NEEDS_DOT
@pytest.mark.parametrize(
    "label",
    [
        "PACS",  # hospital side, from the site config
        "Worklist ris",
        "Worklist emr",
        "Clinicians",
        "VPC utr-vpc",
        "Subnet utr-network-batch",
        "Viewer (Cloud Run utr-viewer-run)",
        "Image bucket",
        "Access-log bucket",
        "Key utr-kms-logs",
        "Log bucket",
        "SIEM (the organisation's central destination)",
        "uploads: HTTPS, TLS 1.2+ (org policy utr-project-gcp.restrictTLSVersion)",  # PACS to storage
        "reads: HTTPS, TLS 1.2+",  # storage to viewer
        "firewall utr-firewall-allow-google-apis (tcp:443)",
        "grant utr-images-pacs-uploader",
        "viewer launch from the worklist: HTTPS, TLS 1.2+ (SSL policy utr-viewer-tls, MODERN)",
        "firewall utr-firewall-allow-worklist-emr (tcp:443)",
        "route utr-network-to-emr-10-12-4-0-24",
        "sink utr-logging-siem-sink",
    ],
)
def test_the_diagram_shows_each_system_and_labels_each_flow(site_report, label):
    assert label in markup.unescape(site_report.split("<svg", 1)[1].split("</svg>", 1)[0])


def test_without_graphviz_the_report_says_how_to_install_it(results, monkeypatch):
    monkeypatch.setattr(flows.shutil, "which", lambda name: None)
    page = html.site(results["lausanne"])
    assert "<svg" not in page
    assert "Data-flow diagram not drawn: the data-flow diagram needs Graphviz's dot on the PATH" in markup.unescape(
        page
    )
    assert "apt-get install -y graphviz" in page
    assert 'id="row-PERF-01"' in page


def test_the_report_shows_the_effective_access_of_each_protected_asset(results):
    """The access review's page: each (asset, principal) with its permissions, the grant and the intent."""
    page = html.site(results["lausanne"])
    section = page[page.index('<h2 id="access">') :]
    assert "<td>lau-siem-export</td><td>SIEM topic</td>" in section
    assert "lau-logging-siem-publisher (roles/pubsub.publisher)" in section
    assert '<tr class="bad">' not in section.split("</table>")[0]
    without = html.site(dataclasses.replace(results["lausanne"], plan=[]))
    assert "<code>python -m preflight access lausanne</code> prints it" in without


def test_a_result_without_its_plan_says_how_to_get_the_diagram(results):
    """A fleet keeps no plans (memory); a one-site fleet's report says which command draws the diagram."""
    page = html.site(dataclasses.replace(results["lausanne"], plan=[]))
    assert "<svg" not in page
    assert "python -m preflight check lausanne --report html=FILE</code> draws it" in page


# -- the fleet -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fleet_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """``fleet --report html=FILE`` over the two example sites, Utrecht violating ENC-04, Lausanne's
    readiness report given."""
    directory = tmp_path_factory.mktemp("fleet-report")
    (directory / "stacks").mkdir()
    for site in ("lausanne", "utrecht"):  # these two, not every site: the expected rows are theirs
        shutil.copy(ROOT / "stacks" / f"Pulumi.{site}.yaml", directory / "stacks")
    config = directory / "policy-config.json"
    config.write_text(json.dumps(STRICT_ROTATION), encoding="utf-8")
    command = [sys.executable, "-m", "preflight", "fleet", "--stacks-dir", str(directory / "stacks"), "--jobs", "2"]
    command += ["--mode", "update", "--no-progress", "--policy-config", str(config)]
    report = _readiness(directory, FLEET_MEASURED)
    command += ["--evidence", str(report), "--report", f"html={directory / 'fleet.html'}"]
    command += ["--format", "markdown"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
    return done, directory / "fleet.html"


def test_fleet_writes_the_html_report_with_controls_by_status_and_failing_sites(fleet_run):
    done, page_file = fleet_run
    assert done.returncode == 1, done.stderr
    page = page_file.read_text(encoding="utf-8")
    assert "<h1>Compliance report: fleet of 2 site(s)</h1>" in page
    row = re.search(r'<tr class="bad"><td>ENC-04</td>.*?</tr>', page, re.S)
    assert row is not None
    assert row.group(0).endswith("<td>utrecht</td></tr>")
    assert "<li><b>utrecht</b>: ENC-04</li>" in page
    # Lausanne's readiness report: the viewer's 41 ms misses its maximum of 30 (PERF-02), so Lausanne fails too
    assert '<td>lausanne</td><td><span class="fail">FAIL</span></td>' in page
    measured = datetime.fromtimestamp(FLEET_MEASURED, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert f'<span class="badge violated">fail</span> {measured}' in page
    assert "<li><b>lausanne</b>: PERF-02</li>" in page
    for control in CATALOGUE.ids:
        assert f"<td>{control}</td>" in page


def test_the_fleet_markdown_counts_statuses_per_control_instead_of_a_column_per_site(fleet_run):
    done, _ = fleet_run
    header = "| control | requirement | " + " | ".join(s.value for s in controls.STATUSES) + " | failing sites |"
    assert header in done.stdout
    perf = next(line for line in done.stdout.splitlines() if line.startswith("| PERF-01 |"))
    assert perf.endswith("| 0 | 0 | 0 | 0 | 2 |  |")  # evidence outside the stack on both sites
    assert "| ENC-04 |" in done.stdout
    assert "| 1 | 1 | 0 | 0 | 0 | utrecht |" in done.stdout
    assert "## Compliance matrix: utrecht" in done.stdout
    assert "## Compliance matrix: lausanne" not in done.stdout  # sites without findings: only in the counts


@pytest.fixture(scope="module")
def fleet100(results, tmp_path_factory) -> list[outcome.SiteResult]:
    """100 generated sites with synthesized results (see the module docstring)."""
    directory = tmp_path_factory.mktemp("fleet100")
    synthesized = []
    for index, stack in enumerate(generated_sites.generate(100, directory)):
        template = results[generated_sites.TEMPLATES[index % 2]]
        findings = []
        if index in (7, 42):
            key = next(r for r in template.plan if r.type == "gcp:kms/cryptoKey:CryptoKey")
            findings.append(
                outcome.Finding(
                    site=stack.name,
                    mode="update",
                    control="ENC-04",
                    policy=ROTATION,
                    level="mandatory",
                    severity="high",
                    urn=key.urn,
                    resource_type=key.type,
                    resource_name=key.name,
                    message="rotationPeriod is 31536000s (365 days); the maximum is 90 days (synthesized).",
                    remediation="Set rotationPeriod to at most 7776000s (90 days).",
                    skipped_in_preview=False,
                )
            )
        synthesized.append(
            dataclasses.replace(
                template,
                site=stack.name,
                stack_file=stacks.display_path(stack.path),
                site_config=stack.site,
                findings=findings,
            )
        )
    return synthesized


def test_every_control_has_a_row_on_every_site_of_a_generated_100_site_fleet(fleet100):
    assert len(fleet100) == 100
    for result in fleet100:
        rows = controls.rows(result)
        assert [row.control for row in rows] == CATALOGUE.ids, result.site
        assert {row.status for row in rows} <= set(Status)
    summary = {row.control: row for row in controls.fleet_rows(fleet100)}
    assert list(summary) == CATALOGUE.ids
    assert all(sum(row.counts.values()) == 100 for row in summary.values())
    assert summary["ENC-04"].failing == ("utr007", "lau042")
    assert summary["ORG-09"].counts[Status.OUTSIDE] == 50  # the sites generated from Utrecht skip it


def test_the_fleet_view_stays_readable_at_100_sites(fleet100):
    page = html.fleet(fleet100)
    matrix = page.split('<table id="fleet-matrix">', 1)[1].split("</table>", 1)[0]
    assert matrix.count("<tr") == len(CATALOGUE.ids) + 1  # one row per control, whatever the fleet size
    assert matrix.split("</tr>", 1)[0].count("<th>") == len(controls.STATUSES) + 3
    assert "<li><b>utr007</b>: ENC-04</li>" in page
    assert "<li><b>lau042</b>: ENC-04</li>" in page
    assert len(page) < 300_000
    text = report.markdown(fleet100)
    [header] = [line for line in text.splitlines() if line.startswith("| control | requirement |")][:1]
    assert header.count("|") == len(controls.STATUSES) + 4


# -- in a real browser -------------------------------------------------------------------------------

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)
SCREENSHOTS = ROOT / "docs" / "screenshots"
"""Where ``PREFLIGHT_SCREENSHOTS=write pytest tests/preflight/reports/test_html_report.py`` puts the
screenshots of the README (the site's report) and of ``docs/check.md`` (the fleet's)."""


def _browser(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    flags += ["--disable-component-update", "--no-first-run", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'p'}"]
    return subprocess.run(
        [str(CHROMIUM), *flags, *args, page.as_uri()], capture_output=True, text=True, check=True, timeout=120
    )


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@NEEDS_DOT
@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="headless Chromium is not installed: apt-get install -y chromium (.ci/run installs it; under CI this "
    "test fails instead)",
)
@pytest.mark.parametrize("which", ["site", "fleet"])
def test_a_real_browser_renders_the_diagram_and_the_matrix(which, site_report, fleet100, tmp_path):
    page = tmp_path / f"{which}.html"
    page.write_text(site_report if which == "site" else html.fleet(fleet100), encoding="utf-8")
    dom = _browser(page, tmp_path, "--dump-dom").stdout
    shot = tmp_path / f"{which}.png"
    _browser(page, tmp_path, f"--screenshot={shot}", "--window-size=1400,1700")
    data = shot.read_bytes()
    assert _png_size(data) == (1400, 1700)
    assert len(data) > 50_000  # a blank page of that size compresses to a few kB
    if which == "site":
        assert "Data flows of site utrecht" in dom  # the SVG's title: the diagram is in the rendered DOM
        assert "Compliance report: site utrecht" in dom
    else:
        assert "Compliance report: fleet of 100 site(s)" in dom
    assert all(control in dom for control in CATALOGUE.ids)
    if os.environ.get("PREFLIGHT_SCREENSHOTS") == "write":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, SCREENSHOTS / f"{which}-report.png")


def test_the_readme_and_the_check_reference_show_the_committed_screenshots():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    reference = (ROOT / "docs" / "check.md").read_text(encoding="utf-8")
    assert "(docs/screenshots/site-report.png)" in readme
    assert "(screenshots/fleet-report.png)" in reference
    for which in ("site", "fleet"):
        assert (SCREENSHOTS / f"{which}-report.png").stat().st_size > 50_000


def test_a_readiness_report_cannot_lower_the_requirements_minimums(tmp_path):
    """A report whose own minimums were lowered (1 Mbps, 5000 ms) is judged against the requirement's floor:
    50 Mbps and 30 ms, or the site's stricter values."""
    report = {
        "format": "imaging-landing-zone/netcheck@1",
        "site": "lausanne",
        "measuredAt": "2026-11-30T08:15:00Z",
        "verdict": "pass",
        "minimums": {"downloadMbps": 1, "latencyMs": 5000},
        "endpoints": [
            {
                "name": "storage",
                "role": "storage",
                "latencyMs": {"median": 900},
                "download": {"mbps": 2},
                "tls": {"version": "TLSv1.3"},
            },
        ],
    }
    path = tmp_path / "lowered.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    readiness = evidence.read(path)
    assert (readiness.min_download_mbps, readiness.max_latency_ms) == (50.0, 30.0)
    assert "DOES NOT MEET the minimum: storage: 2 Mbps (minimum 50) BELOW" in evidence.summary("PERF-01", readiness)
    assert "900 ms (maximum 30) ABOVE" in evidence.summary("PERF-02", readiness)
