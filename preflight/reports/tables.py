"""Plain tables for the terminal and for Markdown: the one table helper of the reports, netcheck, rollout
and the benchmark.

``text_table`` pads each column to its widest cell, two spaces apart, and strips trailing spaces;
``markdown_table`` writes the same rows as a GitHub-flavoured Markdown table. The first row is the
header in both. ``align`` gives each column's alignment, one letter per column (``l`` left, ``r``
right); columns it does not cover are left-aligned.
"""

from __future__ import annotations

from collections.abc import Sequence

_ALIGNMENTS = frozenset("lr")


def _alignment(align: str, count: int) -> str:
    wrong = set(align) - _ALIGNMENTS
    if wrong or len(align) > count:
        raise ValueError(f"align: one letter per column ({count}), l or r; got {align!r}")
    return align.ljust(count, "l")


def text_table(rows: Sequence[Sequence[str]], *, align: str = "", rule: bool = False) -> list[str]:
    """``rows`` as text lines: columns padded to their widest cell, two spaces apart, trailing spaces
    stripped; with ``rule``, a line of dashes as wide as each column under the first row."""
    if not rows:
        return []
    count = len(rows[0])
    widths = [max(len(row[i]) for row in rows) for i in range(count)]
    sides = _alignment(align, count)

    def line(cells: Sequence[str]) -> str:
        padded = (
            cell.rjust(width) if side == "r" else cell.ljust(width)
            for cell, width, side in zip(cells, widths, sides, strict=True)
        )
        return "  ".join(padded).rstrip()

    lines = [line(row) for row in rows]
    if rule:
        lines.insert(1, line(["-" * width for width in widths]))
    return lines


def markdown_table(rows: Sequence[Sequence[str]], *, align: str = "") -> list[str]:
    """``rows`` as a Markdown table, the first row as its header; ``|`` in a cell is escaped."""
    if not rows:
        return []
    sides = _alignment(align, len(rows[0]))

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    rule = "|" + "|".join("---:" if side == "r" else "---" for side in sides) + "|"
    return [line(rows[0]), rule, *(line(row) for row in rows[1:])]
