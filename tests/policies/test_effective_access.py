"""The pack judges the effective access of every protected asset against the site's intent (IAM-10, IAM-11),
with every reference resolved to one identity first.

Each rejected case is one change a careless platform engineer or an insider makes to the Lausanne site's real
plan, run through the real pack process as a stack (``AnalyzeStack``), in a first preview and at update; each
names the control, the part of the work it holds (1: effective access against intent; 9: one identity per
thing), and why someone would write it. The legitimate variants must pass with no mandatory finding."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from preflight.engine import stacks
from preflight.engine.runner import UNKNOWN, Resource
from tests.conftest import configured_pack, site_plan
from tests.policies.mutation import Case, add_resource, assert_rejected, on, remove, set_prop

WITHIN = "gcp-iam-effective-access-within-intent"  # IAM-10
NEEDED = "gcp-iam-needed-grants-in-place"  # IAM-11
IN_STACK = "gcp-iam-custom-roles-and-federation"  # IAM-04 (stack)
KEY_USE = "gcp-kms-key-use-service-agents-only"  # ENC-07
KEY_PROJECT = "gcp-kms-key-holders-site-project"

PROJECT = "chuv-imaging-lau"
NUMBER = "221841688848"
IMAGES = "chuv-imaging-lau-lau-images"
ACCESS_LOGS = "chuv-imaging-lau-lau-access-logs"
KEY = f"projects/{PROJECT}/locations/europe-west6/keyRings/lau-imaging/cryptoKeys/lau-images"
LOGS_KEY = f"projects/{PROJECT}/locations/europe-west6/keyRings/lau-imaging/cryptoKeys/lau-logs"
VIEWER = f"serviceAccount:lau-viewer@{PROJECT}.iam.gserviceaccount.com"
UPLOADER = f"serviceAccount:lau-pacs@{PROJECT}.iam.gserviceaccount.com"
UPLOADER_ID = f"projects/{PROJECT}/serviceAccounts/lau-pacs@{PROJECT}.iam.gserviceaccount.com"
VIEWER_ID = f"projects/{PROJECT}/serviceAccounts/lau-viewer@{PROJECT}.iam.gserviceaccount.com"
ETL = f"serviceAccount:lau-etl@{PROJECT}.iam.gserviceaccount.com"
SIEM = "serviceAccount:siem-collector@chuv-soc.iam.gserviceaccount.com"
STORAGE_AGENT = f"serviceAccount:service-{NUMBER}@gs-project-accounts.iam.gserviceaccount.com"
LOGGING_AGENT = f"serviceAccount:service-{NUMBER}@gcp-sa-logging.iam.gserviceaccount.com"
IAP_AGENT = f"serviceAccount:service-{NUMBER}@gcp-sa-iap.iam.gserviceaccount.com"
POOL = f"projects/{NUMBER}/locations/global/workloadIdentityPools/lau-pacs"
SUBJECT = f"principal://iam.googleapis.com/{POOL}/subject/pacs-gateway-01"
AUDITORS = "soc@chuv.example"

BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
BUCKET_POLICY = "gcp:storage/bucketIAMPolicy:BucketIAMPolicy"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
FOLDER_MEMBER = "gcp:folder/iAMMember:IAMMember"
SA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
SA_BINDING = "gcp:serviceaccount/iAMBinding:IAMBinding"
KEY_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
KEY_POLICY = "gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy"
RING_MEMBER = "gcp:kms/keyRingIAMMember:KeyRingIAMMember"
TOPIC_MEMBER = "gcp:pubsub/topicIAMMember:TopicIAMMember"
TOPIC_BINDING = "gcp:pubsub/topicIAMBinding:TopicIAMBinding"
SUBSCRIPTION_MEMBER = "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember"
RUN_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
RUN_POLICY = "gcp:cloudrunv2/serviceIamPolicy:ServiceIamPolicy"
IAP_MEMBER = "gcp:iap/webBackendServiceIamMember:WebBackendServiceIamMember"
VIEW_MEMBER = "gcp:logging/logViewIamMember:LogViewIamMember"
ACCOUNT = "gcp:serviceaccount/account:Account"


def _policy(*bindings: tuple[str, list[str]]) -> str:
    return json.dumps({"bindings": [{"role": role, "members": members} for role, members in bindings]})


def _then(*steps: Callable[[list[Resource]], Resource]) -> Callable[[list[Resource]], Resource]:
    """Several mutations of the plan as one change; the last step's resource is the one named."""

    def mutate(resources: list[Resource]) -> Resource:
        return [step(resources) for step in steps][-1]

    return mutate


_ETL_ACCOUNT = add_resource(
    ACCOUNT,
    "lau-etl",
    {
        "accountId": "lau-etl",
        "project": PROJECT,
        "email": f"lau-etl@{PROJECT}.iam.gserviceaccount.com",
        "name": f"projects/{PROJECT}/serviceAccounts/lau-etl@{PROJECT}.iam.gserviceaccount.com",
    },
)


CASES = [
    # --- part 1: a permission beyond intent, through a principal no allowlist names -----------------------
    pytest.param(
        Case(
            WITHIN,
            _then(
                _ETL_ACCOUNT,
                add_resource(
                    BUCKET_MEMBER,
                    "etl-reads-images",
                    {"bucket": IMAGES, "role": "roles/storage.objectViewer", "member": ETL},
                ),
            ),
            f"{ETL.lower()} holds storage.folders.get",
            stack=True,
        ),
        # IAM-10, part 1: a data engineer adds a batch account of the site project to export studies; no
        # allowlist names it, but it now reads every image.
        id="new-site-account-reads-images",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                BUCKET_MEMBER,
                "dataflow-reads-images",
                {
                    "bucket": IMAGES,
                    "role": "roles/storage.objectViewer",
                    "member": f"serviceAccount:service-{NUMBER}@dataflow-service-producer-prod.iam.gserviceaccount.com",
                },
            ),
            "on image bucket chuv-imaging-lau-lau-images beyond what the site declares",
            stack=True,
        ),
        # IAM-10, part 1: a Google service agent of the site's own project that the site never needs (Dataflow)
        # is given the images "for a pipeline"; only the agents the site needs are trusted, each for its job.
        id="unneeded-service-agent-reads-images",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                BUCKET_MEMBER,
                "storage-agent-reads-images",
                {"bucket": IMAGES, "role": "roles/storage.objectViewer", "member": STORAGE_AGENT},
            ),
            "storage.objects.get",
            stack=True,
        ),
        # IAM-10, part 1: the site's own storage agent is a needed agent, but its job is the key, not reading
        # objects; an engineer "fixing" a transfer job grants it read.
        id="needed-agent-beyond-its-job",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                PROJECT_MEMBER,
                "viewer-config-writer",
                {"project": PROJECT, "role": "roles/logging.configWriter", "member": VIEWER},
            ),
            "logging.sinks.create",
            stack=True,
        ),
        # IAM-10, part 1: a role whose permissions reach log routing under another name (configWriter, not
        # logging.admin); an insider gives it to the viewer's identity to quietly rewrite the SIEM sink.
        id="role-reaching-log-routing-under-another-name",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                TOPIC_MEMBER,
                "siem-reader-publishes",
                {"topic": "lau-siem-export", "project": PROJECT, "role": "roles/pubsub.publisher", "member": SIEM},
            ),
            "pubsub.topics.publish on SIEM topic lau-siem-export",
            stack=True,
        ),
        # IAM-10, part 1: the SOC's collector is allowed to consume; publishing lets whoever holds its key inject
        # forged security messages. A SOC engineer asks for it "to test the pipeline".
        id="siem-subscriber-publishes-forged-messages",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                SA_MEMBER,
                "uploader-acts-as-viewer",
                {"serviceAccountId": VIEWER_ID, "role": "roles/iam.serviceAccountTokenCreator", "member": UPLOADER},
            ),
            "on service account lau-viewer@chuv-imaging-lau.iam.gserviceaccount.com beyond",
            stack=True,
        ),
        # IAM-10, part 1: the uploader impersonates the viewer and so reads every image; an engineer debugging
        # the viewer from the PACS gateway grants it.
        id="uploader-impersonates-viewer",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                FOLDER_MEMBER,
                "folder-wide-reader",
                {
                    "folder": "folders/123456789012",
                    "role": "roles/storage.objectViewer",
                    "member": "group:radiologie@chuv.example",
                },
            ),
            "granted by folder-wide-reader (IAMMember, roles/storage.objectViewer)",
            stack=True,
        ),
        # IAM-10, part 1: a folder grant reaches every project below it (assumed to include the site's); a
        # declared reader group gets read on the access-log and every other bucket, not only the images.
        id="folder-grant-reaches-every-bucket",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                PROJECT_MEMBER,
                "uploader-reads-security-logs",
                {
                    "project": PROJECT,
                    "role": "roles/logging.viewAccessor",
                    "member": UPLOADER,
                    "condition": {"title": "always", "expression": "request.time > timestamp('1970-01-01T00:00:00Z')"},
                },
            ),
            "on security-log bucket lau-security-logs beyond",
            stack=True,
        ),
        # IAM-10, part 1 (conditions as ADR 0012): a condition that always holds narrows nothing; the uploader
        # reads the security logs that record its own actions.
        id="always-true-condition-reads-security-logs",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                BUCKET_MEMBER,
                "composer-role-on-images",
                {"bucket": IMAGES, "role": "roles/composer.worker", "member": VIEWER},
            ),
            "not in the pinned role table",
            stack=True,
        ),
        # IAM-10, part 1: a predefined role of a service the site never uses (it carries storage permissions);
        # the pack cannot say what it grants, so it is not trusted.
        id="role-outside-the-pinned-table",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                RING_MEMBER,
                "iap-agent-on-ring",
                {
                    "keyRingId": f"projects/{PROJECT}/locations/europe-west6/keyRings/lau-imaging",
                    "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
                    "member": IAP_AGENT,
                },
            ),
            "on key lau-images beyond",
            stack=True,
        ),
        # IAM-10, part 1: a key-ring grant reaches each key; IAP's agent is the site's, but its job is calling
        # the viewer, not decrypting images. Copied from a how-to for another service.
        id="key-ring-grant-reaches-each-key",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                RUN_MEMBER,
                "radiologists-invoke-run-directly",
                {
                    "name": "lau-viewer",
                    "location": "europe-west6",
                    "project": PROJECT,
                    "role": "roles/run.invoker",
                    "member": "group:radiologie@chuv.example",
                },
            ),
            "run.routes.invoke on viewer service lau-viewer",
            stack=True,
        ),
        # IAM-10, part 1: the IAP group may pass IAP, not call Cloud Run around it; an engineer "fixes" a 403
        # during a go-live.
        id="iap-group-invokes-run-around-iap",
    ),
    # --- part 9: one identity per thing, whatever the form ----------------------------------------------
    pytest.param(
        Case(
            WITHIN,
            _then(
                _ETL_ACCOUNT,
                add_resource(
                    BUCKET_MEMBER,
                    "etl-reads-images-underscore",
                    {"bucket": f"projects/_/buckets/{IMAGES}", "role": "roles/storage.objectViewer", "member": ETL},
                ),
            ),
            "on image bucket chuv-imaging-lau-lau-images",
            stack=True,
        ),
        # IAM-10, part 9: the bucket named in its projects/_/buckets/ form is still the image bucket.
        id="bucket-in-projects-underscore-form",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                BUCKET_MEMBER,
                "etl-v2-identifier",
                {
                    "bucket": IMAGES,
                    "role": "roles/storage.objectViewer",
                    "member": f"principal://iam.googleapis.com/projects/-/serviceAccounts/lau-etl@{PROJECT}.iam.gserviceaccount.com",
                },
            ),
            f"{ETL.lower()} holds",
            stack=True,
        ),
        # IAM-10, part 9: a service account in its v2 principal:// identifier is the same account.
        id="service-account-in-principal-form",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                TOPIC_MEMBER,
                "etl-publishes-by-number",
                {"topic": f"projects/{NUMBER}/topics/lau-siem-export", "role": "roles/pubsub.publisher", "member": ETL},
            ),
            "on SIEM topic lau-siem-export",
            stack=True,
        ),
        # IAM-10, part 9: the SIEM topic named through the project's number is the same topic.
        id="topic-by-project-number",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                IAP_MEMBER,
                "contractors-through-iap-by-self-link",
                {
                    "webBackendService": f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/global/backendServices/lau-viewer-backend",
                    "project": PROJECT,
                    "role": "roles/iap.httpsResourceAccessor",
                    "member": ETL,
                },
            ),
            "iap.webServiceVersions.accessViaIAP on viewer backend lau-viewer-backend",
            stack=True,
        ),
        # IAM-10, part 9: the backend named by its self link is the viewer's backend; a service account passes
        # IAP there (a scraper someone set up), though only the declared IAP groups may.
        id="backend-by-self-link",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                SA_MEMBER,
                "gke-workload-acts-as-uploader",
                {
                    "serviceAccountId": UPLOADER_ID,
                    "role": "roles/iam.workloadIdentityUser",
                    "member": f"serviceAccount:{PROJECT}.svc.id.goog[default/importer]",
                },
            ),
            "svc.id.goog/subject/ns/default/sa/importer holds",
            stack=True,
            also=frozenset({IN_STACK}),  # the resolver makes it a federated subject: of a pool not in the stack
        ),
        # IAM-10, part 9: a GKE workload identity (the legacy serviceAccount:<p>.svc.id.goog[ns/ksa] form) is a
        # federated subject of the project's GKE pool, not the declared PACS subject; a cluster admin wires an
        # importer job to the uploader.
        id="gke-workload-impersonates-uploader",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                SA_MEMBER,
                "domain-scoped-gke-acts-as-uploader",
                {
                    "serviceAccountId": UPLOADER_ID,
                    "role": "roles/iam.workloadIdentityUser",
                    "member": "serviceAccount:chuv.example:legacy-pacs.svc.id.goog[pacs/bridge]",
                },
            ),
            "chuv.example:legacy-pacs.svc.id.goog/subject/ns/pacs/sa/bridge holds",
            stack=True,
            also=frozenset({IN_STACK}),  # the resolver makes it a federated subject: of a pool not in the stack
        ),
        # IAM-10, part 9: the same from a domain-scoped project's GKE pool (chuv.example:legacy-pacs).
        id="domain-scoped-gke-workload-impersonates-uploader",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                SA_MEMBER,
                "second-subject-acts-as-uploader",
                {
                    "serviceAccountId": UPLOADER_ID,
                    "role": "roles/iam.workloadIdentityUser",
                    "member": f"principal://iam.googleapis.com/{POOL}/subject/pacs-gateway-02",
                },
            ),
            "subject/pacs-gateway-02 holds",
            stack=True,
            also=frozenset({"gcp-iam-federation-admits-declared-subject"}),  # IAM-14: not the declared subject
        ),
        # IAM-10, part 9: a second subject of the site's own pool; only the declared subject may impersonate.
        id="second-federated-subject-impersonates-uploader",
    ),
    pytest.param(
        Case(
            WITHIN,
            add_resource(
                KEY_MEMBER,
                "iap-agent-short-key-id",
                {
                    "cryptoKeyId": f"{PROJECT}/europe-west6/lau-imaging/lau-images",
                    "role": "roles/cloudkms.cryptoKeyDecrypter",
                    "member": IAP_AGENT,
                },
            ),
            "cloudkms.cryptoKeyVersions.useToDecrypt on key lau-images beyond",
            stack=True,
        ),
        # IAM-10, part 9: the key in the provider's short <project>/<location>/<ring>/<key> form is the same key.
        id="key-in-short-form",
    ),
    # --- part 9: a resource carrying a site control counts only in the site's project -----------------
    pytest.param(
        Case(
            "gcp-project-data-access-audit-logs",
            on("lau-logging-audit", set_prop("project", value="chuv-imaging-lau-sandbox")),
            "no audit config for allServices",
            stack=True,
        ),
        # LOG-01, part 9: the Data Access audit config is moved to a sandbox project during a "cost review";
        # the site's image reads are no longer logged, though the stack still has an audit config.
        id="audit-config-placed-in-another-project",
    ),
    pytest.param(
        Case(
            "gcp-project-default-service-accounts-deprivileged",
            on("lau-identities-default-accounts", set_prop("project", value="chuv-imaging-lau-sandbox")),
            "not the site project 'chuv-imaging-lau'",
            stack=True,
        ),
        # IAM-06, part 9: the default accounts of another project are deprivileged; the site's keep Editor.
        id="default-accounts-deprivileged-in-another-project",
    ),
    pytest.param(
        Case(
            "gcp-logging-no-security-exclusions",
            add_resource(
                "gcp:logging/projectExclusion:ProjectExclusion",
                "quiet-storage-by-number",
                {"project": NUMBER, "filter": 'protoPayload.serviceName="storage.googleapis.com"'},
            ),
            "it drops audit logs",
        ),
        # LOG-10, part 9: an exclusion of the site project named by its number is the site's exclusion.
        id="exclusion-in-project-number-form",
    ),
    # --- part 1: a needed grant the effective state lacks ----------------------------------------------
    pytest.param(
        Case(
            NEEDED,
            add_resource(
                KEY_POLICY,
                "images-key-lockdown",
                {"cryptoKeyId": KEY, "policyData": _policy(("roles/cloudkms.cryptoKeyEncrypterDecrypter", [VIEWER]))},
            ),
            "images-key-lockdown (CryptoKeyIAMPolicy) replaces the grants on it without",
            stack=True,
        ),
        # IAM-11, part 1: an authoritative policy on the images key, written to "lock it down", silently drops
        # the storage agent's encrypter role: every upload and read then fails.
        id="key-policy-drops-storage-agent",
    ),
    pytest.param(
        Case(
            NEEDED,
            add_resource(
                TOPIC_BINDING,
                "siem-publishers",
                {
                    "topic": "lau-siem-export",
                    "project": PROJECT,
                    "role": "roles/pubsub.publisher",
                    "members": [f"serviceAccount:p{NUMBER}-100@gcp-sa-logging.iam.gserviceaccount.com"],
                },
            ),
            "siem-publishers (TopicIAMBinding, roles/pubsub.publisher) replaces the grants on it without",
            stack=True,
            also=frozenset({WITHIN}),
        ),
        # IAM-11, part 1: a binding on the SIEM topic naming an old sink's writer drops the current sink's
        # publisher: security logs stop reaching the SOC without any error in the stack.
        id="topic-binding-drops-siem-publisher",
    ),
    pytest.param(
        Case(
            NEEDED,
            add_resource(BUCKET_POLICY, "access-logs-reset", {"bucket": ACCESS_LOGS, "policyData": _policy()}),
            "access-logs-reset (BucketIAMPolicy) replaces the grants on it without "
            "group:cloud-storage-analytics@google.com",
            stack=True,
        ),
        # IAM-11, part 1: an empty policy "resets" the access-log bucket's IAM; the usage-log writer loses its
        # grant and image reads stop being recorded.
        id="bucket-policy-drops-usage-log-writer",
    ),
    pytest.param(
        Case(
            NEEDED,
            add_resource(
                RUN_POLICY,
                "viewer-run-policy",
                {"name": "lau-viewer", "location": "europe-west6", "project": PROJECT, "policyData": _policy()},
            ),
            "viewer-run-policy (ServiceIamPolicy) replaces the grants on it without",
            stack=True,
        ),
        # IAM-11, part 1: an empty policy on the Cloud Run service drops IAP's invoker: the viewer is down.
        id="run-policy-drops-iap-invoker",
    ),
    pytest.param(
        Case(
            NEEDED,
            add_resource(
                SA_BINDING,
                "uploader-federation-binding",
                {"serviceAccountId": UPLOADER_ID, "role": "roles/iam.workloadIdentityUser", "members": [VIEWER]},
            ),
            "uploader-federation-binding (IAMBinding, roles/iam.workloadIdentityUser) replaces the grants on it",
            stack=True,
            also=frozenset({WITHIN}),
        ),
        # IAM-11, part 1: a binding on the uploader's workloadIdentityUser role drops the PACS's federated
        # subject (and hands the role to the viewer).
        id="sa-binding-drops-federated-subject",
    ),
    pytest.param(
        Case(
            NEEDED,
            remove("lau-images-group-radiologie@chuv.example"),
            "group:radiologie@chuv.example needs storage.objects.get on image bucket",
            stack=True,
        ),
        # IAM-11, part 1: a clean-up removes a reader group's grant "nobody seemed to use": the radiologists
        # declared as readers can no longer open a study.
        id="declared-reader-group-grant-removed",
    ),
    pytest.param(
        Case(
            NEEDED,
            on(
                "lau-images-pacs-uploader",
                set_prop(
                    "condition",
                    value={
                        "title": "until-migration",
                        "expression": 'request.time < timestamp("2027-01-01T00:00:00Z")',
                    },
                ),
            ),
            "needs storage.objects.create on image bucket",
            stack=True,
        ),
        # IAM-11, part 1: the PACS uploader's grant given an expiry "until the migration is done": on that day
        # the PACS stops storing images with no change to the stack.
        id="declared-uploader-grant-conditioned-to-expire",
    ),
]


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("case", CASES)
def test_effective_access_rejects(policy_pack, case: Case, mode: str):
    """Each change is refused in a first preview and at update, naming principal, permission, asset, grant."""
    assert_rejected(policy_pack("lausanne", mode), case, mode)


def test_at_least_twenty_named_cases():
    ids = [c.id for c in CASES]
    assert len(ids) >= 20
    assert len(set(ids)) == len(ids)


# --- legitimate variants: no mandatory finding at all -----------------------------------------------------

LEGITIMATE = [
    pytest.param(
        add_resource(
            SUBSCRIPTION_MEMBER,
            "siem-reader-by-number",
            {
                "subscription": f"projects/{NUMBER}/subscriptions/lau-siem-export",
                "role": "roles/pubsub.subscriber",
                "member": SIEM,
            },
        ),
        id="siem-subscriber-by-project-number",  # part 9: the same grant, the subscription named by number
    ),
    pytest.param(
        add_resource(
            BUCKET_MEMBER,
            "viewer-v2-identifier",
            {
                "bucket": f"projects/_/buckets/{IMAGES}",
                "role": "roles/storage.objectViewer",
                "member": f"principal://iam.googleapis.com/projects/-/serviceAccounts/lau-viewer@{PROJECT}.iam.gserviceaccount.com",
            },
        ),
        id="viewer-reads-in-other-forms",  # part 9: the viewer, in its v2 form, on the bucket's projects/_ form
    ),
    pytest.param(
        add_resource(
            KEY_POLICY,
            "images-key-policy",
            {
                "cryptoKeyId": KEY,
                "policyData": _policy(("roles/cloudkms.cryptoKeyEncrypterDecrypter", [STORAGE_AGENT])),
            },
        ),
        id="key-policy-keeps-storage-agent",  # part 1: an authoritative key policy that keeps the needed grant
    ),
    pytest.param(
        add_resource(
            PROJECT_MEMBER,
            "viewer-metrics",
            {"project": PROJECT, "role": "roles/monitoring.metricWriter", "member": VIEWER},
        ),
        id="runtime-identity-writes-metrics",  # part 1: the project grant the intent allows a runtime identity
    ),
    pytest.param(
        on("lau-logging-audit", set_prop("project", value=NUMBER)),
        id="audit-config-by-project-number",  # part 9: the site's audit config, its project named by number
    ),
]


@pytest.mark.parametrize("mode", ["preview", "update"])
@pytest.mark.parametrize("mutate", LEGITIMATE)
def test_legitimate_variant_passes(policy_pack, mutate, mode):
    pack = policy_pack("lausanne", mode)
    resources = site_plan("lausanne", mode)
    mutate(resources)
    found = [d for d in pack.analyze_stack(resources) if d.level == "mandatory"]
    assert found == [], [(d.policy, d.message) for d in found]


# --- the security team's site role: auditor -----------------------------------------------------------------


@pytest.fixture(scope="module")
def auditor_pack():
    """The real pack for Lausanne with ``soc@chuv.example: auditor`` in rbac (update mode)."""
    config = dict(stacks.load("lausanne").config)
    rbac = json.loads(config["imaging-landing-zone:rbac"])
    config["imaging-landing-zone:rbac"] = json.dumps({**rbac, AUDITORS: "auditor"})
    pack = configured_pack(config, stack="lausanne", mode="update")
    yield pack
    pack.close()


def _auditor_reads(bucket: str, name: str) -> Callable[[list[Resource]], Resource]:
    return add_resource(
        BUCKET_MEMBER, name, {"bucket": bucket, "role": "roles/storage.objectViewer", "member": f"group:{AUDITORS}"}
    )


def test_auditor_reads_the_log_buckets_and_views(auditor_pack):
    """Part 1 legitimate variant: the declared auditor group reads the access logs and the security-log views."""
    resources = site_plan("lausanne", "update")
    _auditor_reads(ACCESS_LOGS, "soc-reads-access-logs")(resources)
    add_resource(
        VIEW_MEMBER,
        "soc-reads-security-logs",
        {
            "parent": f"projects/{PROJECT}",
            "location": "europe-west6",
            "bucket": "lau-security-logs",
            "name": "_AllLogs",
            "role": "roles/logging.viewAccessor",
            "member": f"group:{AUDITORS}",
        },
    )(resources)
    found = [d for d in auditor_pack.analyze_stack(resources) if d.level == "mandatory"]
    assert found == [], [(d.policy, d.message) for d in found]


def test_auditor_never_reads_images(auditor_pack):
    """IAM-10, part 1: the auditor's site role reads logs, never images (the control the intent holds)."""
    resources = site_plan("lausanne", "update")
    _auditor_reads(IMAGES, "soc-reads-images")(resources)
    found = [d for d in auditor_pack.analyze_stack(resources) if d.level == "mandatory"]
    assert {d.policy for d in found} == {WITHIN}
    assert any(f"group:{AUDITORS} holds" in d.message and "image bucket" in d.message for d in found)


# --- a first preview: what cannot be known is not judged, never met ------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "prop"),
    [
        ({"bucket": IMAGES, "role": "roles/storage.objectViewer", "member": UNKNOWN}, "member"),
        ({"bucket": UNKNOWN, "role": "roles/storage.objectViewer", "member": ETL}, "bucket"),
    ],
    ids=["unknown-member-on-images", "unknown-bucket"],
)
def test_an_unknown_principal_or_resource_is_not_judged_in_a_first_preview(policy_pack, inputs, prop):
    """IAM-10 and IAM-11, part 1 (preview honesty): a grant whose member or target the engine computes from
    nothing in the stack could hide an extra reader; both controls say "not judged in preview", naming the
    property, and neither is met."""
    resources = site_plan("lausanne", "preview")
    add_resource(BUCKET_MEMBER, "computed-grant", inputs)(resources)
    found = policy_pack("lausanne", "preview").analyze_stack(resources)
    for policy in (WITHIN, NEEDED):
        mine = [d for d in found if d.policy == policy]
        assert [d.skipped_in_preview for d in mine] == [True], [(d.level, d.message) for d in mine]
        assert f"[computed-grant].{prop}" in mine[0].message
