"""The viewer launch endpoint: a TLS 1.2+ external Application Load Balancer in front of the Cloud Run viewer.

Controls NET-16 (the viewer runs only what the project's Binary Authorization policy admits), TLS-01
(MODERN, TLS 1.2 minimum), TLS-02 (the HTTPS proxy has that SSL policy and a Google-managed certificate),
TLS-03 (port 80 only redirects), TLS-05 (HTTPS to the backend),
LOG-05 (every request logged), NET-06 and NET-08 (reachable only through the load balancer, from
the hospital networks, by Cloud Armor default deny, Log4Shell probes denied first) and IAM-09
(never anonymous: IAP with hospital groups, or the worklist's signed launch token checked by the
viewer).
"""

from __future__ import annotations

from typing import Annotated

import pulumi
import pulumi_gcp as gcp
from pydantic import Field, model_validator

from ._base import Component, ComponentArgs, StrInput, child, service_agent_member
from .contract import DnsName, GroupEmail, PinnedImage, Port, PublicCidr, Region, SignOn, SiteCode

TYPE_TOKEN = "imaging:viewer:ViewerEndpoint"

SSL_PROFILE = "MODERN"
MIN_TLS = "TLS_1_2"
LB_SCHEME = "EXTERNAL_MANAGED"
INGRESS = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
"""The viewer takes requests from the load balancer only (not from its run.app URL)."""
EGRESS = "ALL_TRAFFIC"
"""Every packet from the viewer goes through the site VPC, where the allowlist firewall applies."""
DEFAULT_RULE_PRIORITY = 2147483647
LOG4SHELL_PRIORITY = 100
"""Before every allow rule (1000 and up): requests from the admitted networks are inspected too."""
LOG4SHELL_RULE = "evaluatePreconfiguredWaf('cve-canary')"
"""Cloud Armor's preconfigured rule against Log4Shell (CVE-2021-44228), all signatures (Checkov CKV_GCP_73)."""
ARMOR_RANGES_PER_RULE = 10
"""Cloud Armor's limit of source ranges in one basic rule."""
BINARY_AUTHORIZATION: gcp.cloudrunv2.ServiceBinaryAuthorizationArgsDict = {"use_default": True}
"""NET-16: every revision is admitted by the project's Binary Authorization policy (AdmissionPolicy), never by
a breakglass justification."""
IAP_ACCESSOR = "roles/iap.httpsResourceAccessor"
RUN_INVOKER = "roles/run.invoker"


class ViewerEndpointArgs(ComponentArgs):
    """Inputs of :class:`ViewerEndpoint`."""

    project: str
    """The site project."""
    region: Region
    """The Cloud Run region (the site's region)."""
    site_code: SiteCode
    """The site code, used in every name."""
    domain: DnsName
    """The viewer's DNS name (Google-managed certificate)."""
    image: PinnedImage
    """The container image, pinned by digest; the project's Binary Authorization policy admits it only with the
    declared attestations (NET-16)."""
    container_port: Port = 8080
    """The port the container listens on."""
    service_account: StrInput
    """The viewer's service account email (reads images, nothing else)."""
    network: StrInput
    """The site VPC the viewer sends all its egress through."""
    subnetwork: StrInput
    """The subnet the viewer's instances take addresses from."""
    network_tag: str
    """The tag the allowlist firewall targets."""
    allowed_sources: Annotated[list[PublicCidr], Field(min_length=1)]
    """Public ranges Cloud Armor admits (hospital and worklist networks); everything else is denied."""
    sign_on: SignOn
    """`iap` or `launchToken`."""
    iap_groups: list[GroupEmail] = []
    """With IAP: the hospital groups (emails) allowed through."""

    @model_validator(mode="after")
    def _iap_groups(self) -> ViewerEndpointArgs:
        if (self.sign_on is SignOn.IAP) != bool(self.iap_groups):
            raise ValueError("iap_groups is required with sign_on iap and only then")
        return self


class ViewerEndpoint(Component):
    """The viewer on Cloud Run behind a global external Application Load Balancer. The service enforces the
    project's Binary Authorization policy (``binaryAuthorization.useDefault``): give the component
    ``depends_on=[AdmissionPolicy.policy]`` so no revision is deployed before the policy that judges it.

    Children: ``<name>-run`` (Cloud Run service), ``<name>-neg`` (serverless NEG), ``<name>-armor``
    (Cloud Armor policy), ``<name>-backend`` (BackendService), ``<name>-https-map`` and
    ``<name>-redirect-map`` (URLMap), ``<name>-cert`` (ManagedSslCertificate), ``<name>-tls``
    (SSLPolicy), ``<name>-https-proxy`` (TargetHttpsProxy), ``<name>-http-proxy``
    (TargetHttpProxy), ``<name>-address`` (GlobalAddress), ``<name>-https`` and ``<name>-http``
    (GlobalForwardingRule); with IAP ``<name>-iap-agent`` (ServiceIdentity), ``<name>-iap-invoker`` (Cloud Run IAM) and
    ``<name>-iap-<group>`` (IAP web backend IAM) per group, after ``<name>-iap-agent`` (the IAP service
    agent, created if the project does not have it yet).
    """

    ip_address: pulumi.Output[str]
    """The address the site's DNS name must point to."""

    def __init__(self, name: str, args: ViewerEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, opts)
        prefix = f"{args.site_code}-viewer"
        iap = args.sign_on is SignOn.IAP
        service = gcp.cloudrunv2.Service(
            f"{name}-run",
            project=args.project,
            name=prefix,
            location=args.region,
            ingress=INGRESS,
            invoker_iam_disabled=not iap,  # launchToken: the viewer itself checks the worklist's token
            deletion_protection=True,
            binary_authorization=BINARY_AUTHORIZATION,
            template={
                "service_account": args.service_account,
                "containers": [{"image": args.image, "ports": {"container_port": args.container_port}}],
                "vpc_access": {
                    "egress": EGRESS,
                    "network_interfaces": [
                        {"network": args.network, "subnetwork": args.subnetwork, "tags": [args.network_tag]}
                    ],
                },
            },
            opts=child(self),
        )
        neg = gcp.compute.RegionNetworkEndpointGroup(
            f"{name}-neg",
            project=args.project,
            name=f"{prefix}-neg",
            region=args.region,
            network_endpoint_type="SERVERLESS",
            cloud_run={"service": service.name},
            opts=child(self),
        )
        armor = self._armor(name, prefix, args)
        backend = gcp.compute.BackendService(
            f"{name}-backend",
            project=args.project,
            name=f"{prefix}-backend",
            load_balancing_scheme=LB_SCHEME,
            protocol="HTTPS",
            backends=[{"group": neg.id}],
            log_config={"enable": True, "sample_rate": 1.0},
            security_policy=armor.id,
            iap={"enabled": True} if iap else None,
            opts=child(self),
        )
        if iap:
            self._iap(name, args, service, backend)
        https_map = gcp.compute.URLMap(
            f"{name}-https-map",
            project=args.project,
            name=f"{prefix}-https",
            default_service=backend.id,
            opts=child(self),
        )
        redirect_map = gcp.compute.URLMap(
            f"{name}-redirect-map",
            project=args.project,
            name=f"{prefix}-redirect",
            default_url_redirect={
                "https_redirect": True,
                "strip_query": False,
                "redirect_response_code": "MOVED_PERMANENTLY_DEFAULT",
            },
            opts=child(self),
        )
        certificate = gcp.compute.ManagedSslCertificate(
            f"{name}-cert",
            project=args.project,
            name=f"{prefix}-cert",
            managed={"domains": [args.domain]},
            opts=child(self),
        )
        tls = gcp.compute.SSLPolicy(
            f"{name}-tls",
            project=args.project,
            name=f"{prefix}-tls",
            profile=SSL_PROFILE,
            min_tls_version=MIN_TLS,
            opts=child(self),
        )
        https_proxy = gcp.compute.TargetHttpsProxy(
            f"{name}-https-proxy",
            project=args.project,
            name=f"{prefix}-https",
            url_map=https_map.id,
            ssl_certificates=[certificate.id],
            ssl_policy=tls.id,
            opts=child(self),
        )
        http_proxy = gcp.compute.TargetHttpProxy(
            f"{name}-http-proxy", project=args.project, name=f"{prefix}-http", url_map=redirect_map.id, opts=child(self)
        )
        address = gcp.compute.GlobalAddress(
            f"{name}-address", project=args.project, name=prefix, address_type="EXTERNAL", opts=child(self)
        )
        for scheme, target, port in (("https", https_proxy.id, "443"), ("http", http_proxy.id, "80")):
            gcp.compute.GlobalForwardingRule(
                f"{name}-{scheme}",
                project=args.project,
                name=f"{prefix}-{scheme}",
                target=target,
                port_range=port,
                ip_protocol="TCP",
                ip_address=address.address,
                load_balancing_scheme=LB_SCHEME,
                opts=child(self),
            )
        self.ip_address = address.address
        self.register_outputs({"ipAddress": address.address})

    def _armor(self, name: str, prefix: str, args: ViewerEndpointArgs) -> gcp.compute.SecurityPolicy:
        """Deny Log4Shell probes first, allow the hospital and worklist networks, deny everything else (default)."""
        chunks = [
            args.allowed_sources[i : i + ARMOR_RANGES_PER_RULE]
            for i in range(0, len(args.allowed_sources), ARMOR_RANGES_PER_RULE)
        ]
        rules: list[gcp.compute.SecurityPolicyRuleArgsDict] = [
            {
                "action": "allow",
                "priority": 1000 + index,
                "description": "Hospital and worklist networks.",
                "match": {"versioned_expr": "SRC_IPS_V1", "config": {"src_ip_ranges": chunk}},
            }
            for index, chunk in enumerate(chunks)
        ]
        rules.append(
            {
                "action": "deny(403)",
                "priority": LOG4SHELL_PRIORITY,
                "description": "Log4Shell (CVE-2021-44228), before any allow rule.",
                "match": {"expr": {"expression": LOG4SHELL_RULE}},
            }
        )
        rules.append(
            {
                "action": "deny(403)",
                "priority": DEFAULT_RULE_PRIORITY,
                "description": "Default: deny everyone else.",
                "match": {"versioned_expr": "SRC_IPS_V1", "config": {"src_ip_ranges": ["*"]}},
            }
        )
        return gcp.compute.SecurityPolicy(
            f"{name}-armor",
            project=args.project,
            name=f"{prefix}-armor",
            type="CLOUD_ARMOR",
            description="Viewer launch endpoint: hospital and worklist networks only, Log4Shell denied (NET-08).",
            rules=rules,
            opts=child(self),
        )

    def _iap(
        self,
        name: str,
        args: ViewerEndpointArgs,
        service: gcp.cloudrunv2.Service,
        backend: gcp.compute.BackendService,
    ) -> None:
        """IAP admits the site's groups; only IAP's service agent may invoke the viewer."""
        iap_agent = gcp.projects.ServiceIdentity(
            f"{name}-iap-agent", project=args.project, service="iap.googleapis.com", opts=child(self)
        )
        gcp.cloudrunv2.ServiceIamMember(
            f"{name}-iap-invoker",
            project=args.project,
            location=args.region,
            name=service.name,
            role=RUN_INVOKER,
            member=service_agent_member(iap_agent, args.project, "gcp-sa-iap", self),
            opts=child(self),
        )
        for group in args.iap_groups:
            gcp.iap.WebBackendServiceIamMember(
                f"{name}-iap-{group}",
                project=args.project,
                web_backend_service=backend.name,
                role=IAP_ACCESSOR,
                member=f"group:{group}",
                opts=child(self),
            )
