"""How long one allocation takes for synthetic sites of 10 to 10,000 EVSEs."""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.energy import (
    ActiveSession,
    Circuit,
    Evse,
    SiteNetwork,
    SiteSnapshot,
    Transformer,
    Wiring,
    allocate,
)

SIZES = (10, 100, 1_000, 10_000)
EVSES_PER_PANEL = 24
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def synthetic_site(evse_count: int, seed: int = 7) -> SiteSnapshot:
    """Three-phase panels of 24 line-to-line EVSEs (8 per pair of lines, a third of them with
    discrete pilots) under one transformer sized at 40 % of the connected load; 70 % occupied."""
    rng = random.Random(seed)
    panel_count = max(1, evse_count // EVSES_PER_PANEL)
    circuits = tuple(Circuit(circuit_id=f"panel-{p}", limit_amps=200.0) for p in range(panel_count))
    wirings = (Wiring.AB, Wiring.BC, Wiring.CA)
    evses = tuple(
        Evse(
            evse_id=f"evse-{n:05d}",
            circuit_id=f"panel-{n % panel_count}",
            wiring=wirings[n % 3],
            voltage=208.0,
            max_current_amps=32.0,
            min_current_amps=6.0,
            allowed_pilots_amps=(8.0, 16.0, 24.0, 32.0) if n % 3 == 0 else None,
        )
        for n in range(evse_count)
    )
    connected_amps = 32.0 * evse_count
    secondary = 0.4 * connected_amps / 3
    sessions = tuple(
        ActiveSession(
            evse_id=evse.evse_id,
            energy_wanted_kwh=rng.uniform(2, 40),
            estimated_departure=NOW + timedelta(minutes=rng.randint(30, 600)),
            is_charging=rng.random() < 0.5,
        )
        for evse in evses
        if rng.random() < 0.7
    )
    return SiteSnapshot(
        now=NOW,
        network=SiteNetwork(
            transformer=Transformer(
                secondary_limit_amps=secondary, primary_limit_amps=secondary * 120 / 277, turns_ratio=4
            ),
            circuits=circuits,
            evses=evses,
        ),
        sessions=sessions,
    )


def scale_figures(repeats: int = 3) -> list[dict[str, Any]]:
    allocate(synthetic_site(3, seed=1))  # pays for the deferred imports once
    figures = []
    for size in SIZES:
        snapshot = synthetic_site(size)
        started = time.perf_counter()
        allocate(snapshot)
        first = time.perf_counter() - started
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            allocation = allocate(snapshot)
            timings.append(time.perf_counter() - started)
        figures.append(
            {
                "evses": size,
                "sessions": len(snapshot.sessions),
                "first_s": first,
                "first_note": "includes compiling the network; later calls reuse it",
                "median_s": statistics.median(timings),
                "max_s": max(timings),
                "method": allocation.method,
                "delivered_amps": round(sum(allocation.currents_amps.values()), 1),
            }
        )
    return figures


if __name__ == "__main__":
    for figure in scale_figures():
        print(figure)
