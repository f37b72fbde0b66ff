"""Settings of the local platform, with defaults that need no configuration."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tools.local_platform.data_retention import DEFAULT_BUDGET_BYTES

LOOPBACK = "127.0.0.1"
DEFAULT_GATEWAY_PORT = 9000
DEFAULT_MOTO_PORT = 9001

# API Gateway WebSocket quotas that cannot be raised (see /work/shared/aws-facts.md).
FRAME_LIMIT_BYTES = 32 * 1024
MESSAGE_LIMIT_BYTES = 128 * 1024
IDLE_TIMEOUT_SECONDS = 600.0
MAX_CONNECTION_SECONDS = 7200.0


def _default_function_log_level() -> str:
    return os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO")


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
    isolation: Literal["process", "thread"] = "process"
    """``process``: each function in its own worker process with its own environment (as in Lambda);
    ``thread``: every handler on this process's threads (handler overrides always run that way)."""
    handler_workers: int = 16
    """Threads for in-process handlers."""
    function_concurrency: int = 4
    """Execution environments (worker processes) per function: each runs one invocation at a time, as a
    Lambda container does; another starts when all are busy, up to this many (then invocations queue)."""
    function_log_level: str = field(default_factory=_default_function_log_level)
    """POWERTOOLS_LOG_LEVEL of every function (the stack's ``logLevel`` context)."""
    function_environment: Mapping[str, str] = field(default_factory=dict)
    """Extra variables for every function, e.g. ``{"COMMAND_TIMEOUT_SECONDS": "5"}``."""
    history_budget_bytes: int = DEFAULT_BUDGET_BYTES
    """Item bytes kept in the history tables before the oldest are evicted (0: never)."""
    ttl_sweep_seconds: float = 60.0
    stream_batching_window_seconds: float | None = None
    """Overrides every DynamoDB stream mapping's batching window (tests; None: the catalog's)."""
    async_retry_delays: tuple[float, float] = (1.0, 2.0)
    """Seconds before each retry of a failed asynchronous invocation (AWS: about 60 and 120)."""
