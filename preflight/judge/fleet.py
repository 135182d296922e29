"""Check every stack of a directory in parallel: ``python -m preflight fleet [--jobs N]``.

Worker processes are forked from a parent that has already imported the site program's library
(Pulumi, pulumi-gcp, the components), so no worker pays for those imports again. Each worker starts
one policy-pack process, configures it once and names each stack it checks with ``ConfigureStack``;
each program run is a child of the worker (``preflight.engine.isolation``), which judges what it sends.
A site whose stack file is invalid or whose program fails is reported as an error for that site;
the others are still checked.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, as_completed, wait
from multiprocessing import util
from pathlib import Path
from typing import IO, Any

from components import naming, ranges
from preflight import signals
from preflight.engine import stacks
from preflight.engine.runner import ProgramError
from preflight.judge.cache import CacheWriteError, VerdictCache
from preflight.judge.check import Checker, check_site
from preflight.judge.results import SiteError, SiteResult
from program.config import ConfigError

Outcome = SiteResult | SiteError

_checker: Checker | None = None
_policy_config: dict[str, Any] = {}
_timeout: float | None = None


def _use_policy_config(policy_config: Mapping[str, Any], timeout: float | None = None) -> None:
    global _policy_config, _timeout  # noqa: PLW0603 (one pack per worker process, kept between tasks)
    _policy_config = dict(policy_config)
    _timeout = timeout


def _worker_init(policy_config: Mapping[str, Any], timeout: float | None = None) -> None:
    _use_policy_config(policy_config, timeout)
    # Each program run owns its event loop (preflight.engine.runner.capture): none is inherited from the parent.
    # Ctrl-C is the parent's to handle: it cancels what is queued and lets running sites finish.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM (the parent's, when it is stopped) ends the worker's policy pack and the worker at once.
    signals.install(worker=True)


def site_error(site: str, stacks_dir: Path, problems: Sequence[str], line: int = 1) -> SiteError:
    """A site that could not be checked, located at its stack file."""
    return SiteError(site, stacks.display_path(stacks.stack_path(site, stacks_dir)), tuple(problems), line)


def conflicts(loaded: Sequence[stacks.Stack]) -> dict[str, list[str]]:
    """What two sites of one fleet share but must not, by site: each problem names both stack files and
    the lines. Two sites must differ in site code, GCP project and bucket names (every physical name is
    built from them: the second deploy would take over the first site's resources), and their subnets
    must not overlap (the hospital routes each site's range to that site's VPC). Stack names, which name
    the sites' states, are distinct already: one file each, and the site-name rule (``program.sites``)
    admits lower case only, so no two differ only in case (backends compare them without case)."""
    ns = stacks.PROJECT
    problems: dict[str, list[str]] = {}

    def clash(a: stacks.Stack, b: stacks.Stack, verb: str, *what: tuple[str, str, str]) -> None:
        """``what``: (shown as, key in a, key in b) for each side; both sites get the problem."""
        (label_a, key_a, value_a), (label_b, key_b, value_b) = what
        for here, there, mine, theirs in (
            (a, b, (label_a, key_a, value_a), (label_b, key_b, value_b)),
            (b, a, (label_b, key_b, value_b), (label_a, key_a, value_a)),
        ):
            problems.setdefault(here.name, []).append(
                f"{here.shown}: line {here.line_of(mine[1])}: {mine[0]} {mine[2]!r} {verb} {theirs[0]} {theirs[2]!r} "
                f"of {there.shown} (line {there.line_of(theirs[1])}); every site of a fleet needs its own"
            )

    def same(a: stacks.Stack, b: stacks.Stack, label: str, key: str, values: tuple[str, str]) -> None:
        clash(a, b, "is the same as", (label, key, values[0]), (label, key, values[1]))

    sites = [s for s in loaded if s.site is not None]
    for i, a in enumerate(sites):
        for b in sites[i + 1 :]:
            site_a, site_b = stacks.site_of(a), stacks.site_of(b)
            if site_a.site_code == site_b.site_code:
                same(a, b, f"{ns}:siteCode", f"{ns}:siteCode", (site_a.site_code, site_b.site_code))
            if site_a.gcp_project == site_b.gcp_project:
                same(a, b, f"{ns}:gcpProject", f"{ns}:gcpProject", (site_a.gcp_project, site_b.gcp_project))
            shared = sorted(_bucket_names(site_a) & _bucket_names(site_b))
            if shared and (site_a.site_code, site_a.gcp_project) != (site_b.site_code, site_b.gcp_project):
                same(a, b, "bucket name", f"{ns}:siteCode", (shared[0], shared[0]))
            for name_a, cidr_a in site_a.network.subnets.items():
                for name_b, cidr_b in site_b.network.subnets.items():
                    if ranges.overlaps(cidr_a, cidr_b):
                        key_a, key_b = f"{ns}:network.subnets.{name_a}", f"{ns}:network.subnets.{name_b}"
                        clash(a, b, "overlaps", (key_a, key_a, cidr_a), (key_b, key_b, cidr_b))
    return problems


def _bucket_names(site: Any) -> set[str]:
    return {naming.bucket_name(site.gcp_project, site.site_code, purpose) for purpose in ("images", "access-logs")}


def _worker_check(stacks_dir: str, site: str, modes: tuple[str, ...]) -> Outcome:
    global _checker  # noqa: PLW0603
    try:
        stack = stacks.load(site, Path(stacks_dir))
    except ConfigError as exc:
        return site_error(site, Path(stacks_dir), exc.problems, getattr(exc, "line", 1))
    except stacks.StackFileError as exc:
        return site_error(site, Path(stacks_dir), [str(exc)], exc.line)
    if _checker is None:
        _checker = Checker(_policy_config, first=stack)
        util.Finalize(_checker, _checker.close, exitpriority=10)
    try:
        return check_site(stack, modes, checker=_checker, timeout=_timeout)
    except ProgramError as exc:
        return site_error(site, Path(stacks_dir), [f"{site}: the program failed: {exc}"])


def _warm_up(stacks_dir: Path, sites: Sequence[str]) -> None:
    """Import what every site program needs once, before the workers are forked, and freeze the heap the
    workers will share: the program's library, then the provider's packages a run of the first valid site
    loads (the run is a child of its own, ``preflight.engine.isolation``; the program never runs here)."""
    from preflight.engine import isolation
    from preflight.engine.runner import OWN_LIBRARY, run_stack
    from preflight.engine.stacks import PROGRAM

    isolation.preload(OWN_LIBRARY)
    for site in sites:
        try:
            run_stack(stacks.load(site, stacks_dir), "update", own_program=PROGRAM, timeout=_timeout)
        except (ConfigError, stacks.StackFileError, ProgramError):
            continue
        break
    gc.collect()
    gc.freeze()


class Progress:
    """A progress bar on a terminal, one line per finished site otherwise; silent when ``stream`` is
    ``None``."""

    def __init__(self, total: int, stream: IO[str] | None) -> None:
        self._total = total
        self._stream = stream
        self._done = 0
        self._failing = 0
        self._start = time.monotonic()
        self._tty = bool(stream and stream.isatty())

    def start(self, first: str) -> None:
        """On a terminal, show the bar at once: the first site takes the longest (the imports every
        worker shares are paid before it)."""
        if self._stream is not None and self._tty:
            self._draw(f"checking {first} ...")

    def _draw(self, note: str = "") -> None:
        assert self._stream is not None
        width = 30
        filled = width * self._done // max(self._total, 1)
        bar = "#" * filled + "-" * (width - filled)
        elapsed = time.monotonic() - self._start
        text = f"[{bar}] {self._done}/{self._total} sites, {self._failing} failing, {elapsed:.0f}s"
        self._stream.write(f"\r{text}{f' {note}' if note else ''}\033[K")
        self._stream.flush()

    def update(self, outcome: Outcome) -> None:
        self._done += 1
        failed = outcome.exit_code != 0
        self._failing += failed
        if self._stream is None:
            return
        elapsed = time.monotonic() - self._start
        if self._tty:
            self._draw()
            if self._done == self._total:
                self._stream.write("\n")
        else:
            state = "error" if isinstance(outcome, SiteError) else ("FAIL" if failed else "pass")
            if isinstance(outcome, SiteResult) and outcome.cached:
                state += f", verdict of {outcome.checked_at} reused"
            self._stream.write(f"[{self._done}/{self._total}] {outcome.site}: {state} ({elapsed:.1f}s)\n")
        self._stream.flush()


def default_jobs() -> int:
    """Worker processes by default: one more than the CPUs this process may use. A worker waits while
    its pack judges a site; with one worker per CPU the CPUs idle about a third of the time, one more
    keeps them busy (measured: bench/README.md)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, cpus) + 1


def run(
    sites: Iterable[str],
    *,
    stacks_dir: Path,
    modes: tuple[str, ...],
    jobs: int,
    policy_config: Mapping[str, Any] | None = None,
    progress: IO[str] | None = sys.stderr,
    on_outcome: Callable[[Outcome], None] | None = None,
    cache: VerdictCache | None = None,
    reuse: bool = True,
    warn: Callable[[str], None] | None = None,
    timeout: float | None = None,
) -> list[Outcome]:
    """Check ``sites`` with ``jobs`` worker processes; outcomes in the order of ``sites``. With a
    ``cache``, a site whose inputs are unchanged reuses its kept verdict (unless ``reuse`` is false)
    and every new verdict is kept; ``warn`` hears once when the cache cannot be written. ``timeout``
    bounds each program run, in seconds (``None``: the default)."""
    names = list(sites)
    config = dict(policy_config or {})
    bar = Progress(len(names), progress)
    if names:
        bar.start(names[0])
    outcomes: dict[str, Outcome] = {}
    keys: dict[str, tuple[stacks.Stack, str]] = {}

    warned: list[str] = []

    def done(outcome: Outcome) -> None:
        outcomes[outcome.site] = outcome
        if cache is not None and outcome.site in keys and not getattr(outcome, "cached", False):
            # kept at once, before the progress shows it: a fleet stopped half way (SIGTERM, Ctrl-C, a crash)
            # resumes from every verdict it reported
            _keep(cache, keys, [outcome], modes, lambda message: None if warned else warned.append(message))
        bar.update(outcome)
        if on_outcome:
            on_outcome(outcome)

    clashes = conflicts(_loadable(stacks_dir, names))
    unchecked = []
    for site in names:
        if site in clashes:
            done(site_error(site, stacks_dir, clashes[site], _first_line(clashes[site][0])))
            continue
        kept = _kept(cache, keys, stacks_dir, site, modes, reuse=reuse) if cache is not None else None
        if kept is not None:
            done(kept)
        else:
            unchecked.append(site)
    try:
        _check_all(unchecked, stacks_dir=stacks_dir, modes=modes, jobs=jobs, config=config, done=done, timeout=timeout)
    finally:
        if warned and warn is not None:
            warn(warned[0])
    return [outcomes[s] for s in names]


def _keep(
    cache: VerdictCache,
    keys: Mapping[str, tuple[stacks.Stack, str]],
    results: Sequence[Outcome],
    modes: tuple[str, ...],
    warn: Callable[[str], None] | None,
) -> None:
    """Keep each new verdict (:meth:`VerdictCache.keep`: only if its inputs are unchanged since its key
    was taken); ``warn`` hears when the cache cannot be written."""
    checked = [(*keys[r.site], r) for r in results if isinstance(r, SiteResult) and r.site in keys]
    try:
        cache.keep(checked, modes)
    except CacheWriteError as exc:
        if warn is not None:
            warn(str(exc))


def _check_all(
    unchecked: Sequence[str],
    *,
    stacks_dir: Path,
    modes: tuple[str, ...],
    jobs: int,
    config: dict[str, Any],
    done: Callable[[Outcome], None],
    timeout: float | None = None,
) -> None:
    """Check ``unchecked`` with ``jobs`` worker processes (in this process for one), each outcome to ``done``."""
    jobs = max(1, min(jobs, len(unchecked)))
    if not unchecked:
        return
    if jobs == 1:
        _use_policy_config(config, timeout)
        try:
            for site in unchecked:
                done(_worker_check(str(stacks_dir), site, modes))
        finally:
            _close_worker_checker()
        return

    _use_policy_config(config, timeout)
    _warm_up(stacks_dir, unchecked)
    forking = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if forking else "spawn")
    if forking:
        signals.share_with_workers(jobs)  # a stop ends the workers' packs too
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_worker_init, initargs=(config, timeout)
    ) as pool:
        pending: set[Future[Outcome]] = {pool.submit(_worker_check, str(stacks_dir), s, modes) for s in unchecked}
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    done(future.result())
        except KeyboardInterrupt:
            # Ctrl-C: what is queued is cancelled; the sites being checked finish (the workers, their
            # programs and their packs ignore it) and their verdicts are reported and kept
            running = [future for future in pending if not future.cancel()]
            for future in as_completed(running):
                if future.exception() is None:
                    done(future.result())
            raise
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def _loadable(stacks_dir: Path, names: Sequence[str]) -> list[stacks.Stack]:
    """The stacks of ``names`` that load (a worker reports the others)."""
    loaded = []
    for site in names:
        try:
            loaded.append(stacks.load(site, stacks_dir))
        except (ConfigError, stacks.StackFileError):
            continue
    return loaded


def _first_line(problem: str) -> int:
    """The line a ``<file>: line N: ...`` problem names."""
    _, _, rest = problem.partition(": line ")
    number = rest.split(":", 1)[0]
    return int(number) if number.isdigit() else 1


def _kept(
    cache: VerdictCache,
    keys: dict[str, tuple[stacks.Stack, str]],
    stacks_dir: Path,
    site: str,
    modes: tuple[str, ...],
    *,
    reuse: bool = True,
) -> SiteResult | None:
    """``site``'s kept verdict when its inputs are unchanged (and ``reuse`` allows it); its key is
    noted in ``keys``, taken before the check (see :func:`_keep`)."""
    try:
        stack = stacks.load(site, stacks_dir)
    except (ConfigError, stacks.StackFileError):
        return None  # the worker reports it
    key = cache.inputs.key(stack, modes)
    keys[site] = (stack, key)
    return cache.get(stack, modes, key=key) if reuse else None


def _close_worker_checker() -> None:
    global _checker  # noqa: PLW0603
    if _checker is not None:
        _checker.close()
        _checker = None
