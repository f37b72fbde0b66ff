"""Request and response bodies of the operator API (camelCase JSON)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared.catalog import STATION_ID_PATTERN
from shared.domain.base import UtcDatetime
from shared.domain.commands import CommandStatus
from shared.domain.id_tokens import IdTokenStatus
from shared.domain.sessions import SessionStatus
from shared.domain.stations import Connectivity, RegistrationPolicy

IDENTIFIER_PATTERN = r"^[A-Za-z0-9._\-]{1,64}$"


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ViewModel(BaseModel):
    """Response bodies: built from domain models, whose internal fields (tenant, hashes) are dropped."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class ErrorBody(ApiModel):
    message: str


class SiteCreate(ApiModel):
    site_id: str | None = Field(
        default=None, pattern=IDENTIFIER_PATTERN, description="Generated when omitted"
    )
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    timezone: str = Field(default="UTC", max_length=64)
    max_current_amps: float | None = Field(default=None, gt=0, le=100_000)


class SiteView(ViewModel):
    site_id: str
    name: str
    address: str | None = None
    timezone: str
    max_current_amps: float | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime | None = None


class StationCreate(ApiModel):
    station_id: str = Field(pattern=STATION_ID_PATTERN, description="The id the station puts in its URL")
    site_id: str | None = Field(default=None, pattern=IDENTIFIER_PATTERN)
    password: str | None = Field(
        default=None,
        min_length=16,
        max_length=40,
        description="OCPP Basic auth password (16 to 40 characters)",
    )
    registration: RegistrationPolicy = RegistrationPolicy.ACCEPTED


class StationUpdate(ApiModel):
    """Fields left out are unchanged; ``siteId`` or ``password`` set to null are removed."""

    site_id: str | None = Field(default=None, pattern=IDENTIFIER_PATTERN)
    password: str | None = Field(default=None, min_length=16, max_length=40)
    blocked: bool | None = None
    registration: RegistrationPolicy | None = None


class ConnectorView(ViewModel):
    connector_id: int
    status: str
    error_code: str | None = None
    info: str | None = None
    vendor_error_code: str | None = None
    reported_at: UtcDatetime


class EvseView(ViewModel):
    evse_id: int
    connectors: list[ConnectorView]


class StationView(ViewModel):
    station_id: str
    site_id: str | None = None
    online: bool
    connectivity: Connectivity
    protocol: str | None = None
    connected_at: UtcDatetime | None = None
    last_seen: UtcDatetime | None = None
    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    firmware_version: str | None = None
    boot_status: RegistrationPolicy | None = None
    registration: RegistrationPolicy
    blocked: bool
    has_password: bool
    status: str | None = Field(default=None, description="Status of the station as a whole (connector 0)")
    error_code: str | None = None
    evses: list[EvseView]
    created_at: UtcDatetime


class StationList(ViewModel):
    items: list[StationView]
    next_cursor: str | None = None


class IdTokenCreate(ApiModel):
    id_token: str = Field(min_length=1, max_length=36, pattern=r"^[\x21-\x7e]+$")
    status: IdTokenStatus = IdTokenStatus.ACCEPTED
    expires_at: UtcDatetime | None = None
    parent_id_token: str | None = Field(default=None, min_length=1, max_length=36)


class IdTokenUpdate(ApiModel):
    status: IdTokenStatus | None = None
    expires_at: UtcDatetime | None = None
    parent_id_token: str | None = Field(default=None, min_length=1, max_length=36)


class IdTokenView(ViewModel):
    id_token: str
    status: IdTokenStatus
    expires_at: UtcDatetime | None = None
    parent_id_token: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime | None = None


class IdTokenList(ViewModel):
    items: list[IdTokenView]
    next_cursor: str | None = None


class SampledValueView(ViewModel):
    value: str
    context: str | None = None
    format: str | None = None
    measurand: str | None = None
    phase: str | None = None
    location: str | None = None
    unit: str | None = None


class MeterValueView(ViewModel):
    timestamp: UtcDatetime
    sampled_value: list[SampledValueView]


class SessionView(ViewModel):
    session_id: str
    station_id: str
    site_id: str | None = None
    evse_id: int
    connector_id: int
    transaction_id: str
    status: SessionStatus
    id_token: str | None = None
    id_token_status: str | None = None
    started_at: UtcDatetime
    stopped_at: UtcDatetime | None = None
    meter_start_wh: float | None = None
    meter_stop_wh: float | None = None
    energy_wh: float | None = None
    stop_reason: str | None = None
    stop_id_token: str | None = None
    orphan: bool = False


class SessionDetail(SessionView):
    meter_values: list[MeterValueView]


class SessionList(ViewModel):
    items: list[SessionView]
    next_cursor: str | None = None


class CommandCreate(ApiModel):
    action: str = Field(min_length=1, max_length=64, description="An OCPP action the CSMS may send")
    payload: dict[str, Any] = Field(default_factory=dict)


class RemoteStart(ApiModel):
    id_token: str = Field(min_length=1, max_length=20)
    evse_id: int | None = Field(default=None, ge=1)


class RemoteStop(ApiModel):
    session_id: str | None = None
    evse_id: int | None = Field(default=None, ge=1, description="Stops the active session on this EVSE")


class ResetRequest(ApiModel):
    type: Literal["Soft", "Hard", "Immediate", "OnIdle"] = Field(
        default="Soft",
        description="OCPP 1.6 stations take Soft or Hard (Immediate is sent as Hard); OCPP 2.0.1 stations "
        "Immediate or OnIdle",
    )


class CommandView(ViewModel):
    command_id: str
    station_id: str
    action: str
    payload: dict[str, Any]
    status: CommandStatus
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    created_at: UtcDatetime
    completed_at: UtcDatetime | None = None


class CommandList(ViewModel):
    items: list[CommandView]


class StationMessageView(ViewModel):
    kind: str
    received_at: UtcDatetime
    vendor_id: str | None = None
    message_id: str | None = None
    data: str | None = None
    status: str | None = None


class StationMessageList(ViewModel):
    items: list[StationMessageView]
