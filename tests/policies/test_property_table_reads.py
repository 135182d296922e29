"""The property table's claims are read, not only written down (IAM-13).

``_property_table.py`` says, for each property of each judged type, which policy judges it. A claim nobody
checks is a mirror: the closed world then passes a property no policy reads (a backend's ``iap`` and a Cloud
Run service's ``invokerIamDisabled`` were claimed and not read). This test runs every policy of the pack, in
process, on both example sites' update plans (``Analyze`` per resource, ``AnalyzeStack`` once), records
which top-level property of which resource type each policy reads, and compares that with the table's
claims for the types the plans contain.

A claim read only on a branch the example plans do not take is proven on an extra plan that takes it
(:data:`BRANCHES`: the Lausanne plan with one change of the mutation harness, each saying which branch it
opens); the extra plans add reads, never types, so they prove claims and add none.

The claims no policy read on any of these plans are listed in ``property_claims_unread.txt``, one
``<type token> <property> <policy>  # reason`` per line, the reason saying why the claim stands unread. The
list may only shrink: a new claim must be read, and a claim that becomes read leaves the list (the test
names the lines to add or remove).
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from imaging_policies import PACK_NAME, POLICIES, _site
from imaging_policies._property_table import PROPERTIES
from pulumi.runtime import config as runtime_config
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy import policy as sdk

from preflight.engine import stacks
from preflight.engine.runner import UNKNOWN, Resource
from preflight.judge import pack as judge_pack
from tests.plans import site_plan
from tests.policies.mutation import Mutation, add_resource, changes, on, set_prop
from tests.sites import SITES, by_name

BASELINE = Path(__file__).with_name("property_claims_unread.txt")
_POLICY: contextvars.ContextVar[str | None] = contextvars.ContextVar("policy", default=None)


class _Recorded(Mapping[str, Any]):
    """A resource's properties (the SDK's proxy, which raises on an unknown value) that note each top-level
    key a policy reads."""

    def __init__(self, token: str, props: Mapping[str, Any], reads: set[tuple[str, str, str]]) -> None:
        self._token, self._props, self._reads = token, props, reads

    def _read(self, key: object) -> None:
        policy = _POLICY.get()
        if policy is not None and isinstance(key, str):
            self._reads.add((self._token, key, policy))

    def __getitem__(self, key: str) -> Any:
        self._read(key)
        return self._props[key]

    def __contains__(self, key: object) -> bool:
        self._read(key)
        return key in self._props

    def __iter__(self) -> Iterator[str]:
        return iter(self._props)

    def __len__(self) -> int:
        return len(self._props)


def _in_policy(name: str, validate: Callable[..., Any]) -> Callable[..., Any]:
    def run(args: Any, report: Any) -> Any:
        token = _POLICY.set(name)
        try:
            return validate(args, report)
        finally:
            _POLICY.reset(token)

    return run


_SINK = "gcp:logging/projectSink:ProjectSink"
_SECURITY_FILTER = 'log_id("cloudaudit.googleapis.com/activity")'


def _computed_destination(resources: list[Resource]) -> Resource:
    """The retention sink's destination unknown, computed from the security-log bucket (a first preview)."""
    bucket = by_name(resources, "lau-logging-bucket")
    sink = by_name(resources, "lau-logging-retention-sink")
    set_prop("destination", value=UNKNOWN)(sink)
    sink.property_dependencies = {**sink.property_dependencies, "destination": [bucket.urn]}
    return sink


BRANCHES: dict[str, Mutation] = {
    # LOG-08 finds the bucket a sink's unknown destination is computed from by its bucketId
    "a sink's destination computed from a log bucket": _computed_destination,
    # LOG-08 subtracts a sink's exclusions from what it exports only for a sink to an undeclared destination
    "a second sink, to a destination the site does not declare": add_resource(
        _SINK,
        "lau-second-sink",
        {
            "name": "lau-second-sink",
            "project": "chuv-imaging-lau",
            "destination": "storage.googleapis.com/chuv-imaging-lau-export",
            "filter": _SECURITY_FILTER,
            "exclusions": [{"name": "no-activity", "filter": _SECURITY_FILTER}],
        },
    ),
    # LOG-10 reads a sink's disabled only on the built-in sinks (_Default, _Required)
    "the built-in _Default sink in the stack": add_resource(
        _SINK,
        "lau-default-sink",
        {"name": "_Default", "project": "chuv-imaging-lau", "disabled": False, "filter": "NOT " + _SECURITY_FILTER},
    ),
    # TLS-01 reads customFeatures only on a CUSTOM profile
    "an SSL policy with a CUSTOM profile": on(
        "lau-viewer-tls",
        changes(
            set_prop("profile", value="CUSTOM"),
            set_prop("customFeatures", value=["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]),
        ),
    ),
}
"""Extra plans, by the branch they take: each is the Lausanne update plan with one change."""


def _plans() -> list[tuple[str, list[Resource]]]:
    """(site, plan) for each plan the policies run on: both sites' update and preview plans, then the
    branches' extra plans."""
    found = [(site, site_plan(site, mode)) for site in SITES for mode in ("update", "preview")]
    for mutate in BRANCHES.values():
        plan = site_plan("lausanne", "update")
        mutate(plan)
        found.append(("lausanne", plan))
    return found


def _judge(site: str, plan: list[Resource]) -> None:
    """Every policy on ``plan``, in process, with ``site``'s stack config."""
    config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in stacks.load(site).config.items()}
    runtime_config.set_all_config(config)  # what the pack's serving layer does on ConfigureStack
    _site.forget()
    servicer = sdk._PolicyAnalyzerServicer(PACK_NAME, "0.0.1", POLICIES, EnforcementLevel.MANDATORY)
    for r in plan:
        request = analyzer_pb2.AnalyzeRequest(
            type=r.type, properties=judge_pack._struct(r.inputs), urn=r.urn, name=r.name, options=judge_pack._options(r)
        )
        servicer.Analyze(request, None)
    servicer.AnalyzeStack(judge_pack.stack_request(plan), None)


@pytest.fixture(scope="module")
def reads() -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    patch = pytest.MonkeyPatch()

    class Resource(sdk.PolicyResource):  # type: ignore[misc]
        def __init__(self, token: str, props: Any, *rest: Any) -> None:
            super().__init__(token, _Recorded(token, props, found), *rest)

    class Args(sdk.ResourceValidationArgs):  # type: ignore[misc]
        def __init__(self, token: str, props: Any, *rest: Any, **named: Any) -> None:
            super().__init__(token, _Recorded(token, props, found), *rest, **named)

    patch.setattr(sdk, "PolicyResource", Resource)
    patch.setattr(sdk, "ResourceValidationArgs", Args)
    for policy in POLICIES:
        patch.setattr(policy, "validate", _in_policy(policy.name, policy.validate))
    try:
        for site, plan in _plans():
            contextvars.copy_context().run(_judge, site, plan)  # the site's config stays in this context
    finally:
        patch.undo()
        _site.forget()
    return found


def _claims(types: set[str]) -> set[tuple[str, str, str]]:
    return {
        (token, prop, policy)
        for token, row in PROPERTIES.items()
        if token in types
        for prop, verdict in row.items()
        if verdict.kind == "judged"
        for policy in verdict.by.split()
        if policy.startswith("gcp-")
    }


def test_every_claim_of_the_property_table_is_read_by_its_policy_or_listed(reads):
    types = {r.type for site in SITES for r in site_plan(site, "update")}
    unread = {claim for claim in _claims(types) if claim not in reads}
    listed = set(_listed())
    new = sorted(" ".join(c) for c in unread - listed)
    fixed = sorted(" ".join(c) for c in listed - unread)
    assert not new, "claimed judged, but the policy never read it on the example plans (fix the claim):\n" + "\n".join(
        new
    )
    assert not fixed, f"read now: remove from {BASELINE.name}:\n" + "\n".join(fixed)


def _listed() -> dict[tuple[str, ...], str]:
    """The file's claims, each with its reason."""
    found = {}
    for line in BASELINE.read_text(encoding="utf-8").splitlines():
        claim, _, reason = line.partition("#")
        if claim.strip():
            found[tuple(claim.split())] = reason.strip()
    return found


def test_every_claim_left_unread_says_why():
    missing = sorted(" ".join(claim) for claim, reason in _listed().items() if not reason)
    assert not missing, f"give each line of {BASELINE.name} its reason (`  # why`):\n" + "\n".join(missing)


def test_the_recorder_sees_what_a_policy_reads(reads):
    """The recorder works: a claim the policies are known to read is in the record."""
    assert ("gcp:compute/backendService:BackendService", "iap", "gcp-compute-traffic-to-site-viewer") in reads
    assert ("gcp:cloudrunv2/service:Service", "invokerIamDisabled", "gcp-cloudrun-not-public") in reads
