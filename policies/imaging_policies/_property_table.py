"""The closed world of properties (IAM-13): every input property a plan can set on a type the pack judges,
classified once.

Each property of each judged type is one of three things:

* **judged** by a named policy (or by a control of the log path and the traffic references, whose
  policies live in their own modules) that reads it, nested fields included where they can break a control;
* **harmless**, with the one-line reason it cannot move, expose or lose the site's data;
* **not judged**: setting it is a finding until the pack's config allows it with a recorded reason
  (``allowedProperties``), like ``allowedTypes`` for types.

The table is held against the pinned provider schema (pulumi-gcp 10.2.0, each resource's ``*Args``
wire names) by ``tests/policies/test_property_closed_world.py``: every property of every judged type
is classified, and none is invented. IAM grant resources of every service share one shape and are
classified by :func:`iam_verdict`. The table is rendered into ``policies/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from imaging_policies import tokens

Kind = Literal["judged", "harmless", "not judged"]


@dataclass(frozen=True)
class Verdict:
    """How the pack treats one property: ``judged`` (``by``: the policies or controls that read it),
    ``harmless`` (``by``: the reason) or ``not judged`` (a finding unless the config allows it)."""

    kind: Kind
    by: str = ""


NOT_JUDGED: Final = Verdict("not judged")
SELF: Final = "gcp-resource-properties-judged"
"""This control's own policy, which judges the properties no other policy reads (``properties.py``)."""

LOG_PATH: Final = "gcp-logging-siem-path-intact"
"""LOG-13: every hop of a security entry's path to the SIEM subscriber (topics, subscriptions)."""
ALERTS_NOTIFY: Final = "gcp-monitoring-security-alerts-notify"
FINDINGS: Final = "gcp-scc-findings-to-siem"
"""LOG-18: the site project's Security Command Center findings reach the SIEM topic."""
"""LOG-14: security alerts notify when an incident opens, within the site's bounds."""
TRAFFIC: Final = "NET-09/TLS-06 (traffic references)"
"""The traffic references' controls (URL maps, backends, NEGs, certificates): judged in their own modules."""
CERTIFICATES: Final = "gcp-certificatemanager-site-hostname gcp-certificatemanager-references-in-stack"

NAME: Final = "an identifier; a reference to the resource is judged where it is used"
DESCRIPTION: Final = "free text"
LABELS: Final = "metadata; grants no access and moves no data"
DELETION: Final = "what a destroy does with the cloud resource (delete or abandon it); it changes no setting"
WHERE: Final = "where it runs; the resource-locations guard rail refuses a region outside the site's at the API"
PARENT: Final = "the container it is created in; what it does there is judged on its other properties"
SIZE: Final = "capacity, timing or performance tuning; it moves or exposes nothing"
IMMUTABLE_ID: Final = "an identifier chosen at creation"
BGP_SESSION: Final = "the BGP session's endpoints and liveness; the routes it may learn are judged"
BGP_ADVERTISED: Final = "which site ranges the peer learns: a way back in, which the ingress firewall judges"
LISTENS: Final = (
    "where and how the rule listens; what it forwards to is judged on target (TLS-03, NET-05) and what reaches "
    "a workload on the ingress firewall (NET-03)"
)
PROFILE: Final = "inspects what the rule lets through; the rule's action and match decide what passes"


def _row(
    judged: dict[str, str] | None = None,
    harmless: dict[str, str] | None = None,
    not_judged: str = "",
) -> dict[str, Verdict]:
    """One type's row: ``judged`` maps space-separated properties to who judges them, ``harmless`` maps
    them to the reason, ``not_judged`` lists the rest."""
    row: dict[str, Verdict] = {}
    for props, by in (judged or {}).items():
        row.update(dict.fromkeys(props.split(), Verdict("judged", by)))
    for props, reason in (harmless or {}).items():
        row.update(dict.fromkeys(props.split(), Verdict("harmless", reason)))
    row.update(dict.fromkeys(not_judged.split(), NOT_JUDGED))
    return row


def _common(extra: str = "") -> dict[str, str]:
    """The harmless properties most types share, as ``_row(harmless=...)`` entries; ``extra`` are
    further identifiers (a resource id chosen at creation)."""
    found = {"deletionPolicy": DELETION, "description": DESCRIPTION}
    if extra:
        found[extra] = IMMUTABLE_ID
    return found


# Policy names, as registered (a test holds every name here to a policy of the pack).
BUCKET_CMEK = "gcp-storage-bucket-requires-cmek"
DENY_READABLE = "gcp-iam-deny-policy-readable"
GRANT_CAPABLE_DENIED = "gcp-iam-grant-capable-denied-data"
BUCKET_CMEK_OBJECTS = "gcp-storage-bucket-enforces-cmek-per-object"
BUCKET_KEY_GRANT = "gcp-storage-bucket-grants-key-before-use"
BUCKET_IP_FILTER = "gcp-storage-bucket-ip-filter"
BUCKET_PAP = "gcp-storage-bucket-public-access-prevention"
BUCKET_UNIFORM = "gcp-storage-bucket-uniform-access"
BUCKET_REGION = "gcp-storage-bucket-in-site-region"
BUCKET_USAGE_LOGS = "gcp-storage-bucket-usage-logs"
KEY_AES = "gcp-kms-crypto-key-aes256"
KEY_ROTATION = "gcp-kms-crypto-key-rotation"
KEY_PROTECTED = "gcp-kms-keys-protected"
NO_LOSS = "gcp-storage-bucket-keeps-contents"
KEY_AGENTS = "gcp-kms-key-use-service-agents-only"
LOG_CMEK = "gcp-logging-storage-cmek"
LOG_LOCKED = "gcp-logging-bucket-locked-retention"
LOG_RECEIVES = "gcp-logging-bucket-receives-security-logs"
LOG_EXCLUSIONS = "gcp-logging-no-security-exclusions"
SIEM = "gcp-logging-siem-export"
PULL_ONLY = "gcp-pubsub-subscription-pull-only"
AUDIT_EXEMPT = "gcp-audit-config-no-exemptions"
AUDIT_ON = "gcp-project-data-access-audit-logs"
ALERTS = "gcp-monitoring-cis-security-alerts gcp-monitoring-site-security-alerts"
FW_IN = "gcp-compute-firewall-ingress-allowlist gcp-compute-network-denies-ingress"
FW_OUT = "gcp-compute-firewall-egress-allowlist gcp-compute-network-denies-egress"
FW_LOGS = "gcp-compute-firewall-logging"
FW_ALL = f"{FW_IN} {FW_OUT}"
FW_ALLOWS = "gcp-compute-firewall-ingress-allowlist gcp-compute-firewall-egress-allowlist"
"""NET-03/NET-04's allowlists: they judge every allow rule, whatever its network or priority."""
FW_DENIES = "gcp-compute-network-denies-ingress gcp-compute-network-denies-egress"
"""NET-03/NET-04's default deny: it finds each network's deny-all rules."""
CUSTOM_MODE = "gcp-compute-network-custom-mode"
RESTRICTED_APIS = "gcp-compute-network-restricted-google-apis"
NO_DEFAULT_NETWORK = "gcp-compute-no-default-network"
DNS_LOGS = "gcp-dns-query-logging"
FLOW_LOGS = "gcp-compute-subnetwork-flow-logs"
PGA = "gcp-compute-subnetwork-private-google-access"
NAT_LOGS = "gcp-compute-nat-logs-all"
BACKEND_HTTPS = "gcp-compute-backend-https"
BACKEND_LOGS = "gcp-compute-backend-request-logs"
ARMOR_IN_STACK = "gcp-compute-backend-armor-in-stack"
ARMOR = "gcp-compute-edge-cloud-armor"
REDIRECT_ONLY = "gcp-compute-http-redirect-only"
SSL_MODERN = "gcp-compute-ssl-policy-modern"
TLS_PROXY = "gcp-compute-tls-proxy-ssl-policy gcp-compute-tls-proxy-ssl-policy-in-stack"
NO_PUBLIC_ADDRESS = "gcp-viewer-no-public-address"
VIEWER_EGRESS = "gcp-viewer-egress-in-site-vpc"
VIEWER_BINAUTHZ = "gcp-cloudrun-binary-authorization"
"""NET-16: the service enforces the project's Binary Authorization policy and runs the declared image."""
BINAUTHZ = "gcp-binaryauthorization-requires-attestation"
"""NET-17: the project's policy requires the declared attestors, enforced, with no way around it."""
NO_KEYS = "gcp-serviceaccount-no-user-managed-keys"
LEAST_PRIVILEGE = "gcp-iam-least-privilege-roles"
FEDERATION = "gcp-iam-custom-roles-and-federation"
FEDERATED_SUBJECT = "gcp-iam-federation-admits-declared-subject"
"""IAM-14: a workload identity provider admits exactly the subject the site declares."""
ACCESS_MODEL = "gcp-iam-effective-access-within-intent gcp-iam-needed-grants-in-place"
"""IAM-10/IAM-11's access model: which resource a grant reaches (a key through its ring, ...)."""
DEFAULT_ACCOUNTS = "gcp-project-default-service-accounts-deprivileged"
SERVICES = "gcp-project-services-needed-only"
GUARD_RAILS = "the guard-rail policies (gcp-orgpolicy-*)"
PUBLIC = "gcp-iam-no-public-principals"
IN_PERIMETER = "gcp-accesscontextmanager-site-in-enforced-perimeter"
PERIMETER_SERVICES = "gcp-accesscontextmanager-perimeter-restricts-services"
PERIMETER_INGRESS = "gcp-accesscontextmanager-ingress-names-identity-source-resource"
PERIMETER_EGRESS = "gcp-accesscontextmanager-egress-to-declared-siem-only"
ACCESS_LEVELS = "gcp-accesscontextmanager-access-levels-declared-ranges"
NO_BRIDGE = "gcp-accesscontextmanager-no-perimeter-bridge"
PERIMETER_ALL = f"{IN_PERIMETER} {PERIMETER_SERVICES} {PERIMETER_INGRESS} {PERIMETER_EGRESS} {ACCESS_LEVELS}"

_FIREWALL_POLICY_RULE = _row(
    judged={
        "action direction disabled match priority targetServiceAccounts targetSecureTags targetResources": FW_ALL,
        "enableLogging": FW_LOGS,
        "firewallPolicy": FW_ALL,
    },
    harmless={**_common(), "securityProfileGroup tlsInspect": PROFILE},
)
_NETWORK_FIREWALL_POLICY_RULE = {k: v for k, v in _FIREWALL_POLICY_RULE.items() if k != "targetResources"}
_INSTANCE_HARMLESS = {
    "name": NAME,
    "labels": LABELS,
    "machineType minCpuPlatform guestAccelerators advancedMachineFeatures networkPerformanceConfig enableDisplay": SIZE,
    "shieldedInstanceConfig confidentialInstanceConfig": "hardening of the VM itself; it can only narrow what runs",
    "description": DESCRIPTION,
}
_INSTANCE_NOT_JUDGED = (
    "canIpForward metadata metadataStartupScript partnerMetadata serviceAccount scheduling reservationAffinity "
    "resourcePolicies tags keyRevocationActionType workloadIdentityConfig"
)

PROPERTIES: dict[str, dict[str, Verdict]] = {
    # --- storage ---------------------------------------------------------------------------------
    tokens.BUCKET: _row(
        judged={
            "encryption": f"{BUCKET_CMEK} {BUCKET_CMEK_OBJECTS} {BUCKET_KEY_GRANT}",
            "ipFilter": BUCKET_IP_FILTER,
            "publicAccessPrevention": BUCKET_PAP,
            "uniformBucketLevelAccess": BUCKET_UNIFORM,
            "location": BUCKET_REGION,
            "logging": BUCKET_USAGE_LOGS,
            "cors project": SELF,
            "lifecycleRules retentionPolicy softDeletePolicy forceDestroy": NO_LOSS,
        },
        harmless={
            "name": NAME,
            "labels": LABELS,
            "deletionPolicy": DELETION,
            "storageClass": "the class of new objects; a downgrade of stored images is judged on lifecycleRules",
            "versioning": "keeps earlier versions of objects as well; it can only add copies inside the bucket",
            "defaultEventBasedHold": "holds new objects until released: it can delay a deletion, never cause one",
            "enableObjectRetention": "lets objects carry their own retention: it can only keep them longer",
            "rpo": "turbo replication between the regions of a dual-region bucket; the location is judged",
            "customPlacementConfig": (
                "the two regions of a configurable dual-region, which the API takes only inside a multi-region "
                "location; the location is judged"
            ),
        },
        not_judged="autoclass hierarchicalNamespace requesterPays website",
    ),
    tokens.BUCKET_ACL: _row(
        judged={"bucket defaultAcl predefinedAcl roleEntities": BUCKET_UNIFORM}, harmless={"deletionPolicy": DELETION}
    ),
    tokens.BUCKET_ACCESS_CONTROL: _row(
        judged={"bucket entity role": BUCKET_UNIFORM}, harmless={"deletionPolicy": DELETION}
    ),
    tokens.DEFAULT_OBJECT_ACL: _row(
        judged={"bucket roleEntities": BUCKET_UNIFORM}, harmless={"deletionPolicy": DELETION}
    ),
    tokens.DEFAULT_OBJECT_ACCESS_CONTROL: _row(
        judged={"bucket entity object role": BUCKET_UNIFORM}, harmless={"deletionPolicy": DELETION}
    ),
    tokens.OBJECT_ACL: _row(
        judged={"bucket object predefinedAcl roleEntities": BUCKET_UNIFORM}, harmless={"deletionPolicy": DELETION}
    ),
    tokens.OBJECT_ACCESS_CONTROL: _row(
        judged={"bucket entity object role": BUCKET_UNIFORM}, harmless={"deletionPolicy": DELETION}
    ),
    tokens.HMAC_KEY: _row(judged={"serviceAccountEmail state project": NO_KEYS}, harmless={"deletionPolicy": DELETION}),
    "gcp:storage/managedFolder:ManagedFolder": _row(
        judged={"forceDestroy": SELF},
        harmless={"bucket": PARENT, "name": NAME, "deletionPolicy": DELETION},
    ),
    # --- kms -------------------------------------------------------------------------------------
    tokens.KEY_RING: _row(judged={"project": SELF, "location": KEY_AGENTS}, harmless={"name": NAME}),
    tokens.CRYPTO_KEY: _row(
        judged={
            "purpose versionTemplate importOnly skipInitialVersionCreation": KEY_AES,
            "rotationPeriod": KEY_ROTATION,
            "destroyScheduledDuration": KEY_PROTECTED,
            "keyRing": ACCESS_MODEL,
        },
        harmless={
            "name": NAME,
            "labels": LABELS,
            "deletionPolicy": f"{DELETION}; a key must be protected, so a destroy never reaches it (ENC-05)",
        },
        not_judged="cryptoKeyBackend keyAccessJustificationsPolicy",
    ),
    tokens.CRYPTO_KEY_VERSION: _row(
        judged={"cryptoKey deletionPolicy state": KEY_PROTECTED}, not_judged="externalProtectionLevelOptions"
    ),
    tokens.KEY_HANDLE: _row(
        judged={"resourceTypeSelector": KEY_AES, "project": SELF},
        harmless={"location": WHERE, "name": NAME},
    ),
    tokens.KEY_RING_IMPORT_JOB: _row(
        judged={"importMethod protectionLevel keyRing": KEY_AES},
        harmless={"deletionPolicy": DELETION, "importJobId": IMMUTABLE_ID},
    ),
    # --- logging ---------------------------------------------------------------------------------
    **{
        token: _row(
            judged={
                "cmekSettings": LOG_CMEK,
                "retentionDays": LOG_LOCKED,
                "bucketId": f"{LOG_RECEIVES} {SIEM}",
                **({"locked": LOG_LOCKED, "project": SELF} if token == tokens.PROJECT_BUCKET_CONFIG else {}),
            },
            harmless={
                **_common(),
                "location": WHERE,
                **({parent: PARENT} if parent else {}),
                "indexConfigs": "indexes fields for queries; it keeps and moves nothing",
                **(
                    {
                        "enableAnalytics": "lets Log Analytics query the bucket in place; a linked dataset that copies "
                        "the logs out is judged on its own type"
                    }
                    if token == tokens.PROJECT_BUCKET_CONFIG
                    else {}
                ),
            },
        )
        for token, parent in (
            (tokens.PROJECT_BUCKET_CONFIG, ""),
            ("gcp:logging/folderBucketConfig:FolderBucketConfig", "folder"),
            ("gcp:logging/organizationBucketConfig:OrganizationBucketConfig", "organization"),
            ("gcp:logging/billingAccountBucketConfig:BillingAccountBucketConfig", "billingAccount"),
        )
    },
    **{
        token: _row(
            judged={f"filter disabled {parent}": LOG_EXCLUSIONS},
            harmless={"name": NAME, "description": DESCRIPTION},
        )
        for token, parent in (
            (tokens.PROJECT_EXCLUSION, "project"),
            ("gcp:logging/folderExclusion:FolderExclusion", "folder"),
            ("gcp:logging/organizationExclusion:OrganizationExclusion", "orgId"),
            (tokens.BILLING_ACCOUNT_EXCLUSION, "billingAccount"),
        )
    },
    **{
        token: _row(
            judged={
                "filter disabled exclusions": f"{SIEM} {LOG_EXCLUSIONS}",
                # where a sink sends and whose logs it sees are LOG-08's; LOG-10 judges every sink's exclusions
                f"destination {parent}": SIEM,
                **({children: f"{SIEM} {LOG_EXCLUSIONS}"} if children else {}),
                **({"uniqueWriterIdentity customWriterIdentity": SIEM} if token == tokens.PROJECT_SINK else {}),
            },
            harmless={
                **_common(),
                "name": NAME,
                "bigqueryOptions": "the table layout of a BigQuery destination; the destination is judged",
            },
        )
        for token, parent, children in (
            (tokens.PROJECT_SINK, "project", ""),
            ("gcp:logging/folderSink:FolderSink", "folder", "includeChildren interceptChildren"),
            ("gcp:logging/organizationSink:OrganizationSink", "orgId", "includeChildren interceptChildren"),
            (tokens.BILLING_ACCOUNT_SINK, "billingAccount", ""),
        )
    },
    tokens.LINKED_DATASET: _row(judged={"bucket parent location linkId bigqueryDatasets": SIEM}, harmless=_common()),
    tokens.LOG_METRIC: _row(
        judged={
            "filter metricDescriptor valueExtractor bucketName disabled name project": ALERTS,
            "labelExtractors": ALERTS_NOTIFY,  # the label a spike may group by: the principal's
        },
        harmless={**_common(), "bucketOptions": "histogram buckets of a distribution metric"},
    ),
    **{
        token: _row(judged={"auditLogConfigs service": f"{AUDIT_EXEMPT} {AUDIT_ON}", parent: AUDIT_ON})
        for token, parent in (
            ("gcp:projects/iAMAuditConfig:IAMAuditConfig", "project"),
            ("gcp:folder/iamAuditConfig:IamAuditConfig", "folder"),
            ("gcp:organizations/iamAuditConfig:IamAuditConfig", "orgId"),
        )
    },
    # --- pub/sub and alerting: the log path -------------------------------------------------------
    tokens.PUBSUB_TOPIC: _row(
        judged={
            "kmsKeyName": LOG_CMEK,
            "messageTransforms schemaSettings": LOG_PATH,
            "ingestionDataSourceSettings messageStoragePolicy": LOG_PATH,
            "project": SELF,
        },
        harmless={
            "name": NAME,
            "labels tags": LABELS,
            "deletionPolicy": DELETION,
            "messageRetentionDuration": "replay on the topic; each subscription keeps its own backlog (LOG-13)",
        },
    ),
    tokens.PUBSUB_SUBSCRIPTION: _row(
        judged={
            "pushConfig bigqueryConfig cloudStorageConfig": PULL_ONLY,
            "topic filter deadLetterPolicy expirationPolicy messageRetentionDuration": LOG_PATH,
            "messageTransforms": LOG_PATH,
            "project": SELF,
        },
        harmless={
            "name": NAME,
            "labels tags": LABELS,
            "deletionPolicy": DELETION,
            "ackDeadlineSeconds retryPolicy": "when an unacknowledged message is delivered again; it never drops one",
            "enableExactlyOnceDelivery enableMessageOrdering": "delivery guarantees; they drop or divert nothing",
            "retainAckedMessages": "keeps more: acknowledged messages stay for replay (LOG-13)",
        },
    ),
    tokens.ALERT_POLICY: _row(
        judged={
            "conditions notificationChannels": ALERTS,
            "combiner alertStrategy enabled severity": ALERTS_NOTIFY,
            "project": SELF,
        },
        harmless={
            "deletionPolicy": DELETION,
            "displayName": NAME,
            "documentation": "text sent with a notification",
            "userLabels": LABELS,
        },
    ),
    tokens.SCC_PROJECT_NOTIFICATION: _row(
        judged={"project pubsubTopic streamingConfig": FINDINGS},
        harmless={
            **_common("configId"),
            "location": "the Security Command Center location that holds the config; which findings it sends is "
            "streamingConfig's",
        },
    ),
    "gcp:securitycenter/projectNotificationConfig:ProjectNotificationConfig": _row(
        judged={"project pubsubTopic streamingConfig": FINDINGS}, harmless=_common("configId")
    ),
    tokens.NOTIFICATION_CHANNEL: _row(
        judged={"type labels enabled": ALERTS, "project": SELF},
        harmless={
            **_common(),
            "displayName": NAME,
            "userLabels": LABELS,
            "forceDelete": "deletes the channel even when a policy uses it; the policies' channels are judged",
            "sensitiveLabels": "the channel's credentials (a token or password), kept secret by the provider",
        },
    ),
    # --- iam -------------------------------------------------------------------------------------
    tokens.SERVICE_ACCOUNT_KEY: _row(
        judged={"serviceAccountId publicKeyData keyAlgorithm privateKeyType publicKeyType": NO_KEYS},
        harmless={"deletionPolicy": DELETION, "keepers": "values that force a new key when they change"},
    ),
    tokens.WORKLOAD_IDENTITY_POOL_PROVIDER: _row(
        judged={
            "attributeCondition": f"{FEDERATED_SUBJECT} {NO_KEYS}",
            "attributeMapping oidc saml aws x509 workloadIdentityPoolId": FEDERATED_SUBJECT,
            "project": SELF,
        },
        harmless={
            **_common(),
            "displayName": NAME,
            "workloadIdentityPoolProviderId": IMMUTABLE_ID,
            "disabled": "a disabled provider federates nobody; an enabled one is judged on what it admits",
        },
    ),
    "gcp:projects/iAMCustomRole:IAMCustomRole": _row(
        judged={"permissions stage": LEAST_PRIVILEGE, "roleId": LEAST_PRIVILEGE, "project": SELF},
        harmless={**_common(), "title": NAME},
    ),
    "gcp:organizations/iAMCustomRole:IAMCustomRole": _row(
        judged={"permissions stage roleId orgId": LEAST_PRIVILEGE}, harmless={**_common(), "title": NAME}
    ),
    tokens.DENY_POLICY: _row(
        judged={"parent rules": f"{DENY_READABLE} {GRANT_CAPABLE_DENIED}"},
        harmless={"name": IMMUTABLE_ID, "displayName": NAME, "deletionPolicy": DELETION},
    ),
    tokens.DEFAULT_SERVICE_ACCOUNTS: _row(
        judged={"action project": DEFAULT_ACCOUNTS},
        harmless={"restorePolicy": "what a destroy restores (the accounts' former state); it changes no setting"},
    ),
    tokens.SERVICE_ACCOUNT: _row(
        judged={"project": SELF},
        harmless={
            **_common("accountId"),
            "displayName": NAME,
            "disabled": "a disabled account can do nothing; its grants are judged",
            "createIgnoreAlreadyExists": "adopts an existing account of the same id; its grants are judged",
        },
    ),
    tokens.WORKLOAD_IDENTITY_POOL: _row(
        judged={"project": SELF},
        harmless={
            **_common("workloadIdentityPoolId"),
            "displayName": NAME,
            "disabled": "a disabled pool federates nobody",
        },
        not_judged="mode attestationRules inlineCertificateIssuanceConfig inlineTrustConfig",
    ),
    "gcp:projects/serviceIdentity:ServiceIdentity": _row(
        judged={"project": SELF}, harmless={"service": "names the Google service whose agent it creates"}
    ),
    tokens.PROJECT_SERVICE: _row(
        judged={"service disableOnDestroy": SERVICES, "project": SELF},
        harmless={
            "deletionPolicy": DELETION,
            "disableDependentServices": "what a destroy disables besides; disableOnDestroy is judged",
            "checkIfServiceHasUsageOnDestroy": "a safety check before a destroy disables the API",
        },
    ),
    # --- the service perimeter --------------------------------------------------------------------
    tokens.SERVICE_PERIMETER: _row(
        judged={
            "status spec": PERIMETER_ALL,
            "useExplicitDryRunSpec": f"{IN_PERIMETER} {PERIMETER_SERVICES}",
            "perimeterType": f"{IN_PERIMETER} {NO_BRIDGE}",
        },
        harmless={
            **_common(),
            "title": NAME,
            "name": "its name in the access policy; what it protects and admits is judged on status and spec",
            "parent": "the organisation's access policy it belongs to; what it restricts is judged on status and spec",
        },
    ),
    **{
        token: _row(judged={"perimeterName resource": IN_PERIMETER}, harmless={"deletionPolicy": DELETION})
        for token in sorted(tokens.PERIMETER_MEMBERSHIP)
    },
    **{
        token: _row(
            judged={"ingressFrom ingressTo perimeter": PERIMETER_INGRESS},
            harmless={"deletionPolicy": DELETION, "title": NAME},
        )
        for token in sorted(tokens.PERIMETER_INGRESS_RULES)
    },
    **{
        token: _row(
            judged={"egressFrom egressTo perimeter": PERIMETER_EGRESS},
            harmless={"deletionPolicy": DELETION, "title": NAME},
        )
        for token in sorted(tokens.PERIMETER_EGRESS_RULES)
    },
    tokens.ACCESS_LEVEL: _row(
        judged={"basic custom name": ACCESS_LEVELS},
        harmless={
            **_common(),
            "title": NAME,
            "parent": "the organisation's access policy it belongs to; what it admits is judged on basic and custom",
        },
    ),
    tokens.ACCESS_LEVEL_CONDITION: _row(
        judged={"accessLevel ipSubnetworks members negate requiredAccessLevels vpcNetworkSources": ACCESS_LEVELS},
        harmless={
            "deletionPolicy": DELETION,
            "devicePolicy regions": "narrows whom the condition admits: every field of a condition must match",
        },
    ),
    # --- org policies and the project --------------------------------------------------------------
    tokens.ORG_POLICY: _row(judged={"name parent spec dryRunSpec": GUARD_RAILS}, harmless={"deletionPolicy": DELETION}),
    tokens.ORG_POLICY_V1: _row(
        judged={"constraint booleanPolicy listPolicy restorePolicy project": GUARD_RAILS},
        harmless={"deletionPolicy": DELETION, "version": "the policy schema version (always 1)"},
    ),
    tokens.PROJECT: _row(
        judged={"autoCreateNetwork": NO_DEFAULT_NETWORK},
        harmless={"name": NAME, "labels": LABELS, "deletionPolicy": DELETION, "projectId": IMMUTABLE_ID},
        not_judged="billingAccount folderId orgId tags",
    ),
    # --- network ---------------------------------------------------------------------------------
    tokens.NETWORK: _row(
        judged={
            "autoCreateSubnetworks deleteDefaultRoutesOnCreate": CUSTOM_MODE,
            "name": f"{NO_DEFAULT_NETWORK} {VIEWER_EGRESS}",
            "project": SELF,
        },
        harmless={
            **_common(),
            "mtu": SIZE,
            "params": LABELS,
            "routingMode": (
                "which regions use the routes a Cloud Router learns; what a router may learn is judged on its "
                "peers (NET-02)"
            ),
            "networkFirewallPolicyEnforcementOrder": (
                "whether the network's firewall policies apply before or after its VPC rules: every allow rule "
                "of both is judged on its own, so no order admits more than the allow rules do"
            ),
        },
        not_judged=(
            "bgpAlwaysCompareMed bgpBestPathSelectionMode bgpInterRegionCost deleteBgpAlwaysCompareMed "
            "enableUlaInternalIpv6 internalIpv6Range networkProfile"
        ),
    ),
    tokens.SUBNETWORK: _row(
        judged={
            "ipCidrRange secondaryIpRanges network": BUCKET_IP_FILTER,
            "logConfig": FLOW_LOGS,
            "privateIpGoogleAccess": PGA,
            "stackType ipv6AccessType externalIpv6Prefix": FW_DENIES,
            "project": SELF,
        },
        harmless={**_common(), "name": NAME, "region": WHERE, "params": LABELS},
        not_judged=(
            "allowSubnetCidrRoutesOverlap internalIpv6Prefix ipCollection privateIpv6GoogleAccess purpose "
            "reservedInternalRange resolveSubnetMask role sendSecondaryIpRangeIfEmpty"
        ),
    ),
    tokens.ROUTE: _row(
        judged={
            "destRange nextHopGateway": f"{CUSTOM_MODE} {RESTRICTED_APIS}",
            # NET-02 judges every route whatever its network; NET-05 looks for each network's own route
            "network": RESTRICTED_APIS,
            "nextHopIp nextHopVpnTunnel nextHopIlb nextHopInstance": CUSTOM_MODE,
            "project": SELF,
        },
        harmless={
            **_common(),
            "name": NAME,
            "params": LABELS,
            "nextHopInstanceZone": "the zone of nextHopInstance, which is never a declared next hop (NET-02)",
            "priority": "which of two routes to one range wins: every route is judged on its own (NET-02)",
            "tags": (
                "narrows which workloads use the route; the others have no route there at all, the default "
                "routes being deleted (NET-02)"
            ),
        },
    ),
    tokens.FIREWALL: _row(
        judged={
            "direction disabled targetTags targetServiceAccounts": FW_ALL,
            # an allow rule is judged wherever it is; a deny rule lets nothing through (a VPC rule has one of
            # them: ExactlyOneOf allow, deny in resource_compute_firewall.go, terraform-provider-google-beta 93c65b2)
            "allows": FW_ALLOWS,
            "denies network": FW_DENIES,
            # a source narrows an egress rule (the deny-all must not be narrowed) and judges an ingress allow;
            # an ingress rule's sourceTags/sourceServiceAccounts only add sources to its sourceRanges
            "sourceRanges": f"{FW_IN} gcp-compute-network-denies-egress",
            "sourceTags sourceServiceAccounts": (
                "gcp-compute-firewall-ingress-allowlist gcp-compute-network-denies-egress"
            ),
            "destinationRanges": f"{FW_OUT} gcp-compute-network-denies-ingress",
            "logConfig": FW_LOGS,
            "project": SELF,
        },
        harmless={
            **_common(),
            "name": NAME,
            "params": LABELS,
            "priority": (
                "the order rules apply in: every allow rule is judged on its own, and a deny-all denies what no "
                "allow rule admits at any priority"
            ),
            "enableLogging": (
                "read by the provider only when logConfig is absent, which LOG-04 reports; with logConfig the "
                "provider sends enable true whatever it says (terraform-provider-google-beta 93c65b2, "
                "google-beta/services/compute/resource_compute_firewall.go, expandComputeFirewallLogConfig)"
            ),
        },
    ),
    **dict.fromkeys(("gcp:compute/firewallPolicyRule:FirewallPolicyRule",), _FIREWALL_POLICY_RULE),
    "gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule": {
        **_NETWORK_FIREWALL_POLICY_RULE,
        **_row(judged={"targetType targetForwardingRules project": FW_ALL}, harmless={"ruleName": NAME}),
    },
    "gcp:compute/regionNetworkFirewallPolicyRule:RegionNetworkFirewallPolicyRule": {
        **_NETWORK_FIREWALL_POLICY_RULE,
        **_row(
            judged={"targetType targetForwardingRules project": FW_ALL},
            harmless={"ruleName": NAME, "region": WHERE},
        ),
    },
    "gcp:compute/firewallPolicyWithRules:FirewallPolicyWithRules": _row(
        judged={"rules parent": f"{FW_ALL} {FW_LOGS}"}, harmless={**_common(), "shortName": NAME}
    ),
    "gcp:compute/networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules": _row(
        judged={"rules policyType project": f"{FW_ALL} {FW_LOGS}"}, harmless={**_common(), "name": NAME}
    ),
    "gcp:compute/regionNetworkFirewallPolicyWithRules:RegionNetworkFirewallPolicyWithRules": _row(
        judged={"rules policyType project": f"{FW_ALL} {FW_LOGS}"},
        harmless={**_common(), "name": NAME, "region": WHERE},
    ),
    "gcp:compute/firewallPolicy:FirewallPolicy": _row(
        judged={"parent": FW_OUT}, harmless={**_common(), "shortName": NAME}
    ),
    "gcp:compute/networkFirewallPolicy:NetworkFirewallPolicy": _row(
        judged={"policyType project": FW_OUT}, harmless={**_common(), "name": NAME}
    ),
    "gcp:compute/regionNetworkFirewallPolicy:RegionNetworkFirewallPolicy": _row(
        judged={"policyType project": FW_OUT}, harmless={**_common(), "name": NAME, "region": WHERE}
    ),
    "gcp:compute/firewallPolicyAssociation:FirewallPolicyAssociation": _row(
        judged={"attachmentTarget firewallPolicy": FW_OUT}, harmless={"deletionPolicy": DELETION, "name": NAME}
    ),
    "gcp:compute/networkFirewallPolicyAssociation:NetworkFirewallPolicyAssociation": _row(
        judged={"attachmentTarget firewallPolicy project": FW_OUT}, harmless={"deletionPolicy": DELETION, "name": NAME}
    ),
    "gcp:compute/regionNetworkFirewallPolicyAssociation:RegionNetworkFirewallPolicyAssociation": _row(
        judged={"attachmentTarget firewallPolicy project priority": FW_OUT},
        harmless={"deletionPolicy": DELETION, "name": NAME, "region": WHERE},
    ),
    tokens.NETWORK_PEERING: _row(
        judged={
            "network peerNetwork exportCustomRoutes importCustomRoutes": CUSTOM_MODE,
            "exportSubnetRoutesWithPublicIp importSubnetRoutesWithPublicIp": CUSTOM_MODE,
        },
        harmless={"deletionPolicy": DELETION, "name": NAME},
        not_judged="stackType updateStrategy",
    ),
    tokens.NETWORK_PEERING_ROUTES_CONFIG: _row(
        judged={
            "network peering exportCustomRoutes importCustomRoutes project": CUSTOM_MODE,
            "exportSubnetRoutesWithPublicIp importSubnetRoutesWithPublicIp": CUSTOM_MODE,
        },
    ),
    tokens.ROUTER_PEER: _row(
        judged={"customLearnedIpRanges customLearnedRoutePriority importPolicies router": CUSTOM_MODE, "project": SELF},
        harmless={
            "deletionPolicy": DELETION,
            "name": NAME,
            "region": WHERE,
            "interface ipAddress peerAsn peerIpAddress enable bfd md5AuthenticationKey": BGP_SESSION,
            "enableIpv4 enableIpv6 ipv4NexthopAddress ipv6NexthopAddress": BGP_SESSION,
            "peerIpv4NexthopAddress peerIpv6NexthopAddress": BGP_SESSION,
            "advertiseMode advertisedGroups advertisedIpRanges advertisedRoutePriority": BGP_ADVERTISED,
            "zeroAdvertisedRoutePriority": BGP_ADVERTISED,
        },
        not_judged="exportPolicies routerApplianceInstance zeroCustomLearnedRoutePriority",
    ),
    tokens.ROUTER_NAT: _row(
        judged={"logConfig": NAT_LOGS, "project": SELF},
        harmless={
            "deletionPolicy": DELETION,
            "name": NAME,
            "region": WHERE,
            "router": PARENT,
            "icmpIdleTimeoutSec tcpEstablishedIdleTimeoutSec tcpTimeWaitTimeoutSec tcpTransitoryIdleTimeoutSec": SIZE,
            "udpIdleTimeoutSec maxPortsPerVm minPortsPerVm enableDynamicPortAllocation": SIZE,
        },
        not_judged=(
            "autoNetworkTier drainNatIps enableEndpointIndependentMapping endpointTypes initialNatIps "
            "nat64Subnetworks natIpAllocateOption natIps rules sourceSubnetworkIpRangesToNat "
            "sourceSubnetworkIpRangesToNat64 subnetworks type"
        ),
    ),
    tokens.VPC_ACCESS_CONNECTOR: _row(
        judged={"network subnet ipCidrRange": VIEWER_EGRESS, "project": SELF},
        harmless={
            "deletionPolicy": DELETION,
            "name": NAME,
            "region": WHERE,
            "machineType maxInstances maxThroughput minInstances minThroughput": SIZE,
        },
    ),
    # --- dns -------------------------------------------------------------------------------------
    tokens.DNS_MANAGED_ZONE: _row(
        judged={
            "dnsName visibility privateVisibilityConfig forwardingConfig peeringConfig": RESTRICTED_APIS,
            "project": SELF,
        },
        harmless={
            **_common(),
            "name": NAME,
            "labels": LABELS,
            "forceDestroy": "deletes the zone's records with it; the records the site needs are judged as present",
        },
        not_judged="cloudLoggingConfig dnssecConfig reverseLookup serviceDirectoryConfig",
    ),
    tokens.DNS_POLICY: _row(
        judged={
            "alternativeNameServerConfig": RESTRICTED_APIS,
            "enableLogging networks": DNS_LOGS,
            "project": SELF,
        },
        harmless={
            **_common(),
            "name": NAME,
            "enableInboundForwarding": (
                "lets the hospital's resolvers query the VPC's zones; the site's own queries still resolve in "
                "Cloud DNS (alternativeNameServerConfig is judged)"
            ),
        },
        not_judged="dns64Config",
    ),
    tokens.DNS_RECORD_SET: _row(
        judged={"managedZone name rrdatas type routingPolicy": RESTRICTED_APIS, "project": SELF},
        harmless={"deletionPolicy": DELETION, "ttl": SIZE},
    ),
    tokens.DNS_RESPONSE_POLICY_RULE: _row(
        judged={"behavior dnsName localData responsePolicy": RESTRICTED_APIS, "project": SELF},
        harmless={"deletionPolicy": DELETION, "ruleName": NAME},
    ),
    # --- the edge and the viewer ---------------------------------------------------------------------
    **{
        token: _row(
            judged={
                "protocol": BACKEND_HTTPS,
                "logConfig": BACKEND_LOGS,
                "securityPolicy": f"{ARMOR_IN_STACK} {ARMOR}",
                "backends iap loadBalancingScheme healthChecks portName": TRAFFIC,
                "project": SELF,
            },
            harmless={
                **_common(),
                "name": NAME,
                "tlsSettings": (
                    "how the load balancer checks the backend's certificate (SNI, accepted names): it can only "
                    "add checks to the TLS that protocol sets"
                ),
                **(
                    {
                        "edgeSecurityPolicy": (
                            "an edge policy filters requests before the backend's securityPolicy, which every "
                            "request reaching the backend still meets: it can only deny more (serving from a cache "
                            "needs enableCdn, not judged)"
                        )
                    }
                    if regional == ""
                    else {}
                ),
                "affinityCookieTtlSec circuitBreakers connectionDrainingTimeoutSec consistentHash": SIZE,
                "localityLbPolicy outlierDetection sessionAffinity timeoutSec strongSessionAffinityCookie": SIZE,
                "ipAddressSelectionPolicy customMetrics dynamicForwarding": SIZE,
                "params": LABELS,
                **({"region": WHERE} if regional else {}),
            },
            not_judged=(
                "cdnPolicy enableCdn networkPassThroughLbTrafficPolicy serviceLbPolicy "
                + (
                    "compressionMode customRequestHeaders customResponseHeaders externalManagedMigrationState "
                    "externalManagedMigrationTestingPercentage localityLbPolicies maxStreamDuration securitySettings"
                    if regional == ""
                    else "connectionTrackingPolicy failoverPolicy haPolicy network subsetting"
                )
            ),
        )
        for token, regional in (
            ("gcp:compute/backendService:BackendService", ""),
            ("gcp:compute/regionBackendService:RegionBackendService", "region"),
        )
    },
    **{
        token: _row(
            judged={"rules type": ARMOR, "project": SELF},
            harmless={**_common(), "name": NAME, **({"region": WHERE} if "region" in token else {"labels": LABELS})},
            not_judged=(
                "advancedOptionsConfig ddosProtectionConfig userDefinedFields"
                if "region" in token
                else "adaptiveProtectionConfig advancedOptionsConfig recaptchaOptionsConfig"
            ),
        )
        for token in sorted(tokens.SECURITY_POLICIES)
    },
    tokens.SECURITY_POLICY_RULE: _row(
        judged={"action match preconfiguredWafConfig preview priority securityPolicy": ARMOR, "project": SELF},
        harmless={"description": DESCRIPTION, "deletionPolicy": DELETION},
        not_judged="headerAction rateLimitOptions redirectOptions",
    ),
    "gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule": _row(
        judged={
            "action match networkMatch preconfiguredWafConfig preview priority securityPolicy": ARMOR,
            "project": SELF,
        },
        harmless={"description": DESCRIPTION, "deletionPolicy": DELETION, "region": WHERE},
        not_judged="rateLimitOptions",
    ),
    **{
        token: _row(
            judged={"minTlsVersion profile customFeatures": SSL_MODERN, "project": SELF},
            harmless={**_common(), "name": NAME, **({"region": WHERE} if "region" in token.lower() else {})},
            not_judged="postQuantumKeyExchange",
        )
        for token in sorted(tokens.SSL_POLICIES)
    },
    **{
        token: _row(
            judged={"certificate privateKey privateKeyWo privateKeyWoVersion": TLS_PROXY, "project": SELF},
            harmless={
                **_common(),
                "name namePrefix": NAME,
                **({"region": WHERE} if "region" in token.lower() else {}),
            },
        )
        for token in sorted(tokens.SELF_MANAGED_CERTIFICATES)
    },
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy": _row(
        judged={
            "sslPolicy": TLS_PROXY,
            "sslCertificates": "gcp-certificatemanager-references-in-stack",
            "urlMap certificateManagerCertificates certificateMap serverTlsPolicy": TRAFFIC,
            "quicOverride tlsEarlyData": TRAFFIC,
            "project": SELF,
        },
        harmless={**_common(), "name": NAME, "httpKeepAliveTimeoutSec": SIZE},
        not_judged="proxyBind",
    ),
    "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy": _row(
        judged={
            "sslPolicy sslCertificates": TLS_PROXY,
            "urlMap certificateManagerCertificates serverTlsPolicy": TRAFFIC,
            "project": SELF,
        },
        harmless={**_common(), "name": NAME, "region": WHERE, "httpKeepAliveTimeoutSec": SIZE},
    ),
    "gcp:compute/targetSSLProxy:TargetSSLProxy": _row(
        judged={"sslPolicy sslCertificates": TLS_PROXY, "backendService certificateMap": TRAFFIC, "project": SELF},
        harmless={**_common(), "name": NAME},
        not_judged="proxyHeader",
    ),
    "gcp:compute/targetHttpProxy:TargetHttpProxy": _row(
        judged={"urlMap": REDIRECT_ONLY, "project": SELF},
        harmless={**_common(), "name": NAME, "httpKeepAliveTimeoutSec": SIZE},
        not_judged="proxyBind",
    ),
    "gcp:compute/regionTargetHttpProxy:RegionTargetHttpProxy": _row(
        judged={"urlMap": REDIRECT_ONLY, "project": SELF},
        harmless={**_common(), "name": NAME, "region": WHERE, "httpKeepAliveTimeoutSec": SIZE},
    ),
    "gcp:compute/uRLMap:URLMap": _row(
        judged={
            "defaultUrlRedirect defaultService": f"{REDIRECT_ONLY} {TRAFFIC}",
            "defaultRouteAction hostRules pathMatchers headerAction defaultCustomErrorResponsePolicy": TRAFFIC,
            "project": SELF,
        },
        harmless={**_common(), "name": NAME, "tests": "assertions checked by the API when the map is saved"},
    ),
    "gcp:compute/regionUrlMap:RegionUrlMap": _row(
        judged={
            "defaultUrlRedirect defaultService": f"{REDIRECT_ONLY} {TRAFFIC}",
            "defaultRouteAction hostRules pathMatchers headerAction": TRAFFIC,
            "project": SELF,
        },
        harmless={
            **_common(),
            "name": NAME,
            "region": WHERE,
            "tests": "assertions checked by the API when the map is saved",
        },
    ),
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": _row(
        judged={
            "target": f"{REDIRECT_ONLY} {RESTRICTED_APIS}",
            "project": SELF,
        },
        harmless={
            **_common(),
            "name": NAME,
            "labels": LABELS,
            "ipVersion networkTier": SIZE,
            "ipAddress ipProtocol portRange loadBalancingScheme network subnetwork": LISTENS,
        },
        not_judged=(
            "allowPscGlobalAccess externalManagedBackendBucketMigrationState "
            "externalManagedBackendBucketMigrationTestingPercentage metadataFilters noAutomateDnsZone "
            "serviceDirectoryRegistrations sourceIpRanges"
        ),
    ),
    "gcp:compute/forwardingRule:ForwardingRule": _row(
        judged={
            "target": f"{REDIRECT_ONLY} {RESTRICTED_APIS}",
            "backendService": REDIRECT_ONLY,
            "project": SELF,
        },
        harmless={
            **_common(),
            "name": NAME,
            "labels": LABELS,
            "region": WHERE,
            "ipVersion networkTier": SIZE,
            "ipAddress ipProtocol portRange ports allPorts loadBalancingScheme network subnetwork": LISTENS,
        },
        not_judged=(
            "allowGlobalAccess allowPscGlobalAccess ipCollection isMirroringCollector noAutomateDnsZone "
            "recreateClosedPsc serviceDirectoryRegistrations serviceLabel sourceIpRanges"
        ),
    ),
    "gcp:cloudrunv2/service:Service": _row(
        judged={
            "template": f"{NO_PUBLIC_ADDRESS} {VIEWER_EGRESS} {VIEWER_BINAUTHZ}",
            "binaryAuthorization": VIEWER_BINAUTHZ,
            "ingress invokerIamDisabled": "gcp-cloudrun-not-public",
            "project": SELF,
        },
        harmless={
            **_common(),
            "iapEnabled": "turns on IAP in front of the service itself: it can only narrow who invokes it",
            "defaultUriDisabled": (
                "true removes the run.app URL; kept, the URL still admits only the load balancer (ingress, IAM-09)"
            ),
            "name": NAME,
            "labels annotations": LABELS,
            "location": WHERE,
            "scaling": SIZE,
            "client clientVersion launchStage": "who deployed it and the feature stage it uses",
            "customAudiences": "extra audiences an ID token may carry; who may invoke is judged on the grants",
            "traffics": "splits traffic between the service's own revisions",
            "deletionProtection": "guards the service against a destroy; the service keeps no images or logs",
        },
        not_judged="buildConfig functionalType multiRegionSettings sshEnabled tags",
    ),
    "gcp:cloudrun/service:Service": _row(
        judged={"metadata template": f"{NO_PUBLIC_ADDRESS} {VIEWER_EGRESS} {VIEWER_BINAUTHZ}", "project": SELF},
        harmless={
            "deletionPolicy": DELETION,
            "name": NAME,
            "location": WHERE,
            "autogenerateRevisionName": NAME,
            "traffics": "splits traffic between the service's own revisions",
        },
    ),
    **{
        token: _row(
            judged={
                "networkInterfaces": NO_PUBLIC_ADDRESS,
                "project": SELF,
            },
            harmless={
                **_INSTANCE_HARMLESS,
                **(
                    {
                        "zone": WHERE,
                        "hostname": NAME,
                        "desiredStatus allowStoppingForUpdate": SIZE,
                        "eraseWindowsVssSignature": SIZE,
                        "params": LABELS,
                    }
                    if token == "gcp:compute/instance:Instance"
                    else {"namePrefix instanceDescription": NAME, "region": WHERE, "resourceManagerTags": LABELS}
                ),
                **({} if token == "gcp:compute/instanceTemplate:InstanceTemplate" else {"deletionPolicy": DELETION}),
            },
            not_judged=_INSTANCE_NOT_JUDGED
            + (
                " attachedDisks bootDisk scratchDisks deletionProtection instanceEncryptionKey"
                if token == "gcp:compute/instance:Instance"
                else " disks"
            ),
        )
        for token in sorted(tokens.VM_TYPES)
    },
    # --- harmless types and the traffic references of other controls ------------------------------
    "gcp:compute/globalAddress:GlobalAddress": _row(
        judged={"project": SELF},
        harmless={
            **_common(),
            "name": NAME,
            "labels": LABELS,
            "address addressType ipVersion prefixLength purpose network": (
                "reserves an address; what it exposes is judged on the forwarding rules that use it"
            ),
        },
    ),
    "gcp:compute/managedSslCertificate:ManagedSslCertificate": _row(
        judged={"managed type": TRAFFIC, "project": SELF}, harmless={**_common(), "name": NAME}
    ),
    "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup": _row(
        judged={
            "cloudRun cloudFunction appEngine serverlessDeployment networkEndpointType pscTargetService": TRAFFIC,
            "pscData network subnetwork": TRAFFIC,
            "project": SELF,
        },
        harmless={**_common(), "name": NAME, "region": WHERE},
    ),
    "gcp:compute/globalNetworkEndpointGroup:GlobalNetworkEndpointGroup": _row(
        judged={"networkEndpointType defaultPort": TRAFFIC, "project": SELF},
        harmless={**_common(), "name": NAME},
    ),
    "gcp:compute/networkEndpointGroup:NetworkEndpointGroup": _row(
        judged={"networkEndpointType defaultPort network subnetwork": TRAFFIC, "project": SELF},
        harmless={**_common(), "name": NAME, "zone": WHERE},
    ),
    "gcp:certificatemanager/certificate:Certificate": _row(
        judged={"managed selfManaged scope": CERTIFICATES, "project": SELF},
        harmless={**_common(), "name": NAME, "labels": LABELS, "location": WHERE},
    ),
    "gcp:certificatemanager/certificateMap:CertificateMap": _row(
        judged={"project": SELF}, harmless={**_common(), "name": NAME, "labels": LABELS}
    ),
    "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry": _row(
        judged={"certificates hostname matcher map": CERTIFICATES, "project": SELF},
        harmless={**_common(), "name": NAME, "labels": LABELS},
    ),
    "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": _row(
        judged={"domain type": CERTIFICATES, "project": SELF},
        harmless={**_common(), "name": NAME, "labels": LABELS, "location": WHERE},
    ),
    "gcp:certificatemanager/trustConfig:TrustConfig": _row(
        judged={"project": SELF},
        harmless={
            **_common(),
            "name": NAME,
            "labels": LABELS,
            "location": WHERE,
            "allowlistedCertificates trustStores": "public trust anchors for client certificates: no key, no route",
        },
    ),
    "gcp:monitoring/snooze:Snooze": _row(
        judged={"criteria interval": ALERTS_NOTIFY, "project": SELF}, harmless={"displayName": NAME}
    ),
    "gcp:compute/address:Address": _row(
        judged={"project": SELF},
        harmless={
            **_common(),
            "name": NAME,
            "labels": LABELS,
            "region": WHERE,
            "address addressType ipCollection ipVersion ipv6EndpointType networkTier prefixLength purpose": (
                "reserves an address; what it exposes is judged on the forwarding rules that use it"
            ),
            "network subnetwork": "reserves an address; what it exposes is judged on the forwarding rules that use it",
        },
    ),
    "gcp:binaryauthorization/policy:Policy": _row(
        judged={
            "defaultAdmissionRule clusterAdmissionRules admissionWhitelistPatterns": BINAUTHZ,
            "project": SELF,
        },
        harmless={
            **_common(),
            "globalPolicyEvaluationMode": (
                "Google's global policy admits only Google-maintained system images, on GKE only; every image of the "
                "site's Cloud Run services is judged by the rules"
            ),
        },
    ),
    "gcp:binaryauthorization/attestor:Attestor": _row(
        judged={"name attestationAuthorityNote": BINAUTHZ, "project": SELF},
        harmless=_common(),
    ),
    "gcp:compute/router:Router": _row(
        judged={"project": SELF},
        harmless={**_common(), "name": NAME, "region": WHERE, "network": PARENT, "params": LABELS},
        not_judged="bgp encryptedInterconnectRouter md5AuthenticationKeys nccGateway",
    ),
}
"""Every property of every non-IAM type the pack judges, classified."""


IAM_GRANT_FIELDS: Final = frozenset({"role", "member", "members", "condition", "policyData"})
"""What an IAM member, binding or policy grants: judged by every IAM control (IAM-01 to IAM-07, ENC-06/07,
the viewer's and the log path's grant checks)."""

IAM_JUDGED_BY: Final = "the IAM controls (gcp-iam-*, gcp-kms-* grants, gcp-cloudrun-not-public, ...)"


def iam_verdict(prop: str) -> Verdict:
    """An IAM grant resource's property: what it grants is judged by the IAM controls; every other input
    (``project``, ``bucket``, ``cryptoKeyId``, ``location``, ...) names the resource it grants on, which
    those controls resolve to judge the grant against that resource."""
    if prop in IAM_GRANT_FIELDS:
        return Verdict("judged", IAM_JUDGED_BY)
    if prop == "deletionPolicy":
        return Verdict("harmless", DELETION)
    return Verdict("judged", "the IAM controls, as the resource the grant applies to")


def verdict(token: str, prop: str) -> Verdict | None:
    """How the pack treats ``prop`` of ``token``; ``None`` when the type is not in the closed world of
    properties (a type the pack does not judge) or the schema has no such input (the provider's ``Check``
    refuses it before any step; an output echoed into the inputs is not a property a plan sets)."""
    row = PROPERTIES.get(token)
    if row is not None:
        return row.get(prop)
    if token in tokens.IAM_GRANTS:
        return iam_verdict(prop)
    return None


def _cell(row: dict[str, Verdict], kind: Kind) -> str:
    """The properties of ``kind`` in one README cell, grouped by who judges them or why they are harmless."""
    groups: dict[str, list[str]] = {}
    for prop in sorted(row):
        if row[prop].kind == kind:
            groups.setdefault(row[prop].by, []).append(f"`{prop}`")
    if kind == "not judged":
        return ", ".join(groups.get("", [])) or "-"
    return "<br>".join(f"{', '.join(props)}: {by.replace('|', '/')}" for by, props in sorted(groups.items())) or "-"


def render() -> str:
    """The README's property table: one row per judged type (IAM grants as one family row)."""
    lines = [
        "| Type | Judged (by) | Harmless (why) | Not judged: a finding unless `allowedProperties` gives a reason |",
        "|---|---|---|---|",
    ]
    for token in sorted(PROPERTIES):
        row = PROPERTIES[token]
        cells = (_cell(row, "judged"), _cell(row, "harmless"), _cell(row, "not judged"))
        lines.append(f"| `{token}` | {' | '.join(cells)} |")
    lines.append(
        f"| every IAM member, binding and policy ({len(tokens.IAM_GRANTS)} types) | "
        f"{', '.join(f'`{p}`' for p in sorted(IAM_GRANT_FIELDS))}: {IAM_JUDGED_BY}<br>every other input: "
        f"the resource the grant applies to, resolved by the same controls | `deletionPolicy`: {DELETION} | - |"
    )
    return "\n".join(lines) + "\n"
