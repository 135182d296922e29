"""Every Python example in the project's documents runs: the README, each folder's README (the
library's, the pack's, ...) and ``docs/``, each block under Pulumi's mock engine, as a program. The
library examples import what the wheel ships (``imaging_landing_zone.components``, installed editable
here; ``tests/test_distribution.py`` runs their imports against the built wheel)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from preflight.engine.runner import capture
from tests.paths import ROOT

SKIPPED = {".venv", ".venv-checkov", "node_modules", ".git", "tests"}


def documents() -> list[Path]:
    """The Markdown documents of the repository (not the tests' fixtures, not installed packages)."""
    return sorted(
        p for p in ROOT.rglob("*.md") if not SKIPPED & set(p.relative_to(ROOT).parts) and ".ci" not in p.parts
    )


def examples() -> list[tuple[str, str]]:
    """``(where, code)`` for every ``python`` block, named by its document and line."""
    found = []
    for document in documents():
        text = document.read_text(encoding="utf-8")
        for match in re.finditer(r"```python\n(.*?)```", text, flags=re.S):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{document.relative_to(ROOT)}:{line}", match.group(1)))
    return found


EXAMPLES = examples()


def test_the_library_examples_are_found_where_they_are_documented():
    where = {w.split(":")[0] for w, _ in EXAMPLES}
    assert {"README.md", "components/README.md"} <= where


def test_every_library_example_imports_what_the_wheel_ships():
    for where, code in EXAMPLES:
        imports = re.findall(r"^(?:from|import) ([\w.]+)", code, flags=re.M)
        ours = [m for m in imports if m.split(".")[0] in {"components", "program", "preflight", "imaging_policies"}]
        assert not ours, f"{where}: imports {ours}; a reader with the wheel has imaging_landing_zone.components"


@pytest.mark.parametrize(("where", "code"), EXAMPLES, ids=[w for w, _ in EXAMPLES])
def test_the_example_runs_under_the_mock_engine(where, code):
    def program() -> None:
        exec(compile(code, where, "exec"), {"__name__": "__main__"})  # noqa: S102 (our own documents' examples)

    resources = capture(program, project="p", stack="s", preview=False)
    assert resources, f"{where}: registered nothing"


def test_the_library_reference_s_site_example_builds_the_documented_children():
    [(where, code)] = [(w, c) for w, c in EXAMPLES if w.startswith("components/README.md") and "gva-images" in c]

    def program() -> None:
        exec(compile(code, where, "exec"), {"__name__": "__main__"})  # noqa: S102 (our own document's example)

    names = {(r.type, r.name) for r in capture(program, project="p", stack="s", preview=False)}
    assert ("gcp:storage/bucket:Bucket", "gva-images") in names
    assert ("gcp:storage/bucket:Bucket", "gva-images-access-logs") in names
    assert ("gcp:kms/cryptoKey:CryptoKey", "gva-kms-images") in names
    assert ("gcp:storage/bucketIAMMember:BucketIAMMember", "gva-images-viewer") in names
    assert ("gcp:compute/firewall:Firewall", "gva-firewall-deny-all-egress") in names
    assert ("gcp:compute/route:Route", "gva-network-to-ris-10-1-2-0-24") in names
