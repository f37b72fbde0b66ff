"""S3: firmware, diagnostics and the dashboard, plus the bucket their access logs go to.

All encrypted (SSE-S3), public access blocked, TLS 1.2+ only, retained on stack deletion.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constants import (
    ACCESS_LOGS_EXPIRATION_DAYS,
    DIAGNOSTICS_EXPIRATION_DAYS,
    FIRMWARE_NONCURRENT_VERSION_EXPIRATION_DAYS,
)
from infra.nag import acknowledge

_MINIMUM_TLS_VERSION = 1.2


def _secure_bucket(
    scope: Construct,
    construct_id: str,
    *,
    object_ownership: s3.ObjectOwnership,
    lifecycle_rules: list[s3.LifecycleRule],
    versioned: bool = False,
    server_access_logs_bucket: s3.IBucket | None = None,
) -> s3.Bucket:
    return s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        minimum_tls_version=_MINIMUM_TLS_VERSION,
        object_ownership=object_ownership,
        versioned=versioned,
        lifecycle_rules=lifecycle_rules,
        server_access_logs_bucket=server_access_logs_bucket,
        server_access_logs_prefix=f"s3/{construct_id.lower()}/" if server_access_logs_bucket else None,
        removal_policy=RemovalPolicy.RETAIN,
    )


class ObjectStorage(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = _secure_bucket(
            self,
            "AccessLogs",
            # CloudFront standard logging writes with ACLs, so this one bucket keeps them enabled.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ACCESS_LOGS_EXPIRATION_DAYS))],
        )
        acknowledge(
            self.access_logs,
            "AwsSolutions-S1",
            "This is the access-log bucket of the other buckets and CloudFront distributions; logging "
            "its own accesses into itself would loop, and a second log bucket would only move the finding.",
        )
        self.firmware = self._logged_bucket(
            "Firmware",
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=Duration.days(FIRMWARE_NONCURRENT_VERSION_EXPIRATION_DAYS)
                )
            ],
        )
        self.diagnostics = self._logged_bucket(
            "Diagnostics",
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(DIAGNOSTICS_EXPIRATION_DAYS))],
        )
        self.dashboard = self._logged_bucket("Dashboard", versioned=True, lifecycle_rules=[])

    def _logged_bucket(
        self, construct_id: str, *, lifecycle_rules: list[s3.LifecycleRule], versioned: bool = False
    ) -> s3.Bucket:
        return _secure_bucket(
            self,
            construct_id,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=lifecycle_rules,
            versioned=versioned,
            server_access_logs_bucket=self.access_logs,
        )
