"""Pricing against the worked examples of OCPI 2.2.1 (mod_tariffs, mod_cdrs) and the issue's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from shared.billing.cdrs import CdrFlag
from shared.billing.pricing import price_session
from shared.billing.tariffs import TariffDimension
from tests.billing.builders import T0, a_tariff, a_usage, energy_tariff

D = Decimal


def _priced(tariff, usage):  # type: ignore[no-untyped-def]
    return price_session(usage, tariff, priced_at=T0)


def test_the_issues_example_030_eur_per_kwh_gives_the_exact_cost() -> None:
    # Given 0.30 EUR/kWh and a session that drew 12.333 kWh
    usage = a_usage(
        meter_start="1000", meter_stop="13333", readings=[(15, "4000"), (30, "7000"), (45, "10000")]
    )

    # When it is priced
    cdr = _priced(energy_tariff("0.30"), usage)

    # Then 12.333 kWh x 0.30 = 3.6999 -> 3.70 EUR, one line, no flags
    assert cdr.total_cost.excl_vat == D("3.70") and cdr.total_cost.incl_vat == D("3.70")
    assert cdr.total_energy == D("12.333000")
    assert [(line.dimension, line.excl_vat) for line in cdr.breakdown] == [
        (TariffDimension.ENERGY, D("3.70"))
    ]
    assert cdr.flags == []
    assert cdr.cost_summary()["total"] == "3.70"


# OCPI mod_tariffs "Example Tariff" (tariff_14_step_size.json): TIME 1.20/h step 1800 before 17:00,
# 2.40/h step 900 after; PARKING_TIME 1.00/h step 900 before 20:00 (so parking is free after 20:00,
# which our coverage check would reject unless allowUnpricedPeriods is set).
STEP_SIZE_TARIFF = [
    {
        "priceComponents": [
            {"type": "TIME", "price": "1.20", "stepSize": 1800},
            {"type": "PARKING_TIME", "price": "1.00", "stepSize": 900},
        ],
        "restrictions": {"startTime": "00:00", "endTime": "17:00"},
    },
    {
        "priceComponents": [
            {"type": "TIME", "price": "2.40", "stepSize": 900},
            {"type": "PARKING_TIME", "price": "1.00", "stepSize": 900},
        ],
        "restrictions": {"startTime": "17:00", "endTime": "20:00"},
    },
    {
        "priceComponents": [{"type": "TIME", "price": "2.40", "stepSize": 900}],
        "restrictions": {"startTime": "20:00", "endTime": "00:00"},
    },
]


def _charge_then_park(start: datetime, charging_minutes: float, total_minutes: float):  # type: ignore[no-untyped-def]
    return a_usage(
        start=start,
        minutes=total_minutes,
        readings=[(charging_minutes, "5000")],
        meter_start="0",
        meter_stop="5000",
    )


@pytest.mark.parametrize(
    ("start", "charging", "total", "expected", "lines"),
    [
        # Example #1: 16:55, 10 min charging, 2 min parking -> 0.10 + 0.20 + 0.25 = 0.55
        ((16, 55), 10, 12, "0.55", [("TIME", "0.10"), ("TIME", "0.20"), ("PARKING_TIME", "0.25")]),
        # Example #2: 16:35, 35 min charging -> 35 rounded to 45 by the last step: 0.50 + 0.80 = 1.30
        ((16, 35), 35, 35, "1.30", [("TIME", "0.50"), ("TIME", "0.80")]),
        # Free-of-charge example: 19:40, 12 min charging, 20 min parking (8 of them billable,
        # rounded to 15) -> 0.48 + 0.25 = 0.73
        ((19, 40), 12, 32, "0.73", [("TIME", "0.48"), ("PARKING_TIME", "0.25")]),
    ],
)
def test_ocpi_step_size_examples(
    start: tuple[int, int], charging: float, total: float, expected: str, lines: list[tuple[str, str]]
) -> None:
    tariff = a_tariff(*STEP_SIZE_TARIFF, allowUnpricedPeriods=True)
    begin = datetime(2026, 3, 2, start[0], start[1], tzinfo=UTC)

    cdr = _priced(tariff, _charge_then_park(begin, charging, total))

    assert cdr.total_cost.excl_vat == D(expected)
    assert [(str(line.dimension), str(line.excl_vat)) for line in cdr.breakdown] == lines


def test_free_parking_after_20_is_flagged_as_unpriced_when_the_tariff_allows_gaps() -> None:
    tariff = a_tariff(*STEP_SIZE_TARIFF, allowUnpricedPeriods=True)
    cdr = _priced(tariff, _charge_then_park(datetime(2026, 3, 2, 19, 40, tzinfo=UTC), 12, 32))
    assert CdrFlag.UNPRICED_PERIOD in cdr.flags


def test_max_power_example_2030_excl_vat() -> None:
    # OCPI TariffRestrictions example: 0.20 below 16 kW, 0.35 below 32 kW, else 0.50 (all +20 % VAT);
    # 1 kWh at 6 kW, 40 kWh at 48 kW, 0.5 kWh at 4 kW -> 0.20 + 20.00 + 0.10 = 20.30 excl. VAT.
    tariff = a_tariff(
        {
            "priceComponents": [{"type": "ENERGY", "price": "0.20", "vat": "20", "stepSize": 1}],
            "restrictions": {"maxPower": 16},
        },
        {
            "priceComponents": [{"type": "ENERGY", "price": "0.35", "vat": "20", "stepSize": 1}],
            "restrictions": {"maxPower": 32},
        },
        {"priceComponents": [{"type": "ENERGY", "price": "0.50", "vat": "20", "stepSize": 1}]},
    )
    usage = a_usage(
        minutes=67.5,
        readings=[(10, "1000"), (60, "41000")],
        meter_stop="41500",
        power=[(0, "6000"), (10, "48000"), (60, "4000")],
    )

    cdr = _priced(tariff, usage)

    assert cdr.total_cost.excl_vat == D("20.30")
    assert cdr.total_vat == D("4.06") and cdr.total_cost.incl_vat == D("24.36")
    assert [line.excl_vat for line in cdr.breakdown] == [D("0.20"), D("20.00"), D("0.10")]


def test_max_power_without_power_samples_uses_power_derived_from_energy_and_says_so() -> None:
    tariff = a_tariff(
        {
            "priceComponents": [{"type": "ENERGY", "price": "0.20", "stepSize": 1}],
            "restrictions": {"maxPower": 16},
        },
        {"priceComponents": [{"type": "ENERGY", "price": "0.50", "stepSize": 1}]},
    )
    usage = a_usage(minutes=67.5, readings=[(10, "1000"), (60, "41000")], meter_stop="41500")
    cdr = _priced(tariff, usage)
    assert cdr.total_cost.excl_vat == D("20.30")
    assert CdrFlag.POWER_DERIVED in cdr.flags


def test_max_duration_example_030_excl_vat() -> None:
    # Free for 30 min, 0.25/kWh until 60 min, then 0.40: 5 kWh in 30 min, 1.2 kWh in 10 more -> 0.30.
    tariff = a_tariff(
        {
            "priceComponents": [{"type": "ENERGY", "price": "0.00", "vat": "20", "stepSize": 1}],
            "restrictions": {"maxDuration": 1800},
        },
        {
            "priceComponents": [{"type": "ENERGY", "price": "0.25", "vat": "20", "stepSize": 1}],
            "restrictions": {"maxDuration": 3600},
        },
        {"priceComponents": [{"type": "ENERGY", "price": "0.40", "vat": "20", "stepSize": 1}]},
    )
    cdr = _priced(tariff, a_usage(minutes=40, readings=[(30, "5000")], meter_stop="6200"))
    assert cdr.total_cost.excl_vat == D("0.30")
    assert cdr.total_cost.incl_vat == D("0.36")


@pytest.mark.parametrize(("step", "expected"), [(1, "0.03"), (25, "0.03"), (500, "0.13")])
def test_energy_step_size_rounds_the_session_total_up(step: int, expected: str) -> None:
    # mod_tariffs PriceComponent note: 115.2 Wh at 0.25/kWh -> 116 Wh (0.029), 125 Wh (0.031),
    # 500 Wh (0.125); rounded once to cents, half up.
    tariff = a_tariff({"priceComponents": [{"type": "ENERGY", "price": "0.25", "stepSize": step}]})
    cdr = _priced(tariff, a_usage(minutes=10, meter_stop="115.2"))
    assert cdr.total_cost.excl_vat == D(expected)


def test_energy_step_size_applies_once_to_the_total_across_a_17_00_boundary() -> None:
    # mod_cdrs step_size: 4.3 kWh at 0.20 before 17:00 + 1.1 kWh at 0.27 after, step 500 Wh:
    # 5.4 kWh total -> 5.5, so 1.2 kWh are billed after 17:00: 0.86 + 0.324 = 1.184 -> 1.18.
    tariff = a_tariff(
        {
            "priceComponents": [{"type": "ENERGY", "price": "0.20", "stepSize": 500}],
            "restrictions": {"endTime": "17:00"},
        },
        {"priceComponents": [{"type": "ENERGY", "price": "0.27", "stepSize": 500}]},
    )
    usage = a_usage(
        start=datetime(2026, 3, 2, 16, 0, tzinfo=UTC), minutes=120, readings=[(60, "4300")], meter_stop="5400"
    )
    cdr = _priced(tariff, usage)
    assert [line.quantity for line in cdr.breakdown] == [D("4.300000"), D("1.200000")]
    assert cdr.total_cost.excl_vat == D("1.18")


def test_time_step_size_applies_once_to_the_total_across_a_boundary() -> None:
    # mod_cdrs step_size: 5/h before 17:00, 7/h after, step 10 min; 6 + 22 min -> 30, 24 after: 3.30.
    tariff = a_tariff(
        {
            "priceComponents": [{"type": "TIME", "price": "5", "stepSize": 600}],
            "restrictions": {"endTime": "17:00"},
        },
        {"priceComponents": [{"type": "TIME", "price": "7", "stepSize": 600}]},
    )
    usage = a_usage(start=datetime(2026, 3, 2, 16, 54, tzinfo=UTC), minutes=28, meter_stop="9000")
    cdr = _priced(tariff, usage)
    assert cdr.total_cost.excl_vat == D("3.30")


def test_time_and_parking_step_size_applies_to_parking_only() -> None:
    # mod_cdrs: 1/h charging, 2/h parking, both step 10 min; 21 min charging + 16 parking
    # -> charging 21 min (0.35), parking 20 min (0.6667): 1.0167 -> 1.02.
    tariff = a_tariff(
        {
            "priceComponents": [
                {"type": "TIME", "price": "1", "stepSize": 600},
                {"type": "PARKING_TIME", "price": "2", "stepSize": 600},
            ]
        }
    )
    cdr = _priced(tariff, a_usage(minutes=37, readings=[(21, "7000")], meter_stop="7000"))
    assert [line.excl_vat for line in cdr.breakdown] == [D("0.35"), D("0.67")]
    assert cdr.total_cost.excl_vat == D("1.02")
    assert cdr.total_parking_time == D("0.266667")


def test_local_time_of_day_boundary_in_the_sites_time_zone() -> None:
    # Peak 0.40 from 08:00 to 20:00 Berlin time, 0.20 otherwise; 19:30-20:30 local in winter
    # (18:30-19:30 UTC) drawing 10 kWh evenly: 5 x 0.40 + 5 x 0.20 = 3.00.
    tariff = a_tariff(
        {
            "priceComponents": [{"type": "ENERGY", "price": "0.40"}],
            "restrictions": {"startTime": "08:00", "endTime": "20:00"},
        },
        {"priceComponents": [{"type": "ENERGY", "price": "0.20"}]},
    )
    usage = a_usage(
        start=datetime(2026, 1, 15, 18, 30, tzinfo=UTC),
        minutes=60,
        meter_stop="10000",
        time_zone="Europe/Berlin",
    )
    cdr = _priced(tariff, usage)
    assert cdr.total_cost.excl_vat == D("3.00")
    assert [p.start_date_time for p in cdr.charging_periods] == [
        datetime(2026, 1, 15, 18, 30, tzinfo=UTC),
        datetime(2026, 1, 15, 19, 0, tzinfo=UTC),
    ]


def test_a_weekday_change_at_local_midnight_splits_the_session() -> None:
    # Weekend 0.10, otherwise 0.30; Friday 23:30 to Saturday 00:30 UTC, 2 kWh evenly: 0.30 + 0.10.
    tariff = a_tariff(
        {
            "priceComponents": [{"type": "ENERGY", "price": "0.10"}],
            "restrictions": {"dayOfWeek": ["SATURDAY", "SUNDAY"]},
        },
        {"priceComponents": [{"type": "ENERGY", "price": "0.30"}]},
    )
    usage = a_usage(start=datetime(2026, 3, 6, 23, 30, tzinfo=UTC), minutes=60, meter_stop="2000")
    cdr = _priced(tariff, usage)
    assert [line.excl_vat for line in cdr.breakdown] == [D("0.30"), D("0.10")]


def test_a_kwh_threshold_starts_a_new_period_where_the_register_crosses_it() -> None:
    # First 10 kWh at 0.30, then 0.20: 20 kWh linear over an hour -> 3.00 + 2.00, split at 30 min.
    tariff = a_tariff(
        {"priceComponents": [{"type": "ENERGY", "price": "0.30"}], "restrictions": {"maxKwh": 10}},
        {"priceComponents": [{"type": "ENERGY", "price": "0.20"}]},
    )
    cdr = _priced(tariff, a_usage(minutes=60, meter_stop="20000"))
    assert cdr.total_cost.excl_vat == D("5.00")
    assert cdr.charging_periods[1].start_date_time == T0 + timedelta(minutes=30)


def test_flat_fee_is_charged_once_even_over_several_periods() -> None:
    tariff = a_tariff(
        {
            "priceComponents": [{"type": "FLAT", "price": "1.00"}, {"type": "ENERGY", "price": "0.30"}],
            "restrictions": {"endTime": "09:00"},
        },
        {"priceComponents": [{"type": "FLAT", "price": "1.00"}, {"type": "ENERGY", "price": "0.40"}]},
    )
    cdr = _priced(tariff, a_usage(minutes=120, meter_stop="2000"))  # 08:00-10:00, 1 kWh each side
    assert [(str(line.dimension), line.excl_vat) for line in cdr.breakdown] == [
        ("FLAT", D("1.00")),
        ("ENERGY", D("0.30")),
        ("ENERGY", D("0.40")),
    ]
    assert cdr.total_fixed_cost.excl_vat == D("1.00")


def test_a_zero_length_session_still_pays_its_flat_fee() -> None:
    tariff = a_tariff(
        {"priceComponents": [{"type": "FLAT", "price": "0.50"}, {"type": "ENERGY", "price": "0.30"}]}
    )
    cdr = _priced(tariff, a_usage(minutes=0, meter_stop="0"))
    assert cdr.total_cost.excl_vat == D("0.50")
    assert len(cdr.charging_periods) == 1


def test_min_price_raises_the_total_with_one_adjustment_line() -> None:
    tariff = energy_tariff("0.30", minPrice={"exclVat": "5.00"})
    cdr = _priced(tariff, a_usage(meter_stop="1000"))
    assert cdr.total_cost.excl_vat == D("5.00") and cdr.total_cost.incl_vat == D("5.00")
    assert cdr.adjustment is not None and cdr.adjustment.excl_vat == D("4.70")
    assert cdr.adjustment.limits == ["minPrice.exclVat", "minPrice.inclVat"]


def test_max_price_caps_excl_and_incl_vat_separately() -> None:
    tariff = a_tariff(
        {"priceComponents": [{"type": "ENERGY", "price": "0.30", "vat": "20"}]},
        maxPrice={"exclVat": "2.00", "inclVat": "2.50"},
    )
    cdr = _priced(tariff, a_usage(meter_stop="10000"))  # 3.00 excl, 3.60 incl before the cap
    assert cdr.total_cost.excl_vat == D("2.00")
    assert cdr.total_cost.incl_vat == D("2.50")
    assert cdr.total_vat == D("0.50")


def test_missing_meter_data_is_priced_from_what_exists_and_flagged() -> None:
    tariff = a_tariff(
        {"priceComponents": [{"type": "ENERGY", "price": "0.30"}, {"type": "TIME", "price": "1.20"}]}
    )
    cdr = _priced(tariff, a_usage(meter_start=None, meter_stop=None, minutes=30))
    assert CdrFlag.MISSING_METER_DATA in cdr.flags
    assert cdr.total_energy == 0
    assert cdr.total_cost.excl_vat == D("0.60")  # half an hour of TIME, no energy


def test_a_missing_stop_reading_bills_energy_up_to_the_last_reading_only() -> None:
    cdr = _priced(energy_tariff(), a_usage(minutes=60, readings=[(15, "2000"), (30, "4000")]))
    assert cdr.flags == [CdrFlag.MISSING_METER_STOP]
    assert cdr.total_cost.excl_vat == D("1.20")


def test_a_register_going_backwards_is_ignored_and_flagged() -> None:
    cdr = _priced(energy_tariff(), a_usage(readings=[(10, "3000"), (20, "1000")], meter_stop="5000"))
    assert CdrFlag.METER_DECREASED in cdr.flags
    assert cdr.total_cost.excl_vat == D("1.50")


def test_sparse_readings_are_interpolated_and_flagged() -> None:
    cdr = _priced(energy_tariff(), a_usage(minutes=120, meter_stop="10000"))
    assert CdrFlag.METER_GAP in cdr.flags


def test_no_stop_time_prices_up_to_the_last_reading_and_flags_it() -> None:
    cdr = _priced(energy_tariff(), a_usage(readings=[(20, "2000")], stopped_at=None))
    assert CdrFlag.MISSING_STOP_TIME in cdr.flags
    assert cdr.end_date_time == T0 + timedelta(minutes=20)
    assert cdr.total_cost.excl_vat == D("0.60")


def test_current_restrictions_without_current_samples_fall_back_and_are_flagged() -> None:
    tariff = a_tariff(
        {"priceComponents": [{"type": "ENERGY", "price": "0.20"}], "restrictions": {"maxCurrent": 16}},
        {"priceComponents": [{"type": "ENERGY", "price": "0.40"}]},
    )
    unknown = _priced(tariff, a_usage(meter_stop="1000"))
    assert unknown.total_cost.excl_vat == D("0.40") and CdrFlag.CURRENT_UNKNOWN in unknown.flags
    known = _priced(tariff, a_usage(meter_stop="1000", current=[(0, "10")]))
    assert known.total_cost.excl_vat == D("0.20") and CdrFlag.CURRENT_UNKNOWN not in known.flags


def test_vat_is_per_component_and_totals_add_up() -> None:
    tariff = a_tariff(
        {
            "priceComponents": [
                {"type": "ENERGY", "price": "0.30", "vat": "21"},
                {"type": "FLAT", "price": "1.00"},
            ]
        }
    )
    cdr = _priced(tariff, a_usage(meter_stop="10000"))
    assert cdr.total_cost.excl_vat == D("4.00")
    assert cdr.total_vat == D("0.63")
    assert cdr.total_cost.incl_vat == D("4.63")


def test_pricing_is_deterministic_and_the_cdr_id_derives_from_the_session() -> None:
    usage = a_usage(meter_stop="1000")
    assert _priced(energy_tariff(), usage) == _priced(energy_tariff(), usage)
    assert _priced(energy_tariff(), usage).cdr_id.startswith("CDR-")


def test_zero_decimal_currency_rounds_to_whole_units() -> None:
    cdr = _priced(energy_tariff("45", currency="JPY"), a_usage(meter_stop="12345"))
    assert cdr.total_cost.excl_vat == D("556")  # 12.345 x 45 = 555.525 -> 556
