"""A model of what Google Cloud computes for each resource type and invoke, for the mock engine.

Two modes (ADR 0029):

* ``preview``: the provider has not run yet: the id and every computed output are unknown, only
  inputs are known (a fresh site's first ``pulumi preview``).
* ``update``: the outputs in the form the pinned provider (pulumi-gcp 10.2.0, i.e.
  terraform-provider-google-beta) stores them after ``up``: short or long names, normalised
  references, ids and computed fields as its create and read functions set them. A first update
  sees these for every resource created before the one analysed (the engine waits for its step), a
  later preview or update for every unchanged resource. :data:`STORED_FORMS` records,
  per type, each rule and the provider source it comes from; ``tests/preflight/engine/test_stored_forms.py`` holds the
  model against it. What could not be established is listed in docs/adr/0013-provider-stored-forms.md.

Invokes answer in every mode, as they do in a real preview.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import mocks as pulumi_mocks

from preflight.engine import gcp_schema

Outputs = dict[str, Any]


def project_number(project: str) -> str:
    """A stable, realistic 12-digit project number for a project id."""
    digest = int(hashlib.sha256(project.encode()).hexdigest(), 16)
    return str(100_000_000_000 + digest % 900_000_000_000)


def _digits(seed: str, length: int) -> str:
    digest = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return str(10 ** (length - 1) + digest % (9 * 10 ** (length - 1)))


def _key_ring(i: Outputs, name: str) -> Outputs:
    ring_id = f"projects/{i['project']}/locations/{i['location']}/keyRings/{i.get('name', name)}"
    return {"id": ring_id}


def _crypto_key(i: Outputs, name: str) -> Outputs:
    key_id = f"{i['keyRing']}/cryptoKeys/{i.get('name', name)}"
    # Terraform's ``primary`` (a list without MaxItems 1) is ``primaries`` in pulumi-gcp.
    return {"id": key_id, "primaries": [{"name": f"{key_id}/cryptoKeyVersions/1", "state": "ENABLED"}]}


def _iam_member(parent_key: str) -> Callable[[Outputs, str], Outputs]:
    def outputs(i: Outputs, name: str) -> Outputs:
        return {"id": f"{i[parent_key]}/{i['role']}/{i['member']}", "etag": f"BwY{_digits(name, 8)}="}

    return outputs


def _bucket(i: Outputs, name: str) -> Outputs:
    bucket = i.get("name", name)
    return {
        "id": bucket,
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}",
        "url": f"gs://{bucket}",
        "projectNumber": float(project_number(i["project"])),
        "timeCreated": "2026-01-05T09:00:00.000Z",
    }


def _service_account(i: Outputs, name: str) -> Outputs:
    email = f"{i['accountId']}@{i['project']}.iam.gserviceaccount.com"
    resource_name = f"projects/{i['project']}/serviceAccounts/{email}"
    return {
        "id": resource_name,
        "name": resource_name,
        "email": email,
        "member": f"serviceAccount:{email}",
        "uniqueId": _digits(email, 21),
    }


def _pool(i: Outputs, name: str) -> Outputs:
    pool = (
        f"projects/{project_number(i['project'])}/locations/global/workloadIdentityPools/{i['workloadIdentityPoolId']}"
    )
    return {"id": pool, "name": pool, "state": "ACTIVE"}


def _pool_provider(i: Outputs, name: str) -> Outputs:
    provider = (
        f"projects/{project_number(i['project'])}/locations/global/workloadIdentityPools/"
        f"{i['workloadIdentityPoolId']}/providers/{i['workloadIdentityPoolProviderId']}"
    )
    return {"id": provider, "name": provider, "state": "ACTIVE"}


def _default_accounts(i: Outputs, name: str) -> Outputs:
    return {"id": f"projects/{i['project']}", "serviceAccounts": {}}


def _compute_global(collection: str) -> Callable[[Outputs, str], Outputs]:
    def outputs(i: Outputs, name: str) -> Outputs:
        resource_id = f"projects/{i['project']}/global/{collection}/{i.get('name', name)}"
        return {"id": resource_id, "selfLink": f"https://www.googleapis.com/compute/v1/{resource_id}"}

    return outputs


def _subnetwork(i: Outputs, name: str) -> Outputs:
    subnet_id = f"projects/{i['project']}/regions/{i['region']}/subnetworks/{i.get('name', name)}"
    first = i["ipCidrRange"].split("/")[0].rsplit(".", 1)[0]
    return {
        "id": subnet_id,
        "selfLink": f"https://www.googleapis.com/compute/v1/{subnet_id}",
        "gatewayAddress": f"{first}.1",
        "subnetworkId": float(_digits(subnet_id, 15)),
        "stackType": "IPV4_ONLY",
    }


def _managed_zone(i: Outputs, name: str) -> Outputs:
    zone = i.get("name", name)
    return {
        "id": f"projects/{i['project']}/managedZones/{zone}",
        "managedZoneId": float(_digits(zone, 16)),
        "nameServers": [f"ns-gcp-private.googledomains.com.{zone}"],
        "creationTime": "2026-01-05T09:00:00.000Z",
    }


def _record_set(i: Outputs, name: str) -> Outputs:
    return {"id": f"projects/{i['project']}/managedZones/{i['managedZone']}/rrsets/{i['name']}/{i['type']}"}


def _dns_policy(i: Outputs, name: str) -> Outputs:
    return {"id": f"projects/{i['project']}/policies/{i.get('name', name)}"}


def _sink(i: Outputs, name: str) -> Outputs:
    sink = i.get("name", name)
    number = project_number(i["project"])
    return {
        "id": f"projects/{i['project']}/sinks/{sink}",
        "writerIdentity": f"serviceAccount:service-{number}@gcp-sa-logging.iam.gserviceaccount.com",
    }


def _log_bucket(i: Outputs, name: str) -> Outputs:
    bucket = f"projects/{i['project']}/locations/{i['location']}/buckets/{i['bucketId']}"
    return {"id": bucket, "name": bucket, "lifecycleState": "ACTIVE"}


def _pubsub(collection: str) -> Callable[[Outputs, str], Outputs]:
    def outputs(i: Outputs, name: str) -> Outputs:
        return {"id": f"projects/{i['project']}/{collection}/{i.get('name', name)}"}

    return outputs


def _numbered(collection: str) -> Callable[[Outputs, str], Outputs]:
    def outputs(i: Outputs, name: str) -> Outputs:
        resource = f"projects/{i['project']}/{collection}/{_digits(name, 19)}"
        return {"id": resource, "name": resource}

    return outputs


def _metric(i: Outputs, name: str) -> Outputs:
    return {"id": i.get("name", name)}


def _audit_config(i: Outputs, name: str) -> Outputs:
    return {"id": f"{i['project']}/{i['service']}", "etag": f"BwY{_digits(name, 8)}="}


def _global_address(i: Outputs, name: str) -> Outputs:
    digits = _digits(name, 6)
    return {
        **_compute_global("addresses")(i, name),
        "address": f"34.{int(digits[:2]) + 100}.{digits[2:4]}.{digits[4:]}",
    }


def _cloud_run(i: Outputs, name: str) -> Outputs:
    service = i.get("name", name)
    return {
        "id": f"projects/{i['project']}/locations/{i['location']}/services/{service}",
        "uri": f"https://{service}-{_digits(service, 12)}.{i['location']}.run.app",
        "uid": _digits(service, 20),
    }


def _binauthz_policy(i: Outputs, name: str) -> Outputs:
    # Create: id "projects/{{project}}" (one policy per project).
    return {"id": f"projects/{i['project']}"}


def _regional(collection: str) -> Callable[[Outputs, str], Outputs]:
    def outputs(i: Outputs, name: str) -> Outputs:
        resource_id = f"projects/{i['project']}/regions/{i['region']}/{collection}/{i.get('name', name)}"
        return {"id": resource_id, "selfLink": f"https://www.googleapis.com/compute/v1/{resource_id}"}

    return outputs


def _project_service(i: Outputs, name: str) -> Outputs:
    return {"id": f"{i['project']}/{i['service']}"}


def _org_policy(i: Outputs, name: str) -> Outputs:
    return {"id": i["name"], "etag": f"BwY{_digits(name, 8)}="}


_AGENT_DOMAINS = {"pubsub.googleapis.com": "gcp-sa-pubsub", "iap.googleapis.com": "gcp-sa-iap"}


def _service_identity(i: Outputs, name: str) -> Outputs:
    domain = _AGENT_DOMAINS.get(i["service"], "gcp-sa-" + i["service"].split(".")[0])
    email = f"service-{project_number(i['project'])}@{domain}.iam.gserviceaccount.com"
    return {
        "id": f"projects/{i['project']}/services/{i['service']}",
        "email": email,
        "member": f"serviceAccount:{email}",
    }


COMPUTED: dict[str, Callable[[Outputs, str], Outputs]] = {
    "gcp:projects/serviceIdentity:ServiceIdentity": _service_identity,
    "gcp:compute/globalAddress:GlobalAddress": _global_address,
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": _compute_global("forwardingRules"),
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy": _compute_global("targetHttpsProxies"),
    "gcp:compute/targetHttpProxy:TargetHttpProxy": _compute_global("targetHttpProxies"),
    "gcp:compute/uRLMap:URLMap": _compute_global("urlMaps"),
    "gcp:compute/sSLPolicy:SSLPolicy": _compute_global("sslPolicies"),
    "gcp:compute/managedSslCertificate:ManagedSslCertificate": _compute_global("sslCertificates"),
    "gcp:compute/backendService:BackendService": _compute_global("backendServices"),
    "gcp:compute/securityPolicy:SecurityPolicy": _compute_global("securityPolicies"),
    "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup": _regional("networkEndpointGroups"),
    "gcp:cloudrunv2/service:Service": _cloud_run,
    "gcp:binaryauthorization/policy:Policy": _binauthz_policy,
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": _iam_member("name"),
    "gcp:iap/webBackendServiceIamMember:WebBackendServiceIamMember": _iam_member("webBackendService"),
    "gcp:projects/service:Service": _project_service,
    "gcp:orgpolicy/policy:Policy": _org_policy,
    "gcp:logging/projectSink:ProjectSink": _sink,
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": _log_bucket,
    "gcp:logging/logViewIamMember:LogViewIamMember": _iam_member("name"),
    "gcp:pubsub/topic:Topic": _pubsub("topics"),
    "gcp:pubsub/subscription:Subscription": _pubsub("subscriptions"),
    "gcp:pubsub/topicIAMMember:TopicIAMMember": _iam_member("topic"),
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": _iam_member("subscription"),
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": _audit_config,
    "gcp:logging/metric:Metric": _metric,
    "gcp:monitoring/alertPolicy:AlertPolicy": _numbered("alertPolicies"),
    "gcp:monitoring/notificationChannel:NotificationChannel": _numbered("notificationChannels"),
    "gcp:compute/network:Network": _compute_global("networks"),
    "gcp:compute/subnetwork:Subnetwork": _subnetwork,
    "gcp:compute/route:Route": _compute_global("routes"),
    "gcp:compute/firewall:Firewall": _compute_global("firewalls"),
    "gcp:dns/managedZone:ManagedZone": _managed_zone,
    "gcp:dns/recordSet:RecordSet": _record_set,
    "gcp:dns/policy:Policy": _dns_policy,
    "gcp:kms/keyRing:KeyRing": _key_ring,
    "gcp:kms/cryptoKey:CryptoKey": _crypto_key,
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": _iam_member("cryptoKeyId"),
    "gcp:storage/bucket:Bucket": _bucket,
    "gcp:storage/bucketIAMMember:BucketIAMMember": _iam_member("bucket"),
    "gcp:serviceaccount/account:Account": _service_account,
    "gcp:serviceaccount/iAMMember:IAMMember": _iam_member("serviceAccountId"),
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": _pool,
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": _pool_provider,
    "gcp:projects/defaultServiceAccounts:DefaultServiceAccounts": _default_accounts,
}
"""Computed outputs per type token; other types get an id derived from their logical name."""


def _storage_agent(args: Outputs) -> Outputs:
    number = project_number(args["project"])
    email = f"service-{number}@gs-project-accounts.iam.gserviceaccount.com"
    return {"emailAddress": email, "member": f"serviceAccount:{email}", "project": args["project"], "id": email}


def _logging_cmek(args: Outputs) -> Outputs:
    number = project_number(args["project"])
    return {
        "id": f"projects/{args['project']}/cmekSettings",
        "name": f"projects/{args['project']}/cmekSettings",
        "project": args["project"],
        "serviceAccountId": f"cmek-p{number}@gcp-sa-logging.iam.gserviceaccount.com",
    }


def _project(args: Outputs) -> Outputs:
    project = args["projectId"]
    return {"id": f"projects/{project}", "projectId": project, "number": project_number(project), "name": project}


INVOKES: dict[str, Callable[[Outputs], Outputs]] = {
    "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": _storage_agent,
    "gcp:logging/getProjectCmekSettings:getProjectCmekSettings": _logging_cmek,
    "gcp:organizations/getProject:getProject": _project,
}


COMPUTE_V1 = "https://www.googleapis.com/compute/v1/"
"""Self links and references the provider normalises with ``tpgresource.ConvertSelfLinkToV1``."""
COMPUTE_API = "https://www.googleapis.com/compute/beta/"
"""References the provider keeps as the API returns them (flatteners that ``return v``): the beta
provider calls the compute beta endpoint, whose links name that version."""
TPG = "terraform-provider-google-beta google-beta/"


def _rule_flags(rule: Any) -> Outputs:
    """A v2 org-policy rule as the provider stores it: flattenOrgPolicyPolicySpecRules* write every
    field, ``allowAll``/``denyAll``/``enforce`` as ``"TRUE"``/``"FALSE"`` or ``""`` when unset."""
    rule = dict(rule) if isinstance(rule, dict) else {}
    stored: Outputs = {key: str(rule[key]).upper() if key in rule else "" for key in ("allowAll", "denyAll", "enforce")}
    values = rule.get("values")
    stored["values"] = (
        {"allowedValues": list(values.get("allowedValues", [])), "deniedValues": list(values.get("deniedValues", []))}
        if isinstance(values, dict)
        else None
    )
    stored["condition"] = rule.get("condition")
    stored["parameters"] = rule.get("parameters")
    return stored


def _stored_org_policy(i: Outputs, extra: Outputs, name: str) -> Outputs:
    short = str(i["name"]).rsplit("/", 1)[-1]
    spec = dict(i.get("spec") or {})
    return {
        "name": short,
        "id": f"{i['parent']}/policies/{short}",
        "spec": {
            **spec,
            "rules": [_rule_flags(r) for r in spec.get("rules", [])],
            "etag": f"CL{_digits(name, 10)}=",
            "updateTime": "2026-01-05T09:00:00.000000Z",
            "inheritFromParent": bool(spec.get("inheritFromParent", False)),
            "reset": bool(spec.get("reset", False)),
        },
    }


def _stored_member(
    parent_key: str, parent: Callable[[Outputs], str], resource: Callable[[Outputs], str] | None = None
) -> Callable[[Outputs, Outputs, str], Outputs]:
    """An IAM member: ``parent`` is what the updater writes back into the parent field (its input where
    it writes nothing); the id is ``<updater's resource id>/<role>/<member>`` (resourceIamMemberCreate)."""

    def stored(i: Outputs, extra: Outputs, name: str) -> Outputs:
        resource_id = (resource or parent)(i)
        return {parent_key: parent(i), "id": f"{resource_id}/{i['role']}/{i['member']}", "condition": None}

    return stored


def _short(value: Any) -> str:
    return str(value).rstrip("/").rsplit("/", 1)[-1]


def _v1_link(value: Any) -> Any:
    """tpgresource.ConvertSelfLinkToV1 applied to what the API returns for a reference given as a name,
    a path or a link: the full v1 self link."""
    if not isinstance(value, str) or not value:
        return value
    path = value.split("/compute/", 1)[1].split("/", 1)[1] if "/compute/" in value else value
    return COMPUTE_V1 + path


def _api_link(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    path = value.split("/compute/", 1)[1].split("/", 1)[1] if "/compute/" in value else value
    return COMPUTE_API + path


def _global_ref(project: str, collection: str, value: Any) -> Any:
    """A global compute reference given as a name, a path or a link, as ``projects/...`` path."""
    if not isinstance(value, str) or not value:
        return value
    if "/" not in value:
        return f"projects/{project}/global/{collection}/{value}"
    return value.split("/compute/", 1)[1].split("/", 1)[1] if "/compute/" in value else value


def _stored_network_ref(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {"network": _v1_link(_global_ref(i["project"], "networks", i.get("network")))}


def _stored_subnetwork(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {**_stored_network_ref(i, extra, name), "region": _short(i["region"])}


def _stored_neg(i: Outputs, extra: Outputs, name: str) -> Outputs:
    stored: Outputs = {"region": _v1_link(f"projects/{i['project']}/regions/{_short(i['region'])}")}
    if i.get("network"):
        stored["network"] = _v1_link(_global_ref(i["project"], "networks", i["network"]))
    return stored


def _stored_https_proxy(i: Outputs, extra: Outputs, name: str) -> Outputs:
    project = i["project"]
    return {
        "urlMap": _v1_link(_global_ref(project, "urlMaps", i.get("urlMap"))),
        "sslPolicy": _v1_link(_global_ref(project, "sslPolicies", i.get("sslPolicy"))),
        "sslCertificates": [_v1_link(_global_ref(project, "sslCertificates", c)) for c in i.get("sslCertificates", [])],
    }


def _stored_http_proxy(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {"urlMap": _v1_link(_global_ref(i["project"], "urlMaps", i.get("urlMap")))}


def _stored_url_map(i: Outputs, extra: Outputs, name: str) -> Outputs:
    if not i.get("defaultService"):
        return {}
    return {"defaultService": _v1_link(_global_ref(i["project"], "backendServices", i["defaultService"]))}


def _stored_forwarding_rule(i: Outputs, extra: Outputs, name: str) -> Outputs:
    target = i.get("target")
    collection = "targetHttpsProxies" if "Https" in str(target) or "https" in str(target) else "targetHttpProxies"
    return {"target": _api_link(_global_ref(i["project"], collection, target))}


def _stored_backend_service(i: Outputs, extra: Outputs, name: str) -> Outputs:
    project = i["project"]
    stored: Outputs = {}
    if i.get("backends"):
        stored["backends"] = [
            {**b, "group": _v1_link(b["group"]) if "/" in str(b.get("group", "")) else b.get("group")}
            for b in i["backends"]
        ]
    if i.get("securityPolicy"):
        stored["securityPolicy"] = _api_link(_global_ref(project, "securityPolicies", i["securityPolicy"]))
    return stored


def _stored_route(i: Outputs, extra: Outputs, name: str) -> Outputs:
    stored = _stored_network_ref(i, extra, name)
    gateway = i.get("nextHopGateway")
    if gateway:
        stored["nextHopGateway"] = _api_link(_global_ref(i["project"], "gateways", gateway))
    for key in ("nextHopVpnTunnel", "nextHopInstance"):
        # flattenComputeRouteNextHopVpnTunnel / ...Instance: ConvertSelfLinkToV1 of the API's link.
        if isinstance(i.get(key), str) and "/" in i[key]:
            stored[key] = _v1_link(i[key])
    return stored


def _stored_dns_networks(key: str) -> Callable[[Outputs, Outputs, str], Outputs]:
    """A DNS zone's or policy's networks: the expander turns each ``networkUrl`` into a full v1 link
    (``ConvertSelfLinkToV1``), the flattener keeps what the API returns."""

    def stored(i: Outputs, extra: Outputs, name: str) -> Outputs:
        def networks(items: list[Any]) -> list[Any]:
            return [
                {**n, "networkUrl": _v1_link(_global_ref(i["project"], "networks", n.get("networkUrl")))} for n in items
            ]

        if key == "networks":
            return {"networks": networks(i.get("networks", []))}
        config = i.get(key)
        if not isinstance(config, dict):
            return {}
        return {key: {**config, "networks": networks(config.get("networks", []))}}

    return stored


def _stored_pool(i: Outputs, extra: Outputs, name: str) -> Outputs:
    # The id is built from the project as given; ``name`` is the API's, which names the project by number.
    return {"id": f"projects/{i['project']}/locations/global/workloadIdentityPools/{i['workloadIdentityPoolId']}"}


def _stored_pool_provider(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {
        "id": (
            f"projects/{i['project']}/locations/global/workloadIdentityPools/{i['workloadIdentityPoolId']}"
            f"/providers/{i['workloadIdentityPoolProviderId']}"
        )
    }


def _stored_audit_config(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {"id": f"{i['project']}/audit_config/{i['service']}"}


def _stored_bucket(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {
        "projectNumber": float(project_number(i["project"])),
        "location": str(i.get("location", "US")).upper(),
        "storageClass": i.get("storageClass", "STANDARD"),
    }


def _stored_cloud_run(i: Outputs, extra: Outputs, name: str) -> Outputs:
    # ``ingress`` is Optional+Computed and flattened as the API returns it; the Cloud Run Admin API (v2
    # Service.ingress) serves traffic from everywhere when a service does not say: INGRESS_TRAFFIC_ALL.
    stored: Outputs = {"ingress": i.get("ingress") or "INGRESS_TRAFFIC_ALL"}
    # ``binary_authorization`` (MaxItems 1): flattenCloudRunV2ServiceBinaryAuthorization sets all three fields
    # from the API's object, so a field the service does not set is stored as the string or bool zero value.
    given = i.get("binaryAuthorization")
    if isinstance(given, dict) and any(given.values()):
        stored["binaryAuthorization"] = {
            "useDefault": bool(given.get("useDefault", False)),
            "policy": given.get("policy") or "",
            "breakglassJustification": given.get("breakglassJustification") or "",
        }
    return stored


def _stored_binauthz_policy(i: Outputs, extra: Outputs, name: str) -> Outputs:
    # expandBinaryAuthorizationPolicyDefaultAdmissionRuleRequireAttestationsBy sends each attestor in full
    # (a short name is in the provider's project) and the flatten keeps the API's full names;
    # global_policy_evaluation_mode is Optional+Computed (the API's value when the program sets none).
    project = i["project"]

    def full(attestor: str) -> str:
        return attestor if "/attestors/" in attestor else f"projects/{project}/attestors/{attestor}"

    def rule(r: Any) -> Any:
        if not isinstance(r, dict):
            return r
        return {**r, "requireAttestationsBies": [full(a) for a in r.get("requireAttestationsBies") or []]}

    return {
        "defaultAdmissionRule": rule(i.get("defaultAdmissionRule")),
        "clusterAdmissionRules": [rule(r) for r in i.get("clusterAdmissionRules") or []],
        "globalPolicyEvaluationMode": i.get("globalPolicyEvaluationMode") or "ENABLE",
    }


def _stored_v1_org_policy(i: Outputs, extra: Outputs, name: str) -> Outputs:
    # Create: d.SetId("<project>:<constraint>") as declared; Read: d.Set("constraint", policy.Constraint),
    # the API's form, always "constraints/<name>".
    constraint = str(i["constraint"])
    return {
        "id": f"{i['project']}:{constraint}",
        "constraint": constraint if constraint.startswith("constraints/") else f"constraints/{constraint}",
    }


def _stored_firewall(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {
        **_stored_network_ref(i, extra, name),
        "direction": i.get("direction") or "INGRESS",
        "priority": float(i.get("priority", 1000)),
    }


STORED: dict[str, Callable[[Outputs, Outputs, str], Outputs]] = {
    "gcp:orgpolicy/policy:Policy": _stored_org_policy,
    "gcp:storage/bucketIAMMember:BucketIAMMember": _stored_member("bucket", lambda i: f"b/{i['bucket']}"),
    "gcp:iap/webBackendServiceIamMember:WebBackendServiceIamMember": _stored_member(
        "webBackendService",
        lambda i: f"projects/{i['project']}/iap_web/compute/services/{_short(i['webBackendService'])}",
    ),
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": _stored_member(
        "name", lambda i: f"projects/{i['project']}/locations/{i['location']}/services/{_short(i['name'])}"
    ),
    "gcp:logging/logViewIamMember:LogViewIamMember": _stored_member(
        "name", lambda i: f"{i['parent']}/locations/{i['location']}/buckets/{i['bucket']}/views/{_short(i['name'])}"
    ),
    "gcp:pubsub/topicIAMMember:TopicIAMMember": _stored_member(
        "topic", lambda i: f"projects/{i['project']}/topics/{_short(i['topic'])}"
    ),
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": _stored_member(
        "subscription",
        lambda i: i["subscription"],
        lambda i: (
            i["subscription"]
            if "/" in i["subscription"]
            else f"projects/{i['project']}/subscriptions/{i['subscription']}"
        ),
    ),
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": _stored_member("cryptoKeyId", lambda i: i["cryptoKeyId"]),
    "gcp:serviceaccount/iAMMember:IAMMember": _stored_member("serviceAccountId", lambda i: i["serviceAccountId"]),
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": _stored_audit_config,
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": _stored_pool,
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": _stored_pool_provider,
    "gcp:storage/bucket:Bucket": _stored_bucket,
    "gcp:compute/firewall:Firewall": _stored_firewall,
    "gcp:cloudrunv2/service:Service": _stored_cloud_run,
    "gcp:binaryauthorization/policy:Policy": _stored_binauthz_policy,
    "gcp:projects/organizationPolicy:OrganizationPolicy": _stored_v1_org_policy,
    "gcp:compute/route:Route": _stored_route,
    "gcp:compute/subnetwork:Subnetwork": _stored_subnetwork,
    "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup": _stored_neg,
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy": _stored_https_proxy,
    "gcp:compute/targetHttpProxy:TargetHttpProxy": _stored_http_proxy,
    "gcp:compute/uRLMap:URLMap": _stored_url_map,
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": _stored_forwarding_rule,
    "gcp:compute/backendService:BackendService": _stored_backend_service,
    "gcp:dns/policy:Policy": _stored_dns_networks("networks"),
    "gcp:dns/managedZone:ManagedZone": _stored_dns_networks("privateVisibilityConfig"),
}
"""Per type, what the stored form changes beyond the computed outputs (``update`` mode only)."""


@dataclass(frozen=True)
class StoredForm:
    """One rule of the stored form: the output at ``field`` (dotted, list indexes as numbers; ``id`` is
    the resource id) matches ``pattern`` in full, or is absent when ``pattern`` is ``None``."""

    type: str
    field: str
    pattern: str | None
    source: str
    """The provider file (under terraform-provider-google-beta's google-beta/) and function."""
    optional: bool = False
    """The field is set only on some resources of the type (an optional reference)."""


_P = r"[^/]+"
_V1 = r"https://www\.googleapis\.com/compute/v1/projects/"
_API = r"https://www\.googleapis\.com/compute/beta/projects/"
_MEMBER = r"/roles/[^/]+/[a-zA-Z]+:.+"
_CREATE_ID = "the id ReplaceVars in the resource's Create"
_SELF_LINK = "Read: d.Set('self_link', ConvertSelfLinkToV1(...))"


def _compute(token: str, file: str, collection: str, scope: str = "global") -> list[StoredForm]:
    where = (
        f"projects/{_P}/{scope}/{collection}/{_P}"
        if scope == "global"
        else f"projects/{_P}/regions/{_P}/{collection}/{_P}"
    )
    return [
        StoredForm(token, "id", where, f"services/compute/{file}: {_CREATE_ID}"),
        StoredForm(token, "selfLink", _V1 + ".+", f"services/compute/{file}: {_SELF_LINK}"),
    ]


STORED_FORMS: tuple[StoredForm, ...] = (
    StoredForm(
        "gcp:projects/organizationPolicy:OrganizationPolicy",
        "id",
        f"{_P}:{_P}",
        "services/resourcemanager/resource_google_project_organization_policy.go: Create "
        "d.SetId(fmt.Sprintf('%s:%s', project, constraint)) as declared",
    ),
    StoredForm(
        "gcp:projects/organizationPolicy:OrganizationPolicy",
        "constraint",
        r"constraints/[a-zA-Z]+\.[a-zA-Z]+",
        "services/resourcemanager/resource_google_project_organization_policy.go: Read "
        "d.Set('constraint', policy.Constraint) (the API's 'constraints/' form)",
    ),
    StoredForm(
        "gcp:cloudrunv2/service:Service",
        "ingress",
        "INGRESS_TRAFFIC_(ALL|INTERNAL_ONLY|INTERNAL_LOAD_BALANCER)",
        "services/cloudrunv2/resource_cloud_run_v2_service.go: 'ingress' Optional+Computed, "
        "flattenCloudRunV2ServiceIngress returns the API's value (INGRESS_TRAFFIC_ALL when the service sets none)",
    ),
    StoredForm(
        "gcp:cloudrunv2/service:Service",
        "binaryAuthorization.useDefault",
        "True",
        "services/cloudrunv2/resource_cloud_run_v2_service.go: flattenCloudRunV2ServiceBinaryAuthorization (as the "
        "API returns it; nil, so absent, when the service sets none)",
        optional=True,
    ),
    StoredForm(
        "gcp:cloudrunv2/service:Service",
        "binaryAuthorization.breakglassJustification",
        "",
        "services/cloudrunv2/resource_cloud_run_v2_service.go: flattenCloudRunV2ServiceBinaryAuthorization sets "
        "breakglass_justification and policy too: the zero value when the API returns none",
        optional=True,
    ),
    StoredForm(
        "gcp:binaryauthorization/policy:Policy",
        "id",
        f"projects/{_P}",
        "services/binaryauthorization/resource_binary_authorization_policy.go: resourceBinaryAuthorizationPolicyCreate "
        "id 'projects/{{project}}'",
    ),
    StoredForm(
        "gcp:binaryauthorization/policy:Policy",
        "defaultAdmissionRule.requireAttestationsBies.0",
        f"projects/{_P}/attestors/{_P}",
        "services/binaryauthorization/resource_binary_authorization_policy.go: "
        "expandBinaryAuthorizationPolicyDefaultAdmissionRuleRequireAttestationsBy (a short name in full, in the "
        "provider's project); flatten...RequireAttestationsBy keeps the API's",
    ),
    StoredForm(
        "gcp:binaryauthorization/policy:Policy",
        "globalPolicyEvaluationMode",
        "ENABLE|DISABLE",
        "services/binaryauthorization/resource_binary_authorization_policy.go: 'global_policy_evaluation_mode' "
        "Optional+Computed, flattenBinaryAuthorizationPolicyGlobalPolicyEvaluationMode",
    ),
    StoredForm(
        "gcp:orgpolicy/policy:Policy",
        "name",
        r"[a-zA-Z]+(\.[a-zA-Z]+)+",
        "services/orgpolicy/resource_org_policy_policy.go: resourceOrgPolicyPolicyEncoder (create, read, update)",
    ),
    StoredForm(
        "gcp:orgpolicy/policy:Policy",
        "id",
        f"projects/{_P}/policies/{_P}",
        "services/orgpolicy/resource_org_policy_policy.go: Create id '{{parent}}/policies/{{name}}' after the encoder",
    ),
    StoredForm(
        "gcp:orgpolicy/policy:Policy",
        "spec.rules.0.enforce",
        "TRUE|FALSE|",
        "services/orgpolicy/resource_org_policy_policy.go: flattenOrgPolicyPolicySpecRulesEnforce",
    ),
    StoredForm(
        "gcp:orgpolicy/policy:Policy",
        "spec.rules.0.allowAll",
        "TRUE|FALSE|",
        "services/orgpolicy/resource_org_policy_policy.go: flattenOrgPolicyPolicySpecRulesAllowAll",
    ),
    StoredForm(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "bucket",
        f"b/{_P}",
        "services/storage/iam_storage_bucket.go: StorageBucketIamUpdaterProducer d.Set('bucket', GetResourceId())",
    ),
    StoredForm(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "id",
        f"b/{_P}{_MEMBER}",
        "tpgiamresource/resource_iam_member.go: resourceIamMemberCreate SetId(GetResourceId()/role/member)",
    ),
    StoredForm(
        "gcp:iap/webBackendServiceIamMember:WebBackendServiceIamMember",
        "webBackendService",
        f"projects/{_P}/iap_web/compute/services/{_P}",
        "services/iap/iam_iap_web_backend_service.go: IapWebBackendServiceIamUpdaterProducer d.Set(GetResourceId())",
    ),
    StoredForm(
        "gcp:iap/webBackendServiceIamMember:WebBackendServiceIamMember",
        "id",
        f"projects/{_P}/iap_web/compute/services/{_P}{_MEMBER}",
        "tpgiamresource/resource_iam_member.go: resourceIamMemberCreate",
    ),
    StoredForm(
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
        "name",
        f"projects/{_P}/locations/{_P}/services/{_P}",
        "services/cloudrunv2/iam_cloud_run_v2_service.go: CloudRunV2ServiceIamUpdaterProducer d.Set('name', ...)",
    ),
    StoredForm(
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
        "id",
        f"projects/{_P}/locations/{_P}/services/{_P}{_MEMBER}",
        "tpgiamresource/resource_iam_member.go: resourceIamMemberCreate",
    ),
    StoredForm(
        "gcp:logging/logViewIamMember:LogViewIamMember",
        "name",
        f"projects/{_P}/locations/{_P}/buckets/{_P}/views/{_P}",
        "services/logging/iam_logging_log_view.go: LoggingLogViewIamUpdaterProducer d.Set('name', GetResourceId())",
    ),
    StoredForm(
        "gcp:logging/logViewIamMember:LogViewIamMember",
        "id",
        f"projects/{_P}/locations/{_P}/buckets/{_P}/views/{_P}{_MEMBER}",
        "tpgiamresource/resource_iam_member.go: resourceIamMemberCreate SetId(GetResourceId()/role/member)",
    ),
    StoredForm(
        "gcp:logging/logViewIamMember:LogViewIamMember",
        "bucket",
        _P,
        "services/logging/iam_logging_log_view.go: LoggingLogViewIamUpdaterProducer d.Set('bucket', as given)",
    ),
    StoredForm(
        "gcp:pubsub/topicIAMMember:TopicIAMMember",
        "topic",
        f"projects/{_P}/topics/{_P}",
        "services/pubsub/iam_pubsub_topic.go: PubsubTopicIamUpdaterProducer d.Set('topic', GetResourceId())",
    ),
    StoredForm(
        "gcp:pubsub/topicIAMMember:TopicIAMMember",
        "id",
        f"projects/{_P}/topics/{_P}{_MEMBER}",
        "tpgiamresource/resource_iam_member.go: resourceIamMemberCreate",
    ),
    StoredForm(
        "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
        "id",
        f"projects/{_P}/subscriptions/{_P}{_MEMBER}",
        "services/pubsub/iam_pubsub_subscription.go: GetComputedSubscriptionName; resource_iam_member.go Create",
    ),
    StoredForm(
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
        "cryptoKeyId",
        f"projects/{_P}/locations/{_P}/keyRings/{_P}/cryptoKeys/{_P}",
        "services/kms/iam_kms_crypto_key.go: NewKmsCryptoKeyIamUpdater (kept as given; set only on import)",
    ),
    StoredForm(
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
        "id",
        f"projects/{_P}/locations/{_P}/keyRings/{_P}/cryptoKeys/{_P}{_MEMBER}",
        "tpgiamresource/resource_iam_member.go: resourceIamMemberCreate",
    ),
    StoredForm(
        "gcp:serviceaccount/iAMMember:IAMMember",
        "id",
        f"projects/{_P}/serviceAccounts/{_P}{_MEMBER}",
        "services/resourcemanager/iam_service_account.go: GetResourceId (the id as given); resource_iam_member.go",
    ),
    StoredForm(
        "gcp:projects/iAMAuditConfig:IAMAuditConfig",
        "id",
        f"{_P}/audit_config/{_P}",
        "tpgiamresource/resource_iam_audit_config.go: resourceIamAuditConfigCreate SetId(.../audit_config/service)",
    ),
    StoredForm(
        "gcp:kms/cryptoKey:CryptoKey",
        "id",
        f"projects/{_P}/locations/{_P}/keyRings/{_P}/cryptoKeys/{_P}",
        "services/kms/resource_kms_crypto_key.go: resourceKMSCryptoKeyCreate id '{{key_ring}}/cryptoKeys/{{name}}'",
    ),
    StoredForm(
        "gcp:kms/cryptoKey:CryptoKey",
        "primaries.0.state",
        "ENABLED",
        "services/kms/resource_kms_crypto_key.go: flattenKMSCryptoKeyPrimary (a list: pulumi-gcp names it primaries)",
    ),
    StoredForm(
        "gcp:kms/cryptoKey:CryptoKey",
        "primary",
        None,
        "services/kms/resource_kms_crypto_key.go: schema 'primary' TypeList without MaxItems 1 (pulumi-gcp primaries)",
    ),
    StoredForm(
        "gcp:kms/keyRing:KeyRing",
        "id",
        f"projects/{_P}/locations/{_P}/keyRings/{_P}",
        "services/kms/resource_kms_key_ring.go: resourceKMSKeyRingCreate id",
    ),
    StoredForm(
        "gcp:storage/bucket:Bucket",
        "id",
        _P,
        "services/storage/resource_storage_bucket.go: resourceStorageBucketCreate d.SetId(res.Id) (the bucket name)",
    ),
    StoredForm(
        "gcp:storage/bucket:Bucket",
        "selfLink",
        f"https://www\\.googleapis\\.com/storage/v1/b/{_P}",
        "services/storage/resource_storage_bucket.go: setStorageBucket d.Set('self_link', res.SelfLink)",
    ),
    StoredForm(
        "gcp:storage/bucket:Bucket",
        "location",
        "[A-Z0-9-]+",
        "services/storage/resource_storage_bucket.go: schema 'location' StateFunc strings.ToUpper; Read res.Location",
    ),
    StoredForm(
        "gcp:storage/bucket:Bucket",
        "storageClass",
        "STANDARD|NEARLINE|COLDLINE|ARCHIVE|MULTI_REGIONAL|REGIONAL",
        "services/storage/resource_storage_bucket.go: schema 'storage_class' Default 'STANDARD'",
    ),
    StoredForm(
        "gcp:storage/bucket:Bucket",
        "url",
        f"gs://{_P}",
        "services/storage/resource_storage_bucket.go: setStorageBucket d.Set('url', 'gs://'+bucket)",
    ),
    StoredForm(
        "gcp:storage/bucket:Bucket",
        "projectNumber",
        r"\d{12}(\.0)?",
        "services/storage/resource_storage_bucket.go: setStorageBucket d.Set('project_number', res.ProjectNumber)",
    ),
    StoredForm(
        "gcp:serviceaccount/account:Account",
        "id",
        f"projects/{_P}/serviceAccounts/{_P}@{_P}",
        "services/resourcemanager/resource_google_service_account.go: Create d.SetId(sa.Name)",
    ),
    StoredForm(
        "gcp:serviceaccount/account:Account",
        "member",
        "serviceAccount:.+@.+",
        "services/resourcemanager/resource_google_service_account.go: Read d.Set('member', 'serviceAccount:'+email)",
    ),
    StoredForm(
        "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
        "id",
        f"projects/[a-z][^/]*/locations/global/workloadIdentityPools/{_P}",
        "services/iambeta/resource_iam_workload_identity_pool.go: Create id 'projects/{{project}}/...' (project id)",
    ),
    StoredForm(
        "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
        "name",
        f"projects/\\d+/locations/global/workloadIdentityPools/{_P}",
        "services/iambeta/resource_iam_workload_identity_pool.go: flattenIAMBetaWorkloadIdentityPoolName (the API's)",
    ),
    StoredForm(
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
        "id",
        f"projects/[a-z][^/]*/locations/global/workloadIdentityPools/{_P}/providers/{_P}",
        "services/iambeta/resource_iam_workload_identity_pool_provider.go: Create id",
    ),
    StoredForm(
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
        "name",
        f"projects/\\d+/locations/global/workloadIdentityPools/{_P}/providers/{_P}",
        "services/iambeta/resource_iam_workload_identity_pool_provider.go: flatten...Name (the API's)",
    ),
    StoredForm(
        "gcp:projects/defaultServiceAccounts:DefaultServiceAccounts",
        "id",
        f"projects/{_P}",
        "services/resourcemanager/resource_google_project_default_service_accounts.go: SetId(PrefixedProject(pid))",
    ),
    StoredForm(
        "gcp:projects/service:Service",
        "id",
        f"{_P}/{_P}",
        "services/resourcemanager/resource_google_project_service.go: resourceGoogleProjectServiceCreate id",
    ),
    StoredForm(
        "gcp:projects/serviceIdentity:ServiceIdentity",
        "email",
        r"service-\d+@[a-z-]+\.iam\.gserviceaccount\.com",
        "services/resourcemanager/resource_project_service_identity.go: Create d.Set('email', ...) (the API's)",
    ),
    StoredForm(
        "gcp:pubsub/topic:Topic",
        "id",
        f"projects/{_P}/topics/{_P}",
        "services/pubsub/resource_pubsub_topic.go: Create id 'projects/{{project}}/topics/{{name}}'",
    ),
    StoredForm(
        "gcp:pubsub/subscription:Subscription",
        "id",
        f"projects/{_P}/subscriptions/{_P}",
        "services/pubsub/resource_pubsub_subscription.go: Create id",
    ),
    StoredForm(
        "gcp:pubsub/subscription:Subscription",
        "topic",
        f"projects/{_P}/topics/{_P}",
        "services/pubsub/resource_pubsub_subscription.go: flattenPubsubSubscriptionTopic",
    ),
    StoredForm(
        "gcp:logging/projectSink:ProjectSink",
        "id",
        f"projects/{_P}/sinks/{_P}",
        "services/logging/resource_logging_project_sink.go: Create d.SetId(id.canonicalId())",
    ),
    StoredForm(
        "gcp:logging/projectSink:ProjectSink",
        "writerIdentity",
        "serviceAccount:.+",
        "services/logging/resource_logging_sink.go: flattenResourceLoggingSink d.Set('writer_identity') (the API's)",
    ),
    StoredForm(
        "gcp:logging/projectBucketConfig:ProjectBucketConfig",
        "id",
        f"projects/{_P}/locations/{_P}/buckets/{_P}",
        "services/logging/resource_logging_project_bucket_config.go: projectBucketConfigID",
    ),
    StoredForm(
        "gcp:logging/metric:Metric",
        "id",
        ".+",
        "services/logging/resource_logging_metric.go: resourceLoggingMetricCreate id '{{name}}'",
    ),
    StoredForm(
        "gcp:monitoring/alertPolicy:AlertPolicy",
        "id",
        f"projects/{_P}/alertPolicies/\\d+",
        "services/monitoring/resource_monitoring_alert_policy.go: Create id '{{name}}' (the API's name)",
    ),
    StoredForm(
        "gcp:monitoring/notificationChannel:NotificationChannel",
        "id",
        f"projects/{_P}/notificationChannels/\\d+",
        "services/monitoring/resource_monitoring_notification_channel.go: Create id '{{name}}'",
    ),
    StoredForm(
        "gcp:cloudrunv2/service:Service",
        "id",
        f"projects/{_P}/locations/{_P}/services/{_P}",
        "services/cloudrunv2/resource_cloud_run_v2_service.go: resourceCloudRunV2ServiceCreate id",
    ),
    StoredForm(
        "gcp:dns/managedZone:ManagedZone",
        "id",
        f"projects/{_P}/managedZones/{_P}",
        "services/dns/resource_dns_managed_zone.go: resourceDNSManagedZoneCreate id",
    ),
    StoredForm(
        "gcp:dns/managedZone:ManagedZone",
        "privateVisibilityConfig.networks.0.networkUrl",
        _V1 + f"{_P}/global/networks/{_P}",
        "services/dns/resource_dns_managed_zone.go: expand...NetworkUrl (ConvertSelfLinkToV1); flatten keeps it",
        optional=True,
    ),
    StoredForm(
        "gcp:dns/policy:Policy",
        "id",
        f"projects/{_P}/policies/{_P}",
        "services/dns/resource_dns_policy.go: resourceDNSPolicyCreate id",
    ),
    StoredForm(
        "gcp:dns/policy:Policy",
        "networks.0.networkUrl",
        _V1 + f"{_P}/global/networks/{_P}",
        "services/dns/resource_dns_policy.go: expandDNSPolicyNetworksNetworkUrl (ConvertSelfLinkToV1)",
        optional=True,
    ),
    StoredForm(
        "gcp:dns/recordSet:RecordSet",
        "id",
        f"projects/{_P}/managedZones/{_P}/rrsets/{_P}/[A-Z]+",
        "services/dns/resource_dns_record_set.go: resourceDnsRecordSetCreate d.SetId(fmt.Sprintf(...))",
    ),
    *_compute("gcp:compute/network:Network", "resource_compute_network.go", "networks"),
    *_compute("gcp:compute/firewall:Firewall", "resource_compute_firewall.go", "firewalls"),
    StoredForm(
        "gcp:compute/firewall:Firewall",
        "direction",
        "INGRESS|EGRESS",
        "services/compute/resource_compute_firewall.go: schema 'direction' Computed (the API's; INGRESS when unset)",
    ),
    StoredForm(
        "gcp:compute/firewall:Firewall",
        "priority",
        r"\d+(\.0)?",
        "services/compute/resource_compute_firewall.go: schema 'priority' Default 1000",
    ),
    StoredForm(
        "gcp:compute/firewall:Firewall",
        "network",
        _V1 + f"{_P}/global/networks/{_P}",
        "services/compute/resource_compute_firewall.go: flattenComputeFirewallNetwork (ConvertSelfLinkToV1)",
    ),
    *_compute("gcp:compute/route:Route", "resource_compute_route.go", "routes"),
    StoredForm(
        "gcp:compute/route:Route",
        "network",
        _V1 + f"{_P}/global/networks/{_P}",
        "services/compute/resource_compute_route.go: flattenComputeRouteNetwork (ConvertSelfLinkToV1)",
    ),
    StoredForm(
        "gcp:compute/route:Route",
        "nextHopGateway",
        _API + f"{_P}/global/gateways/{_P}",
        "services/compute/resource_compute_route.go: flattenComputeRouteNextHopGateway (the API's link)",
        optional=True,
    ),
    StoredForm(
        "gcp:compute/route:Route",
        "nextHopVpnTunnel",
        _V1 + f"{_P}/regions/{_P}/vpnTunnels/{_P}",
        "services/compute/resource_compute_route.go: flattenComputeRouteNextHopVpnTunnel (ConvertSelfLinkToV1)",
        optional=True,
    ),
    *_compute("gcp:compute/subnetwork:Subnetwork", "resource_compute_subnetwork.go", "subnetworks", "regional"),
    StoredForm(
        "gcp:compute/subnetwork:Subnetwork",
        "network",
        _V1 + f"{_P}/global/networks/{_P}",
        "services/compute/resource_compute_subnetwork.go: flattenComputeSubnetworkNetwork (ConvertSelfLinkToV1)",
    ),
    StoredForm(
        "gcp:compute/subnetwork:Subnetwork",
        "region",
        "[a-z]+-[a-z]+\\d+",
        "services/compute/resource_compute_subnetwork.go: flattenComputeSubnetworkRegion (GetResourceNameFromSelfLink)",
    ),
    *_compute("gcp:compute/globalAddress:GlobalAddress", "resource_compute_global_address.go", "addresses"),
    *_compute(
        "gcp:compute/globalForwardingRule:GlobalForwardingRule",
        "resource_compute_global_forwarding_rule.go",
        "forwardingRules",
    ),
    StoredForm(
        "gcp:compute/globalForwardingRule:GlobalForwardingRule",
        "target",
        _API + f"{_P}/global/target(Http|Https)Proxies/{_P}",
        "services/compute/resource_compute_global_forwarding_rule.go: flattenComputeGlobalForwardingRuleTarget (API's)",
    ),
    *_compute(
        "gcp:compute/targetHttpProxy:TargetHttpProxy", "resource_compute_target_http_proxy.go", "targetHttpProxies"
    ),
    StoredForm(
        "gcp:compute/targetHttpProxy:TargetHttpProxy",
        "urlMap",
        _V1 + f"{_P}/global/urlMaps/{_P}",
        "services/compute/resource_compute_target_http_proxy.go: flattenComputeTargetHttpProxyUrlMap",
    ),
    *_compute(
        "gcp:compute/targetHttpsProxy:TargetHttpsProxy", "resource_compute_target_https_proxy.go", "targetHttpsProxies"
    ),
    StoredForm(
        "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
        "urlMap",
        _V1 + f"{_P}/global/urlMaps/{_P}",
        "services/compute/resource_compute_target_https_proxy.go: flattenComputeTargetHttpsProxyUrlMap",
    ),
    StoredForm(
        "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
        "sslPolicy",
        _V1 + f"{_P}/global/sslPolicies/{_P}",
        "services/compute/resource_compute_target_https_proxy.go: flattenComputeTargetHttpsProxySslPolicy",
    ),
    StoredForm(
        "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
        "sslCertificates.0",
        _V1 + f"{_P}/global/sslCertificates/{_P}",
        "services/compute/resource_compute_target_https_proxy.go: flattenComputeTargetHttpsProxySslCertificates",
    ),
    *_compute("gcp:compute/uRLMap:URLMap", "resource_compute_url_map.go", "urlMaps"),
    *_compute("gcp:compute/sSLPolicy:SSLPolicy", "resource_compute_ssl_policy.go", "sslPolicies"),
    *_compute(
        "gcp:compute/managedSslCertificate:ManagedSslCertificate",
        "resource_compute_managed_ssl_certificate.go",
        "sslCertificates",
    ),
    *_compute("gcp:compute/backendService:BackendService", "resource_compute_backend_service.go", "backendServices"),
    StoredForm(
        "gcp:compute/backendService:BackendService",
        "securityPolicy",
        _API + f"{_P}/global/securityPolicies/{_P}",
        "services/compute/resource_compute_backend_service.go: flattenComputeBackendServiceSecurityPolicy (API's)",
        optional=True,
    ),
    *_compute("gcp:compute/securityPolicy:SecurityPolicy", "resource_compute_security_policy.go", "securityPolicies"),
    *_compute(
        "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
        "resource_compute_region_network_endpoint_group.go",
        "networkEndpointGroups",
        "regional",
    ),
    StoredForm(
        "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
        "region",
        _V1 + f"{_P}/regions/{_P}",
        "services/compute/resource_compute_region_network_endpoint_group.go: flatten...Region (ConvertSelfLinkToV1)",
    ),
)
"""Per type used by the example sites, the stored form's rules and where each comes from; held against
the model by tests/preflight/engine/test_stored_forms.py."""


DEFAULT_PROJECT = "provider-default-project"
"""What the model uses for a resource that names no project (the provider would use its own default)."""


class MissingInputError(Exception):
    """A resource lacks an input the provider needs to create it (a program error, as under the engine)."""


STACK_REFERENCE = "pulumi:pulumi:StackReference"


class UnmodelledInvokeError(Exception):
    """The program called an invoke this model does not answer; extend ``INVOKES``."""


@functools.cache
def _has_property(token: str, prop: str) -> bool:
    """Whether the pulumi-gcp resource for ``token`` has the property (its SDK class says)."""
    return isinstance(getattr(gcp_schema.resource_class(token), prop, None), property)


_PROVIDER_SETTINGS = ("project", "region", "zone")


def _provider_defaults(
    token: str, inputs: Mapping[str, Any], served: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The provider values (``project``, ``region``, ``zone``) a resource of ``token`` takes for each of
    those inputs it has and does not set: an explicit provider's inputs (``served``), else the stack's
    provider config (``gcp:project``, ...)."""
    import pulumi

    config = pulumi.Config("gcp")
    found: dict[str, Any] = {}
    for key in _PROVIDER_SETTINGS:
        if key in inputs or not _has_property(token, key):
            continue
        value = served.get(key) if served is not None else config.get(key)
        if value:
            found[key] = value
        elif key != "project":
            found[key] = f"provider-default-{key}"
    return found


def _known(value: Any) -> bool:
    if isinstance(value, Unknown):
        return False
    if isinstance(value, dict):
        return all(_known(v) for v in value.values())
    if isinstance(value, list):
        return all(_known(v) for v in value)
    return True


class GcpModel(pulumi_mocks.Mocks):
    """Pulumi mocks that behave like the GCP provider in ``preview`` or ``update`` mode (``existing``, the
    stored form's earlier name, is ``update``)."""

    def __init__(self, *, preview: bool = False, mode: str | None = None) -> None:
        self.mode = "preview" if (mode or ("preview" if preview else "update")) == "preview" else "update"
        self.preview = self.mode == "preview"
        self._last = threading.local()
        self._providers: dict[str, dict[str, Any]] = {}
        """Explicit providers' inputs by logical name: a resource served by one takes its project, region and
        zone from it, as the real provider does (the default provider's come from the stack's ``gcp:`` config)."""

    @property
    def program_only(self) -> frozenset[str]:
        """The outputs of the resource this thread registered last that only the program sees (schema
        placeholders); the recorder keeps them out of what the pack is handed."""
        return getattr(self._last, "program_only", frozenset())

    def _served_by(self, reference: str) -> dict[str, Any] | None:
        """The inputs of the explicit provider ``reference`` (``<provider URN>::<id>``) names; ``None`` for the
        default provider."""
        if not reference:
            return None
        return self._providers.get(reference.rsplit("::", 1)[0].rsplit("::", 1)[-1])

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self._last.program_only = frozenset()
        if args.typ == STACK_REFERENCE:
            # Another stack's outputs are in its state, which the offline check cannot read: none are known.
            name = str(args.inputs.get("name") or args.name)
            return name, {"name": name, "outputs": {}, "secretOutputNames": []}
        state = {key: value for key, value in args.inputs.items() if _known(value)}
        if args.typ.startswith("pulumi:providers:"):
            self._providers[args.name] = dict(state)
        if not args.custom:
            return None, {}
        if self.preview:
            return None, state
        computed = COMPUTED.get(args.typ)
        # Resources without a project, region or zone use their provider's (an explicit provider's inputs,
        # else the stack's gcp config), as the real provider does, and store the one they used.
        defaults = _provider_defaults(args.typ, args.inputs, self._served_by(args.provider or ""))
        inputs = {"project": defaults.get("project", DEFAULT_PROJECT), **defaults, **args.inputs}
        try:
            extra = computed(inputs, args.name) if computed else {"id": f"{args.name}-id"}
        except KeyError as missing:
            raise MissingInputError(
                f"{args.typ} {args.name!r}: input {missing.args[0]} is not set, and the provider needs it to create "
                "the resource"
            ) from None
        # Every other output the provider computes, in the form the schema gives (a type without a rule
        # here gets them all): a program that formats one runs as it would after a real update. These
        # are placeholders of the right form, not the provider's values: the program sees them, the pack
        # does not (its verdict rests on what the model knows, :attr:`program_only`).
        state.update(defaults)
        stored = STORED.get(args.typ)
        if stored is not None:
            try:
                extra = {**extra, **stored(inputs, extra, args.name)}
            except KeyError as missing:
                raise MissingInputError(
                    f"{args.typ} {args.name!r}: input {missing.args[0]} is not set, and the provider needs it to "
                    "create the resource"
                ) from None
        if _has_property(args.typ, "project"):
            state["project"] = inputs["project"]  # the provider stores the project it used
        if "name" not in state and _has_property(args.typ, "name"):
            state["name"] = args.name  # autonamed (the engine adds a random suffix; left out here)
        filled = gcp_schema.computed_outputs(args.typ, args.name, {**state, **extra})
        self._last.program_only = frozenset(filled) - set(extra)
        state.update(filled)
        state.update(extra)
        return str(extra.get("id", f"{args.name}-id")), state

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        import pulumi

        given = dict(args.args)
        project = pulumi.Config("gcp").get("project")
        if project:  # an invoke without a project answers for the provider's (``getProject()``)
            given = {"project": project, "projectId": project, **given}
        answer = INVOKES.get(args.token)
        if answer is not None:
            return answer(given), []
        generic = gcp_schema.invoke_outputs(args.token, given)
        if generic is None:
            raise UnmodelledInvokeError(f"the offline GCP model does not answer the invoke {args.token}")
        return generic, []
