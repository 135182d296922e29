"""Every permission the bootstrap's deny policies name has a recorded verdict from Google's "Permissions supported
in deny policies" page (bootstrap/deny_permissions.toml), and none is recorded as refused.

A deny policy naming a permission the API does not accept is not created, so the bootstrap's ``pulumi up``
fails on it. Nothing offline can ask the API; this holds the code to what a maintainer read on the page, so a
permission added to ``DENIED`` without that reading fails here, saying how to read it. ADR 0033 names the
permissions that could not be verified (the record's ``unverified``), and the marker-gated integration test's
real ``up`` is where a refused one shows; so that a refusal fails closed, the plan grants no role on a site
project, no federation and no key administration before the deny policy that covers it exists (last test).
"""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tests.bootstrap.test_duties import _duties_module, plan

ROOT = Path(__file__).resolve().parents[2]
RECORD = ROOT / "bootstrap" / "deny_permissions.toml"
ADR = ROOT / "docs" / "adr" / "0033-separation-of-duties.md"
VERDICTS = ("supported", "not-supported", "unverified")

HOW_TO_VERIFY = (
    "open Google's page 'Permissions supported in deny policies' "
    "(https://cloud.google.com/iam/docs/deny-permissions-support), search the service and read its whole list; "
    "then record the verdict, the date read and the row (or wildcard) you read in bootstrap/deny_permissions.toml "
    "(its header says how)"
)


def _record() -> dict[str, Any]:
    with RECORD.open("rb") as handle:
        return tomllib.load(handle)


def _denied() -> set[str]:
    duties = _duties_module()
    return set(duties.denied_permissions()) | set(duties.KEY_USE_DENIED)


def covers(listed: str, permission: str) -> bool:
    """Whether the page's row ``listed`` (a permission or a wildcard such as ``service/resource.*`` or
    ``service/*.*``) covers ``permission``."""
    if listed == permission:
        return True
    service, _, name = permission.partition("/")
    listed_service, _, listed_name = listed.partition("/")
    if listed_service != service:
        return False
    resource, _, _verb = name.partition(".")
    listed_resource, _, listed_verb = listed_name.partition(".")
    return listed_verb == "*" and listed_resource in ("*", resource)


def problems(denied: Iterable[str], recorded: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What is wrong between the permissions the deny policies name and the record of the page's verdicts."""
    found: list[str] = []
    for permission in sorted(set(denied) - set(recorded)):
        found.append(f"{permission} is denied but has no verdict: {HOW_TO_VERIFY}")
    for permission in sorted(set(recorded) - set(denied)):
        found.append(f"{permission} has a verdict but no deny policy names it: remove its entry")
    for permission in sorted(set(denied) & set(recorded)):
        entry = recorded[permission]
        verdict = entry.get("verdict")
        if verdict not in VERDICTS:
            found.append(f"{permission}: verdict {verdict!r} is none of {', '.join(VERDICTS)}")
            continue
        if not isinstance(entry.get("read"), datetime.date):
            found.append(f"{permission}: 'read' must be the date the page was read (YYYY-MM-DD, unquoted)")
        if verdict == "not-supported":
            found.append(
                f"{permission} is not in Google's list, so the deny policy naming it would not be created: "
                "replace it in bootstrap/duties.py DENIED by a listed permission of the same effect, or drop it "
                "and name the residual risk in ADR 0033 and docs/deploying.md"
            )
        elif verdict == "supported" and not covers(str(entry.get("listed_as", "")), permission):
            found.append(f"{permission}: 'listed_as' must be the page's row that lists it (or a wildcard of it)")
        elif verdict == "unverified" and not str(entry.get("note", "")).strip():
            found.append(f"{permission}: an unverified verdict needs a 'note' saying why it could not be read")
    return found


def test_each_denied_permission_has_a_well_formed_verdict_and_none_is_refused():
    assert problems(_denied(), _record()["permissions"]) == []


def test_the_record_cites_the_page_and_when_it_was_read():
    page = _record()["page"]
    assert page["title"] == "Permissions supported in deny policies"
    assert page["url"] == "https://cloud.google.com/iam/docs/deny-permissions-support"
    assert isinstance(page["read"], datetime.date)


def test_adr_0033_names_every_permission_that_could_not_be_verified():
    text = " ".join(ADR.read_text(encoding="utf-8").split())
    unverified = [p for p, entry in _record()["permissions"].items() if entry["verdict"] == "unverified"]
    assert [p for p in unverified if f"`{p}`" not in text] == []


def test_a_permission_added_without_a_verdict_fails_with_how_to_verify_it():
    recorded = _record()["permissions"]
    found = problems(_denied() | {"pubsub.googleapis.com/topics.publish"}, recorded)
    assert len(found) == 1
    assert found[0].startswith("pubsub.googleapis.com/topics.publish is denied but has no verdict")
    assert "deny-permissions-support" in found[0]


def test_a_permission_recorded_as_refused_fails():
    permission = "pubsub.googleapis.com/snapshots.seek"
    recorded = dict(_record()["permissions"])
    recorded[permission] = {"verdict": "not-supported", "read": datetime.date(2026, 12, 7)}
    assert [p for p in problems(_denied(), recorded) if p.startswith(permission)] == [
        f"{permission} is not in Google's list, so the deny policy naming it would not be created: replace it in "
        "bootstrap/duties.py DENIED by a listed permission of the same effect, or drop it and name the residual "
        "risk in ADR 0033 and docs/deploying.md"
    ]


def test_a_wildcard_row_covers_its_resources_verbs_only():
    assert covers("pubsub.googleapis.com/subscriptions.*", "pubsub.googleapis.com/subscriptions.consume")
    assert covers("pubsub.googleapis.com/*.*", "pubsub.googleapis.com/snapshots.seek")
    assert not covers("pubsub.googleapis.com/subscriptions.*", "pubsub.googleapis.com/snapshots.seek")
    assert not covers("pubsublite.googleapis.com/*.*", "pubsub.googleapis.com/snapshots.seek")
    assert not covers("logging.googleapis.com/views.get", "logging.googleapis.com/views.access")


def test_no_grant_the_deny_policies_cover_is_made_before_they_exist():
    """A deny policy the API refuses is not created; Pulumi then creates nothing that depends on it. Each grant of
    a role on a site project, each identity's federation and the key administrators' grant on the platform's key
    ring must depend on the deny policy that covers it, or a refused permission leaves roles with no deny."""
    resources = plan()
    deny = {r.name: r.urn for r in resources if r.type == "gcp:iam/denyPolicy:DenyPolicy"}
    assert set(deny) == {"key-admins-no-key-use", "lausanne-no-data", "utrecht-no-data"}
    site_of_project = {
        r.inputs["parent"].rpartition("%2F")[2]: name.removesuffix("-no-data")
        for name, r in ((r.name, r) for r in resources if r.name in deny and r.name.endswith("-no-data"))
    }
    waiting: dict[str, str] = {}
    for r in resources:
        if r.type == "gcp:projects/iAMMember:IAMMember" and r.inputs["project"] in site_of_project:
            waiting[r.name] = f"{site_of_project[r.inputs['project']]}-no-data"
        elif r.type == "gcp:serviceaccount/iAMMember:IAMMember":
            waiting[r.name] = f"{r.name.split('-')[1]}-no-data"
        elif r.type == "gcp:kms/keyRingIAMMember:KeyRingIAMMember" and r.name == "key-admins":
            waiting[r.name] = "key-admins-no-key-use"
    assert "key-admins" in waiting
    assert {"key-admins-lausanne", "deploy-lausanne-federation-environment", "deploy-utrecht-run-admin"} <= set(waiting)
    by_name = {r.name: r for r in resources}
    early = [name for name, policy in sorted(waiting.items()) if deny[policy] not in by_name[name].dependencies]
    assert early == []
