"""The property table's claims are read, not only written down (IAM-13).

``_property_table.py`` says, for each property of each judged type, which policy judges it. A claim nobody
checks is a mirror: the closed world then passes a property no policy reads (a backend's ``iap`` and a Cloud
Run service's ``invokerIamDisabled`` were claimed and not read). This test runs every policy of the pack, in
process, on both example sites' update plans (``Analyze`` per resource, ``AnalyzeStack`` once), records
which top-level property of which resource type each policy reads, and compares that with the table's
claims for the types the plans contain.

The claims no policy read on the example plans are listed in ``property_claims_unread.txt``, one
``<type token> <property> <policy>`` per line: each is either read only on a branch the example plans do not
take (a deny rule, a second sink) or a claim to fix. The list may only shrink: a new claim must be read, and
a claim that becomes read leaves the list (the test names the lines to add or remove).
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable
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
from preflight.judge import analyzer
from tests.conftest import SITES, site_plan

BASELINE = Path(__file__).with_name("property_claims_unread.txt")
_POLICY: contextvars.ContextVar[str | None] = contextvars.ContextVar("policy", default=None)


class _Recorded(dict[str, Any]):
    """A resource's properties that note each top-level key a policy reads."""

    def __init__(self, token: str, props: Any, reads: set[tuple[str, str, str]]) -> None:
        super().__init__(props)
        self._token, self._reads = token, reads

    def _read(self, key: object) -> None:
        policy = _POLICY.get()
        if policy is not None and isinstance(key, str):
            self._reads.add((self._token, key, policy))

    def get(self, key: str, default: Any = None) -> Any:
        self._read(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self._read(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._read(key)
        return super().__contains__(key)


def _in_policy(name: str, validate: Callable[..., Any]) -> Callable[..., Any]:
    def run(args: Any, report: Any) -> Any:
        token = _POLICY.set(name)
        try:
            return validate(args, report)
        finally:
            _POLICY.reset(token)

    return run


def _judge(site: str) -> None:
    """Every policy on ``site``'s update plan, in process, with the site's stack config."""
    plan = site_plan(site, "update")  # first: running the program sets the runtime's config itself
    config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in stacks.load(site).config.items()}
    runtime_config.set_all_config(config)  # what the pack's serving layer does on ConfigureStack
    _site.forget()
    servicer = sdk._PolicyAnalyzerServicer(PACK_NAME, "0.0.1", POLICIES, EnforcementLevel.MANDATORY)
    for r in plan:
        request = analyzer_pb2.AnalyzeRequest(
            type=r.type, properties=analyzer._struct(r.inputs), urn=r.urn, name=r.name, options=analyzer._options(r)
        )
        servicer.Analyze(request, None)
    servicer.AnalyzeStack(analyzer.stack_request(plan), None)


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
        for site in SITES:
            contextvars.copy_context().run(_judge, site)  # the site's config stays in this context
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
    listed = {tuple(line.split()) for line in BASELINE.read_text(encoding="utf-8").splitlines() if line.strip()}
    new = sorted(" ".join(c) for c in unread - listed)
    fixed = sorted(" ".join(c) for c in listed - unread)
    assert not new, "claimed judged, but the policy never read it on the example plans (fix the claim):\n" + "\n".join(
        new
    )
    assert not fixed, f"read now: remove from {BASELINE.name}:\n" + "\n".join(fixed)


def test_the_recorder_sees_what_a_policy_reads(reads):
    """The recorder works: a claim the policies are known to read is in the record."""
    assert ("gcp:compute/backendService:BackendService", "iap", "gcp-compute-traffic-to-site-viewer") in reads
    assert ("gcp:cloudrunv2/service:Service", "invokerIamDisabled", "gcp-cloudrun-not-public") in reads
