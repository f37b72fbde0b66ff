"""The version-neutral services a protocol's station handler calls, built once per warm container."""

from __future__ import annotations

from dataclasses import dataclass

from shared.charging.authorization import Authorization
from shared.charging.availability import Availability
from shared.charging.firmware import FirmwareManagement
from shared.charging.monitoring import FleetSignals
from shared.charging.provisioning import Provisioning
from shared.charging.station_messages import StationMessages
from shared.charging.transactions import Transactions
from shared.ports import Clock
from shared.settings import Settings


@dataclass(frozen=True)
class ChargingServices:
    settings: Settings
    clock: Clock
    provisioning: Provisioning
    authorization: Authorization
    availability: Availability
    transactions: Transactions
    station_messages: StationMessages
    firmware: FirmwareManagement
    signals: FleetSignals
