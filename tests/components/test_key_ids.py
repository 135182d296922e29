"""Key ids in component args: a caller building ``ImageBucketArgs`` or ``SecurityLoggingArgs`` by hand
gets a validation error for a string that is not a Cloud KMS key id, and for a key of another project
or region than the data's (ENC-01: the site's own key ring; Cloud Storage and Cloud Logging take only a
key of the data's location). Proves the args contract; not that GCP accepts the key."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from pydantic import ValidationError

from components.contract import crypto_key_id
from components.logs import SecurityLoggingArgs, SiemDestination
from components.storage import BucketNetworkAccess, ImageBucketArgs
from preflight.engine.runner import capture

PROJECT, REGION = "proj-123456", "europe-west1"
GOOD = f"projects/{PROJECT}/locations/{REGION}/keyRings/abc-keyring/cryptoKeys/abc-images"

ARGS: dict[str, Callable[[Any], object]] = {
    "bucket": lambda key: ImageBucketArgs(
        project=PROJECT,
        region=REGION,
        site_code="abc",
        kms_key_id=key,
        network_access=BucketNetworkAccess(
            public_cidrs=["198.51.100.0/24"], vpc_network="n", vpc_cidrs=["10.1.0.0/24"]
        ),
    ),
    "logging": lambda key: SecurityLoggingArgs(
        project=PROJECT,
        region=REGION,
        site_code="abc",
        logs_key_id=key,
        siem=SiemDestination(central_destination="d"),
    ),
}


@pytest.mark.parametrize("component", list(ARGS))
@pytest.mark.parametrize(
    ("key", "message"),
    [
        pytest.param("not-a-key", "'not-a-key' is not a Cloud KMS key id: write it as projects/", id="not-a-key"),
        pytest.param(f"projects/{PROJECT}/locations/{REGION}/keyRings/r", "is not a Cloud KMS key id", id="a-key-ring"),
        pytest.param(GOOD + "/cryptoKeyVersions/1", "is not a Cloud KMS key id", id="a-key-version"),
        pytest.param(
            f"projects/P_ROJ/locations/{REGION}/keyRings/r/cryptoKeys/k",
            "'P_ROJ' is not a GCP project id",
            id="bad-project",
        ),
        pytest.param(
            GOOD.replace(PROJECT, "other-project"),
            "is a key of project 'other-project'; use a key of the site's 'proj-123456'",
            id="another-projects-key",
        ),
        pytest.param(
            GOOD.replace(REGION, "europe-west4"),
            "is a key in 'europe-west4'; the data is in 'europe-west1': use a key of that region",
            id="another-regions-key",
        ),
        pytest.param(GOOD.replace(REGION, "global"), "is a key in 'global'", id="a-global-key"),
    ],
)
def test_a_key_id_that_is_not_the_sites_key_is_refused(component, key, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        ARGS[component](key)


@pytest.mark.parametrize("component", list(ARGS))
def test_the_sites_key_and_a_key_not_known_yet_are_accepted(component):
    assert ARGS[component](GOOD) is not None
    built: list[object] = []
    # The id of a key the program creates is an output: the provider checks it once known.
    capture(lambda: built.append(ARGS[component](pulumi.Output.from_input(GOOD))), project="p", stack="s")
    assert len(built) == 1


def test_the_form_is_checked_alone_for_any_caller():
    assert crypto_key_id(GOOD) == GOOD
    with pytest.raises(ValueError, match="not a Cloud KMS key id"):
        crypto_key_id("projects/p/locations/l/keyRings/r/cryptoKeys/")
