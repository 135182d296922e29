"""Separation of duties (IAM-15 to IAM-18): whoever can deploy or administer cannot reach the data.

- IAM-15: a role that sets a project's, folder's or organisation's allow policy is granted only with a
  condition that limits the roles its holder may grant (``modifiedGrantsByRole``), to roles that carry no
  data, IAM-admin, deny-admin or custom-role-admin permission and set no allow policy themselves;
- IAM-16: every deny policy is one the pack can apply (closed world): a readable attachment point on a project
  (a folder or organisation is not known to be above the site project: the site declares no ancestry), principals
  and permissions in forms it reads, no condition on a rule, no exception that exempts what it denies;
- IAM-17: nobody holds both key administration and the use of the same keys (deny policies applied);
- IAM-18: whoever may grant itself roles on a project (any ``setIamPolicy``) is denied there, by a deny policy
  of the stack on that project, every data permission within its reach: objects, the keys' use, other accounts'
  credentials, the security logs (the security-log view, the SIEM subscription).

The facts (data permissions, grant limits, deny rules, reach) are ``_duties``; docs/adr/0033.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from imaging_policies import tokens
from imaging_policies._duties import (
    DATA,
    DATA_PERMISSIONS,
    DENY_ADMIN,
    IAM_ADMIN,
    KEY_ADMINISTRATION,
    KEY_USE,
    ROLE_ADMIN,
    Denials,
    denials,
    deny_parent,
    deny_principal,
    grant_limit,
    project_grants,
    reaches,
    role_table,
    v1_permission,
)
from imaging_policies._principals import site_project_number
from imaging_policies._props import UNKNOWN, as_str, grants, items, known, leaf
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies._resolve import SiteProject, principal, project_of
from imaging_policies._site import site_project

LIMIT_FORM: Final = "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['<role>', ...])"
_FORBIDDEN_GRANTABLE: Final = IAM_ADMIN | DENY_ADMIN | ROLE_ADMIN | DATA_PERMISSIONS


def _skip(resource: str, prop: str) -> None:
    raise UnknownValueError(UNKNOWN_STRING_VALUE, [f"[{resource}]", prop])


def _lookup(args: StackValidationArgs) -> Any:
    return role_table(args.resources, SiteProject(site_project(), None))


def _denials(args: StackValidationArgs) -> Denials:
    """The stack's deny rules, a parent naming the site project by number read as its id (the resolver)."""
    number, _ = site_project_number(list(args.resources), args.get_config())
    return denials(args.resources, SiteProject(site_project(), number))


def _what(permissions: set[str] | frozenset[str]) -> str:
    """The data permissions named, by what they let one do."""
    parts = [f"{why} ({', '.join(sorted(permissions & perms))})" for why, perms in DATA.items() if permissions & perms]
    return "; ".join(parts)


# --- IAM-15 ---------------------------------------------------------------------------------------


def _admin_grants_limited(args: StackValidationArgs, report: Report) -> None:
    lookup = _lookup(args)
    found, unknown = project_grants(args.resources)
    for g in found:
        perms = lookup(g.role)
        where = "the organisation or folder" if g.project == "*" else f"project {g.project}"
        if perms is None:
            report(
                f"{g.resource} grants {g.role} to {g.member} on {where}, a role whose permissions the pack cannot "
                "read, so it cannot tell whether it sets the allow policy there. Grant a predefined role of the "
                "pinned table or a custom role the stack declares.",
                g.urn,
            )
            continue
        if not perms & IAM_ADMIN:
            continue
        limit = grant_limit(g.condition)
        if limit is None:
            report(
                f"{g.resource} grants {g.role}, which sets {where}'s allow policy, to {g.member} without a "
                "condition limiting the roles it may grant: it can grant itself any role, the data's included. "
                f"Set condition.expression to {LIMIT_FORM} (nothing else in the expression).",
                g.urn,
            )
            continue
        for role in sorted(limit):
            role_perms = lookup(role)
            if role_perms is None:
                problem = "a role whose permissions the pack cannot read"
            else:
                bad = sorted(role_perms & _FORBIDDEN_GRANTABLE) + sorted(
                    p for p in role_perms if p.endswith(".setIamPolicy") and p not in IAM_ADMIN
                )
                if not bad:
                    continue
                shown = ", ".join(bad[:4]) + (f" and {len(bad) - 4} more" if len(bad) > 4 else "")
                problem = f"a role that holds {shown}"
            report(
                f"{g.resource}'s condition.expression lets {g.member} grant {role} on {where}, {problem}: it could "
                "grant it to itself. Remove the role from the hasOnly list.",
                g.urn,
            )
    if unknown:
        _skip(unknown[0][0], unknown[0][2])


# --- IAM-16 ---------------------------------------------------------------------------------------


def _deny_readable(args: ResourceValidationArgs, report: Report) -> None:
    props = args.props
    parent = known(props, "parent")
    target = deny_parent(parent)
    if target is None:
        report(
            f"deny policy '{args.name}': parent {parent!r} is not the URL-encoded full name of a project, folder "
            "or organisation (cloudresourcemanager.googleapis.com%2Fprojects%2F<project>), so the pack cannot "
            "tell whom it protects. Set parent in that form."
        )
    elif not target.startswith("project:"):
        report(
            f"deny policy '{args.name}': parent {parent!r} is {_KIND[target.split(':', 1)[0]]}, and no site setting "
            "declares the site project's ancestry, so the pack cannot tell whether it is above the site project: "
            "it credits the policy with protecting no project. Attach it to the project it protects "
            "(cloudresourcemanager.googleapis.com%2Fprojects%2F<project id or number>)."
        )
    rules = items(props, "rules")
    if UNKNOWN in rules:
        known(props, "rules")
    if not rules:
        report(f"deny policy '{args.name}' has no rules: it denies nothing. Add rules[].denyRule.")
    for index, _ in enumerate(rules):
        _deny_rule(args, index, report)


_KIND: Final = {"folder": "a folder", "organization": "an organisation"}

_FORMS: Final = {
    "principal": (
        "principal://iam.googleapis.com/projects/-/serviceAccounts/<email>, principalSet://goog/group/<email> or "
        "principal://goog/subject/<email>."
    ),
    "permission": "the v2 form <service>.googleapis.com/<resource>.<verb>.",
}


def _deny_rule(args: ResourceValidationArgs, index: int, report: Report) -> None:
    """One rule of a deny policy: present, unconditional, every value readable, no exception for a denied one."""
    rule = leaf(args.props, "rules", index, "denyRule")
    at = f"rules[{index}].denyRule"
    if not isinstance(rule, Mapping):
        report(f"deny policy '{args.name}': {at} is missing, so the rule denies nothing. Set {at}.")
        return
    if leaf(rule, "denialCondition") is not None:
        report(
            f"deny policy '{args.name}': {at}.denialCondition makes the rule apply only sometimes, which the "
            "pack cannot evaluate, so it counts the rule as denying nothing. Remove denialCondition."
        )
    denied_principals: set[str] = set()
    for key in ("deniedPrincipals", "deniedPermissions", "exceptionPrincipals", "exceptionPermissions"):
        values = items(rule, key)
        if UNKNOWN in values:
            known(args.props, "rules", index, "denyRule", key)
        if key.startswith("denied") and not values:
            report(f"deny policy '{args.name}': {at}.{key} is empty, so the rule denies nothing. List them.")
        what = "principal" if key.endswith("Principals") else "permission"
        for value in values:
            text = as_str(value) or ""
            read = deny_principal(text) if what == "principal" else v1_permission(text)
            if read is None:
                report(
                    f"deny policy '{args.name}': {at}.{key} has {text!r}, a {what} form the pack cannot read, so "
                    f"it cannot tell what the rule does. Use {_FORMS[what]}"
                )
            elif key == "deniedPrincipals":
                denied_principals.add(read)
            elif key == "exceptionPrincipals" and (read in denied_principals or read == "*"):
                report(
                    f"deny policy '{args.name}': {at}.exceptionPrincipals exempts {text}, whom the rule denies: "
                    "the rule then denies it nothing. Remove the exception."
                )


# --- IAM-17 ---------------------------------------------------------------------------------------


def _scopes(args: StackValidationArgs, lookup: Any) -> tuple[dict[str, dict[str, dict[str, list[str]]]], Any]:
    """member -> ``admin``/``use`` -> key scope path -> the grants (names) giving it; and the first unknown."""
    held: dict[str, dict[str, dict[str, list[str]]]] = {}
    unknown = None
    for r in args.resources:
        t = r.resource_type
        if t in tokens.CRYPTO_KEY_IAM:
            prop = "cryptoKeyId"
        elif t in tokens.KEY_RING_IAM:
            prop = "keyRingId"
        elif t in tokens.PROJECT_IAM:
            prop = "project"
        else:
            continue
        target = leaf(r.props, prop)
        if target is UNKNOWN:
            unknown = unknown or (r.name, prop)
            continue
        text = (as_str(target) or "").lower()
        scope = (
            f"projects/{text.removeprefix('projects/')}" if prop == "project" else text.split("/cryptokeyversions/")[0]
        )
        for role, member, _ in grants(r.props):
            if role is UNKNOWN or member is UNKNOWN:
                unknown = unknown or (r.name, "member" if member is UNKNOWN else "role")
                continue
            perms = lookup(role) if isinstance(role, str) else None
            canonical = principal(member)
            if perms is None or canonical is None:
                continue
            for duty, wanted in (("admin", KEY_ADMINISTRATION), ("use", KEY_USE)):
                if perms & wanted:
                    held.setdefault(canonical, {}).setdefault(duty, {}).setdefault(scope, []).append(
                        f"{r.name} ({role})"
                    )
    return held, unknown


def _overlap(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _keys_apart(args: StackValidationArgs, report: Report) -> None:
    lookup = _lookup(args)
    held, unknown = _scopes(args, lookup)
    denied = _denials(args)
    urns = {r.name: r.urn for r in args.resources}
    for member, duties in sorted(held.items()):
        for use_scope, users in sorted(duties.get("use", {}).items()):
            project = project_of(use_scope) or ""
            if not denied.remove(member, KEY_USE, project):
                continue
            for admin_scope, admins in sorted(duties.get("admin", {}).items()):
                if _overlap(use_scope, admin_scope):
                    report(
                        f"{member} administers the keys of {admin_scope} ({', '.join(admins)}) and uses the keys of "
                        f"{use_scope} ({', '.join(users)}): one identity could re-key, destroy or re-grant a key "
                        "and read what it protects. Give key administration (roles/cloudkms.admin) to a key "
                        "administrators' group that uses no key, or deny it the use with a deny policy "
                        "(deniedPermissions cloudkms.googleapis.com/cryptoKeyVersions.useToDecrypt).",
                        urns.get(admins[0].split(" ", 1)[0]),
                    )
    _unknown_denials(denied)
    if unknown:
        _skip(*unknown)


def _unknown_denials(denied: Denials) -> None:
    if denied.unknown:
        name, _, prop = denied.unknown[0]
        _skip(name, prop)


# --- IAM-18 ---------------------------------------------------------------------------------------


def _grant_capable_denied_data(args: StackValidationArgs, report: Report) -> None:
    lookup = _lookup(args)
    found, unknown = project_grants(args.resources)
    denied = _denials(args)
    for reach in reaches(found, lookup):
        if not (reach.scopes or reach.grantable or reach.untrusted):
            continue
        within = reach.within(lookup, denied)
        data = set(within) & DATA_PERMISSIONS
        if not data:
            continue
        first = next(iter(reach.scopes.values()), None) or next(iter(reach.grantable.values()), None)
        grant = first[0] if first else reach.untrusted[0]
        lifted = DENY_ADMIN & set(within)
        how = sorted({within[p] for p in data})[0]
        report(
            f"{reach.member} may grant itself roles on project {reach.project} ({how}), so it can "
            f"{_what(data)}"
            + (f"; it can also lift deny policies ({', '.join(sorted(lifted))})" if lifted else "")
            + ". Deny it those permissions with a deny policy on the project (gcp:iam/denyPolicy:DenyPolicy "
            "rules[].denyRule.deniedPrincipals and deniedPermissions), or remove the grant.",
            grant.urn,
        )
    _unknown_denials(denied)
    if unknown:
        _skip(unknown[0][0], unknown[0][2])


POLICIES = [
    stack_policy(
        name="gcp-iam-admin-grants-limited-roles",
        control="IAM-15",
        description=(
            "A role that sets a project's, folder's or organisation's allow policy is granted only with a "
            "modifiedGrantsByRole condition that limits the roles its holder may grant to roles without data, "
            "IAM-admin, deny-admin or custom-role-admin permissions."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            f"Set the grant's condition.expression to {LIMIT_FORM}, listing only roles that read or write no data "
            "and grant nothing; a site grants roles on the resource, never on the project, so the list is usually "
            "empty."
        ),
        check=_admin_grants_limited,
        types=tokens.HIERARCHY_IAM,
    ),
    resource_policy(
        name="gcp-iam-deny-policy-readable",
        control="IAM-16",
        description=(
            "Every IAM deny policy is attached to a project and names its principals and permissions in forms the "
            "pack reads, has no conditional rule and exempts nobody it denies."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Set parent to cloudresourcemanager.googleapis.com%2Fprojects%2F<project>; list deniedPrincipals as "
            "principal://iam.googleapis.com/projects/-/serviceAccounts/<email> or principalSet://goog/group/<email> "
            "and deniedPermissions as <service>.googleapis.com/<resource>.<verb>; drop denialCondition and any "
            "exceptionPrincipals that name a denied principal."
        ),
        types=[tokens.DENY_POLICY],
        check=_deny_readable,
    ),
    stack_policy(
        name="gcp-kms-key-admin-apart-from-use",
        control="IAM-17",
        description=(
            "Nobody holds both key administration (a key's or key ring's IAM, a version's disable, destroy, "
            "restore or import) and the use of the same keys, after every deny policy of the stack."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            "Grant roles/cloudkms.admin to a key administrators' group only, never to an identity that encrypts "
            "or decrypts, and deny that group the keys' use with a deny policy "
            "(cloudkms.googleapis.com/cryptoKeyVersions.useToDecrypt and useToEncrypt)."
        ),
        check=_keys_apart,
        types=tokens.KMS_IAM | tokens.PROJECT_IAM,
    ),
    stack_policy(
        name="gcp-iam-grant-capable-denied-data",
        control="IAM-18",
        description=(
            "Whoever may grant itself roles on a project (any setIamPolicy there) is denied, by a deny policy of "
            "the stack on that project, every data permission within its reach: objects, the keys' use, other "
            "accounts' credentials, the security logs."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            "Add a deny policy on the project (gcp:iam/denyPolicy:DenyPolicy) whose rule denies the identity "
            "storage.googleapis.com/objects.get, .list, .create, .delete, .update, .restore, "
            "cloudkms.googleapis.com/cryptoKeyVersions.useToDecrypt and .useToEncrypt, and "
            "iam.googleapis.com/serviceAccounts.getAccessToken, .getOpenIdToken, .signBlob, .signJwt, "
            ".implicitDelegation and serviceAccountKeys.create, logging.googleapis.com/views.access and "
            "privateLogEntries.list, pubsub.googleapis.com/subscriptions.consume and snapshots.seek."
        ),
        check=_grant_capable_denied_data,
        types=tokens.HIERARCHY_IAM,
    ),
]
