"""Markdown tables for bench/energy/README.md from the two results files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[1] / "results"
ORDER = (
    "Ours-energy",
    "Ours-profit",
    "ASA-energy",
    "ASA-profit",
    "Offline-optimal",
    "LLF",
    "EDF",
    "RoundRobin",
)
ORDER += ("Uncontrolled",)


def _rows() -> list[dict[str, Any]]:
    rows = list(json.loads((RESULTS / "energy.json").read_text())["results"])
    baselines = RESULTS / "energy-baselines.json"
    if baselines.exists():
        rows += json.loads(baselines.read_text())["results"]
    return rows


def energy_table(window: str, variant: str) -> str:
    rows = [r for r in _rows() if r["window"] == window and r["variant"] == variant]
    capacities = sorted({r["capacity_kw"] for r in rows})
    algorithms = [a for a in ORDER if any(r["algorithm"] == a for r in rows)]
    cells = {(r["algorithm"], r["capacity_kw"]): r["energy_delivered_pct"] for r in rows}
    lines = ["| algorithm | " + " | ".join(f"{c} kW" for c in capacities) + " |"]
    lines.append("|---" * (len(capacities) + 1) + "|")
    for a in algorithms:
        values = [f"{cells[(a, c)]:.1f}" if (a, c) in cells else "-" for c in capacities]
        lines.append(f"| {a} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def detail_table(window: str, variant: str, capacity: int) -> str:
    rows = [
        r
        for r in _rows()
        if r["window"] == window and r["variant"] == variant and r["capacity_kw"] == capacity
    ]
    rows.sort(key=lambda r: ORDER.index(r["algorithm"]) if r["algorithm"] in ORDER else 99)
    lines = [
        "| algorithm | energy % | sessions served % | energy cost $ | demand charge $ | profit $ | peak kW "
        "| violations | Jain | mean ms/call (>25 EVs) | p95 ms | mean ms (all calls) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t = r["time_per_call"]

        def ms(value: float | None) -> str:
            return "-" if value is None else f"{1000 * value:.1f}"

        lines.append(
            f"| {r['algorithm']} | {r['energy_delivered_pct']:.1f} | {r['sessions_fully_served_pct']:.1f} "
            f"| {r['energy_cost_usd']:.0f} | {r['demand_charge_usd']:.0f} | {r['profit_usd']:.0f} "
            f"| {r['peak_kw']:.1f} | {r['violations']} | {r['jain_fairness']:.2f} | {ms(t['mean_s'])} "
            f"| {ms(t['p95_s'])} | {ms(t['mean_all_s'])} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    for window in ("week", "month", "synthetic-month"):
        for variant in ("ideal", "realistic"):
            print(f"\n### {window}, {variant}\n")
            print(energy_table(window, variant))
    for variant in ("ideal", "realistic"):
        for capacity in (10, 30, 50):
            print(f"\n### week, {variant}, {capacity} kW\n")
            print(detail_table("week", variant, capacity))
