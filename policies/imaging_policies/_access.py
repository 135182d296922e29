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
  conditional grant never counts as a needed grant in place;
- a permission an IAM deny policy of the stack attached to the site project (by id or number) denies a member
  is not held, whatever grant gives it (``_duties``: a conditional deny rule is not applied, nor a rule on a
  folder or organisation, which the pack cannot place above the site project; ADR 0033).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from imaging_policies import tokens
from imaging_policies._duties import Denials, denials
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
    denied: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Permissions its grants give that a deny policy denies it, with the deny policies' resource names."""

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
    denials: Denials = field(default_factory=Denials)


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
    """Who publishes to the SIEM topic: the writer of each sink exporting to it, and the service account of each
    Security Command Center notification config of the site publishing to it (LOG-18)."""
    writers = set()
    for r in resources:
        if r.resource_type == tokens.PROJECT_SINK:
            destination, writer = _canonical(leaf(r.props, "destination"), intent.site), _writer(r, intent.site)
        elif r.resource_type in tokens.SCC_PROJECT_NOTIFICATIONS:
            destination, writer = _canonical(leaf(r.props, "pubsubTopic"), intent.site), _scc_agent(r, intent.site)
        else:
            continue
        if destination in topic_paths and writer:
            writers.add(writer)
    return frozenset(writers)


@dataclass(frozen=True)
class _Context:
    """What the asset builders read from the whole stack."""

    resources: list[Any]
    site: SiteProject
    project_key: str
    by_urn: Mapping[str, Any]
    log_names: set[str]
    siem_topics: set[str]
    writers: frozenset[str]
    destinations: Mapping[str, frozenset[str]]

    @property
    def parents(self) -> tuple[str, ...]:
        return (self.project_key,)


def _sink_destinations(resources: list[Any], site: SiteProject) -> dict[str, frozenset[str]]:
    """``storage.googleapis.com/<bucket>`` of each sink writing to a bucket, to the sinks' writers."""
    found: dict[str, frozenset[str]] = {}
    for r in resources:
        destination = as_str(leaf(r.props, "destination")) if r.resource_type == tokens.PROJECT_SINK else None
        if destination and destination.lower().startswith("storage.googleapis.com/"):
            writer = _writer(r, site)
            key = destination.lower().rstrip("/")
            found[key] = found.get(key, frozenset()) | ({writer} if writer else set())
    return found


def _bucket_asset(r: Any, c: _Context) -> Asset | None:
    name = as_str(leaf(r.props, "name"))
    if name is None:
        return None
    context: dict[str, Any] = {}
    destination = f"storage.googleapis.com/{name.lower()}"
    if name in c.log_names or _log_bucket_by_dependency(c.resources, r):
        kind = "access-log bucket"
    elif destination in c.destinations:
        kind, context = "log-sink bucket", {"writers": c.destinations[destination]}
    else:
        kind = "image bucket"
    return Asset(f"bucket:{name.lower()}", kind, name, r.name, r.urn, c.parents, context)


def _log_bucket_asset(r: Any, c: _Context) -> Asset | None:
    path = _canonical(leaf(r.props, "name") or leaf(r.props, "id"), c.site)
    if path is None:
        bucket_id, location = as_str(leaf(r.props, "bucketId")), as_str(leaf(r.props, "location"))
        if not bucket_id or not location:
            return None
        path = f"projects/{_in_project(r, c.site)}/locations/{location.lower()}/buckets/{bucket_id.lower()}"
    return Asset(path, "security-log bucket", path.rsplit("/", 1)[-1], r.name, r.urn, c.parents)


def _log_view_asset(r: Any, c: _Context) -> Asset | None:
    parent_bucket = _canonical(leaf(r.props, "bucket"), c.site)
    view = as_str(leaf(r.props, "name"))
    if not parent_bucket or not view:
        return None
    path = f"{parent_bucket}/views/{view.lower()}"
    return Asset(path, "log view", view, r.name, r.urn, (c.project_key, parent_bucket))


def _ring_asset(r: Any, c: _Context) -> Asset | None:
    path = _ring_path(r, c.site)
    return Asset(path, "key ring", path.rsplit("/", 1)[-1], r.name, r.urn, c.parents) if path else None


def _key_asset(r: Any, c: _Context) -> Asset | None:
    path = _canonical(leaf(r.props, "id"), c.site)
    ring = _canonical(leaf(r.props, "keyRing"), c.site)
    if ring is None and leaf(r.props, "keyRing") is UNKNOWN:  # a first preview: the ring it depends on
        deps = getattr(r, "property_dependencies", {}) or {}
        rings = [c.by_urn.get(getattr(d, "urn", d)) for d in deps.get("keyRing", [])]
        ring = _ring_path(rings[0], c.site) if len(rings) == 1 and rings[0] is not None else None
    name = as_str(leaf(r.props, "name"))
    if path is None and ring and name:
        path = f"{ring}/cryptokeys/{name.lower()}"
    if not path:
        return None
    ring = ring or path.split("/cryptokeys/")[0]
    return Asset(path, "key", path.rsplit("/", 1)[-1], r.name, r.urn, (c.project_key, ring), {"agents": {}})


def _topic_paths(r: Any, site: SiteProject) -> set[str]:
    paths = _asset_paths(r, site)
    name = as_str(leaf(r.props, "name"))
    if name and "/" not in name:
        paths.add(f"projects/{_in_project(r, site)}/topics/{name.lower()}")
    return paths


def _topic_asset(r: Any, c: _Context) -> Asset | None:
    path = next(iter(sorted(_topic_paths(r, c.site) & c.siem_topics)), None)
    if path is None:
        return None
    return Asset(path, "SIEM topic", path.rsplit("/", 1)[-1], r.name, r.urn, c.parents, {"writers": c.writers})


def _subscription_asset(r: Any, c: _Context) -> Asset | None:
    project = _in_project(r, c.site)
    topic = _canonical(leaf(r.props, "topic"), c.site)
    if topic and "/" not in topic:
        topic = f"projects/{project}/topics/{topic}"
    name = as_str(leaf(r.props, "name"))
    if topic not in c.siem_topics or not name:
        return None
    path = _canonical(name, c.site) if "/" in name else f"projects/{project}/subscriptions/{name.lower()}"
    return Asset(str(path), "SIEM subscription", name.rsplit("/", 1)[-1], r.name, r.urn, c.parents)


def _run_asset(r: Any, c: _Context) -> Asset | None:
    name, location = as_str(leaf(r.props, "name")), as_str(leaf(r.props, "location"))
    if not name or not location:
        return None
    path = f"projects/{_in_project(r, c.site)}/locations/{location.lower()}/services/{name.lower()}"
    return Asset(path, "viewer service", name, r.name, r.urn, c.parents)


def _backend_asset(r: Any, c: _Context) -> Asset | None:
    name = as_str(leaf(r.props, "name"))
    if not name:
        return None
    path = f"projects/{_in_project(r, c.site)}/global/backendservices/{name.lower()}"
    return Asset(path, "viewer backend", name, r.name, r.urn, c.parents)


def _account_asset(r: Any, c: _Context) -> Asset | None:
    email, account_id = as_str(leaf(r.props, "email")), as_str(leaf(r.props, "accountId"))
    if email is None and account_id:
        email = f"{account_id}@{_in_project(r, c.site)}.iam.gserviceaccount.com"
    if not email:
        return None
    member = f"serviceaccount:{email.lower()}"
    return Asset(member, "service account", email, r.name, r.urn, c.parents, {"member": member})


_BUILDERS: Final[dict[str, Callable[[Any, _Context], Asset | None]]] = {
    tokens.BUCKET: _bucket_asset,
    tokens.PROJECT_BUCKET_CONFIG: _log_bucket_asset,
    "gcp:logging/logView:LogView": _log_view_asset,
    tokens.KEY_RING: _ring_asset,
    tokens.CRYPTO_KEY: _key_asset,
    tokens.PUBSUB_TOPIC: _topic_asset,
    tokens.PUBSUB_SUBSCRIPTION: _subscription_asset,
    "gcp:cloudrunv2/service:Service": _run_asset,
    "gcp:cloudrun/service:Service": _run_asset,
    "gcp:compute/backendService:BackendService": _backend_asset,
    tokens.SERVICE_ACCOUNT: _account_asset,
}
"""How each protected asset is found in the stack, by type."""


def assets(resources: list[Any], intent: Intent) -> list[Asset]:
    """Every protected asset of the stack, with its parents and what only the stack says about it."""
    site = intent.site
    siem_topics = {
        d
        for r in resources
        if r.resource_type == tokens.PROJECT_SINK
        and (d := _canonical(leaf(r.props, "destination"), site))
        and "/topics/" in d
    }
    context = _Context(
        resources=resources,
        site=site,
        project_key=f"project:{site.id or '?'}",
        by_urn={r.urn: r for r in resources},
        log_names=_log_buckets(resources) | ({intent.access_logs} if intent.access_logs else set()),
        siem_topics=siem_topics,
        writers=_siem_writers(resources, intent, siem_topics),
        destinations=_sink_destinations(resources, site),
    )
    found = [Asset(context.project_key, "project", site.id or "?", "", "")]
    for r in resources:
        builder = _BUILDERS.get(r.resource_type)
        asset = builder(r, context) if builder is not None else None
        if asset is not None:
            found.append(asset)
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


def _candidates(r: Any, prop: str, text: str, site: SiteProject) -> set[str]:
    """The canonical paths a target reference may name beyond its own: the provider's stored IAP and Cloud Run v1
    forms, a short name in the resource's project, a view's bucket (a grant on a view reads the bucket's logs),
    a key or key ring in the provider's short ``<project>/<location>/<ring>[/<key>]`` form."""
    project = _in_project(r, site)
    found: set[str] = set()
    if prop == "service" and text.startswith("v1/projects/"):  # how the provider stores a Cloud Run v1 grant's
        found.add(_canonical(text.removeprefix("v1/"), site) or "")  # service: GetResourceId's "v1/projects/..."
    iap = _IAP_WEB.match(_canonical(text, site) or "")
    if iap:  # how the provider stores it: projects/<p>/iap_web/compute/services/<name>
        found.add(f"projects/{iap.group('project')}/global/backendservices/{iap.group('name')}")
    name = text.lower()
    if r.resource_type.startswith("gcp:logging/logViewIam"):
        parent = _canonical(leaf(r.props, "parent"), site) or f"projects/{project}"
        location, bucket_id = as_str(leaf(r.props, "location")) or "", as_str(leaf(r.props, "bucket")) or ""
        log_bucket = f"{parent}/locations/{location.lower()}/buckets/{bucket_id.lower()}"
        found |= {log_bucket, f"{log_bucket}/views/{name.rsplit('/', 1)[-1]}"}
    elif "/" not in text:
        location = (as_str(leaf(r.props, "location")) or "").lower()
        by_property = {
            "topic": f"projects/{project}/topics/{name}",
            "subscription": f"projects/{project}/subscriptions/{name}",
            "service": f"projects/{project}/locations/{location}/services/{name}",
            "name": f"projects/{project}/locations/{location}/services/{name}",
            "webBackendService": f"projects/{project}/global/backendservices/{name}",
        }
        if prop in by_property:
            found.add(by_property[prop])
    elif prop in ("cryptoKeyId", "keyRingId") and not text.startswith("projects/"):
        parts = name.split("/")
        wanted = 4 if prop == "cryptoKeyId" else 3
        parts = [project, *parts] if len(parts) == wanted - 1 else parts
        if len(parts) == wanted:
            tail = f"/locations/{parts[1]}/keyrings/{parts[2]}" + (f"/cryptokeys/{parts[3]}" if wanted == 4 else "")
            found.add((_canonical(f"projects/{parts[0]}", site) or "") + tail)
    return found


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
    if t in tokens.OBJECT_STORE_IAM:
        name = bucket(text)
        return [f"bucket:{name.lower()}"] if name else []
    if t in tokens.PROJECT_IAM:
        return [f"project:{site.id}"] if site.holds(text) else []
    if t in tokens.SERVICE_ACCOUNT_IAM:
        email = text.rsplit("/", 1)[-1].lower()
        return [f"serviceaccount:{email}"]
    candidates = {_canonical(text, site), *_candidates(r, prop, text, site)}
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
    resolve = _BY_SOURCE.get(source.resource_type)
    return resolve(source, site) if resolve is not None else None


def _agent_of(identity: Any, site: SiteProject) -> str | None:
    """A service identity's member: as reported, else its service's agent of the site project."""
    email = principal(leaf(identity.props, "member"))
    service = as_str(leaf(identity.props, "service"))
    if email or not service or not site.number or not site.holds(_in_project(identity, site)):
        return email
    domain = _AGENT_DOMAINS.get(service, "gcp-sa-" + service.removesuffix(".googleapis.com"))
    return f"serviceaccount:service-{site.number}@{domain}.iam.gserviceaccount.com"


def _scc_agent(config: Any, site: SiteProject) -> str | None:
    """A notification config's ``serviceAccount`` (the one that needs ``pubsub.topics.publish``), else (a first
    preview) Security Command Center's notification agent of the site project, ``service-<number>@gcp-sa-scc-
    notification``, the form the update run then reports or refutes."""
    reported = as_str(leaf(config.props, "serviceAccount"))
    if reported:
        return principal(reported if ":" in reported else f"serviceAccount:{reported}")
    if site.number and site.holds(_in_project(config, site)):
        return f"serviceaccount:service-{site.number}@gcp-sa-scc-notification.iam.gserviceaccount.com"
    return None


def _account_member(account: Any, site: SiteProject) -> str | None:
    email, account_id = as_str(leaf(account.props, "email")), as_str(leaf(account.props, "accountId"))
    if email is None and account_id:
        email = f"{account_id}@{_in_project(account, site)}.iam.gserviceaccount.com"
    return f"serviceaccount:{email.lower()}" if email else None


def _pool_subject(pool: Any, site: SiteProject) -> str | None:
    pool_id = as_str(leaf(pool.props, "workloadIdentityPoolId"))
    if not pool_id or not site.number or not site.holds(_in_project(pool, site)):
        return None
    return (
        f"principal://iam.googleapis.com/projects/{site.number}/locations/global/workloadidentitypools/"
        f"{pool_id.lower()}/subject/{COMPUTED_SUBJECT}"
    )


_BY_SOURCE: Final[dict[str, Callable[[Any, SiteProject], str | None]]] = {
    "gcp:projects/serviceIdentity:ServiceIdentity": _agent_of,
    tokens.SERVICE_ACCOUNT: _account_member,
    tokens.PROJECT_SINK: _writer,
    tokens.WORKLOAD_IDENTITY_POOL: _pool_subject,
    **dict.fromkeys(tokens.SCC_PROJECT_NOTIFICATIONS, _scc_agent),
}


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
        for role, declared, condition in grants(r.props):
            member = declared
            if declared is UNKNOWN and leaf(r.props, "member") is UNKNOWN:
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
    result: list[Grant] = []
    for r in resources:
        t = r.resource_type
        if t not in tokens.IAM_GRANTS or mode_of(t) == "member" or grants(r.props):
            continue
        prop = _target_property(t)
        targets = _target(r, prop, found, site) if prop else []
        role = as_str(leaf(r.props, "role")) or "*"
        result.extend(Grant(r.name, r.urn, t, mode_of(t), role, "", None, target) for target in targets or [])
    return result


def _holdings(
    found: list[Asset], grant_list: list[Grant], custom: Mapping[str, Any], intent: Intent, model: Model
) -> None:
    """Who holds which permission on each asset; untrusted roles and unknown custom roles go to ``model``."""
    for asset in found:
        holders = intent.holders(asset.kind, asset.context)
        by_member: dict[str, dict[str, list[Grant]]] = {}
        for g in (g for g in grant_list if _reaches(g, asset)):
            permissions = permissions_of(g.role, custom)
            if permissions is None:
                if g.role.lower() not in custom and g not in model.untrusted_roles:
                    model.untrusted_roles.append(g)
                elif custom.get(g.role.lower()) is UNKNOWN:
                    model.unknown.append(Unknown(g.resource, g.urn, "role"))
                continue
            for p in relevant(asset.kind, permissions):
                by_member.setdefault(g.member, {}).setdefault(p, []).append(g)
        project = intent.site.id or "?"
        for member, held in sorted(by_member.items()):
            intended = frozenset().union(*(h.permissions for h in holders if h.matches(member)))
            denied = {p: tuple(d.resource for d in model.denials.denied(member, p, project)) for p in held}
            denied = {p: by for p, by in denied.items() if by}
            kept = {p: tuple(gs) for p, gs in sorted(held.items()) if p not in denied}
            if kept or denied:
                model.holdings.append(Holding(asset, member, kept, intended, dict(sorted(denied.items()))))


def _against(g: Grant, grant_list: list[Grant], empties: list[Grant]) -> tuple[Grant, ...]:
    """The authoritative resources that drop grant ``g`` (with or without members of their own)."""
    return _dropped_by(g, grant_list) + tuple(
        e for e in empties if e.target == g.target and e.urn != g.urn and (e.mode == "policy" or e.role == g.role)
    )


def _missing(
    found: list[Asset],
    grant_list: list[Grant],
    custom: Mapping[str, Any],
    empties: list[Grant],
    intent: Intent,
    *,
    denied: Denials | None = None,
) -> list[Missing]:
    """Each needed grant that no unconditional, undropped grant of the stack puts in place (nor a deny
    policy takes away)."""
    denied = denied or Denials()
    project = intent.site.id or "?"
    missing: list[Missing] = []
    met: set[tuple[str, str, str]] = set()
    for asset in found:
        for holder in intent.holders(asset.kind, asset.context):
            for permission in sorted(holder.need):
                giving = [
                    g
                    for g in grant_list
                    if holder.matches(g.member)
                    and _reaches(g, asset)
                    and not g.condition
                    and permission in (permissions_of(g.role, custom) or frozenset())
                    and not denied.denied(g.member, permission, project)
                ]
                dropped = [_against(g, grant_list, empties) for g in giving]
                if any(not d for d in dropped):
                    met.add((asset.kind, holder.label, permission))
                else:
                    unique = tuple({d.urn: d for ds in dropped for d in ds}.values())
                    missing.append(Missing(asset, holder, permission, unique))
    return [m for m in missing if not (m.holder.anywhere and (m.asset.kind, m.holder.label, m.permission) in met)]


def evaluate(resources: list[Any], intent: Intent) -> Model:
    """The effective access of every protected asset, compared with the intent."""
    found = assets(resources, intent)
    grant_list, unknown = collect(resources, found, intent.site)
    custom = custom_roles(resources, intent.site)
    site = intent.site
    denied = denials(resources, site)
    unknown.extend(Unknown(*u) for u in denied.unknown)
    model = Model(found, [], [], [], unknown, denied)
    _holdings(found, grant_list, custom, intent, model)
    empties = authoritative_empty(resources, found, intent.site)
    model.missing = _missing(found, grant_list, custom, empties, intent, denied=denied)
    return model


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
                "deniedBy": sorted({d for ds in h.denied.values() for d in ds}),
                "denied": sorted(h.denied),
            }
        )
    return rows


def dumps(model: Model) -> str:
    return json.dumps(to_rows(model), indent=2)
