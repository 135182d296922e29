"""The pack as a guard for every path out of the site network and every reference it cannot see (issue 12,
items 4 and 5): changes a platform engineer, a team reusing one component, or an insider could add to the
Lausanne site's real plan. Each named mutation is rejected by the control's policy through the real pack
process (see ``mutation.py``); each control also has legitimate variants that must pass with zero mandatory
findings in both modes.

The comment on each case says why a real user would make that change.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from preflight.engine.runner import Resource
from tests.conftest import site_plan
from tests.policies.mutation import Case, Mutation, add_resource, assert_rejected, changes, on, set_prop

PROJECT = "chuv-imaging-lau"
NETWORK_ID = f"projects/{PROJECT}/global/networks/lau-vpc"
SUBNET_ID = f"projects/{PROJECT}/regions/europe-west6/subnetworks/lau-viewer"
TUNNEL = f"projects/{PROJECT}/regions/europe-west6/vpnTunnels/chuv-lau-1"
VIEWER_SA = f"lau-viewer@{PROJECT}.iam.gserviceaccount.com"
ROUTE = "gcp:compute/route:Route"
FIREWALL = "gcp:compute/firewall:Firewall"
POLICY_RULE = "gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule"
FORWARDING_RULE = "gcp:compute/forwardingRule:ForwardingRule"
GLOBAL_FORWARDING_RULE = "gcp:compute/globalForwardingRule:GlobalForwardingRule"
MANAGED_ZONE = "gcp:dns/managedZone:ManagedZone"
CANARY = "evaluatePreconfiguredWaf('cve-canary')"
ARMOR = "lau-viewer-armor"
LOGGED = {"metadata": "INCLUDE_ALL_METADATA"}


def _route(name: str, dest: str, **hop: str) -> Mutation:
    return add_resource(ROUTE, name, {"network": NETWORK_ID, "destRange": dest, "priority": 900, **hop})


def _policy_rule(name: str, direction: str, action: str, match: dict[str, object], **extra: object) -> Mutation:
    """A network firewall policy rule as a team would add it next to the VPC firewall rules."""
    inputs = {
        "firewallPolicy": "lau-policy",
        "priority": 500,
        "direction": direction,
        "action": action,
        "enableLogging": True,
        "targetServiceAccounts": [VIEWER_SA],
        "match": {"layer4Configs": [{"ipProtocol": "tcp", "ports": ["443"]}], **match},
        **extra,
    }
    return add_resource(POLICY_RULE, name, inputs)


def _canary(change: Callable[[dict[str, object]], None]) -> Callable[[Resource], None]:
    """Change the viewer's Log4Shell rule (found by its expression) in inputs and outputs."""

    def mutate(r: Resource) -> None:
        for props in (r.inputs, r.outputs):
            for rule in props.get("rules", []):
                if rule.get("match", {}).get("expr", {}).get("expression") == CANARY:
                    change(rule)

    return mutate


def _drop_canary(r: Resource) -> None:
    for props in (r.inputs, r.outputs):
        props["rules"] = [x for x in props["rules"] if x.get("match", {}).get("expr", {}).get("expression") != CANARY]


def _connector_mutation(network: str) -> Mutation:
    """A VPC Access connector on ``network`` in the stack, and the viewer sending its egress through it."""

    def mutate(resources: list[Resource]) -> Resource:
        add_resource(
            "gcp:vpcaccess/connector:Connector",
            "lau-connector",
            {"name": "lau-connector", "project": PROJECT, "region": "europe-west6", "network": network},
        )(resources)
        return on(
            "lau-viewer-run",
            set_prop(
                "template",
                "vpcAccess",
                value={
                    "egress": "ALL_TRAFFIC",
                    "connector": f"projects/{PROJECT}/locations/europe-west6/connectors/lau-connector",
                },
            ),
        )(resources)

    return mutate


CASES = [
    # --- NET-02: routes and peerings ---------------------------------------------------------------
    pytest.param(
        # A network engineer sends "everything else" to the hospital's firewall appliance for inspection.
        Case(
            "gcp-compute-network-custom-mode",
            _route("to-appliance", "0.0.0.0/0", nextHopIp="10.60.0.250"),
            "nextHopIp 10.60.0.250 is not a declared worklist next hop",
        ),
        id="default-route-via-appliance",
    ),
    pytest.param(
        # Half the worklist subnet moved behind another router: a more specific route wins over the VPN.
        Case(
            "gcp-compute-network-custom-mode",
            _route("ris-half", "10.200.16.128/25", nextHopIp="10.60.0.9"),
            "it is more specific than the worklist range 10.200.16.0/24, so it wins",
        ),
        id="more-specific-route-steals-worklist-traffic",
    ),
    pytest.param(
        # "The whole hospital is behind that tunnel anyway": the declared tunnel now carries a /16.
        Case(
            "gcp-compute-network-custom-mode",
            _route("hospital-wide", "10.200.0.0/16", nextHopVpnTunnel=TUNNEL),
            "destRange 10.200.0.0/16 through nextHopVpnTunnel",
        ),
        id="declared-tunnel-carries-more-than-the-worklist",
    ),
    pytest.param(
        # A NAT instance built by hand to reach a vendor's licence server.
        Case(
            "gcp-compute-network-custom-mode",
            _route("via-nat-vm", "203.0.113.200/32", nextHopInstance="zones/europe-west6-a/instances/nat-1"),
            "nextHopInstance zones/europe-west6-a/instances/nat-1 is not a declared worklist next hop",
        ),
        id="route-via-instance",
    ),
    pytest.param(
        # Enabling IPv6 on the VPC with the console's default IPv6 route to the internet.
        Case(
            "gcp-compute-network-custom-mode",
            _route("ipv6-default", "::/0", nextHopGateway="default-internet-gateway"),
            "destRange ::/0 through nextHopGateway is a route to the internet",
        ),
        id="ipv6-default-route-to-internet",
    ),
    pytest.param(
        # Google API traffic "inspected" by a proxy appliance before it reaches the restricted VIP.
        Case(
            "gcp-compute-network-custom-mode",
            _route("apis-via-proxy", "199.36.153.4/30", nextHopIp="10.60.0.250"),
            "nextHopIp 10.60.0.250 is not a declared worklist next hop",
        ),
        id="google-apis-through-an-appliance",
    ),
    pytest.param(
        # Peering with a shared-services VPC, ticking "import custom routes" to reach its on-premises links.
        Case(
            "gcp-compute-network-custom-mode",
            add_resource(
                "gcp:compute/networkPeering:NetworkPeering",
                "to-shared",
                {
                    "network": NETWORK_ID,
                    "peerNetwork": "projects/shared-net/global/networks/hub",
                    "importCustomRoutes": True,
                },
            ),
            "importCustomRoutes is true: the peering imports the peer's static and dynamic routes",
        ),
        id="peering-imports-custom-routes",
    ),
    pytest.param(
        # The peer team asks to reach the hospital through this site's VPN: export custom routes.
        Case(
            "gcp-compute-network-custom-mode",
            add_resource(
                "gcp:compute/networkPeeringRoutesConfig:NetworkPeeringRoutesConfig",
                "to-shared-routes",
                {"network": "lau-vpc", "peering": "to-shared", "importCustomRoutes": False, "exportCustomRoutes": True},
            ),
            "exportCustomRoutes is true: the peering exports the site's routes",
        ),
        id="peering-exports-the-worklist-path",
    ),
    pytest.param(
        # A BGP session to the hospital router with a "custom learned" default route, to reach the internet
        # through the hospital's proxy.
        Case(
            "gcp-compute-network-custom-mode",
            add_resource(
                "gcp:compute/routerPeer:RouterPeer",
                "hospital-bgp",
                {
                    "router": "lau-router",
                    "region": "europe-west6",
                    "interface": "if-chuv-lau-1",
                    "peerAsn": 65010,
                    "customLearnedIpRanges": [{"range": "0.0.0.0/0"}],
                },
            ),
            "customLearnedIpRanges[0].range 0.0.0.0/0 is not a worklist range reached over a VPN tunnel",
        ),
        id="bgp-peer-learns-a-default-route",
    ),
    # --- NET-03 / NET-04: firewall policies, every match field and action ---------------------------
    pytest.param(
        # "Only Switzerland may reach the viewer": a geo rule instead of the load-balancer ranges.
        Case(
            "gcp-compute-firewall-ingress-allowlist",
            _policy_rule("from-ch", "INGRESS", "allow", {"srcRegionCodes": ["CH"]}),
            "match.srcRegionCodes contains CH",
        ),
        id="firewall-policy-ingress-from-a-country",
    ),
    pytest.param(
        # The security team's "trusted partners" address group, kept in another project.
        Case(
            "gcp-compute-firewall-ingress-allowlist",
            add_resource(
                "gcp:compute/firewallPolicyRule:FirewallPolicyRule",
                "org-partners",
                {
                    "firewallPolicy": "locations/global/firewallPolicies/1234",
                    "priority": 100,
                    "direction": "INGRESS",
                    "action": "allow",
                    "enableLogging": True,
                    "targetServiceAccounts": [VIEWER_SA],
                    "match": {
                        "srcAddressGroups": ["organizations/42/locations/global/addressGroups/partners"],
                        "layer4Configs": [{"ipProtocol": "tcp", "ports": ["443"]}],
                    },
                },
            ),
            "match.srcAddressGroups contains organizations/42/locations/global/addressGroups/partners",
        ),
        id="hierarchical-ingress-from-address-group",
    ),
    pytest.param(
        # The viewer vendor's update server, allowed by name because its addresses change.
        Case(
            "gcp-compute-firewall-egress-allowlist",
            _policy_rule("vendor-updates", "EGRESS", "allow", {"destFqdns": ["updates.viewer-vendor.example"]}),
            "match.destFqdns contains updates.viewer-vendor.example",
        ),
        id="firewall-policy-egress-to-domain",
    ),
    pytest.param(
        # "Inspected by the NGFW, so it is safe": egress to every public cloud through a security profile.
        Case(
            "gcp-compute-firewall-egress-allowlist",
            _policy_rule(
                "clouds-inspected",
                "EGRESS",
                "apply_security_profile_group",
                {"destThreatIntelligences": ["iplist-public-clouds"]},
                securityProfileGroup="organizations/42/locations/global/securityProfileGroups/ngfw",
            ),
            "match.destThreatIntelligences contains iplist-public-clouds (action 'apply_security_profile_group'",
        ),
        id="egress-to-threat-list-through-security-profile",
    ),
    pytest.param(
        # "Let the organisation's policy decide": goto_next for everything skips this policy's deny rules.
        Case(
            "gcp-compute-firewall-egress-allowlist",
            add_resource(
                "gcp:compute/regionNetworkFirewallPolicyRule:RegionNetworkFirewallPolicyRule",
                "defer-all",
                {
                    "firewallPolicy": "lau-regional",
                    "region": "europe-west6",
                    "priority": 10,
                    "direction": "EGRESS",
                    "action": "goto_next",
                    "enableLogging": True,
                    "targetServiceAccounts": [VIEWER_SA],
                    "match": {
                        "destIpRanges": ["0.0.0.0/0"],
                        "layer4Configs": [{"ipProtocol": "tcp", "ports": ["443"]}],
                    },
                },
            ),
            "destinationRanges contains 0.0.0.0/0: egress to anywhere",
        ),
        id="goto-next-for-everything",
    ),
    pytest.param(
        # A policy with inline rules copied from another project: egress to a whole country.
        Case(
            "gcp-compute-firewall-egress-allowlist",
            add_resource(
                "gcp:compute/networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules",
                "copied-policy",
                {
                    "rules": [
                        {
                            "action": "allow",
                            "direction": "EGRESS",
                            "priority": 100,
                            "enableLogging": True,
                            "targetServiceAccounts": [VIEWER_SA],
                            "match": {
                                "destRegionCodes": ["US"],
                                "layer4Configs": [{"ipProtocol": "tcp", "ports": ["443"]}],
                            },
                        }
                    ]
                },
            ),
            "rules[0]: match.destRegionCodes contains US",
        ),
        id="firewall-policy-with-rules-egress-to-a-country",
    ),
    pytest.param(
        # IPv6 switched on for the viewer subnet (external range) without an IPv6 deny-all rule.
        Case(
            "gcp-compute-network-denies-egress",
            on(
                "lau-network-viewer",
                changes(set_prop("stackType", value="IPV4_IPV6"), set_prop("ipv6AccessType", value="EXTERNAL")),
            ),
            "network 'lau-network' has IPv6 subnets (lau-network-viewer (stackType IPV4_IPV6)) but no IPv6 deny-all "
            "egress rule",
            stack=True,
            also=frozenset({"gcp-compute-network-denies-ingress"}),
        ),
        id="dual-stack-subnet-without-ipv6-deny",
    ),
    pytest.param(
        # The central network team's firewall policy attached to the site VPC: its rules live elsewhere.
        Case(
            "gcp-compute-network-denies-egress",
            add_resource(
                "gcp:compute/networkFirewallPolicyAssociation:NetworkFirewallPolicyAssociation",
                "central-policy",
                {"attachmentTarget": NETWORK_ID, "firewallPolicy": "projects/central-net/global/firewallPolicies/base"},
            ),
            "attaches firewall policy projects/central-net/global/firewallPolicies/base (firewallPolicy), which is "
            "not in this stack",
            stack=True,
        ),
        id="association-of-a-policy-outside-the-stack",
    ),
    # --- NET-05: name resolution stays in Cloud DNS, Google APIs stay restricted ----------------------
    pytest.param(
        # The hospital's resolvers as alternative name servers, "so on-premises names resolve".
        Case(
            "gcp-compute-network-restricted-google-apis",
            on(
                "lau-network-dns-logging",
                set_prop("alternativeNameServerConfig", value={"targetNameServers": [{"ipv4Address": "10.200.16.53"}]}),
            ),
            "alternativeNameServerConfig.targetNameServers (1) receives every query of the attached networks",
            stack=True,
        ),
        id="dns-policy-alternative-name-servers",
    ),
    pytest.param(
        # A forwarding zone for the hospital's domain, pointing at a public resolver while the VPN is down.
        Case(
            "gcp-compute-network-restricted-google-apis",
            add_resource(
                MANAGED_ZONE,
                "hospital-forward",
                {
                    "dnsName": "chuv.example.",
                    "visibility": "private",
                    "privateVisibilityConfig": {"networks": [{"networkUrl": NETWORK_ID}]},
                    "forwardingConfig": {"targetNameServers": [{"ipv4Address": "9.9.9.9"}]},
                },
            ),
            "forwardingConfig.targetNameServers forwards chuv.example. to other servers",
            stack=True,
        ),
        id="dns-forwarding-zone",
    ),
    pytest.param(
        # A peering zone that resolves googleapis.com in the shared VPC (where it is not restricted).
        Case(
            "gcp-compute-network-restricted-google-apis",
            add_resource(
                MANAGED_ZONE,
                "apis-peering",
                {
                    "dnsName": "googleapis.com.",
                    "visibility": "private",
                    "privateVisibilityConfig": {"networks": [{"networkUrl": NETWORK_ID}]},
                    "peeringConfig": {"targetNetwork": {"networkUrl": "projects/shared-net/global/networks/hub"}},
                },
            ),
            "peeringConfig resolves googleapis.com. in another network",
            stack=True,
        ),
        id="dns-peering-zone",
    ),
    pytest.param(
        # A response policy that "fixes" storage.googleapis.com to its public address during an incident.
        Case(
            "gcp-compute-network-restricted-google-apis",
            add_resource(
                "gcp:dns/responsePolicyRule:ResponsePolicyRule",
                "storage-public",
                {
                    "responsePolicy": "lau-overrides",
                    "ruleName": "storage-public",
                    "dnsName": "storage.googleapis.com.",
                    "localData": {
                        "localDatas": [
                            {"name": "storage.googleapis.com.", "type": "A", "ttl": 300, "rrdatas": ["142.250.0.128"]}
                        ]
                    },
                },
            ),
            "response policy rule answers storage.googleapis.com. with A 142.250.0.128, not the restricted VIP",
            stack=True,
        ),
        id="response-policy-overrides-a-google-api-name",
    ),
    pytest.param(
        # A Private Service Connect endpoint for "all APIs" because BigQuery was not in the restricted set.
        Case(
            "gcp-compute-network-restricted-google-apis",
            add_resource(
                GLOBAL_FORWARDING_RULE,
                "pscapis",
                {"network": NETWORK_ID, "target": "all-apis", "ipAddress": "10.60.0.100", "loadBalancingScheme": ""},
            ),
            "targets 'all-apis': a Private Service Connect endpoint for every Google API",
            stack=True,
        ),
        id="psc-endpoint-for-all-apis",
    ),
    # --- NET-06: the viewer's egress goes through the site VPC ----------------------------------------
    pytest.param(
        # The viewer moved to the shared VPC of another project "to reach the EMR directly".
        Case(
            "gcp-viewer-egress-in-site-vpc",
            on(
                "lau-viewer-run",
                set_prop(
                    "template",
                    "vpcAccess",
                    "networkInterfaces",
                    value=[{"network": "projects/shared-net/global/networks/hub", "subnetwork": "hub-europe-west6"}],
                ),
            ),
            "networkInterfaces[0].network projects/shared-net/global/networks/hub is not the site VPC",
            stack=True,
        ),
        id="viewer-egress-through-another-vpc",
    ),
    pytest.param(
        # Direct VPC egress removed while debugging a cold start; egress ALL_TRAFFIC left in place.
        Case(
            "gcp-viewer-egress-in-site-vpc",
            on("lau-viewer-run", set_prop("template", "vpcAccess", "networkInterfaces", value=None)),
            "has no VPC network interface (template.vpcAccess.networkInterfaces)",
            stack=True,
        ),
        id="viewer-without-network-interface",
    ),
    pytest.param(
        # An existing Serverless VPC Access connector of the platform team, in its own network.
        Case(
            "gcp-viewer-egress-in-site-vpc",
            on(
                "lau-viewer-run",
                set_prop(
                    "template",
                    "vpcAccess",
                    value={
                        "egress": "ALL_TRAFFIC",
                        "connector": "projects/platform/locations/europe-west6/connectors/c1",
                    },
                ),
            ),
            "VPC Access connector projects/platform/locations/europe-west6/connectors/c1, which is not in this stack",
            stack=True,
        ),
        id="viewer-egress-through-a-foreign-connector",
    ),
    pytest.param(
        # A connector managed in the stack, but created in the platform team's shared network.
        Case(
            "gcp-viewer-egress-in-site-vpc",
            _connector_mutation("projects/shared-net/global/networks/hub"),
            "VPC Access connector 'lau-connector' is on projects/shared-net/global/networks/hub, not a network of "
            "this stack",
            stack=True,
        ),
        id="viewer-connector-in-another-network",
    ),
    # --- NET-07: the image bucket's IP filter -------------------------------------------------------
    pytest.param(
        # A research team's VPC added to the bucket's filter "to copy a few studies".
        Case(
            "gcp-storage-bucket-ip-filter",
            on(
                "lau-images",
                set_prop(
                    "ipFilter",
                    "vpcNetworkSources",
                    value=[
                        {"network": "projects/research/global/networks/lab", "allowedIpCidrRanges": ["10.9.0.0/16"]}
                    ],
                ),
            ),
            "admits network projects/research/global/networks/lab, which is not a network of this stack",
            stack=True,
        ),
        id="bucket-admits-a-foreign-vpc",
    ),
    pytest.param(
        # "Any private address of our VPC": 10.0.0.0/8 instead of the site's subnets.
        Case(
            "gcp-storage-bucket-ip-filter",
            on("lau-images", set_prop("ipFilter", "vpcNetworkSources", 0, "allowedIpCidrRanges", value=["10.0.0.0/8"])),
            "admits 10.0.0.0/8, outside the subnets of 'lau-network' (10.60.0.0/24)",
            stack=True,
        ),
        id="bucket-admits-vpc-ranges-beyond-the-subnets",
    ),
    pytest.param(
        # Another organisation's VPC, enabled with allowCrossOrgVpcs to let a partner upload.
        Case(
            "gcp-storage-bucket-ip-filter",
            on("lau-images", set_prop("ipFilter", "allowCrossOrgVpcs", value=True)),
            "ipFilter.allowCrossOrgVpcs true",
            stack=True,
        ),
        id="bucket-admits-other-organisations",
    ),
    # --- NET-08: Cloud Armor -------------------------------------------------------------------------
    pytest.param(
        # The default deny put in preview "for a week" to see who would be blocked.
        Case(
            "gcp-compute-edge-cloud-armor",
            on(ARMOR, set_prop("rules", -1, "preview", value=True)),
            "the default rule is in preview mode, so it enforces nothing",
        ),
        id="armor-default-deny-in-preview",
    ),
    pytest.param(
        # The Log4Shell rule put in preview after a false positive on a DICOM query string.
        Case(
            "gcp-compute-edge-cloud-armor",
            on(ARMOR, _canary(lambda rule: rule.update(preview=True))),
            "(cve-canary, Log4Shell) is in preview mode: it logs matches and blocks nothing",
        ),
        id="log4shell-rule-in-preview",
    ),
    pytest.param(
        # The rule deleted when copying the policy into another stack's template.
        Case(
            "gcp-compute-edge-cloud-armor",
            on(ARMOR, _drop_canary),
            "no rule blocks Log4Shell (CVE-2021-44228)",
        ),
        id="no-log4shell-rule",
    ),
    pytest.param(
        # Renumbered so the hospital's allow rule comes first "for performance".
        Case(
            "gcp-compute-edge-cloud-armor",
            on(ARMOR, _canary(lambda rule: rule.update(priority=5000.0))),
            "comes after an allow rule (priority 1000), so admitted requests are never inspected",
        ),
        id="log4shell-rule-after-the-allow-rule",
    ),
    pytest.param(
        # Tuned down to silence false positives: sensitivity 0 enables no signature at all.
        Case(
            "gcp-compute-edge-cloud-armor",
            on(
                ARMOR,
                _canary(
                    lambda rule: rule.update(match={"expr": {"expression": CANARY[:-1] + ", {'sensitivity': 0})"}})
                ),
            ),
            "has sensitivity 0, which enables no signature",
        ),
        id="log4shell-rule-with-no-signature",
    ),
    pytest.param(
        # A separate SecurityPolicyRule resource added by another team to the viewer's policy.
        Case(
            "gcp-compute-edge-cloud-armor",
            add_resource(
                "gcp:compute/securityPolicyRule:SecurityPolicyRule",
                "let-partners-in",
                {
                    "securityPolicy": "lau-viewer-armor",
                    "priority": 10,
                    "action": "allow",
                    "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}},
                },
            ),
            "the rule.match.config.srcIpRanges admits *",
        ),
        id="separate-armor-rule-admits-anyone",
    ),
    pytest.param(
        # A regional Cloud Armor policy for a regional load balancer, with the default rule left to allow.
        Case(
            "gcp-compute-edge-cloud-armor",
            add_resource(
                "gcp:compute/regionSecurityPolicy:RegionSecurityPolicy",
                "regional-armor",
                {
                    "region": "europe-west6",
                    "type": "CLOUD_ARMOR",
                    "rules": [
                        {"action": "deny(403)", "priority": 100, "match": {"expr": {"expression": CANARY}}},
                        {
                            "action": "allow",
                            "priority": 2147483647,
                            "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}},
                        },
                    ],
                },
            ),
            "the default rule's action is 'allow': everyone else gets in",
        ),
        id="regional-armor-default-allows",
    ),
    pytest.param(
        # The backend pointed at the organisation's shared "baseline" Cloud Armor policy.
        Case(
            "gcp-compute-backend-armor-in-stack",
            on(
                "lau-viewer-backend",
                set_prop("securityPolicy", value="projects/edge-shared/global/securityPolicies/baseline"),
            ),
            "uses Cloud Armor policy projects/edge-shared/global/securityPolicies/baseline (securityPolicy), which "
            "is not in this stack",
            stack=True,
        ),
        id="backend-armor-outside-the-stack",
    ),
    # --- TLS-02 / TLS-03: references the pack cannot see ------------------------------------------
    pytest.param(
        # The organisation's shared SSL policy, referenced by path "because it is the standard".
        Case(
            "gcp-compute-tls-proxy-ssl-policy-in-stack",
            on(
                "lau-viewer-https-proxy",
                set_prop("sslPolicy", value="projects/edge-shared/global/sslPolicies/standard"),
            ),
            "uses SSL policy projects/edge-shared/global/sslPolicies/standard (sslPolicy), which is not in this stack",
            stack=True,
        ),
        id="ssl-policy-outside-the-stack",
    ),
    pytest.param(
        # Same-named SSL policy of another project: a name match alone must not count.
        Case(
            "gcp-compute-tls-proxy-ssl-policy-in-stack",
            on(
                "lau-viewer-https-proxy",
                set_prop("sslPolicy", value="projects/legacy/global/sslPolicies/lau-viewer-tls"),
            ),
            "uses SSL policy projects/legacy/global/sslPolicies/lau-viewer-tls (sslPolicy), which is not in this stack",
            stack=True,
        ),
        id="same-named-ssl-policy-of-another-project",
    ),
    pytest.param(
        # The proxy's own SSL policy lowered for an old workstation; the proxy is judged by what it uses.
        Case(
            "gcp-compute-tls-proxy-ssl-policy-in-stack",
            on("lau-viewer-tls", set_prop("minTlsVersion", value="TLS_1_0")),
            "uses SSL policy 'lau-viewer-tls', whose minTlsVersion is TLS_1_0",
            stack=True,
        ),
        id="proxy-uses-a-weak-ssl-policy",
    ),
    pytest.param(
        # A second front end on an HTTP proxy that lives in the old project.
        Case(
            "gcp-compute-http-redirect-only",
            add_resource(
                GLOBAL_FORWARDING_RULE,
                "legacy-http",
                {"target": "projects/legacy/global/targetHttpProxies/viewer-http", "portRange": "80"},
            ),
            "sends traffic to projects/legacy/global/targetHttpProxies/viewer-http (target), which is not in this "
            "stack",
            stack=True,
        ),
        id="forwarding-rule-to-a-proxy-outside-the-stack",
    ),
    pytest.param(
        # A pass-through load balancer to a backend service someone created by hand.
        Case(
            "gcp-compute-http-redirect-only",
            add_resource(
                FORWARDING_RULE,
                "adhoc-nlb",
                {
                    "region": "europe-west6",
                    "backendService": f"projects/{PROJECT}/regions/europe-west6/backendServices/adhoc",
                    "ports": ["80"],
                },
            ),
            "sends traffic to projects/chuv-imaging-lau/regions/europe-west6/backendServices/adhoc (backendService)",
            stack=True,
        ),
        id="forwarding-rule-to-a-backend-outside-the-stack",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_policy_rejects_mutation(policy_pack, case: Case):
    assert_rejected(policy_pack("lausanne", "update"), case)


# --- legitimate variants: zero mandatory findings -------------------------------------------------------


def _add(*mutations: Mutation) -> Callable[[list[Resource]], None]:
    def apply(resources: list[Resource]) -> None:
        for mutate in mutations:
            mutate(resources)

    return apply


_SECOND_VIEWER_RUN = {
    "name": "lau-viewer-beta",
    "location": "europe-west6",
    "ingress": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
    "binaryAuthorization": {"useDefault": True},  # NET-16: every Cloud Run service of a site enforces the policy
    "template": {
        "serviceAccount": VIEWER_SA,
        "vpcAccess": {
            "egress": "ALL_TRAFFIC",
            "networkInterfaces": [{"network": NETWORK_ID, "subnetwork": SUBNET_ID, "tags": ["lau-viewer"]}],
        },
    },
}

LEGITIMATE = [
    pytest.param(
        # NET-02: a narrower route to part of the worklist through the declared tunnel.
        _route("ris-pacs-half", "10.200.16.0/25", nextHopVpnTunnel=TUNNEL),
        id="narrower-route-through-the-declared-tunnel",
    ),
    pytest.param(
        # NET-02: the same route written as the tunnel's self link (the form the provider stores).
        _route("ris-self-link", "10.200.16.0/24", nextHopVpnTunnel=f"https://www.googleapis.com/compute/v1/{TUNNEL}"),
        id="worklist-route-by-self-link",
    ),
    pytest.param(
        # NET-02: a peering that exchanges subnet routes only (the egress firewall still judges the traffic).
        add_resource(
            "gcp:compute/networkPeering:NetworkPeering",
            "to-shared",
            {
                "network": NETWORK_ID,
                "peerNetwork": "projects/shared-net/global/networks/hub",
                "importCustomRoutes": False,
                "exportCustomRoutes": False,
            },
        ),
        id="peering-without-custom-routes",
    ),
    pytest.param(
        # NET-02: the hospital router's BGP session learns exactly the worklist range (the tunnel is BGP).
        add_resource(
            "gcp:compute/routerPeer:RouterPeer",
            "hospital-bgp",
            {
                "router": "lau-router",
                "region": "europe-west6",
                "interface": "if-chuv-lau-1",
                "peerAsn": 65010,
                "customLearnedIpRanges": [{"range": "10.200.16.0/24"}],
            },
        ),
        id="bgp-peer-learns-the-worklist-range",
    ),
    pytest.param(
        # NET-06: a VPC Access connector of this stack on the site VPC.
        _connector_mutation("lau-vpc"),
        id="viewer-connector-on-the-site-vpc",
    ),
    pytest.param(
        # NET-03: deny rules may use any match field: the security team blocks a threat list, logged.
        _policy_rule("block-tor", "INGRESS", "deny", {"srcThreatIntelligences": ["iplist-tor-exit-nodes"]}),
        id="deny-by-threat-list",
    ),
    pytest.param(
        # NET-04: an egress deny by domain and a goto_next limited to a declared destination.
        _add(
            _policy_rule("block-paste", "EGRESS", "deny", {"destFqdns": ["pastebin.com"]}),
            _policy_rule("worklist-next", "EGRESS", "goto_next", {"destIpRanges": ["10.200.16.0/24"]}),
        ),
        id="deny-by-domain-and-goto-next-to-the-worklist",
    ),
    pytest.param(
        # NET-03/NET-04: a dual-stack subnet with logged IPv6 deny-all rules in both directions.
        _add(
            on(
                "lau-network-viewer",
                changes(set_prop("stackType", value="IPV4_IPV6"), set_prop("ipv6AccessType", value="INTERNAL")),
            ),
            *(
                add_resource(
                    FIREWALL,
                    f"deny-all-{direction.lower()}-ipv6",
                    {
                        "network": NETWORK_ID,
                        "direction": direction,
                        "priority": 65535,
                        "denies": [{"protocol": "all"}],
                        ("sourceRanges" if direction == "INGRESS" else "destinationRanges"): ["::/0"],
                        "logConfig": LOGGED,
                    },
                )
                for direction in ("INGRESS", "EGRESS")
            ),
        ),
        id="dual-stack-subnet-with-ipv6-deny",
    ),
    pytest.param(
        # NET-04: a network firewall policy managed in this stack, attached to the site VPC.
        _add(
            add_resource(
                "gcp:compute/networkFirewallPolicy:NetworkFirewallPolicy",
                "lau-policy",
                {"name": "lau-policy", "project": PROJECT},
            ),
            add_resource(
                "gcp:compute/networkFirewallPolicyAssociation:NetworkFirewallPolicyAssociation",
                "lau-policy-vpc",
                {
                    "attachmentTarget": NETWORK_ID,
                    "firewallPolicy": f"projects/{PROJECT}/global/firewallPolicies/lau-policy",
                },
            ),
        ),
        id="association-of-a-policy-in-the-stack",
    ),
    pytest.param(
        # NET-05: a response policy rule for a hospital name; and one pinning a Google API name to the VIP.
        _add(
            *(
                add_resource(
                    "gcp:dns/responsePolicyRule:ResponsePolicyRule",
                    rule,
                    {
                        "responsePolicy": "lau-overrides",
                        "ruleName": rule,
                        "dnsName": name,
                        "localData": {"localDatas": [{"name": name, "type": "A", "ttl": 300, "rrdatas": [address]}]},
                    },
                )
                for rule, name, address in (
                    ("ris", "ris.chuv.example.", "10.200.16.10"),
                    ("storage-vip", "storage.googleapis.com.", "199.36.153.4"),
                )
            )
        ),
        id="response-policy-rules-for-hospital-and-restricted-names",
    ),
    pytest.param(
        # NET-05 / TLS-03: a Private Service Connect endpoint for the restricted (VPC-SC) API bundle.
        add_resource(
            GLOBAL_FORWARDING_RULE,
            "pscrestricted",
            {"network": NETWORK_ID, "target": "vpc-sc", "ipAddress": "10.60.0.100", "loadBalancingScheme": ""},
        ),
        id="psc-endpoint-for-restricted-apis",
    ),
    pytest.param(
        # TLS-03: a PSC consumer endpoint to the worklist vendor's service attachment (an exit, no entry point).
        add_resource(
            FORWARDING_RULE,
            "to-ris-vendor",
            {
                "region": "europe-west6",
                "network": NETWORK_ID,
                "subnetwork": SUBNET_ID,
                "target": "projects/ris-vendor/regions/europe-west6/serviceAttachments/launch",
                "loadBalancingScheme": "",
            },
        ),
        id="psc-consumer-endpoint",
    ),
    pytest.param(
        # NET-06: a second viewer revision line (beta) on the site subnet.
        add_resource("gcp:cloudrunv2/service:Service", "lau-viewer-beta", _SECOND_VIEWER_RUN),
        id="second-viewer-service-in-the-site-subnet",
    ),
    pytest.param(
        # NET-07: the bucket admits only half of the viewer subnet.
        on("lau-images", set_prop("ipFilter", "vpcNetworkSources", 0, "allowedIpCidrRanges", value=["10.60.0.0/25"])),
        id="bucket-admits-part-of-the-subnet",
    ),
    pytest.param(
        # NET-08: a separate deny rule, and an allow rule tried out in preview mode (it admits nobody).
        _add(
            add_resource(
                "gcp:compute/securityPolicyRule:SecurityPolicyRule",
                "block-scanner",
                {
                    "securityPolicy": "lau-viewer-armor",
                    "priority": 50,
                    "action": "deny(403)",
                    "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["198.51.100.66/32"]}},
                },
            ),
            on(
                ARMOR,
                lambda r: [
                    props["rules"].append(
                        {
                            "action": "allow",
                            "priority": 1500,
                            "preview": True,
                            "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["0.0.0.0/0"]}},
                        }
                    )
                    for props in (r.inputs, r.outputs)
                ],
            ),
        ),
        id="armor-extra-deny-and-preview-allow",
    ),
    pytest.param(
        # NET-08: a regional load balancer's backend behind a regional Cloud Armor policy of this stack.
        _add(
            add_resource(
                "gcp:compute/regionSecurityPolicy:RegionSecurityPolicy",
                "lau-regional-armor",
                {
                    "name": "lau-regional-armor",
                    "project": PROJECT,
                    "region": "europe-west6",
                    "type": "CLOUD_ARMOR",
                    "rules": [
                        {"action": "deny(403)", "priority": 100, "match": {"expr": {"expression": CANARY}}},
                        {
                            "action": "allow",
                            "priority": 1000,
                            "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["198.51.100.0/24"]}},
                        },
                        {
                            "action": "deny(403)",
                            "priority": 2147483647,
                            "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}},
                        },
                    ],
                },
            ),
            add_resource(
                "gcp:compute/regionBackendService:RegionBackendService",
                "lau-regional-backend",
                {
                    "region": "europe-west6",
                    "loadBalancingScheme": "EXTERNAL_MANAGED",
                    "protocol": "HTTPS",
                    "logConfig": {"enable": True, "sampleRate": 1.0},
                    "securityPolicy": f"projects/{PROJECT}/regions/europe-west6/securityPolicies/lau-regional-armor",
                },
            ),
        ),
        id="regional-backend-behind-regional-armor-in-the-stack",
    ),
    pytest.param(
        # NET-08: the Log4Shell rule written with an explicit, stricter sensitivity.
        on(
            ARMOR,
            _canary(lambda rule: rule.update(match={"expr": {"expression": CANARY[:-1] + ", {'sensitivity': 4})"}})),
        ),
        id="log4shell-rule-with-explicit-sensitivity",
    ),
    pytest.param(
        # TLS-02: a regional HTTPS proxy with a regional SSL policy of this stack.
        _add(
            add_resource(
                "gcp:compute/regionSslPolicy:RegionSslPolicy",
                "lau-internal-tls",
                {
                    "name": "lau-internal-tls",
                    "project": PROJECT,
                    "region": "europe-west6",
                    "profile": "RESTRICTED",
                    "minTlsVersion": "TLS_1_2",
                },
            ),
            add_resource(
                "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy",
                "lau-internal-https",
                {
                    "region": "europe-west6",
                    "sslPolicy": f"projects/{PROJECT}/regions/europe-west6/sslPolicies/lau-internal-tls",
                },
            ),
        ),
        id="regional-proxy-with-regional-ssl-policy-in-the-stack",
    ),
]


@pytest.mark.parametrize("mode", ["update", "preview"])
@pytest.mark.parametrize("mutate", LEGITIMATE)
def test_legitimate_variant_passes(policy_pack, mutate, mode):
    resources = site_plan("lausanne", mode)
    mutate(resources)
    pack = policy_pack("lausanne", mode)
    found = [d for r in resources if r.custom for d in pack.analyze(r)] + pack.analyze_stack(resources)
    assert [(d.policy, d.message) for d in found if d.level == "mandatory"] == []


def test_unknown_references_on_a_first_preview_are_judged_by_dependency(policy_pack):
    """On a fresh site's preview the proxy's sslPolicy, the backend's securityPolicy and the forwarding
    rules' targets are unknown: the references hold by dependency, so nothing is reported as outside the
    stack; dropping the dependency leaves an unknown reference from nowhere, which is."""
    resources = site_plan("lausanne", "preview")
    pack = policy_pack("lausanne", "preview")
    assert [d.policy for d in pack.analyze_stack(resources) if d.level == "mandatory"] == []
    proxy = next(r for r in resources if r.name == "lau-viewer-https-proxy")
    proxy.property_dependencies = {k: v for k, v in proxy.property_dependencies.items() if k != "sslPolicy"}
    found = [d for d in pack.analyze_stack(resources) if d.level == "mandatory"]
    assert [d.policy for d in found] == ["gcp-compute-tls-proxy-ssl-policy-in-stack"]
