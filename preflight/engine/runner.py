"""Run the real site program under Pulumi's mock engine and capture every resource it registers.

Two modes reproduce what the engine hands a policy pack in a site's life (ADR 0029):

* ``preview``: provider-computed outputs are unknown (a fresh site's first ``pulumi preview``), so
  inputs derived from them carry the engine's unknown sentinel;
* ``update``: every output is in the form the provider stores it (a first ``pulumi up``, whose each
  resource is analysed after the resources it reads were created; a later preview or update, whose
  unchanged resources the engine reads from the state; ``pulumi policy analyze``); inputs derived from
  other resources' outputs carry those stored values too. See ``preflight/engine/gcp_model.py``.

``existing``, the stored form's earlier name, is still accepted (:func:`mode_named`).

Resource options (protect, dependencies, aliases, ...) are not in ``MockResourceArgs``; they are
read from the raw ``RegisterResourceRequest`` in a :class:`MockMonitor` subclass.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import importlib.metadata
import os
import runpy
import signal
import site
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pulumi
from google.protobuf import json_format
from pulumi.output import Unknown
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime.proto import source_pb2

from preflight.engine.gcp_model import GcpModel
from preflight.engine.virtualenv import site_packages

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's sentinel for a value that is unknown during preview (``UNKNOWN_STRING_VALUE``)."""
SECRET_SIG = "4dabf18193072939515e22adb298388d"
"""The key under which a serialised special value (secret, resource reference, asset) carries its kind."""
_SECRET = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_REFERENCE = "5cf8f73096256a8f31e491e813e4eb8e"
REDACTED = "[secret]"


@dataclass
class Resource:
    """One registered resource, as the engine would see it (camelCase wire names throughout)."""

    type: str
    name: str
    urn: str
    custom: bool
    parent: str
    provider: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str | None
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool | None = None
    aliases: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    deleted_with: str = ""
    """The URN whose deletion deletes this resource too (``deletedWith``): not in the Analyzer protocol."""
    import_id: str = ""
    """The cloud id the resource adopts (``import``): not in the Analyzer protocol."""


_ASSET = "c44067f5952c0a294b673a41bacd8c17"
_ARCHIVE = "0def7320c3a5731c473e5ecbe6d01bc7"


def _asset_wire(value: pulumi.asset.Asset | pulumi.asset.Archive) -> dict[str, Any]:
    """An asset or archive as the engine serialises it (its signature and its one source field)."""
    wire: dict[str, Any] = {SECRET_SIG: _ASSET if isinstance(value, pulumi.asset.Asset) else _ARCHIVE}
    for field_name in ("path", "text", "uri"):
        found = getattr(value, field_name, None)
        if isinstance(found, str):
            wire[field_name] = found
    assets = getattr(value, "assets", None)
    if isinstance(assets, Mapping):
        wire["assets"] = {str(k): to_wire(v) for k, v in assets.items()}
    return wire


def to_wire(value: Any) -> Any:
    """Plain JSON-able values: unknowns become the engine's sentinel, secrets are redacted, assets and
    archives take the engine's serialised form."""
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, pulumi.asset.Asset | pulumi.asset.Archive):
        return _asset_wire(value)
    if isinstance(value, Mapping):
        if value.get(SECRET_SIG) not in (None, _ASSET, _ARCHIVE):
            return REDACTED
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    return value


def from_wire(value: Any) -> Any:
    """A registration's serialised properties as the engine hands them to a policy pack: unknowns
    stay the sentinel, secrets are redacted, and a resource reference is downgraded the way the
    engine does for a plugin that does not keep resources: a custom resource to its id (unknown
    until it exists), a component to its URN."""
    if isinstance(value, Mapping):
        kind = value.get(SECRET_SIG)
        if kind == _SECRET:
            return REDACTED
        if kind == _RESOURCE_REFERENCE:
            return value["id"] if "id" in value else value.get("urn", UNKNOWN)
        return {str(k): from_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    return value


class _Recorder(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps the raw registration of every resource, options included."""

    def __init__(self, mocks: pulumi_mocks.Mocks, on_resource: Callable[[Resource], None] | None = None) -> None:
        super().__init__(mocks)
        self.captured: list[Resource] = []
        self._on_resource = on_resource

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The engine's URN: the parent's full qualified type chain, the root stack type left out
        (``pkg/resource/deploy/deployment.go generateURN``); the mock monitor keeps only one level."""
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != "pulumi:pulumi:Stack":
                qualified = f"{parent_type}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), qualified, name])

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            return response
        registration = self.resources.get(response.urn)
        hidden = self.mocks.program_only if isinstance(self.mocks, GcpModel) else frozenset()
        state = {k: v for k, v in registration.state.items() if k not in hidden} if registration else {}
        inputs = from_wire(json_format.MessageToDict(request.object))
        self.captured.append(
            Resource(
                type=request.type,
                name=request.name,
                urn=response.urn,
                custom=bool(request.custom),
                parent=request.parent,
                provider=request.provider,
                inputs=inputs,
                outputs=_outputs(inputs, state),
                id=(registration.id if registration else None) or None,
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                ignore_changes=list(request.ignoreChanges),
                delete_before_replace=(
                    bool(request.deleteBeforeReplace) if request.deleteBeforeReplaceDefined else None
                ),
                aliases=[*request.aliasURNs, *(a.urn for a in request.aliases if a.urn)],
                additional_secret_outputs=list(request.additionalSecretOutputs),
                dependencies=list(request.dependencies),
                property_dependencies={key: list(deps.urns) for key, deps in request.propertyDependencies.items()},
                deleted_with=request.deletedWith,
                import_id=request.importId,
            )
        )
        if self._on_resource is not None:
            self._on_resource(self.captured[-1])
        return response


def _outputs(inputs: dict[str, Any], state: Mapping[str, Any]) -> dict[str, Any]:
    """What the engine would hold as outputs: the planned inputs (unknowns as the sentinel) overlaid
    with the provider's state (computed values, known only in update mode)."""
    return {**inputs, **to_wire(dict(state))}


async def _exports(into: dict[str, Any] | None) -> None:
    """The program's stack exports (``pulumi.export``), as the engine stores them on the root stack
    resource: unknowns as the sentinel, secrets redacted. Under mocks the root stack registers its
    outputs before the program runs, so they are read from the root resource afterwards."""
    root = pulumi.runtime.settings.get_root_resource()
    if into is None or root is None:
        return
    for key, value in dict(getattr(root, "outputs", None) or {}).items():
        output = pulumi.Output.from_input(value)
        if await output.is_secret():
            into[key] = REDACTED
        elif not await output.is_known():
            into[key] = UNKNOWN
        else:
            into[key] = to_wire(await output.future())


def _no_stack_trace() -> Any:
    return source_pb2.StackTrace()


class ProgramError(Exception):
    """The site program failed under the mock engine; the message says where."""


def capture(
    program: Callable[[], object],
    *,
    config: Mapping[str, str] | None = None,
    project: str,
    stack: str,
    preview: bool = False,
    mode: str | None = None,
    on_resource: Callable[[Resource], None] | None = None,
    exports: dict[str, Any] | None = None,
    secret_keys: Sequence[str] = (),
    program_dir: Path | None = None,
) -> list[Resource]:
    """Run ``program`` under mocks and return every resource it registered, in registration order.

    ``mode`` is one of :data:`MODES` (``preview=True`` is the same as ``mode="preview"``). ``exports``,
    when given, receives the program's stack outputs (the root stack resource's outputs).

    ``config`` maps ``namespace:key`` to the engine's string values. ``on_resource`` is called with
    each resource as it registers (the engine analyses resources then, not after the program).
    Mock state is process-global; every call installs a fresh monitor and config, so calls do not
    leak into one another. ``secret_keys`` are the config keys the engine would mark secret.
    ``program_dir`` is where the program's own files are: a failure names its innermost frame there.
    """
    model = GcpModel(preview=preview, mode=mode)
    preview = model.preview
    monitor = _Recorder(model, on_resource)
    # Source positions go to the engine's display only (never to a policy pack); walking the Python
    # stack for each registration is a tenth of a site's run, so the mock engine skips it.
    trace = getattr(pulumi_resource, "_get_stack_trace", None)
    if trace is not None:
        pulumi_resource._get_stack_trace = _no_stack_trace
    # The Pulumi runtime runs on the thread's current event loop and never closes it, and its mock
    # monitor makes one more in each executor thread that registers a resource (``_ensure_event_loop``).
    # Loops left open (they sit in reference cycles) are closed by the garbage collector at
    # interpreter exit, after their self-pipe sockets may already be finalised: "Exception ignored in
    # BaseEventLoop.__del__ ... Invalid file descriptor: -1" on stderr, now and then. Each run owns a
    # fresh loop, and closes it, its executor threads and the loops they made (which also keeps a
    # forked process off a loop whose threads did not survive the fork).
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    thread_loops: list[asyncio.AbstractEventLoop] = []
    ensure_loop = pulumi_mocks._ensure_event_loop  # type: ignore[attr-defined]

    def _thread_loop() -> asyncio.AbstractEventLoop:
        try:
            return asyncio.get_event_loop()
        except RuntimeError:  # an executor thread: no loop yet
            made = asyncio.new_event_loop()
            asyncio.set_event_loop(made)
            thread_loops.append(made)
            return made

    pulumi_mocks._ensure_event_loop = _thread_loop  # type: ignore[attr-defined]
    pulumi.runtime.set_mocks(model, project=project, stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys))

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def _run() -> pulumi.Output[None]:
        program()
        return pulumi.Output.from_input(_exports(exports))

    collecting = gc.isenabled()
    gc.disable()
    interrupted = _Deferred()
    try:
        with interrupted, _failures_placed(program_dir):
            _run()
    except pulumi.RunError as exc:
        raise ProgramError(str(exc)) from None
    except Exception as exc:  # the program's own error (a bad value, a failed import): a program failure
        raise ProgramError(
            f"{type(exc).__name__}: {exc}{getattr(exc, _WHERE, None) or _where(exc, program_dir)}"
        ) from None
    finally:
        if collecting:
            gc.enable()
        _settle_heap()
        pulumi.runtime.set_all_config({}, [])
        if trace is not None:
            pulumi_resource._get_stack_trace = trace
        pulumi_mocks._ensure_event_loop = ensure_loop  # type: ignore[attr-defined]
        try:
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            for made in [loop, *thread_loops]:
                made.close()
    if interrupted.signalled:
        raise KeyboardInterrupt
    return monitor.captured


class _Deferred:
    """Ctrl-C (SIGINT) held back while a program runs on the main thread, then raised.

    The Pulumi runtime runs the program in nested event loops; an interrupt raised inside them can be
    lost, and the run then waits forever for tasks that were destroyed. A run takes about a second, so
    the interrupt waits for it. Where SIGINT is ignored (a fleet's workers) or off the main thread,
    nothing changes."""

    def __init__(self) -> None:
        self.signalled = False
        self._previous: Any = None

    def _note(self, signum: int, frame: object) -> None:
        self.signalled = True

    def __enter__(self) -> _Deferred:
        if threading.current_thread() is threading.main_thread():
            current = signal.getsignal(signal.SIGINT)
            if current is not signal.SIG_IGN:
                self._previous = signal.signal(signal.SIGINT, self._note)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


_WHERE = "_preflight_where"


@contextlib.contextmanager
def _failures_placed(program_dir: Path | None) -> Iterator[None]:
    """While the program runs, an ``apply`` callback that raises notes where in the program it failed."""
    apply = pulumi.Output.apply
    pulumi.Output.apply = _placed(apply, program_dir)  # type: ignore[method-assign]
    try:
        yield
    finally:
        pulumi.Output.apply = apply  # type: ignore[method-assign]


def _placed(apply: Any, program_dir: Path | None) -> Any:
    """``Output.apply`` whose callback, when it raises, notes where in the program it failed: the
    runtime re-raises the error from its own task later, without the callback's frames."""

    def placed_apply(self: Any, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        def callback(*values: Any) -> Any:
            try:
                return func(*values)
            except Exception as exc:
                if getattr(exc, _WHERE, None) is None:
                    with contextlib.suppress(AttributeError, TypeError):
                        setattr(exc, _WHERE, _where(exc, program_dir))
                raise

        return apply(self, callback, *args, **kwargs)

    return placed_apply


_CHECKER = str(Path(__file__).resolve().parents[1])
"""The offline check's own files: a failure inside them is never the program's line."""
_STDLIB = str(Path(asyncio.__file__).resolve().parent.parent)


def _where(exc: BaseException, program_dir: Path | None = None) -> str:
    """`` (at file:line)`` of the program's innermost frame: in its own folder when known, else outside
    the installed packages and the standard library (an error in an ``apply`` callback surfaces from
    asyncio's frames, which are not the program's)."""
    frames = traceback.extract_tb(exc.__traceback__)
    outside = (_STDLIB, "<frozen", _CHECKER)
    own = [f for f in frames if "site-packages" not in f.filename and not f.filename.startswith(outside)]
    if program_dir is not None:
        inside = [f for f in own if Path(f.filename).resolve().is_relative_to(program_dir.resolve())]
        own = inside or own
    return f" (at {own[-1].filename}:{own[-1].lineno})" if own else ""


_heap_settled = False


def _settle_heap() -> None:
    """After a program run: keep the cyclic garbage collector off what lives on.

    A run leaves ~40,000 objects in reference cycles (the Pulumi runtime's outputs and futures) and,
    the first time, the ~300,000 of the modules it imported, which stay. With the collector on during
    a run, its full collections walk all of those again and again: about half of a run's time. So a run
    goes without the collector; after the first run of a process everything is frozen (``gc.freeze``:
    never walked again; still freed by reference counting), its cycles included (once, a few MB); after
    a later run, that run's cycles are collected, which walks only what the runs since the first made.
    Nothing is frozen after the first run: a later run's survivors (the mock monitor, the registered
    resources) become garbage in cycles at the next run, and frozen cycles are never freed."""
    global _heap_settled  # noqa: PLW0603 (one heap per process)
    if _heap_settled:
        gc.collect()
    else:
        _heap_settled = True
        gc.freeze()


def run_program(
    program: Path,
    *,
    config: Mapping[str, str],
    project: str,
    stack: str,
    preview: bool = False,
    mode: str | None = None,
    on_resource: Callable[[Resource], None] | None = None,
    exports: dict[str, Any] | None = None,
    secret_keys: Sequence[str] = (),
    fresh_modules: bool = False,
    virtualenv: Path | None = None,
) -> list[Resource]:
    """Run a Pulumi Python program file (the site's ``__main__.py``) under mocks; see :func:`capture`.

    As the Pulumi CLI runs it: from its own folder (the working directory, and first on the import
    path), with the packages of the project's ``virtualenv`` when it names one. ``fresh_modules``
    forgets, after the run, every module the run imported from the program's own folder (not from
    installed packages), so the next mode runs them again (a resource registered when a module is imported
    appears in every mode, as in every real run, each a process of its own)."""
    program = program.resolve()
    folder = program.parent
    before = set(sys.modules)
    saved_path = list(sys.path)
    cwd = Path.cwd()
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    if virtualenv is not None:
        site.addsitedir(str(site_packages(virtualenv)))
    try:
        os.chdir(folder)
        return capture(
            lambda: runpy.run_path(str(program), run_name="__main__"),
            config=config,
            project=project,
            stack=stack,
            preview=preview,
            mode=mode,
            on_resource=on_resource,
            exports=exports,
            secret_keys=secret_keys,
            program_dir=folder,
        )
    finally:
        os.chdir(cwd)
        sys.path[:] = saved_path
        if fresh_modules:
            for name in set(sys.modules) - before:
                origin = getattr(sys.modules[name], "__file__", None)
                if origin and _own_module(Path(origin), folder):
                    del sys.modules[name]


class StackToRun(Protocol):
    """What :func:`run_stack` needs of a stack (``preflight.engine.stacks.Stack``)."""

    @property
    def name(self) -> str: ...
    @property
    def project(self) -> str: ...
    @property
    def program(self) -> Path: ...
    @property
    def config(self) -> dict[str, str]: ...
    @property
    def secret_keys(self) -> tuple[str, ...]: ...
    @property
    def virtualenv(self) -> Path | None: ...


def run_stack(
    stack: StackToRun,
    mode: str,
    *,
    on_resource: Callable[[Resource], None] | None = None,
    exports: dict[str, Any] | None = None,
    own_program: Path | None = None,
    timeout: float | None = None,
) -> list[Resource]:
    """Run ``stack``'s program in ``mode`` as the CLI would (:func:`run_program`), in a process of its own
    (``preflight.engine.isolation``: it cannot reach the verdict, its stdout is stderr, an exit is a
    failure, a run longer than ``timeout`` seconds, by default ``isolation.DEFAULT_TIMEOUT``, is stopped).
    Another project's program (not ``own_program``, this repository's, whose library is imported here first
    and shared by every run) gets its modules afresh in each run."""
    from preflight.engine import isolation

    own = stack.program == own_program
    isolation.preload(OWN_LIBRARY if own else INSTALLED)

    def program_run(report: Callable[[Resource], None] | None, into: dict[str, Any]) -> list[Resource]:
        return run_program(
            stack.program,
            config=stack.config,
            project=stack.project,
            stack=stack.name,
            mode=mode,
            on_resource=report,
            exports=into,
            secret_keys=stack.secret_keys,
            fresh_modules=not own,
            virtualenv=stack.virtualenv,
        )

    return isolation.run(
        program_run,
        program=stack.program,
        timeout=isolation.DEFAULT_TIMEOUT if timeout is None else timeout,
        on_resource=on_resource,
        exports=exports,
    )


OWN_LIBRARY = ("pulumi_gcp", "program.site")
"""What the site program imports, imported once in the check's process before its runs are forked: the
repository's own library (the check imports ``program.config`` and ``components`` already) and the provider."""
INSTALLED = ("pulumi_gcp",)
"""What another project's program is likely to import that is safe to import here: an installed package."""


def _own_module(origin: Path, folder: Path) -> bool:
    """A module of the program's own (in its folder), not an installed package (a virtualenv may sit in
    the folder: its packages register themselves once per process and are never imported again)."""
    resolved = origin.resolve()
    return resolved.is_relative_to(folder) and "site-packages" not in resolved.parts


def stack_resource(*, project: str, stack: str, outputs: Mapping[str, Any] | None = None) -> Resource:
    """The root ``pulumi:pulumi:Stack`` resource, which the engine analyses like any other: no inputs,
    the program's exports as its outputs."""
    name = f"{project}-{stack}"
    return Resource(
        type="pulumi:pulumi:Stack",
        name=name,
        urn=f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{name}",
        custom=False,
        parent="",
        provider="",
        inputs={},
        outputs=dict(outputs or {}),
        id=None,
    )


@functools.cache
def _provider_version() -> str:
    """The installed ``pulumi_gcp`` version (a look-up over every installed distribution: once a process)."""
    try:
        return importlib.metadata.version("pulumi_gcp")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


def default_provider(*, project: str, stack: str, config: Mapping[str, str], preview: bool) -> Resource:
    """The default ``gcp`` provider the engine creates for resources without an explicit one: its
    inputs are the stack's ``gcp:*`` config and the plugin version, as the engine sends them to a
    policy pack with every resource it serves."""
    version = _provider_version()
    name = "default_" + version.replace(".", "_")
    inputs: dict[str, Any] = {
        key.removeprefix("gcp:"): value for key, value in config.items() if key.startswith("gcp:")
    }
    inputs["version"] = version
    return Resource(
        type="pulumi:providers:gcp",
        name=name,
        urn=f"urn:pulumi:{stack}::{project}::pulumi:providers:gcp::{name}",
        custom=True,
        parent="",
        provider="",
        inputs=inputs,
        outputs=dict(inputs),
        id=None if preview else f"{stack}-{name}",
    )
