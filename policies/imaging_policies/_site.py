"""What a site declares (its region, what it may reach) and the CIDR and port arithmetic to judge with.

The region and the allowlists come from a policy's own config when the pack is configured with one
(``--policy-pack-config``), and otherwise from the stack's site config, which the engine hands to
every policy pack (``PULUMI_CONFIG``; read through ``pulumi.Config``). The pack parses only the keys
it needs and never imports the components.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

import pulumi

SITE_NAMESPACE: Final = "imaging-landing-zone"
RESTRICTED_GOOGLE_APIS: Final = "199.36.153.4/30"
RESTRICTED_GOOGLE_APIS_ADDRESSES: Final = frozenset({"199.36.153.4", "199.36.153.5", "199.36.153.6", "199.36.153.7"})
LOAD_BALANCER_RANGES: Final = ("130.211.0.0/22", "35.191.0.0/16")
IAP_RANGE: Final = "35.235.240.0/20"
WHOLE_INTERNET: Final = frozenset({"0.0.0.0/0", "::/0", "0.0.0.0", "::0"})  # noqa: S104 - ranges, not a bind
HTTPS: Final = 443


@dataclass(frozen=True)
class Destination:
    """Ranges and the TCP ports allowed to them."""

    cidrs: tuple[str, ...]
    ports: frozenset[int]


GOOGLE_APIS: Final = Destination((RESTRICTED_GOOGLE_APIS,), frozenset({HTTPS}))


@dataclass(frozen=True)
class NextHop:
    """A declared path to worklist ranges: ``kind`` is ``ip``, ``vpnTunnel`` or ``interconnectAttachment``
    (learned over BGP: no static route may carry it)."""

    cidrs: tuple[str, ...]
    kind: str
    hop: str


NEXT_HOP_KINDS: Final = ("ip", "vpnTunnel", "interconnectAttachment")


@dataclass(frozen=True)
class Allowlist:
    """A site's declared destinations and sources; ``source`` says where they were read from."""

    egress: tuple[Destination, ...] = ()
    routes: tuple[NextHop, ...] = ()
    public_sources: tuple[str, ...] = ()
    iap: bool = False
    source: str = "nothing declared"


def _network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return None


def inside(cidr: str, outers: Iterable[str]) -> bool:
    """Whether ``cidr`` (a range or an address) lies entirely inside one of ``outers``."""
    inner = _network(cidr)
    if inner is None:
        return False
    for outer in outers:
        candidate = _network(outer)
        if candidate is not None and inner.version == candidate.version and inner.subnet_of(candidate):  # type: ignore[arg-type]
            return True
    return False


def ports(values: Sequence[Any]) -> frozenset[int] | None:
    """The ports of a rule's ``ports`` list (``"443"``, ``"8000-8010"``); ``None`` when unparseable."""
    found: set[int] = set()
    for value in values:
        # numbers in policy config arrive as protobuf doubles
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        low, _, high = text.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            return None
        if not 0 < first <= last <= 65535:
            return None
        found.update(range(first, last + 1))
    return frozenset(found)


def allowed(cidr: str, wanted: frozenset[int], destinations: Iterable[Destination]) -> bool:
    """Whether every address of ``cidr`` on every port of ``wanted`` is covered by one declared destination."""
    return any(inside(cidr, d.cidrs) and wanted <= d.ports for d in destinations)


@cache
def site_setting(key: str) -> str | None:
    """A value of the stack's site config as the engine passes it (objects JSON-encoded), or ``None``.

    Cached until the engine names another stack (``forget``, called on ``ConfigureStack``).
    """
    return pulumi.Config(SITE_NAMESPACE).get(key)


PACK_NAMESPACE: Final = "imaging-site-requirements"
"""The stack-config namespace of the pack's own switches (``imaging-site-requirements:scope``)."""
SCOPES: Final = ("site", "resources")


@cache
def stack_scope() -> str:
    """``site`` when the stack is a hospital site, ``resources`` otherwise.

    A stack with ``imaging-landing-zone:siteCode`` is always a site: no stack setting can narrow what a
    site is judged for (an exemption is a reviewed policy-config entry with a reason). Another stack is a
    site when its config says ``imaging-site-requirements:scope: site``. Resource controls apply to every
    stack; the site-completeness controls (guard rails, audit config, SIEM export, alerts, ...) to sites."""
    if site_setting("siteCode"):
        return "site"
    declared = pulumi.Config(PACK_NAMESPACE).get("scope")
    return "site" if declared is not None and declared.strip().lower() == "site" else "resources"


def site_project() -> str | None:
    """The stack's site project: the site config's gcpProject, else the provider's ``gcp:project``."""
    return site_setting("gcpProject") or pulumi.Config("gcp").get("project")


def _site_section(key: str) -> Mapping[str, Any] | None:
    """A structured section of the stack's site config, if the stack has a readable one."""
    return section(site_setting, key)


Settings = Callable[[str], str | None]
"""How a site setting is read: the key (without namespace) to its value as the engine passes it (objects
JSON-encoded), or ``None``. The pack reads ``site_setting``; the offline check reads a stack file."""


def section(get: Settings, key: str) -> Mapping[str, Any] | None:
    """A structured section of a site config, if it has a readable one."""
    value = get(key)
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, Mapping) else None


def _destinations(entries: Iterable[Any]) -> tuple[Destination, ...]:
    found = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        cidrs = tuple(str(c) for c in entry.get("cidrs", []) if _network(c) is not None)
        allowed_ports = ports(entry.get("ports", []))
        if cidrs and allowed_ports:
            found.append(Destination(cidrs, allowed_ports))
    return tuple(found)


def _next_hops(entries: Iterable[Any]) -> tuple[NextHop, ...]:
    found: list[NextHop] = []
    for entry in entries:
        hop = entry.get("nextHop") if isinstance(entry, Mapping) else None
        if not isinstance(hop, Mapping):
            continue
        cidrs = tuple(str(c) for c in entry.get("cidrs", []) if _network(c) is not None)
        found.extend(NextHop(cidrs, kind, str(hop[kind])) for kind in NEXT_HOP_KINDS if hop.get(kind))
    return tuple(found)


@cache
def site_allowlist() -> Allowlist:
    """The allowlist the stack's site config declares (``imaging-landing-zone:network``)."""
    network = _site_section("network")
    if network is None:
        return Allowlist(source=f"no {SITE_NAMESPACE}:network in the stack config")
    worklist = network.get("worklist", {})
    publics = [*network.get("pacsEgressCidrs", []), *network.get("hospitalNetworks", [])]
    return Allowlist(
        egress=_destinations(worklist.values() if isinstance(worklist, Mapping) else []),
        routes=_next_hops(worklist.values() if isinstance(worklist, Mapping) else []),
        public_sources=tuple(str(c) for c in publics if _network(c) is not None),
        iap=network.get("iapAdministration") is True,
        source=f"the stack's {SITE_NAMESPACE}:network",
    )


def egress_allowlist(policy_config: Mapping[str, Any]) -> tuple[tuple[Destination, ...], str]:
    """The declared egress destinations: the policy's ``allowedEgress`` config, else the site config."""
    if "allowedEgress" in policy_config:
        return _destinations(policy_config["allowedEgress"]), "the policy's allowedEgress config"
    site = site_allowlist()
    return site.egress, site.source


def route_allowlist(policy_config: Mapping[str, Any]) -> tuple[tuple[NextHop, ...], str]:
    """The declared worklist next hops: the policy's ``allowedRoutes`` config, else the site config."""
    if "allowedRoutes" in policy_config:
        return _next_hops(policy_config["allowedRoutes"]), "the policy's allowedRoutes config"
    site = site_allowlist()
    return site.routes, site.source


def source_allowlist(policy_config: Mapping[str, Any]) -> tuple[tuple[str, ...], str]:
    """The public ranges allowed to reach image buckets: ``allowedSources`` config, else the site config."""
    if "allowedSources" in policy_config:
        return tuple(str(c) for c in policy_config["allowedSources"]), "the policy's allowedSources config"
    site = site_allowlist()
    return site.public_sources, site.source


def iap_allowed(policy_config: Mapping[str, Any]) -> bool:
    """Whether ingress from the IAP range is allowed: ``allowIap`` config, else the site config."""
    if "allowIap" in policy_config:
        return policy_config["allowIap"] is True
    return site_allowlist().iap


def site_region(policy_config: Mapping[str, Any]) -> tuple[frozenset[str], str] | None:
    """The locations image storage may use: ``allowedLocations`` config, else the site's ``region``."""
    if "allowedLocations" in policy_config:
        return frozenset(str(v).lower() for v in policy_config["allowedLocations"]), "the policy's allowedLocations"
    region = site_setting("region")
    if not region:
        return None
    return frozenset({region.lower()}), f"the stack's {SITE_NAMESPACE}:region"


def viewer_sources(policy_config: Mapping[str, Any]) -> tuple[tuple[str, ...], str]:
    """Public ranges the viewer's Cloud Armor may admit: ``allowedSources`` config, else the site config
    (``network.hospitalNetworks`` and ``viewer.allowedSources``)."""
    if "allowedSources" in policy_config:
        return tuple(str(c) for c in policy_config["allowedSources"]), "the policy's allowedSources config"
    network = _site_section("network") or {}
    viewer = _site_section("viewer") or {}
    found = [*network.get("hospitalNetworks", []), *viewer.get("allowedSources", [])]
    return tuple(str(c) for c in found if _network(c) is not None), f"the stack's {SITE_NAMESPACE}:network and :viewer"


VIEWER_PORTS: Final = frozenset({HTTPS})
"""The ports the viewer serves on when the site config declares none (``network.viewerPorts``'s default in the
site config model; a contract test holds the two equal)."""


def viewer_ports(policy_config: Mapping[str, Any]) -> tuple[frozenset[int], str]:
    """The TCP ports ingress may open to the viewer: ``allowedPorts`` config, else the site's
    ``network.viewerPorts``, else the site config model's default (443)."""
    if "allowedPorts" in policy_config:
        return ports(list(policy_config["allowedPorts"])) or frozenset(), "the policy's allowedPorts config"
    network = _site_section("network")
    declared = network.get("viewerPorts") if network is not None else None
    if isinstance(declared, list):
        return ports(declared) or frozenset(), f"the stack's {SITE_NAMESPACE}:network.viewerPorts"
    return VIEWER_PORTS, f"the default of {SITE_NAMESPACE}:network.viewerPorts"


def viewer_hostnames(policy_config: Mapping[str, Any]) -> tuple[frozenset[str], str]:
    """The launch endpoint's hostnames (lower case): ``allowedHostnames`` config, else the site's ``viewer.domain``
    (nothing when neither declares one)."""
    if "allowedHostnames" in policy_config:
        return frozenset(str(h).lower() for h in policy_config["allowedHostnames"]), "the policy's allowedHostnames"
    domain = (_site_section("viewer") or {}).get("domain")
    if isinstance(domain, str) and domain:
        return frozenset({domain.lower().rstrip(".")}), f"the stack's {SITE_NAMESPACE}:viewer.domain"
    return frozenset(), f"no {SITE_NAMESPACE}:viewer.domain in the stack config"


@dataclass(frozen=True)
class SupplyChain:
    """What the site declares about the viewer's image: the image (pinned by digest), the attestors that must
    have signed it (full names), its sign-on, and whether the site has a viewer at all."""

    viewer: bool = False
    image: str | None = None
    attestors: frozenset[str] = frozenset()
    sign_on: str | None = None


def site_supply_chain() -> SupplyChain:
    """The stack's ``imaging-landing-zone:viewer`` as far as the viewer's supply chain goes (NET-16, NET-17,
    ORG-13); an empty :class:`SupplyChain` when the stack declares no viewer."""
    viewer = _site_section("viewer")
    if viewer is None:
        return SupplyChain()
    image, sign_on = viewer.get("image"), viewer.get("signOn")
    attestors = viewer.get("attestors", [])
    return SupplyChain(
        viewer=True,
        image=image if isinstance(image, str) and image else None,
        attestors=frozenset(str(a) for a in attestors) if isinstance(attestors, list) else frozenset(),
        sign_on=sign_on if isinstance(sign_on, str) else None,
    )


def skipped_guard_rails() -> Mapping[str, str]:
    """Org-policy constraints the stack's site config skips, with the recorded reason."""
    section = _site_section("guardRails") or {}
    skip = section.get("skip", {})
    return {str(k): str(v) for k, v in skip.items()} if isinstance(skip, Mapping) else {}


@dataclass(frozen=True)
class Principals:
    """Who the stack's site config declares: its runtime identities, hospital groups and SIEM reader.

    Members are lower-case IAM member strings (``serviceAccount:...``, ``group:...``)."""

    viewer: str | None = None
    uploader: str | None = None
    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """``group:<email>`` to its site roles: ``reader``, ``uploader`` (``rbac``), ``iap`` (``viewer.iapGroups``),
    ``siem`` (``logging.siem.subscriber``)."""
    siem_subscriber: str | None = None
    project: str | None = None

    @property
    def identities(self) -> frozenset[str]:
        return frozenset(m for m in (self.viewer, self.uploader) if m)


def _account_member(section: Mapping[str, Any], key: str, default_id: str, project: str) -> str:
    entry = section.get(key)
    account_id = entry.get("accountId") if isinstance(entry, Mapping) else None
    return f"serviceaccount:{account_id or default_id}@{project}.iam.gserviceaccount.com".lower()


def _group(key: object) -> str:
    return "group:" + str(key).lower().removeprefix("group:")


@cache
def site_principals() -> Principals:
    """The principals the stack's site config declares (``identities``, ``rbac``, ``viewer.iapGroups``,
    ``logging.siem.subscriber``), with the component defaults for unset account ids."""
    return principals_from(site_setting, site_project())


def principals_from(get: Settings, project: str | None) -> Principals:
    """The principals a site config declares (see :func:`site_principals`), read through ``get``."""
    code = get("siteCode")
    identities = section(get, "identities") or {}
    roles: dict[str, set[str]] = {}
    viewer_section = section(get, "viewer") or {}
    for group in viewer_section.get("iapGroups", []) or []:
        roles.setdefault(_group(group), set()).add("iap")
    for group, role in (section(get, "rbac") or {}).items():
        roles.setdefault(_group(group), set()).add(str(role))
    siem = (section(get, "logging") or {}).get("siem") or {}
    subscriber = siem.get("subscriber") if isinstance(siem, Mapping) else None
    if isinstance(subscriber, str) and subscriber.lower().startswith("group:"):
        roles.setdefault(subscriber.lower(), set()).add("siem")
    groups = {group: frozenset(site_roles) for group, site_roles in roles.items()}
    if not project or not code:
        return Principals(groups=groups, siem_subscriber=subscriber.lower() if isinstance(subscriber, str) else None)
    return Principals(
        viewer=_account_member(identities, "viewer", f"{code}-viewer", project),
        uploader=_account_member(identities, "pacsUploader", f"{code}-pacs", project),
        groups=groups,
        siem_subscriber=subscriber.lower() if isinstance(subscriber, str) else None,
        project=project,
    )


MAX_CONDITION_DURATION: Final = 60
"""``logging.alerts.maxConditionDuration`` unless the site sets it (a copy of the site config's default)."""
MAX_QUIET_PERIOD: Final = 1800
"""``logging.alerts.maxQuietPeriod`` unless the site sets it (a copy of the site config's default)."""
MIN_ALERT_SEVERITY: Final = "ERROR"
"""``logging.alerts.minSeverity`` unless the site sets it (a copy of the site config's default)."""
IMAGE_READ_SPIKE: Final = 1000
"""``logging.alerts.imageReadSpike`` unless the site sets it (a copy of the site config's default)."""


@dataclass(frozen=True)
class AlertBounds:
    """What a security alert may be, as the site declares it (``imaging-landing-zone:logging.alerts``)."""

    max_condition_duration: int = MAX_CONDITION_DURATION
    """Seconds a condition may have to hold before it fires."""
    max_quiet_period: int = MAX_QUIET_PERIOD
    """Seconds after one alert during which a repeat may go unnotified (alignment, auto-close, rate limit)."""
    min_severity: str = MIN_ALERT_SEVERITY
    image_read_spike: int = IMAGE_READ_SPIKE
    """Reads by one principal within five minutes that must raise the anomaly alert."""


def _int_setting(section: Mapping[str, Any], key: str, default: int) -> int:
    value = section.get(key)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _alert_bounds(alerts: Mapping[str, Any]) -> AlertBounds:
    severity = alerts.get("minSeverity")
    return AlertBounds(
        max_condition_duration=_int_setting(alerts, "maxConditionDuration", MAX_CONDITION_DURATION),
        max_quiet_period=_int_setting(alerts, "maxQuietPeriod", MAX_QUIET_PERIOD),
        min_severity=severity if isinstance(severity, str) else MIN_ALERT_SEVERITY,
        image_read_spike=_int_setting(alerts, "imageReadSpike", IMAGE_READ_SPIKE),
    )


@dataclass(frozen=True)
class LoggingDeclaration:
    """Where the site's security logs and alerts go, as its config declares (``imaging-landing-zone:logging``).

    The derived names copy the components' (a contract test holds them equal): the Pub/Sub export
    topic ``<siteCode>-siem-export`` and the locked bucket ``<siteCode>-security-logs`` in the region.
    """

    siem: str | None = None
    """The SIEM sink's destination: the export topic (``subscriber``) or ``centralDestination``."""
    security_bucket: str | None = None
    """The locked security-log bucket, as a sink destination."""
    channels: frozenset[str] = frozenset()
    """Existing notification channels the site declares (``alerts.notificationChannels``)."""
    emails: frozenset[str] = frozenset()
    """Email addresses the site's own channels notify (``alerts.emails``)."""
    project: str | None = None
    region: str | None = None
    site_code: str | None = None
    source: str = "nothing declared"
    subscriber: str | None = None
    """The SIEM's IAM member that reads the export subscription (``siem.subscriber``, lower case)."""
    retention_days: int | None = None
    """The retention the site declares for its security-log bucket (``retentionDays``), if it sets one."""
    alert_bounds: AlertBounds = field(default_factory=AlertBounds)
    """The bounds the site declares for its security alerts (``alerts``), with the defaults."""


@cache
def site_logging() -> LoggingDeclaration:
    """What the stack's site config declares for the security logs and alerts."""
    section = _site_section("logging")
    project, region, code = site_project(), site_setting("region"), site_setting("siteCode")
    if section is None:
        return LoggingDeclaration(
            project=project, region=region, site_code=code, source=f"no {SITE_NAMESPACE}:logging in the stack config"
        )
    siem: Mapping[str, Any] = section.get("siem") or {}
    destination = siem.get("centralDestination")
    if not isinstance(destination, str) and siem.get("subscriber") and project and code:
        destination = f"pubsub.googleapis.com/projects/{project}/topics/{code}-siem-export"
    bucket = (
        f"logging.googleapis.com/projects/{project}/locations/{region}/buckets/{code}-security-logs"
        if project and region and code
        else None
    )
    alerts: Mapping[str, Any] = section.get("alerts") or {}
    channels = alerts.get("notificationChannels", [])
    emails = alerts.get("emails", {})
    subscriber = siem.get("subscriber")
    return LoggingDeclaration(
        siem=destination if isinstance(destination, str) else None,
        security_bucket=bucket,
        channels=frozenset(str(c) for c in channels) if isinstance(channels, list) else frozenset(),
        emails=frozenset(str(e).lower() for e in emails.values()) if isinstance(emails, Mapping) else frozenset(),
        project=project,
        region=region,
        site_code=code,
        source=f"the stack's {SITE_NAMESPACE}:logging",
        subscriber=subscriber.lower() if isinstance(subscriber, str) else None,
        retention_days=_int_setting(section, "retentionDays", 0) or None,
        alert_bounds=_alert_bounds(alerts if isinstance(alerts, Mapping) else {}),
    )


@dataclass(frozen=True)
class GroupDomains:
    """The directory domains the site's groups may come from (``imaging-landing-zone:groupDomains``), each with
    its Google Workspace or Cloud Identity customer id; ``source`` says where they were read from."""

    customers: Mapping[str, str] = field(default_factory=dict)
    """Lower-case domain to customer id (``C0...``)."""
    source: str = f"no {SITE_NAMESPACE}:groupDomains in the stack config"

    def admits(self, member: str) -> bool:
        """Whether a ``group:<email>`` (or bare email) member is of a declared domain (exact, case-insensitive)."""
        return member.lower().rpartition("@")[2] in self.customers


@cache
def site_group_domains() -> GroupDomains:
    """The group domains the stack's site config declares."""
    section = _site_section("groupDomains")
    if section is None:
        return GroupDomains()
    return GroupDomains(
        customers={str(domain).lower(): str(customer) for domain, customer in section.items()},
        source=f"the stack's {SITE_NAMESPACE}:groupDomains",
    )


def group_domains(policy_config: Mapping[str, Any]) -> GroupDomains:
    """The declared group domains: the policy's ``groupDomains`` config (domain to customer id), else the site's."""
    configured = policy_config.get("groupDomains")
    if isinstance(configured, Mapping):
        return GroupDomains({str(d).lower(): str(c) for d, c in configured.items()}, "the policy's groupDomains config")
    return site_group_domains()


def access_log_bucket_of(get: Settings) -> str | None:
    """A site's access-log bucket name, as the components derive it: ``<gcpProject>-<siteCode>-access-logs``
    (a contract test holds it equal to ``components.naming.bucket_name``)."""
    project, code = get("gcpProject"), get("siteCode")
    return f"{project}-{code}-access-logs" if project and code else None


def access_log_bucket() -> str | None:
    """The stack's site's access-log bucket name (:func:`access_log_bucket_of` its site config)."""
    return access_log_bucket_of(site_setting)


@dataclass(frozen=True)
class FederationDeclaration:
    """The one external identity a site federates (``identities.pacsUploader.workloadIdentity``): the PACS
    gateway's OIDC issuer, its ``sub`` claim and the audiences its tokens carry. Copies the site config's
    keys (a contract test holds them equal to ``program/config.py``)."""

    issuer: str
    subject: str
    audiences: frozenset[str]
    source: str


def federation_declaration(policy_config: Mapping[str, Any]) -> FederationDeclaration | None:
    """The declared federated subject: the policy's ``issuerUri``/``subject``/``allowedAudiences`` config,
    else the stack's site config; ``None`` when neither declares one (no federation may exist then)."""
    if "subject" in policy_config and "issuerUri" in policy_config:
        return FederationDeclaration(
            issuer=str(policy_config["issuerUri"]),
            subject=str(policy_config["subject"]),
            audiences=frozenset(str(a) for a in policy_config.get("allowedAudiences", [])),
            source="the policy's issuerUri and subject config",
        )
    uploader = (_site_section("identities") or {}).get("pacsUploader")
    declared = uploader.get("workloadIdentity") if isinstance(uploader, Mapping) else None
    if not isinstance(declared, Mapping) or not declared.get("issuerUri") or not declared.get("subject"):
        return None
    audiences = declared.get("allowedAudiences") or []
    return FederationDeclaration(
        issuer=str(declared["issuerUri"]),
        subject=str(declared["subject"]),
        audiences=frozenset(str(a) for a in audiences) if isinstance(audiences, list) else frozenset(),
        source=f"the stack's {SITE_NAMESPACE}:identities.pacsUploader.workloadIdentity",
    )


DEFAULT_SOFT_DELETE_DAYS: Final = 30
"""The image bucket's soft-delete period when the site config leaves it unset (the component default)."""


@dataclass(frozen=True)
class RetentionDeclaration:
    """How long the site keeps what it stores in buckets (``imageBucket``; the log bucket's is ``site_logging``)."""

    image_days: int | None
    """``imageBucket.retentionDays``: no image may be deleted or replaced younger (``None``: not declared)."""
    soft_delete_days: int
    """``imageBucket.softDeleteDays``: how long a deleted object stays restorable, on every bucket."""
    source: str


def _days(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None


@cache
def site_retention() -> RetentionDeclaration:
    """The retention the stack's site config declares (the component defaults where it is silent)."""
    images = _site_section("imageBucket") or {}
    return RetentionDeclaration(
        image_days=_days(images.get("retentionDays")),
        soft_delete_days=_days(images.get("softDeleteDays")) or DEFAULT_SOFT_DELETE_DAYS,
        source=f"the stack's {SITE_NAMESPACE}:imageBucket",
    )


def forget() -> None:
    """Drop what was read from the stack's config: the engine is about to analyse another stack."""
    site_setting.cache_clear()
    stack_scope.cache_clear()
    site_allowlist.cache_clear()
    site_principals.cache_clear()
    site_logging.cache_clear()
    site_group_domains.cache_clear()
    site_retention.cache_clear()
