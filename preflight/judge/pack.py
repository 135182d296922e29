"""Drive the real policy pack over the engine's Analyzer gRPC protocol.

The pack runs in its own process, started the way the Pulumi CLI starts a Python pack: the pack
directory as working directory, the stack's config, project, stack and dry-run flag in the
environment. The first line it prints is its gRPC port. This module then speaks the same calls as
the engine: ``GetAnalyzerInfo``, ``Configure`` (after the CLI's config reconciliation, with its
JSON-schema validation), ``ConfigureStack``, ``Analyze`` per resource and ``AnalyzeStack`` once with
outputs. Every answer is kept: diagnostics (violations and "can't run during preview") and
not-applicable results, from which the check derives which resources each policy judged.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
import jsonschema
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from preflight import signals
from preflight.engine.runner import Resource
from preflight.judge.words import PACK_DIR

_LEVELS = {"advisory": 0, "mandatory": 1, "disabled": 2, "remediate": 3}
_LEVEL_NAMES = {value: key for key, value in _LEVELS.items()}


class PackError(Exception):
    """The pack could not be started, configured or asked; the message is one line."""

    @property
    def problems(self) -> list[str]:
        """One line per problem, for the command line."""
        return [str(self)]


class PolicyConfigError(PackError):
    """A policy configuration the CLI would refuse; ``problems`` holds one line per problem, worded
    like the CLI's (``validating policy config: <pack> <version>  <policy>: <problem>``)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0] if len(problems) == 1 else f"{len(problems)} problems: {'; '.join(problems)}")
        self._problems = problems

    @property
    def problems(self) -> list[str]:
        return self._problems


@dataclass(frozen=True)
class Diagnostic:
    """One finding of the pack, as the engine receives it. ``urn`` is the resource it concerns: for
    ``Analyze`` the analysed resource (the SDK leaves it empty), for ``AnalyzeStack`` the one the
    policy named, or ``""`` for the stack as a whole."""

    policy: str
    level: str
    message: str
    urn: str
    severity: str
    description: str = ""

    @property
    def skipped_in_preview(self) -> bool:
        """The pack could not judge the resource because a value it reads is unknown in preview."""
        return "during preview" in self.message and self.message.startswith("can't run policy")

    @property
    def detail(self) -> str:
        """The message without the policy description the SDK puts in front of it."""
        if self.description and self.message.startswith(self.description + "\n"):
            return self.message[len(self.description) + 1 :]
        return self.message


@dataclass(frozen=True)
class NotApplicable:
    """A policy that did not apply to a resource (``urn``; ``""`` for the stack), with its reason."""

    policy: str
    urn: str
    reason: str


@dataclass
class Evaluation:
    """Everything the pack answered for one stack: diagnostics and not-applicable results of every
    ``Analyze`` call and of ``AnalyzeStack``, and the URNs that were analysed."""

    diagnostics: list[Diagnostic]
    not_applicable: list[NotApplicable]
    analyzed: list[str]


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
    """``{"properties": {...}, "required": [...]}`` as declared, or ``{}``."""
    kind: str = "resource"
    """``resource`` (judges each resource's inputs) or ``stack`` (judges all outputs at once)."""
    level_reason: str = ""
    """Why the policy config lowers this mandatory policy to advisory or disabled (its ``levelReason``), when it
    does: set by the check from the config (``check.Checker``), never by the pack; every report shows it."""


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


class PackProcess:
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
        # The pack ignores Ctrl-C (an ignored SIGINT stays ignored across exec, and Python keeps it so):
        # the interrupt reaches the check, which closes the pack; otherwise the pack died first and the
        # interrupt read as a pack failure. SIGTERM to the process group still ends both.
        previous = (
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            if threading.current_thread() is threading.main_thread()
            else None
        )
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
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        signals.track(self._process)  # SIGTERM and SIGHUP end it (preflight.signals)
        self._pack_dir = pack_dir
        self._channel: grpc.Channel | None = None
        self._connected: analyzer_pb2_grpc.AnalyzerStub | None = None
        self.name = ""
        self.version = ""

    @property
    def _stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        """The client, once the pack has said which port it serves on (the pack starts in the
        background: a caller can run the program meanwhile)."""
        if self._connected is None:
            assert self._process.stdout is not None
            port = self._process.stdout.readline().decode().strip()
            if not port.isdigit():
                self._process.kill()
                _, err = self._process.communicate()
                last = (err.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
                raise PackError(f"the policy pack {self._pack_dir} did not start: {last}")
            self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            self._connected = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self._connected

    def __enter__(self) -> PackProcess:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop the pack process."""
        if self._channel is not None:
            self._channel.close()
        self._process.kill()
        self._process.communicate()

    def info(self) -> list[PolicyInfo]:
        """Every policy the pack declares, with its metadata."""
        response = self._call(self._stub.GetAnalyzerInfo, empty_pb2.Empty())
        self.name = response.name
        # The engine takes a pack's version from PulumiPolicy.yaml (a Python pack reports 0.0.1).
        self.version = _declared_version(self._pack_dir) or response.version
        policies = []
        for p in response.policies:
            schema: dict[str, Any] = {}
            if p.HasField("configSchema"):
                schema = {"properties": json_format.MessageToDict(p.configSchema.properties)}
                if p.configSchema.required:
                    schema["required"] = list(p.configSchema.required)
            policies.append(
                PolicyInfo(
                    name=p.name,
                    description=p.description,
                    level=_LEVEL_NAMES.get(p.enforcementLevel, "advisory"),
                    severity=analyzer_pb2.PolicySeverity.Name(p.severity).removeprefix("POLICY_SEVERITY_").lower(),
                    control=p.framework.reference if p.HasField("framework") else "",
                    remediation=p.remediation_steps,
                    config_schema=schema,
                    kind="stack" if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK else "resource",
                )
            )
        return policies

    def _call(self, method: Any, request: Any) -> Any:
        try:
            return method(request)
        except grpc.RpcError as exc:
            code = exc.code() if hasattr(exc, "code") else None
            details = exc.details() if hasattr(exc, "details") else str(exc)
            first = (str(details or code).strip().splitlines() or ["no detail"])[-1]
            raise PackError(f"the policy pack {self.name or self._pack_dir} failed: {first}") from None

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
        self._call(self._stub.Configure, request)

    def configure_stack(
        self,
        *,
        config: Mapping[str, str],
        project: str,
        stack: str,
        dry_run: bool,
        secret_keys: Sequence[str] = (),
    ) -> None:
        """``ConfigureStack``: the stack about to be analysed (the pack adopts its config, so one
        process can analyse several stacks in turn); ``secret_keys`` are the config's secret keys, as
        the engine lists them (``config_secret_keys``)."""
        request = analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=stack, project=project, dry_run=dry_run, config=dict(config), config_secret_keys=list(secret_keys)
        )
        self._call(self._stub.ConfigureStack, request)

    def analyze(self, r: Resource, provider: Resource | None = None) -> list[Diagnostic]:
        """``Analyze`` one resource's inputs, as the engine does before each step."""
        return self._analyze(r, provider)[0]

    def _analyze(self, r: Resource, provider: Resource | None) -> tuple[list[Diagnostic], list[NotApplicable]]:
        request = analyzer_pb2.AnalyzeRequest(
            type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name, options=_options(r)
        )
        if provider is not None:
            request.provider.CopyFrom(_provider(provider))
        response = self._call(self._stub.Analyze, request)
        return self._diagnostics(response, r.urn), self._not_applicable(response, r.urn)

    def analyze_stack(self, resources: Iterable[Resource]) -> list[Diagnostic]:
        """``AnalyzeStack`` with every resource's outputs, as the engine does at the end."""
        return self._analyze_stack(list(resources), None)[0]

    def stream(
        self,
        provider: Resource | None = None,
        *,
        prepare: Callable[[], None] | None = None,
        executor: ThreadPoolExecutor,
    ) -> Stream:
        """``Analyze`` resources as they arrive (on ``executor``, in arrival order), then
        ``AnalyzeStack`` (:meth:`Stream.close`): the engine analyses each resource when it registers,
        so the pack judges while the program is still running. ``prepare`` runs first in the background
        (configuring the pack waits for it to start, which then overlaps the program's imports). Streams
        that share ``executor`` (one thread) run their calls in the order they were queued: one stack's
        analysis can go on while the next stack's program runs, each after its own ``prepare``."""
        return Stream(self, provider, prepare, executor)

    def _analyze_stack(
        self, resources: list[Resource], provider: Resource | None
    ) -> tuple[list[Diagnostic], list[NotApplicable]]:
        request = stack_request(resources, provider)
        response = self._call(self._stub.AnalyzeStack, request)
        return self._diagnostics(response, ""), self._not_applicable(response, "")

    @staticmethod
    def _diagnostics(response: analyzer_pb2.AnalyzeResponse, urn: str) -> list[Diagnostic]:
        return [
            Diagnostic(
                policy=d.policyName,
                level=_LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
                message=d.message,
                urn=d.urn or urn,
                severity=analyzer_pb2.PolicySeverity.Name(d.severity).removeprefix("POLICY_SEVERITY_").lower(),
                description=d.description,
            )
            for d in response.diagnostics
        ]

    @staticmethod
    def _not_applicable(response: analyzer_pb2.AnalyzeResponse, urn: str) -> list[NotApplicable]:
        return [NotApplicable(policy=n.policy_name, urn=urn, reason=n.reason) for n in response.not_applicable]


class Stream:
    """Resources sent to ``Analyze`` one by one from a background thread; see ``PackProcess.stream``."""

    def __init__(
        self,
        pack: PackProcess,
        provider: Resource | None,
        prepare: Callable[[], None] | None,
        executor: ThreadPoolExecutor,
    ) -> None:
        self._pack = pack
        self._provider = provider
        self._executor = executor
        self._pending: list[tuple[str, Future[tuple[list[Diagnostic], list[NotApplicable]]]]] = []
        self._prepared = self._executor.submit(prepare) if prepare is not None else None
        self._stack: Future[tuple[list[Diagnostic], list[NotApplicable]]] | None = None
        self._explicit: dict[str, Resource] = {}

    def add(self, r: Resource) -> None:
        """Queue ``Analyze`` for ``r`` (GCP resources with their provider: the explicit one the program
        gave them, else the default provider)."""
        if r.type.startswith(PROVIDER_PREFIX):
            self._explicit[r.urn] = r
        provider = provider_for(r, self._provider, self._explicit)
        self._pending.append((r.urn, self._executor.submit(self._pack._analyze, r, provider)))

    def close(self, resources: list[Resource]) -> None:
        """Queue ``AnalyzeStack`` with ``resources``' outputs, after every ``Analyze`` queued."""
        self._stack = self._executor.submit(self._pack._analyze_stack, resources, self._provider)

    def finish(self) -> Evaluation:
        """Wait for every ``Analyze`` and for the ``AnalyzeStack`` that :meth:`close` queued."""
        assert self._stack is not None, "close() queues AnalyzeStack before finish()"
        evaluation = Evaluation([], [], [])
        if self._prepared is not None:
            self._prepared.result()
        for urn, future in self._pending:
            found, not_applicable = future.result()
            evaluation.diagnostics += found
            evaluation.not_applicable += not_applicable
            evaluation.analyzed.append(urn)
        found, not_applicable = self._stack.result()
        evaluation.diagnostics += found
        evaluation.not_applicable += not_applicable
        return evaluation


def stack_request(resources: list[Resource], provider: Resource | None = None) -> analyzer_pb2.AnalyzeStackRequest:
    """The engine's ``AnalyzeStack`` request: every resource's outputs, options and links, and (for the
    custom gcp resources) ``provider``."""
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
    explicit = {r.urn: r for r in resources if r.type.startswith(PROVIDER_PREFIX)}
    for wire, r in zip(request.resources, resources, strict=True):
        chosen = provider_for(r, provider, explicit)
        if chosen is not None:
            wire.provider.CopyFrom(_provider(chosen))
    return request


PROVIDER_PREFIX = "pulumi:providers:"


def provider_for(r: Resource, default: Resource | None, explicit: Mapping[str, Resource]) -> Resource | None:
    """The provider the engine sends with ``r``: the explicit provider the program registered it with
    (``r.provider`` is ``<provider URN>::<provider id>``), else, for a custom gcp resource, the default
    provider; ``None`` for components and the engine's own resources."""
    if not r.custom or not r.type.startswith("gcp:"):
        return None
    if r.provider:
        urn = r.provider.rsplit("::", 1)[0]
        if urn in explicit:
            return explicit[urn]
    return default


def _declared_version(pack_dir: Path) -> str:
    try:
        document = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return ""
    version = document.get("version") if isinstance(document, dict) else None
    return str(version) if version is not None else ""


def _provider(r: Resource) -> analyzer_pb2.AnalyzerProviderResource:
    return analyzer_pb2.AnalyzerProviderResource(type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name)


def reconcile(
    policies: Iterable[PolicyInfo],
    user_config: Mapping[str, Any] | None = None,
    *,
    pack: str = "",
    version: str = "",
) -> dict[str, tuple[str, dict[str, Any]]]:
    """The CLI's config reconciliation (``ReconcilePolicyPackConfig``): schema defaults and declared
    levels, then the user's config (``all`` first, then per policy), then every policy's properties
    validated against its schema. Raises ``PolicyConfigError`` with every problem, worded like the CLI."""
    policies = list(policies)
    result: dict[str, tuple[str, dict[str, Any]]] = {}
    for p in policies:
        defaults = {k: s["default"] for k, s in p.config_schema.get("properties", {}).items() if "default" in s}
        result[p.name] = (p.level, defaults)
    user = dict(user_config or {})
    prefix = f"validating policy config: {pack} {version}  ".replace("  ", " ", 1) if pack else ""
    problems: list[str] = []
    if "environments" in user:
        user.pop("environments")
        problems.append(f"{prefix}environments: Pulumi ESC environments cannot be resolved offline; inline the values")

    def split(name: str, value: Any) -> tuple[str | None, dict[str, Any]]:
        if isinstance(value, str):
            level, props = value, {}
        elif isinstance(value, Mapping):
            props = dict(value)
            level = props.pop("enforcementLevel", None)
        else:
            raise PolicyConfigError([f"{prefix}{name}: must be an enforcement level or an object"])
        if level is not None and level not in _LEVELS:
            known = ", ".join(_LEVELS)
            raise PolicyConfigError([f"{prefix}{name}: unknown enforcement level {level!r} (one of {known})"])
        return level, props

    if "all" in user:
        level, _ = split("all", user.pop("all"))
        if level:
            result = {name: (level, props) for name, (_, props) in result.items()}
    for name, value in user.items():
        if name not in result:
            problems.append(f"{prefix}{name}: the pack has no policy of that name")
            continue
        level, props = split(name, value)
        current_level, current_props = result[name]
        result[name] = (level or current_level, {**current_props, **props})
    for p in policies:
        problems += [f"{prefix}{p.name}: {problem}" for problem in _schema_problems(p, result[p.name][1])]
    if problems:
        raise PolicyConfigError(problems)
    return result


def _schema_problems(policy: PolicyInfo, properties: Mapping[str, Any]) -> list[str]:
    """The policy's properties against ``{"type": "object", "properties": ..., "required": ...}``."""
    if not policy.config_schema:
        return []
    schema = {"type": "object", **policy.config_schema}
    validator = jsonschema.Draft7Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(dict(properties)), key=lambda e: list(e.path)):
        if error.validator == "required":
            problems.append(error.message.replace("'", "").replace(" is a required property", " is required"))
        elif error.validator == "pattern" and isinstance(error.schema, Mapping) and error.schema.get("$comment"):
            # the pack says what its pattern means (a recorded reason's minimum length), in place of the regex
            where = ".".join(str(part) for part in error.path) or "(root)"
            problems.append(f"{where}: {error.schema['$comment']}, got {error.instance!r}")
        else:
            where = ".".join(str(part) for part in error.path) or "(root)"
            problems.append(f"{where}: {error.message}")
    return problems
