"""pulumi-gcp type tokens, copied from the installed SDK (their casing is irregular: never retype)."""

import re

BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_ACL = "gcp:storage/bucketACL:BucketACL"
DEFAULT_OBJECT_ACL = "gcp:storage/defaultObjectACL:DefaultObjectACL"
OBJECT_ACL = "gcp:storage/objectACL:ObjectACL"
BUCKET_ACCESS_CONTROL = "gcp:storage/bucketAccessControl:BucketAccessControl"
DEFAULT_OBJECT_ACCESS_CONTROL = "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl"
OBJECT_ACCESS_CONTROL = "gcp:storage/objectAccessControl:ObjectAccessControl"
ACL_TYPES = frozenset(
    {
        BUCKET_ACL,
        DEFAULT_OBJECT_ACL,
        OBJECT_ACL,
        BUCKET_ACCESS_CONTROL,
        DEFAULT_OBJECT_ACCESS_CONTROL,
        OBJECT_ACCESS_CONTROL,
    }
)

BUCKET_IAM_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
BUCKET_IAM_BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"
BUCKET_IAM_POLICY = "gcp:storage/bucketIAMPolicy:BucketIAMPolicy"
BUCKET_IAM = frozenset({BUCKET_IAM_MEMBER, BUCKET_IAM_BINDING, BUCKET_IAM_POLICY})

KEY_RING = "gcp:kms/keyRing:KeyRing"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
CRYPTO_KEY_IAM_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
CRYPTO_KEY_IAM = frozenset(
    {
        CRYPTO_KEY_IAM_MEMBER,
        "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding",
        "gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy",
    }
)
KEY_RING_IAM = frozenset(
    {
        "gcp:kms/keyRingIAMMember:KeyRingIAMMember",
        "gcp:kms/keyRingIAMBinding:KeyRingIAMBinding",
        "gcp:kms/keyRingIAMPolicy:KeyRingIAMPolicy",
    }
)
KMS_IAM = CRYPTO_KEY_IAM | KEY_RING_IAM

PROJECT_IAM = frozenset(
    {"gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding", "gcp:projects/iAMPolicy:IAMPolicy"}
)

SERVICE_ACCOUNT_KEY = "gcp:serviceaccount/key:Key"
WORKLOAD_IDENTITY_POOL_PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
DEFAULT_SERVICE_ACCOUNTS = "gcp:projects/defaultServiceAccounts:DefaultServiceAccounts"

PROJECT = "gcp:organizations/project:Project"
NETWORK = "gcp:compute/network:Network"
SUBNETWORK = "gcp:compute/subnetwork:Subnetwork"
ROUTE = "gcp:compute/route:Route"
FIREWALL = "gcp:compute/firewall:Firewall"
DNS_MANAGED_ZONE = "gcp:dns/managedZone:ManagedZone"
DNS_RECORD_SET = "gcp:dns/recordSet:RecordSet"
DNS_POLICY = "gcp:dns/policy:Policy"

AUDIT_CONFIGS = frozenset(
    {
        "gcp:projects/iAMAuditConfig:IAMAuditConfig",
        "gcp:organizations/iamAuditConfig:IamAuditConfig",
        "gcp:folder/iamAuditConfig:IamAuditConfig",
    }
)
LOG_BUCKETS = frozenset(
    {
        "gcp:logging/projectBucketConfig:ProjectBucketConfig",
        "gcp:logging/folderBucketConfig:FolderBucketConfig",
        "gcp:logging/organizationBucketConfig:OrganizationBucketConfig",
        "gcp:logging/billingAccountBucketConfig:BillingAccountBucketConfig",
    }
)
LOG_SINKS = frozenset(
    {
        "gcp:logging/projectSink:ProjectSink",
        "gcp:logging/folderSink:FolderSink",
        "gcp:logging/organizationSink:OrganizationSink",
        "gcp:logging/billingAccountSink:BillingAccountSink",
    }
)
LOG_EXCLUSIONS = frozenset(
    {
        "gcp:logging/projectExclusion:ProjectExclusion",
        "gcp:logging/folderExclusion:FolderExclusion",
        "gcp:logging/organizationExclusion:OrganizationExclusion",
        "gcp:logging/billingAccountExclusion:BillingAccountExclusion",
    }
)
PUBSUB_TOPIC = "gcp:pubsub/topic:Topic"
LOG_METRIC = "gcp:logging/metric:Metric"
ALERT_POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
ROUTER_NAT = "gcp:compute/routerNat:RouterNat"
BACKEND_SERVICES = frozenset(
    {"gcp:compute/backendService:BackendService", "gcp:compute/regionBackendService:RegionBackendService"}
)

SSL_POLICIES = frozenset({"gcp:compute/sSLPolicy:SSLPolicy", "gcp:compute/regionSslPolicy:RegionSslPolicy"})
TLS_PROXIES = frozenset(
    {
        "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
        "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy",
        "gcp:compute/targetSSLProxy:TargetSSLProxy",
    }
)
SELF_MANAGED_CERTIFICATES = frozenset(
    {"gcp:compute/sSLCertificate:SSLCertificate", "gcp:compute/regionSslCertificate:RegionSslCertificate"}
)
HTTP_PROXIES = frozenset(
    {"gcp:compute/targetHttpProxy:TargetHttpProxy", "gcp:compute/regionTargetHttpProxy:RegionTargetHttpProxy"}
)
URL_MAPS = frozenset({"gcp:compute/uRLMap:URLMap", "gcp:compute/regionUrlMap:RegionUrlMap"})
FORWARDING_RULES = frozenset(
    {"gcp:compute/globalForwardingRule:GlobalForwardingRule", "gcp:compute/forwardingRule:ForwardingRule"}
)
SECURITY_POLICY = "gcp:compute/securityPolicy:SecurityPolicy"
CLOUD_RUN_SERVICES = frozenset({"gcp:cloudrunv2/service:Service", "gcp:cloudrun/service:Service"})
VM_TYPES = frozenset(
    {
        "gcp:compute/instance:Instance",
        "gcp:compute/instanceTemplate:InstanceTemplate",
        "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate",
    }
)
PROJECT_SERVICE = "gcp:projects/service:Service"
ORG_POLICY = "gcp:orgpolicy/policy:Policy"
ORG_POLICY_V1 = "gcp:projects/organizationPolicy:OrganizationPolicy"
"""The v1 (Cloud Resource Manager) org policy on a project; same constraints, older shape."""
ORG_POLICIES = frozenset({ORG_POLICY, ORG_POLICY_V1})


_IAM_TOKEN = re.compile(r"(?i)iam(member|binding|policy)$")


def is_iam(token: str) -> bool:
    """Whether a type token is an IAM grant of any service (``...IamMember``, ``...IAMBinding``, ...)."""
    return bool(_IAM_TOKEN.search(token.rsplit(":", 1)[-1])) and "AuditConfig" not in token


FIREWALL_POLICY_RULES = frozenset(
    {
        "gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule",
        "gcp:compute/regionNetworkFirewallPolicyRule:RegionNetworkFirewallPolicyRule",
        "gcp:compute/firewallPolicyRule:FirewallPolicyRule",
    }
)
FIREWALL_POLICIES_WITH_RULES = frozenset(
    {
        "gcp:compute/networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules",
        "gcp:compute/regionNetworkFirewallPolicyWithRules:RegionNetworkFirewallPolicyWithRules",
        "gcp:compute/firewallPolicyWithRules:FirewallPolicyWithRules",
    }
)
ANY_FIREWALL = frozenset({FIREWALL}) | FIREWALL_POLICY_RULES | FIREWALL_POLICIES_WITH_RULES
HMAC_KEY = "gcp:storage/hmacKey:HmacKey"
