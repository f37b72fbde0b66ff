"""What the site's other flows do to the allocation: solar lets cars charge above the grid's
share, base load takes from it, a battery covers a grid signal's window and buys cheap energy,
the energy objective shifts only what can wait, and profit says what it gives up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.energy import (
    ActiveSession,
    Evse,
    SiteNetwork,
    SiteSnapshot,
    Tariff,
    Transformer,
    Tuning,
    Wiring,
    allocate,
)
from shared.energy.models import Battery, GridSignal, SitePower
from shared.energy.site_power import period_inputs
from tests.energy.builders import HAS_HIGHS, NOW

needs_highs = pytest.mark.skipif(not HAS_HIGHS, reason="highspy/numpy not installed")
PATHS = [
    pytest.param(Tuning(use_linear_program=False), id="greedy"),
    pytest.param(Tuning(), id="lp", marks=needs_highs),
]
KW_PER_AMP = 3 * 230 / 1000  # a three-phase 230 V charger


def a_depot(cars: int = 4, connection_amps: float = 200, hours: float = 6, kwh: float = 40) -> SiteSnapshot:
    evses = tuple(
        Evse(evse_id=f"e{n}", wiring=Wiring.ABC, voltage=230, max_current_amps=32) for n in range(cars)
    )
    sessions = tuple(
        ActiveSession(
            evse_id=f"e{n}", energy_wanted_kwh=kwh, estimated_departure=NOW + timedelta(hours=hours)
        )
        for n in range(cars)
    )
    return SiteSnapshot(
        now=NOW,
        network=SiteNetwork(transformer=Transformer(secondary_limit_amps=connection_amps), evses=evses),
        sessions=sessions,
    )


def a_battery(**overrides: float) -> Battery:
    fields: dict[str, float] = {
        "capacity_kwh": 60,
        "state_of_charge_kwh": 50,
        "max_charge_kw": 20,
        "max_discharge_kw": 20,
    }
    fields.update(overrides)
    return Battery.model_validate(fields)


@pytest.mark.parametrize("tuning", PATHS)
def test_solar_adds_to_what_the_cars_may_draw_and_base_load_takes_from_it(tuning: Tuning) -> None:
    snapshot = a_depot().model_copy(
        update={"site_power": SitePower(import_limit_kw=40, base_load_kw=(5,), solar_kw=(15, 0, 0))}
    )

    allocation = allocate(snapshot, tuning)

    assert allocation.ev_power_kw == pytest.approx(50, abs=0.7)
    assert allocation.import_kw is not None and allocation.import_kw <= 40 + 1e-6
    assert allocation.import_kw == pytest.approx(40, abs=0.7)


@pytest.mark.parametrize("tuning", PATHS)
def test_a_grid_signal_holds_the_import_only_inside_its_window(tuning: Tuning) -> None:
    signal = GridSignal(kind="import_limit", starts_at=NOW, ends_at=NOW + timedelta(hours=2), value=30)
    base = a_depot().model_copy(update={"site_power": SitePower(import_limit_kw=60)})

    during = allocate(base.model_copy(update={"grid_signals": (signal,)}), tuning)
    after = allocate(
        base.model_copy(update={"now": NOW + timedelta(hours=2), "grid_signals": (signal,)}), tuning
    )

    assert during.import_limit_kw == 30 and during.ev_power_kw <= 30 + 1e-6
    assert after.import_limit_kw == 60 and after.ev_power_kw > 50


def test_a_signal_starting_within_the_period_already_holds_for_it() -> None:
    signal = GridSignal(
        kind="import_limit", starts_at=NOW + timedelta(minutes=3), ends_at=NOW + timedelta(hours=1), value=10
    )
    snapshot = a_depot().model_copy(
        update={"site_power": SitePower(import_limit_kw=60), "grid_signals": (signal,)}
    )

    inputs = period_inputs(snapshot)

    assert inputs.import_limit_kw[0] == 10
    assert inputs.import_limit_kw[11] == 10 and inputs.import_limit_kw[12] == 60


def test_a_price_signal_replaces_the_tariff_for_the_share_of_the_period_it_covers() -> None:
    signal = GridSignal(
        kind="price", starts_at=NOW + timedelta(minutes=2.5), ends_at=NOW + timedelta(hours=1), value=1.0
    )
    snapshot = a_depot().model_copy(
        update={"tariff": Tariff(energy_prices_per_kwh=(0.2,)), "grid_signals": (signal,)}
    )

    prices = period_inputs(snapshot).prices

    assert prices[0] == pytest.approx(0.6)
    assert prices[1] == pytest.approx(1.0)
    assert prices[12] == pytest.approx(0.2)


@needs_highs
def test_the_battery_covers_a_tight_import_limit_so_cars_still_leave_charged() -> None:
    # Given cars leaving in two hours and a 40 kW limit: without help they cannot all finish
    snapshot = a_depot(hours=2).model_copy(
        update={"site_power": SitePower(import_limit_kw=40, battery=a_battery())}
    )

    allocation = allocate(snapshot)

    assert allocation.battery_power_kw == pytest.approx(-20, abs=1e-6)
    assert allocation.ev_power_kw == pytest.approx(60, abs=0.7)
    assert allocation.import_kw is not None and allocation.import_kw <= 40 + 1e-6


@needs_highs
def test_the_battery_buys_cheap_energy_and_sells_it_back_at_the_peak_price() -> None:
    cheap_then_dear = tuple([0.10] * 24 + [0.50] * 264)
    idle = a_depot(cars=0).model_copy(
        update={
            "sessions": (),
            "tariff": Tariff(energy_prices_per_kwh=cheap_then_dear),
            "site_power": SitePower(base_load_kw=(10,), battery=a_battery(state_of_charge_kwh=10)),
        }
    )

    now = allocate(idle)
    later = allocate(
        idle.model_copy(
            update={
                "now": NOW + timedelta(hours=2),
                "tariff": Tariff(energy_prices_per_kwh=cheap_then_dear[24:]),
                "site_power": SitePower(base_load_kw=(10,), battery=a_battery(state_of_charge_kwh=55)),
            }
        )
    )

    assert now.battery_power_kw == pytest.approx(20)
    assert later.battery_power_kw == pytest.approx(-10)  # covers the base load, exports nothing


@needs_highs
def test_a_demand_charge_makes_the_battery_shave_the_peak() -> None:
    snapshot = a_depot().model_copy(
        update={"site_power": SitePower(battery=a_battery()), "tariff": Tariff(demand_charge_per_kw=15)}
    )

    allocation = allocate(snapshot)

    assert allocation.battery_power_kw < -5
    assert allocation.import_kw is not None and allocation.import_kw < allocation.ev_power_kw


@pytest.mark.parametrize("tuning", PATHS)
def test_energy_objective_shifts_to_cheap_hours_only_what_can_wait(tuning: Tuning) -> None:
    dear_first_hour = Tariff(energy_prices_per_kwh=tuple([0.40] * 12 + [0.10] * 276))
    relaxed = a_depot(hours=10).model_copy(update={"tariff": dear_first_hour})
    hurried = a_depot(hours=1.5).model_copy(update={"tariff": dear_first_hour})

    # 40 kWh in nine cheap hours at half of 22 kW: the relaxed cars wait
    assert allocate(relaxed, tuning).ev_power_kw == 0
    assert allocate(relaxed.model_copy(update={"tou_shaping": False}), tuning).ev_power_kw == pytest.approx(
        4 * 32 * KW_PER_AMP
    )
    # half an hour of cheap energy is not enough for 40 kWh: the hurried ones charge now
    assert allocate(hurried, tuning).ev_power_kw == pytest.approx(4 * 32 * KW_PER_AMP)


@pytest.mark.parametrize("tuning", PATHS)
def test_a_waiting_car_leaves_its_room_to_one_that_cannot_wait(tuning: Tuning) -> None:
    dear_first_hour = Tariff(energy_prices_per_kwh=tuple([0.40] * 12 + [0.10] * 276))
    site = a_depot(cars=2, connection_amps=32)
    evses = tuple(e.model_copy(update={"min_current_amps": 6.0}) for e in site.network.evses)
    site = site.model_copy(
        update={"tariff": dear_first_hour, "network": site.network.model_copy(update={"evses": evses})}
    )
    relaxed, hurried = site.sessions
    hurried = hurried.model_copy(update={"estimated_departure": NOW + timedelta(minutes=90)})
    relaxed = relaxed.model_copy(
        update={"is_charging": True, "estimated_departure": NOW + timedelta(hours=10)}
    )

    currents = allocate(site.model_copy(update={"sessions": (relaxed, hurried)}), tuning).currents_amps

    # the charging car waits at its minimum (never paused), the other gets the rest
    assert currents["e0"] == pytest.approx(6)
    assert currents["e1"] == pytest.approx(26)


@needs_highs
def test_profit_reports_the_energy_it_gives_up() -> None:
    dear = Tariff(energy_prices_per_kwh=(0.50,), energy_value_per_kwh=0.30)
    profit = a_depot(hours=2).model_copy(update={"tariff": dear, "objective": "profit"})

    allocation = allocate(profit)

    assert allocation.ev_power_kw == 0
    assert allocation.energy_given_up_kwh == pytest.approx(4 * 40 * 1.0, rel=0.3)
    assert allocate(profit.model_copy(update={"objective": "energy"})).energy_given_up_kwh is None


@pytest.mark.parametrize("tuning", PATHS)
def test_a_charger_ignoring_its_limit_is_counted_at_its_draw(tuning: Tuning) -> None:
    snapshot = a_depot(connection_amps=48)
    rogue = snapshot.sessions[0].model_copy(update={"fixed_draw_amps": 30.0})
    snapshot = snapshot.model_copy(update={"sessions": (rogue, *snapshot.sessions[1:])})

    currents = allocate(snapshot, tuning).currents_amps

    assert currents["e0"] == 30
    assert sum(currents.values()) == pytest.approx(48, abs=0.01)
