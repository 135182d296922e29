"""The viewer's supply chain: the viewer runs only the declared image, and only once the declared attestors have
signed it (NET-16, NET-17). The ``run.*`` org policies that hold every Cloud Run service of the project to the
same are guard rails (ORG-12 to ORG-14, ``orgpolicy.py``).

Binary Authorization is judged where it can be read: the Cloud Run service's ``binaryAuthorization`` (v2) or
its ``run.googleapis.com/binary-authorization`` annotation (v1), and the project's policy in the stack. A named
platform policy (``binaryAuthorization.policy``) is not readable by the pack (the provider has no resource for
it), so it is a finding, never a pass; ``run.allowedBinaryAuthorizationPolicies`` admits only ``default`` anyway.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from imaging_policies import tokens
from imaging_policies._principals import site_project_number
from imaging_policies._props import UNKNOWN, items, known, leaf
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies._site import SITE_NAMESPACE, site_project, site_supply_chain

ENFORCEMENT = "ENFORCED_BLOCK_AND_AUDIT_LOG"
EVALUATION = "REQUIRE_ATTESTATION"
ALWAYS_ALLOW = "ALWAYS_ALLOW"
ANNOTATION = "run.googleapis.com/binary-authorization"
"""A v1 Cloud Run service's Binary Authorization setting: ``default`` enforces the project's policy."""
BREAKGLASS_ANNOTATION = "run.googleapis.com/binary-authorization-breakglass"
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_ATTESTOR = re.compile(r"^projects/[^/]+/attestors/[^/]+$")

VIEWER_POLICY = "gcp-cloudrun-binary-authorization"
PROJECT_POLICY = "gcp-binaryauthorization-requires-attestation"


def _images(args: ResourceValidationArgs) -> list[tuple[str, tuple[str | int, ...], Any]]:
    """Each container's image: where it is for messages (``template.containers[0].image``), its path and value."""
    base: tuple[str, ...] = ("template", "containers")
    if args.resource_type == "gcp:cloudrun/service:Service":
        base = ("template", "spec", "containers")
    found: list[tuple[str, tuple[str | int, ...], Any]] = []
    for index, container in enumerate(items(args.props, *base)):
        path: tuple[str | int, ...] = (*base, index, "image")
        image = UNKNOWN if container is UNKNOWN else leaf(container, "image")
        found.append((f"{'.'.join(base)}[{index}].image", path, image))
    return found


def _declared_image(images: list[tuple[str, Any]], report: Report) -> None:
    """Every container runs an image pinned by digest, and on a site exactly the declared ``viewer.image``."""
    declared = site_supply_chain().image
    for where, image in images:
        if not isinstance(image, str) or not DIGEST.search(image):
            report(
                f"{where} is {image!r}, not pinned by digest: its tag can be moved to other code without a change to "
                "the stack. Pin it (<registry>/<path>@sha256:<digest>) and declare it in "
                f"{SITE_NAMESPACE}:viewer.image."
            )
        elif declared is not None and image != declared:
            report(
                f"{where} is {image}, not the image the site declares ({SITE_NAMESPACE}:viewer.image {declared}): the "
                "viewer would run code nobody reviewed in the stack file. Run the declared image, or declare the new "
                "digest in the stack file."
            )


def _v1_enforces(args: ResourceValidationArgs, report: Report) -> None:
    annotations = known(args.props, "metadata", "annotations")
    setting = known(annotations, ANNOTATION)
    breakglass = known(annotations, BREAKGLASS_ANNOTATION)
    if setting != "default":
        report(
            f"metadata.annotations['{ANNOTATION}'] is {setting or 'unset'!s}: the service deploys any image, signed "
            "or not. Set it to 'default' (the project's Binary Authorization policy)."
        )
    if breakglass not in (None, ""):
        report(
            f"metadata.annotations['{BREAKGLASS_ANNOTATION}'] is set: every revision bypasses the project's Binary "
            "Authorization policy. Remove it; deploy a signed image instead."
        )


def _v2_enforces(args: ResourceValidationArgs, report: Report) -> None:
    use_default = known(args.props, "binaryAuthorization", "useDefault")
    breakglass = known(args.props, "binaryAuthorization", "breakglassJustification")
    policy = leaf(args.props, "binaryAuthorization", "policy")
    if use_default is not True and policy not in (None, "", UNKNOWN):
        report(
            f"binaryAuthorization.policy is {policy}, a platform policy the pack cannot read (and "
            "run.allowedBinaryAuthorizationPolicies admits only the project's default). Set binaryAuthorization "
            "{useDefault: true}."
        )
    elif use_default is not True:
        report(
            f"binaryAuthorization.useDefault is {use_default if use_default is not None else 'unset'}: the viewer "
            "deploys any image, signed or not. Set binaryAuthorization {useDefault: true} (the project's policy, "
            "which requires the site's attestors)."
        )
    if breakglass not in (None, ""):
        report(
            f"binaryAuthorization.breakglassJustification is {breakglass!r}: every revision bypasses the project's "
            "Binary Authorization policy. Remove it; deploy a signed image instead."
        )


def _viewer_enforces(args: ResourceValidationArgs, report: Report) -> None:
    # Every value read before any report: an unknown one (a first preview) skips the whole verdict, never half.
    images = [(where, known(args.props, *path) if image is UNKNOWN else image) for where, path, image in _images(args)]
    if args.resource_type == "gcp:cloudrun/service:Service":
        _v1_enforces(args, report)
    else:
        _v2_enforces(args, report)
    _declared_image(images, report)


def _project_of(resource: PolicyResource) -> Any:
    project = leaf(resource.props, "project")
    return pulumi.Config("gcp").get("project") if project is None else project


def _full(attestor: Any, project: Any) -> Any:
    """An attestor in the full form the API stores: a short name is in the policy's project (the provider's
    expandBinaryAuthorizationPolicyDefaultAdmissionRuleRequireAttestationsBy)."""
    if attestor is UNKNOWN or not isinstance(attestor, str) or _ATTESTOR.match(attestor):
        return attestor
    return f"projects/{project}/attestors/{attestor}"


def _rule(label: str, rule: Any, *, project: Any, declared: frozenset[str], urn: str, report: Report) -> None:
    """One admission rule: attestation required by exactly the declared attestors, and enforced."""
    name = urn.rsplit("::", maxsplit=1)[-1]
    evaluation = known(rule, "evaluationMode", resource=name)
    enforcement = known(rule, "enforcementMode", resource=name)
    if evaluation == ALWAYS_ALLOW:
        report(
            f"Binary Authorization policy {name!r}: {label}.evaluationMode is ALWAYS_ALLOW, so every image is "
            f"admitted, signed or not. Set evaluationMode '{EVALUATION}' with the site's attestors.",
            urn,
        )
        return
    if enforcement != ENFORCEMENT:
        report(
            f"Binary Authorization policy {name!r}: {label}.enforcementMode is {enforcement or 'unset'}, so an "
            f"unattested image is only logged, and deployed. Set enforcementMode '{ENFORCEMENT}'.",
            urn,
        )
    if evaluation != EVALUATION:
        return  # ALWAYS_DENY admits nothing
    required = {_full(a, project) for a in items(rule, "requireAttestationsBies")}
    if UNKNOWN in required:
        known(rule, "requireAttestationsBies", resource=name)
    if not declared:
        report(
            f"Binary Authorization policy {name!r}: the stack declares no {SITE_NAMESPACE}:viewer.attestors, so the "
            f"attestors {label} requires ({', '.join(sorted(required)) or 'none'}) cannot be judged. Declare them.",
            urn,
        )
        return
    missing, extra = sorted(declared - required), sorted(required - declared)
    if missing:
        report(
            f"Binary Authorization policy {name!r}: {label}.requireAttestationsBies lacks {', '.join(missing)}, so an "
            "image that attestor never signed is admitted. Require every attestor of viewer.attestors.",
            urn,
        )
    if extra:
        report(
            f"Binary Authorization policy {name!r}: {label}.requireAttestationsBies names {', '.join(extra)}, which "
            f"{SITE_NAMESPACE}:viewer.attestors does not declare. Declare it in the stack file (reviewed) or remove "
            "it.",
            urn,
        )


def _judge_policy(policy: PolicyResource, declared: frozenset[str], report: Report) -> None:
    name = policy.name
    context = {"project": _project_of(policy), "declared": declared, "urn": policy.urn, "report": report}
    _rule("defaultAdmissionRule", known(policy.props, "defaultAdmissionRule", resource=name), **context)
    for index, rule in enumerate(items(policy.props, "clusterAdmissionRules")):
        if rule is UNKNOWN:
            known(policy.props, "clusterAdmissionRules", resource=name)
        _rule(f"clusterAdmissionRules[{index}] ({leaf(rule, 'cluster')})", rule, **context)
    for index, pattern in enumerate(items(policy.props, "admissionWhitelistPatterns")):
        shown = pattern if pattern is UNKNOWN else leaf(pattern, "namePattern")
        report(
            f"Binary Authorization policy {name!r}: admissionWhitelistPatterns[{index}] ({shown}) admits every "
            "matching image without an attestation (an always-allow rule by image name). Remove it; sign the image.",
            policy.urn,
        )


def _attestation_required(args: StackValidationArgs, report: Report) -> None:
    # Judged in full before anything is reported: an unknown value (a first preview) skips the whole verdict.
    found: list[tuple[str, str | None]] = []
    _judge_stack(args, lambda message, urn=None, /: found.append((message, urn)))
    for message, urn in found:
        report(message, urn)


def _judge_stack(args: StackValidationArgs, report: Report) -> None:
    chain, project = site_supply_chain(), site_project()
    for attestor in (r for r in args.resources if r.resource_type == tokens.ATTESTOR):
        report(
            f"attestor {attestor.name!r} is created in the site's stack: whoever deploys the site would hold the key "
            "whose signatures admit images. Create attestors in the build pipeline's project and name them in "
            f"{SITE_NAMESPACE}:viewer.attestors.",
            attestor.urn,
        )
    policies = [r for r in args.resources if r.resource_type == tokens.BINAUTHZ_POLICY]
    runs = [r for r in args.resources if r.resource_type in tokens.CLOUD_RUN_SERVICES]
    number, _ = site_project_number(list(args.resources), args.get_config())
    site_names = {n for n in (project, number, f"projects/{project}", f"projects/{number}") if n}
    if any(_project_of(p) is UNKNOWN for p in policies) and not any(_project_of(p) in site_names for p in policies):
        # a first preview: the policy's project is computed; whether the site has one is known at update
        raise UnknownValueError(UNKNOWN_STRING_VALUE, ["project"])
    on_site = [p for p in policies if _project_of(p) in site_names]
    if not on_site and (chain.viewer or runs):
        elsewhere = sorted({str(_project_of(p)) for p in policies})
        report(
            f"the site project {project or ''} has no Binary Authorization policy in this stack"
            + (f" (there is one on {', '.join(elsewhere)})" if elsewhere else "")
            + ", so Google's default policy applies: it admits every image (ALWAYS_ALLOW). Add "
            "gcp.binaryauthorization.Policy with defaultAdmissionRule {evaluationMode: 'REQUIRE_ATTESTATION', "
            "enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG', requireAttestationsBies: viewer.attestors} "
            "(AdmissionPolicy does)."
        )
    for policy in policies:
        _judge_policy(policy, chain.attestors, report)


POLICIES = [
    resource_policy(
        name=VIEWER_POLICY,
        control="NET-16",
        description=(
            "Cloud Run services enforce the project's Binary Authorization policy, with no breakglass, and run only "
            "the image the site declares, pinned by digest."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            "Set binaryAuthorization {useDefault: true} (v1: the run.googleapis.com/binary-authorization annotation "
            "'default') without a breakglass justification, and run the site's viewer.image (<registry>/<path>"
            "@sha256:<digest>) in every container (ViewerEndpoint does)."
        ),
        types=sorted(tokens.CLOUD_RUN_SERVICES),
        check=_viewer_enforces,
    ),
    stack_policy(
        name=PROJECT_POLICY,
        site_only=True,
        types=sorted(tokens.BINARY_AUTHORIZATION),
        control="NET-17",
        description=(
            "The site project's Binary Authorization policy requires an attestation by exactly the declared "
            "attestors, enforced, with no always-allow rule, exempt image pattern or attestor of the site's own."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            "Create gcp.binaryauthorization.Policy on the site project with defaultAdmissionRule {evaluationMode: "
            "'REQUIRE_ATTESTATION', enforcementMode: 'ENFORCED_BLOCK_AND_AUDIT_LOG', requireAttestationsBies: the "
            "site's viewer.attestors}, no ALWAYS_ALLOW cluster rule and no admissionWhitelistPatterns "
            "(AdmissionPolicy does); create attestors in the build pipeline's project, not in the site stack."
        ),
        check=_attestation_required,
    ),
]
