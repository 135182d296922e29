"""The pulumi-gcp type tokens the check and the real-run tooling name, read from the pinned SDK's classes
(``pulumi_type``), never typed: their casing is irregular (``iAMMember``, ``sSLPolicy``, ``uRLMap``).

The pack keeps its own table (``policies/imaging_policies/tokens.py``: it is published alone); the
components name the classes themselves. A test refuses a ``gcp:`` token typed as a string anywhere else
in the check, the program, the components or the tooling.
"""

from __future__ import annotations

import pulumi_gcp as gcp


def _token(cls: type) -> str:
    """The type token the SDK's ``pulumi.type_token`` decorator gave the resource class."""
    token = vars(cls).get("pulumi_type")
    if not isinstance(token, str):  # pragma: no cover (every generated resource class has one)
        raise TypeError(f"{cls.__qualname__} has no type token")
    return token


ACCESSCONTEXTMANAGER_ACCESS_LEVEL = _token(gcp.accesscontextmanager.AccessLevel)
ACCESSCONTEXTMANAGER_SERVICE_PERIMETER = _token(gcp.accesscontextmanager.ServicePerimeter)
CLOUDRUNV2_SERVICE = _token(gcp.cloudrunv2.Service)
CLOUDRUNV2_SERVICE_IAM_MEMBER = _token(gcp.cloudrunv2.ServiceIamMember)
COMPUTE_BACKEND_SERVICE = _token(gcp.compute.BackendService)
COMPUTE_FIREWALL = _token(gcp.compute.Firewall)
COMPUTE_FIREWALL_POLICY_RULE = _token(gcp.compute.FirewallPolicyRule)
COMPUTE_GLOBAL_ADDRESS = _token(gcp.compute.GlobalAddress)
COMPUTE_GLOBAL_FORWARDING_RULE = _token(gcp.compute.GlobalForwardingRule)
COMPUTE_MANAGED_SSL_CERTIFICATE = _token(gcp.compute.ManagedSslCertificate)
COMPUTE_NETWORK = _token(gcp.compute.Network)
COMPUTE_NETWORK_FIREWALL_POLICY_RULE = _token(gcp.compute.NetworkFirewallPolicyRule)
COMPUTE_REGION_NETWORK_ENDPOINT_GROUP = _token(gcp.compute.RegionNetworkEndpointGroup)
COMPUTE_REGION_NETWORK_FIREWALL_POLICY_RULE = _token(gcp.compute.RegionNetworkFirewallPolicyRule)
COMPUTE_ROUTE = _token(gcp.compute.Route)
COMPUTE_SECURITY_POLICY = _token(gcp.compute.SecurityPolicy)
COMPUTE_SSLPOLICY = _token(gcp.compute.SSLPolicy)
COMPUTE_SUBNETWORK = _token(gcp.compute.Subnetwork)
COMPUTE_TARGET_HTTPS_PROXY = _token(gcp.compute.TargetHttpsProxy)
COMPUTE_TARGET_HTTP_PROXY = _token(gcp.compute.TargetHttpProxy)
COMPUTE_URLMAP = _token(gcp.compute.URLMap)
DNS_MANAGED_ZONE = _token(gcp.dns.ManagedZone)
DNS_POLICY = _token(gcp.dns.Policy)
DNS_RECORD_SET = _token(gcp.dns.RecordSet)
IAM_WORKLOAD_IDENTITY_POOL = _token(gcp.iam.WorkloadIdentityPool)
IAM_WORKLOAD_IDENTITY_POOL_PROVIDER = _token(gcp.iam.WorkloadIdentityPoolProvider)
IAP_WEB_BACKEND_SERVICE_IAM_MEMBER = _token(gcp.iap.WebBackendServiceIamMember)
KMS_CRYPTO_KEY = _token(gcp.kms.CryptoKey)
KMS_CRYPTO_KEY_IAMMEMBER = _token(gcp.kms.CryptoKeyIAMMember)
KMS_KEY_RING = _token(gcp.kms.KeyRing)
KMS_KEY_RING_IAMMEMBER = _token(gcp.kms.KeyRingIAMMember)
LOGGING_LOG_VIEW_IAM_MEMBER = _token(gcp.logging.LogViewIamMember)
LOGGING_METRIC = _token(gcp.logging.Metric)
LOGGING_PROJECT_BUCKET_CONFIG = _token(gcp.logging.ProjectBucketConfig)
LOGGING_PROJECT_SINK = _token(gcp.logging.ProjectSink)
MONITORING_ALERT_POLICY = _token(gcp.monitoring.AlertPolicy)
MONITORING_NOTIFICATION_CHANNEL = _token(gcp.monitoring.NotificationChannel)
ORGPOLICY_POLICY = _token(gcp.orgpolicy.Policy)
PROJECTS_DEFAULT_SERVICE_ACCOUNTS = _token(gcp.projects.DefaultServiceAccounts)
PROJECTS_IAMAUDIT_CONFIG = _token(gcp.projects.IAMAuditConfig)
PROJECTS_IAMMEMBER = _token(gcp.projects.IAMMember)
PROJECTS_SERVICE = _token(gcp.projects.Service)
PROJECTS_SERVICE_IDENTITY = _token(gcp.projects.ServiceIdentity)
PUBSUB_SUBSCRIPTION = _token(gcp.pubsub.Subscription)
PUBSUB_SUBSCRIPTION_IAMMEMBER = _token(gcp.pubsub.SubscriptionIAMMember)
PUBSUB_TOPIC = _token(gcp.pubsub.Topic)
PUBSUB_TOPIC_IAMMEMBER = _token(gcp.pubsub.TopicIAMMember)
SECURITYCENTER_V2_PROJECT_NOTIFICATION_CONFIG = _token(gcp.securitycenter.V2ProjectNotificationConfig)
SERVICEACCOUNT_ACCOUNT = _token(gcp.serviceaccount.Account)
SERVICEACCOUNT_IAMMEMBER = _token(gcp.serviceaccount.IAMMember)
STORAGE_BUCKET = _token(gcp.storage.Bucket)
STORAGE_BUCKET_ACCESS_CONTROL = _token(gcp.storage.BucketAccessControl)
STORAGE_BUCKET_IAMMEMBER = _token(gcp.storage.BucketIAMMember)
BINARYAUTHORIZATION_POLICY = _token(gcp.binaryauthorization.Policy)
