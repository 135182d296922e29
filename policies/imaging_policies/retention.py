"""Nothing lost by accident: image and log storage keeps its contents as long as the site declares (ENC-11,
LOG-15).

A bucket is judged by what it is in the stack (``storage.bucket_roles``): a bucket that receives logs holds
logs, every other bucket may hold images. The pack cannot tell that a bucket holds neither, so every bucket
of the stack is judged: none may be destroyed with its contents (``forceDestroy``), each keeps the
``protect`` resource option, and each keeps deleted objects restorable for the site's soft-delete period
(``imageBucket.softDeleteDays``; the component applies it to the image and the access-log bucket alike).
A bucket that may hold images also keeps the retention the site declares (``imageBucket.retentionDays``):
a retention policy at least that long, and no lifecycle rule that deletes live objects younger. The
security-log bucket keeps ``protect`` (LOG-15); its lock and retention are LOG-09's.

A value unknown in a first preview is not judged in preview (judged at update), never passed.
"""

from __future__ import annotations

from typing import Any, Final

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from imaging_policies import tokens
from imaging_policies._props import UNKNOWN, items, known
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies._site import RetentionDeclaration, site_retention
from imaging_policies.logging import security_log_bucket
from imaging_policies.storage import bucket_roles

DAY: Final = 86_400
GCS_DEFAULT_SOFT_DELETE_SECONDS: Final = 7 * DAY
"""What Cloud Storage keeps deleted objects for when a bucket sets no soft-delete policy (seven days)."""
NONCURRENT_ONLY: Final = ("daysSinceNoncurrentTime", "numNewerVersions", "noncurrentTimeBefore")
"""Lifecycle conditions that only ever match noncurrent (replaced or deleted) object versions."""


def _seconds(value: Any) -> float | None:
    """A duration in seconds from a number or a numeric string (``retentionPeriod`` is a string)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.removesuffix("s"))
        except ValueError:
            return None
    return None


def _days(seconds: float) -> str:
    return f"{seconds / DAY:g} days"


def _deletes_live_objects(bucket: PolicyResource, index: int) -> tuple[bool, float | None]:
    """Whether lifecycle rule ``index`` deletes live objects, and from which age (``None``: any age)."""
    action = known(bucket.props, "lifecycleRules", index, "action", "type", resource=bucket.name)
    if action != "Delete":
        return False, None  # SetStorageClass, AbortIncompleteMultipartUpload: nothing is deleted
    state = known(bucket.props, "lifecycleRules", index, "condition", "withState", resource=bucket.name)
    if state == "ARCHIVED":
        return False, None
    for key in NONCURRENT_ONLY:
        value = known(bucket.props, "lifecycleRules", index, "condition", key, resource=bucket.name)
        if value not in (None, 0, 0.0, ""):
            return False, None
    age = known(bucket.props, "lifecycleRules", index, "condition", "age", resource=bucket.name)
    return True, float(age) if isinstance(age, int | float) and not isinstance(age, bool) else None


def _image_retention(bucket: PolicyResource, declared: RetentionDeclaration) -> list[str]:
    """Why a bucket that may hold images could lose one younger than the declared retention."""
    if declared.image_days is None:
        return []  # nothing declared: soft delete is the only floor
    wanted = declared.image_days * DAY
    problems = []
    period = _seconds(known(bucket.props, "retentionPolicy", "retentionPeriod", resource=bucket.name))
    if period is None or period < wanted:
        shown = "not set" if period is None else f"{period:g}s ({_days(period)})"
        problems.append(
            f"retentionPolicy.retentionPeriod is {shown}, shorter than the {declared.image_days} days the site "
            f"declares (imageBucket.retentionDays): an image could be deleted or replaced younger. Set it to "
            f"{wanted}."
        )
    rules = items(bucket.props, "lifecycleRules")
    if rules == [UNKNOWN]:
        known(bucket.props, "lifecycleRules", resource=bucket.name)
    for index in range(len(rules)):
        deletes, age = _deletes_live_objects(bucket, index)
        if deletes and (age is None or age < declared.image_days):
            shown = "any age" if not age else f"{age:g} days"
            problems.append(
                f"lifecycleRules[{index}] deletes live objects from {shown}, younger than the {declared.image_days} "
                "days the site declares (imageBucket.retentionDays). Remove the rule, or set its age to at least that."
            )
    return problems


def _bucket_problems(bucket: PolicyResource, holds_images: bool, declared: RetentionDeclaration) -> list[str]:
    what = "images" if holds_images else "logs"
    problems = []
    if known(bucket.props, "forceDestroy", resource=bucket.name) is True:
        problems.append(
            f"forceDestroy is true: deleting the bucket (a rename, a replacement, a destroy) deletes every object "
            f"in it, and it holds {what}. Set forceDestroy to false."
        )
    if not bucket.opts.protect:
        problems.append(
            f"the bucket is not protected: a change that replaces or deletes it loses the {what} it holds. Set "
            "the resource option protect=True (ImageBucket does)."
        )
    soft = known(bucket.props, "softDeletePolicy", "retentionDurationSeconds", resource=bucket.name)
    seconds = GCS_DEFAULT_SOFT_DELETE_SECONDS if soft is None else _seconds(soft)
    wanted = declared.soft_delete_days * DAY
    if seconds is None or seconds < wanted:
        shown = "not set (Cloud Storage keeps 7 days)" if soft is None else f"{soft!r}"
        problems.append(
            f"softDeletePolicy.retentionDurationSeconds is {shown}, shorter than the {declared.soft_delete_days} "
            f"days the site declares (imageBucket.softDeleteDays): a deleted object is gone sooner. Set it to "
            f"{wanted}."
        )
    if holds_images:
        problems.extend(_image_retention(bucket, declared))
    return problems


def _no_loss(args: StackValidationArgs, report: Report) -> None:
    declared = site_retention()
    roles = bucket_roles(args.resources)
    for bucket in (r for r in args.resources if r.resource_type == tokens.BUCKET):
        for problem in _bucket_problems(bucket, roles.holds_images(bucket), declared):
            report(f"bucket {bucket.name!r}: {problem}", bucket.urn)


def _log_bucket_protected(args: ResourceValidationArgs, report: Report) -> None:
    if security_log_bucket(args.props) and not args.opts.protect:
        report(
            "the security-log bucket is not protected: a change that replaces or deletes it drops the site's "
            "retained security logs from the stack. Set the resource option protect=True (SecurityLogging does)."
        )


POLICIES = [
    stack_policy(
        name="gcp-storage-bucket-keeps-contents",
        control="ENC-11",
        description=(
            "Buckets holding images or logs cannot be destroyed with their contents or lose objects before the "
            "site's retention: no forceDestroy, protected, soft delete and (image buckets) retention policy and "
            "lifecycle deletes no shorter than the site declares."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            "Use ImageBucket: forceDestroy false, protect=True, softDeletePolicy.retentionDurationSeconds and "
            "retentionPolicy.retentionPeriod from the site's imageBucket settings, no lifecycle Delete rule on "
            "images younger than imageBucket.retentionDays."
        ),
        check=_no_loss,
        types=[tokens.BUCKET],
    ),
    resource_policy(
        name="gcp-logging-bucket-protected",
        control="LOG-15",
        description="The security-log bucket keeps the protect resource option.",
        severity=Severity.HIGH,
        remediation="Create the security-log bucket with protect=True (SecurityLogging does).",
        types=sorted(tokens.LOG_BUCKETS),
        check=_log_bucket_protected,
    ),
]
