"""Smart charging transport (OCPP 2.0.1 block K, 1.6 Smart Charging), station side: what the EV needs
(stored on its session, for the allocator), the profiles a station reports it holds, and limits set by
others (kept for the operator). What to send is decided elsewhere; sending goes through the outbound
pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.charging.station_messages import StationMessages
from shared.domain.charging_profiles import InstalledProfile
from shared.domain.sessions import ChargingNeeds
from shared.domain.stations import StationContext, station_key
from shared.observability import logger
from shared.ports import ChargingProfileStore, Clock, SessionStore


class SmartCharging:
    def __init__(
        self,
        sessions: SessionStore,
        profiles: ChargingProfileStore,
        messages: StationMessages,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._profiles = profiles
        self._messages = messages
        self._clock = clock

    def record_charging_needs(self, station: StationContext, evse_id: int, needs: ChargingNeeds) -> bool:
        """On the EVSE's active session (False when there is none: nothing to plan for)."""
        session = self._sessions.find_active(station.station_id, station.registration_id, evse_id)
        if session is None:
            logger.info(
                "EV charging needs without an active session", extra={"stationId": station.station_id}
            )
            return False
        return self._sessions.record_charging_needs(session.session_id, needs)

    def record_reported_profiles(self, station: StationContext, profiles: Sequence[InstalledProfile]) -> None:
        key = station_key(station.station_id, station.registration_id)
        for installed in profiles:
            self._profiles.record(key, installed)

    def keep(self, station: StationContext, action: str, message_id: str, document: dict[str, Any]) -> None:
        """NotifyChargingLimit, ClearedChargingLimit, NotifyEVChargingSchedule: kept for the operator."""
        self._messages.keep(station, action, message_id, document)
