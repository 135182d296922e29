"""Network-isolation policies against the Lausanne site's real plan: one named mutation per case is
rejected with a message that names the property and the fix (see ``mutation.py``)."""

from __future__ import annotations

import pytest

from tests.policies.mutation import Case, add_resource, assert_rejected, on, remove, set_prop

CONTROLS = ("LOG-03", "LOG-04", "LOG-06", "NET-01", "NET-02", "NET-03", "NET-04", "NET-05", "NET-07")
"""The controls this module holds (the catalogue's "tests" line is read from it)."""


FIREWALL = "gcp:compute/firewall:Firewall"
NETWORK_ID = "projects/chuv-imaging-lau/global/networks/lau-vpc"
LOGGED = {"metadata": "INCLUDE_ALL_METADATA"}
RECORD_SET = "gcp:dns/recordSet:RecordSet"
STORAGE_RECORD = {
    "name": "storage.googleapis.com.",
    "type": "A",
    "managedZone": "lau-googleapis",
    "project": "chuv-imaging-lau",
}

CASES = [
    pytest.param(
        Case(
            "gcp-compute-firewall-ingress-allowlist",
            on("lau-firewall-allow-load-balancer", set_prop("sourceRanges", value=["0.0.0.0/0"])),
            "sourceRanges contains 0.0.0.0/0: ingress from anywhere",
        ),
        id="ingress-from-anywhere",
    ),
    pytest.param(
        Case(
            "gcp-compute-firewall-ingress-allowlist",
            on("lau-firewall-allow-load-balancer", set_prop("sourceRanges", value=["198.51.100.0/24"])),
            "sourceRanges contains 198.51.100.0/24, outside the allowed ingress ranges",
        ),
        id="ingress-from-hospital-directly",
    ),
    pytest.param(
        Case(
            "gcp-compute-firewall-ingress-allowlist",
            on("lau-firewall-allow-load-balancer", set_prop("targetTags", value=None)),
            "has no targetTags or targetServiceAccounts",
        ),
        id="ingress-rule-without-target",
    ),
    pytest.param(
        Case(
            "gcp-compute-firewall-ingress-allowlist",
            on("lau-firewall-allow-iap", set_prop("allows", value=[{"protocol": "all"}])),
            "allows[0].protocol is 'all'",
        ),
        id="ingress-every-protocol",
    ),
    pytest.param(
        Case(
            "gcp-compute-firewall-egress-allowlist",
            add_resource(
                FIREWALL,
                "allow-all-egress",
                {
                    "network": NETWORK_ID,
                    "direction": "EGRESS",
                    "allows": [{"protocol": "all"}],
                    "destinationRanges": ["0.0.0.0/0"],
                    "logConfig": LOGGED,
                },
            ),
            "destinationRanges contains 0.0.0.0/0: egress to anywhere",
        ),
        id="allow-all-egress",
    ),
    pytest.param(
        Case(
            "gcp-compute-firewall-egress-allowlist",
            on("lau-firewall-allow-worklist-ris", set_prop("destinationRanges", value=["10.99.0.0/16"])),
            "destinationRanges 10.99.0.0/16 on TCP 443 is not a declared destination (declared in the stack's "
            "imaging-landing-zone:network",
        ),
        id="egress-to-undeclared-range",
    ),
    pytest.param(
        Case(
            "gcp-compute-firewall-egress-allowlist",
            on("lau-firewall-allow-worklist-ris", set_prop("allows", value=[{"protocol": "tcp", "ports": ["22"]}])),
            "destinationRanges 10.200.16.0/24 on TCP 22 is not a declared destination",
        ),
        id="egress-to-undeclared-port",
    ),
    pytest.param(
        Case(
            "gcp-compute-firewall-egress-allowlist",
            on("lau-firewall-allow-google-apis", set_prop("destinationRanges", value=["199.36.153.8/30"])),
            "destinationRanges 199.36.153.8/30 on TCP 443 is not a declared destination",
        ),
        id="egress-to-private-not-restricted-apis",
    ),
    pytest.param(
        Case(
            "gcp-compute-firewall-logging",
            on("lau-firewall-deny-all-egress", set_prop("logConfig", value=None)),
            "logConfig.metadata (enableLogging for firewall-policy rules) is not set",
        ),
        id="rule-without-logging",
    ),
    pytest.param(
        Case(
            "gcp-compute-network-denies-egress",
            remove("lau-firewall-deny-all-egress"),
            "network 'lau-network' has no deny-all egress rule",
            stack=True,
        ),
        id="no-deny-all-egress",
    ),
    pytest.param(
        Case(
            "gcp-compute-network-denies-egress",
            on("lau-firewall-deny-all-egress", set_prop("targetTags", value=["lau-batch"])),
            "network 'lau-network' has no deny-all egress rule",
            stack=True,
        ),
        id="deny-all-egress-only-for-some",
    ),
    pytest.param(
        Case(
            "gcp-compute-network-denies-ingress",
            on("lau-firewall-deny-all-ingress", set_prop("disabled", value=True)),
            "network 'lau-network' has no deny-all ingress rule",
            stack=True,
        ),
        id="deny-all-ingress-disabled",
    ),
    # NET-04: the deny-all egress rule kept in place (a reviewer sees it) but narrowed to one source address, so
    # every other workload's egress meets GCP's implied allow-all; an insider opening egress quietly, or an
    # engineer copying an ingress rule's sourceRanges into the egress one, writes it.
    pytest.param(
        Case(
            "gcp-compute-network-denies-egress",
            on("lau-firewall-deny-all-egress", set_prop("sourceRanges", value=["10.60.0.99/32"])),
            "network 'lau-network' has no deny-all egress rule",
            stack=True,
        ),
        id="deny-all-egress-only-from-one-address",
    ),
    # NET-04: the same narrowing by the workloads' service account: the rule denies only that account's traffic.
    pytest.param(
        Case(
            "gcp-compute-network-denies-egress",
            on(
                "lau-firewall-deny-all-egress",
                set_prop("sourceServiceAccounts", value=["lau-batch@chuv-imaging-lau.iam.gserviceaccount.com"]),
            ),
            "network 'lau-network' has no deny-all egress rule",
            stack=True,
        ),
        id="deny-all-egress-only-for-one-account",
    ),
    # NET-03: the deny-all ingress rule narrowed to one destination address: the rest of the network's ingress
    # is denied by GCP's implied rule, unlogged; an engineer scoping the rule to "the viewer's address" writes it.
    pytest.param(
        Case(
            "gcp-compute-network-denies-ingress",
            on("lau-firewall-deny-all-ingress", set_prop("destinationRanges", value=["10.60.0.99/32"])),
            "network 'lau-network' has no deny-all ingress rule",
            stack=True,
        ),
        id="deny-all-ingress-only-to-one-address",
    ),
    pytest.param(
        Case(
            "gcp-compute-subnetwork-flow-logs",
            on("lau-network-viewer", set_prop("logConfig", value=None)),
            "logConfig is not set, so the subnet records no flow logs",
        ),
        id="subnet-without-flow-logs",
    ),
    pytest.param(
        Case(
            "gcp-compute-subnetwork-flow-logs",
            on("lau-network-viewer", set_prop("logConfig", "flowSampling", value=0.5)),
            "logConfig.flowSampling is 0.5; set it to 1.0",
        ),
        id="flow-sampling-half",
    ),
    pytest.param(
        Case(
            "gcp-compute-subnetwork-flow-logs",
            on("lau-network-viewer", set_prop("logConfig", "filterExpr", value="false")),
            "logConfig.filterExpr 'false' drops flows",
        ),
        id="flow-log-filter",
    ),
    pytest.param(
        Case(
            "gcp-compute-network-custom-mode",
            on("lau-network", set_prop("autoCreateSubnetworks", value=True)),
            "autoCreateSubnetworks is not false",
        ),
        id="automatic-subnets",
    ),
    pytest.param(
        Case(
            "gcp-compute-network-custom-mode",
            on("lau-network", set_prop("deleteDefaultRoutesOnCreate", value=None)),
            "deleteDefaultRoutesOnCreate is not true",
        ),
        id="default-internet-route-kept",
    ),
    pytest.param(
        Case(
            "gcp-compute-network-custom-mode",
            on("lau-network-restricted-apis", set_prop("destRange", value="0.0.0.0/0")),
            "destRange 0.0.0.0/0 through nextHopGateway is a route to the internet",
        ),
        id="route-to-internet",
    ),
    pytest.param(
        Case(
            "gcp-compute-no-default-network",
            add_resource("gcp:compute/network:Network", "default", {"name": "default", "autoCreateSubnetworks": False}),
            "a network named 'default'",
            also=frozenset({"gcp-compute-network-custom-mode"}),  # it also keeps its default routes
        ),
        id="default-network",
    ),
    pytest.param(
        Case(
            "gcp-compute-subnetwork-private-google-access",
            on("lau-network-viewer", set_prop("privateIpGoogleAccess", value=False)),
            "privateIpGoogleAccess is not true",
        ),
        id="private-google-access-off",
    ),
    pytest.param(
        Case(
            "gcp-compute-network-restricted-google-apis",
            remove("lau-network-googleapis-cname"),
            "has no private DNS zone 'googleapis.com.' that resolves",
            stack=True,
        ),
        id="googleapis-not-resolved-to-restricted",
    ),
    # NET-05: a record for one Google API in the site's googleapis.com zone overrides the wildcard's CNAME to the
    # restricted VIP, so that API resolves to an address outside VPC Service Controls; an engineer "fixing" one
    # API that the restricted VIP does not serve, or an insider routing storage calls to a host they control.
    pytest.param(
        Case(
            "gcp-compute-network-restricted-google-apis",
            add_resource(RECORD_SET, "storage-override", {**STORAGE_RECORD, "rrdatas": ["203.0.113.7"]}),
            "storage.googleapis.com. A 203.0.113.7 is outside the restricted VIP",
            stack=True,
        ),
        id="one-google-api-resolved-elsewhere",
    ),
    # NET-05: the same override written as a weighted routing policy, whose answers the pack does not read.
    pytest.param(
        Case(
            "gcp-compute-network-restricted-google-apis",
            add_resource(
                RECORD_SET,
                "storage-weighted",
                {**STORAGE_RECORD, "routingPolicy": {"wrrs": [{"weight": 1.0, "rrdatas": ["203.0.113.7"]}]}},
            ),
            "answers through routingPolicy",
            stack=True,
        ),
        id="one-google-api-resolved-through-a-routing-policy",
    ),
    pytest.param(
        Case(
            "gcp-compute-network-restricted-google-apis",
            remove("lau-network-restricted-apis"),
            "has no route to 199.36.153.4/30",
            stack=True,
        ),
        id="no-route-to-restricted-apis",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-ip-filter",
            on("lau-images", set_prop("ipFilter", "mode", value="Disabled")),
            "ipFilter.mode is 'Disabled', so any network can reach it",
            stack=True,
        ),
        id="bucket-ip-filter-off",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-ip-filter",
            on("lau-images", set_prop("ipFilter", value=None)),
            "ipFilter is not set, so any network can reach it",
            stack=True,
        ),
        id="bucket-ip-filter-missing",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-ip-filter",
            on(
                "lau-images",
                set_prop("ipFilter", "publicNetworkSource", "allowedIpCidrRanges", value=["192.0.2.0/24"]),
            ),
            "admits 192.0.2.0/24 in ipFilter.publicNetworkSource.allowedIpCidrRanges, which is not a declared",
            stack=True,
        ),
        id="bucket-admits-undeclared-range",
    ),
    pytest.param(
        Case(
            "gcp-dns-query-logging",
            on("lau-network-dns-logging", set_prop("enableLogging", value=False)),
            "has enableLogging off",
            stack=True,
        ),
        id="dns-logging-off",
    ),
    pytest.param(
        Case(
            "gcp-dns-query-logging",
            remove("lau-network-dns-logging"),
            "network 'lau-network' is not attached to a DNS policy with enableLogging true",
            stack=True,
        ),
        id="no-dns-policy",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_policy_rejects_mutation(policy_pack, case: Case):
    assert_rejected(policy_pack("lausanne", "update"), case)
