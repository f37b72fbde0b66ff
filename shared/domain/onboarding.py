"""Onboarding stations that connect before they are registered: a tenant's enrollment secret and the
list of stations waiting for the operator's approval.

Station ids are global and a charger's URL carries only its id, so an unknown station is attributed to
a tenant by the Basic-auth password it presents: a tenant's enrollment secret (random, 32 characters).
The secret is looked up by its SHA-256 digest — unsalted on purpose, so that the digest can be an index
key: with 192 random bits there is nothing to guess, unlike an operator-chosen password.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.stations import ChargerInfo

ENROLLMENT_SECRET_BYTES = 24
"""32 URL-safe characters: a Basic-auth password every charger takes (OCPP's AuthorizationKey is 16 to 40)."""

PENDING_STATIONS_PER_TENANT = 100
"""At most this many stations wait in a tenant's list; more are refused (and not recorded)."""
PENDING_RETENTION = timedelta(days=7)
"""A waiting station not seen for this long leaves the list (DynamoDB TTL; reads ignore it sooner)."""
REJECTION_HOLD = timedelta(hours=24)
"""A rejected station is refused at once, without being recorded again, for this long."""

ENROLLMENT_REGISTRATION_ID = "enrollment"
"""The registration id an enrolling connection carries. Real ones are 12 hex digits, so every write that
is conditional on a station's registration (all of them) fails for it: it can store nothing as a station."""
ENROLLMENT_CONTEXT_KEY = "enrollment"
"""Authorizer-context key set (to "pending") on the connection of a station waiting for approval."""
ENROLLING_ACTIONS = frozenset({"BootNotification", "Heartbeat"})
"""What a station waiting for approval may send (its boot is answered Pending); anything else is
SecurityError. The names are the same in every OCPP version."""


def generate_enrollment_secret() -> str:
    return secrets.token_urlsafe(ENROLLMENT_SECRET_BYTES)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class EnrollmentPolicy(DomainModel):
    """A tenant's onboarding policy: unknown stations may wait for approval while it holds a secret."""

    tenant_id: str
    secret_digest: str | None = None
    secret_created_at: UtcDatetime | None = None

    @property
    def pending_approval(self) -> bool:
        return self.secret_digest is not None


class PendingStation(DomainModel):
    """An unregistered station that presented its tenant's enrollment secret."""

    tenant_id: str
    station_id: str
    first_seen_at: UtcDatetime
    last_seen_at: UtcDatetime
    attempts: int = 1
    protocol: str | None = None
    """The subprotocol of its latest connection (None when it offered none we speak)."""
    charger: ChargerInfo | None = None
    """What it said in its latest BootNotification."""
    password_hash: str
    """scrypt hash of the secret it presented: its password once approved."""
    secret_digest: str
    """Digest of that secret: a charger presenting another (the rotated one) gets its hash recomputed."""
    connection_id: str | None = None
    """Its latest connection, closed on approval or rejection so that it reconnects at once."""
