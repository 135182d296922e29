"""The viewer launch endpoint and the viewer's compute: TLS 1.2+, no plaintext, Cloud Armor, no anonymity.

Controls TLS-01, TLS-02, TLS-03, TLS-05, NET-06, NET-08 and IAM-09; the API allowlist and its check
are IAM-08's, whose policy is the closed world's (closed_world.py).
"""

from __future__ import annotations

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from imaging_policies import tokens
from imaging_policies._props import PUBLIC_PRINCIPALS, UNKNOWN, as_str, items, leaf, members, refers_by_dependency
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies._site import WHOLE_INTERNET, inside, viewer_sources

STRONG_PROFILES = frozenset({"MODERN", "RESTRICTED", "FIPS_202205"})
STRONG_TLS = frozenset({"TLS_1_2", "TLS_1_3"})
TLS_BACKEND_PROTOCOLS = frozenset({"HTTPS", "HTTP2", "SSL"})
EXTERNAL_SCHEMES = frozenset({"EXTERNAL", "EXTERNAL_MANAGED"})
DEFAULT_RULE_PRIORITY = 2147483647
RESTRICTED_INGRESS = frozenset(
    {"INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER", "INGRESS_TRAFFIC_INTERNAL_ONLY", "internal-and-cloud-load-balancing"}
)
SITE_SERVICES = [
    "cloudkms.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",
    "dns.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "iap.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "orgpolicy.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "storage.googleapis.com",
    "sts.googleapis.com",
]
"""Every API an imaging site can need (IAM-08); anything else is attack surface."""


def _ssl_policy(args: ResourceValidationArgs, report: Report) -> None:
    profile = leaf(args.props, "profile")
    minimum = leaf(args.props, "minTlsVersion")
    if profile is not UNKNOWN and profile != "CUSTOM" and profile not in STRONG_PROFILES:
        report(
            f"profile is {profile or 'unset (COMPATIBLE)'!s}: it offers weak ciphers. Set profile 'MODERN' "
            "(or 'RESTRICTED')."
        )
    if profile == "CUSTOM":
        weak = [f for f in items(args.props, "customFeatures") if isinstance(f, str) and f.startswith("TLS_RSA_")]
        if weak:
            report(f"customFeatures enable {', '.join(weak)} (no forward secrecy); remove the TLS_RSA_* suites.")
    if minimum is not UNKNOWN and minimum not in STRONG_TLS:
        report(f"minTlsVersion is {minimum or 'unset (TLS_1_0)'!s}; set it to 'TLS_1_2'.")


def _tls_proxy(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type in tokens.SELF_MANAGED_CERTIFICATES:
        report(
            "a self-managed certificate keeps its private key in the Pulumi state. Use a Google-managed "
            "certificate (gcp.compute.ManagedSslCertificate or Certificate Manager)."
        )
        return
    if leaf(args.props, "sslPolicy") is None:
        report(
            "sslPolicy is not set, so the proxy uses Google's default (TLS 1.0, COMPATIBLE). Attach an SSL "
            "policy with profile MODERN and minTlsVersion TLS_1_2."
        )


def _backend_tls(args: ResourceValidationArgs, report: Report) -> None:
    protocol = leaf(args.props, "protocol")
    if protocol is not UNKNOWN and protocol not in TLS_BACKEND_PROTOCOLS:
        report(f"protocol is {protocol or 'unset (HTTP)'!s}: the last hop is plaintext. Set protocol 'HTTPS'.")


def _edge_armor(args: ResourceValidationArgs, report: Report) -> None:
    props = args.props
    if args.resource_type in tokens.BACKEND_SERVICES:
        scheme = leaf(props, "loadBalancingScheme")
        if scheme is None and args.resource_type == "gcp:compute/backendService:BackendService":
            scheme = "EXTERNAL"  # the provider's default for a global backend service
        if scheme in EXTERNAL_SCHEMES and leaf(props, "securityPolicy") is None:
            report(
                "securityPolicy is not set on an internet-facing backend. Attach a Cloud Armor policy that admits "
                "only the hospital and worklist networks."
            )
        return
    declared, where = viewer_sources(args.get_config())
    rules = items(props, "rules")
    default = [r for r in rules if leaf(r, "priority") == DEFAULT_RULE_PRIORITY]
    if not default and UNKNOWN not in rules:
        report("the policy has no default rule (priority 2147483647); add one with action 'deny(403)'.")
    for rule in default:
        action = leaf(rule, "action")
        if action is not UNKNOWN and not str(action).startswith("deny"):
            report(f"the default rule's action is {action!r}: everyone else gets in. Set it to 'deny(403)'.")
    for index, rule in enumerate(rules):
        action = leaf(rule, "action")
        if rule is UNKNOWN or leaf(rule, "priority") == DEFAULT_RULE_PRIORITY or str(action).startswith("deny"):
            continue
        if leaf(rule, "match", "expr") is not None or leaf(rule, "match", "versionedExpr") not in (
            "SRC_IPS_V1",
            UNKNOWN,
        ):
            report(
                f"rules[{index}] ({action}) matches by expression, not by source range, so it can admit anyone. "
                "Admit only declared ranges with versionedExpr 'SRC_IPS_V1'."
            )
            continue
        for source in items(rule, "match", "config", "srcIpRanges"):
            if source is UNKNOWN:
                continue
            if source == "*" or source in WHOLE_INTERNET or not inside(str(source), declared):
                report(
                    f"rules[{index}].match.config.srcIpRanges admits {source}, which is not a declared hospital or "
                    f"worklist network ({where}). Remove it or declare it."
                )


def _no_public_compute(args: ResourceValidationArgs, report: Report) -> None:
    props = args.props
    if args.resource_type in tokens.VM_TYPES:
        for index, interface in enumerate(items(props, "networkInterfaces")):
            if items(interface, "accessConfigs") or items(interface, "ipv6AccessConfigs"):
                report(
                    f"networkInterfaces[{index}] has an access config, so the VM gets a public address. Remove "
                    "accessConfigs; reach it through the load balancer or IAP."
                )
        return
    if args.resource_type == "gcp:cloudrun/service:Service":
        annotations = leaf(props, "template", "metadata", "annotations")
        egress = leaf(annotations, "run.googleapis.com/vpc-access-egress") if annotations is not UNKNOWN else UNKNOWN
        if egress not in ("all-traffic", UNKNOWN):
            report(
                f"template.metadata.annotations['run.googleapis.com/vpc-access-egress'] is {egress!r}: the viewer's "
                "traffic bypasses the site VPC. Set it to 'all-traffic' (or use gcp.cloudrunv2.Service)."
            )
        return
    egress = leaf(props, "template", "vpcAccess", "egress")
    if egress is not UNKNOWN and egress != "ALL_TRAFFIC":
        report(
            f"template.vpcAccess.egress is {egress or 'unset'!s}: the viewer's traffic bypasses the site VPC and "
            "its allowlist firewall. Set egress 'ALL_TRAFFIC' with a networkInterface on the site subnet."
        )


def _not_anonymous(args: ResourceValidationArgs, report: Report) -> None:
    props = args.props
    if tokens.is_iam(args.resource_type):
        for role, member in members(props):
            if member in PUBLIC_PRINCIPALS:
                report(f"member {member} holds {role}: anyone could invoke the viewer. Remove it.")
        return
    if args.resource_type == "gcp:cloudrun/service:Service":
        annotations = leaf(props, "metadata", "annotations")
        ingress = leaf(annotations, "run.googleapis.com/ingress") if annotations is not UNKNOWN else UNKNOWN
        if ingress not in ("internal", "internal-and-cloud-load-balancing", UNKNOWN):
            report(
                f"metadata.annotations['run.googleapis.com/ingress'] is {ingress or 'unset (all)'!s}: the viewer's "
                "run.app URL is open to the internet. Set it to 'internal-and-cloud-load-balancing'."
            )
        return
    ingress = leaf(props, "ingress")
    if ingress is not UNKNOWN and ingress not in RESTRICTED_INGRESS:
        report(
            f"ingress is {ingress or 'unset (INGRESS_TRAFFIC_ALL)'!s}: the viewer's run.app URL is open to the "
            "internet. Set ingress 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER'."
        )


def _needed_services(args: ResourceValidationArgs, report: Report) -> None:
    allowed = list(args.get_config().get("allowedServices", SITE_SERVICES))
    service = leaf(args.props, "service")
    if service is not UNKNOWN and service not in allowed:
        report(f"service {service} is not one the site needs; remove it (allowed: the pack's allowedServices).")
    if leaf(args.props, "disableOnDestroy") is not False:
        report(
            "disableOnDestroy is not false, so destroying this resource disables the API for everything in the "
            "project. Set it to false."
        )


def _targets(resource: PolicyResource, key: str, candidates: list[PolicyResource]) -> list[PolicyResource]:
    """The candidates ``resource`` points at through ``key``: by dependency or by id / self link / name."""
    value = as_str(leaf(resource.props, key))
    found = []
    for candidate in candidates:
        names = {as_str(leaf(candidate.props, k)) for k in ("id", "selfLink", "name")} - {None}
        if refers_by_dependency(resource, key, candidate) or (
            value is not None and (value in names or any(value.endswith(f"/{n}") for n in names))
        ):
            found.append(candidate)
    return found


def _redirect_only(url_map: PolicyResource) -> bool:
    props = url_map.props
    serves = any(leaf(props, k) not in (None, "", [], UNKNOWN) for k in ("defaultService", "hostRules", "pathMatchers"))
    return leaf(props, "defaultUrlRedirect", "httpsRedirect") in (True, UNKNOWN) and not serves


def _no_plaintext(args: StackValidationArgs, report: Report) -> None:
    proxies = [r for r in args.resources if r.resource_type in tokens.HTTP_PROXIES]
    url_maps = [r for r in args.resources if r.resource_type in tokens.URL_MAPS]
    for rule in (r for r in args.resources if r.resource_type in tokens.FORWARDING_RULES):
        for proxy in _targets(rule, "target", proxies):
            maps = _targets(proxy, "urlMap", url_maps)
            if not maps and leaf(proxy.props, "urlMap") is UNKNOWN:
                continue
            if not maps or not all(_redirect_only(m) for m in maps):
                report(
                    f"forwarding rule {rule.name!r} serves plain HTTP through {proxy.name!r}: its URL map does more "
                    "than redirect. Give the HTTP proxy a URL map with only defaultUrlRedirect {httpsRedirect: true}.",
                    rule.urn,
                )


POLICIES = [
    resource_policy(
        name="gcp-compute-ssl-policy-modern",
        control="TLS-01",
        description="SSL policies allow only TLS 1.2 or newer with modern ciphers.",
        severity=Severity.HIGH,
        remediation="Set profile 'MODERN' (or 'RESTRICTED') and minTlsVersion 'TLS_1_2'.",
        types=sorted(tokens.SSL_POLICIES),
        check=_ssl_policy,
    ),
    resource_policy(
        name="gcp-compute-tls-proxy-ssl-policy",
        control="TLS-02",
        description="HTTPS and SSL proxies carry a strong SSL policy; certificates are Google-managed.",
        severity=Severity.HIGH,
        remediation="Set sslPolicy on every HTTPS/SSL proxy and use ManagedSslCertificate (ViewerEndpoint does).",
        types=sorted(tokens.TLS_PROXIES | tokens.SELF_MANAGED_CERTIFICATES),
        check=_tls_proxy,
    ),
    stack_policy(
        name="gcp-compute-http-redirect-only",
        types=sorted(tokens.HTTP_PROXIES | tokens.URL_MAPS | tokens.FORWARDING_RULES),
        control="TLS-03",
        description="A plain-HTTP front end only redirects to HTTPS.",
        severity=Severity.HIGH,
        remediation="Point the HTTP proxy at a URL map with only defaultUrlRedirect {httpsRedirect: true}.",
        check=_no_plaintext,
    ),
    resource_policy(
        name="gcp-compute-backend-https",
        control="TLS-05",
        description="Load balancers speak TLS to their backends.",
        severity=Severity.MEDIUM,
        remediation="Set the backend service's protocol to 'HTTPS' (or 'HTTP2').",
        types=sorted(tokens.BACKEND_SERVICES),
        check=_backend_tls,
    ),
    resource_policy(
        name="gcp-viewer-no-public-address",
        control="NET-06",
        description="Viewer compute has no public address and sends all egress through the site VPC.",
        severity=Severity.HIGH,
        remediation=(
            "Remove accessConfigs from VMs; give Cloud Run services vpcAccess {egress: 'ALL_TRAFFIC', "
            "networkInterfaces: [site subnet]}."
        ),
        types=sorted(tokens.VM_TYPES | tokens.CLOUD_RUN_SERVICES),
        check=_no_public_compute,
    ),
    resource_policy(
        name="gcp-compute-edge-cloud-armor",
        control="NET-08",
        description="Internet-facing backends sit behind Cloud Armor that admits only declared networks.",
        severity=Severity.CRITICAL,
        remediation=(
            "Attach a Cloud Armor policy whose allow rules list only the hospital and worklist networks and whose "
            "default rule (priority 2147483647) is 'deny(403)'."
        ),
        types=sorted(tokens.BACKEND_SERVICES | {tokens.SECURITY_POLICY}),
        check=_edge_armor,
        config={
            "allowedSources": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Admitted ranges (default: the site's hospitalNetworks and viewer.allowedSources).",
            }
        },
    ),
    resource_policy(
        name="gcp-cloudrun-not-public",
        control="IAM-09",
        description="The viewer is reachable only through the load balancer and never anonymously invocable.",
        severity=Severity.CRITICAL,
        remediation=(
            "Set ingress 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER' and never grant roles/run.invoker to allUsers "
            "or allAuthenticatedUsers; sign-on is IAP or the worklist's launch token."
        ),
        types=lambda token: (
            token in tokens.CLOUD_RUN_SERVICES
            or (tokens.is_iam(token) and token.startswith(("gcp:cloudrunv2/", "gcp:cloudrun/")))
        ),
        check=_not_anonymous,
    ),
]
