"""Typed changes to stored records: what an operator asked to change, and nothing else.

A field that was given is changed (``None`` clears it); a field that was not given stays as stored.
Which fields were given is pydantic's ``model_fields_set``, so build a change with only the fields
that change: ``StationSettingsChange(blocked=True)``. Repositories turn a change into their own
update expression; nobody outside storage spells a stored attribute name.
"""

from __future__ import annotations

from typing import Any

from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.id_tokens import IdTokenStatus
from shared.domain.stations import RegistrationPolicy


class RecordChange(DomainModel):
    def changed_fields(self) -> dict[str, Any]:
        """The given fields in their stored (camelCase, JSON) form; ``None`` means remove."""
        return self.model_dump(mode="json", by_alias=True, include=self.model_fields_set)

    def is_empty(self) -> bool:
        return not self.model_fields_set


class StationSettingsChange(RecordChange):
    """What an operator may change on a station (what the station reports is not here)."""

    site_id: str | None = None
    password_hash: str | None = None
    blocked: bool | None = None
    registration: RegistrationPolicy | None = None


class IdTokenChange(RecordChange):
    status: IdTokenStatus | None = None
    expires_at: UtcDatetime | None = None
    parent_id_token: str | None = None
    type: str | None = None
    personal_message: str | None = None
    language: str | None = None


class SiteChange(RecordChange):
    name: str | None = None
    address: str | None = None
    timezone: str | None = None
    max_current_amps: float | None = None
    latitude: float | None = None
    longitude: float | None = None
