"""The access report: who holds which permission on each protected asset of a site, and whether the site
declares it (``python -m preflight access SITE``).

It runs the site's program in update mode (every value known) and applies the pack's own effective-access
model (``imaging_policies._access``, pure) and intent (``imaging_policies._intent``, from the stack's site
config): the same computation the pack's IAM-10 and IAM-11 judge with, as the page an access review asks
for. A stack that is not a hospital site has no declared intent: its rows say so.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preflight.engine.runner import Resource

_PACK = str(Path(__file__).resolve().parents[2] / "policies")
if _PACK not in sys.path:  # the pack is published alone, from its own folder (as the docs read it)
    sys.path.insert(0, _PACK)

from imaging_policies import _access, _duties, _intent  # noqa: E402 - after the pack's folder is on the path
from imaging_policies._site import SITE_NAMESPACE  # noqa: E402

FORMAT = "imaging-landing-zone/access@1"
_NUMBERED = re.compile(r"^projects/(\d+)/")


@dataclass(frozen=True)
class _Adapted:
    """A plan resource as the model reads it (the pack's ``PolicyResource`` shape)."""

    resource_type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    property_dependencies: Mapping[str, list[str]] = field(default_factory=dict)


def _adapt(resources: Sequence[Resource]) -> list[_Adapted]:
    return [
        _Adapted(r.type, r.name, r.urn, {**r.inputs, **r.outputs}, dict(r.property_dependencies))
        for r in resources
        if r.custom
    ]


def _project(config: Mapping[str, str]) -> str | None:
    return config.get(f"{SITE_NAMESPACE}:gcpProject") or config.get("gcp:project")


def _number(resources: Sequence[_Adapted], project: str | None) -> str | None:
    """The site project's number as GCP reports it for the stack's own resources (a bucket, a pool)."""
    for r in resources:
        if r.props.get("project") != project:
            continue
        number = r.props.get("projectNumber")
        if r.resource_type == "gcp:storage/bucket:Bucket" and isinstance(number, (int, float)) and number > 0:
            return str(int(number))
        name = r.props.get("name")
        if r.resource_type == "gcp:iam/workloadIdentityPool:WorkloadIdentityPool" and isinstance(name, str):
            match = _NUMBERED.match(name)
            if match:
                return match.group(1)
    return None


def model(resources: Sequence[Resource], config: Mapping[str, str]) -> tuple[_access.Model, _intent.Intent]:
    """The effective access of a plan's protected assets, and the intent of the stack's site config."""
    adapted = _adapt(resources)
    project = _project(config)
    number = _number(adapted, project)
    intent = _intent.from_settings(lambda key: config.get(f"{SITE_NAMESPACE}:{key}"), project, number)
    return _access.evaluate(list(adapted), intent), intent


def rows(resources: Sequence[Resource], config: Mapping[str, str]) -> list[dict[str, Any]]:
    """One row per (asset, principal): its permissions, the grants that give them, whether intended."""
    found, intent = model(resources, config)
    result = _access.to_rows(found)
    for row in result:
        if not intent.is_site:
            row["intended"] = None
    return result


def document(site: str, resources: Sequence[Resource], config: Mapping[str, str]) -> dict[str, Any]:
    """The ``imaging-landing-zone/access@1`` document: the site, its assets and every row."""
    found, intent = model(resources, config)
    access_rows = rows(resources, config)
    return {
        "format": FORMAT,
        "site": site,
        "project": intent.site.id,
        "projectNumber": intent.site.number,
        "intent": "the stack's site config" if intent.is_site else "none: the stack is not a hospital site",
        "assets": [{"asset": a.name, "kind": a.kind, "resource": a.resource} for a in found.assets],
        "access": access_rows,
        "missing": [
            {
                "asset": m.asset.name,
                "kind": m.asset.kind,
                "principal": m.holder.label,
                "permission": m.permission,
                "why": m.holder.why,
                "droppedBy": [d.resource for d in m.dropped_by],
            }
            for m in found.missing
        ],
        "denials": [
            {
                "policy": d.resource,
                "on": d.target,
                "principals": sorted(d.principals),
                "permissions": sorted(d.permissions),
                "exceptPermissions": sorted(d.exception_permissions),
            }
            for d in found.denials.rules
        ],
        "grantLimits": _grant_limits(resources),
    }


def _grant_limits(resources: Sequence[Resource]) -> list[dict[str, Any]]:
    """Each project, folder or organisation grant whose condition limits the roles its holder may grant."""
    grants, _ = _duties.project_grants(_adapt(resources))
    found = []
    for g in grants:
        limit = _duties.grant_limit(g.condition)
        if limit is not None:
            found.append(
                {"grant": g.resource, "principal": g.member, "role": g.role, "on": g.project, "mayGrant": sorted(limit)}
            )
    return found


def _intended(value: bool | None) -> str:
    return "n/a" if value is None else "yes" if value else "NO"


def table(doc: Mapping[str, Any]) -> str:
    """The access document for people: each asset, then one line per principal (its permissions, the grants
    that give them, whether the site declares them)."""
    lines = [
        f"Effective access of {doc['site']} (project {doc['project'] or '?'}, number {doc['projectNumber'] or '?'}; "
        f"intent: {doc['intent']})"
    ]
    for asset in doc["assets"]:
        held = [r for r in doc["access"] if r["asset"] == asset["asset"] and r["kind"] == asset["kind"]]
        lines += ["", f"{asset['kind']} {asset['asset']} ({asset['resource'] or 'the project itself'})"]
        if not held:
            lines.append("  no grant in the stack")
        for r in held:
            verdict = {None: "no declared intent", True: "intended", False: "BEYOND INTENT"}[r["intended"]]
            lines.append(f"  {r['principal']}  [{verdict}]")
            lines.append(f"    permissions: {', '.join(r['permissions'])}")
            if r["intended"] is False:
                lines.append(f"    beyond intent: {', '.join(r['beyondIntent'])}")
            lines.append(f"    granted by: {'; '.join(r['grantedBy'])}")
            if r.get("denied"):
                lines.append(f"    denied by {', '.join(r['deniedBy'])}: {', '.join(r['denied'])}")
    if doc["missing"]:
        lines += ["", "Needed but not in place:"]
        lines += [
            f"  {m['principal']} needs {m['permission']} on {m['kind']} {m['asset']} ({m['why']})"
            + (f", dropped by {', '.join(m['droppedBy'])}" if m["droppedBy"] else "")
            for m in doc["missing"]
        ]
    if doc.get("denials"):
        lines += ["", "Deny policies (what they take away, whatever a grant gives):"]
        lines += [
            f"  {d['policy']} on {d['on']}: {', '.join(d['principals'])} denied {', '.join(d['permissions'])}"
            + (f" except {', '.join(d['exceptPermissions'])}" if d["exceptPermissions"] else "")
            for d in doc["denials"]
        ]
    if doc.get("grantLimits"):
        lines += ["", "Grant limits (the roles an IAM-admin grant's holder may grant):"]
        lines += [
            f"  {g['grant']}: {g['principal']} holds {g['role']} on {g['on']} and may grant "
            + (", ".join(g["mayGrant"]) or "no role")
            for g in doc["grantLimits"]
        ]
    return "\n".join(lines) + "\n"


def dumps(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2) + "\n"
