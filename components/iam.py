"""Least-privilege runtime identities of a site (the controls it meets: the catalogue's "met by").

The viewer and the PACS uploader each get a dedicated service account without keys. The PACS,
when it runs on premises, authenticates through Workload Identity Federation, restricted by an
attribute condition to its own token subject. The project's default service accounts lose their
automatic Editor grant.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from . import naming
from ._base import Component, ComponentArgs, child, known_after
from .contract import OidcIssuer, OidcSubject, SiteCode, oidc_subject

TYPE_TOKEN = "imaging:iam:SiteIdentities"

WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
DEFAULT_ACCOUNTS_ACTION = "DEPRIVILEGE"


class PacsFederationArgs(ComponentArgs):
    """The on-premises PACS's OIDC identity provider."""

    issuer_uri: OidcIssuer
    """The OIDC issuer URL."""
    subject: OidcSubject
    """The `sub` claim of the PACS gateway's token; nothing else may impersonate the uploader."""
    allowed_audiences: list[str] = []
    """Accepted audiences; empty for the provider's default."""


class SiteIdentitiesArgs(ComponentArgs):
    """Inputs of :class:`SiteIdentities`."""

    project: str
    """The GCP project of the identities."""
    site_code: SiteCode
    """The site code, used in display names and the federation pool's id."""
    viewer_account_id: str
    """The viewer's service account id."""
    pacs_uploader_account_id: str
    """The PACS uploader's service account id."""
    pacs_federation: PacsFederationArgs | None = None
    """Set for an on-premises PACS that federates its own OIDC identity."""


def subject_condition(subject: str) -> str:
    """The provider's CEL attribute condition: only tokens whose ``sub`` is ``subject``.

    The subject is checked again here (:func:`components.contract.oidc_subject`: no quote, no backslash),
    so a condition is built from a validated subject only, even from args made without validation.
    """
    return f"assertion.sub == '{oidc_subject(subject)}'"


def federated_subject(project_number: str, pool_id: str, subject: str) -> str:
    """The IAM member of one subject of a workload identity pool (``principal://.../subject/<subject>``)."""
    return (
        f"principal://iam.googleapis.com/projects/{project_number}/locations/global/workloadIdentityPools/"
        f"{pool_id}/subject/{subject}"
    )


class SiteIdentities(Component):
    """The viewer and PACS-uploader service accounts, optional PACS federation, default SAs deprivileged.

    Members are derived from the account ids (``serviceAccount:<id>@<project>.iam...``), so they
    are known during a first preview and the policy pack can judge every grant that uses them.
    """

    viewer_member: pulumi.Output[str]
    """``serviceAccount:<viewer email>``; resolves once the account exists."""
    pacs_uploader_member: pulumi.Output[str]
    """``serviceAccount:<uploader email>``; resolves once the account exists."""

    def __init__(self, name: str, args: SiteIdentitiesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, opts)
        viewer = gcp.serviceaccount.Account(
            f"{name}-viewer",
            project=args.project,
            account_id=args.viewer_account_id,
            display_name=f"Image viewer ({args.site_code})",
            description="Runtime identity of the web viewer: reads images from the site bucket only.",
            opts=child(self),
        )
        uploader = gcp.serviceaccount.Account(
            f"{name}-pacs-uploader",
            project=args.project,
            account_id=args.pacs_uploader_account_id,
            display_name=f"PACS uploader ({args.site_code})",
            description="Identity of the PACS: creates objects in the site bucket, cannot read or delete.",
            opts=child(self),
        )
        gcp.projects.DefaultServiceAccounts(
            f"{name}-default-accounts",
            project=args.project,
            action=DEFAULT_ACCOUNTS_ACTION,
            opts=child(self),
        )
        if args.pacs_federation is not None:
            self._federate_pacs(name, args, args.pacs_federation, uploader)

        self.viewer = viewer
        self.pacs_uploader = uploader
        self.viewer_member = self._member(viewer, args.viewer_account_id, args.project)
        self.pacs_uploader_member = self._member(uploader, args.pacs_uploader_account_id, args.project)
        self.register_outputs({"viewerMember": self.viewer_member, "pacsUploaderMember": self.pacs_uploader_member})

    @staticmethod
    def _member(account: gcp.serviceaccount.Account, account_id: str, project: str) -> pulumi.Output[str]:
        """The account's member string, known at preview, carrying a dependency on the account."""
        return known_after(account, f"serviceAccount:{naming.service_account_email(account_id, project)}")

    def _federate_pacs(
        self,
        name: str,
        args: SiteIdentitiesArgs,
        federation: PacsFederationArgs,
        uploader: gcp.serviceaccount.Account,
    ) -> None:
        pool = gcp.iam.WorkloadIdentityPool(
            f"{name}-pacs-pool",
            project=args.project,
            workload_identity_pool_id=f"{args.site_code}-pacs",  # the member below repeats it
            display_name=f"PACS ({args.site_code})",
            description="The site's on-premises PACS.",
            opts=child(self),
        )
        gcp.iam.WorkloadIdentityPoolProvider(
            f"{name}-pacs-oidc",
            project=args.project,
            workload_identity_pool_id=pool.workload_identity_pool_id,
            workload_identity_pool_provider_id=f"{args.site_code}-pacs-oidc",
            display_name=f"PACS OIDC ({args.site_code})",
            attribute_mapping={"google.subject": "assertion.sub"},
            attribute_condition=subject_condition(federation.subject),
            oidc={"issuer_uri": federation.issuer_uri, "allowed_audiences": federation.allowed_audiences},
            opts=child(self),
        )
        # The member names the pool by the project's number, which the getProject invoke answers in a first
        # preview too; with the pool's id (known from config) and a dependency on the pool, the policy pack
        # judges the literal principal in that preview instead of leaving it to the update run.
        project = gcp.organizations.get_project_output(
            project_id=args.project, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        pool_id = known_after(pool, f"{args.site_code}-pacs")
        email = naming.service_account_email(args.pacs_uploader_account_id, args.project)
        gcp.serviceaccount.IAMMember(
            f"{name}-pacs-federation",
            service_account_id=known_after(uploader, f"projects/{args.project}/serviceAccounts/{email}"),
            role=WORKLOAD_IDENTITY_USER,
            member=pulumi.Output.all(project.number, pool_id).apply(
                lambda values: federated_subject(str(values[0]), str(values[1]), federation.subject)
            ),
            opts=child(self),
        )
