"""A linear program for HiGHS, built row by row, with the site's line limits as linear rows.

Shared by the per-period allocation and the profit plan's look-ahead (one copy of the network
rows per planned period). numpy and highspy are imported on first use only: the models and the
greedy path must not pay for them, and a Lambda without the ``energy`` extra still allocates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from shared.energy.network import CompiledNetwork


def solver_modules() -> tuple[Any, Any] | None:
    """(highspy, numpy), or None when they are not installed."""
    try:
        import highspy
        import numpy
    except ImportError:
        return None
    return highspy, numpy


class LinearProgram:
    """Minimise cost . x subject to row bounds, built incrementally (row-wise)."""

    def __init__(self, highspy: Any, np: Any):
        self._highspy = highspy
        self._np = np
        self.infinity: float = highspy.kHighsInf
        self._costs: list[Any] = []
        self._lowers: list[Any] = []
        self._uppers: list[Any] = []
        self.column_count = 0
        self._starts: list[int] = [0]
        self._indexes: list[Any] = []
        self._values: list[Any] = []
        self._row_lowers: list[float] = []
        self._row_uppers: list[float] = []

    def add_columns(self, cost: Sequence[float], lower: Sequence[float], upper: Sequence[float]) -> int:
        """Adds len(cost) columns; returns the index of the first."""
        np = self._np
        first = self.column_count
        self._costs.append(np.asarray(cost, dtype=float))
        self._lowers.append(np.asarray(lower, dtype=float))
        self._uppers.append(np.asarray(upper, dtype=float))
        self.column_count += len(cost)
        return first

    def add_row(self, columns: Any, coefficients: Any, lower: float, upper: float) -> None:
        np = self._np
        self._indexes.append(np.asarray(columns, dtype=np.int32))
        self._values.append(np.asarray(coefficients, dtype=float))
        self._row_lowers.append(lower)
        self._row_uppers.append(upper)
        self._starts.append(self._starts[-1] + len(columns))

    def add_network_limits(
        self,
        compiled: CompiledNetwork,
        column_of: Mapping[int, int],
        fixed_amps: Mapping[int, float],
        sides: int,
        row_offsets: Sequence[complex] | None = None,
    ) -> None:
        """Every line limit of the site over the EVSE currents in ``column_of`` (EVSE index to
        column), with ``fixed_amps`` already flowing. A line whose loads share one angle is limited
        exactly by their sum; a mixed-angle line by the regular polygon inscribed in its current
        circle (conservative), through two helper columns holding its phasor sum's parts, so its
        polygon rows touch only those two. ``row_offsets`` (per row) is current flowing there
        that no EVSE of the program controls (base load, solar, a charger ignoring its limit)."""
        np = self._np
        # Edge normals half a side off the axes put polygon corners on multiples of 360/sides
        # degrees, where balanced three-phase line currents point, so the polygon costs nothing there.
        normals = np.exp(1j * (2 * np.arange(sides) + 1) * np.pi / sides)
        shrink = math.cos(math.pi / sides)
        polygon_helpers: list[int] = []
        polygon_bounds: list[float] = []
        for row_index, row in enumerate(compiled.rows):
            members = [
                (column_of[i], c)
                for i, c in zip(row.members, row.coefficients, strict=True)
                if i in column_of
            ]
            if not members:
                continue
            fixed_sum = sum(
                (
                    c * fixed_amps[i]
                    for i, c in zip(row.members, row.coefficients, strict=True)
                    if i in fixed_amps
                ),
                0j,
            )
            if row_offsets is not None:
                fixed_sum += row_offsets[row_index]
            columns = np.array([m[0] for m in members], dtype=np.int32)
            coefficients = np.array([m[1] for m in members], dtype=complex)
            if row.single_angle and abs(fixed_sum) == 0:
                self.add_row(columns, np.abs(coefficients), -self.infinity, row.limit_amps)
                continue
            real_column = self.add_columns([0.0, 0.0], [-self.infinity] * 2, [self.infinity] * 2)
            # helper_re - sum Re(c) r = Re(fixed), helper_im - sum Im(c) r = Im(fixed)
            for part, column in ((np.real, real_column), (np.imag, real_column + 1)):
                target = float(part(fixed_sum))
                self.add_row(np.append(columns, column), np.append(-part(coefficients), 1.0), target, target)
            polygon_helpers.append(real_column)
            polygon_bounds.append(row.limit_amps * shrink)
        if polygon_helpers:
            # Built as one block: (re, im) . normal_k <= bound for every side k of every line.
            real_columns = np.repeat(np.asarray(polygon_helpers, dtype=np.int32), sides)
            self._indexes.append(np.stack([real_columns, real_columns + 1], axis=1).ravel())
            self._values.append(
                np.tile(np.stack([normals.real, normals.imag], axis=1).ravel(), len(polygon_helpers))
            )
            polygon_rows = sides * len(polygon_helpers)
            self._row_lowers.extend([-self.infinity] * polygon_rows)
            self._row_uppers.extend(np.repeat(polygon_bounds, sides).tolist())
            self._starts.extend((self._starts[-1] + 2 * np.arange(1, polygon_rows + 1)).tolist())

    def solve(self) -> Any | None:
        """The optimal column values, or None when HiGHS does not reach the optimum."""
        highspy, np = self._highspy, self._np
        lp = highspy.HighsLp()
        lp.num_col_ = self.column_count
        lp.num_row_ = len(self._row_uppers)
        lp.col_cost_ = np.concatenate(self._costs)
        lp.col_lower_ = np.concatenate(self._lowers)
        lp.col_upper_ = np.concatenate(self._uppers)
        lp.row_lower_ = np.asarray(self._row_lowers, dtype=float)
        lp.row_upper_ = np.asarray(self._row_uppers, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.asarray(self._starts, dtype=np.int32)
        lp.a_matrix_.index_ = (
            np.concatenate(self._indexes).astype(np.int32) if self._indexes else np.array([], dtype=np.int32)
        )
        lp.a_matrix_.value_ = np.concatenate(self._values) if self._values else np.array([])
        solver = highspy.Highs()
        solver.setOptionValue("output_flag", False)
        solver.setOptionValue("random_seed", 0)
        solver.setOptionValue("threads", 1)
        solver.passModel(lp)
        solver.run()
        if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(solver.getSolution().col_value)
