"""One policy per control, each with severity, framework reference, remediation; no duplicate names."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from fnmatch import fnmatchcase
from typing import Any, Final, Protocol

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
from pulumi_policy.policy import _NotApplicableError  # the SDK's own signal of not_applicable()
from pulumi_policy.proxy import UnknownValueError  # the SDK's signal of a value unknown in preview

from imaging_policies._site import PACK_NAMESPACE, stack_scope
from imaging_policies._words import fit

FRAMEWORK = PACK_NAMESPACE
FRAMEWORK_VERSION = "1.0"


TypeSet = Sequence[str] | frozenset[str] | Callable[[str], bool]
"""The resource types a policy judges: explicit tokens (preferred), or a predicate on the token."""

SITE_ONLY: set[str] = set()
"""The stack policies that judge what a hospital site must have; other stacks are not judged by them."""

_DECLARED: dict[str, TypeSet] = {}
"""The types each policy declared it judges, by policy name (filled when a policy is built)."""


class DuplicatePolicyError(ValueError):
    """Two policies share a name; the engine would keep only one of them."""


class Registry:
    """The pack's policies in declaration order; rejects a second policy with the same name."""

    def __init__(self) -> None:
        self._policies: dict[str, Policy] = {}
        self._judges: dict[str, list[str]] = {}
        """``judges`` by token, since the last policy was added: the closed world asks it for every
        resource, and building the index each time was a quarter of the pack's time per resource."""

    def add(self, policy: Policy) -> Policy:
        if policy.name in self._policies:
            raise DuplicatePolicyError(f"policy {policy.name!r} is registered twice")
        self._policies[policy.name] = policy
        self._judges.clear()
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
        """The names of the registered policies that judge resources of type ``token`` (a new list)."""
        if token not in self._judges:
            by_token = self.judged_tokens().get(token, [])
            by_pattern = [name for name, applies in self.judged_patterns().items() if applies(token)]
            self._judges[token] = [*by_token, *(name for name in by_pattern if name not in by_token)]
        return list(self._judges[token])


REASON_MIN_LENGTH: Final = 20
"""A recorded reason is a sentence: at least this many characters once trimmed (the site config's rule for its
own reasons, ``program/config.py`` ``REASON_MIN_LENGTH``; a test holds the two equal)."""

REASON: dict[str, Any] = {
    "type": "string",
    "pattern": f"^\\s*\\S[\\s\\S]{{{REASON_MIN_LENGTH - 2},}}\\S\\s*$",
    "$comment": f"a recorded reason is a sentence: {REASON_MIN_LENGTH} characters or more",
}
"""A written reason: ``REASON_MIN_LENGTH`` characters or more, leading and trailing blanks not counted."""

EXEMPT: dict[str, Any] = {
    "type": "object",
    "description": (
        "Resources this policy does not judge, by logical name (a glob such as 'deploy-*'), each with the "
        f"recorded reason ({REASON_MIN_LENGTH} characters or more); the reason is reported as the policy's "
        "not-applicable note where the exemption hides a finding."
    ),
    "additionalProperties": REASON,
    "propertyNames": {"pattern": "[^*?\\[\\]!]"},
    "default": {},
}
"""Every policy's ``exempt`` config: the one way to exempt a resource, always with a written reason."""

LEVEL_REASON: dict[str, Any] = {
    **REASON,
    "description": (
        "Why this policy's enforcement level is lowered from mandatory (to advisory or disabled) by this config: "
        f"{REASON_MIN_LENGTH} characters or more. The pack cannot see its enforcement level (the engine applies "
        "it); the offline check refuses a config that lowers a mandatory policy without it, and reports it."
    ),
}
"""Every policy's ``levelReason`` config: the recorded reason for lowering a mandatory policy."""

EXEMPTED_BY_CONFIG: Final = "exempted by the policy config: "
"""How a not-applicable reason says an exemption hid what the policy found (the check's copy is
``preflight.judge.words.EXEMPTED_BY_CONFIG``; a test holds the two equal)."""


_LITERAL = re.compile(r"[^*?\[\]!]")
"""A pattern must name something: one that is only wildcards (``*``) would exempt every resource."""


def exemption(config: Mapping[str, Any], name: str) -> str | None:
    """The recorded reason when the policy config exempts the resource named ``name``, else ``None``."""
    exempt = config.get("exempt") or {}
    if not isinstance(exempt, Mapping):
        return None
    return next(
        (
            str(reason)
            for pattern, reason in exempt.items()
            if _LITERAL.search(str(pattern)) and fnmatchcase(name, str(pattern))
        ),
        None,
    )


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
        "config_schema": PolicyConfigSchema(
            properties={**(config or {}), "exempt": EXEMPT, "levelReason": LEVEL_REASON}
        ),
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
        reason = exemption(args.get_config(), args.name)
        site = stack_scope() == "site"
        hidden: list[str] = []

        def worded(message: str, urn: str | None = None, /) -> None:
            if reason is None:
                report(fit(message, site=site), urn)
            else:
                hidden.append(message)

        try:
            with _fitted_reasons(site):
                check(args, worded)
        except (TypeError, ValueError, AttributeError, KeyError) as error:
            worded(f"{control} could not read the resource's settings ({error}); fix the value's type or shape.")
        except UnknownValueError:
            if reason is None:
                raise  # the SDK's "not judged in preview"
            hidden.append("a value is unknown in preview")
        if hidden:
            # the exemption hid a finding: not applicable with its reason, never a pass (an exempted resource
            # the policy finds nothing wrong with is judged, and meets it)
            args.not_applicable(f"{args.name} is {EXEMPTED_BY_CONFIG}{reason} ({control})")

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        **_metadata(control, severity, remediation, level, config),
    )


@contextmanager
def _fitted_reasons(site: bool) -> Iterator[None]:
    """A check's not-applicable reason in words that fit the stack (``_words.fit``)."""
    try:
        yield
    except _NotApplicableError as error:
        raise _NotApplicableError(fit(error.reason, site=site) if error.reason else error.reason) from None


def _kinds(tokens: frozenset[str]) -> str:
    """``Bucket, Firewall and 2 more``: the type names of ``tokens``, short."""
    names = sorted({token.rsplit(":", 1)[-1] for token in tokens})
    shown = ", ".join(names[:4])
    return f"{shown} and {len(names) - 4} more" if len(names) > 4 else shown


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
    site_only: bool = False,
) -> StackValidationPolicy:
    """A stack policy: sees every resource's outputs and their dependencies at once. ``types`` are the
    tokens its check judges (it reads them from the stack itself); the closed world counts them as known.
    ``site_only``: a site-completeness control (something a hospital site must have), not applicable to a
    stack that is not a site (``_site.stack_scope``)."""
    declared = frozenset(types)
    _DECLARED[name] = declared
    if site_only:
        SITE_ONLY.add(name)

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        if site_only and stack_scope() != "site":
            args.not_applicable(
                f"{control} is a site-completeness control and this stack is not a hospital site "
                f"(no imaging-landing-zone:siteCode and no {PACK_NAMESPACE}:scope: site)"
            )
        site = stack_scope() == "site"
        if not site_only and types and not any(r.resource_type in declared for r in args.resources):
            args.not_applicable(f"the stack has none of the kinds {control} judges ({_kinds(declared)})")
        config = args.get_config()
        reported: list[str] = []
        hidden: dict[str, str] = {}

        def guarded(message: str, urn: str | None = None, /) -> None:
            name = urn.rsplit("::", 1)[-1] if urn else ""
            reason = exemption(config, name) if urn else None
            if reason is None:
                reported.append(message)
                report(fit(message, site=site), urn)
            else:
                hidden.setdefault(name, reason)

        try:
            with _fitted_reasons(site):
                check(args, guarded)
        except (TypeError, ValueError, AttributeError, KeyError) as error:
            guarded(f"{control} could not read the stack's settings ({error}); fix the value's type or shape.")
        if hidden and not reported:
            # every finding was on an exempted resource: not applicable with the reasons, never "met"
            found_on = _exempted(hidden)
            args.not_applicable(f"what {control} found on {found_on} is {EXEMPTED_BY_CONFIG}{_reasons(hidden)}")

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        **_metadata(control, severity, remediation, level, config),
    )


def _exempted(hidden: Mapping[str, str]) -> str:
    """``a, b and 16 more``: the exempted resources a stack policy found something on."""
    names = sorted(hidden)
    shown = ", ".join(names[:3])
    return f"{shown} and {len(names) - 3} more" if len(names) > 3 else shown


def _reasons(hidden: Mapping[str, str]) -> str:
    """The distinct recorded reasons, in the order first met."""
    return "; ".join(dict.fromkeys(hidden.values()))
