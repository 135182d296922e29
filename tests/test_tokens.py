"""Type tokens are never retyped: the check, the program, the components and the tooling name a
pulumi-gcp type through ``preflight/engine/gcp_tokens.py`` (read from the pinned SDK's classes) or the
class itself, never as a typed ``"gcp:..."`` string. The pack keeps its own table (published alone).
Static: the sources are read as tokens, nothing runs."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from preflight.engine import gcp_schema, gcp_tokens
from tests.paths import ROOT

FOLDERS = ("preflight", "program", "components", "rollout", "bootstrap", "netcheck")
TYPED = re.compile(r"""^[rbuRBU]?(["'])gcp:[a-zA-Z0-9]+/[a-zA-Z0-9]+:[A-Za-z0-9]+\1$""")
NOT_YET = {
    "preflight/engine/gcp_model.py": "its tables of computed outputs are keyed by typed tokens",
    "preflight/engine/stored_form_table.py": "the stored-form rules, each cited from the provider's source",
    "preflight/engine/stored_forms.py": "the stored-form rules keyed by typed tokens",
}
"""Modules still to convert, with the reason; the list only shrinks."""
TABLE = "preflight/engine/gcp_tokens.py"
"""The table itself: its constants are generated from the SDK's classes (held by the tests below)."""


def _typed_tokens(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    return [
        t.string
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type == tokenize.STRING and TYPED.match(t.string)
    ]


SOURCES = sorted(p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_type_token_is_typed_by_hand(path):
    name = path.relative_to(ROOT).as_posix()
    if name == TABLE:
        return
    typed = _typed_tokens(path)
    if name in NOT_YET:
        assert typed, f"{name} has no typed token any more: drop it from NOT_YET"
        return
    assert not typed, f"{name} types {typed[:3]}: use preflight.engine.gcp_tokens (add the type there)"


def test_every_named_token_is_a_type_of_the_pinned_sdk():
    named = {k: v for k, v in vars(gcp_tokens).items() if k.isupper() and isinstance(v, str)}
    assert named
    unknown = [token for token in named.values() if gcp_schema.resource_class(token) is None]
    assert not unknown, unknown


def test_every_constant_is_generated_from_its_sdk_class():
    """The constants are plain strings (no import of the provider's classes): each one is the type token of
    the class ``CLASSES`` names, as ``python -m preflight docs --write`` renders it, and there is no other."""
    from preflight.catalogue import docs

    named = {k for k, v in vars(gcp_tokens).items() if k.isupper() and isinstance(v, str)}
    assert named == set(gcp_tokens.CLASSES), "a constant without its class in CLASSES, or the reverse"
    text = docs.TOKENS.read_text(encoding="utf-8")
    assert docs.render_tokens(text) == text, "run `python -m preflight docs --write`"


def test_a_constant_that_drifts_from_its_class_is_stale():
    from preflight.catalogue import docs

    text = docs.TOKENS.read_text(encoding="utf-8")
    drifted = text.replace(f'"{gcp_tokens.COMPUTE_URLMAP}"', '"gcp:compute/urlMap:UrlMap"')
    assert drifted != text
    assert docs.render_tokens(drifted) == text


def test_loading_the_table_loads_no_provider_class():
    """A run that reuses a kept verdict imports the table but needs none of the provider's classes."""
    import subprocess
    import sys

    code = "import sys; import preflight.engine.gcp_tokens; print(any(m.startswith('pulumi_gcp') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
