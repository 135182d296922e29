"""``rollout``'s safe defaults and the bootstrap's state move, through the Automation API's own seam (a
stand-in Pulumi CLI, ``fake_pulumi.FakePulumi``).

Proves the commands issued, their order, the backend each runs on and the secrets provider a new stack
gets; not that the real CLI or a real bucket answers so (``tests/integration`` runs the real CLI)."""

from __future__ import annotations

import pytest
import yaml

from rollout import cli, platform
from tests.rollout.fake_pulumi import FakePulumi, resource, state

BACKEND = "gs://chuv-imaging-platform-pulumi-state"
KEYS = "gcpkms://projects/chuv-imaging-platform/locations/europe-west6/keyRings/pulumi/cryptoKeys"


@pytest.fixture(autouse=True)
def _no_backend_from_the_environment(monkeypatch):
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)


def test_the_login_is_checked_before_anything_starts_and_a_failure_is_one_line(capsys):
    fake = FakePulumi(fail={"whoami": "PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions"})
    assert cli.main(["up", "lausanne"], pulumi_command=fake) == 2
    assert fake.words() == ["whoami"]  # no stack selected, nothing run
    assert fake.calls[0].backend == BACKEND
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: backend {BACKEND}: `pulumi whoami` failed (error: PULUMI_ACCESS_TOKEN must be set")
    assert f"log in with `pulumi login {BACKEND}`" in err


def test_a_cli_answering_for_another_backend_is_refused(capsys):
    class Elsewhere(FakePulumi):
        def run(self, args, cwd, additional_env, on_output=None, on_error=None):
            return super().run(args, cwd, {"PULUMI_BACKEND_URL": "https://api.pulumi.com"})

    assert cli.main(["preview", "lausanne"], pulumi_command=Elsewhere()) == 2
    assert capsys.readouterr().err == (
        f"error: backend {BACKEND}: the Pulumi CLI answers for https://api.pulumi.com; refusing to run\n"
    )


def test_the_backend_can_be_named_and_every_command_runs_on_it(monkeypatch):
    monkeypatch.setenv("PULUMI_BACKEND_URL", "gs://elsewhere-state")
    fake = FakePulumi(stacks={"gs://other-state": {"lausanne": state("lausanne", [])}})
    cli.main(["preview", "lausanne", "--backend-url", "gs://other-state"], pulumi_command=fake)
    assert {call.backend for call in fake.calls} == {"gs://other-state"}  # the flag over the environment


def test_a_new_stack_is_created_with_its_sites_key_from_the_bootstrap(capsys):
    fake = FakePulumi()
    cli.main(["preview", "lausanne", "utrecht", "--jobs", "1"], pulumi_command=fake)
    assert fake.providers == {
        (BACKEND, "lausanne"): f"{KEYS}/secrets-lausanne",
        (BACKEND, "utrecht"): f"{KEYS}/secrets-utrecht",
    }
    assert fake.words()[:3] == ["whoami", "stack select", "stack init"]


def test_an_existing_stack_is_selected_never_created_again():
    fake = FakePulumi(stacks={BACKEND: {"lausanne": state("lausanne", [])}})
    cli.main(["drift", "lausanne"], pulumi_command=fake)
    assert "stack init" not in fake.words()
    assert fake.providers == {}


def test_the_key_and_backend_rollout_uses_are_the_ones_the_bootstrap_and_the_workflow_name():
    """One form for a site's key: rollout's (from the bootstrap's stack file), the deploy workflow's
    (from repository variables) and the bootstrap program's key ring and key names."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    fleet = platform.load()
    workflow = yaml.safe_load((root / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8"))
    [step] = [s for s in workflow["jobs"]["up"]["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    wanted = (
        step["with"]["secrets-provider"]
        .replace("${{ vars.GCP_PLATFORM_PROJECT }}", fleet.project)
        .replace("${{ vars.GCP_REGION }}", fleet.region)
        .replace("${{ matrix.site }}", "lausanne")
    )
    assert fleet.secrets_provider("lausanne") == wanted
    program = (root / "bootstrap" / "__main__.py").read_text(encoding="utf-8")
    assert 'ring="pulumi"' in program  # PlatformKeys' key ring, named pulumi
    assert 'bucket_name = f"{project}-pulumi-state"' in program
    assert fleet.backend_url == f"gs://{fleet.project}-pulumi-state"


def test_the_bootstraps_state_moves_into_its_bucket_in_order_with_its_secrets_readable(tmp_path, capsys):
    source = f"file://{tmp_path}/bootstrap-state"
    exported = state("platform", [resource("gcp:storage/bucket:Bucket", "state", protect=True)])
    fake = FakePulumi(stacks={source: {"platform": exported}})
    assert cli.main(["move-bootstrap-state", "--from", source], pulumi_command=fake) == 0
    steps = [(call.backend, word) for call, word in zip(fake.calls, fake.words(), strict=True)]
    assert steps == [
        (source, "whoami"),
        (BACKEND, "whoami"),
        (source, "stack change-secrets-provider"),  # the state key first: the export's ciphertexts are the key's
        (source, "stack export"),
        (BACKEND, "stack init"),
        (BACKEND, "stack import"),
        (BACKEND, "stack export"),
    ]
    state_key = f"{KEYS}/state"
    assert fake.providers == {(source, "platform"): state_key, (BACKEND, "platform"): state_key}
    assert not any("--show-secrets" in call.args for call in fake.calls)
    assert fake.stacks[BACKEND]["platform"] == exported
    assert fake.stacks[source]["platform"] == exported  # left in place, to delete once verified
    assert all(call.cwd.endswith("bootstrap") for call in fake.calls if call.args[0] != "whoami")
    assert "(1 resource(s)) is in gs://chuv-imaging-platform-pulumi-state" in capsys.readouterr().out


def test_a_failed_import_stops_the_move_in_one_line(tmp_path, capsys):
    source = f"file://{tmp_path}/bootstrap-state"
    fake = FakePulumi(stacks={source: {"platform": state("platform", [])}}, fail={"import": "could not read file"})
    assert cli.main(["move-bootstrap-state", "--from", source], pulumi_command=fake) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "error: stack import failed: error: could not read file"


def test_the_bootstraps_state_only_moves_into_a_bucket(tmp_path, capsys):
    fake = FakePulumi()
    code = cli.main(["move-bootstrap-state", "--from", "file://x", "--to", f"file://{tmp_path}"], pulumi_command=fake)
    assert code == 2
    assert fake.calls == []
    assert "the bootstrap's state belongs in its gs:// state bucket" in capsys.readouterr().err
