"""The args contract: every rule a component's args and the site config share, defined once.

Each rule is an annotated type with one message (house style, principle 9): a component refuses what
the site config refuses, with the same words, whoever builds its args. The site config
(:mod:`program.config`) uses these types too; the components import nothing from it.

Named ``contract`` rather than ``types`` so that it never shadows the standard library's ``types``.
"""

from __future__ import annotations

import difflib
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from . import naming, principals, ranges
from ._base import StrInput

# --- Enums and constants -------------------------------------------------------------------------


class ProtectionLevel(StrEnum):
    """Where the site's key material lives: Cloud KMS software keys or Cloud HSM (FIPS 140-2 L3)."""

    SOFTWARE = "SOFTWARE"
    HSM = "HSM"


class SignOn(StrEnum):
    """How the worklist's sign-on reaches the viewer (IAM-09)."""

    IAP = "iap"
    """Identity-Aware Proxy on the load balancer admits members of the site's IAP groups only."""
    LAUNCH_TOKEN = "launchToken"
    """The worklist signs a short-lived launch token; the viewer verifies it on every launch."""


MIN_LOG_RETENTION_DAYS = 2190
"""Six years: the site minimum for security logs (LOG-09)."""

# --- Address ranges and ports --------------------------------------------------------------------


def _cidr(value: str) -> str:
    return str(ranges.parse_cidr(value))


Cidr = Annotated[str, AfterValidator(_cidr)]
"""An IPv4 range in CIDR form, never ``/0``."""


def _private_cidr(value: str) -> str:
    return str(ranges.parse_private_cidr(value))


PrivateCidr = Annotated[str, AfterValidator(_private_cidr)]
"""An IPv4 range in CIDR form inside RFC 1918 or RFC 6598 space: a subnet's primary range."""


def _public_cidr(value: str) -> str:
    return str(ranges.parse_public_cidr(value))


PublicCidr = Annotated[str, AfterValidator(_public_cidr)]
"""An IPv4 range in CIDR form that traffic from the internet can come from (no private range), at most a /16."""


def _allowlist_cidr(value: str) -> str:
    return str(ranges.parse_allowlist_cidr(value))


AllowlistCidr = Annotated[str, AfterValidator(_allowlist_cidr)]
"""An IPv4 range in CIDR form, at most a /16: a destination the viewer may reach."""
Port = Annotated[int, Field(ge=1, le=65535)]
"""A TCP port, 1 to 65535."""

# --- Names ---------------------------------------------------------------------------------------

_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,18}[a-z0-9]$"


def _stable_name(value: str) -> str:
    if not naming.matches(_NAME_PATTERN, value):
        raise ValueError("names must be 2-20 of a-z, 0-9 and '-', start with a letter and not end with '-'")
    return value


StableName = Annotated[str, AfterValidator(_stable_name)]
"""A map key that becomes part of resource names (never renamed: renaming replaces the resource)."""


def site_code(value: str) -> str:
    """``value`` if it is a site code, else ``ValueError`` saying what is accepted."""
    if not naming.matches(naming.SITE_CODE_PATTERN, value):
        raise ValueError("must be 3-12 of a-z, 0-9 and '-', start with a letter and not end with '-'")
    return value


SiteCode = Annotated[str, AfterValidator(site_code)]
"""Short site code used in every physical name: 3-12 of a-z, 0-9 and '-', starting with a letter."""


def closest_regions(value: str, count: int = 4) -> list[str]:
    """Regions like ``value``: the same family first (``europe-west*`` for ``europe-west99``), then
    the same area (``europe-*``), each by closeness of spelling."""
    family = re.sub(r"\d+$", "", value)
    area = value.split("-", maxsplit=1)[0]

    def rank(region: str) -> tuple[int, float, str]:
        tier = 0 if re.sub(r"\d+$", "", region) == family else 1 if region.split("-", maxsplit=1)[0] == area else 2
        return tier, -difflib.SequenceMatcher(None, value, region).ratio(), region

    ranked = sorted(naming.GCP_REGIONS, key=rank)
    return [r for r in ranked[:count] if rank(r)[0] < 2]


def region(value: str) -> str:
    """``value`` if it is a Google Cloud region, else ``ValueError`` naming the closest ones."""
    if value not in naming.GCP_REGIONS:
        close = closest_regions(value)
        hint = f"; closest: {', '.join(close)}" if close else "; for example europe-west6"
        raise ValueError(f"unknown region {value!r}: must be a Google Cloud region{hint}")
    return value


Region = Annotated[str, AfterValidator(region)]
"""A Google Cloud region, for example ``europe-west6`` (images and keys stay in it, PERF-03)."""

_DOMAIN_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


def _domain(value: str) -> str:
    if not naming.matches(_DOMAIN_PATTERN, value) or len(value) > 253:
        raise ValueError("must be a lower-case DNS name like viewer.hospital.example (no scheme, no path)")
    return value


DnsName = Annotated[str, AfterValidator(_domain), Field(json_schema_extra={"pattern": _DOMAIN_PATTERN})]
"""A lower-case DNS name, no scheme and no path (a Google-managed certificate is issued for it)."""

# --- Principals ----------------------------------------------------------------------------------

IamMember = Annotated[str, AfterValidator(principals.parse_member)]
"""``serviceAccount:<email>`` or ``group:<email>``: never a public principal, a person or a domain."""


def _siem_member(value: str) -> str:
    try:
        return principals.parse_member(value)
    except ValueError:
        raise ValueError(
            "must be the SIEM's identity as an IAM member: serviceAccount:<email> or group:<email> "
            "(never a person or a public principal)"
        ) from None


SiemMember = Annotated[str, AfterValidator(_siem_member)]
"""The SIEM's identity: :data:`IamMember`, with a message that names the SIEM."""


def group_email(key: str) -> str:
    """Normalise a group to its bare, lower-case email, or say exactly why it is not one."""
    bare = key.removeprefix("group:")
    if key.lower() in principals.PUBLIC or bare.lower() in principals.PUBLIC:
        raise ValueError("is a public principal; only hospital groups may hold site roles (IAM-03)")
    for prefix in ("user:", "serviceAccount:", "domain:", "principal:", "principalSet:"):
        if key.startswith(prefix):
            raise ValueError("is not a group; people get site roles through groups only (IAM-07)")
    if not naming.matches(naming.GROUP_EMAIL_PATTERN, bare):
        raise ValueError("is not a group email address (like radiologists@hospital.example)")
    return bare.lower()


GroupEmail = Annotated[str, AfterValidator(group_email)]
"""A hospital group's email address (``group:`` prefix optional)."""


CUSTOMER_ID_PATTERN = r"^C[0-9a-z]{6,12}$"


def customer_id(value: str) -> str:
    """``value`` if it is a Google Workspace or Cloud Identity customer id (``C`` and 6-12 of a-z, 0-9, like
    ``C03xgje4y``), else ``ValueError``. The domain guard rail (``iam.allowedPolicyMemberDomains``) takes
    these ids, never domain names."""
    if not naming.matches(CUSTOMER_ID_PATTERN, value):
        raise ValueError(
            f"{value!r} is not a directory customer id: C followed by 6-12 of a-z and 0-9, like C03xgje4y "
            "(Admin console, Account settings; not the domain name)"
        )
    return value


CustomerId = Annotated[str, AfterValidator(customer_id), Field(json_schema_extra={"pattern": CUSTOMER_ID_PATTERN})]
"""The customer id of the Google Workspace or Cloud Identity account a group domain belongs to."""


def _email(value: str) -> str:
    if not naming.matches(naming.GROUP_EMAIL_PATTERN, value):
        raise ValueError("must be an email address (like soc@hospital.example)")
    return value


NotificationEmail = Annotated[
    str, AfterValidator(_email), Field(json_schema_extra={"pattern": naming.GROUP_EMAIL_PATTERN})
]
"""An email address alerts are sent to."""

# --- Workload identity federation ----------------------------------------------------------------

_OIDC_SUBJECT = re.compile(r"^[A-Za-z0-9@._:/-]{1,127}$")


def oidc_subject(value: str) -> str:
    """``value`` if it is safe to quote in a CEL string: letters, digits and ``@._:/-`` only (no quote,
    no backslash, no white space), else ``ValueError``."""
    if not naming.matches(_OIDC_SUBJECT, value):
        raise ValueError("must be 1-127 of letters, digits and @._:/- (it is quoted in a CEL condition)")
    return value


OidcSubject = Annotated[str, AfterValidator(oidc_subject)]
"""The ``sub`` claim of a federated token; it is quoted in a CEL condition, so nothing can break out."""


def _https_issuer(value: str) -> str:
    if not naming.matches(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?(/\S*)?$", value):
        raise ValueError("must be an https:// URL of the PACS's OIDC issuer")
    return value


OidcIssuer = Annotated[str, AfterValidator(_https_issuer)]
"""An OIDC issuer, an https URL."""

# --- Keys ----------------------------------------------------------------------------------------

_KEY_ID = re.compile(
    r"^projects/(?P<project>[^/]+)/locations/(?P<location>[a-z0-9-]+)/keyRings/[A-Za-z0-9_-]{1,63}"
    r"/cryptoKeys/[A-Za-z0-9_-]{1,63}$",
    re.ASCII,
)


def crypto_key_id(value: StrInput) -> StrInput:
    """``value`` if it is a Cloud KMS key id (``projects/P/locations/L/keyRings/R/cryptoKeys/K``, P a project
    id), else ``ValueError`` saying the form. An output (the id of a key the program creates) is checked by
    the provider once known."""
    if not isinstance(value, str):
        return value
    match = _KEY_ID.fullmatch(value)
    if match is None:
        raise ValueError(
            f"{value!r} is not a Cloud KMS key id: write it as projects/<project>/locations/<region>/keyRings/"
            "<ring>/cryptoKeys/<key>"
        )
    if not naming.matches(naming.PROJECT_ID_PATTERN, match["project"]):
        raise ValueError(f"{value!r}: {match['project']!r} is not a GCP project id (6-30 of a-z, 0-9 and '-')")
    return value


def key_in(key_id: StrInput, *, project: str, region: str) -> None:
    """Raise ``ValueError`` when a known key id is not a key of ``project`` in ``region``: the site keeps
    its keys in its own project (ENC-01), and Cloud Storage and Cloud Logging take only a key of the data's
    own location."""
    match = _KEY_ID.fullmatch(key_id) if isinstance(key_id, str) else None
    if match is None:
        return
    if match["project"] != project:
        raise ValueError(f"{key_id!r} is a key of project {match['project']!r}; use a key of the site's {project!r}")
    if match["location"] != region:
        raise ValueError(
            f"{key_id!r} is a key in {match['location']!r}; the data is in {region!r}: use a key of that region"
        )


KeyId = Annotated[StrInput, AfterValidator(crypto_key_id)]
"""A Cloud KMS key id, ``projects/<project>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>``."""

# --- Durations -----------------------------------------------------------------------------------

RotationDays = Annotated[int, Field(ge=1, le=90)]
"""Automatic key rotation period in days, 1 to 90 (ENC-04)."""
DestroyScheduledDays = Annotated[int, Field(ge=1, le=120)]
"""How long a destroyed key version can still be restored, 1 to 120 days (ENC-05)."""
SoftDeleteDays = Annotated[int, Field(ge=7, le=90)]
"""How long deleted objects can still be restored, 7 to 90 days."""
ObjectRetentionDays = Annotated[int, Field(ge=1, le=36500)]
"""Minimum age before an object can be deleted or replaced, 1 to 36500 days."""
LogRetentionDays = Annotated[int, Field(ge=MIN_LOG_RETENTION_DAYS, le=3650)]
"""Days security logs are kept: at least 2190 (six years, LOG-09), at most 3650."""
ReadSpike = Annotated[int, Field(ge=1)]
"""Image reads by one principal within five minutes that raise the anomaly alert (LOG-12)."""
SPIKE_WINDOW_SECONDS = 300
"""The anomaly window: image reads per principal are summed over five minutes (LOG-12)."""
MAX_QUIET_PERIOD = 1800
"""Default for ``logging.alerts.maxQuietPeriod``: an incident keeps a series quiet at most half an hour."""
MIN_ALERT_SEVERITY: Literal["WARNING", "ERROR", "CRITICAL"] = "ERROR"
"""Default for ``logging.alerts.minSeverity``: security alerts are errors or worse."""
QuietPeriod = Annotated[int, Field(ge=SPIKE_WINDOW_SECONDS, le=86400)]
"""Seconds after one alert during which a repeat may go unnotified (alignment window, auto-close, rate
limit), from the five-minute anomaly window to a day (LOG-14)."""
AlertSeverity = Literal["WARNING", "ERROR", "CRITICAL"]
"""Cloud Monitoring alert policy severities, least first (LOG-14)."""
BaselineRatio = Annotated[float, Field(gt=1, le=100, allow_inf_nan=False)]
"""How many times the same window a week earlier a volume may grow before the baseline detector fires, above 1
and at most 100 (LOG-17)."""
MinVolume = Annotated[int, Field(ge=1)]
"""The least volume in the window for a baseline detector to fire at all, at least 1 (LOG-17): below it a
quiet site's ordinary day is no anomaly."""
HourOfDay = Annotated[int, Field(ge=0, le=23)]
"""An hour of the day in UTC, 0 to 23 (PromQL's ``hour()`` is UTC)."""
BASELINE_WINDOW_SECONDS = 3600
"""The baseline detectors compare the last hour with the same hour a week earlier (LOG-17)."""

# --- Images --------------------------------------------------------------------------------------

_IMAGE_PATTERN = r"^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}$"


def _pinned_image(value: str) -> str:
    if not naming.matches(_IMAGE_PATTERN, value):
        raise ValueError(
            "must be a container image pinned by digest: <registry>/<path>@sha256:<64 hex> (a tag can be moved "
            "to other code without a change to the stack)"
        )
    return value


PinnedImage = Annotated[str, AfterValidator(_pinned_image), Field(json_schema_extra={"pattern": _IMAGE_PATTERN})]
"""A container image pinned by digest (``...@sha256:<64 hex>``)."""

# --- Supply chain --------------------------------------------------------------------------------

ATTESTOR_PATTERN = r"^projects/([a-z][a-z0-9-]{4,28}[a-z0-9])/attestors/([A-Za-z][A-Za-z0-9_-]{0,99})$"


def attestor_name(value: str) -> str:
    """``value`` if it is a Binary Authorization attestor's full name (``projects/<project>/attestors/<attestor>``,
    the form the API stores), else ``ValueError`` saying the form."""
    if not naming.matches(ATTESTOR_PATTERN, value):
        raise ValueError(
            f"{value!r} is not an attestor: write it as projects/<project>/attestors/<attestor>, the attestor "
            "the build pipeline signs the viewer's releases with"
        )
    return value


def attestor_project(value: str) -> str:
    """The project of an attestor's full name (:func:`attestor_name`)."""
    return value.split("/")[1]


AttestorName = Annotated[str, AfterValidator(attestor_name), Field(json_schema_extra={"pattern": ATTESTOR_PATTERN})]
"""A Binary Authorization attestor, by its full name ``projects/<project>/attestors/<attestor>`` (NET-17)."""

# --- Service perimeter ---------------------------------------------------------------------------

PERIMETER_SERVICES = (
    "cloudkms.googleapis.com",
    "iap.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "storage.googleapis.com",
)
"""The Google APIs every site perimeter restricts (NET-11): where images, keys, logs and the viewer live. A site
adds its own (``perimeter.restrictedServices``); none can be taken out."""

ACCESS_POLICY_PATTERN = r"^(accessPolicies/)?[0-9]{1,20}$"


def access_policy(value: str) -> str:
    """``accessPolicies/<number>`` for an access policy given with or without its prefix, else ``ValueError``."""
    if not naming.matches(ACCESS_POLICY_PATTERN, value):
        raise ValueError(
            f"{value!r} is not an access policy: accessPolicies/<number>, the organisation's policy (gcloud "
            "access-context-manager policies list --organization <org id>)"
        )
    return "accessPolicies/" + value.removeprefix("accessPolicies/")


AccessPolicyId = Annotated[
    str, AfterValidator(access_policy), Field(json_schema_extra={"pattern": ACCESS_POLICY_PATTERN})
]
"""The organisation's access policy a site perimeter belongs to, ``accessPolicies/<number>``."""

PROJECT_NUMBER_PATTERN = r"^projects/[0-9]{6,20}$"


def project_by_number(value: str) -> str:
    """``value`` if it names a project by number (``projects/<number>``, the only form a perimeter holds), else
    ``ValueError``."""
    if not naming.matches(PROJECT_NUMBER_PATTERN, value):
        raise ValueError(
            f"{value!r} is not a project by number: projects/<number> (a perimeter names projects by number; "
            "gcloud projects describe <project id> --format='value(projectNumber)')"
        )
    return value


ProjectByNumber = Annotated[
    str, AfterValidator(project_by_number), Field(json_schema_extra={"pattern": PROJECT_NUMBER_PATTERN})
]
"""A project named by number, ``projects/<number>``."""

_SERVICE = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*\.googleapis\.com$")


def restrictable_service(value: str) -> str:
    """``value`` if it is one Google API's service name (``bigquery.googleapis.com``), never a wildcard."""
    if not naming.matches(_SERVICE, value):
        raise ValueError(f"{value!r} is not a Google API's service name, like bigquery.googleapis.com (no wildcard)")
    return value


RestrictableService = Annotated[str, AfterValidator(restrictable_service)]
"""A Google API a perimeter restricts, by service name."""
