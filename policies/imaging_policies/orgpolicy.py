"""Org policies, the project guard rails: the constraints every site project carries (ORG-01 to ORG-14, ENC-10).

One stack policy per constraint. A site may skip a constraint its organisation enforces higher up
only with a recorded reason in its stack file (``imaging-landing-zone:guardRails.skip``).

An org policy is recognised in every form the provider accepts and returns: the v2 resource
(``gcp.orgpolicy.Policy``) with its full name (``projects/<id or number>/policies/<constraint>``, as
a program declares it) or its short name (``<constraint>``, as the provider stores it), and the v1
resource (``gcp.projects.OrganizationPolicy``, ``constraint`` with or without ``constraints/``). The
project may be named by id or by number. A policy must hold the exact required values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_policy import PolicyResource, Severity, StackValidationArgs, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from imaging_policies import tokens
from imaging_policies._props import UNKNOWN, as_str, items, leaf
from imaging_policies._registry import Report, stack_policy
from imaging_policies._site import (
    SITE_NAMESPACE,
    site_group_domains,
    site_project,
    site_setting,
    site_supply_chain,
    skipped_guard_rails,
)

Rules = list[Any]


@dataclass(frozen=True)
class Context:
    """What a rule is judged against: the site region and every name of the site project."""

    region: str | None
    projects: frozenset[str]
    """The site project's id and its known numbers (empty when the pack knows no site project)."""


@dataclass(frozen=True)
class OrgPolicy:
    """One org policy of the stack, v1 or v2, read into v2's vocabulary (``spec.rules``)."""

    urn: str
    constraint: Any
    """The constraint's short name (``gcp.resourceLocations``), :data:`UNKNOWN` or ``None``."""
    on_site: Any
    """Whether it is set on the site project: ``True``, ``False`` or :data:`UNKNOWN`."""
    where: str
    """The project (or other parent) it names, for messages."""
    rules: Rules
    reset: bool
    inherits: bool


def _true(value: Any) -> bool:
    return value in ("TRUE", True, "true", UNKNOWN)


def _unconditional(rules: Rules) -> Rules:
    return [r for r in rules if leaf(r, "condition") in (None, {})]


def _enforced(rules: Rules, _: Context) -> str | None:
    if any(leaf(r, "enforce") in ("FALSE", False, "false") for r in rules):
        return "a rule has enforce 'FALSE'"
    if any(_true(leaf(r, "enforce")) for r in _unconditional(rules)):
        return None
    return "no unconditional rule has enforce 'TRUE'"


def _denies(*values: str) -> Callable[[Rules, Context], str | None]:
    def check(rules: Rules, _: Context) -> str | None:
        if any(_true(leaf(r, "allowAll")) and leaf(r, "allowAll") is not UNKNOWN for r in rules):
            return "a rule allows all values"
        # A conditional rule denies only for the resources its condition selects.
        denied = {v for r in _unconditional(rules) for v in items(r, "values", "deniedValues")}
        if UNKNOWN in denied:
            return None
        missing = [v for v in values if v not in denied]
        return f"values.deniedValues lacks {', '.join(missing)}" if missing else None

    return check


def _deny_all(rules: Rules, _: Context) -> str | None:
    if any(leaf(r, "allowAll") in ("TRUE", True) or items(r, "values", "allowedValues") for r in rules):
        return "a rule allows values"
    return None if any(_true(leaf(r, "denyAll")) for r in _unconditional(rules)) else "no rule has denyAll 'TRUE'"


def _only(
    allowed_here: Callable[[str, Context], bool], what: str, problem: Callable[[list[str], Context], str]
) -> Callable[[Rules, Context], str | None]:
    """A list constraint that must allow exactly the site's values: every allowed value (of any rule)
    passes ``allowed_here`` and an unconditional rule restricts the values."""

    def check(rules: Rules, context: Context) -> str | None:
        if any(leaf(r, "allowAll") in ("TRUE", True) for r in rules):
            return f"a rule allows {what}"
        allowed = [v for r in rules for v in items(r, "values", "allowedValues")]
        if UNKNOWN in allowed:
            return None
        if not [v for r in _unconditional(rules) for v in items(r, "values", "allowedValues")]:
            return "values.allowedValues of an unconditional rule is empty, so nothing is restricted"
        elsewhere = [str(v) for v in allowed if not allowed_here(str(v), context)]
        return problem(elsewhere, context) if elsewhere else None

    return check


def _in_region(value: str, context: Context) -> bool:
    if context.region is None:
        return True
    region = re.escape(context.region)
    return re.fullmatch(rf"in:{region}-locations|{region}(-[a-z])?", value) is not None


def _site_key_project(value: str, context: Context) -> bool:
    if not context.projects:
        return value.startswith(("under:projects/", "projects/"))
    return value in {f"{prefix}projects/{p}" for p in context.projects for prefix in ("under:", "")}


_site_region_only = _only(
    _in_region,
    "all locations",
    lambda elsewhere, c: f"values.allowedValues admits {', '.join(elsewhere)}, outside the site region {c.region}",
)
_key_projects_only = _only(
    _site_key_project,
    "keys from any project",
    lambda elsewhere, c: (
        "values.allowedValues must name the projects that hold the site's keys (under:projects/"
        f"{site_project() or '<project>'}), not {', '.join(elsewhere)}"
    ),
)


def _customer(value: object) -> str:
    """A customer id as an allowed value names it: ``C0...`` or ``is:C0...``."""
    return str(value).removeprefix("is:")


def _declared_customers_only(rules: Rules, _: Context) -> str | None:
    """ORG-11: the allowed values are exactly the customer ids of the declared group domains. A value of another
    customer (or a principal set) admits its members; a declared customer left out locks the site's own groups out."""
    declared = site_group_domains()
    if any(leaf(r, "allowAll") in ("TRUE", True) for r in rules):
        return "a rule allows members of any domain"
    allowed = [v for r in rules for v in items(r, "values", "allowedValues")]
    if UNKNOWN in allowed:
        return None
    unconditional = {_customer(v) for r in _unconditional(rules) for v in items(r, "values", "allowedValues")}
    if not unconditional:
        return "values.allowedValues of an unconditional rule is empty, so members of any domain may be granted"
    return _customers_problem(declared.customers, {_customer(v) for v in allowed}, unconditional)


def _customers_problem(declared: Mapping[str, str], allowed: set[str], unconditional: set[str]) -> str | None:
    """What the allowed customers (of any rule; ``unconditional``: of the rules that always apply) get wrong
    against the declared domain to customer id map."""
    if not declared:
        return (
            f"the stack declares no {SITE_NAMESPACE}:groupDomains, so the customers it admits "
            f"({', '.join(sorted(unconditional))}) cannot be judged; declare the site's group domains"
        )
    wanted = set(declared.values())
    extra = sorted(allowed - wanted)
    missing = sorted(wanted - unconditional)
    if extra:
        return (
            f"values.allowedValues admits {', '.join(extra)}, not a customer of the declared group domains "
            f"({', '.join(f'{d}: {c}' for d, c in sorted(declared.items()))})"
        )
    if missing:
        return f"values.allowedValues lacks {', '.join(missing)}, the customer of a declared group domain"
    return None


@dataclass(frozen=True)
class GuardRail:
    control: str
    constraint: str
    name: str
    why: str
    check: Callable[[Rules, Context], str | None]
    fix: str
    severity: Severity = Severity.HIGH
    listed: bool = False
    """An allow-list constraint (its check also judges ``inheritFromParent``)."""
    exempt: Callable[[], str | None] | None = None
    """Why the site needs no such policy (``None``: it does), read from the site config."""


RUN_INGRESS = frozenset({"internal", "internal-and-cloud-load-balancing"})
"""The Cloud Run ingress settings that keep a service's run.app URL off the internet (``all`` does not)."""


def _value(value: str) -> str:
    return value.removeprefix("is:")


_run_ingress_only = _only(
    lambda value, _: _value(value) in RUN_INGRESS,
    "every ingress setting",
    lambda elsewhere, _: (
        f"values.allowedValues admits {', '.join(elsewhere)}, so a Cloud Run service can take requests from the "
        "internet past the load balancer and Cloud Armor"
    ),
)
_default_binauthz_only = _only(
    lambda value, _: _value(value) == "default",
    "every Binary Authorization policy, or none",
    lambda elsewhere, _: (
        f"values.allowedValues admits {', '.join(elsewhere)}, a policy other than the project's default (the one "
        "the site's attestors judge)"
    ),
)


def _launch_token_site() -> str | None:
    """ORG-13 does not apply when the site's viewer signs on with the worklist's launch token: the viewer then turns
    Cloud Run's invoker check off by design (IAM-09), which the constraint would refuse."""
    if site_supply_chain().sign_on == "launchToken":
        return (
            "the viewer signs on with the worklist's launch token and turns Cloud Run's invoker check off by design "
            "(IAM-09), which run.managed.requireInvokerIam would refuse"
        )
    return None


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
        listed=True,
    ),
    GuardRail(
        "ENC-10",
        "gcp.restrictCmekCryptoKeyProjects",
        "gcp-orgpolicy-restrict-cmek-key-projects",
        "Customer-managed keys come only from the site's own key project.",
        _key_projects_only,
        "rules [{values: {allowedValues: ['under:projects/<project>']}}]",
        listed=True,
    ),
    GuardRail(
        "ORG-11",
        "iam.allowedPolicyMemberDomains",
        "gcp-orgpolicy-allowed-member-domains",
        "IAM grants in the project name only identities of the directory customers of the site's declared group "
        "domains (CIS 1.1, domain restricted sharing).",
        _declared_customers_only,
        "rules [{values: {allowedValues: ['<customer id of each groupDomains entry>']}}]",
        listed=True,
    ),
    GuardRail(
        "ORG-12",
        "run.allowedIngress",
        "gcp-orgpolicy-run-allowed-ingress",
        "Cloud Run services in the project take requests only from inside and through Google's load balancers, "
        "never on their run.app URL from the internet (NET-08, IAM-09).",
        _run_ingress_only,
        "rules [{values: {allowedValues: ['internal-and-cloud-load-balancing']}}]",
        listed=True,
    ),
    GuardRail(
        "ORG-13",
        "run.managed.requireInvokerIam",
        "gcp-orgpolicy-run-require-invoker-iam",
        "No Cloud Run service in the project can turn its invoker IAM check off (IAM-09); not set when the viewer "
        "signs on with the worklist's launch token, which turns it off by design.",
        _enforced,
        "rules [{enforce: 'TRUE'}]",
        exempt=_launch_token_site,
    ),
    GuardRail(
        "ORG-14",
        "run.allowedBinaryAuthorizationPolicies",
        "gcp-orgpolicy-run-binary-authorization",
        "Every Cloud Run service in the project enforces the project's default Binary Authorization policy "
        "(NET-16, NET-17).",
        _default_binauthz_only,
        "rules [{values: {allowedValues: ['default']}}]",
        Severity.CRITICAL,
        listed=True,
    ),
)


def _project_names(args: StackValidationArgs, project: str | None) -> tuple[frozenset[str], bool]:
    """The site project's id and the numbers the stack's outputs give it (a bucket's ``projectNumber``,
    a Google service agent's ``service-<number>@`` email), and whether a number is still unknown."""
    if project is None:
        return frozenset(), False
    names, pending = {project}, False
    for r in args.resources:
        if leaf(r.props, "project") != project:
            continue
        number = leaf(r.props, "projectNumber") if r.resource_type == tokens.BUCKET else None
        email = as_str(leaf(r.props, "email"))
        if email and email.startswith("service-"):
            number = email.removeprefix("service-").split("@")[0]
        if number is UNKNOWN:
            pending = True
        elif isinstance(number, float | int | str) and str(number).removesuffix(".0").isdigit():
            names.add(str(number).removesuffix(".0"))
    return frozenset(names), pending


def _on_site(targets: list[Any], names: frozenset[str], pending: bool) -> Any:
    """Whether every project reference of a policy (``projects/<id or number>``) is the site project."""
    verdicts = []
    for target in targets:
        if target is UNKNOWN:
            verdicts.append(UNKNOWN)
            continue
        kind, _, ident = str(target).partition("/")
        if kind != "projects" or not ident or "/" in ident:
            return False
        if not names or ident in names:
            verdicts.append(True)
        elif ident.isdigit() and pending:
            verdicts.append(UNKNOWN)
        else:
            return False
    if not verdicts:
        return False
    return UNKNOWN if UNKNOWN in verdicts else True


def _v2(r: PolicyResource, names: frozenset[str], pending: bool) -> OrgPolicy:
    name, parent = leaf(r.props, "name"), leaf(r.props, "parent")
    # The provider stores ``name`` as the short constraint name on create, read and update
    # (resourceOrgPolicyPolicyEncoder in terraform-provider-google-beta
    # google-beta/services/orgpolicy/resource_org_policy_policy.go); a program declares the full name.
    constraint, targets = name, [parent] if parent is not None else []
    if isinstance(name, str) and "/policies/" in name:
        named_parent, _, constraint = name.rpartition("/policies/")
        targets.append(named_parent)
    return OrgPolicy(
        urn=r.urn,
        constraint=constraint,
        on_site=_on_site(targets, names, pending),
        where=" and ".join(str(t) for t in targets) or "no parent",
        rules=items(r.props, "spec", "rules"),
        reset=leaf(r.props, "spec", "reset") is True,
        inherits=leaf(r.props, "spec", "inheritFromParent") is True,
    )


def _v1(r: PolicyResource, names: frozenset[str], pending: bool) -> OrgPolicy:
    constraint = leaf(r.props, "constraint")
    # The provider stores the API's canonical ``constraints/<name>`` (resourceGoogleProjectOrganizationPolicyRead
    # in google-beta/services/resourcemanager/resource_google_project_organization_policy.go).
    if isinstance(constraint, str):
        constraint = constraint.removeprefix("constraints/")
    project = leaf(r.props, "project")
    if project is None:
        project = pulumi.Config("gcp").get("project")  # the provider's default project
    target = project if project is UNKNOWN or project is None else "projects/" + str(project).removeprefix("projects/")
    rules: Rules = []
    enforced = leaf(r.props, "booleanPolicy", "enforced")
    if enforced is not None:
        rules.append({"enforce": UNKNOWN if enforced is UNKNOWN else ("TRUE" if enforced is True else "FALSE")})
    for side, every, listed in (("allow", "allowAll", "allowedValues"), ("deny", "denyAll", "deniedValues")):
        everything = leaf(r.props, "listPolicy", side, "all")
        if everything is UNKNOWN or everything is True:
            rules.append({every: UNKNOWN if everything is UNKNOWN else "TRUE"})
        values = items(r.props, "listPolicy", side, "values")
        if values:
            rules.append({"values": {listed: values}})
    return OrgPolicy(
        urn=r.urn,
        constraint=constraint,
        on_site=_on_site([target] if target is not None else [], names, pending),
        where=str(target) if target is not None else "no project",
        rules=rules,
        reset=leaf(r.props, "restorePolicy", "default") is True,
        inherits=leaf(r.props, "listPolicy", "inheritFromParent") is True,
    )


def org_policies(args: StackValidationArgs) -> tuple[list[OrgPolicy], Context]:
    """Every org policy of the stack (v1 and v2), and the context its rules are judged in."""
    names, pending = _project_names(args, site_project())
    found = []
    for r in args.resources:
        if r.resource_type == tokens.ORG_POLICY:
            found.append(_v2(r, names, pending))
        elif r.resource_type == tokens.ORG_POLICY_V1:
            found.append(_v1(r, names, pending))
    return found, Context(site_setting("region"), names)


def _judge(rail: GuardRail, policy: OrgPolicy, context: Context) -> str | None:
    if policy.reset:
        return "resets to Google's default (spec.reset)"
    if rail.listed and policy.inherits:
        # An allow list merged with the parent's admits the parent's values too.
        return "inheritFromParent is true, so the parent's policy can admit more; set it false"
    return rail.check(policy.rules, context)


def _check(rail: GuardRail) -> Callable[[StackValidationArgs, Report], None]:
    def check(args: StackValidationArgs, report: Report) -> None:
        reason = args.get_config().get("skipReason") or skipped_guard_rails().get(rail.constraint)
        if reason:
            return  # recorded in the stack file or the pack config: enforced higher up
        exempt = rail.exempt() if rail.exempt is not None else None
        if exempt:
            args.not_applicable(f"{rail.control} is not required: {exempt}")
        policies, context = org_policies(args)
        mine = [p for p in policies if p.constraint == rail.constraint]
        found = [p for p in mine if p.on_site is True]
        for policy in found:
            problem = _judge(rail, policy, context)
            if problem:
                report(f"org policy {rail.constraint}: {problem}. Set {rail.fix}.", policy.urn)
        if found:
            return
        # A policy whose constraint or project is unknown (a first preview) may be this one: it is
        # judged at update, never matched against every constraint here.
        undecided = [p for p in policies if p.constraint in (UNKNOWN, rail.constraint) and p.on_site is not False]
        undecided = [p for p in undecided if p.constraint is UNKNOWN or p.on_site is UNKNOWN]
        if undecided:
            raise UnknownValueError(UNKNOWN_STRING_VALUE, ["resources", undecided[0].urn.split("::")[-1], "name"])
        elsewhere = sorted({p.where for p in mine})
        report(
            f"org policy {rail.constraint} is missing on the project {site_project() or ''}"
            + (f" (it is set on {', '.join(elsewhere)}, not the site project)" if elsewhere else "")
            + f". Add gcp.orgpolicy.Policy 'projects/<project>/policies/{rail.constraint}' with {rail.fix}, or "
            f"record in {SITE_NAMESPACE}:guardRails.skip why the organisation enforces it higher up."
        )

    return check


POLICIES: list[StackValidationPolicy] = [
    stack_policy(
        name=rail.name,
        site_only=True,
        types=sorted(tokens.ORG_POLICIES),
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
