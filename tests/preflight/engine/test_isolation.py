"""A program cannot reach the verdict: each program run is a process of its own (``preflight.engine.isolation``).

Through the command line, as a user runs it, with the programs under ``tests/fixtures/programs/``: a program
that exits (``sys.exit(0)``, ``os._exit(0)``) is a program failure (exit 2, one line naming the mode and the
program), never a pass; one that patches the check's modules leaves the verdict as it was; one that prints
leaves the report on stdout intact; one that never finishes is stopped at the bound ``--program-timeout``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from preflight.engine import isolation
from preflight.engine.runner import ProgramError
from tests.paths import TESTS
from tests.sites import preflight_cli

PROGRAMS = TESTS / "fixtures" / "programs"
POSIX = pytest.mark.skipif(not isolation.supported(), reason="a process of its own needs os.fork (POSIX)")


def _one_error_line(done) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: "), line
    return line


@POSIX
@pytest.mark.parametrize(
    ("program", "says"),
    [
        pytest.param("exits", "called sys.exit(0) before it finished", id="sys-exit-0"),
        pytest.param("hard-exits", "ended its process (exit status 0", id="os-exit-0"),
    ],
)
def test_a_program_that_exits_is_a_program_failure_never_a_pass(program, says):
    project = PROGRAMS / program
    done = preflight_cli("check", "--project", str(project), "dev", "--no-cache", "--mode", "update")
    assert done.returncode == 2, (done.stdout, done.stderr)
    line = _one_error_line(done)
    assert "in update mode" in line
    assert str(project / "__main__.py") in line
    assert says in line
    assert "never a pass" in line


@POSIX
def test_a_program_that_exits_gives_no_report_file_and_exit_2_with_json(tmp_path):
    """``--format json --output FILE`` of an exiting program: exit 2 and one line, never a silent success."""
    output = tmp_path / "report.json"
    project = PROGRAMS / "exits"
    done = preflight_cli(
        "check", "--project", str(project), "dev", "--no-cache", "--format", "json", "--output", str(output)
    )
    assert done.returncode == 2
    assert "in preview mode" in _one_error_line(done)


@POSIX
@pytest.mark.parametrize("command", ["plan", "access"])
def test_plan_and_access_fail_on_a_program_that_exits(command):
    done = preflight_cli(command, "--project", str(PROGRAMS / "hard-exits"), "dev")
    assert done.returncode == 2
    assert "ended its process (exit status 0" in _one_error_line(done)


@POSIX
def test_a_program_that_patches_the_checks_modules_leaves_the_verdict_as_it_was():
    """The program sets ``Finding.fails`` and ``SiteResult.exit_code`` of ``preflight.judge.results`` to pass
    everything: the bucket without a customer-managed key still fails ENC-01."""
    done = preflight_cli(
        "check", "--project", str(PROGRAMS / "rewrites-verdict"), "dev", "--no-cache", "--format", "json"
    )
    assert done.returncode == 1, done.stderr
    [site] = json.loads(done.stdout)["sites"]
    failing = {f["policy"] for f in site["findings"] if f["level"] == "mandatory"}
    assert "gcp-storage-bucket-requires-cmek" in failing


@POSIX
def test_what_a_program_prints_goes_to_stderr_and_the_json_report_stays_json():
    done = preflight_cli("check", "--project", str(PROGRAMS / "prints"), "dev", "--no-cache", "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    [site] = json.loads(done.stdout)["sites"]  # stdout is the report and nothing else
    assert site["modes"] == ["preview", "update"]
    assert done.stderr.count("creating the bucket") == 2  # once a mode


@POSIX
def test_a_program_that_never_finishes_is_stopped_at_the_bound():
    project = PROGRAMS / "sleeps"
    done = preflight_cli("check", "--project", str(project), "dev", "--no-cache", "--program-timeout", "1")
    assert done.returncode == 2
    line = _one_error_line(done)
    assert "in preview mode" in line
    assert f"the program {project / '__main__.py'} did not finish within 1 s and was stopped" in line
    assert "--program-timeout" in line


def test_the_bound_must_be_a_positive_number():
    done = preflight_cli("check", "lausanne", "--program-timeout", "0")
    assert done.returncode == 2
    assert "--program-timeout: must be a number greater than 0" in done.stderr


def test_a_message_the_parent_cannot_read_is_the_programs_failure():
    """What comes through the channel is data, checked field by field: a resource of the wrong shape is refused."""
    with pytest.raises(ProgramError, match="malformed message"):
        isolation._resource({"type": 1}, Path("main.py"))
    with pytest.raises(ProgramError, match="malformed message"):
        isolation._message(b"[" * 100_000, Path("main.py"))


@POSIX
def test_a_run_in_its_own_process_returns_what_it_registered_and_its_outputs():
    """The child's resources and stack outputs come back as the same data (the site program's verdicts are
    compared before and after in the suites of the check)."""
    from preflight.engine.runner import Resource

    def program_run(report, into):
        made = Resource("t:m:R", "r", "urn:r", True, "", "", {"a": [1, 2.5, None]}, {"b": "x"}, None)
        if report is not None:
            report(made)
        into["out"] = {"k": True}
        return [made]

    heard: list[Resource] = []
    exports: dict = {}
    [resource] = isolation.run(program_run, program=Path("main.py"), on_resource=heard.append, exports=exports)
    assert heard == [resource]
    assert resource.inputs == {"a": [1, 2.5, None]}
    assert exports == {"out": {"k": True}}


@POSIX
def test_a_program_that_leaves_a_process_behind_fails_and_the_process_is_ended(tmp_path, monkeypatch):
    """The program's own process ends while one it started holds the channel open: the check sees the end
    (it looks each second), fails the run in one line and kills the run's process group."""
    pid_file = tmp_path / "pid"
    monkeypatch.setenv("ISOLATION_PID_FILE", str(pid_file))
    project = PROGRAMS / "leaves-a-process"
    done = preflight_cli("check", "--project", str(project), "dev", "--no-cache", "--mode", "update")
    assert done.returncode == 2
    assert "ended its process (exit status 0" in _one_error_line(done)
    left = int(pid_file.read_text(encoding="utf-8"))
    assert _gone(left)


def _gone(pid: int) -> bool:
    """Whether ``pid`` is gone or a zombie waiting for its new parent to reap it (a bounded wait for that)."""
    import time

    for _ in range(100):
        try:
            state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_without_fork_the_program_runs_here_and_an_exit_is_still_its_failure(monkeypatch):
    """Windows (no ``os.fork``): no process of its own, no bound; ``sys.exit`` is still a program failure."""
    monkeypatch.setattr(isolation, "supported", lambda: False)

    def program_run(report, into):
        raise SystemExit(0)

    with pytest.raises(ProgramError, match=r"called sys.exit\(0\) before it finished"):
        isolation.run(program_run, program=Path("main.py"))
