"""The viewer's supply chain (issue part 3): the viewer enforces the project's Binary Authorization policy and runs the
declared image (NET-16), the project's policy requires the declared attestors with no way around it (NET-17), and
the ``run.*`` guard rails hold every Cloud Run service of the project to the same (ORG-12 to ORG-14).

Each case is one change to the Lausanne site's real plan, judged by the real pack process (see ``mutation.py``),
with the control it breaks and why a careless engineer or an insider would write it. The legitimate variants
below pass with no mandatory finding. Every case also runs on the stored form (tests/test_stored_forms.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from preflight.engine.runner import UNKNOWN, Resource
from tests.plans import site_plan
from tests.policies.mutation import Case, add_resource, assert_rejected, changes, on, remove, set_prop
from tests.sites import by_name

CONTROLS = ("NET-16", "NET-17", "ORG-12", "ORG-13", "ORG-14")
"""The controls this module holds (the catalogue's "tests" line is read from it)."""

VIEWER = "gcp-cloudrun-binary-authorization"
PROJECT = "gcp-binaryauthorization-requires-attestation"
INGRESS = "gcp-orgpolicy-run-allowed-ingress"
INVOKER = "gcp-orgpolicy-run-require-invoker-iam"
BINAUTHZ = "gcp-orgpolicy-run-binary-authorization"

RUN = "lau-viewer-run"
POLICY = "lau-admission-policy"
INGRESS_RAIL = "lau-project-run.allowedIngress"
INVOKER_RAIL = "lau-project-run.managed.requireInvokerIam"
BINAUTHZ_RAIL = "lau-project-run.allowedBinaryAuthorizationPolicies"

BUILT = "projects/chuv-imaging-build/attestors/viewer-built-by-ci"
SCANNED = "projects/chuv-imaging-build/attestors/viewer-vulnerability-scan"
IMAGE = "europe-west6-docker.pkg.dev/chuv-imaging-lau/viewer/web-viewer"
DECLARED = f"{IMAGE}@sha256:e5ffddea970cc1bb4f72ee05823bc6732db9398e51d296e751813312424c752f"
ENFORCED = "ENFORCED_BLOCK_AND_AUDIT_LOG"
TAGGED = {"expression": "resource.matchTag('1234/env', 'prod')"}


def _rules(*rules: object) -> Callable[[Resource], None]:
    return set_prop("spec", value={"rules": list(rules)})


def _default_rule(**rule: object) -> Callable[[Resource], None]:
    base = {
        "evaluationMode": "REQUIRE_ATTESTATION",
        "enforcementMode": ENFORCED,
        "requireAttestationsBies": [BUILT, SCANNED],
    }
    return set_prop("defaultAdmissionRule", value={**base, **rule})


CASES = [
    # --- NET-16: the viewer enforces the project's policy and runs the declared image ----------------------
    pytest.param(
        Case(VIEWER, on(RUN, set_prop("binaryAuthorization", value=None)), "binaryAuthorization.useDefault is unset"),
        id="viewer-without-binary-authorization",
    ),  # NET-16: the block is dropped "to get the hotfix out", so the viewer deploys any image, signed or not
    pytest.param(
        Case(VIEWER, on(RUN, set_prop("binaryAuthorization", "useDefault", value=False)), "useDefault is False"),
        id="viewer-binary-authorization-turned-off",
    ),  # NET-16: the API reads useDefault false as "Binary Authorization disabled"; looks like a harmless default
    pytest.param(
        Case(
            VIEWER,
            on(RUN, set_prop("binaryAuthorization", "breakglassJustification", value="INC-4471 radiology outage")),
            "binaryAuthorization.breakglassJustification is 'INC-4471 radiology outage'",
        ),
        id="viewer-breakglass-left-in-place",
    ),  # NET-16: a break-glass deployment during an outage, left in the program so every later image bypasses it
    pytest.param(
        Case(
            VIEWER,
            on(
                RUN,
                set_prop(
                    "binaryAuthorization",
                    value={"policy": "projects/chuv-imaging-lau/platforms/cloudRun/policies/relaxed"},
                ),
            ),
            "a platform policy the pack cannot read",
        ),
        id="viewer-on-a-named-platform-policy",
    ),  # NET-16: an insider points the viewer at a platform policy of their own, which the pack cannot read
    pytest.param(
        Case(
            VIEWER,
            on(RUN, set_prop("template", "containers", 0, "image", value=f"{IMAGE}:latest")),
            "template.containers[0].image is 'europe-west6-docker.pkg.dev/chuv-imaging-lau/viewer/web-viewer:latest', "
            "not pinned by digest",
        ),
        id="viewer-image-by-tag",
    ),  # NET-16: a tag is easier to roll forward; whoever can push it changes the viewer with no stack change
    pytest.param(
        Case(
            VIEWER,
            on(RUN, set_prop("template", "containers", 0, "image", value=f"{IMAGE}@sha256:{'0' * 64}")),
            "not the image the site declares (imaging-landing-zone:viewer.image",
        ),
        id="viewer-image-swapped-for-another-digest",
    ),  # NET-16: the reviewers' finding: the program's image differs from the reviewed stack file's, unnoticed
    pytest.param(
        Case(
            VIEWER,
            on(
                RUN,
                set_prop(
                    "template",
                    "containers",
                    value=[
                        {"image": DECLARED, "ports": {"containerPort": 8080.0}},
                        {"image": f"europe-west6-docker.pkg.dev/chuv-imaging-lau/tools/proxy@sha256:{'a' * 64}"},
                    ],
                ),
            ),
            "template.containers[1].image is europe-west6-docker.pkg.dev/chuv-imaging-lau/tools/proxy@sha256:",
        ),
        id="viewer-with-an-undeclared-sidecar",
    ),  # NET-16: a "debugging proxy" sidecar beside the viewer reads every request and image it serves
    # --- NET-17: the project's policy requires the declared attestors, enforced, with no way around it -------
    pytest.param(
        Case(PROJECT, remove(POLICY), "has no Binary Authorization policy in this stack", stack=True),
        id="no-binary-authorization-policy",
    ),  # NET-17: removed with the viewer's enforcement in mind; Google's default policy admits every image
    pytest.param(
        Case(
            PROJECT,
            on(
                POLICY,
                set_prop("defaultAdmissionRule", value={"evaluationMode": "ALWAYS_ALLOW", "enforcementMode": ENFORCED}),
            ),
            "defaultAdmissionRule.evaluationMode is ALWAYS_ALLOW",
            stack=True,
        ),
        id="default-rule-always-allow",
    ),  # NET-17: the console's "allow all images" default, copied while a build pipeline was being set up
    pytest.param(
        Case(
            PROJECT,
            on(POLICY, _default_rule(enforcementMode="DRYRUN_AUDIT_LOG_ONLY")),
            "defaultAdmissionRule.enforcementMode is DRYRUN_AUDIT_LOG_ONLY",
            stack=True,
        ),
        id="default-rule-dry-run-only",
    ),  # NET-17: dry run "for a week" to see what would break, never switched back: unsigned images deploy
    pytest.param(
        Case(
            PROJECT,
            on(
                POLICY,
                set_prop(
                    "clusterAdmissionRules",
                    value=[
                        {"cluster": "europe-west6.debug", "evaluationMode": "ALWAYS_ALLOW", "enforcementMode": ENFORCED}
                    ],
                ),
            ),
            "clusterAdmissionRules[0] (europe-west6.debug).evaluationMode is ALWAYS_ALLOW",
            stack=True,
        ),
        id="cluster-rule-always-allow",
    ),  # NET-17: a per-cluster exception for a "debug cluster"; the always-allow is written where reviewers miss it
    pytest.param(
        Case(
            PROJECT,
            on(POLICY, set_prop("admissionWhitelistPatterns", value=[{"namePattern": f"{IMAGE.rsplit('/', 1)[0]}/*"}])),
            "admissionWhitelistPatterns[0] (europe-west6-docker.pkg.dev/chuv-imaging-lau/viewer/*) admits every",
            stack=True,
        ),
        id="image-pattern-always-allowed",
    ),  # NET-17: the viewer's own repository exempted "because the pipeline signs it anyway": now nothing must
    pytest.param(
        Case(
            PROJECT,
            on(POLICY, _default_rule(requireAttestationsBies=[BUILT])),
            f"requireAttestationsBies lacks {SCANNED}",
            stack=True,
        ),
        id="vulnerability-scan-attestor-dropped",
    ),  # NET-17: the scanner's attestation "slows releases down", so an image with critical findings deploys
    pytest.param(
        Case(
            PROJECT,
            on(POLICY, _default_rule(requireAttestationsBies=[BUILT, "projects/chuv-imaging-lau/attestors/hotfix"])),
            "names projects/chuv-imaging-lau/attestors/hotfix, which imaging-landing-zone:viewer.attestors does not",
            stack=True,
        ),
        id="attestor-swapped-for-a-site-attestor",
    ),  # NET-17: an insider swaps the scanner for an attestor of the site project, whose key they hold
    pytest.param(
        Case(
            PROJECT,
            add_resource(
                "gcp:binaryauthorization/attestor:Attestor",
                "lau-hotfix-attestor",
                {
                    "project": "chuv-imaging-lau",
                    "name": "hotfix",
                    "attestationAuthorityNote": {"noteReference": "projects/chuv-imaging-lau/notes/hotfix"},
                },
            ),
            "attestor 'lau-hotfix-attestor' is created in the site's stack",
            stack=True,
        ),
        id="attestor-created-in-the-site-stack",
    ),  # NET-17: the site team makes its own attestor "for emergencies": the deployer would sign its own images
    pytest.param(
        Case(
            PROJECT,
            on(POLICY, set_prop("project", value="chuv-research")),
            "has no Binary Authorization policy in this stack (there is one on chuv-research)",
            stack=True,
        ),
        id="binary-authorization-policy-on-another-project",
    ),  # NET-17: the policy lands on a research project (a copied provider config); the site keeps Google's default
    # --- ORG-12: run.allowedIngress ---------------------------------------------------------------------------
    pytest.param(
        Case(INGRESS, remove(INGRESS_RAIL), "org policy run.allowedIngress is missing", stack=True),
        id="run-ingress-guard-rail-missing",
    ),  # ORG-12: removed because "the viewer's ingress is set on the service anyway"; a second service is not
    pytest.param(
        Case(
            INGRESS,
            on(INGRESS_RAIL, _rules({"values": {"allowedValues": ["internal-and-cloud-load-balancing", "all"]}})),
            "values.allowedValues admits all",
            stack=True,
        ),
        id="run-ingress-guard-rail-admits-all",
    ),  # ORG-12: "all" added so a developer can curl the run.app URL while debugging
    pytest.param(
        Case(
            INGRESS, on(INGRESS_RAIL, _rules({"allowAll": "TRUE"})), "a rule allows every ingress setting", stack=True
        ),
        id="run-ingress-guard-rail-allows-all",
    ),  # ORG-12: an allowAll rule from the console's "allow all" radio button
    # --- ORG-13: run.managed.requireInvokerIam ----------------------------------------------------------------
    pytest.param(
        Case(INVOKER, remove(INVOKER_RAIL), "org policy run.managed.requireInvokerIam is missing", stack=True),
        id="invoker-iam-guard-rail-missing",
    ),  # ORG-13: removed on an IAP site to "simplify" the next service, which could then be invoked by anyone
    pytest.param(
        Case(
            INVOKER,
            on(INVOKER_RAIL, _rules({"enforce": "TRUE"}, {"enforce": "FALSE", "condition": TAGGED})),
            "a rule has enforce 'FALSE'",
            stack=True,
        ),
        id="invoker-iam-guard-rail-off-for-tagged-services",
    ),  # ORG-13: a tag-conditioned exception: tags can be set later by anyone who can tag the service
    pytest.param(
        Case(
            INVOKER,
            on(INVOKER_RAIL, _rules({"enforce": "TRUE", "condition": TAGGED})),
            "no unconditional rule has enforce 'TRUE'",
            stack=True,
        ),
        id="invoker-iam-guard-rail-only-for-tagged-services",
    ),  # ORG-13: enforced only on services tagged prod: an untagged service may still turn its check off
    # --- ORG-14: run.allowedBinaryAuthorizationPolicies -------------------------------------------------------
    pytest.param(
        Case(
            BINAUTHZ, remove(BINAUTHZ_RAIL), "org policy run.allowedBinaryAuthorizationPolicies is missing", stack=True
        ),
        id="binary-authorization-guard-rail-missing",
    ),  # ORG-14: without it another Cloud Run service of the project may run with Binary Authorization off
    pytest.param(
        Case(
            BINAUTHZ,
            on(
                BINAUTHZ_RAIL,
                _rules(
                    {
                        "values": {
                            "allowedValues": [
                                "default",
                                "projects/chuv-imaging-lau/platforms/cloudRun/policies/relaxed",
                            ]
                        }
                    }
                ),
            ),
            "values.allowedValues admits projects/chuv-imaging-lau/platforms/cloudRun/policies/relaxed",
            stack=True,
        ),
        id="binary-authorization-guard-rail-admits-a-named-policy",
    ),  # ORG-14: a platform policy of the site's own is admitted beside the default, the insider's way around
    pytest.param(
        Case(
            BINAUTHZ,
            on(BINAUTHZ_RAIL, changes(set_prop("spec", "reset", value=True))),
            "resets to Google's default (spec.reset)",
            stack=True,
        ),
        id="binary-authorization-guard-rail-reset",
    ),  # ORG-14: "restore default" in the console: the constraint then admits services without any policy
]


@pytest.mark.parametrize("case", CASES)
def test_policy_rejects_mutation(policy_pack, case: Case):
    assert_rejected(policy_pack("lausanne", "update"), case)


REMOVALS = [
    pytest.param(
        Case(VIEWER, on(RUN, set_prop("binaryAuthorization", value=None)), "useDefault is unset"), id="viewer"
    ),
    pytest.param(Case(PROJECT, remove(POLICY), "no Binary Authorization policy", stack=True), id="project-policy"),
]


@pytest.mark.parametrize("case", REMOVALS)
def test_removing_binary_authorization_is_a_mandatory_finding_in_a_first_preview(policy_pack, case: Case):
    """A fresh site's first preview (unknown values) already stops a plan without Binary Authorization."""
    assert_rejected(policy_pack("lausanne", "preview"), case, mode="preview")


# --- Legitimate variants: no mandatory finding ---------------------------------------------------------------

LEGITIMATE = [
    pytest.param(
        [on(POLICY, set_prop("globalPolicyEvaluationMode", value="ENABLE"))],
        id="google-global-policy-on",
    ),  # a platform team keeps Google's system-image policy on in every project (it applies to GKE only)
    pytest.param(
        [on(POLICY, _default_rule(requireAttestationsBies=[SCANNED, BUILT]))],
        id="attestors-in-another-order",
    ),
    pytest.param(
        [
            on(
                POLICY,
                set_prop(
                    "clusterAdmissionRules",
                    value=[
                        {"cluster": "europe-west6.legacy", "evaluationMode": "ALWAYS_DENY", "enforcementMode": ENFORCED}
                    ],
                ),
            )
        ],
        id="a-cluster-rule-that-denies-everything",
    ),  # stricter than the default rule: nothing runs on that cluster
    pytest.param(
        [on(INGRESS_RAIL, _rules({"values": {"allowedValues": ["is:internal-and-cloud-load-balancing"]}}))],
        id="run-ingress-with-the-is-prefix",
    ),
    pytest.param(
        [on(BINAUTHZ_RAIL, _rules({"values": {"allowedValues": ["is:default"]}}))],
        id="binary-authorization-default-with-the-is-prefix",
    ),
    pytest.param(
        [on(INVOKER_RAIL, _rules({"enforce": "TRUE"}, {"enforce": "TRUE", "condition": TAGGED}))],
        id="invoker-iam-enforced-and-again-for-tagged-services",
    ),
    pytest.param(
        [on(POLICY, set_prop("project", value="221841688848"))],
        id="project-policy-named-by-the-site-project-number",
    ),  # the provider accepts the project by number; it is the same project
]


@pytest.mark.parametrize("steps", LEGITIMATE)
def test_legitimate_variant_has_no_mandatory_finding(policy_pack, steps):
    """On the stored form (``update``: what every update and later preview hand the pack, ADR 0029)."""
    resources = site_plan("lausanne", "update")
    changed = [step(resources) for step in steps]
    pack = policy_pack("lausanne", "update")
    found = [*pack.analyze_stack(resources), *(d for r in changed for d in pack.analyze(r))]
    assert [(d.policy, d.message) for d in found if d.level == "mandatory"] == []


def test_a_launch_token_site_needs_no_invoker_guard_rail(policy_pack):
    """Utrecht's viewer signs on with the worklist's launch token and turns the invoker check off by design
    (IAM-09): the site has no run.managed.requireInvokerIam policy, and ORG-13 has no finding."""
    resources = site_plan("utrecht", "update")
    assert not [r for r in resources if r.name.endswith("run.managed.requireInvokerIam")]
    assert by_name(resources, "utr-viewer-run").inputs["invokerIamDisabled"] is True
    assert [d for d in policy_pack("utrecht", "update").analyze_stack(resources) if d.policy == INVOKER] == []


# --- A first preview: a computed value that could hide a violation is "not judged in preview", never met ---------

PREVIEW_UNKNOWNS = [
    pytest.param(RUN, VIEWER, ("template", "containers", 0, "image"), False, id="viewer-image-computed"),
    # NET-16: the image digest read from another stack's output: it could be any image
    pytest.param(RUN, VIEWER, ("binaryAuthorization", "useDefault"), False, id="viewer-enforcement-computed"),
    pytest.param(POLICY, PROJECT, ("defaultAdmissionRule", "evaluationMode"), True, id="default-rule-computed"),
    # NET-17: the evaluation mode chosen at run time: it could be ALWAYS_ALLOW
    pytest.param(POLICY, PROJECT, ("defaultAdmissionRule", "requireAttestationsBies"), True, id="attestors-computed"),
    pytest.param(POLICY, PROJECT, ("project",), True, id="policy-project-computed"),
    # NET-17: the policy's project from another stack's output: it could be a sandbox, leaving the site's default
]


@pytest.mark.parametrize(("name", "policy", "path", "stack"), PREVIEW_UNKNOWNS)
def test_a_computed_supply_chain_value_is_not_judged_in_preview(policy_pack, name, policy, path, stack):
    resources = site_plan("lausanne", "preview")
    target = by_name(resources, name)
    set_prop(*path, value=UNKNOWN)(target)
    pack = policy_pack("lausanne", "preview")
    found = pack.analyze_stack(resources) if stack else pack.analyze(target)
    mine = [d for d in found if d.policy == policy]
    assert mine, [(d.policy, d.message) for d in found]
    assert all(d.skipped_in_preview for d in mine), [(d.policy, d.message) for d in mine]
    assert not [d for d in found if d.level == "mandatory" and not d.skipped_in_preview], found
