"""Local authorization lists: the tokens a station may accept on its own (offline, or before asking), pushed
by the CSMS in versions (SendLocalList, Full or Differential; the same in 1.6 and 2.0.1)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.id_tokens import IdTokenInfo


class LocalListUpdate(StrEnum):
    FULL = "Full"
    DIFFERENTIAL = "Differential"


class LocalListEntry(DomainModel):
    id_token: str = Field(min_length=1, max_length=36)
    id_token_type: str | None = None
    info: IdTokenInfo | None = None
    """None in a differential update removes the token from the list."""


class LocalListPush(DomainModel):
    """What is sent to a station (and, once it accepts, what its list becomes)."""

    version: int = Field(ge=1)
    update_type: LocalListUpdate
    entries: list[LocalListEntry] = Field(default_factory=list)


class LocalListState(DomainModel):
    """A station's list as the platform knows it: the version it accepted last, and the version it
    reported (GetLocalListVersion), which may differ after a reset or an update the CSMS did not send."""

    version: int | None = None
    """The version of the last list the station accepted."""
    entries: int = 0
    accepted_at: UtcDatetime | None = None
    reported_version: int | None = None
    reported_at: UtcDatetime | None = None


def entries_after(current: dict[str, LocalListEntry], push: LocalListPush) -> dict[str, LocalListEntry]:
    """The list once the station applied the push (keys are tokens in upper case: they compare so)."""
    if push.update_type is LocalListUpdate.FULL:
        return {entry.id_token.upper(): entry for entry in push.entries if entry.info is not None}
    updated = dict(current)
    for entry in push.entries:
        if entry.info is None:
            updated.pop(entry.id_token.upper(), None)
        else:
            updated[entry.id_token.upper()] = entry
    return updated
