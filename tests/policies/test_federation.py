"""Workload identity federation judged as a whole (IAM-14, issue part 6): issuer, audiences, attribute mapping,
condition and the grants to federated principals together must admit exactly the subject the site declares
(Lausanne: issuer https://sso.chuv.example/realms/pacs, subject pacs-gateway-01, audience
imaging-landing-zone-lau). One change to the Lausanne plan per case, through the real pack process
(``AnalyzeStack``); each case says why a careless engineer or an insider would write it."""

from __future__ import annotations

import json

import pytest

from preflight.engine import stacks
from tests.conftest import by_name, site_plan
from tests.policies.mutation import Case, add_resource, assert_rejected, changes, on, set_prop

FEDERATION = "gcp-iam-federation-admits-declared-subject"
IN_STACK = "gcp-iam-custom-roles-and-federation"
PROVIDER = "lau-identities-pacs-oidc"
GRANT = "lau-identities-pacs-federation"
POOL = "projects/221841688848/locations/global/workloadIdentityPools/lau-pacs"
UPLOADER = "projects/chuv-imaging-lau/serviceAccounts/lau-pacs@chuv-imaging-lau.iam.gserviceaccount.com"


def _stack(mutate, expected: str, also: frozenset[str] = frozenset()) -> Case:
    """A case judged by the whole stack (``AnalyzeStack``): IAM-14 reads providers and grants together."""
    return Case(FEDERATION, mutate, expected, stack=True, also=also)


def _mapping(**extra: str) -> dict[str, str]:
    return {"google.subject": "assertion.sub", **{k.replace("__", "."): v for k, v in extra.items()}}


CASES = [
    pytest.param(
        _stack(
            on(PROVIDER, set_prop("attributeCondition", value="assertion.aud == 'imaging-landing-zone-lau'")),
            "pins no term to the sub claim",
        ),
        # IAM-14: "the audience is ours, so only our gateway can get a token": any client of the hospital's
        # identity provider can ask for that audience.
        id="condition-pins-audience-not-subject",
    ),
    pytest.param(
        _stack(
            on(
                PROVIDER,
                set_prop("attributeCondition", value="attribute.repository == 'pacs-gateway-01'"),
            ),
            "pins no term to the sub claim",
        ),
        # IAM-14: an engineer copies a CI federation condition (attribute.repository) whose mapping this provider
        # never defines: the term compares an attribute derived from no pinned claim, so it pins nobody.
        id="condition-on-attribute-the-mapping-does-not-derive-from-sub",
    ),
    pytest.param(
        _stack(
            on(
                PROVIDER,
                changes(
                    set_prop("attributeMapping", value=_mapping(attribute__repository="assertion.repository")),
                    set_prop("attributeCondition", value="attribute.repository == 'pacs-gateway-01'"),
                ),
            ),
            "pins no term to the sub claim",
        ),
        # IAM-14: the CI recipe complete (mapping and condition on attribute.repository): the attribute comes from
        # a claim the token requester names, not from sub, so the equality pins no subject.
        id="condition-on-attribute-mapped-from-another-claim",
    ),
    pytest.param(
        _stack(
            on(PROVIDER, set_prop("attributeMapping", value={"google.subject": "assertion.email"})),
            "maps google.subject from 'assertion.email'",
        ),
        # IAM-14: "e-mail is more readable in the audit log": the e-mail claim is whatever the caller's account
        # says, and the condition on assertion.sub no longer names the principal the grant is for.
        id="subject-mapped-from-caller-chosen-email",
    ),
    pytest.param(
        _stack(
            on(
                PROVIDER,
                set_prop("attributeMapping", value={"google.subject": "assertion.sub + '@' + assertion.azp"}),
            ),
            "not assertion.sub",
        ),
        # IAM-14: a "unique" subject built from sub and the client: the grant's subject then depends on a claim
        # the requester picks, so another client of the issuer gets a subject of its own making.
        id="subject-mapped-from-a-composed-expression",
    ),
    pytest.param(
        _stack(on(PROVIDER, set_prop("oidc", "allowedAudiences", value=[])), "oidc.allowedAudiences is []"),
        # IAM-14: "the default audience is fine" while the site declared its own: tokens minted for the
        # provider's default audience by any client then pass.
        id="declared-audience-dropped",
    ),
    pytest.param(
        _stack(on(PROVIDER, set_prop("oidc", "allowedAudiences", value=["*"])), "oidc.allowedAudiences"),
        # IAM-14: a wildcard audience typed to "make the PACS token work" after an audience mismatch.
        id="audience-wildcard",
    ),
    pytest.param(
        _stack(
            on(PROVIDER, set_prop("oidc", "issuerUri", value="https://token.actions.githubusercontent.com")),
            "oidc.issuerUri is 'https://token.actions.githubusercontent.com'",
        ),
        # IAM-14: an insider points the provider at a public issuer where anyone can mint a token whose sub is
        # 'pacs-gateway-01' (the condition stays unchanged and looks right).
        id="issuer-swapped-to-a-public-issuer",
    ),
    pytest.param(
        _stack(
            on(
                PROVIDER,
                set_prop(
                    "attributeCondition",
                    value="assertion.sub == 'pacs-gateway-01' || assertion.groups == 'pacs-admins'",
                ),
            ),
            "is not a conjunction the pack can read",
        ),
        # IAM-14: "the admins need to upload by hand during an outage": a disjunction admits a second population.
        id="condition-disjunction-with-a-group-claim",
    ),
    pytest.param(
        _stack(
            on(PROVIDER, set_prop("attributeCondition", value="assertion.sub == 'pacs-gateway-02'")),
            "pins sub to ['pacs-gateway-02']",
        ),
        # IAM-14: the replacement gateway's subject is pinned without the site config being changed: the
        # declared subject is the reviewed one.
        id="condition-pins-an-undeclared-subject",
    ),
    pytest.param(
        _stack(
            add_resource(
                "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
                "lau-pacs-aws",
                {
                    "project": "chuv-imaging-lau",
                    "workloadIdentityPoolId": "lau-pacs",
                    "workloadIdentityPoolProviderId": "lau-pacs-aws",
                    "aws": {"accountId": "123456789012"},
                    "attributeCondition": "assertion.arn == 'arn:aws:sts::123456789012:assumed-role/pacs'",
                },
            ),
            "aws is set",
        ),
        # IAM-14: a second provider in the site pool for the vendor's AWS-hosted gateway, next to the reviewed one.
        id="aws-provider-added-to-the-site-pool",
    ),
    pytest.param(
        _stack(
            add_resource(
                "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
                "lau-pacs-x509",
                {
                    "project": "chuv-imaging-lau",
                    "workloadIdentityPoolId": "lau-pacs",
                    "workloadIdentityPoolProviderId": "lau-pacs-x509",
                    "x509": {"trustStore": {"trustAnchors": [{"pemCertificate": "-----BEGIN CERTIFICATE-----"}]}},
                    "attributeMapping": {"google.subject": "assertion.subject.dn.cn"},
                },
            ),
            "x509 is set",
        ),
        # IAM-14: mutual-TLS federation for the modality gateway: every certificate the hospital CA signs admits.
        id="x509-provider-added-to-the-site-pool",
    ),
    pytest.param(
        _stack(
            on(GRANT, set_prop("member", value=f"principalSet://iam.googleapis.com/{POOL}/attribute.repository/pacs")),
            "no provider of the pool maps it",
            also=frozenset(
                {"gcp-iam-effective-access-within-intent", "gcp-iam-needed-grants-in-place"}
            ),  # the effective access: an undeclared holder, the declared subject dropped
        ),
        # IAM-14: a grant copied from a CI setup binds an attribute this pool's provider never maps from sub.
        id="principal-set-on-an-attribute-not-mapped-from-sub",
    ),
    pytest.param(
        _stack(
            on(GRANT, set_prop("member", value=f"principal://iam.googleapis.com/{POOL}/subject/admin-laptop")),
            "names subject 'admin-laptop'",
            also=frozenset(
                {"gcp-iam-effective-access-within-intent", "gcp-iam-needed-grants-in-place"}
            ),  # the effective access: an undeclared holder, the declared subject dropped
        ),
        # IAM-14: an insider grants their own workstation's subject the uploader, next to the gateway's grant.
        id="grant-to-an-undeclared-subject",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_federation_admits_only_the_declared_subject(policy_pack, case: Case):
    assert_rejected(policy_pack("lausanne", "update"), case)


def test_a_principal_set_on_an_attribute_mapped_from_another_claim_names_that_claim(policy_pack):
    """IAM-14: the mapping derives attribute.site from a claim the condition leaves free: the grant names it."""
    resources = site_plan("lausanne", "update")
    set_prop("attributeMapping", value=_mapping(attribute__site="assertion.site"))(by_name(resources, PROVIDER))
    set_prop("member", value=f"principalSet://iam.googleapis.com/{POOL}/attribute.site/lau")(by_name(resources, GRANT))
    found = [d for d in policy_pack("lausanne", "update").analyze_stack(resources) if d.policy == FEDERATION]
    assert [d.level for d in found] == ["mandatory"]
    assert "derives attribute.site from 'assertion.site'" in found[0].message


def test_a_condition_pinning_the_subject_through_a_mapped_attribute_passes(policy_pack):
    """Legitimate variant (part 6): the condition pins the subject through attribute.gateway, which the mapping
    derives from assertion.sub, and also checks the audience: no mandatory finding, resource or stack."""
    resources = site_plan("lausanne", "update")
    provider = by_name(resources, PROVIDER)
    set_prop("attributeMapping", value=_mapping(attribute__gateway="assertion['sub']"))(provider)
    set_prop(
        "attributeCondition",
        value="attribute.gateway == 'pacs-gateway-01' && assertion.aud == 'imaging-landing-zone-lau'",
    )(provider)
    pack = policy_pack("lausanne", "update")
    found = pack.analyze(provider) + pack.analyze_stack(resources)
    assert [d for d in found if d.level == "mandatory"] == [], [(d.policy, d.message) for d in found]


@pytest.mark.parametrize(
    "condition",
    [
        pytest.param("'pacs-gateway-01' == assertion.sub", id="literal-first"),
        pytest.param("assertion.sub in ['pacs-gateway-01']", id="in-one-literal"),
    ],
)
def test_every_form_of_the_subject_equality_passes_both_federation_policies(policy_pack, condition):
    """Legitimate variant (part 6): the subject pinned with the operands reversed, or with ``in`` one literal.
    IAM-05 (a condition that pins someone) and IAM-14 (the declared subject) read the term with one parser;
    they once disagreed on the reversed form."""
    resources = site_plan("lausanne", "update")
    provider = by_name(resources, PROVIDER)
    set_prop("attributeCondition", value=condition)(provider)
    pack = policy_pack("lausanne", "update")
    found = pack.analyze(provider) + pack.analyze_stack(resources)
    assert [d for d in found if d.level == "mandatory"] == [], [(d.policy, d.message) for d in found]


def test_a_federated_grant_unknown_in_a_first_preview_is_not_judged_in_preview(policy_pack):
    """Part 7 for IAM-14: who may impersonate a site account, when unknown, is not judged in preview, never met."""
    resources = site_plan("lausanne", "preview")
    set_prop("member", value="04da6b54-80e4-46f7-96ec-b56ff0331ba9")(by_name(resources, GRANT))
    found = [d for d in policy_pack("lausanne", "preview").analyze_stack(resources) if d.policy == FEDERATION]
    assert [d.skipped_in_preview for d in found] == [True]
    assert f"[{GRANT}].member can't be known during preview" in found[0].message


def test_the_pack_reads_the_federation_the_site_config_declares() -> None:
    """One contract per fact: the keys the pack reads (identities.pacsUploader.workloadIdentity: issuerUri,
    subject, allowedAudiences) are the site config model's, and Lausanne's provider is built from them."""
    site = stacks.load("lausanne").site
    assert site is not None
    declared = site.identities.pacs_uploader.workload_identity
    assert declared is not None
    raw = json.loads(stacks.load("lausanne").config["imaging-landing-zone:identities"])
    assert raw["pacsUploader"]["workloadIdentity"] == {
        "issuerUri": declared.issuer_uri,
        "subject": declared.subject,
        "allowedAudiences": declared.allowed_audiences,
    }
    provider = by_name(site_plan("lausanne", "update"), PROVIDER).inputs
    assert provider["oidc"] == {"issuerUri": declared.issuer_uri, "allowedAudiences": declared.allowed_audiences}
    assert provider["attributeCondition"] == f"assertion.sub == '{declared.subject}'"
