"""The logging and monitoring policies as a guard (issue 12, item 3): equality with what the site declares.

Each rejected case is one change a real user could make to the Lausanne site's real plan, run through
the real pack process (``mutation.py``): the SIEM export redirected or narrowed, security logs copied
to an undeclared destination, exclusions that drop security entries however the filter is written,
audit exemptions in any resource that carries them, alerts whose filters no longer select their events
or whose channels reach nobody the site declares. Filters are judged by the sample entries they select
(``imaging_policies.log_samples``), so each legitimate variant (another spelling of the same filter, an
application-log sink, a debug-only exclusion) must pass with zero findings.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from imaging_policies import tokens
from imaging_policies.log_samples import FAMILIES, IMAGES, SAMPLES, for_site, security
from imaging_policies.logquery import matches
from imaging_policies.monitoring import REQUIRED_ALERTS

from components import naming
from components.alerts import SECURITY_ALERTS, SECURITY_LOG_FAMILIES, SECURITY_LOGS_FILTER
from components.logs import log_bucket_id
from preflight.engine import stacks
from preflight.engine.runner import UNKNOWN, Resource
from preflight.engine.stacks import PROJECT as PULUMI_PROJECT
from preflight.judge import analyzer
from tests.conftest import SITES, by_name, site_plan
from tests.policies.mutation import Case, Mutation, add_resource, assert_rejected, changes, on, remove, set_prop

SIEM = "gcp-logging-siem-export"
EXCLUSIONS = "gcp-logging-no-security-exclusions"
AUDIT = "gcp-audit-config-no-exemptions"
CIS_ALERTS = "gcp-monitoring-cis-security-alerts"
SITE_ALERTS = "gcp-monitoring-site-security-alerts"

PROJECT = "chuv-imaging-lau"
LAU_SIEM = f"pubsub.googleapis.com/projects/{PROJECT}/topics/lau-siem-export"
LAU_BUCKET = f"logging.googleapis.com/projects/{PROJECT}/locations/europe-west6/buckets/lau-security-logs"
AUDIT_TYPES = [{"logType": "ADMIN_READ"}, {"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}]


def _sink(type_: str, name: str, destination: str, log_filter: str | None, **extra: object) -> Mutation:
    inputs: dict[str, object] = {"name": name, "destination": destination, **extra}
    if log_filter is not None:
        inputs["filter"] = log_filter
    return add_resource(type_, name, inputs)


def _policy_document(exempted: str) -> str:
    return json.dumps(
        {
            "bindings": [],
            "auditConfigs": [
                {
                    "service": "allServices",
                    "auditLogConfigs": [
                        {"logType": "ADMIN_READ"},
                        {"logType": "DATA_READ", "exemptedMembers": [exempted]},
                        {"logType": "DATA_WRITE"},
                    ],
                }
            ],
        }
    )


def _drop_property_dependency(key: str) -> Callable[[Resource], None]:
    def change(r: Resource) -> None:
        r.property_dependencies.pop(key, None)

    return change


def _channels(*names: str) -> Callable[[Resource], None]:
    """Point an alert policy at other channels: the values and the references they were computed from."""
    return changes(
        set_prop("notificationChannels", value=list(names)), _drop_property_dependency("notificationChannels")
    )


def _rerouted_to_new_channel(policy: str, email: str) -> Mutation:
    """Add an email channel to ``email`` and make it the alert policy's only channel (value and reference)."""
    name = f"projects/{PROJECT}/notificationChannels/7"

    def mutate(resources: list[Resource]) -> Resource:
        channel = add_resource(
            tokens.NOTIFICATION_CHANNEL, "extra", {"type": "email", "name": name, "labels": {"email_address": email}}
        )(resources)
        target = by_name(resources, policy)
        set_prop("notificationChannels", value=[name])(target)
        target.property_dependencies["notificationChannels"] = [channel.urn]
        return target

    return mutate


def _app_log_bucket(resources: list[Resource]) -> Resource:
    """A 30-day, unlocked log bucket under the site's logs key (copied from the security-log bucket)."""
    key = by_name(resources, "lau-logging-bucket").inputs["cmekSettings"]
    inputs = {"project": PROJECT, "location": "europe-west6", "bucketId": "lau-app-logs", "retentionDays": 30.0}
    return add_resource(tokens.PROJECT_BUCKET_CONFIG, "lau-app-log-bucket", {**inputs, "cmekSettings": key})(resources)


def _both(first: Mutation, second: Mutation) -> Mutation:
    """Two additions as one mutation; the second is the target."""

    def mutate(resources: list[Resource]) -> Resource:
        first(resources)
        return second(resources)

    return mutate


REJECTED = [
    # --- LOG-08: the SIEM export goes to the declared destination, unnarrowed -----------------------------
    pytest.param(
        # Someone "moves" the export to a topic in a shared project: the SIEM no longer receives anything.
        Case(
            SIEM,
            on(
                "lau-logging-siem-sink",
                set_prop("destination", value="pubsub.googleapis.com/projects/shared-ops/topics/x"),
            ),
            f"no sink exports the security logs to the declared SIEM destination {LAU_SIEM}",
            stack=True,
        ),
        id="siem-sink-redirected-to-another-projects-topic",
    ),
    pytest.param(
        # Image reads are the loudest audit entries; excluding them "to save SIEM licence costs" hides exfiltration.
        Case(
            SIEM,
            on(
                "lau-logging-siem-sink",
                set_prop(
                    "filter", value=f'{SECURITY_LOGS_FILTER} AND NOT protoPayload.methodName="storage.objects.get"'
                ),
            ),
            "filter does not select audit logs (image-read)",
            stack=True,
        ),
        id="siem-filter-drops-image-reads-with-not",
    ),
    pytest.param(
        # "Only what matters": a severity floor silently drops every Data Access entry (INFO) and flow log.
        Case(
            SIEM,
            on("lau-logging-siem-sink", set_prop("filter", value=f"({SECURITY_LOGS_FILTER}) AND severity>=WARNING")),
            "VPC flow logs (vpc-flow)",
            stack=True,
        ),
        id="siem-filter-severity-floor",
    ),
    pytest.param(
        # '-' as NOT is valid Logging syntax the pack does not read: it cannot show the filter keeps the logs.
        Case(
            SIEM,
            on(
                "lau-logging-siem-sink",
                set_prop("filter", value=f'({SECURITY_LOGS_FILTER}) -resource.type="gce_subnetwork"'),
            ),
            "cannot be read by the pack",
            stack=True,
        ),
        id="siem-filter-unreadable-dash-negation",
    ),
    pytest.param(
        # An analytics team copies Data Access logs (who read which study) into its own BigQuery dataset.
        Case(
            SIEM,
            _sink(
                "gcp:logging/projectSink:ProjectSink",
                "audit-to-analytics",
                "bigquery.googleapis.com/projects/chuv-analytics/datasets/audit",
                'log_id("cloudaudit.googleapis.com/data_access")',
            ),
            "to bigquery.googleapis.com/projects/chuv-analytics/datasets/audit, which the site does not declare",
            stack=True,
        ),
        id="extra-sink-copies-data-access-to-bigquery",
    ),
    pytest.param(
        # An organisation archive sink without a filter takes every log of every project, the site's included.
        Case(
            SIEM,
            _sink(
                "gcp:logging/organizationSink:OrganizationSink",
                "org-archive",
                "storage.googleapis.com/chuv-org-archive",
                None,
                orgId="123456789012",
                includeChildren=True,
            ),
            "to storage.googleapis.com/chuv-org-archive, which the site does not declare",
            stack=True,
        ),
        id="organization-sink-without-filter",
    ),
    pytest.param(
        # A network partner asks for flow logs "for troubleshooting" through a folder sink to its topic.
        Case(
            SIEM,
            _sink(
                "gcp:logging/folderSink:FolderSink",
                "flows-to-partner",
                "pubsub.googleapis.com/projects/partner-noc/topics/flows",
                'log_id("compute.googleapis.com/vpc_flows")',
                folder="folders/4711",
                includeChildren=True,
            ),
            "exports VPC flow logs (vpc-flow)",
            stack=True,
        ),
        id="folder-sink-sends-flow-logs-to-partner",
    ),
    pytest.param(
        # An application sink that "also takes errors": the VPC-SC denial of an image read is an ERROR.
        Case(
            SIEM,
            _sink(
                "gcp:logging/projectSink:ProjectSink",
                "app-logs",
                "logging.googleapis.com/projects/chuv-apps/locations/europe-west6/buckets/apps",
                'resource.type="cloud_run_revision" OR severity>=ERROR',
            ),
            "exports audit logs (image-read-denied-by-vpc-sc)",
            stack=True,
        ),
        id="app-sink-also-takes-errors",
    ),
    pytest.param(
        # SEARCH() is valid Logging syntax the pack does not evaluate: it cannot show the sink carries no audit log.
        Case(
            SIEM,
            _sink(
                "gcp:logging/projectSink:ProjectSink",
                "viewer-logs",
                "logging.googleapis.com/projects/chuv-apps/locations/europe-west6/buckets/apps",
                'SEARCH("lau-viewer")',
            ),
            "its filter cannot be read by the pack (function SEARCH() is not supported)",
            stack=True,
        ),
        id="extra-sink-with-unreadable-filter",
    ),
    pytest.param(
        # Linking the locked bucket to BigQuery makes a copy readable outside the bucket's own access.
        Case(
            SIEM,
            add_resource(
                "gcp:logging/linkedDataset:LinkedDataset",
                "security-logs-bq",
                {
                    "linkId": "security_logs",
                    "bucket": f"projects/{PROJECT}/locations/europe-west6/buckets/lau-security-logs",
                    "location": "europe-west6",
                },
            ),
            "linked dataset 'security-logs-bq' exposes the locked security-log bucket",
            stack=True,
        ),
        id="linked-dataset-on-security-log-bucket",
    ),
    # --- LOG-09: the declared security-log bucket is the one that keeps them --------------------------------
    pytest.param(
        # The locked bucket recreated in a cheaper region: the site's logs must stay in the site's region.
        Case(
            "gcp-logging-bucket-receives-security-logs",
            on("lau-logging-bucket", set_prop("location", value="us-central1")),
            f"the stack has no log bucket {LAU_BUCKET}",
            stack=True,
        ),
        id="security-log-bucket-in-another-region",
    ),
    pytest.param(
        # The application bucket (30 days, unlocked) also fed the audit logs "to have everything in one place".
        Case(
            SIEM,
            _both(
                _app_log_bucket,
                _sink(
                    tokens.PROJECT_SINK,
                    "lau-app-log-sink",
                    f"logging.googleapis.com/projects/{PROJECT}/locations/europe-west6/buckets/lau-app-logs",
                    'resource.type="cloud_run_revision" OR log_id("cloudaudit.googleapis.com/activity")',
                ),
            ),
            "/buckets/lau-app-logs, which the site does not declare",
            stack=True,
        ),
        id="application-log-bucket-fed-audit-logs",
    ),
    # --- LOG-10: no exclusion drops a security entry, however it is written ------------------------------
    pytest.param(
        # "GCS read logs cost too much": the exclusion never names a log, it still drops every image read.
        Case(
            EXCLUSIONS,
            add_resource(
                "gcp:logging/projectExclusion:ProjectExclusion",
                "quiet-gcs-reads",
                {"filter": 'resource.type="gcs_bucket" AND protoPayload.methodName="storage.objects.get"'},
            ),
            "it drops audit logs (image-read)",
        ),
        id="exclusion-of-image-reads-by-method",
    ),
    pytest.param(
        # Quieting the viewer's own service account hides every read it makes on behalf of a user.
        Case(
            EXCLUSIONS,
            add_resource(
                "gcp:logging/projectExclusion:ProjectExclusion",
                "quiet-viewer",
                {"filter": 'protoPayload.authenticationInfo.principalEmail:"viewer-backend@"'},
            ),
            # judged as the viewer's own entries of every kind (log_filters.select), not only the sample reads
            "it drops audit logs (owner-added",
        ),
        id="exclusion-of-the-viewers-principal",
    ),
    pytest.param(
        # "Debug and below" includes DEFAULT, the severity of every VPC flow log entry.
        Case(
            EXCLUSIONS,
            add_resource("gcp:logging/projectExclusion:ProjectExclusion", "no-debug", {"filter": "severity<=DEBUG"}),
            "it drops VPC flow logs (vpc-flow)",
        ),
        id="exclusion-of-debug-and-below-drops-flow-logs",
    ),
    pytest.param(
        # A folder-level exclusion applies to the site project too.
        Case(
            EXCLUSIONS,
            add_resource(
                "gcp:logging/folderExclusion:FolderExclusion",
                "no-lb-logs",
                {"folder": "folders/4711", "filter": 'resource.type="http_load_balancer" AND httpRequest.status<400'},
            ),
            "it drops load balancer request logs (lb-request)",
        ),
        id="folder-exclusion-of-successful-lb-requests",
    ),
    pytest.param(
        # Managing the _Default sink in the stack, with an exclusion "for DNS noise".
        Case(
            EXCLUSIONS,
            _sink(
                "gcp:logging/projectSink:ProjectSink",
                "default-sink",
                f"logging.googleapis.com/projects/{PROJECT}/locations/global/buckets/_Default",
                None,
                exclusions=[{"name": "dns-noise", "filter": 'resource.type="dns_query"'}],
            ),
            "exclusions[0] drops logs from this sink: it drops DNS query logs (dns-query)",
        ),
        id="default-sink-exclusion-of-dns",
    ),
    pytest.param(
        # An unreadable exclusion cannot be shown to keep the security logs.
        Case(
            EXCLUSIONS,
            add_resource(
                "gcp:logging/projectExclusion:ProjectExclusion",
                "sampled",
                {"filter": 'resource.type="gcs_bucket" AND sample(insertId, 0.5)'},
            ),
            "the pack cannot read its filter",
        ),
        id="exclusion-with-sample-function",
    ),
    # --- LOG-01: audit exemptions wherever they can be set -----------------------------------------------
    pytest.param(
        # An authoritative project policy document carries its own auditConfigs, with an exemption.
        Case(
            AUDIT,
            add_resource(
                "gcp:projects/iAMPolicy:IAMPolicy",
                "project-policy",
                {"project": PROJECT, "policyData": _policy_document("user:a.martin@chuv.example")},
            ),
            "policyData.auditConfigs[0].auditLogConfigs[1].exemptedMembers exempts user:a.martin@chuv.example",
        ),
        id="project-policy-document-exempts-a-user",
    ),
    pytest.param(
        # An authoritative project policy "to clean up grants" replaces the project's audit configs too.
        Case(
            AUDIT,
            add_resource(
                "gcp:projects/iAMPolicy:IAMPolicy",
                "project-policy",
                {"project": PROJECT, "policyData": json.dumps({"bindings": []})},
            ),
            "policyData has no auditConfigs entry for allServices with ADMIN_READ, DATA_READ and DATA_WRITE",
        ),
        id="project-policy-document-drops-audit-configs",
    ),
    pytest.param(
        # The same in the folder's policy document: the site project inherits it.
        Case(
            AUDIT,
            add_resource(
                "gcp:folder/iAMPolicy:IAMPolicy",
                "folder-policy",
                {"folder": "folders/4711", "policyData": _policy_document("group:pacs-admins@chuv.example")},
            ),
            "exempts group:pacs-admins@chuv.example from DATA_READ",
        ),
        id="folder-policy-document-exempts-a-group",
    ),
    pytest.param(
        # An organisation-level audit config exempting the backup service account from data reads.
        Case(
            AUDIT,
            add_resource(
                "gcp:organizations/iamAuditConfig:IamAuditConfig",
                "org-audit",
                {
                    "orgId": "123456789012",
                    "service": "storage.googleapis.com",
                    "auditLogConfigs": [
                        {
                            "logType": "DATA_READ",
                            "exemptedMembers": ["serviceAccount:backup@chuv-ops.iam.gserviceaccount.com"],
                        }
                    ],
                },
            ),
            "exempts serviceAccount:backup@chuv-ops.iam.gserviceaccount.com from DATA_READ audit logs of "
            "storage.googleapis.com",
        ),
        id="organization-audit-config-exempts-backup-account",
    ),
    # --- LOG-11, LOG-12: alerts select their events and reach a declared, enabled channel ------------------
    pytest.param(
        # The firewall metric rewritten to count only insertions: patches and deletions go unnoticed.
        Case(
            CIS_ALERTS,
            on(
                "lau-alerts-firewall",
                set_prop(
                    "filter",
                    value='resource.type="gce_firewall_rule" AND protoPayload.methodName:"compute.firewalls.insert"',
                ),
            ),
            "metric 'lau-alerts-firewall' no longer selects firewall-patched-beta, firewall-deleted",
            stack=True,
        ),
        id="firewall-metric-counts-insertions-only",
    ),
    pytest.param(
        # The key alert rewritten to destruction only: disabling a version (same effect on images) is missed.
        Case(
            SITE_ALERTS,
            on(
                "lau-alerts-kms-key-disabled",
                set_prop(
                    "filter",
                    value='protoPayload.serviceName="cloudkms.googleapis.com" AND '
                    'protoPayload.methodName="DestroyCryptoKeyVersion"',
                ),
            ),
            "nothing alerts on KMS key version disable or destroy",
            stack=True,
        ),
        id="kms-metric-misses-disable",
    ),
    pytest.param(
        # The SOC's email channel muted during a holiday and never turned back on.
        Case(
            CIS_ALERTS,
            on("lau-alerts-email-soc", set_prop("enabled", value=False)),
            "notification channel 'lau-alerts-email-soc', used by alert policy",
            stack=True,
            # the anomaly detectors notify the same channel (LOG-16, LOG-17)
            also=frozenset(
                {SITE_ALERTS, "gcp-monitoring-unexpected-access-detectors", "gcp-monitoring-baseline-detectors"}
            ),
        ),
        id="soc-channel-disabled",
    ),
    pytest.param(
        # The ownership alert pointed at a channel of another project that the site does not declare.
        Case(
            CIS_ALERTS,
            on("lau-alerts-project-ownership-alert", _channels("projects/shared-ops/notificationChannels/99")),
            "notifies only projects/shared-ops/notificationChannels/99, none of them an enabled channel the site "
            "declares",
            stack=True,
        ),
        id="ownership-alert-to-undeclared-channel",
    ),
    pytest.param(
        # A new email channel in the stack, to an address the site does not declare, replaces the SOC's.
        Case(
            SITE_ALERTS,
            _rerouted_to_new_channel("lau-alerts-org-policy-alert", "contractor@example.net"),
            "notifies only projects/chuv-imaging-lau/notificationChannels/7, none of them an enabled channel",
            stack=True,
        ),
        id="org-policy-alert-to-undeclared-email",
    ),
    pytest.param(
        # The image-read-spike alert policy switched off "because it fires during migrations".
        Case(
            SITE_ALERTS,
            on("lau-alerts-image-read-spike-alert", set_prop("enabled", value=False)),
            "alert policy 'lau-alerts-image-read-spike-alert' on spikes of image reads by one principal is disabled",
            stack=True,
        ),
        id="read-spike-alert-disabled",
    ),
]


@pytest.mark.parametrize("case", REJECTED)
def test_guard_rejects(policy_pack, case: Case) -> None:
    assert_rejected(policy_pack("lausanne", "update"), case)


LEGITIMATE = [
    pytest.param(
        # An application-log sink to the apps team's bucket: its filter selects no security entry.
        [
            _sink(
                "gcp:logging/projectSink:ProjectSink",
                "app-logs",
                "logging.googleapis.com/projects/chuv-apps/locations/europe-west6/buckets/apps",
                'resource.type="cloud_run_revision" AND log_id("run.googleapis.com/stdout")',
                exclusions=[{"name": "no-audit", "filter": 'log_id("cloudaudit.googleapis.com/data_access")'}],
            )
        ],
        id="application-log-sink-with-its-own-exclusion",
    ),
    pytest.param(
        # Sinks that never see the site project's logs: the organisation's own logs (no includeChildren), the
        # audit logs of another project, and a billing account's logs.
        [
            _sink(
                "gcp:logging/organizationSink:OrganizationSink",
                "org-own-logs",
                "storage.googleapis.com/chuv-org-archive",
                None,
                orgId="123456789012",
            ),
            _sink(
                "gcp:logging/projectSink:ProjectSink",
                "apps-audit",
                "bigquery.googleapis.com/projects/chuv-apps/datasets/audit",
                'log_id("cloudaudit.googleapis.com/data_access")',
                project="chuv-apps",
            ),
            _sink(
                "gcp:logging/billingAccountSink:BillingAccountSink",
                "billing",
                "bigquery.googleapis.com/projects/chuv-finance/datasets/billing",
                None,
                billingAccount="012345-6789AB-CDEF01",
            ),
        ],
        id="sinks-that-do-not-see-the-site-logs",
    ),
    pytest.param(
        # The SIEM filter written another way that selects the same entries (and a little more).
        [
            on(
                "lau-logging-siem-sink",
                set_prop(
                    "filter",
                    value='logName:"/logs/cloudaudit.googleapis.com%2F" OR log_id("compute.googleapis.com/vpc_flows") '
                    'OR log_id("compute.googleapis.com/firewall") OR resource.type="http_load_balancer" '
                    'OR resource.type="dns_query"',
                ),
            )
        ],
        id="siem-filter-spelled-differently",
    ),
    pytest.param(
        # Debug entries of the viewer excluded: no security entry is DEBUG.
        [
            add_resource(
                "gcp:logging/projectExclusion:ProjectExclusion",
                "viewer-debug",
                {"filter": 'resource.type="cloud_run_revision" AND severity=DEBUG'},
            ),
            add_resource("gcp:logging/projectExclusion:ProjectExclusion", "any-debug", {"filter": "severity=DEBUG"}),
        ],
        id="exclusions-of-debug-entries-only",
    ),
    pytest.param(
        # Exclusions that never see the site's entries: another project's and a billing account's.
        [
            add_resource(
                "gcp:logging/projectExclusion:ProjectExclusion",
                "apps-quiet-reads",
                {"project": "chuv-apps", "filter": 'log_id("cloudaudit.googleapis.com/data_access")'},
            ),
            add_resource(
                "gcp:logging/billingAccountExclusion:BillingAccountExclusion",
                "billing-quiet",
                {"billingAccount": "012345-6789AB-CDEF01", "filter": "severity<ERROR"},
            ),
        ],
        id="exclusions-of-other-projects-and-billing",
    ),
    pytest.param(
        # A 30-day, unlocked log bucket for the viewer's application logs, fed by a sink that selects no
        # security entry: it is not a security-log bucket (issue 12, item 7).
        [
            _app_log_bucket,
            _sink(
                "gcp:logging/projectSink:ProjectSink",
                "lau-app-log-sink",
                f"logging.googleapis.com/projects/{PROJECT}/locations/europe-west6/buckets/lau-app-logs",
                'resource.type="cloud_run_revision" AND severity>=WARNING',
            ),
        ],
        id="short-retention-application-log-bucket",
    ),
    pytest.param(
        # The _Default sink managed in the stack, routing to the project's own _Default bucket.
        [
            _sink(
                "gcp:logging/projectSink:ProjectSink",
                "default-sink",
                f"logging.googleapis.com/projects/{PROJECT}/locations/global/buckets/_Default",
                'NOT log_id("cloudaudit.googleapis.com/activity") AND '
                'NOT log_id("cloudaudit.googleapis.com/system_event")',
            )
        ],
        id="default-sink-managed-in-the-stack",
    ),
    pytest.param(
        # The organisation's audit config, complete and without exemptions, next to the project's.
        [
            add_resource(
                "gcp:organizations/iamAuditConfig:IamAuditConfig",
                "org-audit",
                {"orgId": "123456789012", "service": "allServices", "auditLogConfigs": AUDIT_TYPES},
            )
        ],
        id="organization-audit-config-without-exemptions",
    ),
    pytest.param(
        # The folder's policy document with a complete audit config and nobody exempted.
        [
            add_resource(
                "gcp:folder/iAMPolicy:IAMPolicy",
                "folder-policy",
                {
                    "folder": "folders/4711",
                    "policyData": json.dumps(
                        {"bindings": [], "auditConfigs": [{"service": "allServices", "auditLogConfigs": AUDIT_TYPES}]}
                    ),
                },
            )
        ],
        id="folder-policy-document-with-complete-audit-config",
    ),
    pytest.param(
        # The key alert as a log-match condition on the policy itself, its metric removed.
        [
            remove("lau-alerts-kms-key-disabled"),
            on(
                "lau-alerts-kms-key-disabled-alert",
                set_prop(
                    "conditions",
                    value=[
                        {
                            "displayName": "Key version disabled or destroyed",
                            "conditionMatchedLog": {
                                "filter": 'protoPayload.methodName="DestroyCryptoKeyVersion" OR '
                                '(protoPayload.methodName="UpdateCryptoKeyVersion" AND '
                                'protoPayload.request.cryptoKeyVersion.state="DISABLED")'
                            },
                        }
                    ],
                ),
            ),
        ],
        id="alert-as-a-log-match-condition",
    ),
    pytest.param(
        # The firewall metric written with a regular expression instead of three ':' terms.
        [
            on(
                "lau-alerts-firewall",
                set_prop(
                    "filter",
                    value='resource.type="gce_firewall_rule" AND '
                    'protoPayload.methodName=~"compute.firewalls.(insert|patch|delete)$"',
                ),
            )
        ],
        id="alert-filter-as-a-regular-expression",
    ),
    pytest.param(
        # A disabled channel for application alerts that no security alert uses.
        [
            add_resource(
                "gcp:monitoring/notificationChannel:NotificationChannel",
                "app-chat",
                {"type": "email", "enabled": False, "labels": {"email_address": "apps@chuv.example"}},
            )
        ],
        id="unused-disabled-channel",
    ),
]


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("mutations", LEGITIMATE)
def test_legitimate_variant_passes(policy_pack, mutations: list[Mutation], mode: str) -> None:
    """Zero mandatory findings, in a first preview (unknown outputs) and at update."""
    pack = policy_pack("lausanne", mode)
    resources = site_plan("lausanne", mode)
    targets = [mutate(resources) for mutate in mutations]
    found = [d for t in targets for d in pack.analyze(t)] + pack.analyze_stack(resources)
    assert [(d.policy, d.message) for d in found if d.level == "mandatory"] == []


# --- The facts the pack keeps its own copy of --------------------------------------------------------


def test_required_alerts_are_the_components_alerts() -> None:
    """One contract per fact: the pack's required alerts are the components' catalogue, key and control."""
    assert {(a.key, a.control) for a in REQUIRED_ALERTS} == {(a.key, a.control) for a in SECURITY_ALERTS}


@pytest.mark.parametrize("site", SITES)
def test_declared_destinations_are_what_the_components_build(policy_pack, site: str) -> None:
    """The pack derives the SIEM destination and the locked bucket from the site config; the destinations it
    names when the sinks are moved away are exactly those the components built."""
    code = stacks.site_of(stacks.load(site)).site_code
    resources = site_plan(site, "update")
    siem_sink, bucket_sink = (
        by_name(resources, f"{code}-logging-siem-sink"),
        by_name(resources, f"{code}-logging-retention-sink"),
    )
    built = siem_sink.outputs["destination"], bucket_sink.outputs["destination"]
    assert built[1].endswith(f"/buckets/{log_bucket_id(code)}")
    for sink in (siem_sink, bucket_sink):
        set_prop("destination", value="pubsub.googleapis.com/projects/elsewhere/topics/x")(sink)
    messages = [d.message for d in policy_pack(site, "update").analyze_stack(resources) if d.policy == SIEM]
    assert any(f"declared SIEM destination {built[0]} " in m for m in messages), messages
    assert any("exports audit logs" in m and "/topics/x, which the site does not declare" in m for m in messages)
    assert built[0] != built[1]


def test_samples_are_retargeted_to_the_site() -> None:
    """A filter that names its own project or image bucket still selects the site's entries."""
    samples = for_site("umcu-imaging-utr", "europe-west4", "utr")
    image_read = next(s for s in samples if s.id == "image-read")
    bucket = naming.bucket_name("umcu-imaging-utr", "utr", "images")
    assert image_read.entry["resource"]["labels"]["bucket_name"] == bucket
    assert matches(
        f'resource.labels.bucket_name="{bucket}" AND resource.labels.project_id="umcu-imaging-utr"', image_read.entry
    )
    assert naming.bucket_name("chuv-imaging-lau", "lau", "images") == IMAGES
    assert [s.id for s in samples] == [s.id for s in SAMPLES]


def test_security_samples_cover_every_family_and_alert() -> None:
    """The pack's families are the components' (one contract per fact), and each has a sample."""
    assert set(FAMILIES) == set(SECURITY_LOG_FAMILIES) == {s.family for s in security(SAMPLES)}
    assert all(any(a.key in s.trips for s in SAMPLES) for a in REQUIRED_ALERTS)


def _pack(config: dict[str, str], user_config: dict[str, object] | None = None) -> analyzer.PolicyPack:
    pack = analyzer.PolicyPack(config=config, project=PULUMI_PROJECT, stack="lausanne", dry_run=False)
    pack.configure(analyzer.reconcile(pack.info(), user_config))
    return pack


def test_policy_config_siem_destination_replaces_the_site_config() -> None:
    """``siemDestination`` in the policy config is the declaration: the site's topic becomes undeclared."""
    other = "pubsub.googleapis.com/projects/chuv-soc/topics/imaging"
    pack = _pack(dict(stacks.load("lausanne").config), {SIEM: {"siemDestination": other}})
    try:
        resources = site_plan("lausanne", "update")
        messages = [d.message for d in pack.analyze_stack(resources) if d.policy == SIEM]
        assert any(f"declared SIEM destination {other} " in m for m in messages), messages
        assert any(f"to {LAU_SIEM}, which the site does not declare" in m for m in messages), messages
        set_prop("destination", value=other)(by_name(resources, "lau-logging-siem-sink"))
        assert [d.message for d in pack.analyze_stack(resources) if d.policy == SIEM] == []
    finally:
        pack.close()


def test_a_stack_without_logging_config_declares_no_siem() -> None:
    config = {k: v for k, v in stacks.load("lausanne").config.items() if k != "imaging-landing-zone:logging"}
    pack = _pack(config)
    try:
        messages = [d.message for d in pack.analyze_stack(site_plan("lausanne", "update")) if d.policy == SIEM]
        assert any(
            "declares no SIEM destination (no imaging-landing-zone:logging in the stack config)" in m for m in messages
        )
    finally:
        pack.close()


# --- Preview: a destination computed from an in-stack topic is judged by that topic ---------------------


def _unknown_destination_from(topic_urn: str) -> Callable[[Resource], None]:
    def change(r: Resource) -> None:
        set_prop("destination", value=UNKNOWN)(r)
        r.property_dependencies["destination"] = [topic_urn]

    return change


def test_preview_resolves_an_unknown_destination_to_its_topic(policy_pack) -> None:
    """A first preview does not know the sink's destination; the topic it is computed from is the declared one."""
    resources = site_plan("lausanne", "preview")
    topic = by_name(resources, "lau-logging-siem")
    _unknown_destination_from(topic.urn)(by_name(resources, "lau-logging-siem-sink"))
    assert [d.message for d in policy_pack("lausanne", "preview").analyze_stack(resources) if d.policy == SIEM] == []


def test_preview_rejects_a_sink_computed_from_another_topic(policy_pack) -> None:
    """The same sink computed from a topic of another project is not the SIEM export, even before it exists."""
    resources = site_plan("lausanne", "preview")
    other = add_resource(tokens.PUBSUB_TOPIC, "exfil", {"name": "exfil", "project": "shared-ops"})(resources)
    _unknown_destination_from(other.urn)(by_name(resources, "lau-logging-siem-sink"))
    messages = [d.message for d in policy_pack("lausanne", "preview").analyze_stack(resources) if d.policy == SIEM]
    assert any(f"no sink exports the security logs to the declared SIEM destination {LAU_SIEM}" in m for m in messages)
    assert any(
        "to pubsub.googleapis.com/projects/shared-ops/topics/exfil, which the site does not declare" in m
        for m in messages
    )


def test_a_disabled_channel_is_reported_once_per_control(policy_pack) -> None:
    """Every security alert uses the SOC channel: muting it is one finding per control, not one per alert."""
    resources = site_plan("lausanne", "update")
    set_prop("enabled", value=False)(by_name(resources, "lau-alerts-email-soc"))
    found = [d for d in policy_pack("lausanne", "update").analyze_stack(resources) if "is disabled" in d.message]
    assert sorted(d.policy for d in found) == sorted(
        [CIS_ALERTS, SITE_ALERTS, "gcp-monitoring-unexpected-access-detectors", "gcp-monitoring-baseline-detectors"]
    )
