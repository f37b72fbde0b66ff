"""Where ASA's realistic-variant violations come from: one day, each rounding step checked.

    python -m bench.energy.baselines.asa_violations [capacity_kw]   # default 10; about 10 minutes

Wraps ``asa.quantize_with_reallocation`` and counts, per scheduling call, whether the solver's
first column, the first rounding into allowed pilots and the final pilots are feasible by the
exact three-phase check.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np

from bench.energy import scenarios
from bench.energy.baselines import asa
from bench.energy.run import sessions_for


def count_infeasible_steps(capacity_kw: int) -> dict[str, Any]:
    warnings.simplefilter("ignore")
    counts: dict[str, Any] = {
        "calls": 0,
        "solver_infeasible": 0,
        "first_rounding_infeasible": 0,
        "final_infeasible": 0,
        "largest_round_up_amps": 0.0,
    }
    quantize = asa.quantize_with_reallocation

    def checked(first: np.ndarray, sessions: Any, infrastructure: Any, interface: Any) -> np.ndarray:
        counts["calls"] += 1
        allowed = [sorted(float(a) for a in pilots) for pilots in infrastructure.allowable_pilots]
        rounded = np.array([asa._floor_to_allowed(v, allowed[i]) for i, v in enumerate(first)])
        counts["largest_round_up_amps"] = max(counts["largest_round_up_amps"], float((rounded - first).max()))
        counts["solver_infeasible"] += not asa._feasible(first, infrastructure)
        counts["first_rounding_infeasible"] += not asa._feasible(rounded, infrastructure)
        final = quantize(first, sessions, infrastructure, interface)
        counts["final_infeasible"] += not asa._feasible(final, infrastructure)
        return final

    asa.quantize_with_reallocation = checked
    try:
        sessions, start = sessions_for("day")
        metrics = scenarios.run_simulation(
            lambda: asa.AdaptiveSchedulingAlgorithm(asa.ENERGY_OBJECTIVE, realistic=True),
            sessions,
            start,
            "realistic",
            capacity_kw,
        )
    finally:
        asa.quantize_with_reallocation = quantize
    return {"capacity_kw": capacity_kw, "violations_by_acnportal": metrics["violations"], **counts}


if __name__ == "__main__":
    print(count_infeasible_steps(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
