"""The stored form's rules as patterns, each with the provider source it comes from.

Each :class:`StoredForm` says what one output of a type looks like after ``up`` (the model's
``existing`` mode, :mod:`preflight.engine.stored_forms`). The hand rows were read one by one in
hashicorp/terraform-provider-google-beta at commit 526c796ae0b989c66edc516454f8be806958c5c2 (the v8
branch ``FEATURE-BRANCH-major-release-8.0.0``; each cited file is identical on main at 93c65b2d), in
the file and function named in ``source`` (under ``google-beta/``). The generated rows
(:func:`generated_rows`) state the rules of ``stored_forms.json``: every IAM grant type's id, etag and
written-back parent fields by family, every other judged type's id template and schema defaults. The
tests hold the model to every row and every row to the pinned schema.
"""

from __future__ import annotations

from collections.abc import Iterator

from preflight.engine.stored_families import StoredForm, generated_rows

_P = r"[^/]+"
_V1 = r"https://www\.googleapis\.com/compute/v1/projects/"
_API = r"https://www\.googleapis\.com/compute/beta/projects/"
_MEMBER = r"/roles/[^/]+/[a-zA-Z]+:.+"
_CREATE_ID = "the id ReplaceVars in the resource's Create"
_SELF_LINK = "Read: d.Set('self_link', ConvertSelfLinkToV1(...))"


def _compute(token: str, file: str, collection: str, scope: str = "global") -> list[StoredForm]:
    where = (
        f"projects/{_P}/{scope}/{collection}/{_P}"
        if scope == "global"
        else f"projects/{_P}/regions/{_P}/{collection}/{_P}"
    )
    return [
        StoredForm(token, "id", where, f"services/compute/{file}: {_CREATE_ID}"),
        StoredForm(token, "selfLink", _V1 + ".+", f"services/compute/{file}: {_SELF_LINK}"),
    ]


HAND_ROWS: tuple[StoredForm, ...] = (
    StoredForm(
        "gcp:projects/organizationPolicy:OrganizationPolicy",
        "id",
        f"{_P}:{_P}",
        "services/resourcemanager/resource_google_project_organization_policy.go: Create "
        "d.SetId(fmt.Sprintf('%s:%s', project, constraint)) as declared",
    ),
    StoredForm(
        "gcp:projects/organizationPolicy:OrganizationPolicy",
        "constraint",
        r"constraints/[a-zA-Z]+\.[a-zA-Z]+",
        "services/resourcemanager/resource_google_project_organization_policy.go: Read "
        "d.Set('constraint', policy.Constraint) (the API's 'constraints/' form)",
    ),
    StoredForm(
        "gcp:cloudrunv2/service:Service",
        "ingress",
        "INGRESS_TRAFFIC_(ALL|INTERNAL_ONLY|INTERNAL_LOAD_BALANCER)",
        "services/cloudrunv2/resource_cloud_run_v2_service.go: 'ingress' Optional+Computed, "
        "flattenCloudRunV2ServiceIngress returns the API's value (INGRESS_TRAFFIC_ALL when the service sets none)",
    ),
    StoredForm(
        "gcp:cloudrunv2/service:Service",
        "binaryAuthorization.useDefault",
        "True",
        "services/cloudrunv2/resource_cloud_run_v2_service.go: flattenCloudRunV2ServiceBinaryAuthorization (as the "
        "API returns it; nil, so absent, when the service sets none)",
        optional=True,
    ),
    StoredForm(
        "gcp:cloudrunv2/service:Service",
        "binaryAuthorization.breakglassJustification",
        "",
        "services/cloudrunv2/resource_cloud_run_v2_service.go: flattenCloudRunV2ServiceBinaryAuthorization sets "
        "breakglass_justification and policy too: the zero value when the API returns none",
        optional=True,
    ),
    StoredForm(
        "gcp:binaryauthorization/policy:Policy",
        "id",
        f"projects/{_P}",
        "services/binaryauthorization/resource_binary_authorization_policy.go: resourceBinaryAuthorizationPolicyCreate "
        "id 'projects/{{project}}'",
    ),
    StoredForm(
        "gcp:binaryauthorization/policy:Policy",
        "defaultAdmissionRule.requireAttestationsBies.0",
        f"projects/{_P}/attestors/{_P}",
        "services/binaryauthorization/resource_binary_authorization_policy.go: "
        "expandBinaryAuthorizationPolicyDefaultAdmissionRuleRequireAttestationsBy (a short name in full, in the "
        "provider's project); flatten...RequireAttestationsBy keeps the API's",
    ),
    StoredForm(
        "gcp:binaryauthorization/policy:Policy",
        "globalPolicyEvaluationMode",
        "ENABLE|DISABLE",
        "services/binaryauthorization/resource_binary_authorization_policy.go: 'global_policy_evaluation_mode' "
        "Optional+Computed, flattenBinaryAuthorizationPolicyGlobalPolicyEvaluationMode",
    ),
    StoredForm(
        "gcp:orgpolicy/policy:Policy",
        "name",
        r"[a-zA-Z]+(\.[a-zA-Z]+)+",
        "services/orgpolicy/resource_org_policy_policy.go: resourceOrgPolicyPolicyEncoder (create, read, update)",
    ),
    StoredForm(
        "gcp:orgpolicy/policy:Policy",
        "id",
        f"projects/{_P}/policies/{_P}",
        "services/orgpolicy/resource_org_policy_policy.go: Create id '{{parent}}/policies/{{name}}' after the encoder",
    ),
    StoredForm(
        "gcp:orgpolicy/policy:Policy",
        "spec.rules.0.enforce",
        "TRUE|FALSE|",
        "services/orgpolicy/resource_org_policy_policy.go: flattenOrgPolicyPolicySpecRulesEnforce",
    ),
    StoredForm(
        "gcp:orgpolicy/policy:Policy",
        "spec.rules.0.allowAll",
        "TRUE|FALSE|",
        "services/orgpolicy/resource_org_policy_policy.go: flattenOrgPolicyPolicySpecRulesAllowAll",
    ),
    StoredForm(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "bucket",
        f"b/{_P}",
        "services/storage/iam_storage_bucket.go: StorageBucketIamUpdaterProducer d.Set('bucket', GetResourceId())",
    ),
    StoredForm(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "id",
        f"b/{_P}{_MEMBER}",
        "tpgiamresource/resource_iam_member.go: resourceIamMemberCreate SetId(GetResourceId()/role/member)",
    ),
    StoredForm(
        "gcp:iap/webBackendServiceIamMember:WebBackendServiceIamMember",
        "webBackendService",
        f"projects/{_P}/iap_web/compute/services/{_P}",
        "services/iap/iam_iap_web_backend_service.go: IapWebBackendServiceIamUpdaterProducer d.Set(GetResourceId())",
    ),
    StoredForm(
        "gcp:iap/webBackendServiceIamMember:WebBackendServiceIamMember",
        "id",
        f"projects/{_P}/iap_web/compute/services/{_P}{_MEMBER}",
        "tpgiamresource/resource_iam_member.go: resourceIamMemberCreate",
    ),
    StoredForm(
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
        "name",
        f"projects/{_P}/locations/{_P}/services/{_P}",
        "services/cloudrunv2/iam_cloud_run_v2_service.go: CloudRunV2ServiceIamUpdaterProducer d.Set('name', ...)",
    ),
    StoredForm(
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
        "id",
        f"projects/{_P}/locations/{_P}/services/{_P}{_MEMBER}",
        "tpgiamresource/resource_iam_member.go: resourceIamMemberCreate",
    ),
    StoredForm(
        "gcp:logging/logViewIamMember:LogViewIamMember",
        "name",
        f"projects/{_P}/locations/{_P}/buckets/{_P}/views/{_P}",
        "services/logging/iam_logging_log_view.go: LoggingLogViewIamUpdaterProducer d.Set('name', GetResourceId())",
    ),
    StoredForm(
        "gcp:logging/logViewIamMember:LogViewIamMember",
        "id",
        f"projects/{_P}/locations/{_P}/buckets/{_P}/views/{_P}{_MEMBER}",
        "tpgiamresource/resource_iam_member.go: resourceIamMemberCreate SetId(GetResourceId()/role/member)",
    ),
    StoredForm(
        "gcp:logging/logViewIamMember:LogViewIamMember",
        "bucket",
        _P,
        "services/logging/iam_logging_log_view.go: LoggingLogViewIamUpdaterProducer d.Set('bucket', as given)",
    ),
    StoredForm(
        "gcp:pubsub/topicIAMMember:TopicIAMMember",
        "topic",
        f"projects/{_P}/topics/{_P}",
        "services/pubsub/iam_pubsub_topic.go: PubsubTopicIamUpdaterProducer d.Set('topic', GetResourceId())",
    ),
    StoredForm(
        "gcp:pubsub/topicIAMMember:TopicIAMMember",
        "id",
        f"projects/{_P}/topics/{_P}{_MEMBER}",
        "tpgiamresource/resource_iam_member.go: resourceIamMemberCreate",
    ),
    StoredForm(
        "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
        "id",
        f"projects/{_P}/subscriptions/{_P}{_MEMBER}",
        "services/pubsub/iam_pubsub_subscription.go: GetComputedSubscriptionName; resource_iam_member.go Create",
    ),
    StoredForm(
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
        "cryptoKeyId",
        f"projects/{_P}/locations/{_P}/keyRings/{_P}/cryptoKeys/{_P}",
        "services/kms/iam_kms_crypto_key.go: NewKmsCryptoKeyIamUpdater (kept as given; set only on import)",
    ),
    StoredForm(
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
        "id",
        f"projects/{_P}/locations/{_P}/keyRings/{_P}/cryptoKeys/{_P}{_MEMBER}",
        "tpgiamresource/resource_iam_member.go: resourceIamMemberCreate",
    ),
    StoredForm(
        "gcp:serviceaccount/iAMMember:IAMMember",
        "id",
        f"projects/{_P}/serviceAccounts/{_P}{_MEMBER}",
        "services/resourcemanager/iam_service_account.go: GetResourceId (the id as given); resource_iam_member.go",
    ),
    StoredForm(
        "gcp:projects/iAMAuditConfig:IAMAuditConfig",
        "id",
        f"{_P}/audit_config/{_P}",
        "tpgiamresource/resource_iam_audit_config.go: resourceIamAuditConfigCreate SetId(.../audit_config/service)",
    ),
    StoredForm(
        "gcp:kms/cryptoKey:CryptoKey",
        "id",
        f"projects/{_P}/locations/{_P}/keyRings/{_P}/cryptoKeys/{_P}",
        "services/kms/resource_kms_crypto_key.go: resourceKMSCryptoKeyCreate id '{{key_ring}}/cryptoKeys/{{name}}'",
    ),
    StoredForm(
        "gcp:kms/cryptoKey:CryptoKey",
        "primaries.0.state",
        "ENABLED",
        "services/kms/resource_kms_crypto_key.go: flattenKMSCryptoKeyPrimary (a list: pulumi-gcp names it primaries)",
    ),
    StoredForm(
        "gcp:kms/cryptoKey:CryptoKey",
        "primary",
        None,
        "services/kms/resource_kms_crypto_key.go: schema 'primary' TypeList without MaxItems 1 (pulumi-gcp primaries)",
    ),
    StoredForm(
        "gcp:kms/keyRing:KeyRing",
        "id",
        f"projects/{_P}/locations/{_P}/keyRings/{_P}",
        "services/kms/resource_kms_key_ring.go: resourceKMSKeyRingCreate id",
    ),
    StoredForm(
        "gcp:storage/bucket:Bucket",
        "id",
        _P,
        "services/storage/resource_storage_bucket.go: resourceStorageBucketCreate d.SetId(res.Id) (the bucket name)",
    ),
    StoredForm(
        "gcp:storage/bucket:Bucket",
        "selfLink",
        f"https://www\\.googleapis\\.com/storage/v1/b/{_P}",
        "services/storage/resource_storage_bucket.go: setStorageBucket d.Set('self_link', res.SelfLink)",
    ),
    StoredForm(
        "gcp:storage/bucket:Bucket",
        "location",
        "[A-Z0-9-]+",
        "services/storage/resource_storage_bucket.go: schema 'location' StateFunc strings.ToUpper; Read res.Location",
    ),
    StoredForm(
        "gcp:storage/bucket:Bucket",
        "storageClass",
        "STANDARD|NEARLINE|COLDLINE|ARCHIVE|MULTI_REGIONAL|REGIONAL",
        "services/storage/resource_storage_bucket.go: schema 'storage_class' Default 'STANDARD'",
    ),
    StoredForm(
        "gcp:storage/bucket:Bucket",
        "url",
        f"gs://{_P}",
        "services/storage/resource_storage_bucket.go: setStorageBucket d.Set('url', 'gs://'+bucket)",
    ),
    StoredForm(
        "gcp:storage/bucket:Bucket",
        "projectNumber",
        r"\d{12}(\.0)?",
        "services/storage/resource_storage_bucket.go: setStorageBucket d.Set('project_number', res.ProjectNumber)",
    ),
    StoredForm(
        "gcp:serviceaccount/account:Account",
        "id",
        f"projects/{_P}/serviceAccounts/{_P}@{_P}",
        "services/resourcemanager/resource_google_service_account.go: Create d.SetId(sa.Name)",
    ),
    StoredForm(
        "gcp:serviceaccount/account:Account",
        "member",
        "serviceAccount:.+@.+",
        "services/resourcemanager/resource_google_service_account.go: Read d.Set('member', 'serviceAccount:'+email)",
    ),
    StoredForm(
        "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
        "id",
        f"projects/[a-z][^/]*/locations/global/workloadIdentityPools/{_P}",
        "services/iambeta/resource_iam_workload_identity_pool.go: Create id 'projects/{{project}}/...' (project id)",
    ),
    StoredForm(
        "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
        "name",
        f"projects/\\d+/locations/global/workloadIdentityPools/{_P}",
        "services/iambeta/resource_iam_workload_identity_pool.go: flattenIAMBetaWorkloadIdentityPoolName (the API's)",
    ),
    StoredForm(
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
        "id",
        f"projects/[a-z][^/]*/locations/global/workloadIdentityPools/{_P}/providers/{_P}",
        "services/iambeta/resource_iam_workload_identity_pool_provider.go: Create id",
    ),
    StoredForm(
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
        "name",
        f"projects/\\d+/locations/global/workloadIdentityPools/{_P}/providers/{_P}",
        "services/iambeta/resource_iam_workload_identity_pool_provider.go: flatten...Name (the API's)",
    ),
    StoredForm(
        "gcp:projects/defaultServiceAccounts:DefaultServiceAccounts",
        "id",
        f"projects/{_P}",
        "services/resourcemanager/resource_google_project_default_service_accounts.go: SetId(PrefixedProject(pid))",
    ),
    StoredForm(
        "gcp:projects/service:Service",
        "id",
        f"{_P}/{_P}",
        "services/resourcemanager/resource_google_project_service.go: resourceGoogleProjectServiceCreate id",
    ),
    StoredForm(
        "gcp:projects/serviceIdentity:ServiceIdentity",
        "email",
        r"service-\d+@[a-z-]+\.iam\.gserviceaccount\.com",
        "services/resourcemanager/resource_project_service_identity.go: Create d.Set('email', ...) (the API's)",
    ),
    StoredForm(
        "gcp:pubsub/topic:Topic",
        "id",
        f"projects/{_P}/topics/{_P}",
        "services/pubsub/resource_pubsub_topic.go: Create id 'projects/{{project}}/topics/{{name}}'",
    ),
    StoredForm(
        "gcp:pubsub/subscription:Subscription",
        "id",
        f"projects/{_P}/subscriptions/{_P}",
        "services/pubsub/resource_pubsub_subscription.go: Create id",
    ),
    StoredForm(
        "gcp:pubsub/subscription:Subscription",
        "topic",
        f"projects/{_P}/topics/{_P}",
        "services/pubsub/resource_pubsub_subscription.go: flattenPubsubSubscriptionTopic",
    ),
    StoredForm(
        "gcp:logging/projectSink:ProjectSink",
        "id",
        f"projects/{_P}/sinks/{_P}",
        "services/logging/resource_logging_project_sink.go: Create d.SetId(id.canonicalId())",
    ),
    StoredForm(
        "gcp:logging/projectSink:ProjectSink",
        "writerIdentity",
        "serviceAccount:.+",
        "services/logging/resource_logging_sink.go: flattenResourceLoggingSink d.Set('writer_identity') (the API's)",
    ),
    StoredForm(
        "gcp:logging/projectBucketConfig:ProjectBucketConfig",
        "id",
        f"projects/{_P}/locations/{_P}/buckets/{_P}",
        "services/logging/resource_logging_project_bucket_config.go: projectBucketConfigID",
    ),
    StoredForm(
        "gcp:logging/metric:Metric",
        "id",
        ".+",
        "services/logging/resource_logging_metric.go: resourceLoggingMetricCreate id '{{name}}'",
    ),
    StoredForm(
        "gcp:monitoring/alertPolicy:AlertPolicy",
        "id",
        f"projects/{_P}/alertPolicies/\\d+",
        "services/monitoring/resource_monitoring_alert_policy.go: Create id '{{name}}' (the API's name)",
    ),
    StoredForm(
        "gcp:monitoring/notificationChannel:NotificationChannel",
        "id",
        f"projects/{_P}/notificationChannels/\\d+",
        "services/monitoring/resource_monitoring_notification_channel.go: Create id '{{name}}'",
    ),
    StoredForm(
        "gcp:cloudrunv2/service:Service",
        "id",
        f"projects/{_P}/locations/{_P}/services/{_P}",
        "services/cloudrunv2/resource_cloud_run_v2_service.go: resourceCloudRunV2ServiceCreate id",
    ),
    StoredForm(
        "gcp:dns/managedZone:ManagedZone",
        "id",
        f"projects/{_P}/managedZones/{_P}",
        "services/dns/resource_dns_managed_zone.go: resourceDNSManagedZoneCreate id",
    ),
    StoredForm(
        "gcp:dns/managedZone:ManagedZone",
        "privateVisibilityConfig.networks.0.networkUrl",
        _V1 + f"{_P}/global/networks/{_P}",
        "services/dns/resource_dns_managed_zone.go: expand...NetworkUrl (ConvertSelfLinkToV1); flatten keeps it",
        optional=True,
    ),
    StoredForm(
        "gcp:dns/policy:Policy",
        "id",
        f"projects/{_P}/policies/{_P}",
        "services/dns/resource_dns_policy.go: resourceDNSPolicyCreate id",
    ),
    StoredForm(
        "gcp:dns/policy:Policy",
        "networks.0.networkUrl",
        _V1 + f"{_P}/global/networks/{_P}",
        "services/dns/resource_dns_policy.go: expandDNSPolicyNetworksNetworkUrl (ConvertSelfLinkToV1)",
        optional=True,
    ),
    StoredForm(
        "gcp:dns/recordSet:RecordSet",
        "id",
        f"projects/{_P}/managedZones/{_P}/rrsets/{_P}/[A-Z]+",
        "services/dns/resource_dns_record_set.go: resourceDnsRecordSetCreate d.SetId(fmt.Sprintf(...))",
    ),
    *_compute("gcp:compute/network:Network", "resource_compute_network.go", "networks"),
    *_compute("gcp:compute/firewall:Firewall", "resource_compute_firewall.go", "firewalls"),
    StoredForm(
        "gcp:compute/firewall:Firewall",
        "direction",
        "INGRESS|EGRESS",
        "services/compute/resource_compute_firewall.go: schema 'direction' Computed (the API's; INGRESS when unset)",
    ),
    StoredForm(
        "gcp:compute/firewall:Firewall",
        "priority",
        r"\d+(\.0)?",
        "services/compute/resource_compute_firewall.go: schema 'priority' Default 1000",
    ),
    StoredForm(
        "gcp:compute/firewall:Firewall",
        "network",
        _V1 + f"{_P}/global/networks/{_P}",
        "services/compute/resource_compute_firewall.go: flattenComputeFirewallNetwork (ConvertSelfLinkToV1)",
    ),
    *_compute("gcp:compute/route:Route", "resource_compute_route.go", "routes"),
    StoredForm(
        "gcp:compute/route:Route",
        "network",
        _V1 + f"{_P}/global/networks/{_P}",
        "services/compute/resource_compute_route.go: flattenComputeRouteNetwork (ConvertSelfLinkToV1)",
    ),
    StoredForm(
        "gcp:compute/route:Route",
        "nextHopGateway",
        _API + f"{_P}/global/gateways/{_P}",
        "services/compute/resource_compute_route.go: flattenComputeRouteNextHopGateway (the API's link)",
        optional=True,
    ),
    StoredForm(
        "gcp:compute/route:Route",
        "nextHopVpnTunnel",
        _V1 + f"{_P}/regions/{_P}/vpnTunnels/{_P}",
        "services/compute/resource_compute_route.go: flattenComputeRouteNextHopVpnTunnel (ConvertSelfLinkToV1)",
        optional=True,
    ),
    *_compute("gcp:compute/subnetwork:Subnetwork", "resource_compute_subnetwork.go", "subnetworks", "regional"),
    StoredForm(
        "gcp:compute/subnetwork:Subnetwork",
        "network",
        _V1 + f"{_P}/global/networks/{_P}",
        "services/compute/resource_compute_subnetwork.go: flattenComputeSubnetworkNetwork (ConvertSelfLinkToV1)",
    ),
    StoredForm(
        "gcp:compute/subnetwork:Subnetwork",
        "region",
        "[a-z]+-[a-z]+\\d+",
        "services/compute/resource_compute_subnetwork.go: flattenComputeSubnetworkRegion (GetResourceNameFromSelfLink)",
    ),
    *_compute("gcp:compute/globalAddress:GlobalAddress", "resource_compute_global_address.go", "addresses"),
    *_compute(
        "gcp:compute/globalForwardingRule:GlobalForwardingRule",
        "resource_compute_global_forwarding_rule.go",
        "forwardingRules",
    ),
    StoredForm(
        "gcp:compute/globalForwardingRule:GlobalForwardingRule",
        "target",
        _API + f"{_P}/global/target(Http|Https)Proxies/{_P}",
        "services/compute/resource_compute_global_forwarding_rule.go: flattenComputeGlobalForwardingRuleTarget (API's)",
    ),
    *_compute(
        "gcp:compute/targetHttpProxy:TargetHttpProxy", "resource_compute_target_http_proxy.go", "targetHttpProxies"
    ),
    StoredForm(
        "gcp:compute/targetHttpProxy:TargetHttpProxy",
        "urlMap",
        _V1 + f"{_P}/global/urlMaps/{_P}",
        "services/compute/resource_compute_target_http_proxy.go: flattenComputeTargetHttpProxyUrlMap",
    ),
    *_compute(
        "gcp:compute/targetHttpsProxy:TargetHttpsProxy", "resource_compute_target_https_proxy.go", "targetHttpsProxies"
    ),
    StoredForm(
        "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
        "urlMap",
        _V1 + f"{_P}/global/urlMaps/{_P}",
        "services/compute/resource_compute_target_https_proxy.go: flattenComputeTargetHttpsProxyUrlMap",
    ),
    StoredForm(
        "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
        "sslPolicy",
        _V1 + f"{_P}/global/sslPolicies/{_P}",
        "services/compute/resource_compute_target_https_proxy.go: flattenComputeTargetHttpsProxySslPolicy",
    ),
    StoredForm(
        "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
        "sslCertificates.0",
        _V1 + f"{_P}/global/sslCertificates/{_P}",
        "services/compute/resource_compute_target_https_proxy.go: flattenComputeTargetHttpsProxySslCertificates",
    ),
    *_compute("gcp:compute/uRLMap:URLMap", "resource_compute_url_map.go", "urlMaps"),
    *_compute("gcp:compute/sSLPolicy:SSLPolicy", "resource_compute_ssl_policy.go", "sslPolicies"),
    *_compute(
        "gcp:compute/managedSslCertificate:ManagedSslCertificate",
        "resource_compute_managed_ssl_certificate.go",
        "sslCertificates",
    ),
    *_compute("gcp:compute/backendService:BackendService", "resource_compute_backend_service.go", "backendServices"),
    StoredForm(
        "gcp:compute/backendService:BackendService",
        "securityPolicy",
        _API + f"{_P}/global/securityPolicies/{_P}",
        "services/compute/resource_compute_backend_service.go: flattenComputeBackendServiceSecurityPolicy (API's)",
        optional=True,
    ),
    *_compute("gcp:compute/securityPolicy:SecurityPolicy", "resource_compute_security_policy.go", "securityPolicies"),
    *_compute(
        "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
        "resource_compute_region_network_endpoint_group.go",
        "networkEndpointGroups",
        "regional",
    ),
    StoredForm(
        "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
        "region",
        _V1 + f"{_P}/regions/{_P}",
        "services/compute/resource_compute_region_network_endpoint_group.go: flatten...Region (ConvertSelfLinkToV1)",
    ),
)

_RUN = "services/cloudrun/resource_cloud_run_service.go"
_LOGGING = "services/logging/"

HAND_ROWS += (
    StoredForm(
        "gcp:cloudrun/service:Service",
        "metadata.annotations.run\\.googleapis\\.com/ingress",
        "all|internal|internal-and-cloud-load-balancing",
        f"{_RUN}: 'metadata' Optional+Computed, flattenCloudRunServiceMetadata keeps the API's annotations "
        "(the Cloud Run Admin API v1 sets run.googleapis.com/ingress to 'all' when the service does not say)",
    ),
    StoredForm(
        "gcp:cloudrun/service:Service",
        "id",
        f"locations/{_P}/namespaces/{_P}/services/{_P}",
        f"{_RUN}: resourceCloudRunServiceCreate id 'locations/<location>/namespaces/<project>/services/<name>'",
    ),
    StoredForm(
        "gcp:logging/projectExclusion:ProjectExclusion",
        "id",
        f"projects/{_P}/exclusions/{_P}",
        f"{_LOGGING}resource_logging_exclusion.go: Create d.SetId(id.canonicalId()) '<type>/<id>/exclusions/<name>'",
    ),
    StoredForm(
        "gcp:logging/folderSink:FolderSink",
        "id",
        f"folders/{_P}/sinks/{_P}",
        f"{_LOGGING}resource_logging_folder_sink.go: Create d.SetId(id.canonicalId()) (the folder's number)",
    ),
    StoredForm(
        "gcp:logging/folderBucketConfig:FolderBucketConfig",
        "id",
        f"folders/{_P}/locations/{_P}/buckets/{_P}",
        f"{_LOGGING}resource_logging_folder_bucket_config.go: folderBucketConfigID",
    ),
    StoredForm(
        "gcp:projects/iAMCustomRole:IAMCustomRole",
        "id",
        f"projects/{_P}/roles/{_P}",
        "services/resourcemanager/resource_google_project_iam_custom_role.go: Create d.SetId(role.Name) (the API's)",
    ),
    StoredForm(
        "gcp:projects/iAMCustomRole:IAMCustomRole",
        "stage",
        "GA",
        "services/resourcemanager/resource_google_project_iam_custom_role.go: schema 'stage' Default 'GA'",
        when_unset=True,
    ),
    StoredForm(
        "gcp:serviceaccount/key:Key",
        "id",
        f"projects/{_P}/serviceAccounts/{_P}/keys/\\w+",
        "services/resourcemanager/resource_google_service_account_key.go: Create d.SetId(sak.Name) (the API's)",
    ),
    StoredForm(
        "gcp:serviceaccount/key:Key",
        "keyAlgorithm",
        "KEY_ALG_RSA_2048",
        "services/resourcemanager/resource_google_service_account_key.go: schema 'key_algorithm' Default",
        when_unset=True,
    ),
    StoredForm(
        "gcp:compute/networkPeering:NetworkPeering",
        "id",
        f"{_P}/{_P}",
        "services/compute/resource_compute_network_peering.go: Create d.SetId('<network name>/<peering name>')",
    ),
    StoredForm(
        "gcp:storage/bucketACL:BucketACL",
        "id",
        f"{_P}-acl",
        "services/storage/resource_storage_bucket_acl.go: Create d.SetId(getBucketAclId(bucket)) '<bucket>-acl'",
    ),
    StoredForm(
        "gcp:storage/defaultObjectACL:DefaultObjectACL",
        "id",
        _P,
        "services/storage/resource_storage_default_object_acl.go: Create d.SetId(bucket)",
    ),
    StoredForm(
        "gcp:monitoring/snooze:Snooze",
        "id",
        f"projects/{_P}/snoozes/\\d+",
        "not in the read snapshot: the pinned SDK's import form (pulumi-gcp 10.2.0 monitoring/snooze.py)",
    ),
    StoredForm(
        "gcp:organizations/project:Project",
        "id",
        f"projects/{_P}",
        "services/resourcemanager/resource_google_project.go: Create d.SetId(fmt.Sprintf('projects/%s', pid))",
    ),
    StoredForm(
        "gcp:organizations/project:Project",
        "number",
        r"\d{12}",
        "services/resourcemanager/resource_google_project.go: Read d.Set('number', the API's project number)",
    ),
)


def _parent_rows() -> Iterator[StoredForm]:
    """Sinks, exclusions and log buckets of a folder, organization or billing account, and the audit
    configs of a folder or organization: the canonical ids of their handwritten resources."""
    owners = {"folder": "folders", "organization": "organizations", "billingAccount": "billingAccounts"}
    for owner, kind in owners.items():
        token = owner[:1].upper() + owner[1:]
        sink = f"gcp:logging/{owner}Sink:{token}Sink"
        exclusion = f"gcp:logging/{owner}Exclusion:{token}Exclusion"
        bucket = f"gcp:logging/{owner}BucketConfig:{token}BucketConfig"
        yield StoredForm(
            sink, "id", f"{kind}/{_P}/sinks/{_P}", f"{_LOGGING}resource_logging_{owner.lower()}_sink.go: canonicalId"
        )
        yield StoredForm(
            exclusion, "id", f"{kind}/{_P}/exclusions/{_P}", f"{_LOGGING}resource_logging_exclusion.go: canonicalId"
        )
        yield StoredForm(
            bucket,
            "id",
            f"{kind}/{_P}/locations/{_P}/buckets/{_P}",
            f"{_LOGGING}resource_logging_*_bucket_config.go: ID",
        )
    for token, parent in (
        ("gcp:folder/iamAuditConfig:IamAuditConfig", f"folders/{_P}"),
        ("gcp:organizations/iamAuditConfig:IamAuditConfig", _P),
    ):
        yield StoredForm(
            token,
            "id",
            f"{parent}/audit_config/{_P}",
            "tpgiamresource/resource_iam_audit_config.go: Create SetId(GetResourceId()+'/audit_config/'+service); "
            "services/resourcemanager/iam_folder.go CanonicalFolderId",
        )


HAND_ROWS += (
    *(row for row in _parent_rows() if row.type not in {r.type for r in HAND_ROWS}),
    StoredForm(
        "gcp:storage/objectACL:ObjectACL",
        "id",
        f"{_P}-acl",
        "services/storage/resource_storage_object_acl.go: Create d.SetId(getObjectAclId(object)) '<object>-acl'",
    ),
)


STORED_FORMS: tuple[StoredForm, ...] = HAND_ROWS + generated_rows()
"""Every rule of the stored form, hand and generated; held against the model by the stored-form tests."""
