"""How the pinned provider stores each type the pack judges, for the model's ``existing`` mode.

pulumi-gcp 10.2.0 bridges terraform-provider-google-beta (a v8 release; ADR 0013 says which and how
that is known). After ``up``, a resource's outputs are what the provider's create and read functions
wrote into its state, not what the program declared: ids as ``Create`` builds them, parent fields an
IAM updater writes back, schema defaults, values the API fills in. :func:`stored_rule` gives, per type,
the function that turns the program's inputs into those outputs, from three sources:

* hand rules (:data:`HAND`), each read in the provider file it names (org policies, references the
  provider normalises to v1 links, values the API computes such as a Cloud Run service's ingress);
* the generated rules of ``stored_forms.json`` (written by ``tools/stored_forms_from_source.py`` from
  the provider's source; its ``provider`` key names the repository and commit): for every other
  judged type the id template of ``Create`` and the top-level schema defaults; for every IAM grant
  type (``*IamMember``, ``*IamBinding``, ``*IamPolicy``) the updater's ``GetResourceId`` format, the
  forms its producer parses the parent field in, and the fields it writes back;
* the IAM grant families, one per kind of grant (``tpgiamresource/resource_iam_{member,binding,policy}.go``):
  the id is ``<resource id>/<role>/<member>`` (member, the member's casing normalised by
  ``NormalizeIamPrincipalCasing``), ``<resource id>/<role>`` (binding) or ``<resource id>`` (policy), a
  condition appends ``/<title>/<description>/<expression>``; every grant stores the policy's ``etag``.

:mod:`preflight.engine.stored_form_table` states each rule as a pattern, held against this model by the tests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from preflight.engine.stored_families import Outputs, Stored, digits, generated_rule, grant_rule, project_number, short

__all__ = ["COMPUTE_API", "COMPUTE_V1", "HAND", "digits", "project_number", "stored_rule"]

COMPUTE_V1 = "https://www.googleapis.com/compute/v1/"
"""Self links and references the provider normalises with ``tpgresource.ConvertSelfLinkToV1``."""
COMPUTE_API = "https://www.googleapis.com/compute/beta/"
"""References the provider keeps as the API returns them (flatteners that ``return v``): the beta
provider calls the compute beta endpoint, whose links name that version."""


# Hand rules -------------------------------------------------------------------------------------------


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


def _org_policy(i: Outputs, extra: Outputs, name: str) -> Outputs:
    short_name = str(i["name"]).rsplit("/", 1)[-1]
    spec = dict(i.get("spec") or {})
    return {
        "name": short_name,
        "id": f"{i['parent']}/policies/{short_name}",
        "spec": {
            **spec,
            "rules": [_rule_flags(r) for r in spec.get("rules", [])],
            "etag": f"CL{digits(name, 10)}=",
            "updateTime": "2026-01-05T09:00:00.000000Z",
            "inheritFromParent": bool(spec.get("inheritFromParent", False)),
            "reset": bool(spec.get("reset", False)),
        },
    }


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


def _network_ref(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {"network": _v1_link(_global_ref(i["project"], "networks", i.get("network")))}


def _subnetwork(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {**_network_ref(i, extra, name), "region": short(i["region"])}


def _neg(i: Outputs, extra: Outputs, name: str) -> Outputs:
    stored: Outputs = {"region": _v1_link(f"projects/{i['project']}/regions/{short(i['region'])}")}
    if i.get("network"):
        stored["network"] = _v1_link(_global_ref(i["project"], "networks", i["network"]))
    return stored


def _https_proxy(i: Outputs, extra: Outputs, name: str) -> Outputs:
    project = i["project"]
    return {
        "urlMap": _v1_link(_global_ref(project, "urlMaps", i.get("urlMap"))),
        "sslPolicy": _v1_link(_global_ref(project, "sslPolicies", i.get("sslPolicy"))),
        "sslCertificates": [_v1_link(_global_ref(project, "sslCertificates", c)) for c in i.get("sslCertificates", [])],
    }


def _http_proxy(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {"urlMap": _v1_link(_global_ref(i["project"], "urlMaps", i.get("urlMap")))}


def _url_map(i: Outputs, extra: Outputs, name: str) -> Outputs:
    if not i.get("defaultService"):
        return {}
    return {"defaultService": _v1_link(_global_ref(i["project"], "backendServices", i["defaultService"]))}


def _forwarding_rule(i: Outputs, extra: Outputs, name: str) -> Outputs:
    target = i.get("target")
    collection = "targetHttpsProxies" if "Https" in str(target) or "https" in str(target) else "targetHttpProxies"
    return {"target": _api_link(_global_ref(i["project"], collection, target))}


def _backend_service(i: Outputs, extra: Outputs, name: str) -> Outputs:
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


def _route(i: Outputs, extra: Outputs, name: str) -> Outputs:
    stored = _network_ref(i, extra, name)
    gateway = i.get("nextHopGateway")
    if gateway:
        stored["nextHopGateway"] = _api_link(_global_ref(i["project"], "gateways", gateway))
    for key in ("nextHopVpnTunnel", "nextHopInstance"):
        # flattenComputeRouteNextHopVpnTunnel / ...Instance: ConvertSelfLinkToV1 of the API's link.
        if isinstance(i.get(key), str) and "/" in i[key]:
            stored[key] = _v1_link(i[key])
    return stored


def _dns_networks(key: str) -> Stored:
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


def _pool(i: Outputs, extra: Outputs, name: str) -> Outputs:
    # The id is built from the project as given; ``name`` is the API's, which names the project by number.
    return {"id": f"projects/{i['project']}/locations/global/workloadIdentityPools/{i['workloadIdentityPoolId']}"}


def _pool_provider(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {
        "id": (
            f"projects/{i['project']}/locations/global/workloadIdentityPools/{i['workloadIdentityPoolId']}"
            f"/providers/{i['workloadIdentityPoolProviderId']}"
        )
    }


def _audit_config(parent: Callable[[Outputs], str]) -> Stored:
    """resourceIamAuditConfigCreate: ``<updater's resource id>/audit_config/<service>``."""

    def stored(i: Outputs, extra: Outputs, name: str) -> Outputs:
        return {"id": f"{parent(i)}/audit_config/{i['service']}", "etag": f"BwY{digits(name, 8)}="}

    return stored


def _bucket(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {
        "projectNumber": float(project_number(i["project"])),
        "location": str(i.get("location", "US")).upper(),
        "storageClass": i.get("storageClass", "STANDARD"),
    }


def _cloud_run(i: Outputs, extra: Outputs, name: str) -> Outputs:
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


def _binauthz_policy(i: Outputs, extra: Outputs, name: str) -> Outputs:
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


def _cloud_run_v1(i: Outputs, extra: Outputs, name: str) -> Outputs:
    # ``metadata`` is Optional+Computed; the Cloud Run Admin API v1 sets the ingress annotation to "all"
    # when a service does not say, and flattenCloudRunServiceMetadata keeps the API's annotations.
    metadata = dict(i.get("metadata") or {})
    annotations = dict(metadata.get("annotations") or {})
    annotations.setdefault("run.googleapis.com/ingress", "all")
    project = i["project"]
    return {
        "metadata": {**metadata, "annotations": annotations, "namespace": metadata.get("namespace") or project},
        "id": f"locations/{i['location']}/namespaces/{project}/services/{i.get('name', name)}",
    }


def _v1_org_policy(i: Outputs, extra: Outputs, name: str) -> Outputs:
    # Create: d.SetId("<project>:<constraint>") as declared; Read: d.Set("constraint", policy.Constraint),
    # the API's form, always "constraints/<name>".
    constraint = str(i["constraint"])
    return {
        "id": f"{i['project']}:{constraint}",
        "constraint": constraint if constraint.startswith("constraints/") else f"constraints/{constraint}",
    }


def _firewall(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {
        **_network_ref(i, extra, name),
        "direction": i.get("direction") or "INGRESS",
        "priority": float(i.get("priority", 1000)),
    }


def _parent_id(kind: str, key: str, collection: str, name_key: str = "name") -> Stored:
    """Logging sinks, exclusions and bucket configs of a folder, organization or billing account:
    ``<kind>/<id>/<collection>/<name>`` (the id types' ``canonicalId`` / ``*BucketConfigID``)."""

    def stored(i: Outputs, extra: Outputs, name: str) -> Outputs:
        owner = short(i[key])
        resource = i.get(name_key) or name
        middle = f"locations/{i['location']}/buckets" if collection == "buckets" else collection
        return {"id": f"{kind}/{owner}/{middle}/{resource}"}

    return stored


def _exclusion(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {"id": f"projects/{i['project']}/exclusions/{i.get('name', name)}"}


def _custom_role(owner: Callable[[Outputs], str]) -> Stored:
    # Create: d.SetId(role.Name), the API's "<owner>/roles/<roleId>"; ``stage`` defaults to GA.
    def stored(i: Outputs, extra: Outputs, name: str) -> Outputs:
        return {"id": f"{owner(i)}/roles/{i['roleId']}", "name": f"{owner(i)}/roles/{i['roleId']}"}

    return stored


def _project(i: Outputs, extra: Outputs, name: str) -> Outputs:
    project = str(i.get("projectId") or name)
    return {"id": f"projects/{project}", "number": project_number(project)}


def _service_account_key(i: Outputs, extra: Outputs, name: str) -> Outputs:
    account = str(i["serviceAccountId"])
    if "/" not in account:
        account = f"projects/-/serviceAccounts/{account}"
    return {"id": f"{account}/keys/{digits(name, 40)[:40]}", "name": f"{account}/keys/{digits(name, 40)[:40]}"}


def _network_peering(i: Outputs, extra: Outputs, name: str) -> Outputs:
    # Create: d.SetId("<network name>/<peering name>"); ``network`` and ``peerNetwork`` as v1 links.
    return {
        "id": f"{short(i['network'])}/{i.get('name', name)}",
        "network": _v1_link(i["network"]) if "/" in str(i["network"]) else i["network"],
        "peerNetwork": _v1_link(i["peerNetwork"]) if "/" in str(i.get("peerNetwork", "")) else i.get("peerNetwork"),
    }


def _acl_id(suffix_key: str) -> Stored:
    # resource_storage_{bucket,object}_acl.go: getBucketAclId / getObjectAclId: "<name>-acl".
    def stored(i: Outputs, extra: Outputs, name: str) -> Outputs:
        return {"id": f"{i[suffix_key]}-acl"}

    return stored


def _default_object_acl(i: Outputs, extra: Outputs, name: str) -> Outputs:
    return {"id": str(i["bucket"])}


def _snooze(i: Outputs, extra: Outputs, name: str) -> Outputs:
    # Not in the read snapshot; the pinned SDK's import form: "projects/{{project}}/snoozes/{{name}}",
    # ``name`` the API's number.
    snooze = f"projects/{i['project']}/snoozes/{digits(name, 19)}"
    return {"id": snooze, "name": snooze}


def _audit_folder(i: Outputs) -> str:
    folder = str(i["folder"])
    return folder if folder.startswith("folders/") else f"folders/{folder}"


HAND: dict[str, Stored] = {
    "gcp:orgpolicy/policy:Policy": _org_policy,
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": _audit_config(lambda i: str(i["project"])),
    "gcp:folder/iamAuditConfig:IamAuditConfig": _audit_config(_audit_folder),
    "gcp:organizations/iamAuditConfig:IamAuditConfig": _audit_config(lambda i: str(i["orgId"])),
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": _pool,
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": _pool_provider,
    "gcp:storage/bucket:Bucket": _bucket,
    "gcp:compute/firewall:Firewall": _firewall,
    "gcp:cloudrunv2/service:Service": _cloud_run,
    "gcp:binaryauthorization/policy:Policy": _binauthz_policy,
    "gcp:cloudrun/service:Service": _cloud_run_v1,
    "gcp:projects/organizationPolicy:OrganizationPolicy": _v1_org_policy,
    "gcp:compute/route:Route": _route,
    "gcp:compute/subnetwork:Subnetwork": _subnetwork,
    "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup": _neg,
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy": _https_proxy,
    "gcp:compute/targetHttpProxy:TargetHttpProxy": _http_proxy,
    "gcp:compute/uRLMap:URLMap": _url_map,
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": _forwarding_rule,
    "gcp:compute/backendService:BackendService": _backend_service,
    "gcp:dns/policy:Policy": _dns_networks("networks"),
    "gcp:dns/managedZone:ManagedZone": _dns_networks("privateVisibilityConfig"),
    "gcp:logging/projectExclusion:ProjectExclusion": _exclusion,
    "gcp:logging/folderExclusion:FolderExclusion": _parent_id("folders", "folder", "exclusions"),
    "gcp:logging/organizationExclusion:OrganizationExclusion": _parent_id("organizations", "orgId", "exclusions"),
    "gcp:logging/billingAccountExclusion:BillingAccountExclusion": _parent_id(
        "billingAccounts", "billingAccount", "exclusions"
    ),
    "gcp:logging/folderSink:FolderSink": _parent_id("folders", "folder", "sinks"),
    "gcp:logging/organizationSink:OrganizationSink": _parent_id("organizations", "orgId", "sinks"),
    "gcp:logging/billingAccountSink:BillingAccountSink": _parent_id("billingAccounts", "billingAccount", "sinks"),
    "gcp:logging/folderBucketConfig:FolderBucketConfig": _parent_id("folders", "folder", "buckets", "bucketId"),
    "gcp:logging/organizationBucketConfig:OrganizationBucketConfig": _parent_id(
        "organizations", "organization", "buckets", "bucketId"
    ),
    "gcp:logging/billingAccountBucketConfig:BillingAccountBucketConfig": _parent_id(
        "billingAccounts", "billingAccount", "buckets", "bucketId"
    ),
    "gcp:projects/iAMCustomRole:IAMCustomRole": _custom_role(lambda i: f"projects/{i['project']}"),
    "gcp:organizations/iAMCustomRole:IAMCustomRole": _custom_role(lambda i: f"organizations/{i['orgId']}"),
    "gcp:organizations/project:Project": _project,
    "gcp:serviceaccount/key:Key": _service_account_key,
    "gcp:compute/networkPeering:NetworkPeering": _network_peering,
    "gcp:storage/bucketACL:BucketACL": _acl_id("bucket"),
    "gcp:storage/objectACL:ObjectACL": _acl_id("object"),
    "gcp:storage/defaultObjectACL:DefaultObjectACL": _default_object_acl,
    "gcp:monitoring/snooze:Snooze": _snooze,
}
"""Per type, the stored form's hand rules (applied after the generated ones, which they refine)."""


@functools.cache
def stored_rule(token: str) -> Stored | None:
    """What the stored form of ``token`` changes beyond the computed outputs: its IAM grant family, or its
    generated rules refined by its hand rules; None for a type with neither."""
    grant = grant_rule(token)
    if grant is not None:
        return grant
    rules = [rule for rule in (generated_rule(token), HAND.get(token)) if rule is not None]
    if not rules:
        return None

    def stored(i: Outputs, extra: Outputs, name: str) -> Outputs:
        out: Outputs = {}
        for rule in rules:
            out.update(rule(i, {**extra, **out}, name))
        return out

    return stored
