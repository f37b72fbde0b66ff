"""Property tests: for random sites and sessions the allocation never breaks a limit, never offers
a current between 0 and the minimum, uses only allowed pilots, never offers more than the EVSE
takes nor more than the car takes (or, on pilot steps, the step just above it), and is the same
every time."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.energy import (
    ActiveSession,
    Circuit,
    Evse,
    SiteNetwork,
    SiteSnapshot,
    Transformer,
    Tuning,
    Wiring,
    allocate,
)
from shared.energy.network import TOLERANCE_AMPS, compile_network, violations
from tests.energy.builders import HAS_HIGHS, NOW

PILOT_SETS = [None, (8.0, 16.0, 24.0, 32.0), tuple(float(a) for a in range(6, 33))]


@st.composite
def sites(draw: st.DrawFn) -> SiteSnapshot:
    circuit_count = draw(st.integers(0, 4))
    circuits: list[Circuit] = []
    for n in range(circuit_count):
        parent = draw(st.sampled_from([None, *[c.circuit_id for c in circuits]]))
        circuits.append(Circuit(circuit_id=f"c{n}", parent_id=parent, limit_amps=draw(st.floats(6, 120))))
    transformer = None
    if draw(st.booleans()):
        secondary = draw(st.floats(10, 400))
        primary = draw(st.one_of(st.none(), st.floats(5, 200)))
        transformer = Transformer(secondary_limit_amps=secondary, primary_limit_amps=primary, turns_ratio=4)
    evses = []
    for n in range(draw(st.integers(1, 10))):
        pilots = draw(st.sampled_from(PILOT_SETS))
        evses.append(
            Evse(
                evse_id=f"e{n:02d}",
                circuit_id=draw(st.sampled_from([None, *[c.circuit_id for c in circuits]])),
                wiring=draw(st.sampled_from(list(Wiring))),
                voltage=draw(st.sampled_from([208.0, 230.0])),
                max_current_amps=32.0,
                min_current_amps=draw(st.sampled_from([0.0, 6.0])) if pilots is None else 0.0,
                allowed_pilots_amps=pilots,
            )
        )
    network = SiteNetwork(transformer=transformer, circuits=tuple(circuits), evses=tuple(evses))
    sessions = []
    for evse in evses:
        if not draw(st.booleans()):
            continue
        offered = draw(st.one_of(st.none(), st.floats(0, 32)))
        sessions.append(
            ActiveSession(
                evse_id=evse.evse_id,
                energy_wanted_kwh=draw(st.floats(0, 60)),
                estimated_departure=draw(
                    st.one_of(st.none(), st.integers(-30, 24 * 60).map(lambda m: NOW + timedelta(minutes=m)))
                ),
                vehicle_max_current_amps=draw(st.one_of(st.none(), st.floats(4, 40))),
                offered_current_amps=offered,
                observed_current_amps=None if offered is None else draw(st.floats(0, 32)),
                is_charging=draw(st.booleans()),
            )
        )
    return SiteSnapshot(
        now=NOW,
        network=network,
        sessions=tuple(sessions),
        objective=draw(st.sampled_from(["energy", "profit"])),
        peak_limit_kw=draw(st.one_of(st.none(), st.floats(1, 100))),
    )


TUNINGS = [Tuning(use_linear_program=False)] + ([Tuning()] if HAS_HIGHS else [])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=sites())
def test_allocation_obeys_every_rule(snapshot: SiteSnapshot) -> None:
    compiled = compile_network(snapshot.network)
    evses = {e.evse_id: e for e in snapshot.network.evses}
    sessions = {s.evse_id: s for s in snapshot.sessions}
    for tuning in TUNINGS:
        allocation = allocate(snapshot, tuning)

        currents = [allocation.currents_amps[e] for e in compiled.evse_ids]
        assert violations(compiled, currents) == []
        assert allocation == allocate(snapshot, tuning)
        if snapshot.peak_limit_kw is not None:
            site_kw = sum(evses[e].voltage * a for e, a in allocation.currents_amps.items()) / 1000
            assert site_kw <= snapshot.peak_limit_kw + 1e-6
        for evse_id, amps in allocation.currents_amps.items():
            evse = evses[evse_id]
            assert amps >= 0
            assert amps <= evse.max_current_amps + TOLERANCE_AMPS
            if evse_id not in sessions:
                assert amps == 0
                continue
            session = sessions[evse_id]
            car_max = session.vehicle_max_current_amps
            if car_max is not None and evse.pilot_values is None:
                assert amps <= car_max + TOLERANCE_AMPS
            elif car_max is not None and evse.pilot_values is not None:
                # A car draws no more than its maximum: the pilot just above it may be offered.
                assert amps <= min(
                    (p for p in evse.pilot_values if p >= car_max - TOLERANCE_AMPS), default=32
                )
            if evse.pilot_values is not None:
                assert amps in evse.pilot_values
            elif amps > 0:
                assert amps >= evse.min_current_amps - TOLERANCE_AMPS
