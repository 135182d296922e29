"""Project guard rails: the site's org policies (ORG-01 to ORG-10) and only the APIs it needs (IAM-08).

The org policies hold for every resource in the project, including ones created outside these
components: Google APIs refuse TLS below 1.2 (TLS-04), buckets cannot go public or fine-grained,
service-account keys cannot be made, new storage must use CMEK, no VM gets an external address,
no default network appears and resources stay in the site's region.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp
from pydantic import field_validator

from ._base import Component, ComponentArgs, child
from .contract import Region

TYPE_TOKEN = "imaging:project:ProjectGuardRails"

Rules = list[gcp.orgpolicy.PolicySpecRuleArgsDict]
ENFORCED: Rules = [{"enforce": "TRUE"}]
"""A boolean constraint's rule: the org-policy API takes the string ``"TRUE"``."""
GUARD_RAILS: dict[str, Rules] = {
    "gcp.restrictTLSVersion": [{"values": {"denied_values": ["TLS_VERSION_1", "TLS_VERSION_1_1"]}}],
    "storage.publicAccessPrevention": ENFORCED,
    "storage.uniformBucketLevelAccess": ENFORCED,
    "iam.disableServiceAccountKeyCreation": ENFORCED,
    "iam.disableServiceAccountKeyUpload": ENFORCED,
    "iam.automaticIamGrantsForDefaultServiceAccounts": ENFORCED,
    "gcp.restrictNonCmekServices": [{"values": {"denied_values": ["storage.googleapis.com", "pubsub.googleapis.com"]}}],
    "compute.skipDefaultNetworkCreation": ENFORCED,
    "compute.vmExternalIpAccess": [{"deny_all": "TRUE"}],
    # gcp.resourceLocations: its rule depends on the region, see ProjectGuardRails.
}
"""Each constraint and its rules (ORG-01 to ORG-10)."""
RESOURCE_LOCATIONS = "gcp.resourceLocations"
CMEK_KEY_PROJECTS = "gcp.restrictCmekCryptoKeyProjects"
"""ENC-10: customer-managed keys may come only from the site project (where SiteKeys creates them)."""
BOOTSTRAP_SERVICES = frozenset({"cloudresourcemanager.googleapis.com", "orgpolicy.googleapis.com"})
"""Enabled first: the org policies need them, and everything else waits for the org policies."""


class ProjectGuardRailsArgs(ComponentArgs):
    """Inputs of :class:`ProjectGuardRails`."""

    project: str
    """The site project."""
    region: Region
    """The only region resources may be created in (``gcp.resourceLocations``)."""
    services: list[str]
    """The APIs the site needs; enabled, never disabled on destroy."""
    skip: dict[str, str] = {}
    """Constraints the organisation enforces higher up, with the recorded reason."""

    @field_validator("skip")
    @classmethod
    def _known(cls, skip: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(skip) - {*GUARD_RAILS, RESOURCE_LOCATIONS, CMEK_KEY_PROJECTS})
        if unknown:
            raise ValueError(f"not guard rails of the site: {', '.join(unknown)}")
        return skip


def policy_name(project: str, constraint: str) -> str:
    """The org policy's resource name on the project."""
    return f"projects/{project}/policies/{constraint}"


class ProjectGuardRails(Component):
    """The site project's enabled APIs and org policies, in the order that keeps the guard rails first:
    the org-policy APIs, then the org policies, then every other API. Outputs: ``apis``, every API;
    ``ready``, what the site's other resources wait for (the last API, which waits for all the others).

    Children: ``<name>-api-<service>`` (Service, e.g. ``<name>-api-storage``) per API and
    ``<name>-<constraint>`` (orgpolicy Policy, e.g. ``<name>-gcp.restrictTLSVersion``) per guard rail
    not skipped.
    """

    def __init__(self, name: str, args: ProjectGuardRailsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, opts)

        def api(service: str, after: list[pulumi.Resource]) -> gcp.projects.Service:
            return gcp.projects.Service(
                f"{name}-api-{service.removesuffix('.googleapis.com')}",
                project=args.project,
                service=service,
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=child(self, depends_on=after),
            )

        bootstrap = [api(s, []) for s in args.services if s in BOOTSTRAP_SERVICES]
        locations: Rules = [{"values": {"allowed_values": [f"in:{args.region}-locations"]}}]
        key_projects: Rules = [{"values": {"allowed_values": [f"under:projects/{args.project}"]}}]
        rules = {**GUARD_RAILS, RESOURCE_LOCATIONS: locations, CMEK_KEY_PROJECTS: key_projects}
        policies: list[pulumi.Resource] = [
            gcp.orgpolicy.Policy(
                f"{name}-{constraint}",
                name=policy_name(args.project, constraint),
                parent=f"projects/{args.project}",
                spec={"rules": constraint_rules},
                opts=child(self, depends_on=bootstrap),
            )
            for constraint, constraint_rules in rules.items()
            if constraint not in args.skip
        ]
        # Every other API waits for the guard rails: enabling compute after skipDefaultNetworkCreation
        # is in force is what keeps the default network (and its open firewall rules) from appearing.
        later = [s for s in args.services if s not in BOOTSTRAP_SERVICES]
        others = [api(s, policies) for s in later[:-1]]
        self.apis: list[pulumi.Resource] = [*bootstrap, *others]
        """Every API of the project (the guard-rail ones first)."""
        self.ready: list[pulumi.Resource] = [*bootstrap, *policies]
        """What the site's other resources wait for: the readiness marker, the last API, which waits for
        every other API and every guard rail (when only the org-policy APIs are asked for, those and the
        guard rails themselves).

        One dependency per resource instead of one per API: the Pulumi SDK resolves and expands each
        listed dependency of each resource, about a tenth of a program run with 14 APIs. The price is one
        API enablement after the others on a site's first deployment; no resource or name changes
        (tests/test_identity.py)."""
        if later:
            marker = api(later[-1], [*bootstrap, *policies, *others])
            self.apis.append(marker)
            self.ready = [marker]
        self.register_outputs({})
