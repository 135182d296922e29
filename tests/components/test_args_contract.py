"""The components' args refuse what the controls forbid, whoever builds them (a team importing the
library never passes through the site config): one rule, ``components.principals``, for the bucket's
members and the site config's SIEM identity."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components import principals
from components.storage import BucketMember, BucketRole


@pytest.mark.parametrize(
    ("member", "message"),
    [
        pytest.param("allUsers", "is a public principal", id="all-users"),
        pytest.param("allAuthenticatedUsers", "is a public principal", id="all-authenticated-users"),
        pytest.param("group:allUsers", "is a public principal", id="public-as-group"),
        pytest.param("user:dr.house@chuv.example", "people and other principals", id="person"),
        pytest.param("domain:chuv.example", "people and other principals", id="domain"),
        pytest.param(
            "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*",
            "people and other principals",
            id="principal-set",
        ),
        pytest.param("projectViewer:chuv-imaging-lau", "people and other principals", id="basic-role-holders"),
    ],
)
def test_a_bucket_member_refuses_what_the_controls_forbid(member, message):
    with pytest.raises(ValidationError, match=message):
        BucketMember(role=BucketRole.OBJECT_VIEWER, member=member)


@pytest.mark.parametrize(
    "member", ["group:radiologie@chuv.example", "serviceAccount:lau-viewer@p.iam.gserviceaccount.com"]
)
def test_a_bucket_member_accepts_groups_and_workloads(member):
    assert BucketMember(role=BucketRole.OBJECT_VIEWER, member=member).member == member


def test_the_site_configs_siem_identity_follows_the_same_rule():
    from components.config import SiemExport

    with pytest.raises(ValidationError, match="never a person or a public principal"):
        SiemExport(subscriber="allUsers")
    assert principals.parse_member("group:soc@chuv.example") == "group:soc@chuv.example"
