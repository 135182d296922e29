"""Hostile or careless input to the loader, the site model and the command line's input files: each is
refused in one line naming the file and the field (exit 2 on the command line), never a traceback, and
nothing written is silently ignored or dropped."""

from __future__ import annotations

import datetime
import ipaddress
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, TypeAdapter, ValidationError

from components import contract, naming
from preflight.engine import files, stacks
from program import sites
from program.config import (
    MAX_DRY_RUN_DAYS,
    NAMESPACE,
    ConfigError,
    GuardRailSettings,
    SiemExport,
    SiteConfig,
    _overlapping,
    look_alike,
)
from tests.paths import ROOT

NS = NAMESPACE
LAUSANNE = (ROOT / "stacks" / "Pulumi.lausanne.yaml").read_text(encoding="utf-8")
UTRECHT = (ROOT / "stacks" / "Pulumi.utrecht.yaml").read_text(encoding="utf-8")
FILE = "Pulumi.site.yaml"


def _load(tmp_path: Path, text: str) -> stacks.Stack:
    (tmp_path / FILE).write_text(text, encoding="utf-8")
    return stacks.load("site", tmp_path)


def _refusal(tmp_path: Path, text: str) -> list[str]:
    """The loader's problems for ``text`` as a stack file: one line each, naming the file."""
    with pytest.raises((stacks.StackFileError, ConfigError)) as caught:
        _load(tmp_path, text)
    lines = str(caught.value).splitlines()
    assert all(line.startswith(f"{FILE}: ") for line in lines), lines
    return lines


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", *argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


# --- !!binary, !!set and other tags that construct no config value -----------------------------------


@pytest.mark.parametrize(
    ("added", "where", "tag"),
    [
        pytest.param(
            f"  {NS}:labels: {{environment: !!binary aGVsbG8=}}",
            f"{NS}:labels.environment",
            "!!binary",
            id="binary-label",
        ),
        pytest.param("  other:thing: {x: !!set {a, b}}", "other:thing.x", "!!set", id="set-in-another-namespace"),
        pytest.param("  other:pairs: !!omap [a: 1, b: 2]", "other:pairs", "!!omap", id="ordered-map"),
    ],
)
def test_a_binary_or_set_value_is_refused_naming_its_key(tmp_path, added, where, tag):
    # A value pasted from another tool's YAML: it crashed the loader (and with it a whole fleet run).
    text = LAUSANNE.replace(f"  {NS}:labels:", "  unused:labels:") + added + "\n"
    line = len(text.splitlines())
    assert _refusal(tmp_path, text) == [
        f"{FILE}: line {line}: config.{where}: a {tag} value is not supported in a stack file; write a plain string, "
        "list or mapping"
    ]


# --- snake_case field names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "camel", "text"),
    [
        pytest.param(
            "group_domains", "groupDomains", UTRECHT.replace(f"{NS}:groupDomains", f"{NS}:group_domains"), id="site-key"
        ),
        pytest.param("guard_rails", "guardRails", UTRECHT + f"  {NS}:guard_rails: {{}}\n", id="site-key-with-default"),
        pytest.param(
            "kms.rotation_days", "kms.rotationDays", LAUSANNE.replace("rotationDays", "rotation_days"), id="nested"
        ),
    ],
)
def test_a_snake_case_field_is_refused_with_its_camel_case_name(tmp_path, written, camel, text):
    # The model accepted the Python name, but the pack reads the camelCase one and would not see it.
    assert written.split(".")[-1] in text
    lines = _refusal(tmp_path, text)
    assert len(lines) == 1, lines  # not also "groupDomains: required field is missing"
    assert lines[0].endswith(
        f"{NS}:{written}: write it as {camel.split('.')[-1]}: a stack file names its fields in camelCase, as the "
        "policy pack reads them"
    )


def test_python_callers_still_build_the_model_by_field_name():
    # The components' tests and the program build models by their Python names: only stack files are strict.
    assert GuardRailSettings(skip={}).skip == {}
    assert SiemExport(central_destination="logging.googleapis.com/projects/umcu-logs").central_destination


# --- namespaces that look like the project's ----------------------------------------------------------


@pytest.mark.parametrize(
    ("namespace", "intended", "unlike"),
    [
        pytest.param("im\u0430ging-landing-z\u043ene", NS, "has letters that are not ASCII", id="two-cyrillic-letters"),
        pytest.param("\uff49maging-landing-zone", NS, "has letters that are not ASCII", id="full-width-letter"),
        pytest.param("imaging-lnding-zne", NS, "is a few letters from it", id="two-letters-left-out"),
        pytest.param("imaging-bootstrp", "imaging-bootstrap", "is a few letters from it", id="bootstrap-look-alike"),
        pytest.param("imaging-deplyo", "imaging-deploy", "is a few letters from it", id="deploy-look-alike"),
    ],
)
def test_a_namespace_that_looks_like_the_project_s_is_refused_naming_the_intended_one(
    tmp_path, namespace, intended, unlike
):
    # The site's own latency bound written under a look-alike namespace would silently fall back to 30 ms.
    text = LAUSANNE + f"  {namespace}:netcheck: {{maxLatencyMs: 25}}\n"
    assert look_alike(namespace) == intended
    shown = namespace.encode("ascii", "backslashreplace").decode()
    assert _refusal(tmp_path, text)[0] == (
        f"{FILE}: line {len(text.splitlines())}: {shown}:netcheck: namespace '{shown}' looks like {intended!r} but "
        f"{unlike}; write it as {intended}:netcheck (a key in another namespace is ignored, and the site would get "
        "the defaults)"
    )


def test_a_non_ascii_namespace_like_no_project_s_is_refused(tmp_path):
    text = LAUSANNE + "  caf\u00e9:setting: x\n"
    assert look_alike("caf\u00e9") is None
    assert _refusal(tmp_path, text)[0].endswith(
        "namespace 'caf\\xe9' has letters that are not ASCII; a namespace is a Pulumi project's or package's name, "
        f"in ASCII (this program's is {NS})"
    )


@pytest.mark.parametrize(
    "namespace", ["gcp", "pulumi", "imaging-viewer", "imaging-landing", "imaging-landing-zone-extra"]
)
def test_other_projects_namespaces_are_not_look_alikes(namespace):
    assert look_alike(namespace) is None


# --- long lists ---------------------------------------------------------------------------------------


def test_thousands_of_hospital_networks_are_validated(tmp_path):
    # 3000 /32s (the most that fit in a 64 KiB stack file with room to spare): pairwise checks took minutes.
    networks = ", ".join(
        str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("11.0.0.0")) + i)) + "/32" for i in range(3000)
    )
    text = LAUSANNE.replace("hospitalNetworks: [198.51.100.0/24]", f"hospitalNetworks: [{networks}]")
    assert text != LAUSANNE
    site = stacks.site_of(_load(tmp_path, text))
    assert len(site.network.hospital_networks) == 3000


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    st.lists(
        st.builds(
            lambda address, prefix: str(ipaddress.ip_network(f"{address}/{prefix}", strict=False)),
            st.ip_addresses(v=4).filter(lambda a: a.is_global),
            st.integers(8, 32),
        ),
        max_size=12,
    )
)
def test_the_overlaps_found_by_sorting_are_the_pairwise_ones(cidrs):
    # Every range that overlaps another is reported, each time with a range it really overlaps.
    networks = [ipaddress.ip_network(c) for c in cidrs]
    pairwise = {
        k for i, j in itertools.combinations(range(len(cidrs)), 2) if networks[i].overlaps(networks[j]) for k in (i, j)
    }
    found = _overlapping(cidrs)
    assert {k for pair in found for k in pair} == pairwise
    assert all(i < j and networks[i].overlaps(networks[j]) for i, j in found)


# --- a perimeter dry run without end ------------------------------------------------------------------


def _dry_run_until(day: datetime.date) -> str:
    return UTRECHT.replace('until: "2027-06-30"', f'until: "{day.isoformat()}"')


def test_a_dry_run_ending_more_than_a_year_ahead_is_refused(tmp_path):
    # `until: 9999-12-31` kept a perimeter that denies nothing "met" for ever.
    latest = datetime.date.today() + datetime.timedelta(days=MAX_DRY_RUN_DAYS)
    text = _dry_run_until(latest + datetime.timedelta(days=1))
    assert _refusal(tmp_path, text) == [
        f"{FILE}: line {_line_of(text, 'until:')}: {NS}:perimeter.dryRun.until: must be at most {MAX_DRY_RUN_DAYS} "
        f"days after today ({latest.isoformat()}): a dry run denies nothing; give the day the migration is planned "
        "to end, and move it on with a new reason if it takes longer"
    ]
    _load(tmp_path, _dry_run_until(latest))  # the last day allowed


# --- YAML features the engine would read otherwise ----------------------------------------------------


def test_a_merge_key_is_refused_as_not_supported(tmp_path):
    text = LAUSANNE + "  other:kms:\n    <<: {rotationDays: 365}\n"
    assert _refusal(tmp_path, text) == [
        f"{FILE}: line {len(text.splitlines())}: a YAML merge key (<<) is not supported in a stack file; write the "
        "keys out"
    ]


@pytest.mark.parametrize(
    ("key", "reads_as"),
    [
        pytest.param("null", "null", id="null"),
        pytest.param("22", "int", id="number"),
        pytest.param("no", "bool", id="no"),
    ],
)
def test_a_key_that_is_not_text_is_refused_before_it_collides(tmp_path, key, reads_as):
    # `null:` and `"null":` became one JSON key "null": one worklist endpoint (port 22) silently dropped.
    text = LAUSANNE.replace(
        "      ris:",
        f'      "{key}":\n        cidrs: [10.200.17.0/24]\n        ports: [22]\n'
        "        nextHop: {ip: 10.80.0.9}\n      " + key + ":",
        1,
    )
    assert _refusal(tmp_path, text) == [
        f"{FILE}: line {_line_of(text, f'      {key}:')}: config.{NS}:network.worklist.{key}: a key must be text, and "
        f"{key!r} reads as {reads_as}; quote it"
    ]


# --- patterns: the whole value, ASCII only ------------------------------------------------------------

ARABIC_INDIC = "\u0664\u0668\u0661\u0662"
"""Four Arabic-Indic digits, which ``\\d`` matches and no Google API accepts."""


@pytest.mark.parametrize(
    ("kind", "good"),
    [
        pytest.param(Any, "projects/umcu-imaging-utr/notificationChannels/4812", id="notification-channel"),
        pytest.param(contract.SiteCode, "utr", id="site-code"),
        pytest.param(contract.StableName, "ris", id="stable-name"),
        pytest.param(contract.DnsName, "viewer.hospital.example", id="dns-name"),
        pytest.param(contract.GroupEmail, "radiology@hospital.example", id="group-email"),
        pytest.param(contract.CustomerId, "C03xgje4y", id="customer-id"),
        pytest.param(contract.OidcSubject, "pacs-gateway", id="oidc-subject"),
        pytest.param(contract.OidcIssuer, "https://idp.hospital.example:8443/realm", id="oidc-issuer"),
        pytest.param(
            Annotated[str, AfterValidator(contract.crypto_key_id)],
            "projects/umcu-imaging-utr/locations/europe-west4/keyRings/r/cryptoKeys/k",
            id="key-id",
        ),
        pytest.param(contract.PinnedImage, "registry.example:5000/viewer@sha256:" + "a" * 64, id="pinned-image"),
        pytest.param(contract.AttestorName, "projects/build-pipeline/attestors/signed", id="attestor"),
        pytest.param(contract.AccessPolicyId, "accessPolicies/4159", id="access-policy"),
        pytest.param(contract.ProjectByNumber, "projects/653772726740", id="project-number"),
        pytest.param(contract.RestrictableService, "bigquery.googleapis.com", id="service"),
    ],
)
def test_a_pattern_refuses_a_trailing_newline_and_other_scripts_digits(kind, good):
    if kind is Any:  # a site-config field: the channel ids the reviewer's utrecht carried
        channel = TypeAdapter(SiteConfig.model_fields["logging"].annotation)

        def validate(value: str) -> None:
            channel.validate_python(
                {
                    "siem": {"centralDestination": "logging.googleapis.com/projects/umcu-logs"},
                    "alerts": {"notificationChannels": [value]},
                }
            )
    else:
        adapter = TypeAdapter(kind)

        def validate(value: str) -> None:
            adapter.validate_python(value)

    validate(good)
    with pytest.raises(ValidationError):
        validate(good + "\n")
    digits = re.sub(r"[0-9]+", ARABIC_INDIC, good, count=1)
    if digits != good:
        with pytest.raises(ValidationError):
            validate(digits)


@pytest.mark.parametrize("value", ["lausanne\n", "bern" + ARABIC_INDIC])
def test_a_site_name_or_label_is_the_whole_value_in_ascii(value):
    assert sites.problem(value) is not None
    assert not naming.matches(naming.LABEL_VALUE_PATTERN, value)
    assert not naming.matches(naming.PROJECT_ID_PATTERN, f"umcu-{value}")


# --- links and what errors show -----------------------------------------------------------------------


def test_a_stack_file_linked_outside_its_folder_is_refused(tmp_path):
    # A link to a token file elsewhere: the check would read it, and its errors could print it.
    secret = tmp_path / "token.txt"
    secret.write_text("config: {ghp_secret_token: x\n", encoding="utf-8")
    folder = tmp_path / "stacks"
    folder.mkdir()
    (folder / FILE).symlink_to(secret)
    with pytest.raises(stacks.StackFileError) as caught:
        stacks.load("site", folder)
    assert str(caught.value) == (
        f"{FILE}: a link to a file outside its folder {folder}; a stack file is read only from its stacks folder "
        "(copy the file there instead of linking to it)"
    )


def test_a_stack_file_linked_inside_its_folder_is_read(tmp_path):
    (tmp_path / "Pulumi.lausanne.yaml").write_text(LAUSANNE, encoding="utf-8")
    (tmp_path / FILE).symlink_to(tmp_path / "Pulumi.lausanne.yaml")
    assert stacks.load("site", tmp_path).site is not None


def test_a_yaml_error_names_the_line_and_column_but_never_the_content(tmp_path):
    text = LAUSANNE + "  other:token: [ghp_secret_token\n"
    lines = _refusal(tmp_path, text)
    assert len(lines) == 1
    assert "ghp_secret_token" not in lines[0]
    assert re.match(rf"{FILE}: line \d+, column \d+: not valid YAML: ", lines[0])


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.recursive(
        st.one_of(
            st.sampled_from(
                [
                    "!!binary aGVsbG8=",
                    "!!set {a}",
                    "null",
                    "~",
                    "no",
                    "2026-12-08",
                    "<<",
                    "&a x",
                    "*a",
                    "!!omap [a: 1]",
                    "!!str 1",
                    "!!python/none ''",
                    "'\\u0430'",
                    "1e999",
                ]
            ),
            st.text(max_size=6),
        ),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
            st.lists(st.tuples(inner, inner), max_size=3).map(
                lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
            ),
        ),
        max_leaves=8,
    )
)
def test_any_value_loads_or_is_refused_by_the_loader(tmp_path, value):
    # Whatever a stack value holds, the loader returns a site or its own one-line errors, never another exception.
    for key in (f"{NS}:labels", "other:thing"):
        text = LAUSANNE.replace(f"  {NS}:labels:", "  unused:labels:") + f"  {key}: {value}\n"
        problem = ""
        try:
            _load(tmp_path, text)
        except (stacks.StackFileError, ConfigError) as exc:
            problem = str(exc)
        assert not problem or problem.startswith(f"{FILE}: "), problem


# --- the command line's input files and messages ------------------------------------------------------


@pytest.mark.parametrize("option", ["--policy-config", "--plan", "--evidence"])
@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param(b"[" * 100_000, "nest", id="100000-brackets"),
        pytest.param(b"\xff\xfe{}", "utf-8", id="not-utf8"),
    ],
)
def test_a_deep_or_non_utf8_input_file_is_one_line_exit_2(tmp_path, option, content, problem):
    path = tmp_path / "input.json"
    path.write_bytes(content)
    done = _cli("check", *(() if option == "--plan" else ("lausanne",)), option, str(path))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"error: {path}: "), line
    assert problem in line.lower(), line


def test_an_input_document_within_the_nesting_bound_is_read():
    assert files.loads("[" * 64 + "]" * 64) is not None
    with pytest.raises(ValueError, match="nested deeper than 64 levels"):
        files.loads("[" * 65 + "]" * 65)


def test_a_check_argument_that_is_no_site_name_says_so():
    done = _cli("check", "/etc/passwd")
    assert done.returncode == 2
    assert done.stderr == (
        f"error: {sites.problem('/etc/passwd')}; name a site (known sites: lausanne, utrecht) or its stack file "
        "Pulumi.<site>.yaml\n"
    )


@pytest.mark.parametrize(
    ("error", "said"),
    [
        pytest.param(
            FileNotFoundError(2, "No such file or directory", "out/r.json"),
            "its folder does not exist (create it first)",
            id="no-folder",
        ),
        pytest.param(PermissionError(13, "Permission denied", "r.json"), "permission denied", id="no-permission"),
        pytest.param(IsADirectoryError(21, "Is a directory", "out"), "it is a folder; name a file", id="a-folder"),
    ],
)
def test_a_write_error_says_what_and_why_in_words(error, said):
    message = files.cannot_write(error)
    assert message == f"cannot write the report to {error.filename}: {said}"
    assert "Errno" not in message


def test_the_yaml_fixture_is_plain():
    # The tests above edit the example sites' text: the lines they replace are there.
    assert yaml.safe_load(LAUSANNE)["config"][f"{NS}:network"]["hospitalNetworks"] == ["198.51.100.0/24"]
    assert 'until: "2027-06-30"' in UTRECHT
    assert "      ris:" in LAUSANNE
