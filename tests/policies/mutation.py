"""Mutation cases: one change to the Lausanne site's real plan, the policy that must reject it and how.

Evaluated by the real pack process over the Analyzer protocol (``Analyze`` for resource policies,
``AnalyzeStack`` for stack ones); each test module lists its cases and calls :func:`assert_rejected`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from preflight.engine.runner import Resource
from tests.conftest import by_name, site_plan

Mutation = Callable[[list[Resource]], Resource]


@dataclass(frozen=True)
class Case:
    policy: str
    mutate: Mutation
    expected: str
    stack: bool = False
    also: frozenset[str] = frozenset()
    """Other controls the same mutation rightly breaks (overlapping controls)."""


def on(name: str, change: Callable[[Resource], None]) -> Mutation:
    """Mutate the named cloud resource's inputs and outputs alike; return it."""

    def mutate(resources: list[Resource]) -> Resource:
        target = by_name(resources, name)
        change(target)
        return target

    return mutate


def set_prop(*path: str | int, value: object) -> Callable[[Resource], None]:
    """Set (or, with ``None``, remove) the value at ``path`` (keys and list indexes) in inputs and outputs."""

    def change(r: Resource) -> None:
        for props in (r.inputs, r.outputs):
            node: Any = props
            for key in path[:-1]:
                node = node[key] if isinstance(key, int) else node.setdefault(key, {})
            if value is None and not isinstance(path[-1], int):
                node.pop(path[-1], None)
            else:
                node[path[-1]] = value

    return change


def changes(*steps: Callable[[Resource], None]) -> Callable[[Resource], None]:
    """Several changes to one resource, as one mutation step."""

    def change(r: Resource) -> None:
        for step in steps:
            step(r)

    return change


def add_resource(type_: str, name: str, inputs: dict[str, object]) -> Mutation:
    def mutate(resources: list[Resource]) -> Resource:
        urn = f"urn:pulumi:lausanne::imaging-landing-zone::{type_}::{name}"
        r = Resource(
            type=type_,
            name=name,
            urn=urn,
            custom=True,
            parent="",
            provider="",
            inputs=dict(inputs),
            outputs=dict(inputs),
            id=None,
        )
        resources.append(r)
        return r

    return mutate


def unprotect(r: Resource) -> None:
    r.protect = False


def drop_dependency(on_name: str) -> Callable[[Resource], None]:
    def change(r: Resource) -> None:
        r.dependencies = [d for d in r.dependencies if not d.endswith(f"::{on_name}")]

    return change


def remove(name: str) -> Mutation:
    def mutate(resources: list[Resource]) -> Resource:
        target = by_name(resources, name)
        resources.remove(target)
        return target

    return mutate


def assert_rejected(pack, case: Case, mode: str = "update") -> None:
    """The mutation breaks ``case.policy`` (mandatory, with the expected message) and nothing unexpected;
    ``pack`` must run in ``mode`` (``preview``: a first preview's plan, with its unknown values)."""
    resources = site_plan("lausanne", mode)
    target = case.mutate(resources)
    found = pack.analyze_stack(resources) if case.stack else pack.analyze(target)
    mine = [d for d in found if d.policy == case.policy]
    assert mine, f"{case.policy} did not fire; found {[(d.policy, d.message) for d in found]}"
    assert all(d.level == "mandatory" for d in mine)
    assert any(case.expected in d.message for d in mine), [d.message for d in mine]
    assert {d.policy for d in found} == {case.policy, *case.also}, "the mutation should break one control only"
