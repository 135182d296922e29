"""Generated parts of the README: each component's args table, from its pydantic model.

``python -m preflight docs --write`` rewrites the blocks between ``<!-- args:<Model> -->`` and
``<!-- /args -->``; a test fails when the README has drifted from the models.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

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
        ProjectGuardRailsArgs,
        ViewerEndpointArgs,
    )
}
README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"(<!-- args:(\w+) -->\n).*?(<!-- /args -->)", re.S)


def _type_name(annotation: Any) -> str:
    """A readable type: ``int | None``, ``dict[str, BucketMember]``, ``str | Output[str]``."""
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
    for name, field in model.model_fields.items():
        default = "required" if field.is_required() else _default(field.default)
        description = (field.description or "").replace("\n", " ").replace("|", "\\|")
        annotation = _type_name(field.annotation).replace("|", "\\|")
        rows.append(f"| `{name}` | `{annotation}` | {default} | {description} |")
    return "\n".join(rows) + "\n"


def render(text: str) -> str:
    """``text`` with every args block regenerated."""
    return _BLOCK.sub(lambda m: m.group(1) + args_table(MODELS[m.group(2)]) + m.group(3), text)


def write() -> bool:
    """Regenerate the README's args blocks; True if anything changed."""
    current = README.read_text(encoding="utf-8")
    updated = render(current)
    if updated != current:
        README.write_text(updated, encoding="utf-8")
    return updated != current
