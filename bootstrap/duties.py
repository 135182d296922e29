"""Who may do what on a site project: the roles of each deployment identity, the custom roles that replace the
predefined roles carrying data permissions, the grant limit on the one IAM-admin role, and the deny policy that
keeps every deployment identity and the key administrators away from images, keys' use, other accounts'
credentials and the security logs (docs/adr/0033-separation-of-duties.md, docs/deploying.md "Roles").

Pure data: the program (``__main__.py``) builds resources from it, the tests hold docs/deploying.md's roles table
and the pack's copy of the data permissions equal to it.
"""

from __future__ import annotations

from typing import Final

IAM_ADMIN_ROLE: Final = "roles/resourcemanager.projectIamAdmin"
GRANTABLE_ROLES: Final[tuple[str, ...]] = ()
"""The roles the deployer may add to or remove from the site project's allow policy: none. A site grants every
role on the resource that needs it (bucket, key, topic, service), never on the project; ``projectIamAdmin`` is
still needed for the project's audit configs (IAMAuditConfig), which change no grant."""


def grant_limit(roles: tuple[str, ...] = GRANTABLE_ROLES) -> str:
    """The IAM condition that limits the roles its holder may grant on the project to ``roles``."""
    listed = ", ".join(f"'{role}'" for role in roles)
    return f"api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([{listed}])"


CUSTOM_ROLES: Final[dict[str, tuple[str, str, tuple[str, ...]]]] = {
    "imagingDeployBuckets": (
        "roles/storage.admin",
        "Buckets without their objects: create, configure and grant on buckets; no object read, write or delete, "
        "no bucket delete",
        (
            "storage.buckets.create",
            "storage.buckets.get",
            "storage.buckets.list",
            "storage.buckets.update",
            "storage.buckets.getIamPolicy",
            "storage.buckets.setIamPolicy",
            "storage.buckets.getIpFilter",
            "storage.buckets.setIpFilter",
            "storage.buckets.enableObjectRetention",
            "storage.buckets.listEffectiveTags",
            "storage.buckets.listTagBindings",
            "resourcemanager.projects.get",
        ),
    ),
    "imagingDeployKeys": (
        "roles/cloudkms.admin",
        "Create and configure the site's key ring and keys and grant their service agents; no key use, no "
        "version disable, destroy, restore or import (the key administrators')",
        (
            "cloudkms.keyRings.create",
            "cloudkms.keyRings.get",
            "cloudkms.keyRings.list",
            "cloudkms.keyRings.getIamPolicy",
            "cloudkms.cryptoKeys.create",
            "cloudkms.cryptoKeys.get",
            "cloudkms.cryptoKeys.list",
            "cloudkms.cryptoKeys.update",
            "cloudkms.cryptoKeys.getIamPolicy",
            "cloudkms.cryptoKeys.setIamPolicy",
            "cloudkms.cryptoKeyVersions.get",
            "cloudkms.cryptoKeyVersions.list",
            "cloudkms.locations.get",
            "cloudkms.locations.list",
            "cloudkms.operations.get",
        ),
    ),
    "imagingDeployLogging": (
        "roles/logging.admin",
        "Cloud Logging's configuration (sinks, buckets, views, metrics) without deleting a log bucket; grants on "
        "the security-log view",
        (
            "logging.buckets.create",
            "logging.buckets.get",
            "logging.buckets.list",
            "logging.buckets.update",
            "logging.exclusions.create",
            "logging.exclusions.delete",
            "logging.exclusions.get",
            "logging.exclusions.list",
            "logging.exclusions.update",
            "logging.logMetrics.create",
            "logging.logMetrics.delete",
            "logging.logMetrics.get",
            "logging.logMetrics.list",
            "logging.logMetrics.update",
            "logging.settings.get",
            "logging.sinks.create",
            "logging.sinks.delete",
            "logging.sinks.get",
            "logging.sinks.list",
            "logging.sinks.update",
            "logging.views.create",
            "logging.views.get",
            "logging.views.list",
            "logging.views.update",
            "logging.views.getIamPolicy",
            "logging.views.setIamPolicy",
            "logging.operations.get",
            "resourcemanager.projects.get",
        ),
    ),
    "imagingDriftLogging": (
        "roles/logging.configWriter",
        "Read Cloud Logging's configuration (sinks, buckets, views, metrics) for a refresh; change nothing",
        (
            "logging.buckets.get",
            "logging.buckets.list",
            "logging.exclusions.get",
            "logging.exclusions.list",
            "logging.logMetrics.get",
            "logging.logMetrics.list",
            "logging.settings.get",
            "logging.sinks.get",
            "logging.sinks.list",
            "logging.views.get",
            "logging.views.list",
            "logging.views.getIamPolicy",
            "resourcemanager.projects.get",
        ),
    ),
}
"""Custom roles the bootstrap declares in each site project: id -> (the predefined role each permission is taken
from, title, permissions). A test holds every permission to its predefined role in the pinned role table."""


def custom_role(project: str, role_id: str) -> str:
    return f"projects/{project}/roles/{role_id}"


DEPLOYER_ROLES: Final[tuple[str, ...]] = (
    "roles/orgpolicy.policyAdmin",
    "roles/serviceusage.serviceUsageAdmin",
    "roles/serviceusage.serviceUsageConsumer",
    "roles/run.admin",
    "roles/iap.admin",
    "roles/compute.loadBalancerAdmin",
    "roles/compute.networkAdmin",
    "roles/compute.securityAdmin",
    "roles/dns.admin",
    "roles/pubsub.admin",
    "roles/monitoring.editor",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.workloadIdentityPoolAdmin",
    "roles/binaryauthorization.policyEditor",
    IAM_ADMIN_ROLE,
    "imagingDeployBuckets",
    "imagingDeployKeys",
    "imagingDeployLogging",
)
"""What ``pulumi up`` of a site holds on the site project (a bare id is a custom role of ``CUSTOM_ROLES``);
``IAM_ADMIN_ROLE`` only with ``grant_limit()``."""

DRIFT_ROLES: Final[tuple[str, ...]] = (
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
    "roles/binaryauthorization.policyViewer",
    "imagingDriftLogging",
)
"""The nightly drift check (``pulumi preview --refresh``): read roles only."""

PREVIEWER_ROLES: Final[tuple[str, ...]] = ("roles/browser",)
"""A pull request's ``pulumi preview`` (no refresh): resource-manager read, nothing else."""

KEY_ADMIN_ROLE: Final = "roles/cloudkms.admin"
"""What the key administrators' group holds on each site project and on the platform's key ring."""

DENIED: Final[dict[str, tuple[str, ...]]] = {
    "storage.googleapis.com": (
        "objects.get",
        "objects.list",
        "objects.create",
        "objects.delete",
        "objects.update",
        "objects.restore",
    ),
    "cloudkms.googleapis.com": ("cryptoKeyVersions.useToDecrypt", "cryptoKeyVersions.useToEncrypt"),
    "iam.googleapis.com": (
        "serviceAccounts.getAccessToken",
        "serviceAccounts.getOpenIdToken",
        "serviceAccounts.signBlob",
        "serviceAccounts.signJwt",
        "serviceAccounts.implicitDelegation",
        "serviceAccountKeys.create",
    ),
    "logging.googleapis.com": ("views.access", "privateLogEntries.list"),
    "pubsub.googleapis.com": ("subscriptions.consume", "snapshots.seek"),
}
"""What the site project's deny policy denies every deployment identity of the site and the key administrators
(IAM v2 form): objects of the image and log buckets, the keys' use, other accounts' credentials, and the
security logs: reading a log view (the deployer keeps ``logging.views.setIamPolicy`` to grant the security-log
view, so it could grant itself the view) and data-access audit entries, pulling or acknowledging the SIEM
subscription's messages (``roles/pubsub.admin`` holds ``consume``: an acknowledged message is gone from the
SIEM) and seeking it to a snapshot or a time. ``pubsub.subscriptions.update`` stays allowed: the deployer
creates and updates the SIEM subscription (docs/adr/0033, remaining risks)."""


def denied_permissions() -> list[str]:
    return [f"{service}/{permission}" for service, permissions in DENIED.items() for permission in permissions]


KEY_USE_DENIED: Final = tuple(f"cloudkms.googleapis.com/{p}" for p in DENIED["cloudkms.googleapis.com"])
"""What the platform project's deny policy denies the key administrators: the use of the keys they administer."""
