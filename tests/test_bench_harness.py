"""The benchmark's measuring harness (``bench/preflight_bench.py``): what it reads from a plan and from
a finished process, and how it lays out its summary. Fast, no timing figures asserted beyond what the
kernel guarantees.

Proves the harness measures a real child and its children (exit code, memory, a timeout) and formats
fake figures as the README's table; not that the figures of the preflight check are good.
"""

from __future__ import annotations

import json
import sys

import pytest

from bench import preflight_bench as bench

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PSS sums: Linux")


def test_the_floor_touches_each_distinct_gcp_resource_class_of_the_plan():
    plan = {
        "resources": [
            {"type": "gcp:compute/network:Network"},
            {"type": "gcp:compute/subnetwork:Subnetwork"},
            {"type": "gcp:kms/keyRing:KeyRing"},
            {"type": "gcp:kms/keyRing:KeyRing"},
            {"type": "imaging:kms:SiteKeys"},
            {"type": "pulumi:providers:gcp"},
        ]
    }
    classes = bench.plan_classes(plan)
    assert classes == [("compute", "Network"), ("compute", "Subnetwork"), ("kms", "KeyRing")]
    assert "getattr(getattr(g, m), c)" in bench.floor_command(classes).argv[-1]


def test_a_child_is_measured_with_its_exit_code_and_memory(tmp_path):
    code = "import time\nblock = bytearray(64 * 1024 * 1024)\ntime.sleep(0.5)\nraise SystemExit(3)"
    run = bench.measure([sys.executable, "-c", code], stdout=tmp_path / "out", interval=0.05)
    assert run.exit == 3
    assert run.peak_mb >= 64
    assert run.max_rss_mb >= 64
    assert run.wall_s >= 0.5


def test_the_memory_of_every_process_of_the_tree_is_summed(tmp_path):
    # Two children of 64 MB each, alive at once under a command that holds little, as check's policy
    # pack and fleet's workers are: the sampled sum counts all three (ru_maxrss would see one process,
    # and never less than the forking pytest process). Each child holds its block until its stdin
    # closes; the command closes both 0.5 s after both hold one.
    child = "import sys; block = bytearray(64 * 1024 * 1024); print('ready', flush=True); sys.stdin.read()"
    code = (
        "import subprocess, sys, time\n"
        f"children = [subprocess.Popen([sys.executable, '-c', {child!r}], stdin=subprocess.PIPE, "
        "stdout=subprocess.PIPE, text=True) for _ in range(2)]\n"
        "for c in children: c.stdout.readline()\n"
        "time.sleep(0.5)\n"
        "for c in children: c.stdin.close(); c.wait()\n"
    )
    run = bench.measure([sys.executable, "-c", code], stdout=tmp_path / "out", interval=0.05)
    assert run.exit == 0
    assert run.processes == 3
    assert run.peak_mb >= 128


def test_a_child_past_its_timeout_is_killed_and_said_so(tmp_path):
    run = bench.measure([sys.executable, "-c", "import time; time.sleep(30)"], stdout=tmp_path / "out", timeout=0.5)
    assert run.wall_s < 10
    assert run.stderr_tail == "timed out after 0.5 s and killed"


def test_checkov_summary_adds_up_every_framework_report(tmp_path):
    out = tmp_path / "checkov.out"
    report = {"summary": {"resource_count": 3, "passed": 5, "failed": 1, "parsing_errors": 0}}
    out.write_text(json.dumps([report, report]), encoding="utf-8")
    run = bench.Run(exit=0, wall_s=1.0, cpu_s=1.0, peak_mb=1.0, max_rss_mb=1.0, stdout=str(out))
    result = bench.Result("checkov", "checkov", [], runs=[run])
    assert bench.checkov_summary(result) == {"resource_count": 6, "passed": 10, "failed": 2, "parsing_errors": 0}


def test_tables_align_every_column():
    text = bench.table(("name", "wall s"), [["floor", "3.70"], ["check lausanne", "5.65"]])
    lines = text.splitlines()
    assert len({len(line) for line in lines}) == 1
    assert lines[2].endswith("3.70")


def _result(key: str, wall: float, cpu: float, peak: float) -> bench.Result:
    run = bench.Run(exit=0, wall_s=wall, cpu_s=cpu, peak_mb=peak, max_rss_mb=peak, stdout="")
    return bench.Result(key, key, [], runs=[run])


def test_the_summary_puts_each_figure_next_to_checkov_and_its_target(tmp_path):
    session = bench.Bench(tmp_path, {}, repeat=1, timeout=60)
    checkov_site, checkov_fleet = _result("checkov-site", 4.2, 4.0, 182), _result("checkov-fleet", 75.1, 70.0, 1023)
    rows = [
        bench.SummaryRow("one site", _result("check", 5.0, 3.5, 204), checkov_site, "≤ 1.2x floor"),
        bench.SummaryRow("100 sites cold", _result("cold", 28.4, 51.0, 812), checkov_fleet, "≤ 0.8x Checkov"),
        bench.SummaryRow("100 sites warm", bench.skipped("warm", "warm", bench.NO_CACHE), checkov_fleet, "≤ 3 s"),
    ]
    session.judge(rows[0], 1.35, bench.FLOOR_TARGET, lambda x: f"{x:.2f}x floor")
    session.judge(rows[1], 28.4 / 75.1, bench.COLD_TARGET_CHECKOV, lambda x: f"{x:.2f}x Checkov")
    session.judge(rows[2], None, bench.WARM_TARGET_SECONDS, lambda x: f"{x:.1f} s")
    assert bench.summary_table(rows).splitlines() == [
        "run             preflight s  cpu s  peak MB  Checkov s  peak MB  ratio  target          verdict",
        "--------------  -----------  -----  -------  ---------  -------  -----  --------------  --------------------",
        "one site               5.00   3.50      204       4.20      182  1.19x  ≤ 1.2x floor    missed (1.35x floor)",
        "100 sites cold        28.40  51.00      812      75.10     1023  0.38x  ≤ 0.8x Checkov  met (0.38x Checkov)",
        "100 sites warm            -      -        -      75.10     1023      -  ≤ 3 s           not measured",
    ]
    assert bench.summary_table(rows, markdown=True).splitlines()[:3] == [
        "| run | preflight s | cpu s | peak MB | Checkov s | peak MB | ratio | target | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
        "| one site | 5.00 | 3.50 | 204 | 4.20 | 182 | 1.19x | ≤ 1.2x floor | missed (1.35x floor) |",
    ]
    assert session.missed == ["one site: 1.35x floor (target ≤ 1.2x floor)"]
    assert session.evaluated == 2
