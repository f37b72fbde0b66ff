"""Bodies of the onboarding routes: the tenant's enrollment policy and secret, the stations waiting for
approval."""

from __future__ import annotations

from pydantic import Field

from shared.api.schemas import IDENTIFIER_PATTERN, ApiModel, ViewModel
from shared.domain.base import UtcDatetime


class OnboardingSettingsView(ViewModel):
    pending_approval: bool = Field(
        description="Whether unregistered stations presenting the enrollment secret wait for approval "
        "(true while the tenant holds a secret); otherwise they are refused"
    )
    enrollment_secret_created_at: UtcDatetime | None = Field(
        description="When the current enrollment secret was issued (null: none)"
    )
    ocpp_url: str = Field(description="What chargers connect to, followed by /<stationId>")
    subprotocols: list[str] = Field(description="OCPP-J WebSocket subprotocols offered, preferred first")
    pending_limit: int = Field(description="At most this many stations wait; more are refused, unrecorded")
    pending_retention_hours: int = Field(
        description="A waiting station not seen for this long leaves the list"
    )
    rejection_hold_hours: int = Field(description="A rejected station is refused at once for this long")


class EnrollmentSecretIssued(ViewModel):
    """Shown once: only a digest is stored. The previous secret stops working at once."""

    enrollment_secret: str = Field(
        description="The Basic-auth password an unregistered charger presents (user: its station id)"
    )
    created_at: UtcDatetime
    ocpp_url: str = Field(description="What chargers connect to, followed by /<stationId>")
    subprotocols: list[str]


class PendingStationView(ViewModel):
    station_id: str
    first_seen_at: UtcDatetime
    last_seen_at: UtcDatetime
    attempts: int = Field(description="Connections it made while waiting")
    protocol: str | None = Field(description="Subprotocol of its latest connection (ocpp1.6, ocpp2.0.1)")
    vendor: str | None = Field(description="From its BootNotification; null until it booted")
    model: str | None
    firmware_version: str | None


class PendingStationList(ViewModel):
    items: list[PendingStationView]
    next_cursor: str | None = None


class PendingStationApproval(ApiModel):
    site_id: str | None = Field(
        default=None, pattern=IDENTIFIER_PATTERN, description="The site to place the station on"
    )
