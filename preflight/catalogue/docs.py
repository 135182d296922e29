"""Generated documentation: each component's args table in the README, from its pydantic model, and
``docs/controls.md``, from the control catalogue (``preflight/catalogue/controls.toml``).

``python -m preflight docs --write`` rewrites the blocks between ``<!-- args:<Model> -->`` and
``<!-- /args -->`` and the catalogue page; a test fails when either has drifted.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel

from components import contract
from components.admission import AdmissionPolicyArgs
from components.detection import AnomalyDetectorsArgs, BaselineArgs, OffHoursArgs
from components.firewall import AllowlistFirewallArgs, Destination, FirewallTarget
from components.identity import PacsFederationArgs, SiteIdentitiesArgs
from components.kms import SiteKeysArgs
from components.logs import SecurityLoggingArgs, SiemDestination
from components.monitoring import SecurityAlertsArgs
from components.network import SiteNetworkArgs, WorklistRoute
from components.project import ProjectGuardRailsArgs
from components.storage import BucketMember, BucketNetworkAccess, ImageBucketArgs
from components.viewer import ViewerEndpointArgs

MODELS: dict[str, type[BaseModel]] = {
    m.__name__: m
    for m in (
        SiteKeysArgs,
        ImageBucketArgs,
        BucketMember,
        BucketNetworkAccess,
        SiteIdentitiesArgs,
        PacsFederationArgs,
        SiteNetworkArgs,
        WorklistRoute,
        AllowlistFirewallArgs,
        FirewallTarget,
        Destination,
        SecurityLoggingArgs,
        SiemDestination,
        SecurityAlertsArgs,
        AnomalyDetectorsArgs,
        BaselineArgs,
        OffHoursArgs,
        ProjectGuardRailsArgs,
        ViewerEndpointArgs,
        AdmissionPolicyArgs,
    )
}
README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"(<!-- args:(\w+) -->\n).*?(<!-- /args -->)", re.S)
CONTRACT_NAMES: dict[int, str] = {
    id(value): name
    for name, value in vars(contract).items()
    if not name.startswith("_") and get_origin(value) is Annotated
}
"""The args contract's public annotated types, by identity: an ``Annotated`` alias has no name of its own."""


def _type_name(annotation: Any) -> str:
    """A readable type: ``int | None``, ``dict[str, BucketMember]``, ``str | Output[str]``; a type of the args
    contract by its name (``list[Cidr]``, ``RotationDays``)."""
    if id(annotation) in CONTRACT_NAMES:
        return CONTRACT_NAMES[id(annotation)]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _type_name(args[0])
    if origin in (Union, UnionType):
        return " | ".join(_type_name(a) for a in args)
    if annotation is type(None):
        return "None"
    if origin is not None:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(_type_name(a) for a in args)}]"
    return getattr(annotation, "__name__", str(annotation))


def _default(value: Any) -> str:
    return f"`{value.value!r}`" if isinstance(value, Enum) else f"`{value!r}`"


def args_table(model: type[BaseModel]) -> str:
    """A Markdown table of ``model``'s fields: name, type, default, description."""
    rows = ["| arg | type | default | description |", "|---|---|---|---|"]
    # the annotations as written: pydantic's field.annotation has lost the contract type's alias
    written = get_type_hints(model, include_extras=True)
    for name, field in model.model_fields.items():
        default = "required" if field.is_required() else _default(field.default)
        description = (field.description or "").replace("\n", " ").replace("|", "\\|")
        annotation = _type_name(written.get(name, field.annotation)).replace("|", "\\|")
        rows.append(f"| `{name}` | `{annotation}` | {default} | {description} |")
    return "\n".join(rows) + "\n"


def render(text: str) -> str:
    """``text`` with every args block regenerated."""
    return _BLOCK.sub(lambda m: m.group(1) + args_table(MODELS[m.group(2)]) + m.group(3), text)


PACK_README = README.parent / "policies" / "README.md"
_PROPERTIES = re.compile(r"(<!-- properties -->\n).*?(<!-- /properties -->)", re.S)


def render_pack(text: str) -> str:
    """The pack README ``text`` with its property table (between ``<!-- properties -->`` and
    ``<!-- /properties -->``) regenerated from the pack's own table."""
    import sys

    policies_dir = str(PACK_README.parent)
    if policies_dir not in sys.path:
        sys.path.insert(0, policies_dir)
    from imaging_policies import _property_table

    return _PROPERTIES.sub(lambda m: m.group(1) + _property_table.render() + m.group(2), text)


def write() -> bool:
    """Regenerate the README's args blocks, the pack README's property table and ``docs/controls.md``;
    True if anything changed."""
    from preflight.catalogue import controls

    changed = False
    files = ((README, render), (PACK_README, render_pack), (controls.DOC, lambda _: controls.render_doc()))
    for path, render_file in files:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        updated = render_file(current)
        if updated != current:
            path.write_text(updated, encoding="utf-8")
            changed = True
    return changed


def stale() -> bool:
    """True when the README's args blocks or ``docs/controls.md`` differ from what they render to."""
    from preflight.catalogue import controls

    doc = controls.DOC.read_text(encoding="utf-8") if controls.DOC.exists() else ""
    readme = README.read_text(encoding="utf-8")
    pack = PACK_README.read_text(encoding="utf-8")
    return render(readme) != readme or render_pack(pack) != pack or controls.render_doc() != doc
