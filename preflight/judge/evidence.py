"""The site network readiness probe's report as evidence for the matrix (PERF-01, PERF-02, TLS-04).

``python -m preflight netcheck <site> --format json`` writes ``imaging-landing-zone/netcheck@1``;
``check --evidence FILE`` reads it back. No deployment can provision throughput or latency, so the
matrix shows these controls as evidence outside the stack: with a report, its date and figures;
without one, the command that produces it.

The figures are judged against the site config's minimums (``imaging-landing-zone:netcheck``), never the
minimums the report carries (a report measured against a laxer bound cannot pass). A report whose figures
miss them is a violation (the control is violated and the check exits 1); a report measured more than
``MAX_AGE_DAYS`` days ago is stale: shown as such, never as evidence that the site meets them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netcheck.probe import FORMAT
from program.config import DOWNLOAD_FLOOR_MBPS, LATENCY_CEILING_MS

if TYPE_CHECKING:
    from program.config import NetcheckSettings

PROBE_CONTROLS = ("PERF-01", "PERF-02", "TLS-04")
MAX_AGE_DAYS = 90
"""A readiness report measured longer ago than this is stale: a site's network changes (a new link, a new
firewall), and a quarter is how often the probe is to be run again."""
COMMAND = "python -m preflight netcheck {site} --url <signed URL> --format json > netcheck-{site}.json"


class EvidenceError(Exception):
    """A readiness report that cannot be used; the message is one line naming the file and the field."""


@dataclass(frozen=True)
class Endpoint:
    """One measured endpoint of the report."""

    name: str
    role: str
    verdict: str
    latency_ms: float | None
    download_mbps: float | None
    tls: str | None
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Readiness:
    """A readiness report, as the matrix cites it."""

    file: str
    site: str
    date: str
    """``YYYY-MM-DD HH:MM UTC``: the report's ``measuredAt`` if it has one, else the file's time."""
    dated_by: str
    """``measured`` or ``file time``."""
    measured: datetime
    """When it was measured (UTC): the report's ``measuredAt``, else the file's time."""
    verdict: str
    min_download_mbps: float
    max_latency_ms: float
    endpoints: tuple[Endpoint, ...]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def read(path: Path) -> Readiness:
    """Read a netcheck JSON report; raise :class:`EvidenceError` with one line on any problem."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read the readiness report ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise EvidenceError(f"{path}: the readiness report is not JSON: {exc}") from None
    except RecursionError:  # a hostile file of nested brackets
        raise EvidenceError(f"{path}: the readiness report nests too deeply to be a netcheck report") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise EvidenceError(f"{path}: format: expected {FORMAT!r} (python -m preflight netcheck --format json)")
    minimums = document.get("minimums")
    endpoints = document.get("endpoints")
    if not isinstance(minimums, dict) or not isinstance(endpoints, list) or not isinstance(document.get("site"), str):
        raise EvidenceError(f"{path}: site, minimums and endpoints are required (a netcheck@1 report)")
    parsed = []
    for index, e in enumerate(endpoints):
        if not isinstance(e, dict) or not isinstance(e.get("name"), str):
            raise EvidenceError(f"{path}: endpoints.{index}: not a netcheck endpoint")
        latency = e.get("latencyMs") or {}
        download = e.get("download") or {}
        tls = e.get("tls") or {}
        parsed.append(
            Endpoint(
                name=e["name"],
                role=str(e.get("role", "")),
                verdict=str(e.get("verdict", "")),
                latency_ms=_number(latency.get("median")) if isinstance(latency, dict) else None,
                download_mbps=_number(download.get("mbps")) if isinstance(download, dict) else None,
                tls=tls.get("version") if isinstance(tls, dict) and isinstance(tls.get("version"), str) else None,
                problems=tuple(str(p) for p in e.get("problems") or ()),
            )
        )
    measured = document.get("measuredAt")
    if isinstance(measured, str):
        try:
            when, dated_by = datetime.fromisoformat(measured), "measured"
        except ValueError:
            raise EvidenceError(f"{path}: measuredAt: not an ISO 8601 time, got {measured!r}") from None
    else:
        when, dated_by = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC), "file time"
    when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return Readiness(
        file=path.name,
        site=document["site"],
        date=when.strftime("%Y-%m-%d %H:%M UTC"),
        dated_by=dated_by,
        measured=when,
        verdict=str(document.get("verdict", "")),
        # the requirement's floor, or the report's stricter minimum; a report cannot lower the bar
        min_download_mbps=max(_number(minimums.get("downloadMbps")) or DOWNLOAD_FLOOR_MBPS, DOWNLOAD_FLOOR_MBPS),
        max_latency_ms=min(_number(minimums.get("latencyMs")) or LATENCY_CEILING_MS, LATENCY_CEILING_MS),
        endpoints=tuple(parsed),
    )


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Minimums:
    """The bounds a site's readiness is judged against: its site config's (``imaging-landing-zone:netcheck``)."""

    min_download_mbps: float = DOWNLOAD_FLOOR_MBPS
    max_latency_ms: float = LATENCY_CEILING_MS

    @classmethod
    def of(cls, settings: NetcheckSettings | None) -> Minimums:
        """The site config's minimums; the requirement's own when the site declares none."""
        if settings is None:
            return cls()
        return cls(float(settings.min_download_mbps), float(settings.max_latency_ms))


def today() -> datetime:
    """The moment a report's age is judged at (a test sets it)."""
    return datetime.now(UTC)


def stale(readiness: Readiness, now: datetime | None = None) -> bool:
    """Whether the report was measured more than ``MAX_AGE_DAYS`` days before ``now`` (or more than a day
    after it: a report dated in the future is not evidence either)."""
    moment = now or today()
    return not timedelta(days=-1) <= moment - readiness.measured <= timedelta(days=MAX_AGE_DAYS)


def judge(control: str, readiness: Readiness, minimums: Minimums) -> tuple[bool | None, list[str]]:
    """Whether the report's figures for ``control`` meet ``minimums`` (a figure not measured does not), and
    the figures, each marked when it misses; ``None`` when no endpoint of the report measures the control."""
    figures: list[str] = []
    ok = True
    for e in readiness.endpoints:
        if control == "PERF-01" and e.role == "storage":
            if e.download_mbps is None:
                figures.append(f"{e.name}: download not measured")
                ok = False
            else:
                passed = e.download_mbps > minimums.min_download_mbps
                ok &= passed
                figures.append(
                    f"{e.name}: {_fmt(e.download_mbps)} Mbps (minimum {_fmt(minimums.min_download_mbps)})"
                    + ("" if passed else " BELOW")
                )
        elif control == "PERF-02":
            if e.latency_ms is None:
                figures.append(f"{e.name}: latency not measured")
                ok = False
            else:
                passed = e.latency_ms < minimums.max_latency_ms
                ok &= passed
                figures.append(
                    f"{e.name}: {_fmt(e.latency_ms)} ms (maximum {_fmt(minimums.max_latency_ms)})"
                    + ("" if passed else " ABOVE")
                )
        elif control == "TLS-04":
            passed = e.tls in ("TLSv1.2", "TLSv1.3")
            ok &= passed
            figures.append(f"{e.name}: {e.tls or 'no TLS measured'}" + ("" if passed else " BELOW 1.2"))
    return (ok if figures else None), figures


def failing(readiness: Readiness | None, minimums: Minimums, now: datetime | None = None) -> list[str]:
    """The probe controls a current report shows the site missing (its site config's minimums); ``[]`` without
    a report or with a stale one (no evidence either way)."""
    if readiness is None or stale(readiness, now):
        return []
    return [control for control in PROBE_CONTROLS if judge(control, readiness, minimums)[0] is False]


def summary(
    control: str,
    readiness: Readiness | None,
    site: str = "<site>",
    minimums: Minimums | None = None,
    now: datetime | None = None,
) -> str:
    """What the matrix says for a probe control: the figures and whether they meet the site's minimums, that
    the report is stale, or the command that produces the evidence."""
    command = COMMAND.format(site=site)
    if readiness is None:
        return "readiness probe: no report given; run " + command + " and pass --evidence FILE"
    source = f"readiness probe {readiness.file} ({readiness.dated_by} {readiness.date})"
    if stale(readiness, now):
        age = ((now or today()) - readiness.measured).days
        when = f"measured {age} days ago, more than {MAX_AGE_DAYS}" if age > 0 else "dated in the future"
        return f"{source}: STALE, not evidence ({when}); run {command} again"
    ok, figures = judge(control, readiness, minimums or Minimums())
    if ok is None:
        return f"{source}: no endpoint measured for this control"
    return f"{source}: {'meets' if ok else 'DOES NOT MEET'} the minimum: " + "; ".join(figures)
