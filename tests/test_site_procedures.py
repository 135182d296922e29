"""The deploying guide's (``docs/deploying.md``) "Add a site" and "Retire a site", followed as written.

"Add a site": its offline commands (``python -m preflight ...``) run literally, in a copy of the
repository, in the guide's order; the pull request's ``git add`` must name exactly the files they
changed; the other steps (the bootstrap's ``up``, the environment, the pull request, the merge) are
checked for their order and their commands, not run (they need GitHub and GCP).

"Retire a site": its ``python -m rollout retire`` command runs as written against a stand-in Pulumi
CLI (the Automation API's own seam, ``tests/rollout/fake_pulumi.py``) holding the site's state; the
pull request's ``git add -A`` must name exactly what it changed. Proves the procedure's commands,
order and files; not that a real backend answers so (the integration tests run the real CLI).

Also here: ``new-site``'s refusals and its prompts on a terminal."""

from __future__ import annotations

import os
import pty
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rollout import cli as rollout_cli
from tests.rollout.fake_pulumi import FakePulumi, resource, state

ROOT = Path(__file__).resolve().parent.parent
BACKEND = "gs://chuv-imaging-platform-pulumi-state"


def _section(title: str) -> str:
    guide = (ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")
    return guide.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _commands(section: str) -> list[str]:
    """Every shell command of the section's ``sh`` blocks, continuation lines joined."""
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL):
        text = block.replace("\\\n", " ")
        commands += [line.split("  #", 1)[0].strip() for line in text.splitlines() if line.strip()]
    return commands


def _copy_repository(target: Path) -> Path:
    """The repository's files (tracked and new, as git lists them) in ``target``."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _snapshot(root: Path, folders: tuple[str, ...]) -> dict[str, bytes]:
    """Every file under ``folders`` of ``root``, by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for folder in folders
        for p in (root / folder).rglob("*")
        if p.is_file()
    }


def _changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    """Files added, deleted or changed between two snapshots."""
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def _git_add(commands: list[str]) -> list[str]:
    [add] = [c for c in commands if c.startswith("git add")]
    return [a for a in shlex.split(add)[2:] if a != "-A"]


def _covered(paths: list[str], changed: set[str]) -> bool:
    """Whether the ``git add`` paths name exactly the changed files (a folder names all under it)."""
    return all(any(f == p or f.startswith(p.rstrip("/") + "/") for p in paths) for f in changed) and all(
        any(f == p or f.startswith(p.rstrip("/") + "/") for f in changed) for p in paths
    )


def test_the_guide_s_add_a_site_steps_come_in_the_order_stack_file_bootstrap_environment_pull_request_merge():
    section = _section("Add a site")
    order = ["**1. The stack file", "**2. The bootstrap's `up`", "**3. The GitHub environment", "**4. The pull "]
    order.append("**5. The merge.")
    positions = [section.index(marker) for marker in order]
    assert positions == sorted(positions)
    commands = _commands(section)
    first = [i for i, c in enumerate(commands) if c.startswith("python -m preflight new-site")]
    up = [i for i, c in enumerate(commands) if c.startswith("pulumi up --stack platform")]
    environment = [i for i, c in enumerate(commands) if "environments/site-bern" in c]
    pull = [i for i, c in enumerate(commands) if c.startswith("gh pr create")]
    assert first[0] < up[0] < environment[0] < pull[0]


def test_following_the_guide_adds_a_site_that_check_and_fleet_pass(tmp_path):
    """The offline commands of "Add a site", run as written in a copy of the repository."""
    copy = _copy_repository(tmp_path / "repo")
    commands = _commands(_section("Add a site"))
    offline = [c for c in commands if c.startswith("python -m preflight")]
    assert [shlex.split(c)[3] for c in offline] == ["new-site", "check", "fleet"]
    env = {**os.environ, "PREFLIGHT_NO_CACHE": "1"}
    before = _snapshot(copy, ("stacks", "bootstrap"))
    for command in offline:
        argv = shlex.split(command)
        result = subprocess.run(
            [sys.executable, *argv[1:]], cwd=copy, capture_output=True, text=True, check=False, env=env
        )
        assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    written = yaml.safe_load((copy / "stacks" / "Pulumi.bern.yaml").read_text(encoding="utf-8"))["config"]
    assert written["imaging-landing-zone:gcpProject"] == "insel-imaging-brn"
    bootstrap = yaml.safe_load((copy / "bootstrap" / "Pulumi.platform.yaml").read_text(encoding="utf-8"))
    assert bootstrap["config"]["imaging-bootstrap:sites"]["bern"] == "insel-imaging-brn"
    changed = _changed(before, _snapshot(copy, ("stacks", "bootstrap")))
    assert changed == {"stacks/Pulumi.bern.yaml", "bootstrap/Pulumi.platform.yaml"}
    assert _covered(_git_add(commands), changed)  # the pull request holds what the steps wrote


def _new_site(tmp_path: Path, *flags: str, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    bootstrap = tmp_path / "Pulumi.platform.yaml"
    if not bootstrap.exists():
        shutil.copy(ROOT / "bootstrap" / "Pulumi.platform.yaml", bootstrap)
    argv = ["new-site", "bern", "--stacks-dir", str(tmp_path / "stacks"), "--bootstrap-stack", str(bootstrap)]
    return subprocess.run(
        [sys.executable, "-m", "preflight", *argv, *flags],
        cwd=ROOT,
        capture_output=stdin is subprocess.DEVNULL,
        stdin=stdin,
        text=True,
        check=False,
    )


def _guide_flags() -> list[str]:
    [command] = [c for c in _commands(_section("Add a site")) if c.startswith("python -m preflight new-site")]
    return shlex.split(command)[5:]


def test_without_a_terminal_a_missing_value_is_one_line_naming_its_flag(tmp_path):
    flags = _guide_flags()
    without_region = flags[: flags.index("--region")] + flags[flags.index("--region") + 2 :]
    result = _new_site(tmp_path, *without_region)
    assert result.returncode == 2
    assert result.stderr == (
        "error: new-site: missing --region: give them as flags (nothing is asked without a terminal)\n"
    )
    assert not (tmp_path / "stacks").exists()


def test_it_refuses_the_site_code_or_project_of_another_site(tmp_path):
    """Two stacks would manage one project and the same physical names: refused before anything is written."""
    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "stacks" / "Pulumi.lausanne.yaml", tmp_path / "stacks")
    flags = _guide_flags()
    for flag, value in (("--site-code", "lau"), ("--gcp-project", "chuv-imaging-lau")):
        flags[flags.index(flag) + 1] = value
    result = _new_site(tmp_path, *flags)
    assert result.returncode == 2, result.stderr
    assert "site code 'lau' is site lausanne's already" in result.stderr
    assert "GCP project 'chuv-imaging-lau' is site lausanne's already" in result.stderr
    assert not (tmp_path / "stacks" / "Pulumi.bern.yaml").exists()


def test_it_never_overwrites_a_stack_file(tmp_path):
    (tmp_path / "stacks").mkdir()
    existing = tmp_path / "stacks" / "Pulumi.bern.yaml"
    existing.write_text("config: {}\n", encoding="utf-8")
    result = _new_site(tmp_path, *_guide_flags())
    assert result.returncode == 2
    assert "exists; refusing to overwrite it" in result.stderr
    assert existing.read_text(encoding="utf-8") == "config: {}\n"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            ("--worklist", "ris:10.210.0.0/24:443"),
            "error: new-site: --worklist 'ris:10.210.0.0/24:443': give NAME:CIDR[,CIDR]:PORT[,PORT]:HOP",
            id="worklist-without-next-hop",
        ),
        pytest.param(
            ("--region", "europe-west99"),
            "error: new-site: imaging-landing-zone:region: unknown region 'europe-west99'",
            id="unknown-region",
        ),
        pytest.param(
            ("--pacs-egress", "0.0.0.0/0"),
            "error: new-site: imaging-landing-zone:network.pacsEgressCidrs.0:",
            id="open-pacs-range",
        ),
        pytest.param(
            ("--subnet", "viewer=203.0.113.0/24"),
            "error: new-site: imaging-landing-zone:network.subnets.viewer: '203.0.113.0/24' is not inside a private",
            id="public-subnet",
        ),
    ],
)
def test_a_bad_value_is_refused_before_anything_is_written(tmp_path, change, message):
    flags = _guide_flags()
    flags[flags.index(change[0]) + 1] = change[1]
    before = (ROOT / "bootstrap" / "Pulumi.platform.yaml").read_text(encoding="utf-8")
    result = _new_site(tmp_path, *flags)
    assert result.returncode == 2
    assert result.stderr.startswith(message), result.stderr
    assert not (tmp_path / "stacks" / "Pulumi.bern.yaml").exists()
    assert (tmp_path / "Pulumi.platform.yaml").read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param(
            ("--subnet", "viewer=10.220.0.0/24"),
            "error: new-site: --subnet 'viewer=10.220.0.0/24': viewer is given twice",
            id="subnet-name-twice",
        ),
        pytest.param(
            ("--siem-destination", "logging.googleapis.com/projects/soc-central/locations/eu/buckets/siem"),
            "error: new-site: --siem-subscriber and --siem-destination are given: give one of them, not both",
            id="both-siem-flags",
        ),
    ],
)
def test_a_value_that_would_be_dropped_is_refused(tmp_path, extra, message):
    """A repeated name, or both of two exclusive flags, is refused rather than one of them silently kept."""
    result = _new_site(tmp_path, *_guide_flags(), *extra)
    assert result.returncode == 2
    assert result.stderr.startswith(message), result.stderr
    assert not (tmp_path / "stacks" / "Pulumi.bern.yaml").exists()


def test_a_site_the_bootstrap_already_lists_is_refused_and_no_stack_file_is_left(tmp_path):
    bootstrap = tmp_path / "Pulumi.platform.yaml"
    text = (ROOT / "bootstrap" / "Pulumi.platform.yaml").read_text(encoding="utf-8")
    bootstrap.write_text(text.replace("    utrecht:", "    bern: insel-imaging-brn\n    utrecht:"), encoding="utf-8")
    result = _new_site(tmp_path, *_guide_flags())
    assert result.returncode == 2
    assert result.stderr == "error: new-site: Pulumi.platform.yaml: site bern is in imaging-bootstrap:sites already\n"
    assert not (tmp_path / "stacks" / "Pulumi.bern.yaml").exists()


def test_a_bootstrap_file_that_is_not_utf8_is_refused_and_neither_file_is_written(tmp_path):
    # A bootstrap stack file saved in Latin-1 by an editor (a comment "# café"): both files or neither.
    bootstrap = tmp_path / "Pulumi.platform.yaml"
    original = (ROOT / "bootstrap" / "Pulumi.platform.yaml").read_bytes() + b"# caf\xe9\n"
    bootstrap.write_bytes(original)
    result = _new_site(tmp_path, *_guide_flags())
    assert result.returncode == 2
    assert result.stderr == (
        f"error: new-site: Pulumi.platform.yaml: not UTF-8 text (byte {len(original) - 2}); save it as UTF-8\n"
    )
    assert not (tmp_path / "stacks" / "Pulumi.bern.yaml").exists()
    assert bootstrap.read_bytes() == original


def _without(flags: list[str], flag: str) -> list[str]:
    """``flags`` without every ``flag VALUE`` pair."""
    kept: list[str] = []
    for at, value in enumerate(flags):
        if value != flag and (at == 0 or flags[at - 1] != flag):
            kept.append(value)
    return kept


def test_the_written_site_runs_on_the_runner_given_and_the_deploy_workflow_reads_it(tmp_path):
    """The perimeter is enforced from the first deployment: the guide names the site's self-hosted runner."""
    result = _new_site(tmp_path, *_guide_flags())
    assert result.returncode == 0, result.stderr
    written = tmp_path / "stacks" / "Pulumi.bern.yaml"
    assert yaml.safe_load(written.read_text(encoding="utf-8"))["config"]["imaging-deploy:runsOn"] == [
        "self-hosted",
        "insel-imaging",
    ]
    listed = subprocess.run(
        [sys.executable, "-S", "-m", "program.sites", str(tmp_path / "stacks"), "--matrix"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert listed.stdout == '[{"site": "bern", "runsOn": ["self-hosted", "insel-imaging"]}]\n'


@pytest.mark.parametrize(
    ("runs_on", "message"),
    [
        pytest.param(
            [],
            "error: new-site: site bern: imaging-deploy:runsOn is missing (the default runner is GitHub-hosted "
            "ubuntu-latest) and its perimeter is enforced (imaging-landing-zone:perimeter.enforced): a GitHub-hosted "
            "runner is outside every service perimeter, which refuses its calls to the site's APIs; name the labels "
            "of a self-hosted runner in a hospital network or inside the perimeter, e.g. imaging-deploy:runsOn: "
            '[self-hosted, bern-imaging] (docs/deploying.md, "The service perimeter"); give each label as --runs-on '
            "LABEL\n",
            id="no-runner",
        ),
        pytest.param(
            ["--runs-on", "ubuntu-latest"],
            "error: new-site: site bern: imaging-deploy:runsOn [ubuntu-latest] names no self-hosted runner and its "
            "perimeter is enforced",
            id="github-hosted-runner",
        ),
        pytest.param(
            ["--runs-on", "self-hosted", "--runs-on", ""],
            "error: new-site: --runs-on 'self-hosted' '': imaging-deploy:runsOn must be a list of runner labels "
            "(non-empty strings",
            id="empty-label",
        ),
    ],
)
def test_an_enforced_perimeter_without_a_self_hosted_runner_is_refused_as_the_workflow_refuses_it(
    tmp_path, runs_on, message
):
    result = _new_site(tmp_path, *_without(_guide_flags(), "--runs-on"), *runs_on)
    assert result.returncode == 2
    assert result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "stacks" / "Pulumi.bern.yaml").exists()


def test_on_a_terminal_it_asks_for_what_no_flag_gave(tmp_path):
    """stdin is a pseudo-terminal: the two missing values are asked for, answered, and the file written."""
    flags = _guide_flags()
    for flag in ("--region", "--alert-email"):
        at = flags.index(flag)
        del flags[at : at + 2]
    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"europe-west6\nsoc=soc@insel.example\n")
        bootstrap = tmp_path / "Pulumi.platform.yaml"
        shutil.copy(ROOT / "bootstrap" / "Pulumi.platform.yaml", bootstrap)
        argv = ["new-site", "bern", "--stacks-dir", str(tmp_path / "stacks"), "--bootstrap-stack", str(bootstrap)]
        result = subprocess.run(
            [sys.executable, "-m", "preflight", *argv, *flags],
            cwd=ROOT,
            stdin=terminal,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == 0, result.stderr
    assert "region (the region of images and keys, e.g. europe-west6): " in result.stdout
    assert "alert-email (an alert email as NAME=EMAIL" in result.stdout
    config = yaml.safe_load((tmp_path / "stacks" / "Pulumi.bern.yaml").read_text(encoding="utf-8"))["config"]
    assert config["imaging-landing-zone:region"] == "europe-west6"
    assert config["imaging-landing-zone:logging"]["alerts"] == {"emails": {"soc": "soc@insel.example"}}


# --- Retire a site ---------------------------------------------------------------------------------

IMAGES = "imaging:site:ImagingSite$imaging:storage:ImageBucket"
LOGS = "imaging:site:ImagingSite$imaging:logging:SecurityLogging"


def bern_state() -> dict:
    """A deployed site's state: the image bucket, the locked log bucket and a key (protected), and what
    an update can delete (the viewer's service, a grant)."""
    return state(
        "bern",
        [
            resource("gcp:storage/bucket:Bucket", "brn-images", parent=IMAGES, protect=True),
            resource(
                "gcp:logging/projectBucketConfig:ProjectBucketConfig", "brn-security-logs", parent=LOGS, locked=True
            ),
            resource("gcp:kms/cryptoKey:CryptoKey", "brn-images-key", protect=True),
            resource("gcp:cloudrunv2/service:Service", "brn-viewer"),
            resource("gcp:storage/bucketIAMMember:BucketIAMMember", "brn-images-reader"),
        ],
    )


def _site_repository(tmp_path: Path) -> Path:
    """stacks/ and bootstrap/ of a fleet with a third site, bern (what "Add a site" leaves)."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "stacks", repo / "stacks")
    (repo / "bootstrap").mkdir()
    shutil.copy(ROOT / "bootstrap" / "Pulumi.platform.yaml", repo / "bootstrap")
    shutil.copy(ROOT / "stacks" / "Pulumi.utrecht.yaml", repo / "stacks" / "Pulumi.bern.yaml")
    bootstrap = repo / "bootstrap" / "Pulumi.platform.yaml"
    bootstrap.write_text(bootstrap.read_text(encoding="utf-8") + "    bern: insel-imaging-brn\n", encoding="utf-8")
    return repo


def _retire(repo: Path, argv: list[str], fake: FakePulumi) -> int:
    return rollout_cli.main(
        argv,
        pulumi_command=fake,
        stacks_dir=repo / "stacks",
        bootstrap_stack=repo / "bootstrap" / "Pulumi.platform.yaml",
        records_dir=repo / "retired",
    )


def test_following_the_guide_retires_a_site_in_order_and_leaves_the_files_the_pull_request_adds(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    repo = _site_repository(tmp_path)
    before = _snapshot(repo, ("stacks", "bootstrap", "retired"))
    commands = _commands(_section("Retire a site"))
    [command] = [c for c in commands if c.startswith("python -m rollout retire")]
    fake = FakePulumi(stacks={BACKEND: {"bern": bern_state()}})
    assert _retire(repo, shlex.split(command)[3:], fake) == 0, capsys.readouterr().err
    # whoami first, the state read before any change, the stack removed before the site leaves the matrix
    assert fake.words() == ["whoami", "stack export", "stack select", "destroy", "stack history", "stack rm"]
    assert {call.backend for call in fake.calls} == {BACKEND}
    [destroy] = [c.args for c in fake.calls if c.args[0] == "destroy"]
    assert "--exclude-protected" in destroy
    [remove] = [c.args for c in fake.calls if c.args[:2] == ["stack", "rm"]]
    assert {"--force", "--preserve-config"} <= set(remove)
    assert "bern" not in fake.stacks[BACKEND]
    assert not (repo / "stacks" / "Pulumi.bern.yaml").exists()
    bootstrap = yaml.safe_load((repo / "bootstrap" / "Pulumi.platform.yaml").read_text(encoding="utf-8"))["config"]
    assert "bern" not in bootstrap["imaging-bootstrap:sites"]
    assert bootstrap["imaging-bootstrap:retiredSites"] == ["bern"]
    record = yaml.safe_load((repo / "retired" / "bern" / "retirement.json").read_text(encoding="utf-8"))
    assert record["dataKept"].startswith("Images and logs stay in project insel-imaging-brn")
    assert record["by"] == fake.user
    assert {(k["name"], k["why"]) for k in record["kept"]} == {
        ("brn-images", "holds images"),
        ("brn-security-logs", "locked retention"),
        ("brn-images-key", "protected"),
    }
    export = repo / "retired" / "bern" / record["stateExport"]
    assert yaml.safe_load(export.read_text(encoding="utf-8")) == bern_state()  # as it was before any change
    changed = _changed(before, _snapshot(repo, ("stacks", "bootstrap", "retired")))
    assert _covered(_git_add(commands), changed)  # the pull request holds what retire changed


def test_retire_refuses_while_images_and_locked_logs_remain_unless_told_how_they_are_kept(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    repo = _site_repository(tmp_path)
    fake = FakePulumi(stacks={BACKEND: {"bern": bern_state()}})
    assert _retire(repo, ["retire", "bern"], fake) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        "error: site bern still holds brn-images (holds images), brn-security-logs (locked retention): say how "
        "they are kept with --data-kept"
    )
    assert fake.words() == ["whoami", "stack export"]  # read, nothing changed
    assert (repo / "stacks" / "Pulumi.bern.yaml").exists()
    assert not (repo / "retired").exists()
    assert _retire(repo, ["retire", "bern", "--data-kept", "kept"], FakePulumi()) == 2
    assert "--data-kept: give the decision in a sentence" in capsys.readouterr().err


def test_a_failed_destroy_leaves_the_site_in_the_fleet_with_its_export_written(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    repo = _site_repository(tmp_path)
    bootstrap_before = (repo / "bootstrap" / "Pulumi.platform.yaml").read_text(encoding="utf-8")
    fake = FakePulumi(stacks={BACKEND: {"bern": bern_state()}}, fail={"destroy": "403 the caller lacks permission"})
    argv = ["retire", "bern", "--data-kept", "Images stay in insel-imaging-brn, decision RO-2027-014"]
    assert _retire(repo, argv, fake) == 1
    err = capsys.readouterr().err
    assert "pulumi destroy --exclude-protected failed: error: 403 the caller lacks permission" in err
    assert "nothing left the fleet" in err
    assert "stack rm" not in fake.words()
    assert (repo / "stacks" / "Pulumi.bern.yaml").exists()
    assert (repo / "bootstrap" / "Pulumi.platform.yaml").read_text(encoding="utf-8") == bootstrap_before
    assert list((repo / "retired" / "bern").glob("state-*.json"))
    assert not (repo / "retired" / "bern" / "retirement.json").exists()


def test_a_site_whose_state_holds_no_data_retires_without_a_decision(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    repo = _site_repository(tmp_path)
    fake = FakePulumi(stacks={BACKEND: {"bern": state("bern", [resource("gcp:compute/network:Network", "brn")])}})
    assert _retire(repo, ["retire", "bern"], fake) == 0, capsys.readouterr().err
    assert not (repo / "stacks" / "Pulumi.bern.yaml").exists()
