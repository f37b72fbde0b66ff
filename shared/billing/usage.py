"""What pricing reads about a session: its times, where it was, and its meter timeline.

The platform maps its neutral Session and stored MeterValues onto this (``usage_from_session``);
pricing never sees OCPP. Meter values stay ``Decimal`` from the station's text to the CDR.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.sessions import (
    ACTIVE_POWER,
    ENERGY_REGISTER,
    MeterValue,
    MeterValuesRecord,
    SampledValue,
    Session,
    readings_owned_by,
)
from shared.domain.sites import Site

CURRENT_IMPORT = "Current.Import"
_PHASES = ("L1", "L2", "L3")
_FACTORS = {
    ENERGY_REGISTER: {"Wh": Decimal(1), "kWh": Decimal(1000)},
    ACTIVE_POWER: {"W": Decimal(1), "kW": Decimal(1000)},
    CURRENT_IMPORT: {"A": Decimal(1)},
}
_DEFAULT_UNIT = {ENERGY_REGISTER: "Wh", ACTIVE_POWER: "W", CURRENT_IMPORT: "A"}


class EnergyReading(DomainModel):
    timestamp: UtcDatetime
    wh: Decimal
    """Energy.Active.Import.Register, in Wh (a register: it only grows)."""


class PowerSample(DomainModel):
    timestamp: UtcDatetime
    watts: Decimal
    """Power.Active.Import, total over phases; holds until the next sample."""


class CurrentSample(DomainModel):
    timestamp: UtcDatetime
    amps: Decimal
    """Current.Import summed over phases (OCPI's min/max_current are sums); holds until the next."""


class SessionUsage(DomainModel):
    session_id: str
    tenant_id: str
    station_id: str
    site_id: str | None = None
    evse_id: int | None = None
    id_token: str | None = None
    started_at: UtcDatetime
    start_seen: bool = True
    """False while only the end of the transaction has arrived (an orphan session): its start time
    is a placeholder, so it must not be priced yet (the start completes it and ends it again)."""
    stopped_at: UtcDatetime | None = None
    time_zone: str = "UTC"
    """The site's IANA time zone: OCPI restrictions are in local time."""
    meter_start_wh: Decimal | None = None
    meter_stop_wh: Decimal | None = None
    energy_readings: list[EnergyReading] = Field(default_factory=list)
    power_samples: list[PowerSample] = Field(default_factory=list)
    current_samples: list[CurrentSample] = Field(default_factory=list)
    charging_ended_at: UtcDatetime | None = None
    """When the EV stopped drawing power, if the station said so (e.g. SuspendedEV, 2.0.1
    chargingState); otherwise pricing takes the end of the last rise of the energy register."""

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def usage_from_session(
    session: Session, meter_values: Iterable[MeterValue], *, time_zone: str = "UTC"
) -> SessionUsage:
    """The platform's Session and its stored meter values → SessionUsage (pure).

    Per timestamp and measurand, a value without phase wins; otherwise L1+L2+L3 are summed. Signed
    values and text that is not a number are skipped (priced from what exists; pricing flags gaps).
    """
    energy: dict[datetime, Decimal] = {}
    power: dict[datetime, Decimal] = {}
    current: dict[datetime, Decimal] = {}
    for meter_value in meter_values:
        for measurand, target in (
            (ENERGY_REGISTER, energy),
            (ACTIVE_POWER, power),
            (CURRENT_IMPORT, current),
        ):
            value = _total(meter_value.sampled_value, measurand)
            if value is not None:
                target[meter_value.timestamp] = value
    return SessionUsage(
        session_id=session.session_id,
        tenant_id=session.tenant_id,
        station_id=session.station_id,
        site_id=session.site_id,
        evse_id=session.evse_id,
        id_token=session.id_token,
        started_at=session.started_at,
        start_seen=session.start_seen,
        stopped_at=session.stopped_at,
        time_zone=time_zone,
        # The session keeps float Wh; repr of a float register is the decimal the station sent.
        meter_start_wh=_decimal_from_float(session.meter_start_wh),
        meter_stop_wh=_decimal_from_float(session.meter_stop_wh),
        energy_readings=[EnergyReading(timestamp=t, wh=v) for t, v in sorted(energy.items())],
        power_samples=[PowerSample(timestamp=t, watts=v) for t, v in sorted(power.items())],
        current_samples=[CurrentSample(timestamp=t, amps=v) for t, v in sorted(current.items())],
    )


def stored_session_usage(
    session: Session, records: Sequence[MeterValuesRecord], site: Site | None
) -> SessionUsage:
    """The session as billing prices it: the meter values it owns, in its site's time zone (UTC when
    it has no site, or the site is gone). The billing workflow and the 2.0.1 totalCost quote both use
    this, so they price the same usage."""
    return usage_from_session(
        session, readings_owned_by(session, list(records)), time_zone=site.timezone if site else "UTC"
    )


def _decimal_from_float(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(value))


def _total(samples: list[SampledValue], measurand: str) -> Decimal | None:
    total: Decimal | None = None
    phases: dict[str, Decimal] = {}
    for sample in samples:
        if (sample.measurand or ENERGY_REGISTER) != measurand or sample.format == "SignedData":
            continue
        value = _in_base_unit(sample, measurand)
        if value is None:
            continue
        if sample.phase is None:
            total = value
        elif sample.phase in _PHASES:
            phases[sample.phase] = value
    if total is not None:
        return total
    return sum(phases.values(), Decimal(0)) if phases else None


def _in_base_unit(sample: SampledValue, measurand: str) -> Decimal | None:
    try:
        number = Decimal(sample.value)
    except (InvalidOperation, ValueError):
        return None
    factor = _FACTORS[measurand].get(sample.unit or _DEFAULT_UNIT[measurand])
    if factor is None or not number.is_finite():
        return None
    return number * factor
