"""Environment settings of every Lambda, validated once per cold start."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.storage.buckets import ALL_BUCKETS, BucketDefinition
from shared.storage.tables import ALL_TABLES, TableDefinition


def _table_names_from_environment() -> dict[str, str]:
    """Each table's physical name from the environment variable its definition names (CDK sets them),
    or its default name (local platform, tests)."""
    return {table.env_var: os.environ.get(table.env_var, table.default_name) for table in ALL_TABLES}


def _bucket_names_from_environment() -> dict[str, str]:
    return {bucket.env_var: os.environ.get(bucket.env_var, bucket.default_name) for bucket in ALL_BUCKETS}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    table_names: dict[str, str] = Field(
        default_factory=_table_names_from_environment,
        description="Physical table name per table env var; derived from shared/storage/tables.py.",
    )

    bucket_names: dict[str, str] = Field(
        default_factory=_bucket_names_from_environment,
        description="Physical bucket name per bucket env var; derived from shared/storage/buckets.py.",
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
    command_queue_seconds: int = Field(
        default=300,
        ge=1,
        description="How long a call may wait behind the station's call in flight (OCPP-J: one at a time) "
        "before it reads as timed out.",
    )
    data_transfer_vendors: list[str] = Field(
        default_factory=list,
        description="DataTransfer vendorIds the platform understands; any other is answered UnknownVendorId.",
    )
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

    # --- device management: firmware campaigns, diagnostics, alerts ------------------------------------
    firmware_campaign_tick_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="How often a running campaign's driver looks for stations to start (Standard workflow "
        "Wait: 3 state transitions per look).",
    )
    firmware_retry_seconds: int = Field(
        default=300,
        ge=1,
        description="How long a station's update waits before trying again while the station is offline, "
        "charging or busy with another update (never past its deadline).",
    )
    firmware_upload_url_seconds: int = Field(
        default=3600, ge=60, le=7 * 24 * 3600, description="Validity of a firmware image upload URL."
    )
    diagnostics_url_seconds: int = Field(
        default=3600, ge=60, le=7 * 24 * 3600, description="Validity of a diagnostics download link."
    )
    diagnostics_retention_days: int = Field(default=30, ge=1, description="As the diagnostics bucket's.")
    boot_loop_boots: int = Field(
        default=3, ge=2, description="This many boots within boot_loop_window_seconds raise a BootLoop alert."
    )
    boot_loop_window_seconds: int = Field(default=600, ge=10)
    alert_retention_days: int = Field(default=90, ge=1, description="Acknowledged alerts are kept this long.")
    stripe_secret_arn: str | None = Field(
        default=None,
        description="Secrets Manager secret (JSON: apiKey, webhookSecret) of the Stripe payment provider; "
        "unset means card payments and the Stripe webhook are not configured.",
    )
    payment_retry_base_seconds: int = Field(
        default=60,
        ge=0,
        description="First delay after a retryable payment failure (x4 per attempt, capped at 6 h).",
    )

    def table_name(self, table: TableDefinition) -> str:
        return self.table_names.get(table.env_var, table.default_name)

    def bucket_name(self, bucket: BucketDefinition) -> str:
        return self.bucket_names.get(bucket.env_var, bucket.default_name)

    def table_environment(self) -> dict[str, str]:
        return {table.env_var: self.table_name(table) for table in ALL_TABLES}


def default_bucket_environment() -> dict[str, str]:
    """Every bucket at its default name (the local platform creates them so)."""
    return {bucket.env_var: bucket.default_name for bucket in ALL_BUCKETS}


def default_table_environment() -> dict[str, str]:
    """Every table at its default name, whatever the shell exports (the local platform names its own)."""
    return {table.env_var: table.default_name for table in ALL_TABLES}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
