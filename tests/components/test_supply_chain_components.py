"""The viewer's supply chain under mocks: the project's Binary Authorization policy built from the declared
attestors, the viewer enforcing it (and waiting for it), and the run.* guard rails.

Proves the inputs and the order the engine would see; not that Google accepts them or that the build pipeline's
attestors exist (they live in its project, outside the site stack)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.admission import AdmissionPolicyArgs
from components.project import INVOKER_IAM
from tests.conftest import SITES, by_name, site_plan

LAU_ATTESTORS = [
    "projects/chuv-imaging-build/attestors/viewer-built-by-ci",
    "projects/chuv-imaging-build/attestors/viewer-vulnerability-scan",
]


@pytest.mark.parametrize("mode", ["preview", "update"])
def test_the_project_policy_requires_the_declared_attestors_and_nothing_else(mode):
    policy = by_name(site_plan("lausanne", mode), "lau-admission-policy")
    assert policy.type == "gcp:binaryauthorization/policy:Policy"
    assert policy.inputs["project"] == "chuv-imaging-lau"
    assert policy.inputs["defaultAdmissionRule"] == {
        "evaluationMode": "REQUIRE_ATTESTATION",
        "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG",
        "requireAttestationsBies": LAU_ATTESTORS,
    }
    assert policy.inputs["globalPolicyEvaluationMode"] == "DISABLE"
    assert "clusterAdmissionRules" not in policy.inputs
    assert "admissionWhitelistPatterns" not in policy.inputs


@pytest.mark.parametrize("site", SITES)
def test_the_viewer_enforces_the_project_policy_and_waits_for_it(site):
    resources = site_plan(site, "update")
    code = resources[0].name
    run = by_name(resources, f"{code}-viewer-run")
    assert run.inputs["binaryAuthorization"] == {"useDefault": True}
    assert by_name(resources, f"{code}-admission-policy").urn in run.dependencies


def test_the_viewer_runs_the_declared_image():
    run = by_name(site_plan("utrecht", "update"), "utr-viewer-run")
    assert [c["image"] for c in run.inputs["template"]["containers"]] == [
        "europe-west4-docker.pkg.dev/umcu-imaging-utr/viewer/web-viewer@sha256:"
        "93a831b676bedd836ac0c6ce1ceba4d0366b225a18bae0ef03bc98c71cea3f3a"
    ]


def _rails(site: str) -> dict[str, object]:
    return {
        r.inputs["name"].rsplit("/", 1)[-1]: r.inputs["spec"]
        for r in site_plan(site, "update")
        if r.type == "gcp:orgpolicy/policy:Policy" and "/policies/run." in r.inputs["name"]
    }


def test_an_iap_site_sets_the_three_cloud_run_guard_rails():
    assert _rails("lausanne") == {
        "run.allowedIngress": {"rules": [{"values": {"allowedValues": ["internal-and-cloud-load-balancing"]}}]},
        "run.allowedBinaryAuthorizationPolicies": {"rules": [{"values": {"allowedValues": ["default"]}}]},
        "run.managed.requireInvokerIam": {"rules": [{"enforce": "TRUE"}]},
    }


def test_a_launch_token_site_leaves_the_invoker_check_to_its_viewer():
    """Utrecht's viewer turns Cloud Run's invoker check off by design (the worklist's launch token, ADR 0008);
    the constraint would refuse it, so it is not set (ORG-13 is not applicable there)."""
    assert INVOKER_IAM not in _rails("utrecht")
    assert set(_rails("utrecht")) == {"run.allowedIngress", "run.allowedBinaryAuthorizationPolicies"}


@pytest.mark.parametrize(
    ("attestors", "message"),
    [
        pytest.param(["projects/proj-123456/attestors/hotfix"], "an attestor in the site project", id="in-the-site"),
        pytest.param(["projects/build-123456/attestors/a"] * 2, "listed twice", id="twice"),
        pytest.param([], "at least 1 item", id="none"),
    ],
)
def test_the_admission_policy_refuses_what_would_let_the_site_sign_its_own_images(attestors, message):
    with pytest.raises(ValidationError, match=message):
        AdmissionPolicyArgs(project="proj-123456", attestors=attestors)
