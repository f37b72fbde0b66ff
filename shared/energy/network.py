"""The site's electrical limits as rows of phasor coefficients, checked with exact magnitudes."""

from __future__ import annotations

import cmath
import dataclasses
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from shared.energy.models import LINE_ANGLE_DEGREES, SiteNetwork, line_phasors

LINES = ("A", "B", "C")
# Feasibility tolerance in amperes, far below any breaker's resolution.
TOLERANCE_AMPS = 1e-6


@dataclass(frozen=True)
class LimitRow:
    """|sum_i coefficients[i] * current[members[i]]| <= limit_amps, the currents being real and >= 0."""

    name: str
    members: tuple[int, ...]
    coefficients: tuple[complex, ...]
    limit_amps: float
    single_angle: bool
    """Whether every member pushes the same direction, so the magnitude is a plain weighted sum."""
    scope: str = ""
    """``circuit:<id>``, ``transformer:secondary`` or ``transformer:primary``."""
    line: str = ""


def _same_direction(coefficients: tuple[complex, ...]) -> bool:
    first = coefficients[0]
    return all(abs((c / first).imag) <= 1e-9 * abs(c / first) and (c / first).real > 0 for c in coefficients)


@dataclass(frozen=True)
class CompiledNetwork:
    evse_ids: tuple[str, ...]
    rows: tuple[LimitRow, ...]
    rows_of_evse: tuple[tuple[int, ...], ...]
    """For each EVSE, the rows it appears in."""
    coefficients_of_evse: tuple[tuple[complex, ...], ...]
    """For each EVSE, its coefficient in each of those rows, in the same order."""


def _ancestors(network: SiteNetwork) -> dict[str | None, tuple[str, ...]]:
    """For each circuit (and None for the transformer itself), the circuits it hangs from, itself first."""
    parents = {c.circuit_id: c.parent_id for c in network.circuits}
    chains: dict[str | None, tuple[str, ...]] = {None: ()}
    for circuit_id in parents:
        chain = []
        node: str | None = circuit_id
        while node is not None:
            chain.append(node)
            node = parents[node]
        chains[circuit_id] = tuple(chain)
    return chains


# A site's network changes far less often than its sessions, and a warm Lambda allocates for the
# same few sites every minute: compiling once per network saves most of the cost on large sites.
@functools.lru_cache(maxsize=32)
def compile_network(network: SiteNetwork) -> CompiledNetwork:
    """One row per circuit line and transformer line that any EVSE loads."""
    evse_ids = tuple(e.evse_id for e in network.evses)
    chains = _ancestors(network)
    limits = {c.circuit_id: c.limit_amps for c in network.circuits}
    # (circuit or transformer side, line) -> {evse index: coefficient}
    accumulators: dict[tuple[str, str], dict[int, complex]] = {}
    order: list[tuple[str, str]] = []

    def add(key: tuple[str, str], index: int, coefficient: complex) -> None:
        if key not in accumulators:
            accumulators[key] = {}
            order.append(key)
        accumulators[key][index] = accumulators[key].get(index, 0j) + coefficient

    row_limits: dict[tuple[str, str], float] = {}
    transformer = network.transformer
    for index, evse in enumerate(network.evses):
        phasors = line_phasors(evse.wiring)
        for circuit_id in chains[evse.circuit_id]:
            for line, phasor in phasors.items():
                add((f"circuit:{circuit_id}", line), index, phasor)
                row_limits[(f"circuit:{circuit_id}", line)] = limits[circuit_id]
        if transformer is None:
            continue
        for line, phasor in phasors.items():
            add(("transformer:secondary", line), index, phasor)
            row_limits[("transformer:secondary", line)] = transformer.secondary_limit_amps
        if transformer.primary_limit_amps is not None:
            # Delta-wye: primary line X carries (secondary X - secondary previous) / ratio.
            for primary, (plus, minus) in {"A": ("A", "C"), "B": ("B", "A"), "C": ("C", "B")}.items():
                coefficient = (phasors.get(plus, 0j) - phasors.get(minus, 0j)) / transformer.turns_ratio
                if abs(coefficient) > 0:
                    add(("transformer:primary", primary), index, coefficient)
                    row_limits[("transformer:primary", primary)] = transformer.primary_limit_amps

    rows = []
    for key in order:
        members = {i: c for i, c in accumulators[key].items() if abs(c) > 1e-12}
        if not members:
            continue
        indexes = tuple(sorted(members))
        coefficients = tuple(members[i] for i in indexes)
        rows.append(
            LimitRow(
                name=f"{key[0]}:{key[1]}",
                members=indexes,
                coefficients=coefficients,
                limit_amps=row_limits[key],
                single_angle=_same_direction(coefficients),
                scope=key[0],
                line=key[1],
            )
        )
    rows_of_evse: list[list[int]] = [[] for _ in evse_ids]
    coefficients_of_evse: list[list[complex]] = [[] for _ in evse_ids]
    for row_index, row in enumerate(rows):
        for member, coefficient in zip(row.members, row.coefficients, strict=True):
            rows_of_evse[member].append(row_index)
            coefficients_of_evse[member].append(coefficient)
    return CompiledNetwork(
        evse_ids,
        tuple(rows),
        tuple(tuple(r) for r in rows_of_evse),
        tuple(tuple(c) for c in coefficients_of_evse),
    )


def row_magnitudes(
    compiled: CompiledNetwork, currents: Sequence[float], offsets: Sequence[complex] | None = None
) -> list[float]:
    """The exact current magnitude on every limited line, for real per-EVSE currents, with
    ``offsets`` (per row) flowing besides them."""
    return [
        abs(
            sum(c * currents[i] for i, c in zip(row.members, row.coefficients, strict=True))
            + (offsets[j] if offsets is not None else 0j)
        )
        for j, row in enumerate(compiled.rows)
    ]


def violations(
    compiled: CompiledNetwork, currents: Sequence[float], offsets: Sequence[complex] | None = None
) -> list[str]:
    """Names of the lines whose exact magnitude exceeds their limit."""
    return [
        row.name
        for row, magnitude in zip(compiled.rows, row_magnitudes(compiled, currents, offsets), strict=True)
        if magnitude > row.limit_amps + TOLERANCE_AMPS
    ]


def connection_offsets(
    network: SiteNetwork, compiled: CompiledNetwork, amps_per_line: float, phases: int
) -> tuple[complex, ...]:
    """Per row, what a balanced load of ``amps_per_line`` on each line at the grid connection (the
    transformer's secondary) adds; negative for generation (solar, a discharging battery). On a
    single-phase site it flows on line A only. Circuit rows carry none of it."""
    lines = ("A", "B", "C") if phases == 3 else ("A",)
    secondary = {
        line: amps_per_line * cmath.exp(1j * math.radians(LINE_ANGLE_DEGREES[line])) for line in lines
    }
    ratio = network.transformer.turns_ratio if network.transformer is not None else 1.0
    previous = {"A": "C", "B": "A", "C": "B"}
    offsets = []
    for row in compiled.rows:
        if row.scope == "transformer:secondary":
            offsets.append(secondary.get(row.line, 0j))
        elif row.scope == "transformer:primary":
            offsets.append((secondary.get(row.line, 0j) - secondary.get(previous[row.line], 0j)) / ratio)
        else:
            offsets.append(0j)
    return tuple(offsets)


def evse_offsets(compiled: CompiledNetwork, draws: dict[int, float]) -> tuple[complex, ...]:
    """Per row, what EVSEs drawing fixed currents (by EVSE index) add."""
    offsets = [0j] * len(compiled.rows)
    for index, amps in draws.items():
        for row, coefficient in zip(
            compiled.rows_of_evse[index], compiled.coefficients_of_evse[index], strict=True
        ):
            offsets[row] += coefficient * amps
    return tuple(offsets)


def with_offsets(compiled: CompiledNetwork, offsets: Sequence[complex]) -> CompiledNetwork:
    """The same rows, each limit raised to what already flows there if that is more: when the load
    the allocator does not control already fills a line, its EVSEs get no room on it (the headroom
    is zero) but the allocation stays feasible."""
    if not any(offsets):
        return compiled
    rows = tuple(
        dataclasses.replace(row, limit_amps=max(row.limit_amps, abs(offset)), single_angle=False)
        if offset
        else row
        for row, offset in zip(compiled.rows, offsets, strict=True)
    )
    return dataclasses.replace(compiled, rows=rows)


def max_increase(
    row_sums: Sequence[complex], rows: Sequence[LimitRow], coefficients: Sequence[complex]
) -> float:
    """Largest d >= 0 such that |row_sum + coefficient * d| <= limit for each given row.

    |S + a d|^2 = |S|^2 + 2 d Re(conj(S) a) + |a|^2 d^2 is a quadratic in d, so the answer is exact.
    """
    best = math.inf
    sqrt = math.sqrt
    # Written out in real arithmetic: this runs once per EVSE and row in every fill round.
    for total, row, a in zip(row_sums, rows, coefficients, strict=True):
        limit = row.limit_amps
        slack = limit * limit - (total.real * total.real + total.imag * total.imag)
        if slack < 0:
            return 0.0
        b = total.real * a.real + total.imag * a.imag
        a2 = a.real * a.real + a.imag * a.imag
        discriminant = b * b + a2 * slack
        root = (-b + sqrt(discriminant if discriminant > 0 else 0.0)) / a2
        if root < best:
            best = root if root > 0 else 0.0
    return best
