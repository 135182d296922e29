"""IAM: no public principals, least-privilege roles, no service-account keys, default SAs
deprivileged, people through groups only (IAM-03 to IAM-07)."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from imaging_policies import tokens
from imaging_policies._props import PUBLIC_PRINCIPALS, UNKNOWN, is_set, leaf, members
from imaging_policies._registry import Report, resource_policy, stack_policy

BASIC_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
IMPERSONATION_ROLES = {
    "roles/iam.serviceAccountUser",
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.workloadIdentityUser",
    "roles/iam.serviceAccountKeyAdmin",
}
DEFAULT_BUCKET_ROLES = ["roles/storage.objectViewer", "roles/storage.objectCreator"]
NEUTRALISED = {"DEPRIVILEGE", "DISABLE", "DELETE"}


def _no_public_principals(args: ResourceValidationArgs, report: Report) -> None:
    for role, member in members(args.props):
        if member in PUBLIC_PRINCIPALS:
            report(f"member {member!r} holds {role}: anyone on the internet would. Remove it.")


def _least_privilege(args: ResourceValidationArgs, report: Report) -> None:
    allowed_bucket_roles = list(args.get_config().get("allowedBucketRoles", DEFAULT_BUCKET_ROLES))
    for role, member in members(args.props):
        if role is UNKNOWN:
            continue
        role_name = str(role)
        if role_name in BASIC_ROLES:
            report(f"role {role_name} is a basic role; grant a predefined role scoped to the resource instead.")
        elif args.resource_type in tokens.PROJECT_IAM:
            if role_name.startswith(("roles/storage.", "roles/cloudkms.")):
                report(f"role {role_name} is granted at project level; grant it on the bucket or key instead.")
            elif role_name in IMPERSONATION_ROLES:
                report(f"role {role_name} at project level lets {member} impersonate every service account.")
            elif (
                isinstance(member, str) and member.startswith("serviceAccount:") and role_name.lower().endswith("admin")
            ):
                report(
                    f"service account {member} holds the admin role {role_name}; runtime identities get no admin role."
                )
        elif args.resource_type in tokens.BUCKET_IAM and role_name not in allowed_bucket_roles:
            report(f"role {role_name} on a bucket is not one of {', '.join(allowed_bucket_roles)}.")


def _no_keys(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type == tokens.HMAC_KEY:
        report(
            "an HMAC key is a long-lived secret for a service account's Cloud Storage access; remove it and let "
            "workloads use their attached service account or Workload Identity Federation."
        )
    elif args.resource_type == tokens.SERVICE_ACCOUNT_KEY:
        report(
            "a user-managed service-account key is a long-lived secret; remove the Key and use Workload "
            "Identity Federation (SiteIdentities' pacs_federation) or an attached service account."
        )
    elif not is_set(args.props, "attributeCondition"):
        report(
            "attributeCondition is not set, so any identity of the external issuer could impersonate the "
            "site's accounts. Set it, for example \"assertion.sub == 'pacs-gateway-01'\"."
        )


def _default_accounts(args: StackValidationArgs, report: Report) -> None:
    found = [r for r in args.resources if r.resource_type == tokens.DEFAULT_SERVICE_ACCOUNTS]
    if not found:
        report(
            "no gcp.projects.DefaultServiceAccounts resource: the project's default service accounts keep "
            "the Editor role. Add one with action 'DEPRIVILEGE' (SiteIdentities does)."
        )
    for r in found:
        action = leaf(r.props, "action")
        if action is not UNKNOWN and action not in NEUTRALISED:
            report(f"DefaultServiceAccounts action is {action!r}; set it to 'DEPRIVILEGE'.", r.urn)


def _groups_not_users(args: ResourceValidationArgs, report: Report) -> None:
    for role, member in members(args.props):
        if isinstance(member, str) and member.startswith("user:"):
            report(
                f"member {member} grants {role} to one person; map a hospital group to a site role instead "
                "(group:<email>)."
            )


POLICIES = [
    resource_policy(
        name="gcp-iam-no-public-principals",
        control="IAM-03",
        description="No IAM grant in the stack names allUsers or allAuthenticatedUsers.",
        severity=Severity.CRITICAL,
        remediation="Remove allUsers and allAuthenticatedUsers; grant hospital groups or service accounts.",
        types=tokens.is_iam,
        check=_no_public_principals,
    ),
    resource_policy(
        name="gcp-iam-least-privilege-roles",
        control="IAM-04",
        description=(
            "No basic roles; no project-level storage, KMS or impersonation roles; no admin role for "
            "service accounts; buckets grant object read or create only."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Grant roles/storage.objectViewer (viewer) or roles/storage.objectCreator (PACS uploader) on the "
            "image bucket with a BucketIAMMember, and nothing at project level."
        ),
        types=tokens.is_iam,
        check=_least_privilege,
        config={"allowedBucketRoles": {"type": "array", "items": {"type": "string"}, "default": DEFAULT_BUCKET_ROLES}},
    ),
    resource_policy(
        name="gcp-serviceaccount-no-user-managed-keys",
        control="IAM-05",
        description="No service-account keys; federated identities are restricted by an attribute condition.",
        severity=Severity.CRITICAL,
        remediation=(
            "Delete gcp.serviceaccount.Key resources; authenticate the on-premises PACS through Workload "
            "Identity Federation with an attributeCondition on its provider."
        ),
        types=[tokens.SERVICE_ACCOUNT_KEY, tokens.HMAC_KEY, tokens.WORKLOAD_IDENTITY_POOL_PROVIDER],
        check=_no_keys,
    ),
    stack_policy(
        name="gcp-project-default-service-accounts-deprivileged",
        types=[tokens.DEFAULT_SERVICE_ACCOUNTS],
        control="IAM-06",
        description="The project's default service accounts are deprivileged.",
        severity=Severity.HIGH,
        remediation="Add gcp.projects.DefaultServiceAccounts(action='DEPRIVILEGE') for the site project.",
        check=_default_accounts,
    ),
    resource_policy(
        name="gcp-iam-groups-not-users",
        control="IAM-07",
        description="People get access through hospital groups mapped to site roles, never as user: members.",
        severity=Severity.HIGH,
        remediation="Replace user: members with a group: member and map the group in the stack's rbac setting.",
        types=tokens.is_iam,
        check=_groups_not_users,
    ),
]
