"""A model of what Google Cloud computes for each resource type and invoke, for the mock engine.

Two modes (ADR 0029):

* ``preview``: the provider has not run yet: the id and every computed output are unknown, only
  inputs are known (a fresh site's first ``pulumi preview``).
* ``update``: the outputs in the form the pinned provider (pulumi-gcp 10.2.0, bridging a v8 release
  of terraform-provider-google-beta) stores them after ``up``: short or long names, normalised
  references, ids, defaults and computed fields as its create and read functions set them, for every
  type the pack judges (:mod:`preflight.engine.stored_forms`). A first update sees these for every
  resource created before the one analysed (the engine waits for its step), a later preview or update
  for every unchanged resource. :mod:`preflight.engine.stored_form_table`
  states each rule with the provider source it comes from; the stored-form tests hold the model
  against it. What could not be established is listed in docs/adr/0013-provider-stored-forms.md.

Invokes answer in every mode, as they do in a real preview.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import mocks as pulumi_mocks

from preflight.engine import gcp_schema
from preflight.engine.stored_forms import digits, project_number, stored_rule

__all__ = ["COMPUTED", "INVOKES", "GcpModel", "project_number"]

Outputs = dict[str, Any]


def _digits(seed: str, length: int) -> str:
    return digits(seed, length)


def _access_context(collection: str) -> Callable[[Outputs, str], Outputs]:
    """A perimeter's or access level's outputs: its id is its name (``{{name}}`` in the resource's Create), an
    ``accessPolicies/<n>/<collection>/<short name>`` path."""

    def outputs(i: Outputs, name: str) -> Outputs:
        full = i.get("name") or f"{i['parent']}/{collection}/{name.replace('-', '_')}"
        times = {"createTime": "2026-01-05T09:00:00Z", "updateTime": "2026-01-05T09:00:00Z"}
        return {"id": full, "name": full, **(times if collection == "servicePerimeters" else {})}

    return outputs


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


def _scc_notification(i: Outputs, name: str) -> Outputs:
    project = i.get("project", name)
    config = f"projects/{project}/locations/{i.get('location', 'global')}/notificationConfigs/{i.get('configId', name)}"
    number = project_number(project)
    return {
        "id": config,
        "name": config,
        "serviceAccount": f"service-{number}@gcp-sa-scc-notification.iam.gserviceaccount.com",
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
    "gcp:securitycenter/v2ProjectNotificationConfig:V2ProjectNotificationConfig": _scc_notification,
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
    "gcp:accesscontextmanager/servicePerimeter:ServicePerimeter": _access_context("servicePerimeters"),
    "gcp:accesscontextmanager/accessLevel:AccessLevel": _access_context("accessLevels"),
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
        stored = stored_rule(args.typ)
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
