"""The image bucket: CMEK-only, private, network-restricted, versioned, with usage logs.

The controls it meets are the catalogue's (its "met by", rendered in ``docs/controls.md``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import pulumi
import pulumi_gcp as gcp
from pydantic import Field, field_validator, model_validator

from . import naming, principals
from ._base import SECONDS_PER_DAY, Component, ComponentArgs, StrInput, child
from .contract import Cidr, KeyId, ObjectRetentionDays, PublicCidr, Region, SiteCode, SoftDeleteDays, key_in

TYPE_TOKEN = "imaging:storage:ImageBucket"

ENCRYPTER_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
FULLY_RESTRICTED = {"restriction_mode": "FullyRestricted"}
PUBLIC_ACCESS_PREVENTION = "enforced"
IP_FILTER_MODE = "Enabled"
# Cloud Storage writes usage logs as this Google group; it needs object create on the log bucket.
USAGE_LOG_WRITER = "group:cloud-storage-analytics@google.com"
LOG_READER_ROLE = "roles/storage.objectViewer"
"""What the security team holds on the access-log bucket: read objects (``storage.objects.get``/``list``), the
narrowest predefined role that reads them; no write, no delete, no bucket IAM."""


class BucketRole(StrEnum):
    """The only roles the image bucket grants: read objects or create objects (IAM-04)."""

    OBJECT_VIEWER = "roles/storage.objectViewer"
    OBJECT_CREATOR = "roles/storage.objectCreator"


class BucketMember(ComponentArgs):
    """One principal and the one role it holds on the image bucket."""

    role: BucketRole
    """`roles/storage.objectViewer` or `roles/storage.objectCreator`."""
    member: StrInput
    """An IAM member: `serviceAccount:...` or `group:...` (never `user:` or a public principal)."""

    @field_validator("member")
    @classmethod
    def _member(cls, member: StrInput) -> StrInput:
        return principals.parse_member(member) if isinstance(member, str) else member


class BucketNetworkAccess(ComponentArgs):
    """Where requests to the image bucket may come from (bucket IP filter, NET-07)."""

    public_cidrs: Annotated[list[PublicCidr], Field(min_length=1)]
    """Public ranges: the PACS's egress and the hospital networks the viewer is used from."""
    vpc_network: StrInput
    """The site VPC (``projects/<project>/global/networks/<name>``)."""
    vpc_cidrs: Annotated[list[Cidr], Field(min_length=1)]
    """The VPC's subnet ranges that may reach the bucket."""


class ImageBucketArgs(ComponentArgs):
    """Inputs of :class:`ImageBucket`."""

    project: str
    """The GCP project of the buckets."""
    region: Region
    """The bucket location: the site's region (PERF-03)."""
    site_code: SiteCode
    """The site code, used in the buckets' names."""
    kms_key_id: KeyId
    """The id of the site key that encrypts images and their access logs (a key of `project` in `region`)."""
    soft_delete_days: SoftDeleteDays = 30
    """Days a deleted object stays restorable."""
    retention_days: ObjectRetentionDays | None = None
    """Minimum age before an object can be deleted or replaced; unset for none."""
    network_access: BucketNetworkAccess
    """The networks allowed to reach the image bucket; every other source is refused."""
    members: dict[str, BucketMember] = {}
    """Object-level access, keyed by a stable name (the key becomes the grant's logical name)."""
    access_log_readers: dict[str, str] = {}
    """Groups that read the access-log bucket's objects and nothing else (the site's ``auditor`` role, the
    security team), keyed by a stable name: ``group:<email>`` members, granted ``roles/storage.objectViewer``
    on the access-log bucket only, never on the image bucket."""

    @field_validator("access_log_readers")
    @classmethod
    def _log_readers(cls, readers: dict[str, str]) -> dict[str, str]:
        for member in readers.values():
            principals.parse_member(member)
            if not member.startswith("group:"):
                raise ValueError(f"{member!r} is not a group: the access logs are read by the security team's group")
        return readers

    labels: dict[str, str] = {}
    """Labels on both buckets."""

    @model_validator(mode="after")
    def _key_of_the_site(self) -> ImageBucketArgs:
        key_in(self.kms_key_id, project=self.project, region=self.region)
        return self


def _agent_key_grant(owner: Component, name: str, project: StrInput, key: StrInput) -> gcp.kms.CryptoKeyIAMMember:
    """``<name>-agent-key``: the project's Cloud Storage service agent may use ``key``, granted before a bucket
    names it (ENC-08)."""
    agent = gcp.storage.get_project_service_account_output(
        project=project, opts=pulumi.InvokeOutputOptions(parent=owner)
    )
    return gcp.kms.CryptoKeyIAMMember(
        f"{name}-agent-key", crypto_key_id=key, role=ENCRYPTER_ROLE, member=agent.member, opts=child(owner)
    )


def _usage_log_writer(owner: Component, name: str, log_bucket: gcp.storage.Bucket) -> gcp.storage.BucketIAMMember:
    """``<name>-access-logs-writer``: Cloud Storage's usage-log writer may create objects in the access-log bucket."""
    return gcp.storage.BucketIAMMember(
        f"{name}-access-logs-writer",
        bucket=log_bucket.name,
        role=BucketRole.OBJECT_CREATOR.value,
        member=USAGE_LOG_WRITER,
        opts=child(owner),
    )


class ImageBucket(Component):
    """The site's image bucket, its access-log bucket, the key grant they need and their IAM.

    The storage service agent is looked up with ``get_project_service_account`` and granted the
    key before either bucket names it (ENC-08). Both buckets are protected: deleting a site's
    images takes an explicit ``pulumi state unprotect``.
    """

    bucket_name: pulumi.Output[str]
    """The image bucket's name; resolves once its IAM grants exist."""
    access_log_bucket_name: pulumi.Output[str]
    """The access-log bucket's name."""

    def __init__(self, name: str, args: ImageBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, opts)
        key_grant = _agent_key_grant(self, name, args.project, args.kms_key_id)
        log_bucket = gcp.storage.Bucket(
            f"{name}-access-logs",
            name=naming.bucket_name(args.project, args.site_code, "access-logs"),
            **self._secure_bucket_args(args, "patient-metadata", retained=False),
            opts=child(self, protect=True, depends_on=[key_grant]),
        )
        log_writer = _usage_log_writer(self, name, log_bucket)
        for key, member in args.access_log_readers.items():
            gcp.storage.BucketIAMMember(
                f"{name}-access-logs-{key}",
                bucket=log_bucket.name,
                role=LOG_READER_ROLE,
                member=member,
                opts=child(self),
            )
        bucket = gcp.storage.Bucket(
            name,
            name=naming.bucket_name(args.project, args.site_code, "images"),
            **self._secure_bucket_args(args, "patient-data", retained=args.retention_days is not None),
            logging={"log_bucket": log_bucket.name, "log_object_prefix": "images/"},
            ip_filter=self._ip_filter(args.network_access),
            retention_policy=(
                {"retention_period": str(args.retention_days * SECONDS_PER_DAY), "is_locked": False}
                if args.retention_days
                else None
            ),
            opts=child(self, protect=True, depends_on=[key_grant, log_writer]),
        )
        grants = [
            gcp.storage.BucketIAMMember(
                f"{name}-{key}",
                bucket=bucket.name,
                role=grant.role.value,
                member=grant.member,
                opts=child(self),
            )
            for key, grant in args.members.items()
        ]
        self.bucket = bucket
        self.bucket_name = pulumi.Output.all(bucket.name, *[g.id for g in grants]).apply(lambda v: str(v[0]))
        self.access_log_bucket_name = log_bucket.name
        self.register_outputs({"bucketName": self.bucket_name, "accessLogBucketName": self.access_log_bucket_name})

    @staticmethod
    def _ip_filter(access: BucketNetworkAccess) -> gcp.storage.BucketIpFilterArgsDict:
        """Only the declared networks reach the bucket; Google's service agents are never locked out."""
        return {
            "mode": IP_FILTER_MODE,
            "allow_all_service_agent_access": True,
            "allow_cross_org_vpcs": False,
            "public_network_source": {"allowed_ip_cidr_ranges": access.public_cidrs},
            "vpc_network_sources": [{"network": access.vpc_network, "allowed_ip_cidr_ranges": access.vpc_cidrs}],
        }

    @staticmethod
    def _secure_bucket_args(args: ImageBucketArgs, classification: str, *, retained: bool) -> dict[str, Any]:
        """The settings both buckets share; none of them is a parameter. ``retained``: the bucket has a
        retention policy."""
        return secure_bucket_args(
            project=args.project,
            region=args.region,
            kms_key_id=args.kms_key_id,
            soft_delete_days=args.soft_delete_days,
            labels={**args.labels, "data-classification": classification},
            retained=retained,
        )


def secure_bucket_args(
    *, project: str, region: str, kms_key_id: StrInput, soft_delete_days: int, labels: dict[str, str], retained: bool
) -> dict[str, Any]:
    """What every bucket of the library sets, none of it a parameter: the site's region, uniform access, public
    access prevented, no force destroy, versioning (unless a retention policy is set: the two are exclusive in
    Cloud Storage), soft delete, objects only with ``kms_key_id`` (Google-managed and customer-supplied keys
    refused)."""
    return {
        "project": project,
        "location": region.upper(),
        "storage_class": "STANDARD",
        "uniform_bucket_level_access": True,
        "public_access_prevention": PUBLIC_ACCESS_PREVENTION,
        "force_destroy": False,
        # Object Versioning and a retention policy are mutually exclusive in Cloud Storage; soft delete
        # keeps deleted objects restorable either way.
        "versioning": {"enabled": not retained},
        "soft_delete_policy": {"retention_duration_seconds": soft_delete_days * SECONDS_PER_DAY},
        "encryption": {
            "default_kms_key_name": kms_key_id,
            "google_managed_encryption_enforcement_config": FULLY_RESTRICTED,
            "customer_supplied_encryption_enforcement_config": FULLY_RESTRICTED,
        },
        "labels": labels,
    }


STATE_TYPE_TOKEN = "imaging:storage:StateBucket"


class StateBucketArgs(ComponentArgs):
    """Inputs of :class:`StateBucket`."""

    project: str
    """The GCP project of the buckets (the platform project)."""
    region: Region
    """The buckets' location."""
    prefix: SiteCode
    """The word after the project in the buckets' names: ``<project>-<prefix>-state`` and ``...-state-logs``."""
    kms_key_id: KeyId
    """The key that encrypts the state and its access logs (a key of `project` in `region`)."""
    soft_delete_days: SoftDeleteDays = 30
    """Days a deleted or replaced state object stays restorable."""
    labels: dict[str, str] = {}
    """Labels on both buckets."""

    @model_validator(mode="after")
    def _key_of_the_project(self) -> StateBucketArgs:
        key_in(self.kms_key_id, project=self.project, region=self.region)
        return self


class StateBucket(Component):
    """The deployment state's bucket and its access-log bucket, with every constant of :class:`ImageBucket`
    (CMEK only, the storage agent granted the key first, versioned, soft delete, uniform access, public access
    prevented, usage logs, protected) but no IP filter: the state is read by CI runners whose addresses are not
    fixed; who reaches which object is the grants' condition (the caller's)."""

    bucket_name: pulumi.Output[str]
    """The state bucket's name."""
    access_log_bucket_name: pulumi.Output[str]
    """The access-log bucket's name."""

    def __init__(self, name: str, args: StateBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(STATE_TYPE_TOKEN, name, opts)
        key_grant = _agent_key_grant(self, name, args.project, args.kms_key_id)

        def settings(classification: str) -> dict[str, Any]:
            return secure_bucket_args(
                project=args.project,
                region=args.region,
                kms_key_id=args.kms_key_id,
                soft_delete_days=args.soft_delete_days,
                labels={**args.labels, "data-classification": classification},
                retained=False,
            )

        log_bucket = gcp.storage.Bucket(
            f"{name}-access-logs",
            name=naming.bucket_name(args.project, args.prefix, "state-logs"),
            **settings("deployment-access-logs"),
            opts=child(self, protect=True, depends_on=[key_grant]),
        )
        log_writer = _usage_log_writer(self, name, log_bucket)
        bucket = gcp.storage.Bucket(
            name,
            name=naming.bucket_name(args.project, args.prefix, "state"),
            **settings("deployment-state"),
            logging={"log_bucket": log_bucket.name, "log_object_prefix": "state/"},
            opts=child(self, protect=True, depends_on=[key_grant, log_writer]),
        )
        self.bucket = bucket
        self.bucket_name = bucket.name
        self.access_log_bucket_name = log_bucket.name
        self.register_outputs({"bucketName": self.bucket_name, "accessLogBucketName": self.access_log_bucket_name})
