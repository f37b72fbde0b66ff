"""Reservations operators book and cancel: stored first (Pending), sent as the station protocol's
ReserveNow, confirmed or refused by the station's answer (``shared.charging.command_effects``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.domain.commands import Command
from shared.domain.errors import ConflictError
from shared.domain.reservations import Reservation
from shared.domain.stations import station_key
from shared.domain.tenancy import Principal

if TYPE_CHECKING:
    from shared.wiring import Platform


@dataclass(frozen=True)
class Booked:
    reservation: Reservation
    command: Command


def book(
    platform: Platform,
    principal: Principal,
    station_id: str,
    *,
    id_token: str,
    expires_at: datetime,
    evse_id: int | None,
    id_token_type: str | None,
    group_id_token: str | None,
    connector_type: str | None,
) -> Booked:
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    # Refused before anything is stored when the station's protocol cannot express it.
    probe = Reservation(
        reservation_id=1,
        tenant_id=principal.tenant_id,
        station_id=station_id,
        registration_id=station.registration_id,
        evse_id=evse_id,
        connector_type=connector_type,
        id_token=id_token,
        id_token_type=id_token_type,
        group_id_token=group_id_token,
        expires_at=expires_at,
        created_at=platform.clock(),
        expires_ttl=0,
    )
    platform.outbound.check_intent(principal.tenant_id, station_id, lambda m: m.reserve(probe))
    reservation = platform.services.reservations.book(
        station_id,
        station.registration_id,
        principal.tenant_id,
        id_token,
        expires_at,
        evse_id=evse_id,
        id_token_type=id_token_type,
        group_id_token=group_id_token,
        connector_type=connector_type,
    )
    command = platform.outbound.send_intent(principal.tenant_id, station_id, lambda m: m.reserve(reservation))
    stored = platform.reservations.transition(
        station_key(station_id, station.registration_id),
        reservation.reservation_id,
        reservation.status,
        platform.clock(),
        only_from=frozenset({reservation.status}),
        changes={"commandId": command.command_id},
    )
    return Booked(stored or reservation, command)


def cancel(platform: Platform, principal: Principal, station_id: str, reservation_id: int) -> Command:
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    reservation = platform.reservations.get_for_tenant(
        principal.tenant_id, station_key(station_id, station.registration_id), reservation_id
    )
    if not reservation.holds(platform.clock()) and reservation.effective_status(platform.clock()).value != (
        "Pending"
    ):
        raise ConflictError(
            f"reservation {reservation_id} is {reservation.effective_status(platform.clock()).value}: "
            "nothing to cancel"
        )
    return platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda m: m.cancel_reservation(reservation_id)
    )


def for_station(platform: Platform, principal: Principal, station_id: str) -> list[Reservation]:
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    found = platform.reservations.for_station(station_key(station_id, station.registration_id))
    return sorted(found, key=lambda reservation: reservation.created_at, reverse=True)


def get(platform: Platform, principal: Principal, station_id: str, reservation_id: int) -> Reservation:
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    return platform.reservations.get_for_tenant(
        principal.tenant_id, station_key(station_id, station.registration_id), reservation_id
    )
