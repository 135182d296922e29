"""The service perimeter (NET-10 to NET-15): VPC Service Controls around the site project.

The site project is in a regular perimeter's enforced configuration (``status``), or, while a live site
migrates, in its explicit dry-run configuration (``spec``, with ``useExplicitDryRunSpec``) with the reason
and end date the site config records (``perimeter.dryRun``); the perimeter restricts the required services
and lets the VPC reach only restricted ones; no ingress or egress rule admits any identity, any source or
any resource, and egress reaches only the declared SIEM project; access levels admit only the site's
declared ranges; no perimeter is a bridge.

A perimeter names projects by number (``projects/<number>``): the API refuses an id and the provider
stores what the API returns (``flattenAccessContextManagerServicePerimeterStatusResources`` in
terraform-provider-google-beta google-beta/services/accesscontextmanager/
resource_access_context_manager_service_perimeter.go). The site project's numbers come from the stack itself
(a bucket's ``projectNumber``, a Google service agent's email), as for the org policies.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from imaging_policies import tokens
from imaging_policies._principals import site_project_number
from imaging_policies._props import UNKNOWN, as_str, items, known, leaf, property_dependencies
from imaging_policies._registry import Report, resource_policy, stack_policy
from imaging_policies._resolve import SiteProject
from imaging_policies._site import (
    SITE_NAMESPACE,
    inside,
    site_perimeter,
    site_principals,
    site_project,
    source_allowlist,
)

BRIDGE = "PERIMETER_TYPE_BRIDGE"
ANY_IDENTITY_TYPES = frozenset({"ANY_IDENTITY", "ANY_USER_ACCOUNT", "ANY_SERVICE_ACCOUNT"})
"""``identityType`` values that admit every identity of a kind, whatever ``identities`` lists."""
RESTRICTED_SERVICES_ALIAS = "RESTRICTED-SERVICES"
"""``vpcAccessibleServices.allowedServices``: every service the perimeter restricts (and only those)."""
WILDCARD = "*"

IN_PERIMETER = "gcp-accesscontextmanager-site-in-enforced-perimeter"
SERVICES = "gcp-accesscontextmanager-perimeter-restricts-services"
INGRESS = "gcp-accesscontextmanager-ingress-names-identity-source-resource"
EGRESS = "gcp-accesscontextmanager-egress-to-declared-siem-only"
LEVELS = "gcp-accesscontextmanager-access-levels-declared-ranges"
NO_BRIDGE = "gcp-accesscontextmanager-no-perimeter-bridge"


@dataclass(frozen=True)
class Configuration:
    """One configuration of a perimeter: ``status`` (enforced) or ``spec`` (explicit dry run), with the
    projects and rules that separate resources add to it."""

    perimeter: PolicyResource
    side: str
    """``status`` or ``spec``."""
    resources: list[Any]
    props: Any

    @property
    def enforced(self) -> bool:
        return self.side == "status"


def _dry_run_explicit(props: Any) -> Any:
    return leaf(props, "useExplicitDryRunSpec")


def _names(r: PolicyResource) -> set[str]:
    """What a membership or rule resource may call a perimeter by: its name (a perimeter's ``name`` and id)."""
    return {str(v) for v in (leaf(r.props, "name"), leaf(r.props, "id")) if isinstance(v, str)}


def _refers_to(member: PolicyResource, key: str, perimeter: PolicyResource) -> bool:
    value = leaf(member.props, key)
    return (isinstance(value, str) and value in _names(perimeter)) or perimeter.urn in property_dependencies(
        member, key
    )


def configurations(args: StackValidationArgs) -> list[Configuration]:
    """Every regular perimeter's enforced configuration, and its dry-run one when it is explicit."""
    found = []
    for r in args.resources:
        if r.resource_type != tokens.SERVICE_PERIMETER or leaf(r.props, "perimeterType") == BRIDGE:
            continue
        sides = [("status", tokens.PERIMETER_RESOURCE)]
        if _dry_run_explicit(r.props) in (True, UNKNOWN):
            sides.append(("spec", tokens.PERIMETER_DRY_RUN_RESOURCE))
        for side, member_type in sides:
            listed = items(r.props, side, "resources")
            added = [
                leaf(m.props, "resource")
                for m in args.resources
                if m.resource_type == member_type and _refers_to(m, "perimeterName", r)
            ]
            found.append(Configuration(r, side, [*listed, *added], leaf(r.props, side)))
    return found


def _holds(configuration: Configuration, site: SiteProject) -> Any:
    """Whether the configuration holds the site project: ``True``, ``False`` or :data:`UNKNOWN`."""
    verdict: Any = False
    for resource in configuration.resources:
        if resource is UNKNOWN:
            verdict = UNKNOWN
        elif str(resource).startswith("projects/") and site.holds(resource):
            return True
        elif site.number is None and str(resource).removeprefix("projects/").isdigit():
            # Nothing in the stack gives the site project's number yet: a project named by number is undecided,
            # judged at update, never taken for another project.
            verdict = UNKNOWN
    return verdict


def site_configurations(args: StackValidationArgs) -> tuple[list[Configuration], Configuration | None]:
    """The configurations that hold the site project, and the first that may (a value still unknown)."""
    number, _ = site_project_number(args.resources, args.get_config())
    site = SiteProject(site_project(), number)
    holding, undecided = [], None
    for configuration in configurations(args):
        holds = _holds(configuration, site)
        if holds is True:
            holding.append(configuration)
        elif holds is UNKNOWN and undecided is None:
            undecided = configuration
    return holding, undecided


def _judge_at_update(configuration: Configuration) -> None:
    """Raise the SDK's preview skip naming the configuration whose projects are not known yet."""
    name = configuration.perimeter.name
    raise UnknownValueError(UNKNOWN_STRING_VALUE, [f"[{name}]", configuration.side, "resources"])


def _today() -> datetime.date:
    return datetime.datetime.now(tz=datetime.UTC).date()


def _dry_run_problem() -> str | None:
    """What is wrong with the site config's dry-run declaration, if anything."""
    declared = site_perimeter()
    fix = (
        f"enforce the perimeter ({SITE_NAMESPACE}:perimeter.enforced: true), or record the dry run in "
        f"{SITE_NAMESPACE}:perimeter.dryRun {{reason: <why, in a sentence>, until: <YYYY-MM-DD>}}"
    )
    if declared.enforced:
        return f"the site config declares the perimeter enforced; move the configuration to status ({fix})"
    if declared.dry_run_reason is None or declared.dry_run_until is None:
        return f"the site config records no dry-run reason and end date; {fix}"
    try:
        until = datetime.date.fromisoformat(declared.dry_run_until)
    except ValueError:
        return f"perimeter.dryRun.until {declared.dry_run_until!r} is not a date (YYYY-MM-DD); {fix}"
    if until < _today():
        return f"the dry run ended on {until.isoformat()} ({declared.dry_run_reason}); enforce the perimeter"
    return None


def _in_perimeter(args: StackValidationArgs, report: Report) -> None:
    holding, undecided = site_configurations(args)
    project = site_project() or "<project>"
    if any(c.enforced for c in holding):
        return
    dry_runs = [c for c in holding if not c.enforced]
    if dry_runs:
        problem = _dry_run_problem()
        if problem:
            perimeter = dry_runs[0].perimeter
            report(
                f"the site project {project} is only in the dry-run configuration (spec) of the perimeter "
                f"{leaf(perimeter.props, 'name')}: it denies nothing. {problem[0].upper()}{problem[1:]}.",
                perimeter.urn,
            )
        return
    if undecided is not None:
        _judge_at_update(undecided)
    bridges = [r.name for r in args.resources if leaf(r.props, "perimeterType") == BRIDGE]
    besides = f" (a bridge, {', '.join(bridges)}, does not count: it restricts nothing)" if bridges else ""
    report(
        f"the site project {project} is in no regular service perimeter{besides}: its Google APIs answer "
        "requests from anywhere on the internet, so a stolen token copies every image. Add the site's "
        f"perimeter ({SITE_NAMESPACE}:perimeter with the organisation's accessPolicy; the ServicePerimeter "
        "component) with projects/<project number> in status.resources."
    )


def _services(args: StackValidationArgs, report: Report) -> None:
    holding, undecided = site_configurations(args)
    if not holding:
        if undecided is not None:
            _judge_at_update(undecided)
        args.not_applicable("no perimeter holds the site project (NET-10 reports it)")
    wanted = site_perimeter().restricted_services
    for c in holding:
        where = f"{c.side} of the perimeter {leaf(c.perimeter.props, 'name')}"
        restricted = items(c.props, "restrictedServices")
        known(c.perimeter.props, c.side, "restrictedServices", resource=c.perimeter.name)
        if UNKNOWN in restricted:
            known(c.perimeter.props, c.side, "restrictedServices", restricted.index(UNKNOWN), resource=c.perimeter.name)
        missing = sorted(wanted - {str(s) for s in restricted})
        if missing:
            report(
                f"{c.side}.restrictedServices of {where} lacks {', '.join(missing)}: those APIs still answer "
                "requests from outside the perimeter. Add them to restrictedServices.",
                c.perimeter.urn,
            )
        enabled = known(
            c.perimeter.props, c.side, "vpcAccessibleServices", "enableRestriction", resource=c.perimeter.name
        )
        allowed = {str(s) for s in items(c.props, "vpcAccessibleServices", "allowedServices") if s is not UNKNOWN}
        if enabled is not True:
            report(
                f"{c.side}.vpcAccessibleServices.enableRestriction of {where} is not true: the site's VPC can reach "
                "every Google API, unrestricted ones included, to copy data out. Set enableRestriction true with "
                f"allowedServices ['{RESTRICTED_SERVICES_ALIAS}'].",
                c.perimeter.urn,
            )
        elif extra := sorted(allowed - {RESTRICTED_SERVICES_ALIAS, *(str(s) for s in restricted)}):
            report(
                f"{c.side}.vpcAccessibleServices.allowedServices of {where} admits {', '.join(extra)}, which the "
                "perimeter does not restrict: the VPC can copy data out through them. Allow only "
                f"'{RESTRICTED_SERVICES_ALIAS}'.",
                c.perimeter.urn,
            )


# --- rules ---------------------------------------------------------------------------------------


def _rules(args: ResourceValidationArgs, kind: str, rule_types: frozenset[str]) -> Iterator[tuple[str, Any]]:
    """Each ingress or egress rule of the resource, with where it is (``status.ingressPolicies[0]``)."""
    if args.resource_type in rule_types:
        yield "", args.props
        return
    for side in ("status", "spec"):
        rules = items(args.props, side, f"{kind}Policies")
        if UNKNOWN in rules:
            known(args.props, side, f"{kind}Policies", rules.index(UNKNOWN))
        for i, rule in enumerate(rules):
            yield f"{side}.{kind}Policies[{i}].", rule


def _identity_problem(rule: Any, side: str, prefix: str) -> str | None:
    kind = leaf(rule, side, "identityType")
    if kind is UNKNOWN:
        return None
    if kind in ANY_IDENTITY_TYPES:
        return f"{prefix}{side}.identityType is {kind}: it admits every such identity"
    if not items(rule, side, "identities"):
        return f"{prefix}{side}.identities is empty: the rule names no identity"
    return None


def _ingress(args: ResourceValidationArgs, report: Report) -> None:
    declared = site_principals()
    allowed = {m for m in (declared.uploader, declared.siem_subscriber) if m}
    for prefix, rule in _rules(args, "ingress", tokens.PERIMETER_INGRESS_RULES):
        problems = []
        identity = _identity_problem(rule, "ingressFrom", prefix)
        if identity:
            problems.append(identity)
        for member in items(rule, "ingressFrom", "identities"):
            if member is not UNKNOWN and allowed and str(member).lower() not in allowed:
                problems.append(
                    f"{prefix}ingressFrom.identities admits {member}, neither the PACS uploader nor the SIEM "
                    "subscriber the site config declares"
                )
        sources = items(rule, "ingressFrom", "sources")
        if not sources:
            problems.append(f"{prefix}ingressFrom.sources is empty: the rule names no source")
        if any(leaf(s, "accessLevel") == WILDCARD for s in sources):
            problems.append(f"{prefix}ingressFrom.sources has accessLevel '*': it admits any source")
        problems += _target_problems(rule, "ingressTo", prefix)
        for problem in problems:
            report(
                f"{problem}. An ingress rule admits one declared identity (the PACS uploader or the SIEM "
                "subscriber), from a declared source (an access level of the site's ranges or the SIEM's project), "
                "to the site project and named operations."
            )
        for path in ("identities", "sources", "identityType"):
            known(rule, "ingressFrom", path)
        known(rule, "ingressTo", "resources")


def _target_problems(rule: Any, side: str, prefix: str) -> list[str]:
    problems = []
    resources = items(rule, side, "resources")
    external = items(rule, side, "externalResources")
    if WILDCARD in resources:
        problems.append(f"{prefix}{side}.resources has '*': it admits any resource")
    elif not resources and not external:
        problems.append(f"{prefix}{side}.resources is empty: the rule names no resource")
    operations = items(rule, side, "operations")
    if items(rule, side, "roles"):
        problems.append(f"{prefix}{side}.roles grants whatever the role allows; name the operations instead")
    elif not operations:
        problems.append(f"{prefix}{side}.operations is empty: the rule names no service")
    if any(leaf(o, "serviceName") == WILDCARD for o in operations):
        problems.append(f"{prefix}{side}.operations has serviceName '*': it admits every service")
    return problems


def _egress(args: ResourceValidationArgs, report: Report) -> None:
    siem = site_perimeter().siem_project
    for prefix, rule in _rules(args, "egress", tokens.PERIMETER_EGRESS_RULES):
        problems = []
        identity = _identity_problem(rule, "egressFrom", prefix)
        if identity:
            problems.append(identity)
        problems += _target_problems(rule, "egressTo", prefix)
        if items(rule, "egressTo", "externalResources"):
            problems.append(f"{prefix}egressTo.externalResources names storage outside Google Cloud")
        elsewhere = [
            str(r) for r in items(rule, "egressTo", "resources") if r not in (UNKNOWN, WILDCARD) and str(r) != siem
        ]
        if elsewhere:
            problems.append(
                f"{prefix}egressTo.resources reaches {', '.join(elsewhere)}, not the SIEM project the site config "
                f"declares ({siem or f'no {SITE_NAMESPACE}:perimeter.siemProject'})"
            )
        for problem in problems:
            report(
                f"{problem}. An egress rule lets one named identity (the SIEM sink's writer) reach the declared SIEM "
                f"project ({SITE_NAMESPACE}:perimeter.siemProject) through named operations, nothing else."
            )
        for path in ("identities", "identityType"):
            known(rule, "egressFrom", path)
        known(rule, "egressTo", "resources")


# --- access levels -------------------------------------------------------------------------------


def _condition_problems(condition: Any, where: str, declared: tuple[str, ...], source: str) -> list[str]:
    problems = []
    if leaf(condition, "negate") is True:
        problems.append(f"{where}.negate is true: the level admits every address outside its ranges")
    if items(condition, "members"):
        problems.append(f"{where}.members admits those identities from any address")
    if items(condition, "vpcNetworkSources"):
        problems.append(f"{where}.vpcNetworkSources admits VPC networks the site config does not declare")
    subnetworks = items(condition, "ipSubnetworks")
    if not subnetworks and not items(condition, "requiredAccessLevels"):
        problems.append(f"{where}.ipSubnetworks is empty: the condition admits requests from any address")
    wider = [str(c) for c in subnetworks if c is not UNKNOWN and not inside(str(c), declared)]
    if wider:
        problems.append(f"{where}.ipSubnetworks admits {', '.join(wider)}, outside the ranges of {source}")
    return problems


def _levels(args: StackValidationArgs, report: Report) -> None:
    declared, source = source_allowlist(args.get_config())
    fix = f"Admit only the site's declared ranges ({', '.join(declared)})."
    levels = [r for r in args.resources if r.resource_type == tokens.ACCESS_LEVEL]
    for r in levels:
        for problem in _level_problems(r, declared, source):
            report(f"{problem}. {fix}", r.urn)
    names = {str(leaf(r.props, key)) for r in levels for key in ("name", "id")}
    for r in args.resources:
        if r.resource_type == tokens.ACCESS_LEVEL_CONDITION:
            for problem in _condition_problems(r.props, "the condition", declared, source):
                report(f"{problem}. {fix}", r.urn)
            level = leaf(r.props, "accessLevel")
            if level is not UNKNOWN and as_str(level) not in names:
                report(
                    f"accessLevel {level} is not an access level of the stack: the condition widens a level the "
                    "pack cannot see. Add conditions to the stack's own levels.",
                    r.urn,
                )
        elif r.resource_type == tokens.SERVICE_PERIMETER:
            _admitted_levels(r, names, report)


def _level_problems(r: PolicyResource, declared: tuple[str, ...], source: str) -> list[str]:
    problems = []
    if leaf(r.props, "custom") not in (None, {}):
        problems.append("custom is set: a CEL expression the pack cannot read admits whoever it matches")
    if leaf(r.props, "basic") is None and leaf(r.props, "custom") is None:
        problems.append("neither basic nor custom is set: the level admits nothing the pack can judge")
    known(r.props, "basic", "conditions", resource=r.name)
    for i, condition in enumerate(items(r.props, "basic", "conditions")):
        problems += _condition_problems(condition, f"basic.conditions[{i}]", declared, source)
    return problems


def _admitted_levels(perimeter: PolicyResource, names: set[str], report: Report) -> None:
    """A perimeter admits only access levels the stack declares (what another level admits cannot be judged)."""
    for side in ("status", "spec"):
        for level in items(perimeter.props, side, "accessLevels"):
            if level is not UNKNOWN and str(level) not in names:
                report(
                    f"{side}.accessLevels admits {level}, an access level the stack does not declare, so what it "
                    "admits cannot be judged. Declare the level in the stack (AccessLevel with the site's ranges).",
                    perimeter.urn,
                )


def _bridge(args: ResourceValidationArgs, report: Report) -> None:
    kind = known(args.props, "perimeterType")
    if kind == BRIDGE:
        report(
            f"perimeterType is {BRIDGE}: a bridge lets every project it holds reach the others' restricted "
            "services, across the site's perimeter. Remove the bridge; declare a named ingress or egress rule "
            "instead."
        )


def _rule_types(kind: str) -> list[str]:
    rules = tokens.PERIMETER_INGRESS_RULES if kind == "ingress" else tokens.PERIMETER_EGRESS_RULES
    return sorted({tokens.SERVICE_PERIMETER, *rules})


def _declared_ranges_config() -> Mapping[str, dict[str, Any]]:
    return {
        "allowedSources": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The public ranges access levels may admit (default: the site's pacsEgressCidrs and "
            "hospitalNetworks).",
        }
    }


POLICIES: list[StackValidationPolicy | ResourceValidationPolicy] = [
    stack_policy(
        name=IN_PERIMETER,
        control="NET-10",
        site_only=True,
        types=sorted({tokens.SERVICE_PERIMETER, *tokens.PERIMETER_MEMBERSHIP}),
        description=(
            "The site project is in a regular service perimeter, enforced; in dry run only with the reason and end "
            "date the site config records."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            "Declare imaging-landing-zone:perimeter (the ServicePerimeter component puts projects/<number> in "
            "status.resources); while a live site migrates, use enforced: false with dryRun {reason, until}, then "
            "enforce it (docs/deploying.md)."
        ),
        check=_in_perimeter,
    ),
    stack_policy(
        name=SERVICES,
        control="NET-11",
        site_only=True,
        types=[tokens.SERVICE_PERIMETER],
        description=(
            "The perimeter of the site project restricts Cloud Storage, Cloud KMS, Logging, Pub/Sub, Cloud Run, IAP, "
            "Monitoring and the declared extras, and its VPC reaches only restricted services."
        ),
        severity=Severity.HIGH,
        remediation=(
            "List every required service in restrictedServices (the ServicePerimeter component does), and set "
            "vpcAccessibleServices {enableRestriction: true, allowedServices: ['RESTRICTED-SERVICES']}."
        ),
        check=_services,
    ),
    resource_policy(
        name=INGRESS,
        control="NET-12",
        types=_rule_types("ingress"),
        description=(
            "Every ingress rule names a declared identity, a source other than any, and the resources and "
            "operations it admits."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            "Give each ingress rule identities (the PACS uploader or the SIEM subscriber, never identityType ANY_*), "
            "sources (an access level of the site's ranges or the SIEM's project, never '*'), resources "
            "(projects/<number>, never '*') and named operations."
        ),
        check=_ingress,
    ),
    resource_policy(
        name=EGRESS,
        control="NET-13",
        types=_rule_types("egress"),
        description=(
            "Every egress rule names its identity and reaches only the SIEM project the site config declares, "
            "through named operations."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            "Give each egress rule identities (the SIEM sink's writer, never identityType ANY_*), resources "
            "[imaging-landing-zone:perimeter.siemProject] (never '*' or externalResources) and named operations."
        ),
        check=_egress,
    ),
    stack_policy(
        name=LEVELS,
        control="NET-14",
        types=sorted({tokens.ACCESS_LEVEL, tokens.ACCESS_LEVEL_CONDITION, tokens.SERVICE_PERIMETER}),
        description=(
            "Access levels admit only the site's declared ranges, and a perimeter admits only access levels the "
            "stack declares."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Give each access level basic conditions with ipSubnetworks inside network.pacsEgressCidrs and "
            "network.hospitalNetworks (no members, negate, vpcNetworkSources or custom expression), and name only "
            "the stack's levels in accessLevels."
        ),
        check=_levels,
        config=dict(_declared_ranges_config()),
    ),
    resource_policy(
        name=NO_BRIDGE,
        control="NET-15",
        types=[tokens.SERVICE_PERIMETER],
        description="No perimeter is a bridge: a bridge joins projects' restricted services across perimeters.",
        severity=Severity.HIGH,
        remediation="Remove the bridge (perimeterType PERIMETER_TYPE_BRIDGE); declare a named ingress or egress rule.",
        check=_bridge,
    ),
]
