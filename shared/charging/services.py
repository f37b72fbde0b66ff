"""The version-neutral services a protocol's station handler calls, built once per warm container."""

from __future__ import annotations

from dataclasses import dataclass

from shared.charging.authorization import Authorization
from shared.charging.availability import Availability
from shared.charging.data_transfer import DataTransfers
from shared.charging.device_model import DeviceModel
from shared.charging.firmware import FirmwareManagement
from shared.charging.monitoring import FleetSignals
from shared.charging.provisioning import Provisioning
from shared.charging.reservations import Reservations
from shared.charging.smart_charging import SmartCharging
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
    device_model: DeviceModel
    reservations: Reservations
    smart_charging: SmartCharging
    firmware: FirmwareManagement
    data_transfers: DataTransfers
    signals: FleetSignals
