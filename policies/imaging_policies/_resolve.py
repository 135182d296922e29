"""One identity per thing: every reference resolved to one canonical form before any comparison.

Every policy that compares a project, a resource or a principal with the site's goes through here:

- a **project** by id, by number, as ``projects/<p>`` or inside any resource path or self link;
- a **resource** by id, self link (``https://www.googleapis.com/<api>/<v>/...``), full resource name
  (``//<service>.googleapis.com/...``), ``projects/_/`` form (buckets), or short name in the site project;
- a **principal** in every form a service account, workload or federated identity takes:
  ``serviceAccount:<email>`` and ``principal://iam.googleapis.com/projects/-/serviceAccounts/<email>``,
  user-managed accounts of a project or of a domain-scoped project (``<a>@<p>.<domain>.iam.gserviceaccount.com``
  is project ``<domain>:<p>``), Google service agents (named by project number), default accounts,
  workload identity federation subjects and sets (``principal://``/``principalSet://``, the pool's project by
  number or id) and GKE workload identities (``serviceAccount:<p>.svc.id.goog[<ns>/<ksa>]``, the pool
  ``<p>.svc.id.goog``, domain-scoped ``<domain>:<p>.svc.id.goog``).

What the resolver cannot place is not the site's: a principal whose project it cannot read, or a
site-control resource (audit config, default-account settings, sink, exclusion, org policy) placed in
another project or in none it can read, never counts as the site's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from imaging_policies._props import UNKNOWN, as_str, bucket_name, leaf

# --- projects -------------------------------------------------------------------------------------

_IN_PATH: Final = re.compile(r"(?:^|/)projects/(?P<project>[^/]+)")


def project_of(value: object) -> str | None:
    """The project a reference names (``projects/<p>/...`` anywhere in it, or a bare id or number), lower-case;
    ``None`` for ``projects/_``/``projects/-`` (no project named) and for what is not a string."""
    text = as_str(value)
    if not text:
        return None
    match = _IN_PATH.search(text)
    found = match.group("project") if match else (text if "/" not in text else None)
    return None if found in (None, "_", "-") else str(found).lower()


@dataclass(frozen=True)
class SiteProject:
    """The site's project: its id (``example.com:p`` for a domain-scoped project) and number, each if known."""

    id: str | None = None
    number: str | None = None

    def holds(self, project: object) -> bool:
        """Whether ``project`` (an id, a number or any reference naming one) is the site's project."""
        found = project_of(project)
        return found is not None and found in {p.lower() for p in (self.id, self.number) if p}

    @property
    def label(self) -> str:
        return " / ".join(p for p in (self.id, self.number) if p) or "unknown"


# --- resources ------------------------------------------------------------------------------------

_API_PREFIX: Final = re.compile(
    r"^(?:https?://(?:www\.)?[a-z0-9.-]*googleapis\.com/(?:[a-z0-9]+/)?v[0-9a-z]+/|//[a-z0-9.-]+\.googleapis\.com/"
    r"|[a-z0-9-]+\.googleapis\.com/)"
)
_BUCKET_PATH: Final = re.compile(r"^projects/[^/]+/buckets/(?P<bucket>[^/]+)")


def resource_path(value: object) -> str | None:
    """A reference without its API prefix (self link, full resource name, sink destination), ``None`` if not a
    string. ``https://www.googleapis.com/compute/v1/projects/p/global/backendServices/b`` and
    ``//compute.googleapis.com/projects/p/global/backendServices/b`` are both ``projects/p/global/...``."""
    text = as_str(value)
    if text is None:
        return None
    return _API_PREFIX.sub("", text.strip()).strip("/")


def bucket(value: object) -> str | None:
    """A Cloud Storage bucket's name from any form: the name, ``b/<n>``, ``gs://<n>``, its self link,
    ``projects/_/buckets/<n>`` or ``//storage.googleapis.com/projects/_/buckets/<n>``."""
    text = as_str(value)
    if text is None:
        return None
    path = resource_path(text) or ""
    match = _BUCKET_PATH.match(path)
    if match:
        return match.group("bucket")
    return bucket_name(text)


def same_resource(reference: object, path: str, *, site: SiteProject, kind: str) -> bool:
    """Whether ``reference`` names the resource whose canonical path is ``path``
    (``projects/<p>/<...>/<kind>/<name>``): the same path with its project by id or number, or the bare name
    (a short name is resolved in the site project, the provider's)."""
    found = resource_path(reference)
    if not found:
        return False
    if found.lower() == path.lower():
        return True
    name = path.rsplit("/", 1)[-1]
    if "/" not in found:
        return found == name and site.holds(path)
    wanted_tail = path.split("/", 2)[-1].lower() if path.startswith("projects/") else path.lower()
    found_tail = found.split("/", 2)[-1].lower() if found.startswith("projects/") else found.lower()
    return (
        f"/{kind.lower()}/" in f"/{found_tail}"
        and found_tail == wanted_tail
        and (project_of(found) == project_of(path) or (site.holds(found) and site.holds(path)))
    )


def placed_in_site(props: Any, site: SiteProject, *keys: str) -> bool | None:
    """Whether a resource carrying a site control is placed in the site's project: its ``project`` (or the
    first of ``keys`` that is set, such as ``parent`` or ``name`` of an org policy) names it. ``None`` when
    the value is unknown (a first preview); ``False`` when it names another project or none the resolver can
    read (a folder, an organisation)."""
    for key in ("project", *keys):
        value = leaf(props, key)
        if value is UNKNOWN:
            return None
        if isinstance(value, str) and value:
            return site.holds(value)
    return False


# --- principals -----------------------------------------------------------------------------------

_SA_V2: Final = re.compile(r"^principal://iam\.googleapis\.com/projects/[^/]+/serviceaccounts/(?P<email>[^/]+@[^/]+)$")
_GKE: Final = re.compile(
    r"^serviceaccount:(?:(?P<domain>[a-z0-9.-]+):)?(?P<project>[a-z0-9-]+)\.svc\.id\.goog\[(?P<ns>[^/\]]+)/(?P<ksa>[^\]]+)\]$"
)
_POOL_MEMBER: Final = re.compile(
    r"^principal(?:set)?://iam\.googleapis\.com/projects/(?P<project>[^/]+)/locations/global/workloadidentitypools/"
    r"(?P<pool>[^/]+)(?:/|$)"
)
_GKE_POOL: Final = re.compile(r"^(?:(?P<domain>[a-z0-9.-]+):)?(?P<project>[a-z0-9-]+)\.svc\.id\.goog$")
AGENT: Final = re.compile(
    r"^serviceaccount:(?:(?:service-|cmek-p)(?P<number>\d+)@(?:gs-project-accounts|gcp-sa-[a-z0-9-]+|compute-system"
    r"|container-engine-robot|serverless-robot-prod|dataflow-service-producer-prod)\.iam\.gserviceaccount\.com"
    r"|p(?P<writer>\d+)-\d+@gcp-sa-logging\.iam\.gserviceaccount\.com"
    r"|(?P<apis>\d+)@cloudservices\.gserviceaccount\.com)$"
)
"""Google-managed service agents, by the domains Google reserves for them: service-<n>@gs-project-accounts
(Cloud Storage), service-<n>@gcp-sa-<x> (most services), cmek-p<n>@gcp-sa-logging (Cloud Logging's CMEK
agent), p<n>-<k>@gcp-sa-logging (a sink's unique writer identity), service-<n>@serverless-robot-prod (Cloud
Run), <n>@cloudservices (Google APIs). The domain matters: any project may create a user-managed account
named service-<n>@<its project>.iam.gserviceaccount.com."""
DEFAULT_ACCOUNT: Final = re.compile(
    r"^serviceaccount:(?:(?P<compute>\d+)-compute@developer\.gserviceaccount\.com"
    r"|(?P<appspot>[a-z0-9-]+)@appspot\.gserviceaccount\.com|(?P<build>\d+)@cloudbuild\.gserviceaccount\.com)$"
)
_USER_MANAGED: Final = re.compile(
    r"^serviceaccount:[a-z0-9-]+@(?P<project>[a-z0-9-]+)(?:\.(?P<domain>[a-z0-9.-]+))?\.iam\.gserviceaccount\.com$"
)


def principal(member: object) -> str | None:
    """The canonical form of an IAM member: lower-case, a service account's v2 identifier as
    ``serviceaccount:<email>``, a GKE workload identity as the ``principal://`` subject of its pool.
    ``None`` for what is not a string (an unknown value)."""
    text = as_str(member)
    if text is None:
        return None
    m = text.strip().lower()
    v2 = _SA_V2.match(m)
    if v2:
        return f"serviceaccount:{v2.group('email')}"
    gke = _GKE.match(m)
    if gke:
        pool = f"{gke.group('domain')}:{gke.group('project')}" if gke.group("domain") else gke.group("project")
        return (
            f"principal://iam.googleapis.com/projects/{pool}/locations/global/workloadidentitypools/"
            f"{pool}.svc.id.goog/subject/ns/{gke.group('ns')}/sa/{gke.group('ksa')}"
        )
    return m


def principal_project(member: object) -> str | None:
    """The project (id or number, lower-case) a principal belongs to, if its form names one: a service agent's
    or default account's number, a user-managed account's project (``<domain>:<p>`` for a domain-scoped one),
    a federated subject's or set's pool project, a GKE workload's project."""
    m = principal(member)
    if m is None:
        return None
    for pattern in (AGENT, DEFAULT_ACCOUNT):
        match = pattern.match(m)
        if match:
            return next(group for group in match.groups() if group)
    user = _USER_MANAGED.match(m)
    pool = _POOL_MEMBER.match(m)
    gke = _GKE_POOL.match(pool.group("pool")) if pool else None
    scoped = user or gke
    if scoped:
        return (
            f"{scoped.group('domain')}:{scoped.group('project')}" if scoped.group("domain") else scoped.group("project")
        )
    return pool.group("project") if pool else None


def is_service_agent(member: object) -> bool:
    m = principal(member)
    return m is not None and bool(AGENT.match(m))


def workload_pool(member: object) -> str | None:
    """``projects/<p>/locations/global/workloadidentitypools/<pool>`` of a federated subject or set."""
    m = principal(member)
    match = _POOL_MEMBER.match(m) if m else None
    if match is None:
        return None
    return f"projects/{match.group('project')}/locations/global/workloadidentitypools/{match.group('pool')}"


def site_owns(member: object, site: SiteProject) -> bool:
    """Whether a principal belongs to the site project; one the resolver cannot place does not."""
    return site.holds(principal_project(member))
