"""A small evaluator of the part of PromQL that the site's baseline detectors use.

The pack judges a PromQL alert condition by whether it fires on sample time series (an attack) and stays quiet
on others (a normal day), never by the words its query contains; the tests use it to prove what the
components' queries do. Self-contained (the pack is published alone). It follows the Prometheus query
language (https://prometheus.io/docs/prometheus/latest/querying/) as Cloud Monitoring runs it for alert
policies (``conditionPrometheusQueryLanguage``: an incident opens while the query returns a series):

- selectors ``metric{label="v", label=~"re", label!="v"}`` with a range ``[1h]`` and ``offset 1w``;
- ``increase``, ``rate`` and ``sum_over_time`` of a range (the series are per-minute counts of a DELTA
  metric, as Cloud Monitoring stores log-based metrics and ``sent_bytes_count``: ``increase`` is their
  sum over the range, ``rate`` that sum per second);
- ``sum``, ``max``, ``min`` with an optional ``by (labels)``; ``vector(s)``, ``clamp_min(v, s)``,
  ``hour()`` (UTC, of the evaluation time);
- arithmetic ``* / + -``, comparisons ``> >= < <= == !=`` (filtering, no ``bool``), and the set
  operators ``and``, ``or``, ``unless``, with PromQL's precedence (``or`` lowest).

Vector matching is on the full label set (no ``on``/``ignoring``); an aggregation over no series returns no
series, as in Prometheus (which is why a baseline of ``0`` needs ``or vector(0)``). Anything else raises
:class:`PromQLError`: a caller that cannot parse a query cannot prove what it does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TOKEN: Final = re.compile(
    r"\s+|(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![smhdw\w]))|(?P<duration>\d+[smhdw])"
    r'|(?P<string>"(?:[^"\\]|\\.)*")|(?P<op>==|!=|>=|<=|=~|!~|[-+*/><=(){}\[\],])'
    r"|(?P<name>[A-Za-z_:][A-Za-z0-9_:.]*)|(?P<bad>.)"
)
_AGGREGATIONS: Final[dict[str, Callable[[list[float]], float]]] = {"sum": sum, "max": max, "min": min}
_COMPARISONS: Final[dict[str, Callable[[float, float], bool]]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_ARITHMETIC: Final[dict[str, Callable[[float, float], float]]] = {
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b else float("inf"),
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
}
STEP: Final = 60
"""Seconds between two points of a sample series (Cloud Monitoring's sampling period of these metrics)."""


class PromQLError(ValueError):
    """A query outside the supported subset, or not PromQL at all."""


@dataclass(frozen=True)
class Series:
    """One sample series: a metric name, its labels and its per-minute values by epoch second."""

    name: str
    labels: Mapping[str, str]
    points: Mapping[int, float]


Labels = frozenset[tuple[str, str]]
Vector = dict[Labels, float]
Value = float | Vector


@dataclass(frozen=True)
class Selector:
    """One selector of a query: its metric name, label matchers ``(label, op, value)``, range and offset."""

    name: str
    matchers: tuple[tuple[str, str, str], ...]
    range: int | None = None
    offset: int = 0

    def picks(self, series: Series) -> bool:
        if series.name != self.name:
            return False
        for label, op, value in self.matchers:
            actual = series.labels.get(label, "")
            if op == "=" and actual != value:
                return False
            if op == "!=" and actual == value:
                return False
            if op in ("=~", "!~") and (re.fullmatch(value, actual) is not None) != (op == "=~"):
                return False
        return True


@dataclass
class _Parser:
    tokens: list[tuple[str, str]]
    at: int = field(default=0)
    selectors: list[Selector] = field(default_factory=list)
    """Every selector read so far, in query order."""

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def word(self) -> str | None:
        token = self.peek()
        return token[1] if token is not None else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (expected is not None and token[1] != expected):
            raise PromQLError(f"expected {expected or 'more'} at token {self.at}, found {token[1] if token else 'end'}")
        self.at += 1
        return token


def _duration(text: str) -> int:
    match = re.fullmatch(r"(\d+)([smhdw])", text)
    if match is None:
        raise PromQLError(f"{text!r} is not a duration")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _tokens(query: str) -> list[tuple[str, str]]:
    found = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup
        if kind is None:
            continue
        if kind == "bad":
            raise PromQLError(f"unexpected {match.group()!r} at {match.start()}")
        found.append((kind, match.group()))
    return found


Node = Callable[[Sequence[Series], int], Value]


MAX_NESTING = 64
"""The deepest nesting of parentheses and unary minus the evaluator follows; deeper is an error, not a crash."""


def parse(query: str) -> Node:
    """The query as a function of the series and the evaluation time (epoch seconds)."""
    return _parsed(query)[0]


def selectors(query: str) -> tuple[Selector, ...]:
    """Every selector the query reads (a metric and its label matchers), in query order; raises :class:`PromQLError`
    where :func:`parse` does. What a query reads, for a caller that judges more than its samples can show."""
    return _parsed(query)[1]


def _parsed(query: str) -> tuple[Node, tuple[Selector, ...]]:
    tokens = _tokens(query)
    depth = run = 0
    for _, text in tokens:
        depth = depth + 1 if text == "(" else max(depth - 1, 0) if text == ")" else depth
        run = run + 1 if text == "-" else 0
        if depth > MAX_NESTING or run > MAX_NESTING:
            raise PromQLError(f"nested more than {MAX_NESTING} deep")
    parser = _Parser(tokens)
    try:
        node = _binary(parser, 0)
    except RecursionError:
        raise PromQLError("nested too deeply to read") from None
    if parser.peek() is not None:
        raise PromQLError(f"unexpected {parser.word()!r} after the expression")
    return node, tuple(parser.selectors)


_LEVELS: Final = (("or",), ("and", "unless"), tuple(_COMPARISONS), ("+", "-"), ("*", "/"))


def _binary(parser: _Parser, level: int) -> Node:
    if level == len(_LEVELS):
        return _unary(parser)
    left = _binary(parser, level + 1)
    while parser.word() in _LEVELS[level]:
        op = parser.take()[1]
        right = _binary(parser, level + 1)
        left = _combine(op, left, right)
    return left


def _set_operation(op: str, a: Value, b: Value) -> Vector:
    if not isinstance(a, dict) or not isinstance(b, dict):
        raise PromQLError(f"{op} needs two vectors")
    if op == "and":
        return {k: v for k, v in a.items() if k in b}
    if op == "unless":
        return {k: v for k, v in a.items() if k not in b}
    return {**{k: v for k, v in b.items() if k not in a}, **a}


def _comparison(op: str, a: Value, b: Value) -> Vector:
    test = _COMPARISONS[op]
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: v for k, v in a.items() if k in b and test(v, b[k])}
    if isinstance(a, dict):
        return {k: v for k, v in a.items() if test(v, float(b))}  # type: ignore[arg-type]
    if isinstance(b, dict):
        return {k: v for k, v in b.items() if test(float(a), v)}
    raise PromQLError(f"comparing two scalars needs bool, which this subset does not support ({op})")


def _arithmetic(op: str, a: Value, b: Value) -> Value:
    apply = _ARITHMETIC[op]
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: apply(v, b[k]) for k, v in a.items() if k in b}
    if isinstance(a, dict):
        return {k: apply(v, float(b)) for k, v in a.items()}  # type: ignore[arg-type]
    if isinstance(b, dict):
        return {k: apply(float(a), v) for k, v in b.items()}
    return apply(a, b)


def _combine(op: str, left: Node, right: Node) -> Node:
    def run(series: Sequence[Series], at: int) -> Value:
        a, b = left(series, at), right(series, at)
        if op in ("and", "or", "unless"):
            return _set_operation(op, a, b)
        if op in _COMPARISONS:
            return _comparison(op, a, b)
        return _arithmetic(op, a, b)

    return run


def _unary(parser: _Parser) -> Node:
    token = parser.take()
    kind, text = token
    if kind == "number":
        value = float(text)
        return lambda _s, _t: value
    if text == "-":
        inner = _unary(parser)
        return _combine("*", lambda _s, _t: -1.0, inner)
    if text == "(":
        node = _binary(parser, 0)
        parser.take(")")
        return node
    if kind != "name":
        raise PromQLError(f"unexpected {text!r}")
    if text in _AGGREGATIONS:
        return _aggregation(parser, text)
    if parser.word() == "(":
        return _function(parser, text)
    return _selector_node(_selector(parser, text))


def _selector(parser: _Parser, name: str) -> Selector:
    matchers: list[tuple[str, str, str]] = []
    if parser.word() == "{":
        parser.take("{")
        while parser.word() != "}":
            label = parser.take()[1]
            op = parser.take()[1]
            kind, value = parser.take()
            if op not in ("=", "!=", "=~", "!~") or kind != "string":
                raise PromQLError(f"label matcher {label}{op}{value} is not supported")
            matchers.append((label, op, value[1:-1].replace('\\"', '"').replace("\\\\", "\\")))
            if parser.word() == ",":
                parser.take(",")
        parser.take("}")
    span = None
    if parser.word() == "[":
        parser.take("[")
        span = _duration(parser.take()[1])
        parser.take("]")
    offset = 0
    if parser.word() == "offset":
        parser.take("offset")
        offset = _duration(parser.take()[1])
    selector = Selector(name, tuple(matchers), span, offset)
    parser.selectors.append(selector)
    return selector


def _labels(series: Series) -> Labels:
    return frozenset(series.labels.items())


def _selector_node(selector: Selector) -> Node:
    if selector.range is not None:
        raise PromQLError(f"range vector {selector.name}[...] outside a function")

    def run(series: Sequence[Series], at: int) -> Value:
        found: Vector = {}
        for s in series:
            if selector.picks(s):
                recent = [t for t in s.points if at - selector.offset - 300 < t <= at - selector.offset]
                if recent:
                    found[_labels(s)] = s.points[max(recent)]
        return found

    return run


def _window_sum(selector: Selector, series: Sequence[Series], at: int) -> Vector:
    assert selector.range is not None
    end = at - selector.offset
    found: Vector = {}
    for s in series:
        if selector.picks(s):
            values = [v for t, v in s.points.items() if end - selector.range < t <= end]
            if values:
                found[_labels(s)] = sum(values)
    return found


def _function(parser: _Parser, name: str) -> Node:
    parser.take("(")
    if name in ("increase", "rate", "sum_over_time"):
        selector = _selector(parser, parser.take()[1])
        parser.take(")")
        if selector.range is None:
            raise PromQLError(f"{name} needs a range vector")
        span = selector.range

        def windowed(series: Sequence[Series], at: int) -> Value:
            sums = _window_sum(selector, series, at)
            return {k: v / span for k, v in sums.items()} if name == "rate" else sums

        return windowed
    if name == "hour":
        parser.take(")")
        return lambda _s, at: {frozenset(): float(datetime.fromtimestamp(at, UTC).hour)}
    if name == "vector":
        inner = _binary(parser, 0)
        parser.take(")")
        return lambda s, at: {frozenset(): float(inner(s, at))}  # type: ignore[arg-type]
    if name == "clamp_min":
        inner = _binary(parser, 0)
        parser.take(",")
        floor = _binary(parser, 0)
        parser.take(")")

        def clamp(series: Sequence[Series], at: int) -> Value:
            value, least = inner(series, at), floor(series, at)
            if not isinstance(value, dict) or isinstance(least, dict):
                raise PromQLError("clamp_min takes a vector and a scalar")
            return {k: max(v, least) for k, v in value.items()}

        return clamp
    raise PromQLError(f"function {name}() is not supported")


def _aggregation(parser: _Parser, name: str) -> Node:
    by: tuple[str, ...] | None = None
    if parser.word() == "by":
        parser.take("by")
        parser.take("(")
        labels = []
        while parser.word() != ")":
            labels.append(parser.take()[1])
            if parser.word() == ",":
                parser.take(",")
        parser.take(")")
        by = tuple(labels)
    parser.take("(")
    inner = _binary(parser, 0)
    parser.take(")")
    combine = _AGGREGATIONS[name]

    def run(series: Sequence[Series], at: int) -> Value:
        value = inner(series, at)
        if not isinstance(value, dict):
            raise PromQLError(f"{name} takes a vector")
        groups: dict[Labels, list[float]] = {}
        for labels, v in value.items():
            key = frozenset((k, x) for k, x in labels if by is not None and k in by)
            groups.setdefault(key, []).append(v)
        return {k: combine(vs) for k, vs in groups.items()}

    return run


def fires(query: str, series: Sequence[Series], at: int) -> bool:
    """Whether the query returns a series at ``at`` (epoch seconds): an alert policy's incident opens."""
    value = parse(query)(series, at)
    if not isinstance(value, dict):
        raise PromQLError("the query is a scalar: an alert condition needs a vector")
    return bool(value)


def metric_name(metric_type: str) -> str:
    """A Cloud Monitoring metric type as PromQL names it: the first ``/`` becomes ``:``, every other character
    outside ``[A-Za-z0-9_:]`` becomes ``_`` (https://cloud.google.com/monitoring/promql/promql-mapping)."""
    domain, _, path = metric_type.partition("/")
    return re.sub(r"[^A-Za-z0-9_]", "_", domain) + ":" + re.sub(r"[^A-Za-z0-9_]", "_", path)
