"""A stand-in for the Pulumi CLI under the Automation API (its own seam, ``auto.PulumiCommand``): a few
backends of stacks in memory, answering the commands the procedures issue, and recording every call.

It proves which commands a procedure issues, in which order, on which backend, and what it does with
the answers; not that the real CLI or a real bucket answers that way (the marker-gated integration
tests run the real CLI)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation.errors import create_command_error
from semver import VersionInfo


def state(site: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A stack export (``pulumi stack export``) holding ``resources``."""
    return {"version": 3, "deployment": {"manifest": {}, "resources": copy.deepcopy(resources)}}


def resource(kind: str, name: str, *, parent: str = "", protect: bool = False, **outputs: Any) -> dict[str, Any]:
    """One resource of a stack export; ``parent`` is the type chain before ``kind`` in the URN."""
    chain = f"{parent}${kind}" if parent else kind
    return {
        "urn": f"urn:pulumi:site::imaging-landing-zone::{chain}::{name}",
        "type": kind,
        "id": f"{name}-id",
        "protect": protect,
        "outputs": outputs,
    }


@dataclass
class Call:
    """One CLI call: its arguments and the backend it ran on."""

    args: list[str]
    backend: str
    cwd: str


@dataclass
class FakePulumi(auto.PulumiCommand):
    """The CLI, logged in as ``user``; ``stacks`` maps a backend URL to its stacks' exports; ``fail`` maps
    a command word (``destroy``, ``whoami``...) to the CLI's error line for it."""

    user: str = "platform-admin@chuv.example"
    stacks: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    fail: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    providers: dict[tuple[str, str], str] = field(default_factory=dict)
    """(backend, stack) to the secrets provider it was created or changed to."""

    def __post_init__(self) -> None:  # no `pulumi version`: there is no CLI
        self.command = "pulumi"
        self.version = VersionInfo(3, 272, 0)

    def words(self) -> list[str]:
        """The calls as ``verb [sub-verb]`` strings, in order (for order assertions)."""
        return [" ".join(c.args[:2]) if c.args[0] == "stack" else c.args[0] for c in self.calls]

    def _error(self, line: str) -> Exception:
        return create_command_error(auto.CommandResult(stdout="", stderr=f"error: {line}\n", code=255))

    def run(self, args, cwd, additional_env, on_output=None, on_error=None):  # noqa: PLR0911, PLR0912
        backend = additional_env.get("PULUMI_BACKEND_URL", "<the CLI's current login>")
        self.calls.append(Call(list(args), backend, str(cwd)))
        verb = args[1] if args[0] == "stack" and len(args) > 1 else args[0]
        if verb in self.fail:
            raise self._error(self.fail[verb])
        stacks = self.stacks.setdefault(backend, {})
        name = args[args.index("--stack") + 1] if "--stack" in args else None
        ok = auto.CommandResult(stdout="", stderr="", code=0)
        if verb == "whoami":
            return auto.CommandResult(stdout=json.dumps({"user": self.user, "url": backend}), stderr="", code=0)
        if verb == "select":
            if name not in stacks:
                raise self._error(f"no stack named '{name}' found")
            return ok
        if verb == "init":
            name = args[2]
            if name in stacks:
                raise self._error(f"stack '{name}' already exists")
            stacks[name] = state(name, [])
            if "--secrets-provider" in args:
                self.providers[(backend, name)] = args[args.index("--secrets-provider") + 1]
            return ok
        if name is not None and name not in stacks:
            raise self._error(f"no stack named '{name}' found")
        if verb == "export":
            return auto.CommandResult(stdout=json.dumps(stacks[name]), stderr="", code=0)
        if verb == "import":
            stacks[name] = json.loads(Path(args[args.index("--file") + 1]).read_text(encoding="utf-8"))
            return ok
        if verb == "change-secrets-provider":
            self.providers[(backend, name or "")] = args[2]
            return ok
        if verb == "rm":
            stack = args[-1]
            if stacks.get(stack, {}).get("deployment", {}).get("resources") and "--force" not in args:
                raise self._error(f"'{stack}' still has resources; removal rejected")
            stacks.pop(stack, None)
            return ok
        if verb == "destroy":
            resources = stacks[name]["deployment"]["resources"]
            if "--exclude-protected" in args:
                stacks[name]["deployment"]["resources"] = [r for r in resources if r.get("protect")]
            else:
                stacks[name]["deployment"]["resources"] = []
            return ok
        if verb == "history":
            entry = {
                "kind": "destroy",
                "startTime": "2027-01-01T00:00:00.000000Z",
                "endTime": "2027-01-01T00:01:00.000000Z",
                "message": "",
                "environment": {},
                "config": {},
                "result": "succeeded",
                "version": 2,
            }
            return auto.CommandResult(stdout=json.dumps([entry]), stderr="", code=0)
        raise AssertionError(f"the fake CLI does not know {args}")
