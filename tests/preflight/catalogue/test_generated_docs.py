"""Every cross-reference of the documents is generated from its one source and current: the controls a
component meets (the catalogue's "met by"), the pack's policy count and tables (its registry), the
tests that hold each control (each test module's ``CONTROLS``). A stale block fails here with the fix
(``python -m preflight docs --write``); nobody edits them by hand. Static: no pack process, no program run."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest
from imaging_policies import POLICIES

from preflight.catalogue import controls, docs
from tests.paths import ROOT

CATALOGUE = controls.load()
CONTROL_OF = {p.name: str(p.framework.reference) for p in POLICIES if p.framework is not None}
TEST_MODULES = sorted((ROOT / "tests").rglob("test_*.py"))
HELD = docs.held_by_tests()


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_every_generated_document_is_current():
    stale = [_name(p) for p in docs.stale_files()]
    assert not stale, f"stale generated blocks in {stale}: run `python -m preflight docs --write`"


def test_an_unknown_block_kind_is_refused():
    with pytest.raises(KeyError, match="unknown generated block 'policy-cuont'"):
        docs.render_document("<!-- gen:policy-cuont -->3<!-- /gen -->")


def test_an_inline_block_stays_inline_and_a_block_stays_a_block():
    inline = docs.render_document("<!-- gen:policy-count -->0<!-- /gen --> policies")
    assert inline == f"<!-- gen:policy-count -->{len(POLICIES)}<!-- /gen --> policies"
    block = docs.render_document("<!-- gen:pack-patterns -->\n<!-- /gen -->")
    assert block.startswith("<!-- gen:pack-patterns -->\n| Policy |\n|---|\n")
    assert block.endswith("|\n<!-- /gen -->")


def test_a_policy_row_keeps_its_known_limits_and_a_new_policy_gets_an_empty_cell():
    name = POLICIES[0].name
    current = f"| `{name}` | X-00 | stack | low | old words | its limits |\n| `gone` | A | B | C | D | E |"
    table = docs.render_document(f"<!-- gen:pack-policies -->\n{current}\n<!-- /gen -->")
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert rows[0].startswith(f"| `{name}` | {CONTROL_OF[name]} |")
    assert rows[0].endswith("| its limits |")
    assert rows[1].endswith("|  |"), "a policy without a row yet gets an empty limits cell"
    assert "`gone`" not in table
    assert len(rows) == len(POLICIES)


@pytest.mark.parametrize("component", sorted(docs.component_tokens()))
def test_each_component_meets_the_controls_the_catalogue_names_it_in(component):
    met = docs.component_controls(component)
    assert met, f"{component} meets no control: name it in a control's met_by in controls.toml"
    assert set(met) <= set(CATALOGUE.ids)


def test_the_documents_say_which_controls_each_component_meets():
    text = "\n".join(p.read_text(encoding="utf-8") for p in docs.documents())
    missing = [c for c in docs.component_tokens() if f"<!-- gen:component-controls:{c} -->" not in text]
    assert not missing, f"no generated 'Controls:' line for {missing}"


def test_a_component_docstring_does_not_keep_its_own_list_of_controls():
    """The catalogue is the one source; a docstring that lists controls drifts (it did: 7 against 11)."""
    listing = []
    for package in ("components", "program"):
        for path in sorted((ROOT / package).glob("*.py")):
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            if "TYPE_TOKEN" in path.read_text(encoding="utf-8") and re.search(r"\b[A-Z]{2,4}-\d\d\b", doc):
                listing.append(_name(path))
    assert not listing, f"module docstrings listing controls: {listing} (the generated 'Controls:' line says it)"


# -- the tests that hold each control -----------------------------------------------------------------


def test_the_catalogue_lists_no_tests_by_hand():
    document = tomllib.loads((ROOT / "preflight" / "catalogue" / "controls.toml").read_text(encoding="utf-8"))
    listed = {c["id"]: c["tests"] for c in document["control"] if "tests" in c}
    assert not listed, (
        "the catalogue's tests are read from the test modules: add the control to the module-level "
        f"CONTROLS of each of these files and drop the tests line: {listed}"
    )


@pytest.mark.parametrize("control", CATALOGUE.controls, ids=lambda c: c.id)
def test_every_control_is_held_by_a_test(control):
    assert HELD.get(control.id), f"{control.id}: no test module names it in CONTROLS"


@pytest.mark.parametrize("path", TEST_MODULES, ids=_name)
def test_a_test_module_names_only_catalogue_controls(path):
    unknown = set(docs.declared_controls(path)) - set(CATALOGUE.ids)
    assert not unknown, f"{_name(path)}: CONTROLS names {sorted(unknown)}, not in the catalogue"


def _case_policies(path: Path) -> set[str]:
    """The policies the module's mutation cases (``Case(policy, ...)``) must see reject them."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Case":
            first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "policy"), None)
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


@pytest.mark.parametrize("path", TEST_MODULES, ids=_name)
def test_a_module_of_mutation_cases_names_the_controls_it_holds(path):
    """A new case for a control the module did not hold yet fails here until its CONTROLS says so:
    the catalogue's "tests" line cannot fall behind the tests."""
    needed = {CONTROL_OF[p] for p in _case_policies(path) if p in CONTROL_OF}
    missing = needed - set(docs.declared_controls(path))
    assert not missing, f"{_name(path)}: add {sorted(missing)} to its CONTROLS"
