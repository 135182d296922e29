"""The real operation's Pulumi CLI invocations, through the Automation API's own seam (a
``PulumiCommand`` that records its arguments instead of running a CLI that is not installed here).

They prove which commands and flags the runner asks for (the stack, the policy pack, refresh for
drift); no preview or update runs, so the recorded "CLI" answers nothing and the operation reports the
site as failed, which is asserted as such."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi import automation as auto
from pulumi.automation.errors import create_command_error
from semver import VersionInfo

from rollout import pulumi_ops

ROOT = Path(__file__).resolve().parents[2]
BACKEND = "gs://chuv-imaging-platform-pulumi-state"


class RecordingCommand(auto.PulumiCommand):
    """Records every CLI call; ``fail`` names an argument whose call exits 255 with an error line."""

    def __init__(self, fail: str | None = None, stderr: str = "") -> None:  # no `pulumi version`: there is no CLI
        self.command = "pulumi"
        self.version = VersionInfo(3, 272, 0)
        self.calls: list[list[str]] = []
        self._fail = fail
        self._stderr = stderr

    def run(self, args, cwd, additional_env, on_output=None, on_error=None):
        self.calls.append(list(args))
        if self._fail and self._fail in args:
            # as PulumiCommand.run does with a non-zero exit
            raise create_command_error(auto.CommandResult(stdout="", stderr=self._stderr, code=255))
        # a query for JSON (stack history, outputs) gets an empty answer: nothing was deployed
        return auto.CommandResult(
            stdout="[]" if "history" in args else "{}" if "--json" in args else "", stderr="", code=0
        )


def _operation(kind: str, command: RecordingCommand, **options):
    return pulumi_ops.operation(
        kind, work_dir=ROOT, policy_pack=ROOT / "policies", backend_url=BACKEND, pulumi_command=command, **options
    )


def _call(command: RecordingCommand, verb: str) -> list[str]:
    [call] = [c for c in command.calls if c[0] == verb]
    return call


@pytest.mark.parametrize("kind", ["preview", "drift", "up"])
def test_each_operation_selects_the_sites_stack_and_attaches_the_policy_pack(kind):
    command = RecordingCommand()
    outcome = _operation(kind, command, policy_pack_config=ROOT / "policy-config.json")("lausanne")
    assert command.calls[0][:2] == ["stack", "select"] or command.calls[0][:2] == ["stack", "init"]
    call = _call(command, "up" if kind == "up" else "preview")
    assert call[call.index("--policy-pack") + 1] == str(ROOT / "policies")
    assert call[call.index("--policy-pack-config") + 1] == str(ROOT / "policy-config.json")
    assert call[call.index("--stack") + 1] == "lausanne"
    assert ("--refresh" in call) == (kind == "drift")
    # the recording command emits no engine events, so no summary: the site is reported failed, not passed
    assert outcome.status == "failed"


def test_a_cli_error_is_the_sites_failure_with_the_clis_own_error_line():
    command = RecordingCommand(fail="preview", stderr="Previewing...\nerror: 403 the caller lacks permission\n")
    outcome = _operation("preview", command)("utrecht")
    assert outcome.status == "failed"
    assert outcome.message == "error: 403 the caller lacks permission"


def test_a_new_site_gets_the_secrets_provider_when_its_stack_is_created():
    command = RecordingCommand(fail="select", stderr="error: no stack named 'bern' found\n")
    _operation("up", command, secrets_provider="gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/secrets-{site}")(
        "bern"
    )
    assert command.calls[0][:2] == ["stack", "select"]
    assert command.calls[1][:3] == ["stack", "init", "bern"]
    provider = command.calls[1][command.calls[1].index("--secrets-provider") + 1]
    assert provider == "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/secrets-bern"  # the site's own key


def test_a_new_site_without_a_secrets_provider_is_not_created_with_the_backends_default():
    command = RecordingCommand(fail="select", stderr="error: no stack named 'bern' found\n")
    outcome = _operation("up", command)("bern")
    assert [c[:2] for c in command.calls] == [["stack", "select"]]  # no `stack init`
    assert outcome.status == "failed"
    assert outcome.message == "no stack bern yet, and no secrets provider for it: refusing the backend's default"
