"""The perimeter as evidence (issue part 4): the data-flow diagram draws it as a boundary around the project,
with an edge for each access level and each ingress and egress rule; the matrix's NET-10 row names a dry run's
reason and end date. Both example sites, checked through the real pack process."""

from __future__ import annotations

import pytest

from preflight.catalogue import controls
from preflight.catalogue.controls import Status
from preflight.engine import stacks
from preflight.engine.modes import MODES
from preflight.judge import check
from preflight.judge.results import SiteResult
from preflight.reports import flows
from tests.sites import SITES

CONTROLS = ("NET-10", "NET-11", "NET-12", "NET-13", "NET-14", "NET-15")

NEEDS_DOT = pytest.mark.skipif(flows.unavailable() is not None, reason=str(flows.unavailable()))


@pytest.fixture(scope="module")
def results() -> dict[str, SiteResult]:
    with check.Checker(first=stacks.load(SITES[0])) as checker:
        return {site: check.check_site(stacks.load(site), MODES, checker=checker, keep_plan=True) for site in SITES}


def _row(result: SiteResult, control: str) -> controls.Row:
    return next(row for row in controls.rows(result) if row.control == control)


def test_the_matrix_names_a_dry_run_and_its_end_date(results):
    utrecht = _row(results["utrecht"], "NET-10")
    assert utrecht.status is Status.MET
    assert utrecht.detail.startswith("dry run until 2027-06-30: The batch subnet's nightly DICOM re-indexing job")
    lausanne = _row(results["lausanne"], "NET-10")
    assert (lausanne.status, lausanne.detail) == (Status.MET, "")


@pytest.mark.parametrize("control", ["NET-10", "NET-11", "NET-12", "NET-13", "NET-14", "NET-15"])
def test_every_perimeter_control_is_met_on_both_sites(results, control):
    assert {_row(results[site], control).status for site in SITES} == {Status.MET}


@NEEDS_DOT
def test_the_diagram_draws_the_enforced_perimeter_as_a_boundary_with_its_rules(results):
    source = flows.build(results["lausanne"]).source
    assert "subgraph cluster_perimeter" in source
    assert source.index("subgraph cluster_perimeter") < source.index("subgraph cluster_project")
    assert "VPC Service Controls perimeter lau-imaging: enforced" in source
    assert "style=bold" in source
    assert 'pacs -> perimeter [label="ingress pacs-uploads: serviceAccount:lau-pacs@' in source
    assert "ingress siem-reads-export: serviceAccount:siem-collector@chuv-soc.iam.gserviceaccount.com" in source
    assert 'clinicians -> perimeter [label="access level lau_hospital\\n198.51.100.0/24"' in source


@NEEDS_DOT
def test_the_diagram_draws_a_dry_run_dashed_with_its_egress_rule(results):
    source = flows.build(results["utrecht"]).source
    assert "DRY RUN (spec)" in source
    assert "egress siem-central-destination:" in source
    assert "perimeter -> outside_projects_653772726740" in source
    assert flows.svg(results["utrecht"]) is not None
