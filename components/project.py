"""Project guard rails: the site's org policies (ORG-01 to ORG-14, ENC-10) and only the APIs it needs (IAM-08).

The org policies hold for every resource in the project, including ones created outside these
components: Google APIs refuse TLS below 1.2 (TLS-04), buckets cannot go public or fine-grained,
service-account keys cannot be made, new storage must use CMEK, no VM gets an external address,
no default network appears, resources stay in the site's region, and every Cloud Run service takes
requests only through the load balancer, keeps its invoker check and runs only attested images.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp
from pydantic import field_validator

from ._base import Component, ComponentArgs, child
from .contract import CustomerId, Region, SignOn

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
    "run.allowedIngress": [{"values": {"allowed_values": ["internal-and-cloud-load-balancing"]}}],
    "run.allowedBinaryAuthorizationPolicies": [{"values": {"allowed_values": ["default"]}}],
    # gcp.resourceLocations: its rule depends on the region, see ProjectGuardRails.
}
"""Each constraint and its rules (ORG-01 to ORG-10; ORG-12, a Cloud Run service takes requests only from inside
and from Google's load balancers; ORG-14, it enforces the project's default Binary Authorization policy)."""
INVOKER_IAM = "run.managed.requireInvokerIam"
"""ORG-13: no Cloud Run service of the project can turn its invoker IAM check off. Set unless the viewer signs
on with the worklist's launch token, which turns the check off by design (docs/adr/0008, docs/adr/0031)."""
RESOURCE_LOCATIONS = "gcp.resourceLocations"
CMEK_KEY_PROJECTS = "gcp.restrictCmekCryptoKeyProjects"
"""ENC-10: customer-managed keys may come only from the site project (where SiteKeys creates them)."""
MEMBER_DOMAINS = "iam.allowedPolicyMemberDomains"
"""ORG-11 (CIS 1.1, domain restricted sharing): IAM grants in the project may name only identities of the
site's directory customers. The legacy list constraint, whose allowed values are customer ids (``C0...``),
never domain names; see docs/adr/0022-auditor-role-and-group-domains.md for why this form and why it is set
after the site's grants."""
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
    member_customers: list[CustomerId] = []
    """The directory customer ids (``C0...``) of the site's group domains: the only identities IAM grants in the
    project may name (``iam.allowedPolicyMemberDomains``, set by :meth:`ProjectGuardRails.restrict_member_domains`,
    which needs at least one)."""
    viewer_sign_on: SignOn | None = None
    """How the site's viewer signs people on, if it has one: with ``launchToken`` the viewer turns Cloud Run's
    invoker check off, so ``run.managed.requireInvokerIam`` (which would refuse it) is not set."""

    @field_validator("skip")
    @classmethod
    def _known(cls, skip: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(skip) - {*GUARD_RAILS, RESOURCE_LOCATIONS, CMEK_KEY_PROJECTS, MEMBER_DOMAINS, INVOKER_IAM})
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
    not skipped; ``<name>-iam.allowedPolicyMemberDomains`` is created by :meth:`restrict_member_domains`,
    after the site's grants.
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
        if args.viewer_sign_on is not SignOn.LAUNCH_TOKEN:
            rules[INVOKER_IAM] = ENFORCED
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
        self._args, self._rail_name = args, name
        self.register_outputs({})

    def restrict_member_domains(self, after: list[pulumi.Resource]) -> gcp.orgpolicy.Policy | None:
        """ORG-11: only the site's directory customers may be granted roles in the project, set once every
        grant in ``after`` exists (``None`` when the site skips it).

        The legacy constraint also refuses grants to Google's own principals (service agents, Cloud Storage's
        usage-log writer group), and it is not retroactive: set after the site's grants, those stay, and any
        later grant is judged by it.
        """
        args = self._args
        if MEMBER_DOMAINS in args.skip:
            return None
        if not args.member_customers:
            raise ValueError("member_customers is empty: name the directory customer ids (C0...) of the site's groups")
        return gcp.orgpolicy.Policy(
            f"{self._rail_name}-{MEMBER_DOMAINS}",
            name=policy_name(args.project, MEMBER_DOMAINS),
            parent=f"projects/{args.project}",
            spec={"rules": [{"values": {"allowed_values": list(dict.fromkeys(args.member_customers))}}]},
            opts=child(self, depends_on=[*self.ready, *after]),
        )
