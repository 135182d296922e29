"""The site project's Binary Authorization policy: only images its declared attestors signed are deployed.

Control NET-17: the project's one policy requires an attestation by every declared attestor for every image
(``REQUIRE_ATTESTATION``), blocks and audit-logs what is not attested (``ENFORCED_BLOCK_AND_AUDIT_LOG``), and
has no way around it: no per-cluster rule, no exempt image pattern, no Google-maintained global policy. The
viewer enforces it (NET-16, :class:`components.viewer.ViewerEndpoint`), and the org policy
``run.allowedBinaryAuthorizationPolicies`` keeps every Cloud Run service of the project on it (ORG-14).

The attestors are not created here: they hold the key (or the Cloud KMS key) the build pipeline signs releases
with, and belong to the pipeline's project, so whoever deploys a site cannot sign an image with them.
"""

from __future__ import annotations

from typing import Annotated

import pulumi
import pulumi_gcp as gcp
from pydantic import Field, field_validator, model_validator

from ._base import Component, ComponentArgs, child
from .contract import AttestorName, attestor_project

TYPE_TOKEN = "imaging:admission:AdmissionPolicy"

EVALUATION = "REQUIRE_ATTESTATION"
"""Every image needs an attestation by every listed attestor."""
ENFORCEMENT = "ENFORCED_BLOCK_AND_AUDIT_LOG"
"""An image without them is refused, and the refusal logged (never only logged: ``DRYRUN_AUDIT_LOG_ONLY``)."""
GLOBAL_POLICY = "DISABLE"
"""Google's global policy admits Google-maintained system images on GKE without the site's attestation; the
site runs no GKE, so it is off: every image the project runs is judged by the site's attestors alone."""


class AdmissionPolicyArgs(ComponentArgs):
    """Inputs of :class:`AdmissionPolicy`."""

    project: str
    """The site project, whose (single) Binary Authorization policy this is."""
    attestors: Annotated[list[AttestorName], Field(min_length=1)]
    """The attestors that must each have signed an image (``projects/<project>/attestors/<attestor>``), in the
    build pipeline's project, never the site project."""

    @field_validator("attestors")
    @classmethod
    def _distinct(cls, attestors: list[str]) -> list[str]:
        if len(set(attestors)) != len(attestors):
            raise ValueError("an attestor is listed twice; list each once")
        return attestors

    @model_validator(mode="after")
    def _outside_the_site(self) -> AdmissionPolicyArgs:
        inside = [a for a in self.attestors if attestor_project(a) == self.project]
        if inside:
            raise ValueError(
                f"{', '.join(inside)}: an attestor in the site project lets its deployers sign any image; name the "
                "build pipeline's attestors"
            )
        return self


class AdmissionPolicy(Component):
    """The site project's Binary Authorization policy (one per project).

    Children: ``<name>-policy`` (binaryauthorization Policy). Output: ``policy``, what a Cloud Run service that
    enforces it waits for.
    """

    def __init__(self, name: str, args: AdmissionPolicyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, opts)
        self.policy = gcp.binaryauthorization.Policy(
            f"{name}-policy",
            project=args.project,
            description="Only images signed by the site's declared attestors are deployed (NET-17).",
            global_policy_evaluation_mode=GLOBAL_POLICY,
            default_admission_rule={
                "evaluation_mode": EVALUATION,
                "enforcement_mode": ENFORCEMENT,
                "require_attestations_bies": list(args.attestors),
            },
            opts=child(self),
        )
        """The project's policy."""
        self.register_outputs({"policyId": self.policy.id})
