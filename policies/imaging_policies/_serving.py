"""How the pack serves the engine: adaptations of the policy SDK's gRPC servicer.

1. ``ConfigureStack`` names the stack being analysed (stack, project, dry-run flag, config). The SDK
   keeps only its tags and reads everything else from the environment the engine started the pack
   with. Here the pack also adopts the stack and its config, so one pack process can analyse one
   stack after another (the offline fleet check does); under the Pulumi CLI the values are the ones
   already in the environment, so nothing changes there.
2. The SDK re-reads the stack's settings from the environment on every request (parsing the config
   JSON and inspecting ``pulumi.runtime.Settings`` each time); here only when they changed.
3. The SDK converts a request's properties from protobuf to Python, and wraps them in its
   unknown-checking proxy, once *per policy*; with ~60 policies that dominates the pack's time. Here
   each distinct message is converted and wrapped once and the result is shared by the policies,
   which only read it (``props`` is read-only by contract; no policy of this pack writes to it). The
   same holds for a resource's options and provider, which the SDK rebuilds per policy too.
4. ``AnalyzeStack`` builds its resource list (every resource's ``PolicyResource`` with its
   properties, options, provider, parent and dependencies) once *per stack policy*; with ~30 stack
   policies that was most of a stack analysis. Here the SDK's own code builds it once per request:
   the request the SDK reads lists its resources until the first stack policy's list is built and
   none after that, and ``StackValidationArgs`` gives every stack policy the resources built for
   the first (each in a list of its own; the resources are read-only by contract, as in 3). The
   SDK's loop is otherwise untouched: levels, violations, not-applicable and unknown values are
   handled as before. It applies only while the SDK's ``AnalyzeStack`` reads ``request.resources``
   in one place and hands the list it builds to ``StackValidationArgs``.

All are applied by ``install()`` before the ``PolicyPack`` starts serving; each checks that the SDK
still has the shape it adapts and otherwise leaves the SDK alone.
"""

from __future__ import annotations

import inspect
import json
import os
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import pulumi
from google.protobuf import json_format
from google.protobuf.message import Message

from imaging_policies import _site

_CONVERSIONS = 4096
"""Distinct property messages remembered: a few times the resources of the largest site."""


@lru_cache(maxsize=_CONVERSIONS)
def _to_dict(kind: Any, data: bytes) -> Any:
    return json_format.MessageToDict(kind.FromString(data))


class _Memo:
    """A pure one-argument function remembered by its argument's identity (the argument is kept alive
    with the result, so an identity is never reused while it is remembered)."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self._function = function
        self._seen: dict[int, tuple[Any, Any]] = {}

    def __call__(self, value: Any, *rest: Any) -> Any:
        if rest:
            return self._function(value, *rest)
        hit = self._seen.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        if len(self._seen) >= _CONVERSIONS:
            self._seen.clear()
        result = self._function(value)
        self._seen[id(value)] = (value, result)
        return result


class _ConvertOnce:
    """Stands in for ``json_format`` inside the SDK's policy module."""

    def __getattr__(self, name: str) -> Any:
        return getattr(json_format, name)

    @staticmethod
    def MessageToDict(message: Message, **options: Any) -> Any:  # noqa: N802 (protobuf's name)
        if options:
            return json_format.MessageToDict(message, **options)
        kind: Any = type(message)
        return _to_dict(kind, message.SerializeToString(deterministic=True))


_SETTINGS_KEYS = (
    "PULUMI_CONFIG",
    "PULUMI_CONFIG_SECRET_KEYS",
    "PULUMI_PROJECT",
    "PULUMI_STACK",
    "PULUMI_DRY_RUN",
    "PULUMI_ORGANIZATION",
)


def _settings_once(configure: Callable[[Any], None]) -> Callable[[Any], None]:
    """The SDK's per-request runtime configuration, run again only when the environment changed. Per serving
    thread: the SDK's settings and config are context variables, which each thread of the server holds on its
    own, and the SDK adds the new stack's keys to them (a thread that last served another stack would
    otherwise keep that stack's config, and every key the new stack does not set)."""
    applied = threading.local()

    def configure_if_changed(self: Any) -> None:
        current = tuple(os.environ.get(key) for key in _SETTINGS_KEYS)
        if getattr(applied, "current", None) == current:
            return
        pulumi.runtime.set_all_config({})  # the SDK sets each key of the new stack: drop the last stack's others
        configure(self)
        applied.current = current

    configure_if_changed._adapted = True  # type: ignore[attr-defined]
    return configure_if_changed


def _by_content(part: str, build: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """The SDK's per-policy builder of a request's ``part`` (options, provider), once per distinct
    content: the result is shared read-only by the policies."""
    seen: dict[bytes, Any] = {}

    def build_once(self: Any, request: Any) -> Any:
        if part == "provider" and not request.HasField("provider"):
            return None
        key = getattr(request, part).SerializeToString(deterministic=True)
        if key not in seen:
            if len(seen) >= _CONVERSIONS:
                seen.clear()
            seen[key] = build(self, request)
        return seen[key]

    build_once._adapted = True  # type: ignore[attr-defined]
    return build_once


_stack_request = threading.local()
"""The resources shared within the ``AnalyzeStack`` request this thread is serving, if any."""


class _Shared:
    """One ``AnalyzeStack`` request's resource list, once the SDK has built it."""

    def __init__(self) -> None:
        self.resources: list[Any] | None = None


class _ResourcesOnce:
    """An ``AnalyzeStack`` request whose resources the SDK reads until it has built its list once,
    and finds empty afterwards (the list is then shared); everything else is the request's."""

    def __init__(self, request: Any, shared: _Shared) -> None:
        self._request = request
        self._shared = shared

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)

    @property
    def resources(self) -> Any:
        return self._request.resources if self._shared.resources is None else ()


def _builds_list_per_policy(sdk: Any) -> bool:
    """The SDK's ``AnalyzeStack`` still has the shape ``_stack_once`` adapts: it reads
    ``request.resources`` in one place and gives the list it builds to ``StackValidationArgs``."""
    analyze_stack = getattr(getattr(sdk, "_PolicyAnalyzerServicer", None), "AnalyzeStack", None)
    if not callable(analyze_stack) or not isinstance(getattr(sdk, "StackValidationArgs", None), type):
        return False
    try:
        source = inspect.getsource(analyze_stack)
    except (OSError, TypeError):
        return False
    return (
        source.count("request.resources") == 1
        and source.count("StackValidationArgs(") == 1
        and "StackValidationArgs(resources," in source
    )


def _stack_once(analyze_stack: Callable[..., Any]) -> Callable[..., Any]:
    """The SDK's ``AnalyzeStack``, building the request's resource list for its first stack policy only."""

    def analyze_stack_once(self: Any, request: Any, context: Any) -> Any:
        shared = _Shared()
        _stack_request.shared = shared
        try:
            return analyze_stack(self, _ResourcesOnce(request, shared), context)
        finally:
            _stack_request.shared = None

    analyze_stack_once._adapted = True  # type: ignore[attr-defined]
    return analyze_stack_once


def _shared_stack_args(make: Callable[..., Any]) -> Callable[..., Any]:
    """``StackValidationArgs`` as the SDK's ``AnalyzeStack`` calls it: within a request, every stack
    policy gets the resources built for the first one."""

    def stack_args(resources: list[Any], *rest: Any, **options: Any) -> Any:
        shared: _Shared | None = getattr(_stack_request, "shared", None)
        if shared is not None:
            if shared.resources is None:
                shared.resources = resources
            resources = list(shared.resources)
        return make(resources, *rest, **options)

    stack_args._adapted = True  # type: ignore[attr-defined]
    return stack_args


def _adopt_stack(request: Any) -> None:
    """Make the stack named by a ``ConfigureStack`` request the one the pack's policies read."""
    if not request.stack:
        return
    config = dict(request.config)
    secret_keys = list(request.config_secret_keys)
    os.environ.update(
        {
            "PULUMI_STACK": request.stack,
            "PULUMI_PROJECT": request.project,
            "PULUMI_DRY_RUN": "true" if request.dry_run else "false",
            "PULUMI_CONFIG": json.dumps(config),
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(secret_keys),
        }
    )
    if request.organization:
        os.environ["PULUMI_ORGANIZATION"] = request.organization
    pulumi.runtime.set_all_config(config, secret_keys)
    _site.forget()


def install() -> None:
    """Apply the adaptations to the policy SDK's servicer (idempotent)."""
    from pulumi_policy import policy as sdk

    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    configure_stack: Callable[..., Any] | None = getattr(servicer, "ConfigureStack", None)
    if servicer is not None and configure_stack is not None and not getattr(configure_stack, "_adopts", False):

        def adopting(self: Any, request: Any, context: Any) -> Any:
            _adopt_stack(request)
            return configure_stack(self, request, context)

        adopting._adopts = True  # type: ignore[attr-defined]
        servicer.ConfigureStack = adopting
    for method, adapt in (
        ("_configure_runtime_settings", _settings_once),
        ("_get_resource_options", lambda build: _by_content("options", build)),
        ("_get_provider_resource", lambda build: _by_content("provider", build)),
    ):
        original = getattr(servicer, method, None)
        if servicer is not None and callable(original) and not getattr(original, "_adapted", False):
            setattr(servicer, method, adapt(original))
    if getattr(sdk, "json_format", None) is json_format and callable(getattr(sdk, "unknown_checking_proxy", None)):
        setattr(sdk, "json_format", _ConvertOnce())  # noqa: B010 (the SDK's module, adapted in place)
        setattr(sdk, "deserialize_properties", _Memo(getattr(sdk, "deserialize_properties")))  # noqa: B009, B010
        setattr(sdk, "unknown_checking_proxy", _Memo(getattr(sdk, "unknown_checking_proxy")))  # noqa: B009, B010
    if servicer is not None and not getattr(servicer.AnalyzeStack, "_adapted", False) and _builds_list_per_policy(sdk):
        setattr(sdk, "StackValidationArgs", _shared_stack_args(getattr(sdk, "StackValidationArgs")))  # noqa: B009, B010
        servicer.AnalyzeStack = _stack_once(servicer.AnalyzeStack)
