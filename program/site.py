"""A hospital site: the composition of keys, identities and image storage that ``__main__.py`` builds."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from components._base import Component
from components.admission import AdmissionPolicy, AdmissionPolicyArgs
from components.detection import AnomalyDetectors, AnomalyDetectorsArgs, BaselineArgs, OffHoursArgs
from components.firewall import AllowlistFirewall, AllowlistFirewallArgs, Destination, FirewallTarget
from components.iam import PacsFederationArgs, SiteIdentities, SiteIdentitiesArgs
from components.kms import DataClass, SiteKeys, SiteKeysArgs
from components.logging import SecurityLogging, SecurityLoggingArgs, SiemDestination, log_bucket_id
from components.monitoring import SecurityAlerts, SecurityAlertsArgs
from components.naming import key_ring_name
from components.network import SiteNetwork, SiteNetworkArgs, WorklistRoute
from components.perimeter import ServicePerimeter, ServicePerimeterArgs
from components.project import ProjectGuardRails, ProjectGuardRailsArgs
from components.storage import BucketMember, BucketNetworkAccess, BucketRole, ImageBucket, ImageBucketArgs
from components.viewer import ViewerEndpoint, ViewerEndpointArgs
from program.config import SiteConfig, SiteRole
from program.intent import site_intent

TYPE_TOKEN = "imaging:site:ImagingSite"

BASE_SERVICES = (
    "cloudkms.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",
    "dns.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "orgpolicy.googleapis.com",
    "storage.googleapis.com",
)
"""The APIs every site needs (IAM-08); federation, the Pub/Sub export and the viewer add theirs."""
FEDERATION_SERVICE = "sts.googleapis.com"
"""Workload identity federation's token exchange: a site whose PACS signs in with its own tokens."""
SIEM_EXPORT_SERVICE = "pubsub.googleapis.com"
"""The SIEM export's topic: a site whose SIEM subscribes."""
FINDINGS_SERVICE = "securitycenter.googleapis.com"
"""Security Command Center: a site exporting its own findings to the SIEM topic (LOG-18)."""
VIEWER_SERVICES = ("run.googleapis.com", "binaryauthorization.googleapis.com")
"""The viewer's runtime and the admission of its image: a site with a viewer."""
IAP_SERVICE = "iap.googleapis.com"
"""Identity-Aware Proxy: a viewer whose sign-on is IAP."""
SITE_SERVICES = frozenset(
    {*BASE_SERVICES, FEDERATION_SERVICE, SIEM_EXPORT_SERVICE, FINDINGS_SERVICE, *VIEWER_SERVICES, IAP_SERVICE}
)
"""Every API an imaging site can need (the allowlist): the pack's ``allowedServices`` default
(``SITE_SERVICES`` of its ``edge.py``) is a copy, held equal by a test."""

ROLE_BINDINGS: dict[SiteRole, BucketRole] = {
    SiteRole.READER: BucketRole.OBJECT_VIEWER,
    SiteRole.UPLOADER: BucketRole.OBJECT_CREATOR,
}
"""What each image site role means on the image bucket; ``auditor`` holds nothing there (it reads the access-log
bucket and the security-log bucket's view, granted by ImageBucket and SecurityLogging)."""


class ImagingSite(Component):
    """Everything one hospital site needs in the cloud, built from its validated :class:`SiteConfig`.

    Children: ``<site>-kms`` (:class:`SiteKeys`), ``<site>-identities`` (:class:`SiteIdentities`),
    ``<site>-network`` (:class:`SiteNetwork`), ``<site>-firewall`` (:class:`AllowlistFirewall`),
    ``<site>-images`` (:class:`ImageBucket`), ``<site>-logging`` (:class:`SecurityLogging`),
    ``<site>-alerts`` (:class:`SecurityAlerts`), ``<site>-detectors`` (:class:`AnomalyDetectors`),
    ``<site>-project`` (:class:`ProjectGuardRails`) and, when the site has a viewer, ``<site>-admission``
    (:class:`AdmissionPolicy`, the project's Binary Authorization policy) and ``<site>-viewer``
    (:class:`ViewerEndpoint`), and when it declares one, ``<site>-perimeter`` (:class:`ServicePerimeter`).
    """

    image_bucket_name: pulumi.Output[str]
    """The image bucket's name."""
    viewer_member: pulumi.Output[str]
    """The viewer's IAM member."""
    viewer_network_tag: str
    """The network tag the viewer's workload must carry for the firewall's allow rules to apply."""

    def __init__(self, args: SiteConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        config = args
        name = config.site_code
        super().__init__(TYPE_TOKEN, name, opts)
        labels = config.common_labels
        guard_rails = ProjectGuardRails(
            f"{name}-project",
            ProjectGuardRailsArgs(
                project=config.gcp_project,
                region=config.region,
                services=self.services(config),
                skip=dict(config.guard_rails.skip),
                member_customers=sorted(set(config.group_domains.values())),
                viewer_sign_on=config.viewer.sign_on if config.viewer is not None else None,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        def after_apis() -> pulumi.ResourceOptions:
            """Every other part of the site waits for the project's APIs (and so for its guard rails)."""
            return pulumi.ResourceOptions(parent=self, depends_on=guard_rails.ready)

        keys = SiteKeys(
            f"{name}-kms",
            SiteKeysArgs(
                project=config.gcp_project,
                location=config.region,
                site_code=config.site_code,
                protection_level=config.kms.protection_level,
                rotation_days=config.kms.rotation_days,
                destroy_scheduled_days=config.kms.destroy_scheduled_days,
                labels=labels,
            ),
            opts=after_apis(),
        )
        federation = config.identities.pacs_uploader.workload_identity
        identities = SiteIdentities(
            f"{name}-identities",
            SiteIdentitiesArgs(
                project=config.gcp_project,
                site_code=config.site_code,
                viewer_account_id=config.viewer_account_id,
                pacs_uploader_account_id=config.pacs_uploader_account_id,
                pacs_federation=(PacsFederationArgs(**federation.model_dump()) if federation is not None else None),
            ),
            opts=after_apis(),
        )
        net = config.network
        network = SiteNetwork(
            f"{name}-network",
            SiteNetworkArgs(
                project=config.gcp_project,
                region=config.region,
                site_code=config.site_code,
                subnets=net.subnets,
                worklist_routes={
                    key: WorklistRoute(cidrs=e.cidrs, vpn_tunnel=e.next_hop.vpn_tunnel, next_hop_ip=e.next_hop.ip)
                    for key, e in net.worklist.items()
                    if e.next_hop.interconnect_attachment is None  # learned over BGP, no static route
                },
            ),
            opts=after_apis(),
        )
        viewer_tag = f"{config.site_code}-viewer"
        AllowlistFirewall(
            f"{name}-firewall",
            AllowlistFirewallArgs(
                project=config.gcp_project,
                site_code=config.site_code,
                network=network.network_id,
                target=FirewallTarget(network_tag=viewer_tag),
                worklist={key: Destination(cidrs=e.cidrs, ports=e.ports) for key, e in net.worklist.items()},
                viewer_ports=net.viewer_ports,
                load_balancer_ingress=net.health_check_ingress,
                iap_ingress=net.iap_administration,
            ),
            opts=after_apis(),
        )
        members = {
            "viewer": BucketMember(role=BucketRole.OBJECT_VIEWER, member=identities.viewer_member),
            "pacs-uploader": BucketMember(role=BucketRole.OBJECT_CREATOR, member=identities.pacs_uploader_member),
        }
        for group, role in sorted(config.rbac.items()):
            if role in ROLE_BINDINGS:
                members[f"group-{group}"] = BucketMember(role=ROLE_BINDINGS[role], member=f"group:{group}")
        auditors = {f"auditor-{group}": f"group:{group}" for group in config.auditor_groups}
        images = ImageBucket(
            f"{name}-images",
            ImageBucketArgs(
                project=config.gcp_project,
                region=config.region,
                site_code=config.site_code,
                kms_key_id=keys.key_ids[DataClass.IMAGES],
                soft_delete_days=config.image_bucket.soft_delete_days,
                retention_days=config.image_bucket.retention_days,
                network_access=BucketNetworkAccess(
                    public_cidrs=list(dict.fromkeys([*net.pacs_egress_cidrs, *net.hospital_networks])),
                    vpc_network=network.network_id,
                    vpc_cidrs=list(net.subnets.values()),
                ),
                members=members,
                access_log_readers=auditors,
                labels=labels,
            ),
            opts=after_apis(),
        )
        logs = config.logging
        security_logging = SecurityLogging(
            f"{name}-logging",
            SecurityLoggingArgs(
                project=config.gcp_project,
                region=config.region,
                site_code=config.site_code,
                logs_key_id=keys.key_ids[DataClass.LOGS],
                retention_days=logs.retention_days,
                siem=SiemDestination(**logs.siem.model_dump()),
                log_view_readers=auditors,
                findings_by_organisation=logs.findings.organisation,
                labels=labels,
            ),
            opts=after_apis(),
        )
        alerts = SecurityAlerts(
            f"{name}-alerts",
            SecurityAlertsArgs(
                project=config.gcp_project,
                site_code=config.site_code,
                notification_channels=list(logs.alerts.notification_channels),
                emails=dict(logs.alerts.emails),
                image_buckets=[images.bucket.name],
                image_read_spike=logs.alerts.image_read_spike,
                quiet_period=logs.alerts.max_quiet_period,
                min_severity=logs.alerts.min_severity,
            ),
            opts=after_apis(),
        )
        intent, detection = site_intent(config), logs.detection
        detectors = AnomalyDetectors(
            f"{name}-detectors",
            AnomalyDetectorsArgs(
                project=config.gcp_project,
                site_code=config.site_code,
                notification_channels=alerts.channels,
                image_buckets=[images.bucket.name],
                read_metric=alerts.read_metric,
                key_ring=key_ring_name(config.site_code),
                log_bucket=log_bucket_id(config.site_code),
                image_readers=intent.image_readers,
                key_users=intent.key_users,
                log_readers=intent.log_readers,
                image_reads=BaselineArgs(**detection.image_reads.model_dump()),
                egress_bytes=BaselineArgs(**detection.egress_bytes.model_dump()),
                denied_requests=BaselineArgs(**detection.denied_requests.model_dump()),
                off_hours=OffHoursArgs(**detection.off_hours.model_dump()),
                quiet_period=logs.alerts.max_quiet_period,
                min_severity=logs.alerts.min_severity,
            ),
            opts=after_apis(),
        )
        self.viewer: ViewerEndpoint | None = None
        self.admission: AdmissionPolicy | None = None
        if config.viewer is not None:
            viewer = config.viewer
            self.admission = AdmissionPolicy(
                f"{name}-admission",
                AdmissionPolicyArgs(project=config.gcp_project, attestors=list(viewer.attestors)),
                opts=after_apis(),
            )
            subnet = "viewer" if "viewer" in net.subnets else next(iter(net.subnets))
            self.viewer = ViewerEndpoint(
                f"{name}-viewer",
                ViewerEndpointArgs(
                    project=config.gcp_project,
                    region=config.region,
                    site_code=config.site_code,
                    domain=viewer.domain,
                    image=viewer.image,
                    container_port=viewer.container_port,
                    service_account=identities.viewer.email,
                    network=network.network_id,
                    subnetwork=network.subnet_ids[subnet],
                    network_tag=viewer_tag,
                    allowed_sources=list(dict.fromkeys([*net.hospital_networks, *viewer.allowed_sources])),
                    sign_on=viewer.sign_on,
                    iap_groups=list(viewer.iap_groups),
                ),
                # No revision is deployed before the policy that admits it (NET-16).
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*guard_rails.ready, self.admission.policy]),
            )
        self.perimeter: ServicePerimeter | None = None
        if config.perimeter is not None:
            self.perimeter = self._perimeter(config, identities.pacs_uploader_member, security_logging, after_apis())
        # Set last: the domain guard rail also refuses grants to Google's service agents, which the site makes.
        guard_rails.restrict_member_domains(
            after=[
                keys,
                identities,
                images,
                security_logging,
                alerts,
                detectors,
                *([self.viewer] if self.viewer else []),
            ]
        )
        self.keys, self.identities, self.network, self.images = keys, identities, network, images
        self.logging = security_logging
        self.viewer_network_tag = viewer_tag
        self.image_bucket_name = images.bucket_name
        self.viewer_member = identities.viewer_member
        self.register_outputs({"imageBucketName": images.bucket_name, "viewerMember": identities.viewer_member})

    def _perimeter(
        self,
        config: SiteConfig,
        pacs_uploader: pulumi.Output[str],
        security_logging: SecurityLogging,
        opts: pulumi.ResourceOptions,
    ) -> ServicePerimeter:
        """The site project in its perimeter (by number, as a perimeter names projects: ``getProject`` answers in
        a first preview too, so the pack judges the literal resource there)."""
        perimeter = config.perimeter
        assert perimeter is not None
        net, siem = config.network, config.logging.siem
        number = gcp.organizations.get_project_output(
            project_id=config.gcp_project, opts=pulumi.InvokeOutputOptions(parent=self)
        ).number
        elsewhere = config.central_destination_project not in (None, config.gcp_project)
        return ServicePerimeter(
            f"{config.site_code}-perimeter",
            ServicePerimeterArgs(
                access_policy=perimeter.access_policy,
                project_number=number,
                site_code=config.site_code,
                access_ranges={"pacs": net.pacs_egress_cidrs, "hospital": net.hospital_networks},
                pacs_range="pacs",
                pacs_uploader=pacs_uploader,
                extra_services=list(perimeter.restricted_services),
                siem_subscriber=siem.subscriber,
                siem_project=perimeter.siem_project if siem.subscriber is not None or elsewhere else None,
                siem_writer=security_logging.siem_writer_identity if elsewhere else None,
                enforced=perimeter.enforced,
            ),
            opts=opts,
        )

    @staticmethod
    def services(config: SiteConfig) -> list[str]:
        """The APIs this site needs, and nothing else (IAM-08)."""
        extra = []
        if config.identities.pacs_uploader.workload_identity is not None:
            extra.append(FEDERATION_SERVICE)
        if config.logging.siem.subscriber is not None:
            extra.append(SIEM_EXPORT_SERVICE)
            if config.logging.findings.organisation is None:
                extra.append(FINDINGS_SERVICE)
        if config.viewer is not None:
            extra.extend(VIEWER_SERVICES)
            if config.viewer.sign_on.value == "iap":
                extra.append(IAP_SERVICE)
        return sorted({*BASE_SERVICES, *extra})
