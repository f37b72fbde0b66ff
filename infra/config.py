"""The stack's settings, read once from CDK context (``cdk.json`` or ``-c key=value``).

Nothing here talks to AWS: synthesis needs no credentials, no lookups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from constructs import Node

from infra.constants import (
    DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
    DEFAULT_LOG_LEVEL,
    DEFAULT_STACK_NAME,
    ContextKey,
)

_LOG_LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})
_CLOUDFRONT_CERTIFICATE_REGION = "us-east-1"


class ConfigError(ValueError):
    """A context value is missing, malformed or inconsistent with another one."""


def _as_bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise ConfigError(f"context {key!r} must be true or false, got {value!r}")


def _as_list(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(f"context {key!r} must be a list or a comma-separated string, got {value!r}")


@dataclass(frozen=True)
class CustomDomain:
    domain_name: str
    certificate_arn: str
    hosted_zone_id: str | None = None
    hosted_zone_name: str | None = None


@dataclass(frozen=True)
class StackConfig:
    stack_name: str = DEFAULT_STACK_NAME
    bundle_dependencies: bool = True
    custom_domain: CustomDomain | None = None
    web_acl_arn: str | None = None
    alarm_email: str | None = None
    alert_email: str | None = None
    cors_allowed_origins: tuple[str, ...] = ()
    log_level: str = DEFAULT_LOG_LEVEL
    heartbeat_interval_seconds: int = DEFAULT_HEARTBEAT_INTERVAL_SECONDS
    manage_api_gateway_account: bool = True

    @classmethod
    def from_node(cls, node: Node) -> StackConfig:
        return cls.from_mapping({key: node.try_get_context(key) for key in _context_keys()})

    @classmethod
    def from_mapping(cls, context: dict[str, Any]) -> StackConfig:
        def get(key: str) -> Any:
            return context.get(key)

        domain_name, certificate_arn = get(ContextKey.DOMAIN_NAME), get(ContextKey.CERTIFICATE_ARN)
        if bool(domain_name) != bool(certificate_arn):
            raise ConfigError(
                f"{ContextKey.DOMAIN_NAME!r} and {ContextKey.CERTIFICATE_ARN!r} go together: "
                "CloudFront needs an ACM certificate (in us-east-1) for the charger domain"
            )
        custom_domain = None
        if domain_name:
            if f":acm:{_CLOUDFRONT_CERTIFICATE_REGION}:" not in str(certificate_arn):
                raise ConfigError(
                    f"CloudFront only accepts ACM certificates from us-east-1: {certificate_arn}"
                )
            zone_id, zone_name = get(ContextKey.HOSTED_ZONE_ID), get(ContextKey.HOSTED_ZONE_NAME)
            if bool(zone_id) != bool(zone_name):
                raise ConfigError(
                    f"{ContextKey.HOSTED_ZONE_ID!r} and {ContextKey.HOSTED_ZONE_NAME!r} go together"
                )
            custom_domain = CustomDomain(str(domain_name), str(certificate_arn), zone_id, zone_name)

        log_level = str(get(ContextKey.LOG_LEVEL) or DEFAULT_LOG_LEVEL).upper()
        if log_level not in _LOG_LEVELS:
            raise ConfigError(f"context {ContextKey.LOG_LEVEL!r} must be one of {sorted(_LOG_LEVELS)}")

        heartbeat = int(get(ContextKey.HEARTBEAT_INTERVAL_SECONDS) or DEFAULT_HEARTBEAT_INTERVAL_SECONDS)
        if not 10 <= heartbeat <= 540:
            # shared/settings.py enforces the same bounds at cold start; failing at synth is kinder.
            raise ConfigError(
                "heartbeatIntervalSeconds must be within 10..540 (API Gateway idles out at 600)"
            )

        alarm_email = get(ContextKey.ALARM_EMAIL)
        alert_email = get(ContextKey.ALERT_EMAIL)
        for key, address in ((ContextKey.ALARM_EMAIL, alarm_email), (ContextKey.ALERT_EMAIL, alert_email)):
            if address and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", str(address)):
                raise ConfigError(f"context {key!r} is not an e-mail address")

        origins = _as_list(get(ContextKey.CORS_ALLOWED_ORIGINS), ContextKey.CORS_ALLOWED_ORIGINS)
        for origin in origins:
            if origin == "*" or not re.fullmatch(r"https?://[^/\s]+", origin):
                raise ConfigError(f"CORS origins are scheme://host[:port], never '*': {origin!r}")

        def flag(key: str, default: bool) -> bool:
            value = get(key)
            return default if value is None else _as_bool(value, key)

        return cls(
            stack_name=str(get(ContextKey.STACK_NAME) or DEFAULT_STACK_NAME),
            bundle_dependencies=flag(ContextKey.BUNDLE_DEPENDENCIES, True),
            custom_domain=custom_domain,
            web_acl_arn=get(ContextKey.WEB_ACL_ARN) or None,
            alarm_email=alarm_email or None,
            alert_email=alert_email or None,
            cors_allowed_origins=origins,
            log_level=log_level,
            heartbeat_interval_seconds=heartbeat,
            manage_api_gateway_account=flag(ContextKey.MANAGE_API_GATEWAY_ACCOUNT, True),
        )


def _context_keys() -> list[str]:
    return [value for name, value in vars(ContextKey).items() if name.isupper()]
