"""IAM: no public principals, least-privilege roles, no service-account keys, default SAs
deprivileged, people through groups only (IAM-03 to IAM-07).

Every IAM member, binding and policy resource of every service is read (``tokens.IAM_GRANTS``), and
every principal form is classified (see ``_principals``). Roles are judged by what they grant: custom
roles by their permissions (resolved in the stack; a custom role the stack does not declare is not
trusted), impersonation wherever it is granted, and each site identity and declared group against its
own allowlist. A condition only ever narrows a verdict when the pack can prove what it restricts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from imaging_policies import tokens
from imaging_policies._access import custom_roles
from imaging_policies._principals import (
    BASIC_ROLES,
    CREATE_OBJECTS,
    IMPERSONATION_ROLES,
    READ_OBJECTS,
    ROLE_PERMISSIONS,
    STORAGE_USAGE_LOG_WRITER,
    Kind,
    account_project,
    admits_any_subject,
    bucket_scope,
    dangerous,
    describe_condition,
    foreign_numbers,
    is_admin_role,
    is_custom_role,
    is_default_account,
    kind,
    numbered_members,
    project_number,
    site_project_number,
    workload_pool,
)
from imaging_policies._props import (
    UNKNOWN,
    as_str,
    bucket_name,
    grants,
    is_set,
    items,
    judge_grant_at_update,
    known,
    leaf,
)
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies._resolve import SiteProject, placed_in_site
from imaging_policies._site import (
    SITE_NAMESPACE,
    Principals,
    access_log_bucket,
    group_domains,
    site_logging,
    site_principals,
    site_project,
)

DEFAULT_BUCKET_ROLES = ["roles/storage.objectViewer", "roles/storage.objectCreator"]
NEUTRALISED = {"DEPRIVILEGE", "DISABLE", "DELETE"}
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
RUNTIME_PROJECT_ROLES = frozenset(
    {"roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/cloudtrace.agent"}
)
"""What a runtime identity may hold on the project: writing its own telemetry."""
SITE_ROLE_GRANTS: Mapping[str, Mapping[frozenset[str], frozenset[str]]] = {
    "reader": {tokens.OBJECT_STORE_IAM: frozenset({"roles/storage.objectViewer"})},
    "uploader": {tokens.OBJECT_STORE_IAM: frozenset({"roles/storage.objectCreator"})},
    "iap": {tokens.IAP_IAM: frozenset({"roles/iap.httpsResourceAccessor", "roles/iap.tunnelResourceAccessor"})},
    "siem": {tokens.SUBSCRIPTION_IAM: frozenset({"roles/pubsub.subscriber", "roles/pubsub.viewer"})},
    "auditor": {
        tokens.OBJECT_STORE_IAM: frozenset({"roles/storage.objectViewer"}),
        tokens.LOG_VIEW_IAM: frozenset({"roles/logging.viewAccessor"}),
    },
}
"""What a declared group may hold, by its site role (outside KMS, which ENC-07 judges). An ``auditor`` (the
security team) holds its bucket role on the site's access-log bucket only and its log-view role on the
security-log bucket's views only (see ``_auditor_bucket_problem`` and ``_log_view_problem``)."""
SITE_ROLE_PERMISSIONS = {"reader": READ_OBJECTS, "uploader": CREATE_OBJECTS, "auditor": READ_OBJECTS}
AUDITOR = "auditor"
LOG_READING_ROLES = frozenset(
    {
        "roles/logging.viewAccessor",
        "roles/logging.viewer",
        "roles/logging.privateLogViewer",
        "roles/logging.bucketWriter",
        "roles/storage.objectViewer",
        "roles/storage.legacyObjectReader",
    }
)
"""Roles a security team asks for to read logs: a finding about one proposes the ``auditor`` site role."""
SITE_ROLES_HINT = (
    "map it in the stack's rbac with the narrowest site role: reader (reads images), uploader (creates images) or "
    "auditor (the security team: reads the access-log and security-log buckets, never images)"
)
AUDITOR_HINT = (
    "to read logs, map the group as auditor in the stack's rbac: it reads the access-log bucket "
    "(roles/storage.objectViewer on it) and the security-log bucket's view (roles/logging.viewAccessor), never images"
)


# --- IAM-03 ---------------------------------------------------------------------------------------


def _no_public_principals(args: ResourceValidationArgs, report: Report) -> None:
    for role, member, _ in grants(args.props):
        if not isinstance(member, str):
            continue
        found = kind(member)
        if found is Kind.PUBLIC:
            report(f"member {member!r} holds {role}: anyone on the internet would. Remove it.")
        elif found is Kind.DOMAIN:
            report(
                f"member {member!r} holds {role}: every account of the domain would, not a site role. Grant a "
                "declared hospital group instead."
            )
        elif found is Kind.PRINCIPAL_SET:
            report(
                f"member {member!r} holds {role}: every identity of a pool or attribute set would, whatever its "
                "issuer admits. Grant one federated subject (principal://...) or a declared group instead."
            )
    judge_grant_at_update(args.props)  # an unknown principal: not judged in preview (judged at update), never met


# --- IAM-04 (per grant) ---------------------------------------------------------------------------


def _auditor_bucket_problem(role: str, member: str, bucket: Any) -> str | None:
    """An auditor reads the site's access-log bucket and no other: never an image bucket."""
    expected = access_log_bucket()
    if bucket is UNKNOWN:
        # the bucket is computed: which bucket the auditor reads is judged at update, never assumed
        raise UnknownValueError(UNKNOWN_STRING_VALUE, ["bucket"])
    name = bucket_name(bucket) if bucket is not None else None
    if expected is None or name != expected:
        return (
            f"group {member} has the site role auditor but holds {role} on bucket {name or '?'} (bucket); an auditor "
            f"reads the site's access-log bucket {expected or '<gcpProject>-<siteCode>-access-logs'} only, never "
            "images. Grant it on the access-log bucket instead, or remove the grant."
        )
    return None


def _bucket_role_problem(
    role: str, member: str, allowed: list[str], site: Principals, bucket: Any = None
) -> str | None:
    """What is wrong with ``member`` holding predefined ``role`` on a bucket or managed folder (``bucket``: the
    grant's bucket name, :data:`UNKNOWN` or ``None``), if anything."""
    m = member.lower()
    if m == site.viewer and role != "roles/storage.objectViewer":
        return f"the viewer identity {member} holds {role} on a bucket; it may only read (roles/storage.objectViewer)."
    if m == site.uploader and role != "roles/storage.objectCreator":
        return (
            f"the uploader identity {member} holds {role} on a bucket; it may only create "
            "(roles/storage.objectCreator)."
        )
    if m == STORAGE_USAGE_LOG_WRITER and role != "roles/storage.objectCreator":
        return f"{member} holds {role}; Google's usage-log writer only needs roles/storage.objectCreator."
    site_roles = site.groups.get(m)
    problem = _group_bucket_problem(role, member, site_roles, bucket) if site_roles is not None else None
    if problem is None and role not in allowed:
        problem = f"role {role} on a bucket is not one of {', '.join(allowed)}."
    return problem


def _group_bucket_problem(role: str, member: str, site_roles: frozenset[str], bucket: Any) -> str | None:
    """A declared group holds its site role's bucket role, and an auditor on the access-log bucket only."""
    wanted = {r for s in site_roles for r in SITE_ROLE_GRANTS.get(s, {}).get(tokens.OBJECT_STORE_IAM, ())}
    if role not in wanted:
        return (
            f"group {member} has the site role(s) {', '.join(sorted(site_roles))} but holds {role} on a bucket; "
            f"grant {' or '.join(sorted(wanted)) or 'nothing'} (or change its rbac entry to the narrowest site "
            "role that fits: reader reads images, uploader creates them, auditor reads the logs only)."
        )
    if site_roles == frozenset({AUDITOR}):
        return _auditor_bucket_problem(role, member, bucket)
    return None


def _service_account_problem(resource_type: str, role: str, member: str, site: Principals) -> str | None:
    m = member.lower()
    if is_default_account(member):
        return f"{member} is a default service account; grant a dedicated runtime identity instead."
    if m == site.siem_subscriber:
        if resource_type in tokens.SUBSCRIPTION_IAM:
            return None
        return f"the SIEM's identity {member} holds {role} outside the export subscription; remove it."
    project = account_project(member)
    if site.project and project and project != site.project.lower():
        return (
            f"{member} belongs to project {project!r}, not the site project {site.project!r}; another "
            "project's or site's workload may hold nothing here. Remove it."
        )
    return None


def _member_problem(
    resource_type: str, role: str, member: str, site: Principals, config: Mapping[str, Any]
) -> str | None:
    """What is wrong with the principal itself holding a role here (workloads of other projects, ...)."""
    found = kind(member)
    if found is Kind.SERVICE_ACCOUNT:
        return _service_account_problem(resource_type, role, member, site)
    if found is Kind.WORKLOAD and not (resource_type in tokens.SERVICE_ACCOUNT_IAM and role == WORKLOAD_IDENTITY_USER):
        return (
            f"the federated workload {member} holds {role}; a federated identity may only impersonate its site "
            f"account ({WORKLOAD_IDENTITY_USER} on the service account)."
        )
    if found is Kind.SERVICE_AGENT and "projectNumber" in config:
        number, wanted = project_number(member), str(config["projectNumber"]).removesuffix(".0")
        if number != wanted:
            return f"{member} is a service agent of project number {number}, not the site's ({wanted}); remove it."
    return None


def _identity_problem(resource_type: str, role: str, member: str, site: Principals) -> str | None:
    """What is wrong with a site identity or declared group holding ``role`` outside buckets and keys."""
    m = member.lower()
    if m in site.identities:
        if resource_type in tokens.HIERARCHY_IAM and role in RUNTIME_PROJECT_ROLES:
            return None
        if resource_type in tokens.SERVICE_ACCOUNT_IAM and role not in IMPERSONATION_ROLES:
            return None
        return (
            f"the site identity {member} holds {role}; runtime identities hold their bucket role and, on the "
            f"project, only {', '.join(sorted(RUNTIME_PROJECT_ROLES))}. Remove the grant."
        )
    site_roles = site.groups.get(m)
    if site_roles is None:
        return None
    wanted = {r for s in site_roles for t, rs in SITE_ROLE_GRANTS.get(s, {}).items() if resource_type in t for r in rs}
    if role not in wanted:
        hint = f"; {AUDITOR_HINT}" if role in LOG_READING_ROLES and AUDITOR not in site_roles else ""
        return (
            f"group {member} has the site role(s) {', '.join(sorted(site_roles))}, which do not include {role} on "
            f"{resource_type.rsplit(':', 1)[-1]}; grant what its site role needs only{hint}."
        )
    return None


_VIEW_NAME = re.compile(r"^(?P<parent>.+)/locations/(?P<location>[^/]+)/buckets/(?P<bucket>[^/]+)/views/[^/]+$")


def _view_bucket(props: Any) -> Any:
    """The log bucket a log-view grant reaches, as ``<parent>/locations/<location>/buckets/<bucket>``, the way
    the provider resolves it: a ``name`` in the full view form overrides ``parent``, ``location`` and ``bucket``
    (it is also the form the provider stores), else the three inputs as given
    (LoggingLogViewIamUpdaterProducer and GetResourceId in terraform-provider-google-beta
    google-beta/services/logging/iam_logging_log_view.go, 93c65b2d). :data:`UNKNOWN` when a part is unknown."""
    name = leaf(props, "name")
    if name is UNKNOWN:
        return UNKNOWN
    full = _VIEW_NAME.match(name) if isinstance(name, str) else None
    if full:
        return f"{full['parent']}/locations/{full['location']}/buckets/{full['bucket']}"
    bucket, parent, location = leaf(props, "bucket"), leaf(props, "parent"), leaf(props, "location")
    if UNKNOWN in (bucket, parent, location):
        return UNKNOWN
    return f"{parent}/locations/{location}/buckets/{bucket}"


def _log_view_problem(token: str, role: str, member: str, props: Any, site: Principals) -> str | None:
    """An auditor's log-view role reaches the security-log bucket's views only."""
    problem = _identity_problem(token, role, member, site)
    if problem or site.groups.get(member.lower()) != frozenset({AUDITOR}):
        return problem
    declared = site_logging().security_bucket
    expected = declared.removeprefix("logging.googleapis.com/") if declared else None
    bucket = _view_bucket(props)
    if bucket is UNKNOWN:
        raise UnknownValueError(UNKNOWN_STRING_VALUE, ["bucket"])
    if expected is None or bucket != expected:
        return (
            f"group {member} has the site role auditor but holds {role} on a view of log bucket {bucket} (bucket, "
            f"parent, location); an auditor reads the site's security-log bucket {expected or '?'} only. Grant it on "
            "that bucket's view instead, or remove the grant."
        )
    return None


def _hierarchy_problem(
    token: str, role: str, member: str, condition: Any, *, allowed: list[str], site: Principals
) -> str | None:
    """A role granted on a project, folder or organisation reaches every resource below it."""
    scope = bucket_scope(condition)
    if role.startswith("roles/storage.") and scope:
        return _bucket_role_problem(role, member, allowed, site, scope)
    if role.startswith(("roles/storage.", "roles/cloudkms.")):
        return (
            f"role {role} is granted at project level {describe_condition(condition)}; grant it on the "
            "bucket or key instead."
        )
    if role in IMPERSONATION_ROLES:
        return f"role {role} at project level lets {member} impersonate every service account."
    return _identity_problem(token, role, member, site)


def _grant_problem(
    args: ResourceValidationArgs, role: str, member: str, condition: Any, allowed: list[str]
) -> str | None:
    site, token = site_principals(), args.resource_type
    problem = _member_problem(token, role, member, site, args.get_config())
    if problem:
        return problem
    if token in tokens.HIERARCHY_IAM:
        problem = _hierarchy_problem(token, role, member, condition, allowed=allowed, site=site)
    elif token in tokens.SERVICE_ACCOUNT_IAM and role in IMPERSONATION_ROLES:
        account = as_str(leaf(args.props, "serviceAccountId")) or "?"
        # serviceAccountId is projects/<p>/serviceAccounts/<email>, or the bare email
        if f"serviceaccount:{account.rsplit('/', 1)[-1].lower()}" == site.viewer:
            problem = (
                f"role {role} on the viewer's service account lets {member} act as the viewer (and read every "
                "image); the viewer runs on Cloud Run and is impersonated by nobody. Remove the grant."
            )
        elif not (role == WORKLOAD_IDENTITY_USER and kind(member) is Kind.WORKLOAD):
            problem = (
                f"role {role} on service account {account} lets {member} act as it; only one federated workload "
                f"(principal://...) may, with {WORKLOAD_IDENTITY_USER}."
            )
    elif token in tokens.OBJECT_STORE_IAM:
        problem = _bucket_role_problem(role, member, allowed, site, leaf(args.props, "bucket"))
    elif token in tokens.LOG_VIEW_IAM:
        problem = _log_view_problem(token, role, member, args.props, site)
    elif token not in tokens.KMS_IAM:
        problem = _identity_problem(token, role, member, site)
    if problem is None and kind(member) in (Kind.SERVICE_ACCOUNT, Kind.SERVICE_AGENT) and is_admin_role(role):
        problem = f"service account {member} holds the admin role {role}; runtime identities get no admin role."
    return problem


def _custom_role_declared(args: ResourceValidationArgs, report: Report) -> None:
    """A custom role the stack declares may not carry what no site principal may hold, bound or not."""
    risky = dangerous(frozenset(p for p in items(args.props, "permissions") if isinstance(p, str)))
    if risky:
        report(
            f"custom role {as_str(leaf(args.props, 'roleId')) or '?'} grants {', '.join(risky)}; a site stack "
            "declares roles that read or create only. Remove those permissions from permissions."
        )


def _least_privilege(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type in tokens.CUSTOM_ROLES:
        _custom_role_declared(args, report)
        return
    allowed = list(args.get_config().get("allowedBucketRoles", DEFAULT_BUCKET_ROLES))
    for role, member, condition in grants(args.props):
        if not isinstance(role, str) or is_custom_role(role):
            continue  # custom roles: judged by their permissions in the stack (gcp-iam-custom-roles-and-federation)
        if role in BASIC_ROLES:
            report(f"role {role} is a basic role; grant a predefined role scoped to the resource instead.")
        elif isinstance(member, str):
            problem = _grant_problem(args, role, member, condition, allowed)
            if problem:
                report(problem)
        elif args.resource_type in tokens.HIERARCHY_IAM and role in IMPERSONATION_ROLES:
            report(f"role {role} at project level lets its members impersonate every service account.")
    judge_grant_at_update(args.props)  # an unknown role or principal: not judged in preview, never met


# --- IAM-04 (in the stack) ------------------------------------------------------------------------


def _custom_role_problem(
    token: str, member: Any, permissions: frozenset[str], condition: Any, site: Principals, *, bucket: Any = None
) -> str | None:
    risky = dangerous(permissions)
    if risky:
        return (
            f"grants {', '.join(risky)}; no workload or person of the site may hold that. Remove those "
            "permissions from the role's permissions, or grant a predefined read or create role."
        )
    scoped = bucket_scope(condition) is not None
    if (
        token in tokens.HIERARCHY_IAM
        and not scoped
        and any(p.startswith(("storage.", "cloudkms.")) for p in permissions)
    ):
        return (
            f"grants storage or KMS permissions at project level {describe_condition(condition)}; grant it on "
            "the bucket instead."
        )
    if token in tokens.OBJECT_STORE_IAM or (token in tokens.HIERARCHY_IAM and scoped):
        m = str(member).lower()
        wanted = READ_OBJECTS | CREATE_OBJECTS
        if m == site.viewer:
            wanted = ROLE_PERMISSIONS["roles/storage.objectViewer"]
        elif m in (site.uploader, STORAGE_USAGE_LOG_WRITER):
            wanted = ROLE_PERMISSIONS["roles/storage.objectCreator"]
        elif m in site.groups:
            wanted = frozenset().union(*(SITE_ROLE_PERMISSIONS.get(s, frozenset()) for s in site.groups[m]))
        extra = sorted(permissions - wanted)
        if extra:
            return (
                f"grants {', '.join(extra)} on a bucket to {member}, beyond what its site role reads or creates; "
                "remove them from the role's permissions."
            )
        if site.groups.get(m) == frozenset({AUDITOR}):
            where = bucket_scope(condition) if token in tokens.HIERARCHY_IAM else bucket
            problem = _auditor_bucket_problem("it", str(member), where)
            if problem:
                return f"reads objects of another bucket than the access-log bucket: {problem}"
    return None


def _pools(resources: list[PolicyResource]) -> tuple[set[str], set[str]]:
    names, ids = set(), set()
    for r in resources:
        if r.resource_type == tokens.WORKLOAD_IDENTITY_POOL:
            name, pool_id = leaf(r.props, "name"), leaf(r.props, "workloadIdentityPoolId")
            if isinstance(name, str):
                names.add(name.lower())
            if isinstance(pool_id, str):
                ids.add(pool_id.lower())
    return names, ids


def _in_stack(args: StackValidationArgs, report: Report) -> None:
    project = SiteProject(site_project(), site_project_number(args.resources, args.get_config())[0])
    roles = custom_roles(args.resources, project)
    site = site_principals()
    pool_names, pool_ids = _pools(args.resources)
    judged = tokens.IAM_GRANTS - tokens.KMS_IAM  # ENC-07 judges key grants
    for r in (r for r in args.resources if r.resource_type in judged):
        for role, member, condition in grants(r.props):
            if isinstance(role, str) and is_custom_role(role):
                permissions = roles.get(role.lower())
                if permissions is None:
                    report(
                        f"role {role} is a custom role the stack does not declare, so what it grants cannot be "
                        "judged; declare it in the stack (IAMCustomRole) or grant a predefined role.",
                        r.urn,
                    )
                elif permissions is not UNKNOWN:
                    problem = _custom_role_problem(
                        r.resource_type, member, permissions, condition, site, bucket=leaf(r.props, "bucket")
                    )
                    if problem:
                        report(f"custom role {role} held by {member} {problem}", r.urn)
            pool = workload_pool(member) if isinstance(member, str) else None
            if pool and pool not in pool_names and (pool_names or pool.rsplit("/", 1)[-1] not in pool_ids):
                report(
                    f"{member} is a subject of workload identity pool {pool}, which the stack does not declare; "
                    "federate through the site's own pool (SiteIdentities' pacs_federation).",
                    r.urn,
                )
    number, source = site_project_number(args.resources, args.get_config())
    for r, message in foreign_numbers(numbered_members(args.resources, judged), number, source):
        report(f"{message}; a workload of another project may hold nothing in the site. Remove the grant.", r.urn)
    for r in (r for r in args.resources if r.resource_type in tokens.CUSTOM_ROLES):
        # what a custom role grants, when unknown: not judged in preview (judged at update), never met
        if leaf(r.props, "permissions") is UNKNOWN:
            known(r.props, "permissions", resource=r.name)
        for index, permission in enumerate(items(r.props, "permissions")):
            if permission is UNKNOWN:
                known(r.props, "permissions", index, resource=r.name)


# --- IAM-05, IAM-06, IAM-07 -----------------------------------------------------------------------


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
    elif not is_set(args.props, "attributeCondition") or known(args.props, "attributeCondition") is None:
        report(
            "attributeCondition is not set, so any identity of the external issuer could impersonate the "
            "site's accounts. Set it, for example \"assertion.sub == 'pacs-gateway-01'\"."
        )
    else:
        condition = known(args.props, "attributeCondition")  # unknown: not judged in preview (judged at update)
        if isinstance(condition, str) and admits_any_subject(condition):
            report(
                f"attributeCondition {condition!r} admits any subject of the external issuer (it counts as no "
                "condition). Pin the subject with equality, for example \"assertion.sub == 'pacs-gateway-01'\"."
            )


def _default_accounts(args: StackValidationArgs, report: Report) -> None:
    site = SiteProject(site_project(), site_project_number(args.resources, args.get_config())[0])
    found = []
    for r in args.resources:
        if r.resource_type != tokens.DEFAULT_SERVICE_ACCOUNTS:
            continue
        placed = placed_in_site(r.props, site)
        if placed is None:  # a first preview: the project is judged at update
            known(r.props, "project", resource=r.name)
        if placed:
            found.append(r)
        else:
            report(
                f"DefaultServiceAccounts is for project {as_str(leaf(r.props, 'project')) or '(none)'}, not the site "
                f"project {site.id!r}: it does not deprivilege the site's default accounts. Set project.",
                r.urn,
            )
    if not found:
        report(
            "no gcp.projects.DefaultServiceAccounts resource: the project's default service accounts keep "
            "the Editor role. Add one with action 'DEPRIVILEGE' (SiteIdentities does)."
        )
    for r in found:
        action = known(r.props, "action", resource=r.name)  # unknown: not judged in preview, never met
        if action not in NEUTRALISED:
            report(f"DefaultServiceAccounts action is {action!r}; set it to 'DEPRIVILEGE'.", r.urn)


_PEOPLE_MESSAGES = {
    Kind.USER: "grants {role} to one person; map a hospital group to a site role instead (group:<email>).",
    Kind.PERSON: "grants {role} to one federated person; map a hospital group to a site role instead.",
    Kind.BASIC_ROLE_HOLDERS: "grants {role} to everyone holding a basic role on that project, not a site role; "
    "grant a declared hospital group instead.",
    Kind.DELETED: "grants {role} to a deleted principal; remove the grant.",
    Kind.OTHER: "is not a principal form the pack recognises; grant a declared hospital group or site identity.",
}


def _groups_not_users(args: ResourceValidationArgs, report: Report) -> None:
    site = site_principals()
    extra = {str(g).lower().removeprefix("group:") for g in args.get_config().get("additionalGroups", [])}
    for role, member, _ in grants(args.props):
        if not isinstance(member, str):
            continue
        found = kind(member)
        if found in _PEOPLE_MESSAGES:
            report(f"member {member} " + _PEOPLE_MESSAGES[found].format(role=role))
        elif found is Kind.GROUP:
            m = member.lower()
            if m in site.groups or m.removeprefix("group:") in extra:
                continue
            if m == STORAGE_USAGE_LOG_WRITER and args.resource_type in tokens.BUCKET_IAM:
                continue
            reads_logs = args.resource_type in tokens.LOG_VIEW_IAM or role in LOG_READING_ROLES - {
                "roles/storage.objectViewer"
            }
            if args.resource_type in tokens.OBJECT_STORE_IAM and role in LOG_READING_ROLES:
                reads_logs = bucket_name(leaf(args.props, "bucket")) == access_log_bucket()
            hint = AUDITOR_HINT if reads_logs else SITE_ROLES_HINT
            report(
                f"member {member} holds {role} but is not a group the site declares (rbac, viewer.iapGroups, "
                f"logging.siem.subscriber); {hint}; or remove the grant."
            )
    judge_grant_at_update(args.props)  # an unknown principal: not judged in preview (judged at update), never met


# --- IAM-12 ---------------------------------------------------------------------------------------


def _group_domains_declared(args: ResourceValidationArgs, report: Report) -> None:
    """Every group a grant names is of a domain the site declares (the directory its people sign in with)."""
    domains = group_domains(args.get_config())
    for role, member, _ in grants(args.props):
        # an unknown member is judged by IAM-07's and the preview rules like every other principal form
        if not isinstance(member, str) or kind(member) is not Kind.GROUP or domains.admits(member):
            continue
        if member.lower() == STORAGE_USAGE_LOG_WRITER and args.resource_type in tokens.BUCKET_IAM:
            continue  # Cloud Storage's own usage-log writer (LOG-02), judged by the log-bucket controls
        domain = member.rpartition("@")[2].lower()
        declared = ", ".join(sorted(domains.customers)) or "none"
        report(
            f"member {member} holds {role} but its domain {domain!r} is not one the site declares ({declared}, from "
            f"{domains.source}); a group of another directory is managed by people the site does not know. Grant a "
            f"group of a declared domain, or declare {domain} in {SITE_NAMESPACE}:groupDomains with its customer id."
        )


POLICIES = [
    resource_policy(
        name="gcp-iam-no-public-principals",
        control="IAM-03",
        description=(
            "No IAM grant of any service names allUsers, allAuthenticatedUsers, a whole domain or a principal set."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            "Remove allUsers, allAuthenticatedUsers, domain: and principalSet:// members; grant declared hospital "
            "groups, site service accounts or one federated subject."
        ),
        types=tokens.IAM_GRANTS,
        check=_no_public_principals,
    ),
    resource_policy(
        name="gcp-iam-least-privilege-roles",
        control="IAM-04",
        description=(
            "No basic roles; no custom role with IAM, impersonation, delete or key-destroy permissions; no "
            "project-level storage, KMS or impersonation roles unless provably scoped to one "
            "bucket; impersonation of service accounts only by one federated workload; no admin role for service "
            "accounts; no workloads of other projects; each site identity and declared group holds only its "
            "site role's grants."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Grant roles/storage.objectViewer (viewer) or roles/storage.objectCreator (PACS uploader) on the "
            "image bucket with a BucketIAMMember, and nothing at project level; the security team is an auditor "
            "(roles/storage.objectViewer on the access-log bucket, roles/logging.viewAccessor on the security-log "
            "bucket's view), never a reader of images."
        ),
        types=tokens.IAM_GRANTS | tokens.CUSTOM_ROLES,
        check=_least_privilege,
        config={
            "allowedBucketRoles": {"type": "array", "items": {"type": "string"}, "default": DEFAULT_BUCKET_ROLES},
            "projectNumber": {"type": "string", "pattern": "^[0-9]+$"},
        },
    ),
    stack_policy(
        name="gcp-iam-custom-roles-and-federation",
        control="IAM-04",
        description=(
            "Custom roles are judged by their permissions (an undeclared custom role is not trusted); federated "
            "subjects come from a pool in the stack; service agents and workloads belong to the site project."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Declare custom roles in the stack with read or create permissions only, federate through the site's "
            "pool, and grant nothing to another project's agents or workloads."
        ),
        check=_in_stack,
        types=tokens.IAM_GRANTS,  # key grants are ENC-07's (the check skips them); the family is declared whole
        config={"projectNumber": {"type": "string", "pattern": "^[0-9]+$"}},
    ),
    resource_policy(
        name="gcp-serviceaccount-no-user-managed-keys",
        control="IAM-05",
        description=(
            "No service-account keys; federated identities are restricted by an attribute condition that pins "
            "the subject."
        ),
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
        site_only=True,
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
        description=(
            "People get access only through the hospital groups the site declares: no user:, single federated "
            "person, projectOwner/Editor/Viewer:, deleted: or undeclared group: members."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Replace the member with a group: member and map the group in the stack's rbac setting with the narrowest "
            "site role: reader or uploader for images, auditor for the security team's reading of the logs."
        ),
        types=tokens.IAM_GRANTS,
        check=_groups_not_users,
        config={"additionalGroups": {"type": "array", "items": {"type": "string"}, "default": []}},
    ),
    resource_policy(
        name="gcp-iam-group-domains-declared",
        control="IAM-12",
        description=(
            "Every group an IAM grant names belongs to one of the domains the site declares (groupDomains), the "
            "directory whose customer ids the domain guard rail admits."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Grant a group of a declared domain, or add its domain with its Google Workspace or Cloud Identity "
            "customer id to the stack's imaging-landing-zone:groupDomains."
        ),
        types=tokens.IAM_GRANTS,
        check=_group_domains_declared,
        config={
            "groupDomains": {
                "type": "object",
                "additionalProperties": {"type": "string", "pattern": "^C[0-9a-z]{6,12}$"},
                "description": "Domain to customer id, instead of the stack's groupDomains.",
            }
        },
    ),
]
