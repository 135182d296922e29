"""Log-management policies against the Lausanne site's real plan: one named mutation per case is
rejected with a message that names the property and the fix (see ``mutation.py``)."""

from __future__ import annotations

import pytest

from components.alerts import SECURITY_LOG_FAMILIES
from preflight.engine.gcp_model import project_number
from tests.policies.mutation import Case, add_resource, assert_rejected, on, remove, set_prop

WITHOUT_FLOWS = " OR ".join(f"({term})" for family, term in SECURITY_LOG_FAMILIES.items() if family != "vpc-flows")
LAU_WRITER = f"serviceAccount:service-{project_number('chuv-imaging-lau')}@gcp-sa-logging.iam.gserviceaccount.com"

CASES = [
    pytest.param(
        Case(
            "gcp-audit-config-no-exemptions",
            on(
                "lau-logging-audit",
                set_prop("auditLogConfigs", value=[{"logType": "ADMIN_READ"}, {"logType": "DATA_WRITE"}]),
            ),
            "auditLogConfigs for allServices lacks DATA_READ",
        ),
        id="audit-config-missing-data-read",
    ),
    pytest.param(
        Case(
            "gcp-audit-config-no-exemptions",
            on(
                "lau-logging-audit",
                set_prop(
                    "auditLogConfigs",
                    value=[
                        {"logType": "ADMIN_READ"},
                        {"logType": "DATA_READ", "exemptedMembers": ["group:pacs-admins@chuv.example"]},
                        {"logType": "DATA_WRITE"},
                    ],
                ),
            ),
            "auditLogConfigs[1].exemptedMembers exempts group:pacs-admins@chuv.example from DATA_READ",
        ),
        id="audit-config-exempts-a-group",
    ),
    pytest.param(
        Case(
            "gcp-project-data-access-audit-logs",
            remove("lau-logging-audit"),
            "no audit config for allServices with ADMIN_READ, DATA_READ and DATA_WRITE",
            stack=True,
        ),
        id="no-audit-config",
    ),
    pytest.param(
        Case(
            "gcp-logging-bucket-locked-retention",
            on("lau-logging-bucket", set_prop("locked", value=False)),
            "locked is not true",
        ),
        id="log-bucket-unlocked",
    ),
    pytest.param(
        Case(
            "gcp-logging-bucket-locked-retention",
            on("lau-logging-bucket", set_prop("retentionDays", value=365)),
            "retentionDays is 365; keep security logs at least 2190 days",
        ),
        id="log-bucket-one-year",
    ),
    pytest.param(
        Case(
            "gcp-logging-storage-cmek",
            on("lau-logging-bucket", set_prop("cmekSettings", value=None)),
            "cmekSettings.kmsKeyName is not set",
        ),
        id="log-bucket-without-cmek",
    ),
    pytest.param(
        Case(
            "gcp-logging-storage-cmek",
            on("lau-logging-siem", set_prop("kmsKeyName", value=None)),
            "kmsKeyName is not set",
        ),
        id="siem-topic-without-cmek",
    ),
    pytest.param(
        Case(
            "gcp-logging-bucket-receives-security-logs",
            remove("lau-logging-retention-sink"),
            "no enabled sink routes every security log family into log bucket 'lau-logging-bucket'",
            stack=True,
        ),
        id="log-bucket-receives-nothing",
    ),
    pytest.param(
        Case(
            "gcp-logging-siem-export",
            on("lau-logging-siem-sink", set_prop("disabled", value=True)),
            "sink 'lau-logging-siem-sink' is disabled",
            stack=True,
        ),
        id="siem-sink-disabled",
    ),
    pytest.param(
        Case(
            "gcp-logging-siem-export",
            on("lau-logging-siem-sink", set_prop("filter", value=WITHOUT_FLOWS)),
            "filter does not select VPC flow logs",
            stack=True,
        ),
        id="siem-sink-without-flow-logs",
    ),
    pytest.param(
        Case(
            "gcp-logging-siem-export",
            remove("lau-logging-siem-publisher"),
            "has no roles/pubsub.publisher on its topic",
            stack=True,
            also=frozenset({"gcp-iam-needed-grants-in-place"}),  # the effective access (IAM-10/IAM-11) sees it too
        ),
        id="siem-writer-not-granted",
    ),
    pytest.param(
        Case(
            "gcp-logging-siem-export",
            add_resource(
                "gcp:pubsub/topicIAMMember:TopicIAMMember",
                "siem-writer-editor",
                {"topic": "lau-siem-export", "role": "roles/pubsub.editor", "member": LAU_WRITER},
            ),
            "also holds roles/pubsub.editor",
            stack=True,
            also=frozenset(
                {"gcp-iam-effective-access-within-intent"}
            ),  # the effective access (IAM-10/IAM-11) sees it too
        ),
        id="siem-writer-holds-more",
    ),
    pytest.param(
        Case(
            "gcp-logging-no-security-exclusions",
            add_resource(
                "gcp:logging/projectExclusion:ProjectExclusion",
                "quiet-reads",
                {"filter": 'log_id("cloudaudit.googleapis.com/data_access")'},
            ),
            "it drops audit logs (key-used-to-decrypt, sinks-listed",
        ),
        id="exclusion-of-audit-logs",
    ),
    pytest.param(
        Case(
            "gcp-logging-no-security-exclusions",
            add_resource("gcp:logging/projectExclusion:ProjectExclusion", "quiet", {"filter": "severity<WARNING"}),
            "it drops audit logs (owner-added",
        ),
        id="exclusion-by-severity",
    ),
    pytest.param(
        Case(
            "gcp-logging-no-security-exclusions",
            on(
                "lau-logging-siem-sink",
                set_prop(
                    "exclusions", value=[{"name": "no-dns", "filter": 'log_id("dns.googleapis.com/dns_queries")'}]
                ),
            ),
            "exclusions[0] drops logs from this sink: it drops DNS query logs (dns-query)",
        ),
        id="sink-excludes-dns",
    ),
    pytest.param(
        Case(
            "gcp-monitoring-cis-security-alerts",
            remove("lau-alerts-firewall-alert"),
            "nothing alerts on VPC firewall rule changes (CIS 2.7): missing an enabled AlertPolicy on it",
            stack=True,
        ),
        id="firewall-alert-removed",
    ),
    pytest.param(
        Case(
            "gcp-monitoring-cis-security-alerts",
            on("lau-alerts-bucket-iam-alert", set_prop("enabled", value=False)),
            "alert policy 'lau-alerts-bucket-iam-alert' on Cloud Storage IAM changes (CIS 2.10) is disabled",
            stack=True,
        ),
        id="bucket-iam-alert-disabled",
    ),
    pytest.param(
        Case(
            "gcp-monitoring-site-security-alerts",
            on("lau-alerts-kms-key-disabled-alert", set_prop("notificationChannels", value=None)),
            "alert policy 'lau-alerts-kms-key-disabled-alert' on KMS key version disable or destroy has no "
            "notificationChannels",
            stack=True,
        ),
        id="kms-alert-without-channel",
    ),
    pytest.param(
        Case(
            "gcp-monitoring-site-security-alerts",
            remove("lau-alerts-image-read-spike"),
            "nothing alerts on spikes of image reads by one principal: missing a logging Metric whose filter selects "
            "image-read",
            stack=True,
            also=frozenset({"gcp-monitoring-baseline-detectors"}),  # the read baselines watch the same metric
        ),
        id="read-spike-metric-removed",
    ),
    pytest.param(
        Case(
            "gcp-compute-backend-request-logs",
            add_resource(
                "gcp:compute/backendService:BackendService",
                "viewer-backend",
                {"protocol": "HTTPS", "loadBalancingScheme": "INTERNAL_MANAGED", "logConfig": {"enable": False}},
            ),
            "logConfig.enable is not true",
        ),
        id="backend-logging-off",
    ),
    pytest.param(
        Case(
            "gcp-compute-backend-request-logs",
            add_resource(
                "gcp:compute/backendService:BackendService",
                "viewer-backend",
                {
                    "protocol": "HTTPS",
                    "loadBalancingScheme": "INTERNAL_MANAGED",
                    "logConfig": {"enable": True, "sampleRate": 0.1},
                },
            ),
            "logConfig.sampleRate is 0.1",
        ),
        id="backend-logs-sampled",
    ),
    pytest.param(
        Case(
            "gcp-compute-nat-logs-all",
            add_resource(
                "gcp:compute/routerNat:RouterNat", "nat", {"logConfig": {"enable": True, "filter": "ERRORS_ONLY"}}
            ),
            "filter='ERRORS_ONLY'",
        ),
        id="nat-logs-errors-only",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_policy_rejects_mutation(policy_pack, case: Case):
    assert_rejected(policy_pack("lausanne", "update"), case)
