"""What an IAM member, a role and a condition mean, whatever form they are written in.

Principal forms (https://cloud.google.com/iam/docs/principal-identifiers) and the control each breaks:

| Form | Kind | Control |
|---|---|---|
| ``allUsers``, ``allAuthenticatedUsers``, ``principalSet://goog/public:all`` | public | IAM-03 (ENC-06 on keys) |
| ``domain:<d>`` | everyone of a domain | IAM-03 |
| ``principalSet://...`` (a pool, an attribute value, a group of a pool) | unbounded set | IAM-03 |
| ``user:``, ``principal://`` of a workforce pool or ``goog/subject`` | one person | IAM-07 |
| ``group:`` not declared in ``rbac``, ``viewer.iapGroups``, ``logging.siem.subscriber`` | people | IAM-07 |
| ``group:`` of a domain not in ``groupDomains`` | people of another directory | IAM-12 |
| ``projectOwner:``/``projectEditor:``/``projectViewer:`` | holders of a basic role | IAM-07 |
| ``deleted:...`` | a dangling grant | IAM-07 |
| ``serviceAccount:`` of another project, default compute/App Engine accounts | workload | IAM-04 |
| ``serviceAccount:`` Google service agent of another project number | workload | IAM-04 / ENC-07 |
| ``principal://.../workloadIdentityPools/.../subject/<s>`` | one federated workload | IAM-04 (only WIF user) |

Members are compared case-insensitively (the API accepts ``serviceAccount:`` emails in any case).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from enum import Enum
from typing import Any, Final

from pulumi_policy import PolicyResource

from imaging_policies import tokens
from imaging_policies._props import PUBLIC_PRINCIPALS, as_str, grants, leaf
from imaging_policies._resolve import AGENT, DEFAULT_ACCOUNT, principal, principal_project
from imaging_policies._role_permissions import ROLES
from imaging_policies._site import site_project


class Kind(Enum):
    PUBLIC = "public"
    DOMAIN = "domain"
    PRINCIPAL_SET = "principal set"
    USER = "user"
    PERSON = "person"
    GROUP = "group"
    BASIC_ROLE_HOLDERS = "basic-role holders"
    DELETED = "deleted principal"
    SERVICE_ACCOUNT = "service account"
    SERVICE_AGENT = "service agent"
    WORKLOAD = "federated workload"
    OTHER = "unrecognised"


_PUBLIC_LOWER: Final = frozenset(p.lower() for p in PUBLIC_PRINCIPALS) | {"principalset://goog/public:all"}
_AGENT: Final = AGENT
# Default accounts: every workload of the project could run as them (IAM-06 deprivileges them).
_DEFAULT_ACCOUNT: Final = DEFAULT_ACCOUNT
_USER_ACCOUNT: Final = re.compile(r"^serviceaccount:[a-z0-9-]+@[a-z0-9.-]+\.iam\.gserviceaccount\.com$")
_WORKLOAD: Final = re.compile(
    r"^principal://iam\.googleapis\.com/projects/(?P<number>[^/]+)/locations/global/workloadidentitypools/"
    r"(?P<pool>[^/]+)/subject/(?P<subject>.+)$"
)
_POOL_SET: Final = re.compile(r"^principalset://iam\.googleapis\.com/projects/(?P<number>\d+)/")
STORAGE_USAGE_LOG_WRITER: Final = "group:cloud-storage-analytics@google.com"
"""Google's group that writes usage logs into an access-log bucket (``roles/storage.objectCreator``)."""


_PREFIXES: Final = (
    ("deleted:", Kind.DELETED),
    ("domain:", Kind.DOMAIN),
    ("principalset://", Kind.PRINCIPAL_SET),
    ("user:", Kind.USER),
    ("group:", Kind.GROUP),
    ("projectowner:", Kind.BASIC_ROLE_HOLDERS),
    ("projecteditor:", Kind.BASIC_ROLE_HOLDERS),
    ("projectviewer:", Kind.BASIC_ROLE_HOLDERS),
)


def kind(member: str) -> Kind:
    """The kind of principal an IAM member string names, in its canonical form (``_resolve.principal``: a
    service account's ``principal://.../serviceAccounts/<email>`` is the account, a GKE workload identity
    ``serviceAccount:<p>.svc.id.goog[<ns>/<ksa>]`` a federated workload of the project's GKE pool)."""
    m = principal(member) or member.lower()
    if m in _PUBLIC_LOWER:
        return Kind.PUBLIC
    found = next((k for prefix, k in _PREFIXES if m.startswith(prefix)), None)
    if found is None and _WORKLOAD.match(m):
        found = Kind.WORKLOAD
    elif found is None and m.startswith("principal://"):
        found = Kind.PERSON  # a workforce-pool subject or a Google account: one person
    elif found is None and _AGENT.match(m):
        found = Kind.SERVICE_AGENT
    elif found is None and m.startswith("serviceaccount:"):
        found = Kind.SERVICE_ACCOUNT
    return found or Kind.OTHER


def project_number(member: str) -> str | None:
    """The project number a service agent, federated workload or pool set belongs to, if it names one (a GKE
    workload's pool names its project by id: no number)."""
    m = principal(member) or member.lower()
    agent = _AGENT.match(m)
    if agent:
        return agent.group("number") or agent.group("writer") or agent.group("apis")
    for pattern in (_WORKLOAD, _POOL_SET):
        match = pattern.match(m)
        if match and match.group("number").isdigit():
            return match.group("number")
    return None


def workload_pool(member: str) -> str | None:
    """``projects/<n>/locations/global/workloadIdentityPools/<pool>`` of a federated workload member."""
    match = _WORKLOAD.match(principal(member) or member.lower())
    if match is None:
        return None
    return f"projects/{match.group('number')}/locations/global/workloadidentitypools/{match.group('pool')}"


def account_project(member: str) -> str | None:
    """The project id of a user-managed service account (``<id>@<project>.iam.gserviceaccount.com``; a
    domain-scoped project's ``<id>@<project>.<domain>.iam.gserviceaccount.com`` is ``<domain>:<project>``),
    in any form the resolver reads (``_resolve.principal_project``)."""
    m = principal(member) or member.lower()
    return principal_project(m) if _USER_ACCOUNT.match(m) and kind(m) is Kind.SERVICE_ACCOUNT else None


def is_default_account(member: str) -> bool:
    return bool(_DEFAULT_ACCOUNT.match(member.lower()))


# --- project numbers: the site's, and the members of another project --------------------------------


def site_project_number(resources: list[PolicyResource], config: Mapping[str, Any]) -> tuple[str | None, str]:
    """The site project's number: the policy's ``projectNumber`` config, else what GCP reports for the
    stack's resources of the site project (a bucket's ``projectNumber``, a workload identity pool's name),
    else (a first preview) the number the numbered members of the stack's grants share (most of them, if they
    differ)."""
    if "projectNumber" in config:
        return str(config["projectNumber"]).removesuffix(".0"), "the policy's projectNumber config"
    project = site_project()
    for r in resources:
        if as_str(leaf(r.props, "project")) != project:
            continue
        if r.resource_type == tokens.BUCKET:
            number = leaf(r.props, "projectNumber")
            if isinstance(number, (int, float)) and number > 0:
                return str(int(number)), f"bucket {r.name!r}'s projectNumber"
        if r.resource_type == tokens.WORKLOAD_IDENTITY_POOL:
            name = as_str(leaf(r.props, "name")) or ""
            if name.startswith("projects/") and name.split("/")[1].isdigit():
                return name.split("/")[1], f"workload identity pool {r.name!r}'s name"
    # A first preview: nothing reports it yet, so the numbered members of every grant must agree on one.
    counts = Counter(number for _, _, number in numbered_members(resources, tokens.IAM_GRANTS))
    if len(counts) > 1:
        return counts.most_common(1)[0][0], "the number most members of the stack use"
    if counts:
        return next(iter(counts)), "the one number the members of the stack use"
    return None, "nothing in the stack reports it yet"


def numbered_members(resources: list[PolicyResource], types: frozenset[str]) -> list[tuple[PolicyResource, str, str]]:
    """(grant, member, project number) for every member of ``types`` grants that names a project number."""
    found = []
    for r in resources:
        if r.resource_type in types:
            for _, member, _ in grants(r.props):
                number = project_number(member) if isinstance(member, str) else None
                if number:
                    found.append((r, member, number))
    return found


def foreign_numbers(
    numbered: list[tuple[PolicyResource, str, str]], site_number: str | None, source: str
) -> list[tuple[PolicyResource, str]]:
    """(grant, message) for each member of another project than the site's."""
    return [
        (r, f"{member} belongs to project number {number}, not the site project's {site_number} (from {source})")
        for r, member, number in numbered
        if site_number is not None and number != site_number
    ]


# --- roles: what they grant -----------------------------------------------------------------------

BASIC_ROLES: Final = frozenset({"roles/owner", "roles/editor", "roles/viewer"})
IMPERSONATION_ROLES: Final = frozenset(
    {
        "roles/iam.serviceAccountUser",
        "roles/iam.serviceAccountTokenCreator",
        "roles/iam.workloadIdentityUser",
        "roles/iam.serviceAccountOpenIdTokenCreator",
        "roles/iam.serviceAccountKeyAdmin",
        "roles/iam.serviceAccountAdmin",
    }
)
KEY_USE_ROLES: Final = frozenset(
    {
        "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        "roles/cloudkms.cryptoKeyEncrypter",
        "roles/cloudkms.cryptoKeyDecrypter",
    }
)
ROLE_PERMISSIONS: Final[Mapping[str, frozenset[str]]] = {role: frozenset(p.split()) for role, p in ROLES.items()}
"""Every predefined role of the pinned, dated table (``_role_permissions``) to its permissions."""
READ_OBJECTS: Final = ROLE_PERMISSIONS["roles/storage.objectViewer"]
"""The permissions of ``roles/storage.objectViewer``."""
CREATE_OBJECTS: Final = ROLE_PERMISSIONS["roles/storage.objectCreator"]
"""The permissions of ``roles/storage.objectCreator``."""

_DANGEROUS: Final = (
    (re.compile(r"\.setIamPolicy$"), "changes who has access"),
    (
        re.compile(
            r"^iam\.serviceAccounts\.(actAs|getAccessToken|getOpenIdToken|implicitDelegation|signBlob|signJwt)$"
        ),
        "impersonates service accounts",
    ),
    (re.compile(r"^iam\.serviceAccountKeys\.create$"), "creates service-account keys"),
    (re.compile(r"^storage\.(objects\.(delete|update)|buckets\.(delete|update))$"), "deletes or rewrites data"),
    (re.compile(r"^cloudkms\.cryptoKeyVersions\.(destroy|update|restore)$"), "destroys or disables key versions"),
    (re.compile(r"^cloudkms\.cryptoKeys\.update$"), "changes a key's rotation and primary version"),
    (re.compile(r"^iam\.roles\.(create|update)$"), "rewrites roles"),
    (re.compile(r"^logging\.(sinks|buckets|exclusions)\.(create|update|delete)$"), "changes where logs go"),
)


def dangerous(permissions: frozenset[str]) -> list[str]:
    """``'<permission> (<what it does>)'`` for every permission that no workload or person may hold."""
    found = []
    for permission in sorted(permissions):
        for pattern, meaning in _DANGEROUS:
            if pattern.search(permission):
                found.append(f"{permission} ({meaning})")
                break
    return found


def is_custom_role(role: str) -> bool:
    return bool(re.match(r"^(projects|organizations)/[^/]+/roles/[^/]+$", role))


def is_admin_role(role: str) -> bool:
    """A predefined role that administers something (``*.admin``, ``*Admin``, owners of IAM)."""
    last = role.rsplit(".", 1)[-1].lower()
    return last.endswith("admin") or role in {"roles/iam.securityAdmin", "roles/resourcemanager.projectIamAdmin"}


# --- conditions -----------------------------------------------------------------------------------

_TRUE_FORMS: Final = (
    re.compile(r"^\(*\s*true\s*\)*$"),
    re.compile(r"^(?P<a>[\w.'\"]+)\s*==\s*(?P=a)$"),  # 1 == 1, 'a' == 'a', x == x (the whole term)
    re.compile(r"^request\.time\s*>=?\s*timestamp\(\s*['\"](19[0-9]{2}|200[0-9])-"),
    re.compile(r"^!\s*false$"),
    re.compile(r"\.startsWith\(\s*(''|\"\")\s*\)$"),
    re.compile(r"\.(endsWith|contains|matches)\(\s*(''|\"\"|'\.\*'|\"\.\*\")\s*\)$"),
    re.compile(r"!=\s*(''|\"\")$"),
)
_BUCKET_SCOPE: Final = re.compile(
    r"^resource\.name\s*(?P<op>==\s*|\.startsWith\(\s*)['\"]projects/_/buckets/(?P<bucket>[a-z0-9][a-z0-9._-]{1,221})"
    r"(?P<rest>/[^'\"]*)?['\"]\s*\)?$"
)


def always_true(expression: str) -> bool:
    """Whether a CEL condition is one of the forms that hold for every request (``true``, ``1 == 1``, a time
    in the past, a match against the empty string); a disjunction with such a term is always true too."""
    terms = [t.strip() for t in expression.split("||")]
    return any(any(form.search(t) for form in _TRUE_FORMS) for t in terms if t)


def bucket_scope(expression: object) -> str | None:
    """The one bucket a condition provably restricts a grant to, else ``None``.

    Conservative: only a conjunction (``&&``, no ``||`` and no ``!``) with a term ``resource.name ==`` or
    ``resource.name.startsWith(`` ``'projects/_/buckets/<bucket>'`` or ``'projects/_/buckets/<bucket>/...'``
    counts; any other condition (including one that is always true) counts as no condition."""
    if not isinstance(expression, str) or "||" in expression or "!" in expression.replace("!=", ""):
        return None
    for term in (t.strip().strip("()").strip() for t in expression.split("&&")):
        match = _BUCKET_SCOPE.match(term)
        if match is None:
            continue
        rest, prefix = match.group("rest"), match.group("op").startswith(".")
        # a prefix must end the bucket name ('.../buckets/images' also starts '.../buckets/images-copy')
        if (rest is None and not prefix) or (rest is not None and (rest == "/" or rest.startswith("/objects/"))):
            return match.group("bucket")
    return None


def describe_condition(expression: object) -> str:
    """How a finding names a grant's condition."""
    if not isinstance(expression, str) or not expression.strip():
        return "without a condition"
    if always_true(expression):
        return f"with condition {expression!r}, which is always true (counts as no condition)"
    return f"with condition {expression!r}, which does not restrict the grant to one bucket"


_CLAIM: Final = (
    r"""(?P<lhs>assertion\s*(?:\.\s*[A-Za-z_]\w*|\[\s*['"][^'"]+['"]\s*\])"""
    r"""|google\.subject|attribute\.[A-Za-z_]\w*)"""
)
_LITERAL: Final = r"""['"](?P<value>[^'"\\]+)['"]"""
_LITERALS: Final = r"""(?P<values>['"][^'"\\]+['"](?:\s*,\s*['"][^'"\\]+['"])*)"""
_EQUALITY: Final = (
    re.compile(rf"^{_CLAIM}\s*==\s*{_LITERAL}$"),
    re.compile(rf"^{_LITERAL}\s*==\s*{_CLAIM}$"),
    re.compile(rf"^{_CLAIM}\s+in\s*\[\s*{_LITERALS}\s*\]$"),
)


def claim_equality(term: str) -> tuple[str, tuple[str, ...]] | None:
    """A condition term that compares a claim (``assertion.<claim>``, ``assertion['<claim>']``,
    ``google.subject`` or ``attribute.<name>``) for equality with non-empty literals, in either operand order
    (``claim == 'x'``, ``'x' == claim``, ``claim in ['x', ...]``): the claim without blanks and the literals;
    ``None`` for any other term. The one reader of such terms for IAM-05 and IAM-14."""
    for pattern in _EQUALITY:
        match = pattern.match(term.strip())
        if match is None:
            continue
        groups = match.groupdict()
        values = (
            (groups["value"],)
            if groups.get("value") is not None
            else tuple(re.findall(r"""['"]([^'"\\]+)['"]""", groups["values"]))
        )
        return re.sub(r"\s+", "", match.group("lhs")), values
    return None


def admits_any_subject(condition: str) -> bool:
    """Whether a federation provider's ``attributeCondition`` fails to pin the external identity.

    Conservative: the condition must be a conjunction (no ``||``) with at least one term comparing a claim
    for equality with non-empty literals (:func:`claim_equality`). ``true``, ``assertion.sub != ''``,
    ``assertion.sub.startsWith('')`` and every other shape admit any subject the issuer signs."""
    if "||" in condition or always_true(condition):
        return True
    terms = [t.strip().strip("()").strip() for t in condition.split("&&")]
    return not any(claim_equality(t) for t in terms)


# --- KMS resource ids -----------------------------------------------------------------------------

# The provider accepts a key as projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>, <p>/<l>/<r>/<k>
# or <l>/<r>/<k> (the provider's project); key rings likewise (terraform-provider-google
# google/services/kms/kms_utils.go, parseKmsCryptoKeyId / parseKmsKeyRingId).
_KEY_PATH: Final = re.compile(
    r"^(?:projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/keyRings/(?P<ring>[^/]+)"
    r"(?:/cryptoKeys/(?P<key>[^/]+))?(?:/cryptoKeyVersions/\d+)?)$"
)


def key_location(value: str, *, key: bool) -> tuple[str | None, str] | None:
    """(project or ``None`` for the provider's, location) of a key (``key``) or key-ring id, else ``None``."""
    text = value.strip().removeprefix("//cloudkms.googleapis.com/")
    match = _KEY_PATH.match(text)
    if match:
        return match.group("project"), match.group("location")
    parts = text.split("/")
    wanted = 3 if key else 2
    if len(parts) == wanted + 1 and all(parts):
        return parts[0], parts[1]
    if len(parts) == wanted and all(parts):
        return None, parts[0]
    return None
