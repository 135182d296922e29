"""Filters that single out who made an entry (issue 22, part 4): an exclusion or a sink filter that drops one
principal's, address's or client's security entries hides exactly the activity an insider wants hidden.

The sample entries (ADR 0014) are made by one administrator; a filter naming another principal is judged
for that principal's entries too (``log_filters.select``). Each case goes through the real pack process."""

from __future__ import annotations

import pytest

from tests.plans import site_plan
from tests.policies.mutation import Case, add_resource, assert_rejected, on, set_prop
from tests.sites import by_name

CONTROLS = ("LOG-08", "LOG-10")
"""The controls this module holds (the catalogue's "tests" line is read from it)."""


BOT = 'protoPayload.authenticationInfo.principalEmail="ops-bot@chuv-imaging-lau.iam.gserviceaccount.com"'
SIEM_SINK = "lau-logging-siem-sink"


def _narrow_filter(clause: str):
    def change(r) -> None:
        for props in (r.inputs, r.outputs):
            props["filter"] = f"({props['filter']}) AND {clause}"

    return change


CASES = [
    pytest.param(
        Case(
            "gcp-logging-no-security-exclusions",
            add_resource(
                "gcp:logging/projectExclusion:ProjectExclusion",
                "quiet-bot",
                {"project": "chuv-imaging-lau", "name": "quiet-bot", "filter": BOT},
            ),
            "exclusion filter drops logs before any sink sees them",
        ),
        id="project-exclusion-of-one-service-accounts-entries",
    ),  # LOG-10, part 4: "the bot is noisy" — and every grant it makes disappears from every sink
    pytest.param(
        Case(
            "gcp-logging-no-security-exclusions",
            on(SIEM_SINK, set_prop("exclusions", value=[{"name": "quiet", "filter": BOT}])),
            "exclusions[0] drops logs from this sink",
        ),
        id="siem-sink-exclusion-of-one-principal",
    ),  # LOG-10, part 4: an insider's own service account's activity never reaches the SIEM
    pytest.param(
        Case(
            "gcp-logging-siem-export",
            on(SIEM_SINK, _narrow_filter('NOT protoPayload.authenticationInfo.principalEmail="it-ops@chuv.example"')),
            "filter does not select",
            stack=True,
        ),
        id="siem-sink-filter-drops-one-administrator",
    ),  # LOG-08, part 4: "our own admins' changes are reviewed elsewhere", so the SIEM is blind to them
    pytest.param(
        Case(
            "gcp-logging-siem-export",
            on(SIEM_SINK, _narrow_filter('NOT protoPayload.requestMetadata.callerIp="10.20.0.5"')),
            "filter does not select",
            stack=True,
        ),
        id="siem-sink-filter-drops-one-caller-address",
    ),  # LOG-08, part 4: the jump host's address is filtered out, and with it whoever uses the jump host
]


@pytest.mark.parametrize("case", CASES)
def test_policy_rejects_mutation(policy_pack, case: Case):
    assert_rejected(policy_pack("lausanne", "update"), case)


def test_an_exclusion_of_one_principals_application_logs_passes(policy_pack):
    """Legitimate: a noisy client's entries in an application log, which holds no security entry."""
    resources = site_plan("lausanne", "update")
    add_resource(
        "gcp:logging/projectExclusion:ProjectExclusion",
        "quiet-health-checks",
        {
            "project": "chuv-imaging-lau",
            "name": "quiet-health-checks",
            "filter": f'logName="projects/chuv-imaging-lau/logs/health-checks" AND {BOT}',
        },
    )(resources)
    pack = policy_pack("lausanne", "update")
    found = pack.analyze(by_name(resources, "quiet-health-checks")) + pack.analyze_stack(resources)
    assert [d for d in found if d.level == "mandatory"] == [], [(d.policy, d.message) for d in found]
