"""Log-management policies against the Lausanne site's real plan: one named mutation per case is
rejected with a message that names the property and the fix (see ``mutation.py``)."""

from __future__ import annotations

import pytest

from components.alert_catalogue import SECURITY_LOG_FAMILIES
from preflight.engine.gcp_model import project_number
from preflight.engine.runner import UNKNOWN
from tests.plans import site_plan
from tests.policies.mutation import Case, add_resource, assert_rejected, on, remove, set_prop

CONTROLS = ("ENC-09", "LOG-01", "LOG-05", "LOG-07", "LOG-08", "LOG-09", "LOG-10", "LOG-11", "LOG-12", "LOG-14")
"""The controls this module holds (the catalogue's "tests" line is read from it)."""


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
    # LOG-08: the SIEM sink without its own writer identity writes as the identity every project's such sinks
    # share, and the publisher grant follows it: any project's sink can then publish into the SIEM topic. An
    # engineer copying an old sink definition (the legacy default), or an insider opening the topic, writes it.
    pytest.param(
        Case(
            "gcp-logging-siem-export",
            on("lau-logging-siem-sink", set_prop("uniqueWriterIdentity", value=False)),
            "has uniqueWriterIdentity false",
            stack=True,
        ),
        id="siem-sink-writes-as-the-shared-identity",
    ),
    # LOG-08: the SIEM sink writes as a service account of the project; whoever can act as it (the deployer, a
    # workload) can publish forged security entries. An insider wanting to feed the SOC, or an engineer reusing
    # a cross-project sink recipe, writes it.
    pytest.param(
        Case(
            "gcp-logging-siem-export",
            on(
                "lau-logging-siem-sink",
                set_prop(
                    "customWriterIdentity", value="serviceAccount:lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com"
                ),
            ),
            "writes as customWriterIdentity",
            stack=True,
        ),
        id="siem-sink-writes-as-a-service-account",
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
            "gcp-monitoring-site-security-alerts",
            on("lau-alerts-image-read-spike", set_prop("project", value="chuv-imaging-sandbox")),
            "metric 'lau-alerts-image-read-spike' project is chuv-imaging-sandbox, not the site project",
            stack=True,
            also=frozenset({"gcp-monitoring-baseline-detectors"}),  # the read baselines watch the same metric
        ),
        id="read-spike-metric-in-sandbox",
    ),  # LOG-12, the metric's own scope: created in the sandbox "to try it"; the site's spike alert watches a
    # metric that does not exist in the site project, so no burst of reads is ever counted
    pytest.param(
        Case(
            "gcp-monitoring-site-security-alerts",
            on(
                "lau-alerts-image-read-spike",
                set_prop("valueExtractor", value="EXTRACT(protoPayload.metadata.responseSize)"),
            ),
            "metric 'lau-alerts-image-read-spike' has a valueExtractor",
            stack=True,
            also=frozenset({"gcp-monitoring-baseline-detectors"}),  # the read baselines watch the same metric
        ),
        id="read-spike-metric-measures-sizes",
    ),  # LOG-12, what the metric counts: "track the bytes too" turns the count of reads into a distribution of
    # response sizes, which the spike's counting aligner no longer adds up as reads
    pytest.param(
        Case(
            "gcp-monitoring-cis-security-alerts",
            on("lau-alerts-firewall", set_prop("metricDescriptor", "valueType", value="DOUBLE")),
            "metric 'lau-alerts-firewall' metricDescriptor.valueType is DOUBLE",
            stack=True,
        ),
        id="firewall-change-metric-not-a-count",
    ),  # LOG-11, what the metric counts: a descriptor copied from a latency metric; the alert's count of firewall
    # changes is no longer what the metric holds
    pytest.param(
        Case(
            "gcp-monitoring-security-alerts-notify",
            on(
                "lau-alerts-image-read-spike-alert",
                set_prop(
                    "conditions",
                    0,
                    "conditionThreshold",
                    "aggregations",
                    0,
                    "groupByFields",
                    value=["metric.label.principal", "resource.label.bucket_name"],
                ),
            ),
            "groupByFields holds resource.label.bucket_name",
            stack=True,
        ),
        id="read-spike-split-by-bucket",
    ),  # LOG-14, the spike's grouping: "per principal and bucket" looks finer; a principal copying 600 studies from
    # each of two buckets stays under a threshold of 1000 in each series
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


SPIKE_FILTER = 'metric.type="logging.googleapis.com/user/lau-image-read-spike"'
SPIKE_CONDITION_FILTER = ("conditions", 0, "conditionThreshold", "filter")

LOG_14_FILTERS = [
    pytest.param(
        Case(
            "gcp-monitoring-security-alerts-notify",
            on(
                "lau-alerts-image-read-spike-alert",
                set_prop(
                    *SPIKE_CONDITION_FILTER, value=SPIKE_FILTER + ' AND metric.label.principal="nobody@chuv.example"'
                ),
            ),
            "conditions[0].conditionThreshold.filter is",
            stack=True,
        ),
        id="read-spike-alert-watches-nobody",
    ),  # LOG-12 alert judged by LOG-14, the alert's whole filter: "only the principal we were worried about";
    # every other principal's burst is filtered out of the condition
]


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("case", LOG_14_FILTERS)
def test_an_alert_filter_narrower_than_its_metric_is_rejected(policy_pack, case: Case, mode: str):
    """The threshold filter is read whole, not only for the metric's name (LOG-14's policy judges it)."""
    assert_rejected(policy_pack("lausanne", mode), case, mode)


def test_a_spike_alert_on_the_reads_resource_type_passes(policy_pack):
    """The console's form, the metric AND the monitored resource of the reads (gcs_bucket): every series kept."""
    resources = site_plan("lausanne", "update")
    on(
        "lau-alerts-image-read-spike-alert",
        set_prop(*SPIKE_CONDITION_FILTER, value=SPIKE_FILTER + ' AND resource.type="gcs_bucket"'),
    )(resources)
    found = [d for d in policy_pack("lausanne", "update").analyze_stack(resources) if d.level == "mandatory"]
    assert not found, [(d.policy, d.message) for d in found]


def test_an_unknown_spike_filter_is_not_taken_for_another_alert_in_preview(policy_pack):
    """The usual pattern builds the filter from metric.name: unknown in a first preview, it is not judged, and the
    other alerts are not mistaken for the spike's."""
    resources = site_plan("lausanne", "preview")
    on("lau-alerts-image-read-spike-alert", set_prop(*SPIKE_CONDITION_FILTER, value=UNKNOWN))(resources)
    found = policy_pack("lausanne", "preview").analyze_stack(resources)
    assert not [d for d in found if d.level == "mandatory"], [(d.policy, d.message) for d in found]
    assert "gcp-monitoring-site-security-alerts" in {d.policy for d in found if d.skipped_in_preview}
