"""Physical names: deterministic, valid for GCP, derived only from the site code and project."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import naming

site_codes = st.from_regex(naming.SITE_CODE_PATTERN, fullmatch=True).filter(lambda s: "--" not in s)
projects = st.from_regex(naming.PROJECT_ID_PATTERN, fullmatch=True).filter(lambda s: "--" not in s)


def test_bucket_name_is_project_site_purpose():
    assert naming.bucket_name("chuv-imaging-lau", "lau", "images") == "chuv-imaging-lau-lau-images"


@given(project=projects, site=site_codes)
def test_every_valid_site_gets_valid_bucket_names(project, site):
    for purpose in ("images", "access-logs"):
        name = naming.bucket_name(project, site, purpose)
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", name)


def test_bucket_name_rejects_double_hyphen_with_a_reason():
    with pytest.raises(ValueError, match="not a valid Cloud Storage name"):
        naming.bucket_name("proj-ect", "a-", "images")


@given(site=site_codes)
def test_service_account_ids_fit_iam_limits(site):
    for purpose in ("viewer", "pacs"):
        account_id = naming.service_account_id(site, purpose)
        assert 6 <= len(account_id) <= 30


def test_service_account_id_too_long_names_the_rule():
    with pytest.raises(ValueError, match="6-30"):
        naming.service_account_id("abcdefghijkl", "pacs-uploader-extra-long")


def test_key_names_are_stable():
    assert naming.key_ring_name("lau") == "lau-imaging"
    assert naming.crypto_key_name("lau", "images") == "lau-images"
    assert naming.service_account_email("lau-viewer", "p-123456") == "lau-viewer@p-123456.iam.gserviceaccount.com"
