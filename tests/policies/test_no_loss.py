"""Nothing lost by accident (issue part 8): buckets holding images or logs cannot be destroyed with their contents
or lose objects before the site's retention (ENC-11), the security-log bucket stays protected (LOG-15) and keeps
at least the retention the site declares (LOG-09). Lausanne declares imageBucket.retentionDays 3650,
softDeleteDays 30 and logging.retentionDays 3650. One change to its plan per case, through the real pack
process; each case says why a careless engineer or an insider would write it."""

from __future__ import annotations

import copy
from typing import Final

import pytest
from imaging_policies._site import DEFAULT_SOFT_DELETE_DAYS

from preflight.engine import stacks
from preflight.engine.runner import Resource
from program.config import ImageBucketSettings
from tests.plans import site_plan
from tests.policies.mutation import Case, assert_rejected, on, set_prop, unprotect
from tests.sites import by_name

CONTROLS = ("ENC-11", "LOG-09", "LOG-15")
"""The controls this module holds (the catalogue's "tests" line is read from it)."""


KEEPS = "gcp-storage-bucket-keeps-contents"
LOG_RETENTION = "gcp-logging-bucket-locked-retention"
LOG_PROTECTED = "gcp-logging-bucket-protected"
IMAGES = "lau-images"
ACCESS_LOGS = "lau-images-access-logs"
LOG_BUCKET = "lau-logging-bucket"


UNWATCHED: Final = frozenset(
    {
        "gcp-monitoring-site-security-alerts",
        "gcp-monitoring-unexpected-access-detectors",
        "gcp-monitoring-baseline-detectors",
    }
)
"""A new bucket that may hold images is one no image detector watches yet (LOG-12, LOG-16, LOG-17)."""


def _keeps(mutate, expected: str, also: frozenset[str] = frozenset()) -> Case:
    """An ENC-11 case: judged with the whole stack (which buckets hold images is decided by the stack)."""
    return Case(KEEPS, mutate, expected, stack=True, also=also)


def _scratch_copy(resources: list[Resource]) -> Resource:
    """A copy of the image bucket under another name, forceDestroy true (one change: the new bucket)."""
    r = copy.deepcopy(by_name(resources, IMAGES))
    r.name, r.urn = "lau-migration-scratch", r.urn.removesuffix(f"::{IMAGES}") + "::lau-migration-scratch"
    set_prop("name", value="chuv-imaging-lau-lau-migration-scratch")(r)
    set_prop("forceDestroy", value=True)(r)
    resources.append(r)
    return r


CASES = [
    pytest.param(
        _keeps(on(IMAGES, set_prop("forceDestroy", value=True)), "forceDestroy is true"),
        # ENC-11: "destroy keeps failing on a non-empty bucket in the test project": the fix lands in production.
        id="image-bucket-force-destroy",
    ),
    pytest.param(
        _keeps(on(ACCESS_LOGS, set_prop("forceDestroy", value=True)), "and it holds logs"),
        # ENC-11: the access logs "are only logs": deleting them with the bucket erases who read which image.
        id="access-log-bucket-force-destroy",
    ),
    pytest.param(
        _keeps(_scratch_copy, "bucket 'lau-migration-scratch': forceDestroy is true", also=UNWATCHED),
        # ENC-11: a migration copy "easy to clean up": the pack cannot tell it holds no images, so it counts.
        id="scratch-copy-of-images-with-force-destroy",
    ),
    pytest.param(
        _keeps(on(IMAGES, unprotect), "the bucket is not protected"),
        # ENC-11: protect removed to let a rename through; the rename then replaces (deletes) the image bucket.
        id="image-bucket-unprotected",
    ),
    pytest.param(
        _keeps(on(ACCESS_LOGS, unprotect), "loses the logs it holds"),
        # ENC-11: the access-log bucket unprotected "because it is not patient data".
        id="access-log-bucket-unprotected",
    ),
    pytest.param(
        _keeps(
            on(IMAGES, set_prop("softDeletePolicy", "retentionDurationSeconds", value=0.0)),
            "shorter than the 30 days the site declares",
        ),
        # ENC-11: soft delete turned off to save storage cost: a deleted image is gone at once.
        id="image-bucket-soft-delete-off",
    ),
    pytest.param(
        _keeps(on(ACCESS_LOGS, set_prop("softDeletePolicy", value=None)), "not set (Cloud Storage keeps 7 days)"),
        # ENC-11: the block dropped in a refactor; Cloud Storage's default (7 days) is shorter than declared.
        id="access-log-bucket-soft-delete-dropped",
    ),
    pytest.param(
        _keeps(
            on(IMAGES, set_prop("retentionPolicy", "retentionPeriod", value="2592000")),
            "shorter than the 3650 days the site declares",
        ),
        # ENC-11: retention "shortened for the test" to 30 days while the canton keeps images ten years.
        id="image-retention-shortened",
    ),
    pytest.param(
        _keeps(on(IMAGES, set_prop("retentionPolicy", value=None)), "retentionPolicy.retentionPeriod is not set"),
        # ENC-11: the retention policy removed to enable versioning (the two are exclusive in Cloud Storage).
        id="image-retention-removed",
    ),
    pytest.param(
        _keeps(
            on(IMAGES, set_prop("lifecycleRules", value=[{"action": {"type": "Delete"}, "condition": {"age": 365.0}}])),
            "lifecycleRules[0] deletes live objects from 365 days",
        ),
        # ENC-11: a cost-saving lifecycle rule copied from another bucket deletes images after a year.
        id="image-lifecycle-deletes-after-a-year",
    ),
    pytest.param(
        _keeps(
            on(
                IMAGES,
                set_prop(
                    "lifecycleRules",
                    value=[{"action": {"type": "Delete"}, "condition": {"createdBefore": "2026-01-01"}}],
                ),
            ),
            "deletes live objects from any age",
        ),
        # ENC-11: an insider's "clean-up of last year's test images" deletes every image created before a date.
        id="image-lifecycle-deletes-by-creation-date",
    ),
    pytest.param(
        Case(
            LOG_RETENTION,
            on(LOG_BUCKET, set_prop("retentionDays", value=2190.0)),
            "retentionDays is 2190, shorter than the 3650 days the site declares",
        ),
        # LOG-09: the floor (six years) typed instead of the site's ten: shorter than the site declares.
        id="security-logs-kept-for-the-floor-not-the-declared-ten-years",
    ),
    pytest.param(
        Case(LOG_PROTECTED, on(LOG_BUCKET, unprotect), "the security-log bucket is not protected"),
        # LOG-15: protect removed to let a location change through, which replaces the log bucket.
        id="security-log-bucket-unprotected",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_nothing_is_lost_by_accident(policy_pack, case: Case):
    assert_rejected(policy_pack("lausanne", "update"), case)


def test_an_unknown_force_destroy_in_a_first_preview_is_not_judged_in_preview(policy_pack):
    """ENC-11 in preview (part 7): a computed forceDestroy could be true: not judged in preview, never met."""
    resources = site_plan("lausanne", "preview")
    set_prop("forceDestroy", value="04da6b54-80e4-46f7-96ec-b56ff0331ba9")(by_name(resources, IMAGES))
    found = [d for d in policy_pack("lausanne", "preview").analyze_stack(resources) if d.policy == KEEPS]
    assert [d.skipped_in_preview for d in found] == [True]
    assert "[lau-images].forceDestroy can't be known during preview" in found[0].message


def test_longer_retention_and_harmless_lifecycle_rules_pass(policy_pack):
    """Legitimate variant (part 8): longer image retention and soft delete, a storage-class rule, a delete rule
    from the retention age on and one for noncurrent versions, a longer log retention: no mandatory finding."""
    resources = site_plan("lausanne", "update")
    images = by_name(resources, IMAGES)
    set_prop("retentionPolicy", "retentionPeriod", value=str(4000 * 86_400))(images)
    set_prop("softDeletePolicy", "retentionDurationSeconds", value=float(60 * 86_400))(images)
    set_prop(
        "lifecycleRules",
        value=[
            {"action": {"type": "SetStorageClass", "storageClass": "ARCHIVE"}, "condition": {"age": 90.0}},
            {"action": {"type": "Delete"}, "condition": {"age": 4000.0}},
            {"action": {"type": "Delete"}, "condition": {"withState": "ARCHIVED", "daysSinceNoncurrentTime": 7.0}},
            {"action": {"type": "AbortIncompleteMultipartUpload"}, "condition": {"age": 1.0}},
        ],
    )(images)
    log_bucket = by_name(resources, LOG_BUCKET)
    set_prop("retentionDays", value=3650.0)(log_bucket)
    pack = policy_pack("lausanne", "update")
    found = pack.analyze(images) + pack.analyze(log_bucket) + pack.analyze_stack(resources)
    assert [d for d in found if d.level == "mandatory"] == [], [(d.policy, d.message) for d in found]


def test_a_site_without_declared_image_retention_judges_no_image_lifecycle(policy_pack):
    """Utrecht declares no imageBucket.retentionDays: its image bucket may carry lifecycle deletes (soft delete,
    14 days there, still applies); the pack compares with what the site declares, not with another site."""
    resources = site_plan("utrecht", "update")
    images = by_name(resources, "utr-images")
    set_prop("lifecycleRules", value=[{"action": {"type": "Delete"}, "condition": {"age": 400.0}}])(images)
    found = [d for d in policy_pack("utrecht", "update").analyze_stack(resources) if d.policy == KEEPS]
    assert found == []


def test_the_pack_default_soft_delete_is_the_site_config_default() -> None:
    """One contract per fact: the pack's copy of the soft-delete default is the site config's."""
    assert ImageBucketSettings().soft_delete_days == DEFAULT_SOFT_DELETE_DAYS


@pytest.mark.parametrize(("site", "code"), [("lausanne", "lau"), ("utrecht", "utr")])
def test_the_pack_reads_the_soft_delete_the_site_config_declares(policy_pack, site: str, code: str) -> None:
    """The pack reads imageBucket.softDeleteDays under the keys the site config model writes (camelCase)."""
    declared = stacks.load(site).site
    assert declared is not None
    resources = site_plan(site, "update")
    set_prop("softDeletePolicy", "retentionDurationSeconds", value=86_400.0)(by_name(resources, f"{code}-images"))
    messages = [d.message for d in policy_pack(site, "update").analyze_stack(resources) if d.policy == KEEPS]
    assert any(f"the {declared.image_bucket.soft_delete_days} days the site declares" in m for m in messages), messages
