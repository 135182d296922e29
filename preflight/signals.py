"""SIGTERM and SIGHUP: a CI runner cancelling a job, a closed terminal. ``check`` and ``fleet`` stop at
once: their fleet workers and policy-pack processes end, the verdicts made so far stay in the verdict
cache (each is kept as it is made), and the process exits 143 (128 + SIGTERM).

The stop does not unwind (Ctrl-C does, :mod:`preflight.engine.runner` holds it back while a program runs): a
program run can take seconds, and an exception raised inside the Pulumi runtime's nested event loops
can be lost. The handler ends what this process started (its fleet workers, which do the same for
their own policy packs, and its own packs), says so in one line and exits.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import weakref
from typing import Any

EXIT_TERMINATED = 143
"""The exit code after SIGTERM or SIGHUP (128 + SIGTERM), as shells report a process ended by SIGTERM."""
SIGNALS = (signal.SIGTERM, signal.SIGHUP)

_children: weakref.WeakSet[subprocess.Popen[bytes]] = weakref.WeakSet()
_groups: set[int] = set()
"""The process groups of program runs in progress (``preflight.engine.isolation``), each led by its child."""
_shared: Any = None
"""With :func:`share_with_workers`: the pids of the policy packs the fleet's (forked) workers started."""


def share_with_workers(slots: int) -> None:
    """Before forking fleet workers: let each tell this process the pid of the pack it starts, so that a
    stop ends the packs first (a worker waiting on its pack's answer handles the signal only once the
    answer comes)."""
    global _shared  # noqa: PLW0603 (one table per fleet run, inherited by the forked workers)
    _shared = multiprocessing.get_context("fork").Array("i", slots)


def track(process: subprocess.Popen[bytes]) -> None:
    """Note a child process (a policy pack) that a stop must end."""
    _children.add(process)
    if _shared is not None and multiprocessing.parent_process() is not None:  # a fleet worker
        with _shared.get_lock():
            free = next((i for i, pid in enumerate(_shared) if pid == 0), None)
            if free is not None:
                _shared[free] = process.pid


def track_group(pid: int) -> None:
    """Note a program run's process group (led by ``pid``) that a stop must end."""
    _groups.add(pid)


def untrack_group(pid: int) -> None:
    _groups.discard(pid)


def forget_children() -> None:
    """In a program run's child: the processes noted are the parent's, never this process's to end."""
    _children.clear()
    _groups.clear()


def stop_children() -> None:
    """End this process's policy packs and its fleet workers' (each worker reaps its own), then the
    workers; reap what is this process's (no defunct process is left behind)."""
    workers = multiprocessing.active_children()
    if workers and _shared is not None:
        for pid in list(_shared):
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
    for group in list(_groups):
        with contextlib.suppress(OSError):
            os.killpg(group, signal.SIGKILL)
    for process in list(_children):
        with contextlib.suppress(OSError):
            process.kill()
    for worker in workers:
        worker.terminate()
    for process in list(_children):
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            process.wait(timeout=5)
    for worker in workers:
        worker.join(timeout=5)
        if worker.is_alive():
            worker.kill()
            worker.join(timeout=5)


def _stop(signum: int, frame: object) -> None:
    stop_children()
    # os.write, not print: the handler may run while the main thread holds sys.stderr's lock
    os.write(2, f"error: stopped by {signal.Signals(signum).name}\n".encode())
    os._exit(EXIT_TERMINATED)


def _stop_quietly(signum: int, frame: object) -> None:
    stop_children()
    os._exit(EXIT_TERMINATED)


def install(*, worker: bool = False) -> None:
    """SIGTERM and SIGHUP stop this process as the module says; a fleet ``worker`` stops without a word
    (its parent says it)."""
    for signum in SIGNALS:
        signal.signal(signum, _stop_quietly if worker else _stop)
