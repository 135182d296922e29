"""An alert must reach a channel the site declares by name, not by what the channel was computed from
(issue 22, part 4, the alerts' review): a channel of another project, written as a literal, is nobody the
site hears from. Through the real pack process, in each mode."""

from __future__ import annotations

import pytest

from tests.policies.mutation import Case, assert_rejected, on, set_prop

CONTROLS = ("LOG-11", "LOG-12")
"""The controls this module holds (the catalogue's "tests" line is read from it)."""


CASES = [
    pytest.param(
        Case(
            "gcp-monitoring-cis-security-alerts",
            on(
                "lau-alerts-firewall-alert",
                set_prop("notificationChannels", value=["projects/other-proj/notificationChannels/1"]),
            ),
            "notifies only projects/other-proj/notificationChannels/1",
            stack=True,
        ),
        id="firewall-alert-to-another-projects-channel",
    ),  # LOG-11, part 4: a channel id pasted from another project's console; the SOC never hears of it
    pytest.param(
        Case(
            "gcp-monitoring-cis-security-alerts",
            on("lau-alerts-email-soc", set_prop("type", value="webhook_tokenauth")),
            "none of them an enabled channel the site declares",
            stack=True,
            also=frozenset(
                {
                    "gcp-monitoring-site-security-alerts",
                    "gcp-monitoring-unexpected-access-detectors",  # the detectors notify through the same test
                    "gcp-monitoring-baseline-detectors",
                }
            ),
        ),
        id="soc-channel-turned-into-a-webhook",
    ),  # LOG-11/LOG-12: the SOC's channel keeps its email_address label but is no longer an email channel, so
    # the alerts go to a webhook; an insider redirecting the alerts, or an engineer "moving the SOC to the
    # ticketing webhook" who leaves the old label, writes it
]


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("case", CASES)
def test_policy_rejects_mutation(policy_pack, case: Case, mode: str):
    assert_rejected(policy_pack("lausanne", mode), case, mode)
