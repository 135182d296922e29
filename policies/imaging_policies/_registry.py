"""One policy per control, each with severity, framework reference, remediation; no duplicate names."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, cast

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

FRAMEWORK = "imaging-site-requirements"
FRAMEWORK_VERSION = "1.0"


TypeSet = Sequence[str] | frozenset[str] | Callable[[str], bool]
"""The resource types a policy judges: explicit tokens (preferred), or a predicate on the token."""

_DECLARED: dict[str, TypeSet] = {}
"""The types each policy declared it judges, by policy name (filled when a policy is built)."""


class DuplicatePolicyError(ValueError):
    """Two policies share a name; the engine would keep only one of them."""


class Registry:
    """The pack's policies in declaration order; rejects a second policy with the same name."""

    def __init__(self) -> None:
        self._policies: dict[str, Policy] = {}

    def add(self, policy: Policy) -> Policy:
        if policy.name in self._policies:
            raise DuplicatePolicyError(f"policy {policy.name!r} is registered twice")
        self._policies[policy.name] = policy
        return policy

    def extend(self, policies: Iterable[Policy]) -> None:
        for policy in policies:
            self.add(policy)

    @property
    def policies(self) -> list[Policy]:
        return list(self._policies.values())

    def judged_tokens(self) -> dict[str, list[str]]:
        """Each type token some registered policy declares it judges, with those policies' names."""
        judged: dict[str, list[str]] = {}
        for name in self._policies:
            declared = _DECLARED.get(name, ())
            for token in () if callable(declared) else declared:
                judged.setdefault(token, []).append(name)
        return judged

    def judged_patterns(self) -> dict[str, Callable[[str], bool]]:
        """The policies that declare their types by a predicate (a family of tokens), by name."""
        return {name: d for name in self._policies if callable(d := _DECLARED.get(name, ()))}

    def judges(self, token: str) -> list[str]:
        """The names of the registered policies that judge resources of type ``token``."""
        by_token = self.judged_tokens().get(token, [])
        by_pattern = [name for name, applies in self.judged_patterns().items() if applies(token)]
        return [*by_token, *(name for name in by_pattern if name not in by_token)]


def _metadata(
    control: str,
    severity: Severity,
    remediation: str,
    level: EnforcementLevel,
    config: dict[str, dict[str, Any]] | None,
) -> dict[str, Any]:
    """What every policy of the pack carries: level, severity, control id, remediation, config."""
    return {
        "enforcement_level": level,
        "severity": severity,
        "framework": PolicyComplianceFramework(name=FRAMEWORK, version=FRAMEWORK_VERSION, reference=control),
        "remediation_steps": remediation,
        "config_schema": PolicyConfigSchema(properties=config) if config else None,
        "tags": [control.split("-", maxsplit=1)[0].lower()],
    }


class Report(Protocol):
    """How a check reports a violation: the message, and for stack policies the resource's URN."""

    def __call__(self, message: str, urn: str | None = None, /) -> None: ...


ResourceCheck = Callable[[ResourceValidationArgs, Report], None]
StackCheck = Callable[[StackValidationArgs, Report], None]


def resource_policy(
    *,
    name: str,
    control: str,
    description: str,
    severity: Severity,
    remediation: str,
    types: TypeSet | None,
    check: ResourceCheck,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    config: dict[str, dict[str, Any]] | None = None,
) -> ResourceValidationPolicy:
    """A resource policy that judges only ``types`` (tokens, or a predicate on the token) and reports
    every other type as not applicable; ``None`` judges every type without declaring any (the closed
    world's policy). A value of an unexpected shape is reported, never a crash."""
    applies = (lambda _: True) if types is None else types if callable(types) else frozenset(types).__contains__
    if types is not None:
        _DECLARED[name] = types if callable(types) else frozenset(types)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not applies(args.resource_type):
            args.not_applicable(f"{control} does not cover {args.resource_type}")
        try:
            check(args, cast(Report, report))
        except (TypeError, ValueError, AttributeError, KeyError) as error:
            report(f"{control} could not read the resource's settings ({error}); fix the value's type or shape.", None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        **_metadata(control, severity, remediation, level, config),
    )


def stack_policy(
    *,
    name: str,
    control: str,
    description: str,
    severity: Severity,
    remediation: str,
    check: StackCheck,
    types: Sequence[str] | frozenset[str] = (),
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    config: dict[str, dict[str, Any]] | None = None,
) -> StackValidationPolicy:
    """A stack policy: sees every resource's outputs and their dependencies at once. ``types`` are the
    tokens its check judges (it reads them from the stack itself); the closed world counts them as known."""
    _DECLARED[name] = frozenset(types)

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        try:
            check(args, cast(Report, report))
        except (TypeError, ValueError, AttributeError, KeyError) as error:
            report(f"{control} could not read the stack's settings ({error}); fix the value's type or shape.", None)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        **_metadata(control, severity, remediation, level, config),
    )
