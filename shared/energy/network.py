"""The site's electrical limits as rows of phasor coefficients, checked with exact magnitudes."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from shared.energy.models import SiteNetwork, line_phasors

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


def row_magnitudes(compiled: CompiledNetwork, currents: Sequence[float]) -> list[float]:
    """The exact current magnitude on every limited line, for real per-EVSE currents."""
    return [
        abs(sum(c * currents[i] for i, c in zip(row.members, row.coefficients, strict=True)))
        for row in compiled.rows
    ]


def violations(compiled: CompiledNetwork, currents: Sequence[float]) -> list[str]:
    """Names of the lines whose exact magnitude exceeds their limit."""
    return [
        row.name
        for row, magnitude in zip(compiled.rows, row_magnitudes(compiled, currents), strict=True)
        if magnitude > row.limit_amps + TOLERANCE_AMPS
    ]


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
