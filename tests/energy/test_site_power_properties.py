"""Property tests for the inputs a real site adds: base load, solar, a battery, grid signals and
priorities. For random sites: the import never goes over its limit (and when the other flows
alone already do, the EVs get nothing and the battery gives all it can), the connection's lines
carry no more than their limit with those flows counted, the battery stays within its power and
state-of-charge limits, a signal outside its window changes nothing, a higher priority never
gets less than an otherwise identical car, and the same input gives the same output."""

from __future__ import annotations

import cmath
import math
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.energy import (
    ActiveSession,
    Circuit,
    Evse,
    SiteNetwork,
    SiteSnapshot,
    Tariff,
    Transformer,
    Tuning,
    Wiring,
    allocate,
)
from shared.energy.models import LINE_ANGLE_DEGREES, Battery, GridSignal, SitePower, line_phasors
from shared.energy.network import TOLERANCE_AMPS, compile_network, row_magnitudes
from tests.energy.builders import HAS_HIGHS, NOW

TUNINGS = [Tuning(use_linear_program=False)] + ([Tuning()] if HAS_HIGHS else [])
PERIOD_HOURS = 5 / 60
VOLTS = 230.0
EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def batteries(draw: st.DrawFn) -> Battery:
    capacity = draw(st.floats(5, 200))
    low = draw(st.floats(0, 0.4)) * capacity
    high = draw(st.floats(0.6, 1.0)) * capacity
    return Battery(
        capacity_kwh=capacity,
        state_of_charge_kwh=draw(st.floats(0, 1)) * capacity,
        min_state_of_charge_kwh=low,
        max_state_of_charge_kwh=high,
        max_charge_kw=draw(st.floats(0, 60)),
        max_discharge_kw=draw(st.floats(0, 60)),
        charge_efficiency=draw(st.floats(0.8, 1.0)),
        discharge_efficiency=draw(st.floats(0.8, 1.0)),
    )


def series(draw: st.DrawFn, top: float) -> tuple[float, ...]:
    return tuple(draw(st.lists(st.floats(0, top), max_size=30)))


@st.composite
def signals(draw: st.DrawFn) -> tuple[GridSignal, ...]:
    found = []
    for _ in range(draw(st.integers(0, 3))):
        start = NOW + timedelta(minutes=draw(st.integers(-300, 600)))
        kind = draw(st.sampled_from(["import_limit", "price"]))
        found.append(
            GridSignal(
                kind=kind,
                starts_at=start,
                ends_at=start + timedelta(minutes=draw(st.integers(1, 400))),
                value=draw(st.floats(0, 80)) if kind == "import_limit" else draw(st.floats(-0.1, 0.8)),
            )
        )
    return tuple(found)


@st.composite
def sites(draw: st.DrawFn) -> SiteSnapshot:
    circuits = (
        [Circuit(circuit_id="panel", limit_amps=draw(st.floats(10, 80)))] if draw(st.booleans()) else []
    )
    evses = []
    for n in range(draw(st.integers(1, 8))):
        evses.append(
            Evse(
                evse_id=f"e{n}",
                circuit_id=draw(st.sampled_from([None, *[c.circuit_id for c in circuits]])),
                wiring=draw(st.sampled_from([Wiring.A, Wiring.B, Wiring.C, Wiring.ABC, Wiring.AB])),
                voltage=VOLTS,
                max_current_amps=32,
                min_current_amps=draw(st.sampled_from([0.0, 6.0])),
            )
        )
    network = SiteNetwork(
        transformer=Transformer(secondary_limit_amps=draw(st.floats(16, 200))),
        circuits=tuple(circuits),
        evses=tuple(evses),
    )
    sessions = []
    for evse in evses:
        if draw(st.integers(0, 3)) == 0:
            continue
        sessions.append(
            ActiveSession(
                evse_id=evse.evse_id,
                energy_wanted_kwh=draw(st.floats(0, 60)),
                estimated_departure=NOW + timedelta(minutes=draw(st.integers(10, 16 * 60))),
                is_charging=draw(st.booleans()),
                fleet=draw(st.booleans()),
                priority_weight=draw(st.sampled_from([1.0, 2.0, 5.0])),
                fixed_draw_amps=draw(st.one_of(st.none(), st.floats(0, 32)))
                if draw(st.integers(0, 5)) == 0
                else None,
            )
        )
    power = SitePower(
        import_limit_kw=draw(st.one_of(st.none(), st.floats(5, 150))),
        base_load_kw=series(draw, 40),
        solar_kw=series(draw, 60),
        battery=draw(st.one_of(st.none(), batteries())),
        line_to_neutral_volts=VOLTS,
        flows_through_transformer=draw(st.booleans()),
    )
    prices = tuple(draw(st.lists(st.floats(0.05, 0.6), max_size=24)))
    return SiteSnapshot(
        now=NOW,
        network=network,
        sessions=tuple(sessions),
        tariff=Tariff(energy_prices_per_kwh=prices, demand_charge_per_kw=draw(st.sampled_from([0.0, 15.0]))),
        objective=draw(st.sampled_from(["energy", "profit"])),
        site_power=power,
        grid_signals=draw(signals()),
        horizon_periods=draw(st.sampled_from([24, 96, 288])),
    )


def import_limit_now(snapshot: SiteSnapshot) -> float | None:
    limits = [snapshot.site_power.import_limit_kw] if snapshot.site_power else []
    end = NOW + timedelta(minutes=snapshot.period_minutes)
    limits += [
        s.value
        for s in snapshot.grid_signals
        if s.kind == "import_limit" and s.starts_at < end and s.ends_at > NOW
    ]
    given = [v for v in limits if v is not None]
    return min(given) if given else None


def connection_line_amps(snapshot: SiteSnapshot, currents: dict[str, float], other_kw: float) -> list[float]:
    """Each connection line's current, from first principles: every EVSE's phasor plus the other
    flows shared over the three lines at each line's own angle."""
    per_line = other_kw * 1000 / (3 * VOLTS)
    totals = {line: per_line * cmath.exp(1j * math.radians(LINE_ANGLE_DEGREES[line])) for line in "ABC"}
    for evse in snapshot.network.evses:
        for line, phasor in line_phasors(evse.wiring).items():
            totals[line] += phasor * currents[evse.evse_id]
    return [abs(v) for v in totals.values()]


@EXAMPLES
@given(snapshot=sites())
def test_never_above_the_import_limit_nor_a_line_limit(snapshot: SiteSnapshot) -> None:
    power = snapshot.site_power
    assert power is not None
    base = power.base_load_kw[0] if power.base_load_kw else 0.0
    solar = power.solar_kw[0] if power.solar_kw else 0.0
    evses = {e.evse_id: e for e in snapshot.network.evses}
    limit = import_limit_now(snapshot)
    for tuning in TUNINGS:
        allocation = allocate(snapshot, tuning)
        assert allocation == allocate(snapshot, tuning)

        ev_kw = sum(evses[e].watts_per_amp * a for e, a in allocation.currents_amps.items()) / 1000
        battery_kw = allocation.battery_power_kw
        imported = ev_kw + base - solar + battery_kw
        assert allocation.import_kw is not None
        assert math.isclose(allocation.import_kw, imported, abs_tol=1e-4)
        if limit is not None:
            assert allocation.import_limit_kw == limit
            if imported > limit + 1e-4:
                # only when the flows the allocator does not control already exceed it
                assert all(
                    a == 0 for e, a in allocation.currents_amps.items() if e not in fixed_evses(snapshot)
                )
                assert (
                    power.battery is None
                    or battery_kw <= -power.battery.power_bounds_kw(PERIOD_HOURS)[0] + 1e-6
                )
        # lines: a circuit carries EV current only, the connection the other flows too; a line
        # that what the allocator does not control already overloads gets no worse
        uncontrolled = {
            e: (a if e in fixed_evses(snapshot) else 0.0) for e, a in allocation.currents_amps.items()
        }
        compiled = compile_network(snapshot.network)
        ordered = [allocation.currents_amps[e] for e in compiled.evse_ids]
        before = row_magnitudes(compiled, [uncontrolled[e] for e in compiled.evse_ids])
        for row, amps, floor in zip(compiled.rows, row_magnitudes(compiled, ordered), before, strict=True):
            if row.scope.startswith("circuit:"):
                assert amps <= max(row.limit_amps, floor) + 1e-6
        through = base - solar + battery_kw if power.flows_through_transformer else 0.0
        line_amps = connection_line_amps(snapshot, allocation.currents_amps, through)
        uncontrolled_only = connection_line_amps(snapshot, uncontrolled, through)
        assert network_limit_respected(snapshot, line_amps, uncontrolled_only)


def fixed_evses(snapshot: SiteSnapshot) -> set[str]:
    return {s.evse_id for s in snapshot.sessions if s.fixed_draw_amps is not None}


def network_limit_respected(
    snapshot: SiteSnapshot, line_amps: list[float], uncontrolled: list[float]
) -> bool:
    assert snapshot.network.transformer is not None
    limit = snapshot.network.transformer.secondary_limit_amps
    # A line already over its limit from what the allocator does not control gets no worse.
    return all(
        amps <= max(limit, before) + 1e-4 for amps, before in zip(line_amps, uncontrolled, strict=True)
    )


@EXAMPLES
@given(snapshot=sites())
def test_the_battery_stays_within_its_power_and_charge_limits(snapshot: SiteSnapshot) -> None:
    power = snapshot.site_power
    assert power is not None
    battery = power.battery
    for tuning in TUNINGS:
        allocation = allocate(snapshot, tuning)
        if battery is None:
            assert allocation.battery_power_kw == 0 and allocation.battery_schedule_kw == ()
            continue
        assert_battery_plan_within_limits(
            battery, allocation.battery_power_kw, allocation.battery_schedule_kw
        )


def assert_battery_plan_within_limits(battery: Battery, kw: float, schedule: tuple[float, ...]) -> None:
    assert -battery.max_discharge_kw - 1e-6 <= kw <= battery.max_charge_kw + 1e-6
    after = battery.state_after(kw, PERIOD_HOURS)
    assert min(battery.min_state_of_charge_kwh, battery.state_of_charge_kwh) - 1e-6 <= after
    assert after <= max(battery.upper_kwh, battery.state_of_charge_kwh) + 1e-6
    # the whole plan, period by period, within the same limits
    state = after
    for planned in schedule[1:]:
        assert -battery.max_discharge_kw - 1e-3 <= planned <= battery.max_charge_kw + 1e-3
        step = planned * PERIOD_HOURS
        state += step * battery.charge_efficiency if planned >= 0 else step / battery.discharge_efficiency
        assert min(battery.min_state_of_charge_kwh, battery.state_of_charge_kwh) - 1e-3 <= state
        assert state <= max(battery.upper_kwh, battery.state_of_charge_kwh) + 1e-3


def test_a_negative_price_does_not_overfill_the_battery_through_its_losses() -> None:
    """At a negative price the program charges and discharges in the same block to burn imported energy;
    replayed as one net power per period that plan filled the battery past its top (hypothesis)."""
    battery = Battery(
        capacity_kwh=5.0,
        state_of_charge_kwh=0.0,
        min_state_of_charge_kwh=0.0,
        max_state_of_charge_kwh=5.0,
        max_charge_kw=18.0,
        max_discharge_kw=1.0,
        charge_efficiency=0.875,
        discharge_efficiency=0.875,
        cycle_cost_per_kwh=0.01,
    )
    snapshot = SiteSnapshot(
        now=NOW,
        network=SiteNetwork(
            transformer=Transformer(secondary_limit_amps=200.0),
            evses=(Evse(evse_id="e0", wiring=Wiring.ABC, voltage=VOLTS, max_current_amps=32),),
        ),
        sessions=(),
        tariff=Tariff(energy_prices_per_kwh=(0.2,)),
        objective="profit",
        site_power=SitePower(battery=battery, line_to_neutral_volts=VOLTS),
        grid_signals=(
            GridSignal(kind="price", starts_at=NOW, ends_at=NOW + timedelta(hours=24), value=-0.0625),
        ),
        horizon_periods=288,
    )
    for tuning in TUNINGS:
        allocation = allocate(snapshot, tuning)
        assert_battery_plan_within_limits(
            battery, allocation.battery_power_kw, allocation.battery_schedule_kw
        )


@EXAMPLES
@given(snapshot=sites(), start=st.integers(-2000, 2000), length=st.integers(1, 600), value=st.floats(0, 50))
def test_a_signal_counts_only_inside_its_window(
    snapshot: SiteSnapshot, start: int, length: int, value: float
) -> None:
    starts = NOW + timedelta(minutes=start)
    signal = GridSignal(
        kind="import_limit", starts_at=starts, ends_at=starts + timedelta(minutes=length), value=value
    )
    with_signal = snapshot.model_copy(update={"grid_signals": (*snapshot.grid_signals, signal)})
    horizon_end = NOW + timedelta(minutes=snapshot.period_minutes * snapshot.horizon_periods)
    for tuning in TUNINGS:
        allocation = allocate(with_signal, tuning)
        if signal.ends_at <= NOW or signal.starts_at >= horizon_end:
            # ended before now, or starts after the horizon: as if it were not there
            assert allocation == allocate(snapshot, tuning)
        elif signal.starts_at < NOW + timedelta(minutes=snapshot.period_minutes):
            # in force now: the import limit now is at most its value
            assert allocation.import_limit_kw is not None and allocation.import_limit_kw <= value


@st.composite
def rivals(draw: st.DrawFn) -> tuple[SiteSnapshot, str, str]:
    """Two cars alike in all but priority, competing for one circuit."""
    wiring = draw(st.sampled_from([Wiring.A, Wiring.ABC]))
    evses = tuple(
        Evse(evse_id=f"e{n}", circuit_id="c", wiring=wiring, voltage=VOLTS, max_current_amps=32)
        for n in range(2)
    )
    network = SiteNetwork(circuits=(Circuit(circuit_id="c", limit_amps=draw(st.floats(6, 60))),), evses=evses)
    energy = draw(st.floats(1, 60))
    departure = NOW + timedelta(minutes=draw(st.integers(30, 900)))
    high = draw(st.sampled_from(["e0", "e1"]))
    fleet = draw(st.booleans())
    sessions = tuple(
        ActiveSession(
            evse_id=e.evse_id,
            energy_wanted_kwh=energy,
            estimated_departure=departure,
            fleet=fleet and e.evse_id == high,
            priority_weight=draw(st.floats(1.5, 10)) if e.evse_id == high and not fleet else 1.0,
        )
        for e in evses
    )
    snapshot = SiteSnapshot(now=NOW, network=network, sessions=sessions)
    return snapshot, high, "e1" if high == "e0" else "e0"


@EXAMPLES
@given(case=rivals())
def test_a_higher_priority_never_gets_less(case: tuple[SiteSnapshot, str, str]) -> None:
    snapshot, high, low = case
    for tuning in TUNINGS:
        currents = allocate(snapshot, tuning).currents_amps
        assert currents[high] >= currents[low] - TOLERANCE_AMPS
