"""The closed world of properties and resource options (IAM-13).

On every type the pack judges, a property is judged by a named policy, harmless with a recorded reason,
or a finding until the pack's config allows it with a reason (``allowedProperties``); the table is
:mod:`imaging_policies._property_table`. This policy also judges the properties no other policy reads
that can expose images (a bucket's ``cors``; a managed folder's ``forceDestroy``), a resource placed in
another project than the site's, and the resource options the Analyzer protocol carries: ``ignoreChanges``
on a judged property and an explicit ``provider`` for another project or region. What can lose images or
logs (a bucket's ``forceDestroy``, ``protect``, soft delete, retention and lifecycle deletes; the
security-log bucket's ``protect``) is ENC-11's and LOG-15's (``retention.py``), judged once.
``retainOnDelete``, ``deletedWith`` and ``import`` do not reach a policy pack (the protocol's
``AnalyzerResourceOptions`` has no field for them): under the real engine they are not visible to the pack;
the offline check reads them from the program's registrations and judges them itself
(``preflight/judge/options.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from imaging_policies import tokens
from imaging_policies._property_table import PROPERTIES, SELF, verdict
from imaging_policies._props import UNKNOWN, as_str, items, known, leaf
from imaging_policies._registry import Report, resource_policy
from imaging_policies._site import site_project, site_setting, viewer_hostnames

POLICY_NAME = SELF
CONTROL = "IAM-13"


_UNSET = (None, "", False)
"""Values the provider's zero value stands for: a property at its zero value sets nothing."""


def applies(token: str) -> bool:
    """Whether ``token`` is in the closed world of properties: a typed row, or an IAM grant of any service."""
    return token in PROPERTIES or token in tokens.IAM_GRANTS


def _allowed(config: Mapping[str, Any], report: Report) -> set[str]:
    found: set[str] = set()
    for key, reason in (config.get("allowedProperties") or {}).items():
        if not isinstance(reason, str) or not reason.strip():
            report(
                f"allowedProperties[{key!r}] has no reason; record why the property cannot move, expose or lose "
                "the site's data, or remove the entry."
            )
        else:
            found.add(str(key))
    return found


def _is_set(value: Any) -> bool:
    """Whether ``value`` sets anything: unknown counts as set; a map or list only when some leaf is set (a
    nested block at its zero values, ``{"enabled": false}``, sets nothing)."""
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(_is_set(leaf(value, str(key))) for key in value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return any(_is_set(leaf(value, index)) for index in range(len(value)))
    return value not in _UNSET


def _not_judged(args: ResourceValidationArgs, allowed: set[str], report: Report) -> None:
    token = args.resource_type
    for prop in sorted(str(k) for k in args.props):
        if prop.startswith("__"):
            continue  # the bridge's own bookkeeping (``__defaults``), not a property of the resource
        judged = verdict(token, prop)
        if judged is None or judged.kind != "not judged" or f"{token}.{prop}" in allowed:
            continue
        if _is_set(leaf(args.props, prop)):
            report(
                f"the pack does not judge `{token}.{prop}`: remove it, or allow it with a reason in the policy "
                f'config: {{"{POLICY_NAME}": {{"allowedProperties": {{"{token}.{prop}": '
                '"<why it cannot move, expose or lose data>"}}}}.'
            )


def _placement(args: ResourceValidationArgs, report: Report) -> None:
    row = PROPERTIES.get(args.resource_type, {})
    if "project" not in row or row["project"].by != SELF:
        return
    site = site_project()
    project = known(args.props, "project")
    if isinstance(project, str):
        project = project.removeprefix("projects/")
    # a project number is the site's or not only by the stack's own outputs (a stack policy's work)
    if site and isinstance(project, str) and project and not project.isdigit() and project != site:
        report(
            f"project is {project!r}, not the site project {site!r}: the site's controls do not reach it. "
            "Create it in the site project, or in that project's own stack."
        )


def _origins(props: Any, viewer: frozenset[str]) -> list[tuple[int, str]]:
    """The CORS origins that admit more than the viewer: any origin but ``https://<viewer host>`` when the
    stack declares the viewer's hostname, else any origin that is not https (or is a wildcard or null)."""
    wide: list[tuple[int, str]] = []
    for index, rule in enumerate(items(props, "cors")):
        for origin in items(rule, "origins") if rule is not UNKNOWN else [UNKNOWN]:
            value = known({"o": origin}, "o") if origin is UNKNOWN else origin
            text = str(value).strip().lower().rstrip("/")
            open_to_all = text in ("*", "null") or "*" in text or not text.startswith("https://")
            if open_to_all or (viewer and text.removeprefix("https://") not in viewer):
                wide.append((index, str(value)))
    return wide


def _cors(args: ResourceValidationArgs, report: Report) -> None:
    known(args.props, "cors")
    viewer, source = viewer_hostnames(args.get_config())
    for index, origin in _origins(args.props, viewer):
        lowered = origin.lower()
        if "*" in origin or lowered == "null":
            what = "every origin"
        elif not lowered.startswith("https://"):
            what = f"the insecure origin {origin!r}"
        else:
            what = f"the origin {origin!r}, which is not the viewer's ({source})"
        report(
            f"cors[{index}].origins admits {what}: any web page a user opens can read what the bucket serves "
            "with that user's access. Set cors origins to the viewer's https origin only, or remove cors."
        )


def _force_destroy(args: ResourceValidationArgs, report: Report) -> None:
    if known(args.props, "forceDestroy") is True:
        report(
            "forceDestroy is true: a destroy deletes the managed folder with every object in it. Set forceDestroy "
            "false."
        )


def _top_of(path: str) -> str:
    """The top-level property of a property path in any of its forms: ``encryption.defaultKmsKeyName``,
    ``lifecycleRules[0]``, ``["encryption"]``, ``['encryption'].x`` (the engine accepts all of them)."""
    bracketed = re.match(r"""^\[\s*["']([^"']+)["']\s*\]""", path.strip())
    if bracketed:
        return bracketed.group(1)
    return path.strip().split(".", 1)[0].split("[", 1)[0]


def _ignored(args: ResourceValidationArgs, report: Report) -> None:
    for path in args.opts.ignore_changes or []:
        top = _top_of(str(path))
        if top == "*":
            report(
                "ignoreChanges is ['*']: the engine would keep every later change of the cloud resource from the "
                "pack. Remove ignoreChanges."
            )
            continue
        judged = verdict(args.resource_type, top)
        if judged is not None and judged.kind == "judged":
            report(
                f"ignoreChanges lists {path!r}: a later change of `{top}` (judged by {judged.by}) would never reach "
                f"the engine or the pack, and the cloud resource keeps what was changed outside the stack. Remove "
                f"{path!r} from ignoreChanges."
            )


def _provider(args: ResourceValidationArgs, report: Report) -> None:
    provider = args.provider
    if provider is None or not provider.resource_type.startswith("pulumi:providers:gcp"):
        return
    site, region = site_project(), (site_setting("region") or "").lower()
    project = known(provider.props, "project")
    if site and isinstance(project, str) and project and project != site:
        report(
            f"provider {provider.name!r} deploys into project {project!r}, not the site project {site!r}: the "
            "resource's defaults and its API calls go to another project. Use the stack's default provider, or "
            "a provider whose project is the site project."
        )
    provider_region = as_str(known(provider.props, "region"))
    if region and provider_region and provider_region.lower() != region:
        report(
            f"provider {provider.name!r} has region {provider_region!r}, not the site region {region!r}: "
            "regional resources without their own region are created there. Use a provider of the site region."
        )


def _check(args: ResourceValidationArgs, report: Report) -> None:
    if not applies(args.resource_type):
        args.not_applicable(f"{CONTROL} covers the types the pack judges; {args.resource_type} is IAM-08's")
    allowed = _allowed(args.get_config(), report)
    _not_judged(args, allowed, report)
    _ignored(args, report)
    _provider(args, report)
    _placement(args, report)
    if args.resource_type == tokens.BUCKET:
        _cors(args, report)
    if args.resource_type == "gcp:storage/managedFolder:ManagedFolder":
        _force_destroy(args, report)


POLICIES: list[Policy] = [
    resource_policy(
        name=POLICY_NAME,
        control=CONTROL,
        description=(
            "Every property set on a judged type is judged, harmless with a recorded reason, or allowed with one; "
            "resource options do not hide changes or deploy elsewhere."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Remove a property the pack does not judge, or allow it in allowedProperties with the reason it cannot "
            "move, expose or lose data; keep ignoreChanges off judged properties, the provider on the site project "
            "and region; CORS only for the viewer's https origin; forceDestroy false on managed folders."
        ),
        types=None,  # a check on the judged types' properties: it judges no type of its own (IAM-08 does)
        check=_check,
        config={
            "allowedProperties": {
                "type": "object",
                "description": "Properties the pack does not judge that the site needs, as '<type token>.<property>', "
                "each with the recorded reason it cannot move, expose or lose data.",
                "additionalProperties": {"type": "string", "minLength": 1, "pattern": "\\S"},
                "default": {},
            },
        },
    )
]
