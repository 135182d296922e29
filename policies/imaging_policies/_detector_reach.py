"""What a detector's query reads: only what an attacker cannot choose, whatever the samples hold.

The pack proves a detector by the sample entries and series it fires on (:mod:`imaging_policies._detection_samples`),
but a sample holds one value of each field an attacker chooses: a narrowing clause on a value no sample holds
(``AND NOT ...callerSuppliedUserAgent:"rclone"``, a principal label ``=~"reader-.+"``) passes every sample and
blinds the detector to the one attacker who uses that value. This module is the guard the samples cannot be: it
walks the query and says which part reads something the attacker picks.

A log filter (:mod:`imaging_policies._logquery`'s syntax tree) may read only what the entry's producer writes:

- the entry's monitored resource (``resource.type``, ``resource.labels.<label>``) and its log (``logName``,
  ``log_id(...)``);
- the audit payload's ``protoPayload.serviceName``, ``methodName``, ``resourceName``, ``request.resourceNames``
  (the log views a log read names) and ``status.code`` (a denied request);
- ``protoPayload.authenticationInfo.principalEmail``, only to name exactly an intended principal: ``=`` an
  intended account's email (or a person's email at an intended domain), or ``=~ "@<domain>$"`` for an intended
  domain, dots escaped as ``[.]`` or ``\\.``. A metric that must count every principal (the read-spike metric,
  the baseline detectors' source metrics) compares no principal at all.

Anything else is a finding naming the field: ``requestMetadata`` (caller IP, user agent), request bodies,
``labels``, ``httpRequest``, timestamps, ``insertId``, and a bare (global) term, which reads every string of the
entry, the user agent included.

A PromQL query (:func:`imaging_policies._promql.selectors`) may read only the metric it watches, and on it only
the labels the detector's allow-list names: Cloud Storage's sent bytes may be matched on ``monitored_resource``,
``bucket_name`` and ``project_id`` (the ``gcs_bucket`` resource's labels,
https://cloud.google.com/monitoring/api/resources#tag_gcs_bucket; the sample series carry them, so what a matcher
keeps is judged by the samples), a log-based metric on nothing (its ``principal`` label is the attacker's name).
A selector on another metric is a finding too: the samples hold no series of it, so an ``unless`` on it could
silence the detector unseen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from imaging_policies._logquery import And, Compare, Global, LogId, Node, Not, Or, QuerySyntaxError, parse
from imaging_policies._promql import selectors

PRINCIPAL: Final = ("protoPayload", "authenticationInfo", "principalEmail")
UNCHOSEN: Final = frozenset(
    {
        ("resource", "type"),
        ("logName",),
        ("protoPayload", "serviceName"),
        ("protoPayload", "methodName"),
        ("protoPayload", "resourceName"),
        ("protoPayload", "request", "resourceNames"),
        ("protoPayload", "status", "code"),
    }
)
"""The fields of an entry its producer writes and an attacker cannot choose (``resource.labels.*`` too)."""
_DOMAIN: Final = re.compile(r"@((?:[a-z0-9-]|\[\.\]|\\\.)+)\$")
"""``@<domain>$`` with every dot escaped (``[.]`` or ``\\.``): the one regular expression on a principal read."""

SENT_BYTES_LABELS: Final = frozenset({"monitored_resource", "bucket_name", "project_id"})
"""The labels a query on the image bucket's sent bytes may match: which bucket, never which request."""


@dataclass(frozen=True)
class Intended:
    """Who a detector may name in its filter: account emails and directory domains (lower case)."""

    accounts: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()


EVERYONE_COUNTED: Final = None
"""The intent of a metric that must count every principal: no principal comparison at all."""


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _comparisons(node: Node) -> Iterator[Compare | Global]:
    """Every comparison and bare term of the tree (``log_id`` reads the log: nothing to judge)."""
    if isinstance(node, Compare | Global):
        yield node
    elif isinstance(node, Not):
        yield from _comparisons(node.operand)
    elif isinstance(node, And | Or):
        for operand in node.operands:
            yield from _comparisons(operand)
    else:
        assert isinstance(node, LogId)


def _names_intended(compare: Compare, intended: Intended) -> bool:
    if compare.op == "=":
        local, at, domain = compare.value.rpartition("@")
        return _fold(compare.value) in intended.accounts or bool(local and at and _fold(domain) in intended.domains)
    found = _DOMAIN.fullmatch(compare.value) if compare.op == "=~" else None
    return found is not None and found[1].replace("[.]", ".").replace("\\.", ".") in intended.domains


_ASSET_NAMES: Final = frozenset({("protoPayload", "resourceName"), ("protoPayload", "request", "resourceNames")})
"""The fields that name what an entry touched: unchosen, but a comparison on them decides which assets count."""
_WHOLE_BUCKET: Final = re.compile(r"/?(?:projects/[^/]+/)?(?:locations/[^/]+/)?buckets/[^/]+/?")


def _whole_asset(term: Compare) -> bool:
    """A comparison naming a whole bucket (``:`` or ``=`` on ``[projects/<p>/][locations/<l>/]buckets/<b>[/]``),
    never an object path, a log view or a pattern."""
    return term.op in (":", "=") and _WHOLE_BUCKET.fullmatch(term.value) is not None


def _resource_label(path: tuple[str, ...]) -> bool:
    return len(path) == 3 and path[:2] == ("resource", "labels")


def _shown(compare: Compare) -> str:
    path = ".".join(compare.path)
    return f"{path}:*" if compare.op == ":*" else f'{path}{compare.op}"{compare.value}"'


def filter_problems(tree: Node, intended: Intended | None) -> list[str]:
    """Why the filter ``tree`` may let an attack through whatever the samples hold (``[]``: it reads only what an
    attacker cannot choose). ``intended``: who it may name in principal comparisons; ``None``
    (:data:`EVERYONE_COUNTED`): nobody, the metric counts every principal."""
    found: list[str] = []
    for term in _comparisons(tree):
        if isinstance(term, Global):
            found.append(
                f'reads the bare term "{term.term}", which searches every string of the entry (the caller\'s user '
                "agent and address included, which the attacker chooses): name a field"
            )
        elif term.path == PRINCIPAL and intended is None:
            found.append(
                f"compares {_shown(term)}: the metric must count every principal, so it names none (an attacker "
                "reads as whoever they are)"
            )
        elif term.path == PRINCIPAL and not _names_intended(term, intended or Intended()):
            found.append(
                f"compares {_shown(term)}, which is not exactly an intended principal: an attacker whose name it "
                'matches is not seen. Name each intended account with = and each intended domain with =~"@<domain>$"'
            )
        elif term.path in _ASSET_NAMES and not _whole_asset(term):
            found.append(
                f"compares {_shown(term)}, which names part of an asset (an object path, a view), not a whole bucket: "
                "the reads it leaves out are not counted, and an attacker reads there. Name whole buckets only"
            )
        elif term.path != PRINCIPAL and term.path not in UNCHOSEN and not _resource_label(term.path):
            found.append(
                f"reads {'.'.join(term.path)}, which the caller chooses (their client, address or request): an "
                "attacker who picks another value is not seen. Read only the entry's resource, log, service, method, "
                "resource name, status and intended principals"
            )
    return list(dict.fromkeys(found))


def query_problems(query: str, source: str, labels: frozenset[str] = frozenset()) -> list[str]:
    """Why a PromQL query on the metric ``source`` may miss an attack whatever the sample series hold (``[]``: it
    reads only ``source``, matched on ``labels`` at most). Raises :class:`imaging_policies._promql.PromQLError` on a
    query the evaluator cannot read."""
    found: list[str] = []
    for selector in selectors(query):
        if selector.name != source:
            found.append(
                f"also reads {selector.name}, whose series no sample holds: an and/unless on it can silence the "
                f"detector unseen. Read {source} only"
            )
            continue
        for label, op, value in selector.matchers:
            if label not in labels:
                allowed = f"only {', '.join(sorted(labels))}" if labels else "no label"
                found.append(
                    f'matches {source}{{{label}{op}"{value}"}}: the detector must count every {label}, and may '
                    f"match {allowed}"
                )
    return list(dict.fromkeys(found))


ALLOWED_LABELS: Final = {"egress-vs-last-week": SENT_BYTES_LABELS}
"""Per baseline or off-hours detector, the labels its query may match on its metric (absent: none)."""


def counting_everyone(log_filter: object) -> list[str]:
    """Why the filter of a metric that must count every principal (the read-spike metric) may not: what it reads
    beyond the unchosen fields, or any principal it names (``[]`` for a filter that is not a string or cannot be
    parsed: its caller finds that by the samples)."""
    if not isinstance(log_filter, str):
        return []
    try:
        return filter_problems(parse(log_filter), EVERYONE_COUNTED)
    except QuerySyntaxError:
        return []
