"""Stack files: ``stacks/Pulumi.<site>.yaml``, read the way the Pulumi CLI hands them to a program."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.config import ConfigError, SiteConfig

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "imaging-landing-zone"
STACKS_DIR = ROOT / "stacks"
PROGRAM = ROOT / "__main__.py"


class StackFileError(Exception):
    """A stack that cannot be read; the message is one line and names the file."""


@dataclass(frozen=True)
class Stack:
    """A site's stack: its name, file, engine-form config and validated site config."""

    name: str
    path: Path
    config: dict[str, str]
    site: SiteConfig


def display_path(path: Path) -> str:
    """``path`` relative to the repository root when it is inside it (how reports and errors name it)."""
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)


def available(stacks_dir: Path = STACKS_DIR) -> list[str]:
    """The stack names that have a file in ``stacks_dir``."""
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in stacks_dir.glob("Pulumi.*.yaml"))


def _engine_value(key: str, value: Any) -> str:
    """The CLI passes config to programs and packs as strings, objects and lists as JSON."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        raise StackFileError(f"{key}: secret values cannot be decrypted offline; keep site settings in plain text")
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def load(name: str, stacks_dir: Path = STACKS_DIR) -> Stack:
    """Read and validate one stack. Raises ``StackFileError`` or ``ConfigError`` (one line per problem)."""
    path = stacks_dir / f"Pulumi.{name}.yaml"
    if not path.is_file():
        known = ", ".join(available(stacks_dir)) or "none"
        raise StackFileError(f"no stack file {display_path(path)} (known sites: {known})")
    return load_file(path, name)


def load_file(path: Path, name: str | None = None) -> Stack:
    """Read and validate a stack file at ``path``."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        reason = str(exc).replace("\n", " ")
        raise StackFileError(f"{path.name}: not readable YAML: {reason}") from None
    if not isinstance(document, dict) or not isinstance(document.get("config"), dict):
        raise StackFileError(f"{path.name}: must be a mapping with a 'config:' section")
    config = {str(key): _engine_value(str(key), value) for key, value in document["config"].items()}
    try:
        site = SiteConfig.from_stack_config(config)
    except ConfigError as exc:
        raise ConfigError([f"{path.name}: {problem}" for problem in exc.problems]) from None
    stack_name = name or path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    return Stack(name=stack_name, path=path, config=config, site=site)
