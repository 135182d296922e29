"""Preview honesty (issue part 7): in a first preview, a policy that judges a protected asset reports an unknown
principal, role, project, key ring, key or federation setting as "not judged in preview (judged at update)",
naming the property, never as met. Each case makes one value of the Lausanne site's first-preview plan
unknown (as a value computed from another resource would be) and runs the real pack process in preview mode;
each says why a careless engineer or an insider would leave the value computed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from preflight.engine.runner import UNKNOWN, Resource
from tests.conftest import by_name, site_plan
from tests.policies.mutation import add_resource, set_prop

PUBLIC = "gcp-iam-no-public-principals"
LEAST = "gcp-iam-least-privilege-roles"
PEOPLE = "gcp-iam-groups-not-users"
KEY_PUBLIC = "gcp-kms-iam-no-public-principals"
KEY_USE = "gcp-kms-key-use-service-agents-only"
KEPT = "gcp-kms-keys-protected"
CMEK = "gcp-storage-bucket-requires-cmek"
LOG_CMEK = "gcp-logging-storage-cmek"
LOG_RETENTION = "gcp-logging-bucket-locked-retention"
WIF_CONDITION = "gcp-serviceaccount-no-user-managed-keys"
FEDERATION = "gcp-iam-federation-admits-declared-subject"
IN_STACK = "gcp-iam-custom-roles-and-federation"
DEFAULT_ACCOUNTS = "gcp-project-default-service-accounts-deprivileged"
ROTATION = "gcp-kms-crypto-key-rotation"
AES256 = "gcp-kms-crypto-key-aes256"
IP_FILTER = "gcp-storage-bucket-ip-filter"
SIEM_PATH = "gcp-logging-siem-path-intact"
TRAFFIC = "gcp-compute-traffic-to-site-viewer"
IMAGES_KEY = "projects/chuv-imaging-lau/locations/europe-west6/keyRings/lau-imaging/cryptoKeys/lau-images"


@dataclass(frozen=True)
class Unknown:
    """One value made unknown; ``policies`` must each report it as not judged in preview, naming ``path``."""

    change: Callable[[list[Resource]], Resource]
    path: str
    policies: frozenset[str]
    stack: bool = False


def _unknown(name: str, *path: str | int) -> Callable[[list[Resource]], Resource]:
    def change(resources: list[Resource]) -> Resource:
        target = by_name(resources, name)
        set_prop(*path, value=UNKNOWN)(target)
        return target

    return change


CASES = [
    pytest.param(
        Unknown(_unknown("lau-images-viewer", "member"), ".member", frozenset({PUBLIC, LEAST, PEOPLE})),
        # IAM-03/04/07: a reader granted from another stack's output (a StackReference): it could be allUsers.
        id="bucket-grant-member-computed",
    ),
    pytest.param(
        Unknown(_unknown("lau-images-viewer", "role"), ".role", frozenset({LEAST})),
        # IAM-04: the role looked up from a map at run time: it could be roles/storage.admin.
        id="bucket-grant-role-computed",
    ),
    pytest.param(
        Unknown(_unknown("lau-images-agent-key", "member"), ".member", frozenset({KEY_PUBLIC, KEY_USE})),
        # ENC-06/07: a key grant to "whatever account the other team's stack exports": it could be anyone.
        id="key-grant-member-computed",
    ),
    pytest.param(
        Unknown(_unknown("lau-images-agent-key", "cryptoKeyId"), ".cryptoKeyId", frozenset({KEY_USE})),
        # ENC-07: the key id read from another project's output: the grant could be on a key the site does not own.
        id="key-grant-key-computed",
    ),
    pytest.param(
        Unknown(_unknown("lau-kms", "project"), ".project", frozenset({KEY_USE})),
        # ENC-07: the key ring's project taken from a provider output: it could be another project's.
        id="key-ring-project-computed",
    ),
    pytest.param(
        Unknown(
            _unknown("lau-images", "encryption", "defaultKmsKeyName"),
            ".encryption.defaultKmsKeyName",
            frozenset({CMEK}),
        ),
        # ENC-01: the image key from a shared "security" stack: it could be a key of another project.
        id="image-bucket-key-computed",
    ),
    pytest.param(
        Unknown(
            _unknown("lau-logging-bucket", "cmekSettings", "kmsKeyName"),
            ".cmekSettings.kmsKeyName",
            frozenset({LOG_CMEK}),
        ),
        # ENC-09: the log key passed in from elsewhere: whoever holds that key reads the security logs.
        id="log-bucket-key-computed",
    ),
    pytest.param(
        Unknown(_unknown("lau-logging-bucket", "retentionDays"), ".retentionDays", frozenset({LOG_RETENTION})),
        # LOG-09: retention computed from a variable: it could be 1 day.
        id="log-bucket-retention-computed",
    ),
    pytest.param(
        Unknown(
            _unknown("lau-identities-pacs-oidc", "attributeCondition"),
            ".attributeCondition",
            frozenset({WIF_CONDITION}),
        ),
        # IAM-05: the condition built from an output: it could be "true".
        id="federation-condition-computed",
    ),
    pytest.param(
        Unknown(
            _unknown("lau-identities-pacs-oidc", "oidc", "issuerUri"),
            ".[lau-identities-pacs-oidc].oidc.issuerUri",
            frozenset({FEDERATION}),
            stack=True,
        ),
        # IAM-14: the issuer from another stack's output: it could be a public issuer.
        id="federation-issuer-computed",
    ),
    pytest.param(
        Unknown(
            add_resource(
                "gcp:projects/iAMPolicy:IAMPolicy",
                "lau-project-policy",
                {"project": "chuv-imaging-lau", "policyData": UNKNOWN},
            ),
            ".policyData",
            frozenset({PUBLIC, LEAST, PEOPLE}),
        ),
        # IAM-03/04/07: an authoritative project policy from a data source: it could hold any member and role.
        id="project-policy-document-computed",
    ),
    pytest.param(
        Unknown(
            add_resource(
                "gcp:projects/iAMCustomRole:IAMCustomRole",
                "lau-reader-role",
                {"project": "chuv-imaging-lau", "roleId": "imageReader", "title": "Reader", "permissions": UNKNOWN},
            ),
            ".[lau-reader-role].permissions",
            frozenset({IN_STACK}),
            stack=True,
        ),
        # IAM-04: a custom role whose permissions come from a shared list in another stack: it could hold
        # storage.objects.delete or setIamPolicy.
        id="custom-role-permissions-computed",
    ),
    pytest.param(
        Unknown(
            _unknown("lau-identities-default-accounts", "action"),
            ".[lau-identities-default-accounts].action",
            frozenset({DEFAULT_ACCOUNTS}),
            stack=True,
        ),
        # IAM-06: the action from a per-environment variable: it could be "FIX" (the Editor grant restored).
        id="default-accounts-action-computed",
    ),
    pytest.param(
        Unknown(
            _unknown("lau-images", "ipFilter", "mode"), ".[lau-images].ipFilter.mode", frozenset({IP_FILTER}), True
        ),
        # NET-07: the filter's mode from a per-environment variable ("Disabled" in test): any network could reach
        # the images.
        id="image-bucket-ip-filter-mode-computed",
    ),
    pytest.param(
        Unknown(
            _unknown("lau-images", "ipFilter", "publicNetworkSource", "allowedIpCidrRanges", 0),
            ".[lau-images].ipFilter.publicNetworkSource.allowedIpCidrRanges.0",
            frozenset({IP_FILTER}),
            True,
        ),
        # NET-07: the PACS range read from another stack's output: it could be 0.0.0.0/0.
        id="image-bucket-public-source-computed",
    ),
    pytest.param(
        Unknown(_unknown("lau-kms-images", "purpose"), ".purpose", frozenset({AES256})),
        # ENC-03: the purpose from a shared key module's variable: it could be ASYMMETRIC_SIGN, no AES at all.
        id="key-purpose-computed",
    ),
    pytest.param(
        Unknown(
            _unknown("lau-kms-images", "versionTemplate", "algorithm"),
            ".versionTemplate.algorithm",
            frozenset({AES256}),
        ),
        # ENC-03: the algorithm from another stack's output: it could be EXTERNAL_SYMMETRIC_ENCRYPTION.
        id="key-algorithm-computed",
    ),
    pytest.param(
        Unknown(_unknown("lau-kms-images", "rotationPeriod"), ".rotationPeriod", frozenset({ROTATION})),
        # ENC-04: the rotation period from a variable: it could be ten years.
        id="key-rotation-computed",
    ),
    pytest.param(
        Unknown(
            add_resource(
                "gcp:kms/cryptoKeyVersion:CryptoKeyVersion",
                "lau-images-v2",
                {
                    "cryptoKey": IMAGES_KEY,
                    "deletionPolicy": UNKNOWN,
                },
            ),
            ".deletionPolicy",
            frozenset({KEPT}),
        ),
        # ENC-05: a manual key version whose deletion policy comes from a variable: it could be DELETE.
        id="key-version-deletion-policy-computed",
    ),
]


def _siem_exclusion_computed(resources: list[Resource]) -> Resource:
    sink = by_name(resources, "lau-logging-siem-sink")
    set_prop("exclusions", value=[{"name": "noise", "filter": UNKNOWN}])(sink)
    return sink


def _default_service_from_the_run_service(resources: list[Resource]) -> Resource:
    url_map = by_name(resources, "lau-viewer-https-map")
    set_prop("defaultService", value=UNKNOWN)(url_map)
    url_map.property_dependencies["defaultService"] = [by_name(resources, "lau-viewer-run").urn]
    return url_map


CASES.extend(
    [
        pytest.param(
            Unknown(
                _siem_exclusion_computed, ".[lau-logging-siem-sink].exclusions.0.filter", frozenset({SIEM_PATH}), True
            ),
            # LOG-13: a "noise" exclusion whose filter comes from a shared variable: it could drop every audit entry
            # before the SIEM sees it.
            id="siem-sink-exclusion-filter-computed",
        ),
        pytest.param(
            Unknown(
                _default_service_from_the_run_service,
                ".[lau-viewer-https-map].defaultService",
                frozenset({TRAFFIC}),
                True,
            ),
            # NET-09: the default service computed from the Cloud Run service's URL (not a backend of the stack):
            # where launch traffic goes is known only at update.
            id="url-map-default-service-computed-from-no-backend",
        ),
    ]
)


@pytest.mark.parametrize("case", CASES)
def test_an_unknown_value_on_a_protected_asset_is_not_judged_in_preview(policy_pack, case: Unknown):
    resources = site_plan("lausanne", "preview")
    target = case.change(resources)
    pack = policy_pack("lausanne", "preview")
    found = pack.analyze_stack(resources) if case.stack else pack.analyze(target)
    skipped = {d.policy for d in found if d.skipped_in_preview}
    assert case.policies <= skipped, [(d.policy, d.message) for d in found]
    for d in (d for d in found if d.policy in case.policies):
        assert d.skipped_in_preview, (d.policy, d.message)
        assert f"value at {case.path} can't be known during preview" in d.message, d.message
    assert not [d for d in found if d.level == "mandatory"], [(d.policy, d.message) for d in found]


def test_a_policy_still_reports_what_it_could_judge_before_the_unknown(policy_pack):
    """A binding with one public and one unknown member: the public one is a violation, the other not judged."""
    resources = site_plan("lausanne", "preview")
    binding = add_resource(
        "gcp:storage/bucketIAMBinding:BucketIAMBinding",
        "lau-images-readers",
        {
            "bucket": "chuv-imaging-lau-lau-images",
            "role": "roles/storage.objectViewer",
            "members": ["allUsers", UNKNOWN],
        },
    )(resources)
    found = [d for d in policy_pack("lausanne", "preview").analyze(binding) if d.policy == PUBLIC]
    assert {(d.level, d.skipped_in_preview) for d in found} == {("mandatory", False), ("advisory", True)}


@pytest.mark.parametrize(
    "name",
    [
        "lau-identities-pacs-federation",
        "lau-logging-pubsub-agent-key",
        "lau-viewer-iap-invoker",
        "lau-images-agent-key",
    ],
)
def test_values_an_invoke_gives_are_judged_in_the_first_preview(policy_pack, name):
    """Legitimate variant (part 7): the components build the federated member, the service agents' members and
    the key ids from config and the getProject invoke, so a first preview judges these grants whole: no finding
    and nothing left to the update run."""
    resources = site_plan("lausanne", "preview")
    target = by_name(resources, name)
    assert UNKNOWN not in (target.inputs.get("member"), target.inputs.get("cryptoKeyId"))
    assert policy_pack("lausanne", "preview").analyze(target) == []
