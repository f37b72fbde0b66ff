"""Environment settings of every Lambda, validated once per cold start."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.storage.tables import (
    ALL_TABLES,
    COMMANDS,
    ID_TOKENS,
    IDEMPOTENCY,
    METER_VALUES,
    SESSIONS,
    SITES,
    STATION_MESSAGES,
    STATIONS,
    TableDefinition,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    stations_table: str = STATIONS.default_name
    sessions_table: str = SESSIONS.default_name
    meter_values_table: str = METER_VALUES.default_name
    id_tokens_table: str = ID_TOKENS.default_name
    sites_table: str = SITES.default_name
    commands_table: str = COMMANDS.default_name
    station_messages_table: str = STATION_MESSAGES.default_name
    idempotency_table: str = IDEMPOTENCY.default_name

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
    command_timeout_seconds: int = Field(default=60, ge=1)
    command_retention_days: int = Field(default=30, ge=1)
    station_message_retention_days: int = Field(default=90, ge=1)

    def table_name(self, table: TableDefinition) -> str:
        name: str = getattr(self, table.env_var.lower())
        return name

    def table_environment(self) -> dict[str, str]:
        return {table.env_var: self.table_name(table) for table in ALL_TABLES}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
