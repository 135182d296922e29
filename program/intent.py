"""Who a site intends on its images, keys and security logs: the facts the unexpected-access detectors exclude.

Computed from the site config in this one place. The policy pack holds the same intent in its effective-access
model (``imaging_policies._intent``: the intended holders of the image bucket, each key and the security-log
bucket); it cannot import this module (it is published alone), so ``tests/components/test_detections.py``
holds the two equal for every example site.
"""

from __future__ import annotations

from dataclasses import dataclass

from components import naming
from components.detections import AccessIntent
from program.config import SiteConfig, SiteRole


@dataclass(frozen=True)
class SiteIntent:
    """The intended principals per asset kind the detectors watch."""

    image_readers: AccessIntent
    key_users: AccessIntent
    """The site's runtime accounts; the component adds the site project's service agents (their email needs
    the project number)."""
    log_readers: AccessIntent


def _domains(config: SiteConfig, role: SiteRole) -> tuple[str, ...]:
    return tuple(sorted({g.lower().rpartition("@")[2] for g, r in config.rbac.items() if r is role}))


def site_intent(config: SiteConfig) -> SiteIntent:
    """What ``config`` intends: the viewer's account and the ``reader`` groups' people read images; the
    runtime accounts (and the site's service agents) use keys; the ``auditor`` groups' people read the
    security logs. Nobody else."""
    viewer = naming.service_account_email(config.viewer_account_id, config.gcp_project).lower()
    uploader = naming.service_account_email(config.pacs_uploader_account_id, config.gcp_project).lower()
    return SiteIntent(
        image_readers=AccessIntent(accounts=(viewer,), domains=_domains(config, SiteRole.READER)),
        key_users=AccessIntent(accounts=tuple(sorted({viewer, uploader}))),
        log_readers=AccessIntent(domains=_domains(config, SiteRole.AUDITOR)),
    )
