"""Request and response bodies of the operator API (camelCase JSON).

Validation here is strict where lax parsing would store nonsense: booleans are JSON booleans, dates
must convert to UTC, time zones are IANA names, ID tokens fit OCPP 1.6's 20-character idTag.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

from shared.catalog import STATION_ID_PATTERN
from shared.domain.base import UtcDatetime
from shared.domain.commands import CommandStatus
from shared.domain.id_tokens import IdTokenStatus
from shared.domain.sessions import SessionStatus
from shared.domain.stations import Connectivity, RegistrationPolicy

IDENTIFIER_PATTERN = r"^[A-Za-z0-9._\-]{1,64}$"
IdTokenTypeName = Literal[
    "Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization"
]
"""OCPP 2.0.1 IdTokenEnumType (shared.domain.id_tokens.ID_TOKEN_TYPES)."""
PASSWORD_PATTERN = r"^[\x20-\x7e]+$"
"""OCPP 1.6 security profiles: the AuthorizationKey is printable ASCII (HTTP Basic auth, RFC 7617)."""
ID_TOKEN_PATTERN = r"^[\x21-\x7e]{1,20}$"
"""OCPP 1.6 idTag: CiString20Type; printable ASCII without spaces."""
SESSION_ID_PATTERN = r"^[A-Za-z0-9*\-_=+|@.]{1,48}:[A-Za-z0-9]{1,32}:[A-Za-z0-9._\-]{1,64}$"
"""<stationId>:<registrationId>:<transactionId> (shared.domain.sessions.session_id_for)."""
COMMAND_ID_PATTERN = r"^[A-Za-z0-9\-]{1,64}$"
MAX_EVSE_ID = 2**31 - 1
"""OCPP integers are 32-bit on every charger we know of."""


class ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", defer_build=True
    )


class ViewModel(BaseModel):
    """Response bodies: built from domain models, whose internal fields (tenant, hashes) are dropped."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )


class FieldProblem(ViewModel):
    field: str = Field(description="Where: 'body field ...', 'query field ...', 'path field ...' or 'body'")
    problem: str


class ErrorBody(ViewModel):
    """Every error the API answers (4xx), and API Gateway's own 401 (message only)."""

    message: str
    errors: list[FieldProblem] | None = Field(default=None, description="Each invalid field, when known")


def _in_utc(moment: datetime) -> datetime:
    """Naive times are UTC; a time that does not exist in UTC (0001-01-01T00:00+01:00) is refused."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("date-time is out of range once converted to UTC") from error


def _refuse_null(value: Any) -> Any:
    # Runs only for a value that was given: a field left out keeps its default without validation.
    if value is None:
        raise ValueError("may be left out, but not null")
    return value


NOT_NULL = BeforeValidator(_refuse_null)
"""For optional fields without a null meaning (their schema says so through SkipJsonSchema[None])."""

ApiDatetime = Annotated[UtcDatetime, AfterValidator(_in_utc)]


@lru_cache(maxsize=1)
def _time_zone_names() -> frozenset[str]:
    import zoneinfo

    # "localtime" is a file in some zoneinfo folders, not an IANA zone.
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


def _iana_time_zone(name: str) -> str:
    if name not in _time_zone_names():
        raise ValueError("not an IANA time zone name (such as Europe/Berlin or UTC)")
    return name


TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_iana_time_zone)]


Latitude = Annotated[float, Field(ge=-90, le=90, description="WGS 84 degrees, -90 to 90")]
Longitude = Annotated[float, Field(ge=-180, le=180, description="WGS 84 degrees, -180 to 180")]


class SiteCreate(ApiModel):
    site_id: str | None = Field(
        default=None, pattern=IDENTIFIER_PATTERN, description="Generated when omitted"
    )
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    timezone: TimeZoneName = "UTC"
    max_current_amps: float | None = Field(default=None, gt=0, le=100_000)
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class SiteView(ViewModel):
    site_id: str
    name: str
    address: str | None = None
    timezone: str
    max_current_amps: float | None = None
    latitude: float | None = None
    longitude: float | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime | None = None
    tariff_id: str | None = Field(
        default=None, description="The tariff assigned to the site (on one site's GET and PATCH, not lists)"
    )


class SiteUpdate(ApiModel):
    """Fields left out are unchanged."""

    tariff_id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9._\-]{1,36}$", description="Prices its sessions; null removes it"
    )


class SiteList(ViewModel):
    items: list[SiteView]
    next_cursor: str | None = None


class StationCreate(ApiModel):
    station_id: str = Field(pattern=STATION_ID_PATTERN, description="The id the station puts in its URL")
    site_id: str | None = Field(default=None, pattern=IDENTIFIER_PATTERN)
    password: str | None = Field(
        default=None,
        min_length=16,
        max_length=40,
        pattern=PASSWORD_PATTERN,
        description="OCPP Basic auth password (16 to 40 printable characters); generated when omitted",
    )
    registration: RegistrationPolicy = RegistrationPolicy.ACCEPTED


class StationUpdate(ApiModel):
    """Fields left out are unchanged; ``siteId`` set to null is removed. A station always keeps a
    password: give a new one to change it."""

    site_id: str | None = Field(default=None, pattern=IDENTIFIER_PATTERN)
    password: Annotated[str | SkipJsonSchema[None], NOT_NULL] = Field(
        default=None, min_length=16, max_length=40, pattern=PASSWORD_PATTERN
    )
    blocked: Annotated[StrictBool | SkipJsonSchema[None], NOT_NULL] = None
    registration: Annotated[RegistrationPolicy | SkipJsonSchema[None], NOT_NULL] = None
    tariff_id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9._\-]{1,36}$", description="Prices its sessions; null removes it"
    )


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
    operational_status: str = Field(
        default="Operative", description="As the operator set it (ChangeAvailability)"
    )
    inoperative_connectors: list[int] = Field(default_factory=list)
    availability_scheduled: bool = False


class DeviceStatusView(ViewModel):
    status: str
    request_id: int | None = None
    reported_at: UtcDatetime


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
    operational_status: str = Field(default="Operative", description="The station as a whole, as set")
    firmware: DeviceStatusView | None = Field(default=None, description="Last FirmwareStatusNotification")
    diagnostics: DeviceStatusView | None = Field(
        default=None, description="Last LogStatusNotification (2.0.1) or DiagnosticsStatusNotification (1.6)"
    )
    created_at: UtcDatetime
    tariff_id: str | None = Field(
        default=None,
        description="The tariff assigned to the station (on one station's GET and PATCH, not lists)",
    )


class StationRegistered(StationView):
    """The answer to a registration: the station, and what to type into the charger."""

    ocpp_url: str = Field(description="The charger's OCPP server URL (its station id is the last segment)")
    subprotocols: list[str] = Field(description="OCPP-J WebSocket subprotocols offered, preferred first")
    basic_auth_user: str = Field(description="The HTTP Basic auth user name: the station id")
    password: str | None = Field(
        default=None,
        description="The generated Basic auth password when none was given; shown only in this answer",
    )


class StationList(ViewModel):
    items: list[StationView]
    next_cursor: str | None = None


class IdTokenCreate(ApiModel):
    id_token: str = Field(
        pattern=ID_TOKEN_PATTERN, description="OCPP 1.6 idTag: 1 to 20 printable characters"
    )
    status: IdTokenStatus = IdTokenStatus.ACCEPTED
    expires_at: ApiDatetime | None = None
    parent_id_token: str | None = Field(default=None, pattern=ID_TOKEN_PATTERN)
    type: IdTokenTypeName | None = Field(
        default=None, description="2.0.1 type; a token registered with one is only that type"
    )
    personal_message: str | None = Field(default=None, max_length=512, description="Shown by 2.0.1 stations")
    language: str | None = Field(default=None, max_length=8)


class IdTokenUpdate(ApiModel):
    """Fields left out are unchanged; ``expiresAt``, ``parentIdToken``, ``type``, ``personalMessage`` or
    ``language`` set to null are removed."""

    status: Annotated[IdTokenStatus | SkipJsonSchema[None], NOT_NULL] = None
    expires_at: ApiDatetime | None = None
    parent_id_token: str | None = Field(default=None, pattern=ID_TOKEN_PATTERN)
    type: IdTokenTypeName | None = None
    personal_message: str | None = Field(default=None, max_length=512)
    language: str | None = Field(default=None, max_length=8)


class IdTokenView(ViewModel):
    id_token: str
    status: IdTokenStatus
    expires_at: UtcDatetime | None = None
    parent_id_token: str | None = None
    type: str | None = None
    personal_message: str | None = None
    language: str | None = None
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
    protocol: str | None = None
    id_token_type: str | None = None
    trigger_reason: str | None = None
    charging_state: str | None = None
    remote_start_id: int | None = None
    reservation_id: int | None = None
    offline_events: bool = False
    charging_needs: dict[str, Any] | None = Field(
        default=None, description="2.0.1 NotifyEVChargingNeeds: energy wanted, departure time, limits"
    )


class SessionCost(ViewModel):
    """The priced session (its CDR's totals, money as decimal strings), on GET /v1/sessions/{sessionId}."""

    total: str = Field(description="Including VAT")
    total_excl_vat: str
    currency: str
    cdr_id: str
    flags: list[str]
    breakdown: list[dict[str, Any]]


class SessionDetail(SessionView):
    meter_values: list[MeterValueView]
    cost: SessionCost | None = Field(default=None, description="Once the session is priced (its CDR)")


class SessionList(ViewModel):
    items: list[SessionView]
    next_cursor: str | None = None


class CommandCreate(ApiModel):
    action: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$", description="An OCPP action the CSMS may send"
    )
    payload: dict[str, Any] = Field(
        default_factory=dict, description="The call's payload, as the OCPP version's schema defines it"
    )


class RemoteStart(ApiModel):
    id_token: str = Field(pattern=ID_TOKEN_PATTERN)
    evse_id: StrictInt | None = Field(default=None, ge=1, le=MAX_EVSE_ID)
    id_token_type: IdTokenTypeName | None = Field(
        default=None, description="2.0.1: the token's registered type, or Central, when omitted"
    )


class RemoteStop(ApiModel):
    session_id: str | None = Field(default=None, pattern=SESSION_ID_PATTERN)
    evse_id: StrictInt | None = Field(
        default=None, ge=1, le=MAX_EVSE_ID, description="Stops the active session on this EVSE"
    )


class ResetRequest(ApiModel):
    type: Literal["Soft", "Hard", "Immediate", "OnIdle"] = Field(
        default="Soft",
        description="OCPP 1.6 stations take Soft or Hard (Immediate is sent as Hard); OCPP 2.0.1 stations "
        "Immediate or OnIdle (Soft and Hard are sent as Immediate)",
    )
    evse_id: StrictInt | None = Field(default=None, ge=1, le=MAX_EVSE_ID, description="2.0.1 only: one EVSE")


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
    data: Any = Field(default=None, description="1.6: text; 2.0.1: any JSON")
    status: str | None = None
    request_id: int | None = None
    payload: dict[str, Any] | None = Field(
        default=None, description="2.0.1 messages as the station sent them"
    )


class StationMessageList(ViewModel):
    items: list[StationMessageView]
