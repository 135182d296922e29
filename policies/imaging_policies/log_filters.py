"""What a log filter selects from the site's sample entries: the pack's semantic view of filters.

Sinks, exclusions and alerts are judged by the entries their filters select (evaluated with
:mod:`imaging_policies.logquery` against :mod:`imaging_policies.log_samples` re-targeted to the
stack's site), never by the terms the filter text contains: ``NOT``, another spelling of the same
log, or an extra condition that narrows a filter are all seen for what they do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from imaging_policies import log_samples
from imaging_policies._props import UNKNOWN
from imaging_policies._site import site_logging
from imaging_policies.log_samples import Sample
from imaging_policies.logquery import QuerySyntaxError, parse


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


def security_samples() -> tuple[Sample, ...]:
    """The stack's site's security entries: every one must reach the SIEM and none may be dropped."""
    return log_samples.security(site_samples())


def select(value: Any, samples: Iterable[Sample]) -> Selection:
    """What the filter ``value`` (a prop leaf) selects; an absent or empty filter selects every entry."""
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
    return Selection(ids=frozenset(s.id for s in samples if node.matches(s.entry)))


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
