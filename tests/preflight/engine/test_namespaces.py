"""A key in a namespace the program does not own but that is one slip from ``imaging-landing-zone``
(``imaging-landing-zon:kms``) would be ignored: the site's HSM and rotation silently replaced by the
defaults. The loader refuses it naming the right namespace, and the JSON schema editors validate
with refuses the same keys (one regular expression, read alike by both); other namespaces stay allowed."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from program.config import NAMESPACE, NEAR_MISS_KEY, ConfigError, SiteConfig, close_namespace
from tests.conftest import SITES
from tests.paths import ROOT

SCHEMA = json.loads((ROOT / "stacks" / "site-config.schema.json").read_text(encoding="utf-8"))
TEXT = (ROOT / "stacks" / f"Pulumi.{SITES[0]}.yaml").read_text(encoding="utf-8")

MISSPELLED = [
    pytest.param("imaging-landing-zon", id="last-letter-left-out"),
    pytest.param("imaging-landing-zonee", id="letter-added"),
    pytest.param("imagnig-landing-zone", id="letters-swapped"),
    pytest.param("imaging-landimg-zone", id="letter-changed"),
    pytest.param("Imaging-Landing-Zone", id="capitals"),
    pytest.param("imaging_landing_zone", id="underscores"),
    pytest.param("imaginglandingzone", id="no-separators"),
    pytest.param("imaging-landingzone", id="separator-left-out"),
]
OTHERS = ["gcp", "pulumi", "aws", "imaging-viewer", "kubernetes", "imaging-landing", "imaging-landing-zone-extra"]


NAMES = jsonschema.Draft202012Validator(SCHEMA["properties"]["config"]["propertyNames"])
"""The schema's rule for stack keys."""


def _schema_errors(config: dict[str, object]) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [error.message for error in validator.iter_errors({"config": config})]


def _site_config() -> dict[str, object]:
    config: dict[str, object] = yaml.safe_load(TEXT)["config"]
    return config


@pytest.mark.parametrize("namespace", MISSPELLED)
def test_a_misspelled_namespace_is_refused_naming_the_right_one(namespace):
    config = _site_config()
    config[f"{namespace}:kms"] = config.pop(f"{NAMESPACE}:kms", {"protectionLevel": "HSM"})
    with pytest.raises(ConfigError) as caught:
        SiteConfig.from_stack_config(config)
    assert caught.value.problems == [
        f"{namespace}:kms: namespace {namespace!r} is not this program's; write it as {NAMESPACE}:kms (a key in "
        "another namespace is ignored, and the site would get the defaults)"
    ]
    assert _schema_errors(config), "the schema must refuse it too"


@pytest.mark.parametrize("namespace", OTHERS)
def test_other_namespaces_stay_allowed_by_the_loader_and_the_schema(namespace):
    config = {**_site_config(), f"{namespace}:setting": "value"}
    SiteConfig.from_stack_config(config)
    assert _schema_errors(config) == []


def test_the_cli_exits_2_naming_the_namespace_and_the_line(tmp_path):
    # The case: the HSM and rotation of a site written under a one-letter typo.
    text = TEXT + "  imaging-landing-zon:guardRails: {}\n"
    line = len(text.splitlines())
    (tmp_path / "Pulumi.typo.yaml").write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "preflight", "check", "typo", "--stacks-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: Pulumi.typo.yaml: line {line}: imaging-landing-zon:guardRails: namespace 'imaging-landing-zon' is "
        f"not this program's; write it as {NAMESPACE}:guardRails (a key in another namespace is ignored, and the "
        "site would get the defaults)"
    ]


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.sampled_from("imaging-landzoe_. AIZ"), min_size=15, max_size=24),
        st.builds(
            lambda at, cut, add: NAMESPACE[:at] + add + NAMESPACE[at + cut :],
            st.integers(0, len(NAMESPACE)),
            st.integers(0, 3),
            st.text(alphabet="abgilmnz-_ ", max_size=2),
        ),
    )
)
def test_the_schema_and_the_loader_refuse_the_same_namespaces(namespace):
    # The schema's copy of the rule is the same pattern, read by another regular-expression engine.
    refused_by_schema = not NAMES.is_valid(f"{namespace}:key")
    assert refused_by_schema == close_namespace(namespace), namespace
    assert close_namespace(NAMESPACE) is False
    assert re.match(NEAR_MISS_KEY, f"{NAMESPACE}:kms") is None
