"""What each anomaly detector must fire on and stay quiet on: sample entries and time series, per site.

The unexpected-access detectors (LOG-16) are judged by log entries of the stack's site: the attack entries
are made by principals the site does not intend (its uploader reading images, another account of its
project, another project's account or service agent, an outside user, look-alikes of the intended names, an
anonymous caller), each from another address (IPv4, IPv6, ``gce-internal-ip``) with another client (rclone,
curl, python-requests, gsutil); the quiet entries by every holder the pack's effective-access model intends
(:mod:`imaging_policies._intent`: the same intent, so a grant that slipped through is noticed at first use).
Samples hold a few values of what an attacker chooses; :mod:`imaging_policies._detector_reach` refuses a query
that reads those fields at all. The baseline and off-hours detectors (LOG-17) are
judged by per-minute series of the metrics they watch (:mod:`imaging_policies._promql`), built from the
thresholds the site declares (``imaging-landing-zone:logging.detection``, with the site config's defaults,
copied here; a contract test holds them equal).

The tests use the same entries and series to prove the components' detectors (one copy of the facts).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from imaging_policies import _log_samples as log_samples
from imaging_policies._detector_reach import Intended
from imaging_policies._intent import Intent
from imaging_policies._promql import STEP, Series, metric_name
from imaging_policies._site import Settings, section

OUTSIDER: Final = "mallory@outside.example"
STRANGE_AGENT: Final = "service-999999999999@gs-project-accounts.iam.gserviceaccount.com"
"""Another project's Cloud Storage agent: a bucket elsewhere encrypting with the site's key."""
ELSEWHERE: Final = "etl@other-project-4711.iam.gserviceaccount.com"
"""Another project's service account."""
LOOKALIKE: Final = "reader-x@outside.example"
LOOKALIKE_ACCOUNT: Final = "viewer-backend@evil.example"
"""Names that look like the site's readers and runtime accounts, outside every intended domain."""
CALLERS: Final = (
    ("203.0.113.45", "rclone/v1.68.2"),
    ("2001:db8:4:17::2a", "curl/8.9.1"),
    ("gce-internal-ip", "python-requests/2.32.3"),
    ("198.51.100.7", "gsutil/5.30 (linux)"),
)
"""Where an attacker calls from, and with which client: each attack entry takes the next one in turn."""
READ_IMAGE: Final = frozenset({"storage.objects.get"})
DECRYPT: Final = frozenset({"cloudkms.cryptoKeyVersions.useToDecrypt"})
READ_LOGS: Final = frozenset({"logging.views.access"})
"""The permission each watched entry exercises: an intended holder of it is quiet."""
SENT_BYTES: Final = metric_name("storage.googleapis.com/network/sent_bytes_count")

# --- The site's declared thresholds (copies of the site config's defaults) -----------------------------


@dataclass(frozen=True)
class Baseline:
    ratio: float
    minimum: int


@dataclass(frozen=True)
class OffHours:
    start_hour: int = 22
    end_hour: int = 6
    bulk_reads: int = 500


DEFAULT_BASELINES: Final = {
    "imageReads": Baseline(3.0, 2000),
    "egressBytes": Baseline(3.0, 10 * 1024**3),
    "deniedRequests": Baseline(3.0, 50),
}
"""``logging.detection.<key>`` unless the site sets it (copies of the site config's defaults)."""


@dataclass(frozen=True)
class DetectionDeclaration:
    """The thresholds a site declares for its baseline and off-hours detectors."""

    baselines: Mapping[str, Baseline] = field(default_factory=lambda: dict(DEFAULT_BASELINES))
    off_hours: OffHours = OffHours()


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def declaration(get: Settings) -> DetectionDeclaration:
    """What ``logging.detection`` of the site config read through ``get`` declares, with the defaults."""
    detection = _mapping(_mapping(section(get, "logging")).get("detection"))
    baselines = {}
    for key, default in DEFAULT_BASELINES.items():
        given = _mapping(detection.get(key))
        baselines[key] = Baseline(
            _number(given.get("ratio"), default.ratio), int(_number(given.get("minimum"), default.minimum))
        )
    hours = _mapping(detection.get("offHours"))
    default_hours = OffHours()
    off_hours = OffHours(
        int(_number(hours.get("startHour"), default_hours.start_hour)),
        int(_number(hours.get("endHour"), default_hours.end_hour)),
        int(_number(hours.get("bulkReads"), default_hours.bulk_reads)),
    )
    return DetectionDeclaration(baselines, off_hours)


# --- Log entries (LOG-16) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One sample entry: who made it and the entry itself."""

    id: str
    entry: dict[str, Any]


@dataclass(frozen=True)
class AccessSamples:
    """The entries an unexpected-access detector must select (``attacks``) and must not (``quiet``)."""

    attacks: tuple[Entry, ...]
    quiet: tuple[Entry, ...]
    intended: Intended = field(default_factory=Intended)
    """Who the detector's filter may name (:mod:`imaging_policies._detector_reach`)."""


@dataclass(frozen=True)
class Site:
    project: str
    region: str
    code: str


def _by(template: dict[str, Any], principal: str | None) -> dict[str, Any]:
    entry = copy.deepcopy(template)
    info = entry["protoPayload"].setdefault("authenticationInfo", {})
    if principal is None:
        info.pop("principalEmail", None)
    else:
        info["principalEmail"] = principal
    return entry


def _attacks(prefix: str, template: dict[str, Any], who: Sequence[tuple[str, str | None]]) -> tuple[Entry, ...]:
    """``template`` made by each attacker of ``who`` (``None``: anonymous), each from the next of :data:`CALLERS`."""
    found = []
    for index, (what, principal) in enumerate(who):
        entry = _by(template, principal)
        ip, agent = CALLERS[index % len(CALLERS)]
        metadata = entry["protoPayload"].setdefault("requestMetadata", {})
        metadata["callerIp"], metadata["callerSuppliedUserAgent"] = ip, agent
        found.append(Entry(f"{prefix}-{what}" if what else prefix, entry))
    return tuple(found)


def _strangers(site: Site, intended: Intended) -> list[tuple[str, str]]:
    """Principals no site intends: another account of the project, another project's, an outsider, and look-alikes
    of each intended name (``<account>-backend@evil.example``, ``someone@<domain>.evil.example``,
    ``someone@mail.<domain>``: an unanchored or substring comparison lets them through)."""
    found = [
        ("by-another-account", f"intruder@{site.project}.iam.gserviceaccount.com"),
        ("by-another-projects-account", ELSEWHERE),
        ("by-outsider", OUTSIDER),
        ("by-lookalike-reader", LOOKALIKE),
        ("by-lookalike-account", LOOKALIKE_ACCOUNT),
    ]
    found += [
        (f"by-lookalike-of-{a}", f"{a.partition('@')[0]}-backend@evil.example") for a in sorted(intended.accounts)
    ]
    for domain in sorted(intended.domains):
        found += [(f"by-lookalike-of-{domain}", f"someone@{domain}.evil.example")]
        found += [(f"by-subdomain-of-{domain}", f"someone@mail.{domain}")]
    return [
        (what, who)
        for what, who in found
        if who not in intended.accounts and who.rpartition("@")[2] not in intended.domains  # never an intended one
    ]


def _retarget(entry: dict[str, Any], site: Site) -> dict[str, Any]:
    return log_samples.retarget(entry, site.project, site.region, site.code)


def _email(member: str) -> str:
    return member.split(":", 1)[1] if ":" in member else member


def intended(intent: Intent, kind: str, permissions: frozenset[str]) -> Intended:
    """Who ``intent`` lets act on an asset of ``kind`` with one of ``permissions``: accounts by email, people by
    their group's domain (the stack cannot list a group's members)."""
    accounts, domains = set[str](), set[str]()
    for holder in intent.holders(kind):
        if not holder.permissions & permissions or holder.test is not None:
            continue
        if holder.label.startswith("group:"):
            domains.add(holder.label.rpartition("@")[2])
        elif holder.label.startswith("serviceaccount:"):
            accounts.add(_email(holder.label))
    return Intended(frozenset(accounts), frozenset(domains))


def _intended(who: Intended) -> list[str]:
    """The intended principals as entries name them: an account's email, or a person of a domain (``someone@<d>``)."""
    return sorted({*who.accounts, *(f"someone@{d}" for d in who.domains)})


def _image_read(site: Site) -> dict[str, Any]:
    template = next(s for s in log_samples.SAMPLES if s.id == "image-read").entry
    return _retarget(template, site)


def _key_use(site: Site) -> dict[str, Any]:
    ring = f"{site.code}-imaging"
    name = (
        f"projects/{log_samples.PROJECT}/locations/{log_samples.REGION}/keyRings/{ring}/cryptoKeys/{site.code}-images"
    )
    entry = log_samples.audit(
        "cloudkms.googleapis.com",
        "Decrypt",
        "cloudkms_cryptokey",
        {"location": log_samples.REGION, "key_ring_id": ring, "crypto_key_id": f"{site.code}-images"},
        name,
        log="data_access",
        severity="INFO",
        request={"@type": "type.googleapis.com/google.cloud.kms.v1.DecryptRequest", "name": name},
    )
    return _retarget(entry, site)


def _log_read(site: Site) -> dict[str, Any]:
    view = (
        f"projects/{log_samples.PROJECT}/locations/{log_samples.REGION}/buckets/"
        f"{site.code}-security-logs/views/_AllLogs"
    )
    entry = log_samples.audit(
        "logging.googleapis.com",
        "google.logging.v2.LoggingServiceV2.ListLogEntries",
        "logging_log",
        {},
        view,
        log="data_access",
        severity="INFO",
        request={"@type": "type.googleapis.com/google.logging.v2.ListLogEntriesRequest", "resourceNames": [view]},
    )
    return _retarget(entry, site)


def _on_buckets(entries: Sequence[Entry], site: Site, buckets: Sequence[str]) -> tuple[Entry, ...]:
    """Each entry on each of ``buckets`` (the stack's image buckets; its id names a bucket other than the
    conventional one); with no bucket, the entries as they are."""
    conventional = log_samples.images_of(site.project, site.code)
    per_entry = [log_samples.on_buckets(e.entry, conventional, buckets) for e in entries]
    return tuple(  # bucket by bucket, as the messages list them
        Entry(e.id + suffix, moved)
        for on_one in zip(*per_entry, strict=False)
        for e, (suffix, moved) in zip(entries, on_one, strict=True)
    )


def access_samples(intent: Intent, site: Site, image_buckets: Sequence[str] = ()) -> dict[str, AccessSamples]:
    """Per unexpected-access detector, its attack and quiet entries for the stack's site; image reads on each of
    ``image_buckets`` (by default the conventional ``<project>-<site>-images``)."""
    principals = intent.principals
    image, key, logs = _image_read(site), _key_use(site), _log_read(site)
    uploader = _email(principals.uploader) if principals.uploader else None
    viewer = _email(principals.viewer) if principals.viewer else None
    readers = intended(intent, "image bucket", READ_IMAGE)
    users = intended(intent, "key", DECRYPT)
    auditors = intended(intent, "security-log bucket", READ_LOGS)
    image_attackers = [
        *([("by-uploader", uploader)] if uploader else []),
        *_strangers(site, readers),
        ("anonymous", None),
    ]
    return {
        "unexpected-image-read": AccessSamples(
            attacks=_on_buckets(_attacks("image-read", image, image_attackers), site, image_buckets),
            quiet=_on_buckets(
                tuple(Entry(f"image-read-by-{who}", _by(image, who)) for who in _intended(readers)),
                site,
                image_buckets,
            ),
            intended=readers,
        ),
        "unexpected-key-use": AccessSamples(
            attacks=_attacks("key-use", key, [("by-another-projects-agent", STRANGE_AGENT), *_strangers(site, users)]),
            quiet=tuple(Entry(f"key-use-by-{who}", _by(key, who)) for who in _intended(users)),
            intended=users,
        ),
        "unexpected-log-read": AccessSamples(
            attacks=_attacks(
                "log-read", logs, [*([("by-viewer", viewer)] if viewer else []), *_strangers(site, auditors)]
            ),
            quiet=tuple(Entry(f"log-read-by-{who}", _by(logs, who)) for who in _intended(auditors)),
            intended=auditors,
        ),
    }


def denied_entries(site: Site) -> tuple[Entry, ...]:
    """Requests refused for want of permission (``status.code`` 7): image reads by an outsider and an anonymous
    caller, and a project IAM change by another project's account, each from another address and client."""
    denied = {"code": 7, "message": "PERMISSION_DENIED"}
    iam = _retarget(copy.deepcopy(next(s for s in log_samples.SAMPLES if s.id == "owner-added").entry), site)
    found = [
        *_attacks("image-read-denied", _image_read(site), [("", OUTSIDER), ("anonymous", None)]),
        *_attacks("owner-grant-denied", iam, [("", ELSEWHERE)]),
    ]
    for entry in found:
        entry.entry["protoPayload"]["status"] = dict(denied)
        entry.entry["severity"] = "ERROR"
    return tuple(found)


def read_principals(site: Site) -> tuple[Mapping[str, str], ...]:
    """The ``principal`` labels a read volume is spread over: the site's own and foreign accounts, an outsider,
    look-alike names and an anonymous caller (no label), so a matcher on who read is seen by the samples too."""
    return (
        {"principal": "reader-a"},
        {"principal": "reader-b"},
        {"principal": f"intruder@{site.project}.iam.gserviceaccount.com"},
        {"principal": ELSEWHERE},
        {"principal": OUTSIDER},
        {"principal": LOOKALIKE},
        {"principal": LOOKALIKE_ACCOUNT},
        {},
    )


# --- Time series (LOG-17) ------------------------------------------------------------------------------

DAY: Final = int(datetime(2026, 3, 16, tzinfo=UTC).timestamp())
"""A Monday at 00:00 UTC: the scenarios' day."""
WEEK: Final = 7 * 86400
HOUR: Final = 3600


@dataclass(frozen=True)
class Scenario:
    """Series and the moment to evaluate at; ``fires``: whether a detector must fire then."""

    id: str
    series: tuple[Series, ...]
    at: int
    fires: bool


def _hour(name: str, labels: Mapping[str, str], volume: int, end: int) -> Series:
    """``volume`` spread over the hour before ``end``, one point a minute."""
    points: dict[int, float] = {}
    if volume > 0:
        share, rest = divmod(volume, 60)
        for minute in range(60):
            points[end - HOUR + STEP * (minute + 1)] = float(share + (1 if minute < rest else 0))
    return Series(name, dict(labels), points)


def _merge(*series: Series) -> tuple[Series, ...]:
    merged: dict[tuple[str, frozenset[tuple[str, str]]], dict[int, float]] = {}
    for s in series:
        merged.setdefault((s.name, frozenset(s.labels.items())), {}).update(s.points)
    return tuple(Series(name, dict(labels), points) for (name, labels), points in merged.items() if points)


def _split(name: str, labels: Sequence[Mapping[str, str]], volume: int, end: int) -> list[Series]:
    """``volume`` over the hour before ``end``, shared by the series of ``labels`` (each a principal, say)."""
    share, rest = divmod(volume, len(labels))
    return [_hour(name, one, share + (1 if i < rest else 0), end) for i, one in enumerate(labels)]


HOURS: Final = (3, 10, 17, 22)
"""The hours of the day every baseline scenario is played at: a query gated to some hours of the day (``and
hour() == 10``) is quiet at the others."""
FLOODS: Final = (1_000, 1_000_000)
"""How many times a surge a flood is: a query capped above (``< 20000``) is quiet on a fast bulk copy."""


def _background(name: str, labels: Sequence[Mapping[str, str]], volume: int, at: int) -> list[Series]:
    """``volume`` in every other hour of the week before ``at - WEEK`` (one point an hour): a baseline read over
    more than the same hour a week earlier (``[1w] offset 1w``) compares with the whole week and stays quiet."""
    share = max(volume // len(labels), 1)
    before = at - WEEK
    return [Series(name, dict(one), {before - k * HOUR: float(share) for k in range(1, 7 * 24)}) for one in labels]


def baseline_scenarios(name: str, labels: Sequence[Mapping[str, str]], declared: Baseline) -> tuple[Scenario, ...]:
    """At each of :data:`HOURS`: a normal day (as much as a week earlier), below the minimum, a surge just above the
    ratio, floods of :data:`FLOODS` surges (each with the minimum in every hour of the week before as background)
    and a first week without history just above the minimum; each volume shared by the series of ``labels``."""
    usual = max(declared.minimum, 1) * 2
    surge = math.floor(declared.ratio * declared.minimum) + 1
    volumes = [
        ("normal-day", usual, usual, False, True),
        ("below-minimum", declared.minimum - 1, 0, False, False),
        ("surge", surge, declared.minimum, True, True),
        *((f"flood-x{times}", surge * times, declared.minimum, True, True) for times in FLOODS),
        ("first-week", declared.minimum + 1, 0, True, False),
    ]
    found = []
    for hour in HOURS:
        at = DAY + hour * HOUR + 30 * 60
        steady = _background(name, labels, declared.minimum, at)
        for id_, now, last_week, fires, history in volumes:
            series = [*_split(name, labels, now, at), *_split(name, labels, last_week, at - WEEK)]
            found.append(Scenario(f"{id_}-at-{hour:02d}h", _merge(*series, *(steady if history else [])), at, fires))
    return tuple(found)


def egress_scenarios(
    name: str, buckets: Sequence[str], declared: Baseline, project: str | None = None
) -> tuple[Scenario, ...]:
    """:func:`baseline_scenarios` on each image bucket's sent bytes while every other image bucket sends its usual
    volume both weeks: a detector must judge each bucket against its own past (a surge of one bucket diluted in
    the others' total goes unseen). An id names its bucket when there are several; ``project``, the buckets'
    ``project_id`` label."""
    where = {"project_id": project} if project else {}
    usual = max(declared.minimum, 1) * 2
    found = []
    for bucket in sorted(set(buckets)):
        for scenario in baseline_scenarios(
            name, ({"monitored_resource": "gcs_bucket", "bucket_name": bucket, **where},), declared
        ):
            steady = [
                series
                for other in sorted(set(buckets) - {bucket})
                for end in (scenario.at, scenario.at - WEEK)
                for series in _split(
                    name, [{"monitored_resource": "gcs_bucket", "bucket_name": other, **where}], usual, end
                )
            ]
            series = _merge(*scenario.series, *steady)
            found.append(
                Scenario(
                    scenario.id if len(buckets) == 1 else f"{scenario.id}-on-{bucket}",
                    series,
                    scenario.at,
                    scenario.fires,
                )
            )
    return tuple(found)


def off_hours_scenarios(name: str, labels: Sequence[Mapping[str, str]], declared: OffHours) -> tuple[Scenario, ...]:
    """A bulk read in every off-hour, and a flood in the first (fires); the same read in every working hour and a
    quiet night (quiet); each volume shared by the series of ``labels``."""
    bulk = declared.bulk_reads

    def scenario(id_: str, hour: int, volume: int, fires: bool) -> Scenario:
        at = DAY + hour * HOUR + 30 * 60
        return Scenario(id_, _merge(*_split(name, labels, volume, at)), at, fires)

    off = {(declared.start_hour + k) % 24 for k in range((declared.end_hour - declared.start_hour) % 24 or 24)}
    return (
        *(scenario(f"bulk-read-at-{h:02d}h", h, bulk + 1, h in off) for h in range(24)),
        *(
            scenario(f"flood-x{times}-at-{declared.start_hour:02d}h", declared.start_hour, (bulk + 1) * times, True)
            for times in FLOODS
        ),
        scenario("quiet-night", declared.start_hour, bulk, False),
    )
