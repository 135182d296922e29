"""The one table helper (``preflight/reports/tables.py``) behind the reports, netcheck, rollout and the benchmark.

Exact outputs for each layout the callers use: left-aligned report columns, the benchmark's
right-aligned figures under a rule, and the Markdown table pasted into the README.
"""

from __future__ import annotations

import pytest

from preflight.reports.tables import markdown_table, text_table

ROWS = [("site", "verdict", "modes"), ("lausanne", "pass", "update"), ("utrecht", "FAIL", "")]


def test_columns_are_padded_to_the_widest_cell_two_spaces_apart_without_trailing_spaces():
    assert text_table(ROWS) == [
        "site      verdict  modes",
        "lausanne  pass     update",
        "utrecht   FAIL",
    ]


def test_right_aligned_columns_and_a_rule_under_the_header():
    rows = [("command", "wall s", "peak MB"), ("floor", "3.70", "151"), ("check lausanne", "12.05", "1024")]
    assert text_table(rows, align="lrr", rule=True) == [
        "command         wall s  peak MB",
        "--------------  ------  -------",
        "floor             3.70      151",
        "check lausanne   12.05     1024",
    ]


def test_columns_the_alignment_does_not_cover_are_left_aligned():
    assert text_table([("a", "bb"), ("ccc", "d")], align="r") == ["  a  bb", "ccc  d"]


def test_markdown_marks_right_aligned_columns_and_escapes_pipes():
    rows = [("run", "wall s"), ("fleet | cold", "28.1")]
    assert markdown_table(rows, align="lr") == [
        "| run | wall s |",
        "|---|---:|",
        "| fleet \\| cold | 28.1 |",
    ]


def test_no_rows_is_no_lines():
    assert text_table([]) == []
    assert markdown_table([]) == []


@pytest.mark.parametrize("align", ["lx", "lrr"], ids=["unknown-letter", "more-letters-than-columns"])
def test_a_wrong_alignment_is_refused_with_what_is_accepted(align):
    with pytest.raises(ValueError, match="l or r"):
        text_table([("a", "b")], align=align)
