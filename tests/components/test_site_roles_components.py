"""The auditor role and the domain guard rail under mocks: the exact grants the site makes for its security team,
and the org policy built from the declared group domains, set after every grant of the site.

Proves the inputs and the order the engine would see; not that Google accepts them (the org policy's refusal of
later grants to Google's own principals is documented in ADR 0022, not testable here)."""

from __future__ import annotations

import json

import pulumi
import pytest
from pydantic import ValidationError

from components.logs import SecurityLoggingArgs, SiemDestination
from components.project import ProjectGuardRails, ProjectGuardRailsArgs
from components.storage import BucketNetworkAccess, ImageBucketArgs
from preflight.engine import stacks
from preflight.engine.runner import capture, run_program
from preflight.engine.stacks import PROGRAM, PROJECT
from tests.conftest import by_name, site_plan

RAIL = "iam.allowedPolicyMemberDomains"
GRANT_TYPES = ("IAMMember", "IamMember", "IAMBinding", "IamBinding", "IAMPolicy", "IamPolicy")


def _grants(resources):
    return [r for r in resources if r.custom and r.type.rsplit(":", 1)[-1].endswith(GRANT_TYPES)]


def _waits_for(resources, urn: str) -> set[str]:
    deps = {r.urn: r.dependencies for r in resources}
    seen: set[str] = set()
    todo = list(deps[urn])
    while todo:
        d = todo.pop()
        if d not in seen:
            seen.add(d)
            todo += deps.get(d, [])
    return seen


@pytest.mark.parametrize("mode", ["preview", "update"])
def test_the_auditor_reads_the_access_log_bucket_and_the_security_log_view_only(mode):
    resources = site_plan("lausanne", mode)
    mine = sorted(
        (r.type, r.name, r.inputs["role"])
        for r in _grants(resources)
        if r.inputs.get("member") == "group:soc@chuv.example"
    )
    assert mine == [
        (
            "gcp:logging/logViewIamMember:LogViewIamMember",
            "lau-logging-bucket-auditor-soc@chuv.example",
            "roles/logging.viewAccessor",
        ),
        (
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            "lau-images-access-logs-auditor-soc@chuv.example",
            "roles/storage.objectViewer",
        ),
    ]
    bucket_grant = by_name(resources, "lau-images-access-logs-auditor-soc@chuv.example")
    assert bucket_grant.inputs["bucket"] == "chuv-imaging-lau-lau-access-logs"  # known in a first preview too
    view = by_name(resources, "lau-logging-bucket-auditor-soc@chuv.example")
    assert {k: view.inputs[k] for k in ("parent", "location", "bucket", "name")} == {
        "parent": "projects/chuv-imaging-lau",
        "location": "europe-west6",
        "bucket": "lau-security-logs",  # the id: the IAM updater puts it in the view's path as given
        "name": "_AllLogs",
    }
    assert by_name(resources, "lau-logging-bucket").urn in view.dependencies  # the view exists with its bucket


def test_a_site_without_an_auditor_grants_no_log_reader():
    assert not [r for r in _grants(site_plan("utrecht", "update")) if "auditor" in r.name]


@pytest.mark.parametrize(("site", "customers"), [("lausanne", ["C03chuv7k"]), ("utrecht", ["C02umcu9q"])])
def test_the_domain_guard_rail_admits_the_declared_customers_after_every_grant(site, customers):
    resources = site_plan(site, "update")
    code = resources[0].name.split("-")[0]
    rail = by_name(resources, f"{code}-project-{RAIL}")
    assert (
        rail.inputs["name"] == f"projects/{stacks.load(site).config['imaging-landing-zone:gcpProject']}/policies/{RAIL}"
    )
    assert rail.inputs["spec"] == {"rules": [{"values": {"allowedValues": customers}}]}
    waited = _waits_for(resources, rail.urn)
    # the legacy constraint refuses grants to Google's service agents: every grant of the site comes first
    assert {g.urn for g in _grants(resources)} <= waited
    assert not [r.name for r in resources if r.custom and rail.urn in _waits_for(resources, r.urn)]


def test_a_skipped_domain_guard_rail_is_not_created():
    config = dict(stacks.load("lausanne").config)
    config["imaging-landing-zone:guardRails"] = json.dumps(
        {"skip": {RAIL: "Set on the CHUV organisation node by the cloud team (ORG-POL-3)."}}
    )
    resources = run_program(PROGRAM, config=config, project=PROJECT, stack="lausanne", mode="update")
    assert not [r for r in resources if r.name.endswith(RAIL)]
    assert by_name(resources, "lau-project-gcp.restrictTLSVersion")  # the others stay


def test_the_domain_guard_rail_needs_a_customer():
    def program() -> None:
        rails = ProjectGuardRails("g", ProjectGuardRailsArgs(project="proj-123456", region="europe-west6", services=[]))
        rails.restrict_member_domains(after=[])

    with pytest.raises(Exception, match="member_customers is empty"):
        capture(program, project="p", stack="s")


def test_the_guard_rails_refuse_a_domain_name_for_a_customer_id():
    with pytest.raises(ValidationError, match="is not a directory customer id"):
        ProjectGuardRailsArgs(
            project="proj-123456", region="europe-west6", services=[], member_customers=["chuv.example"]
        )


def test_log_readers_are_groups_only():
    access = BucketNetworkAccess(public_cidrs=["198.51.100.0/24"], vpc_network="n", vpc_cidrs=["10.0.0.0/24"])
    with pytest.raises(ValidationError, match="is not a group: the access logs are read by the security team"):
        ImageBucketArgs(
            project="proj-123456",
            region="europe-west6",
            site_code="abc",
            kms_key_id="k",
            network_access=access,
            access_log_readers={"siem": "serviceAccount:siem@soc-123456.iam.gserviceaccount.com"},
        )
    with pytest.raises(ValidationError, match="is a public principal"):
        SecurityLoggingArgs(
            project="proj-123456",
            region="europe-west6",
            site_code="abc",
            logs_key_id="k",
            siem=SiemDestination(central_destination="logging.googleapis.com/projects/soc-logs-1"),
            log_view_readers={"everyone": "allUsers"},
        )


def test_restrict_member_domains_returns_the_policy_as_a_child_of_the_guard_rails():
    def program() -> None:
        rails = ProjectGuardRails(
            "g",
            ProjectGuardRailsArgs(
                project="proj-123456", region="europe-west6", services=[], member_customers=["C03chuv7k", "C03chuv7k"]
            ),
        )
        policy = rails.restrict_member_domains(after=[])
        assert isinstance(policy, pulumi.CustomResource)

    resources = capture(program, project="p", stack="s")
    rail = by_name(resources, f"g-{RAIL}")
    assert rail.parent.endswith("imaging:project:ProjectGuardRails::g")
    assert rail.inputs["spec"] == {"rules": [{"values": {"allowedValues": ["C03chuv7k"]}}]}  # once
