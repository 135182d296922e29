"""The bootstrap program (bootstrap/) under Pulumi's mock engine: the state bucket, keys, federation
and per-site identities it declares.

Proves the inputs the program sends; not that GCP accepts them (the marker-gated integration tests
and a real `pulumi up` of bootstrap/ do)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from preflight.engine import runner as engine
from preflight.engine import stacks

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = ROOT / "bootstrap"
PROJECT = "imaging-landing-zone-bootstrap"


def _config(**overrides: object) -> dict[str, str]:
    document = yaml.safe_load((BOOTSTRAP / "Pulumi.platform.yaml").read_text(encoding="utf-8"))["config"]
    document.update({f"imaging-bootstrap:{k}": v for k, v in overrides.items()})
    return {k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in document.items()}


@pytest.fixture(scope="module", params=["update", "preview"])
def resources(request):
    found = engine.run_program(
        BOOTSTRAP / "__main__.py",
        config=_config(),
        project=PROJECT,
        stack="platform",
        preview=request.param == "preview",
    )
    sys.modules.pop("platform_config", None)
    sys.modules.pop("duties", None)
    return found


def _by_name(resources, name):
    [found] = [r for r in resources if r.name == name and r.custom]
    return found


def _of_type(resources, token):
    return [r for r in resources if r.type == token]


def test_the_state_bucket_is_cmek_versioned_uniform_private_logged_and_protected(resources):
    state = _by_name(resources, "state")
    key = _by_name(resources, "state-agent-key")
    assert state.inputs["uniformBucketLevelAccess"] is True
    assert state.inputs["publicAccessPrevention"] == "enforced"
    assert state.inputs["versioning"] == {"enabled": True}
    assert state.inputs["logging"]["logBucket"] in (engine.UNKNOWN, "chuv-imaging-platform-pulumi-state-logs")
    assert state.protect is True
    assert key.urn in state.dependencies  # CMEK works only once the storage agent may use the key
    assert "encryption" in state.property_dependencies or state.inputs["encryption"]["defaultKmsKeyName"]


def test_the_state_key_and_one_secrets_key_per_site_rotate_within_90_days_and_are_protected(resources):
    keys = _of_type(resources, "gcp:kms/cryptoKey:CryptoKey")
    assert sorted(k.inputs["name"] for k in keys) == ["secrets-lausanne", "secrets-utrecht", "state"]
    for key in keys:
        assert key.inputs["rotationPeriod"] == "7776000s"
        assert key.inputs["purpose"] == "ENCRYPT_DECRYPT"
        assert key.protect is True


def test_the_state_bucket_and_the_keys_are_the_components_and_keep_their_identity(resources):
    """Part 4: the bootstrap builds its buckets and keys with the library (StateBucket, PlatformKeys: the same
    CMEK, versioning, logging and protection constants as a site's); each child aliases the name it had at the
    stack's root before, so the next ``up`` adopts it instead of replacing the state."""
    components = {r.urn: r.type for r in resources if not r.custom}
    root = "urn:pulumi:platform::imaging-landing-zone-bootstrap::"
    expected = {
        "state": ("imaging:storage:StateBucket", "gcp:storage/bucket:Bucket::state"),
        "state-access-logs": ("imaging:storage:StateBucket", "gcp:storage/bucket:Bucket::state-access-logs"),
        "state-agent-key": (
            "imaging:storage:StateBucket",
            "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember::state-storage-agent",
        ),
        "pulumi": ("imaging:kms:PlatformKeys", "gcp:kms/keyRing:KeyRing::pulumi"),
        "pulumi-state": ("imaging:kms:PlatformKeys", "gcp:kms/cryptoKey:CryptoKey::state-key"),
        "pulumi-secrets-lausanne": ("imaging:kms:PlatformKeys", "gcp:kms/cryptoKey:CryptoKey::secrets-lausanne-key"),
    }
    for name, (component, old) in expected.items():
        found = _by_name(resources, name)
        assert components[found.parent] == component, name
        assert found.aliases == [root + old], name
    state, logs = _by_name(resources, "state"), _by_name(resources, "state-access-logs")
    assert state.inputs["name"] == "chuv-imaging-platform-pulumi-state"
    assert logs.inputs["name"] == "chuv-imaging-platform-pulumi-state-logs"
    assert state.inputs["forceDestroy"] is False
    assert logs.protect is True


def test_no_long_lived_credentials(resources):
    assert not [r for r in resources if r.type in ("gcp:serviceaccount/key:Key", "gcp:storage/hmacKey:HmacKey")]


def test_only_the_repositorys_tokens_are_accepted_by_name_and_immutable_id(resources):
    provider = _by_name(resources, "github-actions")
    assert provider.inputs["oidc"] == {"issuerUri": "https://token.actions.githubusercontent.com"}
    assert provider.inputs["attributeCondition"] == (
        'assertion.repository == "chuv-radiology/imaging-landing-zone" && assertion.repository_id == "812345678"'
    )


def test_each_site_has_a_deployer_for_its_environment_a_drift_checker_for_main_and_a_previewer_for_prs(resources):
    members = [r.inputs["member"] for r in _of_type(resources, "gcp:serviceaccount/iAMMember:IAMMember")]
    if engine.UNKNOWN in members:  # preview: the pool's name (with the project number) is computed
        assert set(members) == {engine.UNKNOWN}
        return
    federation = {r.name: r.inputs["member"] for r in _of_type(resources, "gcp:serviceaccount/iAMMember:IAMMember")}
    pool = "principal://iam.googleapis.com/projects/615066727354/locations/global/workloadIdentityPools/github/subject/"
    repo = "repo:chuv-radiology/imaging-landing-zone"
    assert federation == {
        "deploy-lausanne-federation-environment": f"{pool}{repo}:environment:site-lausanne",
        "deploy-utrecht-federation-environment": f"{pool}{repo}:environment:site-utrecht",
        "drift-lausanne-federation-ref": f"{pool}{repo}:ref:refs/heads/main",
        "drift-utrecht-federation-ref": f"{pool}{repo}:ref:refs/heads/main",
        "preview-lausanne-federation-pull-request": f"{pool}{repo}:pull_request",
        "preview-utrecht-federation-pull-request": f"{pool}{repo}:pull_request",
    }


def test_previewers_get_no_role_that_administers_or_edits(resources):
    roles = {
        r.inputs["role"]
        for r in _of_type(resources, "gcp:projects/iAMMember:IAMMember")
        if r.name.startswith("preview-")
    }
    assert roles
    assert not [role for role in roles if role.endswith(("admin", "Admin", "editor", "Editor", "owner"))]


def test_each_identity_reaches_only_its_own_sites_state(resources):
    grants = {r.name: r for r in _of_type(resources, "gcp:storage/bucketIAMMember:BucketIAMMember")}
    expression = grants["deploy-lausanne-state"].inputs["condition"]["expression"]
    objects = "projects/_/buckets/chuv-imaging-platform-pulumi-state/objects/.pulumi"
    assert f'resource.name.startsWith("{objects}/stacks/imaging-landing-zone/lausanne.")' in expression
    assert f'resource.name.startsWith("{objects}/locks/imaging-landing-zone/lausanne/")' in expression
    assert "utrecht" not in expression
    assert "meta.yaml" not in expression  # the backend's metadata is read-only for everyone
    meta = grants["deploy-lausanne-state-meta"]
    assert meta.inputs["role"] == "roles/storage.objectViewer"
    assert meta.inputs["condition"]["expression"] == f'resource.name == "{objects}/meta.yaml"'


def test_the_bootstrap_knows_every_site_of_stacks_and_its_project():
    sites = yaml.safe_load((BOOTSTRAP / "Pulumi.platform.yaml").read_text(encoding="utf-8"))["config"][
        "imaging-bootstrap:sites"
    ]
    assert sites == {site: stacks.load(site).site.gcp_project for site in stacks.available()}


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        pytest.param(
            {"github": {"repository": 'chuv/x" || true || "'}},
            "imaging-bootstrap:github.repository: String should match pattern",
            id="repository-injects-cel",
        ),
        pytest.param({"sites": {}}, "imaging-bootstrap:sites: Dictionary should have at least 1 item", id="no-sites"),
        pytest.param(
            {"keyRotationDays": "365"}, "imaging-bootstrap:keyRotationDays: Input should be less", id="slow-rotation"
        ),
        pytest.param(
            {"sites": {"Lausanne!": "chuv-imaging-lau"}}, "imaging-bootstrap:sites.Lausanne!.[key]", id="bad-site"
        ),
    ],
)
def test_bad_configuration_is_refused_naming_the_key(overrides, problem):
    sys.path.insert(0, str(BOOTSTRAP))
    try:
        from platform_config import PlatformConfigError, from_stack_config

        with pytest.raises(PlatformConfigError) as raised:
            from_stack_config(_config(**overrides))
    finally:
        sys.path.remove(str(BOOTSTRAP))
        sys.modules.pop("platform_config", None)
    sys.modules.pop("duties", None)
    assert any(line.startswith(problem) for line in raised.value.problems), raised.value.problems


def _judged(mode: str, policy_config: dict | None) -> list[tuple[str, str]]:
    """The bootstrap stack judged by the real pack (every resource, then the stack), as the engine does
    with ``pulumi preview --policy-pack ../policies --policy-pack-config policy-config.json``."""
    from tests.packs import configured_pack

    config = _config()
    found = engine.run_program(BOOTSTRAP / "__main__.py", config=config, project=PROJECT, stack="platform", mode=mode)
    sys.modules.pop("platform_config", None)
    sys.modules.pop("duties", None)
    pack = configured_pack(config, project=PROJECT, stack="platform", mode=mode, policy_config=policy_config)
    try:
        diagnostics = [d for r in found for d in pack.analyze(r)] + pack.analyze_stack(found)
    finally:
        pack.close()
    return sorted({(d.policy, d.urn.rsplit("::", 1)[-1]) for d in diagnostics if d.level == "mandatory"})


@pytest.mark.parametrize("mode", ["preview", "update"])
def test_the_pack_finds_nothing_with_the_recorded_exemptions(mode):
    """The bootstrap is not a site (no site-completeness controls); its deployers' roles, the secrets key's
    users and the state bucket's reach are exempted in bootstrap/policy-config.json, each with its reason."""
    policy_config = json.loads((BOOTSTRAP / "policy-config.json").read_text(encoding="utf-8"))
    assert _judged(mode, policy_config) == []


def test_without_the_exemptions_the_pack_names_exactly_what_they_cover():
    found = _judged("update", None)
    exempted = json.loads((BOOTSTRAP / "policy-config.json").read_text(encoding="utf-8"))
    import fnmatch

    for policy, name in found:
        patterns = exempted.get(policy, {}).get("exempt", {})
        assert any(fnmatch.fnmatchcase(name, p) for p in patterns), (policy, name)
    assert {policy for policy, _ in found} == set(exempted)


def test_a_retired_site_keeps_its_secrets_key_and_loses_its_identities():
    """`python -m rollout retire` moves a site to retiredSites: the export of its state is encrypted with
    its key (kept, protected), and nothing may deploy, preview or drift-check it any more."""
    found = engine.run_program(
        BOOTSTRAP / "__main__.py",
        config=_config(sites={"lausanne": "chuv-imaging-lau"}, retiredSites=["utrecht"]),
        project=PROJECT,
        stack="platform",
    )
    sys.modules.pop("platform_config", None)
    sys.modules.pop("duties", None)
    keys = {r.inputs["name"]: r for r in _of_type(found, "gcp:kms/cryptoKey:CryptoKey")}
    assert set(keys) == {"state", "secrets-lausanne", "secrets-utrecht"}
    assert keys["secrets-utrecht"].protect is True
    assert not [r for r in found if "utrecht" in r.name and r.type != "gcp:kms/cryptoKey:CryptoKey"]


def test_a_site_both_active_and_retired_is_refused():
    sys.path.insert(0, str(BOOTSTRAP))
    try:
        from platform_config import PlatformConfigError, from_stack_config

        with pytest.raises(PlatformConfigError) as raised:
            from_stack_config(_config(retiredSites=["utrecht"]))
    finally:
        sys.path.remove(str(BOOTSTRAP))
        sys.modules.pop("platform_config", None)
    sys.modules.pop("duties", None)
    assert raised.value.problems == [
        "imaging-bootstrap: retiredSites lists utrecht, also in sites: a site is either active or retired"
    ]
