"""``python -m preflight access SITE``: the effective access of every protected asset, as a user runs it
(the real program under mocks in update mode, the pack's own model and intent)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import preflight_cli


@pytest.mark.parametrize("site", ["lausanne", "utrecht"])
def test_json_lists_every_grant_of_a_site_as_intended(site):
    done = preflight_cli("access", site, "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["format"] == "imaging-landing-zone/access@1"
    assert document["site"] == site
    assert document["projectNumber"]
    kinds = {a["kind"] for a in document["assets"]}
    assert {"image bucket", "access-log bucket", "security-log bucket", "key", "project"} <= kinds
    assert document["access"], "every site grants something on its assets"
    assert all(row["intended"] is True and row["beyondIntent"] == [] for row in document["access"])
    assert document["missing"] == []
    viewer = next(r for r in document["access"] if r["principal"].startswith(f"serviceaccount:{site[:3]}-viewer@"))
    assert viewer["kind"] == "image bucket"
    assert "storage.objects.get" in viewer["permissions"]
    assert viewer["grantedBy"] == [f"{site[:3]}-images-viewer (roles/storage.objectViewer)"]


def test_the_lausanne_table_names_asset_principal_permissions_grant_and_intent():
    done = preflight_cli("access", "lausanne")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Effective access of lausanne (project chuv-imaging-lau, number 221841688848")
    assert "SIEM topic lau-siem-export (lau-logging-siem)" in out
    assert "  serviceaccount:service-221841688848@gcp-sa-logging.iam.gserviceaccount.com  [intended]" in out
    assert "    permissions: pubsub.topics.publish" in out
    assert "    granted by: lau-logging-siem-publisher (roles/pubsub.publisher)" in out
    assert "BEYOND INTENT" not in out


def test_the_utrecht_table_has_no_siem_topic_and_no_iap():
    done = preflight_cli("access", "utrecht")
    assert done.returncode == 0, done.stderr
    assert "SIEM topic" not in done.stdout
    assert "viewer backend utr-viewer-backend" in done.stdout


def test_another_projects_stack_has_no_declared_intent():
    done = preflight_cli("access", "--project", "examples/research-archive", "dev", "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["intent"].startswith("none")
    assert document["access"]
    assert all(row["intended"] is None for row in document["access"])
    table = preflight_cli("access", "--project", "examples/research-archive", "dev")
    assert "[no declared intent]" in table.stdout


def test_an_unknown_site_is_bad_input():
    done = preflight_cli("access", "atlantis")
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr


def test_the_bootstraps_deny_policies_and_grant_limits_are_shown():
    """Separation of duties (IAM-15, IAM-16): the report lists what each deny policy takes away and the roles an
    IAM-admin grant's holder may grant, in json and for people."""
    done = preflight_cli("access", "--project", "bootstrap", "platform", "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    denials = {d["policy"]: d for d in document["denials"]}
    assert denials["lausanne-no-data"]["on"] == "project:chuv-imaging-lau"
    assert "storage.objects.get" in denials["lausanne-no-data"]["permissions"]
    assert (
        "serviceaccount:deploy-lausanne@chuv-imaging-platform.iam.gserviceaccount.com"
        in denials["lausanne-no-data"]["principals"]
    )
    limits = {g["grant"]: g for g in document["grantLimits"]}
    assert limits["deploy-lausanne-resourcemanager-projectIamAdmin"]["mayGrant"] == []
    table = preflight_cli("access", "--project", "bootstrap", "platform")
    assert "Deny policies (what they take away, whatever a grant gives):" in table.stdout
    assert "may grant no role" in table.stdout
