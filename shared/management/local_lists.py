"""Local authorization lists operators push to stations (both protocols): a given list, or the tenant's
own ID tokens; the station's copy is stored once it accepts (``shared.charging.command_effects``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.domain.commands import Command
from shared.domain.errors import InvalidRequestError
from shared.domain.id_tokens import evaluate_id_token
from shared.domain.local_lists import LocalListEntry, LocalListPush, LocalListState, LocalListUpdate
from shared.domain.stations import station_key
from shared.domain.tenancy import Principal

if TYPE_CHECKING:
    from shared.wiring import Platform

MAX_TENANT_TOKENS = 1000
"""A list built from the tenant's tokens holds at most this many (a 1.6 station holds far fewer:
LocalAuthListMaxLength; give an explicit list, or a differential, for bigger fleets)."""


@dataclass(frozen=True)
class LocalListView:
    state: LocalListState
    entries: list[LocalListEntry]


def _tenant_tokens(platform: Platform, principal: Principal) -> list[LocalListEntry]:
    entries: list[LocalListEntry] = []
    cursor: str | None = None
    now = platform.clock()
    while True:
        tokens, cursor = platform.id_tokens.list(principal.tenant_id, 100, cursor)
        for token in tokens:
            entries.append(
                LocalListEntry(
                    id_token=token.id_token, id_token_type=token.type, info=evaluate_id_token(token, now)
                )
            )
            if len(entries) > MAX_TENANT_TOKENS:
                raise InvalidRequestError(
                    f"entries: the tenant has more than {MAX_TENANT_TOKENS} ID tokens; push an explicit list"
                )
        if cursor is None:
            return entries


def push(
    platform: Platform,
    principal: Principal,
    station_id: str,
    update_type: LocalListUpdate,
    entries: list[LocalListEntry] | None,
    version: int | None,
) -> tuple[LocalListPush, Command]:
    """``entries`` None pushes the tenant's own tokens (a Full list); ``version`` None is one above the
    version the station holds."""
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    if entries is None:
        if update_type is not LocalListUpdate.FULL:
            raise InvalidRequestError("entries: a Differential update names its entries")
        entries = _tenant_tokens(platform, principal)
    if version is None:
        state = platform.local_lists.state(station_key(station_id, station.registration_id))
        version = max(state.version or 0, state.reported_version or 0) + 1
    pushed = LocalListPush(version=version, update_type=update_type, entries=entries)
    command = platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda m: m.send_local_list(pushed)
    )
    return pushed, command


def read_version(platform: Platform, principal: Principal, station_id: str) -> Command:
    return platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda m: m.get_local_list_version()
    )


def view(platform: Platform, principal: Principal, station_id: str) -> LocalListView:
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    key = station_key(station_id, station.registration_id)
    entries = platform.local_lists.entries(key)
    return LocalListView(platform.local_lists.state(key), [entries[token] for token in sorted(entries)])
