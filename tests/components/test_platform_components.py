"""The platform's components under mocks: ``PlatformKeys`` (a key ring and named keys) and ``StateBucket`` (the
deployment state's bucket and its access-log bucket) carry the same constants as a site's keys and image
bucket, and their args refuse what those refuse. Proves the inputs the components send; not that GCP accepts
them (the bootstrap's real ``up`` does)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.kms import PlatformKeys, PlatformKeysArgs
from components.storage import StateBucket, StateBucketArgs
from preflight.engine.runner import capture

PROJECT, REGION = "chuv-imaging-platform", "europe-west6"
KEY = f"projects/{PROJECT}/locations/{REGION}/keyRings/pulumi/cryptoKeys/state"


def _run(build):
    return {r.name: r for r in capture(build, project="p", stack="s") if r.custom}


def test_platform_keys_are_aes256_rotated_protected_and_named_by_their_map_keys():
    found = _run(
        lambda: PlatformKeys(
            "pulumi",
            PlatformKeysArgs(project=PROJECT, location=REGION, ring="pulumi", keys={"state": "deployment-state"}),
        )
    )
    assert set(found) == {"pulumi", "pulumi-state"}
    key = found["pulumi-state"]
    assert key.inputs["name"] == "state"
    assert key.inputs["purpose"] == "ENCRYPT_DECRYPT"
    assert key.inputs["versionTemplate"] == {"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protectionLevel": "SOFTWARE"}
    assert key.inputs["rotationPeriod"] == "7776000s"
    assert key.inputs["labels"] == {"protects": "deployment-state"}
    assert key.protect
    assert found["pulumi"].protect


def test_the_state_bucket_has_the_image_buckets_constants_but_no_ip_filter():
    found = _run(
        lambda: StateBucket("state", StateBucketArgs(project=PROJECT, region=REGION, prefix="pulumi", kms_key_id=KEY))
    )
    assert set(found) == {"state", "state-access-logs", "state-access-logs-writer", "state-agent-key"}
    state, logs = found["state"], found["state-access-logs"]
    assert state.inputs["name"] == f"{PROJECT}-pulumi-state"
    assert logs.inputs["name"] == f"{PROJECT}-pulumi-state-logs"
    for bucket in (state, logs):
        assert bucket.inputs["encryption"]["defaultKmsKeyName"] == KEY
        assert bucket.inputs["uniformBucketLevelAccess"] is True
        assert bucket.inputs["publicAccessPrevention"] == "enforced"
        assert bucket.inputs["versioning"] == {"enabled": True}
        assert bucket.inputs["forceDestroy"] is False
        assert bucket.protect
        assert "ipFilter" not in bucket.inputs
    assert state.inputs["logging"]["logObjectPrefix"] == "state/"
    assert found["state-agent-key"].urn in state.dependencies


def test_the_state_buckets_key_must_be_of_its_project_and_region():
    with pytest.raises(ValidationError, match="is a key of project 'other-project'"):
        StateBucketArgs(
            project=PROJECT, region=REGION, prefix="pulumi", kms_key_id=KEY.replace(PROJECT, "other-project")
        )


def test_platform_keys_refuse_a_slow_rotation_and_an_empty_map():
    with pytest.raises(ValidationError, match="less than or equal to 90"):
        PlatformKeysArgs(project=PROJECT, location=REGION, ring="pulumi", keys={"state": "s"}, rotation_days=365)
    with pytest.raises(ValidationError, match="at least 1 item"):
        PlatformKeysArgs(project=PROJECT, location=REGION, ring="pulumi", keys={})
