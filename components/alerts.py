"""What the site logs, routes and alerts on: the security-log filter and the security alert catalogue.

Pure data, no Pulumi import: the logging component builds sinks, metrics and alert policies from it,
and the tests evaluate every filter against log entries shaped like real ones. The CIS GCP
Foundations filters (2.4 to 2.10) are copied exactly from the benchmark (LOG-11); the others cover
what the vendor's document adds (LOG-12).
"""

from __future__ import annotations

from dataclasses import dataclass

SECURITY_LOG_FAMILIES: dict[str, str] = {
    "audit": 'log_id("cloudaudit.googleapis.com/activity") OR log_id("cloudaudit.googleapis.com/data_access") '
    'OR log_id("cloudaudit.googleapis.com/system_event") OR log_id("cloudaudit.googleapis.com/policy") '
    'OR log_id("cloudaudit.googleapis.com/access_transparency")',
    "vpc-flows": 'log_id("compute.googleapis.com/vpc_flows")',
    "firewall": 'log_id("compute.googleapis.com/firewall")',
    "load-balancer": 'resource.type="http_load_balancer"',
    "dns": 'log_id("dns.googleapis.com/dns_queries")',
}
"""Each family of security logs and the filter term that selects it (LOG-08). The audit family includes Access
Transparency (Google staff's access to the site's content, where the organisation has enabled it, LOG-18);
Access Approval's requests and decisions are Admin Activity entries of ``accessapproval.googleapis.com``."""

SECURITY_LOGS_FILTER = " OR ".join(f"({term})" for term in SECURITY_LOG_FAMILIES.values())
"""Every security log: access events, authentication attempts, system activity, network and DNS."""


@dataclass(frozen=True)
class SecurityAlert:
    """One event the SIEM and the on-call team must hear about."""

    key: str
    """Stable name: the metric is ``<site>-<key>``, the resources ``<name>-<key>``."""
    control: str
    """LOG-11 (CIS 2.4 to 2.10) or LOG-12 (what the document adds)."""
    title: str
    filter: str
    """The log filter of the log-based metric."""
    runbook: str
    """What the responder checks and does; it becomes the alert's documentation (Markdown)."""
    cis: str | None = None


def _runbook(what: str, check: str, act: str) -> str:
    return f"## {what}\n\n**Check:** {check}\n\n**Act:** {act}\n"


SECURITY_ALERTS: tuple[SecurityAlert, ...] = (
    SecurityAlert(
        key="project-ownership",
        control="LOG-11",
        cis="2.4",
        title="Project ownership changed",
        filter='(protoPayload.serviceName="cloudresourcemanager.googleapis.com") AND (ProjectOwnership OR '
        'projectOwnerInvitee) OR (protoPayload.serviceData.policyDelta.bindingDeltas.action="REMOVE" AND '
        'protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner") OR '
        '(protoPayload.serviceData.policyDelta.bindingDeltas.action="ADD" AND '
        'protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner")',
        runbook=_runbook(
            "Someone gained or lost roles/owner on the site project.",
            "the entry's principalEmail and bindingDeltas: was it a planned, approved change?",
            "if not, remove the binding, suspend the principal and open a security incident.",
        ),
    ),
    SecurityAlert(
        key="audit-config",
        control="LOG-11",
        cis="2.5",
        title="Audit configuration changed",
        filter='protoPayload.methodName="SetIamPolicy" AND protoPayload.serviceData.policyDelta.auditConfigDeltas:*',
        runbook=_runbook(
            "The project's Data Access audit configuration changed: access to images may no longer be logged.",
            "auditConfigDeltas: which log type or exemption was added or removed, and by whom.",
            "restore the configuration with `pulumi up` of the site stack and investigate the principal.",
        ),
    ),
    SecurityAlert(
        key="custom-role",
        control="LOG-11",
        cis="2.6",
        title="Custom IAM role changed",
        filter='resource.type="iam_role" AND (protoPayload.methodName="google.iam.admin.v1.CreateRole" OR '
        'protoPayload.methodName="google.iam.admin.v1.DeleteRole" OR '
        'protoPayload.methodName="google.iam.admin.v1.UpdateRole")',
        runbook=_runbook(
            "A custom IAM role was created, changed or deleted.",
            "the role's permissions in the entry's request: do they widen access to images or keys?",
            "revert unapproved changes and review who holds the role.",
        ),
    ),
    SecurityAlert(
        key="firewall",
        control="LOG-11",
        cis="2.7",
        title="VPC firewall rule changed",
        filter='resource.type="gce_firewall_rule" AND (protoPayload.methodName:"compute.firewalls.patch" OR '
        'protoPayload.methodName:"compute.firewalls.insert" OR protoPayload.methodName:"compute.firewalls.delete")',
        runbook=_runbook(
            "A firewall rule of the site VPC changed outside or inside the site stack.",
            "`pulumi preview` of the site stack: any drift in the firewall rules?",
            "`pulumi up` restores the allowlist; investigate a change that did not come from the pipeline.",
        ),
    ),
    SecurityAlert(
        key="route",
        control="LOG-11",
        cis="2.8",
        title="VPC route changed",
        filter='resource.type="gce_route" AND (protoPayload.methodName:"compute.routes.delete" OR '
        'protoPayload.methodName:"compute.routes.insert")',
        runbook=_runbook(
            "A route of the site VPC was added or deleted: traffic may leave through a new path.",
            "the route's destination and next hop in the entry.",
            "`pulumi up` removes routes the stack does not declare; investigate the principal.",
        ),
    ),
    SecurityAlert(
        key="network",
        control="LOG-11",
        cis="2.9",
        title="VPC network changed",
        filter='resource.type="gce_network" AND (protoPayload.methodName="beta.compute.networks.insert" OR '
        'protoPayload.methodName="beta.compute.networks.patch" OR '
        'protoPayload.methodName="v1.compute.networks.delete" OR '
        'protoPayload.methodName="v1.compute.networks.removePeering" OR '
        'protoPayload.methodName="v1.compute.networks.addPeering")',
        runbook=_runbook(
            "A VPC network was created, changed, deleted or peered.",
            "peerings especially: a peered network can reach the viewer's subnets.",
            "remove unapproved networks and peerings; investigate the principal.",
        ),
    ),
    SecurityAlert(
        key="bucket-iam",
        control="LOG-11",
        cis="2.10",
        title="Cloud Storage IAM changed",
        filter='resource.type="gcs_bucket" AND protoPayload.methodName="storage.setIamPermissions"',
        runbook=_runbook(
            "A bucket's IAM policy changed: someone may have gained access to images.",
            "the bindingDeltas: is every new member a site group or site identity?",
            "`pulumi up` restores the bucket's grants; revoke and investigate the rest.",
        ),
    ),
    SecurityAlert(
        key="kms-key-disabled",
        control="LOG-12",
        title="KMS key version disabled or destroyed",
        filter='protoPayload.serviceName="cloudkms.googleapis.com" AND '
        '(protoPayload.methodName="DestroyCryptoKeyVersion" OR '
        '(protoPayload.methodName="UpdateCryptoKeyVersion" AND '
        'protoPayload.request.cryptoKeyVersion.state="DISABLED"))',
        runbook=_runbook(
            "A version of a site key was disabled or scheduled for destruction: images it encrypts become unreadable.",
            "which key and version; is a rotation or decommissioning planned?",
            "restore it (`gcloud kms keys versions restore` / `enable`) within the destroy delay unless approved.",
        ),
    ),
    SecurityAlert(
        key="log-routing",
        control="LOG-12",
        title="Log sink, bucket or exclusion changed",
        filter='protoPayload.serviceName="logging.googleapis.com" AND ('
        'protoPayload.methodName:"ConfigServiceV2.CreateSink" OR protoPayload.methodName:"ConfigServiceV2.UpdateSink" '
        'OR protoPayload.methodName:"ConfigServiceV2.DeleteSink" OR '
        'protoPayload.methodName:"ConfigServiceV2.CreateExclusion" OR '
        'protoPayload.methodName:"ConfigServiceV2.UpdateExclusion" OR '
        'protoPayload.methodName:"ConfigServiceV2.UpdateBucket" OR '
        'protoPayload.methodName:"ConfigServiceV2.DeleteBucket" OR '
        'protoPayload.methodName:"ConfigServiceV2.UpdateSettings" OR '
        'protoPayload.methodName:"ConfigServiceV2.UpdateCmekSettings")',
        runbook=_runbook(
            "Log routing changed: security logs may no longer reach the SIEM or the locked log bucket.",
            "the sink's filter, destination and exclusions after the change.",
            "`pulumi up` restores the sinks; investigate any change that did not come from the pipeline.",
        ),
    ),
    SecurityAlert(
        key="service-account-key",
        control="LOG-12",
        title="Service-account key created or uploaded",
        filter='protoPayload.methodName="google.iam.admin.v1.CreateServiceAccountKey" OR '
        'protoPayload.methodName="google.iam.admin.v1.UploadServiceAccountKey"',
        runbook=_runbook(
            "A user-managed key was created or uploaded for a service account: the site uses none (IAM-05).",
            "which account and principal; is the org policy iam.disableServiceAccountKeyCreation in force?",
            "delete the key (`gcloud iam service-accounts keys delete`) and investigate the principal.",
        ),
    ),
    SecurityAlert(
        key="org-policy",
        control="LOG-12",
        title="Organisation policy changed",
        filter='(protoPayload.serviceName="orgpolicy.googleapis.com" AND '
        '(protoPayload.methodName:"OrgPolicy.CreatePolicy" OR protoPayload.methodName:"OrgPolicy.UpdatePolicy" OR '
        'protoPayload.methodName:"OrgPolicy.DeletePolicy")) OR protoPayload.methodName="SetOrgPolicy" OR '
        'protoPayload.methodName="ClearOrgPolicy"',
        runbook=_runbook(
            "An organisation policy on the site's hierarchy changed: a guard rail may be off.",
            "the constraint and the new rules in the entry.",
            "restore the guard rail with `pulumi up` and investigate the principal.",
        ),
    ),
    SecurityAlert(
        key="image-read-spike",
        control="LOG-12",
        title="Spike of image reads by one principal",
        filter='resource.type="gcs_bucket" AND protoPayload.methodName="storage.objects.get" AND '
        'log_id("cloudaudit.googleapis.com/data_access")',
        runbook=_runbook(
            "One principal read more images in five minutes than the site's threshold: a bulk export or a "
            "stolen identity.",
            "the principal label of the series; does the volume match a study being read or a migration?",
            "if not, disable the principal or revoke its group membership and open a security incident.",
        ),
    ),
)
"""Every security alert, in control order. Keys are public API: renaming one replaces its resources."""

READ_SPIKE = "image-read-spike"
"""The anomaly signal: counted per principal, against the site's threshold."""
