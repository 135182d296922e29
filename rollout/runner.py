"""Run one Pulumi operation over many sites with bounded parallelism, a progress display and a summary.

The orchestration is independent of Pulumi: it calls an ``Operation`` per site (``rollout.pulumi_ops``
supplies the real one, which drives the Pulumi CLI through the Automation API), so its order, bound,
failure handling and summary are tested without pretending that a preview ran.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import IO, Any, Final, Literal

from preflight.reports.tables import text_table

OPERATIONS: Final = ("preview", "up", "drift")
Status = Literal["ok", "changes", "drifted", "failed", "skipped"]
FORMAT: Final = "imaging-landing-zone/rollout@1"


@dataclass(frozen=True)
class Outcome:
    """What one site's operation did. ``changes`` maps an operation kind (create, update, delete,
    replace, same) to its count, as Pulumi's summary counts them."""

    status: Status
    changes: dict[str, int] = field(default_factory=dict)
    policy_violations: int = 0
    message: str = ""


@dataclass(frozen=True)
class SiteRun:
    """A site's outcome and how long it took."""

    site: str
    outcome: Outcome
    seconds: float


Operation = Callable[[str], Outcome]
"""Runs the operation on one site (its stack name) and says what happened; raises nothing."""

OperationFactory = Callable[..., Operation]
"""Builds the operation for a kind (preview, up, drift) and the run's options (``pulumi_ops.operation``)."""


def changed(changes: dict[str, int]) -> bool:
    """Whether a change summary has anything but unchanged resources."""
    return any(count for kind, count in changes.items() if kind != "same")


class Progress:
    """One line per started and finished site, or a single updated line on a terminal."""

    def __init__(self, total: int, stream: IO[str] | None) -> None:
        self._total = total
        self._stream = stream
        self._tty = bool(stream and stream.isatty())
        self._done = 0
        self._running: list[str] = []
        self._lock = threading.Lock()
        self._start = time.monotonic()

    def _write(self, text: str) -> None:
        if self._stream is not None:
            self._stream.write(text)
            self._stream.flush()

    def started(self, site: str) -> None:
        with self._lock:
            self._running.append(site)
            if self._tty:
                self._line()
            else:
                self._write(f"[{self._done}/{self._total}] {site}: started\n")

    def finished(self, run: SiteRun) -> None:
        with self._lock:
            self._done += 1
            if run.site in self._running:
                self._running.remove(run.site)
            detail = f" ({run.outcome.message})" if run.outcome.status in ("failed", "skipped") else ""
            text = f"[{self._done}/{self._total}] {run.site}: {run.outcome.status}{detail} ({run.seconds:.0f}s)"
            if self._tty:
                self._write("\r\033[K" + text + "\n")
                self._line()
            else:
                self._write(text + "\n")

    def _line(self) -> None:
        elapsed = time.monotonic() - self._start
        running = ", ".join(self._running) or "-"
        self._write(f"\r\033[K{self._done}/{self._total} done, running: {running} ({elapsed:.0f}s)")
        if self._done == self._total:
            self._write("\n")


def run_fleet(
    sites: Sequence[str],
    operation: Operation,
    *,
    jobs: int,
    stop_on_failure: bool,
    progress: Progress | None = None,
) -> list[SiteRun]:
    """Run ``operation`` on every site, at most ``jobs`` at a time, in the given order. With
    ``stop_on_failure``, no site starts after one has failed; those left are ``skipped``. The result
    keeps the order of ``sites``."""
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    runs: dict[str, SiteRun] = {}
    queue = list(sites)
    failed = False

    def one(site: str) -> SiteRun:
        if progress is not None:
            progress.started(site)
        start = time.monotonic()
        try:
            outcome = operation(site)
        except Exception as error:
            outcome = Outcome("failed", message=f"{type(error).__name__}: {error}")
        return SiteRun(site, outcome, time.monotonic() - start)

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="rollout") as pool:
        running: set[Future[SiteRun]] = set()
        while queue or running:
            while queue and len(running) < jobs and not (failed and stop_on_failure):
                running.add(pool.submit(one, queue.pop(0)))
            if not running:
                break
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                run = future.result()
                runs[run.site] = run
                failed = failed or run.outcome.status == "failed"
                if progress is not None:
                    progress.finished(run)
    for site in queue:
        runs[site] = SiteRun(site, Outcome("skipped", message="not started: an earlier site failed"), 0.0)
        if progress is not None:
            progress.finished(runs[site])
    return [runs[site] for site in sites]


def exit_code(runs: Sequence[SiteRun]) -> int:
    """0 when every site succeeded (and none drifted), 1 otherwise."""
    return 1 if any(r.outcome.status in ("failed", "drifted", "skipped") for r in runs) else 0


def summary_table(operation: str, runs: Sequence[SiteRun]) -> str:
    """One row per site: status, the change counts, policy violations, time; then a total line."""
    rows: list[tuple[str, ...]] = [
        ("site", "status", "create", "update", "replace", "delete", "policy", "time", "note")
    ]
    for r in runs:
        c = r.outcome.changes
        rows.append(
            (
                r.site,
                r.outcome.status,
                *(str(c.get(kind, 0)) for kind in ("create", "update", "replace", "delete")),
                str(r.outcome.policy_violations),
                f"{r.seconds:.0f}s",
                r.outcome.message,
            )
        )
    counts: dict[str, int] = {}
    for r in runs:
        counts[r.outcome.status] = counts.get(r.outcome.status, 0) + 1
    total = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return "\n".join([*text_table(rows), f"{operation}: {len(runs)} site(s): {total}"])


def to_json(operation: str, runs: Sequence[SiteRun]) -> dict[str, Any]:
    """The machine-readable summary (``imaging-landing-zone/rollout@1``)."""
    return {
        "format": FORMAT,
        "operation": operation,
        "exitCode": exit_code(runs),
        "sites": [
            {
                "site": r.site,
                "status": r.outcome.status,
                "changes": r.outcome.changes,
                "policyViolations": r.outcome.policy_violations,
                "message": r.outcome.message,
                "seconds": round(r.seconds, 1),
            }
            for r in runs
        ],
    }
