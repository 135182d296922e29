"""Stack files are untrusted input: every pull request's stack file is read in CI. Whatever a file
holds, reading it ends in bounded time and memory, with a valid site or one line per problem naming
the file (and the limit it broke), never a traceback.

The fuzz test reads its files in one driver process (tests/stack_file_driver.py) under a 400 MB
address-space limit; the command-line tests run ``check`` and ``fleet`` as a user does, under the same
limit, on the hostile files the issue names and on a few generated ones.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from program.config import MAX_NESTING, MAX_STACK_FILE_BYTES, MAX_VALUES
from tests.paths import ROOT
from tests.sites import SITES

MEMORY_MB = 400
"""The issue's bound for one hostile file; the check's runtime (gRPC threads) needs more only once a
file is valid and its program runs."""
SECONDS = 10
TEXTS = {site: (ROOT / "stacks" / f"Pulumi.{site}.yaml").read_text(encoding="utf-8") for site in SITES}


def _limited(megabytes: int) -> object:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (megabytes * 2**20, megabytes * 2**20))

    return limit


def _cli(*argv: str, cwd: Path = ROOT, megabytes: int = MEMORY_MB) -> tuple[subprocess.CompletedProcess[str], float]:
    """The command's result and the CPU seconds it and its children spent (the bound is the work a hostile file
    costs, not the machine's load: a shared machine stretches wall time, not CPU time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "preflight", *argv],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=_limited(megabytes),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return done, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


# --- The hostile files the issue names ------------------------------------------------------------


def alias_bomb(levels: int = 12, fan_out: int = 9) -> str:
    """Each anchor's list names the previous one ``fan_out`` times: 2 KB that expand to 9**12 values."""
    lines = ["config:", "  imaging-landing-zone:labels: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"  x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan_out)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def deep_brackets(depth: int = 3000) -> str:
    return f"config:\n  imaging-landing-zone:labels: {'[' * depth}{']' * depth}\n"


HOSTILE = {
    "alias-bomb": (alias_bomb(), f"more than {MAX_VALUES} values (aliases expanded); a stack file holds at most"),
    "3000-deep-brackets": (deep_brackets(), f"nested deeper than {MAX_NESTING} levels; a stack file nests at most"),
    "3000-deep-braces": (
        "config:\n  x: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
        f"nested deeper than {MAX_NESTING} levels",
    ),
    "deep-block-mappings": (
        "config:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(200)),
        f"nested deeper than {MAX_NESTING} levels",
    ),
    "recursive-alias": ("config:\n  x: &a [*a]\n", "an alias refers to a value that contains it"),
    "deep-aliases": (
        "config:\n  a0: &a0 [1]\n" + "".join(f"  a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 40)),
        f"aliases nest deeper than {MAX_NESTING} levels",
    ),
    "oversized": (
        "config:\n" + "".join(f"  k{i}: value\n" for i in range(MAX_STACK_FILE_BYTES // 8)),
        f"larger than {MAX_STACK_FILE_BYTES // 1024} KiB; a stack file is at most",
    ),
    "deep-json-string": (
        "config:\n  imaging-landing-zone:kms: '" + "[" * 3000 + "]" * 3000 + "'\n",
        f"imaging-landing-zone:kms: nested deeper than {MAX_NESTING} levels",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_stack_file_is_refused_in_one_line_within_the_bounds(tmp_path, name):
    text, limit = HOSTILE[name]
    (tmp_path / "Pulumi.hostile.yaml").write_text(text, encoding="utf-8")
    done, seconds = _cli("check", "./Pulumi.hostile.yaml", "--no-cache", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert seconds < SECONDS
    assert "Traceback" not in done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("error: ./Pulumi.hostile.yaml: ")  # the file, as given
    assert limit in first
    if name != "deep-json-string":  # the others stop at the file; this one is a field's problem, among others
        assert len(done.stderr.splitlines()) == 1


def test_fleet_refuses_an_alias_bomb_and_3000_deep_nesting_within_the_bounds(tmp_path):
    (tmp_path / "Pulumi.bomb.yaml").write_text(alias_bomb(), encoding="utf-8")
    (tmp_path / "Pulumi.deep.yaml").write_text(deep_brackets(), encoding="utf-8")
    done, seconds = _cli("fleet", "--stacks-dir", str(tmp_path), "--jobs", "1", "--no-progress", "--no-cache")
    assert done.returncode == 2, done.stderr
    assert seconds < SECONDS
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2
    assert "Pulumi.bomb.yaml: line" in errors[0]
    assert f"at most {MAX_VALUES}" in errors[0]
    assert "Pulumi.deep.yaml: line 2: nested deeper" in errors[1]


def test_an_alias_within_the_limits_is_read_as_yaml_means_it(tmp_path):
    # Anchors are legitimate YAML: one list of ranges named twice is the same list twice.
    base = TEXTS[SITES[0]]
    text = base.replace("hospitalNetworks: [", "hospitalNetworks: &hospital [", 1)
    assert text != base
    text += "  other:tag: *hospital\n"  # a key of another namespace, after the anchor
    (tmp_path / "Pulumi.anchored.yaml").write_text(text, encoding="utf-8")
    from preflight.engine import stacks

    stack = stacks.load(str(tmp_path / "Pulumi.anchored.yaml"))
    assert (
        json.loads(stack.config["other:tag"])
        == json.loads(stack.config["imaging-landing-zone:network"])["hospitalNetworks"]
    )


# --- Property: any malformed file ------------------------------------------------------------------

_YAML_SPECIALS = "[]{}&*!|>:-,#'\"\n\t %@`?<=~\\"


@st.composite
def malformed(draw: st.DrawFn) -> bytes:  # noqa: PLR0911 (one return per kind of damage)
    """A malformed stack file: an example site's file broken one way, or built to attack the reader."""
    base = TEXTS[draw(st.sampled_from(SITES))]
    kind = draw(
        st.sampled_from(
            ["insert", "delete", "truncate", "replace-line", "aliases", "nesting", "bytes", "json-value", "repeat"]
        )
    )
    at = draw(st.integers(0, len(base)))
    noise = draw(st.text(alphabet=st.sampled_from(_YAML_SPECIALS + "abz09*&"), min_size=1, max_size=40))
    if kind == "insert":
        return (base[:at] + noise + base[at:]).encode()
    if kind == "delete":
        return (base[:at] + base[at + draw(st.integers(1, 200)) :]).encode()
    if kind == "truncate":
        return base[:at].encode()
    if kind == "replace-line":
        lines = base.splitlines()
        lines[draw(st.integers(0, len(lines) - 1))] = noise
        return "\n".join(lines).encode()
    if kind == "aliases":
        levels, fan_out = draw(st.integers(1, 30)), draw(st.integers(1, 40))
        recursive = draw(st.booleans())
        lines = ["config:", "  a0: &a0 [x]" if not recursive else "  a0: &a0 [*a0]"]
        lines += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan_out)}]" for i in range(1, levels)]
        return "\n".join(lines).encode()
    if kind == "nesting":
        depth = draw(st.integers(1, 5000))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ("[{a: ", "}]")]))
        return f"config:\n  x: {opener * depth}1{closer * draw(st.integers(0, depth))}\n".encode()
    if kind == "bytes":
        return draw(st.binary(min_size=0, max_size=2000))
    if kind == "json-value":
        depth = draw(st.integers(1, 4000))
        key = draw(st.sampled_from(["kms", "network", "labels", "rbac", "logging"]))
        return (
            (base + f"  imaging-landing-zone:{key}x: '{'[' * depth}{']' * depth}'\n")
            .replace(f"imaging-landing-zone:{key}x", f"imaging-landing-zone:{key}", 1 if key not in base else 0)
            .encode()
        )
    count = draw(st.integers(2, 40))  # "repeat": a file pasted into itself, often past the size limit
    return (base * count).encode()


@pytest.fixture(scope="module")
def driver() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "stack_file_driver.py"), str(MEMORY_MB)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    yield process
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=30)


def _read(driver: subprocess.Popen[str], path: Path) -> dict[str, object]:
    assert driver.stdin is not None
    assert driver.stdout is not None
    driver.stdin.write(f"{path}\n")
    driver.stdin.flush()
    answer = driver.stdout.readline()
    assert answer, f"the reader died on {path} (exit {driver.poll()}): {path.read_bytes()[:300]!r}"
    result: dict[str, object] = json.loads(answer)
    return result


def test_any_malformed_stack_file_is_refused_in_bounded_time_and_memory_or_valid(driver, tmp_path):
    outcomes: list[str] = []

    @settings(
        max_examples=320,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(malformed())
    def one(data: bytes) -> None:
        path = tmp_path / f"Pulumi.f{len(outcomes)}.yaml"
        path.write_bytes(data)
        result = _read(driver, path)
        assert result["outcome"] != "crash", result["problems"]
        assert float(str(result["seconds"])) < SECONDS
        problems = [str(p) for p in result["problems"]]  # type: ignore[attr-defined]
        if result["outcome"] == "refused":
            assert problems
            for problem in problems:
                assert problem.startswith(f"{path}: "), problem  # names the file, as given
                assert "Traceback" not in problem
            if len(problems) == 1:
                assert len(problems[0].splitlines()) == 1, problems[0]  # never the file's own lines
        outcomes.append(str(result["outcome"]))

    one()
    assert len(outcomes) >= 300
    assert "refused" in outcomes
