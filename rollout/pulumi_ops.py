"""The real operation: one site's ``pulumi preview`` / ``up`` / drift check through the Automation API,
with the policy pack attached. Needs the Pulumi CLI (every Automation API call runs it)."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rollout.runner import Operation, Outcome, changed


class CliMissingError(Exception):
    """The Pulumi CLI is not on PATH."""


def require_cli() -> None:
    """Fail early, with the fix, when the Pulumi CLI is missing."""
    if shutil.which("pulumi") is None:
        raise CliMissingError(
            "the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/iac/download-install/), "
            "or run the offline check instead: python -m preflight fleet"
        )


def _counts(summary: Mapping[Any, Any] | None) -> dict[str, int]:
    """Pulumi's change summary (OpType or str keys) as plain ``{"create": 2, ...}``."""
    return {str(getattr(kind, "value", kind)): int(count) for kind, count in (summary or {}).items()}


def _reason(error: Exception) -> str:
    """The CLI's own last error line, not the whole command result."""
    text = getattr(getattr(error, "command_result", None), "stderr", "") or str(error)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error:")]
    return (errors or lines or [type(error).__name__])[-1][:300]


def operation(
    kind: str,
    *,
    work_dir: Path,
    policy_pack: Path,
    policy_pack_config: Path | None = None,
    secrets_provider: str | None = None,
    pulumi_command: Any = None,
) -> Operation:
    """The Automation API call for ``kind`` (preview, up, drift) on one site's stack in ``work_dir``.

    ``drift`` is a preview after a refresh: any change means the cloud no longer matches the program.
    ``secrets_provider`` may name the site as ``{site}`` (each site has its own key).
    ``pulumi_command`` (an ``auto.PulumiCommand``) is the Automation API's own seam for which CLI runs.
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
        options = auto.LocalWorkspaceOptions(
            work_dir=str(work_dir), secrets_provider=provider, pulumi_command=pulumi_command
        )
        try:
            stack = auto.create_or_select_stack(stack_name=site, work_dir=str(work_dir), opts=options)
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
