"""Applies what a station's answer to a CSMS-initiated call changed (``shared.domain.command_effects``) to
what the platform stores about the station: its device model or configuration, local list, reservations,
EVSE availability and charging profiles. Called once per command, by the first answer."""

from __future__ import annotations

from collections.abc import Sequence

from shared.charging.reservations import Reservations
from shared.domain.command_effects import (
    AvailabilitySet,
    CommandEffect,
    LocalListApplied,
    LocalListVersionReported,
    ProfileInstalled,
    ProfilesCleared,
    ReservationAnswered,
    ReservationCancelled,
    VariablesObserved,
)
from shared.domain.stations import EvseAvailability, OperationalStatus, Station, station_key
from shared.ports import ChargingProfileStore, Clock, DeviceModelStore, LocalListStore, StationStore


class CommandEffects:
    def __init__(
        self,
        stations: StationStore,
        device_model: DeviceModelStore,
        local_lists: LocalListStore,
        profiles: ChargingProfileStore,
        reservations: Reservations,
        clock: Clock,
    ) -> None:
        self._stations = stations
        self._device_model = device_model
        self._local_lists = local_lists
        self._profiles = profiles
        self._reservations = reservations
        self._clock = clock

    def apply(self, station_id: str, registration_id: str, effects: Sequence[CommandEffect]) -> None:
        key = station_key(station_id, registration_id)
        now = self._clock()
        for effect in effects:
            if isinstance(effect, VariablesObserved):
                for variable in effect.variables:
                    for attribute in variable.attributes:
                        self._device_model.record_attribute(
                            key, variable.component, variable.variable, attribute, variable.source, now
                        )
            elif isinstance(effect, LocalListApplied):
                self._local_lists.apply(key, effect.push, now)
            elif isinstance(effect, LocalListVersionReported):
                self._local_lists.record_reported_version(key, effect.version, now)
            elif isinstance(effect, ReservationAnswered):
                self._reservations.answered(
                    key, effect.reservation_id, effect.accepted, effect.station_answer
                )
            elif isinstance(effect, ReservationCancelled):
                self._reservations.cancelled(key, effect.reservation_id)
            elif isinstance(effect, AvailabilitySet):
                self._set_availability(station_id, registration_id, effect)
            elif isinstance(effect, ProfileInstalled):
                self._profiles.record(key, effect.installed)
            elif isinstance(effect, ProfilesCleared):
                self._profiles.clear(key, effect.criteria)

    def _set_availability(self, station_id: str, registration_id: str, effect: AvailabilitySet) -> None:
        station: Station | None = self._stations.get(station_id)
        current = station.availability.get(str(effect.evse_id)) if station is not None else None
        inoperative = set(current.inoperative_connectors) if current is not None else set()
        status = current.operational_status if current is not None else OperationalStatus.OPERATIVE
        if effect.connector_id is None:
            status = OperationalStatus.OPERATIVE if effect.operative else OperationalStatus.INOPERATIVE
            inoperative = set() if effect.operative else inoperative
        elif effect.operative:
            inoperative.discard(effect.connector_id)
        else:
            inoperative.add(effect.connector_id)
        self._stations.record_availability(
            station_id,
            registration_id,
            EvseAvailability(
                evse_id=effect.evse_id,
                operational_status=status,
                inoperative_connectors=sorted(inoperative),
                scheduled=effect.scheduled,
                changed_at=self._clock(),
            ),
        )
