"""Cloud KMS: AES-256 keys, rotation, deletion protection, key-scoped grants to service agents only."""

from __future__ import annotations

import re

from pulumi_policy import ResourceValidationArgs, Severity

from imaging_policies import tokens
from imaging_policies._props import PUBLIC_PRINCIPALS, UNKNOWN, as_str, leaf, members
from imaging_policies._registry import Report, resource_policy

KEY_USE_ROLES = {
    "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    "roles/cloudkms.cryptoKeyEncrypter",
    "roles/cloudkms.cryptoKeyDecrypter",
}
# Google-managed service agents: Cloud Storage, Cloud Logging, Pub/Sub and the other gcp-sa-* agents.
SERVICE_AGENT = re.compile(
    r"^serviceAccount:(service-\d+@gs-project-accounts\.iam\.gserviceaccount\.com"
    r"|[a-z0-9-]+@gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com)$"
)
DAY = 86_400


def _aes256(args: ResourceValidationArgs, report: Report) -> None:
    purpose = leaf(args.props, "purpose")
    if purpose not in (None, UNKNOWN, "ENCRYPT_DECRYPT"):
        report(f"purpose is {purpose!r}; set it to 'ENCRYPT_DECRYPT' (AES-256-GCM) for data at rest.")
    algorithm = leaf(args.props, "versionTemplate", "algorithm")
    if algorithm not in (None, UNKNOWN, "GOOGLE_SYMMETRIC_ENCRYPTION"):
        report(f"versionTemplate.algorithm is {algorithm!r}; set it to 'GOOGLE_SYMMETRIC_ENCRYPTION' (AES-256).")
    allowed = list(args.get_config().get("allowedProtectionLevels", ["SOFTWARE", "HSM"]))
    level = leaf(args.props, "versionTemplate", "protectionLevel") or "SOFTWARE"
    if level is not UNKNOWN and level not in allowed:
        report(f"versionTemplate.protectionLevel is {level!r}; set it to one of {', '.join(allowed)}.")


def _rotation(args: ResourceValidationArgs, report: Report) -> None:
    if leaf(args.props, "purpose") not in (None, UNKNOWN, "ENCRYPT_DECRYPT"):
        return  # only symmetric keys rotate automatically; ENC-03 rejects the others
    max_days = int(args.get_config().get("maxRotationDays", 90))
    period = leaf(args.props, "rotationPeriod")
    if period is UNKNOWN:
        return
    match = re.fullmatch(r"(\d+)s", as_str(period) or "")
    if match is None:
        report(
            f"rotationPeriod is {period!r}; set it to at most {max_days * DAY}s ({max_days} days), "
            "written as '<seconds>s'."
        )
    elif not DAY <= int(match.group(1)) <= max_days * DAY:
        report(
            f"rotationPeriod {period} is {int(match.group(1)) / DAY:g} days; set it between 86400s and "
            f"{max_days * DAY}s ({max_days} days)."
        )


def _protected(args: ResourceValidationArgs, report: Report) -> None:
    kind = "key ring" if args.resource_type == tokens.KEY_RING else "key"
    if not args.opts.protect:
        report(
            f"the {kind} is not protected: deleting it makes every image it encrypts unreadable. "
            "Set the resource option protect=True."
        )
    if args.resource_type == tokens.CRYPTO_KEY and leaf(args.props, "destroyScheduledDuration") is None:
        report("destroyScheduledDuration is not set; set it explicitly (for example '2592000s', 30 days).")


def _no_public_key_access(args: ResourceValidationArgs, report: Report) -> None:
    for role, member in members(args.props):
        if member in PUBLIC_PRINCIPALS:
            report(f"member {member!r} (role {role}) makes the key usable by anyone; remove it.")


def _service_agents_only(args: ResourceValidationArgs, report: Report) -> None:
    for role, member in members(args.props):
        if role is UNKNOWN or member is UNKNOWN:
            continue  # a computed identity; the update run judges it with known values
        if args.resource_type in tokens.PROJECT_IAM:
            if str(role).startswith("roles/cloudkms."):
                report(f"role {role} is granted at project level; grant key roles on the key only.")
            continue
        if not SERVICE_AGENT.match(str(member)):
            report(
                f"member {member} holds {role} on a site key or key ring; only Google service agents (storage, "
                "logging, Pub/Sub) may hold roles there. Manage keys from the deployment identity, outside the "
                "stack, and remove the grant."
            )
        elif args.resource_type in tokens.KEY_RING_IAM and role in KEY_USE_ROLES:
            report(f"role {role} is granted on the key ring; grant it on the one key that is needed instead.")
        elif (
            args.resource_type in tokens.CRYPTO_KEY_IAM
            and SERVICE_AGENT.match(str(member))
            and role not in KEY_USE_ROLES
        ):
            report(f"service agent {member} holds {role}; service agents get key use only.")


POLICIES = [
    resource_policy(
        name="gcp-kms-crypto-key-aes256",
        control="ENC-03",
        description="KMS keys are symmetric AES-256 keys at an allowed protection level.",
        severity=Severity.HIGH,
        remediation=(
            "Set purpose 'ENCRYPT_DECRYPT', versionTemplate.algorithm 'GOOGLE_SYMMETRIC_ENCRYPTION' and "
            "versionTemplate.protectionLevel 'SOFTWARE' or 'HSM'."
        ),
        types=[tokens.CRYPTO_KEY],
        check=_aes256,
        config={
            "allowedProtectionLevels": {
                "type": "array",
                "items": {"type": "string", "enum": ["SOFTWARE", "HSM", "EXTERNAL", "EXTERNAL_VPC"]},
                "default": ["SOFTWARE", "HSM"],
            }
        },
    ),
    resource_policy(
        name="gcp-kms-crypto-key-rotation",
        control="ENC-04",
        description="KMS keys rotate at least every 90 days.",
        severity=Severity.HIGH,
        remediation=(
            "Set rotationPeriod to at most maxRotationDays (default 90) days, written in seconds (days x 86400), "
            "for example '2592000s' (30 days)."
        ),
        types=[tokens.CRYPTO_KEY],
        check=_rotation,
        config={"maxRotationDays": {"type": "integer", "minimum": 1, "maximum": 90, "default": 90}},
    ),
    resource_policy(
        name="gcp-kms-keys-protected",
        control="ENC-05",
        description="KMS keys and key rings are protected from deletion with an explicit destroy delay.",
        severity=Severity.CRITICAL,
        remediation=(
            "Create keys and key rings with opts=ResourceOptions(protect=True) and set destroyScheduledDuration."
        ),
        types=[tokens.CRYPTO_KEY, tokens.KEY_RING],
        check=_protected,
    ),
    resource_policy(
        name="gcp-kms-iam-no-public-principals",
        control="ENC-06",
        description="No key or key-ring grant names allUsers or allAuthenticatedUsers.",
        severity=Severity.CRITICAL,
        remediation="Remove allUsers and allAuthenticatedUsers from KMS IAM members.",
        types=tokens.KMS_IAM,
        check=_no_public_key_access,
    ),
    resource_policy(
        name="gcp-kms-key-use-service-agents-only",
        control="ENC-07",
        description="Only Google service agents may use site keys, granted on the key itself.",
        severity=Severity.HIGH,
        remediation=(
            "Grant roles/cloudkms.cryptoKeyEncrypterDecrypter with a CryptoKeyIAMMember on the key, to the "
            "service agent that needs it (storage, logging, Pub/Sub), never on the key ring or the project."
        ),
        types=tokens.KMS_IAM | tokens.PROJECT_IAM,
        check=_service_agents_only,
    ),
]
