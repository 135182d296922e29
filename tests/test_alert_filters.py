"""The security log filter and every alert filter, evaluated against log entries shaped like real ones.

Proves what each filter selects under the Logging query language's documented semantics (as
implemented by the pack's ``imaging_policies.logquery``); not that Cloud Logging parses them identically, which only a
real sink or metric in a project can show.
"""

from __future__ import annotations

from typing import Any

import pytest
from imaging_policies.log_samples import SAMPLES, Sample, delta, project_iam
from imaging_policies.logquery import And, Compare, Global, Not, Or, QuerySyntaxError, matches, parse

from components.alerts import SECURITY_ALERTS, SECURITY_LOG_FAMILIES, SECURITY_LOGS_FILTER, SecurityAlert

ALERTS = {alert.key: alert for alert in SECURITY_ALERTS}
BY_ID = {sample.id: sample for sample in SAMPLES}


def tripped(entry: dict[str, Any]) -> set[str]:
    """The keys of the alerts whose filter selects ``entry``."""
    return {alert.key for alert in SECURITY_ALERTS if matches(alert.filter, entry)}


# --- The alert matrix ------------------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.id)
def test_sample_trips_exactly_its_alerts(sample: Sample) -> None:
    """Each entry trips the alerts it declares and no other: catches misses and cross-talk alike."""
    assert tripped(sample.entry) == sample.trips


@pytest.mark.parametrize("alert", SECURITY_ALERTS, ids=lambda a: a.key)
def test_every_alert_has_a_sample_it_must_catch(alert: SecurityAlert) -> None:
    """A new alert without a positive sample fails here; every other sample is then its negative in the matrix."""
    assert any(alert.key in s.trips for s in SAMPLES), f"no sample trips {alert.key}"


@pytest.mark.parametrize("sample", [s for s in SAMPLES if s.trips], ids=lambda s: s.id)
def test_every_alerting_event_also_reaches_the_siem(sample: Sample) -> None:
    """What the on-call team is paged for is also routed to the SIEM and the locked bucket."""
    assert matches(SECURITY_LOGS_FILTER, sample.entry)


# --- The security log filter -----------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.id)
def test_security_logs_filter_routes_security_logs_only(sample: Sample) -> None:
    """Audit, flow, firewall, load-balancer and DNS logs are routed; application logs are not."""
    assert matches(SECURITY_LOGS_FILTER, sample.entry) is (sample.family is not None)


@pytest.mark.parametrize("family", SECURITY_LOG_FAMILIES, ids=str)
def test_each_family_term_selects_exactly_its_own_samples(family: str) -> None:
    term = SECURITY_LOG_FAMILIES[family]
    selected = {s.id for s in SAMPLES if matches(term, s.entry)}
    expected = {s.id for s in SAMPLES if s.family == family}
    assert expected, f"no sample of the {family} family"
    assert selected == expected


@pytest.mark.parametrize("log", ["activity", "data_access", "system_event", "policy", "access_transparency"], ids=str)
def test_every_audit_log_has_a_sample(log: str) -> None:
    """The audit family's log IDs (Access Transparency's among them, LOG-18) are each exercised by a sample."""
    assert any(s.entry["logName"].endswith(f"cloudaudit.googleapis.com%2F{log}") for s in SAMPLES)


# --- What the filters' exact text implies ----------------------------------------------------


@pytest.mark.parametrize("sample_id", ["network-inserted-v1", "network-patched-v1"], ids=str)
def test_gap_cis_2_9_exact_text_misses_v1_network_insert_and_patch(sample_id: str) -> None:
    """Documents a gap, not a wish: CIS 2.9's text (copied exactly, LOG-11) names ``beta.compute.networks.insert``
    and ``beta.compute.networks.patch`` with ``=``, so the v1 API's ``v1.compute.networks.insert``/``patch``
    (what Pulumi and gcloud call) do not trip the network alert. Delete, peering add/remove are v1 and are caught.
    """
    assert not matches(ALERTS["network"].filter, BY_ID[sample_id].entry)


def test_cis_2_4_reads_service_name_as_a_prerequisite_of_every_branch() -> None:
    """Under Google's precedence (OR binds tighter than AND) ``A AND (B OR C) OR (D) OR (E)`` is
    ``A AND ((B OR C) OR D OR E)``: a roles/owner delta counts only from Resource Manager."""
    cis_2_4 = parse(ALERTS["project-ownership"].filter)
    assert isinstance(cis_2_4, And)
    assert cis_2_4.operands[0] == Compare(("protoPayload", "serviceName"), "=", "cloudresourcemanager.googleapis.com")
    assert isinstance(cis_2_4.operands[1], Or)

    elsewhere = project_iam(delta("ADD"))  # the same delta, written by a service other than Resource Manager
    elsewhere["protoPayload"]["serviceName"] = "iam.googleapis.com"
    assert matches(ALERTS["project-ownership"].filter, project_iam(delta("ADD")))
    assert not matches(ALERTS["project-ownership"].filter, elsewhere)


# --- The evaluator itself --------------------------------------------------------------------


def test_precedence_is_googles_documented_example() -> None:
    """The reference's own example: ``"a" OR NOT "b" AND NOT "c" OR "d"`` is
    ``("a" OR (NOT "b")) AND ((NOT "c") OR "d")``."""
    assert parse('"a" OR NOT "b" AND NOT "c" OR "d"') == parse('("a" OR (NOT "b")) AND ((NOT "c") OR "d")')
    # "a" and "c" present: the usual reading (AND before OR) would say yes, Google's says no.
    assert not matches('"a" OR NOT "b" AND NOT "c" OR "d"', {"textPayload": "a c"})


def test_juxtaposition_is_and_at_the_loosest_level() -> None:
    assert parse("x y OR z") == parse("x AND y OR z") == And((Global("x"), Or((Global("y"), Global("z")))))


def test_lower_case_operators_are_search_terms() -> None:
    assert parse("x and y") == And((Global("x"), Global("and"), Global("y")))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param('NOT jsonPayload.user = "x"', True, id="not-on-missing-field-is-true"),
        pytest.param('jsonPayload.user != "x"', False, id="not-equal-on-missing-field-is-false"),
        pytest.param('NOT protoPayload.methodName = "get"', False, id="not-negates-a-match"),
        pytest.param('protoPayload.methodName != "GET"', False, id="not-equal-ignores-case"),
        pytest.param('protoPayload.methodName != "list"', True, id="not-equal-on-other-value"),
    ],
)
def test_not_and_not_equal(query: str, expected: bool) -> None:
    """As documented: NOT of a comparison on a missing field is true, ``!=`` on it is false."""
    assert matches(query, {"protoPayload": {"methodName": "get"}}) is expected


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        pytest.param({"protoPayload": {"serviceData": {"policyDelta": {"auditConfigDeltas": []}}}}, False, id="empty"),
        pytest.param({"protoPayload": {"serviceData": {"policyDelta": {"bindingDeltas": [{}]}}}}, False, id="missing"),
        pytest.param(
            {"protoPayload": {"serviceData": {"policyDelta": {"auditConfigDeltas": [{"action": "ADD"}]}}}},
            True,
            id="present",
        ),
        pytest.param({"protoPayload": {"serviceData": {"policyDelta": {"auditConfigDeltas": ""}}}}, True, id="blank"),
    ],
)
def test_presence(entry: dict[str, Any], expected: bool) -> None:
    assert matches("protoPayload.serviceData.policyDelta.auditConfigDeltas:*", entry) is expected


DELTAS = {"policyDelta": {"bindingDeltas": [delta("ADD", role="roles/viewer"), delta("REMOVE")]}}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param('protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner"', True, id="any-element"),
        pytest.param('protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/editor"', False, id="no-element"),
        # Each comparison traverses the list on its own: ADD (first) and roles/owner (second) both hold.
        pytest.param(
            'protoPayload.serviceData.policyDelta.bindingDeltas.action="ADD" AND '
            'protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner"',
            True,
            id="comparisons-match-elements-independently",
        ),
        pytest.param(
            'protoPayload.serviceData.policyDelta.bindingDeltas.role!="roles/owner"', True, id="not-equal-any"
        ),
    ],
)
def test_list_traversal(query: str, expected: bool) -> None:
    assert matches(query, {"protoPayload": {"serviceData": DELTAS}}) is expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("projectownerinvitee", True, id="bare-word-ignores-case"),
        pytest.param('"roles/resourcemanager.projectOwner"', True, id="quoted-substring-of-a-nested-value"),
        pytest.param("bindingDeltas", False, id="field-names-are-not-searched"),
        pytest.param("65534", False, id="numbers-are-not-searched"),
        pytest.param("viewer", False, id="absent-term"),
    ],
)
def test_global_restriction(query: str, expected: bool) -> None:
    entry = {
        "protoPayload": {
            "serviceData": {"bindingDeltas": [delta("ADD", role="roles/resourcemanager.projectOwnerInvitee")]}
        },
        "jsonPayload": {"priority": 65534},
    }
    assert matches(query, entry) is expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param('protoPayload.methodName:"compute.FIREWALLS.insert"', True, id="has-is-substring-ignoring-case"),
        pytest.param('protoPayload.methodName="V1.COMPUTE.FIREWALLS.INSERT"', True, id="equals-ignores-case"),
        pytest.param('protoPayload.methodName="compute.firewalls.insert"', False, id="equals-is-whole-value"),
        # As in the reference's examples, a backslash is written doubled inside a query string.
        pytest.param(r'protoPayload.methodName=~"firewalls\\.(insert|patch)$"', True, id="regex-is-unanchored"),
        pytest.param('protoPayload.methodName=~"FIREWALLS"', False, id="regex-is-case-sensitive"),
        pytest.param('protoPayload.methodName!~"routes"', True, id="regex-not-match"),
        pytest.param("protoPayload.methodName:firewalls", True, id="bare-value"),
    ],
)
def test_comparisons(query: str, expected: bool) -> None:
    assert matches(query, {"protoPayload": {"methodName": "v1.compute.firewalls.insert"}}) is expected


@pytest.mark.parametrize(
    ("query", "entry", "expected"),
    [
        pytest.param("severity<WARNING", {"severity": "NOTICE"}, True, id="severity-by-level-not-by-name"),
        pytest.param("severity>=ERROR", {"severity": "WARNING"}, False, id="severity-below"),
        pytest.param("severity<=DEBUG", {}, True, id="missing-severity-is-default"),
        pytest.param("severity=DEFAULT", {}, True, id="missing-severity-equals-default"),
        pytest.param("httpRequest.status >= 500", {"httpRequest": {"status": 503}}, True, id="number"),
        pytest.param("httpRequest.status < 500", {"httpRequest": {"status": 503}}, False, id="number-above"),
        pytest.param('timestamp >= "2025-03-01"', {"timestamp": "2025-03-14T09:26:53Z"}, True, id="timestamp"),
        pytest.param("jsonPayload.x > 1", {}, False, id="missing-field-fails"),
    ],
)
def test_orderings(query: str, entry: dict[str, Any], expected: bool) -> None:
    assert matches(query, entry) is expected


@pytest.mark.parametrize(
    ("log_name", "expected"),
    [
        pytest.param("projects/p/logs/cloudaudit.googleapis.com%2Factivity", True, id="url-encoded-log-id"),
        pytest.param("organizations/1234/logs/cloudaudit.googleapis.com%2Factivity", True, id="other-parent"),
        pytest.param("projects/p/logs/cloudaudit.googleapis.com%2Fdata_access", False, id="other-log"),
        pytest.param("projects/p/logs/cloudaudit.googleapis.com/activity", False, id="not-encoded"),
    ],
)
def test_log_id(log_name: str, expected: bool) -> None:
    assert matches('log_id("cloudaudit.googleapis.com/activity")', {"logName": log_name}) is expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param('-resource.type="gce_instance"', "'-' as NOT", id="minus-as-not"),
        pytest.param('resource.type="gce_instance" -- a comment', "'-' as NOT", id="comment"),
        pytest.param('resource.type = ("gce_instance" OR "gce_subnetwork")', "parenthesised right-hand", id="rhs"),
        pytest.param('labels."compute.googleapis.com/resource_id" = "1"', "quoted field-path", id="quoted-path"),
        pytest.param('SEARCH("owner")', r"function SEARCH\(\)", id="search-function"),
        pytest.param("jsonPayload.user = NULL_VALUE", "unsupported value", id="null-value"),
        pytest.param(r'textPayload:"a\tb"', "escape sequence", id="escape"),
        pytest.param('jsonPayload.x =~ "("', "bad regular expression", id="bad-regex"),
        pytest.param('(resource.type="gce_instance"', r"expected '\)'", id="unclosed-parenthesis"),
        pytest.param('resource.type="gce_instance" AND', "end of query", id="dangling-and"),
        pytest.param("OR x", "operator OR", id="leading-or"),
        pytest.param("  ", "empty query", id="empty"),
    ],
)
def test_unsupported_or_malformed_syntax_raises(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=message):
        parse(query)


def test_not_is_a_node_of_its_own() -> None:
    assert parse("NOT NOT x") == Not(Not(Global("x")))
