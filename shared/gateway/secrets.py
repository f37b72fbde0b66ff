"""Secrets Manager: JSON secrets read once per warm container (API keys never sit in the environment)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from shared.aws_clients import client


@lru_cache(maxsize=8)
def secret_json(secret_arn: str) -> dict[str, Any]:
    response = client("secretsmanager").get_secret_value(SecretId=secret_arn)
    value = json.loads(response["SecretString"])
    if not isinstance(value, dict):
        raise ValueError(f"secret {secret_arn} is not a JSON object")
    return value
