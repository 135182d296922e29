"""Reading policy props without tripping over preview unknowns.

Props arrive as read-only proxies with camelCase wire names; reading a value that is unknown
during preview raises ``UnknownValueError``, which would turn the whole policy into a "can't run
during preview" note. These helpers read one leaf at a time and return :data:`UNKNOWN` instead,
so each policy decides what an unknown leaf means for its own control.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError


class _Unknown:
    def __repr__(self) -> str:
        return "<unknown during preview>"


PUBLIC_PRINCIPALS: Final = frozenset({"allUsers", "allAuthenticatedUsers"})
"""IAM members that mean anyone (on the internet, or with any Google account)."""

UNKNOWN: Final = _Unknown()
"""Returned for a value that the engine cannot know yet (a fresh site's first preview)."""


def leaf(props: Any, *path: str | int) -> Any:
    """The value at ``path`` (keys and list indexes), ``None`` if absent, :data:`UNKNOWN` if unknown."""
    current = props
    for step in path:
        try:
            if isinstance(step, int):
                if not isinstance(current, Sequence) or isinstance(current, str) or step >= len(current):
                    return None
                current = current[step]
            else:
                if not isinstance(current, Mapping):
                    return None
                current = current.get(step)
        except UnknownValueError:
            return UNKNOWN
        if current is None:
            return None
    return current


def known(props: Any, *path: str | int, resource: str | None = None) -> Any:
    """The value at ``path`` like :func:`leaf`, but an unknown value raises ``UnknownValueError`` naming
    the path. For a leaf whose unknown value could hide a violation: the SDK then reports the policy as
    not run during preview ("can't run policy ... during preview: string value at .<path> can't be known
    during preview") instead of a silent pass, and ``pulumi up`` judges the known value.

    A stack policy names the resource (its logical name) too, as the path's first step in brackets:
    ``.[lau-images].logging.logBucket``; the SDK reports a stack policy's skip for the whole stack."""
    value = leaf(props, *path)
    if value is UNKNOWN:
        steps = [str(step) for step in path]
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [f"[{resource}]", *steps] if resource else steps)
    return value


def is_set(props: Any, *path: str) -> bool:
    """True when the leaf holds a non-empty value; an unknown value counts as set (it is computed)."""
    value = leaf(props, *path)
    return value is UNKNOWN or value not in (None, "", [], {})


def items(props: Any, *path: str) -> list[Any]:
    """The elements of a list leaf, each either a value or :data:`UNKNOWN`; ``[]`` if absent."""
    value = leaf(props, *path)
    if value is UNKNOWN:
        return [UNKNOWN]
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [leaf(value, index) for index in range(len(value))]


def grants(props: Any) -> list[tuple[Any, Any, Any]]:
    """Every (role, member, condition expression) an IAM resource grants: ``member``, ``members`` or the
    bindings of a ``policyData`` document. The condition is ``None`` when the grant has none."""
    role = leaf(props, "role")
    condition = leaf(props, "condition", "expression")
    found: list[tuple[Any, Any, Any]] = []
    if leaf(props, "member") is not None:
        found.append((role, leaf(props, "member"), condition))
    found.extend((role, m, condition) for m in items(props, "members"))
    policy = leaf(props, "policyData")
    if policy is UNKNOWN:
        found.append((UNKNOWN, UNKNOWN, None))
    elif isinstance(policy, str):
        try:
            bindings = json.loads(policy).get("bindings") or []
        except (ValueError, AttributeError):
            bindings = []
        for binding in bindings if isinstance(bindings, list) else []:
            if isinstance(binding, dict):
                expression = (binding.get("condition") or {}).get("expression")
                found.extend((binding.get("role"), m, expression) for m in binding.get("members") or [])
    return found


def unknown_grant(props: Any) -> tuple[str | int, ...] | None:
    """The path of the first grant value (``role``, ``member``, ``members`` or one of them, ``policyData``)
    that is unknown during preview, else ``None``."""
    for key in ("role", "member", "policyData"):
        if leaf(props, key) is UNKNOWN:
            return (key,)
    listed = leaf(props, "members")
    if listed is UNKNOWN:
        return ("members",)
    return next((("members", i) for i, m in enumerate(items(props, "members")) if m is UNKNOWN), None)


def judge_grant_at_update(props: Any, resource: str | None = None) -> None:
    """Raise ``UnknownValueError`` naming the grant's unknown principal or role, if it has one: who holds what
    on a protected asset is "not judged in preview (judged at update)", never met. A policy calls it after
    reporting what it could judge from the known grants."""
    path = unknown_grant(props)
    if path is not None:
        known(props, *path, resource=resource)


def members(props: Any) -> list[Any]:
    """Every (role, member) an IAM resource grants: ``member``, ``members`` or ``policyData``."""
    return [(role, member) for role, member, _ in grants(props)]


def property_dependencies(resource: Any, key: str) -> set[str]:
    """The URNs a stack resource's property ``key`` was computed from (its ``propertyDependencies``)."""
    return {d.urn for d in resource.property_dependencies.get(key, [])}


def refers_by_dependency(resource: Any, key: str, target: Any) -> bool:
    """Whether ``resource``'s property ``key`` was computed from ``target``: a reference that holds even
    when the value itself is unknown (a first preview)."""
    return target.urn in property_dependencies(resource, key)


def as_str(value: Any) -> str | None:
    """The value if it is a known string, else ``None``."""
    return value if isinstance(value, str) else None


def _path(reference: str) -> str:
    """A reference without its API prefix: ``projects/...`` of a self link, else the reference itself. The
    provider stores compute references as full links, ``https://www.googleapis.com/compute/v1/...`` where
    it normalises them (``ConvertSelfLinkToV1``) and the API's own (``.../compute/beta/...``) where it does
    not; a program declares a path, a link or a name."""
    index = reference.find("projects/")
    return reference[index:] if index >= 0 else reference


def names(reference: Any, candidate: Any) -> bool:
    """Whether a known reference string names the stack resource ``candidate``: its id or self link, its
    ``projects/<project>/.../<name>`` path in the candidate's project, or its bare name."""
    if not isinstance(reference, str):
        return False
    target = _path(reference)
    if any(target == _path(i) for k in ("id", "selfLink") if (i := as_str(leaf(candidate.props, k)))):
        return True
    name, project = as_str(leaf(candidate.props, "name")), as_str(leaf(candidate.props, "project"))
    if name is None:
        return False
    if target == name:
        return True
    return target.endswith(f"/{name}") and (project is None or target.startswith(f"projects/{project}/"))


def references(resource: Any, key: str, value: Any, candidate: Any) -> bool:
    """Whether ``value`` (read from ``resource``'s property ``key``) points at ``candidate``: by name when
    the value is known, by the property's dependency when it is not (a first preview)."""
    if isinstance(value, str):
        return names(value, candidate)
    return value is UNKNOWN and refers_by_dependency(resource, key, candidate)


def bucket_name(value: Any) -> str | None:
    """A bucket's name from any form a reference to it takes: the name, ``b/<name>`` (how the provider
    stores a bucket IAM resource's ``bucket``: ``GetResourceId`` in terraform-provider-google-beta
    google-beta/services/storage/iam_storage_bucket.go), ``gs://<name>`` or its self link."""
    text = as_str(value)
    if text is None:
        return None
    for prefix in (
        "https://www.googleapis.com/storage/v1/b/",
        "https://storage.googleapis.com/storage/v1/b/",
        "gs://",
        "b/",
    ):
        if text.startswith(prefix):
            return text.removeprefix(prefix).split("/", 1)[0]
    return text
