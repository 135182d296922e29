"""Cloud KMS: AES-256 keys, rotation, deletion protection, key-scoped grants to service agents only.

Keys are judged by equality with what the site declares: a key reference (a grant's ``cryptoKeyId``, a
bucket's or log bucket's key) must name a key of the site project in the site region; only the site
project's service agents (by project number) and its declared runtime identities may use a key; key
versions may not be disabled, destroyed or left deletable by the stack.
"""

from __future__ import annotations

import re

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from imaging_policies import tokens
from imaging_policies._principals import (
    KEY_USE_ROLES,
    Kind,
    foreign_numbers,
    is_custom_role,
    key_location,
    kind,
    numbered_members,
    site_project_number,
)
from imaging_policies._props import UNKNOWN, as_str, grants, judge_grant_at_update, known, leaf
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies._site import site_principals, site_project, site_setting

DAY = 86_400
LOST_VERSION_STATES = {"DISABLED", "DESTROYED", "DESTROY_SCHEDULED"}


def site_key_problem(value: object, field: str, *, key: bool = True) -> str | None:
    """Why a key (or, without ``key``, key-ring) reference in ``field`` is not one of the site's own keys:
    another project, another location, or a form the pack cannot read. ``None`` when it is the site's, or
    when it is not known yet (a first preview) or the site's project and region are not declared."""
    if not isinstance(value, str):
        return None
    project, region = site_project(), (site_setting("region") or "").lower()
    where = key_location(value, key=key)
    if where is None:
        return f"{field} {value!r} is not a KMS {'key' if key else 'key ring'} id; use the site key's full id."
    key_project, location = where
    if key_project is not None and project and key_project != project:
        return (
            f"{field} names a key of project {key_project!r}; use the site's own key in project {project!r} "
            "(whoever holds another project's key controls the data)."
        )
    if region and location.lower() != region:
        return f"{field} names a key in {location!r}; use the site's own key in the site region {region!r}."
    return None


def _aes256(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type == tokens.KEY_RING_IMPORT_JOB:
        report(
            "a KeyRingImportJob brings key material from outside Cloud KMS, so a copy of the key exists "
            "elsewhere. Remove it and let Cloud KMS generate the site's keys."
        )
        return
    if args.resource_type == tokens.KEY_HANDLE:
        report(
            "a KeyHandle asks Autokey for a key in the folder's key project, not the site's own key ring. "
            "Remove it and use the site's keys (SiteKeys)."
        )
        return
    purpose = leaf(args.props, "purpose")
    if purpose not in (None, UNKNOWN, "ENCRYPT_DECRYPT"):
        report(f"purpose is {purpose!r}; set it to 'ENCRYPT_DECRYPT' (AES-256-GCM) for data at rest.")
    algorithm = leaf(args.props, "versionTemplate", "algorithm")
    if algorithm not in (None, UNKNOWN, "GOOGLE_SYMMETRIC_ENCRYPTION"):
        report(f"versionTemplate.algorithm is {algorithm!r}; set it to 'GOOGLE_SYMMETRIC_ENCRYPTION' (AES-256).")
    if leaf(args.props, "importOnly") is True:
        report(
            "importOnly is true: the key material would be imported, so a copy exists outside Cloud KMS. "
            "Remove importOnly and let Cloud KMS generate the key."
        )
    if leaf(args.props, "skipInitialVersionCreation") is True:
        report(
            "skipInitialVersionCreation is true: Cloud KMS generates no version, so the key's first version is "
            "made outside the stack, by an import (a copy of the key material outside Cloud KMS) or by hand. "
            "Remove skipInitialVersionCreation and let Cloud KMS generate the key."
        )
    allowed = list(args.get_config().get("allowedProtectionLevels", ["SOFTWARE", "HSM"]))
    level = leaf(args.props, "versionTemplate", "protectionLevel") or "SOFTWARE"
    if level is not UNKNOWN and level not in allowed:
        report(f"versionTemplate.protectionLevel is {level!r}; set it to one of {', '.join(allowed)}.")
    # what is unknown in a first preview could be an asymmetric or imported key: not judged there, never met
    for path in (
        ("purpose",),
        ("versionTemplate", "algorithm"),
        ("versionTemplate", "protectionLevel"),
        ("importOnly",),
        ("skipInitialVersionCreation",),
    ):
        known(args.props, *path)


def _rotation(args: ResourceValidationArgs, report: Report) -> None:
    if leaf(args.props, "purpose") not in (None, UNKNOWN, "ENCRYPT_DECRYPT"):
        return  # only symmetric keys rotate automatically; ENC-03 rejects the others
    max_days = int(args.get_config().get("maxRotationDays", 90))
    period = known(args.props, "rotationPeriod")  # unknown: not judged in preview (judged at update), never met
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
    if args.resource_type == tokens.CRYPTO_KEY_VERSION:
        _version_kept(args, report)
        return
    kind_name = "key ring" if args.resource_type == tokens.KEY_RING else "key"
    if not args.opts.protect:
        report(
            f"the {kind_name} is not protected: deleting it makes every image it encrypts unreadable. "
            "Set the resource option protect=True."
        )
    if args.resource_type == tokens.CRYPTO_KEY and leaf(args.props, "destroyScheduledDuration") is None:
        report("destroyScheduledDuration is not set; set it explicitly (for example '2592000s', 30 days).")


def _version_kept(args: ResourceValidationArgs, report: Report) -> None:
    """A key version in the stack: never disabled or destroyed, and never destroyed by deleting the resource
    (the provider destroys the version on delete unless deletionPolicy is ABANDON or PREVENT)."""
    state = leaf(args.props, "state")
    if isinstance(state, str) and state.upper() in LOST_VERSION_STATES:
        report(
            f"state is {state!r}: data encrypted with this key version becomes unreadable. Remove the state "
            "(or set 'ENABLED'); disabling or destroying a version is a break-glass act outside the stack."
        )
    policy = known(args.props, "deletionPolicy") if not args.opts.protect else None
    if not args.opts.protect and policy not in ("ABANDON", "PREVENT"):
        report(
            f"the key version is not protected and deletionPolicy is {policy!r}: deleting the resource destroys "
            "the version. Set protect=True (or deletionPolicy 'ABANDON')."
        )


def _no_public_key_access(args: ResourceValidationArgs, report: Report) -> None:
    for role, member, _ in grants(args.props):
        if isinstance(member, str) and kind(member) in (Kind.PUBLIC, Kind.DOMAIN, Kind.PRINCIPAL_SET):
            report(f"member {member!r} (role {role}) makes the key usable by anyone; remove it.")
    judge_grant_at_update(args.props)  # an unknown member: not judged in preview, never met


def _ring_of_site(args: ResourceValidationArgs, report: Report) -> None:
    """A key ring the stack declares is the site's: in the site project (or the provider's) and region."""
    # unknown in a first preview: not judged in preview (judged at update), never met
    project, location = known(args.props, "project"), known(args.props, "location")
    site, region = site_project(), (site_setting("region") or "").lower()
    if isinstance(project, str) and site and project != site:
        report(f"project is {project!r}; create the site's key ring in the site project {site!r}.")
    if isinstance(location, str) and region and location.lower() != region:
        report(f"location is {location!r}; create the site's key ring in the site region {region!r}.")


def _service_agents_only(args: ResourceValidationArgs, report: Report) -> None:
    token = args.resource_type
    if token == tokens.KEY_RING:
        _ring_of_site(args, report)
        return
    if token in tokens.CRYPTO_KEY_IAM or token in tokens.KEY_RING_IAM:
        on_key = token in tokens.CRYPTO_KEY_IAM
        field = "cryptoKeyId" if on_key else "keyRingId"
        problem = site_key_problem(leaf(args.props, field), field, key=on_key)
        if problem:
            report(problem)
    identities = site_principals().identities
    for role, member, _ in grants(args.props):
        if not isinstance(role, str) or not isinstance(member, str):
            continue  # unknown in a first preview: not judged in preview (raised below, after the known ones)
        if token in tokens.HIERARCHY_IAM:
            if role.startswith("roles/cloudkms."):
                report(f"role {role} is granted at project level; grant key roles on the key only.")
            continue
        if is_custom_role(role):
            report(
                f"custom role {role} is granted on a site key or key ring to {member}; grant "
                "roles/cloudkms.cryptoKeyEncrypterDecrypter (key use) only."
            )
        elif kind(member) is not Kind.SERVICE_AGENT and member.lower() not in identities:
            report(
                f"member {member} holds {role} on a site key or key ring; only Google service agents of the site "
                "project (storage, logging, Pub/Sub) and the site's runtime identities may hold roles there. "
                "Manage keys from the deployment identity, outside the stack, and remove the grant."
            )
        elif role not in KEY_USE_ROLES:
            report(f"{member} holds {role}; service agents and site identities get key use only.")
        elif token in tokens.KEY_RING_IAM:
            report(f"role {role} is granted on the key ring; grant it on the one key that is needed instead.")
    _judged_at_update(args)


def _judged_at_update(args: ResourceValidationArgs) -> None:
    """Which key a grant is on and who holds it: an unknown one is not judged in preview, never met."""
    token = args.resource_type
    if token in tokens.CRYPTO_KEY_IAM or token in tokens.KEY_RING_IAM:
        known(args.props, "cryptoKeyId" if token in tokens.CRYPTO_KEY_IAM else "keyRingId")
    if token not in tokens.HIERARCHY_IAM or any(
        not isinstance(role, str) or role.startswith("roles/cloudkms.") for role, _, _ in grants(args.props)
    ):
        judge_grant_at_update(args.props)


def _key_holders_of_site(args: StackValidationArgs, report: Report) -> None:
    number, source = site_project_number(args.resources, args.get_config())
    for r, message in foreign_numbers(numbered_members(args.resources, tokens.KMS_IAM), number, source):
        report(
            f"{message}: another project's service agent could encrypt its own data with, or decrypt, the site "
            "key. Grant the key to the site project's agent only.",
            r.urn,
        )


POLICIES = [
    resource_policy(
        name="gcp-kms-crypto-key-aes256",
        control="ENC-03",
        description=(
            "KMS keys are symmetric AES-256 keys generated by Cloud KMS (no import, no Autokey handle) at an "
            "allowed protection level."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Set purpose 'ENCRYPT_DECRYPT', versionTemplate.algorithm 'GOOGLE_SYMMETRIC_ENCRYPTION' and "
            "versionTemplate.protectionLevel 'SOFTWARE' or 'HSM'."
        ),
        types=[tokens.CRYPTO_KEY, tokens.KEY_RING_IMPORT_JOB, tokens.KEY_HANDLE],
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
        description=(
            "KMS keys and key rings are protected from deletion with an explicit destroy delay; key versions in "
            "the stack are never disabled, destroyed or deletable."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            "Create keys and key rings with opts=ResourceOptions(protect=True) and set destroyScheduledDuration."
        ),
        types=[tokens.CRYPTO_KEY, tokens.KEY_RING, tokens.CRYPTO_KEY_VERSION],
        check=_protected,
    ),
    resource_policy(
        name="gcp-kms-iam-no-public-principals",
        control="ENC-06",
        description="No key or key-ring grant names allUsers, allAuthenticatedUsers, a domain or a principal set.",
        severity=Severity.CRITICAL,
        remediation="Remove allUsers, allAuthenticatedUsers, domain: and principalSet:// members from KMS IAM.",
        types=tokens.KMS_IAM,
        check=_no_public_key_access,
    ),
    resource_policy(
        name="gcp-kms-key-use-service-agents-only",
        control="ENC-07",
        description=(
            "Only Google service agents and the site's runtime identities may use site keys (of the site project "
            "and region), granted key use on the key itself."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Grant roles/cloudkms.cryptoKeyEncrypterDecrypter with a CryptoKeyIAMMember on the key, to the "
            "service agent that needs it (storage, logging, Pub/Sub), never on the key ring or the project."
        ),
        types=tokens.KMS_IAM | tokens.HIERARCHY_IAM | {tokens.KEY_RING},
        check=_service_agents_only,
    ),
    stack_policy(
        name="gcp-kms-key-holders-site-project",
        control="ENC-07",
        description="Service agents holding site keys are the site project's own (by project number).",
        severity=Severity.HIGH,
        remediation=(
            "Grant site keys to the site project's service agents only (service-<site project number>@...); set "
            "the policy's projectNumber config where the stack does not report it."
        ),
        check=_key_holders_of_site,
        types=tokens.KMS_IAM,
        config={"projectNumber": {"type": "string", "pattern": "^[0-9]+$"}},
    ),
]
