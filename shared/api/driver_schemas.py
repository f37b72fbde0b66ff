"""Request and response bodies of the driver app API (/v1/driver/..., camelCase JSON, money as decimal
strings)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt

from shared.api.billing_schemas import Amount, CdrView, InvoiceView, TariffView, WalletView
from shared.api.schemas import (
    ID_TOKEN_PATTERN,
    IDENTIFIER_PATTERN,
    MAX_EVSE_ID,
    ApiModel,
    ViewModel,
)
from shared.billing.wallets import AccountType
from shared.domain.base import UtcDatetime
from shared.domain.commands import CommandStatus
from shared.domain.sessions import SessionStatus
from shared.domain.stations import STATION_ID_PATTERN


class DriverAccountView(ViewModel):
    billing_account_id: str
    type: AccountType
    currency: str
    wallet_id: str | None = None
    id_tokens: list[str] = Field(description="The tokens whose sessions this account pays (upper case)")
    has_saved_card: bool = Field(description="Top-ups charge it through the payment provider")


class ConnectorAvailabilityView(ViewModel):
    connector_id: int = Field(description="What the QR label names: the 1.6 connectorId, the 2.0.1 evseId")
    status: str = Field(description="As the station reported it (Available, Charging, Occupied, Faulted...)")
    available: bool = Field(description="The station is online and the connector reports Available")


class DriverStationView(ViewModel):
    station_id: str
    site_id: str | None = None
    site_name: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    distance_km: float | None = Field(default=None, description="From the point asked about (nearby only)")
    state: Literal["online", "faulted", "reconnecting", "offline"]
    available_connectors: int
    connectors: list[ConnectorAvailabilityView]
    price: TariffView | None = Field(
        default=None, description="The tariff a session started now would be priced at (for this driver)"
    )


class DriverStationList(ViewModel):
    items: list[DriverStationView]


class StartByQr(ApiModel):
    """What the QR code on the charger says (station and connector), and optionally which token."""

    station_id: str = Field(pattern=STATION_ID_PATTERN)
    connector_id: StrictInt = Field(
        ge=1, le=MAX_EVSE_ID, description="The connector on the QR label: 1.6 connectorId, 2.0.1 evseId"
    )
    id_token: str | None = Field(
        default=None,
        pattern=ID_TOKEN_PATTERN,
        description="One of the account's tokens; when omitted, the account's first active token",
    )


class StartView(ViewModel):
    """A start the driver asked for; poll GET /v1/driver/starts/{commandId} until ``sessionId`` is set."""

    command_id: str
    station_id: str
    connector_id: int | None = None
    id_token: str | None = None
    status: CommandStatus = Field(description="The station's answer: pending, accepted, rejected, ...")
    session_id: str | None = Field(default=None, description="Set once the station began the session")
    created_at: UtcDatetime


class StopView(ViewModel):
    command_id: str
    session_id: str
    status: CommandStatus


class CostSoFarView(ViewModel):
    amount: str = Field(description="Including VAT")
    currency: str
    final: bool = Field(description="True once billing priced the session; before that a quote")


class DriverSessionView(ViewModel):
    session_id: str
    station_id: str
    site_id: str | None = None
    connector_id: int = Field(description="The EVSE (1.6: the connector)")
    id_token: str | None = None
    status: SessionStatus
    started_at: UtcDatetime
    stopped_at: UtcDatetime | None = None
    stop_reason: str | None = None
    energy_wh: float | None = Field(default=None, description="So far, from the newest register reading")
    power_w: float | None = Field(default=None, description="The newest power reading, while active")
    reading_at: UtcDatetime | None = Field(default=None, description="When the newest reading was taken")
    cost: CostSoFarView | None = Field(default=None, description="None when no tariff prices it")


class DriverSessionSummary(ViewModel):
    session_id: str
    station_id: str
    site_id: str | None = None
    connector_id: int
    status: SessionStatus
    started_at: UtcDatetime
    stopped_at: UtcDatetime | None = None
    energy_wh: float | None = Field(default=None, description="Of an ended session; null while active")


class DriverSessionList(ViewModel):
    items: list[DriverSessionSummary]
    next_cursor: str | None = None


class ReceiptView(ViewModel):
    session_id: str
    station_id: str
    started_at: UtcDatetime
    stopped_at: UtcDatetime | None = None
    cdr: CdrView
    invoices: list[InvoiceView] = Field(description="This account's invoices for the session")


class DriverTopUp(ApiModel):
    amount: Amount
    top_up_id: str | None = Field(
        default=None,
        pattern=IDENTIFIER_PATTERN,
        description="Idempotency key: the same id again charges and credits once; generated when omitted",
    )


class TopUpView(ViewModel):
    top_up_id: str
    amount: str
    status: Literal["succeeded", "processing"] = Field(
        description="succeeded: the wallet is credited; processing: the provider settles it later (the "
        "wallet is not credited by this call)"
    )
    payment_reference: str | None = None
    wallet: WalletView
