"""Environment settings of every Lambda, validated once per cold start."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.storage.tables import ALL_TABLES, TableDefinition


def _table_names_from_environment() -> dict[str, str]:
    """Each table's physical name from the environment variable its definition names (CDK sets them),
    or its default name (local platform, tests)."""
    return {table.env_var: os.environ.get(table.env_var, table.default_name) for table in ALL_TABLES}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    table_names: dict[str, str] = Field(
        default_factory=_table_names_from_environment,
        description="Physical table name per table env var; derived from shared/storage/tables.py.",
    )

    management_api_endpoint: str | None = Field(
        default=None,
        description="https://{apiId}.execute-api.{region}.amazonaws.com/{stage} — never the CloudFront or "
        "custom domain, which answer 403 to @connections calls.",
    )
    event_bus_name: str | None = Field(
        default=None, description="EventBridge bus for domain events; unset means events are only logged."
    )

    publish_meter_value_events: bool = Field(
        default=False,
        description="Also publish MeterValuesReceived to EventBridge. Off by default: it would double "
        "the cost of every MeterValues message, and the meter-values table's DynamoDB stream carries "
        "each sample anyway.",
    )

    ocpp_public_url: str = Field(
        default="ws://127.0.0.1:9000/ocpp",
        description="Where chargers connect, without the station id (wss://<domain>/ocpp in the cloud); "
        "the operator API tells it in each station registration.",
    )

    cors_allowed_origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:9000"],
        description="Origins the operator API answers CORS preflights for. In the cloud the HTTP API's own "
        "CORS configuration answers for these headers; the Lambda only has to answer OPTIONS with 2xx.",
    )

    heartbeat_interval_seconds: int = Field(
        default=300,
        ge=10,
        le=540,
        description="API Gateway closes a WebSocket idle for 10 minutes: stay well below it.",
    )
    boot_retry_interval_seconds: int = Field(default=60, ge=10, description="Interval for Pending/Rejected")
    last_seen_write_interval_seconds: int = Field(
        default=900, ge=0, description="Heartbeats refresh lastSeen in DynamoDB at most this often."
    )
    reconnect_grace_seconds: int = Field(
        default=120, ge=0, description="A station disconnected for less than this is 'reconnecting'."
    )
    max_evses_per_station: int = Field(
        default=32,
        ge=1,
        le=1000,
        description="EVSE (1.6: connector) ids above this are refused: each is stored on the station item, "
        "which DynamoDB limits to 400 KB.",
    )
    max_connectors_per_evse: int = Field(default=8, ge=1, le=100)
    command_timeout_seconds: int = Field(default=60, ge=1)
    command_retention_days: int = Field(default=30, ge=1)
    station_message_retention_days: int = Field(default=90, ge=1)
    allocator_signal_lead_seconds: float = Field(
        default=90.0,
        ge=0,
        le=3600,
        description="A grid signal's import limit applies this long before it starts: one scheduled run "
        "(a minute apart) always falls in between, with time for the chargers to accept the decreases.",
    )
    allocation_run_retention_days: int = Field(default=7, ge=1, description="Allocation runs kept")
    site_load_retention_days: int = Field(default=90, ge=1, description="Site load points kept")

    def table_name(self, table: TableDefinition) -> str:
        return self.table_names.get(table.env_var, table.default_name)

    def table_environment(self) -> dict[str, str]:
        return {table.env_var: self.table_name(table) for table in ALL_TABLES}


def default_table_environment() -> dict[str, str]:
    """Every table at its default name, whatever the shell exports (the local platform names its own)."""
    return {table.env_var: table.default_name for table in ALL_TABLES}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
