"""The identity of every resource of the example sites is public API: a URN that changes makes the
engine replace (delete and create) the resource on the next ``pulumi up``, for an image bucket the
loss of its images. The URNs are recorded in ``tests/fixtures/identity/<site>.txt``; a change that
alters one must be deliberate: update the file, say so under BREAKING in CHANGELOG.md and give the
stack an ``aliases`` option so deployed sites keep their resources."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plans import site_plan

FIXTURES = Path(__file__).parent / "fixtures" / "identity"


@pytest.mark.parametrize("site", ["lausanne", "utrecht"])
@pytest.mark.parametrize("mode", ["preview", "update"])
def test_every_resource_keeps_its_urn(site, mode):
    recorded = FIXTURES.joinpath(f"{site}.txt").read_text(encoding="utf-8").split()
    urns = sorted(r.urn for r in site_plan(site, mode))
    assert len(urns) == len(set(urns))
    missing, added = sorted(set(recorded) - set(urns)), sorted(set(urns) - set(recorded))
    assert not missing, f"replaced or removed: {missing}"
    assert not added, f"new: {added}"
