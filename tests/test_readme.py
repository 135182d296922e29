"""The README starts a newcomer and tells the truth: it stays short, its quick start is the command CI
runs, every reference it links to exists, and the library reference's args tables match the models."""

from __future__ import annotations

import re

import pytest

from preflight.catalogue import docs
from tests.paths import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
LIBRARY = ROOT / "components" / "README.md"


def test_the_readme_is_a_front_page_of_at_most_300_lines():
    assert len(README.splitlines()) <= 300


@pytest.mark.parametrize(
    "journey", ["Add a site", "Check a pull request", "Use the components", "Deploy", "Audit"], ids=str.lower
)
def test_each_journey_has_a_short_section_that_links_to_its_reference(journey):
    section = README.split(f"\n## {journey}\n", 1)[1].split("\n## ", 1)[0]
    assert len(section.splitlines()) <= 50
    assert re.search(r"\]\((?:docs|components|policies|stacks|netcheck|bench)/[\w./-]+\.md\)", section)


def test_every_local_link_of_the_readme_and_the_references_resolves():
    documents = [ROOT / "README.md", *sorted(ROOT.glob("*/README.md")), *sorted((ROOT / "docs").glob("*.md"))]
    for document in documents:
        for target in re.findall(r"\]\(([^)#\s]+)\)", document.read_text(encoding="utf-8")):
            if not target.startswith(("http://", "https://")):
                assert (document.parent / target).exists(), f"{document.relative_to(ROOT)}: {target}"


def test_no_issue_numbers_in_the_readme():
    assert not re.search(r"\bissues? \d+|#\d+\b", README, re.IGNORECASE)


def test_args_tables_match_the_models():
    text = LIBRARY.read_text(encoding="utf-8")
    assert docs.render(text) == text, "components/README.md args tables are stale: python -m preflight docs --write"
    shown = set(re.findall(r"<!-- args:(\w+) -->", text))
    assert shown <= set(docs.MODELS)
    component_args = {
        name
        for name, model in docs.MODELS.items()
        if name.endswith("Args") and name != "ComponentArgs" and model.__module__.startswith("components.")
    }
    assert component_args <= shown, f"no args table for {sorted(component_args - shown)}"


@pytest.mark.parametrize(
    ("model", "field", "shown"),
    [
        pytest.param("SiteKeysArgs", "rotation_days", "RotationDays", id="a-bare-contract-type"),
        pytest.param("BucketNetworkAccess", "vpc_cidrs", "list[Cidr]", id="inside-a-list"),
        pytest.param("BucketNetworkAccess", "public_cidrs", "list[PublicCidr]", id="inside-a-constrained-list"),
        pytest.param("ImageBucketArgs", "retention_days", "ObjectRetentionDays \\| None", id="optional"),
        pytest.param("SecurityAlertsArgs", "emails", "dict[StableName, NotificationEmail]", id="keys-and-values"),
        pytest.param("PacsFederationArgs", "subject", "OidcSubject", id="the-oidc-subject"),
        pytest.param("ViewerEndpointArgs", "iap_groups", "list[GroupEmail]", id="group-emails"),
        pytest.param("SiteKeysArgs", "project", "str", id="a-plain-string-stays-str"),
    ],
)
def test_args_tables_name_the_contract_types(model, field, shown):
    """A reader sees which rule a field follows (``Cidr``, not ``str``): the contract's aliases by name."""
    assert f"| `{field}` | `{shown}` |" in docs.args_table(docs.MODELS[model])


def test_quick_start_test_command_is_what_ci_runs():
    quick_start = re.search(r"## Quick start.*?```sh\n(.*?)```", README, re.S).group(1).splitlines()
    assert len(quick_start) == 2
    assert quick_start[1] in (ROOT / ".ci" / "run").read_text()
    assert "-r requirements-dev.txt" in quick_start[0]
