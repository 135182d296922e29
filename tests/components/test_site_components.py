"""Components under the mock engine: exact children, names, security inputs and options.

These prove what the program asks the engine for; not that GCP accepts it (see the integration tests).
"""

from __future__ import annotations

import pulumi
import pytest

from components.iam import SiteIdentities, SiteIdentitiesArgs
from components.kms import SiteKeys, SiteKeysArgs
from components.storage import BucketMember, BucketNetworkAccess, BucketRole, ImageBucket, ImageBucketArgs
from preflight.engine.runner import UNKNOWN, capture
from program.config import GUARD_RAIL_CONSTRAINTS
from tests.plans import site_plan
from tests.sites import by_name

STACK = "urn:pulumi:lausanne::imaging-landing-zone::"
LAU_APIS = (
    "binaryauthorization",
    "cloudkms",
    "cloudresourcemanager",
    "compute",
    "dns",
    "iam",
    "iamcredentials",
    "iap",
    "logging",
    "monitoring",
    "orgpolicy",
    "pubsub",
    "run",
    "securitycenter",
    "storage",
    "sts",
)
VIEWER_CHILDREN = {
    "address": "gcp:compute/globalAddress:GlobalAddress",
    "armor": "gcp:compute/securityPolicy:SecurityPolicy",
    "backend": "gcp:compute/backendService:BackendService",
    "cert": "gcp:compute/managedSslCertificate:ManagedSslCertificate",
    "http": "gcp:compute/globalForwardingRule:GlobalForwardingRule",
    "http-proxy": "gcp:compute/targetHttpProxy:TargetHttpProxy",
    "https": "gcp:compute/globalForwardingRule:GlobalForwardingRule",
    "https-map": "gcp:compute/uRLMap:URLMap",
    "https-proxy": "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
    "iap-agent": "gcp:projects/serviceIdentity:ServiceIdentity",
    "iap-invoker": "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
    "iap-medecine-nucleaire@chuv.example": "gcp:iap/webBackendServiceIamMember:WebBackendServiceIamMember",
    "iap-radiologie@chuv.example": "gcp:iap/webBackendServiceIamMember:WebBackendServiceIamMember",
    "neg": "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
    "redirect-map": "gcp:compute/uRLMap:URLMap",
    "run": "gcp:cloudrunv2/service:Service",
    "tls": "gcp:compute/sSLPolicy:SSLPolicy",
}
ALERT_KEYS = (
    "project-ownership",
    "audit-config",
    "custom-role",
    "firewall",
    "route",
    "network",
    "bucket-iam",
    "kms-key-disabled",
    "log-routing",
    "service-account-key",
    "org-policy",
    "image-read-spike",
)
AGENT = "serviceAccount:service-{}@gs-project-accounts.iam.gserviceaccount.com"


def test_site_children_are_exactly_these():
    resources = site_plan("lausanne", "update")
    assert sorted((r.type, r.name) for r in resources) == sorted(
        [
            ("imaging:site:ImagingSite", "lau"),
            ("imaging:kms:SiteKeys", "lau-kms"),
            ("gcp:kms/keyRing:KeyRing", "lau-kms"),
            ("gcp:kms/cryptoKey:CryptoKey", "lau-kms-images"),
            ("gcp:kms/cryptoKey:CryptoKey", "lau-kms-logs"),
            ("imaging:iam:SiteIdentities", "lau-identities"),
            ("gcp:serviceaccount/account:Account", "lau-identities-viewer"),
            ("gcp:serviceaccount/account:Account", "lau-identities-pacs-uploader"),
            ("gcp:projects/defaultServiceAccounts:DefaultServiceAccounts", "lau-identities-default-accounts"),
            ("gcp:iam/workloadIdentityPool:WorkloadIdentityPool", "lau-identities-pacs-pool"),
            ("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "lau-identities-pacs-oidc"),
            ("gcp:serviceaccount/iAMMember:IAMMember", "lau-identities-pacs-federation"),
            ("imaging:storage:ImageBucket", "lau-images"),
            ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "lau-images-agent-key"),
            ("gcp:storage/bucket:Bucket", "lau-images-access-logs"),
            ("gcp:storage/bucketIAMMember:BucketIAMMember", "lau-images-access-logs-writer"),
            ("gcp:storage/bucket:Bucket", "lau-images"),
            ("gcp:storage/bucketIAMMember:BucketIAMMember", "lau-images-viewer"),
            ("gcp:storage/bucketIAMMember:BucketIAMMember", "lau-images-pacs-uploader"),
            ("gcp:storage/bucketIAMMember:BucketIAMMember", "lau-images-group-radiologie@chuv.example"),
            ("gcp:storage/bucketIAMMember:BucketIAMMember", "lau-images-group-medecine-nucleaire@chuv.example"),
            ("gcp:storage/bucketIAMMember:BucketIAMMember", "lau-images-group-pacs-admins@chuv.example"),
            ("imaging:network:SiteNetwork", "lau-network"),
            ("gcp:compute/network:Network", "lau-network"),
            ("gcp:compute/subnetwork:Subnetwork", "lau-network-viewer"),
            ("gcp:compute/route:Route", "lau-network-restricted-apis"),
            ("gcp:compute/route:Route", "lau-network-to-ris-10-200-16-0-24"),
            ("gcp:dns/managedZone:ManagedZone", "lau-network-googleapis"),
            ("gcp:dns/recordSet:RecordSet", "lau-network-googleapis-a"),
            ("gcp:dns/recordSet:RecordSet", "lau-network-googleapis-cname"),
            ("gcp:dns/policy:Policy", "lau-network-dns-logging"),
            ("imaging:network:AllowlistFirewall", "lau-firewall"),
            ("gcp:compute/firewall:Firewall", "lau-firewall-deny-all-egress"),
            ("gcp:compute/firewall:Firewall", "lau-firewall-deny-all-ingress"),
            ("gcp:compute/firewall:Firewall", "lau-firewall-allow-google-apis"),
            ("gcp:compute/firewall:Firewall", "lau-firewall-allow-worklist-ris"),
            ("gcp:compute/firewall:Firewall", "lau-firewall-allow-load-balancer"),
            ("gcp:compute/firewall:Firewall", "lau-firewall-allow-iap"),
            ("imaging:logging:SecurityLogging", "lau-logging"),
            ("gcp:projects/iAMAuditConfig:IAMAuditConfig", "lau-logging-audit"),
            ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "lau-logging-bucket-agent-key"),
            ("gcp:logging/projectBucketConfig:ProjectBucketConfig", "lau-logging-bucket"),
            ("gcp:logging/logViewIamMember:LogViewIamMember", "lau-logging-bucket-auditor-soc@chuv.example"),
            ("gcp:storage/bucketIAMMember:BucketIAMMember", "lau-images-access-logs-auditor-soc@chuv.example"),
            ("gcp:logging/projectSink:ProjectSink", "lau-logging-retention-sink"),
            ("gcp:projects/serviceIdentity:ServiceIdentity", "lau-logging-pubsub-agent"),
            ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "lau-logging-pubsub-agent-key"),
            ("gcp:pubsub/topic:Topic", "lau-logging-siem"),
            ("gcp:logging/projectSink:ProjectSink", "lau-logging-siem-sink"),
            ("gcp:pubsub/topicIAMMember:TopicIAMMember", "lau-logging-siem-publisher"),
            ("gcp:pubsub/subscription:Subscription", "lau-logging-siem-subscription"),
            ("gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember", "lau-logging-siem-reader"),
            ("gcp:securitycenter/v2ProjectNotificationConfig:V2ProjectNotificationConfig", "lau-logging-scc-findings"),
            ("gcp:pubsub/topicIAMMember:TopicIAMMember", "lau-logging-scc-publisher"),
            ("imaging:monitoring:SecurityAlerts", "lau-alerts"),
            ("imaging:monitoring:AnomalyDetectors", "lau-detectors"),
            *[
                (kind, f"lau-detectors-{key}{suffix}")
                for key in ("unexpected-image-read", "unexpected-key-use", "unexpected-log-read")
                for kind, suffix in (
                    ("gcp:logging/metric:Metric", ""),
                    ("gcp:monitoring/alertPolicy:AlertPolicy", "-alert"),
                )
            ],
            ("gcp:logging/metric:Metric", "lau-detectors-denied-requests"),
            *[
                ("gcp:monitoring/alertPolicy:AlertPolicy", f"lau-detectors-{key}-alert")
                for key in (
                    "image-reads-vs-last-week",
                    "egress-vs-last-week",
                    "denied-vs-last-week",
                    "off-hours-bulk-read",
                )
            ],
            ("gcp:monitoring/notificationChannel:NotificationChannel", "lau-alerts-email-soc"),
            ("imaging:project:ProjectGuardRails", "lau-project"),
            *[("gcp:projects/service:Service", f"lau-project-api-{api}") for api in LAU_APIS],
            *[("gcp:orgpolicy/policy:Policy", f"lau-project-{constraint}") for constraint in GUARD_RAIL_CONSTRAINTS],
            ("imaging:admission:AdmissionPolicy", "lau-admission"),
            ("imaging:network:ServicePerimeter", "lau-perimeter"),
            ("gcp:accesscontextmanager/accessLevel:AccessLevel", "lau-perimeter-pacs"),
            ("gcp:accesscontextmanager/accessLevel:AccessLevel", "lau-perimeter-hospital"),
            ("gcp:accesscontextmanager/servicePerimeter:ServicePerimeter", "lau-perimeter"),
            ("gcp:binaryauthorization/policy:Policy", "lau-admission-policy"),
            ("imaging:viewer:ViewerEndpoint", "lau-viewer"),
            *[(kind, f"lau-viewer-{suffix}") for suffix, kind in VIEWER_CHILDREN.items()],
            *[
                (kind, f"lau-alerts-{key}{suffix}")
                for key in ALERT_KEYS
                for kind, suffix in (
                    ("gcp:logging/metric:Metric", ""),
                    ("gcp:monitoring/alertPolicy:AlertPolicy", "-alert"),
                )
            ],
        ]
    )


def test_urns_and_parents_are_in_the_engine_form():
    resources = site_plan("lausanne", "update")
    assert by_name(resources, "lau", component=True).urn == STACK + "imaging:site:ImagingSite::lau"
    ring = next(r for r in resources if r.type == "gcp:kms/keyRing:KeyRing")
    assert ring.urn == STACK + "imaging:site:ImagingSite$imaging:kms:SiteKeys$gcp:kms/keyRing:KeyRing::lau-kms"
    assert ring.parent == STACK + "imaging:site:ImagingSite$imaging:kms:SiteKeys::lau-kms"


def test_keys_are_aes256_rotated_protected_with_explicit_destroy_delay():
    resources = site_plan("lausanne", "update")
    ring = next(r for r in resources if r.type == "gcp:kms/keyRing:KeyRing")
    assert (ring.inputs["name"], ring.inputs["location"], ring.protect) == ("lau-imaging", "europe-west6", True)
    for data_class in ("images", "logs"):
        key = by_name(resources, f"lau-kms-{data_class}")
        assert key.protect is True
        assert key.inputs["name"] == f"lau-{data_class}"
        assert key.inputs["purpose"] == "ENCRYPT_DECRYPT"
        assert key.inputs["versionTemplate"] == {"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protectionLevel": "HSM"}
        assert key.inputs["rotationPeriod"] == "2592000s"  # 30 days in the Lausanne stack
        assert key.inputs["destroyScheduledDuration"] == "5184000s"  # 60 days
        assert key.inputs["keyRing"] == ring.outputs["id"]


def test_software_keys_and_default_rotation_in_the_other_site():
    key = by_name(site_plan("utrecht", "update"), "utr-kms-images")
    assert key.inputs["versionTemplate"]["protectionLevel"] == "SOFTWARE"
    assert key.inputs["rotationPeriod"] == "7776000s"


def test_image_bucket_is_cmek_only_private_versioned_and_logged():
    resources = site_plan("lausanne", "update")
    bucket, logs = by_name(resources, "lau-images"), by_name(resources, "lau-images-access-logs")
    key_id = by_name(resources, "lau-kms-images").outputs["id"]
    assert bucket.inputs["name"] == "chuv-imaging-lau-lau-images"
    assert bucket.inputs["location"] == "EUROPE-WEST6"
    assert bucket.inputs["encryption"] == {
        "defaultKmsKeyName": key_id,
        "googleManagedEncryptionEnforcementConfig": {"restrictionMode": "FullyRestricted"},
        "customerSuppliedEncryptionEnforcementConfig": {"restrictionMode": "FullyRestricted"},
    }
    assert bucket.inputs["uniformBucketLevelAccess"] is True
    assert bucket.inputs["publicAccessPrevention"] == "enforced"
    assert bucket.inputs["forceDestroy"] is False
    assert bucket.inputs["versioning"] == {"enabled": False}  # Lausanne keeps a retention policy instead
    assert logs.inputs["versioning"] == {"enabled": True}  # the access-log bucket has no retention policy
    assert bucket.inputs["softDeletePolicy"] == {"retentionDurationSeconds": 30 * 86400}
    assert bucket.inputs["retentionPolicy"] == {"retentionPeriod": str(3650 * 86400), "isLocked": False}
    assert bucket.inputs["logging"] == {"logBucket": "chuv-imaging-lau-lau-access-logs", "logObjectPrefix": "images/"}
    assert bucket.inputs["labels"]["data-classification"] == "patient-data"
    assert bucket.protect is True
    assert logs.inputs["encryption"] == bucket.inputs["encryption"]
    assert "logging" not in logs.inputs
    assert logs.protect is True


def test_storage_agent_is_granted_the_key_before_either_bucket_uses_it():
    resources = site_plan("lausanne", "update")
    grant = by_name(resources, "lau-images-agent-key")
    agent = grant.inputs["member"]
    assert agent.startswith("serviceAccount:service-")
    assert agent.endswith("@gs-project-accounts.iam.gserviceaccount.com")
    assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert grant.inputs["cryptoKeyId"] == by_name(resources, "lau-kms-images").outputs["id"]
    for name in ("lau-images", "lau-images-access-logs"):
        assert grant.urn in by_name(resources, name).dependencies


def test_bucket_grants_are_object_read_or_create_only():
    resources = site_plan("lausanne", "update")
    grants = {
        r.name: (r.inputs["role"], r.inputs["member"])
        for r in resources
        if r.type == "gcp:storage/bucketIAMMember:BucketIAMMember"
    }
    assert grants == {
        "lau-images-viewer": (
            "roles/storage.objectViewer",
            "serviceAccount:lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com",
        ),
        "lau-images-pacs-uploader": (
            "roles/storage.objectCreator",
            "serviceAccount:lau-pacs@chuv-imaging-lau.iam.gserviceaccount.com",
        ),
        "lau-images-group-radiologie@chuv.example": ("roles/storage.objectViewer", "group:radiologie@chuv.example"),
        "lau-images-group-medecine-nucleaire@chuv.example": (
            "roles/storage.objectViewer",
            "group:medecine-nucleaire@chuv.example",
        ),
        "lau-images-group-pacs-admins@chuv.example": ("roles/storage.objectCreator", "group:pacs-admins@chuv.example"),
        "lau-images-access-logs-writer": ("roles/storage.objectCreator", "group:cloud-storage-analytics@google.com"),
        # the auditor (the security team) reads the access-log bucket, not the image bucket
        "lau-images-access-logs-auditor-soc@chuv.example": ("roles/storage.objectViewer", "group:soc@chuv.example"),
    }


def test_members_are_known_during_a_first_preview():
    resources = site_plan("lausanne", "preview")
    viewer = by_name(resources, "lau-images-viewer")
    assert viewer.inputs["member"] == "serviceAccount:lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com"
    assert by_name(resources, "lau-images-viewer").id is None
    assert by_name(resources, "lau-identities-viewer").urn in viewer.dependencies  # still waits for the account


def test_key_ids_federated_and_agent_members_are_known_during_a_first_preview():
    """The key id, the federated subject and the service agents' members come from config and the getProject
    invoke (docs/adr/0026): literal in a first preview, yet each still waits for the resource it names. Proves
    the inputs under mocks; not that GCP forms the same values (the update plan's equality shows the model's)."""
    preview, update = site_plan("lausanne", "preview"), site_plan("lausanne", "update")
    images = by_name(preview, "lau-images")
    key = images.inputs["encryption"]["defaultKmsKeyName"]
    assert key == by_name(update, "lau-kms-images").outputs["id"]
    assert by_name(preview, "lau-kms-images").urn in images.dependencies
    for name, needs in (
        ("lau-identities-pacs-federation", "lau-identities-pacs-pool"),
        ("lau-logging-pubsub-agent-key", "lau-logging-pubsub-agent"),
        ("lau-viewer-iap-invoker", "lau-viewer-iap-agent"),
    ):
        grant = by_name(preview, name)
        assert grant.inputs["member"] != UNKNOWN
        assert grant.inputs["member"] == by_name(update, name).inputs["member"]
        assert by_name(preview, needs).urn in grant.dependencies
    siem_publisher = by_name(preview, "lau-logging-siem-publisher")
    assert siem_publisher.inputs["member"] == UNKNOWN  # Cloud Logging assigns the sink's writer identity


def test_pacs_federation_is_bound_to_one_subject_and_no_keys_exist():
    resources = site_plan("lausanne", "update")
    provider = by_name(resources, "lau-identities-pacs-oidc")
    assert provider.inputs["attributeCondition"] == "assertion.sub == 'pacs-gateway-01'"
    assert provider.inputs["oidc"] == {
        "issuerUri": "https://sso.chuv.example/realms/pacs",
        "allowedAudiences": ["imaging-landing-zone-lau"],
    }
    binding = by_name(resources, "lau-identities-pacs-federation")
    assert binding.inputs["role"] == "roles/iam.workloadIdentityUser"
    assert binding.inputs["member"].endswith("/workloadIdentityPools/lau-pacs/subject/pacs-gateway-01")
    assert binding.inputs["serviceAccountId"] == by_name(resources, "lau-identities-pacs-uploader").outputs["name"]
    assert not [r for r in resources if r.type == "gcp:serviceaccount/key:Key"]
    assert by_name(resources, "lau-identities-default-accounts").inputs["action"] == "DEPRIVILEGE"


def test_site_without_federation_has_no_pool():
    types = {r.type for r in site_plan("utrecht", "update")}
    assert "gcp:iam/workloadIdentityPool:WorkloadIdentityPool" not in types


def test_image_bucket_alone_without_retention_or_members():
    def program() -> None:
        ImageBucket(
            "solo",
            ImageBucketArgs(
                project="proj-123456",
                region="europe-west1",
                site_code="sol",
                kms_key_id="projects/proj-123456/locations/europe-west1/keyRings/r/cryptoKeys/k",
                network_access=BucketNetworkAccess(
                    public_cidrs=["203.0.113.0/28"],
                    vpc_network="projects/p/global/networks/n",
                    vpc_cidrs=["10.0.0.0/24"],
                ),
            ),
        )

    resources = capture(program, project="p", stack="s", preview=False)
    bucket = by_name(resources, "solo")
    assert "retentionPolicy" not in bucket.inputs
    assert {r.type for r in resources if r.parent == bucket.parent} == {
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
        "gcp:storage/bucket:Bucket",
        "gcp:storage/bucketIAMMember:BucketIAMMember",
    }


def test_component_opts_are_not_merged_into_children():
    def program() -> None:
        SiteKeys(
            "k",
            SiteKeysArgs(project="proj-123456", location="europe-west1", site_code="abc"),
            opts=pulumi.ResourceOptions(ignore_changes=["labels"]),
        )

    resources = capture(program, project="p", stack="s", preview=False)
    assert by_name(resources, "k-images").ignore_changes == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        pytest.param("rotation_days", 365, "less than or equal to 90", id="rotation-over-90-days"),
        pytest.param("bogus", 1, "Extra inputs are not permitted", id="unknown-arg"),
    ],
)
def test_component_args_are_a_typed_contract(field, value, message):
    with pytest.raises(ValueError, match=message):
        SiteKeysArgs(project="proj-123456", location="europe-west1", site_code="abc", **{field: value})


def test_bucket_member_roles_are_limited_to_read_or_create():
    with pytest.raises(ValueError, match=r"roles/storage\.objectViewer"):
        BucketMember(role="roles/storage.admin", member="group:x@y.example")  # type: ignore[arg-type]
    assert BucketMember(role=BucketRole.OBJECT_VIEWER, member="group:x@y.example").role is BucketRole.OBJECT_VIEWER


def test_identities_args_carry_no_key_option():
    assert "key" not in " ".join(SiteIdentitiesArgs.model_fields)
    assert SiteIdentities.__init__.__annotations__["args"] == "SiteIdentitiesArgs"
