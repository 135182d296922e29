"""The mock engine's outputs for any resource type, from the pinned provider schema (the installed
``pulumi_gcp`` SDK): what a program may read after an update, and what the pack is handed. Proves the
model's forms; not the provider's values (no provider runs here)."""

from __future__ import annotations

import inspect
import json
import re

import pulumi
import pulumi_gcp
import pytest
from pulumi.runtime import mocks

from preflight.engine import gcp_schema
from preflight.engine import runner as engine
from preflight.engine.gcp_model import COMPUTED, DEFAULT_PROJECT, GcpModel, MissingInputError


def _tokens() -> list[str]:
    """Every resource type pulumi-gcp registers (its module table, read without importing the modules)."""
    source = inspect.getsource(pulumi_gcp)
    table = json.loads(re.search(r'resource_modules="""(.*?)"""', source, re.S).group(1))
    return sorted(token for module in table for token in module["classes"])


def _args(token: str, inputs: dict | None = None) -> mocks.MockResourceArgs:
    return mocks.MockResourceArgs(typ=token, name="x", inputs=inputs or {}, provider="", resource_id="", custom=True)


@pytest.fixture
def provider_config():
    pulumi.runtime.set_all_config(
        {"gcp:project": "acme", "gcp:region": "europe-west6", "gcp:zone": "europe-west6-a"}, []
    )
    yield
    pulumi.runtime.set_all_config({}, [])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pulumi-gcp's own deprecated aliases, imported here
def test_every_type_of_the_schema_gets_its_computed_outputs(provider_config):
    """Each of pulumi-gcp's resource types that has no rule of its own, created with no inputs in update
    mode: no failure, and every output only the provider sets (or that is always set) has a value."""
    tokens = [t for t in _tokens() if t not in COMPUTED]
    assert len(tokens) > 1000
    model = GcpModel(mode="update")
    missing: dict[str, list[str]] = {}
    for token in tokens:
        try:
            _, state = model.new_resource(_args(token))
        except MissingInputError:
            continue  # its stored form needs a required input left out here: refused, as the provider does
        wanted = (set(gcp_schema.computed_only(token)) | gcp_schema.always_set(token)) - {"id", "urn"}
        lacking = sorted(k for k in wanted if state.get(k) is None)
        if lacking:
            missing[token] = lacking
    assert not missing, dict(list(missing.items())[:5])


def test_computed_outputs_have_the_schemas_form(provider_config):
    outputs = gcp_schema.computed_outputs(
        "gcp:sql/databaseInstance:DatabaseInstance", "db", {"project": "acme", "region": "europe-west6"}
    )
    assert outputs["connectionName"] == "acme:europe-west6:db"  # project:region:instance, as Cloud SQL documents
    assert outputs["ipAddresses"] == [
        {"ipAddress": "10.0.0.2", "timeToRetire": "db-ip-addresses-time-to-retire", "type": "db-ip-addresses-type"}
    ]
    assert outputs["serviceAccountEmailAddress"].endswith("@example.iam.gserviceaccount.com")
    cluster = gcp_schema.computed_outputs("gcp:container/cluster:Cluster", "apps", {})
    assert cluster["masterAuth"]["clusterCaCertificate"] == "apps-master-auth-cluster-ca-certificate"


def test_nested_fields_the_program_leaves_out_are_filled():
    nics = [{"subnetwork": "s", "accessConfigs": [{}]}]
    filled = gcp_schema.computed_outputs("gcp:compute/instance:Instance", "vm", {"networkInterfaces": nics})
    [nic] = filled["networkInterfaces"]
    assert nic["subnetwork"] == "s"
    assert nic["networkIp"] == "10.0.0.2"
    assert nic["accessConfigs"][0]["natIp"] == "10.0.0.2"


def test_the_providers_region_zone_and_project_are_applied(provider_config):
    _, state = GcpModel(mode="update").new_resource(
        _args("gcp:compute/subnetwork:Subnetwork", {"network": "n", "ipCidrRange": "10.0.0.0/24"})
    )
    assert state["region"] == "europe-west6"
    assert state["project"] == "acme"
    _, vm = GcpModel(mode="update").new_resource(_args("gcp:compute/instance:Instance", {"machineType": "e2"}))
    assert vm["zone"] == "europe-west6-a"


def test_the_schemas_placeholders_are_the_programs_only(provider_config):
    """The pack is handed what the model knows; the placeholders only let the program run."""
    model = GcpModel(mode="update")
    model.new_resource(_args("gcp:sql/databaseInstance:DatabaseInstance", {"databaseVersion": "POSTGRES_15"}))
    assert "connectionName" in model.program_only

    def program():
        db = pulumi_gcp.sql.DatabaseInstance("db", database_version="POSTGRES_15", region="europe-west6")
        pulumi.export("conn", db.connection_name.apply(str.upper))

    exports: dict = {}
    [db] = engine.capture(program, project="p", stack="s", mode="update", exports=exports)
    # the stored form: the provider stores the project it used (its default here), the placeholder names it
    assert exports["conn"] == f"{DEFAULT_PROJECT.upper()}:EUROPE-WEST6:DB"
    assert "connectionName" not in db.outputs


def test_a_required_input_left_out_is_named(provider_config):
    with pytest.raises(MissingInputError, match="gcp:kms/keyRing:KeyRing 'x': input location is not set"):
        GcpModel(mode="update").new_resource(_args("gcp:kms/keyRing:KeyRing", {"project": "p"}))


def test_assets_and_archives_reach_the_pack_in_the_engines_form(tmp_path):
    (tmp_path / "code").mkdir()

    def program():
        pulumi_gcp.storage.BucketObject("a", bucket="b", source=pulumi.FileArchive(str(tmp_path / "code")))
        pulumi_gcp.storage.BucketObject("t", bucket="b", source=pulumi.StringAsset("hello"))

    archive, text = engine.capture(program, project="p", stack="s", mode="update")
    assert archive.outputs["source"] == {
        engine.SECRET_SIG: "0def7320c3a5731c473e5ecbe6d01bc7",
        "path": str(tmp_path / "code"),
    }
    assert text.outputs["source"] == {engine.SECRET_SIG: "c44067f5952c0a294b673a41bacd8c17", "text": "hello"}
    assert archive.inputs["source"] == archive.outputs["source"]
