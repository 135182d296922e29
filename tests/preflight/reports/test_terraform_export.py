"""The Terraform plan export (``preflight/reports/terraform.py``) and what Checkov makes of it.

The mapping tests prove the shape of the export: Terraform types and attribute names as the bridged
provider names them, blocks as one-element lists, unknowns and secrets where Terraform puts them.
The Checkov tests run the real scanner (``terraform_plan`` framework) on the export of every example
site in both modes: every finding is a deliberate exception below, or the test fails. They prove
that Checkov's GCP checks find nothing else in the inputs our program sends; not that GCP accepts
them, nor that Terraform's provider would plan the same values (its defaults are absent).
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pulumi
import pytest

from preflight import cli
from preflight.engine import plan as plan_module
from preflight.engine import stacks
from preflight.engine.runner import REDACTED, UNKNOWN
from preflight.reports.terraform import (
    BETA_ONLY,
    FLATTENED,
    FORMAT_VERSION,
    PROVIDERS,
    RENAMES,
    TF_TYPES,
    ExportError,
    export,
    fallback_tf_type,
    sdk_paths,
    snake,
    tf_type,
)
from tests.conftest import MODES, SITES
from tests.paths import ROOT

RUNS = [(site, mode) for site in SITES for mode in MODES]
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
LAU_RING = "projects/chuv-imaging-lau/locations/europe-west6/keyRings/lau-imaging"


@cache
def _plan(site: str, mode: str) -> dict[str, Any]:
    return plan_module.build(stacks.load(site), mode)


def plan(site: str, mode: str) -> dict[str, Any]:
    """The offline plan of an example site (built once per session; a fresh copy per call)."""
    return copy.deepcopy(_plan(site, mode))


@cache
def _export(site: str, mode: str) -> str:
    return json.dumps(export(_plan(site, mode)))


def exported(site: str, mode: str) -> dict[str, Any]:
    """The Terraform plan JSON of an example site (exported once per session; a fresh copy per call)."""
    return dict(json.loads(_export(site, mode)))


def resources(doc: dict[str, Any], tf: str | None = None) -> list[dict[str, Any]]:
    """``planned_values`` resources, optionally of one Terraform type."""
    found = doc["planned_values"]["root_module"]["resources"]
    return [r for r in found if tf is None or r["type"] == tf]


def one(doc: dict[str, Any], tf: str, name_suffix: str) -> dict[str, Any]:
    found = [r for r in resources(doc, tf) if r["name"].endswith(name_suffix)]
    assert len(found) == 1, [r["name"] for r in found]
    return found[0]


def change(doc: dict[str, Any], address: str) -> dict[str, Any]:
    return next(c["change"] for c in doc["resource_changes"] if c["address"] == address)


def _synthetic(*entries: dict[str, Any], mode: str = "update") -> dict[str, Any]:
    return {"format": plan_module.FORMAT, "project": "p", "stack": "t", "mode": mode, "resources": list(entries)}


def _resource(type_: str, name: str, outputs: dict[str, Any], *, parent: str = "root", custom: bool = True) -> dict:
    urn = f"urn:pulumi:t::p::{parent}${type_}::{name}"
    return {
        "urn": urn,
        "type": type_,
        "name": name,
        "custom": custom,
        "parent": parent,
        "provider": "",
        "id": f"{name}-id" if custom else None,
        "inputs": outputs,
        "outputs": outputs,
        "options": {"propertyDependencies": {}, "dependencies": []},
    }


# --- types -----------------------------------------------------------------------------------------


def test_type_table_covers_every_type_of_the_example_sites():
    used = {r["type"] for site, mode in RUNS for r in _plan(site, mode)["resources"] if r["custom"]}
    assert used, "the example sites register no cloud resource"
    assert sorted(used - TF_TYPES.keys()) == []


@pytest.mark.parametrize("token", sorted(TF_TYPES))
def test_type_table_names_a_real_pulumi_gcp_resource(token):
    """A typo in a token would leave the export without the SDK's schema for that type."""
    module_resource, class_name = token.split(":")[1:]
    cls = getattr(importlib.import_module(f"pulumi_gcp.{module_resource.split('/')[0]}"), class_name, None)
    assert isinstance(cls, type)
    assert issubclass(cls, pulumi.CustomResource)


IRREGULAR = {"gcp:serviceaccount/account:Account": "google_service_account"}
"""Table entries where pulumi-gcp's token does not follow the bridge's naming rule."""


@pytest.mark.parametrize("token", sorted(TF_TYPES))
def test_fallback_rule_agrees_with_the_table_except_where_pulumi_renamed(token):
    if token in IRREGULAR:
        assert fallback_tf_type(token) != TF_TYPES[token] == IRREGULAR[token]
    else:
        assert fallback_tf_type(token) == TF_TYPES[token]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("gcp:compute/instance:Instance", "google_compute_instance"),
        ("gcp:compute/regionSslPolicy:RegionSslPolicy", "google_compute_region_ssl_policy"),
        ("gcp:secretmanager/secret:Secret", "google_secret_manager_secret"),
        ("gcp:certificatemanager/certificate:Certificate", "google_certificate_manager_certificate"),
        ("gcp:projects/iAMBinding:IAMBinding", "google_project_iam_binding"),
    ],
    ids=lambda value: value if value.startswith("gcp:") else "",
)
def test_fallback_rule_for_types_outside_the_table(token, expected):
    assert token not in TF_TYPES
    assert tf_type(token) == expected


def test_only_gcp_resources_can_be_exported():
    with pytest.raises(ExportError, match="random:index/randomId:RandomId: not a pulumi-gcp resource type"):
        export(_synthetic(_resource("random:index/randomId:RandomId", "r", {})))


def test_export_refuses_a_document_that_is_not_an_offline_plan():
    with pytest.raises(ExportError, match="expected an imaging-landing-zone/plan@1 document"):
        export({"format": "something/else@1", "resources": []})


# --- names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("camel", "snake_case"),
    [
        ("defaultKmsKeyName", "default_kms_key_name"),
        ("uniformBucketLevelAccess", "uniform_bucket_level_access"),
        ("ipv6AccessType", "ipv6_access_type"),
        ("SSLPolicy", "ssl_policy"),
        ("sSLPolicy", "ssl_policy"),
        ("iAMAuditConfig", "iam_audit_config"),
        ("uRLMap", "url_map"),
        ("WebBackendServiceIamMember", "web_backend_service_iam_member"),
        ("name", "name"),
    ],
)
def test_snake_case(camel, snake_case):
    assert snake(camel) == snake_case


def _tokens(tf: str) -> list[str]:
    tokens = [token for token, name in TF_TYPES.items() if name == tf] if tf != "*" else ["gcp:storage/bucket:Bucket"]
    assert tokens, f"{tf} is not a type of the table"
    return tokens


@pytest.mark.parametrize(("tf", "path"), [(tf, path) for tf, paths in RENAMES.items() for path in paths])
def test_every_rename_names_a_real_list_property(tf, path):
    """The bridge renames pluralised lists (and ``terraform_labels``); a typo here would rename nothing."""
    for token in _tokens(tf):
        paths = sdk_paths(token)
        if path.startswith("*."):
            kinds = {kind for p, kind in paths.items() if p.rpartition(".")[2] == path[2:]}
        else:
            kinds = {paths.get(path)}
        assert kinds == ({"map"} if path == "pulumiLabels" else {"list"}), token


@pytest.mark.parametrize(("tf", "path"), [(tf, path) for tf, paths in FLATTENED.items() for path in paths])
def test_every_flattened_list_is_a_single_value_in_pulumi(tf, path):
    assert {sdk_paths(token).get(path) for token in _tokens(tf)} == {"scalar"}


def test_flattened_lists_and_wildcard_renames_are_exported_in_terraform_form():
    backend = _resource("gcp:compute/backendService:BackendService", "b", {"name": "b", "healthChecks": "hc"})
    header = {"headerName": "x-site", "headerValue": "lau", "replace": True}
    url_map = _resource(
        "gcp:compute/uRLMap:URLMap",
        "m",
        {
            "name": "m",
            "headerAction": {"requestHeadersToAdds": [header]},
            "pathMatchers": [
                {
                    "name": "p",
                    "defaultRouteAction": {
                        "weightedBackendServices": [{"headerAction": {"requestHeadersToRemoves": ["x"]}}]
                    },
                }
            ],
        },
    )
    doc = export(_synthetic(backend, url_map))
    values = {r["type"]: r["values"] for r in resources(doc)}
    assert values["google_compute_backend_service"]["health_checks"] == ["hc"]
    url = values["google_compute_url_map"]
    assert url["header_action"] == [
        {"request_headers_to_add": [{"header_name": "x-site", "header_value": "lau", "replace": True}]}
    ]
    weighted = url["path_matcher"][0]["default_route_action"][0]["weighted_backend_services"][0]
    assert weighted["header_action"] == [{"request_headers_to_remove": ["x"]}]


def test_beta_only_types_name_the_beta_provider():
    doc = exported("lausanne", "update")
    identities = resources(doc, "google_project_service_identity")
    assert identities
    assert {r["provider_name"] for r in identities} == {"registry.terraform.io/hashicorp/google-beta"}
    assert doc["configuration"]["provider_config"]["google-beta"]["full_name"] == PROVIDERS["google-beta"]
    keys = {r["type"]: r["provider_config_key"] for r in doc["configuration"]["root_module"]["resources"]}
    assert keys["google_project_service_identity"] == "google-beta"
    assert keys["google_storage_bucket"] == "google"


def _attribute_keys(obj: dict[str, Any]) -> Iterator[str]:
    """Attribute names of a Terraform object, down through blocks (lists of objects); map keys are data."""
    for key, value in obj.items():
        yield key
        for item in value if isinstance(value, list) else []:
            if isinstance(item, dict):
                yield from _attribute_keys(item)


@pytest.mark.parametrize(("site", "mode"), RUNS)
def test_every_attribute_is_snake_case(site, mode):
    doc = exported(site, mode)
    names = {f"{r['type']}.{key}" for r in resources(doc) for key in _attribute_keys(r["values"])}
    assert len(names) > 100
    assert sorted(name for name in names if not SNAKE.match(name.partition(".")[2])) == []


def test_renamed_attributes_use_terraform_names():
    doc = exported("lausanne", "update")
    deny = one(doc, "google_compute_firewall", "-deny-all-egress")["values"]
    assert deny["deny"] == [{"protocol": "all"}]
    assert "denies" not in deny
    assert [b["group"] for b in one(doc, "google_compute_backend_service", "-viewer-backend")["values"]["backend"]]
    armor = one(doc, "google_compute_security_policy", "-viewer-armor")["values"]
    assert [rule["action"] for rule in armor["rule"]] == ["allow", "deny(403)", "deny(403)"]
    audit = one(doc, "google_project_iam_audit_config", "-logging-audit")["values"]
    assert [c["log_type"] for c in audit["audit_log_config"]] == ["ADMIN_READ", "DATA_READ", "DATA_WRITE"]


# --- values ----------------------------------------------------------------------------------------


def test_single_blocks_become_one_element_lists_and_maps_stay_maps():
    doc = exported("lausanne", "update")
    images = one(doc, "google_storage_bucket", "-images")["values"]
    assert images["encryption"] == [
        {
            "default_kms_key_name": f"{LAU_RING}/cryptoKeys/lau-images",
            "customer_supplied_encryption_enforcement_config": [{"restriction_mode": "FullyRestricted"}],
            "google_managed_encryption_enforcement_config": [{"restriction_mode": "FullyRestricted"}],
        }
    ]
    assert images["versioning"] == [{"enabled": False}]
    assert images["retention_policy"] == [{"retention_period": str(3650 * 86400), "is_locked": False}]
    assert images["soft_delete_policy"] == [{"retention_duration_seconds": 30 * 86400}]
    assert images["logging"] == [{"log_bucket": "chuv-imaging-lau-lau-access-logs", "log_object_prefix": "images/"}]
    assert images["ip_filter"][0]["public_network_source"] == [
        {"allowed_ip_cidr_ranges": ["203.0.113.16/28", "198.51.100.0/24"]}
    ]
    assert isinstance(images["labels"], dict)
    assert images["labels"]["site"] == "lau"
    key = one(doc, "google_kms_crypto_key", "-kms-images")["values"]
    assert key["version_template"] == [{"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protection_level": "HSM"}]
    provider = one(doc, "google_iam_workload_identity_pool_provider", "-pacs-oidc")["values"]
    assert provider["attribute_mapping"] == {"google.subject": "assertion.sub"}
    assert provider["oidc"][0]["allowed_audiences"] == ["imaging-landing-zone-lau"]


def test_elements_of_block_lists_are_objects_not_wrapped_again():
    doc = exported("lausanne", "update")
    allow = one(doc, "google_compute_firewall", "-allow-google-apis")["values"]
    assert allow["allow"] == [{"protocol": "tcp", "ports": ["443"]}]
    assert allow["log_config"] == [{"metadata": "INCLUDE_ALL_METADATA"}]
    alert = resources(doc, "google_monitoring_alert_policy")[0]["values"]
    threshold = alert["conditions"][0]["condition_threshold"]
    assert isinstance(threshold, list)
    assert len(threshold) == 1
    assert threshold[0]["trigger"] == [{"count": 1}]
    assert isinstance(threshold[0]["aggregations"][0], dict)
    assert isinstance(alert["user_labels"], dict)


def test_integers_are_integers_and_fractions_stay_numbers():
    doc = exported("utrecht", "update")
    assert one(doc, "google_compute_firewall", "-deny-all-egress")["values"]["priority"] == 65535
    assert isinstance(one(doc, "google_compute_firewall", "-deny-all-egress")["values"]["priority"], int)
    subnet = resources(doc, "google_compute_subnetwork")[0]["values"]
    assert subnet["log_config"][0]["flow_sampling"] == 1.0
    assert isinstance(resources(doc, "google_dns_record_set")[0]["values"]["ttl"], int)


def test_properties_the_provider_does_not_have_are_left_out():
    """The offline model names every resource; ``google_project_service`` has no ``name`` attribute."""
    doc = exported("utrecht", "update")
    api = resources(doc, "google_project_service")[0]["values"]
    assert set(api) == {"project", "service", "disable_on_destroy", "disable_dependent_services", "id"}


def test_preview_unknowns_are_absent_from_values_and_true_in_after_unknown():
    doc = exported("utrecht", "preview")
    bucket = one(doc, "google_storage_bucket", "-images")
    # the key id is formed from config (SiteKeys, docs/adr/0026): known in a first preview
    assert bucket["values"]["encryption"][0]["default_kms_key_name"].endswith("/cryptoKeys/utr-images")
    assert "id" not in bucket["values"]
    unknown = change(doc, bucket["address"])["after_unknown"]
    assert "default_kms_key_name" not in unknown["encryption"][0]
    assert unknown["id"] is True
    assert unknown["self_link"] is True, "an output-only attribute is unknown on a fresh site"
    assert "labels" in unknown
    assert unknown["labels"] == {}
    proxy = one(doc, "google_compute_target_https_proxy", "-https-proxy")
    assert proxy["values"]["ssl_certificates"] == [None], "an unknown list element keeps its position"
    assert change(doc, proxy["address"])["after_unknown"]["ssl_certificates"] == [True]
    assert "url_map" not in proxy["values"]
    assert change(doc, proxy["address"])["after_unknown"]["url_map"] is True


@pytest.mark.parametrize("site", SITES)
def test_update_mode_knows_every_value(site):
    doc = exported(site, "update")

    def trues(value: Any) -> bool:
        if isinstance(value, dict):
            return any(trues(v) for v in value.values())
        if isinstance(value, list):
            return any(trues(v) for v in value)
        return value is True

    assert [c["address"] for c in doc["resource_changes"] if trues(c["change"]["after_unknown"])] == []
    assert all(r["values"]["id"] for r in resources(doc))


def test_resource_changes_are_creates_of_the_planned_values():
    doc = exported("lausanne", "preview")
    planned = {r["address"]: r for r in resources(doc)}
    assert [c["address"] for c in doc["resource_changes"]] == list(planned)
    for c in doc["resource_changes"]:
        assert c["change"]["actions"] == ["create"]
        assert c["change"]["before"] is None
        assert c["change"]["after"] == planned[c["address"]]["values"]
        assert c["change"]["after_sensitive"] == planned[c["address"]]["sensitive_values"]
        provider = PROVIDERS["google-beta" if c["type"] in BETA_ONLY else "google"]
        assert c["provider_name"] == planned[c["address"]]["provider_name"] == provider
    assert doc["format_version"] == FORMAT_VERSION == "1.2"


def test_secrets_keep_the_placeholder_and_are_marked_sensitive():
    bucket = _resource(
        "gcp:storage/bucket:Bucket",
        "b",
        {"name": "b", "labels": REDACTED, "encryption": {"defaultKmsKeyName": REDACTED}, "cors": [{"origins": ["x"]}]},
    )
    doc = export(_synthetic(bucket))
    (planned,) = resources(doc)
    assert planned["values"]["labels"] == REDACTED
    assert planned["sensitive_values"] == {
        "labels": True,
        "encryption": [{"default_kms_key_name": True}],
        "cors": [{"origin": [False]}],
    }
    assert change(doc, planned["address"])["after_sensitive"] == planned["sensitive_values"]


def test_a_value_unknown_as_a_whole_is_unknown_whatever_its_type():
    bucket = _resource("gcp:storage/bucket:Bucket", "b", {"name": "b", "encryption": UNKNOWN, "cors": UNKNOWN})
    doc = export(_synthetic(bucket, mode="preview"))
    (planned,) = resources(doc)
    assert "encryption" not in planned["values"]
    assert "cors" not in planned["values"]
    unknown = change(doc, planned["address"])["after_unknown"]
    assert unknown["encryption"] is True
    assert unknown["cors"] is True


# --- resources, addresses, references --------------------------------------------------------------


@pytest.mark.parametrize(("site", "mode"), RUNS)
def test_every_cloud_resource_is_exported_and_no_component(site, mode):
    doc = exported(site, mode)
    cloud = [r for r in _plan(site, mode)["resources"] if r["custom"]]
    assert len(resources(doc)) == len(doc["resource_changes"]) == len(cloud)
    assert len(doc["configuration"]["root_module"]["resources"]) == len(cloud)
    assert {r["type"] for r in resources(doc)} == {TF_TYPES[r["type"]] for r in cloud}
    assert all(r["mode"] == "managed" and r["address"] == f"{r['type']}.{r['name']}" for r in resources(doc))


@pytest.mark.parametrize(("site", "mode"), RUNS)
def test_addresses_are_unique_terraform_identifiers(site, mode):
    names = [r["name"] for r in resources(exported(site, mode))]
    addresses = [r["address"] for r in resources(exported(site, mode))]
    assert len(set(addresses)) == len(addresses)
    assert [n for n in names if not re.match(r"^[A-Za-z_][A-Za-z0-9_-]*$", n)] == []


def test_addresses_do_not_depend_on_registration_order():
    original = plan("lausanne", "preview")
    shuffled = copy.deepcopy(original)
    shuffled["resources"].reverse()
    assert json.dumps(export(shuffled)) == json.dumps(export(original))


def test_names_that_are_not_identifiers_are_sanitised_with_a_hash_of_the_urn():
    doc = exported("lausanne", "update")
    policy = [r["name"] for r in resources(doc, "google_org_policy_policy") if "restrictTLSVersion" in r["name"]]
    assert len(policy) == 1
    assert re.fullmatch(r"lau-project-gcp_restrictTLSVersion_[0-9a-f]{8}", policy[0])
    assert one(doc, "google_storage_bucket", "-images")["name"] == "lau-images", "a valid name is kept as is"


def test_one_name_under_two_parents_gets_two_addresses():
    first = _resource("gcp:storage/bucket:Bucket", "logs", {"name": "a"}, parent="imaging:x:A")
    second = _resource("gcp:storage/bucket:Bucket", "logs", {"name": "b"}, parent="imaging:x:B")
    addresses = [r["address"] for r in resources(export(_synthetic(first, second)))]
    assert len(set(addresses)) == 2
    assert all(re.fullmatch(r"google_storage_bucket\.logs_[0-9a-f]{8}", a) for a in addresses)


def test_configuration_references_the_resources_a_value_came_from():
    doc = exported("lausanne", "preview")
    config = {r["address"]: r for r in doc["configuration"]["root_module"]["resources"]}
    proxy = one(doc, "google_compute_target_https_proxy", "-https-proxy")["address"]
    url_map = one(doc, "google_compute_url_map", "-https-map")["address"]
    assert config[proxy]["expressions"]["url_map"] == {"references": [url_map]}
    firewall = one(doc, "google_compute_firewall", "-deny-all-egress")["address"]
    network = resources(doc, "google_compute_network")[0]["address"]
    assert config[firewall]["expressions"]["network"] == {"references": [network]}
    assert {r["provider_config_key"] for r in config.values()} == {"google", "google-beta"}


def test_cli_prints_the_terraform_plan(capsys):
    assert cli.main(["plan", "utrecht", "--format", "terraform-plan"]) == cli.EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    assert doc["format_version"] == "1.2"
    assert len(resources(doc)) == len([r for r in _plan("utrecht", "update")["resources"] if r["custom"]])


# --- Checkov ---------------------------------------------------------------------------------------

Resource = dict[str, Any]

DELIBERATE_EXCEPTIONS: dict[str, str] = {
    "CKV_GCP_62": (
        "Bucket access logs: the access-log bucket does not log access to itself. Logging to itself loops "
        "(CKV_GCP_63) and a third bucket only moves the question; reads and writes of it are in the Data Access "
        "audit logs for allServices (LOG-01), which go to the locked CMEK log bucket (LOG-09) and the SIEM (LOG-08). "
        "The image bucket itself logs its access (LOG-02)."
    ),
    "CKV_GCP_78": (
        "Object Versioning: off on the image bucket of a site with imageBucket.retentionDays, because Cloud "
        "Storage refuses versioning together with a retention policy; soft delete keeps deleted and overwritten "
        "objects restorable. The access-log bucket, which has no retention policy, keeps versioning."
    ),
}
"""Checkov check id -> why it fails on purpose; ``gap:`` marks what a component should change."""

APPLIES_TO: dict[str, Callable[[Resource], bool]] = {
    "CKV_GCP_62": lambda r: r["type"] == "google_storage_bucket" and r["name"].endswith("-images-access-logs"),
    "CKV_GCP_78": lambda r: r["type"] == "google_storage_bucket" and "retention_policy" in r["values"],
}
"""Where each exception may fail: anywhere else the same check must pass."""

MUST_PASS: dict[str, str] = {
    "CKV_GCP_26": "google_compute_subnetwork",  # flow logs (LOG-03)
    "CKV_GCP_74": "google_compute_subnetwork",  # Private Google Access (NET-05)
    "CKV_GCP_29": "google_storage_bucket",  # uniform bucket-level access (IAM-02)
    "CKV_GCP_114": "google_storage_bucket",  # public access prevention (IAM-01)
    "CKV_GCP_43": "google_kms_crypto_key",  # rotation within 90 days (ENC-04)
    "CKV_GCP_4": "google_compute_ssl_policy",  # no weak cipher suites (TLS-01)
    "CKV_GCP_2": "google_compute_firewall",  # no SSH from anywhere (NET-03)
    "CKV_GCP_3": "google_compute_firewall",  # no RDP from anywhere (NET-03)
    "CKV2_GCP_12": "google_compute_firewall",  # no ingress to all ports from anywhere (NET-03)
    "CKV2_GCP_18": "google_compute_network",  # the network has firewall rules: a graph connection (NET-04)
    "CKV_GCP_28": "google_storage_bucket_iam_member",  # no public principal (IAM-03)
    "CKV_GCP_112": "google_kms_crypto_key_iam_member",  # no public principal on keys (ENC-06)
    "CKV2_GCP_38": "google_compute_global_forwarding_rule",  # HTTP proxy only for the redirect (TLS-03)
    "CKV_GCP_73": "google_compute_security_policy",  # Log4Shell denied by cve-canary (NET-08)
}
"""Checks every resource of a kind must pass: proof that Checkov read the attributes the controls rely on."""


def _checkov_binary() -> Path:
    binary = Path(os.environ.get("CHECKOV") or ROOT / ".venv-checkov" / "bin" / "checkov")
    if not binary.is_file():
        reason = (
            f"Checkov is not installed at {binary}: run `python3 -m venv .venv-checkov && "
            ".venv-checkov/bin/python -m pip install -r requirements-checkov.txt` (as .ci/run does), "
            "or set CHECKOV to its binary"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


@pytest.fixture(scope="session")
def checkov(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    """Checkov's JSON report on each example site's export, both modes: one run per file, all at once."""
    binary = _checkov_binary()
    folder = tmp_path_factory.mktemp("terraform-plans")
    running = {}
    for site, mode in RUNS:
        path = folder / f"{site}-{mode}.json"
        path.write_text(_export(site, mode), encoding="utf-8")
        command = [str(binary), "-f", str(path), "--framework", "terraform_plan", "-o", "json", "--compact"]
        # --skip-download: offline, no Prisma Cloud guidelines (they only add links to the report).
        running[site, mode] = subprocess.Popen(
            [*command, "--skip-download"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=folder
        )
    reports = {}
    for key, process in running.items():
        out, err = process.communicate()
        assert process.returncode in {0, 1}, f"checkov failed on {key}: {err[-2000:]}"
        reports[key] = json.loads(out)
    return reports


def _findings(report: dict[str, Any], outcome: str) -> list[dict[str, Any]]:
    return list(report["results"][f"{outcome}_checks"])


@pytest.mark.parametrize(("site", "mode"), RUNS)
def test_checkov_parsed_every_exported_resource(checkov, site, mode):
    summary = checkov[site, mode]["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] == len(resources(exported(site, mode)))
    assert summary["passed"] > 0


@pytest.mark.parametrize(("site", "mode"), RUNS)
def test_checkov_finds_nothing_but_the_deliberate_exceptions(checkov, site, mode):
    by_address = {r["address"]: r for r in resources(exported(site, mode))}
    unexpected = [
        f"{f['check_id']} {f['resource']}: {f['check_name']}"
        for f in _findings(checkov[site, mode], "failed")
        if f["check_id"] not in DELIBERATE_EXCEPTIONS or not APPLIES_TO[f["check_id"]](by_address[f["resource"]])
    ]
    assert unexpected == []


@pytest.mark.parametrize(("site", "mode"), RUNS)
def test_checkov_judged_the_settings_the_controls_rely_on(checkov, site, mode):
    doc = exported(site, mode)
    passed = {(f["check_id"], f["resource"]) for f in _findings(checkov[site, mode], "passed")}
    missing = [
        f"{check} {r['address']}"
        for check, tf in MUST_PASS.items()
        for r in resources(doc, tf)
        if (check, r["address"]) not in passed
    ]
    assert missing == []


def test_every_deliberate_exception_is_still_needed(checkov):
    failed = {f["check_id"] for report in checkov.values() for f in _findings(report, "failed")}
    assert sorted(DELIBERATE_EXCEPTIONS) == sorted(failed)
    assert sorted(APPLIES_TO) == sorted(DELIBERATE_EXCEPTIONS)
