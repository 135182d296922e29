"""Separation of duties, as facts the effective-access model and the duty policies share (IAM-15 to IAM-18).

Pure. Three things the allow grants alone do not say:

- **deny policies** (``gcp:iam/denyPolicy:DenyPolicy``): a denied permission is not held, whatever allow grant
  gives it (Google's evaluation: deny first, then allow). Read in the v2 form the API takes
  (``storage.googleapis.com/objects.get``) and turned into the v1 form the role table uses
  (``storage.objects.get``). A rule with a ``denialCondition`` is not applied (the pack cannot tell when it
  holds), an exception principal the pack cannot place exempts everyone (IAM-16 reports both);
- **grant limits**: a condition ``api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([...])``
  on a role that sets a project's, folder's or organisation's allow policy limits the roles its holder may
  grant there to that list; any other condition limits nothing the pack can prove;
- **reach**: what a member holds on a project or could grant itself there. Whoever holds any ``setIamPolicy``
  unlimited can grant itself any role on what that permission covers, so the pack counts every permission
  as within its reach (minus what a deny policy denies it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import unquote

from imaging_policies import tokens
from imaging_policies._principals import ROLE_PERMISSIONS
from imaging_policies._props import UNKNOWN, as_str, grants, items, leaf
from imaging_policies._resolve import SiteProject, principal

DENY_POLICY: Final = tokens.DENY_POLICY

DATA: Final[Mapping[str, frozenset[str]]] = {
    "read, write or delete objects (images, access logs)": frozenset(
        {
            "storage.objects.get",
            "storage.objects.list",
            "storage.objects.create",
            "storage.objects.delete",
            "storage.objects.update",
            "storage.objects.restore",
        }
    ),
    "encrypt or decrypt with a key": frozenset(
        {"cloudkms.cryptoKeyVersions.useToDecrypt", "cloudkms.cryptoKeyVersions.useToEncrypt"}
    ),
    "act with another account's credentials (its images and keys)": frozenset(
        {
            "iam.serviceAccounts.getAccessToken",
            "iam.serviceAccounts.getOpenIdToken",
            "iam.serviceAccounts.signBlob",
            "iam.serviceAccounts.signJwt",
            "iam.serviceAccounts.implicitDelegation",
            "iam.serviceAccountKeys.create",
        }
    ),
    "read the security logs or drain the SIEM subscription": frozenset(
        {
            "logging.views.access",
            "logging.privateLogEntries.list",
            "pubsub.subscriptions.consume",
            "pubsub.snapshots.seek",
        }
    ),
}
"""The data permissions nobody who deploys may reach: the bootstrap's deny policies deny exactly these (a test
holds the bootstrap's copy equal). The security logs are data too: whoever may pull and acknowledge the SIEM
subscription's messages (``consume``) deletes them from the SIEM, ``seek`` replays or skips them, and a view's
``access`` reads the security-log bucket (``logging.views.setIamPolicy``, which the deployer keeps to grant the
view, would otherwise let it grant itself that)."""

DATA_PERMISSIONS: Final = frozenset().union(*DATA.values())

IAM_ADMIN: Final = frozenset(
    {
        "resourcemanager.projects.setIamPolicy",
        "resourcemanager.folders.setIamPolicy",
        "resourcemanager.organizations.setIamPolicy",
    }
)
"""What makes a role an IAM-admin role: it sets who holds which role on a whole project, folder or organisation."""

DENY_ADMIN: Final = frozenset({"iam.denypolicies.create", "iam.denypolicies.update", "iam.denypolicies.delete"})
"""Whoever holds these can remove a deny policy."""

ROLE_ADMIN: Final = frozenset({"iam.roles.create", "iam.roles.update", "iam.roles.undelete"})
"""Whoever holds these can widen a custom role (its own included)."""

KEY_ADMINISTRATION: Final = frozenset(
    {
        "cloudkms.cryptoKeys.setIamPolicy",
        "cloudkms.keyRings.setIamPolicy",
        "cloudkms.cryptoKeyVersions.destroy",
        "cloudkms.cryptoKeyVersions.restore",
        "cloudkms.cryptoKeyVersions.update",
        "cloudkms.importJobs.create",
    }
)
"""Key administration: who may use a key, and a key version's life (disable, destroy, restore, import)."""

KEY_USE: Final = DATA["encrypt or decrypt with a key"]

_GRANT_LIMIT: Final = re.compile(
    r"""^\s*api\.getAttribute\(\s*(['"])iam\.googleapis\.com/modifiedGrantsByRole\1\s*,\s*\[\s*\]\s*\)"""
    r"""\s*\.hasOnly\(\s*\[(?P<roles>[^\]]*)\]\s*\)\s*$"""
)
_ROLE_LITERAL: Final = re.compile(r"""^\s*(['"])(?P<role>[^'"\s]+)\1\s*$""")

EVERYTHING: Final = frozenset().union(*ROLE_PERMISSIONS.values())
"""Every permission the pinned table knows: what an unlimited ``setIamPolicy`` may grant."""


def grant_limit(condition: object) -> frozenset[str] | None:
    """The roles a grant's condition limits ``modifiedGrantsByRole`` to, ``None`` if it limits nothing the pack
    can prove (no condition, another expression, or that form combined with anything else)."""
    text = as_str(condition)
    match = _GRANT_LIMIT.match(text or "")
    if match is None:
        return None
    listed = match.group("roles").strip()
    if not listed:
        return frozenset()
    roles = []
    for part in listed.split(","):
        literal = _ROLE_LITERAL.match(part)
        if literal is None:
            return None
        roles.append(literal.group("role"))
    return frozenset(roles)


# --- deny policies ----------------------------------------------------------------------------------

_EVERYONE: Final = "*"
_V2_PERMISSION: Final = re.compile(r"^(?P<service>[a-z0-9-]+)\.googleapis\.com/(?P<rest>[A-Za-z0-9.*]+)$")
_SERVICE_IDS: Final = {"cloudresourcemanager": "resourcemanager"}
"""Services whose v2 host differs from the v1 permission's prefix."""
_DENY_PARENT: Final = re.compile(
    r"^cloudresourcemanager\.googleapis\.com/(?P<kind>projects|folders|organizations)/(?P<id>[a-z0-9-]+)$"
)


def v1_permission(v2: str) -> str | None:
    """``storage.googleapis.com/objects.get`` -> ``storage.objects.get`` (``*`` kept); ``None`` if not that form."""
    match = _V2_PERMISSION.match(v2.strip())
    if match is None:
        return None
    service = _SERVICE_IDS.get(match.group("service"), match.group("service"))
    return f"{service}.{match.group('rest')}"


def deny_principal(v2: str) -> str | None:
    """A deny policy's principal as the model's member form; ``None`` for a form the pack cannot place."""
    text = v2.strip().lower()
    if text == "principalset://goog/public:all":
        return _EVERYONE
    if text.startswith("principalset://goog/group/"):
        return "group:" + text.removeprefix("principalset://goog/group/")
    if text.startswith("principal://goog/subject/"):
        return "user:" + text.removeprefix("principal://goog/subject/")
    member = principal(text) if text.startswith("principal://iam.googleapis.com/projects/") else None
    if member and member.startswith("serviceaccount:"):
        return member
    if text.startswith("principal://iam.googleapis.com/") and "/subject/" in text:
        return text  # a federated subject, as grants name it
    return None


def deny_parent(value: object) -> str | None:
    """A deny policy's attachment point (URL-encoded full resource name) as ``project:<id>``, ``folder:<id>`` or
    ``organization:<id>``; ``None`` if not readable."""
    text = as_str(value)
    if text is None:
        return None
    match = _DENY_PARENT.match(unquote(text).strip().lower())
    if match is None:
        return None
    kind = {"projects": "project", "folders": "folder", "organizations": "organization"}[match.group("kind")]
    return f"{kind}:{match.group('id')}"


def _matches(permission: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        if pattern == permission or (pattern.endswith("*") and permission.startswith(pattern[:-1])):
            return True
    return False


@dataclass(frozen=True)
class Denial:
    """One rule of a deny policy the pack can apply: who, which permissions (v1, ``*`` wildcards), where."""

    resource: str
    urn: str
    target: str
    """``project:<id>`` (lower-case; the site's id for its number), or ``folder:<id>``/``organization:<id>``,
    which the pack credits to no project: the site config declares no ancestry, so the pack cannot tell whether
    the folder or organisation is above the site project (a deny policy there protects nothing it can prove)."""
    principals: frozenset[str]
    permissions: frozenset[str]
    exception_principals: frozenset[str]
    exception_permissions: frozenset[str]
    exempts_anyone: bool = False
    """An exception principal the pack cannot place: it may exempt anyone."""

    def denies(self, member: str, permission: str) -> bool:
        if self.exempts_anyone or member in self.exception_principals:
            return False
        if member not in self.principals and _EVERYONE not in self.principals:
            return False
        return _matches(permission, self.permissions) and not _matches(permission, self.exception_permissions)


@dataclass
class Denials:
    """The deny rules of a stack, and what it could not read yet (a first preview)."""

    rules: list[Denial] = field(default_factory=list)
    unknown: list[tuple[str, str, str]] = field(default_factory=list)
    """(resource, urn, property) of each deny policy whose parent or rules are unknown."""

    def denied(self, member: str, permission: str, project: str) -> tuple[Denial, ...]:
        """The rules that deny ``permission`` to ``member`` on a resource of ``project`` (an id, lower-case): only
        rules attached to that project (a folder's or organisation's rule is not known to be above it)."""
        where = f"project:{project.lower()}"
        return tuple(d for d in self.rules if d.target == where and d.denies(member, permission))

    def remove(self, member: str, permissions: Iterable[str], project: str) -> frozenset[str]:
        """``permissions`` without those denied to ``member`` in ``project``."""
        return frozenset(p for p in permissions if not self.denied(member, p, project))


def denials(resources: Iterable[Any], site: SiteProject | None = None) -> Denials:
    """Every deny rule of the stack. A parent naming the site project by its number (``site``, through the
    resolver) is the site's id; a folder or organisation parent is kept as such and credited to no project."""
    found = Denials()
    for r in resources:
        if r.resource_type != DENY_POLICY:
            continue
        parent, rules = leaf(r.props, "parent"), leaf(r.props, "rules")
        if parent is UNKNOWN or rules is UNKNOWN:
            found.unknown.append((r.name, r.urn, "parent" if parent is UNKNOWN else "rules"))
            continue
        target = deny_parent(parent)
        if target is None:
            continue
        if target.startswith("project:"):
            named = target.removeprefix("project:")
            if site is not None and site.id and site.holds(named):
                named = site.id.lower()
            target = f"project:{named}"
        for index, _ in enumerate(items(r.props, "rules")):
            rule = leaf(r.props, "rules", index, "denyRule")
            if not isinstance(rule, Mapping) or leaf(rule, "denialCondition") is not None:
                continue
            values = {
                key: items(rule, key)
                for key in ("deniedPrincipals", "deniedPermissions", "exceptionPrincipals", "exceptionPermissions")
            }
            if any(UNKNOWN in v for v in values.values()):
                found.unknown.append((r.name, r.urn, "rules"))
                continue
            principals = {deny_principal(str(p)) for p in values["deniedPrincipals"]}
            exceptions = {deny_principal(str(p)) for p in values["exceptionPrincipals"]}
            permissions = {v1_permission(str(p)) for p in values["deniedPermissions"]}
            excepted = {v1_permission(str(p)) for p in values["exceptionPermissions"]}
            found.rules.append(
                Denial(
                    r.name,
                    r.urn,
                    target,
                    frozenset(p for p in principals if p),
                    frozenset(p for p in permissions if p),
                    frozenset(p for p in exceptions if p),
                    frozenset(p for p in excepted if p),
                    exempts_anyone=None in exceptions or None in excepted,
                )
            )
    return found


# --- reach on a project ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectGrant:
    """One (role, member) a project, folder or organisation IAM resource grants."""

    resource: str
    urn: str
    role: str
    member: str
    condition: object
    project: str
    """The project id it is made on (lower-case), ``*`` for a folder or organisation."""


def project_grants(resources: Iterable[Any]) -> tuple[list[ProjectGrant], list[tuple[str, str, str]]]:
    """Every grant on a project, folder or organisation of the stack, and each unknown value that hides one."""
    found: list[ProjectGrant] = []
    unknown: list[tuple[str, str, str]] = []
    for r in resources:
        if r.resource_type not in tokens.HIERARCHY_IAM:
            continue
        project = "*"
        if r.resource_type in tokens.PROJECT_IAM:
            value = leaf(r.props, "project")
            if value is UNKNOWN:
                unknown.append((r.name, r.urn, "project"))
                continue
            project = (as_str(value) or "").lower().removeprefix("projects/")
        for role, member, condition in grants(r.props):
            if role is UNKNOWN or member is UNKNOWN:
                unknown.append((r.name, r.urn, "member" if member is UNKNOWN else "role"))
                continue
            canonical = principal(member)
            if isinstance(role, str) and canonical:
                found.append(ProjectGrant(r.name, r.urn, role, canonical, condition, project))
    return found, unknown


def setter_scope(permission: str) -> str:
    """The permissions a holder of ``permission`` (a ``setIamPolicy``) may grant itself: a prefix. A project's,
    folder's or organisation's allow policy reaches every permission (``""``); a resource's reaches its own
    service's (a bucket's: ``storage.``; a service account's: ``iam.serviceAccount``)."""
    if permission in IAM_ADMIN:
        return ""
    if permission.startswith("iam.serviceAccounts."):
        return "iam.serviceAccount"
    if permission.startswith("iam.googleapis.com/"):
        return permission.rsplit(".", 1)[0]
    return permission.split(".", 1)[0] + "."


@dataclass(frozen=True)
class Reach:
    """What one member holds on one project, and what it could grant itself there."""

    member: str
    project: str
    held: Mapping[str, tuple[ProjectGrant, ...]]
    """Each permission held (before deny), with the grants that give it."""
    scopes: Mapping[str, tuple[ProjectGrant, ...]]
    """Prefixes of the permissions it may grant itself through an unlimited ``setIamPolicy``, with the grants."""
    grantable: Mapping[str, tuple[ProjectGrant, ...]]
    """The roles a grant limit lets it grant on the project, with the limited grants."""
    untrusted: tuple[ProjectGrant, ...]
    """Grants of roles whose permissions the pack cannot know (anything is within its reach)."""

    def within(self, permissions_of: Any, denied: Denials) -> dict[str, str]:
        """Each permission within its reach (held, or grantable to itself), not denied, with how it gets it.
        Denials do not count where it may lift them (``iam.denypolicies.*`` within reach), and a custom role it
        may widen (``iam.roles.update``) puts every permission within reach."""
        found: dict[str, str] = {p: f"{g[0].resource} ({g[0].role})" for p, g in self.held.items()}
        for g in self.untrusted:
            found.update(
                {p: f"{g.resource} ({g.role}, a role the pack cannot read)" for p in EVERYTHING if p not in found}
            )
        for prefix, by in sorted(self.scopes.items()):
            how = f"granting itself any role through {by[0].resource} ({by[0].role})"
            found.update({p: how for p in EVERYTHING if p.startswith(prefix) and p not in found})
        for role, by in sorted(self.grantable.items()):
            perms = permissions_of(role)
            how = f"granting itself {role} through {by[0].resource} ({by[0].role})"
            found.update({p: how for p in (EVERYTHING if perms is None else perms) if p not in found})
        if ROLE_ADMIN & set(found):
            how = f"widening a custom role ({sorted(ROLE_ADMIN & set(found))[0]})"
            found.update({p: how for p in EVERYTHING if p not in found})
        if DENY_ADMIN & set(found):
            return found
        keep = denied.remove(self.member, found, self.project)
        return {p: how for p, how in found.items() if p in keep}


def reaches(grant_list: Iterable[ProjectGrant], permissions_of: Any, *, projects: Iterable[str] = ()) -> list[Reach]:
    """Each member's reach on each project the grants name (a folder's or organisation's grant reaches all of
    them, and ``projects`` adds more). ``permissions_of(role)`` is the model's role table (``None``: unknown)."""
    grant_list = list(grant_list)
    named = {g.project for g in grant_list if g.project != "*"} | {p.lower() for p in projects}
    result: list[Reach] = []
    for project in sorted(named):
        mine = [g for g in grant_list if g.project in (project, "*")]
        for member in sorted({g.member for g in mine}):
            held: dict[str, list[ProjectGrant]] = {}
            scopes: dict[str, list[ProjectGrant]] = {}
            grantable: dict[str, list[ProjectGrant]] = {}
            untrusted: list[ProjectGrant] = []
            for g in (g for g in mine if g.member == member):
                perms = permissions_of(g.role)
                if perms is None:
                    untrusted.append(g)
                    continue
                for p in perms:
                    held.setdefault(p, []).append(g)
                limit = grant_limit(g.condition)
                for setter in sorted(p for p in perms if p.endswith(".setIamPolicy")):
                    if setter in IAM_ADMIN and limit is not None:
                        for role in limit:
                            grantable.setdefault(role, []).append(g)
                    else:
                        scopes.setdefault(setter_scope(setter), []).append(g)
            result.append(
                Reach(
                    member,
                    project,
                    {p: tuple(gs) for p, gs in sorted(held.items())},
                    {s: tuple(gs) for s, gs in scopes.items()},
                    {r: tuple(gs) for r, gs in grantable.items()},
                    tuple(untrusted),
                )
            )
    return result


OUTSIDE_TABLE: Final[Mapping[str, frozenset[str]]] = {
    "roles/dns.admin": frozenset(
        {"compute.networks.get", "compute.networks.list", "dns.*", "dns.managedZones.setIamPolicy"}
    ),
    "roles/dns.reader": frozenset({"compute.networks.get", "compute.networks.list", "dns.*.get", "dns.*.list"}),
}
"""Predefined roles of services outside the pinned table that a deployment identity holds, as Google's role
reference lists them (https://cloud.google.com/iam/docs/roles-permissions/dns, read 2026-12-07): Cloud DNS's
own permissions (``dns.*``, a wildcard here) and the networks they bind to; no IAM-admin, data or deny
permission. Only the duty controls read this; the access model keeps such roles untrusted."""


def role_table(resources: Iterable[Any], site: Any) -> Any:
    """``permissions_of(role)`` for the duty controls: the pinned table, the stack's custom roles, the roles
    above; ``None`` for a role the pack cannot read."""
    from imaging_policies._access import custom_roles, permissions_of

    custom = custom_roles(list(resources), site or SiteProject(None, None))

    def lookup(role: str) -> frozenset[str] | None:
        found = permissions_of(role, custom)
        return found if found is not None else OUTSIDE_TABLE.get(role)

    return lookup
