"""Vendor-specific data (DataTransfer, both protocols, both directions). The platform knows only the
vendors it is configured for (DATA_TRANSFER_VENDORS); anything else is answered UnknownVendorId, as OCPP
says, instead of pretending to have understood it. Every message is kept for support either way."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from shared.charging.station_messages import StationMessages
from shared.domain.stations import StationContext
from shared.settings import Settings


class DataTransferStatus(StrEnum):
    ACCEPTED = "Accepted"
    UNKNOWN_VENDOR_ID = "UnknownVendorId"


class DataTransfers:
    def __init__(self, messages: StationMessages, settings: Settings) -> None:
        self._messages = messages
        self._vendors = frozenset(vendor.lower() for vendor in settings.data_transfer_vendors)

    def receive(
        self, station: StationContext, ocpp_message_id: str, vendor_id: str, message_id: str | None, data: Any
    ) -> DataTransferStatus:
        status = (
            DataTransferStatus.ACCEPTED
            if vendor_id.lower() in self._vendors
            else DataTransferStatus.UNKNOWN_VENDOR_ID
        )
        self._messages.keep(
            station,
            "DataTransfer",
            ocpp_message_id,
            {"vendorId": vendor_id, "messageId": message_id, "data": data, "status": status.value},
        )
        return status
