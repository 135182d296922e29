"""The offline plan: every resource a site's program registers, in a stable, documented JSON form.

Format ``imaging-landing-zone/plan@1`` (see docs/plan-format.md)::

    {"format": "imaging-landing-zone/plan@1", "project": ..., "stack": ..., "mode": "preview"|"update",
     "resources": [{"urn", "type", "name", "custom", "parent", "provider", "id",
                    "inputs", "outputs",
                    "options": {"protect", "retainOnDelete", "ignoreChanges", "deleteBeforeReplace",
                                "aliases", "additionalSecretOutputs", "dependencies",
                                "propertyDependencies"}}]}

Property names are the engine's camelCase wire names; a value unknown during preview is the
engine's sentinel ``04da6b54-80e4-46f7-96ec-b56ff0331ba9``; secrets are ``"[secret]"``. The
program's stack exports are under ``outputs`` (optional when read).

:func:`read` also takes Pulumi's own records of a real site, so a site team with credentials can
replay them through ``check --plan``: ``pulumi stack export`` (a deployment, ``{"version": 3,
"deployment": {"manifest", "resources": [...]}}``, judged in ``update`` mode: the stored form) and ``pulumi preview
--json`` (``{"steps": [{"op", "urn", "newState": {...}}]}``, judged in ``preview`` mode when a step
creates or replaces a resource, else ``update``). A plan whose mode is ``existing`` (the stored form's
earlier name) is read as ``update``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from preflight.engine import files, gcp_tokens
from preflight.engine.modes import MODES, mode_named
from preflight.engine.runner import UNKNOWN, Resource, from_wire, run_stack
from preflight.engine.stacks import PROGRAM, Stack

FORMAT = "imaging-landing-zone/plan@1"


def build(stack: Stack, mode: str, *, timeout: float | None = None) -> dict[str, Any]:
    """Run the site's program under mocks in ``mode`` (one of ``MODES``) and return its plan; ``timeout``
    bounds the run, in seconds (``None``: the default)."""
    exports: dict[str, Any] = {}
    resources = run_stack(stack, mode, exports=exports, own_program=PROGRAM, timeout=timeout)
    return {
        "format": FORMAT,
        "project": stack.project,
        "stack": stack.name,
        "mode": mode,
        "outputs": exports,
        "resources": [_resource(r) for r in resources],
    }


def _resource(r: Resource) -> dict[str, Any]:
    return {
        "urn": r.urn,
        "type": r.type,
        "name": r.name,
        "custom": r.custom,
        "parent": r.parent,
        "provider": r.provider,
        "id": r.id,
        "inputs": r.inputs,
        "outputs": r.outputs,
        "options": {
            "protect": r.protect,
            "retainOnDelete": r.retain_on_delete,
            "ignoreChanges": r.ignore_changes,
            "deleteBeforeReplace": r.delete_before_replace,
            "aliases": r.aliases,
            "additionalSecretOutputs": r.additional_secret_outputs,
            "dependencies": r.dependencies,
            "propertyDependencies": r.property_dependencies,
        },
    }


def table(plan: dict[str, Any]) -> str:
    """A terminal view: one line per resource, indented under its parent, with its key options."""
    resources = plan["resources"]
    children: dict[str, list[dict[str, Any]]] = {}
    for r in resources:
        children.setdefault(r["parent"], []).append(r)
    urns = {r["urn"] for r in resources}
    lines = [f"{plan['project']} / {plan['stack']} ({plan['mode']} mode): {len(resources)} resources"]

    def walk(parent: str, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda item: item["name"]):
            flags = []
            if r["options"]["protect"]:
                flags.append("protected")
            unknown = sum(1 for v in _leaves(r["inputs"]) if v == UNKNOWN)
            if unknown:
                flags.append(f"{unknown} unknown input(s)")
            suffix = f"  [{', '.join(flags)}]" if flags else ""
            summary = _summary(r["type"], r["inputs"])
            lines.append(f"{'  ' * depth}{r['name']}  {r['type']}{suffix}{f'  ({summary})' if summary else ''}")
            walk(r["urn"], depth + 1)

    for root in sorted({r["parent"] for r in resources if r["parent"] not in urns}):
        walk(root, 1)
    return "\n".join(lines)


def _firewall(i: dict[str, Any]) -> str:
    allows = ", ".join(f"{a.get('protocol')}:{'/'.join(a.get('ports', []))}" for a in i.get("allows", []))
    action = f"allow {allows}" if allows else "deny " + ", ".join(d.get("protocol", "?") for d in i.get("denies", []))
    direction = i.get("direction", "INGRESS")
    ranges = i.get("sourceRanges" if direction == "INGRESS" else "destinationRanges", [])
    targets = [f"tag {t}" for t in i.get("targetTags", [])] + [f"sa {t}" for t in i.get("targetServiceAccounts", [])]
    where = "from" if direction == "INGRESS" else "to"
    logs = i.get("logConfig", {}).get("metadata", "NO LOGS")
    return (
        f"{direction} {action} {where} {' '.join(ranges) or '?'}, priority {int(i.get('priority', 1000))}, "
        f"target {', '.join(targets) or 'all'}, logs {logs}"
    )


def _subnetwork(i: dict[str, Any]) -> str:
    logs = i.get("logConfig") or {}
    flow = "/".join(str(logs.get(k, "?")) for k in ("aggregationInterval", "flowSampling", "metadata"))
    access = "private Google access" if i.get("privateIpGoogleAccess") else "NO private Google access"
    return f"{i.get('ipCidrRange')}, {access}, flow logs {flow if logs else 'OFF'}"


def _route(i: dict[str, Any]) -> str:
    hops = {k: v for k, v in i.items() if k.startswith("nextHop")}
    return f"{i.get('destRange')} via {', '.join(f'{k}={v}' for k, v in hops.items()) or '?'}"


_SUMMARIES: dict[str, Callable[[dict[str, Any]], str]] = {
    gcp_tokens.COMPUTE_FIREWALL: _firewall,
    gcp_tokens.COMPUTE_SUBNETWORK: _subnetwork,
    gcp_tokens.COMPUTE_ROUTE: _route,
    gcp_tokens.DNS_POLICY: lambda i: f"query logging {'on' if i.get('enableLogging') else 'OFF'}",
    gcp_tokens.DNS_MANAGED_ZONE: lambda i: f"{i.get('visibility', 'public')} zone {i.get('dnsName')}",
    gcp_tokens.DNS_RECORD_SET: lambda i: f"{i.get('name')} {i.get('type')} {' '.join(i.get('rrdatas', []))}",
    gcp_tokens.PROJECTS_IAMAUDIT_CONFIG: lambda i: (
        f"{i.get('service')}: {', '.join(c.get('logType', '?') for c in i.get('auditLogConfigs', []))}"
    ),
    gcp_tokens.LOGGING_PROJECT_BUCKET_CONFIG: lambda i: (
        f"{int(i.get('retentionDays', 0))} days, {'locked' if i.get('locked') else 'NOT LOCKED'}, "
        f"{'CMEK' if (i.get('cmekSettings') or {}).get('kmsKeyName') else 'NO CMEK'}"
    ),
    gcp_tokens.LOGGING_PROJECT_SINK: lambda i: f"to {i.get('destination')}{' DISABLED' if i.get('disabled') else ''}",
    gcp_tokens.PUBSUB_TOPIC: lambda i: "CMEK" if i.get("kmsKeyName") else "NO CMEK",
    gcp_tokens.COMPUTE_SSLPOLICY: lambda i: (
        f"{i.get('profile', 'COMPATIBLE')}, min {i.get('minTlsVersion', 'TLS_1_0')}"
    ),
    gcp_tokens.COMPUTE_TARGET_HTTPS_PROXY: lambda i: (
        f"SSL policy {'set' if i.get('sslPolicy') else 'NOT SET'}, {len(i.get('sslCertificates', []))} certificate(s)"
    ),
    gcp_tokens.COMPUTE_URLMAP: lambda i: (
        "redirect to HTTPS only"
        if (i.get("defaultUrlRedirect") or {}).get("httpsRedirect") and not i.get("defaultService")
        else "serves the backend"
    ),
    gcp_tokens.COMPUTE_GLOBAL_FORWARDING_RULE: lambda i: f"port {i.get('portRange')}",
    gcp_tokens.COMPUTE_BACKEND_SERVICE: lambda i: (
        f"{i.get('protocol', 'HTTP')}, logs {(i.get('logConfig') or {}).get('sampleRate', 'OFF')}, "
        f"Cloud Armor {'on' if i.get('securityPolicy') else 'OFF'}, IAP {'on' if i.get('iap') else 'off'}"
    ),
    gcp_tokens.COMPUTE_SECURITY_POLICY: lambda i: (
        f"{len(i.get('rules', [])) - 1} allow rule(s), default {i.get('rules', [{}])[-1].get('action')}"
    ),
    gcp_tokens.COMPUTE_MANAGED_SSL_CERTIFICATE: lambda i: (
        f"Google-managed for {', '.join((i.get('managed') or {}).get('domains', []))}"
    ),
    gcp_tokens.CLOUDRUNV2_SERVICE: lambda i: (
        f"ingress {i.get('ingress', 'INGRESS_TRAFFIC_ALL')}, egress "
        f"{((i.get('template') or {}).get('vpcAccess') or {}).get('egress', 'direct')}, runs as "
        f"{(i.get('template') or {}).get('serviceAccount')}"
    ),
    gcp_tokens.BINARYAUTHORIZATION_POLICY: lambda i: (
        f"default rule {(i.get('defaultAdmissionRule') or {}).get('evaluationMode')}, "
        f"{(i.get('defaultAdmissionRule') or {}).get('enforcementMode')}, "
        f"{len((i.get('defaultAdmissionRule') or {}).get('requireAttestationsBies') or [])} attestor(s)"
    ),
    gcp_tokens.PROJECTS_SERVICE: lambda i: (
        f"{i.get('service')}{'' if i.get('disableOnDestroy') is False else ', DISABLED ON DESTROY'}"
    ),
    gcp_tokens.ORGPOLICY_POLICY: lambda i: json.dumps((i.get("spec") or {}).get("rules"), separators=(",", ":")),
    gcp_tokens.MONITORING_ALERT_POLICY: lambda i: (
        f"{len(i.get('notificationChannels', []))} channel(s){'' if i.get('enabled', True) else ', DISABLED'}"
    ),
}
"""One-line summaries of the settings a reviewer checks first, per type."""


def _grant(i: dict[str, Any]) -> str:
    return f"{i.get('role')} to {i.get('member')}"


def _summary(type_: str, inputs: dict[str, Any]) -> str:
    summarise = _SUMMARIES.get(type_) or (_grant if type_.lower().endswith("iammember") else None)
    try:
        return summarise(inputs).replace(UNKNOWN, "(known after update)") if summarise else ""
    except (AttributeError, TypeError, ValueError):  # an unknown (preview) value where a list was expected
        return "settings unknown until update"


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


class PlanError(Exception):
    """A plan document that cannot be read; the message is one line naming the file and the field."""


_RESOURCE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "urn": str,
    "type": str,
    "name": str,
    "custom": bool,
    "parent": str,
    "provider": str,
    "inputs": dict,
    "outputs": dict,
}
_OPTION_FIELDS: dict[str, type | tuple[type, ...]] = {
    "protect": bool,
    "retainOnDelete": bool,
    "ignoreChanges": list,
    "deleteBeforeReplace": (bool, type(None)),
    "aliases": list,
    "additionalSecretOutputs": list,
    "dependencies": list,
    "propertyDependencies": dict,
}


def _field(where: str, value: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in value:
        raise PlanError(f"{where}.{key}: missing")
    if not isinstance(value[key], kind) or (kind is not bool and isinstance(value[key], bool)):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise PlanError(f"{where}.{key}: must be {names.replace('NoneType', 'null')}, got {value[key]!r}"[:200])
    return value[key]


def read_file(path: Path) -> tuple[dict[str, Any], list[Resource]]:
    """:func:`read` a plan file; a file that cannot be read is a ``PlanError`` too."""
    try:
        text = files.read_text(path)
    except OSError as exc:
        raise PlanError(f"{path}: cannot read the plan ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise PlanError(f"{path}: {exc}") from None
    return read(text, str(path))


def read(text: str, source: str) -> tuple[dict[str, Any], list[Resource]]:
    """A plan document (``preflight plan --format json``, possibly edited by hand), a ``pulumi stack
    export`` or a ``pulumi preview --json``, and its resources. The document returned has ``project``,
    ``stack``, ``mode`` and ``outputs`` (the stack's exports) whatever the input format. Raises
    ``PlanError`` with one line that names ``source`` and the offending or missing field."""
    try:
        document = files.loads(text)
    except ValueError as exc:
        raise PlanError(f"{source}: {exc}") from None
    if not isinstance(document, dict):
        raise PlanError(f"{source}: must be a JSON object with a 'format' field")
    if "format" not in document and "deployment" in document:
        return _stack_export(document, source)
    if "format" not in document and "steps" in document:
        return _preview(document, source)
    if "format" not in document:
        keys = ", ".join(sorted(document)) or "none"
        raise PlanError(
            f"{source}: neither a plan ('format': {FORMAT!r}), a `pulumi stack export` ('version' and "
            f"'deployment') nor a `pulumi preview --json` ('steps'); found keys {keys}"[:300]
        )
    return _plan(document, source)


def _plan(document: dict[str, Any], source: str) -> tuple[dict[str, Any], list[Resource]]:
    if document.get("format") != FORMAT:
        raise PlanError(f"{source}: format is {document.get('format')!r}; expected {FORMAT!r}")
    for key in ("project", "stack", "mode"):
        _field(source, document, key, str)
    document["mode"] = mode_named(document["mode"])
    if document["mode"] not in MODES:
        raise PlanError(f"{source}.mode: must be one of {', '.join(MODES)}, got {document['mode']!r}")
    if not isinstance(document.setdefault("outputs", {}), dict):
        raise PlanError(f"{source}.outputs: must be an object of the stack's exports")
    items = _field(source, document, "resources", list)
    resources: list[Resource] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"{source}.resources[{index}]"
        if not isinstance(item, dict):
            raise PlanError(f"{where}: must be an object")
        fields = {key: _field(where, item, key, kind) for key, kind in _RESOURCE_FIELDS.items()}
        if fields["urn"] in seen:
            raise PlanError(f"{where}.urn: {fields['urn']} appears twice")
        seen.add(fields["urn"])
        options = _field(where, item, "options", dict)
        opts = {key: _field(f"{where}.options", options, key, kind) for key, kind in _OPTION_FIELDS.items()}
        resource_id = item.get("id")
        if resource_id is not None and not isinstance(resource_id, str):
            raise PlanError(f"{where}.id: must be a string or null, got {resource_id!r}")
        resources.append(
            Resource(
                **fields,
                id=resource_id,
                protect=opts["protect"],
                retain_on_delete=opts["retainOnDelete"],
                ignore_changes=[str(v) for v in opts["ignoreChanges"]],
                delete_before_replace=opts["deleteBeforeReplace"],
                aliases=[str(v) for v in opts["aliases"]],
                additional_secret_outputs=[str(v) for v in opts["additionalSecretOutputs"]],
                dependencies=[str(v) for v in opts["dependencies"]],
                property_dependencies={
                    str(k): [str(u) for u in v] if isinstance(v, list) else []
                    for k, v in opts["propertyDependencies"].items()
                },
            )
        )
    return document, resources


STACK_TYPE = "pulumi:pulumi:Stack"
_ENGINE_TYPES = ("pulumi:providers:", STACK_TYPE)
"""What the check adds itself (the root stack, the default provider) and so leaves out of a record."""


def _state(where: str, state: Any) -> Resource | None:
    """One resource of Pulumi's state format (``apitype.ResourceV3``: a deployment's resource or a
    preview step's ``newState``); ``None`` for the root stack and providers."""
    if not isinstance(state, dict):
        raise PlanError(f"{where}: must be an object (Pulumi's resource state)")
    urn = _field(where, state, "urn", str)
    type_ = _field(where, state, "type", str)
    for key, kind in (("inputs", dict), ("outputs", dict), ("dependencies", list), ("propertyDependencies", dict)):
        if state.get(key) is not None and not isinstance(state[key], kind):
            raise PlanError(f"{where}.{key}: must be {kind.__name__}, got {state[key]!r}"[:200])
    if type_.startswith(_ENGINE_TYPES):
        return None
    resource_id = state.get("id")
    return Resource(
        type=type_,
        name=urn.rsplit("::", 1)[-1],
        urn=urn,
        custom=bool(state.get("custom", False)),
        parent=str(state.get("parent") or ""),
        provider=str(state.get("provider") or ""),
        inputs=from_wire(state.get("inputs") or {}),
        outputs=from_wire(state.get("outputs") or {}),
        id=str(resource_id) if resource_id else None,
        protect=bool(state.get("protect", False)),
        retain_on_delete=bool(state.get("retainOnDelete", False)),
        delete_before_replace=state.get("deleteBeforeReplace")
        if isinstance(state.get("deleteBeforeReplace"), bool)
        else None,
        aliases=[str(a) for a in state.get("aliases") or [] if isinstance(a, str)],
        additional_secret_outputs=[str(k) for k in state.get("additionalSecretOutputs") or []],
        dependencies=[str(u) for u in state.get("dependencies") or []],
        property_dependencies={
            str(k): [str(u) for u in v] if isinstance(v, list) else []
            for k, v in (state.get("propertyDependencies") or {}).items()
        },
    )


def _recorded(source: str, states: list[tuple[str, Any]], mode: str) -> tuple[dict[str, Any], list[Resource]]:
    """The document and resources of a recorded run: project and stack from the root stack's URN."""
    resources: list[Resource] = []
    root: dict[str, Any] | None = None
    for where, state in states:
        resource = _state(where, state)
        if resource is not None:
            resources.append(resource)
        elif state.get("type") == STACK_TYPE:
            root = state
    if root is None:
        raise PlanError(f"{source}: no {STACK_TYPE} resource, so the stack and project are unknown")
    first, project = [*str(root["urn"]).split("::"), ""][:2]
    stack = first.removeprefix("urn:pulumi:")
    outputs = from_wire(root.get("outputs") or {})
    return {"project": project, "stack": stack, "mode": mode, "outputs": outputs}, resources


def _stack_export(document: dict[str, Any], source: str) -> tuple[dict[str, Any], list[Resource]]:
    """A ``pulumi stack export``: the stack's state after its last update (the stored form)."""
    version = document.get("version")
    if version != 3:
        raise PlanError(f"{source}.version: is {version!r}; expected 3 (a `pulumi stack export` deployment)")
    deployment = _field(source, document, "deployment", dict)
    items = _field(f"{source}.deployment", deployment, "resources", list)
    where = f"{source}.deployment.resources"
    return _recorded(source, [(f"{where}[{i}]", item) for i, item in enumerate(items)], "update")


_GONE = frozenset({"delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"})
_NEW = frozenset({"create", "replace", "create-replacement", "import", "import-replacement"})


def _preview(document: dict[str, Any], source: str) -> tuple[dict[str, Any], list[Resource]]:
    """A ``pulumi preview --json``: each step's ``newState`` (resources being deleted left out)."""
    steps = _field(source, document, "steps", list)
    states, creates = [], False
    for index, step in enumerate(steps):
        where = f"{source}.steps[{index}]"
        if not isinstance(step, dict):
            raise PlanError(f"{where}: must be an object")
        op = _field(where, step, "op", str)
        if op in _GONE:
            continue
        creates |= op in _NEW
        states.append((f"{where}.newState", _field(where, step, "newState", dict)))
    return _recorded(source, states, "preview" if creates else "update")


__all__ = ["FORMAT", "PlanError", "build", "read", "read_file", "table"]
