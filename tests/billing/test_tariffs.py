"""Tariff validation: every rejection names the field (the API turns it into a 400)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.billing.tariffs import parse_tariff
from shared.domain.errors import InvalidRequestError


def _energy(price: object = "0.30", **component: object) -> dict[str, Any]:
    return {"priceComponents": [{"type": "ENERGY", "price": price, **component}]}


def _tariff(*elements: dict[str, Any], **fields: object) -> dict[str, Any]:
    return {"tariffId": "T-1", "currency": "EUR", "elements": list(elements) or [_energy()], **fields}


def _rejection(document: dict[str, Any]) -> str:
    with pytest.raises(InvalidRequestError) as caught:
        parse_tariff(document)
    return caught.value.message


def test_a_simple_tariff_in_ocpi_shape_is_accepted_and_keeps_decimals_exact() -> None:
    tariff = parse_tariff(
        _tariff(_energy("0.2999", vat="21", stepSize=1), minPrice={"exclVat": "1.00", "inclVat": "1.21"})
    )
    assert str(tariff.elements[0].price_components[0].price) == "0.2999"
    assert (
        tariff.model_dump(mode="json", by_alias=True)["elements"][0]["priceComponents"][0]["price"]
        == "0.2999"
    )


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (_tariff(_energy("-0.30")), "elements[0].priceComponents[0].price: must not be negative"),
        (_tariff(currency="EUX"), "currency: must be an ISO 4217"),
        (_tariff(currency="eur"), "currency: must be an ISO 4217"),
        (_tariff(_energy(stepSize=0)), "elements[0].priceComponents[0].stepSize"),
        (_tariff(_energy("0.123456")), "elements[0].priceComponents[0].price: at most 4 decimal places"),
        (_tariff(_energy(vat="120")), "elements[0].priceComponents[0].vat"),
        (_tariff(_energy("NaN")), "elements[0].priceComponents[0].price"),
        (
            _tariff(
                {"priceComponents": [{"type": "ENERGY", "price": "1"}, {"type": "ENERGY", "price": "2"}]}
            ),
            "elements[0].priceComponents[1].type: ENERGY appears twice",
        ),
        (
            _tariff({**_energy(), "restrictions": {"startTime": "25:00"}}),
            "elements[0].restrictions.startTime",
        ),
        (
            _tariff({**_energy(), "restrictions": {"startTime": "10:00", "endTime": "10:00"}}),
            "elements[0].restrictions.endTime: must differ",
        ),
        (
            _tariff({**_energy(), "restrictions": {"minKwh": 10, "maxKwh": 5}}),
            "elements[0].restrictions.maxKwh",
        ),
        (
            _tariff({**_energy(), "restrictions": {"reservation": "RESERVATION"}}),
            "elements[0].restrictions.reservation",
        ),
        (_tariff(minPrice={"exclVat": "1.005"}), "minPrice.exclVat: EUR has 2 decimal places"),
        (_tariff(minPrice={"exclVat": "5"}, maxPrice={"exclVat": "4"}), "minPrice.exclVat: must not exceed"),
        (_tariff(_energy(vat="20"), maxPrice={"exclVat": "4"}), "maxPrice.inclVat: required"),
        (_tariff(elements=[]), "elements"),
        (_tariff(tariffId="has space"), "tariffId"),
    ],
)
def test_bad_tariffs_are_refused_naming_the_field(document: dict[str, Any], field: str) -> None:
    assert field in _rejection(document)


def test_a_gap_in_time_of_day_is_refused_with_a_witness() -> None:
    message = _rejection(
        _tariff(
            {**_energy("0.40"), "restrictions": {"startTime": "08:00", "endTime": "20:00"}},
            {**_energy("0.20"), "restrictions": {"startTime": "20:00", "endTime": "07:00"}},
        )
    )
    assert message.startswith("elements: ENERGY is unpriced on MONDAY 07:00-08:00")


def test_a_gap_on_the_weekend_is_refused() -> None:
    weekdays = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
    message = _rejection(_tariff({**_energy(), "restrictions": {"dayOfWeek": weekdays}}))
    assert "ENERGY is unpriced from SATURDAY 00:00 to SUNDAY 24:00" in message


def test_a_gap_above_a_kwh_threshold_is_refused() -> None:
    message = _rejection(_tariff({**_energy(), "restrictions": {"maxKwh": 50}}))
    assert "when energy is at least 50 kWh" in message


def test_a_gap_before_a_start_date_is_refused() -> None:
    message = _rejection(_tariff({**_energy(), "restrictions": {"startDate": "2026-01-01"}}))
    assert "before 2026-01-01" in message


def test_each_priced_dimension_must_be_covered_on_its_own() -> None:
    # TIME is priced only during the day: an evening session would charge time for nothing.
    message = _rejection(
        _tariff(
            _energy(),
            {
                "priceComponents": [{"type": "TIME", "price": "1.00"}],
                "restrictions": {"startTime": "08:00", "endTime": "18:00"},
            },
        )
    )
    assert message.startswith("elements: TIME is unpriced")


def test_an_element_shadowed_by_an_earlier_one_is_refused() -> None:
    message = _rejection(
        _tariff(
            _energy("0.30"), {**_energy("0.20"), "restrictions": {"startTime": "22:00", "endTime": "06:00"}}
        )
    )
    assert message.startswith("elements[1].priceComponents[0]: never applies")


def test_restrictions_that_match_nothing_are_refused() -> None:
    # Tuesday only, inside a one-day date range that is a Monday.
    element = {
        **_energy(),
        "restrictions": {"dayOfWeek": ["TUESDAY"], "startDate": "2026-03-02", "endDate": "2026-03-03"},
    }
    assert _rejection(_tariff(element, _energy("0.50"))).startswith(
        "elements[0].restrictions: match no moment"
    )


def test_complementary_restrictions_cover_everything() -> None:
    parse_tariff(
        _tariff(
            {
                **_energy("0.40"),
                "restrictions": {
                    "startTime": "08:00",
                    "endTime": "20:00",
                    "dayOfWeek": ["MONDAY", "TUESDAY"],
                },
            },
            {**_energy("0.30"), "restrictions": {"minKwh": 20, "maxPower": 50}},
            {**_energy("0.20"), "restrictions": {"startDate": "2026-01-01"}},
            {**_energy("0.25"), "restrictions": {"endDate": "2026-01-01"}},
        )
    )


def test_flat_fees_may_be_conditional() -> None:
    parse_tariff(
        _tariff(
            {**_energy(), "priceComponents": [{"type": "ENERGY", "price": "0.3"}]},
            {"priceComponents": [{"type": "FLAT", "price": "1"}], "restrictions": {"dayOfWeek": ["MONDAY"]}},
        )
    )


def test_allow_unpriced_periods_accepts_ocpis_implicit_free_periods() -> None:
    element = {**_energy(), "restrictions": {"startTime": "08:00", "endTime": "20:00"}}
    assert "unpriced" in _rejection(_tariff(element))
    assert parse_tariff(_tariff(element, allowUnpricedPeriods=True)).allow_unpriced_periods
