"""Site key management: one key ring, one AES-256 key per data class (controls ENC-03 to ENC-05)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import pulumi
import pulumi_gcp as gcp
from pydantic import Field

from . import naming
from ._base import SECONDS_PER_DAY, Component, ComponentArgs, child, known_after
from .contract import DestroyScheduledDays, ProtectionLevel, Region, RotationDays, SiteCode

TYPE_TOKEN = "imaging:kms:SiteKeys"

# Security controls are constants: Cloud KMS ENCRYPT_DECRYPT keys are AES-256-GCM.
PURPOSE = "ENCRYPT_DECRYPT"
ALGORITHM = "GOOGLE_SYMMETRIC_ENCRYPTION"


class DataClass(StrEnum):
    """A class of data that gets its own key, so each can be revoked or audited on its own."""

    IMAGES = "images"
    LOGS = "logs"


class SiteKeysArgs(ComponentArgs):
    """Inputs of :class:`SiteKeys`."""

    project: str
    """The GCP project that holds the key ring."""
    location: Region
    """The region of the key ring; the same region as the data it protects."""
    site_code: SiteCode
    """The site code, used in the key ring's and keys' names."""
    protection_level: ProtectionLevel = ProtectionLevel.SOFTWARE
    """`SOFTWARE` or `HSM`."""
    rotation_days: RotationDays = 90
    """Rotation period in days, at most 90 (ENC-04)."""
    destroy_scheduled_days: DestroyScheduledDays = 30
    """Days a destroyed key version stays restorable (ENC-05)."""
    labels: dict[str, str] = {}
    """Labels on each key."""


class SiteKeys(Component):
    """The site key ring and one protected key per data class.

    Keys carry no IAM here: the component that uses a key grants its own service agent on that
    key only (ENC-07), so a key's users are found next to the data they encrypt.
    """

    key_ring_id: pulumi.Output[str]
    """The key ring's id (``projects/<p>/locations/<l>/keyRings/<name>``)."""
    key_ids: dict[str, pulumi.Output[str]]
    """Key ids by data class (``images``, ``logs``)."""

    def __init__(self, name: str, args: SiteKeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, opts)
        ring = gcp.kms.KeyRing(
            name,
            name=naming.key_ring_name(args.site_code),
            project=args.project,
            location=args.location,
            opts=child(self, protect=True),
        )
        # Ids as the provider forms them (KeyRing: projects/<p>/locations/<l>/keyRings/<name>; CryptoKey:
        # <key ring id>/cryptoKeys/<name>), known in a first preview and carrying a dependency on the resource,
        # so the policy pack judges every key reference (buckets, log storage, grants) in that preview.
        ring_id = known_after(
            ring, f"projects/{args.project}/locations/{args.location}/keyRings/{naming.key_ring_name(args.site_code)}"
        )
        self.keys = {
            data_class.value: gcp.kms.CryptoKey(
                f"{name}-{data_class.value}",
                name=naming.crypto_key_name(args.site_code, data_class.value),
                key_ring=ring_id,
                purpose=PURPOSE,
                rotation_period=f"{args.rotation_days * SECONDS_PER_DAY}s",
                destroy_scheduled_duration=f"{args.destroy_scheduled_days * SECONDS_PER_DAY}s",
                version_template={"algorithm": ALGORITHM, "protection_level": args.protection_level.value},
                labels={**args.labels, "protects": data_class.value},
                opts=child(self, protect=True),
            )
            for data_class in DataClass
        }
        self.key_ring_id = ring_id
        self.key_ids = {
            data_class: known_after(
                key,
                f"projects/{args.project}/locations/{args.location}/keyRings/{naming.key_ring_name(args.site_code)}"
                f"/cryptoKeys/{naming.crypto_key_name(args.site_code, data_class)}",
            )
            for data_class, key in self.keys.items()
        }
        self.register_outputs({"keyRingId": ring_id, "keyIds": self.key_ids})


PLATFORM_TYPE_TOKEN = "imaging:kms:PlatformKeys"

KeyName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,62}$", description="A key's name in its key ring.")]


class PlatformKeysArgs(ComponentArgs):
    """Inputs of :class:`PlatformKeys`."""

    project: str
    """The GCP project that holds the key ring (the platform project)."""
    location: Region
    """The region of the key ring; the region of what its keys protect."""
    ring: SiteCode
    """The key ring's name (key rings can never be deleted: it stays)."""
    keys: Annotated[dict[KeyName, KeyName], Field(min_length=1)]
    """Each key's name to what it protects (its ``protects`` label), keyed by the name: the key's child is
    ``<name>-<key>``."""
    protection_level: ProtectionLevel = ProtectionLevel.SOFTWARE
    """`SOFTWARE` or `HSM`."""
    rotation_days: RotationDays = 90
    """Rotation period in days, at most 90 (ENC-04)."""
    destroy_scheduled_days: DestroyScheduledDays = 30
    """Days a destroyed key version stays restorable (ENC-05)."""


class PlatformKeys(Component):
    """A key ring of the platform project and one protected key per named purpose (the Pulumi state's key, each
    site's secrets key), with the same constants as :class:`SiteKeys`: AES-256-GCM, rotation at most 90 days,
    protected, a destroyed version restorable. Keys carry no IAM here (ENC-07): whoever uses a key is granted
    on that key, next to the data it encrypts."""

    key_ids: dict[str, pulumi.Output[str]]
    """Key ids by name (``projects/<p>/locations/<l>/keyRings/<ring>/cryptoKeys/<name>``), known in a first
    preview."""

    def __init__(self, name: str, args: PlatformKeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(PLATFORM_TYPE_TOKEN, name, opts)
        ring = gcp.kms.KeyRing(
            name, name=args.ring, project=args.project, location=args.location, opts=child(self, protect=True)
        )
        ring_path = f"projects/{args.project}/locations/{args.location}/keyRings/{args.ring}"
        ring_id = known_after(ring, ring_path)
        self.keys = {
            key: gcp.kms.CryptoKey(
                f"{name}-{key}",
                name=key,
                key_ring=ring_id,
                purpose=PURPOSE,
                rotation_period=f"{args.rotation_days * SECONDS_PER_DAY}s",
                destroy_scheduled_duration=f"{args.destroy_scheduled_days * SECONDS_PER_DAY}s",
                version_template={"algorithm": ALGORITHM, "protection_level": args.protection_level.value},
                labels={"protects": protects},
                opts=child(self, protect=True),
            )
            for key, protects in sorted(args.keys.items())
        }
        self.key_ring_id = ring_id
        self.key_ids = {key: known_after(k, f"{ring_path}/cryptoKeys/{key}") for key, k in self.keys.items()}
        self.register_outputs({"keyRingId": ring_id, "keyIds": self.key_ids})
