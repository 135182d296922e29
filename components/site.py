"""A hospital site: the composition of keys, identities and image storage that ``__main__.py`` builds."""

from __future__ import annotations

import pulumi

from components.config import SiteConfig, SiteRole
from components.identity import PacsFederationArgs, SiteIdentities, SiteIdentitiesArgs
from components.kms import DataClass, SiteKeys, SiteKeysArgs
from components.storage import BucketMember, BucketRole, ImageBucket, ImageBucketArgs

TYPE_TOKEN = "imaging:site:ImagingSite"

ROLE_BINDINGS: dict[SiteRole, BucketRole] = {
    SiteRole.READER: BucketRole.OBJECT_VIEWER,
    SiteRole.UPLOADER: BucketRole.OBJECT_CREATOR,
}
"""What each site role means on the image bucket."""


class ImagingSite(pulumi.ComponentResource):
    """Everything one hospital site needs in the cloud, built from its validated :class:`SiteConfig`.

    Children: ``<site>-kms`` (:class:`SiteKeys`), ``<site>-identities`` (:class:`SiteIdentities`)
    and ``<site>-images`` (:class:`ImageBucket`).
    """

    image_bucket_name: pulumi.Output[str]
    """The image bucket's name."""
    viewer_member: pulumi.Output[str]
    """The viewer's IAM member."""

    def __init__(self, args: SiteConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        config = args
        name = config.site_code
        super().__init__(TYPE_TOKEN, name, None, opts)
        labels = config.common_labels
        keys = SiteKeys(
            f"{name}-kms",
            SiteKeysArgs(
                project=config.gcp_project,
                location=config.region,
                site_code=config.site_code,
                protection_level=config.kms.protection_level,
                rotation_days=config.kms.rotation_days,
                destroy_scheduled_days=config.kms.destroy_scheduled_days,
                labels=labels,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        federation = config.identities.pacs_uploader.workload_identity
        identities = SiteIdentities(
            f"{name}-identities",
            SiteIdentitiesArgs(
                project=config.gcp_project,
                site_code=config.site_code,
                viewer_account_id=config.viewer_account_id,
                pacs_uploader_account_id=config.pacs_uploader_account_id,
                pacs_federation=(PacsFederationArgs(**federation.model_dump()) if federation is not None else None),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        members = {
            "viewer": BucketMember(role=BucketRole.OBJECT_VIEWER, member=identities.viewer_member),
            "pacs-uploader": BucketMember(role=BucketRole.OBJECT_CREATOR, member=identities.pacs_uploader_member),
        }
        for group, role in sorted(config.rbac.items()):
            members[f"group-{group}"] = BucketMember(role=ROLE_BINDINGS[role], member=f"group:{group}")
        images = ImageBucket(
            f"{name}-images",
            ImageBucketArgs(
                project=config.gcp_project,
                region=config.region,
                site_code=config.site_code,
                kms_key_id=keys.key_ids[DataClass.IMAGES],
                soft_delete_days=config.image_bucket.soft_delete_days,
                retention_days=config.image_bucket.retention_days,
                members=members,
                labels=labels,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.keys, self.identities, self.images = keys, identities, images
        self.image_bucket_name = images.bucket_name
        self.viewer_member = identities.viewer_member
        self.register_outputs({"imageBucketName": images.bucket_name, "viewerMember": identities.viewer_member})
