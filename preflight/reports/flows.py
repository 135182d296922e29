"""The data-flow diagram of one site, generated from its plan and laid out by Graphviz.

Who talks to whom, over what, and where the logs go: the hospital's PACS, worklist endpoints and
clinicians' networks (from the site config), the site VPC and its subnets, the viewer, the load
balancer, the image and access-log buckets, the keys, the log bucket and the SIEM destination (from
the plan's resources), inside the VPC Service Controls perimeter drawn as a boundary around the project
(solid when enforced, dashed in dry run), with an edge for each access level and each ingress and egress
rule that crosses it. Each edge is labelled with its protocol and TLS floor and with the firewall
rule, route or grant that allows it. A node or edge whose resource the pack flagged is drawn in red
(orange when it could not be judged in preview); a flagged resource the diagram does not otherwise
show gets a red node of its own, so nothing flagged is left out.

Graphviz (``dot``) does the layout: ``svg()`` returns ``None`` when it is not installed and
``unavailable()`` says how to install it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import graphviz

from components import ranges
from preflight.engine import gcp_tokens
from preflight.engine.runner import UNKNOWN, Resource

if TYPE_CHECKING:
    from preflight.judge.results import SiteResult
    from program.config import SiteConfig

RED, ORANGE, INK, MUTED = "#c62828", "#e65100", "#263238", "#607d8b"
LB_RANGES = ranges.LOAD_BALANCER_RANGES
RESTRICTED_VIP = ranges.RESTRICTED_GOOGLE_APIS
INSTALL = "apt-get install -y graphviz (Debian/Ubuntu) or brew install graphviz (macOS)"


def unavailable() -> str | None:
    """Why the diagram cannot be drawn here, or ``None`` when Graphviz's ``dot`` is on the PATH."""
    if shutil.which("dot") is None:
        return f"the data-flow diagram needs Graphviz's dot on the PATH: {INSTALL}"
    return None


def _s(value: Any) -> str:
    if value == UNKNOWN:
        return "(unknown in preview)"
    return value if isinstance(value, str) else ""


def _list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list | tuple) else []


def _covered(cidr: str, ranges: Iterable[str]) -> bool:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
        return any(network.overlaps(ipaddress.ip_network(r, strict=False)) for r in ranges)
    except ValueError:
        return False


def _ports(rule: Resource) -> str:
    parts = []
    for allow in rule.inputs.get("allows") or []:
        if isinstance(allow, Mapping):
            ports = ",".join(_list(allow.get("ports"))) or "all"
            parts.append(f"{_s(allow.get('protocol'))}:{ports}")
    return " ".join(parts)


@dataclass
class _Graph:
    """Nodes and edges with the URNs they stand for, before styling by findings."""

    flagged: Mapping[str, str]
    """URN to :data:`RED` (a finding) or :data:`ORANGE` (not judged in preview)."""
    graph: graphviz.Digraph
    drawn: set[str] = field(default_factory=set)

    def _colour(self, urns: Iterable[str]) -> str | None:
        colours = {self.flagged[u] for u in urns if u in self.flagged}
        self.drawn |= set(urns)
        return RED if RED in colours else (ORANGE if colours else None)

    def node(self, g: graphviz.Digraph, key: str, lines: list[str], urns: Iterable[str] = (), **attrs: str) -> None:
        urns = list(urns)
        colour = self._colour(urns)
        if colour:
            attrs |= {"color": colour, "fontcolor": colour, "penwidth": "2.5"}
            lines = [*lines, "FLAGGED by the pack"]
        g.node(key, "\\n".join(_escape(line) for line in lines), **attrs)

    def edge(
        self, tail: str, head: str, lines: list[str], urns: Iterable[str] = (), *, side: bool = False, **attrs: str
    ) -> None:
        """An edge labelled with ``lines``; ``side`` places the label beside the edge after layout (for
        edges whose label would otherwise sit on a node)."""
        urns = list(urns)
        colour = self._colour(urns)
        if colour:
            attrs |= {"color": colour, "fontcolor": colour, "penwidth": "2.5"}
        text = "\\n".join(_escape(line) for line in lines if line)
        if side:
            self.graph.edge(tail, head, xlabel=text, **attrs)
        else:
            self.graph.edge(tail, head, text, **attrs)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _key(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _by_type(plan: Sequence[Resource], token: str) -> list[Resource]:
    """The resources of one type, by name: the program registers them concurrently, in no fixed order."""
    return sorted((r for r in plan if r.custom and r.type == token), key=lambda r: r.name)


class _Plan:
    """The plan's resources by kind, as the diagram reads them."""

    def __init__(self, plan: list[Resource]) -> None:
        self.all = plan
        of = self.of
        self.buckets = of(gcp_tokens.STORAGE_BUCKET)
        self.grants = of(gcp_tokens.STORAGE_BUCKET_IAMMEMBER)
        self.firewalls = of(gcp_tokens.COMPUTE_FIREWALL)
        self.routes = of(gcp_tokens.COMPUTE_ROUTE)
        self.keys = of(gcp_tokens.KMS_CRYPTO_KEY)
        self.key_grants = of(gcp_tokens.KMS_CRYPTO_KEY_IAMMEMBER)
        self.services = of(gcp_tokens.CLOUDRUNV2_SERVICE)
        self.subnets = of(gcp_tokens.COMPUTE_SUBNETWORK)
        self.log_buckets = of(gcp_tokens.LOGGING_PROJECT_BUCKET_CONFIG)
        self.topics = of(gcp_tokens.PUBSUB_TOPIC)
        self.org_tls = [
            r for r in of(gcp_tokens.ORGPOLICY_POLICY) if _s(r.inputs.get("name")).endswith("restrictTLSVersion")
        ]

    def of(self, token: str) -> list[Resource]:
        return _by_type(self.all, token)

    @staticmethod
    def bucket_kind(bucket: Resource) -> str:
        classification = _s((bucket.inputs.get("labels") or {}).get("data-classification"))
        return {"patient-data": "Image bucket", "patient-metadata": "Access-log bucket"}.get(classification, "Bucket")

    @property
    def image_buckets(self) -> list[Resource]:
        return [b for b in self.buckets if self.bucket_kind(b) == "Image bucket"] or self.buckets[:1]

    @property
    def tls_floor(self) -> str:
        where = f"org policy {self.org_tls[0].name}" if self.org_tls else "the organisation's org policy"
        return f"TLS 1.2+ ({where})"


def build(result: SiteResult) -> graphviz.Digraph:
    """The site's data-flow graph (``graphviz.Digraph``; ``svg()`` renders it)."""
    flagged: dict[str, str] = {}
    for f in result.findings:
        if flagged.get(f.urn) != RED:
            flagged[f.urn] = ORANGE if f.skipped_in_preview else RED
    dot = graphviz.Digraph(
        f"flows_{_key(result.site)}",
        graph_attr={
            "rankdir": "TB",
            "newrank": "true",
            "fontname": "Helvetica",
            "fontsize": "11",
            "nodesep": "0.35",
            "ranksep": "0.9",
            "label": f"Data flows of site {result.site} (from the plan, {'+'.join(result.modes)} mode)",
            "labelloc": "t",
            "forcelabels": "true",
        },
        node_attr={"shape": "box", "style": "rounded", "fontname": "Helvetica", "fontsize": "10", "color": INK},
        edge_attr={"fontname": "Helvetica", "fontsize": "8", "color": MUTED, "fontcolor": INK},
    )
    g = _Graph(flagged, dot)
    plan, site = _Plan(result.plan), result.site_config
    _hospital(g, site, result.site)
    perimeter = _perimeter_of(plan)
    with _boundary(g, dot, perimeter) as outer, outer.subgraph(name="cluster_project") as p:
        where = f"{site.gcp_project} ({site.region})" if site else ""
        p.attr(label=f"Google Cloud project {where}", style="solid", color=INK)
        _network(g, p, plan)
        lb = _load_balancer(g, p, plan.all)
        _stores(g, p, plan)
    _storage_edges(g, plan, site)
    _worklist_edges(g, plan, site)
    if lb is not None:
        _launch_edges(g, plan, site, lb)
    for subnet in plan.subnets:
        g.edge(_key(subnet.urn), "logging", ["VPC flow and firewall logs"], style="dashed")
    _key_edges(g, plan)
    _siem(g, dot, plan.all, site)
    if perimeter is not None:
        _perimeter_edges(g, dot, plan, site, perimeter)
    _leftovers(g, dot, plan.all, flagged)
    return dot


def _hospital(g: _Graph, site: SiteConfig | None, name: str) -> None:
    with g.graph.subgraph(name="cluster_hospital") as h:
        h.attr(label=f"Hospital networks (site {site.site_code if site else name})", style="dashed", rank="same")
        if site is None:
            return
        net = site.network
        g.node(h, "pacs", ["PACS", *net.pacs_egress_cidrs], shape="cylinder")
        sources = [*net.hospital_networks, *(site.viewer.allowed_sources if site.viewer else [])]
        g.node(h, "clinicians", ["Clinicians' workstations", *sources])
        for key, endpoint in net.worklist.items():
            hop = next((k for k, v in endpoint.next_hop.model_dump().items() if v), "BGP")
            ports = ",".join(str(p) for p in endpoint.ports)
            g.node(h, f"worklist_{_key(key)}", [f"Worklist {key}", *endpoint.cidrs, f"ports {ports}, via {hop}"])


def _network(g: _Graph, p: graphviz.Digraph, plan: _Plan) -> None:
    for network in plan.of(gcp_tokens.COMPUTE_NETWORK):
        with p.subgraph(name=f"cluster_{_key(network.urn)}") as v:
            flagged = g.flagged.get(network.urn)
            v.attr(
                label=f"VPC {_s(network.inputs.get('name')) or network.name}",
                style="rounded",
                color=flagged or MUTED,
                fontcolor=flagged or INK,
                penwidth="2.5" if flagged else "1",
            )
            g.node(v, _key(network.urn), ["(custom mode)"], [network.urn], shape="plaintext")
            for subnet in plan.subnets:
                flow = "flow logs" if subnet.inputs.get("logConfig") else "NO flow logs"
                lines = [f"Subnet {subnet.name}", _s(subnet.inputs.get("ipCidrRange")), flow]
                g.node(v, _key(subnet.urn), lines, [subnet.urn], shape="component")
            for service in plan.services:
                template = service.inputs.get("template") or {}
                interfaces = (template.get("vpcAccess") or {}).get("networkInterfaces") or []
                tags = [t for n in interfaces for t in _list(n.get("tags"))]
                lines = [
                    f"Viewer (Cloud Run {service.name})",
                    f"runs as {_s(template.get('serviceAccount'))}",
                    f"tag {', '.join(tags)}",
                ]
                g.node(v, "viewer", lines, [service.urn], style="rounded,filled", fillcolor="#e3f2fd")


def _stores(g: _Graph, p: graphviz.Digraph, plan: _Plan) -> None:
    for b in plan.buckets:
        retention = b.inputs.get("retentionPolicy")
        lines = [plan.bucket_kind(b), _s(b.inputs.get("name")) or b.name]
        if isinstance(retention, Mapping) and retention.get("isLocked"):
            lines.append("retention locked")
        g.node(p, _key(b.urn), lines, [b.urn], shape="cylinder")
    with p.subgraph(name="cluster_kms") as k:
        rings = plan.of(gcp_tokens.KMS_KEY_RING)
        k.attr(label="Cloud KMS key ring " + ", ".join(r.name for r in rings), style="dashed", color=MUTED)
        for ring in rings:
            protected = "(protected)" if ring.protect else "(not protected)"
            g.node(k, _key(ring.urn), [protected], [ring.urn], shape="plaintext")
        for key in plan.keys:
            days = _s(key.inputs.get("rotationPeriod")).rstrip("s")
            rotation = f"rotates every {int(days) // 86400} days" if days.isdigit() else "no rotation"
            level = _s((key.inputs.get("versionTemplate") or {}).get("protectionLevel")) or "SOFTWARE"
            g.node(k, _key(key.urn), [f"Key {key.name}", f"AES-256, {level}", rotation], [key.urn], shape="note")
    g.node(p, "logging", ["Cloud Logging", "audit, flow, firewall,", "load-balancer, DNS logs"], shape="ellipse")
    for bucket in plan.log_buckets:
        retention = bucket.inputs.get("retentionDays")
        locked = "locked" if bucket.inputs.get("locked") is True else "NOT locked"
        kept = f"{int(retention)} days" if isinstance(retention, int | float) else ""
        lines = ["Log bucket", _s(bucket.inputs.get("bucketId")), f"{locked}, {kept}"]
        g.node(p, _key(bucket.urn), lines, [bucket.urn], shape="cylinder")
    for topic in plan.topics:
        g.node(p, _key(topic.urn), ["SIEM export topic", _s(topic.inputs.get("name"))], [topic.urn], shape="cds")


def _storage_edges(g: _Graph, plan: _Plan, site: SiteConfig | None) -> None:
    tls_urns = [r.urn for r in plan.org_tls]
    for image in plan.image_buckets:
        name = _s(image.inputs.get("name"))
        public = _list(
            ((image.inputs.get("ipFilter") or {}).get("publicNetworkSource") or {}).get("allowedIpCidrRanges")
        )
        mine = [r for r in plan.grants if _s(r.inputs.get("bucket")) == name]
        creators = [r for r in mine if _s(r.inputs.get("role")) == "roles/storage.objectCreator"]
        viewers = [
            r
            for r in mine
            if _s(r.inputs.get("role")) == "roles/storage.objectViewer"
            and _s(r.inputs.get("member")).startswith("serviceAccount:")
        ]
        if site is not None:
            admitted = [c for c in public if _covered(c, site.network.pacs_egress_cidrs)]
            lines = [
                "uploads: HTTPS, " + plan.tls_floor,
                "IP filter admits " + (", ".join(admitted) or "NOT the PACS ranges"),
                "grant " + ", ".join(r.name for r in creators) + " (objectCreator)",
            ]
            g.edge("pacs", _key(image.urn), lines, [image.urn, *tls_urns, *(r.urn for r in creators)])
        if plan.services:
            rules = [r for r in plan.firewalls if RESTRICTED_VIP in _list(r.inputs.get("destinationRanges"))]
            routes = [r for r in plan.routes if _s(r.inputs.get("destRange")) == RESTRICTED_VIP]
            lines = [
                "reads: HTTPS, " + plan.tls_floor,
                "via restricted.googleapis.com",
                "firewall " + ", ".join(f"{r.name} ({_ports(r)})" for r in rules),
                "route " + ", ".join(r.name for r in routes),
                "grant " + ", ".join(r.name for r in viewers) + " (objectViewer)",
            ]
            urns = [*(r.urn for r in rules), *(r.urn for r in routes), *(r.urn for r in viewers), *tls_urns]
            g.edge("viewer", _key(image.urn), lines, urns)
        log_bucket = _s((image.inputs.get("logging") or {}).get("logBucket"))
        for other in plan.buckets:
            if other is not image and log_bucket and log_bucket == _s(other.inputs.get("name")):
                writers = [r for r in plan.grants if _s(r.inputs.get("bucket")) == log_bucket]
                lines = ["usage logs (logging.logBucket)", "grant " + ", ".join(r.name for r in writers)]
                g.edge(_key(image.urn), _key(other.urn), lines, [r.urn for r in writers], style="dashed")
        g.edge(_key(image.urn), "logging", ["Data Access audit logs"], style="dashed")


def _worklist_edges(g: _Graph, plan: _Plan, site: SiteConfig | None) -> None:
    if site is None or not plan.services:
        return
    for name, endpoint in site.network.worklist.items():
        rules = [
            r
            for r in plan.firewalls
            if r.inputs.get("allows")
            and any(_covered(c, endpoint.cidrs) for c in _list(r.inputs.get("destinationRanges")))
        ]
        hops = [r for r in plan.routes if _covered(_s(r.inputs.get("destRange")), endpoint.cidrs)]
        ports = ",".join(str(p) for p in endpoint.ports)
        lines = [
            f"TCP {ports} (TLS per the worklist server)",
            ("firewall " + ", ".join(f"{r.name} ({_ports(r)})" for r in rules)) if rules else "NO allow rule",
            ("route " + ", ".join(r.name for r in hops)) if hops else "routes learned over BGP",
        ]
        g.edge("viewer", f"worklist_{_key(name)}", lines, [*(r.urn for r in rules), *(r.urn for r in hops)])


def _launch_edges(g: _Graph, plan: _Plan, site: SiteConfig | None, lb: _Edge) -> None:
    if site is not None:
        lines = ["viewer launch from the worklist: HTTPS, " + lb.tls, lb.armor]
        g.edge("clinicians", lb.node, lines, lb.urns)
    if plan.services:
        ingress = [
            r
            for r in plan.firewalls
            if r.inputs.get("allows") and any(_covered(c, LB_RANGES) for c in _list(r.inputs.get("sourceRanges")))
        ]
        firewall = ("firewall " + ", ".join(f"{r.name} ({_ports(r)})" for r in ingress)) if ingress else ""
        g.edge(lb.node, "viewer", [*lb.backends, firewall], [r.urn for r in ingress])
    g.edge(lb.node, "logging", ["request logs"], style="dashed")


def _key_edges(g: _Graph, plan: _Plan) -> None:
    users = [
        *[(b.urn, _s((b.inputs.get("encryption") or {}).get("defaultKmsKeyName"))) for b in plan.buckets],
        *[(b.urn, _s((b.inputs.get("cmekSettings") or {}).get("kmsKeyName"))) for b in plan.log_buckets],
        *[(t.urn, _s(t.inputs.get("kmsKeyName"))) for t in plan.topics],
    ]
    for key in plan.keys:
        suffix = f"/cryptoKeys/{_s(key.inputs.get('name')) or key.name}"
        agents = [r for r in plan.key_grants if _s(r.inputs.get("cryptoKeyId")).endswith(suffix)]
        for urn, kms in users:
            if kms.endswith(suffix):
                lines = ["CMEK", "grant " + ", ".join(r.name for r in agents)]
                g.edge(
                    _key(key.urn),
                    _key(urn),
                    lines,
                    [r.urn for r in agents],
                    side=True,
                    style="dotted",
                    arrowhead="odot",
                )


@dataclass(frozen=True)
class _Edge:
    """The load balancer as the launch edges need it."""

    node: str
    urns: list[str]
    tls: str
    armor: str
    backends: list[str]


def _load_balancer(g: _Graph, p: graphviz.Digraph, plan: list[Resource]) -> _Edge | None:
    proxies = _by_type(plan, gcp_tokens.COMPUTE_TARGET_HTTPS_PROXY)
    if not proxies:
        return None
    policies = _by_type(plan, gcp_tokens.COMPUTE_SSLPOLICY)
    armors = _by_type(plan, gcp_tokens.COMPUTE_SECURITY_POLICY)
    backends = _by_type(plan, gcp_tokens.COMPUTE_BACKEND_SERVICE)
    rules = _by_type(plan, gcp_tokens.COMPUTE_GLOBAL_FORWARDING_RULE)
    maps = _by_type(plan, gcp_tokens.COMPUTE_URLMAP)
    http = _by_type(plan, gcp_tokens.COMPUTE_TARGET_HTTP_PROXY)
    tls = (
        ", ".join(
            f"{_s(s.inputs.get('minTlsVersion')).replace('TLS_', 'TLS ').replace('_', '.')}+ (SSL policy {s.name}, "
            f"{_s(s.inputs.get('profile'))})"
            for s in policies
        )
        or "NO SSL policy"
    )
    allowed = [
        c
        for a in armors
        for rule in a.inputs.get("rules") or []
        if _s(rule.get("action")) == "allow"
        for c in _list(((rule.get("match") or {}).get("config") or {}).get("srcIpRanges"))
    ]
    armor = (
        "Cloud Armor " + ", ".join(a.name for a in armors) + " admits " + ", ".join(allowed)
        if armors
        else "NO Cloud Armor"
    )
    backend_lines = []
    for b in backends:
        sign_on = (
            "IAP" if (b.inputs.get("iap") or {}).get("enabled") is True else "launch token (checked by the viewer)"
        )
        backend_lines.append(f"{_s(b.inputs.get('protocol'))} (backend {b.name}), sign-on: {sign_on}")
    urns = [r.urn for r in [*proxies, *policies, *armors, *rules, *maps, *http]]
    ports = ", ".join(_s(r.inputs.get("portRange")) for r in rules)
    g.node(
        p,
        "lb",
        ["Load balancer (launch endpoint)", f"ports {ports} (80 redirects only)" if http else f"ports {ports}", tls],
        urns,
        shape="hexagon",
    )
    return _Edge("lb", [r.urn for r in [*policies, *armors, *proxies]], tls, armor, backend_lines)


def _siem(g: _Graph, dot: graphviz.Digraph, plan: list[Resource], site: SiteConfig | None) -> None:
    sinks = _by_type(plan, gcp_tokens.LOGGING_PROJECT_SINK)
    log_buckets = _by_type(plan, gcp_tokens.LOGGING_PROJECT_BUCKET_CONFIG)
    topics = _by_type(plan, gcp_tokens.PUBSUB_TOPIC)
    readers = _by_type(plan, gcp_tokens.PUBSUB_SUBSCRIPTION_IAMMEMBER)
    siem_drawn = False
    for sink in sinks:
        destination = _s(sink.inputs.get("destination"))
        target = next(
            (b for b in log_buckets if destination.endswith(f"/buckets/{_s(b.inputs.get('bucketId'))}")), None
        )
        target = target or next(
            (t for t in topics if destination.endswith(f"/topics/{_s(t.inputs.get('name'))}")), None
        )
        if target is not None:
            g.edge("logging", _key(target.urn), [f"sink {sink.name}"], [sink.urn])
            continue
        g.node(dot, "siem", ["SIEM (the organisation's central destination)", destination], shape="box3d")
        g.edge("logging", "siem", [f"sink {sink.name}", "writer identity granted by the organisation"], [sink.urn])
        siem_drawn = True
    for topic in topics:
        subscriber = site.logging.siem.subscriber if site is not None else None
        if not siem_drawn:
            g.node(dot, "siem", ["SIEM", subscriber or "subscriber"], shape="box3d")
            siem_drawn = True
        g.edge(
            _key(topic.urn),
            "siem",
            ["Pub/Sub pull: HTTPS, TLS 1.2+", "grant " + ", ".join(r.name for r in readers) + " (subscriber)"],
            [r.urn for r in readers],
        )


PERIMETER = gcp_tokens.ACCESSCONTEXTMANAGER_SERVICE_PERIMETER
ACCESS_LEVEL = gcp_tokens.ACCESSCONTEXTMANAGER_ACCESS_LEVEL


@dataclass(frozen=True)
class _Perimeter:
    """The site's regular perimeter and the configuration the diagram draws: ``status`` (enforced) or ``spec``."""

    resource: Resource
    side: str

    @property
    def config(self) -> Mapping[str, Any]:
        value = self.resource.inputs.get(self.side)
        return value if isinstance(value, Mapping) else {}

    def rules(self, kind: str) -> list[Mapping[str, Any]]:
        rules = self.config.get(f"{kind}Policies") or []
        return [r for r in rules if isinstance(r, Mapping)] if isinstance(rules, list) else []


def _perimeter_of(plan: _Plan) -> _Perimeter | None:
    """The first regular perimeter of the plan, its enforced configuration or else its explicit dry run."""
    for r in plan.of(PERIMETER):
        if r.inputs.get("perimeterType") == "PERIMETER_TYPE_BRIDGE":
            continue
        side = "spec" if r.inputs.get("useExplicitDryRunSpec") is True and not r.inputs.get("status") else "status"
        return _Perimeter(r, side)
    return None


def _boundary(
    g: _Graph, dot: graphviz.Digraph, perimeter: _Perimeter | None
) -> contextlib.AbstractContextManager[graphviz.Digraph]:
    """The perimeter's cluster around the project (or the diagram itself when the site has none); its node
    ``perimeter`` stands for the restricted APIs that rules and access levels reach."""
    if perimeter is None:
        return contextlib.nullcontext(dot)

    @contextlib.contextmanager
    def cluster() -> Any:
        with dot.subgraph(name="cluster_perimeter") as b:
            r, enforced = perimeter.resource, perimeter.side == "status"
            colour = g.flagged.get(r.urn) or (INK if enforced else ORANGE)
            state = "enforced" if enforced else "DRY RUN (spec): denies nothing, logs what it would deny"
            b.attr(
                label=f"VPC Service Controls perimeter {_s(r.inputs.get('title')) or r.name}: {state}",
                style="bold" if enforced else "dashed",
                color=colour,
                fontcolor=colour,
                penwidth="2.5",
            )
            services = [v.removesuffix(".googleapis.com") for v in _list(perimeter.config.get("restrictedServices"))]
            lines = [
                "Restricted Google APIs",
                ", ".join(services),
                f"for {', '.join(_list(perimeter.config.get('resources')))}",
            ]
            g.node(b, "perimeter", lines, [r.urn], shape="octagon")
            yield b

    return cluster()


def _perimeter_edges(
    g: _Graph, dot: graphviz.Digraph, plan: _Plan, site: SiteConfig | None, perimeter: _Perimeter
) -> None:
    """Each access level and ingress rule as an edge into the perimeter, each egress rule as an edge out."""
    levels = {_s(r.inputs.get("name")): r for r in plan.of(ACCESS_LEVEL)}
    ranges = {"pacs": site.network.pacs_egress_cidrs, "clinicians": site.network.hospital_networks} if site else {}

    def hospital_node(level: str) -> str:
        cidrs = _level_ranges(levels.get(level))
        return next((node for node, declared in ranges.items() if any(_covered(c, declared) for c in cidrs)), "")

    for name in _list(perimeter.config.get("accessLevels")):
        level = levels.get(name)
        node = hospital_node(name) or _outside(g, dot, name, "access level (not in the stack)")
        lines = [f"access level {name.rsplit('/', 1)[-1]}", ", ".join(_level_ranges(level))]
        g.edge(node, "perimeter", lines, [level.urn] if level else [], style="dashed")
    for rule in perimeter.rules("ingress"):
        source = rule.get("ingressFrom") or {}
        target = rule.get("ingressTo") or {}
        nodes = [
            hospital_node(_s(src.get("accessLevel")))
            or _outside(g, dot, _s(src.get("accessLevel")) or _s(src.get("resource")), "ingress source")
            for src in source.get("sources") or []
            if isinstance(src, Mapping)
        ]
        lines = [
            f"ingress {_s(rule.get('title'))}: " + ", ".join(_list(source.get("identities"))),
            _operations(target),
            "to " + ", ".join(_list(target.get("resources"))),
        ]
        for node in nodes or [_outside(g, dot, "any source", "ingress source")]:
            g.edge(node, "perimeter", lines, [perimeter.resource.urn], color="#2e7d32")
    for rule in perimeter.rules("egress"):
        source = rule.get("egressFrom") or {}
        target = rule.get("egressTo") or {}
        resources = _list(target.get("resources")) + _list(target.get("externalResources"))
        lines = [
            f"egress {_s(rule.get('title'))}: "
            + (", ".join(_list(source.get("identities"))) or "(unknown in preview)"),
            _operations(target),
        ]
        for resource in resources or ["any resource"]:
            g.edge(
                "perimeter",
                _outside(g, dot, resource, "egress target"),
                lines,
                [perimeter.resource.urn],
                color="#6a1b9a",
            )


def _level_ranges(level: Resource | None) -> list[str]:
    if level is None:
        return []
    conditions = (level.inputs.get("basic") or {}).get("conditions") or []
    return [c for cond in conditions if isinstance(cond, Mapping) for c in _list(cond.get("ipSubnetworks"))]


def _operations(target: Mapping[str, Any]) -> str:
    found = []
    for op in target.get("operations") or []:
        if isinstance(op, Mapping):
            methods = [_s(m.get("method") or m.get("permission")) for m in op.get("methodSelectors") or []]
            found.append(f"{_s(op.get('serviceName'))} {' '.join(m.rsplit('.', 1)[-1] for m in methods)}".strip())
    return "; ".join(found)


def _outside(g: _Graph, dot: graphviz.Digraph, what: str, kind: str) -> str:
    """A node outside the perimeter for a rule's other end (a project, a level the stack does not declare)."""
    key = f"outside_{_key(what)}"
    g.node(dot, key, [what, f"({kind})"], shape="box3d")
    return key


def _leftovers(g: _Graph, dot: graphviz.Digraph, plan: list[Resource], flagged: Mapping[str, str]) -> None:
    """A node for every flagged resource the diagram has not drawn, so nothing flagged is hidden."""
    by_urn = {r.urn: r for r in plan}
    rest = sorted(urn for urn in flagged if urn not in g.drawn)
    if not rest:
        return
    with dot.subgraph(name="cluster_flagged") as f:
        f.attr(label="Other resources the pack flagged", color=RED, fontcolor=RED, style="dashed")
        for urn in rest:
            r = by_urn.get(urn)
            kind = r.type.rsplit(":", 1)[-1] if r else "stack"
            name = r.name if r else (urn.rsplit("::", 1)[-1] or "the stack")
            g.node(f, f"flagged_{_key(urn)}", [f"{kind} {name}"], [urn])


def svg(result: SiteResult) -> str | None:
    """The diagram as an inline SVG element (no XML prolog), or ``None`` without Graphviz."""
    if unavailable():
        return None
    try:
        text = str(build(result).pipe(format="svg", encoding="utf-8"))
    except graphviz.ExecutableNotFound:
        return None
    start = text.find("<svg")
    return text[start:] if start >= 0 else text
