"""The authorizer's answer to a station that is not registered: with its tenant's enrollment secret as
Basic-auth password it may connect and wait for approval (Pending); without one it is refused as before.

Nothing here tells tenants apart to the charger: a wrong secret, a disabled policy, a full list and a
recent rejection are all the same 403 an unknown station always got.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.domain.onboarding import (
    ENROLLMENT_CONTEXT_KEY,
    ENROLLMENT_REGISTRATION_ID,
    PENDING_STATIONS_PER_TENANT,
    PendingStation,
    secret_digest,
)
from shared.domain.stations import RegistrationPolicy
from shared.gateway.passwords import hash_password
from shared.observability import logger, metrics

if TYPE_CHECKING:
    from shared.wiring import Platform

ENROLLING = "pending"
"""The value of ``ENROLLMENT_CONTEXT_KEY`` on an enrolling connection."""


def admit_unregistered(
    platform: Platform, station_id: str, credentials: tuple[str, str] | None, protocol: str | None
) -> dict[str, str] | None:
    """The authorizer context for a station that may wait in its tenant's pending list, else None.

    Each admitted attempt is recorded (last seen, attempts, protocol); a new entry only while the
    tenant's list holds fewer than PENDING_STATIONS_PER_TENANT."""
    if credentials is None or credentials[0] != station_id or not credentials[1]:
        return None
    secret = credentials[1]
    digest = secret_digest(secret)
    tenant_id = platform.onboarding.tenant_for_secret(digest)
    if tenant_id is None:
        return None
    now = platform.clock()
    if platform.onboarding.is_rejected(tenant_id, station_id, now):
        _refused(station_id, "rejected lately")
        return None
    entry = platform.onboarding.pending(tenant_id, station_id, now)
    if entry is None:
        if platform.onboarding.count_pending(tenant_id, now) >= PENDING_STATIONS_PER_TENANT:
            _refused(station_id, "pending list full")
            return None
        entry = PendingStation(
            tenant_id=tenant_id,
            station_id=station_id,
            first_seen_at=now,
            last_seen_at=now,
            attempts=0,
            password_hash=hash_password(secret),
            secret_digest=digest,
        )
    elif entry.secret_digest != digest:  # the tenant rotated its secret and the charger has the new one
        entry = entry.model_copy(update={"password_hash": hash_password(secret), "secret_digest": digest})
    platform.onboarding.save_pending(
        entry.model_copy(
            update={
                "last_seen_at": now,
                "attempts": entry.attempts + 1,
                "protocol": protocol,
                "connection_id": None,
            }
        )
    )
    logger.info("station waits for approval", extra={"stationId": station_id, "tenantId": tenant_id})
    metrics.add_metric(name="PendingStationConnections", unit="Count", value=1)
    context = {
        "stationId": station_id,
        "tenantId": tenant_id,
        "registrationId": ENROLLMENT_REGISTRATION_ID,
        "registration": RegistrationPolicy.PENDING.value,
        ENROLLMENT_CONTEXT_KEY: ENROLLING,
    }
    if protocol is not None:
        context["protocol"] = protocol
    return context


def is_enrolling(authorizer: dict[str, object]) -> bool:
    return authorizer.get(ENROLLMENT_CONTEXT_KEY) == ENROLLING


def _refused(station_id: str, reason: str) -> None:
    logger.info("enrollment refused", extra={"stationId": station_id, "reason": reason})
    metrics.add_metric(name="ConnectionsRefused", unit="Count", value=1)
