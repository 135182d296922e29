"""Run a program under the mock engine in a process of its own, so that it cannot reach the verdict.

The check judges what a program registers; the program is code the check does not trust (another team's
``--project``, a pull request). Run in the check's own process, a program could end it (``sys.exit(0)``,
``os._exit(0)``: rc 0, no report, read as a pass), patch the check's modules and rewrite the verdict,
print into the report on stdout, or never return. So, on POSIX, each program run is a child process
forked from the check once the heavy modules are imported (copy-on-write: milliseconds, not a second
interpreter start-up):

* the child runs the program and the mock engine, and sends each resource, as it registers, back
  through a pipe as JSON (plain data: nothing the child sends is ever executed or unpickled), then
  the stack outputs; the parent hands each resource to the pack as it arrives and judges;
* the child's stdout is its stderr (a ``print`` never enters a report), its stdin is empty, it is the
  leader of a process group of its own (ended as a whole: what the program started goes too), ignores
  Ctrl-C (the parent's to handle) and dies with the parent (Linux);
* every way a run can end other than a complete message is a program failure (:class:`ProgramError`, one
  line naming the program): ``sys.exit``, ``os._exit``, a signal, a malformed message, a run longer than
  the bound (``timeout``; ``--program-timeout``), after which the child's process group is killed.

What it does not isolate: the child runs as the same user on the same machine; it can read and write
files, make network calls (the policy pack listens on a local port, as under the real engine) and signal
other processes. See docs/check.md.

Where ``os.fork`` does not exist (Windows) the program runs in the check's process as before; an exit it
calls is still a program failure, but there is no bound and no isolation.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import json
import os
import re
import select
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from preflight import signals
from preflight.engine.modes import PROGRAM_TIMEOUT
from preflight.engine.runner import ProgramError, Resource

DEFAULT_TIMEOUT = PROGRAM_TIMEOUT

Run = Callable[[Callable[[Resource], None] | None, dict[str, Any]], list[Resource]]
"""A program run: ``run(on_resource, exports)`` registers the resources and returns them."""


def supported() -> bool:
    """Whether program runs get a process of their own here (POSIX ``fork``)."""
    return hasattr(os, "fork")


_preloaded: set[str] = set()
_SHAREABLE = re.compile(r"pulumi_gcp\.[a-z][a-z0-9_]*")
"""What a run may name for the check to import before the next: a package of the installed provider only."""


def preload(modules: Iterable[str]) -> None:
    """Import ``modules`` here, in the check's process, before a child is forked: each child then
    shares them instead of importing them again. Only the check's own library and installed packages
    are named (never the program file nor a ``--project``'s modules: their code runs in the child only).
    A module that fails to import is left to the child, which reports it as the program's failure."""
    new = [name for name in modules if name not in _preloaded]
    if not new:
        return
    for name in new:
        _preloaded.add(name)
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    # what the children share is never walked by this process's collector again (nor copied by it)
    gc.freeze()


def run(
    program_run: Run,
    *,
    program: Path,
    timeout: float | None = DEFAULT_TIMEOUT,
    on_resource: Callable[[Resource], None] | None = None,
    exports: dict[str, Any] | None = None,
) -> list[Resource]:
    """``program_run`` in a child process (see the module); ``program`` names the program in messages.
    ``on_resource`` hears each resource as it arrives; ``exports`` receives the stack outputs. Raises
    :class:`ProgramError` for every way the run can fail; ``timeout`` ``None`` is no bound."""
    into = exports if exports is not None else {}
    if not supported():
        return _in_process(program_run, program, on_resource, into)
    read_end, write_end = os.pipe()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()  # nothing buffered here is written twice by the child
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child ends in os._exit; its work is seen through the pipe)
        os.close(read_end)
        _child(program_run, write_end)
    os.close(write_end)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)  # as the child does first: no window in which its group does not exist
    signals.track_group(pid)
    imported: list[str] = []
    try:
        return _receive(
            read_end, pid, program=program, timeout=timeout, on_resource=on_resource, exports=into, imported=imported
        )
    finally:
        os.close(read_end)
        _end(pid)
        signals.untrack_group(pid)
        # the provider's packages the run loaded (pulumi-gcp loads each on first use): the next run shares them
        preload(name for name in imported if _SHAREABLE.fullmatch(name))


def _in_process(
    program_run: Run, program: Path, on_resource: Callable[[Resource], None] | None, exports: dict[str, Any]
) -> list[Resource]:
    try:
        return program_run(on_resource, exports)
    except SystemExit as exc:
        raise ProgramError(_exited(program, repr(exc.code))) from None


def _exited(program: Path, code: str) -> str:
    return (
        f"the program {program} called sys.exit({code}) before it finished; a program that exits is a failure, "
        "never a pass"
    )


# -- the child ---------------------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _child(program_run: Run, channel: int) -> None:  # pragma: no cover (runs in the child)
    """Run the program and report on ``channel``; never returns."""
    try:
        parent = os.getppid()
        os.setpgid(0, 0)
        for signum in signals.SIGNALS:
            signal.signal(signum, signal.SIG_DFL)  # the parent's handler would end the parent's packs
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it ends this process
        signals.forget_children()
        _die_with(parent)
        stdin = os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.dup2(2, 1)  # the program's stdout is the check's stderr: never the report
    except BaseException:
        os._exit(70)
    try:
        before = set(sys.modules)
        exports: dict[str, Any] = {}
        resources = program_run(lambda r: _send(channel, {"resource": asdict(r)}), exports)
        imported = sorted({".".join(name.split(".")[:2]) for name in set(sys.modules) - before})
        _send(channel, {"done": {"resources": len(resources), "exports": exports, "imported": imported}})
    except ProgramError as exc:
        _send_quietly(channel, {"error": str(exc)})
    except SystemExit as exc:
        _send_quietly(channel, {"exit": repr(exc.code)})
    except BaseException as exc:  # whatever the program raised: its failure, in one line
        _send_quietly(channel, {"error": f"{type(exc).__name__}: {exc}"})
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(0)


def _die_with(parent: int) -> None:  # pragma: no cover (runs in the child)
    """Linux: this process is killed when the check's process ends (a parent killed by SIGKILL leaves no
    program running on)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(70)


def _send(channel: int, message: dict[str, Any]) -> None:  # pragma: no cover (runs in the child)
    data = memoryview((json.dumps(message, separators=(",", ":")) + "\n").encode())
    while data:
        data = data[os.write(channel, data) :]


def _send_quietly(channel: int, message: dict[str, Any]) -> None:  # pragma: no cover (runs in the child)
    with contextlib.suppress(BaseException):
        _send(channel, message)


# -- the parent --------------------------------------------------------------------------------------------


def _receive(
    channel: int,
    pid: int,
    *,
    program: Path,
    timeout: float | None,
    on_resource: Callable[[Resource], None] | None,
    exports: dict[str, Any],
    imported: list[str],
) -> list[Resource]:
    deadline = None if timeout is None else time.monotonic() + timeout
    captured: list[Resource] = []
    pending = bytearray()
    while True:
        ready = _readable(channel, pid, deadline)
        if ready is None:  # ended, its channel still open in a process it started
            raise ProgramError(_ended(program, _status(pid, deadline, program, timeout)))
        if not ready:
            raise ProgramError(_too_long(program, timeout))
        chunk = os.read(channel, 1 << 16)
        if not chunk:
            break
        pending += chunk
        if b"\n" not in chunk:
            continue
        *lines, rest = bytes(pending).split(b"\n")
        pending = bytearray(rest)
        for line in lines:
            if _received(line, program, captured, on_resource, (exports, imported)):
                return captured
    raise ProgramError(_ended(program, _status(pid, deadline, program, timeout)))


def _received(
    line: bytes,
    program: Path,
    captured: list[Resource],
    on_resource: Callable[[Resource], None] | None,
    into: tuple[dict[str, Any], list[str]],
) -> bool:
    """Take one message: a resource (kept, and heard by ``on_resource``), the end of the run (true; its stack
    outputs into ``exports``) or the program's failure (raised)."""
    kind, body = _message(line, program)
    if kind == "resource":
        resource = _resource(body, program)
        captured.append(resource)
        if on_resource is not None:
            on_resource(resource)
        return False
    if kind == "done":
        outputs = body.get("exports") if isinstance(body, dict) else None
        loaded = body.get("imported") if isinstance(body, dict) else None
        if (
            not isinstance(body, dict)
            or body.get("resources") != len(captured)
            or not isinstance(outputs, dict)
            or not _strings(loaded)
        ):
            raise ProgramError(_malformed(program))
        assert isinstance(loaded, list)
        into[0].update(outputs)
        into[1].extend(loaded)
        return True
    if kind == "exit":
        raise ProgramError(_exited(program, _code(body)))
    raise ProgramError(str(body))


def _readable(channel: int, pid: int, deadline: float | None) -> bool | None:
    """Wait until ``channel`` has data (or is closed): true; false when ``deadline`` passes first; ``None``
    when the child has ended but a process it started holds its channel open (looked at each second)."""
    while True:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            return False
        ready, _, _ = select.select([channel], [], [], _LOOK if wait is None else min(wait, _LOOK))
        if ready:
            return True
        if _has_ended(pid):
            return None


_LOOK = 1.0
"""Seconds between two looks at whether the child has ended while its channel stays silent."""


def _has_ended(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    return True


def _message(line: bytes, program: Path) -> tuple[str, Any]:
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        raise ProgramError(_malformed(program)) from None
    if not isinstance(message, dict) or len(message) != 1:
        raise ProgramError(_malformed(program))
    [(kind, body)] = message.items()
    if kind not in ("resource", "done", "exit", "error") or (kind == "error" and not isinstance(body, str)):
        raise ProgramError(_malformed(program))
    return kind, body


def _code(body: object) -> str:
    """The exit code as the child wrote it (``repr``); shown as given, cut short."""
    text = str(body)
    return text if len(text) <= 40 else text[:40] + "..."


_STRINGS = ("type", "name", "urn", "parent", "provider", "deleted_with", "import_id")
_FLAGS = ("custom", "protect", "retain_on_delete")
_LISTS = ("ignore_changes", "aliases", "additional_secret_outputs", "dependencies")


def _resource(body: object, program: Path) -> Resource:
    """A resource as the child sent it, every field of its type (else the message is malformed)."""
    fields = Resource.__dataclass_fields__
    ok = isinstance(body, dict) and set(body) == set(fields)
    if ok:
        assert isinstance(body, dict)
        ok = (
            all(isinstance(body[k], str) for k in _STRINGS)
            and all(isinstance(body[k], bool) for k in _FLAGS)
            and all(_strings(body[k]) for k in _LISTS)
            and isinstance(body["inputs"], dict)
            and isinstance(body["outputs"], dict)
            and (body["id"] is None or isinstance(body["id"], str))
            and (body["delete_before_replace"] is None or isinstance(body["delete_before_replace"], bool))
            and isinstance(body["property_dependencies"], dict)
            and all(_strings(v) for v in body["property_dependencies"].values())
        )
    if not ok:
        raise ProgramError(_malformed(program))
    assert isinstance(body, dict)
    return Resource(**body)


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _malformed(program: Path) -> str:
    return f"the program {program} wrote over the channel of the mock engine (a malformed message); it failed"


def _too_long(program: Path, timeout: float | None) -> str:
    return (
        f"the program {program} did not finish within {timeout:g} s and was stopped "
        "(--program-timeout SECONDS sets the bound)"
    )


def _status(pid: int, deadline: float | None, program: Path, timeout: float | None) -> int:
    """The child's wait status once it has ended (it closed its channel): within the bound, else a timeout."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            _reaped.add(pid)
            return status
        if deadline is not None and time.monotonic() >= deadline:
            raise ProgramError(_too_long(program, timeout))
        time.sleep(0.01)


_reaped: set[int] = set()


def _ended(program: Path, status: int) -> str:
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        note = " (out of memory?)" if name == "SIGKILL" else ""
        return f"the program {program} was ended by {name}{note} before it finished"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return (
        f"the program {program} ended its process (exit status {code}, os._exit or the like) before it finished; "
        "a program that exits is a failure, never a pass"
    )


def _end(pid: int) -> None:
    """Kill the child's process group (the program and what it started) and reap the child."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    if pid in _reaped:  # reaped already: its pid may be another process's now
        _reaped.discard(pid)
        return
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
