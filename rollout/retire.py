"""Retire a site: ``python -m rollout retire SITE``, in an order that never loses a record or data.

1. The backend and login are checked (``pulumi whoami``), and the stack's state is read
   (``pulumi stack export``: secrets stay encrypted with the site's key).
2. What the state still holds that keeps patient data or records is listed: the image bucket, any
   bucket or log bucket with a locked retention, every other bucket, and the keys that encrypt them.
   While any remains, the retirement is refused unless ``--data-kept`` says, in a sentence, how and
   where it is kept (the records officer's decision); that sentence is recorded.
3. The export is written (``retired/<site>/state-<time>.json``), then every resource that is not
   protected is destroyed (``pulumi destroy --exclude-protected``: the viewer, network, grants, alerts),
   then the stack is removed (``pulumi stack rm --force``: the protected keys and buckets stay in the
   cloud, outside any stack, named in the record).
4. Only then does the site leave the fleet: the record ``retired/<site>/retirement.json`` is written,
   ``stacks/Pulumi.<site>.yaml`` is deleted (so the deploy workflow's matrix drops it) and the bootstrap's
   stack file moves the site to ``retiredSites`` (its identities go, its secrets key stays).

A step that fails stops the run with the site still in the fleet (its stack file and bootstrap entry
unchanged), and says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from preflight.engine import gcp_tokens
from program import sites

FORMAT: Final = "imaging-landing-zone/retirement@1"
MIN_DECISION = 20
"""Characters of the ``--data-kept`` sentence at least (where and by whose decision, not a word)."""


class RetireError(Exception):
    """The retirement cannot go on; ``code`` is the exit code (2 refused before any change, 1 a step failed)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Kept:
    """A resource the retirement leaves in the cloud, and why."""

    type: str
    name: str
    id: str
    why: str
    data: bool
    """Whether it holds patient data or records (images, logs), so that a decision must say how it is kept."""


def _outputs(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    outputs = resource.get("outputs") or resource.get("inputs") or {}
    return outputs if isinstance(outputs, Mapping) else {}


def _locked(resource: Mapping[str, Any]) -> bool:
    outputs = _outputs(resource)
    if resource.get("type") == gcp_tokens.LOGGING_PROJECT_BUCKET_CONFIG:
        return bool(outputs.get("locked"))
    policy = outputs.get("retentionPolicy")
    policy = policy[0] if isinstance(policy, list) and policy else policy
    return isinstance(policy, Mapping) and bool(policy.get("isLocked"))


def kept_resources(deployment: Mapping[str, Any]) -> list[Kept]:
    """What a stack export (``pulumi stack export``) still holds that the retirement keeps: patient data
    and records (image bucket, locked retention, other buckets and log buckets), and every other
    protected resource (the keys that encrypt them: Cloud KMS never deletes a key)."""
    found: list[Kept] = []
    resources = (deployment.get("deployment") or {}).get("resources") or []
    for resource in resources:
        kind, urn = str(resource.get("type", "")), str(resource.get("urn", ""))
        name, ident = urn.rsplit("::", 1)[-1], str(resource.get("id", ""))
        if kind == gcp_tokens.STORAGE_BUCKET and "imaging:storage:ImageBucket$" in urn:
            found.append(Kept(kind, name, ident, "holds images", data=True))
        elif _locked(resource):
            found.append(Kept(kind, name, ident, "locked retention", data=True))
        elif kind in (gcp_tokens.STORAGE_BUCKET, gcp_tokens.LOGGING_PROJECT_BUCKET_CONFIG):
            found.append(Kept(kind, name, ident, "holds records", data=True))
        elif resource.get("protect"):
            found.append(Kept(kind, name, ident, "protected", data=False))
    return found


def refusal(site: str, kept: Sequence[Kept]) -> str:
    """The one line that refuses to retire ``site`` while data remains and no decision was given."""
    data = [k for k in kept if k.data]
    named = ", ".join(f"{k.name} ({k.why})" for k in data[:4]) + (f" and {len(data) - 4} more" if len(data) > 4 else "")
    return (
        f"site {site} still holds {named}: say how they are kept with --data-kept '<where and by whose decision, "
        "in a sentence>' (it is recorded); retire never deletes them"
    )


def decision_problem(text: str | None) -> str | None:
    """Why a ``--data-kept`` value is not a decision, or ``None``."""
    if text is not None and len(text.strip()) < MIN_DECISION:
        return (
            "--data-kept: give the decision in a sentence of at least "
            f"{MIN_DECISION} characters: where the images and logs are kept and by whose decision"
        )
    return None


@dataclass(frozen=True)
class Steps:
    """The Pulumi side of a retirement (``rollout.pulumi_ops`` builds the real one on the Automation
    API; tests give plain functions)."""

    export: Callable[[str], dict[str, Any]]
    """The stack's state as ``pulumi stack export`` prints it (no plaintext secrets)."""
    destroy_unprotected: Callable[[str], None]
    """``pulumi destroy --exclude-protected``; raises on failure."""
    remove_stack: Callable[[str], None]
    """``pulumi stack rm --force --preserve-config``; raises on failure."""


def retire(
    site: str,
    steps: Steps,
    *,
    stacks_dir: Path,
    bootstrap_stack: Path,
    records_dir: Path,
    data_kept: str | None,
    user: str,
    backend_url: str,
    now: datetime | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    """Retire ``site`` (module docstring); returns the record it wrote. Raises ``RetireError``."""
    sites.check(site)
    stack_file = stacks_dir / f"Pulumi.{site}.yaml"
    if not stack_file.is_file():
        raise RetireError(f"no stack file {stack_file.name} in {stacks_dir}: site {site} is not in the fleet")
    if (problem := decision_problem(data_kept)) is not None:
        raise RetireError(problem)
    moment = now or datetime.now(UTC)
    deployment = steps.export(site)
    kept = kept_resources(deployment)
    if any(k.data for k in kept) and data_kept is None:
        raise RetireError(refusal(site, kept))
    folder = records_dir / site
    folder.mkdir(parents=True, exist_ok=True)
    export_file = folder / f"state-{moment.strftime('%Y%m%dT%H%M%SZ')}.json"
    export_file.write_text(json.dumps(deployment, indent=2) + "\n", encoding="utf-8")
    log(f"{site}: state exported to {export_file}")
    try:
        log(f"{site}: destroying every resource that is not protected (pulumi destroy --exclude-protected)")
        steps.destroy_unprotected(site)
        log(f"{site}: removing the stack; {len(kept)} protected resource(s) stay in the cloud (pulumi stack rm)")
        steps.remove_stack(site)
    except Exception as error:
        raise RetireError(
            f"{site}: {error}; nothing left the fleet (the stack file and the bootstrap entry are unchanged), "
            f"the export is in {export_file}; fix it and run retire again",
            code=1,
        ) from None
    record: dict[str, Any] = {
        "format": FORMAT,
        "site": site,
        "retiredAt": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "by": user,
        "backend": backend_url,
        "stateExport": export_file.name,
        "dataKept": data_kept,
        "kept": [{"type": k.type, "name": k.name, "id": k.id, "why": k.why} for k in kept],
    }
    (folder / "retirement.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    stack_file.unlink()
    log(f"{site}: {stack_file.name} deleted: the deploy workflow's matrix no longer has the site")
    sites.retire_in_bootstrap(bootstrap_stack, site)
    log(f"{site}: moved to retiredSites in {bootstrap_stack.name}: run the bootstrap's pulumi up next")
    return record
