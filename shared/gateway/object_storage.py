"""S3 through presigned URLs: the Lambdas sign, chargers and operators move the bytes.

A presigned URL is signed with the function's own (temporary) role credentials, so it stops working when
those expire, whatever its ``X-Amz-Expires`` says (Lambda's last hours at most): URLs for chargers are
minted when the station's call is sent, valid for that station's deadline. The upload URL of a firmware
image signs its SHA-256 twice: as ``x-amz-checksum-sha256`` (S3 refuses an upload whose bytes differ, with
BadDigest) and as ``x-amz-meta-sha256`` metadata, which every download returns, so a charger (or the
simulator) can check what it got.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from shared.aws_clients import client
from shared.ports import PresignedRequest, StoredObject

SHA256_METADATA = "sha256"
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


@lru_cache(maxsize=1)
def s3_client() -> Any:
    # SigV4 always (presigned SigV2 URLs are refused in newer regions); the endpoint comes from
    # AWS_ENDPOINT_URL_S3 locally (path-style on moto's IP address, as botocore chooses for it).
    return client(
        "s3", config=Config(signature_version="s3v4", retries={"mode": "standard", "max_attempts": 3})
    )


def sha256_base64(sha256_hex: str) -> str:
    return base64.b64encode(bytes.fromhex(sha256_hex)).decode()


class S3Objects:
    def __init__(self, s3: Any, clock: Any = None) -> None:
        self._s3 = s3
        self._clock = clock or (lambda: datetime.now(UTC))

    def presign_upload(
        self, bucket: str, key: str, expires_seconds: int, *, sha256_hex: str | None = None
    ) -> PresignedRequest:
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, "ContentType": "application/octet-stream"}
        headers = {"Content-Type": "application/octet-stream"}
        if sha256_hex is not None:
            params["ChecksumSHA256"] = sha256_base64(sha256_hex)
            params["Metadata"] = {SHA256_METADATA: sha256_hex}
            headers["x-amz-checksum-sha256"] = params["ChecksumSHA256"]
            headers[f"x-amz-meta-{SHA256_METADATA}"] = sha256_hex
        url = self._s3.generate_presigned_url("put_object", Params=params, ExpiresIn=expires_seconds)
        return PresignedRequest(
            url=url,
            method="PUT",
            headers=headers,
            expires_at=self._clock() + timedelta(seconds=expires_seconds),
        )

    def presign_download(
        self, bucket: str, key: str, expires_seconds: int, *, file_name: str | None = None
    ) -> str:
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if file_name:
            safe = "".join(ch for ch in file_name if ch.isalnum() or ch in "._-")[:100] or "download"
            params["ResponseContentDisposition"] = f'attachment; filename="{safe}"'
        url: str = self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_seconds)
        return url

    def head(self, bucket: str, key: str) -> StoredObject | None:
        try:
            response = self._s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) in _MISSING:
                return None
            raise
        sha256_hex = (response.get("Metadata") or {}).get(SHA256_METADATA)
        checksum = response.get("ChecksumSHA256")
        if sha256_hex is None and checksum and "-" not in checksum:  # "-N": a multipart composite
            sha256_hex = base64.b64decode(checksum).hex()
        return StoredObject(size_bytes=int(response.get("ContentLength", 0)), sha256_hex=sha256_hex)
