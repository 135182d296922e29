"""The offline pre-deployment check: a site's real program under the mock engine, judged by the real
policy pack over the engine's Analyzer protocol, in every view the engine hands a pack in a site's life (see
``preflight.engine.modes.MODES`` and ADR 0029): ``preview`` (a fresh site's first preview) and ``update``
(its first or a later update, a later preview: outputs as the provider stores them).

``check_site`` runs one stack; ``check_plan`` judges a plan document instead of running the program.
Both return a :class:`SiteResult`, which ``preflight/reports/formats.py`` renders. The pack is started the
way the engine starts it (its own process, the stack's config, project, stack and dry-run flag in
its environment), configured the way the CLI configures it, and told each stack with
``ConfigureStack``, so one pack process can check one stack after another (``preflight/judge/fleet.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from preflight.engine import files
from preflight.engine.modes import MODE_MOMENTS, MODES
from preflight.engine.runner import Resource, default_provider, stack_resource
from preflight.engine.stacks import PROGRAM, PROJECT, Stack
from preflight.judge import options
from preflight.judge.pack import (
    Evaluation,
    PackError,
    PackProcess,
    PolicyConfigError,
    PolicyInfo,
    Stream,
    reconcile,
)
from preflight.judge.results import Finding, SiteResult
from preflight.judge.words import EXEMPTED_BY_CONFIG, LOWERED, PACK_DIR, fit, is_site

Source = list[Resource] | Callable[[Callable[[Resource], None]], list[Resource]]
"""A run's resources: a list, or a program run that reports each resource as it registers."""


class PolicyConfigFileError(Exception):
    """A policy config file that cannot be read; the message is one line naming the file."""


def read_policy_config(path: Path) -> dict[str, Any]:
    """A ``--policy-pack-config`` file: a JSON object of policy name (or ``all``) to a level or an
    object of properties (with an optional ``enforcementLevel``). An empty file is no config."""
    try:
        text = files.read_text(path)
    except OSError as exc:
        raise PolicyConfigFileError(f"{path}: cannot read the policy config ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise PolicyConfigFileError(f"{path}: the policy config is {exc}") from None
    if not text.strip():
        return {}
    try:
        document = files.loads(text)
    except ValueError as exc:
        raise PolicyConfigFileError(f"{path}: the policy config is {exc}") from None
    if not isinstance(document, dict):
        raise PolicyConfigFileError(f"{path}: the policy config must be a JSON object of policy names")
    return document


def render_remediation(text: str, config: Mapping[str, Any]) -> str:
    """A policy's fix text with its effective config: the pack writes a configurable bound as
    ``<property> (default <value>)`` (``maxRotationDays (default 90)``), readable as it stands in the
    Pulumi CLI; the check puts the value in force in its place (``30`` with ``maxRotationDays: 30``)."""
    for name, value in config.items():
        number = int(value) if isinstance(value, float) and value.is_integer() else value
        shown = number if isinstance(number, str) else json.dumps(number)
        text = re.sub(rf"\b{re.escape(name)} \(default [^)]*\)", shown.replace("\\", "\\\\"), text)
    return text


LEVEL_REASON = "levelReason"
"""The per-policy config property that records why a mandatory policy is lowered (the pack declares it on every
policy, ``_registry.LEVEL_REASON``, with the same minimum length as every recorded reason)."""


def unreasoned_lowering(
    policies: Iterable[PolicyInfo],
    user_config: Mapping[str, Any],
    reconciled: Mapping[str, tuple[str, Mapping[str, Any]]],
) -> str | None:
    """One line when the config lowers a mandatory policy (declared so by the pack) to advisory or disabled
    without recording why in that policy's ``levelReason``: the first such policy, the config key that
    lowers it (``all`` or the policy's own) and how many more; ``None`` when every lowering has its reason.
    The pack cannot refuse this itself: the engine applies enforcement levels and never tells a policy
    its own (a disabled policy does not run at all)."""
    missing = [
        p
        for p in policies
        if p.level == "mandatory"
        and reconciled.get(p.name, ("mandatory", {}))[0] in LOWERED
        and not str(reconciled[p.name][1].get(LEVEL_REASON) or "").strip()
    ]
    if not missing:
        return None
    first = missing[0]
    level = reconciled[first.name][0]
    own = user_config.get(first.name)
    lowered_here = isinstance(own, str) or (isinstance(own, Mapping) and "enforcementLevel" in own)
    key = f"{first.name}.enforcementLevel" if isinstance(own, Mapping) and lowered_here else first.name
    key = key if lowered_here else "all"
    more = f" (and {len(missing) - 1} more mandatory policies)" if len(missing) > 1 else ""
    return (
        f"{key}: sets the mandatory policy {first.name} ({first.control or 'no control'}) to {level} with no "
        f"recorded reason{more}; record why in {first.name}.{LEVEL_REASON} (a sentence), or keep it mandatory"
    )


def policy_config_problems(path: Path, pack_dir: Path = PACK_DIR) -> list[str]:
    """What the check would refuse in the policy config file ``path`` for the pack in ``pack_dir`` (unreadable,
    invalid for a policy's schema, or lowering a mandatory policy without its ``levelReason``), one line
    each; ``[]`` when it is accepted. For tools that hand the file to the engine (``rollout``), which applies
    levels without asking the pack."""
    try:
        user_config = read_policy_config(path)
        with PackProcess(config={}, project=PROJECT, stack="", dry_run=False, pack_dir=pack_dir) as pack:
            policies = pack.info()
            reconciled = reconcile(policies, user_config, pack=pack.name, version=pack.version)
    except PolicyConfigFileError as exc:
        return [str(exc)]
    except PackError as exc:
        return exc.problems
    refused = unreasoned_lowering(policies, user_config, reconciled)
    return [f"{path}: {refused}"] if refused else []


class Checker:
    """A policy pack process, configured once, that checks stacks one after another."""

    def __init__(self, policy_config: Mapping[str, Any] | None = None, *, first: Stack | None = None) -> None:
        # Started with the first stack's environment, as the engine would; later stacks are named with
        # ConfigureStack. The pack starts in the background while the caller runs the first program.
        self._pack = PackProcess(
            config=first.config if first else {},
            project=first.project if first else PROJECT,
            stack=first.name if first else "",
            dry_run=False,
        )
        self._policy_config = dict(policy_config or {})
        self._policies: list[PolicyInfo] | None = None
        self._levels: dict[str, str] = {}
        self._skip_reasons: dict[str, str] = {}
        self._exemptions: dict[str, dict[str, str]] = {}

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._pack.close()

    def _configured(self) -> list[PolicyInfo]:
        if self._policies is None:
            policies = self._pack.info()
            reconciled = reconcile(policies, self._policy_config, pack=self._pack.name, version=self._pack.version)
            refused = unreasoned_lowering(policies, self._policy_config, reconciled)
            if refused is not None:
                raise PolicyConfigError([f"validating policy config: {self._pack.name} {self._pack.version} {refused}"])
            self._pack.configure(reconciled)
            self._levels = {name: level for name, (level, _) in reconciled.items()}
            self._exemptions = {
                name: {str(k): str(v) for k, v in properties["exempt"].items()}
                for name, (_, properties) in reconciled.items()
                if isinstance(properties, Mapping)
                and isinstance(properties.get("exempt"), Mapping)
                and properties["exempt"]
            }
            self._skip_reasons = {
                name: str(properties["skipReason"])
                for name, (_, properties) in reconciled.items()
                if isinstance(properties, Mapping) and properties.get("skipReason")
            }
            self._policies = [
                replace(
                    p,
                    remediation=render_remediation(p.remediation, reconciled.get(p.name, ("", {}))[1]),
                    level_reason=_level_reason(p, reconciled),
                )
                for p in policies
            ]
        return self._policies

    def judge(
        self,
        stack: Stack,
        runs: Iterable[tuple[str, Source]],
        *,
        source: str = "program",
        exports: Mapping[str, Mapping[str, Any]] | None = None,
        keep_plan: bool = False,
    ) -> SiteResult:
        """Judge ``stack`` in each ``(mode, resources)`` run. ``resources`` is a list, or a function
        that runs the program and calls its argument with each resource as it registers: the pack
        then judges each resource while the program goes on, as under the engine. ``exports`` maps a
        mode to the program's stack outputs, the root stack resource's outputs in that mode (read
        when the stack is judged as a whole, so a streaming run may fill them in as it ends).
        ``keep_plan`` keeps the last run's resources in the result (the HTML report's diagram; a fleet
        does without)."""
        # One thread sends every call, in order: a mode's analysis goes on while the next mode's program
        # runs, and each mode's ConfigureStack comes after the previous mode's last call.
        streams: list[tuple[str, list[Resource], Stream]] = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="analyze") as executor:
            try:
                for mode, produce in runs:
                    preview = mode == "preview"
                    # An update: dry run off (the same view is a later preview's, whose flag no policy reads).
                    dry_run = mode != "update"
                    provider = default_provider(
                        project=stack.project, stack=stack.name, config=stack.config, preview=preview
                    )
                    root = stack_resource(project=stack.project, stack=stack.name)

                    def prepare(dry_run: bool = dry_run) -> None:
                        self._configured()
                        self._pack.configure_stack(
                            config=stack.config,
                            project=stack.project,
                            stack=stack.name,
                            dry_run=dry_run,
                            secret_keys=stack.secret_keys,
                        )

                    stream = self._pack.stream(provider, prepare=prepare, executor=executor)
                    stream.add(root)
                    stream.add(provider)
                    if callable(produce):
                        resources = produce(stream.add)
                    else:
                        resources = produce
                        for r in resources:
                            stream.add(r)
                    root.outputs = dict((exports or {}).get(mode, {}))
                    analysed = [root, provider, *resources]
                    stream.close(analysed)
                    streams.append((mode, analysed, stream))
                judged = [(mode, analysed, stream.finish()) for mode, analysed, stream in streams]
            except BaseException:
                executor.shutdown(wait=True, cancel_futures=True)
                raise
        policies = self._configured()
        info = {p.name: p for p in policies}
        result = SiteResult(
            site=stack.name,
            stack_file=stack.shown,
            modes=tuple(mode for mode, _, _ in judged),
            pack=self._pack.name,
            pack_version=self._pack.version,
            policies=policies,
            levels=dict(self._levels),
            skip_reasons=dict(self._skip_reasons),
            exemptions={name: dict(entries) for name, entries in self._exemptions.items()},
            # The program's resources, as `plan` counts them (the root stack and the default
            # provider are analysed too, as the engine does, but are not the site's).
            resources={mode: len(analysed) - 2 for mode, analysed, _ in judged},
            findings=[],
            source=source,
            site_config=stack.site,
            settings=dict(stack.config),
            plan=judged[-1][1] if judged and keep_plan else [],
            checked_at=datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            notes=list(stack.notes),
        )
        for mode, analysed, evaluation in judged:
            _record(result, mode, analysed, evaluation, info, site=is_site(stack.config))
        return result


def _level_reason(policy: PolicyInfo, reconciled: Mapping[str, tuple[str, Mapping[str, Any]]]) -> str:
    """The recorded reason when the config lowers ``policy`` from mandatory, else ``""``."""
    level, properties = reconciled.get(policy.name, (policy.level, {}))
    if policy.level != "mandatory" or level not in LOWERED:
        return ""
    return str(properties.get(LEVEL_REASON) or "").strip()


def _record(
    result: SiteResult,
    mode: str,
    analysed: list[Resource],
    evaluation: Evaluation,
    info: Mapping[str, PolicyInfo],
    *,
    site: bool,
) -> None:
    by_urn = {r.urn: r for r in analysed}
    # The options no Analyzer request carries (retainOnDelete, deletedWith), judged here under IAM-13.
    level = result.levels.get(options.POLICY, "mandatory")
    if options.POLICY in info and level != "disabled":
        evaluation.diagnostics += options.findings(analysed, level)
    not_applicable: dict[str, set[str]] = {}
    for n in evaluation.not_applicable:
        not_applicable.setdefault(n.policy, set()).add(n.urn)
        if (not n.urn or EXEMPTED_BY_CONFIG in n.reason) and n.reason:
            # a resource's exemption that hid a finding is kept as the policy's reason too: the control is then
            # not applicable (exempted), never met (SiteResult.controls)
            result.stack_not_applicable.setdefault(n.policy, n.reason)
    skipped: dict[str, set[str]] = {}
    for d in evaluation.diagnostics:
        policy = info.get(d.policy)
        resource = by_urn.get(d.urn)
        if d.skipped_in_preview:
            skipped.setdefault(d.policy, set()).add(d.urn)
        result.findings.append(
            Finding(
                site=result.site,
                mode=mode,
                control=policy.control if policy else "",
                policy=d.policy,
                level=d.level,
                severity=d.severity or (policy.severity if policy else ""),
                urn=d.urn,
                resource_type=resource.type if resource else ("pulumi:pulumi:Stack" if not d.urn else ""),
                resource_name=resource.name if resource else (result.site if not d.urn else d.urn.split("::")[-1]),
                message=d.detail,
                remediation=fit(policy.remediation, site=site) if policy else "",
                skipped_in_preview=d.skipped_in_preview,
            )
        )
    for name, policy in info.items():
        if result.levels.get(name) == "disabled":
            continue
        judged = result.evaluated.setdefault(name, set())
        if policy.kind == "stack":
            if "" not in not_applicable.get(name, set()):
                judged.add("")
        else:
            judged |= set(evaluation.analyzed) - not_applicable.get(name, set()) - skipped.get(name, set())


def check_site(
    stack: Stack,
    modes: Iterable[str],
    *,
    checker: Checker | None = None,
    policy_config: Mapping[str, Any] | None = None,
    keep_plan: bool = False,
    timeout: float | None = None,
) -> SiteResult:
    """Run ``stack``'s program in each mode and judge it; ``keep_plan`` keeps the resources for the
    HTML report's diagram; ``timeout`` bounds each program run, in seconds (``None``: the default of
    ``preflight.engine.isolation``). Raises ``ProgramError`` (the program failed), ``PackError`` /
    ``PolicyConfigError`` (the pack could not be started, configured or asked)."""
    from preflight.engine.runner import ProgramError, run_stack

    own = checker is None
    active = checker or Checker(policy_config, first=stack)
    exports: dict[str, dict[str, Any]] = {}
    try:

        def program(mode: str) -> Callable[[Callable[[Resource], None]], list[Resource]]:
            """The program run of ``mode``, handing each resource to the pack as it registers."""

            def run(add: Callable[[Resource], None]) -> list[Resource]:
                try:
                    return run_stack(
                        stack,
                        mode,
                        on_resource=add,
                        exports=exports.setdefault(mode, {}),
                        own_program=PROGRAM,
                        timeout=timeout,
                    )
                except ProgramError as exc:
                    raise ProgramError(
                        f"in {mode} mode ({MODE_MOMENTS[mode]}): {exc}{_placeholder_hint(stack)}"
                    ) from None

            return run

        runs = [(mode, program(mode)) for mode in modes]
        return active.judge(stack, runs, exports=exports, keep_plan=keep_plan)
    finally:
        if own:
            active.close()


def _placeholder_hint(stack: Stack) -> str:
    """When a ``secure:`` value's placeholder may be what the program choked on, say so."""
    if not stack.secret_keys:
        return ""
    keys = ", ".join(stack.secret_keys)
    return f"; note: {keys} held offline placeholders (secure values cannot be decrypted offline)"


def check_plan(
    stack: Stack,
    mode: str,
    resources: list[Resource],
    source: str,
    *,
    policy_config: Mapping[str, Any] | None = None,
    keep_plan: bool = True,
    exports: Mapping[str, Any] | None = None,
) -> SiteResult:
    """Judge a plan document's resources (``preflight plan --format json``, possibly edited, or a
    recorded ``pulumi stack export`` / ``pulumi preview --json``); ``exports`` are the stack outputs."""
    with Checker(policy_config, first=stack) as checker:
        return checker.judge(
            stack, [(mode, resources)], source=source, exports={mode: dict(exports or {})}, keep_plan=keep_plan
        )


__all__ = [
    "MODES",
    "Checker",
    "PackError",
    "PolicyConfigFileError",
    "check_plan",
    "check_site",
    "policy_config_problems",
    "read_policy_config",
    "render_remediation",
    "unreasoned_lowering",
]
