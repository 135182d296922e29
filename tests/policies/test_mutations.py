"""Encryption, storage and identity policies against the Lausanne site's real plan: one named mutation
per case is rejected with a message that names the property and the fix (see ``mutation.py``)."""

from __future__ import annotations

import pytest

from tests.policies.mutation import (
    Case,
    add_resource,
    assert_rejected,
    drop_dependency,
    on,
    remove,
    set_prop,
    unprotect,
)

GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
CASES = [
    pytest.param(
        Case(
            "gcp-storage-bucket-requires-cmek",
            on("lau-images", set_prop("encryption", "defaultKmsKeyName", value=None)),
            "encryption.defaultKmsKeyName is not set",
        ),
        id="bucket-without-cmek",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-enforces-cmek-per-object",
            on(
                "lau-images",
                set_prop(
                    "encryption", "googleManagedEncryptionEnforcementConfig", "restrictionMode", value="NotRestricted"
                ),
            ),
            "encryption.googleManagedEncryptionEnforcementConfig.restrictionMode is 'NotRestricted'",
        ),
        id="google-managed-keys-allowed",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-enforces-cmek-per-object",
            on(
                "lau-images-access-logs",
                set_prop("encryption", "customerSuppliedEncryptionEnforcementConfig", value=None),
            ),
            "encryption.customerSuppliedEncryptionEnforcementConfig.restrictionMode is not set",
        ),
        id="customer-supplied-keys-allowed",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-grants-key-before-use",
            on("lau-images", drop_dependency("lau-images-agent-key")),
            "does not depend on the storage service agent's key grant",
            stack=True,
        ),
        id="bucket-not-waiting-for-grant",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-grants-key-before-use",
            remove("lau-images-agent-key"),
            "no CryptoKeyIAMMember grants roles/cloudkms.cryptoKeyEncrypterDecrypter",
            stack=True,
            also=frozenset({"gcp-iam-needed-grants-in-place"}),  # the effective access (IAM-10/IAM-11) sees it too
        ),
        id="storage-agent-not-granted",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-public-access-prevention",
            on("lau-images", set_prop("publicAccessPrevention", value="inherited")),
            "publicAccessPrevention is 'inherited'; set it to 'enforced'",
        ),
        id="public-access-inherited",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-public-access-prevention",
            on("lau-images", set_prop("publicAccessPrevention", value=None)),
            "publicAccessPrevention is not set",
        ),
        id="public-access-prevention-missing",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-uniform-access",
            on("lau-images", set_prop("uniformBucketLevelAccess", value=False)),
            "uniformBucketLevelAccess is not true",
        ),
        id="fine-grained-acls",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-uniform-access",
            add_resource(
                "gcp:storage/bucketACL:BucketACL", "legacy-acl", {"bucket": "b", "predefinedAcl": "publicRead"}
            ),
            "manages ACLs",
        ),
        id="acl-resource",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-usage-logs",
            on("lau-images", set_prop("logging", value=None)),
            "has no logging.logBucket",
            stack=True,
            # the site's access-log bucket stays one by its declared name: only LOG-02 fires
        ),
        id="no-usage-logs",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-usage-logs",
            on("lau-images", set_prop("logging", "logBucket", value="hospital-central-audit-logs")),
            "which is not a bucket of this stack",
            stack=True,
        ),
        # LOG-02: an engineer points usage logs at the hospital's central logging bucket "to have everything in one
        # place": who reads image-access logs there, and for how long they are kept, is outside the site's judgement.
        id="usage-logs-to-a-bucket-outside-the-stack",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-usage-logs",
            on("lau-images", set_prop("logging", "logBucket", value="chuv-imaging-lau-lau-images")),
            "writes its usage logs into itself",
            stack=True,
            # the image bucket now names itself as a log bucket: its readers are beyond a log bucket's intent
            also=frozenset(
                {
                    "gcp-iam-effective-access-within-intent",
                    "gcp-iam-needed-grants-in-place",
                }
            ),
        ),
        id="usage-logs-into-itself",
    ),
    pytest.param(
        Case(
            "gcp-storage-bucket-in-site-region",
            on("lau-images", set_prop("location", value="US")),
            "location is 'US', not the site's region (europe-west6, from the stack's imaging-landing-zone:region)",
        ),
        id="images-outside-the-site-region",
    ),
    pytest.param(
        Case(
            "gcp-kms-crypto-key-aes256",
            on("lau-kms-images", set_prop("versionTemplate", "algorithm", value="RSA_DECRYPT_OAEP_2048_SHA256")),
            "versionTemplate.algorithm is 'RSA_DECRYPT_OAEP_2048_SHA256'",
        ),
        id="asymmetric-key",
    ),
    pytest.param(
        Case(
            "gcp-kms-crypto-key-aes256",
            on("lau-kms-images", set_prop("versionTemplate", "protectionLevel", value="EXTERNAL")),
            "versionTemplate.protectionLevel is 'EXTERNAL'",
        ),
        id="external-key-manager",
    ),
    pytest.param(
        Case(
            "gcp-kms-crypto-key-rotation",
            on("lau-kms-images", set_prop("rotationPeriod", value="31536000s")),
            "rotationPeriod 31536000s is 365 days",
        ),
        id="rotation-365-days",
    ),
    pytest.param(
        Case(
            "gcp-kms-crypto-key-rotation",
            on("lau-kms-logs", set_prop("rotationPeriod", value=None)),
            "rotationPeriod is not set",
        ),
        id="no-rotation",
    ),
    pytest.param(
        Case("gcp-kms-keys-protected", on("lau-kms-images", unprotect), "Set the resource option protect=True"),
        id="key-not-protected",
    ),
    pytest.param(
        Case("gcp-kms-keys-protected", on("lau-kms", unprotect), "the key ring is not protected"),
        id="key-ring-not-protected",
    ),
    pytest.param(
        Case(
            "gcp-kms-keys-protected",
            on("lau-kms-logs", set_prop("destroyScheduledDuration", value=None)),
            "destroyScheduledDuration is not set",
        ),
        id="implicit-destroy-delay",
    ),
    pytest.param(
        Case(
            "gcp-kms-iam-no-public-principals",
            on("lau-images-agent-key", set_prop("member", value="allUsers")),
            "member 'allUsers'",
            also=frozenset({"gcp-iam-no-public-principals", "gcp-kms-key-use-service-agents-only"}),
        ),
        id="public-key-user",
    ),
    pytest.param(
        Case(
            "gcp-kms-key-use-service-agents-only",
            on("lau-images-agent-key", set_prop("member", value="group:radiologie@chuv.example")),
            "only Google service agents",
        ),
        id="people-decrypt-images",
    ),
    pytest.param(
        Case(
            "gcp-kms-key-use-service-agents-only",
            add_resource(
                "gcp:kms/keyRingIAMMember:KeyRingIAMMember",
                "ring-grant",
                {
                    "keyRingId": "r",
                    "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
                    "member": "serviceAccount:service-1@gs-project-accounts.iam.gserviceaccount.com",
                },
            ),
            "is granted on the key ring",
        ),
        id="key-ring-scoped-grant",
    ),
    pytest.param(
        Case(
            "gcp-iam-no-public-principals",
            on("lau-images-viewer", set_prop("member", value="allUsers")),
            "member 'allUsers' holds roles/storage.objectViewer",
        ),
        id="public-images",
    ),
    pytest.param(
        Case(
            "gcp-iam-least-privilege-roles",
            on("lau-images-viewer", set_prop("role", value="roles/storage.admin")),
            "holds roles/storage.admin on a bucket; it may only read",
        ),
        id="bucket-admin-role",
    ),
    pytest.param(
        Case(
            "gcp-iam-least-privilege-roles",
            add_resource(
                "gcp:projects/iAMMember:IAMMember",
                "viewer-editor",
                {"project": "p", "role": "roles/editor", "member": "group:radiologie@chuv.example"},
            ),
            "role roles/editor is a basic role",
        ),
        id="basic-role",
    ),
    pytest.param(
        Case(
            "gcp-iam-least-privilege-roles",
            add_resource(
                "gcp:projects/iAMMember:IAMMember",
                "project-storage",
                {
                    "project": "p",
                    "role": "roles/storage.objectViewer",
                    "member": "serviceAccount:lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com",
                },
            ),
            "granted at project level",
        ),
        id="project-level-storage-role",
    ),
    pytest.param(
        Case(
            "gcp-serviceaccount-no-user-managed-keys",
            add_resource("gcp:serviceaccount/key:Key", "pacs-key", {"serviceAccountId": "lau-pacs"}),
            "user-managed service-account key",
        ),
        id="service-account-key",
    ),
    pytest.param(
        Case(
            "gcp-serviceaccount-no-user-managed-keys",
            on("lau-identities-pacs-oidc", set_prop("attributeCondition", value=None)),
            "attributeCondition is not set",
        ),
        id="federation-without-condition",
    ),
    pytest.param(
        Case(
            "gcp-project-default-service-accounts-deprivileged",
            remove("lau-identities-default-accounts"),
            "default service accounts keep the Editor role",
            stack=True,
        ),
        id="default-accounts-kept",
    ),
    pytest.param(
        Case(
            "gcp-iam-groups-not-users",
            on("lau-images-viewer", set_prop("member", value="user:dr.house@chuv.example")),
            "member user:dr.house@chuv.example grants roles/storage.objectViewer to one person",
        ),
        id="user-member",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_policy_rejects_mutation(policy_pack, case: Case):
    assert_rejected(policy_pack("lausanne", "update"), case)
