"""The bootstrap program: what the fleet's deployments need, in the platform project.

- the Pulumi state bucket: CMEK, versioned, uniform access, public access prevented, usage logs to
  an access-log bucket, data-access audit logs on Cloud Storage; protected;
- a key ring with the state key and the key of Pulumi's ``gcpkms://`` secrets provider;
- a workload identity pool and provider for GitHub Actions' OIDC tokens of one repository;
- per site, a deployer (``pulumi up``: the site's GitHub environment only), a drift checker (the protected
  branch) and a previewer (pull requests), with the roles of ``duties.py``: custom roles without data
  permissions, the IAM-admin role limited to granting no role, and a deny policy on the site project that keeps
  them (and the key administrators) from objects, the keys' use and other accounts' credentials;
- a declared key administrators' group that administers the site's and the platform's keys and uses none.

No service-account key anywhere. Run it from a workstation, before the first site: the first ``up`` on a
local backend, then ``python -m rollout move-bootstrap-state`` moves its state into the bucket it created,
where every later ``up`` runs (docs/deploying.md, "Deploying a site for real"). A site in ``retiredSites`` keeps only
its secrets key.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pulumi
import pulumi_gcp as gcp

# the repository's components: Pulumi runs this program from bootstrap/
sys.path.append(str(Path(__file__).resolve().parent.parent))
from duties import (
    CUSTOM_ROLES,
    DEPLOYER_ROLES,
    DRIFT_ROLES,
    IAM_ADMIN_ROLE,
    KEY_ADMIN_ROLE,
    KEY_USE_DENIED,
    PREVIEWER_ROLES,
    custom_role,
    denied_permissions,
    grant_limit,
)
from platform_config import NAMESPACE, PlatformConfig, PlatformConfigError, from_stack_config

from components.kms import PlatformKeys, PlatformKeysArgs
from components.storage import StateBucket, StateBucketArgs

ENCRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


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


MOVED: dict[str, str] = {
    "pulumi": "pulumi",
    "pulumi-state": "state-key",
    "state": "state",
    "state-access-logs": "state-access-logs",
    "state-access-logs-writer": "state-access-logs-writer",
    "state-agent-key": "state-storage-agent",
}
"""The key ring, keys and buckets the bootstrap made itself before it used the components, by their new child
name: their old name at the stack's root (an alias, so the next ``up`` adopts them instead of replacing them);
each site's secrets key ``pulumi-secrets-<site>`` was ``secrets-<site>-key``."""


def _moved_into_components(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """Alias a component's child to the resource the bootstrap declared at the root before the components."""
    if args.type_.startswith("imaging:"):
        return None
    old = MOVED.get(args.name)
    if old is None and args.name.startswith("pulumi-secrets-"):
        old = args.name.removeprefix("pulumi-") + "-key"
    if old is None:
        return None
    alias = f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{args.type_}::{old}"
    return pulumi.ResourceTransformationResult(
        args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(aliases=[alias]))
    )


def build(config: PlatformConfig) -> None:
    project, region = config.platform_project, config.region

    # the state key and one secrets key per site; a retired site's key stays: its exported state is encrypted with it
    platform_keys = PlatformKeys(
        "pulumi",
        PlatformKeysArgs(
            project=project,
            location=region,
            ring="pulumi",
            keys={
                "state": "deployment-state",
                **{f"secrets-{site}": "stack-secrets" for site in sorted([*config.sites, *config.retired_sites])},
            },
            rotation_days=config.key_rotation_days,
        ),
        opts=pulumi.ResourceOptions(transformations=[_moved_into_components]),
    )
    ring, keys, key_ids = platform_keys, platform_keys.keys, platform_keys.key_ids
    state = StateBucket(
        "state",
        StateBucketArgs(project=project, region=region, prefix="pulumi", kms_key_id=key_ids["state"]),
        opts=pulumi.ResourceOptions(transformations=[_moved_into_components]),
    ).bucket
    bucket_name = f"{project}-pulumi-state"
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

    key_admins = config.key_admins
    key_admins_set = "principalSet://goog/group/" + key_admins.removeprefix("group:")
    # the key administrators administer the platform's keys and never use them
    key_admins_no_key_use = gcp.iam.DenyPolicy(
        "key-admins-no-key-use",
        parent=f"cloudresourcemanager.googleapis.com%2Fprojects%2F{project}",
        name="imaging-key-admins-no-key-use",
        display_name="Key administrators never use the keys",
        rules=[
            {
                "description": "the key administrators' group administers the keys; it never encrypts or decrypts",
                "deny_rule": {"denied_principals": [key_admins_set], "denied_permissions": list(KEY_USE_DENIED)},
            }
        ],
    )
    gcp.kms.KeyRingIAMMember(
        "key-admins",
        key_ring_id=ring.key_ring_id,
        role=KEY_ADMIN_ROLE,
        member=key_admins,
        # granted only once the deny policy exists (a refused deny policy leaves no key administration)
        opts=pulumi.ResourceOptions(depends_on=[key_admins_no_key_use]),
    )

    identities: dict[str, dict[str, pulumi.Output[str]]] = {"deploy": {}, "drift": {}, "preview": {}}
    for site, site_project in sorted(config.sites.items()):
        roles_of_site = {
            role_id: gcp.projects.IAMCustomRole(
                f"{site}-{role_id}",
                project=site_project,
                role_id=role_id,
                title=title,
                description=f"Permissions taken from {source} (bootstrap/duties.py).",
                permissions=list(permissions),
            )
            for role_id, (source, title, permissions) in CUSTOM_ROLES.items()
        }
        denied_principals = [key_admins_set]
        kinds = (
            # `pulumi up`: only a job of the site's GitHub environment (required reviewers, main only)
            ("deploy", DEPLOYER_ROLES, [f"environment:site-{site}"]),
            # the nightly drift check: only jobs of the protected branch
            ("drift", DRIFT_ROLES, [f"ref:refs/heads/{config.github.branch}"]),
            # a pull request's preview: any pull request of the repository, so read-nearly-nothing
            ("preview", PREVIEWER_ROLES, ["pull_request"]),
        )
        accounts = {}
        for kind, _roles, _subjects in kinds:
            accounts[kind] = gcp.serviceaccount.Account(
                f"{kind}-{site}",
                project=project,
                account_id=f"{kind}-{site}",
                display_name=f"Pulumi {kind} of site {site}",
            )
            email = f"{kind}-{site}@{project}.iam.gserviceaccount.com"
            denied_principals.append(f"principal://iam.googleapis.com/projects/-/serviceAccounts/{email}")

        no_data = gcp.iam.DenyPolicy(
            f"{site}-no-data",
            parent=f"cloudresourcemanager.googleapis.com%2Fprojects%2F{site_project}",
            name="imaging-deployers-no-data",
            display_name=f"Nobody who deploys {site} reads its images",
            rules=[
                {
                    "description": (
                        "the site's deployer, drift checker and previewer and the key administrators never read, "
                        "write or delete objects, use the keys, act with another account's credentials, read the "
                        "security-log view or pull the SIEM subscription's messages"
                    ),
                    "deny_rule": {"denied_principals": denied_principals, "denied_permissions": denied_permissions()},
                }
            ],
            opts=pulumi.ResourceOptions(depends_on=list(accounts.values())),
        )
        # no role on the site project before its deny policy exists: a deny policy the API refuses (a permission
        # it does not accept, docs/adr/0033) then leaves no grant without the deny
        after_deny = pulumi.ResourceOptions(depends_on=[no_data])
        gcp.projects.IAMMember(
            f"key-admins-{site}", project=site_project, role=KEY_ADMIN_ROLE, member=key_admins, opts=after_deny
        )
        for kind, roles, subjects in kinds:
            account = accounts[kind]
            email = f"{kind}-{site}@{project}.iam.gserviceaccount.com"
            member = _known_after(account, f"serviceAccount:{email}")
            identities[kind][site] = account.email
            for claim in subjects:
                gcp.serviceaccount.IAMMember(
                    f"{kind}-{site}-federation-{claim.split(':')[0].replace('_', '-')}",
                    service_account_id=_known_after(account, f"projects/{project}/serviceAccounts/{email}"),
                    role="roles/iam.workloadIdentityUser",
                    member=subject(claim),
                    opts=after_deny,
                )
            for role in roles:
                limited = role == IAM_ADMIN_ROLE
                gcp.projects.IAMMember(
                    f"{kind}-{site}-{role.removeprefix('roles/').replace('.', '-')}",
                    project=site_project,
                    role=(
                        role
                        if role.startswith("roles/")
                        else _known_after(roles_of_site[role], custom_role(site_project, role))
                    ),
                    member=member,
                    # the project's audit configs only: it may add or remove no grant on the project
                    condition={"title": "grants no role", "expression": grant_limit()} if limited else None,
                    opts=after_deny,
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
