"""Launch-endpoint, viewer-compute and guard-rail policies against the Lausanne site's real plan: one named
mutation per case is rejected with a message that names the property and the fix (see ``mutation.py``)."""

from __future__ import annotations

import pytest

from preflight.engine import stacks
from tests.conftest import site_plan
from tests.policies.mutation import Case, add_resource, assert_rejected, changes, on, remove, set_prop

LAU_RUN = "lau-viewer-run"


SERVES_CONTENT = changes(
    set_prop("defaultUrlRedirect", value=None),
    set_prop("defaultService", value="projects/chuv-imaging-lau/global/backendServices/lau-viewer-backend"),
)


CASES = [
    pytest.param(
        Case(
            "gcp-compute-ssl-policy-modern",
            on("lau-viewer-tls", set_prop("profile", value="COMPATIBLE")),
            "profile is COMPATIBLE",
        ),
        id="ssl-policy-compatible",
    ),
    pytest.param(
        Case(
            "gcp-compute-ssl-policy-modern",
            on("lau-viewer-tls", set_prop("minTlsVersion", value="TLS_1_0")),
            "minTlsVersion is TLS_1_0; set it to 'TLS_1_2'",
        ),
        id="ssl-policy-tls-1-0",
    ),
    pytest.param(
        Case(
            "gcp-compute-tls-proxy-ssl-policy",
            on("lau-viewer-https-proxy", set_prop("sslPolicy", value=None)),
            "sslPolicy is not set, so the proxy uses Google's default (TLS 1.0, COMPATIBLE)",
        ),
        id="https-proxy-without-ssl-policy",
    ),
    pytest.param(
        Case(
            "gcp-compute-tls-proxy-ssl-policy",
            add_resource("gcp:compute/sSLCertificate:SSLCertificate", "own-cert", {"privateKey": "-----BEGIN"}),
            "keeps its private key in the Pulumi state",
        ),
        id="self-managed-certificate",
    ),
    pytest.param(
        Case(
            "gcp-compute-http-redirect-only",
            on("lau-viewer-redirect-map", SERVES_CONTENT),
            "forwarding rule 'lau-viewer-http' serves plain HTTP through 'lau-viewer-http-proxy'",
            stack=True,
        ),
        id="http-front-end-serves-content",
    ),
    pytest.param(
        Case(
            "gcp-compute-backend-https",
            on("lau-viewer-backend", set_prop("protocol", value="HTTP")),
            "protocol is HTTP: the last hop is plaintext",
        ),
        id="backend-plaintext",
    ),
    pytest.param(
        Case(
            "gcp-compute-backend-request-logs",
            on("lau-viewer-backend", set_prop("logConfig", "enable", value=False)),
            "logConfig.enable is not true",
        ),
        id="backend-logging-off",
    ),
    pytest.param(
        Case(
            "gcp-compute-edge-cloud-armor",
            on("lau-viewer-armor", set_prop("rules", -1, "action", value="allow")),
            "the default rule's action is 'allow': everyone else gets in",
        ),
        id="armor-default-allows-all",
    ),
    pytest.param(
        Case(
            "gcp-compute-edge-cloud-armor",
            on(
                "lau-viewer-armor",
                set_prop("rules", 0, "match", "config", "srcIpRanges", value=["198.51.100.0/24", "0.0.0.0/0"]),
            ),
            "rules[0].match.config.srcIpRanges admits 0.0.0.0/0, which is not a declared hospital or worklist network",
        ),
        id="armor-allows-anywhere",
    ),
    pytest.param(
        Case(
            "gcp-compute-edge-cloud-armor",
            on("lau-viewer-backend", set_prop("securityPolicy", value=None)),
            "securityPolicy is not set on an internet-facing backend",
        ),
        id="backend-without-armor",
    ),
    pytest.param(
        Case(
            "gcp-cloudrun-not-public",
            on(LAU_RUN, set_prop("ingress", value="INGRESS_TRAFFIC_ALL")),
            "ingress is INGRESS_TRAFFIC_ALL: the viewer's run.app URL is open to the internet",
        ),
        id="cloud-run-ingress-all",
    ),
    pytest.param(
        Case(
            "gcp-cloudrun-not-public",
            on(LAU_RUN, set_prop("invokerIamDisabled", value=True)),
            "invokerIamDisabled is true while the stack's imaging-landing-zone:viewer.signOn is iap",
        ),
        # IAM-09: copied from the launch-token site's service "to simplify": Lausanne signs on through IAP, and
        # Cloud Run stops checking who invokes the viewer
        id="cloud-run-invoker-iam-off-on-an-iap-site",
    ),
    pytest.param(
        Case(
            "gcp-cloudrun-not-public",
            add_resource(
                "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
                "viewer-public",
                {"name": "lau-viewer", "location": "europe-west6", "role": "roles/run.invoker", "member": "allUsers"},
            ),
            "member allUsers holds roles/run.invoker: anyone could invoke the viewer",
            also=frozenset({"gcp-iam-no-public-principals"}),
        ),
        id="cloud-run-all-users-invoker",
    ),
    pytest.param(
        Case(
            "gcp-viewer-no-public-address",
            on(LAU_RUN, set_prop("template", "vpcAccess", "egress", value="PRIVATE_RANGES_ONLY")),
            "template.vpcAccess.egress is PRIVATE_RANGES_ONLY: the viewer's traffic bypasses the site VPC",
        ),
        id="viewer-egress-bypasses-vpc",
    ),
    pytest.param(
        Case(
            "gcp-viewer-no-public-address",
            add_resource(
                "gcp:compute/instance:Instance",
                "viewer-vm",
                {"networkInterfaces": [{"network": "lau-vpc", "accessConfigs": [{"networkTier": "PREMIUM"}]}]},
            ),
            "networkInterfaces[0] has an access config",
        ),
        id="vm-with-public-address",
    ),
    pytest.param(
        Case(
            "gcp-project-services-needed-only",
            add_resource(
                "gcp:projects/service:Service",
                "bigquery",
                {"project": "chuv-imaging-lau", "service": "bigquery.googleapis.com", "disableOnDestroy": False},
            ),
            "service bigquery.googleapis.com is not one the site needs",
        ),
        id="unneeded-api",
    ),
    pytest.param(
        Case(
            "gcp-project-services-needed-only",
            on("lau-project-api-storage", set_prop("disableOnDestroy", value=True)),
            "disableOnDestroy is not false",
        ),
        id="api-disabled-on-destroy",
    ),
    pytest.param(
        Case(
            "gcp-orgpolicy-restrict-tls-version",
            remove("lau-project-gcp.restrictTLSVersion"),
            "org policy gcp.restrictTLSVersion is missing on the project",
            stack=True,
        ),
        id="tls-org-policy-missing",
    ),
    pytest.param(
        Case(
            "gcp-orgpolicy-restrict-tls-version",
            on(
                "lau-project-gcp.restrictTLSVersion",
                set_prop("spec", value={"rules": [{"values": {"deniedValues": ["TLS_VERSION_1"]}}]}),
            ),
            "org policy gcp.restrictTLSVersion: values.deniedValues lacks TLS_VERSION_1_1",
            stack=True,
        ),
        id="tls-org-policy-allows-1-1",
    ),
    pytest.param(
        Case(
            "gcp-orgpolicy-no-vm-external-ip",
            on("lau-project-compute.vmExternalIpAccess", set_prop("spec", value={"rules": [{"allowAll": "TRUE"}]})),
            "org policy compute.vmExternalIpAccess: a rule allows values",
            stack=True,
        ),
        id="vm-external-ips-allowed",
    ),
    pytest.param(
        Case(
            "gcp-orgpolicy-resource-locations",
            on(
                "lau-project-gcp.resourceLocations",
                set_prop("spec", value={"rules": [{"values": {"allowedValues": ["in:us-locations"]}}]}),
            ),
            "admits in:us-locations, outside the site region europe-west6",
            stack=True,
        ),
        id="resources-outside-the-region",
    ),
    pytest.param(
        Case(
            "gcp-orgpolicy-restrict-cmek-key-projects",
            on(
                "lau-project-gcp.restrictCmekCryptoKeyProjects",
                set_prop("spec", value={"rules": [{"values": {"allowedValues": ["under:organizations/4711"]}}]}),
            ),
            "values.allowedValues must name the projects that hold the site's keys",
            stack=True,
        ),
        id="keys-from-anywhere-in-the-organisation",
    ),
    pytest.param(
        Case(
            "gcp-orgpolicy-disable-sa-key-creation",
            on(
                "lau-project-iam.disableServiceAccountKeyCreation",
                set_prop("spec", value={"rules": [{"enforce": "FALSE"}]}),
            ),
            "org policy iam.disableServiceAccountKeyCreation: a rule has enforce 'FALSE'",
            stack=True,
        ),
        id="sa-key-creation-allowed",
    ),
    # ORG-03, 05, 06, 07, 08: each guard rail turned off the way a hand edit or a "temporary" exception would
    pytest.param(
        Case(
            "gcp-orgpolicy-storage-uniform-access",
            on(
                "lau-project-storage.uniformBucketLevelAccess",
                set_prop("spec", value={"rules": [{"enforce": "FALSE"}]}),
            ),
            "org policy storage.uniformBucketLevelAccess: a rule has enforce 'FALSE'",
            stack=True,
        ),
        id="object-acls-allowed-in-the-project",
    ),  # a migration tool that writes object ACLs asks for the constraint to be relaxed
    pytest.param(
        Case(
            "gcp-orgpolicy-disable-sa-key-upload",
            remove("lau-project-iam.disableServiceAccountKeyUpload"),
            "org policy iam.disableServiceAccountKeyUpload is missing on the project",
            stack=True,
        ),
        id="sa-key-upload-guard-rail-removed",
    ),  # an uploaded key is a long-lived credential outside the site's control
    pytest.param(
        Case(
            "gcp-orgpolicy-no-default-sa-grants",
            on(
                "lau-project-iam.automaticIamGrantsForDefaultServiceAccounts",
                set_prop("spec", value={"rules": [{"enforce": "FALSE"}]}),
            ),
            "org policy iam.automaticIamGrantsForDefaultServiceAccounts: a rule has enforce 'FALSE'",
            stack=True,
        ),
        id="default-service-accounts-get-editor",
    ),  # the default compute account would get roles/editor on the project
    pytest.param(
        Case(
            "gcp-orgpolicy-restrict-non-cmek-services",
            on(
                "lau-project-gcp.restrictNonCmekServices",
                set_prop("spec", value={"rules": [{"values": {"deniedValues": ["pubsub.googleapis.com"]}}]}),
            ),
            "org policy gcp.restrictNonCmekServices: values.deniedValues lacks storage.googleapis.com",
            stack=True,
        ),
        id="storage-without-cmek-allowed",
    ),  # storage dropped from the list: new buckets could use Google-managed keys
    pytest.param(
        Case(
            "gcp-orgpolicy-skip-default-network",
            remove("lau-project-compute.skipDefaultNetworkCreation"),
            "org policy compute.skipDefaultNetworkCreation is missing on the project",
            stack=True,
        ),
        id="default-network-guard-rail-removed",
    ),  # the default network comes with open firewall rules
]


@pytest.mark.parametrize("case", CASES)
def test_policy_rejects_mutation(policy_pack, case: Case):
    assert_rejected(policy_pack("lausanne", "update"), case)


def test_a_guard_rail_skipped_with_a_recorded_reason_is_not_required(policy_pack):
    skipped = stacks.load("utrecht").config["imaging-landing-zone:guardRails"]
    assert "compute.vmExternalIpAccess" in skipped
    resources = site_plan("utrecht", "update")
    assert not [r for r in resources if r.name.endswith("compute.vmExternalIpAccess")]
    assert [d for d in policy_pack("utrecht", "update").analyze_stack(resources) if "vmExternalIp" in d.policy] == []
