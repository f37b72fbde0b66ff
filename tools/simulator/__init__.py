"""Simulated OCPP chargers on the ``ocpp`` package: 1.6J (``SimulatedCharger``) and 2.0.1
(``SimulatedCharger201``), over ``websockets``."""

from typing import Any

from tools.simulator.base import ChargerBase, ReceivedCall
from tools.simulator.charger import CompletedTransaction, SimulatedCharger
from tools.simulator.charger_v201 import CompletedTransaction201, SimulatedCharger201
from tools.simulator.settings import ChargerSettings

__all__ = [
    "ChargerBase",
    "ChargerSettings",
    "CompletedTransaction",
    "CompletedTransaction201",
    "ReceivedCall",
    "SimulatedCharger",
    "SimulatedCharger201",
    "simulated_charger",
]


def simulated_charger(settings: ChargerSettings) -> ChargerBase[Any]:
    """The simulated charger of the protocol its settings name (1.6 or 2.0.1)."""
    if settings.protocol == "2.0.1":
        return SimulatedCharger201(settings)
    if settings.protocol == "1.6":
        return SimulatedCharger(settings)
    raise ValueError(f"protocol: 1.6 or 2.0.1, not {settings.protocol!r}")
