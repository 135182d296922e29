"""Effective access: who can do what on each protected asset, judged against what the site declares
(IAM-10, IAM-11).

The model (``_access``) applies every IAM resource of the stack with the provider's semantics and turns
roles into permissions; the intent (``_intent``) comes from the site config alone. A permission beyond
intent is a finding naming the principal, the permission, the asset and the grant; a grant the intent
needs that the effective state lacks (dropped by an authoritative policy or binding, or never made) is
a finding naming what drops it. Whatever the model cannot read yet (a first preview's unknown member,
role or target) makes the policy "not judged in preview", never met.
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import Severity, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from imaging_policies._access import Model, evaluate
from imaging_policies._intent import Intent, from_settings
from imaging_policies._principals import dangerous, site_project_number
from imaging_policies._registry import Report, stack_policy
from imaging_policies._site import site_project, site_setting

_SHOWN: Final = 8
"""Permissions named in one message; the rest are counted."""


def site_intent(args: StackValidationArgs) -> Intent:
    """The intent the stack's site config declares, for the site project and its number."""
    number, _ = site_project_number(args.resources, args.get_config())
    return from_settings(site_setting, site_project(), number)


def _listed(permissions: list[str]) -> str:
    shown = ", ".join(permissions[:_SHOWN])
    more = len(permissions) - _SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _skip_unknown(model: Model) -> None:
    """Not judged in a first preview: an unknown value on a protected asset could hide a grant."""
    if model.unknown:
        first = model.unknown[0]
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [f"[{first.resource}]", first.prop])


def _within_intent(args: StackValidationArgs, report: Report) -> None:
    intent = site_intent(args)
    model = evaluate(list(args.resources), intent)
    for holding in model.holdings:
        risky = {d.split(" ", 1)[0] for d in dangerous(holding.extra)}
        extra = sorted(holding.extra, key=lambda p: (p not in risky, p))  # what breaks a control first
        if not extra:
            continue
        by_grant: dict[str, list[str]] = {}
        urns: dict[str, str] = {}
        for permission in extra:
            for g in holding.permissions[permission]:
                key = f"{g.resource} ({g.kind}, {g.role})"
                by_grant.setdefault(key, []).append(permission)
                urns[key] = g.urn
        asset = holding.asset
        for key, permissions in sorted(by_grant.items()):
            permissions.sort(key=lambda p: (p not in risky, p))
            report(
                f"{holding.member} holds {_listed(permissions)} on {asset.kind} {asset.name} beyond what the site "
                f"declares for it, granted by {key}. Remove the member (member/members/policyData) from that grant, "
                "or declare the principal's site role in the stack config.",
                urns[key],
            )
    for g in model.untrusted_roles:
        report(
            f"role {g.role} granted to {g.member} by {g.resource} ({g.kind}) reaches a protected asset, but the pack "
            "knows neither its permissions (not in the pinned role table) nor a custom role of the stack by that "
            "name. Grant a predefined role the table knows, or declare the custom role in the stack.",
            g.urn,
        )
    _skip_unknown(model)


def _needed_in_place(args: StackValidationArgs, report: Report) -> None:
    intent = site_intent(args)
    model = evaluate(list(args.resources), intent)
    _skip_unknown(model)
    for m in model.missing:
        asset, holder = m.asset, m.holder
        if m.dropped_by:
            droppers = ", ".join(
                f"{d.resource} ({d.kind}{'' if d.mode == 'policy' else ', ' + d.role})" for d in m.dropped_by
            )
            cause = (
                f"{droppers} replaces the grants on it without {holder.label} (an authoritative policy replaces "
                "every grant, a binding every member of its role)"
            )
            fix = "Add the member to that resource's members/policyData, or replace it by IAM member resources."
            urn: str | None = m.dropped_by[0].urn
        else:
            cause = "no grant of the stack gives it"
            fix = f"Grant it on the {asset.kind} (an IAM member resource)."
            urn = asset.urn or None
        report(
            f"{holder.label} needs {m.permission} on {asset.kind} {asset.name} ({holder.why}), but {cause}. {fix}",
            urn,
        )


POLICIES = [
    stack_policy(
        name="gcp-iam-effective-access-within-intent",
        control="IAM-10",
        description=(
            "Every permission any principal effectively holds on a protected asset (image, access-log and "
            "security-log buckets and views, keys, the SIEM topic and subscription, the viewer, the site's "
            "accounts, the project), after every IAM policy, binding and member of the stack, is one the site "
            "declares for it."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            "Remove the grant the finding names, or declare the principal's site role in the stack config "
            "(rbac, viewer.iapGroups, logging.siem.subscriber); grant roles the pinned table knows."
        ),
        check=_within_intent,
        site_only=True,
        config={"projectNumber": {"type": "string", "pattern": "^[0-9]+$"}},
    ),
    stack_policy(
        name="gcp-iam-needed-grants-in-place",
        control="IAM-11",
        description=(
            "Every grant the site needs (the service agents' use of each key, the usage-log writer, the SIEM "
            "publisher and subscriber, IAP's invoker, the site identities' and groups' access) is in place "
            "after every authoritative IAM policy and binding of the stack."
        ),
        severity=Severity.HIGH,
        remediation=(
            "Add the missing member to the authoritative IAM policy or binding that drops it, or use IAM member "
            "resources that add to what Google and the components grant."
        ),
        check=_needed_in_place,
        site_only=True,
        config={"projectNumber": {"type": "string", "pattern": "^[0-9]+$"}},
    ),
]
