"""Whether a set of limits in force keeps every line of the site within its limit.

The allocator's currents are feasible by construction; what is *in force* at the chargers is not the
allocation but, per EVSE, the highest limit it may be holding: the one it accepted, or any sent and
not yet answered. A run sends decreases first, and an increase only when the worst case with it is
feasible (``limits_within``); the rest wait until the decreases are accepted. So the limits in force
never exceed a limit of the site, whatever order the answers arrive in.

The check counts what the allocation counted besides the EVSEs: chargers that ignore their limit or
are offline at their fixed draw, base load, solar and the battery's set point on the grid
connection's lines, and the import limit in force now (the connection's and the grid signals').
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.energy.models import Allocation, SiteSnapshot
from shared.energy.network import TOLERANCE_AMPS, compile_network, connection_offsets, row_magnitudes


def _site_flow_kw(snapshot: SiteSnapshot, allocation: Allocation) -> float:
    power = snapshot.site_power
    if power is None:
        return 0.0
    base = power.base_load_kw[0] if power.base_load_kw else 0.0
    solar = power.solar_kw[0] if power.solar_kw else 0.0
    return base - solar + allocation.battery_power_kw


def line_magnitudes(
    snapshot: SiteSnapshot, allocation: Allocation, limits: Mapping[str, float]
) -> list[tuple[str, float, float]]:
    """(line, current, limit) for every limited line with these limits (allocator EVSE ids to
    amperes; an EVSE not given draws nothing, an uncontrolled one at least its fixed draw)."""
    compiled = compile_network(snapshot.network)
    fixed = {s.evse_id: s.fixed_draw_amps for s in snapshot.sessions if s.fixed_draw_amps is not None}
    currents = [max(limits.get(e, 0.0), fixed.get(e) or 0.0) for e in compiled.evse_ids]
    offsets = None
    power = snapshot.site_power
    flow_kw = _site_flow_kw(snapshot, allocation)
    if power is not None and power.flows_through_transformer and flow_kw != 0:
        amps_per_line = flow_kw * 1000.0 / (power.phases * power.line_to_neutral_volts)
        offsets = connection_offsets(snapshot.network, compiled, amps_per_line, power.phases)
    return [
        (row.name, magnitude, row.limit_amps)
        for row, magnitude in zip(compiled.rows, row_magnitudes(compiled, currents, offsets), strict=True)
    ]


def ev_power_kw(snapshot: SiteSnapshot, limits: Mapping[str, float]) -> float:
    fixed = {s.evse_id: s.fixed_draw_amps for s in snapshot.sessions if s.fixed_draw_amps is not None}
    return (
        sum(
            e.watts_per_amp * max(limits.get(e.evse_id, 0.0), fixed.get(e.evse_id) or 0.0)
            for e in snapshot.network.evses
        )
        / 1000.0
    )


def limits_within(snapshot: SiteSnapshot, allocation: Allocation, limits: Mapping[str, float]) -> bool:
    """Whether these limits, all drawn in full at once, stay within every line's limit and the
    import limit. Lines that the uncontrolled load alone already overloads count at that load (the
    allocation could not do better either)."""
    uncontrolled_only = {e: 0.0 for e in limits}
    floor = {
        name: magnitude for name, magnitude, _ in line_magnitudes(snapshot, allocation, uncontrolled_only)
    }
    for name, magnitude, limit in line_magnitudes(snapshot, allocation, limits):
        if magnitude > max(limit, floor[name]) + TOLERANCE_AMPS:
            return False
    import_limit = allocation.import_limit_kw
    if import_limit is not None:
        other = _site_flow_kw(snapshot, allocation)
        floor_kw = ev_power_kw(snapshot, uncontrolled_only) + other
        if ev_power_kw(snapshot, limits) + other > max(import_limit, floor_kw) + 1e-6:
            return False
    peak = snapshot.peak_limit_kw
    return peak is None or ev_power_kw(snapshot, limits) <= peak + 1e-6


def connection_amps(
    snapshot: SiteSnapshot, allocation: Allocation, limits: Mapping[str, float]
) -> float | None:
    """The highest line current at the grid connection (its transformer rows) with these limits."""
    lines = [
        m for name, m, _ in line_magnitudes(snapshot, allocation, limits) if name.startswith("transformer:")
    ]
    return max(lines) if lines else None
