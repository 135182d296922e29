"""The typed per-site configuration, read from a stack's ``Pulumi.<site>.yaml``.

Every stack key lives in the ``imaging-landing-zone`` namespace. The model is frozen and forbids
unknown fields; a bad stack file is reported as one line per problem, each naming the key path as
written in the stack file (``imaging-landing-zone:kms.rotationDays``) and what is accepted.
"""

from __future__ import annotations

import datetime
import ipaddress
import itertools
import json
import math
import re
import types
import typing
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components import naming, ranges

# The rules the components' args share are defined once, in the args contract; ProtectionLevel, SignOn and
# MIN_LOG_RETENTION_DAYS keep working as names of this module.
from components.contract import (
    MAX_QUIET_PERIOD,
    MIN_ALERT_SEVERITY,
    MIN_LOG_RETENTION_DAYS,
    PERIMETER_SERVICES,
    AccessPolicyId,
    AlertSeverity,
    AllowlistCidr,
    AttestorName,
    BaselineRatio,
    CustomerId,
    DestroyScheduledDays,
    DnsName,
    GroupEmail,
    HourOfDay,
    LogRetentionDays,
    MinVolume,
    NotificationEmail,
    ObjectRetentionDays,
    OidcIssuer,
    OidcSubject,
    PinnedImage,
    Port,
    PrivateCidr,
    ProjectByNumber,
    ProtectionLevel,
    PublicCidr,
    QuietPeriod,
    ReadSpike,
    Region,
    RestrictableService,
    RotationDays,
    SiemMember,
    SignOn,
    SiteCode,
    SoftDeleteDays,
    StableName,
    attestor_project,
)
from program import runners, sites

NAMESPACE = "imaging-landing-zone"

# --- Limits of a stack file (untrusted input: every pull request's stack file is read in CI) ------------

MAX_STACK_FILE_BYTES = 64 * 1024
"""A stack file is at most 64 KiB (the example sites' are about 3 KiB)."""
MAX_NESTING = 32
"""Values nest at most 32 levels deep (the site model nests 6)."""
MAX_VALUES = 10_000
"""A stack file holds at most 10,000 values once its YAML aliases are expanded (an example site has ~150)."""


def nesting_depth(value: Any, limit: int = MAX_NESTING) -> int:
    """How deep ``value`` nests (a scalar is 0, ``[1]`` is 1), counted without recursion; stops counting
    at ``limit + 1``."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            pending.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _near_miss_pattern() -> str:
    """The regular expression of a key in a misspelled namespace: within one edit (a letter left out,
    changed, added, or two swapped) of ``imaging-landing-zone``, in any case, with ``_``, ``.`` or a
    space for ``-`` or no separator at all, and not ``imaging-landing-zone`` itself. Written in the
    subset that Python and JSON Schema (ECMA-262) read alike: the schema refuses exactly what the loader
    refuses."""
    parts = [f"[{c}{c.upper()}]" if c.isalpha() else "[-_. ]?" for c in NAMESPACE]
    edits = {
        *("".join([*parts[:i], ".?", *parts[i + 1 :]]) for i in range(len(parts))),  # left out or changed
        *("".join([*parts[:i], ".", *parts[i:]]) for i in range(len(parts) + 1)),  # added
        *("".join([*parts[:i], parts[i + 1], parts[i], *parts[i + 2 :]]) for i in range(len(parts) - 1)),  # swapped
    }
    return f"^(?!{re.escape(NAMESPACE)}:)(?:{'|'.join(sorted(edits))}):"


NEAR_MISS_KEY = _near_miss_pattern()
"""A key whose namespace is a misspelling of ``imaging-landing-zone`` (``imaging-landing-zon:kms``,
``Imaging_Landing_Zone:kms``): the program would ignore it, and the site silently get the defaults.
``gcp:``, ``pulumi:`` and other packages' namespaces are far from it."""


def close_namespace(namespace: str) -> bool:
    """Whether ``namespace`` is a misspelling of this program's (:data:`NEAR_MISS_KEY`)."""
    return re.match(NEAR_MISS_KEY, f"{namespace}:") is not None


OWN_NAMESPACES = (NAMESPACE, sites.BOOTSTRAP_NAMESPACE, runners.NAMESPACE)
"""This repository's namespaces (the site program's, the bootstrap's, the deploy workflow's runner): a key in
a namespace that looks like one of them but is not it is refused (:func:`look_alike`)."""

_HOMOGLYPHS = str.maketrans(
    {
        **dict(
            zip(
                "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u04bb\u0501\u0261\u043f\u0442",
                "aeopcyxijshdgnt",
                strict=True,
            )
        ),  # Cyrillic
        **dict(zip("\u03b1\u03b5\u03b9\u03ba\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7", "aeikvoptux", strict=True)),  # Greek
        "\u0131": "i",  # dotless i
        "\u2113": "l",  # script l
    }
)


def _skeleton(namespace: str) -> str:
    """``namespace`` as it reads: compatibility forms folded (full-width letters), lower case, look-alike
    Cyrillic and Greek letters read as the Latin ones, without separators."""
    folded = unicodedata.normalize("NFKC", namespace).casefold().translate(_HOMOGLYPHS)
    return re.sub(r"[-_. ]", "", folded)


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (letters left out, added or changed), for two short names."""
    row = list(range(len(b) + 1))
    for i, letter in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (letter != other))
    return row[-1]


def look_alike(namespace: str) -> str | None:
    """The project namespace (:data:`OWN_NAMESPACES`) that ``namespace`` can be mistaken for, when it is not
    that one: at most two letters apart once read as a person reads it (a Cyrillic a for the Latin one, capitals,
    separators)."""
    if namespace in OWN_NAMESPACES:
        return None
    skeleton = _skeleton(namespace)
    distance, closest = min((_distance(skeleton, _skeleton(own)), own) for own in OWN_NAMESPACES)
    return closest if distance <= 2 else None


class SiteRole(StrEnum):
    """A site role that a hospital group holds: on the image bucket, or on the site's logs (``auditor``)."""

    READER = "reader"
    """Reads images (``roles/storage.objectViewer``), for example radiologists and viewers' admins."""
    UPLOADER = "uploader"
    """Creates images but never reads or deletes them (``roles/storage.objectCreator``)."""
    AUDITOR = "auditor"
    """The security team: reads the access-log bucket's objects (``roles/storage.objectViewer`` on that bucket)
    and the security-log bucket's log view (``roles/logging.viewAccessor`` on it), never images."""


class ConfigError(Exception):
    """A stack file that does not describe a valid site; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        use_attribute_docstrings=True,
    )


class KmsSettings(_Model):
    """The site key ring and its keys (one per data class)."""

    protection_level: ProtectionLevel = ProtectionLevel.SOFTWARE
    """`SOFTWARE` or `HSM`. Both are AES-256-GCM (`GOOGLE_SYMMETRIC_ENCRYPTION`)."""
    rotation_days: RotationDays = 90
    """Automatic key rotation period in days, 1 to 90 (control ENC-04)."""
    destroy_scheduled_days: DestroyScheduledDays = 30
    """How long a destroyed key version can still be restored, 1 to 120 days (control ENC-05)."""


class ImageBucketSettings(_Model):
    """The image bucket's data-protection settings."""

    soft_delete_days: SoftDeleteDays = 30
    """How long deleted objects can still be restored, 7 to 90 days."""
    retention_days: ObjectRetentionDays | None = None
    """Minimum age before an image can be deleted or replaced (bucket retention policy), or unset."""


class WorkloadIdentitySettings(_Model):
    """Workload Identity Federation for an on-premises PACS: it presents its own OIDC tokens."""

    issuer_uri: OidcIssuer
    """The PACS identity provider's OIDC issuer, an https URL."""
    subject: OidcSubject
    """The `sub` claim of the PACS gateway's token; the only subject allowed to upload."""
    allowed_audiences: list[str] = []
    """Accepted `aud` claims; empty means the provider's default audience."""


class ViewerIdentity(_Model):
    """The runtime identity of the viewer: reads images, nothing else."""

    account_id: str | None = None
    """Service account id; defaults to `<siteCode>-viewer`."""


class PacsUploaderIdentity(_Model):
    """The identity the PACS uses to store images: creates objects, cannot read or delete them."""

    account_id: str | None = None
    """Service account id; defaults to `<siteCode>-pacs`."""
    workload_identity: WorkloadIdentitySettings | None = None
    """Set when the PACS runs on premises; it then impersonates the uploader without any key."""


class IdentitySettings(_Model):
    """The site's runtime identities."""

    viewer: ViewerIdentity = ViewerIdentity()
    """The viewer's service account."""
    pacs_uploader: PacsUploaderIdentity = PacsUploaderIdentity()
    """The PACS uploader's service account."""


class NextHop(_Model):
    """How the site VPC reaches a worklist endpoint: exactly one of the three, from the network team."""

    vpn_tunnel: str | None = None
    """A Cloud VPN tunnel's self link or id: a static route is created through it."""
    ip: str | None = None
    """An internal next-hop address (a router appliance in the VPC): a static route is created to it."""
    interconnect_attachment: str | None = None
    """An interconnect VLAN attachment: routes are learned over BGP by its Cloud Router, none is created."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        chosen = [name for name in ("vpn_tunnel", "ip", "interconnect_attachment") if getattr(self, name)]
        if len(chosen) != 1:
            raise ValueError("set exactly one of vpnTunnel, ip or interconnectAttachment")
        if self.ip is not None:
            try:
                ipaddress.IPv4Address(self.ip)
            except ValueError:
                raise ValueError(f"ip {self.ip!r} is not an IPv4 address") from None
        return self


class WorklistEndpoint(_Model):
    """One worklist system the viewer may reach: its ranges, its TCP ports and the path to it."""

    cidrs: Annotated[list[AllowlistCidr], Field(min_length=1)]
    """The endpoint's address ranges."""
    ports: Annotated[list[Port], Field(min_length=1)]
    """The TCP ports the viewer connects to, for example `[443]`."""
    next_hop: NextHop
    """How traffic reaches it."""


class NetworkSettings(_Model):
    """The site VPC and what the viewer may reach (NET-01 to NET-07); every range is IPv4 CIDR."""

    subnets: Annotated[dict[StableName, PrivateCidr], Field(min_length=1)]
    """The site's subnets by stable name, each with its primary range (the viewer egresses from them)."""
    worklist: Annotated[dict[StableName, WorklistEndpoint], Field(min_length=1)]
    """The worklist endpoints by stable name: the only destinations besides Google APIs."""
    pacs_egress_cidrs: Annotated[list[PublicCidr], Field(min_length=1)]
    """The public ranges the PACS sends images from (bucket IP filter)."""
    hospital_networks: Annotated[list[PublicCidr], Field(min_length=1)]
    """The public ranges the hospital's workstations use the viewer from (bucket IP filter)."""
    viewer_ports: Annotated[list[Port], Field(min_length=1)] = [443]
    """The TCP ports the viewer's backends serve on (load-balancer and IAP ingress)."""
    health_check_ingress: bool = True
    """Allow ingress from Google's load-balancer and health-check ranges to the viewer's ports."""
    iap_administration: bool = False
    """Allow ingress from the IAP TCP-forwarding range (administrators use IAP)."""

    @model_validator(mode="after")
    def _no_overlaps(self) -> Self:
        problems: list[str] = []
        lists: dict[str, list[str]] = {
            "pacsEgressCidrs": self.pacs_egress_cidrs,
            "hospitalNetworks": self.hospital_networks,
            **{f"worklist.{name}.cidrs": e.cidrs for name, e in self.worklist.items()},
        }
        subnets = {f"subnets.{name}": cidr for name, cidr in self.subnets.items()}
        named = [(f"{path}.{i}", cidr) for path, cidrs in lists.items() for i, cidr in enumerate(cidrs)]
        named += list(subnets.items())
        for path, cidr in named:
            if ranges.overlaps(cidr, ranges.RESTRICTED_GOOGLE_APIS):
                problems.append(
                    f"@{path}: {cidr} collides with the restricted Google APIs range {ranges.RESTRICTED_GOOGLE_APIS}"
                )
        for path, cidrs in lists.items():
            for i, j in _overlapping(cidrs):
                problems.append(f"@{path}.{j}: {cidrs[j]} overlaps {path}.{i} ({cidrs[i]})")
        for (a, cidr_a), (b, cidr_b) in itertools.combinations(subnets.items(), 2):
            if ranges.overlaps(cidr_a, cidr_b):
                problems.append(f"@{b}: {cidr_b} overlaps {a} ({cidr_a})")
        for path, cidr in named:
            for subnet, subnet_cidr in subnets.items():
                if path not in subnets and ranges.overlaps(cidr, subnet_cidr):
                    problems.append(f"@{path}: {cidr} overlaps the site subnet {subnet} ({subnet_cidr})")
        if problems:
            raise ValueError("\n".join(problems))
        return self


def _overlapping(cidrs: list[str]) -> list[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, of ranges in ``cidrs`` that share an address: each range that overlaps
    an earlier one (by its start) once, with one it overlaps. Sorted and swept, n log n: two CIDR ranges
    overlap only when one holds the other, so each range is checked against the widest before it."""
    networks = sorted(
        (int(n.network_address), int(n.broadcast_address), i)
        for i, n in enumerate(ipaddress.ip_network(c) for c in cidrs)
    )
    pairs: list[tuple[int, int]] = []
    cover: tuple[int, int, int] | None = None  # the range reaching furthest so far: (start, end, index)
    for start, end, index in networks:
        if cover is not None and start <= cover[1]:
            pairs.append((min(index, cover[2]), max(index, cover[2])))
        if cover is None or end > cover[1]:
            cover = (start, end, index)
    return sorted(pairs, key=lambda pair: (pair[1], pair[0]))


def https_url(value: str) -> str:
    """``value`` if it is an https URL with a host, else ``ValueError`` saying what is accepted."""
    parts = urlsplit(value)
    if not value.startswith("https://"):
        raise ValueError("must be an https:// URL; plaintext http is refused (TLS-04)")
    try:
        _ = parts.port
    except ValueError as exc:
        raise ValueError(f"is not a valid URL: {exc}") from None
    if any(c.isspace() for c in value):
        raise ValueError("is not a valid URL: it contains white space")
    if not parts.hostname:
        raise ValueError("must name a host, like https://storage.googleapis.com/<bucket>/<object>")
    return value


def _positive(value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be a number greater than 0, got {value:g}")
    return value


DOWNLOAD_FLOOR_MBPS = 50.0
"""The requirements document's minimum download throughput (PERF-01)."""
LATENCY_CEILING_MS = 30.0
"""The requirements document's maximum latency (PERF-02)."""


def _download_floor(value: float) -> float:
    if value < DOWNLOAD_FLOOR_MBPS:
        raise ValueError(
            f"must be at least the requirement's {DOWNLOAD_FLOOR_MBPS:g} Mbps (a site may ask more), got {value:g}"
        )
    return value


def _latency_ceiling(value: float) -> float:
    if value > LATENCY_CEILING_MS:
        raise ValueError(
            f"must be at most the requirement's {LATENCY_CEILING_MS:g} ms (a site may ask less), got {value:g}"
        )
    return value


HttpsUrl = Annotated[str, AfterValidator(https_url), Field(json_schema_extra={"pattern": "^https://"})]
"""An ``https://`` URL with a host."""
PositiveNumber = Annotated[float, AfterValidator(_positive), Field(json_schema_extra={"exclusiveMinimum": 0})]


class NetcheckSettings(_Model):
    """The site network readiness probe (`python -m preflight netcheck`): minimums and endpoints."""

    min_download_mbps: Annotated[PositiveNumber, AfterValidator(_download_floor)] = DOWNLOAD_FLOOR_MBPS
    """Minimum download throughput from the site to its storage endpoint, in Mbit/s (PERF-01): at least the
    requirement's 50; a site may ask more."""
    max_latency_ms: Annotated[PositiveNumber, AfterValidator(_latency_ceiling)] = LATENCY_CEILING_MS
    """Maximum round-trip latency to the storage and viewer endpoints, in ms (PERF-02): the median
    time to the first byte of a small HTTPS request on an open connection; at most the requirement's 30."""
    storage_url: HttpsUrl | None = None
    """The storage endpoint; defaults to `https://storage.googleapis.com/<image bucket>`. For
    throughput it must name a readable object (a signed URL to a test object, given with `--url`)."""
    viewer_url: HttpsUrl | None = None
    """The viewer endpoint the site's workstations open, or unset to skip it."""


_RESERVED_LABELS = {"site", "managed-by", "data-classification"}


def _label_key(key: str) -> str:
    if key in _RESERVED_LABELS:
        raise ValueError("is set by the components and cannot be overridden")
    if not naming.matches(naming.LABEL_KEY_PATTERN, key):
        raise ValueError("label keys must be 1-63 of a-z, 0-9, '_' and '-', starting with a letter")
    return key


def _label_value(value: str) -> str:
    if not naming.matches(naming.LABEL_VALUE_PATTERN, value):
        raise ValueError(f"label values must be 0-63 of a-z, 0-9, '_' and '-' (got {value!r})")
    return value


LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, AfterValidator(_label_value)]


MAX_CONDITION_DURATION = 60
"""Default for ``logging.alerts.maxConditionDuration``: a security alert's condition fires within a minute.
Only the site config and the pack read it (the components' conditions fire at once, ``duration: 0s``)."""
ConditionDuration = Annotated[int, Field(ge=0, le=3600)]
"""Seconds an alert condition may have to hold before it fires, 0 to 3600 (LOG-14)."""

_CHANNEL_PATTERN = r"^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/notificationChannels/[0-9]+$"


class SiemExport(_Model):
    """Where the security logs go for the SIEM: a CMEK Pub/Sub subscription or a central log bucket."""

    subscriber: SiemMember | None = None
    """The SIEM's identity (`serviceAccount:` or `group:`): the only reader of the export subscription."""
    central_destination: str | None = None
    """Instead of Pub/Sub: the organisation's central log bucket or project, as a sink destination
    (`logging.googleapis.com/projects/<p>/locations/<l>/buckets/<b>`); its owners grant the sink's writer."""

    @field_validator("central_destination")
    @classmethod
    def _central(cls, value: str | None) -> str | None:
        if value is not None and not naming.matches(
            r"^logging\.googleapis\.com/projects/[a-z][a-z0-9-]{4,28}[a-z0-9](/locations/[a-z0-9-]+/buckets/[\w-]+)?$",
            value,
        ):
            raise ValueError(
                "must be a Cloud Logging destination: logging.googleapis.com/projects/<project>"
                "[/locations/<location>/buckets/<bucket>]"
            )
        return value

    @model_validator(mode="after")
    def _one_destination(self) -> Self:
        if self.subscriber is None and self.central_destination is None:
            raise ValueError(
                "@subscriber: the SIEM's identity is missing: set subscriber (serviceAccount:<email> of the SIEM "
                "that reads the export) or centralDestination (the organisation's central log bucket)"
            )
        if self.subscriber is not None and self.central_destination is not None:
            raise ValueError("set subscriber (Pub/Sub export) or centralDestination, not both")
        return self


def _channel(value: str) -> str:
    if not naming.matches(_CHANNEL_PATTERN, value):
        raise ValueError("must be a notification channel's name: projects/<project>/notificationChannels/<id>")
    return value


class AlertSettings(_Model):
    """Who hears about security events, and when a principal reads too many images."""

    notification_channels: list[
        Annotated[str, AfterValidator(_channel), Field(json_schema_extra={"pattern": _CHANNEL_PATTERN})]
    ] = []
    """Existing Cloud Monitoring channels (`projects/<p>/notificationChannels/<id>`), for example the SIEM's."""
    emails: dict[StableName, NotificationEmail] = {}
    """Email channels to create, by stable name, for example `{soc: soc@hospital.example}`."""
    image_read_spike: ReadSpike = 1000
    """Image reads by one principal within five minutes that raise the anomaly alert (LOG-12)."""
    max_condition_duration: ConditionDuration = MAX_CONDITION_DURATION
    """Seconds a security alert's condition may have to hold before it fires (`conditionThreshold.duration`),
    0 to 3600 (LOG-14): longer, and one event no longer opens an incident."""
    max_quiet_period: QuietPeriod = MAX_QUIET_PERIOD
    """Seconds after one alert during which a repeat of the event may go unnotified: the longest alignment
    window, auto-close and notification rate limit of a security alert, 300 to 86400 (LOG-14)."""
    min_severity: AlertSeverity = MIN_ALERT_SEVERITY
    """The least severity a security alert policy carries (`WARNING`, `ERROR` or `CRITICAL`; LOG-14)."""

    @model_validator(mode="after")
    def _some_channel(self) -> Self:
        if not self.notification_channels and not self.emails:
            raise ValueError(
                "@notificationChannels: no channel: alerts would reach nobody; set notificationChannels or emails"
            )
        if self.max_condition_duration >= self.max_quiet_period:
            raise ValueError(
                f"@maxConditionDuration: {self.max_condition_duration} seconds is not shorter than maxQuietPeriod "
                f"({self.max_quiet_period}): one event stays in an alert's window for at most that long, so a "
                "condition that must hold longer never fires on it"
            )
        return self


class Baseline(_Model):
    """How far a volume may grow over the same hour a week earlier before a baseline detector fires (LOG-17)."""

    ratio: BaselineRatio = 3.0
    """Times the same hour a week earlier, above 1 and at most 100."""
    minimum: MinVolume
    """The least volume in the hour for the detector to fire at all (a week without data counts as 0)."""


class ImageReadsBaseline(Baseline):
    """Image reads per hour against the same hour a week earlier."""

    minimum: MinVolume = 2000
    """Image reads in the hour below which no surge is an anomaly."""


class EgressBaseline(Baseline):
    """Bytes the image bucket sends per hour against the same hour a week earlier."""

    minimum: MinVolume = 10 * 1024**3
    """Bytes in the hour (default 10 GiB) below which no surge is an anomaly."""


class DeniedBaseline(Baseline):
    """Denied requests per hour against the same hour a week earlier."""

    minimum: MinVolume = 50
    """Denied requests in the hour below which no surge is an anomaly."""


class OffHours(_Model):
    """The hours in which nobody reads images in bulk, in UTC (LOG-17)."""

    start_hour: HourOfDay = 22
    """The first off-hour, 0 to 23 UTC."""
    end_hour: HourOfDay = 6
    """The first working hour after the off-hours, 0 to 23 UTC (before `startHour`: the window wraps past
    midnight)."""
    bulk_reads: MinVolume = 500
    """Image reads within an off-hour that raise the alert."""

    @model_validator(mode="after")
    def _some_hours(self) -> Self:
        if self.start_hour == self.end_hour:
            raise ValueError(
                f"@endHour: {self.end_hour} equals startHour: the off-hours would be empty; give the first working "
                "hour after them"
            )
        return self


class DetectionSettings(_Model):
    """The site's anomaly detectors: deviation from its own past and its off-hours (LOG-17)."""

    image_reads: ImageReadsBaseline = ImageReadsBaseline()
    """Image reads per hour against the same hour a week earlier (default ratio 3, minimum 2000)."""
    egress_bytes: EgressBaseline = EgressBaseline()
    """Bytes the image bucket sends per hour against the same hour a week earlier (default ratio 3, minimum
    10 GiB)."""
    denied_requests: DeniedBaseline = DeniedBaseline()
    """Denied requests per hour against the same hour a week earlier (default ratio 3, minimum 50)."""
    off_hours: OffHours = OffHours()
    """When a bulk image read is an anomaly (default 22:00 to 06:00 UTC, 500 reads per hour)."""


REASON_MIN_LENGTH = 20
"""A recorded reason is a sentence: at least this many characters once trimmed (the stack file's reasons; the
policy pack's copy, ``_registry.REASON_MIN_LENGTH``, holds its config's exemption and level reasons to it)."""


def _reason(value: str) -> str:
    if len(value.strip()) < REASON_MIN_LENGTH:
        raise ValueError("give the reason in a sentence: where the organisation enforces it, and its reference")
    return value.strip()


class FindingsSettings(_Model):
    """Google's own detectors in the SIEM: Security Command Center findings and Access Transparency logs (LOG-18)."""

    organisation: Annotated[str, AfterValidator(_reason)] | None = None
    """Set when the organisation, not the site, exports the site project's Security Command Center findings to its
    SIEM (or has not activated Security Command Center): the reason in a sentence, with its reference. Unset, a
    site with a Pub/Sub SIEM export publishes its active findings to the export topic."""


class LoggingSettings(_Model):
    """Security logs: retention, SIEM export and alerting (LOG-01, LOG-05 to LOG-12, ENC-09)."""

    retention_days: LogRetentionDays = MIN_LOG_RETENTION_DAYS
    """Days the locked log bucket keeps security logs: at least 2190 (six years), at most 3650."""
    siem: SiemExport
    """The SIEM export."""
    alerts: AlertSettings
    """Notification channels and the anomaly threshold."""
    detection: DetectionSettings = DetectionSettings()
    """The anomaly detectors' baselines and off-hours (LOG-17)."""
    findings: FindingsSettings = FindingsSettings()
    """Security Command Center findings in the SIEM, or where the organisation exports them (LOG-18)."""


GUARD_RAIL_CONSTRAINTS = (
    "gcp.restrictTLSVersion",
    "storage.publicAccessPrevention",
    "storage.uniformBucketLevelAccess",
    "iam.disableServiceAccountKeyCreation",
    "iam.disableServiceAccountKeyUpload",
    "iam.automaticIamGrantsForDefaultServiceAccounts",
    "gcp.restrictNonCmekServices",
    "compute.skipDefaultNetworkCreation",
    "compute.vmExternalIpAccess",
    "gcp.resourceLocations",
    "gcp.restrictCmekCryptoKeyProjects",
    "iam.allowedPolicyMemberDomains",
    "run.allowedIngress",
    "run.managed.requireInvokerIam",
    "run.allowedBinaryAuthorizationPolicies",
)
"""The org-policy constraints set on every site project (ORG-01 to ORG-10 in that order, then ENC-10's, ORG-11's
and the Cloud Run guard rails ORG-12 to ORG-14; ORG-13's only when the viewer signs on through IAP)."""


def _guard_rail(value: str) -> str:
    if value not in GUARD_RAIL_CONSTRAINTS:
        raise ValueError(f"is not one of the site's guard rails: {', '.join(GUARD_RAIL_CONSTRAINTS)}")
    return value


class GuardRailSettings(_Model):
    """The org policies on the site project; a site may skip one its organisation enforces higher up."""

    skip: dict[Annotated[str, AfterValidator(_guard_rail)], Annotated[str, AfterValidator(_reason)]] = {}
    """Constraint to the recorded reason it is not set on the project (enforced by the folder or organisation)."""


class ViewerSettings(_Model):
    """The viewer launch endpoint: a TLS 1.2+ load balancer in front of the Cloud Run viewer."""

    domain: DnsName
    """The viewer's DNS name; a Google-managed certificate is issued for it."""
    image: PinnedImage
    """The viewer's container image, pinned by digest (`...@sha256:<64 hex>`)."""
    sign_on: SignOn
    """`iap` or `launchToken`: how the worklist's sign-on reaches the viewer."""
    iap_groups: list[GroupEmail] = []
    """With `iap`: the hospital groups allowed through IAP (required, groups only)."""
    allowed_sources: list[PublicCidr] = []
    """Public ranges admitted besides `network.hospitalNetworks` (for example the worklist's egress)."""
    container_port: Port = 8080
    """The port the viewer's container listens on."""
    attestors: Annotated[list[AttestorName], Field(min_length=1)]
    """The Binary Authorization attestors that must each have signed the image (`projects/<project>/attestors/
    <attestor>`, in the build pipeline's project, never the site's): the project's policy admits nothing else
    (NET-16, NET-17)."""

    @model_validator(mode="after")
    def _attestors_once(self) -> Self:
        problems = [
            f"@attestors.{i}: {name} is listed twice (at {self.attestors.index(name)}); list each attestor once"
            for i, name in enumerate(self.attestors)
            if self.attestors.index(name) != i
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _iap_needs_groups(self) -> Self:
        if self.sign_on is SignOn.IAP and not self.iap_groups:
            raise ValueError("@iapGroups: signOn iap needs at least one hospital group allowed through IAP")
        if self.sign_on is SignOn.LAUNCH_TOKEN and self.iap_groups:
            raise ValueError("@iapGroups: only used with signOn iap; remove it or switch signOn to iap")
        return self


def _dry_run_reason(value: str) -> str:
    if len(value.strip()) < REASON_MIN_LENGTH:
        raise ValueError(
            "give the reason in a sentence: which live paths the dry run is still reading from the violations log"
        )
    return value.strip()


MAX_DRY_RUN_DAYS = 365
"""A perimeter's dry run ends at most this many days after the day the stack file is checked: a dry run
denies nothing, so an end date years away would keep an open perimeter "met" indefinitely."""


def _dry_run_end(value: datetime.date) -> datetime.date:
    latest = datetime.date.today() + datetime.timedelta(days=MAX_DRY_RUN_DAYS)
    if value > latest:
        raise ValueError(
            f"must be at most {MAX_DRY_RUN_DAYS} days after today ({latest.isoformat()}): a dry run denies nothing; "
            "give the day the migration is planned to end, and move it on with a new reason if it takes longer"
        )
    return value


class PerimeterDryRun(_Model):
    """Why the site's perimeter is in dry run, and until when (a migrating live site; docs/deploying.md)."""

    reason: Annotated[str, AfterValidator(_dry_run_reason)]
    """Why it is not enforced yet, in a sentence: which paths are still being read from the violations log."""
    until: Annotated[datetime.date, AfterValidator(_dry_run_end)]
    """The day the dry run ends (`YYYY-MM-DD`), at most a year after today: after it the pack reports the perimeter as
    not enforced (NET-10)."""


class PerimeterSettings(_Model):
    """The site's VPC Service Controls perimeter (NET-10 to NET-15), in the organisation's access policy."""

    access_policy: AccessPolicyId
    """The organisation's access policy, `accessPolicies/<number>`: created once by the platform team, never by a
    site stack (docs/deploying.md, The service perimeter)."""
    enforced: bool = False
    """`true`: the perimeter is enforced. `false` (the first deployment of a live site): an explicit dry run that
    only logs what it would deny; it needs `dryRun` with the reason and the end date."""
    dry_run: PerimeterDryRun | None = None
    """With `enforced: false`: why, and until when."""
    restricted_services: list[RestrictableService] = []
    """Google APIs restricted besides those every site restricts (Cloud Storage, Cloud KMS, Logging, Pub/Sub,
    Cloud Run, IAP, Monitoring), for example `bigquery.googleapis.com`."""
    siem_project: ProjectByNumber | None = None
    """The SIEM's project by number (`projects/<number>`): where `logging.siem.subscriber` reads from (the source of
    its ingress rule), or the project of a `logging.siem.centralDestination` outside the site (the target of the
    sink's egress rule). Required in both cases."""

    @model_validator(mode="after")
    def _dry_run_explained(self) -> Self:
        if not self.enforced and self.dry_run is None:
            raise ValueError(
                "@dryRun: the perimeter is in dry run (enforced: false) without a reason: set dryRun {reason: <why, "
                "in a sentence>, until: <YYYY-MM-DD>}, or enforced: true"
            )
        if self.enforced and self.dry_run is not None:
            raise ValueError("@dryRun: the perimeter is enforced; remove dryRun")
        return self

    @property
    def all_restricted_services(self) -> list[str]:
        """Every service the perimeter restricts, sorted."""
        return sorted({*PERIMETER_SERVICES, *self.restricted_services})


def _some_domain(value: dict[str, str]) -> dict[str, str]:
    if not value:
        raise ValueError(
            "declare at least one domain the site's groups come from, with its directory customer id, like "
            "{hospital.example: C03xgje4y}"
        )
    return value


class SiteConfig(_Model):
    """Everything that differs between two hospital sites."""

    site_code: SiteCode
    """Short site code used in every physical name: 3-12 of a-z, 0-9 and '-', starting with a letter."""
    gcp_project: str
    """The GCP project id that hosts the site."""
    region: Region
    """The region that holds images and keys, for example `europe-west6` (PERF-03)."""
    kms: KmsSettings = KmsSettings()
    """Key management."""
    image_bucket: ImageBucketSettings = ImageBucketSettings()
    """Image bucket data protection."""
    identities: IdentitySettings = IdentitySettings()
    """Runtime identities of the viewer and the PACS."""
    network: NetworkSettings
    """The site VPC, the worklist endpoints and the networks allowed to reach the images."""
    rbac: dict[GroupEmail, SiteRole] = {}
    """Hospital groups (email) mapped to a site role: `reader` or `uploader` (image bucket), or `auditor`
    (the security team: reads the access-log and security-log buckets, never images)."""
    group_domains: Annotated[
        dict[DnsName, CustomerId], AfterValidator(_some_domain), Field(json_schema_extra={"minProperties": 1})
    ]
    """The domains the site's groups may come from, each with the customer id of its Google Workspace or Cloud
    Identity account (`C0...`): every group the config names is in one, and the project's
    `iam.allowedPolicyMemberDomains` guard rail admits exactly these customers (ORG-11, IAM-12)."""
    labels: dict[LabelKey, LabelValue] = {}
    """Extra labels on every labelled resource (GCP label rules; `site`, `managed-by` and
    `data-classification` are set by the components)."""
    logging: LoggingSettings
    """Security logs: retention, SIEM export and alerts."""
    guard_rails: GuardRailSettings = GuardRailSettings()
    """Org policies on the site project, and the recorded reasons for any a site skips."""
    viewer: ViewerSettings | None = None
    """The viewer launch endpoint, or unset for a site without one."""
    netcheck: NetcheckSettings = NetcheckSettings()
    """Site network readiness minimums and endpoints, measured by `python -m preflight netcheck`."""
    perimeter: PerimeterSettings | None = None
    """The site project's VPC Service Controls perimeter (NET-10 to NET-15); the pack reports a site without one."""

    @field_validator("gcp_project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not naming.matches(naming.PROJECT_ID_PATTERN, value):
            raise ValueError("must be a GCP project id: 6-30 of a-z, 0-9 and '-', starting with a letter")
        return value

    @model_validator(mode="after")
    def _attestors_outside_the_site(self) -> Self:
        attestors = self.viewer.attestors if self.viewer is not None else []
        problems = [
            f"@viewer.attestors.{i}: {name} is in the site project {self.gcp_project}, whose deployers could sign any "
            "image with it; name an attestor of the build pipeline's project"
            for i, name in enumerate(attestors)
            if attestor_project(name) == self.gcp_project
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _groups_in_declared_domains(self) -> Self:
        declared = ", ".join(sorted(self.group_domains))
        problems = [
            f"@{path}: group {group} is of domain {domain!r}, which groupDomains does not declare ({declared}); use "
            f"a group of a declared domain, or add {domain} to groupDomains with its directory customer id"
            for path, group in self.named_groups()
            if (domain := group.rpartition("@")[2]) not in self.group_domains
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _perimeter_names_siem(self) -> Self:
        if self.perimeter is None or self.perimeter.siem_project is not None:
            return self
        siem = self.logging.siem
        if siem.subscriber is not None:
            raise ValueError(
                f"@perimeter.siemProject: the SIEM subscriber {siem.subscriber} reads from outside the perimeter; set "
                "siemProject to its project by number (projects/<number>), the source of its ingress rule"
            )
        if self.central_destination_project not in (None, self.gcp_project):
            raise ValueError(
                f"@perimeter.siemProject: the central destination is in the project {self.central_destination_project}"
                ", outside the perimeter; set siemProject to that project by number (projects/<number>), the target "
                "of the sink's egress rule"
            )
        return self

    @property
    def central_destination_project(self) -> str | None:
        """The project id of ``logging.siem.centralDestination``, if the site sets one."""
        destination = self.logging.siem.central_destination
        return destination.split("/")[2] if destination else None

    def named_groups(self) -> list[tuple[str, str]]:
        """Every group the config names, with its key path (``rbac.<group>``, ``viewer.iapGroups.<i>``,
        ``logging.siem.subscriber``), as a bare lower-case email."""
        found = [(f"rbac.{group}", group) for group in self.rbac]
        if self.viewer is not None:
            found += [(f"viewer.iapGroups.{i}", group) for i, group in enumerate(self.viewer.iap_groups)]
        subscriber = self.logging.siem.subscriber
        if subscriber is not None and subscriber.lower().startswith("group:"):
            found.append(("logging.siem.subscriber", subscriber.lower().removeprefix("group:")))
        return found

    @property
    def auditor_groups(self) -> list[str]:
        """The groups holding the ``auditor`` site role (the security team), sorted."""
        return sorted(group for group, role in self.rbac.items() if role is SiteRole.AUDITOR)

    @model_validator(mode="after")
    def _derived_names(self) -> Self:
        for account_id in (self.viewer_account_id, self.pacs_uploader_account_id):
            if not naming.matches(naming.ACCOUNT_ID_PATTERN, account_id):
                raise ValueError(f"service account id {account_id!r} must be 6-30 of a-z, 0-9 and '-'")
        for purpose in ("images", "access-logs"):
            naming.bucket_name(self.gcp_project, self.site_code, purpose)
        return self

    @property
    def viewer_account_id(self) -> str:
        """The viewer's service account id."""
        return self.identities.viewer.account_id or f"{self.site_code}-viewer"

    @property
    def pacs_uploader_account_id(self) -> str:
        """The PACS uploader's service account id."""
        return self.identities.pacs_uploader.account_id or f"{self.site_code}-pacs"

    @property
    def common_labels(self) -> dict[str, str]:
        """Labels on every labelled resource of the site."""
        return {**self.labels, "site": self.site_code, "managed-by": "imaging-landing-zone"}

    @classmethod
    def from_stack_config(cls, values: Mapping[str, Any]) -> SiteConfig:
        """Build the model from a stack's config map (``namespace:key`` to value, as the engine sends it).

        Values may be the engine's strings (objects JSON-encoded) or already-parsed YAML values.
        Raises ``ConfigError`` with one line per problem.
        """
        raw: dict[str, Any] = {}
        problems: list[str] = []
        unqualified: set[str] = set()
        for full_key, value in values.items():
            namespace, colon, key = full_key.partition(":")
            if namespace == NAMESPACE:
                try:
                    raw[key] = _decode(value)
                except ValueError as exc:
                    problems.append(f"{full_key}: {exc}")
            elif colon and (problem := _namespace_problem(namespace, key)) is not None:
                problems.append(problem)
            elif not colon:
                unqualified.add(full_key)
                problems.append(f"{full_key}: a stack key needs its namespace; write it as {NAMESPACE}:{full_key}")
        try:
            # by the stack file's camelCase names only: the pack reads those, and would ignore `group_domains`
            site = cls.model_validate(raw, by_alias=True, by_name=False)
        except ValidationError as exc:
            missing = {f"{NAMESPACE}:{key}: required field is missing" for key in unqualified}
            found = format_errors(exc)
            for line in found:  # `group_domains:` is reported once, as the field to rename, not also as missing
                where, _, what = line.partition(": ")
                if what.startswith(_RENAME):
                    camel = what.removeprefix(_RENAME).partition(":")[0]
                    parent, dot, _ = where.rpartition(".")
                    renamed = f"{parent}.{camel}" if dot else f"{NAMESPACE}:{camel}"
                    missing.add(f"{renamed}: required field is missing")
            problems += [line for line in found if line not in missing]
            raise ConfigError(problems) from None
        if problems:
            raise ConfigError(problems)
        return site


def _namespace_problem(namespace: str, key: str) -> str | None:
    """Why a key in ``namespace`` (not this program's) is refused: it looks like one of this repository's
    namespaces, or is not ASCII; ``None`` for another project's or package's namespace. Letters that are not
    ASCII are shown escaped (a Cyrillic letter would look like the Latin one)."""
    shown, shown_key = namespace.encode("ascii", "backslashreplace").decode(), ascii(key)[1:-1]
    if namespace.isascii() and close_namespace(namespace):
        return (
            f"{shown}:{shown_key}: namespace {namespace!r} is not this program's; write it as {NAMESPACE}:{shown_key} "
            "(a key in another namespace is ignored, and the site would get the defaults)"
        )
    if (own := look_alike(namespace)) is not None:
        unlike = "is a few letters from it" if namespace.isascii() else "has letters that are not ASCII"
        return (
            f"{shown}:{shown_key}: namespace '{shown}' looks like {own!r} but {unlike}; write it as {own}:{shown_key} "
            "(a key in another namespace is ignored, and the site would get the defaults)"
        )
    if not namespace.isascii():
        return (
            f"{shown}:{shown_key}: namespace '{shown}' has letters that are not ASCII; a namespace is a Pulumi "
            f"project's or package's name, in ASCII (this program's is {NAMESPACE})"
        )
    return None


def _decode(value: Any) -> Any:
    """The engine passes structured config as JSON strings; YAML readers pass the objects. A value
    longer than a stack file or nested deeper than :data:`MAX_NESTING` is refused (``ValueError``)."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        if len(value) > MAX_STACK_FILE_BYTES:
            raise ValueError(f"longer than {MAX_STACK_FILE_BYTES} characters, the most a stack file holds")
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return value
        except RecursionError:
            raise ValueError(_TOO_DEEP) from None
    if nesting_depth(value) > MAX_NESTING:
        raise ValueError(_TOO_DEEP)
    return value


_TOO_DEEP = f"nested deeper than {MAX_NESTING} levels, the most a stack file may nest"


def _unwrap(annotation: Any) -> Any:
    """The model inside ``X | None`` and ``Annotated[X, ...]``."""
    while typing.get_origin(annotation) in (typing.Annotated, types.UnionType, typing.Union):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0]
    return annotation


def _accepted_fields(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The camelCase fields accepted at ``loc`` (for 'unknown field' messages)."""
    current: Any = model
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        field = next((f for name, f in current.model_fields.items() if part in (name, f.alias)), None)
        if field is None:
            return []
        current = _unwrap(field.annotation)
        while typing.get_origin(current) in (dict, list) and parts:
            parts.pop(0)  # a map key or a list index
            current = _unwrap(typing.get_args(current)[-1])
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
    return sorted(f.alias or name for name, f in current.model_fields.items())


_RENAME = "write it as "


def _unknown_field(loc: tuple[int | str, ...]) -> str:
    """What an unknown field's message says: the camelCase name of a field written in snake_case (the pack
    reads the camelCase name only), else the fields accepted there."""
    accepted = _accepted_fields(SiteConfig, loc[:-1])
    camel = to_camel(str(loc[-1])) if loc else ""
    if loc and camel != loc[-1] and camel in accepted:
        return f"{_RENAME}{camel}: a stack file names its fields in camelCase, as the policy pack reads them"
    return f"unknown field; accepted: {', '.join(accepted)}"


def format_errors(exc: ValidationError) -> list[str]:
    """One line per problem: ``imaging-landing-zone:<path>: <what is wrong and what is accepted>``."""
    lines = []
    for error in exc.errors(include_url=False):
        loc = tuple(part for part in error["loc"] if part != "[key]")
        path = ".".join(str(part) for part in loc) if loc else "(site)"
        kind, message = error["type"], error["msg"]
        if kind == "missing":
            message = "required field is missing"
        elif kind == "extra_forbidden":
            message = _unknown_field(loc)
        elif kind == "enum":
            message = f"{error['input']!r} is not accepted; {message.removeprefix('Input should be ')}"
        elif kind == "value_error":
            message = message.removeprefix("Value error, ")
            if message.startswith("@"):  # problems found across fields, each naming its own path
                for problem in message.splitlines():
                    where, _, what = problem.removeprefix("@").partition(": ")
                    lines.append(f"{NAMESPACE}:{'.'.join([*map(str, loc), where])}: {what}")
                continue
        elif kind == "greater_than":
            message = f"must be greater than {error['ctx']['gt']:g}, got {error['input']!r}"
        elif kind == "finite_number":
            message = f"must be a finite number, got {error['input']!r}"
        elif kind == "less_than_equal":
            message = f"must be at most {error['ctx']['le']}, got {error['input']!r}"
        elif kind == "greater_than_equal":
            message = f"must be at least {error['ctx']['ge']}, got {error['input']!r}"
        lines.append(f"{NAMESPACE}:{path}: {message}")
    return lines


def stack_config_values() -> dict[str, Any]:
    """Every config value of the running stack, as the engine hands them to the program."""
    from pulumi.runtime import config as runtime_config

    values = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    return values


def stack_file_schema() -> dict[str, Any]:
    """The JSON schema of a ``Pulumi.<site>.yaml`` stack file (written to ``stacks/``)."""
    site = SiteConfig.model_json_schema(by_alias=True)
    properties = {f"{NAMESPACE}:{key}": value for key, value in site["properties"].items()}
    # The deploy workflow's own key (program/runners.py), which the site program ignores.
    properties[runners.RUNS_ON] = {
        "title": "Runs On",
        "description": "The labels of the runner the deploy workflow runs this site's jobs on (default "
        f"[{', '.join(runners.DEFAULT)}], GitHub-hosted). Required, with {runners.SELF_HOSTED}, when the perimeter "
        "is enforced: a GitHub-hosted runner is outside it (docs/deploying.md).",
        "type": "array",
        "minItems": 1,
        "items": {"type": "string", "minLength": 1, "pattern": "\\S"},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Imaging site stack file",
        "description": "stacks/Pulumi.<site>.yaml of imaging-landing-zone. Generated by "
        "`python -m preflight schema --write`; do not edit.",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": properties,
                "required": [f"{NAMESPACE}:{key}" for key in site.get("required", [])],
                "patternProperties": {f"^(?!{NAMESPACE}:)": {}},
                "propertyNames": {
                    "not": {
                        "anyOf": [{"pattern": NEAR_MISS_KEY}, {"pattern": f"^{runners.NAMESPACE}:(?!{runners.KEY}$)"}]
                    }
                },
                "additionalProperties": False,
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
        },
        "required": ["config"],
        "$defs": site.get("$defs", {}),
    }
