"""What a log filter selects from the site's sample entries: the pack's semantic view of filters.

Sinks, exclusions and alerts are judged by the entries their filters select (evaluated with
:mod:`imaging_policies._logquery` against :mod:`imaging_policies._log_samples` re-targeted to the
stack's site), never by the terms the filter text contains: ``NOT``, another spelling of the same
log, or an extra condition that narrows a filter are all seen for what they do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from imaging_policies import _log_samples as log_samples
from imaging_policies._log_samples import Sample
from imaging_policies._logquery import QuerySyntaxError, parse
from imaging_policies._props import UNKNOWN
from imaging_policies._site import site_logging


@dataclass(frozen=True)
class Selection:
    """The sample entries a filter selects; ``unknown`` in preview, ``error`` when it cannot be parsed."""

    ids: frozenset[str] = frozenset()
    unknown: bool = False
    error: str | None = None

    def keeps_all(self, samples: Iterable[Sample]) -> bool:
        """Whether every sample is selected (an unknown filter is given the benefit of the doubt)."""
        return self.unknown or (self.error is None and all(s.id in self.ids for s in samples))

    def missed(self, samples: Iterable[Sample]) -> list[Sample]:
        return [] if self.unknown or self.error else [s for s in samples if s.id not in self.ids]

    def hits(self, samples: Iterable[Sample]) -> list[Sample]:
        return [] if self.unknown or self.error else [s for s in samples if s.id in self.ids]


def site_samples() -> tuple[Sample, ...]:
    """The sample entries as the stack's site would write them."""
    declared = site_logging()
    return log_samples.for_site(declared.project, declared.region, declared.site_code)


def on_image_buckets(samples: Iterable[Sample], buckets: Iterable[str]) -> tuple[Sample, ...]:
    """The samples on the site's image bucket, written on each of ``buckets`` instead (the stack's image buckets,
    whatever their names; an id names a bucket other than the conventional one); the others as they are. With no
    bucket, the samples as they are."""
    declared = site_logging()
    conventional = log_samples.images_of(declared.project, declared.site_code)
    moved: list[Sample] = []
    for sample in samples:
        if conventional not in str(sample.entry.get("resource", {}).get("labels", {}).get("bucket_name", "")):
            moved.append(sample)
            continue
        moved += [
            replace(sample, id=sample.id + suffix, entry=entry)
            for suffix, entry in log_samples.on_buckets(sample.entry, conventional, buckets)
        ]
    return tuple(moved)


def security_samples() -> tuple[Sample, ...]:
    """The stack's site's security entries: every one must reach the SIEM and none may be dropped."""
    return log_samples.security(site_samples())


_IDENTITY = re.compile(
    r"""(principalEmail|principalSubject|callerIp|callerSuppliedUserAgent)\s*(?:=|:|!=|=~|!~)\s*(?:"([^"]*)"|([^\s()]+))"""
)
"""A comparison on who made an entry (the principal, its address or its client), and the value compared."""
_WHO = {
    "principalEmail": ("authenticationInfo", "principalEmail"),
    "principalSubject": ("authenticationInfo", "principalSubject"),
    "callerIp": ("requestMetadata", "callerIp"),
    "callerSuppliedUserAgent": ("requestMetadata", "callerSuppliedUserAgent"),
}


def _attributions(text: str, sample: Sample) -> list[dict[str, Any]]:
    """The sample's entry as made by each principal, address or client the filter names: a filter that singles
    out one of them treats that one's security entries differently from the sample's own principal's."""
    payload = sample.entry.get("protoPayload")
    if not isinstance(payload, dict):
        return []
    variants = []
    for match in _IDENTITY.finditer(text):
        field, value = match.group(1), match.group(2) if match.group(2) is not None else match.group(3)
        section, key = _WHO[field]
        # a new entry along the path that changes, sharing the rest with the sample (the query only reads it)
        changed = dict(payload)
        changed[section] = {**changed.get(section, {}), key: value.strip("'")}
        variants.append({**sample.entry, "protoPayload": changed})
    return variants


def select(value: Any, samples: Iterable[Sample], *, anyone: bool = False) -> Selection:
    """What the filter ``value`` (a prop leaf) selects; an absent or empty filter selects every entry.

    A filter that compares who made an entry (``principalEmail``, ``callerIp``, ...) is judged for each
    principal it names too: by default (a sink's or an alert's filter, which must keep entries) a sample
    counts as selected only when it is selected whoever made it; with ``anyone`` (an exclusion's filter,
    which must drop nothing) it counts when it is selected for one of them."""
    samples = tuple(samples)
    if value is UNKNOWN:
        return Selection(unknown=True)
    if value is None or (isinstance(value, str) and not value.strip()):
        return Selection(ids=frozenset(s.id for s in samples))
    if not isinstance(value, str):
        return Selection(error=f"the filter is a {type(value).__name__}, not a string")
    try:
        node = parse(value)
    except QuerySyntaxError as error:
        return Selection(error=str(error))

    def chosen(sample: Sample) -> bool:
        found = [node.matches(entry) for entry in (sample.entry, *_attributions(value, sample))]
        return any(found) if anyone else all(found)

    return Selection(ids=frozenset(s.id for s in samples if chosen(s)))


def describe(samples: Iterable[Sample], limit: int = 3) -> str:
    """The samples by security log family, for a message: ``audit logs (image-read, ...), VPC flow logs (...)``."""
    by_family: dict[str, list[str]] = {}
    for sample in samples:
        family = log_samples.FAMILIES.get(sample.family or "", "other logs")
        by_family.setdefault(family, []).append(sample.id)
    parts = []
    for family, ids in by_family.items():
        shown = ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")
        parts.append(f"{family} ({shown})")
    return ", ".join(parts)
