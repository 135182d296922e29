"""Project guard rails: the org policies every site project carries (ORG-01 to ORG-10, and ENC-10's).

One stack policy per constraint. A site may skip a constraint its organisation enforces higher up
only with a recorded reason in its stack file (``imaging-landing-zone:guardRails.skip``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs, StackValidationPolicy

from imaging_policies import tokens
from imaging_policies._props import UNKNOWN, items, leaf
from imaging_policies._registry import Report, stack_policy
from imaging_policies._site import SITE_NAMESPACE, site_project, site_setting, skipped_guard_rails

Rules = list[Any]


def _true(value: Any) -> bool:
    return value in ("TRUE", True, "true", UNKNOWN)


def _enforced(rules: Rules, _: str | None) -> str | None:
    if any(leaf(r, "enforce") in ("FALSE", False, "false") for r in rules):
        return "a rule has enforce 'FALSE'"
    if any(_true(leaf(r, "enforce")) and leaf(r, "condition") is None for r in rules):
        return None
    return "no unconditional rule has enforce 'TRUE'"


def _denies(*values: str) -> Callable[[Rules, str | None], str | None]:
    def check(rules: Rules, _: str | None) -> str | None:
        denied = {v for r in rules for v in items(r, "values", "deniedValues")}
        if UNKNOWN in denied:
            return None
        missing = [v for v in values if v not in denied]
        if any(_true(leaf(r, "allowAll")) and leaf(r, "allowAll") is not UNKNOWN for r in rules):
            return "a rule allows all values"
        return f"values.deniedValues lacks {', '.join(missing)}" if missing else None

    return check


def _deny_all(rules: Rules, _: str | None) -> str | None:
    if any(leaf(r, "allowAll") in ("TRUE", True) or items(r, "values", "allowedValues") for r in rules):
        return "a rule allows values"
    return None if any(_true(leaf(r, "denyAll")) for r in rules) else "no rule has denyAll 'TRUE'"


def _site_region_only(rules: Rules, region: str | None) -> str | None:
    allowed = [v for r in rules for v in items(r, "values", "allowedValues")]
    if any(leaf(r, "allowAll") in ("TRUE", True) for r in rules):
        return "a rule allows all locations"
    if UNKNOWN in allowed:
        return None
    if not allowed:
        return "values.allowedValues is empty, so resources may be created anywhere"
    if region is not None:
        elsewhere = [v for v in allowed if region not in str(v)]
        if elsewhere:
            return f"values.allowedValues admits {', '.join(map(str, elsewhere))}, outside the site region {region}"
    return None


def _key_projects_only(rules: Rules, _: str | None) -> str | None:
    allowed = [v for r in rules for v in items(r, "values", "allowedValues")]
    if any(leaf(r, "allowAll") in ("TRUE", True) for r in rules):
        return "a rule allows keys from any project"
    if UNKNOWN in allowed:
        return None
    if not allowed or not all(str(v).startswith("under:projects/") for v in allowed):
        return "values.allowedValues must name the projects that hold the site's keys (under:projects/<project>)"
    return None


@dataclass(frozen=True)
class GuardRail:
    control: str
    constraint: str
    name: str
    why: str
    check: Callable[[Rules, str | None], str | None]
    fix: str
    severity: Severity = Severity.HIGH


GUARD_RAILS = (
    GuardRail(
        "ORG-01",
        "gcp.restrictTLSVersion",
        "gcp-orgpolicy-restrict-tls-version",
        "Google APIs refuse TLS 1.0 and 1.1 for the project (TLS-04: PACS to storage, viewer to storage).",
        _denies("TLS_VERSION_1", "TLS_VERSION_1_1"),
        "rules [{values: {deniedValues: ['TLS_VERSION_1', 'TLS_VERSION_1_1']}}]",
        Severity.CRITICAL,
    ),
    GuardRail(
        "ORG-02",
        "storage.publicAccessPrevention",
        "gcp-orgpolicy-storage-public-access-prevention",
        "No bucket in the project can be made public.",
        _enforced,
        "rules [{enforce: 'TRUE'}]",
    ),
    GuardRail(
        "ORG-03",
        "storage.uniformBucketLevelAccess",
        "gcp-orgpolicy-storage-uniform-access",
        "No bucket in the project can use object ACLs.",
        _enforced,
        "rules [{enforce: 'TRUE'}]",
    ),
    GuardRail(
        "ORG-04",
        "iam.disableServiceAccountKeyCreation",
        "gcp-orgpolicy-disable-sa-key-creation",
        "No service-account key can be created in the project.",
        _enforced,
        "rules [{enforce: 'TRUE'}]",
    ),
    GuardRail(
        "ORG-05",
        "iam.disableServiceAccountKeyUpload",
        "gcp-orgpolicy-disable-sa-key-upload",
        "No service-account key can be uploaded in the project.",
        _enforced,
        "rules [{enforce: 'TRUE'}]",
    ),
    GuardRail(
        "ORG-06",
        "iam.automaticIamGrantsForDefaultServiceAccounts",
        "gcp-orgpolicy-no-default-sa-grants",
        "New default service accounts get no Editor role.",
        _enforced,
        "rules [{enforce: 'TRUE'}]",
    ),
    GuardRail(
        "ORG-07",
        "gcp.restrictNonCmekServices",
        "gcp-orgpolicy-restrict-non-cmek-services",
        "New Cloud Storage data must use a customer-managed key (ENC-10).",
        _denies("storage.googleapis.com"),
        "rules [{values: {deniedValues: ['storage.googleapis.com', ...]}}]",
    ),
    GuardRail(
        "ORG-08",
        "compute.skipDefaultNetworkCreation",
        "gcp-orgpolicy-skip-default-network",
        "No default network is created in the project.",
        _enforced,
        "rules [{enforce: 'TRUE'}]",
        Severity.MEDIUM,
    ),
    GuardRail(
        "ORG-09",
        "compute.vmExternalIpAccess",
        "gcp-orgpolicy-no-vm-external-ip",
        "No VM in the project can have an external address.",
        _deny_all,
        "rules [{denyAll: 'TRUE'}]",
    ),
    GuardRail(
        "ORG-10",
        "gcp.resourceLocations",
        "gcp-orgpolicy-resource-locations",
        "Resources are created in the site region only.",
        _site_region_only,
        "rules [{values: {allowedValues: ['in:<region>-locations']}}]",
        Severity.MEDIUM,
    ),
    GuardRail(
        "ENC-10",
        "gcp.restrictCmekCryptoKeyProjects",
        "gcp-orgpolicy-restrict-cmek-key-projects",
        "Customer-managed keys come only from the site's own key project.",
        _key_projects_only,
        "rules [{values: {allowedValues: ['under:projects/<project>']}}]",
    ),
)


def _policies_for(args: StackValidationArgs, constraint: str) -> list[PolicyResource]:
    """The org policies for ``constraint`` on the site project (any project when it is not known)."""
    project = site_project()
    wanted = f"projects/{project}/policies/{constraint}" if project else None
    found = []
    for r in args.resources:
        name = leaf(r.props, "name") if r.resource_type == tokens.ORG_POLICY else None
        if name is UNKNOWN or (
            isinstance(name, str) and (name == wanted if wanted else name.endswith(f"/{constraint}"))
        ):
            found.append(r)
    return found


def _check(rail: GuardRail) -> Callable[[StackValidationArgs, Report], None]:
    def check(args: StackValidationArgs, report: Report) -> None:
        reason = args.get_config().get("skipReason") or skipped_guard_rails().get(rail.constraint)
        if reason:
            return  # recorded in the stack file or the pack config: enforced higher up
        found = _policies_for(args, rail.constraint)
        if not found:
            report(
                f"org policy {rail.constraint} is missing on the project {site_project() or ''}. Add "
                f"gcp.orgpolicy.Policy 'projects/<project>/policies/{rail.constraint}' with {rail.fix}, or record in "
                f"{SITE_NAMESPACE}:guardRails.skip why the organisation enforces it higher up."
            )
        region = site_setting("region")
        for policy in found:
            if leaf(policy.props, "spec", "reset") is True:
                report(
                    f"org policy {rail.constraint} resets to Google's default (spec.reset); set {rail.fix}.", policy.urn
                )
                continue
            problem = rail.check(items(policy.props, "spec", "rules"), region)
            if problem:
                report(f"org policy {rail.constraint}: {problem}. Set {rail.fix}.", policy.urn)

    return check


POLICIES: list[StackValidationPolicy] = [
    stack_policy(
        name=rail.name,
        types=[tokens.ORG_POLICY],
        control=rail.control,
        description=f"Org policy {rail.constraint}: {rail.why}",
        severity=rail.severity,
        remediation=(
            f"Set gcp.orgpolicy.Policy projects/<project>/policies/{rail.constraint} with {rail.fix} "
            "(ProjectGuardRails does), or skip it in guardRails.skip with the reason."
        ),
        check=_check(rail),
        config={"skipReason": {"type": "string", "description": "Why this project does not set it (enforced above)."}},
    )
    for rail in GUARD_RAILS
]
