"""Workload identity federation judged as a whole: who the stack lets impersonate a site account (IAM-14).

A provider admits an external token when its issuer signed it, its audience is allowed and its
``attributeCondition`` holds; the principal IAM then sees is built by its ``attributeMapping``
(``google.subject`` and ``attribute.<name>``), and a grant to ``principal://.../subject/<s>`` or
``principalSet://.../attribute.<name>/<v>`` matches on those mapped values. Each piece alone proves
nothing: a condition on ``assertion.aud`` pins no one, an equality on ``attribute.gateway`` pins the subject
only when the mapping derives ``attribute.gateway`` from the ``sub`` claim, and a principal set on an
attribute mapped from a claim the condition leaves free admits whoever the issuer lets choose it.

So the pack compares the three together with what the site declares (``identities.pacsUploader.
workloadIdentity``: issuer, ``sub`` claim, audiences): every provider must be an OIDC provider of the
declared issuer, with exactly the declared audiences, ``google.subject`` mapped from ``assertion.sub``, and
a condition that is a conjunction with one term pinning ``sub`` (directly, through ``google.subject`` or
through an attribute the mapping derives from ``assertion.sub``) to the declared subject. Every grant to a
principal of a pool must name the declared subject, directly or through such an attribute. A form the
pack cannot prove (a disjunction, a negation, a CEL function, a mapping expression other than the bare
claim) counts as not pinned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from imaging_policies import tokens
from imaging_policies._principals import claim_equality
from imaging_policies._props import UNKNOWN, grants, items, judge_grant_at_update, known, leaf
from imaging_policies._registry import Report, exemption, stack_policy
from imaging_policies._site import FederationDeclaration, federation_declaration

SUBJECT_CLAIM: Final = "assertion.sub"
"""The claim the site declares as the PACS identity (the OIDC ``sub``: the issuer sets it, not the caller)."""
OTHER_KINDS: Final = ("aws", "saml", "x509")
_CLAIM_FORMS: Final = re.compile(r"""^assertion\s*(?:\.\s*sub|\[\s*['"]sub['"]\s*\])$""")
_POOL_MEMBER: Final = re.compile(
    r"^principal(?P<set>set)?://iam\.googleapis\.com/projects/[^/]+/locations/global/workloadidentitypools/"
    r"(?P<pool>[^/]+)/(?P<rest>.+)$",
    re.IGNORECASE,
)


def normalised(expression: str) -> str:
    """A mapping or claim expression without blanks, ``assertion['sub']`` written ``assertion.sub``."""
    text = re.sub(r"\s+", "", expression)
    return SUBJECT_CLAIM if _CLAIM_FORMS.match(text) else text


def _conjuncts(condition: str) -> list[str] | None:
    """The terms of a conjunction, or ``None`` when the condition is not one the pack can read as such
    (a disjunction, a negation, a conditional expression)."""
    if "||" in condition or "?" in condition or "!" in condition.replace("!=", ""):
        return None
    return [t.strip() for t in (t.strip().strip("()").strip() for t in condition.split("&&")) if t]


def pinned_subjects(condition: str, mapping: Mapping[str, str]) -> set[str] | None:
    """The ``sub`` values a conjunction pins by equality, through ``assertion.sub``, ``google.subject`` or an
    attribute the mapping derives from ``assertion.sub``; ``None`` when the condition is not a conjunction.
    A term on another claim, or on an attribute mapped from anything else, pins nothing."""
    terms = _conjuncts(condition)
    if terms is None:
        return None
    found: set[str] = set()
    for term in terms:
        equality = claim_equality(term)
        if equality is None:
            continue
        lhs, values = equality
        source = lhs if lhs.startswith("assertion") else mapping.get(lhs)
        if source is not None and normalised(source) == SUBJECT_CLAIM:
            found.update(values)
    return found


@dataclass(frozen=True)
class Provider:
    """A provider of the stack, read: its pool id and attribute mapping (normalised expressions)."""

    resource: PolicyResource
    pool: str
    mapping: Mapping[str, str]


def _read_provider(r: PolicyResource) -> Provider:
    """The provider's pool and mapping; an unknown one is not judged in preview (raises, naming it)."""
    pool = known(r.props, "workloadIdentityPoolId", resource=r.name)
    raw = known(r.props, "attributeMapping", resource=r.name)
    mapping = {}
    if isinstance(raw, Mapping):
        for key in raw:
            value = known(r.props, "attributeMapping", str(key), resource=r.name)
            if isinstance(value, str):
                mapping[str(key)] = value
    return Provider(r, str(pool or "").lower(), mapping)


def _provider_problems(p: Provider, declared: FederationDeclaration | None) -> list[str]:
    """Why the provider admits more than the declared subject (each names the property)."""
    r = p.resource
    if declared is None:
        return [
            "the site declares no federated identity (identities.pacsUploader.workloadIdentity), so this provider "
            "admits identities nobody declared. Remove it, or declare the PACS issuer and subject."
        ]
    kinds = [k for k in OTHER_KINDS if known(r.props, k, resource=r.name) is not None]
    if kinds:
        return [
            f"{kinds[0]} is set: the provider admits {kinds[0]} identities, but the site federates only the OIDC "
            f"issuer {declared.issuer} ({declared.source}). Remove the {kinds[0]} block; use oidc with that issuer."
        ]
    problems = []
    issuer = known(r.props, "oidc", "issuerUri", resource=r.name)
    if not isinstance(issuer, str) or issuer.rstrip("/") != declared.issuer.rstrip("/"):
        problems.append(
            f"oidc.issuerUri is {issuer!r}, not the declared issuer {declared.issuer} ({declared.source}): any "
            "subject that issuer signs could be the one the condition names. Set the declared issuer."
        )
    audiences = items(r.props, "oidc", "allowedAudiences")
    if leaf(r.props, "oidc", "allowedAudiences") is UNKNOWN:
        known(r.props, "oidc", "allowedAudiences", resource=r.name)
    for index, audience in enumerate(audiences):
        if audience is UNKNOWN:
            known(r.props, "oidc", "allowedAudiences", index, resource=r.name)
    given = {str(a) for a in audiences}
    if any(a.strip() in ("", "*") for a in given) or given != set(declared.audiences):
        problems.append(
            f"oidc.allowedAudiences is {sorted(given)}, not the declared {sorted(declared.audiences)}: a token "
            "the issuer minted for another relying party would be accepted. Set exactly the declared audiences."
        )
    subject_source = p.mapping.get("google.subject")
    if subject_source is None or normalised(subject_source) != SUBJECT_CLAIM:
        problems.append(
            f"attributeMapping maps google.subject from {subject_source!r}, not {SUBJECT_CLAIM}: the declared "
            "subject is the sub claim, which the issuer sets; another claim (an e-mail, an audience, a custom "
            "claim) can be chosen by whoever requests the token. Map google.subject to assertion.sub."
        )
    condition = known(r.props, "attributeCondition", resource=r.name)
    pinned = pinned_subjects(condition, p.mapping) if isinstance(condition, str) else None
    if pinned != {declared.subject}:
        why = (
            "is not set"
            if not condition
            else "is not a conjunction the pack can read"
            if pinned is None
            else f"pins sub to {sorted(pinned)}"
            if pinned
            else "pins no term to the sub claim (a condition on another claim, or on an attribute the mapping "
            "derives from another claim, does not pin the subject)"
        )
        problems.append(
            f"attributeCondition {condition!r} {why}; it must admit exactly the declared subject "
            f"{declared.subject!r}. Write \"assertion.sub == '{declared.subject}'\" (or the equality on an "
            "attribute the mapping derives from assertion.sub)."
        )
    return problems


def _member_problem(member: str, providers: list[Provider], declared: FederationDeclaration | None) -> str | None:
    """Why a grant to a principal (set) of a pool admits more than the declared subject."""
    match = _POOL_MEMBER.match(member)
    if match is None:
        return None
    if declared is None:
        return f"{member} is a federated principal, but the site declares no federated identity; remove the grant."
    rest, pool = match.group("rest"), match.group("pool").lower()
    if not match.group("set"):
        subject = rest.removeprefix("subject/")
        if rest.startswith("subject/") and subject == declared.subject:
            return None
        return f"{member} names subject {subject!r}, not the declared {declared.subject!r}; grant the declared one."
    return _set_problem(member, rest, pool, providers, declared)


def _set_problem(
    member: str, rest: str, pool: str, providers: list[Provider], declared: FederationDeclaration
) -> str | None:
    """Why a principal set of a pool (``rest``: ``attribute.<name>/<value>``, ``group/<g>``, ``*``) admits more
    than the declared subject; ``None`` for a set on an attribute mapped from ``sub``, valued the subject."""
    if rest.startswith("attribute.") and "/" in rest:
        attribute, value = rest.split("/", 1)
        sources = {s for p in providers if p.pool == pool and (s := p.mapping.get(attribute)) is not None}
        if value == declared.subject and sources and all(normalised(s) == SUBJECT_CLAIM for s in sources):
            return None
        shown = ", ".join(sorted(repr(s) for s in sources)) or "nothing (no provider of the pool maps it)"
        return (
            f"{member} admits every identity whose {attribute} is {value!r}; attributeMapping derives {attribute} "
            f"from {shown}, not from the pinned {SUBJECT_CLAIM} with the declared subject {declared.subject!r}. "
            "Grant principal://.../subject/<declared subject> instead."
        )
    return (
        f"{member} admits a set of the pool's identities ({rest}), not the one declared subject "
        f"{declared.subject!r}; grant principal://.../subject/<declared subject> instead."
    )


def _federation(args: StackValidationArgs, report: Report) -> None:
    config = args.get_config()
    declared = federation_declaration(config)
    providers = [
        _read_provider(r)
        for r in args.resources
        if r.resource_type == tokens.WORKLOAD_IDENTITY_POOL_PROVIDER and exemption(config, r.name) is None
    ]
    for p in providers:
        for problem in _provider_problems(p, declared):
            report(f"workload identity pool provider {p.resource.name!r}: {problem}", p.resource.urn)
    grants_ = [r for r in args.resources if r.resource_type in tokens.IAM_GRANTS]
    for r in grants_:
        for _, member, _ in grants(r.props):
            found = _member_problem(member, providers, declared) if isinstance(member, str) else None
            if found:
                report(f"grant {r.name!r}: {found}", r.urn)
    for r in (r for r in grants_ if r.resource_type in tokens.SERVICE_ACCOUNT_IAM):
        if exemption(config, r.name) is None:
            judge_grant_at_update(r.props, resource=r.name)  # who may impersonate a site account: at update


def _config_schema() -> dict[str, dict[str, Any]]:
    return {
        "issuerUri": {"type": "string", "description": "The federated issuer (default: the site config's)."},
        "subject": {"type": "string", "description": "The one subject it may admit (default: the site config's)."},
        "allowedAudiences": {"type": "array", "items": {"type": "string"}, "description": "Its audiences."},
    }


POLICIES = [
    stack_policy(
        name="gcp-iam-federation-admits-declared-subject",
        control="IAM-14",
        description=(
            "Workload identity federation admits exactly the subject the site declares: the declared OIDC issuer "
            "and audiences, google.subject mapped from the sub claim, a condition that pins that claim, and "
            "grants to that subject only."
        ),
        severity=Severity.CRITICAL,
        remediation=(
            "Use SiteIdentities' pacs_federation: oidc with the declared issuerUri and allowedAudiences, "
            "attributeMapping {'google.subject': 'assertion.sub'}, attributeCondition \"assertion.sub == "
            "'<subject>'\", and roles/iam.workloadIdentityUser for principal://.../subject/<subject> only."
        ),
        check=_federation,
        types=[tokens.WORKLOAD_IDENTITY_POOL_PROVIDER, *sorted(tokens.SERVICE_ACCOUNT_IAM)],
        config=_config_schema(),
    ),
]
