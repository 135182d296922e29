"""References that decide where launch traffic goes (issue part 5): URL-map routes and route actions, backend
groups and network endpoint groups, certificate maps and their certificates, and the ports ingress opens.

Each case is one change to the Lausanne site's real plan, judged by the real pack process (see
``mutation.py``); its comment says the control, and why a careless engineer or an insider would write it.
The legitimate variants below are the same kind of change made right: zero mandatory findings."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from imaging_policies import _site

from preflight.engine import stacks
from preflight.engine.runner import UNKNOWN, Resource
from preflight.engine.stacks import PROJECT as PROJECT_NAME
from preflight.judge import analyzer
from program.config import NetworkSettings
from tests.conftest import by_name, site_plan
from tests.policies.mutation import Case, add_resource, assert_rejected, changes, on, set_prop

PROJECT = "chuv-imaging-lau"
HOST = "imagerie.chuv.example"
BACKEND = f"projects/{PROJECT}/global/backendServices/lau-viewer-backend"
BACKEND_LINK = f"https://www.googleapis.com/compute/v1/{BACKEND}"
HTTPS_MAP = "lau-viewer-https-map"
NEG = "lau-viewer-neg"
PROXY = "lau-viewer-https-proxy"
ELSEWHERE = f"projects/{PROJECT}/global/backendServices/lau-admin"
NET_09 = "gcp-compute-traffic-to-site-viewer"
TLS_06 = "gcp-certificatemanager-site-hostname"
TLS_06_STACK = "gcp-certificatemanager-references-in-stack"
CM = "gcp:certificatemanager"
CERTIFICATE = f"{CM}/certificate:Certificate"
CERTIFICATE_MAP = f"{CM}/certificateMap:CertificateMap"
MAP_ENTRY = f"{CM}/certificateMapEntry:CertificateMapEntry"
DNS_AUTHORIZATION = f"{CM}/dnsAuthorization:DnsAuthorization"
MAP_URI = f"//certificatemanager.googleapis.com/projects/{PROJECT}/locations/global/certificateMaps/lau-viewer-map"


def _routes(*path_rules: dict[str, object], **matcher: object) -> Callable[[Resource], None]:
    """The HTTPS URL map with a host rule for the launch hostname and one path matcher (default: the viewer)."""
    return changes(
        set_prop("hostRules", value=[{"hosts": [HOST], "pathMatcher": "viewer"}]),
        set_prop(
            "pathMatchers",
            value=[{"name": "viewer", "defaultService": BACKEND_LINK, "pathRules": list(path_rules), **matcher}],
        ),
    )


def _stack(policy: str, name: str, change: Callable[[Resource], None], expected: str) -> Case:
    return Case(policy, on(name, change), expected, stack=True)


CASES = [
    # NET-09, part 5: an admin console "temporarily" behind the launch endpoint, on a backend outside the stack
    pytest.param(
        _stack(
            NET_09,
            HTTPS_MAP,
            _routes({"paths": ["/admin/*"], "service": ELSEWHERE}),
            f"pathMatchers[0].pathRules[0].service names {ELSEWHERE}, which is not a backend service of this stack",
        ),
        id="admin-path-routed-to-another-backend-service",
    ),
    # NET-09, part 5: an insider mirrors launches "for load testing"; the copy carries every launch token
    pytest.param(
        _stack(
            NET_09,
            HTTPS_MAP,
            set_prop("defaultRouteAction", value={"requestMirrorPolicy": {"backendService": BACKEND}}),
            "defaultRouteAction.requestMirrorPolicy copies launch requests",
        ),
        id="request-mirror-even-to-the-viewer-backend",
    ),
    # NET-09, part 5: a canary that sends 1% of launches to a backend the pack cannot see
    pytest.param(
        _stack(
            NET_09,
            HTTPS_MAP,
            _routes(
                {
                    "paths": ["/*"],
                    "routeAction": {
                        "weightedBackendServices": [
                            {"backendService": BACKEND, "weight": 99},
                            {"backendService": ELSEWHERE, "weight": 1},
                        ]
                    },
                }
            ),
            "pathRules[0].routeAction.weightedBackendServices[1].backendService names",
        ),
        id="one-percent-split-to-another-backend",
    ),
    # NET-09, part 5: a "moved to the new domain" redirect that keeps the query, launch token included
    pytest.param(
        _stack(
            NET_09,
            HTTPS_MAP,
            changes(
                set_prop("defaultService", value=None),
                set_prop(
                    "defaultUrlRedirect",
                    value={"hostRedirect": "viewer.partner.example", "httpsRedirect": True, "stripQuery": False},
                ),
            ),
            "defaultUrlRedirect.hostRedirect sends launch requests to viewer.partner.example",
        ),
        id="https-default-redirect-to-another-host",
    ),
    # NET-09, part 5: the port-80 redirect "fixed" to send to the hospital's portal; TLS-03 still holds
    pytest.param(
        _stack(
            NET_09,
            "lau-viewer-redirect-map",
            set_prop("defaultUrlRedirect", "hostRedirect", value="portal.chuv.example"),
            "defaultUrlRedirect.hostRedirect sends launch requests to portal.chuv.example",
        ),
        id="http-redirect-to-another-host",
    ),
    # NET-09, part 5: a copy-pasted NEG that serves another Cloud Run service of the project
    pytest.param(
        _stack(
            NET_09,
            NEG,
            set_prop("cloudRun", "service", value="lau-research-notebook"),
            "cloudRun.service lau-research-notebook is not a Cloud Run service of this stack",
        ),
        id="serverless-neg-for-another-cloud-run-service",
    ),
    # NET-09, part 5: the viewer switched to the uploader's account "to save thumbnails"; the NEG now serves a
    # Cloud Run service that is not the site's viewer
    pytest.param(
        _stack(
            NET_09,
            "lau-viewer-run",
            set_prop("template", "serviceAccount", value=f"lau-pacs@{PROJECT}.iam.gserviceaccount.com"),
            "cloudRun.service lau-viewer is a Cloud Run service of this stack that does not run as the site's viewer "
            "identity",
        ),
        id="neg-service-runs-as-another-identity",
    ),
    # NET-09, part 5: a URL mask serves whichever service a request names, not only the viewer
    pytest.param(
        _stack(
            NET_09,
            NEG,
            set_prop("cloudRun", value={"urlMask": "/<service>"}),
            "cloudRun.urlMask /<service> routes to whichever service a request's URL names",
        ),
        id="serverless-neg-url-mask",
    ),
    # NET-09, part 5: the export function put behind the same load balancer
    pytest.param(
        _stack(
            NET_09,
            NEG,
            set_prop("cloudFunction", value={"function": "lau-export"}),
            "cloudFunction is set: the NEG serves something other than the viewer's Cloud Run service",
        ),
        id="serverless-neg-for-a-cloud-function",
    ),
    # NET-09, part 5: an internet NEG "for the vendor's CDN origin": launch traffic leaves the site
    pytest.param(
        Case(
            NET_09,
            add_resource(
                "gcp:compute/globalNetworkEndpointGroup:GlobalNetworkEndpointGroup",
                "vendor-origin",
                {"project": PROJECT, "name": "vendor-origin", "networkEndpointType": "INTERNET_FQDN_PORT"},
            ),
            "networkEndpointType is INTERNET_FQDN_PORT: an internet NEG: launch traffic leaves the site",
            stack=True,
        ),
        id="internet-neg",
    ),
    # NET-09, part 5: a second backend group named by path, for a NEG managed in another repository
    pytest.param(
        _stack(
            NET_09,
            "lau-viewer-backend",
            set_prop(
                "backends",
                value=[
                    {"group": f"projects/{PROJECT}/regions/europe-west6/networkEndpointGroups/lau-viewer-neg"},
                    {"group": f"projects/{PROJECT}/global/networkEndpointGroups/partner-origin"},
                ],
            ),
            f"backends[1].group projects/{PROJECT}/global/networkEndpointGroups/partner-origin is not a network "
            "endpoint group of this stack",
        ),
        id="backend-group-outside-the-stack",
    ),
    # NET-09, part 5: the old VM viewer kept as a fallback backend
    pytest.param(
        _stack(
            NET_09,
            "lau-viewer-backend",
            set_prop(
                "backends",
                value=[
                    {"group": f"projects/{PROJECT}/regions/europe-west6/networkEndpointGroups/lau-viewer-neg"},
                    {"group": f"projects/{PROJECT}/zones/europe-west6-a/instanceGroups/lau-legacy-viewer"},
                ],
            ),
            "is an instance group: the launch endpoint serves only the site's serverless viewer",
        ),
        id="instance-group-backend",
    ),
    # NET-09, part 5: static thumbnails "served cheaply" from a backend bucket, past bucket IAM
    pytest.param(
        _stack(
            NET_09,
            HTTPS_MAP,
            _routes(
                routeRules=[
                    {
                        "priority": 1,
                        "matchRules": [{"prefixMatch": "/thumbnails/"}],
                        "service": f"projects/{PROJECT}/global/backendBuckets/lau-thumbnails",
                    }
                ]
            ),
            "pathMatchers[0].routeRules[0].service names backend bucket",
        ),
        id="backend-bucket-on-the-url-map",
    ),
    # NET-09, part 5: CORS opened to every origin to get a plug-in working
    pytest.param(
        _stack(
            NET_09,
            HTTPS_MAP,
            set_prop("defaultRouteAction", value={"corsPolicy": {"allowOrigins": ["*"], "allowCredentials": True}}),
            "defaultRouteAction.corsPolicy admits origin *",
        ),
        id="cors-any-origin",
    ),
    # NET-09, part 5: a chaos test left enabled in production
    pytest.param(
        _stack(
            NET_09,
            HTTPS_MAP,
            set_prop(
                "defaultRouteAction",
                value={"faultInjectionPolicy": {"abort": {"httpStatus": 503, "percentage": 5}}},
            ),
            "defaultRouteAction.faultInjectionPolicy aborts or delays launch requests",
        ),
        id="fault-injection",
    ),
    # NET-09, part 5: error pages from a shared backend service of the platform team
    pytest.param(
        _stack(
            NET_09,
            HTTPS_MAP,
            set_prop(
                "defaultCustomErrorResponsePolicy",
                value={
                    "errorResponseRules": [{"matchResponseCodes": ["5xx"], "path": "/error.html"}],
                    "errorService": f"projects/{PROJECT}/global/backendServices/platform-error-pages",
                },
            ),
            "defaultCustomErrorResponsePolicy.errorService names",
        ),
        id="error-service-outside-the-stack",
    ),
    # NET-09, part 5: the HTTPS proxy re-pointed at the platform's shared URL map
    pytest.param(
        _stack(
            NET_09,
            PROXY,
            set_prop("urlMap", value="projects/chuv-shared-edge/global/urlMaps/shared"),
            "routes by URL map projects/chuv-shared-edge/global/urlMaps/shared (urlMap), which is not in this stack",
        ),
        id="https-proxy-with-a-foreign-url-map",
    ),
    # TLS-06, part 5: one certificate "for all our hosts" on the launch endpoint
    pytest.param(
        Case(
            TLS_06,
            add_resource(
                CERTIFICATE,
                "lau-viewer-cm-cert",
                {"project": PROJECT, "name": "lau-viewer", "managed": {"domains": [HOST, "pacs.chuv.example"]}},
            ),
            "managed.domains names pacs.chuv.example, which is not the site's launch hostname",
        ),
        id="certificate-for-another-hostname",
    ),
    # TLS-06, part 5: the compute managed certificate given a second name
    pytest.param(
        Case(
            TLS_06,
            on("lau-viewer-cert", set_prop("managed", "domains", value=[HOST, "www.chuv.example"])),
            "managed.domains names www.chuv.example",
        ),
        id="managed-ssl-certificate-for-another-hostname",
    ),
    # TLS-06, part 5: the hospital's wildcard certificate imported, private key and all
    pytest.param(
        Case(
            TLS_06,
            add_resource(
                CERTIFICATE,
                "lau-wildcard",
                {
                    "project": PROJECT,
                    "name": "wildcard",
                    "selfManaged": {"pemCertificate": "-----BEGIN", "pemPrivateKey": "x"},
                },
            ),
            "selfManaged keeps the certificate's private key in the Pulumi state",
        ),
        id="self-managed-certificate-manager-certificate",
    ),
    # TLS-06, part 5: the apex authorised, so anyone with the project can issue for every hospital name
    pytest.param(
        Case(
            TLS_06,
            add_resource(
                DNS_AUTHORIZATION, "lau-dns-auth", {"project": PROJECT, "name": "chuv", "domain": "chuv.example"}
            ),
            "domain names chuv.example, which is not the site's launch hostname",
        ),
        id="dns-authorization-for-the-apex",
    ),
    # TLS-06, part 5: a map entry that serves the central team's certificate, whose key the site cannot see
    pytest.param(
        Case(
            TLS_06_STACK,
            add_resource(
                MAP_ENTRY,
                "lau-viewer-map-entry",
                {
                    "project": PROJECT,
                    "name": "lau-viewer",
                    "map": "lau-viewer-map",
                    "hostname": HOST,
                    "certificates": ["projects/chuv-central-pki/locations/global/certificates/chuv-wildcard"],
                },
            ),
            "uses projects/chuv-central-pki/locations/global/certificates/chuv-wildcard (certificates[0]), which is "
            "not a certificate or certificate map of this stack",
            stack=True,
        ),
        id="certificate-map-entry-with-a-foreign-certificate",
    ),
    # TLS-06, part 5: the proxy switched to the platform's shared certificate map
    pytest.param(
        _stack(
            TLS_06_STACK,
            PROXY,
            set_prop(
                "certificateMap",
                value="//certificatemanager.googleapis.com/projects/chuv-shared-edge/locations/global/certificateMaps/edge",
            ),
            "(certificateMap), which is not a certificate or certificate map of this stack",
        ),
        id="https-proxy-with-a-foreign-certificate-map",
    ),
    # NET-03, part 5: a debugging port opened next to the viewer's declared one
    pytest.param(
        Case(
            "gcp-compute-firewall-ingress-allowlist",
            on(
                "lau-firewall-allow-load-balancer",
                set_prop("allows", value=[{"protocol": "tcp", "ports": ["8080", "9090"]}]),
            ),
            "allows[0].ports opens TCP 9090, which the site does not declare for the viewer",
        ),
        id="ingress-port-not-declared",
    ),
    # NET-03, part 5: SSH through IAP added to the administrators' rule "just for today"
    pytest.param(
        Case(
            "gcp-compute-firewall-ingress-allowlist",
            on("lau-firewall-allow-iap", set_prop("allows", value=[{"protocol": "tcp", "ports": ["8080", "22"]}])),
            "allows[0].ports opens TCP 22",
        ),
        id="iap-ingress-opens-ssh",
    ),
]


def _certificate_manager(resources: list[Resource]) -> Resource:
    """A Google-managed Certificate Manager certificate for the launch hostname, its DNS authorisation, a map and
    its entry; returns the HTTPS proxy switched to the map (keeping its SSL policy)."""
    add_resource(
        DNS_AUTHORIZATION,
        "lau-viewer-dns-auth",
        {"project": PROJECT, "name": "lau-viewer", "location": "global", "domain": HOST},
    )(resources)
    add_resource(
        CERTIFICATE,
        "lau-viewer-cm-cert",
        {
            "project": PROJECT,
            "name": "lau-viewer",
            "location": "global",
            "managed": {
                "domains": [HOST],
                "dnsAuthorizations": [f"projects/{PROJECT}/locations/global/dnsAuthorizations/lau-viewer"],
            },
            "id": f"projects/{PROJECT}/locations/global/certificates/lau-viewer",
        },
    )(resources)
    add_resource(
        CERTIFICATE_MAP,
        "lau-viewer-map",
        {
            "project": PROJECT,
            "name": "lau-viewer-map",
            "id": f"projects/{PROJECT}/locations/global/certificateMaps/lau-viewer-map",
        },
    )(resources)
    number = by_name(resources, "lau-images").outputs.get("projectNumber")
    project = f"{number:.0f}" if isinstance(number, float) else PROJECT  # unknown in a first preview
    add_resource(
        MAP_ENTRY,
        "lau-viewer-map-entry",
        {
            "project": PROJECT,
            "name": "lau-viewer",
            "map": "lau-viewer-map",
            "hostname": HOST,
            # the API's stored form names the project by number
            "certificates": [f"projects/{project}/locations/global/certificates/lau-viewer"],
        },
    )(resources)
    proxy = by_name(resources, PROXY)
    changes(set_prop("sslCertificates", value=None), set_prop("certificateMap", value=MAP_URI))(proxy)
    return proxy


def _proxy_with_a_map_and_no_ssl_policy(resources: list[Resource]) -> Resource:
    """A second HTTPS proxy on the Certificate Manager map, its SSL policy forgotten."""
    _certificate_manager(resources)
    return add_resource(
        "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
        "lau-viewer-https-proxy-cm",
        {
            "project": PROJECT,
            "name": "lau-viewer-cm",
            "urlMap": f"projects/{PROJECT}/global/urlMaps/lau-viewer-https",
            "certificateMap": MAP_URI,
        },
    )(resources)


CASES.append(
    # TLS-02, part 5: a proxy moved to Certificate Manager, the SSL policy left behind (TLS 1.0 accepted)
    pytest.param(
        Case(
            "gcp-compute-tls-proxy-ssl-policy",
            _proxy_with_a_map_and_no_ssl_policy,
            "sslPolicy is not set, so the proxy uses Google's default (TLS 1.0, COMPATIBLE)",
        ),
        id="certificate-map-proxy-without-ssl-policy",
    )
)

CASES.extend(
    [
        # NET-09: an engineer debugging a sign-on loop switches IAP off on the viewer's backend and forgets it;
        # Lausanne signs on through IAP, so launch requests would reach the viewer without the hospital's sign-on
        pytest.param(
            _stack(
                NET_09,
                "lau-viewer-backend",
                set_prop("iap", value={"enabled": False}),
                "iap enabled is False, while the stack's imaging-landing-zone:viewer.signOn is iap",
            ),
            id="iap-switched-off-on-the-viewer-backend",
        ),
        # NET-09: the same backend re-declared by hand without its iap block (the provider's default: no IAP)
        pytest.param(
            _stack(
                NET_09,
                "lau-viewer-backend",
                set_prop("iap", value=None),
                "iap is not set, while the stack's imaging-landing-zone:viewer.signOn is iap",
            ),
            id="iap-block-dropped-from-the-viewer-backend",
        ),
    ]
)


@pytest.mark.parametrize("case", CASES)
def test_a_reference_that_sends_traffic_elsewhere_is_rejected(policy_pack, case: Case):
    assert_rejected(policy_pack("lausanne", "update"), case)


# -- legitimate variants -----------------------------------------------------------------------------------


def _second_path_rule(resources: list[Resource]) -> list[Resource]:
    """A second path rule, and a same-host redirect, both to the viewer's own backend."""
    url_map = by_name(resources, HTTPS_MAP)
    _routes(
        {"paths": ["/studies/*"], "service": BACKEND},
        {"paths": ["/old-viewer/*"], "urlRedirect": {"pathRedirect": "/", "stripQuery": False}},
        routeRules=[
            {
                "priority": 1,
                "matchRules": [{"prefixMatch": "/api/"}],
                "routeAction": {"weightedBackendServices": [{"backendService": BACKEND_LINK, "weight": 100}]},
            }
        ],
    )(url_map)
    return [url_map]


def _switched_to_certificate_manager(resources: list[Resource]) -> list[Resource]:
    _certificate_manager(resources)
    return [r for r in resources if r.type.startswith(CM) or r.name == PROXY]


def _second_path_rule_in_a_first_preview(resources: list[Resource]) -> list[Resource]:
    """The same routes while the backend's link is unknown: judged by the property's dependency."""
    url_map = by_name(resources, HTTPS_MAP)
    set_prop(
        "pathMatchers",
        value=[
            {"name": "viewer", "defaultService": UNKNOWN, "pathRules": [{"paths": ["/studies/*"], "service": UNKNOWN}]}
        ],
    )(url_map)
    set_prop("hostRules", value=[{"hosts": [HOST], "pathMatcher": "viewer"}])(url_map)
    url_map.property_dependencies["pathMatchers"] = [by_name(resources, "lau-viewer-backend").urn]
    return [url_map]


@pytest.mark.parametrize(
    ("mode", "change"),
    [
        pytest.param("update", _second_path_rule, id="second-path-rule-to-the-viewer-backend"),
        pytest.param("update", _switched_to_certificate_manager, id="certificate-manager-map-on-the-proxy"),
        pytest.param("preview", _switched_to_certificate_manager, id="certificate-manager-map-in-a-first-preview"),
        pytest.param("preview", _second_path_rule_in_a_first_preview, id="second-path-rule-in-a-first-preview"),
    ],
)
def test_a_legitimate_traffic_variant_has_no_mandatory_finding(policy_pack, mode, change):
    resources = site_plan("lausanne", mode)
    touched = change(resources)
    pack = policy_pack("lausanne", mode)
    found = [d for r in touched for d in pack.analyze(r)] + pack.analyze_stack(resources)
    mandatory = [f"{d.policy} on {d.urn}: {d.message}" for d in found if d.level == "mandatory"]
    assert not mandatory, mandatory
    assert not [d for d in found if d.skipped_in_preview], [d.message for d in found]


def test_the_site_viewer_neg_in_a_first_preview_is_judged_by_its_dependency(policy_pack):
    """A NEG whose service name is computed from the viewer's Cloud Run service (unknown in a first preview)
    leads to the viewer; computed from nothing of the stack, it is not judged in preview, never met."""
    resources = site_plan("lausanne", "preview")
    neg = by_name(resources, NEG)
    set_prop("cloudRun", "service", value=UNKNOWN)(neg)
    pack = policy_pack("lausanne", "preview")
    assert not [d for d in pack.analyze_stack(resources) if d.policy == NET_09]
    neg.property_dependencies["cloudRun"] = []
    found = [d for d in pack.analyze_stack(resources) if d.policy == NET_09]
    assert [d.skipped_in_preview for d in found] == [True], [d.message for d in found]
    assert "cloudRun.service" in found[0].message


def test_the_packs_default_viewer_ports_are_the_site_config_models():
    """The pack keeps its own copy of ``network.viewerPorts``'s default (it is published alone)."""
    default = NetworkSettings.model_fields["viewer_ports"].default
    assert frozenset(default) == _site.VIEWER_PORTS


@pytest.mark.parametrize("case", CASES)
def test_a_reference_that_sends_traffic_elsewhere_is_rejected_in_a_first_preview(policy_pack, case: Case):
    """The same changes in a fresh site's first preview (ids and links unknown): judged, not skipped."""
    assert_rejected(policy_pack("lausanne", "preview"), case, "preview")


def _pack_with(user_config: dict[str, object]) -> analyzer.PolicyPack:
    pack = analyzer.PolicyPack(
        config=dict(stacks.load("lausanne").config), project=PROJECT_NAME, stack="lausanne", dry_run=False
    )
    pack.configure(analyzer.reconcile(pack.info(), user_config))
    return pack


def test_the_policy_config_ports_replace_the_sites_viewer_ports():
    """``allowedPorts`` replaces ``network.viewerPorts``: a reviewer can narrow what the site file declares."""
    pack = _pack_with({"gcp-compute-firewall-ingress-allowlist": {"allowedPorts": [443]}})
    try:
        rule = by_name(site_plan("lausanne", "update"), "lau-firewall-allow-load-balancer")
        found = [d.message for d in pack.analyze(rule) if d.policy == "gcp-compute-firewall-ingress-allowlist"]
        assert any("opens TCP 8080" in m and "the policy's allowedPorts config: 443" in m for m in found), found
    finally:
        pack.close()


def test_redirects_and_certificates_follow_the_policy_config_hostnames():
    """``allowedHostnames`` replaces ``viewer.domain`` for NET-09 and TLS-06 alike."""
    pack = _pack_with(
        {NET_09: {"allowedHostnames": ["viewer.chuv.example"]}, TLS_06: {"allowedHostnames": ["viewer.chuv.example"]}}
    )
    try:
        resources = site_plan("lausanne", "update")
        redirect = by_name(resources, "lau-viewer-redirect-map")
        set_prop("defaultUrlRedirect", "hostRedirect", value="viewer.chuv.example")(redirect)
        assert [d for d in pack.analyze_stack(resources) if d.policy == NET_09] == []
        found = [d.message for d in pack.analyze(by_name(resources, "lau-viewer-cert")) if d.policy == TLS_06]
        assert any(f"managed.domains names {HOST}" in m for m in found), found
    finally:
        pack.close()
