"""The viewer launch endpoint and the project guard rails under the mock engine."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp
import pytest

from components.project import ProjectGuardRails, ProjectGuardRailsArgs
from components.viewer import ViewerEndpointArgs
from preflight.engine.gcp_model import project_number
from preflight.engine.runner import capture
from program.config import GUARD_RAIL_CONSTRAINTS, SignOn
from tests.conftest import SITES, by_name, site_plan

LAU_SUBNET = "projects/chuv-imaging-lau/regions/europe-west6/subnetworks/lau-viewer"


def test_https_proxy_has_a_managed_certificate_and_a_modern_tls_1_2_policy():
    resources = site_plan("lausanne", "update")
    tls = by_name(resources, "lau-viewer-tls")
    assert (tls.inputs["profile"], tls.inputs["minTlsVersion"]) == ("MODERN", "TLS_1_2")
    certificate = by_name(resources, "lau-viewer-cert")
    assert certificate.inputs["managed"] == {"domains": ["imagerie.chuv.example"]}
    proxy = by_name(resources, "lau-viewer-https-proxy")
    assert proxy.inputs["sslPolicy"] == tls.outputs["id"]
    assert proxy.inputs["sslCertificates"] == [certificate.outputs["id"]]
    assert proxy.inputs["urlMap"] == by_name(resources, "lau-viewer-https-map").outputs["id"]


def test_port_80_only_redirects_to_https():
    resources = site_plan("lausanne", "update")
    redirect = by_name(resources, "lau-viewer-redirect-map")
    assert redirect.inputs["defaultUrlRedirect"] == {
        "httpsRedirect": True,
        "stripQuery": False,
        "redirectResponseCode": "MOVED_PERMANENTLY_DEFAULT",
    }
    assert "defaultService" not in redirect.inputs
    http_rule = by_name(resources, "lau-viewer-http")
    assert http_rule.inputs["portRange"] == "80"
    assert http_rule.inputs["target"] == by_name(resources, "lau-viewer-http-proxy").outputs["id"]
    assert by_name(resources, "lau-viewer-https").inputs["portRange"] == "443"


def test_backend_speaks_https_logs_every_request_and_sits_behind_cloud_armor():
    resources = site_plan("lausanne", "update")
    backend = by_name(resources, "lau-viewer-backend")
    assert backend.inputs["protocol"] == "HTTPS"
    assert backend.inputs["loadBalancingScheme"] == "EXTERNAL_MANAGED"
    assert backend.inputs["logConfig"] == {"enable": True, "sampleRate": 1.0}
    assert backend.inputs["securityPolicy"] == by_name(resources, "lau-viewer-armor").outputs["id"]


def test_cloud_armor_admits_the_hospital_and_worklist_networks_and_denies_the_rest():
    rules = by_name(site_plan("utrecht", "update"), "utr-viewer-armor").inputs["rules"]
    assert rules[0]["action"] == "allow"
    assert rules[0]["match"]["config"]["srcIpRanges"] == ["192.0.2.64/26", "198.51.100.128/25", "203.0.113.64/28"]
    assert rules[-1] == {
        "action": "deny(403)",
        "priority": 2147483647,
        "description": "Default: deny everyone else.",
        "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}},
    }


def test_cloud_armor_denies_log4shell_before_any_allow_rule():
    """Proves the rule's inputs (the exact expression Checkov CKV_GCP_73 looks for, enforced, ahead of the
    allow rules); not that Cloud Armor evaluates it (a deployed site's preview does)."""
    rules = by_name(site_plan("lausanne", "update"), "lau-viewer-armor").inputs["rules"]
    canary = [r for r in rules if r["match"].get("expr") == {"expression": "evaluatePreconfiguredWaf('cve-canary')"}]
    assert canary == [
        {
            "action": "deny(403)",
            "priority": 100,
            "description": "Log4Shell (CVE-2021-44228), before any allow rule.",
            "match": {"expr": {"expression": "evaluatePreconfiguredWaf('cve-canary')"}},
        }
    ]
    assert all(r["priority"] > 100 for r in rules if r["action"] == "allow")
    assert not any(r.get("preview") for r in rules)


def test_viewer_runs_as_its_account_behind_the_load_balancer_with_all_egress_through_the_vpc():
    run = by_name(site_plan("lausanne", "update"), "lau-viewer-run")
    assert run.inputs["ingress"] == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
    assert run.inputs["deletionProtection"] is True
    template = run.inputs["template"]
    assert template["serviceAccount"] == "lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com"
    assert template["containers"][0]["image"].startswith("europe-west6-docker.pkg.dev/")
    assert "@sha256:" in template["containers"][0]["image"]
    assert template["vpcAccess"] == {
        "egress": "ALL_TRAFFIC",
        "networkInterfaces": [
            {
                "network": "projects/chuv-imaging-lau/global/networks/lau-vpc",
                "subnetwork": LAU_SUBNET,
                "tags": ["lau-viewer"],
            }
        ],
    }


def test_iap_sign_on_admits_the_site_groups_and_lets_only_iap_invoke():
    resources = site_plan("lausanne", "update")
    assert by_name(resources, "lau-viewer-run").inputs["invokerIamDisabled"] is False
    invoker = by_name(resources, "lau-viewer-iap-invoker")
    assert (invoker.inputs["role"], invoker.inputs["member"]) == (
        "roles/run.invoker",
        f"serviceAccount:service-{project_number('chuv-imaging-lau')}@gcp-sa-iap.iam.gserviceaccount.com",
    )  # the IAP service agent's member, as the model computes it
    accessors = {
        r.inputs["member"]
        for r in resources
        if r.type == "gcp:iap/webBackendServiceIamMember:WebBackendServiceIamMember"
    }
    assert accessors == {"group:radiologie@chuv.example", "group:medecine-nucleaire@chuv.example"}


def test_launch_token_sign_on_has_no_iap_and_the_viewer_checks_the_token():
    resources = site_plan("utrecht", "update")
    assert "iap" not in by_name(resources, "utr-viewer-backend").inputs
    assert by_name(resources, "utr-viewer-run").inputs["invokerIamDisabled"] is True
    assert not [r for r in resources if "iap" in r.name]


def test_org_policies_are_set_on_the_project_with_the_right_rules():
    resources = site_plan("lausanne", "update")
    policies = {
        r.inputs["name"].rsplit("/", 1)[1]: r.inputs for r in resources if r.type == "gcp:orgpolicy/policy:Policy"
    }
    assert set(policies) == set(GUARD_RAIL_CONSTRAINTS)
    assert policies["gcp.restrictTLSVersion"]["spec"] == {
        "rules": [{"values": {"deniedValues": ["TLS_VERSION_1", "TLS_VERSION_1_1"]}}]
    }
    assert policies["gcp.resourceLocations"]["spec"] == {
        "rules": [{"values": {"allowedValues": ["in:europe-west6-locations"]}}]
    }
    assert policies["compute.vmExternalIpAccess"]["spec"] == {"rules": [{"denyAll": "TRUE"}]}
    assert policies["iam.disableServiceAccountKeyCreation"]["spec"] == {"rules": [{"enforce": "TRUE"}]}
    assert all(p["parent"] == "projects/chuv-imaging-lau" for p in policies.values())


def test_a_skipped_guard_rail_is_not_set():
    names = {r.inputs["name"] for r in site_plan("utrecht", "update") if r.type == "gcp:orgpolicy/policy:Policy"}
    assert "projects/umcu-imaging-utr/policies/compute.vmExternalIpAccess" not in names
    # and run.managed.requireInvokerIam is not set: Utrecht's launch-token viewer turns the invoker check off (ORG-13)
    assert "projects/umcu-imaging-utr/policies/run.managed.requireInvokerIam" not in names
    assert len(names) == len(GUARD_RAIL_CONSTRAINTS) - 2


def test_only_the_apis_the_site_needs_are_enabled_and_never_disabled():
    lau = {
        r.inputs["service"]: r.inputs
        for r in site_plan("lausanne", "update")
        if r.type == "gcp:projects/service:Service"
    }
    utr = {r.inputs["service"] for r in site_plan("utrecht", "update") if r.type == "gcp:projects/service:Service"}
    assert all(s["disableOnDestroy"] is False and s["disableDependentServices"] is False for s in lau.values())
    assert {"sts.googleapis.com", "pubsub.googleapis.com", "iap.googleapis.com"} <= set(lau)
    assert not {"sts.googleapis.com", "pubsub.googleapis.com", "iap.googleapis.com"} & utr  # none needed there
    assert "run.googleapis.com" in utr


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: ProjectGuardRailsArgs(project="p-123456", region="europe-west1", services=[], skip={"x.y": "z"}),
            "not guard rails of the site: x.y",
            id="unknown-skip",
        ),
        pytest.param(
            lambda: ViewerEndpointArgs(
                project="p-123456",
                region="europe-west1",
                site_code="abc",
                domain="v.example",
                image="r/i@sha256:" + "0" * 64,
                service_account="v@p",
                network="n",
                subnetwork="s",
                network_tag="t",
                allowed_sources=["0.0.0.0/0"],
                sign_on=SignOn.LAUNCH_TOKEN,
            ),
            "whole internet",
            id="armor-open-to-anyone",
        ),
    ],
)
def test_edge_args_refuse_what_the_controls_forbid(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def _waits_for(resources, urn: str) -> set[str]:
    """Everything ``urn`` waits for, directly or through what it waits for (the engine's order)."""
    deps = {r.urn: r.dependencies for r in resources}
    seen: set[str] = set()
    todo = list(deps[urn])
    while todo:
        d = todo.pop()
        if d not in seen:
            seen.add(d)
            todo += deps.get(d, [])
    return seen


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("mode", ["preview", "update"])
def test_guard_rails_come_first_and_every_other_resource_waits_for_the_apis(site, mode):
    """The readiness marker (the last API) changes how the order is written, not the order: every
    custom resource of the site outside the guard rails still waits for every API and every org policy."""
    resources = site_plan(site, mode)
    code = resources[0].name.split("-")[0]
    urn = {r.name: r.urn for r in resources if r.custom}
    tls_policy = by_name(resources, f"{code}-project-gcp.restrictTLSVersion")
    assert urn[f"{code}-project-api-orgpolicy"] in tls_policy.dependencies
    compute = by_name(resources, f"{code}-project-api-compute")
    assert urn[f"{code}-project-compute.skipDefaultNetworkCreation"] in _waits_for(resources, compute.urn)
    # the domain guard rail is the exception: it comes after the site's grants (ADR 0022)
    last = f"{code}-project-iam.allowedPolicyMemberDomains"
    guard_rails = {r.urn for r in resources if r.custom and r.name.startswith(f"{code}-project-") and r.name != last}
    apis = {r.urn for r in resources if r.type == "gcp:projects/service:Service"}
    assert len(apis) >= 10
    waiting = [r for r in resources if r.custom and r.urn not in guard_rails and r.name != last]
    assert len(waiting) > 50
    for r in waiting:
        assert guard_rails <= _waits_for(resources, r.urn), r.name


@pytest.mark.parametrize(
    "services",
    [
        pytest.param(["cloudresourcemanager.googleapis.com", "orgpolicy.googleapis.com"], id="guard-rail-apis-only"),
        pytest.param(["orgpolicy.googleapis.com", "storage.googleapis.com"], id="one-more-api"),
        pytest.param(["storage.googleapis.com", "compute.googleapis.com", "orgpolicy.googleapis.com"], id="unsorted"),
    ],
)
def test_whatever_waits_for_ready_waits_for_every_api_and_guard_rail(services):
    """Another team's program built on ProjectGuardRails: a bucket that waits for ``ready`` is created
    after every API and every org policy, whichever APIs the project asks for."""

    def program() -> None:
        rails = ProjectGuardRails(
            "g", ProjectGuardRailsArgs(project="proj-123456", region="europe-west6", services=services)
        )
        gcp.storage.Bucket("b", location="EUROPE-WEST6", opts=pulumi.ResourceOptions(depends_on=rails.ready))

    resources = capture(program, project="p", stack="s", preview=False)
    guard_rails = {r.urn for r in resources if r.custom and r.name.startswith("g-")}
    assert any(r.type == "gcp:orgpolicy/policy:Policy" for r in resources)
    assert guard_rails <= _waits_for(resources, by_name(resources, "b").urn)


def test_the_site_waits_for_one_readiness_marker_not_every_api():
    """Each resource lists one API (the marker) rather than all of them: the cost of a program run
    grows with the dependencies it lists (ADR 0019)."""
    resources = site_plan("lausanne", "update")
    apis = {r.urn for r in resources if r.type == "gcp:projects/service:Service"}
    bucket = by_name(resources, "lau-images")
    assert len(apis & set(bucket.dependencies)) == 1


def test_a_bucket_without_retention_policy_is_versioned():
    assert by_name(site_plan("utrecht", "update"), "utr-images").inputs["versioning"] == {"enabled": True}


def test_service_agents_are_created_not_guessed():
    resources = site_plan("lausanne", "update")
    agent = by_name(resources, "lau-viewer-iap-agent")
    assert agent.inputs["service"] == "iap.googleapis.com"
    assert by_name(resources, "lau-viewer-iap-invoker").inputs["member"] == agent.outputs["member"]
    pubsub = by_name(resources, "lau-logging-pubsub-agent")
    assert by_name(resources, "lau-logging-pubsub-agent-key").inputs["member"] == pubsub.outputs["member"]
