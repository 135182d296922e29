"""The pack's serving adaptations (``imaging_policies._serving``), in process: ``AnalyzeStack`` builds
its resource list once per request, answers exactly as the SDK alone does, and an SDK of another
shape is left alone.

Each test restores everything ``install()`` changes in the SDK, so the rest of the session sees the
SDK as installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from imaging_policies import PACK_NAME, POLICIES, _serving
from pulumi_policy import EnforcementLevel
from pulumi_policy import policy as sdk

from preflight.judge import analyzer
from tests.conftest import site_plan

_MODULE_NAMES = ("json_format", "deserialize_properties", "unknown_checking_proxy", "StackValidationArgs")
_SERVICER_NAMES = (
    "ConfigureStack",
    "AnalyzeStack",
    "_configure_runtime_settings",
    "_get_resource_options",
    "_get_provider_resource",
)
_STACK_POLICIES = sum(isinstance(p, sdk.StackValidationPolicy) for p in POLICIES)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URN of every ``PolicyResource`` the SDK builds during the test (the seam that counts the
    resource conversion); the SDK is restored afterwards."""
    for name in _MODULE_NAMES:
        monkeypatch.setattr(sdk, name, getattr(sdk, name))
    for name in _SERVICER_NAMES:
        monkeypatch.setattr(sdk._PolicyAnalyzerServicer, name, getattr(sdk._PolicyAnalyzerServicer, name))
    urns: list[str] = []

    class Counted(sdk.PolicyResource):  # type: ignore[misc]
        def __init__(self, *args: Any) -> None:
            urns.append(args[2])
            super().__init__(*args)

    monkeypatch.setattr(sdk, "PolicyResource", Counted)
    return urns


def _analyze_stack(site: str, mode: str) -> bytes:
    servicer = sdk._PolicyAnalyzerServicer(PACK_NAME, "0.0.1", POLICIES, EnforcementLevel.MANDATORY)
    response = servicer.AnalyzeStack(analyzer.stack_request(site_plan(site, mode)), None)
    assert response.diagnostics or response.not_applicable, "a test request the policies have nothing to say about"
    return bytes(response.SerializeToString(deterministic=True))


@pytest.mark.parametrize("mode", ["update", "preview"])
def test_analyze_stack_builds_the_resource_list_once_and_answers_as_the_sdk_does(built: list[str], mode: str) -> None:
    resources = len(site_plan("lausanne", mode))
    assert _STACK_POLICIES > 1
    alone = _analyze_stack("lausanne", mode)
    assert len(built) == resources * _STACK_POLICIES  # the SDK alone: once per stack policy

    _serving.install()
    _serving.install()  # idempotent
    assert getattr(sdk._PolicyAnalyzerServicer.AnalyzeStack, "_adapted", False)
    built.clear()
    assert _analyze_stack("lausanne", mode) == alone
    assert len(built) == resources  # once per request
    built.clear()
    assert _analyze_stack("lausanne", mode) == alone
    assert len(built) == resources  # and again for the next request


def test_every_stack_policy_gets_the_same_resources_in_a_list_of_its_own(
    built: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _serving.install()
    seen: list[Any] = []
    make: Callable[..., Any] = sdk.StackValidationArgs

    def recording(*args: Any, **options: Any) -> Any:
        made = make(*args, **options)
        seen.append(made.resources)
        return made

    # the adapted factory hands its list on to the SDK's class; record what each policy receives
    assert getattr(make, "_adapted", False)
    servicer = sdk._PolicyAnalyzerServicer(PACK_NAME, "0.0.1", POLICIES, EnforcementLevel.MANDATORY)
    monkeypatch.setattr(sdk, "StackValidationArgs", recording)
    servicer.AnalyzeStack(analyzer.stack_request(site_plan("lausanne", "update")), None)
    assert len(seen) == _STACK_POLICIES
    first = seen[0]
    assert first
    assert all(len(s) == len(first) and all(a is b for a, b in zip(s, first, strict=True)) for s in seen)
    assert len({id(s) for s in seen}) == len(seen)


def test_an_sdk_of_another_shape_is_left_alone_and_the_pack_still_answers(
    built: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = sdk._PolicyAnalyzerServicer.AnalyzeStack

    def analyze_stack(self: Any, request: Any, context: Any) -> Any:  # reads the request elsewhere
        return original(self, request, context)

    monkeypatch.setattr(sdk._PolicyAnalyzerServicer, "AnalyzeStack", analyze_stack)
    alone = _analyze_stack("lausanne", "update")
    resources = len(built)
    _serving.install()
    assert sdk._PolicyAnalyzerServicer.AnalyzeStack is analyze_stack
    assert not getattr(sdk.StackValidationArgs, "_adapted", False)
    built.clear()
    assert _analyze_stack("lausanne", "update") == alone
    assert len(built) == resources  # still once per stack policy
