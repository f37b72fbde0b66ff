"""Every S3 bucket the Lambdas use, declared once (like the tables): CDK grants and names them, the local
platform creates them in moto, and the functions find each physical name in ``env_var``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BucketDefinition:
    logical_id: str
    """The bucket's construct id in infra/object_storage.py."""
    default_name: str
    """Physical name locally and in tests (CloudFormation names the deployed buckets)."""
    env_var: str


FIRMWARE_IMAGES = BucketDefinition("Firmware", "csms-firmware", "FIRMWARE_BUCKET")
"""Firmware images: operators upload through a presigned PUT, chargers download through a presigned GET."""
DIAGNOSTICS_UPLOADS = BucketDefinition("Diagnostics", "csms-diagnostics", "DIAGNOSTICS_BUCKET")
"""What chargers upload for GetDiagnostics / GetLog, through a presigned PUT."""

ALL_BUCKETS: tuple[BucketDefinition, ...] = (FIRMWARE_IMAGES, DIAGNOSTICS_UPLOADS)
