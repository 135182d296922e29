"""The service perimeter under the mock engine, its args and the site config's ``perimeter`` section.

Mock tests prove the inputs the component sends (children, names, the enforced or dry-run configuration,
the rules); not that the Access Context Manager API accepts them."""

from __future__ import annotations

import json

import pytest
from imaging_policies import _site
from pydantic import ValidationError

from components.contract import PERIMETER_SERVICES
from components.perimeter import REQUIRED_SERVICES, ServicePerimeterArgs, short_name
from preflight.engine import stacks
from preflight.engine.gcp_model import project_number
from program.config import ConfigError, SiteConfig
from tests.plans import site_plan
from tests.sites import by_name

CONTROLS = ("NET-10", "NET-11", "NET-12", "NET-13", "NET-14", "NET-15")

LAU_POLICY = "accessPolicies/802734169215"
LAU_SITE = f"projects/{project_number('chuv-imaging-lau')}"
UTR_SITE = f"projects/{project_number('umcu-imaging-utr')}"
NS = "imaging-landing-zone"


def test_lausanne_is_in_an_enforced_perimeter_with_its_rules():
    resources = site_plan("lausanne", "update")
    perimeter = by_name(resources, "lau-perimeter")
    assert perimeter.type == "gcp:accesscontextmanager/servicePerimeter:ServicePerimeter"
    assert perimeter.inputs["name"] == f"{LAU_POLICY}/servicePerimeters/lau_imaging"
    assert perimeter.inputs["parent"] == LAU_POLICY
    assert perimeter.inputs["perimeterType"] == "PERIMETER_TYPE_REGULAR"
    assert perimeter.inputs["useExplicitDryRunSpec"] is False
    assert "spec" not in perimeter.inputs
    status = perimeter.inputs["status"]
    assert status["resources"] == [LAU_SITE]
    assert status["restrictedServices"] == sorted(REQUIRED_SERVICES)
    assert status["vpcAccessibleServices"] == {"enableRestriction": True, "allowedServices": ["RESTRICTED-SERVICES"]}
    assert status["accessLevels"] == [f"{LAU_POLICY}/accessLevels/lau_hospital", f"{LAU_POLICY}/accessLevels/lau_pacs"]
    pacs, siem = status["ingressPolicies"]
    assert pacs["ingressFrom"] == {
        "identities": ["serviceAccount:lau-pacs@chuv-imaging-lau.iam.gserviceaccount.com"],
        "sources": [{"accessLevel": f"{LAU_POLICY}/accessLevels/lau_pacs"}],
    }
    assert pacs["ingressTo"]["resources"] == [LAU_SITE]
    assert pacs["ingressTo"]["operations"] == [
        {"serviceName": "storage.googleapis.com", "methodSelectors": [{"method": "google.storage.objects.create"}]}
    ]
    assert siem["ingressFrom"] == {
        "identities": ["serviceAccount:siem-collector@chuv-soc.iam.gserviceaccount.com"],
        "sources": [{"resource": "projects/229846704756"}],
    }
    assert {o["serviceName"] for o in siem["ingressTo"]["operations"]} == {"pubsub.googleapis.com"}
    assert status["egressPolicies"] == []


def test_the_access_levels_admit_the_declared_ranges_only():
    resources = site_plan("lausanne", "update")
    levels = {
        r.name: r.inputs["basic"] for r in resources if r.type == "gcp:accesscontextmanager/accessLevel:AccessLevel"
    }
    assert levels == {
        "lau-perimeter-hospital": {"conditions": [{"ipSubnetworks": ["198.51.100.0/24"]}]},
        "lau-perimeter-pacs": {"conditions": [{"ipSubnetworks": ["203.0.113.16/28"]}]},
    }


def test_utrecht_is_in_an_explicit_dry_run_with_an_egress_rule_to_its_central_siem():
    perimeter = by_name(site_plan("utrecht", "update"), "utr-perimeter")
    assert perimeter.inputs["useExplicitDryRunSpec"] is True
    assert "status" not in perimeter.inputs
    spec = perimeter.inputs["spec"]
    assert spec["resources"] == [UTR_SITE]
    assert [rule["title"] for rule in spec["ingressPolicies"]] == ["pacs-uploads"]
    (egress,) = spec["egressPolicies"]
    assert egress["egressTo"]["resources"] == ["projects/653772726740"]
    assert egress["egressTo"]["operations"] == [
        {"serviceName": "logging.googleapis.com", "methodSelectors": [{"method": "*"}]}
    ]
    sink = by_name(site_plan("utrecht", "update"), "utr-logging-siem-sink")
    assert egress["egressFrom"]["identities"] == [sink.outputs["writerIdentity"]]


def test_short_names_have_no_dash():
    assert short_name("lau-2", "imaging") == "lau_2_imaging"


def _args(**changes: object) -> dict[str, object]:
    return {
        "access_policy": "802734169215",
        "project_number": "221841688848",
        "site_code": "lau",
        "access_ranges": {"pacs": ["203.0.113.16/28"]},
        "pacs_range": "pacs",
        "pacs_uploader": "serviceAccount:lau-pacs@chuv-imaging-lau.iam.gserviceaccount.com",
        "enforced": True,
        **changes,
    }


def test_the_args_normalise_the_access_policy_and_restrict_the_required_services():
    args = ServicePerimeterArgs(**_args(extra_services=["bigquery.googleapis.com"]))
    assert args.access_policy == "accessPolicies/802734169215"
    assert args.restricted_services == sorted({*PERIMETER_SERVICES, "bigquery.googleapis.com"})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"access_policy": "organizations/1"}, "is not an access policy", id="not-an-access-policy"),
        pytest.param({"pacs_range": "hospital"}, "pacs_range 'hospital' is not a key", id="pacs-range-unknown"),
        pytest.param({"extra_services": ["*.googleapis.com"]}, "no wildcard", id="wildcard-service"),
        pytest.param({"access_ranges": {"pacs": ["0.0.0.0/0"]}}, "whole internet", id="level-admits-everyone"),
        pytest.param(
            {"siem_subscriber": "serviceAccount:siem@soc.iam.gserviceaccount.com"},
            "siem_project is required",
            id="siem-without-project",
        ),
        pytest.param({"siem_project": "projects/chuv-soc"}, "is not a project by number", id="siem-project-by-id"),
    ],
)
def test_the_args_refuse(changes, message):
    with pytest.raises(ValidationError, match=message):
        ServicePerimeterArgs(**_args(**changes))


def _config(perimeter: object, **others: object) -> dict[str, object]:
    config: dict[str, object] = dict(stacks.load("lausanne").config)
    config[f"{NS}:perimeter"] = json.dumps(perimeter)
    config.update({f"{NS}:{k}": v for k, v in others.items()})
    return config


@pytest.mark.parametrize(
    ("perimeter", "line"),
    [
        pytest.param(
            {"accessPolicy": "1", "enforced": False, "siemProject": "projects/229846704756"},
            f"{NS}:perimeter.dryRun: the perimeter is in dry run (enforced: false) without a reason",
            id="dry-run-without-reason",
        ),
        pytest.param(
            {
                "accessPolicy": "1",
                "enforced": False,
                "dryRun": {"reason": "soon", "until": "2027-01-31"},
                "siemProject": "projects/229846704756",
            },
            f"{NS}:perimeter.dryRun.reason: give the reason in a sentence",
            id="dry-run-reason-too-short",
        ),
        pytest.param(
            {
                "accessPolicy": "1",
                "enforced": False,
                "dryRun": {"reason": "Reading the batch job's violations first.", "until": "next spring"},
                "siemProject": "projects/229846704756",
            },
            f"{NS}:perimeter.dryRun.until: Input should be a valid date",
            id="dry-run-until-not-a-date",
        ),
        pytest.param(
            {
                "accessPolicy": "1",
                "enforced": True,
                "dryRun": {"reason": "Reading the batch job's violations first.", "until": "2027-01-31"},
                "siemProject": "projects/229846704756",
            },
            f"{NS}:perimeter.dryRun: the perimeter is enforced; remove dryRun",
            id="enforced-with-dry-run",
        ),
        pytest.param(
            {"accessPolicy": "1", "enforced": True},
            f"{NS}:perimeter.siemProject: the SIEM subscriber",
            id="subscriber-without-siem-project",
        ),
        pytest.param(
            {"accessPolicy": "policies/1", "enforced": True, "siemProject": "projects/229846704756"},
            f"{NS}:perimeter.accessPolicy: 'policies/1' is not an access policy",
            id="access-policy-malformed",
        ),
    ],
)
def test_the_site_config_reports_each_perimeter_problem_on_its_key(perimeter, line):
    with pytest.raises(ConfigError) as caught:
        SiteConfig.from_stack_config(_config(perimeter))
    assert any(problem.startswith(line) for problem in caught.value.problems), caught.value.problems


def test_a_central_destination_elsewhere_needs_the_siem_project():
    config = dict(stacks.load("utrecht").config)
    declared = json.loads(config[f"{NS}:perimeter"])
    del declared["siemProject"]
    config[f"{NS}:perimeter"] = json.dumps(declared)
    with pytest.raises(ConfigError) as caught:
        SiteConfig.from_stack_config(config)
    assert any("the central destination is in the project umcu-security-logs" in p for p in caught.value.problems)


def test_the_packs_perimeter_services_are_the_components():
    """The pack keeps its own copy of the required services (it is published alone)."""
    assert frozenset(_site.PERIMETER_SERVICES) == frozenset(PERIMETER_SERVICES) == frozenset(REQUIRED_SERVICES)
