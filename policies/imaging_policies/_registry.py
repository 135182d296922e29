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
    types: Sequence[str] | frozenset[str] | Callable[[str], bool],
    check: ResourceCheck,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    config: dict[str, dict[str, Any]] | None = None,
) -> ResourceValidationPolicy:
    """A resource policy that judges only ``types`` (tokens, or a predicate on the token) and reports
    every other type as not applicable. A value of an unexpected shape is reported, never a crash."""
    applies = types if callable(types) else frozenset(types).__contains__

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
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    config: dict[str, dict[str, Any]] | None = None,
) -> StackValidationPolicy:
    """A stack policy: sees every resource's outputs and their dependencies at once."""

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
