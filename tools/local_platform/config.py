"""Settings of the local platform, with defaults that need no configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"
DEFAULT_GATEWAY_PORT = 9000
DEFAULT_MOTO_PORT = 9001

# API Gateway WebSocket quotas that cannot be raised (see /work/shared/aws-facts.md).
FRAME_LIMIT_BYTES = 32 * 1024
MESSAGE_LIMIT_BYTES = 128 * 1024
IDLE_TIMEOUT_SECONDS = 600.0
MAX_CONNECTION_SECONDS = 7200.0


@dataclass(frozen=True)
class PlatformConfig:
    host: str = LOOPBACK
    gateway_port: int = DEFAULT_GATEWAY_PORT
    """0 picks a free port (tests)."""
    moto_port: int = DEFAULT_MOTO_PORT
    """0 picks a free port (tests)."""
    start_moto: bool = True
    """Gateway-only tests with fake handlers need no DynamoDB."""
    idle_timeout_seconds: float = IDLE_TIMEOUT_SECONDS
    max_connection_seconds: float = MAX_CONNECTION_SECONDS
    state_dir: Path = field(default_factory=lambda: Path(".local"))
    """Holds the JWT signing secret and the demo operator token."""
    region: str = "us-east-1"
    account_id: str = "000000000000"
    websocket_api_id: str = "localws"
    websocket_stage: str = "local"
    http_api_id: str = "localhttp"
    handler_workers: int = 16
    """Threads that run handler invocations; each Lambda invocation is a blocking call."""
