"""The pulumi-gcp type tokens the check and the real-run tooling name, each held equal to the pinned SDK's
class (its ``pulumi_type``), never typed by hand: their casing is irregular (``iAMMember``, ``sSLPolicy``,
``uRLMap``).

``CLASSES`` names each constant's class; the constants below it are generated from those classes by
``python -m preflight docs --write`` (a test fails when they are stale). Being plain strings, they cost no
import of ``pulumi_gcp``: a run that reuses a kept verdict, or reads a plan document, never loads the
provider's classes (reading them here cost about 1.5 CPU-seconds a process).

The pack keeps its own table (``policies/imaging_policies/tokens.py``: it is published alone); the
components name the classes themselves. A test refuses a ``gcp:`` token typed as a string anywhere else
in the check, the program, the components or the tooling.
"""

from __future__ import annotations

CLASSES: dict[str, str] = {
    "ACCESSCONTEXTMANAGER_ACCESS_LEVEL": "accesscontextmanager.AccessLevel",
    "ACCESSCONTEXTMANAGER_SERVICE_PERIMETER": "accesscontextmanager.ServicePerimeter",
    "CLOUDRUNV2_SERVICE": "cloudrunv2.Service",
    "CLOUDRUNV2_SERVICE_IAM_MEMBER": "cloudrunv2.ServiceIamMember",
    "COMPUTE_BACKEND_SERVICE": "compute.BackendService",
    "COMPUTE_FIREWALL": "compute.Firewall",
    "COMPUTE_FIREWALL_POLICY_RULE": "compute.FirewallPolicyRule",
    "COMPUTE_GLOBAL_ADDRESS": "compute.GlobalAddress",
    "COMPUTE_GLOBAL_FORWARDING_RULE": "compute.GlobalForwardingRule",
    "COMPUTE_MANAGED_SSL_CERTIFICATE": "compute.ManagedSslCertificate",
    "COMPUTE_NETWORK": "compute.Network",
    "COMPUTE_NETWORK_FIREWALL_POLICY_RULE": "compute.NetworkFirewallPolicyRule",
    "COMPUTE_REGION_NETWORK_ENDPOINT_GROUP": "compute.RegionNetworkEndpointGroup",
    "COMPUTE_REGION_NETWORK_FIREWALL_POLICY_RULE": "compute.RegionNetworkFirewallPolicyRule",
    "COMPUTE_ROUTE": "compute.Route",
    "COMPUTE_SECURITY_POLICY": "compute.SecurityPolicy",
    "COMPUTE_SSLPOLICY": "compute.SSLPolicy",
    "COMPUTE_SUBNETWORK": "compute.Subnetwork",
    "COMPUTE_TARGET_HTTPS_PROXY": "compute.TargetHttpsProxy",
    "COMPUTE_TARGET_HTTP_PROXY": "compute.TargetHttpProxy",
    "COMPUTE_URLMAP": "compute.URLMap",
    "DNS_MANAGED_ZONE": "dns.ManagedZone",
    "DNS_POLICY": "dns.Policy",
    "DNS_RECORD_SET": "dns.RecordSet",
    "IAM_WORKLOAD_IDENTITY_POOL": "iam.WorkloadIdentityPool",
    "IAM_WORKLOAD_IDENTITY_POOL_PROVIDER": "iam.WorkloadIdentityPoolProvider",
    "IAP_WEB_BACKEND_SERVICE_IAM_MEMBER": "iap.WebBackendServiceIamMember",
    "KMS_CRYPTO_KEY": "kms.CryptoKey",
    "KMS_CRYPTO_KEY_IAMMEMBER": "kms.CryptoKeyIAMMember",
    "KMS_KEY_RING": "kms.KeyRing",
    "KMS_KEY_RING_IAMMEMBER": "kms.KeyRingIAMMember",
    "LOGGING_LOG_VIEW_IAM_MEMBER": "logging.LogViewIamMember",
    "LOGGING_METRIC": "logging.Metric",
    "LOGGING_PROJECT_BUCKET_CONFIG": "logging.ProjectBucketConfig",
    "LOGGING_PROJECT_SINK": "logging.ProjectSink",
    "MONITORING_ALERT_POLICY": "monitoring.AlertPolicy",
    "MONITORING_NOTIFICATION_CHANNEL": "monitoring.NotificationChannel",
    "ORGPOLICY_POLICY": "orgpolicy.Policy",
    "PROJECTS_DEFAULT_SERVICE_ACCOUNTS": "projects.DefaultServiceAccounts",
    "PROJECTS_IAMAUDIT_CONFIG": "projects.IAMAuditConfig",
    "PROJECTS_IAMMEMBER": "projects.IAMMember",
    "PROJECTS_SERVICE": "projects.Service",
    "PROJECTS_SERVICE_IDENTITY": "projects.ServiceIdentity",
    "PUBSUB_SUBSCRIPTION": "pubsub.Subscription",
    "PUBSUB_SUBSCRIPTION_IAMMEMBER": "pubsub.SubscriptionIAMMember",
    "PUBSUB_TOPIC": "pubsub.Topic",
    "PUBSUB_TOPIC_IAMMEMBER": "pubsub.TopicIAMMember",
    "SECURITYCENTER_V2_PROJECT_NOTIFICATION_CONFIG": "securitycenter.V2ProjectNotificationConfig",
    "SERVICEACCOUNT_ACCOUNT": "serviceaccount.Account",
    "SERVICEACCOUNT_IAMMEMBER": "serviceaccount.IAMMember",
    "STORAGE_BUCKET": "storage.Bucket",
    "STORAGE_BUCKET_ACCESS_CONTROL": "storage.BucketAccessControl",
    "STORAGE_BUCKET_IAMMEMBER": "storage.BucketIAMMember",
    "BINARYAUTHORIZATION_POLICY": "binaryauthorization.Policy",
}
"""Each constant's ``pulumi_gcp`` resource class, as ``<module>.<Class>``."""

# <generated> by `python -m preflight docs --write` from CLASSES and the pinned SDK; do not edit
ACCESSCONTEXTMANAGER_ACCESS_LEVEL = "gcp:accesscontextmanager/accessLevel:AccessLevel"
ACCESSCONTEXTMANAGER_SERVICE_PERIMETER = "gcp:accesscontextmanager/servicePerimeter:ServicePerimeter"
CLOUDRUNV2_SERVICE = "gcp:cloudrunv2/service:Service"
CLOUDRUNV2_SERVICE_IAM_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
COMPUTE_BACKEND_SERVICE = "gcp:compute/backendService:BackendService"
COMPUTE_FIREWALL = "gcp:compute/firewall:Firewall"
COMPUTE_FIREWALL_POLICY_RULE = "gcp:compute/firewallPolicyRule:FirewallPolicyRule"
COMPUTE_GLOBAL_ADDRESS = "gcp:compute/globalAddress:GlobalAddress"
COMPUTE_GLOBAL_FORWARDING_RULE = "gcp:compute/globalForwardingRule:GlobalForwardingRule"
COMPUTE_MANAGED_SSL_CERTIFICATE = "gcp:compute/managedSslCertificate:ManagedSslCertificate"
COMPUTE_NETWORK = "gcp:compute/network:Network"
COMPUTE_NETWORK_FIREWALL_POLICY_RULE = "gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule"
COMPUTE_REGION_NETWORK_ENDPOINT_GROUP = "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup"
COMPUTE_REGION_NETWORK_FIREWALL_POLICY_RULE = (
    "gcp:compute/regionNetworkFirewallPolicyRule:RegionNetworkFirewallPolicyRule"
)
COMPUTE_ROUTE = "gcp:compute/route:Route"
COMPUTE_SECURITY_POLICY = "gcp:compute/securityPolicy:SecurityPolicy"
COMPUTE_SSLPOLICY = "gcp:compute/sSLPolicy:SSLPolicy"
COMPUTE_SUBNETWORK = "gcp:compute/subnetwork:Subnetwork"
COMPUTE_TARGET_HTTPS_PROXY = "gcp:compute/targetHttpsProxy:TargetHttpsProxy"
COMPUTE_TARGET_HTTP_PROXY = "gcp:compute/targetHttpProxy:TargetHttpProxy"
COMPUTE_URLMAP = "gcp:compute/uRLMap:URLMap"
DNS_MANAGED_ZONE = "gcp:dns/managedZone:ManagedZone"
DNS_POLICY = "gcp:dns/policy:Policy"
DNS_RECORD_SET = "gcp:dns/recordSet:RecordSet"
IAM_WORKLOAD_IDENTITY_POOL = "gcp:iam/workloadIdentityPool:WorkloadIdentityPool"
IAM_WORKLOAD_IDENTITY_POOL_PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
IAP_WEB_BACKEND_SERVICE_IAM_MEMBER = "gcp:iap/webBackendServiceIamMember:WebBackendServiceIamMember"
KMS_CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
KMS_CRYPTO_KEY_IAMMEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
KMS_KEY_RING = "gcp:kms/keyRing:KeyRing"
KMS_KEY_RING_IAMMEMBER = "gcp:kms/keyRingIAMMember:KeyRingIAMMember"
LOGGING_LOG_VIEW_IAM_MEMBER = "gcp:logging/logViewIamMember:LogViewIamMember"
LOGGING_METRIC = "gcp:logging/metric:Metric"
LOGGING_PROJECT_BUCKET_CONFIG = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
LOGGING_PROJECT_SINK = "gcp:logging/projectSink:ProjectSink"
MONITORING_ALERT_POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
MONITORING_NOTIFICATION_CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel"
ORGPOLICY_POLICY = "gcp:orgpolicy/policy:Policy"
PROJECTS_DEFAULT_SERVICE_ACCOUNTS = "gcp:projects/defaultServiceAccounts:DefaultServiceAccounts"
PROJECTS_IAMAUDIT_CONFIG = "gcp:projects/iAMAuditConfig:IAMAuditConfig"
PROJECTS_IAMMEMBER = "gcp:projects/iAMMember:IAMMember"
PROJECTS_SERVICE = "gcp:projects/service:Service"
PROJECTS_SERVICE_IDENTITY = "gcp:projects/serviceIdentity:ServiceIdentity"
PUBSUB_SUBSCRIPTION = "gcp:pubsub/subscription:Subscription"
PUBSUB_SUBSCRIPTION_IAMMEMBER = "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember"
PUBSUB_TOPIC = "gcp:pubsub/topic:Topic"
PUBSUB_TOPIC_IAMMEMBER = "gcp:pubsub/topicIAMMember:TopicIAMMember"
SECURITYCENTER_V2_PROJECT_NOTIFICATION_CONFIG = (
    "gcp:securitycenter/v2ProjectNotificationConfig:V2ProjectNotificationConfig"
)
SERVICEACCOUNT_ACCOUNT = "gcp:serviceaccount/account:Account"
SERVICEACCOUNT_IAMMEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
STORAGE_BUCKET = "gcp:storage/bucket:Bucket"
STORAGE_BUCKET_ACCESS_CONTROL = "gcp:storage/bucketAccessControl:BucketAccessControl"
STORAGE_BUCKET_IAMMEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
BINARYAUTHORIZATION_POLICY = "gcp:binaryauthorization/policy:Policy"
# </generated>
