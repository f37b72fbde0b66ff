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


def _all_rows() -> list[dict[str, Any]]:
    return list(json.loads((RESULTS / "energy.json").read_text())["results"])


def _rows() -> list[dict[str, Any]]:
    """The grid scenario's results (and the stored baselines)."""
    rows = [r for r in _all_rows() if r.get("scenario", "grid") == "grid"]
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


def site_table() -> str:
    rows = [r for r in _all_rows() if r.get("scenario", "grid") != "grid"]
    if not rows:
        return ""
    lines = [
        "| scenario | variant | kW | algorithm | energy % | peak import kW | import cost $ | demand charge $ "
        "| profit $ | PV used % | battery discharged kWh | periods over the import limit | violations |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = {name: n for n, name in enumerate(ORDER)}
    for r in sorted(
        rows, key=lambda r: (r["scenario"], r["variant"], r["capacity_kw"], order.get(r["algorithm"], 99))
    ):
        used = "-" if r["pv_used_pct"] is None else f"{r['pv_used_pct']:.0f}"
        lines.append(
            f"| {r['scenario']} | {r['variant']} | {r['capacity_kw']} | {r['algorithm']} "
            f"| {r['energy_delivered_pct']:.1f} | {r['peak_import_kw']:.1f} | {r['import_cost_usd']:.0f} "
            f"| {r['import_demand_charge_usd']:.0f} | {r['import_profit_usd']:.0f} | {used} "
            f"| {r['battery_discharged_kwh']:.0f} | {r['import_limit_violations']} | {r['violations']} |"
        )
    return "\n".join(lines)


def timing_and_scale() -> str:
    payload = json.loads((RESULTS / "energy.json").read_text())
    lines = []
    day = payload.get("timing_day")
    if day:
        ours, theirs = day["Ours-energy"], day["ASA-energy"]
        lines += [
            "| Tuesday 5 March 2019, 30 kW, ideal | mean ms/call (calls with sessions) | p95 ms "
            "| mean ms (calls with > 25 active EVs) | energy % |",
            "|---|---|---|---|---|",
        ]
        for name, t in (("Ours-energy", ours), ("ASA-energy", theirs)):
            busy = "-" if t["mean_s"] is None else f"{1000 * t['mean_s']:.1f} ({t['busy_calls']} calls)"
            lines.append(
                f"| {name} | {1000 * t['mean_with_sessions_s']:.1f} | {1000 * t['p95_with_sessions_s']:.1f} "
                f"| {busy} | {t['energy_delivered_pct']:.1f} |"
            )
        lines.append(f"\nRatio of means (ours / ASA): {day['ratio_mean_with_sessions']:.4f}.\n")
    if payload.get("scale"):
        lines += [
            "| EVSEs | sessions | first call s (compiles the network) | median s (later) | max s | method |",
            "|---|---|---|---|---|---|",
        ]
        for f in payload["scale"]:
            timing = f"{f.get('first_s', float('nan')):.3f} | {f['median_s']:.3f} | {f['max_s']:.3f}"
            lines.append(f"| {f['evses']:,} | {f['sessions']:,} | {timing} | {f['method']} |")
        if payload.get("scale_note"):
            lines.append(f"\n({payload['scale_note']}.)")
    return "\n".join(lines)


def results_markdown() -> str:
    parts = []
    for window, title in (
        ("week", "Week of 4-10 March 2019 (Caltech ACN, 213 sessions)"),
        ("month", "March 2019, whole month (954 sessions)"),
        ("synthetic-month", "Synthetic workplace month (seeded, 982 sessions)"),
    ):
        for variant in ("ideal", "realistic"):
            table = energy_table(window, variant)
            if table.count("\n") < 2:
                continue
            parts.append(f"#### Energy delivered (% of requested): {title}, {variant} variant\n\n{table}")
    for variant in ("ideal", "realistic"):
        for capacity in (10, 30, 50):
            parts.append(f"#### Week, {variant}, {capacity} kW\n\n{detail_table('week', variant, capacity)}")
    for capacity in (10, 30):
        # The published comparison's two points.
        parts.append(f"#### Month, ideal, {capacity} kW\n\n{detail_table('month', 'ideal', capacity)}")
    site = site_table()
    if site:
        parts.append(f"#### Solar and battery at the site (week of 4-10 March 2019)\n\n{site}")
    parts.append(f"#### Time per scheduling call and scale\n\n{timing_and_scale()}")
    return "\n\n".join(parts)


def write_readme(readme: Path) -> None:
    text = readme.read_text()
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{results_markdown()}\n{end}{tail}")


if __name__ == "__main__":
    write_readme(Path(__file__).with_name("README.md"))
