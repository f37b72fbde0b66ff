"""Unit tests for the allocator's rules, on the greedy path and (where installed) the LP path."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from shared.energy import Circuit, Evse, SiteNetwork, SiteSnapshot, Tariff, Tuning, Wiring, allocate
from shared.energy.network import compile_network, violations
from shared.energy.profit_plan import PlannedSession, plan_power_now_kw, plan_with_network
from tests.energy.builders import HAS_HIGHS, NOW, a_session, a_snapshot, a_three_phase_site

needs_highs = pytest.mark.skipif(not HAS_HIGHS, reason="highspy/numpy not installed")
PATHS = [
    pytest.param(Tuning(use_linear_program=False), id="greedy"),
    pytest.param(
        Tuning(), id="lp", marks=pytest.mark.skipif(not HAS_HIGHS, reason="highspy/numpy not installed")
    ),
]


def one_circuit_site(limit_amps: float, count: int = 2, **evse_fields: object) -> SiteNetwork:
    return SiteNetwork(
        circuits=(Circuit(circuit_id="c", limit_amps=limit_amps),),
        evses=tuple(
            Evse.model_validate(
                {
                    "evse_id": f"e{n}",
                    "circuit_id": "c",
                    "wiring": Wiring.A,
                    "max_current_amps": 32,
                    **evse_fields,
                }
            )
            for n in range(count)
        ),
    )


@pytest.mark.parametrize("tuning", PATHS)
def test_shares_a_full_circuit_without_exceeding_it(tuning: Tuning) -> None:
    # Given two cars that each want 32 A on a 32 A circuit
    snapshot = a_snapshot(one_circuit_site(32), [a_session("e0"), a_session("e1")])

    # When
    allocation = allocate(snapshot, tuning)

    # Then the circuit is used to the full, and not beyond
    assert sum(allocation.currents_amps.values()) == pytest.approx(32, abs=0.01)
    assert sum(allocation.currents_amps.values()) <= 32 + 1e-6


@pytest.mark.parametrize("tuning", PATHS)
def test_the_car_leaving_first_gets_the_current(tuning: Tuning) -> None:
    snapshot = a_snapshot(
        one_circuit_site(32),
        [
            a_session("e0", estimated_departure=NOW + timedelta(hours=10)),
            a_session("e1", estimated_departure=NOW + timedelta(hours=3)),
        ],
    )

    currents = allocate(snapshot, tuning).currents_amps

    assert currents["e1"] == pytest.approx(32)
    assert currents["e0"] == pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize("tuning", PATHS)
def test_cars_of_about_the_same_urgency_share_the_room(tuning: Tuning) -> None:
    # Given four cars wanting 20 kWh by about the same departure (a minute apart) on a 48 A circuit
    sessions = [
        a_session(f"e{n}", estimated_departure=NOW + timedelta(hours=8, minutes=n), is_charging=True)
        for n in range(4)
    ]
    snapshot = a_snapshot(one_circuit_site(48, count=4), sessions)

    currents = allocate(snapshot, tuning).currents_amps

    # Then each gets about a quarter: none takes the room because it leaves a minute sooner (the
    # winner would change as soon as it had charged a little more, and the site's current with it)
    assert sum(currents.values()) == pytest.approx(48, abs=0.01)
    assert max(currents.values()) - min(currents.values()) <= 4.0 + 1e-6, currents


@needs_highs
def test_a_much_more_urgent_car_still_comes_first() -> None:
    sessions = [
        a_session("e0", estimated_departure=NOW + timedelta(hours=1), energy_wanted_kwh=6.0),
        a_session("e1", estimated_departure=NOW + timedelta(hours=10)),
    ]
    currents = allocate(a_snapshot(one_circuit_site(32), sessions)).currents_amps
    assert currents["e0"] == pytest.approx(32) and currents["e1"] == pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize("tuning", PATHS)
def test_never_offers_a_current_between_zero_and_the_minimum(tuning: Tuning) -> None:
    # Given 10 A of room for two cars whose chargers cannot go below 6 A
    snapshot = a_snapshot(one_circuit_site(10, min_current_amps=6), [a_session("e0"), a_session("e1")])

    currents = allocate(snapshot, tuning).currents_amps

    assert all(c == 0 or c >= 6 for c in currents.values())
    assert sum(currents.values()) <= 10 + 1e-6


@pytest.mark.parametrize("tuning", PATHS)
def test_keeps_a_charging_car_at_its_minimum_rather_than_pausing_it(tuning: Tuning) -> None:
    # Given a car already charging with lots of time, and an urgent newcomer that could use everything
    snapshot = a_snapshot(
        one_circuit_site(32, min_current_amps=6),
        [
            a_session("e0", is_charging=True, estimated_departure=NOW + timedelta(hours=12)),
            a_session("e1", estimated_departure=NOW + timedelta(hours=2)),
        ],
    )

    currents = allocate(snapshot, tuning).currents_amps

    assert currents["e0"] == pytest.approx(6)
    assert currents["e1"] == pytest.approx(26)


@pytest.mark.parametrize("tuning", PATHS)
def test_only_allowed_pilots_are_offered(tuning: Tuning) -> None:
    snapshot = a_snapshot(
        one_circuit_site(30, allowed_pilots_amps=(8, 16, 24, 32)), [a_session("e0"), a_session("e1")]
    )

    currents = allocate(snapshot, tuning).currents_amps

    assert set(currents.values()) <= {0.0, 8.0, 16.0, 24.0, 32.0}
    assert sum(currents.values()) == 24


@pytest.mark.parametrize("tuning", PATHS)
def test_a_car_drawing_less_than_offered_releases_the_rest(tuning: Tuning) -> None:
    # Given a car offered 32 A that only takes 10 A, beside another that wants all it can get
    snapshot = a_snapshot(
        one_circuit_site(40),
        [
            a_session("e0", offered_current_amps=32, observed_current_amps=10, is_charging=True),
            a_session("e1", estimated_departure=NOW + timedelta(hours=12)),
        ],
    )

    currents = allocate(snapshot, tuning).currents_amps

    assert currents["e0"] == pytest.approx(11)
    assert currents["e1"] == pytest.approx(29)


@pytest.mark.parametrize("tuning", PATHS)
def test_offers_no_more_than_the_car_still_needs(tuning: Tuning) -> None:
    # Given 0.5 kWh wanted at 230 V over a 5 minute period: 26.1 A covers it
    snapshot = a_snapshot(one_circuit_site(64), [a_session("e0", energy_wanted_kwh=0.5)])

    current = allocate(snapshot, tuning).currents_amps["e0"]

    assert current == pytest.approx(0.5 * 1000 / (230 * 5 / 60))


@pytest.mark.parametrize("tuning", PATHS)
def test_balances_phases_on_a_three_phase_transformer(tuning: Tuning) -> None:
    # Given one car per pair of lines and 30 A per line: one pair alone could take only 30 A
    site = a_three_phase_site(secondary_limit_amps=30)
    snapshot = a_snapshot(site, [a_session("AB-1"), a_session("BC-1"), a_session("CA-1")])

    allocation = allocate(snapshot, tuning)

    total = sum(allocation.currents_amps.values())
    assert violations(compile_network(site), list(allocation.currents_amps.values())) == []
    if tuning.use_linear_program:
        # Balanced, each line carries sqrt(3) times the per-pair current: 3 * 30 / sqrt(3) in all
        assert total == pytest.approx(3 * 30 / math.sqrt(3), rel=0.01)
    else:
        # One pair alone is held to 26 A by the primary (it loads primary B with half its current)
        assert total > 26


def a_car_wanting_10_kwh_in_5_hours(**tariff: object) -> SiteSnapshot:
    return a_snapshot(
        one_circuit_site(64),
        [a_session("e0", energy_wanted_kwh=10, estimated_departure=NOW + timedelta(hours=5))],
        objective="profit",
        tariff=Tariff.model_validate(tariff),
    )


@pytest.mark.parametrize("tuning", PATHS)
def test_profit_spreads_the_load_up_to_departures(tuning: Tuning) -> None:
    # Given a demand charge: 2 kW for 5 hours delivers the 10 kWh at the lowest peak
    snapshot = a_car_wanting_10_kwh_in_5_hours(demand_charge_per_kw=15.0)

    kw = allocate(snapshot, tuning).currents_amps["e0"] * 230 / 1000

    if tuning.use_linear_program:
        assert kw == pytest.approx(2.0, rel=1e-3)
    else:
        assert kw == pytest.approx(2 * (1 + tuning.profit_power_margin), rel=1e-3)


@needs_highs
def test_profit_uses_the_peak_already_paid_for() -> None:
    snapshot = a_car_wanting_10_kwh_in_5_hours(demand_charge_per_kw=15.0, peak_so_far_kw=5.0)

    kw = allocate(snapshot).currents_amps["e0"] * 230 / 1000

    assert kw == pytest.approx(5.0, rel=1e-3)


@needs_highs
def test_profit_waits_for_cheaper_energy_when_the_car_can_still_finish() -> None:
    # Given 1 $/kWh for the first hour, then 0.10 $/kWh: 10 kWh fit in the 4 cheap hours at 7.36 kW
    prices = (1.0,) * 12 + (0.10,) * 48
    snapshot = a_car_wanting_10_kwh_in_5_hours(energy_prices_per_kwh=prices)

    assert allocate(snapshot).currents_amps["e0"] == 0.0


@needs_highs
def test_profit_leaves_energy_undelivered_when_it_costs_more_than_it_earns() -> None:
    # Given a kWh earning 0.30 $ but costing 0.50 $: not worth delivering
    snapshot = a_car_wanting_10_kwh_in_5_hours(energy_prices_per_kwh=(0.50,), energy_value_per_kwh=0.30)
    assert allocate(snapshot).currents_amps["e0"] == 0.0

    # And a demand charge weighed over the days left in the billing period
    cheap_energy_dear_peak = a_car_wanting_10_kwh_in_5_hours(
        energy_prices_per_kwh=(0.10,),
        energy_value_per_kwh=0.30,
        demand_charge_per_kw=20.0,
        billing_period_ends=NOW + timedelta(days=2),
    )
    # a kW of peak costs 10 $ today and earns at most 5 h * 0.20 $ = 1 $
    assert allocate(cheap_energy_dear_peak).currents_amps["e0"] == 0.0

    end_of_a_long_period = cheap_energy_dear_peak.model_copy(
        update={
            "tariff": cheap_energy_dear_peak.tariff.model_copy(
                update={"billing_period_ends": NOW + timedelta(days=30)}
            )
        }
    )
    # 20 $ / 30 days = 0.67 $ a kW, less than the 1 $ it earns: deliver it, spread over the stay
    kw = allocate(end_of_a_long_period).currents_amps["e0"] * 230 / 1000
    assert kw == pytest.approx(2.0, rel=1e-3)


@needs_highs
def test_the_profit_plan_knows_what_the_lines_can_carry() -> None:
    # Given two cars on a 16 A circuit, both wanting more than it can carry before they leave
    site = one_circuit_site(16)
    sessions = [
        PlannedSession(
            evse_index=n, voltage=230, energy_kwh=40, periods_left=24, max_amps_now=32, max_amps_later=32
        )
        for n in range(2)
    ]

    kw = plan_power_now_kw(sessions, Tariff(), NOW, 5, compile_network(site), 12, None, with_network=True)

    # 16 A at 230 V, not the 2 x 32 A the cars could take
    assert kw == pytest.approx(16 * 230 / 1000, rel=1e-3)


@needs_highs
def test_on_a_large_site_the_profit_plan_uses_the_deliverable_total() -> None:
    # Given 40 panels of two line-to-line chargers: 80 lines, too many to copy into every block
    circuits = tuple(Circuit(circuit_id=f"p{n}", limit_amps=20) for n in range(40))
    evses = tuple(
        Evse(evse_id=f"e{n}-{k}", circuit_id=f"p{n}", wiring=Wiring.AB, voltage=208, max_current_amps=32)
        for n in range(40)
        for k in range(2)
    )
    site = SiteNetwork(circuits=circuits, evses=evses)
    sessions = [a_session(e.evse_id, energy_wanted_kwh=30) for e in evses]
    snapshot = a_snapshot(site, sessions, objective="profit")
    planned = [
        PlannedSession(
            evse_index=i, voltage=208, energy_kwh=30, periods_left=96, max_amps_now=32, max_amps_later=32
        )
        for i in range(len(evses))
    ]
    assert not plan_with_network(planned, compile_network(site))

    currents = allocate(snapshot).currents_amps

    # Each panel carries 20 A: the plan's total bound lets the allocation fill every one of them
    assert sum(currents.values()) == pytest.approx(40 * 20, rel=1e-3)
    assert violations(compile_network(site), list(currents.values())) == []


@pytest.mark.parametrize("tuning", PATHS)
def test_profit_keeps_charging_cars_at_their_minimum(tuning: Tuning) -> None:
    # Given three charging cars that need so little that spreading it would pause them
    site = one_circuit_site(64, count=3, min_current_amps=6)
    sessions = [
        a_session(
            f"e{n}", energy_wanted_kwh=0.5, is_charging=True, estimated_departure=NOW + timedelta(hours=10)
        )
        for n in range(3)
    ]
    snapshot = a_snapshot(site, sessions, objective="profit", tariff=Tariff(demand_charge_per_kw=15.0))

    currents = allocate(snapshot, tuning).currents_amps

    assert all(amps >= 6 for amps in currents.values())


@pytest.mark.parametrize("tuning", PATHS)
def test_same_input_same_output(tuning: Tuning) -> None:
    site = a_three_phase_site(secondary_limit_amps=45)
    snapshot = a_snapshot(
        site, [a_session(e.evse_id, energy_wanted_kwh=5 + n) for n, e in enumerate(site.evses)]
    )

    assert allocate(snapshot, tuning) == allocate(snapshot, tuning)


def test_schedule_holds_the_current_until_the_energy_is_delivered() -> None:
    # Given 1 kWh wanted and room for 32 A at 230 V (0.613 kWh a period)
    snapshot = a_snapshot(one_circuit_site(32, count=1), [a_session("e0", energy_wanted_kwh=1.0)])

    allocation = allocate(snapshot, Tuning(use_linear_program=False))

    plan = allocation.schedule_amps["e0"]
    assert plan[0] == pytest.approx(32)
    assert sum(a * 230 * 5 / 60 / 1000 for a in plan) == pytest.approx(1.0)
    assert plan[2:] == (0.0,) * (len(plan) - 2)
