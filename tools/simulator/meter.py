"""A plausible three-phase AC charging session: an EV battery with a charging curve, per-phase
voltages and currents, and an energy register that only ever grows."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

NOMINAL_VOLTAGE = 230.0
PHASES = ("L1", "L2", "L3")


def utc_timestamp(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class EvBattery:
    capacity_wh: float = 60_000.0
    soc_percent: float = 25.0

    def acceptance_w(self, offered_w: float) -> float:
        # Constant power up to 80 %, then a linear taper to 10 % of it at full: the usual CC/CV shape.
        if self.soc_percent < 80:
            return offered_w
        return offered_w * max(0.1, (100 - self.soc_percent) / 20)

    def charge(self, energy_wh: float) -> None:
        self.soc_percent = min(100.0, self.soc_percent + energy_wh / self.capacity_wh * 100)


@dataclass
class ConnectorMeter:
    """Energy.Active.Import.Register of one connector, in Wh; persists across sessions."""

    register_wh: float = field(default_factory=lambda: float(random.randint(100_000, 2_000_000)))
    max_power_w: float = 11_000.0
    power_w: float = 0.0
    voltages: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, NOMINAL_VOLTAGE))

    @property
    def register(self) -> int:
        return int(self.register_wh)

    def advance(self, battery: EvBattery | None, seconds: float, offered_w: float | None = None) -> None:
        """``seconds`` of charging: the EV takes what its battery accepts of the lower of what the
        charger can give (``max_power_w``) and what its charging profile offers (``offered_w``)."""
        self.voltages = {phase: NOMINAL_VOLTAGE + random.uniform(-3.0, 3.0) for phase in PHASES}
        if battery is None:
            self.power_w = 0.0
            return
        available_w = self.max_power_w if offered_w is None else min(self.max_power_w, offered_w)
        self.power_w = battery.acceptance_w(available_w) * random.uniform(0.97, 1.0)
        energy_wh = self.power_w * seconds / 3600
        self.register_wh += energy_wh
        battery.charge(energy_wh)

    def current_a(self, phase: str) -> float:
        return self.power_w / 3 / self.voltages[phase]

    def sample(self, context: str, battery: EvBattery | None) -> dict[str, Any]:
        """One OCPP 1.6 MeterValue (camelCase, as it goes on the wire)."""

        def value(measurand: str, amount: str, unit: str, **extra: str) -> dict[str, str]:
            return {"value": amount, "context": context, "measurand": measurand, "unit": unit, **extra}

        sampled = [
            value("Energy.Active.Import.Register", str(self.register), "Wh", location="Outlet"),
            value("Power.Active.Import", f"{self.power_w:.0f}", "W", location="Outlet"),
        ]
        for phase in PHASES:
            sampled.append(value("Current.Import", f"{self.current_a(phase):.2f}", "A", phase=phase))
        for phase in PHASES:
            sampled.append(value("Voltage", f"{self.voltages[phase]:.1f}", "V", phase=f"{phase}-N"))
        if battery is not None:
            sampled.append(value("SoC", f"{battery.soc_percent:.0f}", "Percent", location="EV"))
        return {"timestamp": utc_timestamp(), "sampledValue": sampled}
