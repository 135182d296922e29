"""Cloud Storage: CMEK, no bypass, key grant before use, IP filter, private, uniform access, region, usage logs.

Controls ENC-01, ENC-02, ENC-08, NET-07, IAM-01, IAM-02, PERF-03 and LOG-02. The ranges NET-07 admits
come from :mod:`imaging_policies._site`, the site VPC's subnets from the stack
(:mod:`imaging_policies._network`).

Which buckets hold images is decided by what each bucket is in the stack, not by its shape: a bucket
that receives logs (another bucket's ``logging.logBucket``, a log sink's destination) and on which
nothing but the log writers write and groups read is a log bucket; every other bucket, including one
the pack cannot place, is judged as an image bucket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from imaging_policies import tokens
from imaging_policies._network import refers_to_network, stack_networks
from imaging_policies._props import (
    UNKNOWN,
    as_str,
    bucket_name,
    is_set,
    items,
    known,
    leaf,
    members,
    property_dependencies,
    references,
)
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies._site import WHOLE_INTERNET, access_log_bucket, inside, site_region, source_allowlist
from imaging_policies.kms import site_key_problem

ENCRYPTER_ROLES = {"roles/cloudkms.cryptoKeyEncrypterDecrypter", "roles/cloudkms.cryptoKeyEncrypter"}
STORAGE_AGENT_DOMAIN = "@gs-project-accounts.iam.gserviceaccount.com"


def _requires_cmek(args: ResourceValidationArgs, report: Report) -> None:
    if not is_set(args.props, "encryption", "defaultKmsKeyName"):
        report(
            "encryption.defaultKmsKeyName is not set, so objects are encrypted with a Google-managed key. "
            "Set it to the id of the site's images key."
        )
    # an unknown key is not judged in preview (judged at update): whose key encrypts the images decides ENC-01
    key = known(args.props, "encryption", "defaultKmsKeyName")
    problem = site_key_problem(key, "encryption.defaultKmsKeyName")
    if problem:
        report(problem)


def _enforces_cmek(args: ResourceValidationArgs, report: Report) -> None:
    for config in ("googleManagedEncryptionEnforcementConfig", "customerSuppliedEncryptionEnforcementConfig"):
        mode = known(args.props, "encryption", config, "restrictionMode")
        if mode != "FullyRestricted":
            report(
                f"encryption.{config}.restrictionMode is {mode!r}: objects could be written without the "
                "site key. Set it to 'FullyRestricted'."
            )


def _public_access_prevention(args: ResourceValidationArgs, report: Report) -> None:
    value = known(args.props, "publicAccessPrevention")
    if value != "enforced":
        report(f"publicAccessPrevention is {value!r}; set it to 'enforced' so no IAM grant can make objects public.")


def _uniform_access(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type in tokens.ACL_TYPES:
        report(f"{args.resource_type} manages ACLs; remove it and grant access with bucket IAM (uniform access).")
        return
    value = known(args.props, "uniformBucketLevelAccess")
    if value is not True:
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
LOG_WRITER_ROLES = frozenset({"roles/storage.objectCreator", "roles/storage.legacyBucketWriter"})
LOG_READER_ROLES = frozenset(
    {"roles/storage.objectViewer", "roles/storage.legacyObjectReader", "roles/storage.legacyBucketReader"}
)
SINK_WRITER_DOMAIN = "@gcp-sa-logging.iam.gserviceaccount.com"
GCS_SINK_PREFIX = "storage.googleapis.com/"


def _refers_to(resource: PolicyResource, value: object, key: str, bucket: PolicyResource) -> bool:
    """``resource`` names ``bucket`` in ``key``: the same literal name, or, while the value is unknown (a
    first preview), a value computed from the bucket."""
    if value is UNKNOWN:
        return bucket.urn in property_dependencies(resource, key)
    return value is not None and bucket_name(value) == as_str(leaf(bucket.props, "name"))


def _log_only_grant(role: object, member: object, sinks: list[PolicyResource]) -> bool:
    """A grant a log bucket may carry: a log writer writes (Cloud Storage's usage-log writer, a sink's
    writer identity), or a group reads (the security team reviewing the logs)."""
    if role in LOG_WRITER_ROLES and isinstance(member, str):
        writers = {as_str(leaf(s.props, "writerIdentity")) for s in sinks}
        return member == USAGE_LOG_WRITER or member in writers or member.endswith(SINK_WRITER_DOMAIN)
    return role in LOG_READER_ROLES and isinstance(member, str) and member.startswith("group:")


def _sink_bucket(sink: PolicyResource) -> object:
    """The bucket name a sink writes into (``storage.googleapis.com/<bucket>``), UNKNOWN, or ``None``."""
    destination = leaf(sink.props, "destination")
    if isinstance(destination, str):
        return destination.removeprefix(GCS_SINK_PREFIX) if destination.startswith(GCS_SINK_PREFIX) else None
    return destination


@dataclass(frozen=True)
class BucketRoles:
    """What each bucket is in the stack, by URN: log buckets receive usage logs or a sink's logs and hold
    nothing else; every other bucket may hold images."""

    usage_logs: frozenset[str]
    """Buckets other buckets write their usage logs into (``logging.logBucket``)."""
    sink_destinations: frozenset[str]
    """Buckets a log sink writes into (``destination: storage.googleapis.com/<bucket>``)."""

    def holds_images(self, bucket: PolicyResource) -> bool:
        return bucket.urn not in self.usage_logs | self.sink_destinations


@dataclass(frozen=True)
class ImageBuckets:
    """The names of the stack's buckets that may hold images (:func:`bucket_roles`): every one must be watched
    by the site's detectors, whatever it is called."""

    names: tuple[str, ...]
    unknown: PolicyResource | None
    """A bucket whose name is unknown (a first preview): whatever watches the others, it may go unwatched."""


def image_buckets(resources: Iterable[PolicyResource]) -> ImageBuckets:
    """The stack's image buckets by name (see :class:`ImageBuckets`)."""
    resources = list(resources)
    roles = bucket_roles(resources)
    names: set[str] = set()
    unknown = None
    for bucket in (r for r in resources if r.resource_type == tokens.BUCKET and roles.holds_images(r)):
        name = leaf(bucket.props, "name")
        if name is UNKNOWN:
            unknown = unknown or bucket
        elif isinstance(name, str) and name:
            names.add(name)
    return ImageBuckets(tuple(sorted(names)), unknown)


def bucket_roles(resources: Iterable[PolicyResource]) -> BucketRoles:
    """Classify the stack's buckets by the references to them (see the module docstring)."""
    resources = list(resources)
    buckets = [r for r in resources if r.resource_type == tokens.BUCKET]
    sinks = [r for r in resources if r.resource_type in tokens.LOG_SINKS]
    grants = [r for r in resources if r.resource_type in tokens.BUCKET_IAM]
    usage: set[str] = set()
    destinations: set[str] = set()
    declared = access_log_bucket()
    for bucket in buckets:
        if declared is not None and as_str(leaf(bucket.props, "name")) == declared:
            usage.add(bucket.urn)  # the site's own access-log bucket, whether or not a bucket still names it
        elif any(
            other is not bucket and _refers_to(other, leaf(other.props, "logging", "logBucket"), "logging", bucket)
            for other in buckets
        ):
            usage.add(bucket.urn)
        for sink in sinks:
            if _refers_to(sink, _sink_bucket(sink), "destination", bucket):
                destinations.add(bucket.urn)
    for grant in grants:
        target = leaf(grant.props, "bucket")
        for bucket in (b for b in buckets if b.urn in usage | destinations):
            if _refers_to(grant, target, "bucket", bucket) and not all(
                _log_only_grant(role, member, sinks) for role, member in members(grant.props)
            ):
                # someone else is granted on it (a workload, or a person who writes): it may hold images
                usage.discard(bucket.urn)
                destinations.discard(bucket.urn)
    return BucketRoles(frozenset(usage), frozenset(destinations))


def usage_log_targets(buckets: list[PolicyResource], resources: list[PolicyResource] | None = None) -> set[str]:
    """The names of the buckets that hold no images (log buckets, see :func:`bucket_roles`); NET-07 skips
    them. ``buckets`` is kept for callers; the classification reads ``resources`` (the whole stack)."""
    roles = bucket_roles(resources if resources is not None else buckets)
    return {name for b in buckets if not roles.holds_images(b) and (name := as_str(leaf(b.props, "name")))}


def _usage_logs(args: StackValidationArgs, report: Report) -> None:
    roles = bucket_roles(args.resources)
    buckets = [r for r in args.resources if r.resource_type == tokens.BUCKET]
    for bucket in (b for b in buckets if roles.holds_images(b)):
        own_name = as_str(leaf(bucket.props, "name"))
        if leaf(bucket.props, "logging", "logBucket") is UNKNOWN and any(
            other is not bucket and other.urn in property_dependencies(bucket, "logging") for other in buckets
        ):
            continue  # computed from another bucket of the stack (a first preview): a separate access-log bucket
        target = known(bucket.props, "logging", "logBucket", resource=bucket.name)  # else not judged in preview
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
        elif (declared := access_log_bucket()) is not None and not any(
            bucket_name(target) == as_str(leaf(other.props, "name")) for other in buckets
        ):
            report(
                f"bucket {bucket.name!r} writes its usage logs into {target} (logging.logBucket), which is not a "
                "bucket of this stack: the pack cannot see its encryption, retention or who reads the logs of "
                f"image access. Use the site's access-log bucket ({declared}).",
                bucket.urn,
            )


def _in_site_region(args: ResourceValidationArgs, report: Report) -> None:
    declared = site_region(args.get_config())
    if declared is None:
        args.not_applicable("no site region is declared (imaging-landing-zone:region or allowedLocations)")
        return
    allowed, where = declared
    location = known(args.props, "location")
    if not isinstance(location, str) or location.lower() not in allowed:
        report(
            f"location is {location!r}, not the site's region ({', '.join(sorted(allowed))}, from {where}): "
            "images would travel further and may leave the jurisdiction. Set location to the site's region."
        )


# --- NET-07 -------------------------------------------------------------------------------------------


def _subnet_ranges(args: StackValidationArgs, network: PolicyResource) -> list[Any]:
    """The primary and secondary ranges of the stack's subnets on ``network`` (``UNKNOWN`` where unknown)."""
    found: list[Any] = []
    for subnet in args.resources:
        if subnet.resource_type == tokens.SUBNETWORK and refers_to_network(
            subnet, leaf(subnet.props, "network"), "network", network
        ):
            found.append(leaf(subnet.props, "ipCidrRange"))
            found.extend(leaf(r, "ipCidrRange") for r in items(subnet.props, "secondaryIpRanges"))
    return found


def _vpc_source_problems(
    args: StackValidationArgs, bucket: PolicyResource, source: Any, where: list[str], pending: list[list[str]]
) -> list[str]:
    """Why one ``vpcNetworkSources`` entry admits more than the site VPC's subnets; what cannot be known yet (a
    first preview) is added to ``pending`` by its path ``where``."""
    if source is UNKNOWN:
        pending.append(where)
        return []
    value = leaf(source, "network")
    networks = [n for n in stack_networks(args) if references(bucket, "ipFilter", value, n)]
    if value is UNKNOWN and not networks:
        pending.append([*where, "network"])  # computed from something that is no network of the stack
        return []
    if not networks:
        return [f"admits network {value}, which is not a network of this stack (the pack cannot judge it)"]
    ranges = [r for n in networks for r in _subnet_ranges(args, n)]
    if UNKNOWN in ranges:
        pending.append([*where, "allowedIpCidrRanges"])
        return []
    found = []
    for index, cidr in enumerate(items(source, "allowedIpCidrRanges")):
        if cidr is UNKNOWN:
            pending.append([*where, "allowedIpCidrRanges", str(index)])
        elif not inside(str(cidr), [str(r) for r in ranges if r is not None]):
            found.append(
                f"admits {cidr}, outside the subnets of {networks[0].name!r} "
                f"({', '.join(str(r) for r in ranges) or 'none'})"
            )
    return found


def _bucket_ip_filter(args: StackValidationArgs, report: Report) -> None:
    buckets = [r for r in args.resources if r.resource_type == tokens.BUCKET]
    log_targets = usage_log_targets(buckets, args.resources)
    pending: list[list[str]] = []
    """Paths of values unknown in a first preview that could admit any network: not judged there, never met."""
    for bucket in buckets:
        if as_str(leaf(bucket.props, "name")) not in log_targets:  # an access-log bucket is read by no workload
            _judge_ip_filter(args, bucket, pending, report)
    if pending:
        raise UnknownValueError(UNKNOWN_STRING_VALUE, pending[0])


def _judge_ip_filter(
    args: StackValidationArgs, bucket: PolicyResource, pending: list[list[str]], report: Report
) -> None:
    """One bucket's IP filter; what is unknown yet goes to ``pending``."""
    at = [f"[{bucket.name}]", "ipFilter"]
    ip_filter = leaf(bucket.props, "ipFilter")
    mode = UNKNOWN if ip_filter is UNKNOWN else leaf(ip_filter, "mode")
    if mode is UNKNOWN:
        pending.append(at if ip_filter is UNKNOWN else [*at, "mode"])
        if ip_filter is UNKNOWN:
            return
    elif mode != "Enabled":
        state = "ipFilter is not set" if ip_filter is None else f"ipFilter.mode is {mode!r}"
        report(
            f"bucket {bucket.name!r}: {state}, so any network can reach it. Enable the IP "
            "filter with the PACS egress ranges, the hospital networks and the site VPC as sources.",
            bucket.urn,
        )
        return
    cross_org = leaf(ip_filter, "allowCrossOrgVpcs")
    if cross_org is UNKNOWN:
        pending.append([*at, "allowCrossOrgVpcs"])
    elif cross_org is True:
        report(f"bucket {bucket.name!r} has ipFilter.allowCrossOrgVpcs true; set it to false.", bucket.urn)
    for index, source in enumerate(items(ip_filter, "vpcNetworkSources")):
        for problem in _vpc_source_problems(args, bucket, source, [*at, "vpcNetworkSources", str(index)], pending):
            report(
                f"bucket {bucket.name!r}: ipFilter.vpcNetworkSources[{index}] {problem}. Admit only the site "
                "VPC (a Network of this stack) and its subnets' ranges.",
                bucket.urn,
            )
    declared, where = source_allowlist(args.get_config())
    public = [*at, "publicNetworkSource", "allowedIpCidrRanges"]
    for index, cidr in enumerate(items(ip_filter, "publicNetworkSource", "allowedIpCidrRanges")):
        if cidr is UNKNOWN:
            pending.append([*public, str(index)])
        elif cidr in WHOLE_INTERNET or not inside(str(cidr), declared):
            report(
                f"bucket {bucket.name!r} admits {cidr} in ipFilter.publicNetworkSource.allowedIpCidrRanges, "
                f"which is not a declared PACS or hospital range ({where}). Remove it or declare it.",
                bucket.urn,
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
        types=[tokens.BUCKET, *sorted(tokens.CRYPTO_KEY_IAM)],
    ),
    stack_policy(
        name="gcp-storage-bucket-ip-filter",
        types=[tokens.BUCKET, tokens.NETWORK, tokens.SUBNETWORK],
        control="NET-07",
        description=(
            "Image buckets accept requests only from the declared PACS and hospital ranges and the site VPC's subnets."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Set ipFilter.mode 'Enabled', allowAllServiceAgentAccess true, allowCrossOrgVpcs false, the PACS "
            "egress and hospital ranges as publicNetworkSource and the site VPC as vpcNetworkSources."
        ),
        check=_bucket_ip_filter,
        config={
            "allowedSources": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Allowed public ranges (default: the site config's PACS and hospital ranges).",
            }
        },
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
        types=[tokens.BUCKET],
    ),
]
