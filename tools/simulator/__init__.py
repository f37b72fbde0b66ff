"""Simulated OCPP 1.6J chargers (the ``ocpp`` package's ChargePoint over ``websockets``)."""

from tools.simulator.charger import CompletedTransaction, ReceivedCall, SimulatedCharger
from tools.simulator.settings import ChargerSettings

__all__ = ["ChargerSettings", "CompletedTransaction", "ReceivedCall", "SimulatedCharger"]
