"""The viewer launch endpoint and the viewer's compute: TLS 1.2+, no plaintext, Cloud Armor, no anonymity.

Controls TLS-01, TLS-02, TLS-03, TLS-05, TLS-06 (certificates for the launch hostname, attached from this
stack), LOG-05 (the backends' request logs), NET-06, NET-08 and
IAM-09; the API allowlist and its check are IAM-08's, whose policy is the closed world's
(closed_world.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from imaging_policies import tokens
from imaging_policies._principals import site_project_number
from imaging_policies._props import (
    PUBLIC_PRINCIPALS,
    UNKNOWN,
    items,
    known,
    leaf,
    members,
    property_dependencies,
    references,
)
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies._site import (
    SITE_NAMESPACE,
    WHOLE_INTERNET,
    inside,
    section,
    site_project,
    site_setting,
    viewer_hostnames,
    viewer_sources,
)

STRONG_PROFILES = frozenset({"MODERN", "RESTRICTED", "FIPS_202205"})
STRONG_TLS = frozenset({"TLS_1_2", "TLS_1_3"})
TLS_BACKEND_PROTOCOLS = frozenset({"HTTPS", "HTTP2", "SSL"})
EXTERNAL_SCHEMES = frozenset({"EXTERNAL", "EXTERNAL_MANAGED"})
DEFAULT_RULE_PRIORITY = 2147483647
RESTRICTED_INGRESS = frozenset(
    {"INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER", "INGRESS_TRAFFIC_INTERNAL_ONLY", "internal-and-cloud-load-balancing"}
)
SITE_SERVICES = [
    "binaryauthorization.googleapis.com",
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
    "securitycenter.googleapis.com",
    "storage.googleapis.com",
    "sts.googleapis.com",
]
"""Every API an imaging site can need (IAM-08); anything else is attack surface."""


def _weak_tls(props: Any) -> list[str]:
    """What makes an SSL policy weak, each with its fix; nothing while the values are unknown."""
    profile = leaf(props, "profile")
    minimum = leaf(props, "minTlsVersion")
    found = []
    if profile is not UNKNOWN and profile != "CUSTOM" and profile not in STRONG_PROFILES:
        found.append(
            f"profile is {profile or 'unset (COMPATIBLE)'!s}: it offers weak ciphers. Set profile 'MODERN' "
            "(or 'RESTRICTED')."
        )
    if profile == "CUSTOM":
        weak = [f for f in items(props, "customFeatures") if isinstance(f, str) and f.startswith("TLS_RSA_")]
        if weak:
            found.append(f"customFeatures enable {', '.join(weak)} (no forward secrecy); remove the TLS_RSA_* suites.")
    if minimum is not UNKNOWN and minimum not in STRONG_TLS:
        found.append(f"minTlsVersion is {minimum or 'unset (TLS_1_0)'!s}; set it to 'TLS_1_2'.")
    return found


def _ssl_policy(args: ResourceValidationArgs, report: Report) -> None:
    for problem in _weak_tls(args.props):
        report(problem)


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


def _backend_logs(args: ResourceValidationArgs, report: Report) -> None:
    if leaf(args.props, "logConfig", "enable") not in (True, UNKNOWN):
        report(
            "logConfig.enable is not true, so requests (and authentication attempts) at the edge are not "
            "logged. Set logConfig {enable: true, sampleRate: 1.0}."
        )
        return
    rate = leaf(args.props, "logConfig", "sampleRate")
    if rate not in (None, UNKNOWN) and rate != 1:
        report(f"logConfig.sampleRate is {rate}; set it to 1.0 so every request is logged.")


LOG4SHELL_RULE = "evaluatePreconfiguredWaf('cve-canary')"
"""Cloud Armor's preconfigured rule against Log4Shell (CVE-2021-44228), every signature (sensitivity 4 by
default); Checkov CKV_GCP_73 accepts this expression or evaluatePreconfiguredExpr('cve-canary')."""
_CANARY = re.compile(r"^evaluatePreconfigured(?P<kind>Waf|Expr)\(\s*'cve-canary'\s*(?:,(?P<options>.*))?\)$", re.S)
_SENSITIVITY = re.compile(r"'sensitivity'\s*:\s*(\d+)")
WAF_TYPES = frozenset({"CLOUD_ARMOR", None})
"""Security policy types that can evaluate preconfigured WAF rules (backend security policies)."""


def _canary_gap(rule: Any) -> str | None:
    """Why a cve-canary rule does not block Log4Shell ('' when it does); ``None`` for any other rule."""
    expression = leaf(rule, "match", "expr", "expression")
    found = _CANARY.match(expression.strip()) if isinstance(expression, str) else None
    if found is None:
        return None
    options = (found["options"] or "").strip()
    if leaf(rule, "preview") is True:
        return "is in preview mode: it logs matches and blocks nothing"
    action = leaf(rule, "action")
    if action is not UNKNOWN and not str(action).startswith("deny"):
        return f"has action {action!r}: a match must be denied ('deny(403)')"
    return _narrowed(found["kind"], options)


def _narrowed(kind: str, options: str) -> str:
    """Why a cve-canary expression's options leave signatures out ('' when they do not)."""
    if kind == "Expr":
        return f"opts signatures out ({options})" if options not in ("", "[]") else ""
    if "opt_out_rule_ids" in options or "opt_in_rule_ids" in options:
        return f"opts signatures in or out ({options})"
    level = _SENSITIVITY.search(options)
    return "has sensitivity 0, which enables no signature" if level is not None and int(level.group(1)) == 0 else ""


def _armor_rule(label: str, rule: Any, declared: tuple[str, ...], where: str, report: Report) -> None:
    """An allow rule (enforced, not the default) admits only declared ranges, matched by source range."""
    action = leaf(rule, "action")
    if rule is UNKNOWN or leaf(rule, "preview") is True or str(action).startswith("deny"):
        return  # a rule in preview mode admits nobody
    if leaf(rule, "priority") == DEFAULT_RULE_PRIORITY:
        report(f"the default rule's action is {action!r}: everyone else gets in. Set it to 'deny(403)'.")
        return
    if leaf(rule, "match", "expr") is not None or leaf(rule, "match", "versionedExpr") not in ("SRC_IPS_V1", UNKNOWN):
        report(
            f"{label} ({action}) matches by expression, not by source range, so it can admit anyone. "
            "Admit only declared ranges with versionedExpr 'SRC_IPS_V1'."
        )
        return
    for source in items(rule, "match", "config", "srcIpRanges"):
        if source is UNKNOWN:
            continue
        if source == "*" or source in WHOLE_INTERNET or not inside(str(source), declared):
            report(
                f"{label}.match.config.srcIpRanges admits {source}, which is not a declared hospital or "
                f"worklist network ({where}). Remove it or declare it."
            )


def _log4shell(rules: list[Any], report: Report) -> None:
    """An enforced cve-canary deny rule, evaluated before every rule that lets requests through."""
    gaps = [(index, gap) for index, rule in enumerate(rules) if (gap := _canary_gap(rule)) is not None]
    blocking = [rules[index] for index, gap in gaps if gap == ""]
    for index, gap in gaps:
        if gap:
            report(f"rules[{index}] (cve-canary, Log4Shell) {gap}; it does not count as protection.")
    if not blocking:
        if not gaps:
            report(
                "no rule blocks Log4Shell (CVE-2021-44228). Add a rule with action 'deny(403)' and "
                f'match.expr.expression "{LOG4SHELL_RULE}" at a priority before the allow rules (CKV_GCP_73).'
            )
        return
    known = [p for r in blocking if isinstance(p := leaf(r, "priority"), float | int)]
    if len(known) < len(blocking):
        return  # a priority unknown during preview: ordered once known
    first = min(known)
    before = [
        leaf(r, "priority")
        for r in rules
        if leaf(r, "preview") is not True
        and not str(leaf(r, "action")).startswith("deny")
        and isinstance(leaf(r, "priority"), float | int)
        and leaf(r, "priority") < first
    ]
    if before:
        report(
            f"the Log4Shell rule (cve-canary, priority {first:.0f}) comes after an allow rule (priority "
            f"{min(before):.0f}), so admitted requests are never inspected. Give it a lower priority number."
        )


def _edge_armor(args: ResourceValidationArgs, report: Report) -> None:
    props = args.props
    if args.resource_type in tokens.BACKEND_SERVICES:
        scheme = leaf(props, "loadBalancingScheme")
        if scheme is None and args.resource_type == "gcp:compute/backendService:BackendService":
            # the provider's default for a global backend service (v8): terraform-provider-google-beta
            # google-beta/services/compute/resource_compute_backend_service.go, load_balancing_scheme
            # Default "EXTERNAL_MANAGED" (at 526c796a and 93c65b2d); v7 defaulted to "EXTERNAL", external too
            scheme = "EXTERNAL_MANAGED"
        if scheme in EXTERNAL_SCHEMES and leaf(props, "securityPolicy") is None:
            report(
                "securityPolicy is not set on an internet-facing backend. Attach a Cloud Armor policy that admits "
                "only the hospital and worklist networks."
            )
        return
    declared, where = viewer_sources(args.get_config())
    if args.resource_type in tokens.SECURITY_POLICY_RULES:
        _armor_rule("the rule", props, declared, where, report)
        return
    rules = items(props, "rules")
    default = [r for r in rules if leaf(r, "priority") == DEFAULT_RULE_PRIORITY]
    if not default and UNKNOWN not in rules:
        report("the policy has no default rule (priority 2147483647); add one with action 'deny(403)'.")
    if any(leaf(rule, "preview") is True for rule in default):
        report("the default rule is in preview mode, so it enforces nothing. Set preview false, action 'deny(403)'.")
    for index, rule in enumerate(rules):
        _armor_rule(f"rules[{index}]", rule, declared, where, report)
    if UNKNOWN not in rules and leaf(props, "type") in WAF_TYPES:
        _log4shell(rules, report)


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
    if (section(site_setting, "viewer") or {}).get("signOn") == "iap" and known(props, "invokerIamDisabled") is True:
        report(
            f"invokerIamDisabled is true while the stack's {SITE_NAMESPACE}:viewer.signOn is iap: Cloud Run stops "
            "checking who invokes the viewer, so any path to it that skips IAP (a second load balancer, a caller "
            "in the VPC) opens it. Set invokerIamDisabled false (ViewerEndpoint does for signOn iap)."
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
    """The candidates ``resource`` points at through ``key``: by id / self link / name in the candidate's
    project, or (while the value is unknown) by the property's dependency."""
    value = leaf(resource.props, key)
    return [c for c in candidates if references(resource, key, value, c)]


def _unseen(resource: PolicyResource, key: str, candidates: list[PolicyResource]) -> Any:
    """The value of ``resource``'s reference ``key`` when it names none of ``candidates`` (``None`` when it is
    unset, names one, or is unknown but computed from the stack: judged once known)."""
    value = leaf(resource.props, key)
    if value is None or _targets(resource, key, candidates):
        return None
    if value is UNKNOWN and property_dependencies(resource, key):
        return None
    return value


def _redirect_only(url_map: PolicyResource) -> bool:
    props = url_map.props
    serves = any(leaf(props, k) not in (None, "", [], UNKNOWN) for k in ("defaultService", "hostRules", "pathMatchers"))
    return leaf(props, "defaultUrlRedirect", "httpsRedirect") in (True, UNKNOWN) and not serves


GOOGLE_API_BUNDLES = frozenset({"all-apis", "vpc-sc"})
"""Private Service Connect targets for Google APIs: judged by NET-05, no entry point."""
CONSUMER_ENDPOINT = "/serviceAttachments/"
"""A forwarding rule targeting another project's service attachment is an outbound PSC endpoint, not an
entry point: its kind is proven harmless for TLS-03 (the egress firewall judges traffic to it)."""


def _no_plaintext(args: StackValidationArgs, report: Report) -> None:
    targets = [r for r in args.resources if r.resource_type in tokens.FORWARDING_TARGETS]
    for rule in (r for r in args.resources if r.resource_type in tokens.FORWARDING_RULES):
        for key in ("target", "backendService"):
            value = _unseen(rule, key, targets)
            if value is None or value in GOOGLE_API_BUNDLES or CONSUMER_ENDPOINT in str(value):
                continue
            report(
                f"forwarding rule {rule.name!r} sends traffic to {value} ({key}), which is not in this stack: the "
                "pack cannot tell whether it serves plain HTTP or what it exposes. Manage the target in this stack "
                "or remove the rule.",
                rule.urn,
            )
    _plaintext_proxies(args, report)


def _plaintext_proxies(args: StackValidationArgs, report: Report) -> None:
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


def _tls_policy_in_stack(args: StackValidationArgs, report: Report) -> None:
    policies = [r for r in args.resources if r.resource_type in tokens.SSL_POLICIES]
    for proxy in (r for r in args.resources if r.resource_type in tokens.TLS_PROXIES):
        value = _unseen(proxy, "sslPolicy", policies)
        if value is not None:
            report(
                f"proxy {proxy.name!r} uses SSL policy {value} (sslPolicy), which is not in this stack: the pack "
                "cannot see its profile or minimum TLS version. Create the SSL policy in this stack (MODERN, "
                "TLS_1_2).",
                proxy.urn,
            )
        for policy in _targets(proxy, "sslPolicy", policies):
            for problem in _weak_tls(policy.props):
                report(f"proxy {proxy.name!r} uses SSL policy {policy.name!r}, whose {problem}", proxy.urn)


def _armor_in_stack(args: StackValidationArgs, report: Report) -> None:
    policies = [r for r in args.resources if r.resource_type in tokens.SECURITY_POLICIES]
    for backend in (r for r in args.resources if r.resource_type in tokens.BACKEND_SERVICES):
        value = _unseen(backend, "securityPolicy", policies)
        if value is not None:
            report(
                f"backend {backend.name!r} uses Cloud Armor policy {value} (securityPolicy), which is not in this "
                "stack: the pack cannot see what it admits. Create the policy in this stack (ViewerEndpoint does).",
                backend.urn,
            )


def _network_interfaces(service: PolicyResource) -> tuple[list[Any], Any]:
    """A Cloud Run service's Direct VPC egress interfaces and its VPC Access connector (v2 or v1 form)."""
    if service.resource_type == "gcp:cloudrunv2/service:Service":
        access = leaf(service.props, "template", "vpcAccess")
        return items(access, "networkInterfaces"), leaf(access, "connector")
    annotations = leaf(service.props, "template", "metadata", "annotations")
    if annotations is UNKNOWN:
        return [UNKNOWN], None
    raw = leaf(annotations, "run.googleapis.com/network-interfaces")
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        parsed = None
    interfaces = [i for i in parsed if isinstance(i, Mapping)] if isinstance(parsed, list) else []
    if raw is UNKNOWN:
        interfaces = [UNKNOWN]
    return interfaces, leaf(annotations, "run.googleapis.com/vpc-access-connector")


def _egress_in_site_vpc(args: StackValidationArgs, report: Report) -> None:
    kinds = {
        "network": [r for r in args.resources if r.resource_type == tokens.NETWORK],
        "subnetwork": [r for r in args.resources if r.resource_type == tokens.SUBNETWORK],
    }
    connectors = [r for r in args.resources if r.resource_type == tokens.VPC_ACCESS_CONNECTOR]
    for connector in connectors:
        network, subnet = leaf(connector.props, "network"), leaf(connector.props, "subnet", "name")
        in_site = any(references(connector, "network", network, n) for n in kinds["network"]) or any(
            references(connector, "subnet", subnet, n) for n in kinds["subnetwork"]
        )
        if not in_site and UNKNOWN not in (network, subnet):
            report(
                f"VPC Access connector {connector.name!r} is on {network or subnet}, not a network of this stack: "
                "serverless egress through it bypasses the site VPC's firewall. Put the connector on the site VPC.",
                connector.urn,
            )
    for service in (r for r in args.resources if r.resource_type in tokens.CLOUD_RUN_SERVICES):
        interfaces, connector = _network_interfaces(service)
        if not interfaces and connector is None:
            report(
                f"Cloud Run service {service.name!r} has no VPC network interface (template.vpcAccess."
                "networkInterfaces), so its egress never enters the site VPC and its allowlist firewall. Add one "
                "on the site subnet.",
                service.urn,
            )
        unseen_connector = connector is not None and not any(
            references(service, "template", connector, c) for c in connectors
        )
        if unseen_connector and (connector is not UNKNOWN or not property_dependencies(service, "template")):
            report(
                f"Cloud Run service {service.name!r} sends its egress through VPC Access connector {connector}, "
                "which is not in this stack. Use Direct VPC egress (networkInterfaces) on the site subnet.",
                service.urn,
            )
        for index, interface in enumerate(interfaces):
            for key, candidates in kinds.items():
                value = leaf(interface, key)
                if (
                    value is None
                    or value is UNKNOWN
                    or any(references(service, "template", value, c) for c in candidates)
                ):
                    continue
                report(
                    f"Cloud Run service {service.name!r}: networkInterfaces[{index}].{key} {value} is not the site "
                    "VPC (a network of this stack, whose firewall the pack judges). Use the site network and subnet.",
                    service.urn,
                )


HOSTNAME_FIELDS = {
    tokens.CERTIFICATE: ("managed", "domains"),
    tokens.MANAGED_SSL_CERTIFICATE: ("managed", "domains"),
    tokens.DNS_AUTHORIZATION: ("domain",),
    tokens.CERTIFICATE_MAP_ENTRY: ("hostname",),
}
"""Where each certificate type names the hostnames it is for."""


def _site_certificate(args: ResourceValidationArgs, report: Report) -> None:
    """A Google-managed certificate, authorisation or map entry for the site's launch hostname only."""
    props = args.props
    if args.resource_type == tokens.CERTIFICATE and leaf(props, "selfManaged") not in (None, {}):
        report(
            "selfManaged keeps the certificate's private key in the Pulumi state. Use a Google-managed "
            "certificate (managed {domains: [the launch hostname]})."
        )
    path = HOSTNAME_FIELDS.get(args.resource_type)
    if path is None:
        return
    hosts, where = viewer_hostnames(args.get_config())
    value = leaf(props, *path)
    named = items(props, *path) if path[-1] == "domains" else [value]
    for host in named:
        if host is None or host is UNKNOWN:
            continue
        if str(host).lower().rstrip(".") not in hosts:
            report(
                f"{'.'.join(path)} names {host}, which is not the site's launch hostname ({where}: "
                f"{', '.join(sorted(hosts)) or 'none'}): the launch endpoint would present a certificate for "
                "another name. Issue certificates for the launch hostname only."
            )


def _project_form(value: Any, number: str | None, project: str | None) -> Any:
    """A ``projects/<site project number>/...`` reference in the site project's id form (the API stores a map entry's
    certificates by project number: ``ProjectNumberDiffSuppress`` on ``certificates`` in
    terraform-provider-google-beta google-beta/services/certificatemanager/
    resource_certificate_manager_certificate_map_entry.go at 93c65b2d60fea598528f2769b5b09de856f8cb8c)."""
    if isinstance(value, str) and number and project:
        return value.replace(f"projects/{number}/", f"projects/{project}/", 1)
    return value


CERTIFICATE_LISTS = frozenset({"certificates", "certificateManagerCertificates", "sslCertificates"})


def _certificates_in_stack(args: StackValidationArgs, report: Report) -> None:
    resources = list(args.resources)
    number, _ = site_project_number(resources, args.get_config())
    by_type = {t: [r for r in resources if r.resource_type == t] for t in tokens.CERTIFICATE_MANAGER}
    compute_certificates = [
        r for r in resources if r.resource_type in tokens.SELF_MANAGED_CERTIFICATES | {tokens.MANAGED_SSL_CERTIFICATE}
    ]
    checks: list[tuple[PolicyResource, str, list[PolicyResource]]] = []
    for entry in by_type[tokens.CERTIFICATE_MAP_ENTRY]:
        checks += [
            (entry, "certificates", by_type[tokens.CERTIFICATE]),
            (entry, "map", by_type[tokens.CERTIFICATE_MAP]),
        ]
    for proxy in (r for r in resources if r.resource_type in tokens.TLS_PROXIES):
        checks += [
            (proxy, "certificateMap", by_type[tokens.CERTIFICATE_MAP]),
            (proxy, "certificateManagerCertificates", by_type[tokens.CERTIFICATE]),
            (proxy, "sslCertificates", compute_certificates + by_type[tokens.CERTIFICATE]),
        ]
    for owner, key, candidates in checks:
        value = leaf(owner.props, key)
        listed = items(owner.props, key) if key in CERTIFICATE_LISTS else [value]
        for index, reference in enumerate(listed):
            if reference is None:
                continue
            form = _project_form(reference, number, site_project())
            if any(references(owner, key, form, c) for c in candidates):
                continue
            if reference is UNKNOWN and property_dependencies(owner, key):
                continue
            shown = f"{key}[{index}]" if key in CERTIFICATE_LISTS else key
            report(
                f"{owner.name!r} uses {reference} ({shown}), which is not a certificate or certificate map of this "
                "stack: the pack cannot see which names it serves or whether its key is Google-managed. Create the "
                "Google-managed certificate and the map in this stack.",
                owner.urn,
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
        name="gcp-compute-tls-proxy-ssl-policy-in-stack",
        types=sorted(tokens.TLS_PROXIES | tokens.SSL_POLICIES),
        control="TLS-02",
        description="HTTPS and SSL proxies use an SSL policy of this stack that allows only TLS 1.2+.",
        severity=Severity.HIGH,
        remediation=(
            "Point sslPolicy at a gcp.compute.SSLPolicy (or RegionSslPolicy) created in this stack with profile "
            "MODERN and minTlsVersion TLS_1_2 (ViewerEndpoint does)."
        ),
        check=_tls_policy_in_stack,
    ),
    stack_policy(
        name="gcp-compute-http-redirect-only",
        types=sorted(tokens.HTTP_PROXIES | tokens.URL_MAPS | tokens.FORWARDING_RULES),
        control="TLS-03",
        description="A plain-HTTP front end only redirects to HTTPS; every forwarding rule's target is in the stack.",
        severity=Severity.HIGH,
        remediation=(
            "Point the HTTP proxy at a URL map with only defaultUrlRedirect {httpsRedirect: true}; manage every "
            "forwarding rule's target (proxy, backend service) in this stack."
        ),
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
        name="gcp-compute-backend-request-logs",
        control="LOG-05",
        description="Load-balancer backends log every request.",
        severity=Severity.MEDIUM,
        remediation="Set logConfig {enable: true, sampleRate: 1.0} on every backend service.",
        types=sorted(tokens.BACKEND_SERVICES),
        check=_backend_logs,
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
    stack_policy(
        name="gcp-viewer-egress-in-site-vpc",
        types=sorted(tokens.CLOUD_RUN_SERVICES | {tokens.NETWORK, tokens.SUBNETWORK, tokens.VPC_ACCESS_CONNECTOR}),
        control="NET-06",
        description=(
            "Cloud Run services send their egress through a network and subnet of this stack; VPC Access "
            "connectors sit on a network of this stack."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Give the service template.vpcAccess {egress: 'ALL_TRAFFIC', networkInterfaces: [{network, subnetwork}]} "
            "naming the site VPC and subnet created in this stack (ViewerEndpoint does)."
        ),
        check=_egress_in_site_vpc,
    ),
    stack_policy(
        name="gcp-compute-backend-armor-in-stack",
        types=sorted(tokens.BACKEND_SERVICES | tokens.SECURITY_POLICIES),
        control="NET-08",
        description="Backend services use a Cloud Armor policy of this stack.",
        severity=Severity.CRITICAL,
        remediation="Point securityPolicy at a gcp.compute.SecurityPolicy created in this stack (ViewerEndpoint does).",
        check=_armor_in_stack,
    ),
    resource_policy(
        name="gcp-compute-edge-cloud-armor",
        control="NET-08",
        description=(
            "Internet-facing backends sit behind Cloud Armor that admits only declared networks and blocks Log4Shell."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            "Attach a Cloud Armor policy whose allow rules list only the hospital and worklist networks, whose "
            "default rule (priority 2147483647) is 'deny(403)' and which denies "
            "evaluatePreconfiguredWaf('cve-canary') (Log4Shell) before the allow rules; rules in preview mode "
            "do not count."
        ),
        types=sorted(tokens.BACKEND_SERVICES | tokens.SECURITY_POLICIES | tokens.SECURITY_POLICY_RULES),
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
    resource_policy(
        name="gcp-certificatemanager-site-hostname",
        control="TLS-06",
        description=(
            "Certificates are Google-managed and, like DNS authorisations and certificate map entries, name only "
            "the site's launch hostname."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Use Google-managed certificates (Certificate Manager managed, or ManagedSslCertificate) whose domains, "
            "DNS authorisation and map entry hostname are the site's viewer.domain; never selfManaged."
        ),
        types=sorted(HOSTNAME_FIELDS),
        check=_site_certificate,
        config={
            "allowedHostnames": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The launch hostnames (default: the site's viewer.domain).",
            }
        },
    ),
    stack_policy(
        name="gcp-certificatemanager-references-in-stack",
        types=sorted(tokens.CERTIFICATE_MANAGER | tokens.TLS_PROXIES | {tokens.MANAGED_SSL_CERTIFICATE}),
        control="TLS-06",
        description=("Proxies and certificate map entries use certificates and certificate maps of this stack only."),
        severity=Severity.HIGH,
        remediation=(
            "Point every proxy's certificateMap, certificateManagerCertificates and sslCertificates, and every map "
            "entry's certificates and map, at Certificate Manager or Google-managed resources of this stack."
        ),
        check=_certificates_in_stack,
    ),
]
