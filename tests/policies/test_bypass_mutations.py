"""Resources that did not come from our components and try to get around a control another way: each
is rejected by the control's policy (see ``mutation.py``); odd values are reported, never a crash."""

from __future__ import annotations

import json

import pytest

from tests.plans import site_plan
from tests.policies.mutation import Case, add_resource, assert_rejected, changes, on, set_prop

CONTROLS = (
    "ENC-07",
    "LOG-08",
    "LOG-09",
    "LOG-10",
    "NET-02",
    "NET-03",
    "NET-04",
    "NET-07",
    "NET-08",
    "IAM-05",
    "IAM-09",
    "ORG-02",
)
"""The controls this module holds (the catalogue's "tests" line is read from it)."""


LAU_NETWORK = "projects/chuv-imaging-lau/global/networks/lau-vpc"


def _decoy_log_bucket(resources):
    """Strip the image bucket's IP filter and usage logs, then make it look like an access-log bucket."""
    on("lau-images", changes(set_prop("ipFilter", value=None), set_prop("logging", value=None)))(resources)
    return add_resource(
        "gcp:storage/bucket:Bucket", "decoy", {"name": "decoy", "logging": {"logBucket": "chuv-imaging-lau-lau-images"}}
    )(resources)


CASES = [
    pytest.param(
        Case(
            "gcp-compute-firewall-ingress-allowlist",
            add_resource(
                "gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule",
                "open-door",
                {
                    "action": "allow",
                    "direction": "INGRESS",
                    "match": {"srcIpRanges": ["0.0.0.0/0"], "layer4Configs": [{"ipProtocol": "all"}]},
                    "enableLogging": False,
                },
            ),
            "sourceRanges contains 0.0.0.0/0: ingress from anywhere",
            also=frozenset({"gcp-compute-firewall-logging"}),
        ),
        id="firewall-policy-rule-open-ingress",
    ),
    pytest.param(
        Case(
            "gcp-compute-firewall-egress-allowlist",
            add_resource(
                "gcp:compute/networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules",
                "egress-policy",
                {
                    "rules": [
                        {
                            "action": "allow",
                            "direction": "EGRESS",
                            "priority": 100,
                            "enableLogging": True,
                            "targetServiceAccounts": ["lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com"],
                            "match": {
                                "destIpRanges": ["10.99.0.0/16"],
                                "layer4Configs": [{"ipProtocol": "tcp", "ports": ["443"]}],
                            },
                        }
                    ]
                },
            ),
            "rules[0]: destinationRanges 10.99.0.0/16 on TCP 443 is not a declared destination",
        ),
        id="firewall-policy-egress-to-undeclared",
    ),
    pytest.param(
        Case(
            "gcp-cloudrun-not-public",
            add_resource(
                "gcp:cloudrunv2/serviceIamPolicy:ServiceIamPolicy",
                "viewer-policy",
                {"policyData": json.dumps({"bindings": [{"role": "roles/run.invoker", "members": ["allUsers"]}]})},
            ),
            "member allUsers holds roles/run.invoker",
            also=frozenset({"gcp-iam-no-public-principals"}),
        ),
        id="cloud-run-iam-policy-all-users",
    ),
    pytest.param(
        Case(
            "gcp-cloudrun-not-public",
            add_resource("gcp:cloudrun/service:Service", "viewer-v1", {"location": "europe-west6", "metadata": {}}),
            "metadata.annotations['run.googleapis.com/ingress'] is unset (all)",
            also=frozenset({"gcp-viewer-no-public-address", "gcp-cloudrun-binary-authorization"}),
        ),
        id="cloud-run-v1-open-ingress",
    ),
    pytest.param(
        Case(
            "gcp-kms-key-use-service-agents-only",
            on("lau-images-agent-key", set_prop("role", value="roles/cloudkms.cryptoOperator")),
            "holds roles/cloudkms.cryptoOperator",
        ),
        id="agent-holds-operator",
    ),
    pytest.param(
        Case(
            "gcp-kms-key-use-service-agents-only",
            add_resource(
                "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
                "it-operators",
                {"cryptoKeyId": "k", "role": "roles/cloudkms.cryptoOperator", "member": "group:it@chuv.example"},
            ),
            "member group:it@chuv.example holds roles/cloudkms.cryptoOperator on a site key or key ring",
            also=frozenset({"gcp-iam-groups-not-users"}),  # the IT group is not a declared site group
        ),
        id="people-operate-keys",
    ),
    pytest.param(
        Case(
            "gcp-logging-no-security-exclusions",
            add_resource(
                "gcp:logging/projectExclusion:ProjectExclusion",
                "sly",
                {"filter": 'log_id("syslog") OR severity>=DEFAULT'},
            ),
            "it drops audit logs (owner-added",
        ),
        id="exclusion-that-matches-everything",
    ),
    pytest.param(
        Case(
            "gcp-logging-no-security-exclusions",
            add_resource("gcp:logging/organizationSink:OrganizationSink", "org-sink", {"interceptChildren": True}),
            "interceptChildren is true",
        ),
        id="organisation-sink-intercepts",
    ),
    pytest.param(
        Case(
            "gcp-logging-siem-export",
            on(
                "lau-logging-siem-sink",
                set_prop("filter", value='NOT (log_id("cloudaudit.googleapis.com/activity") OR vpc_flows)'),
            ),
            "filter does not select audit logs (owner-added",
            stack=True,
        ),
        id="siem-sink-negated-filter",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-ip-filter",
            _decoy_log_bucket,
            "bucket 'lau-images': ipFilter is not set",
            stack=True,
            # the decoy is a bucket too: unprotected, without soft delete (ENC-11)
            also=frozenset(
                {
                    "gcp-iam-effective-access-within-intent",
                    "gcp-iam-needed-grants-in-place",
                    "gcp-storage-bucket-keeps-contents",
                    "gcp-storage-bucket-usage-logs",
                    # the decoy may hold images, and no image detector watches it (LOG-12, LOG-16, LOG-17)
                    "gcp-monitoring-site-security-alerts",
                    "gcp-monitoring-unexpected-access-detectors",
                    "gcp-monitoring-baseline-detectors",
                }
            ),
        ),
        id="decoy-makes-images-look-like-a-log-bucket",
    ),
    pytest.param(
        Case(
            "gcp-orgpolicy-storage-public-access-prevention",
            on(
                "lau-project-storage.publicAccessPrevention",
                set_prop("name", value="projects/some-other-project/policies/storage.publicAccessPrevention"),
            ),
            "org policy storage.publicAccessPrevention is missing on the project chuv-imaging-lau",
            stack=True,
        ),
        id="guard-rail-on-another-project",
    ),
    pytest.param(
        Case(
            "gcp-compute-network-custom-mode",
            add_resource(
                "gcp:compute/route:Route",
                "half-internet",
                {"network": LAU_NETWORK, "destRange": "0.0.0.0/1", "nextHopGateway": "default-internet-gateway"},
            ),
            "destRange 0.0.0.0/1 through nextHopGateway is a route to the internet",
        ),
        id="route-to-half-the-internet",
    ),
    pytest.param(
        Case(
            "gcp-serviceaccount-no-user-managed-keys",
            add_resource(
                "gcp:storage/hmacKey:HmacKey",
                "viewer-hmac",
                {"serviceAccountEmail": "lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com"},
            ),
            "an HMAC key is a long-lived secret",
        ),
        id="hmac-key",
    ),
    pytest.param(
        Case(
            "gcp-compute-edge-cloud-armor",
            add_resource(
                "gcp:compute/securityPolicy:SecurityPolicy",
                "lenient",
                {
                    "rules": [
                        {"action": "allow", "priority": 10, "match": {"expr": {"expression": "true"}}},
                        {
                            "action": "deny(403)",
                            "priority": 2147483647,
                            "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}},
                        },
                    ]
                },
            ),
            "rules[0] (allow) matches by expression, not by source range",
        ),
        id="armor-allows-by-expression",
    ),
    pytest.param(
        Case(
            "gcp-logging-bucket-locked-retention",
            on("lau-logging-bucket", set_prop("retentionDays", value="3650")),
            "LOG-09 could not read the resource's settings",
        ),
        id="retention-as-text-is-reported-not-a-crash",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_policy_rejects_mutation(policy_pack, case: Case):
    assert_rejected(policy_pack("lausanne", "update"), case)


def test_a_policy_document_with_null_members_is_judged_not_a_crash(policy_pack):
    resources = site_plan("lausanne", "update")
    document = add_resource(
        "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
        "empty-policy",
        {
            "bucket": "b",
            "policyData": json.dumps({"bindings": [{"role": "roles/storage.objectViewer", "members": None}]}),
        },
    )(resources)
    assert policy_pack("lausanne", "update").analyze(document) == []
