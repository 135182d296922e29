"""``python -m preflight check``: verdicts, exit codes, reports and bad input, end to end through the
real pack process. Plans are built once per session; each case makes one change."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from preflight.cli import main
from preflight.engine import plan, stacks
from preflight.engine.modes import MODES
from preflight.engine.runner import UNKNOWN, from_wire
from preflight.judge import check
from preflight.judge import results as outcome
from preflight.judge.pack import PackProcess, PolicyConfigError, reconcile
from preflight.reports import formats as report
from tests.paths import ROOT
from tests.plans import site_plan
from tests.sites import SITES, by_name
from tests.test_conformance import FIRST_PREVIEW_UNKNOWNS

CONTROLS = ("ENC-04",)
"""The controls this module holds (the catalogue's "tests" line is read from it)."""


KEY = "lau-kms-images"
ROTATION = "gcp-kms-crypto-key-rotation"

_documents: dict[tuple[str, str], dict] = {}


def _document(site: str = "lausanne", mode: str = "update") -> dict:
    if (site, mode) not in _documents:
        _documents[site, mode] = plan.build(stacks.load(site), mode)
    return copy.deepcopy(_documents[site, mode])


def _write(tmp_path: Path, document: dict | str, name: str = "plan.json") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return path


def _resource(document: dict, name: str) -> dict:
    [found] = [r for r in document["resources"] if r["name"] == name and r["custom"]]
    return found


def _slow_rotation(tmp_path: Path) -> Path:
    document = _document()
    _resource(document, KEY)["inputs"]["rotationPeriod"] = "31536000s"
    return _write(tmp_path, document)


@pytest.fixture(scope="module")
def results() -> dict[str, outcome.SiteResult]:
    """Every example site checked once in both modes, through one pack process (as the fleet does)."""
    first = stacks.load(SITES[0])
    with check.Checker(first=first) as checker:
        return {site: check.check_site(stacks.load(site), MODES, checker=checker) for site in SITES}


# -- verdicts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_every_example_site_passes_in_both_modes(results, site):
    result = results[site]
    assert result.modes == MODES
    assert result.exit_code == outcome.EXIT_OK
    # only the values GCP alone computes are left to the update run (tests/test_conformance.py lists them)
    unknowns = {name for s, name, _ in FIRST_PREVIEW_UNKNOWNS if s == site}
    assert [f for f in result.findings if not (f.skipped_in_preview and f.urn.rsplit("::", 1)[-1] in unknowns)] == []
    verdicts = {c.control: c.verdict for c in result.controls()}
    assert set(verdicts.values()) <= {"met", "no resources", "not judged in preview"}
    assert all(c.verdict != "not judged in preview" or unknowns for c in result.controls())
    assert verdicts["ENC-01"] == "met"


def test_the_matrix_counts_the_resources_each_control_judged(results):
    rows = {c.control: c for c in results["lausanne"].controls()}
    keys = [r for r in site_plan("lausanne", "update") if r.type == "gcp:kms/cryptoKey:CryptoKey"]
    assert rows["ENC-03"].evaluated == len(keys)  # judged only keys: not-applicable for every other type
    assert rows["ENC-08"].stack_checked  # a stack policy
    assert (rows["LOG-07"].evaluated, rows["LOG-07"].verdict) == (0, "no resources")  # sites have no Cloud NAT


def test_the_cli_prints_the_compliance_matrix_and_exits_0(capsys):
    assert main(["check", "lausanne", "--mode", "preview"]) == 0
    out = capsys.readouterr().out
    assert "control  status" in out
    assert "no mandatory violation" in out


def test_a_mutated_security_property_exits_1_naming_control_resource_property_and_fix(tmp_path, capsys):
    assert main(["check", "--plan", str(_slow_rotation(tmp_path))]) == 1
    out = capsys.readouterr().out
    finding = next(line for line in out.splitlines() if ROTATION in line and KEY in line)
    assert "[mandatory, high]" in finding
    section = out[out.index("ENC-04") :]
    assert "rotationPeriod 31536000s is 365 days" in section
    assert "fix: Set rotationPeriod to at most 90 days, written in seconds" in section
    assert "ENC-04   violated" in out


LOWERED_BECAUSE = "the vendor rotates this key by hand once a year, change ticket SEC-1042"
"""A mandatory policy is lowered only with its recorded reason (``test_policy_config_levels.py``)."""


def test_advisory_findings_never_fail(tmp_path, capsys):
    lowered = {ROTATION: {"enforcementLevel": "advisory", "levelReason": LOWERED_BECAUSE}}
    config = _write(tmp_path, lowered, "policy-config.json")
    assert main(["check", "--plan", str(_slow_rotation(tmp_path)), "--policy-config", str(config)]) == 0
    assert "[advisory, high] gcp-kms-crypto-key-rotation" in capsys.readouterr().out


def test_a_disabled_policy_is_not_run_and_says_so(tmp_path, capsys):
    lowered = {ROTATION: {"enforcementLevel": "disabled", "levelReason": LOWERED_BECAUSE}}
    config = _write(tmp_path, lowered, "policy-config.json")
    assert main(["check", "--plan", str(_slow_rotation(tmp_path)), "--policy-config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "ENC-04   not applicable" in out
    assert f"ENC-04: exempted: the policy config disables {ROTATION}; {ROTATION} set to disabled" in out


def test_a_policy_config_property_reaches_the_policy(tmp_path, capsys):
    config = _write(tmp_path, {ROTATION: {"maxRotationDays": 7}}, "policy-config.json")
    assert main(["check", "--plan", str(_write(tmp_path, _document())), "--policy-config", str(config)]) == 1
    assert "set it between 86400s and 604800s (7 days)" in capsys.readouterr().out


# -- bad input: exit 2 with one line per reason, never a traceback ----------------------------------


def _plan_without(field: str) -> dict:
    document = _document()
    del document["resources"][0][field]
    return document


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ('{"format": ', "not JSON"),
        ("[]", "must be a JSON object"),
        ({"format": "terraform"}, "format is 'terraform'"),
        ({**_document(), "mode": "destroy"}, "mode: must be one of preview, update"),
        (_plan_without("inputs"), "resources[0].inputs: missing"),
        ({**_document(), "resources": {"a": 1}}, "resources: must be list"),
    ],
    ids=["truncated", "not-an-object", "wrong-format", "bad-mode", "missing-field", "resources-not-a-list"],
)
def test_a_malformed_plan_exits_2_naming_the_field(tmp_path, capsys, document, reason):
    assert main(["check", "--plan", str(_write(tmp_path, document))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert reason in err
    assert len(err.splitlines()) == 1


def test_mode_does_not_apply_to_a_plan(tmp_path, capsys):
    assert main(["check", "--plan", str(_write(tmp_path, _document())), "--mode", "preview"]) == 2
    assert "a plan document has its own mode" in capsys.readouterr().err


def test_a_missing_plan_file_exits_2(tmp_path, capsys):
    assert main(["check", "--plan", str(tmp_path / "nowhere.json")]) == 2
    assert "cannot read the plan" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ("{not json", "the policy config is not JSON"),
        ({"no-such-policy": "advisory"}, "no-such-policy: the pack has no policy of that name"),
        ({"all": "loud"}, "unknown enforcement level 'loud'"),
        ({ROTATION: {"maxRotationDays": "ninety"}}, f"{ROTATION}: maxRotationDays: 'ninety' is not of type"),
        ({ROTATION: 3}, "must be an enforcement level or an object"),
        ({"environments": ["org/env"]}, "cannot be resolved offline"),
    ],
    ids=["not-json", "unknown-policy", "bad-level", "bad-type", "bad-shape", "esc-environments"],
)
def test_a_broken_policy_config_exits_2_worded_like_the_cli(tmp_path, capsys, config, reason):
    path = _write(tmp_path, config, "policy-config.json")
    assert main(["check", "--plan", str(_slow_rotation(tmp_path)), "--policy-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert reason in err
    assert all(line.startswith("error: ") for line in err.splitlines())


def test_a_bad_stack_file_exits_2_without_a_traceback(tmp_path):
    (tmp_path / "Pulumi.broken.yaml").write_text("config:\n  imaging-landing-zone:siteCode: X\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "preflight", "check", "broken", "--stacks-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "Pulumi.broken.yaml: line 2: imaging-landing-zone:siteCode:" in done.stderr
    assert done.stdout == ""


def test_an_unknown_site_exits_2(capsys):
    assert main(["check", "atlantis"]) == 2
    known = ", ".join(stacks.available())
    assert f"no stack file stacks/Pulumi.atlantis.yaml (known sites: {known})" in capsys.readouterr().err


# -- reports ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def violated(tmp_path_factory) -> outcome.SiteResult:
    document = _document()
    _resource(document, KEY)["inputs"]["rotationPeriod"] = "31536000s"
    source = _write(tmp_path_factory.mktemp("plan"), document)
    header, resources = plan.read(source.read_text(encoding="utf-8"), str(source))
    return check.check_plan(stacks.load("lausanne"), header["mode"], resources, str(source))


def test_json_report_holds_the_verdict_the_matrix_and_the_finding(violated):
    document = json.loads(json.dumps(report.to_json([violated])))
    assert (document["format"], document["exitCode"]) == (report.FORMAT, 1)
    [site] = document["sites"]
    [finding] = site["findings"]
    assert finding["control"] == "ENC-04"
    assert finding["resourceName"] == KEY
    assert finding["urn"] == _resource(_document(), KEY)["urn"]
    assert finding["remediation"].startswith("Set rotationPeriod")
    assert {"control": "ENC-04", "status": "violated", "verdict": "violated"}.items() <= next(
        c for c in site["controls"] if c["control"] == "ENC-04"
    ).items()
    assert [c["control"] for c in site["controls"]][-3:] == ["PERF-01", "PERF-02", "PERF-03"]  # the catalogue's


def test_sarif_report_has_a_rule_per_policy_and_a_result_at_the_stack_file(violated):
    document = report.sarif([violated])
    assert document["version"] == "2.1.0"
    [run] = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules) == len(violated.policies)
    [result] = run["results"]
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == ROTATION
    assert rules[result["ruleIndex"]]["help"]["text"].startswith("Set rotationPeriod")
    assert result["level"] == "error"
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "stacks/Pulumi.lausanne.yaml"
    line = (
        (ROOT / "stacks/Pulumi.lausanne.yaml")
        .read_text()
        .splitlines()[location["physicalLocation"]["region"]["startLine"] - 1]
    )
    assert line.startswith("  imaging-landing-zone:kms:")  # where ENC controls are configured
    assert location["logicalLocations"][0]["name"] == KEY


def test_markdown_report_is_a_compliance_matrix_with_the_findings(violated):
    text = report.markdown([violated])
    assert "| control | requirement | status | detail | policies | resources evaluated |" in text
    assert "| ENC-04 | Keys rotate at least every 90 days. | **VIOLATED** | " in text
    assert f"| `{ROTATION}` | 2 |" in text
    assert f"**ENC-04** `{ROTATION}` (mandatory, high) on `{KEY}`" in text
    assert "  - Fix: Set rotationPeriod" in text


def test_a_fleet_markdown_report_has_a_summary_and_the_controls_by_status_counts(results):
    text = report.markdown([results[s] for s in SITES])
    assert "| site | verdict | mandatory | advisory | not judged | modes |" in text
    assert "| control | requirement | met | violated | not judged in preview | not applicable |" in text


# -- the pack, as the engine drives it ---------------------------------------------------------------


def test_one_pack_process_checks_one_stack_after_another():
    """ConfigureStack switches the stack config the pack's policies read (region, allowlists)."""
    lausanne, utrecht = stacks.load("lausanne"), stacks.load("utrecht")
    with check.Checker(first=lausanne) as checker:
        assert checker.judge(utrecht, [("update", site_plan("utrecht", "update"))]).findings == []
        assert checker.judge(lausanne, [("update", site_plan("lausanne", "update"))]).findings == []
        # the other way round, the site config does not fit and the pack says so
        judged = checker.judge(lausanne, [("update", site_plan("utrecht", "update"))])
        assert {f.control for f in judged.findings} >= {"PERF-03"}


def test_reconcile_applies_schema_defaults():
    with PackProcess(config={}, project="p", stack="s", dry_run=False) as pack:
        policies = pack.info()
    levels = reconcile(policies)
    assert levels["gcp-kms-crypto-key-aes256"] == (
        "mandatory",
        {"exempt": {}, "allowedProtectionLevels": ["SOFTWARE", "HSM"]},
    )
    with pytest.raises(PolicyConfigError, match="allowedProtectionLevels"):
        reconcile(policies, {"gcp-kms-crypto-key-aes256": {"allowedProtectionLevels": ["ROT13"]}})


def test_resource_references_reach_the_pack_as_the_engine_downgrades_them():
    reference = "5cf8f73096256a8f31e491e813e4eb8e"
    signature = "4dabf18193072939515e22adb298388d"
    custom = {signature: reference, "urn": "urn:pulumi:s::p::gcp:kms/keyRing:KeyRing::ring", "id": "projects/x/ring"}
    component = {signature: reference, "urn": "urn:pulumi:s::p::imaging:kms:SiteKeys::keys"}
    secret = {signature: "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2"}
    assert from_wire({"a": custom, "b": [component], "c": secret, "d": UNKNOWN}) == {
        "a": "projects/x/ring",
        "b": [component["urn"]],
        "c": "[secret]",
        "d": UNKNOWN,
    }


def test_the_plan_reader_round_trips_a_plan():
    document = _document("utrecht", "preview")
    _, resources = plan.read(json.dumps(document), "plan.json")
    assert [r.urn for r in resources] == [r["urn"] for r in document["resources"]]
    ring = by_name(resources, "utr-kms")
    assert ring.protect is True
