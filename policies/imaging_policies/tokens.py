"""pulumi-gcp type tokens, copied from the installed SDK (their casing is irregular: never retype)."""

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
SERVICE_ACCOUNT_IAM = frozenset(
    {
        "gcp:serviceaccount/iAMMember:IAMMember",
        "gcp:serviceaccount/iAMBinding:IAMBinding",
        "gcp:serviceaccount/iAMPolicy:IAMPolicy",
    }
)
OTHER_IAM = frozenset(
    {
        "gcp:organizations/iAMMember:IAMMember",
        "gcp:organizations/iAMBinding:IAMBinding",
        "gcp:folder/iAMMember:IAMMember",
        "gcp:folder/iAMBinding:IAMBinding",
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
        "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding",
        "gcp:pubsub/topicIAMMember:TopicIAMMember",
        "gcp:pubsub/topicIAMBinding:TopicIAMBinding",
        "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
        "gcp:pubsub/subscriptionIAMBinding:SubscriptionIAMBinding",
        "gcp:iap/webBackendServiceIamMember:WebBackendServiceIamMember",
        "gcp:iap/webBackendServiceIamBinding:WebBackendServiceIamBinding",
    }
)
ALL_IAM = BUCKET_IAM | KMS_IAM | PROJECT_IAM | SERVICE_ACCOUNT_IAM | OTHER_IAM

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
