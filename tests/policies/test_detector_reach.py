"""What a detector's query reads (``imaging_policies._detector_reach``): the guard the samples cannot be.

A sample holds one value of each field an attacker chooses; these tests prove that a filter or query reading such a
field, or naming a principal beyond the intent, is refused whatever the samples hold, and that the components'
detectors read nothing of the kind. Proves the walker on the evaluator's syntax trees; not that Cloud Logging or
Cloud Monitoring has no other field an attacker could choose.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imaging_policies import _detection_samples as samples
from imaging_policies._detector_reach import (
    ALLOWED_LABELS,
    EVERYONE_COUNTED,
    SENT_BYTES_LABELS,
    Intended,
    counting_everyone,
    filter_problems,
    query_problems,
)
from imaging_policies._logquery import parse
from imaging_policies._promql import PromQLError, metric_name, selectors

from preflight.engine import stacks
from preflight.reports import access
from program.config import SiteConfig
from tests.plans import site_plan
from tests.sites import by_name

CONTROLS = ("LOG-12", "LOG-16", "LOG-17")

WHO = "protoPayload.authenticationInfo.principalEmail"
READS = (
    'resource.type="gcs_bucket" AND resource.labels.bucket_name="chuv-imaging-lau-lau-images" AND '
    'log_id("cloudaudit.googleapis.com/data_access") AND protoPayload.methodName="storage.objects.get"'
)
VIEWER = "lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com"
INTENT = Intended(frozenset({VIEWER}), frozenset({"chuv.example"}))
SPIKE = metric_name("logging.googleapis.com/user/lau-image-read-spike")


def _one(found: list[str], *needles: str) -> None:
    """Exactly one finding, naming each of ``needles``."""
    assert len(found) == 1, found
    for needle in needles:
        assert needle in found[0], found


def _problems(log_filter: str, intended: Intended | None = INTENT) -> list[str]:
    return filter_problems(parse(log_filter), intended)


# --- Log filters --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "clause",
    [
        pytest.param(f'{WHO}="{VIEWER}"', id="the-intended-account"),
        pytest.param(f'{WHO}="{VIEWER.upper()}"', id="the-intended-account-in-capitals"),
        pytest.param(f'{WHO}="someone@chuv.example"', id="a-person-of-the-intended-domain"),
        pytest.param(f'{WHO}=~"@chuv[.]example$"', id="the-domain-dots-in-brackets"),
        pytest.param(f'{WHO}=~"@chuv\\\\.example$"', id="the-domain-dots-backslashed"),
    ],
)
def test_naming_exactly_an_intended_principal_is_read(clause: str) -> None:
    assert _problems(f"{READS} AND NOT ({clause})") == []
    assert _problems(f"{READS} AND {clause}") == []  # either polarity: the samples judge what a positive one keeps


@pytest.mark.parametrize(
    ("clause", "named"),
    [
        pytest.param(f'{WHO}:"chuv"', 'principalEmail:"chuv"', id="substring-of-the-domain"),
        pytest.param(f'{WHO}=~"svc-"', 'principalEmail=~"svc-"', id="unanchored-regex"),
        pytest.param(f'{WHO}=~"chuv[.]example$"', 'principalEmail=~"chuv[.]example$"', id="domain-without-at"),
        pytest.param(f'{WHO}=~"@chuv[.]example"', 'principalEmail=~"@chuv[.]example"', id="domain-without-end"),
        pytest.param(f'{WHO}=~"@chuv.example$"', 'principalEmail=~"@chuv.example$"', id="domain-dot-unescaped"),
        pytest.param(f'{WHO}=~"@(chuv|hug)[.]example$"', "(chuv|hug)", id="domain-alternation"),
        pytest.param(f'{WHO}="etl@chuv-imaging-lau.iam.gserviceaccount.com"', "etl@", id="an-account-not-intended"),
        pytest.param(f'{WHO}="someone@hug.example"', "someone@hug.example", id="a-person-of-another-domain"),
        pytest.param(f"{WHO}:*", "principalEmail:*", id="presence-of-any-principal"),
        pytest.param(f'{WHO}!="{VIEWER}"', "principalEmail!=", id="not-equal-operator"),
    ],
)
def test_any_other_principal_comparison_is_a_finding(clause: str, named: str) -> None:
    _one(_problems(f"{READS} AND NOT ({clause})"), named, "not exactly an intended principal")


@pytest.mark.parametrize(
    ("clause", "field"),
    [
        pytest.param(
            'protoPayload.requestMetadata.callerSuppliedUserAgent:"rclone"', "callerSuppliedUserAgent", id="ua"
        ),
        pytest.param('protoPayload.requestMetadata.callerIp="203.0.113.45"', "callerIp", id="caller-ip"),
        pytest.param('protoPayload.authenticationInfo.principalSubject:"user:"', "principalSubject", id="subject"),
        pytest.param('labels.env="prod"', "labels.env", id="entry-labels"),
        pytest.param('httpRequest.userAgent:"curl"', "httpRequest.userAgent", id="http-request"),
        pytest.param('timestamp>="2026-01-01T00:00:00Z"', "timestamp", id="timestamp"),
        pytest.param('insertId:"x"', "insertId", id="insert-id"),
        pytest.param('protoPayload.request.object:"tmp/"', "protoPayload.request.object", id="request-body"),
        pytest.param('severity="ERROR"', "severity", id="severity"),
    ],
)
def test_a_field_the_caller_chooses_is_a_finding_naming_it(clause: str, field: str) -> None:
    for log_filter in (f"{READS} AND NOT {clause}", f"{READS} AND {clause}", f"({READS}) OR {clause}"):
        _one(_problems(log_filter), field, "which the caller chooses")


@pytest.mark.parametrize("term", ['"rclone"', "rclone", '"203.0.113.45"'])
def test_a_bare_term_is_a_finding(term: str) -> None:
    _one(_problems(f"{READS} AND NOT {term}"), "bare term")


def test_a_metric_that_counts_everyone_names_no_principal_at_all() -> None:
    """The spike metric and the baselines' sources: even the intended viewer is a narrowing there."""
    assert counting_everyone(READS) == []
    assert counting_everyone(f'{READS} AND NOT {WHO}="{VIEWER}"') != []
    assert "must count every principal" in _problems(f'{READS} AND NOT {WHO}=~"@chuv[.]example$"', EVERYONE_COUNTED)[0]
    assert counting_everyone("resource.type=(") == []  # unparseable: the samples' judgement, not this one's
    assert counting_everyone(None) == []


def test_the_unchosen_fields_are_read() -> None:
    log_filter = (
        'logName:"data_access" AND protoPayload.serviceName="logging.googleapis.com" AND '
        'protoPayload.resourceName:"/buckets/x/" AND protoPayload.request.resourceNames:"/buckets/x/" AND '
        'protoPayload.status.code=7 AND resource.labels.project_id="p" AND resource.type:*'
    )
    assert _problems(log_filter, EVERYONE_COUNTED) == []


_WORDS = ["protoPayload", "requestMetadata", "callerIp", "labels", "request", "resource", "resourceNames"]
_FIELD = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4)


@given(path=_FIELD, value=st.from_regex(r"[a-z0-9.-]{1,12}", fullmatch=True), op=st.sampled_from(["=", ":", "=~"]))
def test_every_field_outside_the_list_is_refused_whatever_its_place(path: list[str], value: str, op: str) -> None:
    """Whatever the field and however deep the clause sits (NOT, OR, parentheses), the walker finds it."""
    field = ".".join(path)
    allowed = field == "protoPayload.request.resourceNames" or (len(path) == 3 and path[:2] == ["resource", "labels"])
    for shape in ("{r} AND NOT {c}", "NOT ({r} OR NOT ({c}))", "({c} OR {r}) AND {r}"):
        found = _problems(shape.format(r=READS, c=f'{field}{op}"{value}"'))
        assert bool(found) is not allowed, (field, found)


# --- PromQL ----------------------------------------------------------------------------------------


def test_selectors_lists_every_selector_with_its_matchers() -> None:
    found = selectors('sum(increase(m{a="1",b=~"x.+"}[1h])) > clamp_min(3 * (sum(increase(n[1h] offset 1w))), 5)')
    assert [(s.name, s.matchers, s.range, s.offset) for s in found] == [
        ("m", (("a", "=", "1"), ("b", "=~", "x.+")), 3600, 0),
        ("n", (), 3600, 604800),
    ]
    with pytest.raises(PromQLError):
        selectors("sum(m")


@pytest.mark.parametrize(
    ("query", "named"),
    [
        pytest.param(f'sum(increase({SPIKE}{{principal=~"reader-.+"}}[1h])) > 10', "principal=~", id="principal-regex"),
        pytest.param(f'sum(increase({SPIKE}{{principal!=""}}[1h])) > 10', 'principal!=""', id="drop-anonymous"),
        pytest.param(
            f'sum(increase({SPIKE}[1h])) > 10 unless sum(increase({SPIKE}{{principal="x"}}[1h] offset 1w)) > 0',
            'principal="x"',
            id="matcher-in-the-baseline-half",
        ),
        pytest.param(
            f"sum(increase({SPIKE}[1h])) > 10 unless sum(increase(logging_googleapis_com:user_maintenance[1h])) > 0",
            "also reads logging_googleapis_com:user_maintenance",
            id="silenced-by-another-metric",
        ),
    ],
)
def test_a_log_based_metric_is_matched_on_no_label(query: str, named: str) -> None:
    _one(query_problems(query, SPIKE), named)


def test_sent_bytes_may_be_matched_on_the_bucket_only() -> None:
    sent = samples.SENT_BYTES
    bucket = f'{sent}{{monitored_resource="gcs_bucket",bucket_name="b",project_id="p"}}'
    assert query_problems(f"sum(increase({bucket}[1h])) > 1", sent, SENT_BYTES_LABELS) == []
    narrowed = f'sum(increase({sent}{{bucket_name="b",method!="GetObject"}}[1h])) > 1'
    _one(query_problems(narrowed, sent, SENT_BYTES_LABELS), 'method!="GetObject"')
    assert ALLOWED_LABELS["egress-vs-last-week"] == SENT_BYTES_LABELS
    assert "image-reads-vs-last-week" not in ALLOWED_LABELS


# --- The samples vary what the attacker chooses ---------------------------------------------------------


EXAMPLES = ["lausanne", "utrecht"]


def _access_samples(site: str) -> dict[str, samples.AccessSamples]:
    resources = site_plan(site, "update")
    _, intent = access.model(resources, stacks.load(site).config)
    config = SiteConfig.from_stack_config(stacks.load(site).config)
    return samples.access_samples(intent, samples.Site(config.gcp_project, config.region, config.site_code))


@pytest.mark.parametrize("site", EXAMPLES)
def test_every_attack_set_varies_who_where_and_which_client(site: str) -> None:
    for key, wanted in _access_samples(site).items():
        payloads = [e.entry["protoPayload"] for e in wanted.attacks]
        agents = {p["requestMetadata"]["callerSuppliedUserAgent"].split("/")[0] for p in payloads}
        addresses = {p["requestMetadata"]["callerIp"] for p in payloads}
        assert agents == {"rclone", "curl", "python-requests", "gsutil"}, key
        assert "gce-internal-ip" in addresses, key
        assert any(":" in a for a in addresses), key
        who = [p.get("authenticationInfo", {}).get("principalEmail") for p in payloads]
        assert {samples.OUTSIDER, samples.ELSEWHERE, samples.LOOKALIKE, samples.LOOKALIKE_ACCOUNT} <= set(who), key
        assert None in who or key != "unexpected-image-read", key  # an anonymous read


def test_the_read_series_are_spread_over_many_principals_and_an_anonymous_caller() -> None:
    labels = samples.read_principals(samples.Site("p", "europe-west6", "lau"))
    assert len(labels) >= 6
    assert {} in labels
    assert any(not re.fullmatch("reader-.+", dict(one).get("principal", "")) for one in labels if one)


# --- The components' detectors read nothing an attacker chooses -----------------------------------------


@pytest.mark.parametrize("site", EXAMPLES)
def test_the_components_detectors_read_only_what_an_attacker_cannot_choose(site: str) -> None:
    resources = site_plan(site, "update")
    code = SiteConfig.from_stack_config(stacks.load(site).config).site_code
    for key, wanted in _access_samples(site).items():
        log_filter = by_name(resources, f"{code}-detectors-{key}").inputs["filter"]
        assert filter_problems(parse(log_filter), wanted.intended) == [], key
    for metric in ("alerts-image-read-spike", "detectors-denied-requests"):
        assert counting_everyone(by_name(resources, f"{code}-{metric}").inputs["filter"]) == [], metric
    for key in ("image-reads-vs-last-week", "egress-vs-last-week", "denied-vs-last-week", "off-hours-bulk-read"):
        policy = by_name(resources, f"{code}-detectors-{key}-alert")
        query = policy.inputs["conditions"][0]["conditionPrometheusQueryLanguage"]["query"]
        source = selectors(query)[0].name
        assert query_problems(query, source, ALLOWED_LABELS.get(key, frozenset())) == [], key
