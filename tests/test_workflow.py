"""The GitHub workflows: the pull-request check runs `.ci/run` and the fleet check the README documents
(SARIF to code scanning, the matrix to the job summary, forks handled); the deploy workflow previews,
updates and drift-checks each site with the pack attached, under the guards the README promises.

They read the workflow files as data: that GitHub runs them as read is what actionlint and zizmor in
`.ci/run` check, and what only a real run on GitHub proves."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from preflight.cli import _parser
from preflight.engine import stacks

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"


def _load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def _on(document: dict) -> dict:
    return document[True]  # YAML 1.1 reads the `on:` key as True


def _fleet_job() -> dict:
    return _load("preflight.yml")["jobs"]["fleet"]


def _fleet_step() -> dict:
    [step] = [s for s in _fleet_job()["steps"] if "preflight fleet" in s.get("run", "")]
    return step


def test_the_check_runs_on_every_pull_request_whatever_file_it_changes():
    on = _on(_load("preflight.yml"))
    assert on["pull_request"] is None  # no path filter: Pulumi.yaml, pyproject.toml, tests... all matter
    assert on["push"] == {"branches": ["main"]}


def test_the_check_runs_ci_lint_and_tests():
    [step] = [s for s in _load("preflight.yml")["jobs"]["ci"]["steps"] if "run" in s]
    assert step["run"] == "bash .ci/run"


def test_the_workflow_runs_the_fleet_check_with_the_cli_as_it_is():
    argv = shlex.split(_fleet_step()["run"])
    args = _parser().parse_args(argv[argv.index("preflight") + 1 :])
    assert args.command == "fleet"
    assert args.mode == "both"
    assert {fmt for fmt, _ in args.report} == {"sarif", "markdown"}


def test_the_sarif_is_uploaded_and_the_matrix_summarised_even_when_the_check_fails():
    argv = shlex.split(_fleet_step()["run"])
    reports = dict(_parser().parse_args(argv[argv.index("preflight") + 1 :]).report)
    steps = _fleet_job()["steps"]
    [upload] = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == str(reports["sarif"])
    assert upload["if"].startswith("always()")
    [summary] = [s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", "")]
    assert str(reports["markdown"]) in summary["run"]
    assert summary["if"].startswith("always()")


def test_sarif_upload_has_the_permissions_it_needs_and_skips_forks():
    job = _fleet_job()
    assert job["permissions"] == {"contents": "read", "actions": "read", "security-events": "write"}
    assert _load("preflight.yml")["permissions"] == {"contents": "read"}
    [upload] = [s for s in job["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in upload["if"]


def test_the_readme_documents_the_workflows():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ".github/workflows/preflight.yml" in readme
    assert ".github/workflows/deploy.yml" in readme


def _deploy_jobs() -> dict:
    return _load("deploy.yml")["jobs"]


def _pulumi_step(job: dict) -> dict:
    [step] = [s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    return step


def test_the_deploy_matrix_is_every_stack_file_with_its_runner():
    [step] = [s for s in _deploy_jobs()["sites"]["steps"] if s.get("id") == "list"]
    command = step["run"].splitlines()[0]
    argv = shlex.split(command.split("$(", 1)[1].rsplit(")", 1)[0])
    assert argv[:3] == ["python3", "-m", "program.sites"]  # the sites' one rule, before anything is installed
    listed = subprocess.run([sys.executable, "-S", *argv[1:]], cwd=ROOT, capture_output=True, text=True, check=True)
    matrix = json.loads(listed.stdout)
    assert [entry["site"] for entry in matrix] == stacks.available()
    runs_on = {entry["site"]: entry["runsOn"] for entry in matrix}
    assert runs_on["lausanne"] == ["self-hosted", "chuv-imaging"]  # enforced: its own runner in the hospital's range
    assert runs_on["utrecht"] == ["ubuntu-latest"]  # dry run: the default
    assert _deploy_jobs()["sites"]["outputs"]["matrix"] == "${{ steps.list.outputs.matrix }}"


@pytest.mark.parametrize("name", ["preview", "up", "drift"])
def test_each_site_job_runs_on_the_runner_its_matrix_entry_names_under_its_old_check_name(name):
    """``runs-on`` from the matrix; the job's name stays ``<job> (<site>)``, the check branch protection names."""
    job = _deploy_jobs()[name]
    assert job["strategy"]["matrix"] == {"include": "${{ fromJSON(needs.sites.outputs.matrix) }}"}
    assert job["runs-on"] == "${{ matrix.runsOn }}"
    assert job["name"] == f"{name} (${{{{ matrix.site }}}})"


def test_no_job_that_reaches_a_site_runs_on_a_runner_the_stack_file_did_not_name():
    """Every job with a cloud identity (it calls the site's APIs, which an enforced perimeter guards) takes
    its runner from the ``sites`` job; only ``sites`` itself, which reads files, runs GitHub-hosted."""
    for name, job in _deploy_jobs().items():
        calls_google = any(s.get("uses", "").startswith("google-github-actions/auth@") for s in job["steps"])
        assert calls_google == (name != "sites"), name
        if calls_google:
            assert "needs.sites.outputs" in job["runs-on"] or job["runs-on"] == "${{ matrix.runsOn }}", name
            assert job["needs"] == "sites", name
    assert _deploy_jobs()["sites"]["runs-on"] == "ubuntu-latest"


def test_the_sites_step_gives_a_rollback_its_site_s_runner(tmp_path):
    job = _deploy_jobs()["rollback"]
    assert job["runs-on"] == "${{ fromJSON(needs.sites.outputs.rollback-runs-on) }}"
    assert _deploy_jobs()["sites"]["outputs"]["rollback-runs-on"] == "${{ steps.list.outputs.rollback-runs-on }}"
    for site, commit, runs_on in (
        ("lausanne", "a" * 40, ["self-hosted", "chuv-imaging"]),
        ("utrecht", "b" * 40, ["ubuntu-latest"]),
        ("", "", []),  # no rollback: the job is skipped, the output still JSON
    ):
        done = _sites_step(tmp_path, site, commit)
        assert done.returncode == 0, done.stderr
        outputs = dict(line.split("=", 1) for line in (tmp_path / "out").read_text(encoding="utf-8").splitlines())
        assert json.loads(outputs["rollback-runs-on"]) == runs_on
        assert [entry["site"] for entry in json.loads(outputs["matrix"])] == stacks.available()
        (tmp_path / "out").unlink()


def test_an_enforced_site_without_a_runner_stops_the_sites_job_before_any_job_runs(tmp_path):
    """The matrix step exits 2 naming the site, the key and why; every other job needs its output."""
    work = tmp_path / "repo"
    shutil.copytree(ROOT / "stacks", work / "stacks")
    shutil.copytree(ROOT / "program", work / "program", ignore=shutil.ignore_patterns("__pycache__"))
    lausanne = work / "stacks" / "Pulumi.lausanne.yaml"
    text = lausanne.read_text(encoding="utf-8")
    lausanne.write_text(re.sub(r"(?m)^  imaging-deploy:runsOn:.*\n", "", text), encoding="utf-8")
    done = _sites_step(tmp_path, "", "", cwd=work)
    assert done.returncode == 2
    assert done.stderr == (
        "error: stacks/Pulumi.lausanne.yaml: site lausanne: imaging-deploy:runsOn is missing (the default runner is "
        "GitHub-hosted ubuntu-latest) and its perimeter is enforced (imaging-landing-zone:perimeter.enforced): a "
        "GitHub-hosted runner is outside every service perimeter, which refuses its calls to the site's APIs; name "
        "the labels of a self-hosted runner in a hospital network or inside the perimeter, e.g. "
        'imaging-deploy:runsOn: [self-hosted, lausanne-imaging] (docs/deploying.md, "The service perimeter")\n'
    )
    assert not (tmp_path / "out").exists()  # no matrix: no job has a site to run
    assert all(job.get("needs") == "sites" for name, job in _deploy_jobs().items() if name != "sites")


def _sites_step(tmp_path: Path, site: str, commit: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The ``sites`` job's step as GitHub runs a ``run:`` script (bash --noprofile --norc -eo pipefail), with
    the runner's bare Python (``-S``: nothing installed)."""
    [listing] = [s for s in _deploy_jobs()["sites"]["steps"] if s.get("id") == "list"]
    script = listing["run"].replace("python3", f"{sys.executable} -S")
    env = {"PATH": "/usr/bin:/bin", "SITE": site, "COMMIT": commit, "GITHUB_OUTPUT": str(tmp_path / "out")}
    argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_pull_requests_get_a_preview_with_the_pack_posted_on_the_pull_request_and_forks_are_left_out():
    job = _deploy_jobs()["preview"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    step = _pulumi_step(job)["with"]
    assert (step["command"], step["policyPacks"], step["comment-on-pr"]) == ("preview", "policies", True)
    assert job["permissions"]["pull-requests"] == "write"


def test_updates_run_on_main_behind_a_site_environment_one_per_stack_at_a_time():
    job = _deploy_jobs()["up"]
    assert "github.ref == 'refs/heads/main'" in job["if"]
    assert job["environment"] == "site-${{ matrix.site }}"
    assert job["concurrency"] == {"group": "pulumi-stack-${{ matrix.site }}", "cancel-in-progress": False}
    step = _pulumi_step(job)["with"]
    assert (step["command"], step["policyPacks"]) == ("up", "policies")
    # drift checks share the stack's group: a refresh never runs beside an update of the same site
    assert _deploy_jobs()["drift"]["concurrency"]["group"] == job["concurrency"]["group"]


def test_drift_detection_refreshes_and_expects_no_changes_on_a_schedule():
    assert "schedule" in _on(_load("deploy.yml"))
    step = _pulumi_step(_deploy_jobs()["drift"])["with"]
    assert (step["command"], step["refresh"], step["expect-no-changes"]) == ("preview", True, True)


def test_each_job_impersonates_the_identity_made_for_its_trigger():
    """Pull requests run as the site's previewer (it reads nearly nothing: the pull request's code runs with
    it), updates as the deployer, drift checks as the drift checker (bootstrap/, README)."""
    for job, identity in (("preview", "preview"), ("up", "deploy"), ("drift", "drift")):
        [auth] = [
            s for s in _deploy_jobs()[job]["steps"] if s.get("uses", "").startswith("google-github-actions/auth@")
        ]
        assert auth["with"]["service_account"].startswith(f"{identity}-${{{{ matrix.site }}}}@"), job
        step = _pulumi_step(_deploy_jobs()[job])["with"]
        if "secrets-provider" in step:
            assert step["secrets-provider"].endswith("/cryptoKeys/secrets-${{ matrix.site }}"), job


def test_identities_come_from_oidc_never_from_stored_secrets():
    text = (WORKFLOWS / "deploy.yml").read_text(encoding="utf-8")
    assert "secrets." not in text
    assert "credentials_json" not in text
    for name, job in _deploy_jobs().items():
        auth = [s for s in job["steps"] if s.get("uses", "").startswith("google-github-actions/auth@")]
        assert bool(auth) == (job.get("permissions", {}).get("id-token") == "write"), name
    assert _load("deploy.yml")["permissions"] == {}


def test_every_action_is_pinned_to_a_commit_with_its_version_named():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "uses:" in line:
                assert re.search(r"uses: [\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), f"{path.name}: {line.strip()}"


def test_a_rollback_deploys_a_commit_of_main_for_one_site_as_its_deployer_behind_its_environment():
    """README "Roll back a site": dispatched with a site and a commit, the deploy workflow checks both (the
    sites' rule, a full SHA, on main, with the site's stack file) and runs `pulumi up` of that commit."""
    inputs = _on(_load("deploy.yml"))["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"site", "commit"}
    jobs = _deploy_jobs()
    [listing] = [s for s in jobs["sites"]["steps"] if s.get("id") == "list"]
    assert 'python3 -m program.sites --name "$SITE"' in listing["run"]
    assert listing["env"] == {"SITE": "${{ inputs.site }}", "COMMIT": "${{ inputs.commit }}"}  # never inlined
    job = jobs["rollback"]
    assert job["needs"] == "sites"
    assert job["if"] == "github.event_name == 'workflow_dispatch' && inputs.commit != ''"
    assert job["environment"] == "site-${{ inputs.site }}"
    assert job["concurrency"] == {"group": "pulumi-stack-${{ inputs.site }}", "cancel-in-progress": False}
    [checkout] = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["ref"] == "${{ inputs.commit }}"
    [guard] = [s for s in job["steps"] if "merge-base --is-ancestor" in s.get("run", "")]
    assert 'git merge-base --is-ancestor "$COMMIT" origin/main' in guard["run"]
    steps = [s.get("uses", s.get("name", "")) for s in job["steps"]]
    assert steps.index(guard["name"]) < next(i for i, s in enumerate(steps) if s.startswith("pulumi/actions@"))
    step = _pulumi_step(job)["with"]
    assert (step["command"], step["stack-name"], step["policyPacks"]) == ("up", "${{ inputs.site }}", "policies")
    assert "upsert" not in step  # a rollback never creates a stack
    assert step["secrets-provider"].endswith("/cryptoKeys/secrets-${{ inputs.site }}")
    [auth] = [s for s in job["steps"] if s.get("uses", "").startswith("google-github-actions/auth@")]
    assert auth["with"]["service_account"].startswith("deploy-${{ inputs.site }}@")
    # a dispatch with a commit is a rollback, not a drift check
    assert "inputs.commit == ''" in jobs["drift"]["if"]


def test_a_rollback_step_refuses_a_bad_site_or_commit_before_any_job_runs(tmp_path):
    def run(site: str, commit: str) -> subprocess.CompletedProcess[str]:
        return _sites_step(tmp_path, site, commit)

    assert run("lausanne", "a" * 40).returncode == 0
    for site, commit, message in (
        ("Lausanne_1", "a" * 40, "error: site name 'Lausanne_1' is not valid"),
        ("lausanne", "main", "error: commit must be a full 40-character SHA\n"),
        ("lausanne", "", "error: a rollback needs both site and commit\n"),
    ):
        refused = run(site, commit)
        assert refused.returncode == 2, (site, commit)
        assert refused.stderr.startswith(message)
