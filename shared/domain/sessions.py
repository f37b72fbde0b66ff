"""Charging sessions (OCPP transactions) and their meter values, protocol-neutral."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from pydantic import Field

from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.id_tokens import AuthorizationStatus, IdTokenRef

ENERGY_REGISTER = "Energy.Active.Import.Register"
ACTIVE_POWER = "Power.Active.Import"
CURRENT_IMPORT = "Current.Import"

# A register reading beyond this is a charger bug (a petawatt-hour meter), not energy to bill or show.
_MAX_READING = 1e15
_MIN_READING = 1e-9

METER_VALUE_TOLERANCE = timedelta(seconds=60)
"""Meter values stamped this much before a session's start or after its end still belong to it (the
charger's own clock stamps both, so only rounding and sampling jitter separate them)."""


class LiveReading(DomainModel):
    at: UtcDatetime
    energy_register_wh: float | None = None
    power_w: float | None = None
    current_a: dict[str, float] | None = None
    """Per phase ("L1", "L2", "L3") or "total" when the station reports no phase."""


class SessionStatus(StrEnum):
    ACTIVE = "Active"
    COMPLETED = "Completed"


def session_id_for(station_id: str, registration_id: str, transaction_id: str) -> str:
    """Station ids never contain ':' (see STATION_ID_PATTERN), and the registration id changes whenever
    the station id is registered again, so this id is unambiguous, global, and never reused."""
    return f"{station_id}:{registration_id}:{transaction_id}"


class ChargingNeeds(DomainModel):
    """What the EV asked for (2.0.1 NotifyEVChargingNeeds, ISO 15118): the allocator's input."""

    requested_energy_transfer: str
    """AC_single_phase, AC_three_phase, DC, ..."""
    energy_wh: float | None = None
    departure_at: UtcDatetime | None = None
    min_current_a: float | None = None
    max_current_a: float | None = None
    max_voltage_v: float | None = None
    max_power_w: float | None = None
    state_of_charge: int | None = None
    ev_energy_capacity_wh: float | None = None
    full_soc: int | None = None
    bulk_soc: int | None = None
    max_schedule_tuples: int | None = None
    reported_at: UtcDatetime


class Session(DomainModel):
    session_id: str
    tenant_id: str
    station_id: str
    registration_id: str
    site_id: str | None = None
    evse_id: int
    connector_id: int
    transaction_id: str
    protocol: str
    id_token: str | None = None
    id_token_type: str | None = None
    id_token_status: AuthorizationStatus | None = None
    status: SessionStatus = SessionStatus.ACTIVE
    started_at: UtcDatetime
    start_seen: bool = True
    """False while only a later event (an end, say) of the transaction has arrived: ``started_at`` is then
    a placeholder taken from that event and is replaced when the start arrives."""
    stopped_at: UtcDatetime | None = None
    meter_start_wh: float | None = None
    """The energy register when the transaction began (1.6 meterStart, 2.0.1 the Started event's reading)."""
    meter_stop_wh: float | None = None
    energy_wh: float | None = None
    stop_reason: str | None = None
    stop_id_token: str | None = None
    trigger_reason: str | None = None
    charging_state: str | None = None
    reservation_id: int | None = None
    remote_start_id: int | None = None
    last_seq_no: int | None = None
    """Highest sequence number applied to the fields that later events may change."""
    offline_events: bool = False
    """True when any event of the transaction was queued by the station while offline."""
    start_key: str | None = None
    """Identity of the station's start request, for stations whose transaction id the CSMS assigns: a
    resent start finds its session by it."""
    orphan: bool = False
    """True while the platform has seen the transaction end but never start."""
    closed_by_platform: str | None = None
    """Why the platform closed the session itself (e.g. StationDeleted), when the station did not."""
    charging_needs: ChargingNeeds | None = None
    """The EV's energy wanted and departure time (2.0.1 NotifyEVChargingNeeds), for the allocator."""
    cost: Decimal | None = None
    """The final cost the platform told the station (2.0.1 totalCost, incl. VAT in the tariff's currency),
    written with the update that closed the session; the CDR the billing workflow makes is the record."""
    live: LiveReading | None = None
    """The newest reading the meter-values stream projected onto the session while it is active (lists
    and the allocator read it; the session's detail computes from the meter values themselves)."""
    version: int = 0
    """Optimistic-concurrency counter: every write expects the version it read."""
    created_at: UtcDatetime
    updated_at: UtcDatetime | None = None

    def owns_sample_at(self, moment: datetime) -> bool:
        """Meter values belong to the session they were sent for, and only within its lifetime: a value sent
        for a transaction id before that transaction existed, or after it ended, belongs to none."""
        if self.start_seen and moment < self.started_at - METER_VALUE_TOLERANCE:
            return False
        return not (self.stopped_at is not None and moment > self.stopped_at + METER_VALUE_TOLERANCE)


class SampledValue(DomainModel):
    """One OCPP sampledValue, kept as the station sent it (value as text, as OCPP 1.6 sends it; a 2.0.1
    number is kept as its JSON text)."""

    value: str
    context: str | None = None
    format: str | None = None
    measurand: str | None = None
    phase: str | None = None
    location: str | None = None
    unit: str | None = None
    multiplier: int | None = None
    """2.0.1 unitOfMeasure.multiplier: the value is ``value * 10**multiplier`` in ``unit``."""
    signed_meter_value: dict[str, Any] | None = None
    """2.0.1 signedMeterValue (signedMeterData, signingMethod, encodingMethod, publicKey), kept as sent."""


class MeterValue(DomainModel):
    timestamp: UtcDatetime
    sampled_value: list[SampledValue] = Field(default_factory=list)


class MeterValuesRecord(DomainModel):
    """One MeterValues (or StopTransaction transactionData) message: one DynamoDB write."""

    session_id: str
    """The session's id, or ``station:<stationId>:<registrationId>:<evseId>`` for values sent outside a
    transaction."""
    sample_key: str
    tenant_id: str
    station_id: str
    evse_id: int
    transaction_id: str | None = None
    source: str
    """MeterValues, StopTransaction (transactionData) or TransactionEvent."""
    meter_values: list[MeterValue]
    received_at: UtcDatetime


def meter_values_partition(
    station_id: str, registration_id: str, evse_id: int, session_id: str | None
) -> str:
    return session_id if session_id is not None else f"station:{station_id}:{registration_id}:{evse_id}"


_WH_PER_UNIT = {"Wh": Decimal(1), "kWh": Decimal(1000), "W": Decimal(1), "kW": Decimal(1000), "A": Decimal(1)}


def reading_in_base_unit(sample: SampledValue) -> float | None:
    """The sample in Wh, W or A; None when it is signed, unparseable, in a unit we do not convert, or not a
    finite number a meter could show (``"1e400"`` is a valid Decimal but infinite as a float)."""
    if sample.format == "SignedData":
        return None
    try:
        number = Decimal(sample.value)
    except (InvalidOperation, ValueError):
        return None
    factor = _WH_PER_UNIT.get(sample.unit or ("A" if sample.measurand == CURRENT_IMPORT else "Wh"))
    if factor is None or not number.is_finite():
        return None
    if sample.multiplier:
        if abs(sample.multiplier) > 9:  # a register of 10^±10 units is no meter reading
            return None
        factor *= Decimal(10) ** sample.multiplier
    reading = float(number * factor)
    if not math.isfinite(reading) or abs(reading) > _MAX_READING:
        return None
    # Below any meter's resolution, and below what DynamoDB can store (1e-130): a 2.0.1 JSON number
    # such as 1.1e-308 is a legal zero reading.
    return 0.0 if abs(reading) < _MIN_READING else reading


def _readings(
    meter_values: list[MeterValue], measurand: str
) -> list[tuple[datetime, int, float, str | None]]:
    """(timestamp, rank, reading, context): a total reading ranks above a per-phase one. OCPP's default
    measurand is the energy register, so a sample with no measurand counts as energy."""
    found: list[tuple[datetime, int, float, str | None]] = []
    for meter_value in meter_values:
        for sample in meter_value.sampled_value:
            if (sample.measurand or ENERGY_REGISTER) != measurand:
                continue
            reading = reading_in_base_unit(sample)
            if reading is not None:
                found.append(
                    (meter_value.timestamp, 1 if sample.phase is None else 0, reading, sample.context)
                )
    return found


def latest_reading(meter_values: list[MeterValue], measurand: str) -> float | None:
    """The newest total reading of a measurand in Wh or W (a per-phase value counts only without a total)."""
    best: tuple[Any, int, float, str | None] | None = None
    for candidate in _readings(meter_values, measurand):
        if best is None or candidate[:2] >= best[:2]:
            best = candidate
    return None if best is None else best[2]


def earliest_reading(meter_values: list[MeterValue], measurand: str) -> float | None:
    best: tuple[Any, int, float, str | None] | None = None
    for candidate in _readings(meter_values, measurand):
        if best is None or (candidate[0], -candidate[1]) < (best[0], -best[1]):
            best = candidate
    return None if best is None else best[2]


def energy_between(start_wh: float | None, stop_wh: float | None) -> float | None:
    """A meter that went backwards (replaced or reset mid-session) yields 0, not a negative bill."""
    if start_wh is None or stop_wh is None:
        return None
    return max(stop_wh - start_wh, 0.0)


def readings_owned_by(session: Session, records: list[MeterValuesRecord]) -> list[MeterValue]:
    """The session's meter values in time order, without the ones sent outside its lifetime."""
    owned = [
        meter_value
        for record in records
        for meter_value in record.meter_values
        if session.owns_sample_at(meter_value.timestamp)
    ]
    owned.sort(key=lambda meter_value: meter_value.timestamp)
    return owned


def live_reading(values: list[MeterValue]) -> LiveReading | None:
    """The newest energy, power and per-phase current among the values (None without any of them)."""
    if not values:
        return None
    energy = latest_reading(values, ENERGY_REGISTER)
    power = latest_reading(values, ACTIVE_POWER)
    newest = max(value.timestamp for value in values)
    currents: dict[str, float] = {}
    for value in values:
        if value.timestamp != newest:
            continue
        for sample in value.sampled_value:
            if sample.measurand == CURRENT_IMPORT:
                reading = reading_in_base_unit(sample)
                if reading is not None:
                    currents[(sample.phase or "total").split("-")[0]] = reading
    if energy is None and power is None and not currents:
        return None
    return LiveReading(at=newest, energy_register_wh=energy, power_w=power, current_a=currents or None)


def projected_energy(session: Session) -> float | None:
    """Energy so far as the last projected reading shows it (the session list's figure)."""
    if session.status is not SessionStatus.ACTIVE:
        return session.energy_wh
    register = session.live.energy_register_wh if session.live else None
    return energy_between(session.meter_start_wh, register)


def live_energy(session: Session, records: list[MeterValuesRecord]) -> float | None:
    """Energy so far of an active session, from the newest register reading it owns."""
    if session.status is not SessionStatus.ACTIVE:
        return session.energy_wh
    reading = latest_reading(readings_owned_by(session, records), ENERGY_REGISTER)
    return energy_between(session.meter_start_wh, reading)


def id_token_value(token: IdTokenRef | None) -> str | None:
    return token.value if token is not None else None
