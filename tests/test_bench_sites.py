"""The benchmark's site generator (``bench/sites.py``): every generated stack file is a valid, distinct site.

Proves the files load with the same reader the CLI uses and that sites do not share codes, projects
or address ranges; not that they pass the policy pack (the benchmark reports each check's exit code).
"""

from __future__ import annotations

import ipaddress
import itertools

import pytest

from bench import sites
from preflight.engine.stacks import load_file


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    directory = tmp_path_factory.mktemp("bench-sites")
    return directory, sites.generate(5, directory)


def _ranges(stack) -> list[str]:
    network = stack.site.network
    found = [*network.subnets.values(), *network.pacs_egress_cidrs, *network.hospital_networks]
    found += [cidr for endpoint in network.worklist.values() for cidr in endpoint.cidrs]
    if stack.site.viewer is not None:
        found += stack.site.viewer.allowed_sources
    return found


def test_every_generated_file_loads(generated):
    directory, _ = generated
    files = sorted(directory.glob("Pulumi.*.yaml"))
    assert len(files) == 5
    for path in files:
        stack = load_file(path)
        assert stack.site.site_code == stack.name


def test_sites_alternate_between_the_two_examples(generated):
    _, stacks = generated
    assert [s.name[:3] for s in stacks] == ["lau", "utr", "lau", "utr", "lau"]
    assert [s.site.kms.protection_level for s in stacks[:2]] == ["HSM", "SOFTWARE"]


def test_codes_projects_and_channels_are_distinct(generated):
    _, stacks = generated
    assert len({s.site.site_code for s in stacks}) == 5
    assert len({s.site.gcp_project for s in stacks}) == 5
    assert len({s.site.viewer.domain for s in stacks if s.site.viewer}) == 5
    channels = [c for s in stacks for c in s.site.logging.alerts.notification_channels]
    assert len(channels) == len(set(channels)) == 2


def test_no_address_range_is_shared_across_sites(generated):
    _, stacks = generated
    for a, b in itertools.combinations(stacks, 2):
        for x, y in itertools.product(_ranges(a), _ranges(b)):
            assert not ipaddress.ip_network(x).overlaps(ipaddress.ip_network(y)), f"{a.name} {x} / {b.name} {y}"


def test_more_sites_than_the_address_plan_holds_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at most 512 sites"):
        sites.generate(sites.MAX_SITES + 1, tmp_path)
