"""Tariffs in the shape of OCPI 2.2.1's Tariffs module (mod_tariffs), camelCase on the wire.

A Tariff is a list of Tariff Elements; each groups Price Components (one dimension each: ENERGY,
TIME, PARKING_TIME, FLAT) under one set of Restrictions. For each dimension, at each moment, the
*first* element in the list that has a component for that dimension and whose restrictions all
match is the one that prices it (mod_tariffs, Tariff object).

What we add to OCPI, on purpose (each rejection names the field, for a 400):
- ``price`` and ``vat`` are decimals with at most 4 places (OCPI numbers carry 4 decimals), never
  negative; ``stepSize`` is at least 1; ``currency`` must be an ISO 4217 code.
- Coverage. OCPI prices a dimension at nothing when no element for it matches. We reject a tariff
  in which a dimension it does price (ENERGY, TIME or PARKING_TIME) is left unpriced for some
  possible moment or condition of a session (time of day, weekday, date, energy so far, current,
  power, duration), and an element component that can never apply because earlier elements for the
  same dimension match wherever it would. Free periods are said explicitly with a 0.00 component,
  or, to keep OCPI's implicit "no element, no cost" (whose step-size effect differs, see
  mod_tariffs "switching to Free-of-Charge Tariff Element"), with ``allowUnpricedPeriods: true``.
  The exact rule is in shared/billing/coverage.py.
- ``minPrice``/``maxPrice`` must carry ``inclVat`` when any component has a VAT rate (OCPI applies
  both bounds separately; without it the bound on the VAT-inclusive total would be a guess).
- Reservation elements (``restrictions.reservation``) are refused: reservations are not billed yet.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator

from shared.billing.money import MINOR_UNITS, decimal_places, minor_units
from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.errors import InvalidRequestError

MAX_DECIMALS = 4
MAX_ELEMENTS = 50
_TIME_OF_DAY = re.compile(r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")


def _finite_decimal(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    return value


def _non_negative_decimal(value: Decimal) -> Decimal:
    _finite_decimal(value)
    if value < 0:
        raise ValueError("must not be negative")
    if decimal_places(value) > MAX_DECIMALS:
        raise ValueError(f"at most {MAX_DECIMALS} decimal places")
    return value


NonNegativeDecimal = Annotated[Decimal, AfterValidator(_non_negative_decimal)]


class TariffDimension(StrEnum):
    ENERGY = "ENERGY"
    """Per kWh; stepSize in Wh."""
    FLAT = "FLAT"
    """Once per session; stepSize has no unit."""
    PARKING_TIME = "PARKING_TIME"
    """Per hour not charging; stepSize in seconds."""
    TIME = "TIME"
    """Per hour charging; stepSize in seconds."""


TIME_BASED = (TariffDimension.TIME, TariffDimension.PARKING_TIME)
CONTINUOUS_DIMENSIONS = (TariffDimension.ENERGY, TariffDimension.TIME, TariffDimension.PARKING_TIME)


_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


class DayOfWeek(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"

    @property
    def weekday(self) -> int:
        """Monday 0 … Sunday 6, as ``date.weekday()``."""
        return _WEEKDAYS.index(self.value)


class PriceComponent(DomainModel):
    type: TariffDimension
    price: NonNegativeDecimal
    """Per unit (kWh, hour, or the fee itself for FLAT), excluding VAT."""
    step_size: int = Field(default=1, ge=1)
    vat: NonNegativeDecimal | None = None
    """VAT percentage; omitted means no VAT applies (different from 0 %)."""

    @field_validator("vat")
    @classmethod
    def _vat_is_a_percentage(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value > 100:
            raise ValueError("is a percentage and must be at most 100")
        return value


def minutes_of_day(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


class TariffRestrictions(DomainModel):
    start_time: str | None = None
    """Local time of day (site time zone), HH:MM, inclusive."""
    end_time: str | None = None
    """Local time of day, exclusive; before start_time wraps past midnight; 00:00 is end of day."""
    start_date: date | None = None
    """Local date, inclusive."""
    end_date: date | None = None
    """Local date, exclusive."""
    min_kwh: NonNegativeDecimal | None = None
    """Energy consumed so far in the session, inclusive."""
    max_kwh: NonNegativeDecimal | None = None
    """Energy consumed so far in the session, exclusive."""
    min_current: NonNegativeDecimal | None = None
    """Sum over phases, amperes, inclusive."""
    max_current: NonNegativeDecimal | None = None
    """Sum over phases, amperes, exclusive."""
    min_power: NonNegativeDecimal | None = None
    """kW, inclusive."""
    max_power: NonNegativeDecimal | None = None
    """kW, exclusive."""
    min_duration: int | None = Field(default=None, ge=0)
    """Seconds since the session started, inclusive."""
    max_duration: int | None = Field(default=None, ge=0)
    """Seconds since the session started, exclusive."""
    day_of_week: list[DayOfWeek] = Field(default_factory=list)
    """Local weekdays; empty means every day."""
    reservation: str | None = None

    @field_validator("start_time", "end_time")
    @classmethod
    def _time_of_day(cls, value: str | None) -> str | None:
        if value is not None and not _TIME_OF_DAY.match(value):
            raise ValueError("must be HH:MM, 24-hour, with leading zeros (00:00-23:59)")
        return value

    @field_validator("day_of_week")
    @classmethod
    def _distinct_days(cls, value: list[DayOfWeek]) -> list[DayOfWeek]:
        if len(set(value)) != len(value):
            raise ValueError("lists a day twice")
        return value

    @field_validator("reservation")
    @classmethod
    def _no_reservations(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError("reservation pricing is not supported")
        return value

    @model_validator(mode="after")
    def _ranges_are_not_empty(self) -> TariffRestrictions:
        if self.start_time is not None and self.start_time == self.end_time:
            raise ValueError("endTime: must differ from startTime (omit both for the whole day)")
        pairs: list[tuple[str, Any, Any]] = [
            ("Date", self.start_date, self.end_date),
            ("Kwh", self.min_kwh, self.max_kwh),
            ("Current", self.min_current, self.max_current),
            ("Power", self.min_power, self.max_power),
            ("Duration", self.min_duration, self.max_duration),
        ]
        for name, low, high in pairs:
            if low is not None and high is not None and low >= high:
                low_field = "start" if name == "Date" else "min"
                high_field = "end" if name == "Date" else "max"
                raise ValueError(f"{high_field}{name}: must be greater than {low_field}{name}")
        for name, high in (
            ("maxKwh", self.max_kwh),
            ("maxCurrent", self.max_current),
            ("maxPower", self.max_power),
            ("maxDuration", self.max_duration),
        ):
            if high is not None and high == 0:
                raise ValueError(f"{name}: 0 matches nothing (values start at 0, the maximum is exclusive)")
        return self

    @property
    def is_empty(self) -> bool:
        return self == TariffRestrictions()


class TariffElement(DomainModel):
    price_components: list[PriceComponent] = Field(min_length=1)
    restrictions: TariffRestrictions | None = None

    @field_validator("price_components")
    @classmethod
    def _one_component_per_dimension(cls, value: list[PriceComponent]) -> list[PriceComponent]:
        seen: set[TariffDimension] = set()
        for index, component in enumerate(value):
            if component.type in seen:
                raise ValueError(f"[{index}].type: {component.type} appears twice in one element")
            seen.add(component.type)
        return value

    def component(self, dimension: TariffDimension) -> PriceComponent | None:
        return next((c for c in self.price_components if c.type is dimension), None)


class PriceLimit(DomainModel):
    """OCPI's Price class: a bound on the session's total, excluding and including VAT."""

    excl_vat: NonNegativeDecimal
    incl_vat: NonNegativeDecimal | None = None

    @model_validator(mode="after")
    def _incl_not_below_excl(self) -> PriceLimit:
        if self.incl_vat is not None and self.incl_vat < self.excl_vat:
            raise ValueError("inclVat: must not be lower than exclVat")
        return self


class Tariff(DomainModel):
    tariff_id: str = Field(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9._-]+$")
    currency: str
    elements: list[TariffElement] = Field(min_length=1, max_length=MAX_ELEMENTS)
    min_price: PriceLimit | None = None
    max_price: PriceLimit | None = None
    start_date_time: UtcDatetime | None = None
    """When the tariff becomes valid (UTC); sessions starting earlier are not priced with it."""
    end_date_time: UtcDatetime | None = None
    """When it stops being valid (UTC, exclusive)."""
    allow_unpriced_periods: bool = False
    """Our extension: accept OCPI's "no matching element, no cost" instead of rejecting gaps."""
    last_updated: UtcDatetime | None = None

    @field_validator("currency")
    @classmethod
    def _iso_4217(cls, value: str) -> str:
        if value not in MINOR_UNITS:
            raise ValueError("must be an ISO 4217 currency code (three capital letters, e.g. EUR)")
        return value

    @field_validator("start_date_time", "end_date_time")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Tariff:
        places = minor_units(self.currency)
        has_vat = any(c.vat is not None for e in self.elements for c in e.price_components)
        for name, limit in (("minPrice", self.min_price), ("maxPrice", self.max_price)):
            if limit is None:
                continue
            for part, value in (("exclVat", limit.excl_vat), ("inclVat", limit.incl_vat)):
                if value is not None and decimal_places(value) > places:
                    raise ValueError(f"{name}.{part}: {self.currency} has {places} decimal places")
            if has_vat and limit.incl_vat is None:
                raise ValueError(f"{name}.inclVat: required because price components carry VAT")
        if self.min_price is not None and self.max_price is not None:
            if self.min_price.excl_vat > self.max_price.excl_vat:
                raise ValueError("minPrice.exclVat: must not exceed maxPrice.exclVat")
            low, high = self.min_price.incl_vat, self.max_price.incl_vat
            if low is not None and high is not None and low > high:
                raise ValueError("minPrice.inclVat: must not exceed maxPrice.inclVat")
        if (
            self.start_date_time is not None
            and self.end_date_time is not None
            and self.start_date_time >= self.end_date_time
        ):
            raise ValueError("endDateTime: must be later than startDateTime")
        from shared.billing.coverage import coverage_problems

        problems = coverage_problems(self)
        if problems:
            raise ValueError(problems[0])
        return self

    @property
    def has_vat(self) -> bool:
        return any(c.vat is not None for e in self.elements for c in e.price_components)

    def valid_at(self, moment: datetime) -> bool:
        if self.start_date_time is not None and moment < self.start_date_time:
            return False
        return self.end_date_time is None or moment < self.end_date_time


def parse_tariff(document: dict[str, Any]) -> Tariff:
    """A request body → a Tariff, or an InvalidRequestError whose message starts with the field."""
    try:
        return Tariff.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        location = _field_path(first.get("loc", ()))
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        nested = _NESTED_FIELD.match(message)
        if nested and location:
            separator = "" if nested.group(1).startswith("[") else "."
            location, message = f"{location}{separator}{nested.group(1)}", nested.group(2)
        raise InvalidRequestError(f"{location}: {message}" if location else message) from None


_NESTED_FIELD = re.compile(r"^((?:[A-Za-z]|\[)[A-Za-z0-9.\[\]]*): (.*)$", re.DOTALL)


def _field_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path
