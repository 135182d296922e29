"""Two ways a stack is judged less than a hospital site is, each explicit and recorded:

- scope: the site-completeness controls (guard rails, audit config, default accounts, SIEM export,
  security-log bucket, alerts) apply to stacks that declare a site (``imaging-landing-zone:siteCode``,
  or ``imaging-site-requirements:scope``); resource controls apply to every stack;
- exemptions: a policy's ``exempt`` config names resources (logical-name globs) whose findings it does not
  report, each with a written reason (a sentence: 20 characters or more), which the engine reports as the
  policy's not-applicable note where the exemption hides a finding (a compliant resource is judged as any).

Through the real pack process over the Analyzer protocol."""

from __future__ import annotations

import pytest

from preflight.judge import pack as judge_pack
from preflight.judge.pack import PolicyConfigError
from tests.packs import configured_pack
from tests.plans import site_plan
from tests.policies.mutation import add_resource
from tests.sites import by_name

SITE_ONLY = {
    "gcp-project-default-service-accounts-deprivileged",
    "gcp-project-data-access-audit-logs",
    "gcp-logging-siem-export",
    "gcp-logging-bucket-receives-security-logs",
    "gcp-monitoring-cis-security-alerts",
    "gcp-monitoring-site-security-alerts",
    "gcp-iam-effective-access-within-intent",  # the intent is the site config's: another stack declares none
    "gcp-iam-needed-grants-in-place",
    "gcp-logging-siem-path-intact",
    "gcp-monitoring-security-alerts-notify",
    "gcp-accesscontextmanager-site-in-enforced-perimeter",  # a site's project in its perimeter (NET-10)
    "gcp-accesscontextmanager-perimeter-restricts-services",
    "gcp-monitoring-unexpected-access-detectors",  # the anomaly detectors (LOG-16 to LOG-18) are a site's
    "gcp-monitoring-baseline-detectors",
    "gcp-scc-findings-to-siem",
    "gcp-binaryauthorization-requires-attestation",  # the attestors are the site config's viewer.attestors
}
PUBLIC_GRANT = {"bucket": "data", "role": "roles/storage.objectViewer", "member": "allUsers"}


def _pack(config: dict[str, str], policy_config: dict | None = None) -> judge_pack.PackProcess:
    return configured_pack(config, project="other-team", stack="dev", policy_config=policy_config)


def _mandatory(found) -> set[str]:
    return {d.policy for d in found if d.level == "mandatory"}


def test_the_site_only_policies_are_the_site_completeness_controls():
    from imaging_policies import POLICIES, _registry

    registered = _registry.SITE_ONLY
    assert registered >= SITE_ONLY
    assert {p for p in registered if not p.startswith("gcp-orgpolicy-")} == SITE_ONLY
    assert {p.name for p in POLICIES if p.name.startswith("gcp-orgpolicy-")} <= registered


def test_a_stack_that_is_not_a_site_is_not_asked_for_what_only_sites_have():
    """An empty stack of another team: no guard rails, alerts or SIEM are demanded of it."""
    pack = _pack({"gcp:project": "research-archive"})
    try:
        found = pack.analyze_stack([])
    finally:
        pack.close()
    assert _mandatory(found) == set()


def test_resource_controls_still_apply_to_a_stack_that_is_not_a_site():
    pack = _pack({"gcp:project": "research-archive"})
    try:
        grant = _grant("pub")
        found = pack.analyze(grant)
    finally:
        pack.close()
    assert "gcp-iam-no-public-principals" in _mandatory(found)


def _grant(name: str):
    """A public bucket grant of another team's stack."""
    return add_resource("gcp:storage/bucketIAMMember:BucketIAMMember", name, PUBLIC_GRANT)([])


DEMANDED = SITE_ONLY - {
    "gcp-logging-bucket-receives-security-logs",
    "gcp-iam-effective-access-within-intent",
    "gcp-iam-needed-grants-in-place",
    "gcp-logging-siem-path-intact",
    "gcp-monitoring-security-alerts-notify",
    "gcp-accesscontextmanager-site-in-enforced-perimeter",  # a site's project in its perimeter (NET-10)
    "gcp-accesscontextmanager-perimeter-restricts-services",
    "gcp-binaryauthorization-requires-attestation",
}
"""What an empty stack that is a site lacks (NET-17's policy is demanded of a site with a viewer or a Cloud Run
service only; with no logging declared there is no security-log bucket to ask
for and no SIEM path to follow; LOG-08 reports the missing declaration; with no alert policy there is none
to judge for LOG-14, and LOG-11 and LOG-12 report the missing alerts; with no asset, nobody holds or needs
anything for IAM-10 and IAM-11)."""


def test_a_stack_may_declare_itself_a_site_and_is_then_judged_as_one():
    pack = _pack({"gcp:project": "research-archive", "imaging-site-requirements:scope": "site"})
    try:
        found = pack.analyze_stack([])
    finally:
        pack.close()
    assert _mandatory(found) >= DEMANDED


@pytest.mark.parametrize("scope", ["resources", " RESOURCES ", "none"])
def test_a_site_stays_a_site_whatever_its_stack_file_says(scope):
    """A site's stack file cannot switch its own site controls off (a reviewer would miss one line): only a
    reviewed policy-config exemption, with its reason, can narrow what a site is judged for."""
    from preflight.engine import stacks

    config = {**stacks.load("lausanne").config, "imaging-site-requirements:scope": scope}
    pack = _pack(config)
    try:
        found = pack.analyze_stack([])
    finally:
        pack.close()
    assert _mandatory(found) >= DEMANDED


@pytest.mark.parametrize("scope", ["resource", "resources", ""])
def test_another_stack_is_a_site_only_when_it_says_so_exactly(scope):
    pack = _pack({"gcp:project": "research-archive", "imaging-site-requirements:scope": scope})
    try:
        found = pack.analyze_stack([])
    finally:
        pack.close()
    assert not SITE_ONLY & _mandatory(found)


def test_an_exempted_resource_is_not_applicable_with_its_reason_and_others_are_still_judged():
    config = {"gcp-iam-no-public-principals": {"exempt": {"pub*": "a public dataset by decision 2026-11"}}}
    pack = _pack({"gcp:project": "research-archive"}, config)
    try:
        exempted, other = _grant("pub-data"), _grant("data")
        assert "gcp-iam-no-public-principals" not in _mandatory(pack.analyze(exempted))
        assert "gcp-iam-no-public-principals" in _mandatory(pack.analyze(other))
    finally:
        pack.close()


def test_an_exemption_of_a_stack_policy_drops_only_the_named_resource(policy_pack):
    resources = site_plan("lausanne", "update")
    bucket = by_name(resources, "lau-images")
    bucket.outputs.pop("ipFilter", None)
    from preflight.engine import stacks

    config = {"gcp-storage-bucket-ip-filter": {"exempt": {"lau-images": "reached from the PACS's own network"}}}
    pack = configured_pack(stacks.load("lausanne").config, stack="lausanne", policy_config=config)
    try:
        assert "gcp-storage-bucket-ip-filter" not in _mandatory(pack.analyze_stack(resources))
    finally:
        pack.close()
    assert "gcp-storage-bucket-ip-filter" in _mandatory(policy_pack("lausanne", "update").analyze_stack(resources))


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_an_exemption_without_a_reason_is_refused(reason):
    pack = judge_pack.PackProcess(config={}, project="other-team", stack="dev", dry_run=False)
    try:
        with pytest.raises(PolicyConfigError, match="exempt"):
            judge_pack.reconcile(pack.info(), {"gcp-iam-no-public-principals": {"exempt": {"pub*": reason}}})
    finally:
        pack.close()


@pytest.mark.parametrize("pattern", ["*", "**", "?*", "[!]*"])
def test_an_exemption_that_names_nothing_in_particular_is_refused(pattern):
    pack = judge_pack.PackProcess(config={}, project="other-team", stack="dev", dry_run=False)
    try:
        with pytest.raises(PolicyConfigError, match="exempt"):
            judge_pack.reconcile(pack.info(), {"gcp-iam-no-public-principals": {"exempt": {pattern: "everything"}}})
    finally:
        pack.close()


PUBLIC_DATASET = "a public dataset by decision 2026-11"
PRIVATE_GRANT = {"bucket": "data", "role": "roles/storage.objectViewer", "member": "group:research@chuv.example"}


def _reasons(pack: judge_pack.PackProcess, resource, policy: str) -> list[str]:
    """The not-applicable reasons ``policy`` gives ``resource`` (``Analyze``)."""
    return [n.reason for n in pack._analyze(resource, None)[1] if n.policy == policy]


def test_an_exempted_resource_with_a_violation_is_not_applicable_with_the_recorded_reason():
    config = {"gcp-iam-no-public-principals": {"exempt": {"pub*": PUBLIC_DATASET}}}
    pack = _pack({"gcp:project": "research-archive"}, config)
    try:
        [reason] = _reasons(pack, _grant("pub-data"), "gcp-iam-no-public-principals")
    finally:
        pack.close()
    assert reason == f"pub-data is exempted by the policy config: {PUBLIC_DATASET} (IAM-03)"


def test_an_exempted_resource_the_policy_finds_nothing_wrong_with_is_judged_not_exempted():
    """An exemption matters only where it hides a finding: a compliant resource it names is judged and meets
    the control (the matrix counts it), so an exemption never turns a control into "no resources"."""
    config = {"gcp-iam-no-public-principals": {"exempt": {"pub*": PUBLIC_DATASET}}}
    pack = _pack({"gcp:project": "research-archive"}, config)
    try:
        grant = add_resource("gcp:storage/bucketIAMMember:BucketIAMMember", "pub-data", PRIVATE_GRANT)([])
        assert _reasons(pack, grant, "gcp-iam-no-public-principals") == []
        assert "gcp-iam-no-public-principals" not in _mandatory(pack.analyze(grant))
    finally:
        pack.close()


def test_a_stack_policy_whose_findings_are_all_exempted_is_not_applicable_with_the_reason():
    resources = site_plan("lausanne", "update")
    by_name(resources, "lau-images").outputs.pop("ipFilter", None)
    from preflight.engine import stacks

    reason = "reached from the PACS's own network"
    config = {"gcp-storage-bucket-ip-filter": {"exempt": {"lau-images": reason}}}
    pack = configured_pack(stacks.load("lausanne").config, stack="lausanne", policy_config=config)
    try:
        found, not_applicable = pack._analyze_stack(resources, None)
    finally:
        pack.close()
    assert "gcp-storage-bucket-ip-filter" not in _mandatory(found)
    [stack_reason] = [n.reason for n in not_applicable if n.policy == "gcp-storage-bucket-ip-filter"]
    assert stack_reason.endswith(f"on lau-images is exempted by the policy config: {reason}")


@pytest.mark.parametrize(
    "reason", ["x", "see ticket 1042", "  a short reason      "], ids=["one-letter", "fifteen", "padded-sixteen"]
)
def test_an_exemption_reason_shorter_than_a_sentence_is_refused(reason):
    pack = judge_pack.PackProcess(config={}, project="other-team", stack="dev", dry_run=False)
    try:
        with pytest.raises(PolicyConfigError, match="20 characters or more"):
            judge_pack.reconcile(pack.info(), {"gcp-iam-no-public-principals": {"exempt": {"pub*": reason}}})
    finally:
        pack.close()


def test_the_pack_holds_its_reasons_to_the_site_config_s_minimum_length():
    """One rule for every recorded reason: the pack keeps a copy (it is published alone)."""
    from imaging_policies import _registry

    from program.config import REASON_MIN_LENGTH

    assert _registry.REASON_MIN_LENGTH == REASON_MIN_LENGTH


def test_the_check_reads_the_pack_s_exemption_wording():
    from imaging_policies import _registry

    from preflight.judge import words

    assert words.EXEMPTED_BY_CONFIG == _registry.EXEMPTED_BY_CONFIG


def test_every_policy_takes_a_level_reason_of_a_sentence():
    pack = judge_pack.PackProcess(config={}, project="other-team", stack="dev", dry_run=False)
    try:
        policies = pack.info()
    finally:
        pack.close()
    assert all("levelReason" in p.config_schema["properties"] for p in policies)
    with pytest.raises(PolicyConfigError, match="levelReason: a recorded reason is a sentence"):
        judge_pack.reconcile(policies, {"gcp-iam-no-public-principals": {"levelReason": "too short"}})
