"""What operators do with onboarding: the tenant's enrollment secret, and the stations waiting for
approval (approve registers one in the tenant, reject refuses it for a while).

An approved station keeps the secret it enrolled with as its Basic-auth password (a per-station copy of
its hash: rotating or disabling the tenant's secret later does not lock it out); its connection is
closed so that it reconnects at once, now as a registered station, and boots Accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.domain.errors import AlreadyExistsError, InvalidRequestError, NotFoundError
from shared.domain.onboarding import (
    REJECTION_HOLD,
    EnrollmentPolicy,
    PendingStation,
    generate_enrollment_secret,
    secret_digest,
)
from shared.domain.stations import RegistrationPolicy, Station
from shared.domain.tenancy import Principal
from shared.management.stations import RegisteredStation

if TYPE_CHECKING:
    from shared.wiring import Platform


@dataclass(frozen=True)
class IssuedSecret:
    secret: str
    """Shown once: only its digest is stored."""
    created_at: datetime


def policy(platform: Platform, principal: Principal) -> EnrollmentPolicy:
    return platform.onboarding.policy(principal.tenant_id)


def issue_enrollment_secret(platform: Platform, principal: Principal) -> IssuedSecret:
    """A new secret (turning pending approval on); the previous one stops working at once. Stations
    already waiting stay in the list and can still be approved."""
    secret = generate_enrollment_secret()
    now = platform.clock()
    platform.onboarding.replace_secret(principal.tenant_id, secret_digest(secret), now)
    return IssuedSecret(secret=secret, created_at=now)


def disable_pending_approval(platform: Platform, principal: Principal) -> None:
    """No secret: unknown stations are refused again (those waiting stay until they expire)."""
    platform.onboarding.remove_secret(principal.tenant_id)


def list_pending(
    platform: Platform, principal: Principal, limit: int, cursor: str | None
) -> tuple[list[PendingStation], str | None]:
    return platform.onboarding.list_pending(principal.tenant_id, limit, cursor, platform.clock())


def _waiting(platform: Platform, principal: Principal, station_id: str) -> PendingStation:
    entry = platform.onboarding.pending(principal.tenant_id, station_id, platform.clock())
    if entry is None:
        raise NotFoundError(f"no pending station {station_id}")
    return entry


def approve(
    platform: Platform, principal: Principal, station_id: str, site_id: str | None
) -> RegisteredStation:
    entry = _waiting(platform, principal, station_id)
    if site_id is not None and platform.sites.find(principal.tenant_id, site_id) is None:
        raise InvalidRequestError(f"siteId: site {site_id} does not exist")
    station = Station(
        station_id=station_id,
        tenant_id=principal.tenant_id,
        site_id=site_id,
        password_hash=entry.password_hash,
        registration=RegistrationPolicy.ACCEPTED,
        charger=entry.charger,
        created_at=platform.clock(),
    )
    try:
        platform.stations.create(station)
    except AlreadyExistsError as error:
        # Registered meanwhile (ids are global): the same words whoever holds it. The entry stays, so
        # the operator can reject it.
        raise AlreadyExistsError(f"station {station_id} already exists") from error
    platform.onboarding.remove_pending(principal.tenant_id, station_id)
    _disconnect(platform, entry)
    return RegisteredStation(station=station, generated_password=None)


def reject(platform: Platform, principal: Principal, station_id: str) -> None:
    entry = _waiting(platform, principal, station_id)
    now = platform.clock()
    platform.onboarding.reject(principal.tenant_id, station_id, now, now + REJECTION_HOLD)
    _disconnect(platform, entry)


def _disconnect(platform: Platform, entry: PendingStation) -> None:
    if entry.connection_id is not None and platform.connections is not None:
        platform.connections.close(entry.connection_id)
