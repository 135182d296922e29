"""The bootstrap program: what the fleet's deployments need, in the platform project.

- the Pulumi state bucket: CMEK, versioned, uniform access, public access prevented, usage logs to
  an access-log bucket, data-access audit logs on Cloud Storage; protected;
- a key ring with the state key and the key of Pulumi's ``gcpkms://`` secrets provider;
- a workload identity pool and provider for GitHub Actions' OIDC tokens of one repository;
- per site, a deployer (``pulumi up``: the site's GitHub environment only) and a previewer
  (``pulumi preview`` and drift checks: pull requests and the protected branch; read-only roles).

No service-account key anywhere. Run it from a workstation, before the first site: the first ``up`` on a
local backend, then ``python -m rollout move-bootstrap-state`` moves its state into the bucket it created,
where every later ``up`` runs (docs/deploying.md, "Deploying a site for real"). A site in ``retiredSites`` keeps only
its secrets key.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp
from platform_config import NAMESPACE, PlatformConfig, PlatformConfigError, from_stack_config

DAY = 86_400
ENCRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
USAGE_LOG_WRITER = "group:cloud-storage-analytics@google.com"
FULLY_RESTRICTED: gcp.storage.BucketEncryptionGoogleManagedEncryptionEnforcementConfigArgsDict = {
    "restriction_mode": "FullyRestricted"
}

DEPLOYER_ROLES = (
    "roles/orgpolicy.policyAdmin",
    "roles/serviceusage.serviceUsageAdmin",
    "roles/run.admin",
    "roles/iap.admin",
    "roles/compute.loadBalancerAdmin",
    "roles/compute.networkAdmin",
    "roles/compute.securityAdmin",
    "roles/dns.admin",
    "roles/logging.configWriter",
    "roles/pubsub.admin",
    "roles/monitoring.editor",
    "roles/iam.securityAdmin",
    "roles/cloudkms.admin",
    "roles/storage.admin",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.workloadIdentityPoolAdmin",
    "roles/resourcemanager.projectIamAdmin",
    "roles/serviceusage.serviceUsageConsumer",
)
"""What ``pulumi up`` of a site needs on the site project (docs/deploying.md, "Deploying a site for real")."""

DRIFT_ROLES = (
    "roles/iam.securityReviewer",
    "roles/cloudkms.viewer",
    "roles/compute.viewer",
    "roles/dns.reader",
    "roles/monitoring.viewer",
    "roles/pubsub.viewer",
    "roles/run.viewer",
    "roles/serviceusage.serviceUsageViewer",
    "roles/orgpolicy.policyViewer",
    "roles/storage.bucketViewer",
    "roles/iam.workloadIdentityPoolViewer",
    "roles/logging.configWriter",
)
"""Roles for the nightly drift check (``pulumi preview --refresh``) of a site, object reads excluded, usable
only by jobs of the protected branch. Cloud Logging has no role that reads sinks and buckets without also
writing them or reading log entries; the drift checker gets ``roles/logging.configWriter`` rather than
log entries (docs/deploying.md, "Deploying a site for real")."""

PREVIEWER_ROLES = ("roles/browser",)
"""A pull request's ``pulumi preview`` (no refresh) reads only the state and the program's look-ups (the
project's storage agent, its Cloud Logging settings): resource-manager read, nothing else. A pull
request's code runs with it, so it holds nothing that could change or read a site's data."""


def _state_object_condition(bucket: str, project: str, site: str) -> str:
    """IAM condition: the site's own state objects in the DIY backend layout (``.pulumi/stacks|locks|
    history/<project>/<site>...``) and bucket-level checks (listing)."""
    objects = f"projects/_/buckets/{bucket}/objects/.pulumi"
    prefixes = [f"{objects}/stacks/{project}/{site}.", f"{objects}/locks/{project}/{site}/"]
    prefixes.append(f"{objects}/history/{project}/{site}/")
    clauses = [f'resource.name.startsWith("{prefix}")' for prefix in prefixes]
    clauses.append('resource.type == "storage.googleapis.com/Bucket"')
    return " || ".join(clauses)


def _meta_condition(bucket: str) -> str:
    """IAM condition: the backend's ``.pulumi/meta.yaml`` (its layout version), which everyone reads."""
    return f'resource.name == "projects/_/buckets/{bucket}/objects/.pulumi/meta.yaml"'


def _known_after(resource: pulumi.Resource, value: str) -> pulumi.Output[str]:
    """``value`` (determined by config) as an output that waits for ``resource`` yet is known in a first
    preview, so the policy pack judges the literal there instead of leaving it to the update run."""

    async def _resolve(result: object) -> object:
        return result

    return pulumi.Output(
        resources={resource},
        future=_resolve(value),  # type: ignore[arg-type]
        is_known=_resolve(True),  # type: ignore[arg-type]
    )


def build(config: PlatformConfig) -> None:
    project, region = config.platform_project, config.region
    protected = pulumi.ResourceOptions(protect=True)

    ring = gcp.kms.KeyRing("pulumi", name="pulumi", project=project, location=region, opts=protected)
    keys = {
        purpose: gcp.kms.CryptoKey(
            f"{purpose}-key",
            name=purpose,
            key_ring=ring.id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period=f"{config.key_rotation_days * DAY}s",
            destroy_scheduled_duration=f"{30 * DAY}s",
            version_template={"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protection_level": "SOFTWARE"},
            opts=protected,
        )
        # a retired site's key stays: its exported state is encrypted with it
        for purpose in ("state", *(f"secrets-{site}" for site in sorted([*config.sites, *config.retired_sites])))
    }
    # the provider's id form (<key ring id>/cryptoKeys/<name>), known in a first preview
    key_ids = {
        purpose: _known_after(key, f"projects/{project}/locations/{region}/keyRings/pulumi/cryptoKeys/{purpose}")
        for purpose, key in keys.items()
    }

    storage_agent = gcp.storage.get_project_service_account_output(project=project)
    agent_grant = gcp.kms.CryptoKeyIAMMember(
        "state-storage-agent",
        crypto_key_id=key_ids["state"],
        role=ENCRYPTER,
        member=storage_agent.email_address.apply(lambda email: f"serviceAccount:{email}"),
    )
    after_grant = pulumi.ResourceOptions(protect=True, depends_on=[agent_grant])

    bucket_name = f"{project}-pulumi-state"
    # objects only with the state key: Google-managed and customer-supplied keys are refused
    encryption: gcp.storage.BucketEncryptionArgsDict = {
        "default_kms_key_name": key_ids["state"],
        "google_managed_encryption_enforcement_config": FULLY_RESTRICTED,
        "customer_supplied_encryption_enforcement_config": FULLY_RESTRICTED,
    }
    log_bucket = gcp.storage.Bucket(
        "state-access-logs",
        name=f"{bucket_name}-logs",
        project=project,
        location=region,
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        versioning={"enabled": True},
        encryption=encryption,
        soft_delete_policy={"retention_duration_seconds": 30 * DAY},
        opts=after_grant,
    )
    gcp.storage.BucketIAMMember(
        "state-access-logs-writer", bucket=log_bucket.name, role="roles/storage.objectCreator", member=USAGE_LOG_WRITER
    )
    state = gcp.storage.Bucket(
        "state",
        name=bucket_name,
        project=project,
        location=region,
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        versioning={"enabled": True},
        encryption=encryption,
        soft_delete_policy={"retention_duration_seconds": 30 * DAY},
        logging={"log_bucket": log_bucket.name},
        opts=after_grant,
    )
    gcp.projects.IAMAuditConfig(
        "storage-data-access",
        project=project,
        service="storage.googleapis.com",
        audit_log_configs=[{"log_type": kind} for kind in ("ADMIN_READ", "DATA_READ", "DATA_WRITE")],
    )

    pool = gcp.iam.WorkloadIdentityPool(
        "github", project=project, workload_identity_pool_id="github", display_name="GitHub Actions"
    )
    repository = config.github.repository
    provider = gcp.iam.WorkloadIdentityPoolProvider(
        "github-actions",
        project=project,
        workload_identity_pool_id=pool.workload_identity_pool_id,
        workload_identity_pool_provider_id="github-actions",
        oidc={"issuer_uri": GITHUB_ISSUER},
        attribute_mapping={
            "google.subject": "assertion.sub",
            "attribute.repository": "assertion.repository",
            "attribute.ref": "assertion.ref",
        },
        # the repository by its immutable id as well as its name: a deleted name can be registered again
        attribute_condition=(
            f'assertion.repository == "{repository}" && assertion.repository_id == "{config.github.repository_id}"'
        ),
    )

    number = gcp.organizations.get_project_output(project_id=project).number

    def subject(claim: str) -> pulumi.Output[str]:
        # the pool by the project's number (the getProject invoke answers in a first preview too) and its id
        return pulumi.Output.all(number, _known_after(pool, "github")).apply(
            lambda values: (
                f"principal://iam.googleapis.com/projects/{values[0]}/locations/global/"
                f"workloadIdentityPools/{values[1]}/subject/repo:{repository}:{claim}"
            )
        )

    identities: dict[str, dict[str, pulumi.Output[str]]] = {"deploy": {}, "drift": {}, "preview": {}}
    for site, site_project in sorted(config.sites.items()):
        for kind, roles, subjects in (
            # `pulumi up`: only a job of the site's GitHub environment (required reviewers, main only)
            ("deploy", DEPLOYER_ROLES, [f"environment:site-{site}"]),
            # the nightly drift check: only jobs of the protected branch
            ("drift", DRIFT_ROLES, [f"ref:refs/heads/{config.github.branch}"]),
            # a pull request's preview: any pull request of the repository, so read-nearly-nothing
            ("preview", PREVIEWER_ROLES, ["pull_request"]),
        ):
            account = gcp.serviceaccount.Account(
                f"{kind}-{site}",
                project=project,
                account_id=f"{kind}-{site}",
                display_name=f"Pulumi {kind} of site {site}",
            )
            email = f"{kind}-{site}@{project}.iam.gserviceaccount.com"
            member = _known_after(account, f"serviceAccount:{email}")
            identities[kind][site] = account.email
            for claim in subjects:
                gcp.serviceaccount.IAMMember(
                    f"{kind}-{site}-federation-{claim.split(':')[0].replace('_', '-')}",
                    service_account_id=_known_after(account, f"projects/{project}/serviceAccounts/{email}"),
                    role="roles/iam.workloadIdentityUser",
                    member=subject(claim),
                )
            for role in roles:
                gcp.projects.IAMMember(
                    f"{kind}-{site}-{role.removeprefix('roles/').replace('.', '-')}",
                    project=site_project,
                    role=role,
                    member=member,
                )
            gcp.storage.BucketIAMMember(
                f"{kind}-{site}-state",
                bucket=state.name,
                role="roles/storage.objectUser",
                member=member,
                condition={
                    "title": f"state of {site} only",
                    "expression": _state_object_condition(bucket_name, "imaging-landing-zone", site),
                },
            )
            gcp.storage.BucketIAMMember(
                f"{kind}-{site}-state-meta",
                bucket=state.name,
                role="roles/storage.objectViewer",
                member=member,
                condition={"title": "backend metadata, read only", "expression": _meta_condition(bucket_name)},
            )
            gcp.kms.CryptoKeyIAMMember(
                f"{kind}-{site}-secrets", crypto_key_id=key_ids[f"secrets-{site}"], role=ENCRYPTER, member=member
            )

    pulumi.export("backendUrl", state.name.apply(lambda name: f"gs://{name}"))
    pulumi.export(
        "secretsProviders",
        {site: keys[f"secrets-{site}"].id.apply(lambda key: f"gcpkms://{key}") for site in sorted(config.sites)},
    )
    pulumi.export("workloadIdentityProvider", provider.name)
    for kind in ("deploy", "drift", "preview"):
        pulumi.export(f"{kind}Identities", identities[kind])


def _config() -> PlatformConfig:
    from pulumi.runtime import config as runtime_config

    values = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    try:
        return from_stack_config(values)
    except PlatformConfigError as error:
        for problem in error.problems:
            pulumi.log.error(problem)
        raise pulumi.RunError(f"the stack's {NAMESPACE} configuration has {len(error.problems)} problem(s)") from None


build(_config())
