"""Deterministic physical names and the pure validators behind them.

Physical names are public API: audit trails, CMDBs and the policy pack's reports quote them, so
they are derived from the site code and the project only, never from random suffixes.
"""

from __future__ import annotations

import re

# Google Cloud regions that offer Cloud Storage, Cloud KMS (including HSM) and Cloud Run.
GCP_REGIONS: frozenset[str] = frozenset(
    {
        "africa-south1",
        "asia-east1",
        "asia-east2",
        "asia-northeast1",
        "asia-northeast2",
        "asia-northeast3",
        "asia-south1",
        "asia-south2",
        "asia-southeast1",
        "asia-southeast2",
        "australia-southeast1",
        "australia-southeast2",
        "europe-central2",
        "europe-north1",
        "europe-north2",
        "europe-southwest1",
        "europe-west1",
        "europe-west10",
        "europe-west12",
        "europe-west2",
        "europe-west3",
        "europe-west4",
        "europe-west6",
        "europe-west8",
        "europe-west9",
        "me-central1",
        "me-central2",
        "me-west1",
        "northamerica-northeast1",
        "northamerica-northeast2",
        "northamerica-south1",
        "southamerica-east1",
        "southamerica-west1",
        "us-central1",
        "us-east1",
        "us-east4",
        "us-east5",
        "us-south1",
        "us-west1",
        "us-west2",
        "us-west3",
        "us-west4",
    }
)


def matches(pattern: str | re.Pattern[str], value: str) -> bool:
    """Whether all of ``value`` matches ``pattern``, read with ASCII classes: the patterns here are written
    ``^...$`` for JSON Schema too, where ``$`` is the end of the text; in Python ``$`` also matches before a
    final newline and ``\\d`` any script's digits (Arabic-Indic ones), which the APIs refuse."""
    source, flags = (pattern.pattern, pattern.flags & ~re.UNICODE) if isinstance(pattern, re.Pattern) else (pattern, 0)
    return re.fullmatch(source, value, flags | re.ASCII) is not None


SITE_CODE_PATTERN = r"^[a-z][a-z0-9-]{1,10}[a-z0-9]$"
PROJECT_ID_PATTERN = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$"
ACCOUNT_ID_PATTERN = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$"
LABEL_KEY_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
LABEL_VALUE_PATTERN = r"^[a-z0-9_-]{0,63}$"
GROUP_EMAIL_PATTERN = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", re.ASCII)


def bucket_name(project: str, site_code: str, purpose: str) -> str:
    """The globally unique name of a site bucket: ``<project>-<site>-<purpose>``.

    Project ids are globally unique, so the result is too. Raises ``ValueError`` when the
    combination breaks Cloud Storage's naming rules (3 to 63 of a-z, 0-9 and '-').
    """
    name = f"{project}-{site_code}-{purpose}"
    if not matches(_BUCKET_NAME, name) or "--" in name:
        raise ValueError(f"bucket name {name!r} is not a valid Cloud Storage name (3-63 of a-z, 0-9, '-')")
    return name


def key_ring_name(site_code: str) -> str:
    """The site key ring's name. Key rings can never be deleted, so the name must stay stable."""
    return f"{site_code}-imaging"


def crypto_key_name(site_code: str, data_class: str) -> str:
    """The name of the key that encrypts one data class (``images``, ``logs``)."""
    return f"{site_code}-{data_class}"


def service_account_id(site_code: str, purpose: str) -> str:
    """A runtime identity's account id, ``<site>-<purpose>``, checked against IAM's 6-30 rule."""
    account_id = f"{site_code}-{purpose}"
    if not matches(ACCOUNT_ID_PATTERN, account_id):
        raise ValueError(f"service account id {account_id!r} must be 6-30 of a-z, 0-9, '-'")
    return account_id


def service_account_email(account_id: str, project: str) -> str:
    """The email IAM assigns to a user-managed service account (known before it exists)."""
    return f"{account_id}@{project}.iam.gserviceaccount.com"
