"""The effective-access model: who holds which permission on each protected asset, from every IAM resource.

Pure: it reads resources (anything with ``resource_type``, ``name``, ``urn``, ``props`` and, in the pack,
``property_dependencies``) and an :class:`~imaging_policies._intent.Intent`; the policies (``access.py``)
and the offline access report (``preflight access``) share it.

Semantics, as the provider applies them (terraform-provider-google-beta at 93c65b2d60fe, 2026-08-21,
``google-beta/tpgiamresource/resource_iam_policy.go``, ``resource_iam_binding.go``: ``filterBindingsWithRole
AndCondition`` then append, ``resource_iam_member.go``):

- a ``*IamPolicy`` replaces every grant on its resource, a ``*IamBinding`` every member of its role there,
  a ``*IamMember`` adds one member; a grant the stack declares beside an authoritative resource that omits
  it is still counted as held (the two fight at every apply), but never as *in place* for a needed grant;
- a grant on the project (or on a folder or organisation the stack declares: assumed to be above the site
  project) reaches every resource of the project, a grant on a key ring each of its keys, a grant on the
  security-log bucket's parent each view;
- a role stands for its permissions: predefined roles from the pinned table (``_role_permissions``),
  custom roles from the permissions the stack declares for them; any other role is not trusted;
- a condition narrows a grant only when it provably restricts it to one bucket (ADR 0012), and a
  conditional grant never counts as a needed grant in place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from imaging_policies import tokens
from imaging_policies._intent import (
    COMPUTED_SUBJECT,
    Holder,
    Intent,
    logging_agent,
    logging_cmek_agent,
    pubsub_agent,
    storage_agent,
)
from imaging_policies._principals import ROLE_PERMISSIONS, bucket_scope, is_custom_role
from imaging_policies._props import UNKNOWN, as_str, grants, items, leaf
from imaging_policies._resolve import SiteProject, bucket, principal, project_of, resource_path

RELEVANT: Final[dict[str, tuple[str, ...]]] = {
    "image bucket": (
        "storage.objects.",
        "storage.buckets.",
        "storage.managedFolders.",
        "storage.folders.",
        "storage.multipartUploads.",
        "storage.anywhereCaches.",
        "storage.bucketOperations.",
    ),
    "access-log bucket": (
        "storage.objects.",
        "storage.buckets.",
        "storage.managedFolders.",
        "storage.folders.",
        "storage.multipartUploads.",
        "storage.anywhereCaches.",
        "storage.bucketOperations.",
    ),
    "security-log bucket": ("logging.buckets.", "logging.views.", "logging.links.", "logging.logEntries.download"),
    "log view": ("logging.views.", "logging.logEntries.download"),
    "key ring": ("cloudkms.keyRings.", "cloudkms.importJobs."),
    "key": ("cloudkms.cryptoKeys.", "cloudkms.cryptoKeyVersions."),
    "SIEM topic": ("pubsub.topics.",),
    "SIEM subscription": ("pubsub.subscriptions.", "pubsub.snapshots."),
    "viewer service": ("run.services.", "run.routes.", "run.revisions.", "run.configurations."),
    "viewer backend": ("iap.web", "compute.backendServices."),
    "service account": ("iam.serviceAccounts.", "iam.serviceAccountKeys."),
    "project": ("",),
}
"""The permissions that act on an asset of each kind (a project grant reaches each asset with these only)."""

_BUCKET_KINDS: Final = frozenset({"image bucket", "access-log bucket"})


@dataclass(frozen=True)
class Asset:
    key: str
    """The canonical identity (``bucket:<name>``, ``projects/<id>/...`` paths, ``serviceaccount:<email>``)."""
    kind: str
    name: str
    resource: str
    """The stack resource's logical name."""
    urn: str
    parents: tuple[str, ...] = ()
    context: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Grant:
    """One (role, member) an IAM resource of the stack grants on one target."""

    resource: str
    urn: str
    token: str
    mode: str
    """``policy``, ``binding`` or ``member``."""
    role: str
    member: str
    condition: Any
    target: str
    """The asset key the grant is made on (``*`` for a folder or organisation: every asset)."""

    @property
    def kind(self) -> str:
        return self.token.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class Holding:
    """What one principal holds on one asset, each permission with the grants that give it."""

    asset: Asset
    member: str
    permissions: Mapping[str, tuple[Grant, ...]]
    intended: frozenset[str]

    @property
    def extra(self) -> frozenset[str]:
        return frozenset(self.permissions) - self.intended


@dataclass(frozen=True)
class Missing:
    """A grant the intent needs that the effective state lacks, with the resources that drop it."""

    asset: Asset
    holder: Holder
    permission: str
    dropped_by: tuple[Grant, ...]


@dataclass(frozen=True)
class Unknown:
    """A value the model cannot know yet (a first preview): the resource and the property."""

    resource: str
    urn: str
    prop: str


@dataclass
class Model:
    assets: list[Asset]
    holdings: list[Holding]
    missing: list[Missing]
    untrusted_roles: list[Grant]
    unknown: list[Unknown]


def mode_of(token: str) -> str:
    last = token.rsplit(":", 1)[-1].lower()
    return "policy" if last.endswith("policy") else "binding" if last.endswith("binding") else "member"


# --- assets ---------------------------------------------------------------------------------------


def _canonical(path: object, site: SiteProject) -> str | None:
    """A resource path, lower-case, its project written as the site's id when it names the site's project."""
    found = resource_path(path)
    if not found:
        return None
    found = found.lower()
    project = project_of(found)
    if project and site.id and site.holds(project) and found.startswith(f"projects/{project}/"):
        found = f"projects/{site.id}/" + found.removeprefix(f"projects/{project}/")
    return found


def _in_project(r: Any, site: SiteProject) -> str:
    """The project of a resource: its ``project`` property, else the provider's (the site's)."""
    return (as_str(leaf(r.props, "project")) or site.id or "").lower()


def _asset_paths(r: Any, site: SiteProject) -> set[str]:
    return {c for k in ("id", "name", "selfLink") if (c := _canonical(leaf(r.props, k), site)) and "/" in c}


def _ring_path(r: Any, site: SiteProject) -> str | None:
    """A key ring's path: its id, else ``projects/<project>/locations/<location>/keyrings/<name>``."""
    if r.resource_type != tokens.KEY_RING:
        return None
    path = _canonical(leaf(r.props, "id"), site)
    if path and "/" in path:
        return path
    name, location = as_str(leaf(r.props, "name")), as_str(leaf(r.props, "location"))
    if not name or not location:
        return None
    return f"projects/{_in_project(r, site)}/locations/{location.lower()}/keyrings/{name.lower()}"


def _log_buckets(resources: list[Any]) -> set[str]:
    """Names of buckets another bucket writes its usage logs to (the access-log buckets)."""
    found = set()
    for r in resources:
        if r.resource_type == tokens.BUCKET:
            target = bucket(leaf(r.props, "logging", "logBucket"))
            if target:
                found.add(target)
    return found


def _log_bucket_by_dependency(resources: list[Any], r: Any) -> bool:
    urn = r.urn
    for other in resources:
        if other.resource_type == tokens.BUCKET and leaf(other.props, "logging", "logBucket") is UNKNOWN:
            deps = getattr(other, "property_dependencies", {}) or {}
            if any(getattr(d, "urn", d) == urn for d in deps.get("logging", [])):
                return True
    return False


def _key_users(resources: list[Any], intent: Intent, keys: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Key path -> {agent member: why} for every resource of the stack that encrypts with a key (named, or in a
    first preview computed from a key of the stack: ``keys`` maps their URNs to their paths)."""
    number = intent.site.number
    found: dict[str, dict[str, str]] = {}
    if not number:
        return found
    uses = (
        (tokens.BUCKET, ("encryption", "defaultKmsKeyName"), storage_agent(number), "Cloud Storage encrypts a bucket"),
        (tokens.PUBSUB_TOPIC, ("kmsKeyName",), pubsub_agent(number), "Pub/Sub encrypts a topic"),
        (
            tokens.PROJECT_BUCKET_CONFIG,
            ("cmekSettings", "kmsKeyName"),
            logging_cmek_agent(number),
            "Cloud Logging encrypts a log bucket",
        ),
    )
    for r in resources:
        for token, path, agent, why in uses:
            if r.resource_type == token:
                value = leaf(r.props, *path)
                key = _canonical(value, intent.site)
                if value is UNKNOWN:
                    deps = getattr(r, "property_dependencies", {}) or {}
                    used = [keys.get(getattr(d, "urn", d)) for d in deps.get(path[0], [])]
                    key = next((k for k in used if k), None)
                if key:
                    found.setdefault(key.split("/cryptokeyversions/")[0], {})[agent] = f"{why} ({r.name})"
    return found


def _siem_writers(resources: list[Any], intent: Intent, topic_paths: set[str]) -> frozenset[str]:
    writers = set()
    for r in resources:
        if r.resource_type != tokens.PROJECT_SINK:
            continue
        destination = _canonical(leaf(r.props, "destination"), intent.site)
        if destination in topic_paths:
            writer = _writer(r, intent.site)
            if writer:
                writers.add(writer)
    return frozenset(writers)


def assets(resources: list[Any], intent: Intent) -> list[Asset]:
    """Every protected asset of the stack, with its parents and what only the stack says about it."""
    site = intent.site
    project_key = f"project:{site.id or '?'}"
    found: list[Asset] = [Asset(project_key, "project", site.id or "?", "", "")]
    by_urn = {r.urn: r for r in resources}
    log_names = _log_buckets(resources)
    siem_topics = {
        d
        for r in resources
        if r.resource_type == tokens.PROJECT_SINK
        and (d := _canonical(leaf(r.props, "destination"), site))
        and "/topics/" in d
    }
    writers = _siem_writers(resources, intent, siem_topics)
    destinations: dict[str, frozenset[str]] = {}
    for r in resources:
        destination = as_str(leaf(r.props, "destination")) if r.resource_type == tokens.PROJECT_SINK else None
        writer = _writer(r, site) if destination else None
        if destination and destination.lower().startswith("storage.googleapis.com/"):
            key = destination.lower().rstrip("/")
            destinations[key] = destinations.get(key, frozenset()) | ({writer} if writer else set())
    for r in resources:
        t, props = r.resource_type, r.props
        parents = (project_key,)
        if t == tokens.BUCKET:
            name = as_str(leaf(props, "name"))
            if name is None:
                continue
            context: dict[str, Any] = {}
            if name in log_names or _log_bucket_by_dependency(resources, r):
                kind = "access-log bucket"
            elif f"storage.googleapis.com/{name.lower()}" in destinations:
                kind, context = "log-sink bucket", {"writers": destinations[f"storage.googleapis.com/{name.lower()}"]}
            else:
                kind = "image bucket"
            found.append(Asset(f"bucket:{name.lower()}", kind, name, r.name, r.urn, parents, context))
        elif t == tokens.PROJECT_BUCKET_CONFIG:
            path = _canonical(leaf(props, "name") or leaf(props, "id"), site)
            if path is None:
                bucket_id, location = as_str(leaf(props, "bucketId")), as_str(leaf(props, "location"))
                if not bucket_id or not location:
                    continue
                path = f"projects/{_in_project(r, site)}/locations/{location.lower()}/buckets/{bucket_id.lower()}"
            found.append(Asset(path, "security-log bucket", path.rsplit("/", 1)[-1], r.name, r.urn, parents))
        elif t == "gcp:logging/logView:LogView":
            parent_bucket = _canonical(leaf(props, "bucket"), site)
            view = as_str(leaf(props, "name"))
            if parent_bucket and view:
                path = f"{parent_bucket}/views/{view.lower()}"
                found.append(Asset(path, "log view", view, r.name, r.urn, (project_key, parent_bucket)))
        elif t == tokens.KEY_RING:
            path = _ring_path(r, site)
            if path:
                found.append(Asset(path, "key ring", path.rsplit("/", 1)[-1], r.name, r.urn, parents))
        elif t == tokens.CRYPTO_KEY:
            path = _canonical(leaf(props, "id"), site)
            ring = _canonical(leaf(props, "keyRing"), site)
            if ring is None and leaf(props, "keyRing") is UNKNOWN:  # a first preview: the ring it depends on
                deps = getattr(r, "property_dependencies", {}) or {}
                rings = [by_urn.get(getattr(d, "urn", d)) for d in deps.get("keyRing", [])]
                ring = _ring_path(rings[0], site) if len(rings) == 1 and rings[0] is not None else None
            name = as_str(leaf(props, "name"))
            if path is None and ring and name:
                path = f"{ring}/cryptokeys/{name.lower()}"
            if path:
                ring = ring or path.split("/cryptokeys/")[0]
                context = {"agents": {}}
                found.append(Asset(path, "key", path.rsplit("/", 1)[-1], r.name, r.urn, (project_key, ring), context))
        elif t == tokens.PUBSUB_TOPIC:
            paths = _asset_paths(r, site)
            name = as_str(leaf(props, "name"))
            if name and "/" not in name:
                paths.add(f"projects/{_in_project(r, site)}/topics/{name.lower()}")
            path = next(iter(sorted(paths & siem_topics)), None)
            if path:
                found.append(
                    Asset(path, "SIEM topic", path.rsplit("/", 1)[-1], r.name, r.urn, parents, {"writers": writers})
                )
        elif t == tokens.PUBSUB_SUBSCRIPTION:
            topic = _canonical(leaf(props, "topic"), site)
            if topic and "/" not in topic:
                topic = f"projects/{_in_project(r, site)}/topics/{topic}"
            name = as_str(leaf(props, "name"))
            if topic in siem_topics and name:
                path = (
                    _canonical(name, site)
                    if "/" in name
                    else f"projects/{_in_project(r, site)}/subscriptions/{name.lower()}"
                )
                found.append(Asset(str(path), "SIEM subscription", name.rsplit("/", 1)[-1], r.name, r.urn, parents))
        elif t in ("gcp:cloudrunv2/service:Service", "gcp:cloudrun/service:Service"):
            name, location = as_str(leaf(props, "name")), as_str(leaf(props, "location"))
            if name and location:
                path = f"projects/{_in_project(r, site)}/locations/{location.lower()}/services/{name.lower()}"
                found.append(Asset(path, "viewer service", name, r.name, r.urn, parents))
        elif t == "gcp:compute/backendService:BackendService":
            name = as_str(leaf(props, "name"))
            if name:
                path = f"projects/{_in_project(r, site)}/global/backendservices/{name.lower()}"
                found.append(Asset(path, "viewer backend", name, r.name, r.urn, parents))
        elif t == tokens.SERVICE_ACCOUNT:
            email = as_str(leaf(props, "email"))
            account_id = as_str(leaf(props, "accountId"))
            if email is None and account_id:
                email = f"{account_id}@{_in_project(r, site)}.iam.gserviceaccount.com"
            if email:
                member = f"serviceaccount:{email.lower()}"
                found.append(Asset(member, "service account", email, r.name, r.urn, parents, {"member": member}))
    key_users = _key_users(resources, intent, {a.urn: a.key for a in found if a.kind == "key"})
    for asset in found:
        if asset.kind == "key":
            asset.context["agents"].update(key_users.get(asset.key, {}))
    return found


# --- grants ---------------------------------------------------------------------------------------

_TARGETS: Final[tuple[tuple[frozenset[str] | tuple[str, ...], str], ...]] = (
    (tokens.OBJECT_STORE_IAM, "bucket"),
    (tokens.CRYPTO_KEY_IAM, "cryptoKeyId"),
    (tokens.KEY_RING_IAM, "keyRingId"),
    (tuple(t for t in tokens.IAM_GRANTS if t.startswith("gcp:pubsub/topicIAM")), "topic"),
    (tokens.SUBSCRIPTION_IAM, "subscription"),
    (tuple(t for t in tokens.IAM_GRANTS if t.startswith("gcp:cloudrunv2/serviceIam")), "name"),
    (tuple(t for t in tokens.IAM_GRANTS if t.startswith("gcp:cloudrun/iam")), "service"),
    (tuple(t for t in tokens.IAM_GRANTS if t.startswith("gcp:iap/webBackendServiceIam")), "webBackendService"),
    (tokens.SERVICE_ACCOUNT_IAM, "serviceAccountId"),
    (tuple(t for t in tokens.IAM_GRANTS if t.startswith("gcp:logging/logViewIam")), "name"),
    (tokens.PROJECT_IAM, "project"),
)
_IAP_WEB: Final = re.compile(r"^projects/(?P<project>[^/]+)/iap_web/compute/services/(?P<name>[^/]+)$")
_IAP_PROJECT_WIDE: Final = frozenset(
    t for t in tokens.IAM_GRANTS if t.startswith(("gcp:iap/webIam", "gcp:iap/webTypeComputeIam"))
)


def _target_property(token: str) -> str | None:
    for group, prop in _TARGETS:
        if token in group:
            return prop
    return None


def _target(r: Any, prop: str, found: list[Asset], site: SiteProject) -> list[str] | None:
    """The asset keys an IAM resource's target names (``[]``: not a protected asset), ``None`` if unknown."""
    value = leaf(r.props, prop)
    t = r.resource_type
    if value is UNKNOWN:
        deps = getattr(r, "property_dependencies", {}) or {}
        urns = {getattr(d, "urn", d) for d in deps.get(prop, [])}
        by_dependency = [a.key for a in found if a.urn and a.urn in urns]
        return by_dependency or None
    text = as_str(value)
    if text is None:
        return []
    project = _in_project(r, site)
    if t in tokens.OBJECT_STORE_IAM:
        name = bucket(text)
        return [f"bucket:{name.lower()}"] if name else []
    if t in tokens.PROJECT_IAM:
        return [f"project:{site.id}"] if site.holds(text) else []
    if t in tokens.SERVICE_ACCOUNT_IAM:
        email = text.rsplit("/", 1)[-1].lower()
        return [f"serviceaccount:{email}"]
    candidates = {_canonical(text, site)}
    iap = _IAP_WEB.match(next(iter(candidates)) or "")
    if iap:  # how the provider stores it: projects/<p>/iap_web/compute/services/<name>
        candidates.add(f"projects/{iap.group('project')}/global/backendservices/{iap.group('name')}")
    if "/" not in text:
        location = (as_str(leaf(r.props, "location")) or "").lower()
        kind_path = {
            "topic": f"projects/{project}/topics/{text.lower()}",
            "subscription": f"projects/{project}/subscriptions/{text.lower()}",
            "service": f"projects/{project}/locations/{location}/services/{text.lower()}",
            "webBackendService": f"projects/{project}/global/backendservices/{text.lower()}",
        }
        if t.startswith("gcp:cloudrunv2/"):
            candidates.add(kind_path["service"])
        elif t.startswith("gcp:logging/logViewIam"):
            parent = _canonical(leaf(r.props, "parent"), site) or f"projects/{project}"
            loc, bucket_id = as_str(leaf(r.props, "location")), as_str(leaf(r.props, "bucket"))
            candidates.add(
                f"{parent}/locations/{(loc or '').lower()}/buckets/{(bucket_id or '').lower()}/views/{text.lower()}"
            )
        elif prop in kind_path:
            candidates.add(kind_path[prop])
    elif prop in ("cryptoKeyId", "keyRingId") and not text.startswith("projects/"):
        parts = text.lower().split("/")
        wanted = 4 if prop == "cryptoKeyId" else 3
        if len(parts) == wanted - 1:
            parts = [project, *parts]
        if len(parts) == wanted:
            p = _canonical(f"projects/{parts[0]}", site) or ""
            tail = f"/locations/{parts[1]}/keyrings/{parts[2]}" + (f"/cryptokeys/{parts[3]}" if wanted == 4 else "")
            candidates.add(p + tail)
    keys = {a.key for a in found}
    return sorted(c for c in candidates if c in keys)


_AGENT_DOMAINS: Final = {
    "storage.googleapis.com": "gs-project-accounts",
    "run.googleapis.com": "serverless-robot-prod",
}
"""Service agents not named ``service-<number>@gcp-sa-<service>`` (Google's service agents reference)."""


def _writer(sink: Any, site: SiteProject) -> str | None:
    """A sink's writer identity: its ``writerIdentity``, else (a first preview) Cloud Logging's agent of the
    site project, which writes for every sink created with a unique writer identity there."""
    writer = principal(leaf(sink.props, "writerIdentity"))
    if writer:
        return writer
    if site.number and site.holds(_in_project(sink, site)):
        return logging_agent(site.number)
    return None


def member_by_dependency(r: Any, by_urn: Mapping[str, Any], site: SiteProject) -> str | None:
    """A member unknown in a first preview, resolved from the one stack resource it is computed from: a
    service identity of the site project (its service's agent), a service account (its member), a sink (its
    writer), a workload identity pool of the site (a subject of that pool: ``COMPUTED_SUBJECT``, whose
    provider's condition admits the declared subject only, IAM-05). ``None`` when it cannot be placed."""
    deps = getattr(r, "property_dependencies", {}) or {}
    sources = [by_urn.get(getattr(d, "urn", d)) for d in deps.get("member", [])]
    if len(sources) != 1 or sources[0] is None:
        return None
    source = sources[0]
    t, props = source.resource_type, source.props
    if t == "gcp:projects/serviceIdentity:ServiceIdentity":
        email = principal(leaf(props, "member"))
        service = as_str(leaf(props, "service"))
        if email or not service or not site.number or not site.holds(_in_project(source, site)):
            return email
        domain = _AGENT_DOMAINS.get(service, "gcp-sa-" + service.removesuffix(".googleapis.com"))
        return f"serviceaccount:service-{site.number}@{domain}.iam.gserviceaccount.com"
    if t == tokens.SERVICE_ACCOUNT:
        email, account_id = as_str(leaf(props, "email")), as_str(leaf(props, "accountId"))
        if email is None and account_id:
            email = f"{account_id}@{_in_project(source, site)}.iam.gserviceaccount.com"
        return f"serviceaccount:{email.lower()}" if email else None
    if t == tokens.PROJECT_SINK:
        return _writer(source, site)
    if t == tokens.WORKLOAD_IDENTITY_POOL and site.number and site.holds(_in_project(source, site)):
        pool = as_str(leaf(props, "workloadIdentityPoolId"))
        if pool:
            return (
                f"principal://iam.googleapis.com/projects/{site.number}/locations/global/workloadidentitypools/"
                f"{pool.lower()}/subject/{COMPUTED_SUBJECT}"
            )
    return None


def collect(resources: list[Any], found: list[Asset], site: SiteProject) -> tuple[list[Grant], list[Unknown]]:
    """Every grant of the stack on a protected asset (or above it), and the unknown values that could hide one."""
    result: list[Grant] = []
    unknown: list[Unknown] = []
    by_urn = {r.urn: r for r in resources}
    for r in resources:
        t = r.resource_type
        if t not in tokens.IAM_GRANTS:
            continue
        if t in tokens.FOLDER_IAM | tokens.ORGANIZATION_IAM:
            targets: list[str] | None = ["*"]
        elif t in _IAP_PROJECT_WIDE:
            project = leaf(r.props, "project")
            targets = (
                None
                if project is UNKNOWN
                else (
                    [a.key for a in found if a.kind == "viewer backend"]
                    if project is None or site.holds(project)
                    else []
                )
            )
        else:
            prop = _target_property(t)
            if prop is None:
                continue
            targets = _target(r, prop, found, site)
        if targets is None:
            unknown.append(Unknown(r.name, r.urn, _target_property(t) or "project"))
            continue
        if not targets:
            continue
        for role, member, condition in grants(r.props):
            if member is UNKNOWN and leaf(r.props, "member") is UNKNOWN:
                member = member_by_dependency(r, by_urn, site) or UNKNOWN
            if role is UNKNOWN or member is UNKNOWN:
                unknown.append(
                    Unknown(
                        r.name,
                        r.urn,
                        "policyData" if mode_of(t) == "policy" else "member" if member is UNKNOWN else "role",
                    )
                )
                continue
            canonical = principal(member)
            if not isinstance(role, str) or canonical is None:
                continue
            result.extend(Grant(r.name, r.urn, t, mode_of(t), role, canonical, condition, target) for target in targets)
    return result, unknown


def custom_roles(resources: list[Any], site: SiteProject) -> dict[str, Any]:
    """Every custom role the stack declares, by each name a grant may use, to its permissions (or UNKNOWN)."""
    found: dict[str, Any] = {}
    for r in resources:
        if r.resource_type not in tokens.CUSTOM_ROLES or leaf(r.props, "deleted") is True:
            continue
        permissions = items(r.props, "permissions")
        value = UNKNOWN if UNKNOWN in permissions else frozenset(str(p) for p in permissions)
        role_id, name = as_str(leaf(r.props, "roleId")), as_str(leaf(r.props, "name"))
        if name:
            found[name.lower()] = value
        if role_id:
            if r.resource_type.startswith("gcp:organizations/"):
                found[f"organizations/{leaf(r.props, 'orgId')}/roles/{role_id}".lower()] = value
            else:
                for project in {(as_str(leaf(r.props, "project")) or site.id or "").lower(), site.id, site.number}:
                    if project:
                        found[f"projects/{project}/roles/{role_id}".lower()] = value
    return found


def permissions_of(role: str, custom: Mapping[str, Any]) -> frozenset[str] | None:
    """A role's permissions: the pinned table's, a custom role's from the stack; ``None`` if not trusted."""
    if role in ROLE_PERMISSIONS:
        return ROLE_PERMISSIONS[role]
    if is_custom_role(role):
        value = custom.get(role.lower())
        return value if isinstance(value, frozenset) else None
    return None


# --- the effective state ----------------------------------------------------------------------------


def _reaches(grant: Grant, asset: Asset) -> bool:
    if grant.target not in ("*", asset.key, *asset.parents):
        return False
    scope = bucket_scope(grant.condition)
    if scope is None:
        return True
    return asset.kind in _BUCKET_KINDS and asset.name.lower() == scope.lower()


def relevant(kind: str, permissions: Iterable[str]) -> frozenset[str]:
    prefixes = RELEVANT.get(kind, ())
    return frozenset(p for p in permissions if p.startswith(prefixes))


def _dropped_by(grant: Grant, all_grants: list[Grant]) -> tuple[Grant, ...]:
    """The authoritative resources on the grant's target that omit it (so it is not in place)."""
    found: dict[str, Grant] = {}
    same_target = [g for g in all_grants if g.target == grant.target and g.resource != grant.resource]
    by_resource: dict[str, list[Grant]] = {}
    for g in same_target:
        by_resource.setdefault(g.urn, []).append(g)
    policies = {g.urn for g in same_target if g.mode == "policy"}
    for urn in policies:
        if not any(g.role == grant.role and g.member == grant.member for g in by_resource[urn]):
            found[urn] = by_resource[urn][0]
    if grant.mode in ("member", "binding"):
        for urn, gs in by_resource.items():
            # a binding replaces the members of its role *and condition* (filterBindingsWithRoleAndCondition)
            same = gs[0].role == grant.role and (gs[0].condition or None) == (grant.condition or None)
            if gs[0].mode == "binding" and same and not any(g.member == grant.member for g in gs):
                found[urn] = gs[0]
    return tuple(found.values())


def authoritative_empty(resources: list[Any], found: list[Asset], site: SiteProject) -> list[Grant]:
    """Authoritative IAM resources with no member at all (an empty policy or binding still replaces)."""
    result = []
    for r in resources:
        t = r.resource_type
        if t not in tokens.IAM_GRANTS or mode_of(t) == "member" or grants(r.props):
            continue
        prop = _target_property(t)
        targets = _target(r, prop, found, site) if prop else []
        role = as_str(leaf(r.props, "role")) or "*"
        result.extend(Grant(r.name, r.urn, t, mode_of(t), role, "", None, target) for target in targets or [])
    return result


def evaluate(resources: list[Any], intent: Intent) -> Model:
    """The effective access of every protected asset, compared with the intent."""
    found = assets(resources, intent)
    grant_list, unknown = collect(resources, found, intent.site)
    custom = custom_roles(resources, intent.site)
    untrusted: list[Grant] = []
    holdings: list[Holding] = []
    for asset in found:
        holders = intent.holders(asset.kind, asset.context)
        by_member: dict[str, dict[str, list[Grant]]] = {}
        for g in grant_list:
            if not _reaches(g, asset):
                continue
            permissions = permissions_of(g.role, custom)
            if permissions is None:
                if g.role.lower() not in custom and g not in untrusted:
                    untrusted.append(g)
                elif custom.get(g.role.lower()) is UNKNOWN:
                    unknown.append(Unknown(g.resource, g.urn, "role"))
                continue
            for p in relevant(asset.kind, permissions):
                by_member.setdefault(g.member, {}).setdefault(p, []).append(g)
        for member, held in sorted(by_member.items()):
            intended = frozenset().union(*(h.permissions for h in holders if h.matches(member)))
            holdings.append(Holding(asset, member, {p: tuple(gs) for p, gs in sorted(held.items())}, intended))
    empties = authoritative_empty(resources, found, intent.site)
    missing: list[Missing] = []
    met: set[tuple[str, str, str]] = set()
    for asset in found:
        for holder in intent.holders(asset.kind, asset.context):
            for permission in sorted(holder.need):
                in_place, dropped = False, []
                for g in grant_list:
                    if not holder.matches(g.member) or not _reaches(g, asset) or g.condition:
                        continue
                    permissions = permissions_of(g.role, custom) or frozenset()
                    if permission not in permissions:
                        continue
                    against = _dropped_by(g, grant_list) + tuple(
                        e
                        for e in empties
                        if e.target == g.target and e.urn != g.urn and (e.mode == "policy" or e.role == g.role)
                    )
                    if against:
                        dropped.extend(against)
                    else:
                        in_place = True
                if in_place:
                    met.add((asset.kind, holder.label, permission))
                else:
                    unique = tuple({d.urn: d for d in dropped}.values())
                    missing.append(Missing(asset, holder, permission, unique))
    missing = [m for m in missing if not (m.holder.anywhere and (m.asset.kind, m.holder.label, m.permission) in met)]
    return Model(found, holdings, missing, untrusted, unknown)


def to_rows(model: Model) -> list[dict[str, Any]]:
    """The effective access as rows (asset, principal, permissions, granted by, intended), for reports."""
    rows = []
    for h in model.holdings:
        grants_by = sorted({f"{g.resource} ({g.role})" for gs in h.permissions.values() for g in gs})
        rows.append(
            {
                "asset": h.asset.name,
                "kind": h.asset.kind,
                "resource": h.asset.resource,
                "principal": h.member,
                "permissions": sorted(h.permissions),
                "grantedBy": grants_by,
                "intended": not h.extra,
                "beyondIntent": sorted(h.extra),
            }
        )
    return rows


def dumps(model: Model) -> str:
    return json.dumps(to_rows(model), indent=2)
