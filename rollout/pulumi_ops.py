"""The real operation: one site's ``pulumi preview`` / ``up`` / drift check through the Automation API,
with the policy pack attached. Needs the Pulumi CLI (every Automation API call runs it)."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rollout.runner import Operation, Outcome, changed


class CliMissingError(Exception):
    """The Pulumi CLI is not on PATH."""


class BackendError(Exception):
    """The state backend cannot be used (not logged in, no access, another backend); one line."""


def require_cli() -> None:
    """Fail early, with the fix, when the Pulumi CLI is missing."""
    if shutil.which("pulumi") is None:
        raise CliMissingError(
            "the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/iac/download-install/), "
            "or run the offline check instead: python -m preflight fleet"
        )


def workspace(
    work_dir: Path, backend_url: str, *, secrets_provider: str | None = None, pulumi_command: Any = None
) -> Any:
    """An Automation API workspace of ``work_dir`` on the backend ``backend_url`` (never the CLI's current
    login: ``PULUMI_BACKEND_URL`` is set for every command)."""
    from pulumi import automation as auto

    return auto.LocalWorkspace(
        work_dir=str(work_dir),
        secrets_provider=secrets_provider,
        pulumi_command=pulumi_command,
        env_vars={"PULUMI_BACKEND_URL": backend_url},
    )


def check_backend(backend_url: str, *, work_dir: Path, pulumi_command: Any = None) -> str:
    """``pulumi whoami`` on ``backend_url`` before anything starts: the user, or ``BackendError`` in one
    line with the fix (log in; the bucket is unreachable; the CLI answered for another backend)."""
    from pulumi import automation as auto

    try:
        who = workspace(work_dir, backend_url, pulumi_command=pulumi_command).who_am_i()
    except auto.CommandError as error:
        raise BackendError(
            f"backend {backend_url}: `pulumi whoami` failed ({_reason(error)}); log in with "
            f"`pulumi login {backend_url}` and give the CLI credentials that reach it "
            "(gcloud auth application-default login)"
        ) from None
    except (ValueError, KeyError) as error:
        raise BackendError(f"backend {backend_url}: `pulumi whoami --json` gave no answer ({error})") from None
    url = (who.url or "").rstrip("/")
    if not _same_backend(url, backend_url):
        raise BackendError(f"backend {backend_url}: the Pulumi CLI answers for {url or 'no backend'}; refusing to run")
    return str(who.user)


def _same_backend(answered: str, wanted: str) -> bool:
    """Whether the CLI's backend URL is ``wanted`` (a ``file://`` folder compared as a path)."""
    if answered.startswith("file://") and wanted.startswith("file://"):

        def folder(url: str) -> Path:
            return Path(url.removeprefix("file://")).expanduser().resolve()

        return folder(answered) == folder(wanted)
    return answered == wanted.rstrip("/")


def _counts(summary: Mapping[Any, Any] | None) -> dict[str, int]:
    """Pulumi's change summary (OpType or str keys) as plain ``{"create": 2, ...}``."""
    return {str(getattr(kind, "value", kind)): int(count) for kind, count in (summary or {}).items()}


def _reason(error: Exception) -> str:
    """The CLI's own last error line, not the whole command result."""
    text = getattr(getattr(error, "command_result", None), "stderr", "") or str(error)
    lines = [line.strip().removeprefix("stderr: ") for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error:")]
    return (errors or lines or [type(error).__name__])[-1][:300]


def operation(
    kind: str,
    *,
    work_dir: Path,
    policy_pack: Path,
    backend_url: str,
    policy_pack_config: Path | None = None,
    secrets_provider: str | None = None,
    pulumi_command: Any = None,
) -> Operation:
    """The Automation API call for ``kind`` (preview, up, drift) on one site's stack in ``work_dir``.

    ``drift`` is a preview after a refresh: any change means the cloud no longer matches the program.
    ``secrets_provider`` may name the site as ``{site}`` (each site has its own key); a stack that does
    not exist yet is created with it, and without one it is not created at all (the backend's default
    provider is refused). ``pulumi_command`` (an ``auto.PulumiCommand``) is the Automation API's own seam
    for which CLI runs.
    """
    from pulumi import automation as auto

    packs = [str(policy_pack)]
    configs = [str(policy_pack_config)] if policy_pack_config else None

    def run(site: str) -> Outcome:
        violations = 0

        def on_event(event: Any) -> None:
            nonlocal violations
            policy = getattr(event, "policy_event", None)
            if policy is not None and policy.enforcement_level == "mandatory":
                violations += 1

        provider = secrets_provider.replace("{site}", site) if secrets_provider else None
        space = workspace(work_dir, backend_url, secrets_provider=provider, pulumi_command=pulumi_command)
        try:
            try:
                stack = auto.Stack.select(site, space)
            except auto.StackNotFoundError:
                if provider is None:
                    return Outcome(
                        "failed",
                        message=f"no stack {site} yet, and no secrets provider for it: refusing the backend's default",
                    )
                stack = auto.Stack.create(site, space)
            common: dict[str, Any] = {
                "policy_packs": packs,
                "policy_pack_configs": configs,
                "on_event": on_event,
                "color": "never",
            }
            if kind == "up":
                result = stack.up(**common)
                counts = _counts(result.summary.resource_changes)
                return Outcome("changes" if changed(counts) else "ok", counts, violations)
            preview = stack.preview(refresh=kind == "drift", **common)
        except auto.CommandError as error:
            return Outcome("failed", policy_violations=violations, message=_reason(error))
        except Exception as error:
            return Outcome("failed", policy_violations=violations, message=f"{type(error).__name__}: {error}")
        counts = _counts(preview.change_summary)
        if kind == "drift":
            return Outcome("drifted" if changed(counts) else "ok", counts, violations)
        return Outcome("changes" if changed(counts) else "ok", counts, violations)

    return run


def retire_steps(work_dir: Path, backend_url: str, *, pulumi_command: Any = None) -> Any:
    """The Pulumi side of ``rollout retire`` (``rollout.retire.Steps``) on the Automation API."""
    from pulumi import automation as auto

    from rollout.retire import Steps

    space = workspace(work_dir, backend_url, pulumi_command=pulumi_command)

    def run(args: list[str]) -> Any:
        try:
            return space.pulumi_command.run(args, space.work_dir, dict(space.env_vars))
        except auto.CommandError as error:
            raise RuntimeError(_reason(error)) from None

    def export(site: str) -> dict[str, Any]:
        # not LocalWorkspace.export_stack: it adds --show-secrets, and the export is written to a file
        result = run(["stack", "export", "--stack", site, "--non-interactive"])
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    def destroy_unprotected(site: str) -> None:
        try:
            auto.Stack.select(site, space).destroy(exclude_protected=True, color="never")
        except auto.CommandError as error:
            raise RuntimeError(f"pulumi destroy --exclude-protected failed: {_reason(error)}") from None

    def remove_stack(site: str) -> None:
        try:
            space.remove_stack(site, force=True, preserve_config=True)
        except auto.CommandError as error:
            raise RuntimeError(f"pulumi stack rm failed: {_reason(error)}") from None

    return Steps(export, destroy_unprotected, remove_stack)


BOOTSTRAP_STACK = "platform"


def move_bootstrap_state(
    bootstrap_dir: Path,
    *,
    source: str,
    target: str,
    secrets_provider: str,
    pulumi_command: Any = None,
    log: Any = None,
) -> int:
    """Move the bootstrap's stack from the backend of its first ``up`` (``source``, a workstation's
    ``file://`` folder) into the state bucket it created (``target``, ``gs://...``), keeping its secrets
    readable: the stack's secrets provider becomes the platform's state key first (``pulumi stack
    change-secrets-provider``, on the source), so the export's ciphertexts are the same on both sides;
    then ``stack export`` (no plaintext), ``stack init`` on the target with that provider, ``stack
    import``, and a check that the target holds as many resources. Returns that count. Raises
    ``BackendError`` (one line) when a step fails; the source is left as it was, to delete by hand once
    the target is verified."""
    from pulumi import automation as auto

    say = log or (lambda line: None)
    stack = BOOTSTRAP_STACK
    here = workspace(bootstrap_dir, source, pulumi_command=pulumi_command)
    there = workspace(bootstrap_dir, target, secrets_provider=secrets_provider, pulumi_command=pulumi_command)

    def run(space: Any, args: list[str], what: str) -> Any:
        try:
            return space.pulumi_command.run([*args, "--non-interactive"], space.work_dir, dict(space.env_vars))
        except auto.CommandError as error:
            raise BackendError(f"{what} failed: {_reason(error)}") from None

    def resources(document: str) -> int:
        return len((json.loads(document).get("deployment") or {}).get("resources") or [])

    say(f"1/4 {source}: the stack's secrets provider becomes {secrets_provider}")
    run(here, ["stack", "change-secrets-provider", secrets_provider, "--stack", stack], "change-secrets-provider")
    say(f"2/4 {source}: pulumi stack export --stack {stack}")
    exported = run(here, ["stack", "export", "--stack", stack], "stack export").stdout
    count = resources(exported)
    say(f"3/4 {target}: pulumi stack init {stack} --secrets-provider {secrets_provider}; pulumi stack import")
    try:
        there.create_stack(stack)
    except auto.CommandError as error:
        raise BackendError(f"stack init on {target} failed: {_reason(error)}") from None
    with tempfile.TemporaryDirectory(prefix="bootstrap-state-") as folder:
        file = Path(folder) / f"{stack}.json"
        file.write_text(exported, encoding="utf-8")
        run(there, ["stack", "import", "--stack", stack, "--file", str(file)], "stack import")
    say(f"4/4 {target}: the imported stack holds {count} resource(s), as exported")
    landed = resources(run(there, ["stack", "export", "--stack", stack], "stack export on the target").stdout)
    if landed != count:
        raise BackendError(f"{target}: the imported stack holds {landed} resource(s), the export {count}")
    return count
