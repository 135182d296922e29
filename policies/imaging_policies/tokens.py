"""pulumi-gcp type tokens, copied from the installed SDK (their casing is irregular: never retype)."""

import re

from imaging_policies._iam_tokens import IAM_GRANT_TOKENS

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
FOLDER_IAM = frozenset(
    {"gcp:folder/iAMMember:IAMMember", "gcp:folder/iAMBinding:IAMBinding", "gcp:folder/iAMPolicy:IAMPolicy"}
)
ORGANIZATION_IAM = frozenset(
    {
        "gcp:organizations/iAMMember:IAMMember",
        "gcp:organizations/iAMBinding:IAMBinding",
        "gcp:organizations/iAMPolicy:IAMPolicy",
    }
)
HIERARCHY_IAM = PROJECT_IAM | FOLDER_IAM | ORGANIZATION_IAM
"""Grants on a project, folder or organisation: they reach every resource below it."""
DENY_POLICY = "gcp:iam/denyPolicy:DenyPolicy"
"""An IAM deny policy: the permissions it denies are not held, whatever allow grant gives them."""
MANAGED_FOLDER_IAM = frozenset(
    {
        "gcp:storage/managedFolderIamMember:ManagedFolderIamMember",
        "gcp:storage/managedFolderIamBinding:ManagedFolderIamBinding",
        "gcp:storage/managedFolderIamPolicy:ManagedFolderIamPolicy",
    }
)
OBJECT_STORE_IAM = BUCKET_IAM | MANAGED_FOLDER_IAM
"""Grants on a bucket or on a managed folder inside one (both reach the objects)."""
SERVICE_ACCOUNT_IAM = frozenset(
    {
        "gcp:serviceaccount/iAMMember:IAMMember",
        "gcp:serviceaccount/iAMBinding:IAMBinding",
        "gcp:serviceaccount/iAMPolicy:IAMPolicy",
    }
)
SUBSCRIPTION_IAM = frozenset(
    {
        "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
        "gcp:pubsub/subscriptionIAMBinding:SubscriptionIAMBinding",
        "gcp:pubsub/subscriptionIAMPolicy:SubscriptionIAMPolicy",
    }
)
IAM_GRANTS = frozenset(IAM_GRANT_TOKENS)
"""Every IAM member, binding and policy resource of every service (see ``_iam_tokens``)."""
IAP_IAM = frozenset(t for t in IAM_GRANTS if t.startswith("gcp:iap/"))
LOG_VIEW_IAM = frozenset(t for t in IAM_GRANTS if t.startswith("gcp:logging/logViewIam"))
"""Grants on one Cloud Logging log view (``parent``, ``location``, ``bucket``, ``name``)."""
CUSTOM_ROLES = frozenset({"gcp:projects/iAMCustomRole:IAMCustomRole", "gcp:organizations/iAMCustomRole:IAMCustomRole"})
SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"
WORKLOAD_IDENTITY_POOL = "gcp:iam/workloadIdentityPool:WorkloadIdentityPool"
CRYPTO_KEY_VERSION = "gcp:kms/cryptoKeyVersion:CryptoKeyVersion"
KEY_RING_IMPORT_JOB = "gcp:kms/keyRingImportJob:KeyRingImportJob"
KEY_HANDLE = "gcp:kms/keyHandle:KeyHandle"

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
DNS_RESPONSE_POLICY_RULE = "gcp:dns/responsePolicyRule:ResponsePolicyRule"

AUDIT_CONFIGS = frozenset(
    {
        "gcp:projects/iAMAuditConfig:IAMAuditConfig",
        "gcp:organizations/iamAuditConfig:IamAuditConfig",
        "gcp:folder/iamAuditConfig:IamAuditConfig",
    }
)
PROJECT_BUCKET_CONFIG = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
LOG_BUCKETS = frozenset(
    {
        PROJECT_BUCKET_CONFIG,
        "gcp:logging/folderBucketConfig:FolderBucketConfig",
        "gcp:logging/organizationBucketConfig:OrganizationBucketConfig",
        "gcp:logging/billingAccountBucketConfig:BillingAccountBucketConfig",
    }
)
PROJECT_SINK = "gcp:logging/projectSink:ProjectSink"
BILLING_ACCOUNT_SINK = "gcp:logging/billingAccountSink:BillingAccountSink"
LOG_SINKS = frozenset(
    {
        PROJECT_SINK,
        "gcp:logging/folderSink:FolderSink",
        "gcp:logging/organizationSink:OrganizationSink",
        BILLING_ACCOUNT_SINK,
    }
)
PROJECT_EXCLUSION = "gcp:logging/projectExclusion:ProjectExclusion"
BILLING_ACCOUNT_EXCLUSION = "gcp:logging/billingAccountExclusion:BillingAccountExclusion"
LOG_EXCLUSIONS = frozenset(
    {
        PROJECT_EXCLUSION,
        "gcp:logging/folderExclusion:FolderExclusion",
        "gcp:logging/organizationExclusion:OrganizationExclusion",
        BILLING_ACCOUNT_EXCLUSION,
    }
)
PUBSUB_TOPIC = "gcp:pubsub/topic:Topic"
PUBSUB_SUBSCRIPTION = "gcp:pubsub/subscription:Subscription"
LOG_METRIC = "gcp:logging/metric:Metric"
ALERT_POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
SNOOZE = "gcp:monitoring/snooze:Snooze"
SCC_PROJECT_NOTIFICATION = "gcp:securitycenter/v2ProjectNotificationConfig:V2ProjectNotificationConfig"
SCC_PROJECT_NOTIFICATIONS = frozenset(
    {SCC_PROJECT_NOTIFICATION, "gcp:securitycenter/projectNotificationConfig:ProjectNotificationConfig"}
)
"""Security Command Center notification configs of a project (v2, and v1's, which pulumi-gcp 10.2.0 still has)."""
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
BINAUTHZ_POLICY = "gcp:binaryauthorization/policy:Policy"
"""A project's (single) Binary Authorization policy: which images Cloud Run and GKE may run."""
ATTESTOR = "gcp:binaryauthorization/attestor:Attestor"
"""A Binary Authorization attestor: holds the public keys whose signatures admit an image."""
BINARY_AUTHORIZATION = frozenset({BINAUTHZ_POLICY, ATTESTOR})
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

PROJECT_IAM_POLICY = "gcp:projects/iAMPolicy:IAMPolicy"
IAM_POLICY_DOCUMENTS = frozenset(
    {PROJECT_IAM_POLICY, "gcp:folder/iAMPolicy:IAMPolicy", "gcp:organizations/iAMPolicy:IAMPolicy"}
)
"""IAM policy documents of the resource hierarchy: their ``policyData`` can carry ``auditConfigs``."""
NOTIFICATION_CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel"
LINKED_DATASET = "gcp:logging/linkedDataset:LinkedDataset"

FIREWALL_POLICY_CONTAINERS = frozenset(
    {
        "gcp:compute/firewallPolicy:FirewallPolicy",
        "gcp:compute/networkFirewallPolicy:NetworkFirewallPolicy",
        "gcp:compute/regionNetworkFirewallPolicy:RegionNetworkFirewallPolicy",
    }
)
"""Firewall policies without inline rules: their rules are separate resources (FIREWALL_POLICY_RULES)."""
FIREWALL_POLICY_ASSOCIATIONS = frozenset(
    {
        "gcp:compute/firewallPolicyAssociation:FirewallPolicyAssociation",
        "gcp:compute/networkFirewallPolicyAssociation:NetworkFirewallPolicyAssociation",
        "gcp:compute/regionNetworkFirewallPolicyAssociation:RegionNetworkFirewallPolicyAssociation",
    }
)
"""Attach a firewall policy (by ``firewallPolicy``) to a network, folder or organisation."""
FIREWALL_POLICIES = FIREWALL_POLICY_CONTAINERS | FIREWALL_POLICIES_WITH_RULES

NETWORK_PEERING = "gcp:compute/networkPeering:NetworkPeering"
NETWORK_PEERING_ROUTES_CONFIG = "gcp:compute/networkPeeringRoutesConfig:NetworkPeeringRoutesConfig"
ROUTER_PEER = "gcp:compute/routerPeer:RouterPeer"
SECURITY_POLICY_RULE = "gcp:compute/securityPolicyRule:SecurityPolicyRule"
SECURITY_POLICIES = frozenset({SECURITY_POLICY, "gcp:compute/regionSecurityPolicy:RegionSecurityPolicy"})
"""Cloud Armor policies, global and regional: rules inline (``rules``) or as rule resources."""
SECURITY_POLICY_RULES = frozenset(
    {SECURITY_POLICY_RULE, "gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule"}
)
VPC_ACCESS_CONNECTOR = "gcp:vpcaccess/connector:Connector"
FORWARDING_TARGETS = (
    TLS_PROXIES
    | HTTP_PROXIES
    | frozenset(
        {
            "gcp:compute/targetTCPProxy:TargetTCPProxy",
            "gcp:compute/regionTargetTcpProxy:RegionTargetTcpProxy",
            "gcp:compute/targetInstance:TargetInstance",
            "gcp:compute/targetPool:TargetPool",
            "gcp:compute/targetGrpcProxy:TargetGrpcProxy",
            "gcp:compute/serviceAttachment:ServiceAttachment",
        }
    )
    | BACKEND_SERVICES
)
"""What a forwarding rule can send traffic to (``target``, or ``backendService`` for pass-through)."""

CERTIFICATE = "gcp:certificatemanager/certificate:Certificate"
CERTIFICATE_MAP = "gcp:certificatemanager/certificateMap:CertificateMap"
CERTIFICATE_MAP_ENTRY = "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry"
DNS_AUTHORIZATION = "gcp:certificatemanager/dnsAuthorization:DnsAuthorization"
MANAGED_SSL_CERTIFICATE = "gcp:compute/managedSslCertificate:ManagedSslCertificate"
CERTIFICATE_MANAGER = frozenset({CERTIFICATE, CERTIFICATE_MAP, CERTIFICATE_MAP_ENTRY, DNS_AUTHORIZATION})
"""Certificate Manager: certificates (Google-managed for the launch hostname), maps and their entries that attach
them to a proxy, and the DNS authorisations that prove the hostname (TLS-06)."""
