"""A small evaluator of the part of the Cloud Logging query language that log filters use.

The pack judges sink, exclusion and alert filters by what they select from sample log entries
(:mod:`imaging_policies._log_samples`), not by the terms they contain; the tests use it to prove what
the components' filters select. Self-contained (the pack is published alone). It follows Google's
"Logging query language" reference (https://cloud.google.com/logging/docs/view/logging-query-language):

- Boolean operators ``AND``, ``OR``, ``NOT`` (upper case only: lower-case ``and``/``or``/``not``
  are search terms), ``AND`` implied between juxtaposed terms, and parentheses. Precedence is
  Google's, not the usual one: "The NOT operator has the highest precedence, followed by OR and
  AND in that order", so ``a AND b OR c`` means ``a AND (b OR c)``.
- Comparisons ``field = value``, ``field != value``, ``field : value`` (has: substring),
  ``field =~ regex``, ``field !~ regex``, ``field:*`` (presence) and the orderings ``< <= > >=``.
  Values are quoted strings or bare words. String ``=``/``:`` ignore case (NFKC + casefold, close
  to the documented NFKC_CF); regular expressions are case-sensitive and unanchored. Orderings
  compare ``severity`` by level (``DEFAULT`` < ``DEBUG`` < ... < ``EMERGENCY``), numbers as numbers
  and other values as strings (RFC 3339 timestamps order that way). An entry without ``severity``
  has severity ``DEFAULT``, as Cloud Logging stores it.
- Field paths with dots; a path that crosses a list compares every element, joined with OR. A
  comparison on a missing field fails (so ``NOT f = x`` is true and ``f != x`` is false there).
- A bare word or quoted string alone is a global restriction: it matches when any string value
  anywhere in the entry contains it, ignoring case.
- ``log_id("x")``: the entry's ``logName`` is ``<parent>/logs/<x URL-encoded>``.

Anything else raises :class:`QuerySyntaxError` instead of being guessed at (a caller that cannot
parse a filter cannot prove what it selects): ``-`` as NOT and ``--`` comments, a parenthesised
right-hand side (``f = ("a" OR "b")``), quoted field-path segments, ``NULL_VALUE``, escapes other
than ``\\"`` and ``\\\\``, and every function but ``log_id``. Known simplifications: field names are
matched case-sensitively, defaulted LogEntry fields other than ``severity`` are treated as missing,
``:`` and global restrictions look only at string values, and regular expressions use Python's
``re``, which agrees with RE2 on plain patterns.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

Entry = Mapping[str, Any]
_KEYWORDS = frozenset({"AND", "OR", "NOT"})
_TOKEN = re.compile(
    r'\s+|(?P<string>"(?:[^"\\]|\\.)*")|(?P<op>!=|=~|!~|<=|>=|[=:<>])|(?P<punct>[(),*])'
    r'|(?P<word>[^\s"()=:!<>,*~-][^\s"()=:!<>,*~]*)|(?P<bad>.)',
    re.DOTALL,
)
_ORDERINGS = frozenset({"<", "<=", ">", ">="})
SEVERITIES: dict[str, int] = {
    "DEFAULT": 0,
    "DEBUG": 100,
    "INFO": 200,
    "NOTICE": 300,
    "WARNING": 400,
    "ERROR": 500,
    "CRITICAL": 600,
    "ALERT": 700,
    "EMERGENCY": 800,
}
"""LogSeverity levels (google.logging.type.LogSeverity), by name."""
_LOG_NAME = re.compile(r"(?:projects|folders|organizations|billingAccounts)/[^/]+/logs/(?P<id>[^/]+)")


class QuerySyntaxError(ValueError):
    """The query is malformed, or uses syntax this evaluator deliberately does not implement."""


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _values(node: Any, path: Sequence[str]) -> Iterator[Any]:
    """Every value at ``path`` below ``node``; a list on the way (or at the end) yields each element."""
    if isinstance(node, list):
        for item in node:
            yield from _values(item, path)
    elif not path:
        yield node
    elif isinstance(node, Mapping) and path[0] in node:
        yield from _values(node[path[0]], path[1:])


def _strings(node: Any) -> Iterator[str]:
    """Every string value anywhere below ``node`` (what a global restriction searches)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _equals(field: Any, value: str) -> bool:
    if isinstance(field, str):
        return _fold(field) == _fold(value)
    if isinstance(field, bool):
        return _fold(value) == str(field).casefold()
    if isinstance(field, int | float):
        try:
            return float(value) == field
        except ValueError:
            return False  # "If an attempted conversion fails, then the comparison fails."
    return False  # objects and JSON nulls never equal a scalar


def _rank(path: Sequence[str], value: Any) -> float | str | None:
    """What a field value orders by: a severity's level, a number, or the string itself."""
    if isinstance(value, bool) or value is None or isinstance(value, Mapping):
        return None
    if tuple(path) == ("severity",):
        text = str(value).upper()
        return float(SEVERITIES[text]) if text in SEVERITIES else _number(value)
    return float(value) if isinstance(value, int | float) else (_number(value) if _number(value) is not None else value)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _ordered(path: Sequence[str], field: Any, op: str, value: str) -> bool:
    left, right = _rank(path, field), _rank(path, value)
    if left is None or right is None:
        return False
    if isinstance(left, str) or isinstance(right, str):
        left, right = str(left), str(right)
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]  # type: ignore[operator]


@dataclass(frozen=True)
class Compare:
    """``path op value``: true when any value at ``path`` satisfies the operator."""

    path: tuple[str, ...]
    op: str
    value: str

    def matches(self, entry: Entry) -> bool:
        """Whether ``entry`` satisfies the comparison."""
        found = list(_values(entry, self.path))
        if self.path == ("severity",) and not found:
            found = ["DEFAULT"]  # the LogEntry default: an entry without severity has DEFAULT
        if self.op == ":*":
            return bool(found)
        if self.op in _ORDERINGS:
            return any(_ordered(self.path, v, self.op, self.value) for v in found)
        if self.op == "=":
            return any(_equals(v, self.value) for v in found)
        if self.op == "!=":
            return any(v is not None and not isinstance(v, Mapping) and not _equals(v, self.value) for v in found)
        texts = [v for v in found if isinstance(v, str)]
        if self.op == ":":
            return any(_fold(self.value) in _fold(t) for t in texts)
        hits = [re.search(self.value, t) is not None for t in texts]
        return any(hits) if self.op == "=~" else any(not hit for hit in hits)


@dataclass(frozen=True)
class Global:
    """A bare value: some string in the entry contains it."""

    term: str

    def matches(self, entry: Entry) -> bool:
        """Whether any string field of ``entry`` contains the term."""
        return any(_fold(self.term) in _fold(s) for s in _strings(entry))


@dataclass(frozen=True)
class LogId:
    """``log_id("x")``: the entry belongs to log ``x``."""

    log_id: str

    def matches(self, entry: Entry) -> bool:
        """Whether ``entry.logName`` names this log (the ID URL-encoded, as in real log names)."""
        found = _LOG_NAME.fullmatch(str(entry.get("logName", "")))
        return found is not None and _fold(found["id"]) == _fold(quote(self.log_id, safe=""))


@dataclass(frozen=True)
class Not:
    """``NOT x``."""

    operand: Node

    def matches(self, entry: Entry) -> bool:
        """Whether ``entry`` fails the operand."""
        return not self.operand.matches(entry)


@dataclass(frozen=True)
class And:
    """``a AND b ...`` (or juxtaposed terms)."""

    operands: tuple[Node, ...]

    def matches(self, entry: Entry) -> bool:
        """Whether ``entry`` satisfies every operand."""
        return all(o.matches(entry) for o in self.operands)


@dataclass(frozen=True)
class Or:
    """``a OR b ...``."""

    operands: tuple[Node, ...]

    def matches(self, entry: Entry) -> bool:
        """Whether ``entry`` satisfies some operand."""
        return any(o.matches(entry) for o in self.operands)


Node = Compare | Global | LogId | Not | And | Or


def _unescape(escape: re.Match[str]) -> str:
    if escape[1] not in '"\\':
        raise QuerySyntaxError(f"unsupported escape sequence \\{escape[1]}")
    return escape[1]


def _tokens(query: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    for m in _TOKEN.finditer(query):
        kind = m.lastgroup
        if kind is None:
            continue  # whitespace
        text = m.group()
        if kind == "bad":
            hint = " ('-' as NOT and '--' comments are not supported)" if text == "-" else ""
            raise QuerySyntaxError(f"unsupported character {text!r} at {m.start()}{hint}")
        if kind == "string":
            text = re.sub(r"\\(.)", _unescape, text[1:-1], flags=re.DOTALL)
        tokens.append((kind, text))
    return tokens


class _Parser:
    """Recursive descent; the loosest level is AND, then OR, then NOT (Google's precedence)."""

    def __init__(self, query: str) -> None:
        self.tokens = _tokens(query)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: tuple[str, str] | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            want = repr(expected[1]) if expected else "a term"
            raise QuerySyntaxError(f"expected {want}, found {token[1] if token else 'end of query'!r}")
        self.pos += 1
        return token

    def parse(self) -> Node:
        node = self.conjunction()
        if (token := self.peek()) is not None:
            raise QuerySyntaxError(f"unexpected {token[1]!r}")
        return node

    def conjunction(self) -> Node:
        operands = [self.disjunction()]
        while (token := self.peek()) is not None and token != ("punct", ")"):
            if token == ("word", "AND"):
                self.take()
            operands.append(self.disjunction())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def disjunction(self) -> Node:
        operands = [self.unary()]
        while self.peek() == ("word", "OR"):
            self.take()
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def unary(self) -> Node:
        if self.peek() == ("word", "NOT"):
            self.take()
            return Not(self.unary())
        return self.primary()

    def primary(self) -> Node:
        kind, text = self.take()
        if (kind, text) == ("punct", "("):
            node = self.conjunction()
            self.take(("punct", ")"))
            return node
        if kind == "word" and text in _KEYWORDS:
            raise QuerySyntaxError(f"operator {text} where a term was expected")
        after = self.peek()
        if kind == "word" and after == ("punct", "("):
            return self.function(text)
        if (kind == "word" and text.endswith(".")) or (kind == "string" and after is not None and after[0] == "op"):
            raise QuerySyntaxError(f"quoted field-path segments are not supported (near {text!r})")
        if after is not None and after[0] == "op":
            return self.comparison(tuple(text.split(".")))
        if kind in ("string", "word"):
            return Global(text)
        raise QuerySyntaxError(f"unexpected {text!r}")

    def comparison(self, path: tuple[str, ...]) -> Node:
        _, op = self.take()
        if op == ":" and self.peek() == ("punct", "*"):
            self.take()
            return Compare(path, ":*", "")
        kind, value = self.take()
        if kind == "punct" and value == "(":
            raise QuerySyntaxError("a parenthesised right-hand side is not supported")
        if kind not in ("string", "word") or (kind == "word" and value in _KEYWORDS | {"NULL_VALUE"}):
            raise QuerySyntaxError(f"unsupported value {value!r} after {'.'.join(path)} {op}")
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as error:
                raise QuerySyntaxError(f"bad regular expression {value!r}: {error}") from error
        return Compare(path, op, value)

    def function(self, name: str) -> Node:
        if name != "log_id":
            raise QuerySyntaxError(f"function {name}() is not supported")
        self.take(("punct", "("))
        kind, log_id = self.take()
        if kind != "string":
            raise QuerySyntaxError("log_id() takes one quoted log ID")
        self.take(("punct", ")"))
        return LogId(log_id)


@lru_cache(maxsize=256)
def parse(query: str) -> Node:
    """The syntax tree of ``query``; raises :class:`QuerySyntaxError` on syntax outside the subset."""
    if not query.strip():
        raise QuerySyntaxError("empty query")
    parser = _Parser(query)
    _nesting(parser.tokens)
    try:
        return parser.parse()
    except RecursionError:
        raise QuerySyntaxError("nested too deeply to read") from None


MAX_NESTING = 64
"""The deepest nesting of parentheses, and the longest run of NOT, the reader follows; more is a syntax
error, not a crash of the pack (a 20,000-character filter could nest thousands deep)."""


def _nesting(tokens: Sequence[tuple[str, str]]) -> None:
    depth = run = 0
    for token in tokens:
        if token == ("punct", "("):
            depth += 1
        elif token == ("punct", ")"):
            depth = max(depth - 1, 0)
        run = run + 1 if token in (("word", "NOT"), ("op", "-")) else 0
        if depth > MAX_NESTING or run > MAX_NESTING:
            raise QuerySyntaxError(f"nested more than {MAX_NESTING} deep (parentheses or NOT)")


def matches(query: str, entry: Entry) -> bool:
    """Whether the log entry ``entry`` (a LogEntry as JSON) is selected by ``query``."""
    return parse(query).matches(entry)
