"""Where the launch endpoint sends traffic: every reference on a request's way resolves to the site's viewer.

Control NET-09. A request to the launch endpoint takes these hops, each a reference the stack declares: an
HTTPS proxy's ``urlMap`` (an SSL proxy's ``backendService``); the URL map's services (``defaultService``, each
path matcher's, path rule's and route rule's ``service``, every route action's
``weightedBackendServices[].backendService``, a custom error policy's ``errorService``, wherever they nest);
each backend service's ``backends[].group``; each network endpoint group's target (a serverless NEG's
``cloudRun.service``, a Cloud Run service's name, stored as given; its ``region`` is read back as a v1 self
link: ``flattenComputeRegionNetworkEndpointGroupCloudRunService`` and ``...Region`` in
resource_compute_region_network_endpoint_group.go). Each hop must be a resource of this stack, and the last
one the site's viewer: the Cloud Run service of this stack that runs as the site's viewer identity, in the
NEG's project and region. What cannot be resolved that way is a finding naming the property and the reference:
a backend service, URL map or Cloud Run service outside the stack, a backend bucket (it serves a bucket's
objects past bucket IAM), an instance group or a NEG of another kind (an internet NEG is traffic leaving the
site, a hybrid or Private Service Connect NEG traffic to another network or producer).

Route actions that decide where a request (or a copy of it) goes are judged too: ``requestMirrorPolicy``
copies launch traffic, whatever its target, and is always a finding; a ``urlRedirect`` or
``defaultUrlRedirect`` may keep the site's own host only (``hostRedirect`` is the launch hostname or unset:
a redirect elsewhere carries the launch token in its query); a ``corsPolicy`` admits only the viewer's own
origin; a ``faultInjectionPolicy`` answers or holds back launch requests itself. A ``urlRewrite`` changes the
request on its way to the same, judged, backend and is not judged; ``tests`` only assert what the map does.

A site that signs on through IAP (``viewer.signOn: iap``) has IAP in front of every backend service that leads
to its viewer: ``iap.enabled`` true. With IAP off, the launch endpoint hands requests to the viewer without the
hospital's sign-on (``launchToken`` sites check the worklist's token in the viewer itself and need no IAP).

Stored forms: the provider expands a URL map's service references to full self links and stores the API's
(``expandComputeUrlMapDefaultService`` and its siblings; ``flattenComputeUrlMapDefaultService`` converts to
``.../compute/v1/...``), and a backend's group as given, read back as a v1 self link
(``flattenComputeBackendServiceBackendGroup``): terraform-provider-google-beta,
google-beta/services/compute/resource_compute_url_map.go and resource_compute_backend_service.go at commit
93c65b2d60fea598528f2769b5b09de856f8cb8c. A bare name is, like the provider reads it, a global backend
service of the map's project. :func:`imaging_policies._props.names` matches every one of these forms.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from imaging_policies import tokens
from imaging_policies._props import UNKNOWN, as_str, items, leaf, property_dependencies, references
from imaging_policies._registry import Report, stack_policy
from imaging_policies._site import SITE_NAMESPACE, section, site_principals, site_setting, viewer_hostnames

SERVICE_KEYS = frozenset({"defaultService", "service", "backendService", "errorService"})
"""Keys whose value, anywhere in a URL map, names the backend service (or bucket) a request goes to."""
NOT_ROUTING = frozenset({"tests"})
"""Top-level URL-map properties that route nothing (``tests`` assert the map's routing at the API)."""
ROUTING = frozenset(
    {"defaultService", "defaultRouteAction", "defaultUrlRedirect", "defaultCustomErrorResponsePolicy", "pathMatchers"}
)
"""Top-level URL-map properties that decide where a request goes: an unknown value in them (a first preview)
could hide a route elsewhere, so it is not judged in preview (``hostRules`` only pick a path matcher)."""
BACKEND_BUCKET = "gcp:compute/backendBucket:BackendBucket"
NEGS = frozenset(
    {
        "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
        "gcp:compute/networkEndpointGroup:NetworkEndpointGroup",
        "gcp:compute/globalNetworkEndpointGroup:GlobalNetworkEndpointGroup",
    }
)
REGION_NEG = "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup"
SERVERLESS_OTHERS = ("appEngine", "cloudFunction", "serverlessDeployment", "pscTargetService")
"""Targets of a regional NEG other than Cloud Run: none of them is the site's viewer."""
LEAVING = {
    "INTERNET_FQDN_PORT": "an internet NEG: launch traffic leaves the site for a host on the internet",
    "INTERNET_IP_PORT": "an internet NEG: launch traffic leaves the site for an address on the internet",
    "NON_GCP_PRIVATE_IP_PORT": "a hybrid NEG: launch traffic goes to endpoints outside Google Cloud",
    "PRIVATE_SERVICE_CONNECT": "a Private Service Connect NEG: launch traffic goes to another producer's service",
}
"""NEG kinds that send traffic out of the site, and where."""


def _walk(node: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) for every key of every mapping below ``node``; lists by index."""
    if isinstance(node, Mapping):
        for key in node:
            try:
                value = node[key]
            except UnknownValueError:
                value = UNKNOWN
            where = f"{path}.{key}" if path else str(key)
            yield where, str(key), value
            yield from _walk(value, where)
    elif isinstance(node, Sequence) and not isinstance(node, str):
        for index in range(len(node)):
            value = leaf(node, index)
            yield from _walk(value, f"{path}[{index}]")


def _is_site_viewer(service: PolicyResource, resources: list[PolicyResource]) -> bool:
    """Whether a Cloud Run service of the stack runs as the site's viewer identity (any service when the stack
    declares none); while the account is unknown (a first preview), whether it is computed from that account."""
    declared = site_principals().viewer
    if declared is None:
        return True
    template = leaf(service.props, "template")
    account = (
        leaf(template, "serviceAccount")
        if service.resource_type == "gcp:cloudrunv2/service:Service"
        else leaf(template, "spec", "serviceAccountName")
    )
    if isinstance(account, str):
        return f"serviceaccount:{account.lower()}" == declared
    if account is UNKNOWN or template is UNKNOWN:
        computed_from = property_dependencies(service, "template")
        return any(
            f"serviceaccount:{leaf(r.props, 'accountId')}@{leaf(r.props, 'project')}.iam.gserviceaccount.com".lower()
            == declared
            for r in resources
            if r.urn in computed_from and r.resource_type == tokens.SERVICE_ACCOUNT
        )
    return False  # unset: the service runs as the project's default compute account


class _Stack:
    """The stack's resources on a request's way, and which of them lead to the site's viewer."""

    def __init__(self, resources: list[PolicyResource]) -> None:
        self.resources = resources
        self.services = [r for r in resources if r.resource_type in tokens.CLOUD_RUN_SERVICES]
        self.negs = [r for r in resources if r.resource_type in NEGS]
        self.backends = [r for r in resources if r.resource_type in tokens.BACKEND_SERVICES]
        self.buckets = [r for r in resources if r.resource_type == BACKEND_BUCKET]
        self.url_maps = [r for r in resources if r.resource_type in tokens.URL_MAPS]
        self.viewers = [s for s in self.services if _is_site_viewer(s, resources)]

    def neg_problem(self, neg: PolicyResource) -> str | None:
        """Why a NEG does not lead to the site's viewer (``None`` when it does, or cannot be known yet)."""
        props = neg.props
        kind = leaf(props, "networkEndpointType")
        if kind is None:
            kind = "SERVERLESS" if neg.resource_type == REGION_NEG else "GCE_VM_IP_PORT"  # the provider's defaults
        if kind is UNKNOWN:
            return None
        if kind in LEAVING:
            return f"networkEndpointType is {kind}: {LEAVING[str(kind)]}"
        if kind != "SERVERLESS":
            return (
                f"networkEndpointType is {kind}: its endpoints are VMs or addresses, not the site's viewer "
                "(the launch endpoint serves only the serverless viewer)"
            )
        other = next((k for k in SERVERLESS_OTHERS if leaf(props, k) not in (None, {}, "")), None)
        if other is not None:
            return f"{other} is set: the NEG serves something other than the viewer's Cloud Run service"
        if leaf(props, "cloudRun", "urlMask") not in (None, ""):
            return (
                f"cloudRun.urlMask {leaf(props, 'cloudRun', 'urlMask')} routes to whichever service a request's URL "
                "names, not only the viewer"
            )
        return self._cloud_run_problem(neg)

    def _cloud_run_problem(self, neg: PolicyResource) -> str | None:
        name = leaf(neg.props, "cloudRun", "service")
        if name is None:
            return "cloudRun.service is not set: the NEG names no Cloud Run service"
        if name is UNKNOWN:
            computed_from = property_dependencies(neg, "cloudRun")
            if not computed_from:
                raise UnknownValueError(UNKNOWN_STRING_VALUE, [f"[{neg.name}]", "cloudRun", "service"])
            if any(s.urn in computed_from for s in self.viewers):
                return None
            return "cloudRun.service is computed from a resource that is not the site's viewer Cloud Run service"
        project, region = as_str(leaf(neg.props, "project")), as_str(leaf(neg.props, "region"))
        region = region.rstrip("/").rsplit("/", 1)[-1] if region else None  # stored as a v1 self link
        same = [
            s
            for s in self.services
            if leaf(s.props, "name") == name
            and (project is None or as_str(leaf(s.props, "project")) in (None, project))
            and (region is None or as_str(leaf(s.props, "location")) in (None, region))
        ]
        if any(s in self.viewers for s in same):
            return None
        if same:
            return (
                f"cloudRun.service {name} is a Cloud Run service of this stack that does not run as the site's "
                "viewer identity"
            )
        return f"cloudRun.service {name} is not a Cloud Run service of this stack in the NEG's project and region"

    def viewer_negs(self) -> list[PolicyResource]:
        return [n for n in self.negs if self.neg_problem(n) is None]

    def group_problem(self, backend: PolicyResource, index: int, group: Any) -> str | None:
        """Why ``backends[index].group`` does not lead to the viewer (``None`` when it does or is not known yet)."""
        if group is UNKNOWN:
            computed_from = property_dependencies(backend, "backends")
            if not computed_from:
                raise UnknownValueError(UNKNOWN_STRING_VALUE, [f"[{backend.name}]", "backends", str(index), "group"])
            return None  # each NEG it is computed from is judged itself
        if not isinstance(group, str):
            return f"backends[{index}].group is not set"
        if "/instanceGroups/" in group:
            return (
                f"backends[{index}].group {group} is an instance group: the launch endpoint serves only the site's "
                "serverless viewer"
            )
        matched = [n for n in self.negs if references(backend, "backends", group, n)]
        if not matched:
            return f"backends[{index}].group {group} is not a network endpoint group of this stack"
        for neg in matched:
            problem = self.neg_problem(neg)
            if problem is not None:
                return f"backends[{index}].group {group} is NEG {neg.name!r}, whose {problem}"
        return None

    def backend_problems(self, backend: PolicyResource) -> list[str]:
        groups = items(backend.props, "backends")
        if groups == [UNKNOWN]:
            if not property_dependencies(backend, "backends"):
                raise UnknownValueError(UNKNOWN_STRING_VALUE, [f"[{backend.name}]", "backends"])
            return []
        return [
            p
            for index, entry in enumerate(groups)
            if (p := self.group_problem(backend, index, leaf(entry, "group") if entry is not UNKNOWN else UNKNOWN))
        ]

    def service_problem(self, owner: PolicyResource, key: str, value: Any) -> str | None:
        """Why a URL map's (or proxy's) service reference does not lead to the viewer's backend."""
        if value is UNKNOWN:
            computed_from = property_dependencies(owner, key)
            if not computed_from:
                raise UnknownValueError(UNKNOWN_STRING_VALUE, [f"[{owner.name}]", key])
            if any(b.urn in computed_from for b in self.buckets):
                return "is computed from a backend bucket, which serves a bucket's objects past bucket IAM"
            if any(b.urn in computed_from for b in self.backends):
                return None  # computed from the stack's backend services, each judged itself
            # computed from something that is no backend of the stack: where it leads is known only at update
            raise UnknownValueError(UNKNOWN_STRING_VALUE, [f"[{owner.name}]", key])
        if not isinstance(value, str):
            return None
        if "/backendBuckets/" in value or any(references(owner, key, value, b) for b in self.buckets):
            return (
                f"names backend bucket {value}: it serves a bucket's objects to whoever reaches the load balancer, "
                "past bucket IAM"
            )
        if not any(references(owner, key, value, b) for b in self.backends):
            return f"names {value}, which is not a backend service of this stack"
        return None  # a backend service of the stack: its groups are judged on it


def _redirect(where: str, redirect: Any, hosts: frozenset[str], source: str) -> str | None:
    host = leaf(redirect, "hostRedirect")
    if host in (None, "", UNKNOWN) or str(host).lower().rstrip(".") in hosts:
        return None
    return (
        f"{where}.hostRedirect sends launch requests to {host}, not the launch hostname ({source}): the launch "
        "token in the query goes with them. Remove hostRedirect (redirect on the same host) or route to the viewer."
    )


def _cors(where: str, cors: Any, hosts: frozenset[str]) -> str | None:
    if leaf(cors, "disabled") is True:
        return None
    origins = {f"https://{h}" for h in hosts}
    extra = [o for o in items(cors, "allowOrigins") if o is not UNKNOWN and str(o).lower().rstrip("/") not in origins]
    extra += [f"regex {r}" for r in items(cors, "allowOriginRegexes") if r is not UNKNOWN]
    if not extra:
        return None
    return (
        f"{where} admits origin {extra[0]}: scripts of that site could read the viewer's responses in a "
        f"radiologist's session. Admit only {', '.join(sorted(origins)) or 'the viewer origin'} or remove corsPolicy."
    )


def _node_problem(where: str, key: str, node: Any, hosts: frozenset[str], source: str) -> str | None:
    """Why a route action (or redirect) sends launch traffic somewhere else, or ``None``."""
    if key == "requestMirrorPolicy":
        return (
            f"{where} copies launch requests to {leaf(node, 'backendService') or 'another backend'}: a mirror sends "
            "every request (and its launch token) to a second destination. Remove requestMirrorPolicy."
        )
    if key in ("urlRedirect", "defaultUrlRedirect"):
        return _redirect(where, node, hosts, source)
    if key == "corsPolicy":
        return _cors(where, node, hosts)
    if key == "faultInjectionPolicy":
        return (
            f"{where} aborts or delays launch requests at the load balancer (a test harness, not a route). "
            "Remove faultInjectionPolicy."
        )
    return None


def _url_map(stack: _Stack, url_map: PolicyResource, hosts: frozenset[str], source: str, report: Report) -> None:
    for top in url_map.props:
        if top in NOT_ROUTING:
            continue
        value = leaf(url_map.props, top)
        for where, key, node in [(top, top, value), *_walk(value, top)]:
            if node is None:
                continue
            if node is UNKNOWN and key not in SERVICE_KEYS and top in ROUTING:
                raise UnknownValueError(UNKNOWN_STRING_VALUE, [f"[{url_map.name}]", *where.split(".")])
            if key in SERVICE_KEYS and not where.endswith("requestMirrorPolicy.backendService"):
                problem = stack.service_problem(url_map, top, node)
                if problem is not None:
                    problem = f"{where} {problem}. Route every request to the site viewer's backend service."
            else:
                problem = _node_problem(where, key, node, hosts, source)
            if problem is not None:
                report(f"URL map {url_map.name!r}: {problem}", url_map.urn)


def _signs_on_through_iap() -> bool:
    """Whether the stack's site config declares ``viewer.signOn: iap``."""
    return (section(site_setting, "viewer") or {}).get("signOn") == "iap"


def _iap_problem(backend: PolicyResource) -> str | None:
    """Why a backend service of a site signing on through IAP lets requests past IAP (``None`` when it does not)."""
    enabled = leaf(backend.props, "iap", "enabled")
    if enabled is UNKNOWN or leaf(backend.props, "iap") is UNKNOWN:
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [f"[{backend.name}]", "iap", "enabled"])
    if enabled is True:
        return None
    state = "is not set" if leaf(backend.props, "iap") in (None, {}) else f"enabled is {enabled}"
    return (
        f"iap {state}, while the stack's {SITE_NAMESPACE}:viewer.signOn is iap: launch requests reach the viewer "
        "without the hospital's sign-on. Set iap.enabled to true (ViewerEndpoint does for signOn iap)."
    )


def _check(args: StackValidationArgs, report: Report) -> None:
    stack = _Stack(list(args.resources))
    if _signs_on_through_iap():
        for backend in stack.backends:
            serves = bool(items(backend.props, "backends"))  # a backend without groups sends nothing anywhere
            if serves and not stack.backend_problems(backend) and (problem := _iap_problem(backend)):
                report(f"backend service {backend.name!r}: {problem}", backend.urn)
    hosts, source = viewer_hostnames(args.get_config())
    for neg in stack.negs:
        problem = stack.neg_problem(neg)
        if problem is not None:
            report(
                f"network endpoint group {neg.name!r}: {problem}. Point the NEG at the site's viewer Cloud Run "
                "service (cloudRun.service), or remove it.",
                neg.urn,
            )
    for backend in stack.backends:
        for problem in stack.backend_problems(backend):
            if "is NEG " in problem:
                continue  # the NEG is reported itself
            report(
                f"backend service {backend.name!r}: {problem}. Use the serverless NEG of the site's viewer.",
                backend.urn,
            )
    for url_map in stack.url_maps:
        _url_map(stack, url_map, hosts, source, report)
    for proxy in (r for r in args.resources if r.resource_type in tokens.TLS_PROXIES):
        _proxy(stack, proxy, report)


def _proxy(stack: _Stack, proxy: PolicyResource, report: Report) -> None:
    url_map = leaf(proxy.props, "urlMap")
    if url_map is not None and not any(references(proxy, "urlMap", url_map, m) for m in stack.url_maps):
        if url_map is UNKNOWN and property_dependencies(proxy, "urlMap"):
            return
        report(
            f"proxy {proxy.name!r} routes by URL map {url_map} (urlMap), which is not in this stack: the pack cannot "
            "see where it sends launch traffic. Use the URL map of this stack.",
            proxy.urn,
        )
    backend = leaf(proxy.props, "backendService")
    if backend is not None and (problem := stack.service_problem(proxy, "backendService", backend)):
        report(f"proxy {proxy.name!r}: backendService {problem}. Use the site viewer's backend service.", proxy.urn)


POLICIES = [
    stack_policy(
        name="gcp-compute-traffic-to-site-viewer",
        types=sorted(tokens.URL_MAPS | tokens.BACKEND_SERVICES | tokens.TLS_PROXIES | NEGS),
        control="NET-09",
        description=(
            "Every URL-map route, backend group and network endpoint group of the launch endpoint leads to the site's "
            "viewer in this stack; nothing mirrors, splits, redirects or serves launch traffic elsewhere."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            "Route every URL-map service reference (default service, path and route rules, weighted backend "
            "services, error service) to the viewer's backend service of this stack; give backend services only "
            "the serverless NEG of the site's viewer Cloud Run service; remove request mirrors, fault injection, "
            "backend buckets, internet, hybrid and Private Service Connect NEGs, redirects to other hosts and CORS "
            "for other origins (ViewerEndpoint builds exactly this)."
        ),
        check=_check,
        config={
            "allowedHostnames": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The launch hostnames redirects and CORS may name (default: the site's viewer.domain).",
            }
        },
    ),
]
