"""The pack as a guard for IAM and KMS (issue 12, items 2 and 3): every IAM resource kind, every principal
form, roles judged by what they grant, conditions that restrict nothing, keys that are not the site's own.

Each rejected case is one change a real user could make to the Lausanne site's real plan, run through the
real pack process (see ``mutation.py``); each control also has a legitimate variant that must pass with no
mandatory finding at all (resource and stack analysis)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from preflight.engine import stacks
from preflight.engine.runner import Resource
from preflight.engine.stacks import PROJECT
from preflight.judge import pack as judge_pack
from tests.plans import site_plan
from tests.policies.mutation import Case, add_resource, assert_rejected, on, set_prop

PUBLIC = "gcp-iam-no-public-principals"
LEAST = "gcp-iam-least-privilege-roles"
IN_STACK = "gcp-iam-custom-roles-and-federation"
FEDERATION = "gcp-serviceaccount-no-user-managed-keys"
PEOPLE = "gcp-iam-groups-not-users"
CMEK = "gcp-storage-bucket-requires-cmek"
LOG_CMEK = "gcp-logging-storage-cmek"
KEY_TYPE = "gcp-kms-crypto-key-aes256"
KEPT = "gcp-kms-keys-protected"
KEY_PUBLIC = "gcp-kms-iam-no-public-principals"
KEY_USE = "gcp-kms-key-use-service-agents-only"
KEY_PROJECT = "gcp-kms-key-holders-site-project"

NUMBER = "221841688848"  # the Lausanne project's number, as the plan's storage agent and pool name carry it
VIEWER = "serviceAccount:lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com"
UPLOADER = "serviceAccount:lau-pacs@chuv-imaging-lau.iam.gserviceaccount.com"
UPLOADER_ID = "projects/chuv-imaging-lau/serviceAccounts/lau-pacs@chuv-imaging-lau.iam.gserviceaccount.com"
IMAGES = "chuv-imaging-lau-lau-images"
KEY = "projects/chuv-imaging-lau/locations/europe-west6/keyRings/lau-imaging/cryptoKeys/lau-images"
LOGS_KEY = "projects/chuv-imaging-lau/locations/europe-west6/keyRings/lau-imaging/cryptoKeys/lau-logs"
POOL = f"projects/{NUMBER}/locations/global/workloadIdentityPools/lau-pacs"
STORAGE_AGENT = f"serviceAccount:service-{NUMBER}@gs-project-accounts.iam.gserviceaccount.com"
FOREIGN_AGENT = "serviceAccount:service-999999999999@gs-project-accounts.iam.gserviceaccount.com"

BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
KEY_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
CUSTOM_ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
KEY_VERSION = "gcp:kms/cryptoKeyVersion:CryptoKeyVersion"


def _custom_role(role_id: str, permissions: list[str]) -> Callable[[list[Resource]], Resource]:
    return add_resource(
        CUSTOM_ROLE,
        f"role-{role_id}",
        {
            "project": "chuv-imaging-lau",
            "roleId": role_id,
            "title": role_id,
            "permissions": permissions,
            "name": f"projects/chuv-imaging-lau/roles/{role_id}",
        },
    )


def _then(*steps: Callable[[list[Resource]], Resource]) -> Callable[[list[Resource]], Resource]:
    """Several mutations of the plan; the last one's resource is the one analysed."""

    def mutate(resources: list[Resource]) -> Resource:
        found = [step(resources) for step in steps]
        return found[-1]

    return mutate


CASES = [
    # --- IAM-03: public and unbounded principals, in every IAM resource kind ---------------------------
    pytest.param(
        Case(PUBLIC, on("lau-images-viewer", set_prop("member", value="domain:chuv.example")), "every account of the"),
        id="bucket-iam-domain-member",  # "everyone at the hospital may read images" is not a site role
    ),
    pytest.param(
        Case(
            PUBLIC,
            on(
                "lau-identities-pacs-federation",
                set_prop("member", value=f"principalSet://iam.googleapis.com/{POOL}/*"),
            ),
            "every identity of a pool or attribute set",
            also=frozenset({LEAST}),  # and it lets more than one workload impersonate the uploader
        ),
        id="uploader-impersonated-by-whole-pool",  # the doc's example binds the pool, not the one gateway
    ),
    pytest.param(
        Case(
            PUBLIC,
            add_resource(
                "gcp:storage/managedFolderIamMember:ManagedFolderIamMember",
                "teaching-folder",
                {
                    "bucket": IMAGES,
                    "managedFolder": "teaching/",
                    "role": "roles/storage.objectViewer",
                    "member": "allAuthenticatedUsers",
                },
            ),
            "member 'allAuthenticatedUsers' holds roles/storage.objectViewer",
        ),
        id="managed-folder-all-authenticated",  # "share the teaching cases" through a folder of the image bucket
    ),
    pytest.param(
        Case(
            PUBLIC,
            add_resource(
                "gcp:pubsub/topicIAMBinding:TopicIAMBinding",
                "siem-open",
                {"topic": "lau-siem-export", "role": "roles/pubsub.subscriber", "members": ["allUsers"]},
            ),
            "member 'allUsers' holds roles/pubsub.subscriber",
        ),
        id="siem-topic-binding-all-users",  # a binding (members list), not a member resource
    ),
    pytest.param(
        Case(
            PUBLIC,
            add_resource(
                "gcp:iap/tunnelIamMember:TunnelIamMember",
                "ssh-for-all",
                {
                    "project": "chuv-imaging-lau",
                    "role": "roles/iap.tunnelResourceAccessor",
                    "member": "domain:chuv.example",
                },
            ),
            "every account of the domain",
        ),
        id="iap-tunnel-domain",  # IAP TCP forwarding opened to the whole hospital domain
    ),
    # --- IAM-07: people only through declared groups -----------------------------------------------------
    pytest.param(
        Case(
            PEOPLE,
            on("lau-images-viewer", set_prop("member", value="projectViewer:chuv-imaging-lau")),
            "to everyone holding a basic role on that project",
        ),
        id="bucket-iam-project-viewer-convenience",  # the legacy convenience value of ACL days
    ),
    pytest.param(
        Case(
            PEOPLE,
            on("lau-images-group-radiologie@chuv.example", set_prop("member", value="group:all-staff@chuv.example")),
            "is not a group the site declares",
        ),
        id="undeclared-group-reads-images",  # a broader hospital group than the rbac maps
    ),
    pytest.param(
        Case(
            PEOPLE,
            on(
                "lau-viewer-iap-radiologie@chuv.example",
                set_prop(
                    "member", value="principal://iam.googleapis.com/locations/global/workforcePools/chuv/subject/house"
                ),
            ),
            "to one federated person",
        ),
        id="iap-workforce-person",  # one radiologist from the workforce pool, bypassing the group
    ),
    pytest.param(
        Case(
            PEOPLE,
            add_resource(
                "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
                "copied-policy",
                {
                    "bucket": IMAGES,
                    "policyData": json.dumps(
                        {
                            "bindings": [
                                {
                                    "role": "roles/storage.objectViewer",
                                    "members": [
                                        "group:radiologie@chuv.example",
                                        "deleted:user:locum@chuv.example?uid=42",
                                    ],
                                }
                            ]
                        }
                    ),
                },
            ),
            "to a deleted principal",
        ),
        id="policy-data-deleted-user",  # a policy document pasted from `gcloud get-iam-policy`
    ),
    # --- IAM-04 per grant: identities' allowlists, impersonation, other projects -----------------------------
    pytest.param(
        Case(LEAST, on("lau-images-viewer", set_prop("role", value="roles/storage.objectUser")), "it may only read"),
        id="viewer-may-delete-images",  # objectUser reads and also deletes and overwrites
    ),
    pytest.param(
        Case(
            LEAST,
            on("lau-images-pacs-uploader", set_prop("role", value="roles/storage.objectViewer")),
            "it may only create",
        ),
        id="uploader-reads-images",  # objectViewer is an allowed bucket role, but not for the uploader
    ),
    pytest.param(
        Case(
            LEAST,
            on("lau-images-group-radiologie@chuv.example", set_prop("role", value="roles/storage.objectCreator")),
            "has the site role(s) iap, reader but holds roles/storage.objectCreator",
        ),
        id="reader-group-uploads",  # a declared group, but not with its site role
    ),
    pytest.param(
        Case(
            LEAST,
            add_resource(
                SA_MEMBER,
                "pacs-admins-token",
                {
                    "serviceAccountId": UPLOADER_ID,
                    "role": "roles/iam.serviceAccountTokenCreator",
                    "member": "group:pacs-admins@chuv.example",
                },
            ),
            "lets group:pacs-admins@chuv.example act as it",
        ),
        id="token-creator-on-uploader",  # "let the PACS admins test uploads as the gateway"
    ),
    pytest.param(
        Case(
            LEAST,
            add_resource(
                SA_MEMBER,
                "gateway-as-viewer",
                {
                    "serviceAccountId": "lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com",
                    "role": "roles/iam.workloadIdentityUser",
                    "member": f"principal://iam.googleapis.com/{POOL}/subject/pacs-gateway-01",
                },
            ),
            "lets principal://iam.googleapis.com/" + POOL + "/subject/pacs-gateway-01 act as the viewer",
        ),
        id="federated-gateway-impersonates-viewer",  # the right pool and subject, the wrong account (bare email)
    ),
    pytest.param(
        Case(
            LEAST,
            add_resource(
                "gcp:folder/iAMMember:IAMMember",
                "folder-sa-user",
                {
                    "folder": "folders/123",
                    "role": "roles/iam.serviceAccountUser",
                    "member": "group:radiologie@chuv.example",
                },
            ),
            "impersonate every service account",
        ),
        id="service-account-user-on-folder",  # one level above the project reaches every account below it
    ),
    pytest.param(
        Case(
            LEAST,
            add_resource(
                PROJECT_MEMBER,
                "viewer-project-read",
                {
                    "project": "chuv-imaging-lau",
                    "role": "roles/storage.objectViewer",
                    "member": VIEWER,
                    "condition": {"title": "always", "expression": 'request.time > timestamp("1970-01-01T00:00:00Z")'},
                },
            ),
            "which is always true (counts as no condition)",
        ),
        id="project-storage-role-always-true-condition",  # a condition that looks like a restriction
    ),
    pytest.param(
        Case(
            LEAST,
            add_resource(
                BUCKET_MEMBER,
                "utrecht-reads",
                {
                    "bucket": IMAGES,
                    "role": "roles/storage.objectViewer",
                    "member": "serviceAccount:utr-viewer@umcu-imaging-utr.iam.gserviceaccount.com",
                },
            ),
            "belongs to project 'umcu-imaging-utr', not the site project 'chuv-imaging-lau'",
        ),
        id="other-site-viewer-reads-images",  # another site's viewer pointed at this site's bucket
    ),
    pytest.param(
        Case(
            LEAST,
            add_resource(
                BUCKET_MEMBER,
                "compute-default-reads",
                {
                    "bucket": IMAGES,
                    "role": "roles/storage.objectViewer",
                    "member": f"serviceAccount:{NUMBER}-compute@developer.gserviceaccount.com",
                },
            ),
            "is a default service account",
        ),
        id="default-compute-account-reads-images",  # a quick VM running as the default account
    ),
    pytest.param(
        Case(
            LEAST,
            add_resource(
                BUCKET_MEMBER,
                "gateway-direct",
                {
                    "bucket": IMAGES,
                    "role": "roles/storage.objectCreator",
                    "member": f"principal://iam.googleapis.com/{POOL}/subject/pacs-gateway-01",
                },
            ),
            "a federated identity may only impersonate its site account",
        ),
        id="federated-gateway-granted-bucket-directly",  # direct resource access skips the uploader's allowlist
    ),
    pytest.param(
        Case(
            LEAST,
            add_resource(
                BUCKET_MEMBER,
                "lookalike-account",
                {
                    "bucket": IMAGES,
                    "role": "roles/storage.objectViewer",
                    "member": f"serviceAccount:service-{NUMBER}@evil-tools.iam.gserviceaccount.com",
                },
            ),
            "belongs to project 'evil-tools'",
        ),
        id="service-agent-lookalike-account",  # any project may name an account service-<site number>
    ),
    pytest.param(
        Case(
            LEAST,
            add_resource(
                "gcp:cloudrun/iamMember:IamMember",
                "siem-invokes-viewer",
                {
                    "service": "lau-viewer",
                    "location": "europe-west6",
                    "role": "roles/run.invoker",
                    "member": "serviceAccount:siem-collector@chuv-soc.iam.gserviceaccount.com",
                },
            ),
            "siem-collector@chuv-soc.iam.gserviceaccount.com holds roles/run.invoker outside the export subscription",
        ),
        id="siem-identity-invokes-viewer-v1",  # the declared SIEM reader used for something else (Cloud Run v1)
    ),
    pytest.param(
        Case(
            LEAST,
            add_resource(
                PROJECT_MEMBER,
                "viewer-publishes",
                {"project": "chuv-imaging-lau", "role": "roles/pubsub.editor", "member": VIEWER},
            ),
            "runtime identities hold their bucket role",
        ),
        id="viewer-identity-project-role",  # the workload gets a project role beyond its telemetry
    ),
    # --- IAM-04 in the stack: custom roles by permissions, federation pools, project numbers -------------
    pytest.param(
        Case(
            IN_STACK,
            on("lau-images-viewer", set_prop("role", value="projects/chuv-imaging-lau/roles/imageReader")),
            "is a custom role the stack does not declare",
            stack=True,
            also=frozenset(
                {"gcp-iam-effective-access-within-intent", "gcp-iam-needed-grants-in-place"}
            ),  # the effective access (IAM-10/IAM-11) sees it too
        ),
        id="custom-role-not-in-stack",  # a role created by hand in the console: its permissions are invisible
    ),
    pytest.param(
        Case(
            IN_STACK,
            _then(
                _custom_role("imageReader", ["storage.objects.get", "storage.objects.list", "storage.objects.delete"]),
                on("lau-images-viewer", set_prop("role", value="projects/chuv-imaging-lau/roles/imageReader")),
            ),
            "storage.objects.delete (deletes or rewrites data)",
            stack=True,
            also=frozenset(
                {"gcp-iam-effective-access-within-intent"}
            ),  # the effective access (IAM-10/IAM-11) sees it too
        ),
        id="custom-role-deletes-objects",  # named like a reader, grants delete
    ),
    pytest.param(
        Case(
            IN_STACK,
            _then(
                _custom_role("supportHelper", ["iam.serviceAccounts.actAs", "run.services.get"]),
                add_resource(
                    PROJECT_MEMBER,
                    "support",
                    {
                        "project": "chuv-imaging-lau",
                        "role": "projects/chuv-imaging-lau/roles/supportHelper",
                        "member": "group:pacs-admins@chuv.example",
                    },
                ),
            ),
            "iam.serviceAccounts.actAs (impersonates service accounts)",
            stack=True,
            also=frozenset(
                {"gcp-iam-effective-access-within-intent"}
            ),  # the effective access (IAM-10/IAM-11) sees it too
        ),
        id="custom-role-acts-as",  # impersonation hidden in a custom role's permission list
    ),
    pytest.param(
        Case(
            IN_STACK,
            _then(
                _custom_role("bucketAdmin", ["storage.buckets.setIamPolicy", "storage.objects.get"]),
                on(
                    "lau-images-group-pacs-admins@chuv.example",
                    set_prop("role", value="projects/chuv-imaging-lau/roles/bucketAdmin"),
                ),
            ),
            "storage.buckets.setIamPolicy (changes who has access)",
            stack=True,
            also=frozenset(
                {"gcp-iam-effective-access-within-intent", "gcp-iam-needed-grants-in-place"}
            ),  # the effective access (IAM-10/IAM-11) sees it too
        ),
        id="custom-role-sets-bucket-iam",  # the uploader group could grant itself anything on the bucket
    ),
    pytest.param(
        Case(
            IN_STACK,
            _then(
                _custom_role("pacsRoundTrip", ["storage.objects.create", "storage.objects.get"]),
                on(
                    "lau-images-group-pacs-admins@chuv.example",
                    set_prop("role", value="projects/chuv-imaging-lau/roles/pacsRoundTrip"),
                ),
            ),
            "grants storage.objects.get on a bucket to group:pacs-admins@chuv.example, beyond what its site role",
            stack=True,
            also=frozenset(
                {"gcp-iam-effective-access-within-intent"}
            ),  # the effective access (IAM-10/IAM-11) sees it too
        ),
        id="uploader-group-custom-role-reads",  # "let the PACS admins verify uploads": the uploader role reads
    ),
    pytest.param(
        Case(
            IN_STACK,
            _then(
                _custom_role("imageLister", ["storage.objects.list"]),
                add_resource(
                    PROJECT_MEMBER,
                    "lister",
                    {
                        "project": "chuv-imaging-lau",
                        "role": "projects/chuv-imaging-lau/roles/imageLister",
                        "member": "group:radiologie@chuv.example",
                        "condition": {"title": "always", "expression": "1 == 1"},
                    },
                ),
            ),
            "at project level with condition '1 == 1', which is always true",
            stack=True,
            also=frozenset(
                {"gcp-iam-effective-access-within-intent"}
            ),  # the effective access (IAM-10/IAM-11) sees it too
        ),
        id="custom-storage-role-project-wide",  # a harmless-looking permission on every bucket of the project
    ),
    pytest.param(
        Case(
            IN_STACK,
            on(
                "lau-identities-pacs-federation",
                set_prop(
                    "member",
                    value="principal://iam.googleapis.com/projects/999999999999/locations/global/workloadIdentityPools/ci/subject/deploy",
                ),
            ),
            "which the stack does not declare",
            stack=True,
            also=frozenset(
                {
                    "gcp-iam-effective-access-within-intent",
                    "gcp-iam-federation-admits-declared-subject",
                    "gcp-iam-needed-grants-in-place",
                }
            ),
        ),
        id="uploader-impersonated-from-foreign-pool",  # a CI pool of another project gets the uploader
    ),
    pytest.param(
        Case(
            IN_STACK,
            add_resource(
                BUCKET_MEMBER,
                "foreign-agent-reads",
                {"bucket": IMAGES, "role": "roles/storage.objectViewer", "member": FOREIGN_AGENT},
            ),
            f"belongs to project number 999999999999, not the site project's {NUMBER}",
            stack=True,
            also=frozenset(
                {"gcp-iam-effective-access-within-intent"}
            ),  # the effective access (IAM-10/IAM-11) sees it too
        ),
        id="other-project-storage-agent-reads-images",  # another project's transfer path reads the images
    ),
    pytest.param(
        Case(
            LEAST,
            _custom_role("keyJanitor", ["cloudkms.cryptoKeyVersions.destroy", "cloudkms.cryptoKeyVersions.list"]),
            "cloudkms.cryptoKeyVersions.destroy (destroys or disables key versions)",
        ),
        id="custom-role-declared-with-key-destroy",  # refused where it is declared, before anyone binds it
    ),
    pytest.param(
        Case(
            IN_STACK,
            add_resource(
                BUCKET_MEMBER,
                "lookalike-agent",
                {
                    "bucket": IMAGES,
                    "role": "roles/storage.objectViewer",
                    "member": "serviceAccount:999999999999@cloudservices.gserviceaccount.com",
                },
            ),
            "belongs to project number 999999999999",
            stack=True,
            also=frozenset(
                {"gcp-iam-effective-access-within-intent"}
            ),  # the effective access (IAM-10/IAM-11) sees it too
        ),
        id="other-project-google-apis-agent-reads-images",  # the Google APIs agent form (no .iam. domain)
    ),
    # --- IAM-05: federation conditions that admit anyone ---------------------------------------------------
    pytest.param(
        Case(
            FEDERATION,
            on("lau-identities-pacs-oidc", set_prop("attributeCondition", value="assertion.sub != ''")),
            "admits any subject",
        ),
        id="federation-condition-any-subject",
    ),
    pytest.param(
        Case(
            FEDERATION,
            on("lau-identities-pacs-oidc", set_prop("attributeCondition", value="true")),
            "counts as no condition",
        ),
        id="federation-condition-true",
    ),
    pytest.param(
        Case(
            FEDERATION,
            on(
                "lau-identities-pacs-oidc",
                set_prop(
                    "attributeCondition", value="assertion.sub == 'pacs-gateway-01' || assertion.sub.startsWith('')"
                ),
            ),
            "admits any subject",
        ),
        id="federation-condition-or-escape",  # the pinned subject OR anything
    ),
    # --- KMS: the site's own keys, only its agents, versions kept ---------------------------------------------
    pytest.param(
        Case(
            KEY_USE,
            on(
                "lau-images-agent-key",
                set_prop(
                    "cryptoKeyId", value="projects/chuv-shared-kms/locations/europe-west6/keyRings/r/cryptoKeys/k"
                ),
            ),
            "names a key of project 'chuv-shared-kms'",
        ),
        id="key-grant-on-another-projects-key",  # a central key project the site does not control
    ),
    pytest.param(
        Case(
            KEY_USE,
            on("lau-kms", set_prop("location", value="global")),
            "location is 'global'; create the site's key ring in the site region 'europe-west6'",
        ),
        id="key-ring-outside-the-site-region",  # "global" is the console's default key ring location
    ),
    pytest.param(
        Case(
            CMEK,
            on(
                "lau-images",
                set_prop("encryption", "defaultKmsKeyName", value=KEY.replace("europe-west6", "europe-west1")),
            ),
            "use the site's own key in the site region 'europe-west6'",
        ),
        id="image-bucket-key-in-other-region",
    ),
    pytest.param(
        Case(
            LOG_CMEK,
            on(
                "lau-logging-bucket",
                set_prop("cmekSettings", "kmsKeyName", value=LOGS_KEY.replace("chuv-imaging-lau", "chuv-logs")),
            ),
            "names a key of project 'chuv-logs'",
        ),
        id="log-bucket-key-of-other-project",
    ),
    pytest.param(
        Case(
            KEY_PROJECT,
            add_resource(
                KEY_MEMBER,
                "foreign-agent-key",
                {"cryptoKeyId": KEY, "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "member": FOREIGN_AGENT},
            ),
            f"belongs to project number 999999999999, not the site project's {NUMBER}",
            stack=True,
            also=frozenset(
                {"gcp-iam-effective-access-within-intent"}
            ),  # the effective access (IAM-10/IAM-11) sees it too
        ),
        id="other-project-storage-agent-on-key",  # another project's buckets could use (and read with) the key
    ),
    pytest.param(
        Case(
            KEPT,
            add_resource(
                KEY_VERSION, "disable-v1", {"cryptoKey": KEY, "state": "DISABLED", "deletionPolicy": "ABANDON"}
            ),
            "state is 'DISABLED'",
        ),
        id="key-version-disabled",  # "disable the old version" makes older images unreadable
    ),
    pytest.param(
        Case(
            KEPT,
            add_resource(KEY_VERSION, "extra-version", {"cryptoKey": KEY}),
            "deleting the resource destroys the version",
        ),
        id="key-version-deletable",  # removing this resource later destroys key material
    ),
    pytest.param(
        Case(KEY_TYPE, on("lau-kms-images", set_prop("importOnly", value=True)), "importOnly is true"),
        id="import-only-key",  # bring-your-own key material: a copy lives outside Cloud KMS
    ),
    pytest.param(
        Case(
            KEY_TYPE,
            on("lau-kms-images", set_prop("skipInitialVersionCreation", value=True)),
            "skipInitialVersionCreation is true",
        ),
        id="key-without-a-generated-version",
    ),  # ENC-03: the step before an import (the key then waits for material from outside Cloud KMS); an engineer
    # following a bring-your-own-key guide, or an insider keeping a copy of the key, writes it
    pytest.param(
        Case(
            KEY_TYPE,
            add_resource(
                "gcp:kms/keyRingImportJob:KeyRingImportJob",
                "byok",
                {
                    "keyRing": "projects/chuv-imaging-lau/locations/europe-west6/keyRings/lau-imaging",
                    "importJobId": "byok",
                    "importMethod": "RSA_OAEP_3072_SHA1_AES_256",
                    "protectionLevel": "HSM",
                },
            ),
            "brings key material from outside Cloud KMS",
        ),
        id="key-import-job",  # the import job that an importOnly key needs
    ),
    pytest.param(
        Case(
            KEY_TYPE,
            add_resource(
                "gcp:kms/keyHandle:KeyHandle",
                "autokey",
                {
                    "project": "chuv-imaging-lau",
                    "location": "europe-west6",
                    "resourceTypeSelector": "storage.googleapis.com/Bucket",
                },
            ),
            "asks Autokey for a key in the folder's key project",
        ),
        id="autokey-handle",  # Autokey keys live in a key project the site does not own
    ),
    pytest.param(
        Case(
            KEY_PUBLIC,
            add_resource(
                "gcp:kms/keyRingIAMMember:KeyRingIAMMember",
                "ring-domain",
                {
                    "keyRingId": "projects/chuv-imaging-lau/locations/europe-west6/keyRings/lau-imaging",
                    "role": "roles/cloudkms.viewer",
                    "member": "domain:chuv.example",
                },
            ),
            "member 'domain:chuv.example'",
            also=frozenset({PUBLIC, KEY_USE}),
        ),
        id="key-ring-domain-member",
    ),
    pytest.param(
        Case(
            KEY_USE,
            on("lau-images-agent-key", set_prop("role", value="projects/chuv-imaging-lau/roles/keyHelper")),
            "custom role projects/chuv-imaging-lau/roles/keyHelper is granted on a site key",
        ),
        id="custom-role-on-key",  # a custom role could carry cryptoKeyVersions.destroy
    ),
    pytest.param(
        Case(
            KEY_USE,
            add_resource(
                KEY_MEMBER, "viewer-key-admin", {"cryptoKeyId": KEY, "role": "roles/cloudkms.admin", "member": VIEWER}
            ),
            "service agents and site identities get key use only",
            also=frozenset({LEAST}),  # a service account with an admin role
        ),
        id="viewer-administers-key",
    ),
]


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("case", CASES)
def test_guard_rejects(policy_pack, case: Case, mode: str):
    """Each change is refused in a first preview (values computed by GCP unknown) and at update."""
    assert_rejected(policy_pack("lausanne", mode), case, mode)


def test_at_least_twenty_named_cases():
    assert len(CASES) >= 20
    assert len({c.id for c in CASES}) == len(CASES)


# --- legitimate variants: no mandatory finding at all ----------------------------------------------------

LEGITIMATE = [
    pytest.param(
        add_resource(
            BUCKET_MEMBER,
            "nuclear-medicine-again",
            {"bucket": IMAGES, "role": "roles/storage.objectViewer", "member": "group:Medecine-Nucleaire@chuv.example"},
        ),
        id="declared-reader-group-reads",  # IAM-03/IAM-07: a declared group (any case) with its site role
    ),
    pytest.param(
        add_resource(
            PROJECT_MEMBER,
            "viewer-scoped-read",
            {
                "project": "chuv-imaging-lau",
                "role": "roles/storage.objectViewer",
                "member": VIEWER,
                "condition": {
                    "title": "images only",
                    "expression": f'resource.name.startsWith("projects/_/buckets/{IMAGES}/objects/")',
                },
            },
        ),
        id="project-role-provably-scoped-to-image-bucket",  # IAM-04: a condition that really restricts
    ),
    pytest.param(
        add_resource(
            PROJECT_MEMBER,
            "viewer-logs",
            {"project": "chuv-imaging-lau", "role": "roles/logging.logWriter", "member": VIEWER},
        ),
        id="viewer-writes-its-logs",  # IAM-04: the runtime identity's telemetry role
    ),
    pytest.param(
        _then(
            _custom_role("imageReader", ["storage.objects.get", "storage.objects.list"]),
            on("lau-images-viewer", set_prop("role", value="projects/chuv-imaging-lau/roles/imageReader")),
        ),
        id="custom-read-only-role-for-viewer",  # IAM-04 in the stack: judged by its permissions, which only read
    ),
    pytest.param(
        on(
            "lau-identities-pacs-oidc",
            set_prop(
                "attributeCondition",
                value="assertion.sub == 'pacs-gateway-01' && assertion.aud in ['imaging-landing-zone-lau']",
            ),
        ),
        id="federation-condition-pins-subject-and-audience",  # IAM-05
    ),
    pytest.param(
        add_resource(
            KEY_MEMBER,
            "storage-agent-logs-key",
            {"cryptoKeyId": LOGS_KEY, "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "member": STORAGE_AGENT},
        ),
        id="site-storage-agent-on-second-key",  # ENC-06/ENC-07: the site's own agent, by number, on a site key
    ),
    pytest.param(
        add_resource(
            KEY_MEMBER,
            "uploader-encrypts",
            {
                "cryptoKeyId": "chuv-imaging-lau/europe-west6/lau-imaging/lau-images",
                "role": "roles/cloudkms.cryptoKeyEncrypter",
                "member": UPLOADER,
            },
        ),
        id="site-identity-key-use-short-key-id",  # ENC-07: a declared identity; the provider's short id form
    ),
    pytest.param(
        _then(
            add_resource(KEY_VERSION, "pinned-version", {"cryptoKey": KEY, "state": "ENABLED"}),
            lambda resources: _protect(resources[-1]),
        ),
        id="protected-enabled-key-version",  # ENC-05
    ),
]


def _protect(r: Resource) -> Resource:
    r.protect = True
    return r


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("mutate", LEGITIMATE)
def test_legitimate_variant_passes(policy_pack, mutate, mode):
    pack = policy_pack("lausanne", mode)
    resources = site_plan("lausanne", mode)
    target = mutate(resources)
    found = [d for d in [*pack.analyze(target), *pack.analyze_stack(resources)] if d.level == "mandatory"]
    assert found == [], [(d.policy, d.message) for d in found]


def test_security_team_group_is_allowed_by_recorded_config():
    """A security team reading the access-log bucket: an undeclared group is refused (IAM-07) unless the
    policy config lists it; the roles it holds are still judged (IAM-04)."""
    config = dict(stacks.load("lausanne").config)
    grant_inputs = {
        "bucket": "chuv-imaging-lau-lau-access-logs",
        "role": "roles/storage.objectViewer",
        "member": "group:csirt@chuv.example",  # not Lausanne's declared auditor group (soc@)
    }

    def findings(user_config: dict[str, object] | None) -> list[str]:
        pack = judge_pack.PackProcess(config=config, project=PROJECT, stack="lausanne", dry_run=False)
        try:
            pack.configure(judge_pack.reconcile(pack.info(), user_config))
            grant = add_resource(BUCKET_MEMBER, "soc-reads-access-logs", grant_inputs)(site_plan("lausanne", "update"))
            return [d.policy for d in pack.analyze(grant) if d.level == "mandatory"]
        finally:
            pack.close()

    assert findings(None) == [PEOPLE]
    assert findings({PEOPLE: {"additionalGroups": ["csirt@chuv.example"]}}) == []


def test_first_preview_refuses_a_second_project_number_on_keys(policy_pack):
    """In a first preview nothing reports the site's number yet (the bucket's projectNumber is unknown): the
    key holders must then agree on one number, and the odd one out is named."""
    resources = site_plan("lausanne", "preview")
    add_resource(
        KEY_MEMBER,
        "foreign-agent-key",
        {"cryptoKeyId": KEY, "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "member": FOREIGN_AGENT},
    )(resources)
    found = [d for d in policy_pack("lausanne", "preview").analyze_stack(resources) if d.policy == KEY_PROJECT]
    assert len(found) == 1
    assert "999999999999, not the site project's 221841688848 (from the number most members" in found[0].message


def test_project_number_config_judges_agents_per_grant(policy_pack):
    """With the projectNumber config, a resource analysis (before the stack is known) already refuses
    another project's agent; the stack policy learns the number from the bucket's projectNumber otherwise."""
    config = dict(stacks.load("lausanne").config)
    pack = judge_pack.PackProcess(config=config, project=PROJECT, stack="lausanne", dry_run=False)
    try:
        pack.configure(judge_pack.reconcile(pack.info(), {LEAST: {"projectNumber": NUMBER}}))
        grant = add_resource(
            BUCKET_MEMBER,
            "foreign-agent",
            {"bucket": IMAGES, "role": "roles/storage.objectViewer", "member": FOREIGN_AGENT},
        )(site_plan("lausanne", "update"))
        assert [d.policy for d in pack.analyze(grant)] == [LEAST]
    finally:
        pack.close()


# --- pure logic ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "kind"),
    [
        ("allUsers", "public"),
        ("allauthenticatedusers", "public"),
        ("principalSet://goog/public:all", "public"),
        ("domain:chuv.example", "domain"),
        (f"principalSet://iam.googleapis.com/{POOL}/attribute.site/lau", "principal set"),
        ("user:dr.house@chuv.example", "user"),
        ("principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s", "person"),
        (f"principal://iam.googleapis.com/{POOL}/subject/pacs-gateway-01", "federated workload"),
        ("projectEditor:chuv-imaging-lau", "basic-role holders"),
        ("deleted:serviceAccount:x@p.iam.gserviceaccount.com?uid=1", "deleted principal"),
        (f"serviceAccount:cmek-p{NUMBER}@gcp-sa-logging.iam.gserviceaccount.com", "service agent"),
        (VIEWER, "service account"),
        ("everyone", "unrecognised"),
    ],
)
def test_every_principal_form_is_classified(member, kind):
    from imaging_policies._principals import kind as classify

    assert classify(member).value == kind


@pytest.mark.parametrize(
    ("expression", "scope"),
    [
        (f'resource.name.startsWith("projects/_/buckets/{IMAGES}/objects/")', IMAGES),
        (f"resource.name == 'projects/_/buckets/{IMAGES}' && request.time < timestamp('2030-01-01T00:00:00Z')", IMAGES),
        ("true", None),
        ("1 == 1", None),
        (f'resource.name.startsWith("projects/_/buckets/{IMAGES}") || true', None),
        (f'!resource.name.startsWith("projects/_/buckets/{IMAGES}")', None),
        ('resource.name.startsWith("projects/_/buckets/")', None),
        (f'resource.name.startsWith("projects/_/buckets/{IMAGES}")', None),  # also matches <images>-copy
        (f'true && resource.name.startsWith("projects/_/buckets/{IMAGES}/")', IMAGES),
    ],
)
def test_only_a_provable_bucket_restriction_narrows_a_grant(expression, scope):
    from imaging_policies._principals import bucket_scope

    assert bucket_scope(expression) == scope


@pytest.mark.parametrize(
    ("condition", "admits_any"),
    [
        ("assertion.sub == 'pacs-gateway-01'", False),
        ("assertion.sub in ['gw-01', 'gw-02'] && assertion.aud == 'lau'", False),
        ("attribute.site == 'lau'", False),
        ("true", True),
        ("assertion.sub != ''", True),
        ("assertion.sub.startsWith('')", True),
        ("assertion.sub == assertion.sub", True),
        ("assertion.sub == 'gw-01' || assertion.sub == 'gw-02'", True),
        ("assertion.sub == ''", True),
    ],
)
def test_federation_condition_must_pin_a_claim(condition, admits_any):
    from imaging_policies._principals import admits_any_subject

    assert admits_any_subject(condition) is admits_any


def test_pack_lists_every_iam_resource_of_the_provider():
    """The pack's IAM token list equals the installed pulumi-gcp's member/binding/policy resources."""
    import pulumi_gcp
    from imaging_policies import tokens

    pattern = re.compile(r"'(gcp:[A-Za-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+)'")
    found = {
        token
        for path in Path(pulumi_gcp.__file__).parent.rglob("*.py")
        for token in pattern.findall(path.read_text(encoding="utf-8"))
        if re.search(r"(?i)iam(member|binding|policy)$", token) and "/get" not in token
    }
    assert found == tokens.IAM_GRANTS
