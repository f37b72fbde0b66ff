"""Bodies of the typed station endpoints that work on both protocols (availability, unlock, trigger,
reservations, local lists, configuration and device model, firmware, logs, charging-profile transport).
Each request is neutral; the station's protocol maps it (and says, as a 400, what it cannot express)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool, StrictInt

from shared.api.schemas import (
    ID_TOKEN_PATTERN,
    MAX_EVSE_ID,
    ApiDatetime,
    ApiModel,
    CommandView,
    IdTokenTypeName,
    ViewModel,
)
from shared.domain.base import UtcDatetime
from shared.domain.charging_profiles import ChargingProfile, ProfilePurpose
from shared.domain.id_tokens import AuthorizationStatus
from shared.domain.local_lists import LocalListUpdate
from shared.domain.reservations import ReservationStatus

IdTokenType = IdTokenTypeName


class AvailabilityRequest(ApiModel):
    operative: StrictBool
    evse_id: StrictInt | None = Field(
        default=None, ge=0, le=MAX_EVSE_ID, description="None or 0: the whole station (1.6 connector 0)"
    )
    connector_id: StrictInt | None = Field(
        default=None, ge=1, le=MAX_EVSE_ID, description="2.0.1 only: one connector of the EVSE"
    )


class UnlockRequest(ApiModel):
    evse_id: StrictInt = Field(ge=1, le=MAX_EVSE_ID, description="1.6: the connector id")
    connector_id: StrictInt | None = Field(default=None, ge=1, le=MAX_EVSE_ID)


class TriggerRequest(ApiModel):
    message: Literal[
        "BootNotification",
        "Heartbeat",
        "StatusNotification",
        "MeterValues",
        "FirmwareStatusNotification",
        "LogStatusNotification",
        "DiagnosticsStatusNotification",
        "TransactionEvent",
    ] = Field(description="Log- and DiagnosticsStatusNotification are one message in 2.0.1's and 1.6's names")
    evse_id: StrictInt | None = Field(default=None, ge=0, le=MAX_EVSE_ID)
    connector_id: StrictInt | None = Field(default=None, ge=1, le=MAX_EVSE_ID)


class DataTransferRequest(ApiModel):
    vendor_id: str = Field(min_length=1, max_length=255)
    message_id: str | None = Field(default=None, max_length=50)
    data: Any = Field(default=None, description="1.6 sends anything but text as its JSON")


class FirmwareRequest(ApiModel):
    location: str = Field(min_length=1, max_length=512, description="URI the station downloads from")
    retrieve_at: ApiDatetime
    install_at: ApiDatetime | None = None
    retries: StrictInt | None = Field(default=None, ge=0, le=100)
    retry_interval: StrictInt | None = Field(default=None, ge=0, le=86_400)
    signing_certificate: str | None = Field(default=None, max_length=5500, description="2.0.1 only")
    signature: str | None = Field(default=None, max_length=800, description="2.0.1 only")


class LogRequest(ApiModel):
    location: str = Field(min_length=1, max_length=512, description="URI the station uploads to")
    log_type: Literal["DiagnosticsLog", "SecurityLog"] = "DiagnosticsLog"
    oldest: ApiDatetime | None = None
    latest: ApiDatetime | None = None
    retries: StrictInt | None = Field(default=None, ge=0, le=100)
    retry_interval: StrictInt | None = Field(default=None, ge=0, le=86_400)


class ChargingProfileRequest(ApiModel):
    evse_id: StrictInt = Field(ge=0, le=MAX_EVSE_ID, description="0: the station as a whole")
    profile: ChargingProfile


class ClearProfilesRequest(ApiModel):
    profile_id: StrictInt | None = Field(default=None, ge=0)
    evse_id: StrictInt | None = Field(default=None, ge=0, le=MAX_EVSE_ID)
    purpose: ProfilePurpose | None = None
    stack_level: StrictInt | None = Field(default=None, ge=0)


class CompositeScheduleRequest(ApiModel):
    evse_id: StrictInt = Field(ge=0, le=MAX_EVSE_ID)
    duration: StrictInt = Field(ge=1, le=7 * 86_400, description="Seconds")
    rate_unit: Literal["A", "W"] | None = None


class InstalledProfileView(ViewModel):
    evse_id: int
    profile: ChargingProfile
    source: str
    charging_limit_source: str | None = None
    recorded_at: UtcDatetime


class InstalledProfileList(ViewModel):
    items: list[InstalledProfileView]


# --- reservations ---------------------------------------------------------------------------------


class ReservationCreate(ApiModel):
    id_token: str = Field(pattern=ID_TOKEN_PATTERN)
    id_token_type: IdTokenType | None = Field(default=None, description="2.0.1; the token's own when omitted")
    group_id_token: str | None = Field(default=None, pattern=ID_TOKEN_PATTERN)
    evse_id: StrictInt | None = Field(default=None, ge=1, le=MAX_EVSE_ID, description="None: any EVSE")
    connector_type: str | None = Field(
        default=None, max_length=20, description="2.0.1 only (cType2, cCCS2, ...)"
    )
    expires_at: ApiDatetime


class ReservationView(ViewModel):
    reservation_id: int
    station_id: str
    evse_id: int | None = None
    connector_type: str | None = None
    id_token: str
    id_token_type: str | None = None
    group_id_token: str | None = None
    expires_at: UtcDatetime
    status: ReservationStatus
    station_answer: str | None = None
    command_id: str | None = None
    session_id: str | None = None
    created_at: UtcDatetime


class ReservationBooked(ReservationView):
    command: CommandView


class ReservationList(ViewModel):
    items: list[ReservationView]
    next_cursor: str | None = None


# --- local lists ----------------------------------------------------------------------------------


class LocalListEntryBody(ApiModel):
    id_token: str = Field(min_length=1, max_length=36)
    id_token_type: IdTokenType | None = None
    status: AuthorizationStatus | None = Field(
        default=None, description="Omitted in a Differential update: the token is removed from the list"
    )
    expires_at: ApiDatetime | None = None
    parent_id_token: str | None = Field(default=None, max_length=36)


class LocalListRequest(ApiModel):
    update_type: LocalListUpdate = LocalListUpdate.FULL
    version: StrictInt | None = Field(default=None, ge=1, description="One above the station's when omitted")
    entries: list[LocalListEntryBody] | None = Field(
        default=None, max_length=1000, description="Omitted (Full only): the tenant's own ID tokens"
    )


class LocalListPushed(ViewModel):
    version: int
    update_type: LocalListUpdate
    entries: int
    command: CommandView


class LocalListEntryView(ViewModel):
    id_token: str
    id_token_type: str | None = None
    status: str | None = None
    expires_at: UtcDatetime | None = None
    parent_id_token: str | None = None


class LocalListView(ViewModel):
    version: int | None = None
    reported_version: int | None = None
    accepted_at: UtcDatetime | None = None
    reported_at: UtcDatetime | None = None
    entries: list[LocalListEntryView]


# --- configuration and device model ---------------------------------------------------------------


class ComponentBody(ApiModel):
    name: str = Field(min_length=1, max_length=50)
    instance: str | None = Field(default=None, max_length=50)
    evse_id: StrictInt | None = Field(default=None, ge=0, le=MAX_EVSE_ID)
    connector_id: StrictInt | None = Field(default=None, ge=0, le=MAX_EVSE_ID)


class VariableBody(ApiModel):
    name: str = Field(min_length=1, max_length=50)
    instance: str | None = Field(default=None, max_length=50)


class VariableReadBody(ApiModel):
    component: ComponentBody | None = Field(default=None, description="None: a 1.6 configuration key")
    variable: VariableBody
    attribute_type: Literal["Actual", "Target", "MinSet", "MaxSet"] | None = None


class VariableWriteBody(VariableReadBody):
    value: str = Field(max_length=1000)


class ReadVariablesRequest(ApiModel):
    variables: list[VariableReadBody] = Field(
        default_factory=list, max_length=100, description="1.6: none reads every key"
    )


class WriteVariablesRequest(ApiModel):
    variables: list[VariableWriteBody] = Field(min_length=1, max_length=100)


class ReportRequest(ApiModel):
    report_base: Literal["ConfigurationInventory", "FullInventory", "SummaryInventory"] = "FullInventory"


class VariableAttributeView(ViewModel):
    type: str
    value: str | None = None
    mutability: str | None = None
    persistent: bool | None = None
    constant: bool | None = None


class DeviceVariableView(ViewModel):
    component: ComponentBody | None = None
    variable: VariableBody
    attributes: list[VariableAttributeView]
    characteristics: dict[str, Any] | None = None
    source: str
    reported_at: UtcDatetime


class DeviceModelPage(ViewModel):
    items: list[DeviceVariableView]
    next_cursor: str | None = None


class ReportProgressView(ViewModel):
    request_id: int
    parts: list[int]
    last_seq_no: int | None = None
    complete: bool
    variables: int
    started_at: UtcDatetime
    completed_at: UtcDatetime | None = None


class ReportList(ViewModel):
    items: list[ReportProgressView]


class CommandsSent(ViewModel):
    items: list[CommandView]
