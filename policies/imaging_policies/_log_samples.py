"""Sample log entries shaped like the real ones, each declaring which security alerts it must trip.

The pack judges filters by these entries: a sink to the SIEM must select every security entry, an
exclusion may drop none, an alert's filter must select every entry that trips it. The tests use the
same entries to prove what the components' filters select (one copy of the facts).

The shapes follow Google's documented LogEntry, AuditLog, VPC flow, firewall-rule, load-balancer
and Cloud DNS log formats (field names, ``@type`` URLs, URL-encoded log IDs, int64 counters as
strings), written for a reference site (project ``chuv-imaging-lau``, region ``europe-west6``, site
code ``lau``); :func:`for_site` re-targets them to a stack's project, region and image bucket, so a
filter that names its own project still selects them. Only what a filter could read is kept;
volatile fields (timestamps, insertIds) are fixed values.

``trips`` is the exact set of security alert keys the entry must trip: the test asserts set
equality, so an alert that also fires on someone else's event fails it. ``family`` is the security
log family that must route the entry to the SIEM (``None``: not a security log).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any
from urllib.parse import quote

PROJECT = "chuv-imaging-lau"
REGION = "europe-west6"
ADMIN = "it-ops@chuv.example"
AUDIT_LOG = "type.googleapis.com/google.cloud.audit.AuditLog"
RESOURCE_MANAGER_INTERNAL = "type.googleapis.com/google.internal.cloud.resourcemanager"
SITE_CODE = "lau"
IMAGES = f"{PROJECT}-{SITE_CODE}-images"
"""The site's image bucket, named as the components name it (``<project>-<site>-images``)."""
KEY = f"projects/{PROJECT}/locations/{REGION}/keyRings/lau-ring/cryptoKeys/lau-images/cryptoKeyVersions/3"


@dataclass(frozen=True)
class Sample:
    """One log entry and what it must do."""

    id: str
    entry: dict[str, Any]
    trips: frozenset[str] = frozenset()
    family: str | None = "audit"


def log_name(log_id: str) -> str:
    """The entry's ``logName``: the log ID is URL-encoded, as Cloud Logging writes it."""
    return f"projects/{PROJECT}/logs/{quote(log_id, safe='')}"


def audit(
    service: str,
    method: str,
    resource_type: str,
    labels: dict[str, str],
    resource_name: str,
    *,
    log: str = "activity",
    principal: str = ADMIN,
    severity: str = "NOTICE",
    **payload: Any,
) -> dict[str, Any]:
    """A Cloud Audit Logs entry; ``payload`` adds protoPayload fields (request, response, serviceData...)."""
    return {
        "insertId": "-x1c4mhe3kb2q",
        "logName": log_name(f"cloudaudit.googleapis.com/{log}"),
        "resource": {"type": resource_type, "labels": {"project_id": PROJECT, **labels}},
        "timestamp": "2025-03-14T09:26:53.589793Z",
        "receiveTimestamp": "2025-03-14T09:26:54.212345678Z",
        "severity": severity,
        "protoPayload": {
            "@type": AUDIT_LOG,
            "status": {},
            "authenticationInfo": {"principalEmail": principal},
            "requestMetadata": {
                "callerIp": "193.134.200.17",
                "callerSuppliedUserAgent": "google-cloud-sdk gcloud/512.0.0 command/gcloud",
                "requestAttributes": {"time": "2025-03-14T09:26:53.601Z", "auth": {}},
                "destinationAttributes": {},
            },
            "serviceName": service,
            "methodName": method,
            "authorizationInfo": [{"resource": resource_name, "granted": True, "resourceAttributes": {}}],
            "resourceName": resource_name,
            **payload,
        },
    }


def project_iam(*deltas: dict[str, str], audit_deltas: tuple[dict[str, str], ...] = ()) -> dict[str, Any]:
    """Resource Manager ``SetIamPolicy`` on the project: full policy in request/response, changes in the deltas."""
    policy = {
        "bindings": [
            {"role": "roles/owner", "members": ["group:gcp-org-admins@chuv.example"]},
            {"role": "roles/viewer", "members": ["group:imaging-support@chuv.example"]},
        ],
        "auditConfigs": [{"service": "storage.googleapis.com", "auditLogConfigs": [{"logType": "DATA_READ"}]}],
        "etag": "BwYfJ1k5u0Q=",
    }
    policy_delta: dict[str, Any] = {}
    if deltas:
        policy_delta["bindingDeltas"] = list(deltas)
    if audit_deltas:
        policy_delta["auditConfigDeltas"] = list(audit_deltas)
    return audit(
        "cloudresourcemanager.googleapis.com",
        "SetIamPolicy",
        "project",
        {},
        f"projects/{PROJECT}",
        request={
            "@type": "type.googleapis.com/google.iam.v1.SetIamPolicyRequest",
            "resource": PROJECT,
            "policy": policy,
            "updateMask": "bindings,etag,auditConfigs" if audit_deltas else "bindings,etag",
        },
        response={"@type": "type.googleapis.com/google.iam.v1.Policy", **policy},
        serviceData={"@type": "type.googleapis.com/google.iam.v1.logging.AuditData", "policyDelta": policy_delta},
    )


def compute(method: str, resource_type: str, id_label: str, collection: str, name: str) -> dict[str, Any]:
    """A Compute Engine admin operation's first entry (``operation.first``), as the API writes it."""
    verb = method.rsplit(".", 1)[1]
    return audit(
        "compute.googleapis.com",
        method,
        resource_type,
        {id_label: "4938472019384756123"},
        f"projects/{PROJECT}/global/{collection}/{name}",
        request={"@type": f"type.googleapis.com/{method.split('.', 1)[1]}"},
        response={
            "@type": "type.googleapis.com/operation",
            "operationType": verb,
            "status": "RUNNING",
            "targetLink": f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/global/{collection}/{name}",
            "name": "operation-1741944413589-6303b1f0e6a5e-9c1b0a4e-2f6d8b1c",
        },
        operation={"id": "operation-1741944413589-6303b1f0e6a5e", "producer": "compute.googleapis.com", "first": True},
    )


def kms(method: str, **payload: Any) -> dict[str, Any]:
    """A Cloud KMS admin operation on version 3 of the site's image key."""
    labels = {"location": REGION, "key_ring_id": "lau-ring", "crypto_key_id": "lau-images"}
    return audit(
        "cloudkms.googleapis.com",
        method,
        "cloudkms_cryptokeyversion",
        {**labels, "crypto_key_version_id": "3"},
        KEY,
        **payload,
    )


def logging_config(
    method: str, resource_type: str, labels: dict[str, str], name: str, **payload: Any
) -> dict[str, Any]:
    """A Cloud Logging configuration change (``google.logging.v2.ConfigServiceV2``)."""
    return audit(
        "logging.googleapis.com", f"google.logging.v2.ConfigServiceV2.{method}", resource_type, labels, name, **payload
    )


def storage(method: str, *, log: str, **payload: Any) -> dict[str, Any]:
    """A Cloud Storage operation on the site's image bucket (object reads and writes are Data Access)."""
    labels = {"bucket_name": IMAGES, "location": REGION}
    name = f"projects/_/buckets/{IMAGES}"
    if method.startswith("storage.objects."):
        name += "/objects/studies/1.2.826.0.1.3680043.8.498.1/series/2/instances/17.dcm"
    severity = "INFO" if log == "data_access" else "NOTICE"
    principal = "viewer-backend@chuv-imaging-lau.iam.gserviceaccount.com"
    return audit(
        "storage.googleapis.com",
        method,
        "gcs_bucket",
        labels,
        name,
        log=log,
        severity=severity,
        principal=principal,
        **payload,
    )


def delta(action: str, member: str = "user:a.martin@chuv.example", role: str = "roles/owner") -> dict[str, str]:
    """One ``bindingDeltas`` element."""
    return {"action": action, "role": role, "member": member}


SA = f"projects/{PROJECT}/serviceAccounts/viewer-backend@{PROJECT}.iam.gserviceaccount.com"
SA_LABELS = {"email_id": f"viewer-backend@{PROJECT}.iam.gserviceaccount.com", "unique_id": "104729384756102938475"}
ROLE = f"projects/{PROJECT}/roles/imagingAuditor"
FLOW_CONNECTION = {"src_ip": "10.60.0.12", "src_port": 44312, "dest_ip": "10.200.16.5", "dest_port": 443, "protocol": 6}
SUBNET_LABELS = {"project_id": PROJECT, "location": REGION, "subnetwork_name": "lau-viewer", "subnetwork_id": "7261"}

SAMPLES: tuple[Sample, ...] = (
    # --- LOG-11, CIS 2.4: project ownership ---------------------------------------------------
    Sample("owner-added", project_iam(delta("ADD")), frozenset({"project-ownership"})),
    Sample("owner-removed", project_iam(delta("REMOVE")), frozenset({"project-ownership"})),
    Sample(
        "owner-invited-from-console",  # the console's invitation of an external owner (not a SetIamPolicy)
        audit(
            "cloudresourcemanager.googleapis.com",
            "InsertProjectOwnershipInvite",
            "project",
            {},
            f"projects/{PROJECT}",
            request={
                "@type": f"{RESOURCE_MANAGER_INTERNAL}.InsertProjectOwnershipInviteRequest",
                "member": "user:someone@gmail.example",
                "projectId": PROJECT,
            },
            response={"@type": f"{RESOURCE_MANAGER_INTERNAL}.InsertProjectOwnershipInviteResponse"},
        ),
        frozenset({"project-ownership"}),
    ),
    # The project policy (request and response) lists the existing owners: only the deltas count.
    Sample("viewer-granted", project_iam(delta("ADD", "group:radiology@chuv.example", "roles/viewer"))),
    Sample("editor-removed", project_iam(delta("REMOVE", "user:b.keller@chuv.example", "roles/editor"))),
    # --- CIS 2.5: audit configuration ----------------------------------------------------------
    Sample(
        "data-read-audit-removed",
        project_iam(audit_deltas=({"action": "REMOVE", "service": "storage.googleapis.com", "logType": "DATA_READ"},)),
        frozenset({"audit-config"}),
    ),
    Sample(
        "audit-exemption-added",
        project_iam(
            audit_deltas=(
                {
                    "action": "ADD",
                    "service": "storage.googleapis.com",
                    "logType": "DATA_READ",
                    "exemptedMember": "serviceAccount:bulk-export@chuv-imaging-lau.iam.gserviceaccount.com",
                },
            )
        ),
        frozenset({"audit-config"}),
    ),
    Sample(
        "owner-added-and-audit-changed",  # one SetIamPolicy can carry both kinds of delta
        project_iam(
            delta("ADD"),
            audit_deltas=({"action": "REMOVE", "service": "allServices", "logType": "ADMIN_READ"},),
        ),
        frozenset({"project-ownership", "audit-config"}),
    ),
    # --- CIS 2.6: custom roles -----------------------------------------------------------------
    *(
        Sample(
            f"custom-role-{verb.lower()}d",
            audit(
                "iam.googleapis.com",
                f"google.iam.admin.v1.{verb}Role",
                "iam_role",
                {"role_name": ROLE},
                ROLE,
                request={"@type": f"type.googleapis.com/google.iam.admin.v1.{verb}RoleRequest", "name": ROLE},
            ),
            frozenset({"custom-role"}),
        )
        for verb in ("Create", "Update", "Delete")
    ),
    Sample(
        "service-account-iam-granted",  # an IAM change on a service account, not on a role
        audit(
            "iam.googleapis.com",
            "google.iam.admin.v1.SetIAMPolicy",
            "service_account",
            SA_LABELS,
            SA,
            serviceData={
                "@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
                "policyDelta": {
                    "bindingDeltas": [delta("ADD", "group:imaging-ops@chuv.example", "roles/iam.serviceAccountUser")]
                },
            },
        ),
    ),
    # --- CIS 2.7 to 2.9: firewall rules, routes, networks --------------------------------------
    Sample(
        "firewall-inserted",
        compute("v1.compute.firewalls.insert", "gce_firewall_rule", "firewall_rule_id", "firewalls", "lau-allow-any"),
        frozenset({"firewall"}),
    ),
    Sample(
        "firewall-patched-beta",
        compute("beta.compute.firewalls.patch", "gce_firewall_rule", "firewall_rule_id", "firewalls", "lau-allow-lb"),
        frozenset({"firewall"}),
    ),
    Sample(
        "firewall-deleted",
        compute("v1.compute.firewalls.delete", "gce_firewall_rule", "firewall_rule_id", "firewalls", "lau-deny-all"),
        frozenset({"firewall"}),
    ),
    Sample(
        "route-inserted",
        compute("v1.compute.routes.insert", "gce_route", "route_id", "routes", "lau-to-internet"),
        frozenset({"route"}),
    ),
    Sample(
        "route-deleted",
        compute("v1.compute.routes.delete", "gce_route", "route_id", "routes", "lau-to-ris"),
        frozenset({"route"}),
    ),
    Sample(
        "network-inserted-beta",
        compute("beta.compute.networks.insert", "gce_network", "network_id", "networks", "lau-shadow"),
        frozenset({"network"}),
    ),
    Sample(
        "network-patched-beta",
        compute("beta.compute.networks.patch", "gce_network", "network_id", "networks", "lau-vpc"),
        frozenset({"network"}),
    ),
    Sample(
        "network-deleted",
        compute("v1.compute.networks.delete", "gce_network", "network_id", "networks", "lau-vpc"),
        frozenset({"network"}),
    ),
    Sample(
        "network-peering-added",
        compute("v1.compute.networks.addPeering", "gce_network", "network_id", "networks", "lau-vpc"),
        frozenset({"network"}),
    ),
    Sample(
        "network-peering-removed",
        compute("v1.compute.networks.removePeering", "gce_network", "network_id", "networks", "lau-vpc"),
        frozenset({"network"}),
    ),
    # Gaps of the benchmark's exact CIS 2.9 text (see test_alert_filters.py): the v1 API's own
    # insert and patch, which Pulumi and gcloud use, are not among its method names.
    Sample(
        "network-inserted-v1",
        compute("v1.compute.networks.insert", "gce_network", "network_id", "networks", "lau-shadow"),
    ),
    Sample(
        "network-patched-v1", compute("v1.compute.networks.patch", "gce_network", "network_id", "networks", "lau-vpc")
    ),
    Sample(
        "vm-inserted",  # routine: a VM of the viewer's managed instance group
        audit(
            "compute.googleapis.com",
            "v1.compute.instances.insert",
            "gce_instance",
            {"instance_id": "5128374650192837465", "zone": f"{REGION}-a"},
            f"projects/{PROJECT}/zones/{REGION}-a/instances/lau-viewer-x7k2",
            request={"@type": "type.googleapis.com/compute.instances.insert"},
        ),
    ),
    # --- CIS 2.10: bucket IAM ------------------------------------------------------------------
    Sample(
        "bucket-iam-changed",
        storage(
            "storage.setIamPermissions",
            log="activity",
            serviceData={
                "@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
                "policyDelta": {"bindingDeltas": [delta("ADD", "allUsers", "roles/storage.objectViewer")]},
            },
        ),
        frozenset({"bucket-iam"}),
    ),
    Sample("bucket-metadata-updated", storage("storage.buckets.update", log="activity")),
    # --- LOG-12: KMS key versions --------------------------------------------------------------
    Sample(
        "key-version-destroyed",
        kms(
            "DestroyCryptoKeyVersion",
            request={"@type": "type.googleapis.com/google.cloud.kms.v1.DestroyCryptoKeyVersionRequest", "name": KEY},
        ),
        frozenset({"kms-key-disabled"}),
    ),
    *(
        Sample(
            f"key-version-{state.lower()}",
            kms(
                "UpdateCryptoKeyVersion",
                request={
                    "@type": "type.googleapis.com/google.cloud.kms.v1.UpdateCryptoKeyVersionRequest",
                    "cryptoKeyVersion": {"name": KEY, "state": state},
                    "updateMask": "state",
                },
            ),
            frozenset({"kms-key-disabled"}) if state == "DISABLED" else frozenset(),
        )
        for state in ("DISABLED", "ENABLED")
    ),
    Sample(
        "key-version-restored",
        kms(
            "RestoreCryptoKeyVersion",
            request={"@type": "type.googleapis.com/google.cloud.kms.v1.RestoreCryptoKeyVersionRequest", "name": KEY},
        ),
    ),
    Sample(
        "key-used-to-decrypt",  # the storage service agent unwrapping an image's data key
        audit(
            "cloudkms.googleapis.com",
            "Decrypt",
            "cloudkms_cryptokey",
            {"location": REGION, "key_ring_id": "lau-ring", "crypto_key_id": "lau-images"},
            KEY.rsplit("/cryptoKeyVersions/", 1)[0],
            log="data_access",
            severity="INFO",
            principal="service-412345678901@gs-project-accounts.iam.gserviceaccount.com",
        ),
    ),
    # --- LOG-12: log routing -------------------------------------------------------------------
    *(
        Sample(
            f"sink-{verb.lower()}d",
            logging_config(
                f"{verb}Sink",
                "logging_sink",
                {"name": "lau-siem", "destination": "pubsub.googleapis.com"},
                f"projects/{PROJECT}/sinks/lau-siem",
            ),
            frozenset({"log-routing"}),
        )
        for verb in ("Create", "Update", "Delete")
    ),
    Sample(
        "exclusion-created",
        logging_config(
            "CreateExclusion",
            "audited_resource",
            {"service": "logging.googleapis.com", "method": "google.logging.v2.ConfigServiceV2.CreateExclusion"},
            f"projects/{PROJECT}/exclusions/quiet-reads",
            request={
                "@type": "type.googleapis.com/google.logging.v2.CreateExclusionRequest",
                "parent": f"projects/{PROJECT}",
                "exclusion": {"name": "quiet-reads", "filter": 'protoPayload.methodName="storage.objects.get"'},
            },
        ),
        frozenset({"log-routing"}),
    ),
    Sample(
        "log-bucket-retention-updated",
        logging_config(
            "UpdateBucket",
            "audited_resource",
            {"service": "logging.googleapis.com", "method": "google.logging.v2.ConfigServiceV2.UpdateBucket"},
            f"projects/{PROJECT}/locations/{REGION}/buckets/lau-security",
            request={
                "@type": "type.googleapis.com/google.logging.v2.UpdateBucketRequest",
                "bucket": {"retentionDays": 1},
                "updateMask": "retentionDays",
            },
        ),
        frozenset({"log-routing"}),
    ),
    Sample(
        "sinks-listed",  # a read of the configuration (ADMIN_READ, in the Data Access log)
        audit(
            "logging.googleapis.com",
            "google.logging.v2.ConfigServiceV2.ListSinks",
            "audited_resource",
            {"service": "logging.googleapis.com", "method": "google.logging.v2.ConfigServiceV2.ListSinks"},
            f"projects/{PROJECT}",
            log="data_access",
            severity="INFO",
        ),
    ),
    # --- LOG-12: service-account keys ----------------------------------------------------------
    Sample(
        "sa-key-created",
        audit(
            "iam.googleapis.com",
            "google.iam.admin.v1.CreateServiceAccountKey",
            "service_account",
            SA_LABELS,
            SA,
            request={"@type": "type.googleapis.com/google.iam.admin.v1.CreateServiceAccountKeyRequest", "name": SA},
            response={"@type": "type.googleapis.com/google.iam.admin.v1.ServiceAccountKey", "key_type": "USER_MANAGED"},
        ),
        frozenset({"service-account-key"}),
    ),
    Sample(
        "sa-key-uploaded",
        audit(
            "iam.googleapis.com",
            "google.iam.admin.v1.UploadServiceAccountKey",
            "service_account",
            SA_LABELS,
            SA,
            request={"@type": "type.googleapis.com/google.iam.admin.v1.UploadServiceAccountKeyRequest", "name": SA},
        ),
        frozenset({"service-account-key"}),
    ),
    Sample(
        "sa-created",
        audit(
            "iam.googleapis.com",
            "google.iam.admin.v1.CreateServiceAccount",
            "service_account",
            SA_LABELS,
            f"projects/{PROJECT}",
            request={"@type": "type.googleapis.com/google.iam.admin.v1.CreateServiceAccountRequest"},
        ),
    ),
    # --- LOG-12: organisation policies ---------------------------------------------------------
    Sample(
        "org-policy-updated-v2",
        audit(
            "orgpolicy.googleapis.com",
            "google.cloud.orgpolicy.v2.OrgPolicy.UpdatePolicy",
            "audited_resource",
            {"service": "orgpolicy.googleapis.com", "method": "google.cloud.orgpolicy.v2.OrgPolicy.UpdatePolicy"},
            f"projects/{PROJECT}/policies/iam.disableServiceAccountKeyCreation",
            request={
                "@type": "type.googleapis.com/google.cloud.orgpolicy.v2.UpdatePolicyRequest",
                "policy": {
                    "name": f"projects/{PROJECT}/policies/iam.disableServiceAccountKeyCreation",
                    "spec": {"rules": [{"enforce": False}]},
                },
            },
        ),
        frozenset({"org-policy"}),
    ),
    *(
        Sample(
            f"org-policy-{method[:-9].lower()}-v1",  # the v1 Resource Manager API
            audit(
                "cloudresourcemanager.googleapis.com",
                method,
                "project",
                {},
                f"projects/{PROJECT}",
                request={
                    "@type": f"type.googleapis.com/google.cloud.resourcemanager.v1.{method}Request",
                    "resource": f"projects/{PROJECT}",
                    "constraint": "constraints/gcp.resourceLocations",
                },
            ),
            frozenset({"org-policy"}),
        )
        for method in ("SetOrgPolicy", "ClearOrgPolicy")
    ),
    Sample(
        "org-policy-read-v2",  # a read (logged where ADMIN_READ is on) is not a change
        audit(
            "orgpolicy.googleapis.com",
            "google.cloud.orgpolicy.v2.OrgPolicy.GetEffectivePolicy",
            "audited_resource",
            {"service": "orgpolicy.googleapis.com", "method": "google.cloud.orgpolicy.v2.OrgPolicy.GetEffectivePolicy"},
            f"projects/{PROJECT}/policies/gcp.resourceLocations",
            log="data_access",
            severity="INFO",
        ),
    ),
    # --- LOG-12: image reads -------------------------------------------------------------------
    Sample("image-read", storage("storage.objects.get", log="data_access"), frozenset({"image-read-spike"})),
    Sample("image-written", storage("storage.objects.create", log="data_access")),
    Sample("images-listed", storage("storage.objects.list", log="data_access")),
    # --- Other audit logs: system events and policy denials ------------------------------------
    Sample(
        "vm-live-migrated",
        audit(
            "compute.googleapis.com",
            "compute.instances.migrateOnHostMaintenance",
            "gce_instance",
            {"instance_id": "5128374650192837465", "zone": f"{REGION}-a"},
            f"projects/{PROJECT}/zones/{REGION}-a/instances/lau-viewer-x7k2",
            log="system_event",
            severity="INFO",
            principal="system@google.com",
        ),
    ),
    Sample(
        "image-read-denied-by-vpc-sc",  # a VPC Service Controls denial: the policy log, not data_access
        audit(
            "storage.googleapis.com",
            "google.storage.objects.get",
            "audited_resource",
            {"service": "storage.googleapis.com", "method": "google.storage.objects.get"},
            f"projects/{PROJECT}/buckets/{IMAGES}",
            log="policy",
            severity="ERROR",
            principal="a.martin@chuv.example",
            status={"code": 7, "message": "Request is prohibited by organization's policy."},
            metadata={
                "@type": "type.googleapis.com/google.cloud.audit.VpcServiceControlAuditMetadata",
                "violationReason": "NO_MATCHING_ACCESS_LEVEL",
                "resourceNames": [f"projects/_/buckets/{IMAGES}"],
            },
        ),
    ),
    # --- Network, load-balancer and DNS logs ---------------------------------------------------
    Sample(
        "vpc-flow",
        {
            "insertId": "1q2w3e4r5t6y7",
            "logName": log_name("compute.googleapis.com/vpc_flows"),
            "resource": {"type": "gce_subnetwork", "labels": SUBNET_LABELS},
            "timestamp": "2025-03-14T09:27:02.448Z",
            "jsonPayload": {
                "connection": FLOW_CONNECTION,
                "reporter": "SRC",
                "bytes_sent": "18342",
                "packets_sent": "31",
                "rtt_msec": "11",
                "start_time": "2025-03-14T09:26:57.102Z",
                "end_time": "2025-03-14T09:27:01.980Z",
                "src_instance": {
                    "project_id": PROJECT,
                    "region": REGION,
                    "vm_name": "lau-viewer-x7k2",
                    "zone": f"{REGION}-a",
                },
                "src_vpc": {"project_id": PROJECT, "vpc_name": "lau-vpc", "subnetwork_name": "lau-viewer"},
            },
        },
        family="vpc-flows",
    ),
    Sample(
        "firewall-denied-connection",
        {
            "insertId": "8u9i0o1p2a3s4",
            "logName": log_name("compute.googleapis.com/firewall"),
            "resource": {"type": "gce_subnetwork", "labels": SUBNET_LABELS},
            "timestamp": "2025-03-14T09:27:05.120Z",
            "jsonPayload": {
                "connection": {**FLOW_CONNECTION, "src_ip": "198.51.100.23", "dest_ip": "10.60.0.12", "dest_port": 22},
                "disposition": "DENIED",
                "rule_details": {
                    "reference": "network:lau-vpc/firewall:lau-deny-all-ingress",
                    "priority": 65534,
                    "action": "DENY",
                    "direction": "INGRESS",
                    "ip_port_info": [{"ip_protocol": "ALL"}],
                    "source_range": ["0.0.0.0/0"],
                },
                "instance": {
                    "project_id": PROJECT,
                    "region": REGION,
                    "vm_name": "lau-viewer-x7k2",
                    "zone": f"{REGION}-a",
                },
                "vpc": {"project_id": PROJECT, "vpc_name": "lau-vpc", "subnetwork_name": "lau-viewer"},
            },
        },
        family="firewall",
    ),
    Sample(
        "lb-request",
        {
            "insertId": "w9x8y7z6",
            "logName": log_name("requests"),
            "resource": {
                "type": "http_load_balancer",
                "labels": {
                    "project_id": PROJECT,
                    "zone": "global",
                    "forwarding_rule_name": "lau-viewer-https",
                    "url_map_name": "lau-viewer",
                    "target_proxy_name": "lau-viewer-https",
                    "backend_service_name": "lau-viewer",
                },
            },
            "timestamp": "2025-03-14T09:27:06.301Z",
            "severity": "INFO",
            "httpRequest": {
                "requestMethod": "GET",
                "requestUrl": "https://viewer.lau.chuv.example/studies/1.2.826.0.1.3680043.8.498.1",
                "requestSize": "412",
                "status": 200,
                "responseSize": "1048576",
                "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
                "remoteIp": "193.134.200.40",
                "serverIp": "10.60.0.12",
                "latency": "0.041827s",
                "protocol": "HTTP/2.0",
            },
            "jsonPayload": {
                "@type": "type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry",
                "statusDetails": "response_sent_by_backend",
                "backendTargetProjectNumber": "projects/412345678901",
            },
        },
        family="load-balancer",
    ),
    Sample(
        "dns-query",
        {
            "insertId": "c1d2e3f4",
            "logName": log_name("dns.googleapis.com/dns_queries"),
            "resource": {
                "type": "dns_query",
                "labels": {
                    "project_id": PROJECT,
                    "location": REGION,
                    "source_type": "gce-vm",
                    "target_type": "external",
                    "target_name": "",
                },
            },
            "timestamp": "2025-03-14T09:27:07.010Z",
            "severity": "INFO",
            "jsonPayload": {
                "authAnswer": False,
                "protocol": "UDP",
                "queryName": "exfil.example.net.",
                "queryType": "TXT",
                "responseCode": "NOERROR",
                "rdata": 'exfil.example.net.\t300\tIN\ttxt\t"ok"',
                "serverLatency": 14,
                "sourceIP": "10.60.0.12",
                "sourceNetwork": "lau-vpc",
                "vmInstanceName": "412345678901.lau-viewer-x7k2",
                "vmProjectId": PROJECT,
                "vmZoneName": f"{REGION}-a",
            },
        },
        family="dns",
    ),
    Sample(
        "google-staff-read-an-image",  # Access Transparency: Google personnel read an object for a support case
        {
            "insertId": "1qr2x9je4kq",
            "logName": log_name("cloudaudit.googleapis.com/access_transparency"),
            "resource": {"type": "project", "labels": {"project_id": PROJECT}},
            "timestamp": "2025-03-14T09:27:09.000Z",
            "severity": "NOTICE",
            "protoPayload": {
                "@type": "type.googleapis.com/google.cloud.audit.TransparencyLog",
                "location": {
                    "principalOfficeCountry": "CH",
                    "principalEmployingEntity": "Google LLC",
                    "principalPhysicalLocationCountry": "CH",
                },
                "product": ["Cloud Storage"],
                "reason": [{"type": "CUSTOMER_INITIATED_SUPPORT", "detail": "Case number: 51234567"}],
                "accesses": [
                    {
                        "methodName": "GoogleInternal.Read",
                        "resourceName": f"//googleapis.com/storage/buckets/{IMAGES}/objects/studies/1.2.826.0.1/17.dcm",
                    }
                ],
                "accessApprovals": [f"projects/{PROJECT}/approvalRequests/0f1e2d3c4b5a"],
                "eventId": "bd6f3a1c-2f4e-4a8e-9c1b-7e3d5a2f1b0c",
            },
        },
    ),
    # --- Not security logs ---------------------------------------------------------------------
    Sample(
        "app-stdout",  # mentions an audit log ID in its text: log_id() must not be a text search
        {
            "insertId": "6512f3a40009b2c1",
            "logName": log_name("run.googleapis.com/stdout"),
            "resource": {
                "type": "cloud_run_revision",
                "labels": {
                    "project_id": PROJECT,
                    "location": REGION,
                    "service_name": "lau-viewer",
                    "revision_name": "lau-viewer-00042-maz",
                    "configuration_name": "lau-viewer",
                },
            },
            "timestamp": "2025-03-14T09:27:08.555Z",
            "textPayload": "study opened; access recorded in cloudaudit.googleapis.com/activity",
        },
        family=None,
    ),
    Sample(
        "cloud-run-request",  # an HTTP request log that is not the load balancer's
        {
            "insertId": "6512f3a4000a11d7",
            "logName": log_name("run.googleapis.com/requests"),
            "resource": {"type": "cloud_run_revision", "labels": {"project_id": PROJECT, "service_name": "lau-viewer"}},
            "timestamp": "2025-03-14T09:27:08.601Z",
            "severity": "INFO",
            "httpRequest": {
                "requestMethod": "GET",
                "requestUrl": "https://lau-viewer-x.a.run.app/healthz",
                "status": 200,
            },
        },
        family=None,
    ),
)


FAMILIES: dict[str, str] = {
    "audit": "audit logs",
    "vpc-flows": "VPC flow logs",
    "firewall": "firewall logs",
    "load-balancer": "load balancer request logs",
    "dns": "DNS query logs",
}
"""Every security log family (the ``family`` of a sample), with its name in messages."""


def _retarget(node: Any, pattern: re.Pattern[str], values: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return pattern.sub(lambda m: values[m.group()], node)
    if isinstance(node, Mapping):
        return {k: _retarget(v, pattern, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_retarget(v, pattern, values) for v in node]
    return node


def images_of(project: str | None, site_code: str | None) -> str:
    """The site's image bucket as the components name it, in the samples (``<project>-<site>-images``); an
    unknown (``None``) value keeps the reference site's."""
    return f"{project or PROJECT}-{site_code or SITE_CODE}-images"


def _site_values(
    project: str | None, region: str | None, site_code: str | None
) -> tuple[re.Pattern[str], dict[str, str]]:
    values = {
        IMAGES: images_of(project, site_code),
        PROJECT: project or PROJECT,
        REGION: region or REGION,
    }
    return re.compile("|".join(re.escape(k) for k in values)), values  # the image bucket first: it holds the project


@cache
def for_site(project: str | None, region: str | None, site_code: str | None) -> tuple[Sample, ...]:
    """The samples as the given site would write them: its project, region and image bucket.

    An unknown (``None``) value keeps the reference site's.
    """
    pattern, values = _site_values(project, region, site_code)
    return tuple(replace(s, entry=_retarget(s.entry, pattern, values)) for s in SAMPLES)


def retarget(entry: dict[str, Any], project: str | None, region: str | None, site_code: str | None) -> dict[str, Any]:
    """One entry written for the reference site, as the given site would write it (see :func:`for_site`)."""
    pattern, values = _site_values(project, region, site_code)
    retargeted: dict[str, Any] = _retarget(entry, pattern, values)
    return retargeted


def on_buckets(entry: dict[str, Any], site_images: str, buckets: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
    """An entry on the site's conventional image bucket (``site_images``, as :func:`for_site` names it) written on
    each of ``buckets`` instead (its resource label, resource names and request; with no bucket, on
    ``site_images``): per bucket, the suffix its id takes (``-on-<bucket>``, none for ``site_images``) and the entry."""
    moved = []
    for bucket in sorted(set(buckets)) or [site_images]:
        if bucket == site_images:
            moved.append(("", entry))
        else:
            moved.append((f"-on-{bucket}", _retarget(entry, re.compile(re.escape(site_images)), {site_images: bucket})))
    return moved


def security(samples: tuple[Sample, ...]) -> tuple[Sample, ...]:
    """The samples that are security logs (every one must reach the SIEM and the locked bucket)."""
    return tuple(s for s in samples if s.family is not None)
