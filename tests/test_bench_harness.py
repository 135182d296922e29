"""The benchmark's measuring harness (``bench/preflight_bench.py``): what it reads from a plan and from
a finished process. Fast, no timing figures asserted beyond what the kernel guarantees.

Proves the harness measures a real child (its exit code, its memory, a timeout); not that the
figures of the preflight check are good.
"""

from __future__ import annotations

import json
import sys

import pytest

from bench import preflight_bench as bench

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the harness reads /proc (Linux)")


def test_floor_modules_are_the_distinct_gcp_modules_of_the_plan():
    plan = {
        "resources": [
            {"type": "gcp:compute/network:Network"},
            {"type": "gcp:compute/subnetwork:Subnetwork"},
            {"type": "gcp:kms/keyRing:KeyRing"},
            {"type": "imaging:kms:SiteKeys"},
            {"type": "pulumi:providers:gcp"},
        ]
    }
    assert bench.plan_modules(plan) == ["compute", "kms"]


def test_a_child_is_measured_with_its_exit_code_and_memory(tmp_path):
    code = "import time\nblock = bytearray(64 * 1024 * 1024)\ntime.sleep(0.3)\nraise SystemExit(3)"
    run = bench.measure([sys.executable, "-c", code], stdout=tmp_path / "out")
    assert run.exit == 3
    assert run.peak_mb >= 64
    assert run.main_mb >= 64
    assert run.wall_s >= 0.3


def test_a_child_past_its_timeout_is_killed_and_said_so(tmp_path):
    run = bench.measure([sys.executable, "-c", "import time; time.sleep(30)"], stdout=tmp_path / "out", timeout=0.5)
    assert run.wall_s < 10
    assert run.stderr_tail == "timed out after 0.5 s and killed"


def test_checkov_summary_adds_up_every_framework_report(tmp_path):
    out = tmp_path / "checkov.out"
    report = {"summary": {"resource_count": 3, "passed": 5, "failed": 1, "parsing_errors": 0}}
    out.write_text(json.dumps([report, report]), encoding="utf-8")
    run = bench.Run(0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1, str(out))
    result = bench.Result("checkov", "checkov", [], runs=[run])
    assert bench.checkov_summary(result) == {"resource_count": 6, "passed": 10, "failed": 2, "parsing_errors": 0}


def test_tables_align_every_column():
    text = bench.table(("name", "wall s"), [["floor", "3.70"], ["check lausanne", "5.65"]])
    lines = text.splitlines()
    assert len({len(line) for line in lines}) == 1
    assert lines[2].endswith("3.70")
