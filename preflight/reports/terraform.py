"""The offline plan as a Terraform plan JSON, for scanners that read ``terraform show -json`` (Checkov).

``export(plan)`` turns an ``imaging-landing-zone/plan@1`` document (``preflight.engine.plan.build``) into the
JSON output format of ``terraform show -json <planfile>``, ``format_version`` ``1.2``: every cloud
resource becomes a ``managed`` resource of the ``hashicorp/google`` provider (``google-beta`` for the
types only it has, ``BETA_ONLY``) that is about to be created (``actions: ["create"]``,
``before: null``). Components are not exported: Terraform has no equivalent, and their children are.

How a Pulumi resource maps to its Terraform twin, the way pulumi-gcp (a bridged Terraform provider)
names things:

* Type: ``TF_TYPES`` names the Terraform type of every ``gcp:*`` token the example sites register;
  other ``gcp:*`` tokens follow ``fallback_tf_type`` (``google_<module>_<resource>``, snake_case),
  which is right for the regular names only.
* Properties: the Python name pulumi-gcp gives a property is the Terraform attribute's name, except
  where the bridge renamed it (it pluralises lists: ``allows`` is ``allow``); ``RENAMES`` holds those,
  per Terraform type, checked against the Terraform provider's schema. The property tree (which
  values are nested blocks, which are maps, which numbers are integers) is read from the installed
  pulumi-gcp SDK's type annotations.
  Properties the provider does not have (the offline model's placeholders) are left out.
* Blocks: pulumi-gcp flattens a Terraform block with at most one item into an object; the export
  turns every such object back into a one-element list (``encryption``: ``[{...}]``). Maps
  (``labels``) stay maps. The few lists of at most one plain value that pulumi-gcp flattened
  (``FLATTENED``) become one-element lists too.
* Unknown values (the engine's sentinel, preview mode) are left out of ``values``/``after`` (``null``
  inside a list, to keep positions) and are ``true`` at the same path of ``after_unknown``, as
  Terraform writes them. In preview mode ``id`` and every output-only attribute are unknown.
* Secrets (``"[secret]"``) keep the plan's placeholder as their value (the plaintext is never in the
  plan) and are ``true`` at their path in ``sensitive_values`` and ``after_sensitive``.
* Addresses are ``<tf type>.<logical name>``; a logical name that is not a Terraform identifier, or
  that two resources of one Terraform type share, is sanitised and suffixed with a hash of the URN,
  so an address is unique and does not depend on registration order.
* ``configuration`` is minimal: per resource, its address, type, name, provider and, for each
  top-level attribute computed from another exported resource, an expression with ``references``
  to that resource (from ``propertyDependencies``), which scanners use to connect resources.

What it does not prove: that the values are what Terraform's provider would plan. Provider defaults
are absent (as in the plan), and the document is not a plan Terraform could apply.
"""

from __future__ import annotations

import collections.abc
import functools
import hashlib
import importlib
import re
import sys
import typing
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from preflight.engine import gcp_tokens
from preflight.engine.plan import FORMAT as PLAN_FORMAT
from preflight.engine.runner import REDACTED, UNKNOWN

FORMAT_VERSION = "1.2"
TERRAFORM_VERSION = "1.9.8"
"""Nominal: the Terraform release whose ``show -json`` writes format 1.2 in this shape."""
PROVIDERS = {
    "google": "registry.terraform.io/hashicorp/google",
    "google-beta": "registry.terraform.io/hashicorp/google-beta",
}
"""Provider configuration key -> provider address."""

TF_TYPES: dict[str, str] = {
    gcp_tokens.ACCESSCONTEXTMANAGER_ACCESS_LEVEL: "google_access_context_manager_access_level",
    gcp_tokens.ACCESSCONTEXTMANAGER_SERVICE_PERIMETER: "google_access_context_manager_service_perimeter",
    gcp_tokens.BINARYAUTHORIZATION_POLICY: "google_binary_authorization_policy",
    gcp_tokens.CLOUDRUNV2_SERVICE: "google_cloud_run_v2_service",
    gcp_tokens.CLOUDRUNV2_SERVICE_IAM_MEMBER: "google_cloud_run_v2_service_iam_member",
    gcp_tokens.COMPUTE_BACKEND_SERVICE: "google_compute_backend_service",
    gcp_tokens.COMPUTE_FIREWALL: "google_compute_firewall",
    gcp_tokens.COMPUTE_GLOBAL_ADDRESS: "google_compute_global_address",
    gcp_tokens.COMPUTE_GLOBAL_FORWARDING_RULE: "google_compute_global_forwarding_rule",
    gcp_tokens.COMPUTE_MANAGED_SSL_CERTIFICATE: "google_compute_managed_ssl_certificate",
    gcp_tokens.COMPUTE_NETWORK: "google_compute_network",
    gcp_tokens.COMPUTE_REGION_NETWORK_ENDPOINT_GROUP: "google_compute_region_network_endpoint_group",
    gcp_tokens.COMPUTE_ROUTE: "google_compute_route",
    gcp_tokens.COMPUTE_SSLPOLICY: "google_compute_ssl_policy",
    gcp_tokens.COMPUTE_SECURITY_POLICY: "google_compute_security_policy",
    gcp_tokens.COMPUTE_SUBNETWORK: "google_compute_subnetwork",
    gcp_tokens.COMPUTE_TARGET_HTTP_PROXY: "google_compute_target_http_proxy",
    gcp_tokens.COMPUTE_TARGET_HTTPS_PROXY: "google_compute_target_https_proxy",
    gcp_tokens.COMPUTE_URLMAP: "google_compute_url_map",
    gcp_tokens.DNS_MANAGED_ZONE: "google_dns_managed_zone",
    gcp_tokens.DNS_POLICY: "google_dns_policy",
    gcp_tokens.DNS_RECORD_SET: "google_dns_record_set",
    gcp_tokens.IAM_WORKLOAD_IDENTITY_POOL: "google_iam_workload_identity_pool",
    gcp_tokens.IAM_WORKLOAD_IDENTITY_POOL_PROVIDER: "google_iam_workload_identity_pool_provider",
    gcp_tokens.IAP_WEB_BACKEND_SERVICE_IAM_MEMBER: "google_iap_web_backend_service_iam_member",
    gcp_tokens.KMS_CRYPTO_KEY: "google_kms_crypto_key",
    gcp_tokens.KMS_CRYPTO_KEY_IAMMEMBER: "google_kms_crypto_key_iam_member",
    gcp_tokens.KMS_KEY_RING: "google_kms_key_ring",
    gcp_tokens.KMS_KEY_RING_IAMMEMBER: "google_kms_key_ring_iam_member",
    gcp_tokens.LOGGING_LOG_VIEW_IAM_MEMBER: "google_logging_log_view_iam_member",
    gcp_tokens.LOGGING_METRIC: "google_logging_metric",
    gcp_tokens.LOGGING_PROJECT_BUCKET_CONFIG: "google_logging_project_bucket_config",
    gcp_tokens.LOGGING_PROJECT_SINK: "google_logging_project_sink",
    gcp_tokens.MONITORING_ALERT_POLICY: "google_monitoring_alert_policy",
    gcp_tokens.MONITORING_NOTIFICATION_CHANNEL: "google_monitoring_notification_channel",
    gcp_tokens.ORGPOLICY_POLICY: "google_org_policy_policy",
    gcp_tokens.PROJECTS_DEFAULT_SERVICE_ACCOUNTS: "google_project_default_service_accounts",
    gcp_tokens.PROJECTS_IAMAUDIT_CONFIG: "google_project_iam_audit_config",
    gcp_tokens.PROJECTS_IAMMEMBER: "google_project_iam_member",
    gcp_tokens.PROJECTS_SERVICE: "google_project_service",
    gcp_tokens.PROJECTS_SERVICE_IDENTITY: "google_project_service_identity",
    gcp_tokens.PUBSUB_SUBSCRIPTION: "google_pubsub_subscription",
    gcp_tokens.PUBSUB_SUBSCRIPTION_IAMMEMBER: "google_pubsub_subscription_iam_member",
    gcp_tokens.PUBSUB_TOPIC: "google_pubsub_topic",
    gcp_tokens.PUBSUB_TOPIC_IAMMEMBER: "google_pubsub_topic_iam_member",
    gcp_tokens.SECURITYCENTER_V2_PROJECT_NOTIFICATION_CONFIG: "google_scc_v2_project_notification_config",
    gcp_tokens.SERVICEACCOUNT_ACCOUNT: "google_service_account",
    gcp_tokens.SERVICEACCOUNT_IAMMEMBER: "google_service_account_iam_member",
    gcp_tokens.STORAGE_BUCKET: "google_storage_bucket",
    gcp_tokens.STORAGE_BUCKET_ACCESS_CONTROL: "google_storage_bucket_access_control",
    gcp_tokens.STORAGE_BUCKET_IAMMEMBER: "google_storage_bucket_iam_member",
}
"""Terraform type of each pulumi-gcp token the example sites use (and a few close relatives). Each
type exists in the Terraform provider's schema (``google_project_service_identity`` in google-beta's
only); the pairing is pulumi-gcp's (its bridge metadata, ``bridge-metadata.json``
``auto-aliasing.resources.<tf type>.current``, spot-checked), and the tests check every token is a
pulumi-gcp resource class."""

RENAMES: dict[str, dict[str, str]] = {
    "*": {"pulumiLabels": "terraform_labels"},
    "google_cloud_run_v2_service": {
        "template.containers.buildInfos": "build_info",
        "template.containers.commands": "command",
        "template.containers.dependsOns": "depends_on",
        "template.containers.envs": "env",
        "terminalConditions": "terminal_condition",
        "traffics": "traffic",
    },
    "google_compute_backend_service": {
        "backends": "backend",
        "cdnPolicy.cacheKeyPolicy.queryStringBlacklists": "query_string_blacklist",
        "cdnPolicy.cacheKeyPolicy.queryStringWhitelists": "query_string_whitelist",
        "cdnPolicy.negativeCachingPolicies": "negative_caching_policy",
    },
    "google_compute_firewall": {"allows": "allow", "denies": "deny"},
    "google_compute_route": {"warnings.datas": "data"},
    "google_compute_security_policy": {
        "rules": "rule",
        "rules.preconfiguredWafConfig.exclusions": "exclusion",
        "rules.preconfiguredWafConfig.exclusions.requestCookies": "request_cookie",
        "rules.preconfiguredWafConfig.exclusions.requestHeaders": "request_header",
        "rules.preconfiguredWafConfig.exclusions.requestQueryParams": "request_query_param",
        "rules.preconfiguredWafConfig.exclusions.requestUris": "request_uri",
    },
    "google_compute_subnetwork": {"secondaryIpRanges": "secondary_ip_range"},
    "google_compute_url_map": {
        "hostRules": "host_rule",
        "pathMatchers": "path_matcher",
        "pathMatchers.pathRules": "path_rule",
        "tests": "test",
        "*.errorResponseRules": "error_response_rule",
        "*.requestHeadersToAdds": "request_headers_to_add",
        "*.requestHeadersToRemoves": "request_headers_to_remove",
        "*.responseHeadersToAdds": "response_headers_to_add",
        "*.responseHeadersToRemoves": "response_headers_to_remove",
    },
    "google_dns_record_set": {
        "routingPolicy.geos": "geo",
        "routingPolicy.primaryBackup.backupGeos": "backup_geo",
        "routingPolicy.wrrs": "wrr",
    },
    "google_kms_crypto_key": {"primaries": "primary"},
    "google_monitoring_alert_policy": {
        "alertStrategy.notificationChannelStrategies": "notification_channel_strategy",
        "creationRecords": "creation_record",
    },
    "google_project_iam_audit_config": {"auditLogConfigs": "audit_log_config"},
    "google_storage_bucket": {
        "cors.methods": "method",
        "cors.origins": "origin",
        "cors.responseHeaders": "response_header",
        "lifecycleRules": "lifecycle_rule",
        "lifecycleRules.condition.matchesPrefixes": "matches_prefix",
        "lifecycleRules.condition.matchesStorageClasses": "matches_storage_class",
        "lifecycleRules.condition.matchesSuffixes": "matches_suffix",
    },
}
"""Where the Terraform attribute is not pulumi-gcp's Python name: per Terraform type, the camelCase
property path (list indexes left out; ``*.name`` matches ``name`` at any depth) to the Terraform name
of its last part. ``"*"`` applies to every type. The bridge pluralises lists (``lifecycle_rule`` is
``lifecycleRules``, ``cors.origin`` is ``cors.origins``) and calls ``terraform_labels``
``pulumiLabels``. Checked against the Terraform provider's schema (``terraform providers schema
-json`` of hashicorp/google) for every list property of the types in ``TF_TYPES``."""

FLATTENED: dict[str, frozenset[str]] = {"google_compute_backend_service": frozenset({"healthChecks"})}
"""Terraform lists of at most one item that pulumi-gcp flattened into a single value: the export makes
them one-element lists again."""

BETA_ONLY = frozenset({"google_project_service_identity"})
"""Types only the ``hashicorp/google-beta`` provider has (pulumi-gcp bridges google-beta)."""

_MODULE_PREFIXES = {
    "accesscontextmanager": "access_context_manager",
    "artifactregistry": "artifact_registry",
    "binaryauthorization": "binary_authorization",
    "certificatemanager": "certificate_manager",
    "cloudidentity": "cloud_identity",
    "cloudrun": "cloud_run",
    "cloudrunv2": "cloud_run_v2",
    "cloudscheduler": "cloud_scheduler",
    "cloudtasks": "cloud_tasks",
    "networksecurity": "network_security",
    "networkservices": "network_services",
    "organizations": "organization",
    "orgpolicy": "org_policy",
    "projects": "project",
    "secretmanager": "secret_manager",
    "securitycenter": "scc",
    "serviceaccount": "service_account",
    "servicenetworking": "service_networking",
    "vpcaccess": "vpc_access",
}
"""Module names that the rule-based fallback cannot split into Terraform's words by itself."""

_MAP_NAMES = frozenset({"labels", "userLabels", "effectiveLabels", "pulumiLabels", "annotations", "attributeMapping"})
"""Without an SDK schema (fallback only): properties that are maps, not blocks."""

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class ExportError(ValueError):
    """The plan holds something the export cannot express in Terraform's terms."""


# --- names -------------------------------------------------------------------------------------


def snake(name: str) -> str:
    """Pulumi's camelCase to Terraform's snake_case: ``defaultKmsKeyName``, ``SSLPolicy``, ``iAMMember``."""
    if name[:1].islower() and name[1:2].isupper():  # pulumi's lower-cased acronyms: iAMMember, sSLPolicy, uRLMap
        name = name[:1].upper() + name[1:]
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words)
    return words.replace("-", "_").lower()


def fallback_tf_type(token: str) -> str:
    """The rule-based Terraform type of a ``gcp:<module>/<resource>:<Resource>`` token."""
    package, _, rest = token.partition(":")
    module_resource, _, class_name = rest.partition(":")
    module = module_resource.partition("/")[0]
    if package != "gcp" or not module or not class_name:
        raise ExportError(f"{token}: not a pulumi-gcp resource type; only gcp:* resources can be exported")
    return f"google_{_MODULE_PREFIXES.get(module, snake(module))}_{snake(class_name)}"


def tf_type(token: str) -> str:
    """The Terraform type of a pulumi-gcp type token: ``TF_TYPES``, else the rule-based fallback."""
    return TF_TYPES.get(token) or fallback_tf_type(token)


def _tf_name(logical_name: str, urn: str, *, shared: bool) -> str:
    if _IDENTIFIER.match(logical_name) and not shared:
        return logical_name
    clean = re.sub(r"[^A-Za-z0-9_-]", "_", logical_name)
    if not clean[:1].isalpha() and clean[:1] != "_":
        clean = f"_{clean}"
    return f"{clean}_{hashlib.sha256(urn.encode()).hexdigest()[:8]}"


# --- the provider schema, from the pulumi-gcp SDK ------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """The shape of one property: ``kind`` is ``scalar``, ``int``, ``map``, ``block`` or ``list``."""

    kind: str
    obj: _Object | None = None  # a block's attributes
    elem: _Shape | None = None  # a list's element shape


@dataclass(frozen=True)
class _Prop:
    python_name: str
    shape: _Shape


@dataclass(frozen=True)
class _Object:
    props: dict[str, _Prop] = field(default_factory=dict)


_SCALAR = _Shape("scalar")


def _sdk_class(token: str) -> type | None:
    module_resource, _, class_name = token.partition(":")[2].partition(":")
    try:
        module = importlib.import_module(f"pulumi_gcp.{module_resource.partition('/')[0]}")
    except ImportError:
        return None
    cls = getattr(module, class_name, None)
    return cls if isinstance(cls, type) else None


def _getters(cls: type) -> dict[str, tuple[str, property]]:
    """Pulumi name -> (Python name, property) of every ``@pulumi.getter`` property of ``cls``."""
    found: dict[str, tuple[str, property]] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            pulumi_name = getattr(value.fget, "_pulumi_name", None) if isinstance(value, property) else None
            if pulumi_name is not None:
                found[pulumi_name] = (attr, value)
    return found


def _annotation(getter: property) -> Any:
    """The return annotation of a getter, forward references resolved in its module."""
    function: Any = getter.fget
    return typing.get_type_hints(function, globalns=vars(sys.modules[function.__module__])).get("return")


def _unwrap(annotation: Any) -> Any:
    """Strip ``Output[...]``, ``Input[...]`` and ``Optional[...]``."""
    while True:
        args = typing.get_args(annotation)
        origin = typing.get_origin(annotation)
        if origin is typing.Union:
            rest = [a for a in args if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        elif origin is not None and getattr(origin, "__name__", "") in {"Output", "Input", "Awaitable"}:
            annotation = args[0]
        else:
            return annotation


def _shape(annotation: Any, depth: int) -> _Shape:
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if origin in {collections.abc.Mapping, dict}:
        return _Shape("map")
    if origin in {collections.abc.Sequence, list}:
        return _Shape("list", elem=_shape(typing.get_args(annotation)[0], depth + 1))
    if annotation is int:
        return _Shape("int")
    if isinstance(annotation, type) and depth < 20 and _getters(annotation):
        return _Shape("block", obj=_object(annotation, depth + 1))
    return _SCALAR


@functools.cache
def _object(cls: type, depth: int = 0) -> _Object:
    return _Object(
        {name: _Prop(attr, _shape(_annotation(getter), depth)) for name, (attr, getter) in _getters(cls).items()}
    )


@dataclass(frozen=True)
class _Schema:
    root: _Object | None  # None: no SDK class for the token (rule-based fallback)
    computed: frozenset[str]  # output-only properties


@functools.cache
def _schema(token: str) -> _Schema:
    cls = _sdk_class(token)
    if cls is None:
        return _Schema(None, frozenset())
    root = _object(cls)
    args = _sdk_class(f"{token}Args")
    inputs = set(_getters(args)) if args is not None else set(root.props)
    return _Schema(root, frozenset(set(root.props) - inputs))


def sdk_paths(token: str) -> dict[str, str]:
    """Every property of ``token`` as pulumi-gcp describes it: camelCase path (dotted, no list indexes)
    -> ``scalar``, ``int``, ``map``, ``block`` or ``list``. Empty when pulumi-gcp has no such type."""
    found: dict[str, str] = {}

    def walk(node: _Object, prefix: str, depth: int) -> None:
        for name, prop in node.props.items():
            path = f"{prefix}{name}"
            found[path] = prop.shape.kind
            inner = prop.shape.obj or (prop.shape.elem.obj if prop.shape.elem else None)
            if inner is not None and depth < 12:
                walk(inner, f"{path}.", depth + 1)

    root = _schema(token).root
    if root is not None:
        walk(root, "", 0)
    return found


# --- values --------------------------------------------------------------------------------------


class _Converter:
    def __init__(self, tf_type_: str) -> None:
        self.renames = {**RENAMES["*"], **RENAMES.get(tf_type_, {})}
        self.flattened = FLATTENED.get(tf_type_, frozenset())

    def name(self, path: str, prop: _Prop | None) -> str:
        """The Terraform name of the property at ``path`` (camelCase, dotted, no list indexes)."""
        last = path.rpartition(".")[2]
        return self.renames.get(path) or self.renames.get(f"*.{last}") or (prop.python_name if prop else snake(last))

    def obj(self, value: dict[str, Any], schema: _Object | None, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in value.items():
            prop = schema.props.get(key) if schema else None
            if schema is not None and prop is None:
                continue  # not an attribute of the provider: an offline-model placeholder
            child = f"{path}.{key}" if path else key
            shape = prop.shape if prop else _guess(key, item)
            converted = self.value(item, shape, child)
            flat = child in self.flattened and converted is not None and converted != UNKNOWN
            out[self.name(child, prop)] = [converted] if flat else converted
        return out

    def value(self, value: Any, shape: _Shape, path: str) -> Any:
        if value is None or value in (UNKNOWN, REDACTED):
            return value
        if shape.kind == "block":
            items = value if isinstance(value, list) else [value]
            return [self.obj(i, shape.obj, path) if isinstance(i, dict) else i for i in items]
        if shape.kind == "list" and isinstance(value, list):
            elem = shape.elem or _SCALAR
            if elem.kind == "block":  # elements of a list of blocks are objects, not one-element lists
                return [self.obj(i, elem.obj, path) if isinstance(i, dict) else i for i in value]
            return [self.value(i, elem, path) for i in value]
        if shape.kind == "int" and isinstance(value, float) and value.is_integer():
            return int(value)
        return value


def _guess(key: str, value: Any) -> _Shape:
    """The shape of a value without an SDK schema: objects are blocks, except well-known maps."""
    if isinstance(value, dict):
        return _Shape("map") if key in _MAP_NAMES else _Shape("block", obj=None)
    if isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
        return _Shape("list", elem=_Shape("block", obj=None))
    return _SCALAR


def _known(value: Any) -> Any:
    """Terraform's ``after``: unknowns left out of objects, ``null`` in lists."""
    if value == UNKNOWN:
        return None
    if isinstance(value, dict):
        return {k: _known(v) for k, v in value.items() if v != UNKNOWN}
    if isinstance(value, list):
        return [_known(v) for v in value]
    return value


def _marks(value: Any, mark: str) -> Any:
    """Terraform's ``after_unknown`` / ``sensitive_values`` shape: ``true`` where ``mark`` is, ``false``
    for other list elements, known object entries left out."""
    if value == mark:
        return True
    if isinstance(value, dict):
        inner = {k: _marks(v, mark) for k, v in value.items()}
        return {k: v for k, v in inner.items() if v is not False}
    if isinstance(value, list):
        return [_marks(v, mark) for v in value]
    return False


# --- the document -------------------------------------------------------------------------------


def _attributes(resource: dict[str, Any], tf: str, preview: bool) -> dict[str, Any]:
    schema = _schema(resource["type"])
    converted = _Converter(tf).obj(resource["outputs"], schema.root, "")
    converted.pop("id", None)
    converted["id"] = resource["id"] if resource["id"] is not None else UNKNOWN
    if preview and schema.root is not None:
        for prop in sorted(schema.computed):
            name = _Converter(tf).name(prop, schema.root.props[prop])
            converted.setdefault(name, UNKNOWN)
    return converted


def export(plan: dict[str, Any]) -> dict[str, Any]:
    """The Terraform plan JSON (``terraform show -json``, format 1.2) of an offline plan (``plan@1``)."""
    if plan.get("format") != PLAN_FORMAT:
        raise ExportError(f"expected an {PLAN_FORMAT} document, got format {plan.get('format')!r}")
    custom = [r for r in plan["resources"] if r["custom"]]
    types = {r["urn"]: tf_type(r["type"]) for r in custom}
    shared = Counter((types[r["urn"]], r["name"]) for r in custom)
    addresses: dict[str, tuple[str, str]] = {}
    for r in custom:
        tf = types[r["urn"]]
        addresses[r["urn"]] = (tf, _tf_name(r["name"], r["urn"], shared=shared[tf, r["name"]] > 1))
    if len(set(addresses.values())) != len(addresses):
        raise ExportError("two resources map to one Terraform address")

    planned, changes, config = [], [], []
    used: set[str] = set()
    for r in sorted(custom, key=lambda item: addresses[item["urn"]]):
        tf, name = addresses[r["urn"]]
        address = f"{tf}.{name}"
        attributes = _attributes(r, tf, plan["mode"] == "preview")
        after, unknown, sensitive = _known(attributes), _marks(attributes, UNKNOWN), _marks(attributes, REDACTED)
        head = {"address": address, "mode": "managed", "type": tf, "name": name}
        provider = "google-beta" if tf in BETA_ONLY else "google"
        used.add(provider)
        planned.append(
            {
                **head,
                "provider_name": PROVIDERS[provider],
                "schema_version": 0,
                "values": after,
                "sensitive_values": sensitive,
            }
        )
        changes.append(
            {
                **head,
                "provider_name": PROVIDERS[provider],
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": after,
                    "after_unknown": unknown,
                    "before_sensitive": False,
                    "after_sensitive": sensitive,
                },
            }
        )
        config.append({**head, "provider_config_key": provider, "expressions": _references(r, addresses)})
    return {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {key: {"name": key, "full_name": PROVIDERS[key]} for key in sorted(used)},
            "root_module": {"resources": config},
        },
    }


def _references(resource: dict[str, Any], addresses: dict[str, tuple[str, str]]) -> dict[str, Any]:
    tf = addresses[resource["urn"]][0]
    schema = _schema(resource["type"]).root
    converter = _Converter(tf)
    expressions: dict[str, Any] = {}
    for key, urns in sorted(resource["options"]["propertyDependencies"].items()):
        prop = schema.props.get(key) if schema else None
        refs = sorted({".".join(addresses[u]) for u in urns if u in addresses})
        if refs and (schema is None or prop is not None):
            expressions[converter.name(key, prop)] = {"references": refs}
    return expressions


__all__ = [
    "BETA_ONLY",
    "FLATTENED",
    "FORMAT_VERSION",
    "PROVIDERS",
    "RENAMES",
    "TF_TYPES",
    "ExportError",
    "export",
    "fallback_tf_type",
    "sdk_paths",
    "snake",
    "tf_type",
]
