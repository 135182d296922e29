"""Cloud Storage: CMEK, no bypass, key grant before use, private, uniform access, usage logs."""

from __future__ import annotations

from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from imaging_policies import tokens
from imaging_policies._props import UNKNOWN, as_str, bucket_name, is_set, leaf, members, property_dependencies
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies._site import site_region

ENCRYPTER_ROLES = {"roles/cloudkms.cryptoKeyEncrypterDecrypter", "roles/cloudkms.cryptoKeyEncrypter"}
STORAGE_AGENT_DOMAIN = "@gs-project-accounts.iam.gserviceaccount.com"


def _requires_cmek(args: ResourceValidationArgs, report: Report) -> None:
    if not is_set(args.props, "encryption", "defaultKmsKeyName"):
        report(
            "encryption.defaultKmsKeyName is not set, so objects are encrypted with a Google-managed key. "
            "Set it to the id of the site's images key."
        )


def _enforces_cmek(args: ResourceValidationArgs, report: Report) -> None:
    for config in ("googleManagedEncryptionEnforcementConfig", "customerSuppliedEncryptionEnforcementConfig"):
        mode = leaf(args.props, "encryption", config, "restrictionMode")
        if mode is not UNKNOWN and mode != "FullyRestricted":
            report(
                f"encryption.{config}.restrictionMode is {mode!r}: objects could be written without the "
                "site key. Set it to 'FullyRestricted'."
            )


def _public_access_prevention(args: ResourceValidationArgs, report: Report) -> None:
    value = leaf(args.props, "publicAccessPrevention")
    if value is not UNKNOWN and value != "enforced":
        report(f"publicAccessPrevention is {value!r}; set it to 'enforced' so no IAM grant can make objects public.")


def _uniform_access(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type in tokens.ACL_TYPES:
        report(f"{args.resource_type} manages ACLs; remove it and grant access with bucket IAM (uniform access).")
        return
    value = leaf(args.props, "uniformBucketLevelAccess")
    if value is not UNKNOWN and value is not True:
        report("uniformBucketLevelAccess is not true; set it to true so only IAM (no object ACLs) grants access.")


def _grant_targets_key(grant: PolicyResource, key_name: object, key_deps: set[str]) -> bool:
    """The grant is on the bucket's key: the same literal id, or both computed from the same key."""
    grant_key = leaf(grant.props, "cryptoKeyId")
    if isinstance(key_name, str) and isinstance(grant_key, str):
        return grant_key == key_name
    return bool(key_deps & property_dependencies(grant, "cryptoKeyId"))


def _grant_precedes_use(args: StackValidationArgs, report: Report) -> None:
    grants = [
        r
        for r in args.resources
        if r.resource_type in tokens.CRYPTO_KEY_IAM
        and any(
            role in ENCRYPTER_ROLES and str(member).endswith(STORAGE_AGENT_DOMAIN) for role, member in members(r.props)
        )
    ]
    for bucket in (r for r in args.resources if r.resource_type == tokens.BUCKET):
        key_name = leaf(bucket.props, "encryption", "defaultKmsKeyName")
        if key_name is None:
            continue  # ENC-01 reports the missing key
        key_deps = property_dependencies(bucket, "encryption")
        depends_on = {d.urn for d in bucket.dependencies}
        matching = [g for g in grants if _grant_targets_key(g, key_name, key_deps)]
        if not matching:
            report(
                f"bucket {bucket.name!r} uses a KMS key (encryption.defaultKmsKeyName) but no "
                "CryptoKeyIAMMember grants roles/cloudkms.cryptoKeyEncrypterDecrypter on that key to the "
                "storage service agent. Grant it to gcp.storage.get_project_service_account().member.",
                bucket.urn,
            )
        elif not any(g.urn in depends_on for g in matching):
            report(
                f"bucket {bucket.name!r} does not depend on the storage service agent's key grant, so it "
                "may be created before the agent can use the key. Add the grant to the bucket's depends_on.",
                bucket.urn,
            )


USAGE_LOG_WRITER = "group:cloud-storage-analytics@google.com"


def usage_log_targets(buckets: list[PolicyResource], resources: list[PolicyResource] | None = None) -> set[str]:
    """The names of access-log buckets: other buckets write their usage logs into them, and (when the
    stack's IAM is given) nobody but Cloud Storage's log writer is granted anything on them."""
    targets = {
        target
        for b in buckets
        if (target := as_str(leaf(b.props, "logging", "logBucket"))) and target != as_str(leaf(b.props, "name"))
    }
    for grant in (r for r in resources or [] if r.resource_type in tokens.BUCKET_IAM):
        bucket = bucket_name(leaf(grant.props, "bucket"))
        if bucket in targets and any(member != USAGE_LOG_WRITER for _, member in members(grant.props)):
            targets.discard(bucket)  # a workload reads or writes it: it is a data bucket, not a log bucket
    return targets


def _usage_logs(args: StackValidationArgs, report: Report) -> None:
    buckets = [r for r in args.resources if r.resource_type == tokens.BUCKET]
    log_targets = usage_log_targets(buckets, args.resources)
    for bucket in buckets:
        own_name = as_str(leaf(bucket.props, "name"))
        if own_name is not None and own_name in log_targets:
            continue  # an access-log bucket: it receives usage logs, it does not write its own
        target = leaf(bucket.props, "logging", "logBucket")
        if target is UNKNOWN:
            continue
        if not target:
            report(
                f"bucket {bucket.name!r} has no logging.logBucket, so object access is not logged. Set it "
                "to a separate, CMEK-encrypted access-log bucket.",
                bucket.urn,
            )
        elif own_name is not None and target == own_name:
            report(
                f"bucket {bucket.name!r} writes its usage logs into itself (logging.logBucket); use a "
                "separate access-log bucket.",
                bucket.urn,
            )


def _in_site_region(args: ResourceValidationArgs, report: Report) -> None:
    declared = site_region(args.get_config())
    if declared is None:
        args.not_applicable("no site region is declared (imaging-landing-zone:region or allowedLocations)")
        return
    allowed, where = declared
    location = leaf(args.props, "location")
    if location is UNKNOWN:
        return
    if not isinstance(location, str) or location.lower() not in allowed:
        report(
            f"location is {location!r}, not the site's region ({', '.join(sorted(allowed))}, from {where}): "
            "images would travel further and may leave the jurisdiction. Set location to the site's region."
        )


POLICIES = [
    resource_policy(
        name="gcp-storage-bucket-requires-cmek",
        control="ENC-01",
        description="Buckets encrypt objects with the site's customer-managed key (AES-256).",
        severity=Severity.CRITICAL,
        remediation="Set encryption.defaultKmsKeyName to the site's images key (SiteKeys.key_ids['images']).",
        types=[tokens.BUCKET],
        check=_requires_cmek,
    ),
    resource_policy(
        name="gcp-storage-bucket-enforces-cmek-per-object",
        control="ENC-02",
        description="Buckets refuse objects encrypted with Google-managed or customer-supplied keys.",
        severity=Severity.HIGH,
        remediation=(
            "Set encryption.googleManagedEncryptionEnforcementConfig.restrictionMode and "
            "encryption.customerSuppliedEncryptionEnforcementConfig.restrictionMode to 'FullyRestricted'."
        ),
        types=[tokens.BUCKET],
        check=_enforces_cmek,
    ),
    stack_policy(
        name="gcp-storage-bucket-grants-key-before-use",
        control="ENC-08",
        description="The storage service agent holds the bucket's key before the bucket uses it.",
        severity=Severity.HIGH,
        remediation=(
            "Create a gcp.kms.CryptoKeyIAMMember with role roles/cloudkms.cryptoKeyEncrypterDecrypter on the "
            "bucket's key for gcp.storage.get_project_service_account().member, and list it in the "
            "bucket's depends_on."
        ),
        check=_grant_precedes_use,
    ),
    resource_policy(
        name="gcp-storage-bucket-public-access-prevention",
        control="IAM-01",
        description="Buckets enforce public access prevention.",
        severity=Severity.CRITICAL,
        remediation="Set publicAccessPrevention to 'enforced'.",
        types=[tokens.BUCKET],
        check=_public_access_prevention,
    ),
    resource_policy(
        name="gcp-storage-bucket-uniform-access",
        control="IAM-02",
        description="Buckets use uniform bucket-level access; no ACL resources exist.",
        severity=Severity.HIGH,
        remediation="Set uniformBucketLevelAccess to true and replace ACL resources with bucket IAM members.",
        types=[tokens.BUCKET, *tokens.ACL_TYPES],
        check=_uniform_access,
    ),
    resource_policy(
        name="gcp-storage-bucket-in-site-region",
        control="PERF-03",
        description="Buckets live in the site's own region.",
        severity=Severity.MEDIUM,
        remediation="Set location to the site's region (imaging-landing-zone:region); ImageBucket does.",
        types=[tokens.BUCKET],
        check=_in_site_region,
        config={
            "allowedLocations": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Allowed bucket locations (default: the stack's imaging-landing-zone:region).",
            }
        },
    ),
    stack_policy(
        name="gcp-storage-bucket-usage-logs",
        control="LOG-02",
        description="Buckets write usage logs to a separate access-log bucket.",
        severity=Severity.MEDIUM,
        remediation=(
            "Set logging.logBucket to a separate CMEK-encrypted bucket (ImageBucket creates one) and grant "
            "group:cloud-storage-analytics@google.com roles/storage.objectCreator on it."
        ),
        check=_usage_logs,
    ),
]
