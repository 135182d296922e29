"""The fleet runner's orchestration (order, parallelism bound, failure handling, summary) and its CLI.

These tests drive ``rollout.runner`` with plain functions in place of Pulumi: they prove what the
runner does with outcomes, not that a preview or update happened (``test_pulumi_ops`` shows the CLI
arguments the real operation produces; the integration test runs the real thing)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rollout import cli, runner
from rollout.runner import Outcome, run_fleet

ROOT = Path(__file__).resolve().parents[2]


def test_results_keep_the_order_of_the_sites_and_one_job_runs_them_in_that_order():
    seen: list[str] = []

    def op(site: str) -> Outcome:
        seen.append(site)
        return Outcome("ok")

    runs = run_fleet(["c", "a", "b"], op, jobs=1, stop_on_failure=False)
    assert seen == ["c", "a", "b"]
    assert [r.site for r in runs] == ["c", "a", "b"]


def test_no_more_sites_run_at_once_than_jobs():
    running = 0
    peak = 0
    lock = threading.Lock()

    def op(site: str) -> Outcome:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return Outcome("ok")

    run_fleet([f"s{i}" for i in range(9)], op, jobs=3, stop_on_failure=False)
    assert peak == 3


def test_after_a_failure_no_new_site_starts_and_the_rest_are_skipped():
    started: list[str] = []

    def op(site: str) -> Outcome:
        started.append(site)
        return Outcome("failed", message="boom") if site == "b" else Outcome("ok")

    runs = run_fleet(["a", "b", "c", "d"], op, jobs=1, stop_on_failure=True)
    assert started == ["a", "b"]
    assert [r.outcome.status for r in runs] == ["ok", "failed", "skipped", "skipped"]
    assert runs[2].outcome.message == "not started: an earlier site failed"
    assert runner.exit_code(runs) == 1


def test_keep_going_runs_every_site_after_a_failure():
    runs = run_fleet(
        ["a", "b", "c"], lambda s: Outcome("failed") if s == "a" else Outcome("ok"), jobs=1, stop_on_failure=False
    )
    assert [r.outcome.status for r in runs] == ["failed", "ok", "ok"]


def test_sites_already_running_finish_when_another_fails():
    def op(site: str) -> Outcome:
        if site == "slow":
            time.sleep(0.2)
            return Outcome("ok")
        return Outcome("failed", message="quota")

    runs = run_fleet(["slow", "fast", "later"], op, jobs=2, stop_on_failure=True)
    assert [r.outcome.status for r in runs] == ["ok", "failed", "skipped"]


def test_an_operation_that_raises_is_that_sites_failure_with_the_reason():
    def op(site: str) -> Outcome:
        raise RuntimeError("summary event never found")

    [run] = run_fleet(["a"], op, jobs=1, stop_on_failure=True)
    assert run.outcome == Outcome("failed", message="RuntimeError: summary event never found")


def test_drifted_sites_fail_the_run_and_unchanged_ones_do_not():
    assert runner.exit_code(run_fleet(["a"], lambda s: Outcome("ok"), jobs=1, stop_on_failure=False)) == 0
    assert runner.exit_code(run_fleet(["a"], lambda s: Outcome("changes"), jobs=1, stop_on_failure=False)) == 0
    assert runner.exit_code(run_fleet(["a"], lambda s: Outcome("drifted"), jobs=1, stop_on_failure=False)) == 1


def test_the_summary_lists_every_site_with_its_counts_and_a_total():
    runs = [
        runner.SiteRun("lausanne", Outcome("changes", {"create": 3, "same": 40}, 0), 12.0),
        runner.SiteRun("utrecht", Outcome("failed", message="error: preview failed"), 4.0),
    ]
    text = runner.summary_table("preview", runs)
    lines = text.splitlines()
    assert lines[0].split() == ["site", "status", "create", "update", "replace", "delete", "policy", "time", "note"]
    assert lines[1].split()[:4] == ["lausanne", "changes", "3", "0"]
    assert lines[2].endswith("error: preview failed")
    assert lines[-1] == "preview: 2 site(s): 1 changes, 1 failed"
    document = runner.to_json("preview", runs)
    assert document["format"] == "imaging-landing-zone/rollout@1"
    assert document["exitCode"] == 1
    assert document["sites"][0]["changes"] == {"create": 3, "same": 40}


def test_progress_names_each_site_as_it_starts_and_ends(capsys):
    import io

    stream = io.StringIO()
    run_fleet(["a", "b"], lambda s: Outcome("ok"), jobs=1, stop_on_failure=False, progress=runner.Progress(2, stream))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[0/2] a: started"
    assert lines[1].startswith("[1/2] a: ok")
    assert lines[3].startswith("[2/2] b: ok")


def _fake_factory(outcomes: dict[str, Outcome], calls: list[tuple[str, dict]]):
    def factory(kind: str, **options):
        calls.append((kind, options))
        return lambda site: outcomes[site]

    return factory


def test_the_cli_runs_every_site_with_all_and_writes_the_json(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    calls: list[tuple[str, dict]] = []
    target = tmp_path / "rollout.json"
    outcomes = {"lausanne": Outcome("ok"), "utrecht": Outcome("drifted", {"update": 1})}
    code = cli.main(["drift", "--all", "--json", str(target)], operation_factory=_fake_factory(outcomes, calls))
    assert code == 1
    [(kind, options)] = calls
    assert kind == "drift"
    assert options["policy_pack"] == ROOT / "policies"
    # the bootstrap's state bucket and each site's own key, from bootstrap/Pulumi.platform.yaml
    assert options["backend_url"] == "gs://chuv-imaging-platform-pulumi-state"
    assert options["secrets_provider"] == (
        "gcpkms://projects/chuv-imaging-platform/locations/europe-west6/keyRings/pulumi/cryptoKeys/secrets-{site}"
    )
    document = json.loads(target.read_text())
    assert [s["site"] for s in document["sites"]] == ["lausanne", "utrecht"]
    assert "drift: 2 site(s): 1 drifted, 1 ok" in capsys.readouterr().out


def test_up_stops_after_the_first_failure_unless_told_to_keep_going(capsys):
    outcomes = {"lausanne": Outcome("failed", message="denied"), "utrecht": Outcome("ok")}
    assert cli.main(["up", "--all", "--jobs", "1"], operation_factory=_fake_factory(outcomes, [])) == 1
    captured = capsys.readouterr()
    assert [line.split()[:2] for line in captured.out.splitlines()[1:3]] == [
        ["lausanne", "failed"],
        ["utrecht", "skipped"],
    ]
    assert "[2/2] utrecht: skipped (not started: an earlier site failed)" in captured.err
    assert cli.main(["up", "--all", "--jobs", "1", "--keep-going"], operation_factory=_fake_factory(outcomes, [])) == 1
    out = capsys.readouterr().out
    assert "skipped" not in out


def _run(*argv: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "PATH": path if path is not None else os.environ["PATH"]}
    return subprocess.run(
        [sys.executable, "-m", "rollout", *argv], cwd=ROOT, capture_output=True, text=True, check=False, env=env
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ("preview", "bern"), "error: no stack file stacks/Pulumi.bern.yaml (known sites:", id="unknown-site"
        ),
        pytest.param(("up", "--jobs", "0"), "--jobs: must be at least 1", id="zero-jobs"),
        pytest.param(("up", "--jobs", "two"), "--jobs: 'two' is not a whole number", id="jobs-not-a-number"),
        pytest.param(
            ("preview", "lausanne", "--policy-pack-config", "missing.json"),
            "error: --policy-pack-config missing.json: no such file",
            id="missing-policy-config",
        ),
        pytest.param(("deploy",), "invalid choice: 'deploy'", id="unknown-operation"),
        pytest.param(
            ("up",),
            "error: no site named: give the sites (lausanne, utrecht) or --all for every one",
            id="up-with-no-site",
        ),
        pytest.param(("drift", "lausanne", "--all"), "error: name sites or give --all, not both", id="sites-and-all"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message):
    result = _run(*argv)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    if message.startswith("error:"):
        assert result.stderr.count("\n") == 1, result.stderr


def test_up_with_no_site_starts_nothing(capsys):
    """Safe by default: an update of every site is asked for by name (``--all``), never by omission."""
    calls: list[tuple[str, dict]] = []
    assert cli.main(["up"], operation_factory=_fake_factory({}, calls)) == 2
    assert calls == []
    assert capsys.readouterr().err == (
        "error: no site named: give the sites (lausanne, utrecht) or --all for every one\n"
    )


def test_a_site_the_bootstrap_made_no_key_for_is_refused_before_anything_starts(tmp_path, capsys):
    stacks_dir = tmp_path / "stacks"
    stacks_dir.mkdir()
    for site in ("lausanne", "bern"):
        (stacks_dir / f"Pulumi.{site}.yaml").write_text((ROOT / "stacks" / "Pulumi.lausanne.yaml").read_text())
    calls: list[tuple[str, dict]] = []
    code = cli.main(["preview", "bern"], operation_factory=_fake_factory({}, calls), stacks_dir=stacks_dir)
    assert code == 2
    assert calls == []
    err = capsys.readouterr().err
    assert err.startswith("error: site bern has no secrets key in the bootstrap (bootstrap/Pulumi.platform.yaml")
    assert "never takes the backend's default secrets provider" in err


def test_without_the_pulumi_cli_the_runner_says_how_to_get_it(tmp_path):
    result = _run("preview", "lausanne", path=str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: the Pulumi CLI is not on PATH")
    assert "python -m preflight fleet" in result.stderr


def test_a_policy_config_that_lowers_a_mandatory_policy_without_its_reason_starts_nothing(tmp_path, capsys):
    """The engine applies a config's enforcement levels without asking the pack: rollout refuses what
    `preflight check --policy-config` refuses, before any site runs."""
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"gcp-kms-crypto-key-rotation": "disabled"}), encoding="utf-8")
    calls: list[tuple[str, dict]] = []
    argv = ["up", "lausanne", "--policy-pack-config", str(config)]
    assert cli.main(argv, operation_factory=_fake_factory({"lausanne": Outcome("ok")}, calls)) == 2
    assert calls == []
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "gcp-kms-crypto-key-rotation: sets the mandatory policy" in line
    assert "levelReason" in line


def test_a_policy_config_with_the_reason_for_its_lowering_is_handed_to_the_engine(tmp_path, monkeypatch):
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    config = tmp_path / "policy-config.json"
    reason = "the vendor rotates this key by hand once a year (SEC-1042)"
    document = {"gcp-kms-crypto-key-rotation": {"enforcementLevel": "advisory", "levelReason": reason}}
    config.write_text(json.dumps(document), encoding="utf-8")
    calls: list[tuple[str, dict]] = []
    argv = ["preview", "lausanne", "--policy-pack-config", str(config)]
    assert cli.main(argv, operation_factory=_fake_factory({"lausanne": Outcome("ok")}, calls)) == 0
    [(_, options)] = calls
    assert options["policy_pack_config"] == config
