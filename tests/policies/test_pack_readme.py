"""The pack's README (``policies/README.md``, published with the pack) matches the code: its policy
table lists every policy with its control, kind and severity, and its table of resource types says
exactly which types are judged (by which policies), harmless, refused, or allowed only by the config.

On a mismatch the assertion prints the rows to add and to remove, ready to paste."""

from __future__ import annotations

import re
from pathlib import Path

from imaging_policies import POLICIES, REGISTRY, closed_world, tokens
from pulumi_policy import ResourceValidationPolicy

README = Path(__file__).resolve().parents[2] / "policies" / "README.md"
ROW = re.compile(r"^\|(.+)\|\s*$")


def _section(title: str) -> list[str]:
    """The table rows (without the header and rule) of the README section ``## title``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    lines = text[start : end if end != -1 else None].splitlines()
    rows = [line.strip() for line in lines if ROW.match(line.strip())]
    return [r for r in rows[2:] if not set(r) <= set("|-: ")]


def _diff(expected: list[str], found: list[str]) -> str:
    missing = [r for r in expected if r not in found]
    extra = [r for r in found if r not in expected]
    return "\nadd these rows:\n" + "\n".join(missing) + "\nremove these rows:\n" + "\n".join(extra)


def expected_type_rows() -> list[str]:
    """One row per type token the code names, sorted by token."""
    rows: dict[str, str] = {}
    judged = REGISTRY.judged_tokens()
    for token in closed_world.JUDGED_HERE:
        judged.setdefault(token, []).append(closed_world.POLICY_NAME)
    family = _iam_family()
    for token, judging in judged.items():
        # the policies that judge the whole IAM family have a row each in "judged by pattern"
        policies = [p for p in judging if p not in family] if token in tokens.IAM_GRANTS else judging
        if policies:
            rows[token] = f"| `{token}` | judged | {', '.join(f'`{p}`' for p in sorted(policies))} |"
    for verdict, listed in (
        ("harmless", closed_world.HARMLESS),
        ("refused", closed_world.REFUSED),
        ("needs a reason", closed_world.NEEDS_REASON),
    ):
        for token, reason in listed.items():
            rows[token] = f"| `{token}` | {verdict} | {reason} |"
    return [rows[token] for token in sorted(rows)]


def _iam_family() -> set[str]:
    """The policies that judge every IAM grant type of every service (``tokens.IAM_GRANTS``)."""
    judged = REGISTRY.judged_tokens()
    return set.intersection(*({*judged.get(token, [])} for token in tokens.IAM_GRANTS))


def expected_pattern_rows() -> list[str]:
    """The policies that judge a family: by a predicate, or every IAM grant type."""
    return [f"| `{name}` |" for name in sorted({*REGISTRY.judged_patterns(), *_iam_family()})]


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip("|").split("|")]


def test_the_type_table_matches_the_code():
    expected, found = expected_type_rows(), _section("Resource types")
    assert found == expected, _diff(expected, found)


def test_the_families_judged_by_pattern_are_listed():
    found = [f"| {_cells(r)[0]} |" for r in _section("Resource types judged by pattern")]
    expected = expected_pattern_rows()
    assert sorted(found) == expected, _diff(expected, found)


def test_the_policy_table_lists_every_policy_with_its_control_kind_and_severity():
    expected = {
        p.name: (
            p.framework.reference if p.framework else "",
            "resource" if isinstance(p, ResourceValidationPolicy) else "stack",
            p.severity.value if p.severity else "",
        )
        for p in POLICIES
    }
    found = {}
    for row in _section("Policies"):
        name, control, kind, severity, *_ = _cells(row)
        found[name.strip("`")] = (control, kind, severity)
    wrong = {n: (found.get(n), want) for n, want in expected.items() if found.get(n) != want}
    extra = sorted(set(found) - set(expected))
    assert not wrong, f"rows to fix (found, expected): {wrong}"
    assert not extra, f"rows for no policy: {extra}"
