"""The closed world (IAM-08): the stack declares only resource kinds the pack can judge, and only the
APIs the site needs.

A resource type is known when a policy of the pack declares it judges it (its ``types=``, collected by
the registry), when this module judges it itself (the API allowlist, pull-only subscriptions), or when
it is listed in :data:`HARMLESS` with the reason it cannot move or expose data. :data:`REFUSED` types
are refused whatever the config says. Every other type, those listed in :data:`NEEDS_REASON` included,
is a finding until the pack's config allows it with a recorded reason (``allowedTypes``), like the
site config's ``guardRails.skip``. Why the closed world is IAM-08: docs/adr/0011-closed-world-is-iam-08.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import Policy, ResourceValidationArgs, Severity

from imaging_policies import tokens
from imaging_policies._registry import Registry, Report, resource_policy
from imaging_policies._site import stack_scope
from imaging_policies.edge import SITE_SERVICES, _needed_services

POLICY_NAME = "gcp-project-services-needed-only"

ENGINE_PREFIXES = ("pulumi:", "imaging:")
"""Not cloud resources: the engine's own (the root stack, providers) and this project's components."""

DYNAMIC_TYPES = ("pulumi-python:dynamic:Resource", "pulumi-nodejs:dynamic:Resource")
"""Dynamic-provider resources (the SDKs' ``pulumi.dynamic.Resource``): the program's own code runs at deploy
time with the deployer's credentials and may call any cloud API; the pack sees only the inputs it is handed."""

JUDGED_HERE: dict[str, str] = {
    tokens.PROJECT_SERVICE: "only the APIs of allowedServices, never disabled on destroy",
}
"""Types this policy judges itself, with what it checks."""

HARMLESS: dict[str, str] = {
    "gcp:serviceaccount/account:Account": "an identity only; what it may do is judged on its grants and keys",
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": "holds providers; who may federate is judged on them",
    "gcp:projects/serviceIdentity:ServiceIdentity": "creates a Google service agent; its grants are judged",
    "gcp:compute/globalAddress:GlobalAddress": "reserves an address; what it exposes is judged on forwarding rules",
    "gcp:compute/address:Address": (
        "reserves an address, regional like a global one; what it exposes is judged where it is used (forwarding "
        "rules, instances' access configs, NAT)"
    ),
    "gcp:certificatemanager/trustConfig:TrustConfig": (
        "holds public trust anchors for client certificates; no private key, and it routes nothing"
    ),
    "gcp:compute/router:Router": "carries no traffic itself; its NAT is judged, VPN tunnels need a reason",
    "gcp:storage/managedFolder:ManagedFolder": (
        "holds no data itself; access to it is granted by ManagedFolderIam* resources, which are judged"
    ),
}
"""Types no policy judges because they cannot move or expose data, with the reason."""

REFUSED: dict[str, str] = {
    "gcp:storage/transferJob:TransferJob": "it copies objects between buckets and clouds, beyond every site control",
    "gcp:storage/bucketObject:BucketObject": (
        "an object uploaded by the stack passes through the deployer's machine and the Pulumi state; "
        "images arrive through the PACS path only"
    ),
    "gcp:compute/packetMirroring:PacketMirroring": "it copies the site's traffic to a collector",
    "gcp:compute/backendBucket:BackendBucket": (
        "it serves a bucket's objects to whoever reaches the load balancer, past bucket IAM"
    ),
    "gcp:container/cluster:Cluster": (
        "a cluster runs workloads with their own network paths, identities and endpoints that no policy judges"
    ),
    "gcp:container/nodePool:NodePool": "its nodes run workloads that no policy judges",
    "gcp:folder/organizationPolicy:OrganizationPolicy": "it changes guard rails above the site project",
    "gcp:organizations/policy:Policy": "it changes guard rails above the site project",
}
"""Types refused whatever the config says, with the reason."""

SITE_ONLY_REFUSALS = frozenset({"gcp:storage/bucketObject:BucketObject"})
"""Refused on a hospital site (images arrive through the PACS path only); on another team's stack an object
the stack uploads (a function's source, a website's page) is, like every other unjudged type, allowed by
the config with a recorded reason."""

NEEDS_REASON: dict[str, str] = {
    "gcp:compute/vPNGateway:VPNGateway": "a VPN is a path out that the egress allowlist does not see",
    "gcp:compute/haVpnGateway:HaVpnGateway": "a VPN is a path out that the egress allowlist does not see",
    "gcp:compute/vPNTunnel:VPNTunnel": "a VPN is a path out that the egress allowlist does not see",
    "gcp:compute/externalVpnGateway:ExternalVpnGateway": "it declares a peer network for VPN tunnels",
    "gcp:compute/interconnectAttachment:InterconnectAttachment": "a path out that the egress allowlist does not see",
    "gcp:compute/instanceGroupManager:InstanceGroupManager": "it runs VMs from a template the stack may not declare",
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": (
        "it runs VMs from a template the stack may not declare"
    ),
    "gcp:compute/serviceAttachment:ServiceAttachment": "it publishes a service of the site VPC to other projects",
    **dict.fromkeys(
        DYNAMIC_TYPES,
        "a dynamic provider runs the program's own code with the deployer's credentials; it may call any cloud API, "
        "and the pack sees only its inputs",
    ),
}
"""Types that can move or expose data but that a site may need (its worklist tunnel, a managed instance
group): like every unknown type, allowed only by the config with a recorded reason."""


def is_cloud_resource(token: str, has_provider: bool) -> bool:
    """Whether ``token`` is a cloud resource: every ``gcp:`` type, every dynamic-provider resource; another
    package's type when the engine names its provider (components have none); never the engine's own types or
    this project's components."""
    if token.startswith(ENGINE_PREFIXES):
        return False
    return token.startswith("gcp:") or token in DYNAMIC_TYPES or has_provider


def _allowed_types(config: Mapping[str, Any], report: Report) -> dict[str, str]:
    allowed = config.get("allowedTypes") or {}
    found: dict[str, str] = {}
    for token, reason in allowed.items():
        if not isinstance(reason, str) or not reason.strip():
            report(
                f"allowedTypes[{token!r}] has no reason; record why this type cannot move or expose the site's "
                "data, or remove the entry."
            )
        else:
            found[str(token)] = reason
    return found


def _check(registry: Registry) -> Any:
    def check(args: ResourceValidationArgs, report: Report) -> None:
        token = args.resource_type
        if not is_cloud_resource(token, args.provider is not None):
            args.not_applicable(f"{token} is not a cloud resource (the engine's own type, or a component)")
        if token == tokens.PROJECT_SERVICE:
            _needed_services(args, report)
            return
        allowed = _allowed_types(args.get_config(), report)
        if token in REFUSED and not (token in SITE_ONLY_REFUSALS and stack_scope() != "site"):
            note = " (allowedTypes lists it, but the config cannot allow a refused type)"
            by_config = note if token in allowed else ""
            report(f"{token} is refused: {REFUSED[token]}. Remove it{by_config}.")
            return
        if token in HARMLESS or registry.judges(token) or token in allowed:
            return
        risk = f" ({NEEDS_REASON[token]})" if token in NEEDS_REASON else ""
        report(
            f"{token} is a resource type the pack does not judge{risk}, so nothing checks that it cannot move or "
            f"expose the site's data. Remove it, or allow it in this policy's config with the reason: "
            f'{{"{POLICY_NAME}": {{"allowedTypes": {{"{token}": "<why it cannot move or expose data>"}}}}}}.'
        )

    return check


def policies(registry: Registry) -> list[Policy]:
    """IAM-08's policy, judging every resource of the stack against the pack's ``registry``."""
    return [
        resource_policy(
            name=POLICY_NAME,
            control="IAM-08",
            description=(
                "The stack declares only resource types the pack can judge, and enables only the APIs the site needs."
            ),
            severity=Severity.HIGH,
            remediation=(
                "Remove resources of types the pack does not judge, or allow a type in allowedTypes with the "
                "reason it cannot move or expose data (refused types cannot be allowed); enable only the APIs "
                "of allowedServices, with disableOnDestroy false."
            ),
            types=None,
            check=_check(registry),
            config={
                "allowedServices": {"type": "array", "items": {"type": "string"}, "default": SITE_SERVICES},
                "allowedTypes": {
                    "type": "object",
                    "description": "Resource types the site needs beyond those the pack judges, each with the "
                    "recorded reason it cannot move or expose data.",
                    "additionalProperties": {"type": "string", "minLength": 1, "pattern": "\\S"},
                    "default": {},
                },
            },
        )
    ]
