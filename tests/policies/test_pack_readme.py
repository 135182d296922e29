"""The pack's README (``policies/README.md``, published with the pack) matches the code: its policy
table, its table of resource types and its families judged by pattern are generated from the pack's
registry (``python -m preflight docs --write``, ``preflight/catalogue/docs.py``), and each lists what
it should exactly once. Static: no pack process."""

from __future__ import annotations

import re

from imaging_policies import POLICIES

from preflight.catalogue import docs

README = docs.PACK_README
ROW = re.compile(r"^\|(.+)\|\s*$")


def _section(title: str) -> list[str]:
    """The table rows (without the header and rule) of the README section ``## title``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    lines = text[start : end if end != -1 else None].splitlines()
    rows = [line.strip() for line in lines if ROW.match(line.strip())]
    return [r for r in rows[2:] if not set(r) <= set("|-: ")]


def _first_cells(rows: list[str]) -> list[str]:
    return [r.strip("|").split("|")[0].strip() for r in rows]


def test_the_policy_table_has_one_row_per_policy():
    assert _first_cells(_section("Policies")) == [f"`{p.name}`" for p in POLICIES]


def test_the_type_table_has_one_row_per_token_the_pack_names():
    assert _first_cells(_section("Resource types")) == [row[0] for row in docs.type_rows()]


def test_the_families_judged_by_pattern_are_listed():
    assert _first_cells(_section("Resource types judged by pattern")) == [row[0] for row in docs.pattern_rows()]


def test_the_tables_are_generated():
    text = README.read_text(encoding="utf-8")
    for kind in ("pack-policies", "pack-types", "pack-patterns"):
        assert f"<!-- gen:{kind} -->" in text
    assert README not in docs.stale_files(), "run `python -m preflight docs --write`"
