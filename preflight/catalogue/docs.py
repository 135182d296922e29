"""Generated documentation: every cross-reference of the documents, rendered from its one source.

Blocks are found by their markers, in whichever document they stand (the README, the references next
to what they describe, the pack's README), never by file position:

- ``<!-- args:<Model> -->`` ... ``<!-- /args -->``: a component's args table, from its pydantic model;
- ``<!-- properties -->`` ... ``<!-- /properties -->``: the pack's property table, from the pack's own table;
- ``<!-- gen:<kind>[:<arg>] -->`` ... ``<!-- /gen -->``: the kinds of :data:`GENERATORS` (the controls a
  component meets, from the catalogue's "met by"; the pack's policy count and its tables, from its registry).

``preflight/engine/gcp_tokens.py``'s constants are generated from its ``CLASSES`` and the pinned SDK's
classes (:func:`render_tokens`).

``docs/controls.md`` is generated whole from the catalogue, the pack's registry and the tests (each
test module names the controls it holds in its module-level ``CONTROLS``). ``python -m preflight docs
--write`` rewrites them all; a test fails when any has drifted. This is the only module of the check
that imports the pack's registry (an import contract says so).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import sys
from collections.abc import Callable, Mapping
from enum import Enum
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel

import components
import program
from components import contract
from preflight.catalogue import controls

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "policies") not in sys.path:  # the pack is published alone, from its own folder
    sys.path.insert(0, str(ROOT / "policies"))

import imaging_policies  # noqa: E402 - after the pack's folder is on the path
from imaging_policies import _property_table, closed_world, tokens  # noqa: E402
from pulumi_policy import ResourceValidationPolicy  # noqa: E402


def _models() -> dict[str, type[BaseModel]]:
    """Every pydantic model the library and the site program define (a component's args and their
    parts), by class name: an args block names one, and a new component needs no entry here."""
    out: dict[str, type[BaseModel]] = {}
    for package in (components, program):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for value in vars(module).values():
                if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module.__name__:
                    out.setdefault(value.__name__, value)
    return out


MODELS = _models()
README = ROOT / "README.md"
_BLOCK = re.compile(r"(<!-- args:(\w+) -->\n).*?(<!-- /args -->)", re.S)
CONTRACT_NAMES: dict[int, str] = {
    id(value): name
    for name, value in vars(contract).items()
    if not name.startswith("_") and get_origin(value) is Annotated
}
"""The args contract's public annotated types, by identity: an ``Annotated`` alias has no name of its own."""


def _type_name(annotation: Any) -> str:
    """A readable type: ``int | None``, ``dict[str, BucketMember]``, ``str | Output[str]``; a type of the args
    contract by its name (``list[Cidr]``, ``RotationDays``)."""
    if id(annotation) in CONTRACT_NAMES:
        return CONTRACT_NAMES[id(annotation)]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _type_name(args[0])
    if origin in (Union, UnionType):
        return " | ".join(_type_name(a) for a in args)
    if annotation is type(None):
        return "None"
    if origin is not None:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(_type_name(a) for a in args)}]"
    return getattr(annotation, "__name__", str(annotation))


def _default(value: Any) -> str:
    return f"`{value.value!r}`" if isinstance(value, Enum) else f"`{value!r}`"


def args_table(model: type[BaseModel]) -> str:
    """A Markdown table of ``model``'s fields: name, type, default, description."""
    rows = ["| arg | type | default | description |", "|---|---|---|---|"]
    # the annotations as written: pydantic's field.annotation has lost the contract type's alias
    written = get_type_hints(model, include_extras=True)
    for name, field in model.model_fields.items():
        default = "required" if field.is_required() else _default(field.default)
        description = (field.description or "").replace("\n", " ").replace("|", "\\|")
        annotation = _type_name(written.get(name, field.annotation)).replace("|", "\\|")
        rows.append(f"| `{name}` | `{annotation}` | {default} | {description} |")
    return "\n".join(rows) + "\n"


def render(text: str) -> str:
    """``text`` with every args block regenerated."""
    return _BLOCK.sub(lambda m: m.group(1) + args_table(MODELS[m.group(2)]) + m.group(3), text)


PACK_README = ROOT / "policies" / "README.md"
DOC = ROOT / "docs" / "controls.md"
TESTS = ROOT / "tests"


def documents() -> list[Path]:
    """Every Markdown document that may hold a generated block (the ADRs are history: never rewritten)."""
    found = [*ROOT.glob("*.md"), *(ROOT / "docs").glob("*.md")]
    for folder in ("components", "policies", "preflight", "program", "bootstrap", "rollout", "netcheck"):
        found += (ROOT / folder).glob("*.md")
    return sorted(p for p in found if p != DOC)


# -- the controls a component meets (the catalogue's "met by") ------------------------------------


def component_tokens() -> dict[str, str]:
    """Each component of the library and the site program by class name, with its type token (``TYPE_TOKEN``
    of its module)."""
    out: dict[str, str] = {}
    for package in (components, program):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            token = getattr(module, "TYPE_TOKEN", None)
            if isinstance(token, str):
                out[token.rsplit(":", maxsplit=1)[-1]] = token
    return out


def component_controls(name: str, catalogue: controls.Catalogue | None = None) -> list[str]:
    """The controls the catalogue says ``name`` meets: those whose ``met_by`` names the component."""
    catalogue = catalogue or controls.load()
    word = re.compile(rf"\b{re.escape(name)}\b")
    return [c.id for c in catalogue.controls if word.search(c.met_by)]


def _component_controls_line(name: str) -> str:
    if name not in component_tokens():
        raise KeyError(f"no component {name!r} (a class of components/ or program/ with a TYPE_TOKEN)")
    return "Controls: " + ", ".join(component_controls(name)) + "."


def _components_table(_: str) -> str:
    rows = ["| component | type token | controls it meets |", "|---|---|---|"]
    for name, token in sorted(component_tokens().items()):
        rows.append(f"| `{name}` | `{token}` | {', '.join(component_controls(name))} |")
    return "\n".join(rows)


# -- the pack: its policy count and its tables ------------------------------------------------------


def _policy_count(_: str) -> str:
    return str(len(imaging_policies.POLICIES))


def _control_count(_: str) -> str:
    return str(len(controls.load().controls))


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _keep_tail(current: str, rows: list[list[str]], header: list[str]) -> str:
    """A table of ``header`` whose rows begin with the generated cells of ``rows``; the cells after
    them (prose: a policy's known limits, a family's reason) are kept from the current table, by the
    row's first cell. A new row gets empty prose cells to fill."""
    kept: dict[str, list[str]] = {}
    for line in current.splitlines():
        if line.strip().startswith("|") and not set(line.strip()) <= set("|-: "):
            cells = _cells(line)
            kept.setdefault(cells[0], cells)
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        old = kept.get(row[0], [])
        tail = [*old[len(row) :], *[""] * len(header)][: len(header) - len(row)]
        out.append("| " + " | ".join([*row, *tail]) + " |")
    return "\n".join(out)


def policy_rows() -> list[list[str]]:
    """One row per policy: name, control, kind, severity and what it judges (its description and config)."""
    pack = imaging_policies
    return [
        [
            f"`{p.name}`",
            str(p.framework.reference) if p.framework else "",
            "resource" if isinstance(p, ResourceValidationPolicy) else "stack",
            p.severity.value if p.severity else "",
            _judges(p).replace("|", "\\|"),
        ]
        for p in pack.POLICIES
    ]


def _judges(policy: Any) -> str:
    """A policy's description and the config properties it reads (``exempt`` and ``levelReason`` are every
    policy's)."""
    schema = policy.config_schema
    names = [n for n in (schema.properties if schema else {}) if n not in ("exempt", "levelReason")]
    config = f" Config: {', '.join(f'`{n}`' for n in names)}." if names else ""
    return (policy.description or "") + config


def _policies_table(current: str) -> str:
    header = ["Policy", "Control", "Kind", "Severity", "Judges", "Known limits"]
    return _keep_tail(current, policy_rows(), header)


def _iam_family() -> set[str]:
    """The policies that judge every IAM grant type of every service (``tokens.IAM_GRANTS``)."""
    pack = imaging_policies
    judged = pack.REGISTRY.judged_tokens()
    return set.intersection(*({*judged.get(token, [])} for token in tokens.IAM_GRANTS))


def type_rows() -> list[list[str]]:
    """One row per type token the pack names, sorted by token: judged (by which policies), harmless,
    refused or needing a reason."""
    pack = imaging_policies
    rows: dict[str, list[str]] = {}
    judged = pack.REGISTRY.judged_tokens()
    for token in closed_world.JUDGED_HERE:
        judged.setdefault(token, []).append(closed_world.POLICY_NAME)
    family = _iam_family()
    for token, judging in judged.items():
        # the policies that judge the whole IAM family have a row each in "judged by pattern"
        policies = [p for p in judging if p not in family] if token in tokens.IAM_GRANTS else judging
        if policies:
            rows[token] = [f"`{token}`", "judged", ", ".join(f"`{p}`" for p in sorted(policies))]
    for verdict, listed in (
        ("harmless", closed_world.HARMLESS),
        ("refused", closed_world.REFUSED),
        ("needs a reason", closed_world.NEEDS_REASON),
    ):
        for token, reason in listed.items():
            rows[token] = [f"`{token}`", verdict, reason]
    return [rows[token] for token in sorted(rows)]


def _types_table(_: str) -> str:
    out = ["| Type | Verdict | Policies or reason |", "|---|---|---|"]
    return "\n".join([*out, *("| " + " | ".join(r) + " |" for r in type_rows())])


def pattern_rows() -> list[list[str]]:
    """The policies that judge a family of types: by a predicate, or every IAM grant type."""
    pack = imaging_policies
    return [[f"`{name}`"] for name in sorted({*pack.REGISTRY.judged_patterns(), *_iam_family()})]


def _patterns_table(current: str) -> str:
    return _keep_tail(current, pattern_rows(), ["Policy"])


# -- the tests that hold each control ----------------------------------------------------------------


def held_by_tests(root: Path = TESTS) -> dict[str, list[str]]:
    """Control id to the test files that hold it: each test module names its controls in a
    module-level ``CONTROLS = ("ENC-01", ...)`` (read from the source, nothing is imported)."""
    out: dict[str, list[str]] = {}
    for path in sorted(root.rglob("test_*.py")):
        for control in declared_controls(path):
            out.setdefault(control, []).append(path.relative_to(root.parent).as_posix())
    return out


def declared_controls(path: Path) -> tuple[str, ...]:
    """The ``CONTROLS`` a test module declares (a tuple of string literals), ``()`` when none."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    target: ast.expr
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "CONTROLS":
            try:
                return tuple(ast.literal_eval(value))
            except ValueError:
                raise ValueError(f"{path}: CONTROLS must be a tuple of control ids written out") from None
    return ()


# -- the blocks -------------------------------------------------------------------------------------

GENERATORS: dict[str, Callable[[str, str], str]] = {
    "component-controls": lambda arg, _: _component_controls_line(arg),
    "components-table": lambda _, current: _components_table(current),
    "policy-count": lambda _, current: _policy_count(current),
    "control-count": lambda _, current: _control_count(current),
    "pack-policies": lambda _, current: _policies_table(current),
    "pack-types": lambda _, current: _types_table(current),
    "pack-patterns": lambda _, current: _patterns_table(current),
}
"""Each generated block kind: a function of the marker's argument and the block's current text."""

_GENERATED = re.compile(r"(<!-- gen:([\w-]+)(?::([\w-]+))? -->)(.*?)(<!-- /gen -->)", re.S)


def _render_generated(match: re.Match[str]) -> str:
    opening, kind, arg, body, closing = match.groups()
    if kind not in GENERATORS:
        raise KeyError(f"unknown generated block {kind!r} (known: {', '.join(GENERATORS)})")
    rendered = GENERATORS[kind](arg or "", body)
    # a block on its own lines stays a block; an inline one (a count in a sentence) stays inline
    return f"{opening}\n{rendered}\n{closing}" if body.startswith("\n") else f"{opening}{rendered}{closing}"


def render_document(text: str) -> str:
    """``text`` with every generated block regenerated, wherever it stands."""
    text = render(text)
    if _PROPERTIES.search(text):
        text = render_pack(text)
    return _GENERATED.sub(_render_generated, text)


_PROPERTIES = re.compile(r"(<!-- properties -->\n).*?(<!-- /properties -->)", re.S)


def render_pack(text: str) -> str:
    """``text`` with its property table (between ``<!-- properties -->`` and ``<!-- /properties -->``)
    regenerated from the pack's own table."""
    return _PROPERTIES.sub(lambda m: m.group(1) + _property_table.render() + m.group(2), text)


TOKENS = ROOT / "preflight" / "engine" / "gcp_tokens.py"
_TOKEN_BLOCK = re.compile(r"(# <generated>[^\n]*\n).*?(# </generated>\n)", re.S)
_LINE_LENGTH = 120
"""The project's line length (pyproject.toml): a longer constant is wrapped as the formatter wraps it."""


def render_tokens(text: str) -> str:
    """``gcp_tokens.py`` with its constants regenerated: each name of its ``CLASSES``, the type token the
    pinned SDK's class carries (``pulumi_type``, given by the SDK's ``pulumi.type_token`` decorator)."""
    import pulumi_gcp

    from preflight.engine import gcp_tokens

    lines = []
    for name, path in gcp_tokens.CLASSES.items():
        module, cls = path.split(".")
        token = vars(getattr(getattr(pulumi_gcp, module), cls)).get("pulumi_type")
        if not isinstance(token, str):  # pragma: no cover (every generated resource class has one)
            raise TypeError(f"pulumi_gcp.{path} has no type token")
        line = f'{name} = "{token}"'
        lines.append(line if len(line) <= _LINE_LENGTH else f'{name} = (\n    "{token}"\n)')
    return _TOKEN_BLOCK.sub(lambda m: m.group(1) + "".join(f"{line}\n" for line in lines) + m.group(2), text)


def _outputs() -> list[tuple[Path, Callable[[str], str]]]:
    return [
        *((path, render_document) for path in documents()),
        (DOC, lambda _: render_doc()),
        (TOKENS, render_tokens),
    ]


def stale_files() -> list[Path]:
    """The documents whose generated parts differ from what they render to."""
    out = []
    for path, render_file in _outputs():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if render_file(current) != current:
            out.append(path)
    return out


def write() -> bool:
    """Regenerate every generated block of every document and ``docs/controls.md``; True if anything changed."""
    changed = False
    for path, render_file in _outputs():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        updated = render_file(current)
        if updated != current:
            path.write_text(updated, encoding="utf-8")
            changed = True
    return changed


def stale() -> bool:
    """True when any generated part of the documents differs from what it renders to."""
    return bool(stale_files())


# -- docs/controls.md ------------------------------------------------------------------------------


def _pack_policies() -> dict[str, list[str]]:
    """Control id to the pack's policy names (the pack's own package, imported for the docs only)."""
    out: dict[str, list[str]] = {}
    for policy in imaging_policies.POLICIES:
        framework: Any = policy.framework
        out.setdefault(str(framework.reference), []).append(policy.name)
    return out


def render_doc(catalogue: controls.Catalogue | None = None, policies: Mapping[str, list[str]] | None = None) -> str:
    """``docs/controls.md``: the catalogue for people, with the pack's policies per control."""
    catalogue = catalogue or controls.load()
    policies = _pack_policies() if policies is None else policies
    held = held_by_tests()
    out = [
        "# Control catalogue",
        "",
        "<!-- Generated from preflight/catalogue/controls.toml by `python -m preflight docs --write`; do not edit. -->",
        "",
        "The vendor's *Network and cybersecurity requirements* (version 1.0, effective 5 February 2026),",
        "broken into numbered, checkable controls. Each control says what must hold, the decision this",
        "project took where the document leaves a choice, and where it is met: the component default that",
        "meets it by construction, the policy of the pack (`policies/`, framework",
        f"`{controls.FRAMEWORK}`; each policy names its control as its framework reference) that judges it on every",
        "preview and update, the tests that hold it, or the site network readiness probe",
        "(`python -m preflight netcheck`) for what no deployment can provision.",
        "",
        "The compliance matrix of `python -m preflight check` and `fleet` has one row per control below, on",
        "every site, with one status:",
        "",
        "| status | meaning |",
        "|---|---|",
        "| met | the control's policies judged the site and found nothing |",
        "| violated | a finding (a mandatory one stops the deployment; an advisory one is reported) |",
        "| not judged in preview | a value is unknown until the resources exist; the update mode judges it |",
        "| not applicable | nothing of that kind is in the site (with the reason), or the policy config exempts it |",
        "| evidence outside the stack | the readiness probe's report (PERF-01, PERF-02, TLS-04), or the"
        " organisation enforces the guard rail above the project (`guardRails.skip` or the policy's"
        " `skipReason`, with the reason) |",
        "",
        "## Requirement to controls",
        "",
        "| requirement (document section) | controls |",
        "|---|---|",
    ]
    for key, text in catalogue.sections.items():
        ids = [c.id for c in catalogue.controls if c.section == key]
        out.append(f"| {text} | {', '.join(ids)} |")
    for area, title in catalogue.areas.items():
        out += ["", f"## {area}: {title}", ""]
        for c in (c for c in catalogue.controls if c.area == area):
            out += _control_section(c, policies.get(c.judged_with or c.id, []), held.get(c.id, []))
    return "\n".join(out).rstrip("\n") + "\n"


def _control_section(c: controls.Control, names: list[str], tests: list[str]) -> list[str]:
    """One control of ``docs/controls.md``: its requirement, decision, where it is met, what checks it
    (its policies by name, or the readiness probe), and the tests that hold it."""
    out = [f"### {c.id}", "", c.requirement, ""]
    if c.decision:
        out.append(f"- Decision: {c.decision}")
    out.append(f"- Met by: {c.met_by}")
    checked = ", ".join(f"`{n}`" for n in names) or "no policy"
    if c.judged_with:
        checked = f"{checked} ({c.judged_with}'s policy)"
    if "probe" in c.checked_by:
        checked = (
            "the readiness probe `python -m preflight netcheck` (evidence outside the stack; "
            "`check --evidence FILE` reads its JSON report)" + (f" and {checked}" if names else "")
        )
    out.append(f"- Checked by: {checked}")
    if c.constraint:
        out.append(f"- Org policy constraint: `{c.constraint}` (a site may leave it to its organisation)")
    if c.not_applicable:
        out.append(f"- Not applicable when: {c.not_applicable}")
    out.append("- Tests: " + (", ".join(f"`{t}`" for t in tests) or "none"))
    return [*out, ""]
