"""The control catalogue lives in the repository (``preflight/catalogue/controls.toml``, rendered to
``docs/controls.md``) and agrees with the pack: every framework reference of a policy is a catalogue
control, every control the pack is said to judge has a policy, and no test or document reads a file
outside the repository. Static: no pack process, no program run."""

from __future__ import annotations

import re

import pytest
from imaging_policies import POLICIES

from preflight.catalogue import controls
from preflight.reports import evidence
from program.config import GUARD_RAIL_CONSTRAINTS
from tests.paths import ROOT

CATALOGUE = controls.load()
PACK = {str(p.framework.reference) for p in POLICIES if p.framework is not None}


def test_every_policy_names_a_control_of_the_catalogue():
    assert all(p.framework is not None for p in POLICIES)
    assert not PACK - set(CATALOGUE.ids), sorted(PACK - set(CATALOGUE.ids))


@pytest.mark.parametrize("control", CATALOGUE.controls, ids=lambda c: c.id)
def test_a_control_the_pack_is_said_to_judge_has_a_policy(control):
    if control.checked_by == "probe":
        assert control.id not in PACK, f"{control.id} has a policy: say checked_by = 'pack+probe' or 'pack'"
        assert control.id in evidence.PROBE_CONTROLS
    else:
        assert (control.judged_with or control.id) in PACK, f"no policy names {control.judged_with or control.id}"


def test_ids_are_unique_and_numbered_within_their_area():
    ids = CATALOGUE.ids
    assert len(ids) == len(set(ids))
    for area in CATALOGUE.areas:
        numbers = [int(i.split("-")[1]) for i in ids if i.startswith(f"{area}-")]
        assert numbers == list(range(1, len(numbers) + 1)), area


def test_every_guard_rail_of_the_site_config_is_a_control():
    """A site may skip a guard rail (guardRails.skip); the matrix then cites the organisation for the
    control whose constraint it is, so every constraint must belong to a control."""
    constraints = {c.constraint for c in CATALOGUE.controls if c.constraint}
    assert constraints == set(GUARD_RAIL_CONSTRAINTS)


def test_the_readiness_controls_are_the_probe_s():
    assert {c.id for c in CATALOGUE.controls if "probe" in c.checked_by} == set(evidence.PROBE_CONTROLS)


@pytest.mark.parametrize("control", CATALOGUE.controls, ids=lambda c: c.id)
def test_every_control_names_existing_tests(control):
    assert control.tests
    missing = [t for t in control.tests if not (ROOT / t).is_file()]
    assert not missing, f"{control.id}: {missing}"


def test_docs_controls_md_is_rendered_from_the_catalogue():
    current = (ROOT / "docs" / "controls.md").read_text(encoding="utf-8")
    assert controls.render_doc() == current, "docs/controls.md is stale: run `python -m preflight docs --write`"


def test_the_rendered_page_has_every_control_with_its_policies():
    page = controls.render_doc()
    for control in CATALOGUE.controls:
        assert f"### {control.id}\n\n{control.requirement}\n" in page
    for policy in POLICIES:
        assert f"`{policy.name}`" in page


def test_a_malformed_catalogue_names_the_control_and_the_field(tmp_path):
    bad = tmp_path / "controls.toml"
    text = (ROOT / "preflight" / "catalogue" / "controls.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace('id = "ENC-04"\nrequirement =', 'id = "ENC-04"\nrequirment ='), encoding="utf-8")
    with pytest.raises(controls.CatalogueError, match=r"ENC-04: missing \['requirement'\], unknown \['requirment'\]"):
        controls.load(bad)


# Written in two pieces so that this file does not match itself.
_OUTSIDE = re.compile("|".join([r"\.\./" + "shared", "/work" + "/", r"ROOT\.parent\b", r"parents\[[3-9]\]"]))


def test_no_test_or_document_refers_to_a_path_outside_the_repository():
    files = [
        *ROOT.glob("*.md"),
        *(ROOT / "docs").rglob("*.md"),
        *(ROOT / "tests").rglob("*.py"),
        *(ROOT / "preflight").rglob("*.py"),
        *(ROOT / "preflight").rglob("*.toml"),
        *(ROOT / "policies").rglob("*.md"),
        *(ROOT / "policies" / "imaging_policies").rglob("*.py"),
        *(ROOT / "components").rglob("*.py"),
        *(ROOT / "program").rglob("*.py"),
        *(ROOT / "bench").rglob("*.py"),
        *(ROOT / "bench").rglob("*.md"),
        ROOT / ".ci" / "run",
    ]
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _OUTSIDE.search(line)
    ]
    assert not offenders
