"""What a check finds: the result types every report renders (:class:`SiteResult` for a site that was
checked, :class:`SiteError` for one that could not be) and the exit codes. Plain data: importing it
imports neither the engine nor the pack's driver (``check.py`` runs the program and the pack).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from preflight.engine.runner import Resource
    from preflight.judge.evidence import Readiness
    from preflight.judge.pack import PolicyInfo
    from program.config import SiteConfig

EXIT_OK, EXIT_VIOLATION, EXIT_BAD_INPUT = 0, 1, 2
"""The check's exit codes: every site met its controls, a mandatory violation, a site that could not be checked."""


@dataclass(frozen=True)
class Finding:
    """One diagnostic of the pack, placed: which control, policy, resource and mode, and the fix."""

    site: str
    mode: str
    control: str
    policy: str
    level: str
    severity: str
    urn: str
    resource_type: str
    resource_name: str
    message: str
    remediation: str
    skipped_in_preview: bool
    modes: tuple[str, ...] = ()
    """Every mode it appears in (set by :meth:`SiteResult.distinct_findings`); ``(mode,)`` otherwise."""

    @property
    def fails(self) -> bool:
        """A mandatory violation: the engine would stop the deployment."""
        return self.level == "mandatory" and not self.skipped_in_preview


@dataclass(frozen=True)
class ControlResult:
    """One control of the compliance matrix."""

    control: str
    policies: tuple[str, ...]
    evaluated: int
    """Resources a resource policy of the control judged (not "not applicable"), over the modes."""
    stack_checked: bool
    """A stack policy of the control judged the whole stack."""
    verdict: str
    """``violated``, ``advisory findings``, ``not judged in preview``, ``exempted`` (everything its policies
    found is exempted by the policy config), ``met``, ``no resources`` or ``disabled``."""


@dataclass
class SiteResult:
    """What one site's check found, in every mode it ran."""

    site: str
    stack_file: str
    """The stack file, relative to the repository root when it is inside it."""
    modes: tuple[str, ...]
    pack: str
    pack_version: str
    policies: list[PolicyInfo]
    levels: dict[str, str]
    resources: dict[str, int]
    """The program's resources per mode (the root stack and the default provider are analysed too but
    not counted: the same count as ``plan``)."""
    findings: list[Finding]
    evaluated: dict[str, set[str]] = field(default_factory=dict)
    """Per policy, the URNs it judged (resource policies) in any mode; ``""`` stands for the stack."""
    source: str = ""
    """``program`` (the site's program under mocks) or the plan file that was judged."""
    site_config: SiteConfig | None = None
    """The validated site config (the matrix reads its guard-rail skips, the diagram its networks)."""
    settings: dict[str, str] = field(default_factory=dict, repr=False)
    """The stack's config in the engine's form (the access section reads the site's intent from it)."""
    plan: list[Resource] = field(default_factory=list, repr=False)
    """The resources of the last mode judged (update when it ran), when the check was asked to keep
    them (``keep_plan``): the data-flow diagram's source."""
    readiness: Readiness | None = None
    """The readiness probe's report given as evidence (``--evidence FILE``), if any."""
    skip_reasons: dict[str, str] = field(default_factory=dict)
    """Per guard-rail policy, the ``skipReason`` the policy config gives (enforced by the organisation)."""
    exemptions: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per policy, the resources its ``exempt`` config exempts (logical-name glob to the recorded reason)."""
    stack_not_applicable: dict[str, str] = field(default_factory=dict)
    """Per stack policy that did not apply to the whole stack, the pack's reason (for example a site
    control on a stack that is not a hospital site); and per policy whose findings an ``exempt`` entry hid, the
    pack's reason (``words.EXEMPTED_BY_CONFIG``: the control is then exempted, never met). The matrix shows it."""
    checked_at: str = ""
    """When the pack made this verdict (UTC, ISO 8601)."""
    notes: list[str] = field(default_factory=list)
    """What the offline run did differently from the engine for this stack (``Stack.notes``: a secret's
    placeholder, a virtualenv not made yet); every report shows them."""
    cached: bool = False
    """The verdict was reused from the verdict cache (``preflight/judge/cache.py``): its recorded inputs are
    unchanged since ``checked_at``. Every report says so."""

    @property
    def exit_code(self) -> int:
        """1 for a mandatory violation, or for a readiness report (``--evidence``) whose figures miss the site
        config's minimums; else 0."""
        return EXIT_VIOLATION if any(f.fails for f in self.findings) or self.readiness_failing() else EXIT_OK

    def readiness_failing(self) -> list[str]:
        """The probe controls the given readiness report shows this site missing (``judge/evidence.py``)."""
        if self.readiness is None:
            return []
        from preflight.judge import evidence

        settings = self.site_config.netcheck if self.site_config is not None else None
        return evidence.failing(self.readiness, evidence.Minimums.of(settings))

    @property
    def provenance(self) -> str:
        """How old the verdict is, when it was reused from the verdict cache; ``""`` for a verdict made
        by this run. Every report shows it."""
        if not self.cached:
            return ""
        return (
            f"verdict of {self.checked_at or 'an earlier run'}, reused: its recorded inputs (stack file, code, pack, "
            "policy config, packages) are unchanged since (--no-cache checks again)"
        )

    @property
    def reused_note(self) -> str:
        """`` (verdict of <time>, reused)`` for a reused verdict, ``""`` otherwise: the short form the
        reports' site rows append."""
        return f" (verdict of {self.checked_at}, reused)" if self.cached else ""

    def distinct_findings(self) -> list[Finding]:
        """The findings with each one reported in several modes merged into one, whose ``modes``
        lists them (in the order the modes ran; ``mode`` is the first). Two findings are the same
        when policy, resource, level, preview state and message are."""
        merged: dict[tuple[str, str, str, bool, str], Finding] = {}
        for f in self.findings:
            key = (f.policy, f.urn, f.level, f.skipped_in_preview, f.message)
            seen = merged.get(key)
            if seen is None:
                merged[key] = replace(f, modes=(f.mode,))
            elif f.mode not in seen.modes:
                merged[key] = replace(seen, modes=(*seen.modes, f.mode))
        return list(merged.values())

    def tally(self) -> tuple[int, int, int]:
        """Distinct findings by kind: mandatory violations, advisory findings, not judged in preview."""
        findings = self.distinct_findings()
        fails = sum(1 for f in findings if f.fails)
        skipped = sum(1 for f in findings if f.skipped_in_preview)
        return fails, len(findings) - fails - skipped, skipped

    def controls(self) -> list[ControlResult]:
        """The compliance matrix: every control the pack covers, in the pack's order."""
        from preflight.judge.words import EXEMPTED_BY_CONFIG

        by_control: dict[str, list[PolicyInfo]] = {}
        for p in self.policies:
            by_control.setdefault(p.control or p.name, []).append(p)
        rows = []
        for control, policies in by_control.items():
            names = tuple(p.name for p in policies)
            findings = [f for f in self.findings if f.policy in names]
            urns = set().union(*(self.evaluated.get(p.name, set()) for p in policies))
            stack_checked = "" in urns
            evaluated = len(urns - {""})
            if all(self.levels.get(name) == "disabled" for name in names):
                verdict = "disabled"
            elif any(f.fails for f in findings):
                verdict = "violated"
            elif any(not f.skipped_in_preview for f in findings):
                verdict = "advisory findings"
            elif findings:
                verdict = "not judged in preview"
            elif any(EXEMPTED_BY_CONFIG in self.stack_not_applicable.get(name, "") for name in names):
                verdict = "exempted"  # what the policies found is exempted: never met, never "no resources"
            elif evaluated or stack_checked:
                verdict = "met"
            else:
                verdict = "no resources"
            rows.append(ControlResult(control, names, evaluated, stack_checked, verdict))
        return sorted(rows, key=lambda row: _control_key(row.control))


@dataclass(frozen=True)
class SiteError:
    """A site that could not be checked (its stack file is invalid, its program failed): a failing
    row in every report, with its reasons."""

    site: str
    stack_file: str
    """The stack file, as the user named it, else relative to the repository."""
    problems: tuple[str, ...]
    line: int = 1
    """Where in the stack file the first problem is, when known."""

    @property
    def exit_code(self) -> int:
        return EXIT_BAD_INPUT


def _control_key(control: str) -> tuple[str, int, str]:
    """ENC-02 before ENC-10: by area, then number."""
    area, _, number = control.partition("-")
    return (area, int(number), control) if number.isdigit() else (area, 0, control)
