"""What the pinned provider schema says about a resource type, read from the installed ``pulumi_gcp``
SDK (generated from that schema): its input and output properties, their wire names and types, and a
value of the right form for an output the provider computes.

The mock engine (``preflight/engine/gcp_model.py``) models the outputs of the types a site uses rule by rule.
Any other type a program creates still gets every output the provider would compute, here, so that a
program formatting one (``instance.connection_name``, ``instance.network_interfaces[0]``) runs in
every mode instead of meeting ``None``.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

_DEPTH = 3
"""How deep nested output objects are filled (deeper ones are left empty)."""


def resource_class(token: str) -> type | None:
    """The ``pulumi_gcp`` class of ``token`` (``gcp:sql/databaseInstance:DatabaseInstance``), or None."""
    package, _, rest = token.partition(":")
    if package != "gcp" or "/" not in rest:
        return None
    module, _, name = rest.partition("/")
    try:
        found = getattr(importlib.import_module(f"pulumi_gcp.{module}"), name.split(":")[-1], None)
    except ImportError:
        return None
    return found if isinstance(found, type) and issubclass(found, pulumi.CustomResource) else None


def _getters(cls: type) -> dict[str, Any]:
    """Wire name -> the getter function, for every ``pulumi.getter`` property of ``cls``."""
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for attribute in vars(klass).values():
            if isinstance(attribute, property) and attribute.fget is not None:
                name = getattr(attribute.fget, "_pulumi_name", None)
                if isinstance(name, str):
                    found[name] = attribute.fget
    return found


def getters(token: str) -> dict[str, Any]:
    """Wire name -> the getter of each output of ``token`` (its docstring is the schema's description)."""
    cls = resource_class(token)
    return _getters(cls) if cls is not None else {}


@functools.cache
def inputs_of(token: str) -> tuple[frozenset[str], frozenset[str]]:
    """The wire names of the type's inputs, and the inputs no getter names (none, in a sound SDK).

    The inputs are the parameters of the resource's ``_internal_init``, named as its getters name them
    (``pulumi.getter(name=...)``); not its ``*Args`` class by name: a package may export a nested input
    type under the same name (``compute.SecurityPolicyRuleArgs`` is a rule of ``SecurityPolicy.rules``)."""
    cls = resource_class(token)
    if cls is None:
        return frozenset(), frozenset()
    wire = {
        attr: getattr(member.fget, "_pulumi_name", attr)
        for attr, member in inspect.getmembers(cls)
        if isinstance(member, property)
    }
    init: Any = vars(cls).get("_internal_init")  # every generated resource class has one
    if init is None:
        return frozenset(), frozenset()
    inputs = set(inspect.signature(init).parameters) - {"__self__", "resource_name", "opts", "__props__"}
    return frozenset(wire[p] for p in inputs if p in wire), frozenset(inputs - set(wire))


def input_names(token: str) -> frozenset[str]:
    """The wire names of the type's inputs (:func:`inputs_of`), empty when the type is unknown."""
    return inputs_of(token)[0]


@functools.cache
def output_types(token: str) -> Mapping[str, Any]:
    """Wire name -> Python type of every output of the type (``pulumi.Output[T]`` unwrapped)."""
    cls = resource_class(token)
    if cls is None:
        return {}
    return {name: _unwrap(_return(getter)) for name, getter in _getters(cls).items()}


@functools.cache
def always_set(token: str) -> frozenset[str]:
    """The outputs the schema says are always set after create (``Output[T]``, not ``Output[Optional[T]]``):
    what the provider fills in when the program leaves them out (a cluster's ``masterAuth``)."""
    cls = resource_class(token)
    if cls is None:
        return frozenset()
    return frozenset(name for name, getter in _getters(cls).items() if _always(_return(getter)))


def _always(hint: Any) -> bool:
    """``T`` or ``Output[T]`` (never absent), as opposed to ``Optional[T]`` / ``Output[Optional[T]]``."""
    if typing.get_origin(hint) is pulumi.Output and typing.get_args(hint):
        hint = typing.get_args(hint)[0]
    return type(None) not in typing.get_args(hint) or typing.get_origin(hint) is not typing.Union


def computed_only(token: str) -> list[str]:
    """The outputs that are not inputs: what only the provider sets (ids, links, statuses, names)."""
    inputs = input_names(token)
    return [name for name in output_types(token) if name not in inputs]


def _words(text: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in text).strip("-")


_FORMS: tuple[tuple[tuple[str, ...], Any], ...] = (
    (("-email", "-email-address", "-service-account-email-address"), lambda s: f"{s}@example.iam.gserviceaccount.com"),
    (("-ip-address", "-ip", "-nat-ip", "-network-ip", "-address", "-gateway-address"), lambda s: "10.0.0.2"),
    (("-uri", "-url", "-endpoint-url"), lambda s: f"https://{s}.example.com"),
    (("-self-link",), lambda s: f"https://www.googleapis.com/compute/v1/{s}"),
)
"""Strings whose documented form a program may parse (an address, a URL, an email), by the field's name."""


def _string_form(seed: str) -> str:
    """A placeholder string in the documented form of the field ``seed`` ends with, else ``seed``."""
    for suffixes, form in _FORMS:
        if seed.endswith(suffixes) and not (suffixes[0] == "-ip-address" and "email" in seed):
            return str(form(seed))
    return seed


def placeholder(hint: Any, seed: str, depth: int = 0) -> Any:
    """A value of the form ``hint`` says: a string, number or flag; a list of one element; an object
    with each of its fields filled (``_DEPTH`` levels deep). ``seed`` makes strings readable."""
    hint = _unwrap(hint)
    origin = typing.get_origin(hint)
    scalar: dict[Any, Any] = {str: _string_form(seed), bool: False, int: 1.0, float: 1.0}
    if hint in scalar:
        return scalar[hint]
    if origin in (list, Sequence) or hint in (list, Sequence):
        args = typing.get_args(hint)
        return [placeholder(args[0] if args else str, seed, depth)]
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        return {}
    if isinstance(hint, type):
        getters = _getters(hint) if depth < _DEPTH else {}
        return {name: placeholder(_return(g), f"{seed}-{_words(name)}", depth + 1) for name, g in getters.items()}
    return seed


def _unwrap(hint: Any) -> Any:
    """``Optional[T]`` and ``pulumi.Output[T]`` -> ``T``."""
    while True:
        origin = typing.get_origin(hint)
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if (origin is typing.Union and args) or (origin is pulumi.Output and args):
            hint = args[0]
        else:
            return hint


@functools.cache
def _return(getter: Any) -> Any:
    """The getter's declared type, its forward references (``'outputs.X'``) resolved."""
    module = importlib.import_module(getter.__module__)
    try:
        return typing.get_type_hints(getter, vars(module)).get("return", str)
    except (NameError, AttributeError, TypeError):
        return getattr(getter, "__annotations__", {}).get("return", str)


def fill_nested(value: Any, hint: Any, seed: str, depth: int = 0) -> Any:
    """``value`` as the program declared it, with each nested field it leaves out given a value (an
    instance's ``networkInterfaces[0].networkIp``, which the provider computes). For the program only."""
    hint = _unwrap(hint)
    if isinstance(value, list):
        args = typing.get_args(hint)
        return [fill_nested(v, args[0] if args else Any, seed, depth) for v in value]
    if not (isinstance(value, dict) and isinstance(hint, type)) or depth >= _DEPTH:
        return value
    getters = _getters(hint)
    if not getters:
        return value
    filled = dict(value)
    for name, getter in getters.items():
        hint_of = _return(getter)
        if name in filled:
            filled[name] = fill_nested(filled[name], hint_of, f"{seed}-{_words(name)}", depth + 1)
        else:
            filled[name] = placeholder(hint_of, f"{seed}-{_words(name)}", depth + 1)
    return filled


def computed_outputs(token: str, name: str, present: Mapping[str, Any]) -> dict[str, Any]:
    """A value for every output of ``token`` that the provider sets and ``present`` lacks (those only it
    sets, and those the schema says are always set), and each present object's nested fields likewise."""
    types = output_types(token)
    wanted = set(computed_only(token)) | always_set(token)
    found = {
        key: placeholder(types[key], f"{name}-{_words(key)}")
        for key in types
        if key in wanted and key not in present and key not in ("id", "urn")
    }
    if "connectionName" in found:  # Cloud SQL's documented form, which programs split on ':'
        found["connectionName"] = f"{present.get('project', 'project')}:{present.get('region', 'region')}:{name}"
    for key, value in present.items():
        if key in types and isinstance(value, list | dict):
            nested = fill_nested(value, types[key], f"{name}-{_words(key)}")
            if nested != value:
                found[key] = nested
    return found


def invoke_outputs(token: str, given: Mapping[str, Any]) -> dict[str, Any] | None:
    """A pulumi-gcp invoke's answer in the form its result type gives (``gcp:compute/getZones:getZones``:
    ``GetZonesResult``), each field a placeholder unless the call gave it; ``None`` for a token the SDK
    does not know."""
    package, _, rest = token.partition(":")
    if package != "gcp" or "/" not in rest:
        return None
    module, _, name = rest.partition("/")
    function = name.split(":")[-1]
    try:
        result = getattr(
            importlib.import_module(f"pulumi_gcp.{module}"), f"{function[:1].upper()}{function[1:]}Result", None
        )
    except ImportError:
        return None
    if not isinstance(result, type):
        return None
    seed = function.removeprefix("get").lower() or "result"
    answer = {key: placeholder(_return(getter), f"{seed}-{_words(key)}") for key, getter in _getters(result).items()}
    return {**answer, **{key: value for key, value in given.items() if key in answer}}
