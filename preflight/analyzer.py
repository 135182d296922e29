"""Drive the real policy pack over the engine's Analyzer gRPC protocol.

The pack runs in its own process, started the way the Pulumi CLI starts a Python pack: the pack
directory as working directory, the stack's config, project, stack and dry-run flag in the
environment. The first line it prints is its gRPC port. This module then speaks the same calls as
the engine: ``GetAnalyzerInfo``, ``Configure`` (after the CLI's config reconciliation),
``Analyze`` per resource and ``AnalyzeStack`` once with outputs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from preflight.engine import Resource

PACK_DIR = Path(__file__).resolve().parent.parent / "policies"
_LEVELS = {"advisory": 0, "mandatory": 1, "disabled": 2, "remediate": 3}
_LEVEL_NAMES = {value: key for key, value in _LEVELS.items()}


class PackError(Exception):
    """The pack could not be started, configured or asked; the message is one line."""


@dataclass(frozen=True)
class Diagnostic:
    """One finding of the pack, as the engine receives it."""

    policy: str
    level: str
    message: str
    urn: str
    severity: str

    @property
    def skipped_in_preview(self) -> bool:
        """The pack could not judge the resource because a value it reads is unknown in preview."""
        return "during preview" in self.message and self.message.startswith("can't run policy")


@dataclass(frozen=True)
class PolicyInfo:
    """A policy's metadata, as ``GetAnalyzerInfo`` reports it."""

    name: str
    description: str
    level: str
    severity: str
    control: str
    remediation: str
    config_schema: dict[str, Any]


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(value))
    return message


def _options(r: Resource) -> analyzer_pb2.AnalyzerResourceOptions:
    options = analyzer_pb2.AnalyzerResourceOptions(
        protect=r.protect,
        ignoreChanges=r.ignore_changes,
        aliases=r.aliases,
        additionalSecretOutputs=r.additional_secret_outputs,
        parent=r.parent,
    )
    if r.delete_before_replace is not None:
        options.deleteBeforeReplace = r.delete_before_replace
        options.deleteBeforeReplaceDefined = True
    return options


class PolicyPack:
    """A running policy-pack process and a client for it. Use as a context manager."""

    def __init__(
        self,
        *,
        config: Mapping[str, str],
        project: str,
        stack: str,
        dry_run: bool,
        pack_dir: Path = PACK_DIR,
        python: str = sys.executable,
    ) -> None:
        env = {
            **os.environ,
            "PULUMI_CONFIG": json.dumps(dict(config)),
            "PULUMI_PROJECT": project,
            "PULUMI_STACK": stack,
            "PULUMI_DRY_RUN": "true" if dry_run else "false",
        }
        env.pop("PYTHONPATH", None)  # the pack is self-contained: it must not see this repository
        try:
            self._process = subprocess.Popen(
                [python, "-u", str(pack_dir)],
                cwd=pack_dir,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise PackError(f"cannot start the policy pack {pack_dir}: {exc}") from None
        assert self._process.stdout is not None
        port = self._process.stdout.readline().decode().strip()
        if not port.isdigit():
            self._process.kill()
            _, err = self._process.communicate()
            last = (err.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
            raise PackError(f"the policy pack {pack_dir} did not start: {last}")
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        self.name = ""

    def __enter__(self) -> PolicyPack:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop the pack process."""
        self._channel.close()
        self._process.kill()
        self._process.communicate()

    def info(self) -> list[PolicyInfo]:
        """Every policy the pack declares, with its metadata."""
        response = self._stub.GetAnalyzerInfo(empty_pb2.Empty())
        self.name = response.name
        policies = []
        for p in response.policies:
            schema = json_format.MessageToDict(p.configSchema.properties) if p.HasField("configSchema") else {}
            policies.append(
                PolicyInfo(
                    name=p.name,
                    description=p.description,
                    level=_LEVEL_NAMES.get(p.enforcementLevel, "advisory"),
                    severity=analyzer_pb2.PolicySeverity.Name(p.severity).removeprefix("POLICY_SEVERITY_").lower(),
                    control=p.framework.reference if p.HasField("framework") else "",
                    remediation=p.remediation_steps,
                    config_schema=schema,
                )
            )
        return policies

    def configure(self, levels_and_properties: Mapping[str, tuple[str, Mapping[str, Any]]]) -> None:
        """Send the reconciled per-policy enforcement level and properties (``Configure``)."""
        request = analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={
                name: analyzer_pb2.PolicyConfig(
                    enforcementLevel=_LEVELS[level],  # type: ignore[arg-type]
                    properties=_struct(props),
                )
                for name, (level, props) in levels_and_properties.items()
            }
        )
        self._stub.Configure(request)

    def analyze(self, r: Resource) -> list[Diagnostic]:
        """``Analyze`` one resource's inputs, as the engine does before each step."""
        request = analyzer_pb2.AnalyzeRequest(
            type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name, options=_options(r)
        )
        return self._diagnostics(self._stub.Analyze(request))

    def analyze_stack(self, resources: Iterable[Resource]) -> list[Diagnostic]:
        """``AnalyzeStack`` with every resource's outputs, as the engine does at the end."""
        request = analyzer_pb2.AnalyzeStackRequest(
            resources=[
                analyzer_pb2.AnalyzerResource(
                    type=r.type,
                    properties=_struct(r.outputs),
                    urn=r.urn,
                    name=r.name,
                    options=_options(r),
                    parent=r.parent,
                    dependencies=r.dependencies,
                    propertyDependencies={
                        key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
                        for key, urns in r.property_dependencies.items()
                    },
                )
                for r in resources
            ]
        )
        return self._diagnostics(self._stub.AnalyzeStack(request))

    @staticmethod
    def _diagnostics(response: analyzer_pb2.AnalyzeResponse) -> list[Diagnostic]:
        return [
            Diagnostic(
                policy=d.policyName,
                level=_LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
                message=d.message,
                urn=d.urn,
                severity=analyzer_pb2.PolicySeverity.Name(d.severity).removeprefix("POLICY_SEVERITY_").lower(),
            )
            for d in response.diagnostics
        ]


def reconcile(
    policies: Iterable[PolicyInfo], user_config: Mapping[str, Any] | None = None
) -> dict[str, tuple[str, dict[str, Any]]]:
    """The CLI's config reconciliation: schema defaults and declared levels, then the user's config
    (``all`` first, then per policy). Raises ``PackError`` for an unknown policy or a bad level."""
    result: dict[str, tuple[str, dict[str, Any]]] = {}
    for p in policies:
        defaults = {k: s["default"] for k, s in p.config_schema.get("properties", {}).items() if "default" in s}
        result[p.name] = (p.level, defaults)
    user = dict(user_config or {})

    def split(name: str, value: Any) -> tuple[str | None, dict[str, Any]]:
        if isinstance(value, str):
            level, props = value, {}
        elif isinstance(value, Mapping):
            props = dict(value)
            level = props.pop("enforcementLevel", None)
        else:
            raise PackError(f"policy config for {name!r} must be a level or an object")
        if level is not None and level not in _LEVELS:
            raise PackError(f"policy config for {name!r}: unknown enforcement level {level!r}")
        return level, props

    if "all" in user:
        level, _ = split("all", user.pop("all"))
        if level:
            result = {name: (level, props) for name, (_, props) in result.items()}
    for name, value in user.items():
        if name not in result:
            raise PackError(f"policy config names {name!r}, which the pack does not have")
        level, props = split(name, value)
        current_level, current_props = result[name]
        result[name] = (level or current_level, {**current_props, **props})
    return result
