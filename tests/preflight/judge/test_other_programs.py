"""Other teams' real programs through `check --project`: the corpus under ``tests/corpus/``.

Each program is written the way teams write them (a VM with a startup script, functions deployed from a
source folder, Cloud Run with a database, a static website, a network module, secrets, a push pipeline,
a program kept in a subfolder, a project naming its own virtualenv). Each must give a verdict (exit 0 or
1, never a traceback) in every mode, with the findings it must produce and none it must not; its reports
speak of its resources, not of a hospital site. These prove the offline run; not that the programs would
deploy (no provider runs here).
"""

from __future__ import annotations

import json
import re
import sys

import pytest

from tests.paths import TESTS
from tests.sites import preflight_cli

CORPUS = TESTS / "corpus"
PROGRAMS = sorted(p.name for p in CORPUS.iterdir() if (p / "Pulumi.yaml").is_file())
FAILING = TESTS / "fixtures" / "programs" / "fails-on-output"

MUST: dict[str, set[str]] = {
    "vm-startup-script": {"gcp-compute-firewall-ingress-allowlist", "gcp-viewer-no-public-address"},
    "functions-from-source": {"gcp-iam-no-public-principals", "gcp-storage-bucket-requires-cmek"},
    "cloudrun-with-database": {"gcp-cloudrun-not-public", "gcp-project-services-needed-only"},
    "static-website": {"gcp-iam-no-public-principals", "gcp-storage-bucket-public-access-prevention"},
    "network-module": {"gcp-compute-network-denies-egress", "gcp-compute-nat-logs-all"},
    "secret-manager": {"gcp-project-services-needed-only"},
    "pubsub-pipeline": {"gcp-pubsub-subscription-pull-only"},
    "src-layout": {"gcp-kms-keys-protected"},
    "named-virtualenv": {"gcp-storage-bucket-requires-cmek"},
    "scheduled-job": {"gcp-project-services-needed-only"},
    "gke-autopilot": {"gcp-project-services-needed-only"},
    "shared-vpc-consumer": {"gcp-project-services-needed-only"},
}
"""Per program, mandatory findings it must produce (the program really breaks those controls)."""

MUST_NOT: dict[str, set[str]] = {
    "network-module": {"gcp-compute-subnetwork-flow-logs", "gcp-compute-subnetwork-private-google-access"},
    "src-layout": {"gcp-project-services-needed-only", "gcp-kms-crypto-key-rotation"},
    "secret-manager": {"gcp-iam-no-public-principals"},
    "static-website": {"gcp-storage-bucket-uniform-access"},
}
"""Per program, findings it must not produce (it meets those controls; a regional address is harmless)."""

SITE_WORDS = re.compile(r"\bthe site\b|\bsite's\b|\bPACS\b|\bviewer\b|\bworklist\b|hospital group|\bimages?\b", re.I)
"""A hospital site's vocabulary, which a report of another team's stack must not use."""
ALLOWED = re.compile(
    r"imaging-site-requirements|imaging-landing-zone:siteCode|[a-z]+-site-completeness|not a hospital site"
    r"|a hospital site's network readiness; this stack is not a site|gcp-[a-z0-9-]+|projectOwner/Editor/Viewer"
)
"""What may name a site in such a report: the pack's name, the scope rule's own words, policy names (identity)."""

_results: dict[tuple[str, str], object] = {}


def _check(program: str, fmt: str = "json"):
    if (program, fmt) not in _results:
        _results[program, fmt] = preflight_cli(
            "check", "--project", str(CORPUS / program), "dev", "--no-cache", "--format", fmt
        )
    return _results[program, fmt]


def _site(program: str) -> dict:
    done = _check(program)
    [site] = json.loads(done.stdout)["sites"]
    return site


@pytest.mark.parametrize("program", PROGRAMS)
def test_every_program_gets_a_verdict_in_every_mode(program):
    done = _check(program)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    site = _site(program)
    assert site["modes"] == ["preview", "update"]
    assert not site["errors"]


def test_the_corpus_has_at_least_ten_programs_in_the_styles_teams_write():
    assert len(PROGRAMS) >= 10, PROGRAMS


@pytest.mark.parametrize("program", sorted(MUST))
def test_each_program_gets_the_findings_it_must(program):
    site = _site(program)
    failing = {f["policy"] for f in site["findings"] if f["level"] == "mandatory"}
    assert MUST[program] <= failing, failing
    assert not MUST_NOT.get(program, set()) & failing


@pytest.mark.parametrize("program", PROGRAMS)
def test_no_report_of_another_teams_stack_speaks_of_a_hospital_site(program):
    """The table, Markdown, JSON and SARIF reports, with the allowed names (policy names, the scope rule) cut out."""
    for fmt in ("table", "markdown", "json", "sarif"):
        text = ALLOWED.sub("", _check(program, fmt).stdout)
        found = sorted({m.group(0) for m in SITE_WORDS.finditer(text)})
        assert not found, (fmt, found, [line for line in text.splitlines() if SITE_WORDS.search(line)][:5])


@pytest.mark.parametrize("program", PROGRAMS)
def test_no_message_shows_pythons_none(program):
    site = _site(program)
    texts = [f["message"] for f in site["findings"]] + [c["detail"] for c in site["controls"]]
    assert not [t for t in texts if re.search(r"\bNone\b", t)]


@pytest.mark.parametrize("program", PROGRAMS)
def test_a_control_is_met_only_where_something_was_judged(program):
    site = _site(program)
    met = [c for c in site["controls"] if c["status"] == "met"]
    assert all(c["resourcesEvaluated"] or c["stackEvaluated"] for c in met), met


def test_a_stack_control_with_nothing_of_its_kinds_is_not_applicable_never_met():
    """The VM program has no keys, no IAM grants and no load balancer: those controls' stack policies judge
    nothing there, so their rows say so."""
    rows = {c["control"]: c for c in _site("vm-startup-script")["controls"]}
    for control in ("ENC-07", "IAM-04", "TLS-02", "TLS-03", "NET-08"):
        assert rows[control]["status"] == "not applicable", rows[control]
        assert "the stack has none of the kinds" in rows[control]["detail"]


def test_modules_are_fresh_in_every_mode():
    """``network.py`` registers a network when it is imported: every mode sees it, as every real run does."""
    site = _site("network-module")
    assert len(set(site["resources"].values())) == 1, site["resources"]
    names = {f["resourceName"] for f in site["findings"] if f["resourceName"] == "shared"}
    assert names, "the network made at import time is judged"


def test_secure_values_are_placeholders_marked_secret_and_the_report_says_so():
    site = _site("secret-manager")
    assert any("secret-manager:apiToken" in note and "placeholder" in note for note in site["notes"])
    table = _check("secret-manager", "table").stdout
    assert "note: secure values held offline placeholders, marked secret: secret-manager:apiToken" in table


def test_a_virtualenv_not_made_yet_is_a_note_not_a_failure():
    site = _site("named-virtualenv")
    assert any("virtualenv venv does not exist" in note for note in site["notes"])


def test_a_virtualenv_of_another_python_is_one_line_exit_2(tmp_path):
    project = tmp_path / "other-python"
    (project / "venv" / "lib" / "python3.99" / "site-packages").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text(
        "name: other-python\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n", encoding="utf-8"
    )
    (project / "Pulumi.dev.yaml").write_text("config:\n  gcp:project: p\n", encoding="utf-8")
    (project / "__main__.py").write_text("import pulumi\n", encoding="utf-8")
    done = preflight_cli("check", "--project", str(project), "dev", "--no-cache")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert f"its packages are for python3.99, and the offline check runs {version}" in line


def test_a_programs_own_bug_names_the_mode_and_its_line():
    done = preflight_cli("check", "--project", str(FAILING), "dev", "--no-cache")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "in update mode (an update, or a later preview: values as the provider stores them): IndexError" in line
    assert f"{FAILING / '__main__.py'}:7" in line


def test_a_required_input_left_out_is_the_programs_error_not_the_checkers(tmp_path):
    project = tmp_path / "no-location"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: no-location\nruntime: python\n", encoding="utf-8")
    (project / "Pulumi.dev.yaml").write_text("config:\n  gcp:project: p\n", encoding="utf-8")
    (project / "__main__.py").write_text("import pulumi_gcp as gcp\ngcp.kms.KeyRing('ring')\n", encoding="utf-8")
    done = preflight_cli("check", "--project", str(project), "dev", "--no-cache", "--mode", "update")
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "Missing required property 'location'" in line
    assert f"{project / '__main__.py'}:2" in line
    assert "gcp_model" not in line
