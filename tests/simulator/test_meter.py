from __future__ import annotations

from tools.simulator.meter import ConnectorMeter, EvBattery


def test_register_only_grows_and_power_tapers_above_80_percent() -> None:
    meter = ConnectorMeter(register_wh=1_000.0, max_power_w=11_000.0)
    battery = EvBattery(capacity_wh=60_000.0, soc_percent=70.0)
    readings = []
    for _ in range(40):
        meter.advance(battery, 300)
        readings.append((meter.register, meter.power_w, battery.soc_percent))
    registers = [register for register, _, _ in readings]
    assert registers == sorted(registers)
    assert readings[0][1] > 10_000
    assert readings[-1][1] < 3_000
    assert readings[-1][2] <= 100


def test_phase_currents_add_up_to_power() -> None:
    meter = ConnectorMeter(max_power_w=11_000.0)
    meter.advance(EvBattery(soc_percent=20.0), 60)
    total = sum(meter.current_a(phase) * meter.voltages[phase] for phase in ("L1", "L2", "L3"))
    assert abs(total - meter.power_w) < 1
    assert 15.0 < meter.current_a("L1") < 16.5
