"""SIGTERM and SIGHUP (a cancelled CI job, a closed terminal) stop ``check`` and ``fleet`` at once: no
worker or policy-pack process of the command's process group is left, the exit code is 143, and the
verdicts made before the stop are kept, so the next fleet run resumes from them. Real processes and
real signals; nothing is mocked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import sites as generated
from tests.paths import ROOT

GONE_WITHIN = 8.0


def _start(*argv: str, cache: Path) -> subprocess.Popen[str]:
    environment = {**os.environ, "PREFLIGHT_CACHE_DIR": str(cache), "PREFLIGHT_NO_CACHE": ""}
    return subprocess.Popen(
        [sys.executable, "-m", "preflight", *argv],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: what is left of it after the stop is visible
    )


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(process: subprocess.Popen[str], signum: int) -> tuple[int, str, float]:
    """Send ``signum``; the exit code, the rest of stderr, and how long until no process of the group is left."""
    started = time.monotonic()
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    while _group_alive(process.pid) and time.monotonic() - started < 30:
        time.sleep(0.1)
    return process.returncode, err, time.monotonic() - started


def _group_has_children(group: int) -> bool:
    listing = subprocess.run(["ps", "-eo", "pid=,pgid="], capture_output=True, text=True, check=True).stdout
    return sum(1 for line in listing.splitlines() if line.split()[1] == str(group)) > 1


@pytest.fixture(scope="module")
def fleet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("fleet")
    generated.generate(4, directory)
    return directory


def test_sigterm_to_a_running_fleet_ends_its_group_and_the_next_run_resumes(fleet_dir, tmp_path):
    argv = ("fleet", "--stacks-dir", str(fleet_dir), "--jobs", "2", "--mode", "update")
    process = _start(*argv, cache=tmp_path / "cache")
    assert process.stderr is not None
    first = process.stderr.readline()  # one line per finished site: the workers and their packs are running
    assert first.startswith("[1/4] "), first
    assert _group_has_children(process.pid)
    code, err, seconds = _stop(process, signal.SIGTERM)
    assert code == 143
    assert seconds < GONE_WITHIN
    assert not _group_alive(process.pid)
    assert err.splitlines() == ["error: stopped by SIGTERM"]

    # The verdict made before the stop was kept: the next run reuses it first.
    again = _start(*argv, cache=tmp_path / "cache")
    assert again.stderr is not None
    reused = again.stderr.readline()
    site = first.split()[1].rstrip(":")
    assert reused.startswith(f"[1/4] {site}: "), reused
    assert "reused" in reused
    code, _, seconds = _stop(again, signal.SIGTERM)
    assert code == 143
    assert seconds < GONE_WITHIN


def test_sighup_to_check_while_its_program_runs_ends_its_pack(tmp_path):
    process = _start("check", "lausanne", "--no-cache", cache=tmp_path / "cache")
    deadline = time.monotonic() + 120
    while not _group_has_children(process.pid):  # the policy pack has started: the program runs meanwhile
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    code, err, seconds = _stop(process, signal.SIGHUP)
    assert code == 143
    assert seconds < GONE_WITHIN
    assert not _group_alive(process.pid)
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "error: stopped by SIGHUP"
