"""The one registry of the OCPP versions the platform speaks, keyed by WebSocket subprotocol.

Each entry names the module of its plug-in (``shared/ocpp/<version>/plugin.py``, exposing ``PLUGIN``),
imported on first use so that the catalog, the authorizer and CDK can read the registry without
loading any protocol's schemas. Adding a version is one folder plus one entry here.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.ocpp.plugin import ProtocolPlugin


@dataclass(frozen=True)
class ProtocolEntry:
    subprotocol: str
    """As offered in Sec-WebSocket-Protocol (RFC 6455 tokens are case-sensitive)."""
    ocpp_version: str
    """As the ocpp package names its schema folders ("1.6", "2.0.1")."""
    plugin_module: str
    """Module exposing ``PLUGIN``, a :class:`shared.ocpp.plugin.ProtocolPlugin`."""
    preference: int
    """Lower wins when a charger offers several subprotocols."""


_REGISTRY: dict[str, ProtocolEntry] = {
    entry.subprotocol: entry
    for entry in (
        # 2.0.1 first: a charger that offers both gets the newer protocol (README, "Two protocols").
        ProtocolEntry("ocpp2.0.1", "2.0.1", "shared.ocpp.v201.plugin", preference=10),
        ProtocolEntry("ocpp1.6", "1.6", "shared.ocpp.v16.plugin", preference=20),
    )
}
_loaded: dict[str, ProtocolPlugin] = {}
_lock = threading.Lock()


class UnsupportedProtocolError(ValueError):
    pass


def register(entry: ProtocolEntry) -> None:
    """Adds a protocol (tests register throwaway ones; production entries are the literal above)."""
    with _lock:
        _REGISTRY[entry.subprotocol] = entry
        _loaded.pop(entry.subprotocol, None)


def unregister(subprotocol: str) -> None:
    with _lock:
        _REGISTRY.pop(subprotocol, None)
        _loaded.pop(subprotocol, None)


def entries() -> tuple[ProtocolEntry, ...]:
    return tuple(sorted(_REGISTRY.values(), key=lambda entry: entry.preference))


def preferred_subprotocols() -> tuple[str, ...]:
    return tuple(entry.subprotocol for entry in entries())


def entry_for(subprotocol: str) -> ProtocolEntry:
    try:
        return _REGISTRY[subprotocol]
    except KeyError as error:
        raise UnsupportedProtocolError(f"unsupported OCPP subprotocol {subprotocol!r}") from error


def plugin_for(subprotocol: str) -> ProtocolPlugin:
    plugin = _loaded.get(subprotocol)
    if plugin is None:
        entry = entry_for(subprotocol)
        plugin = importlib.import_module(entry.plugin_module).PLUGIN
        with _lock:
            _loaded[subprotocol] = plugin
    return plugin


def negotiate_subprotocol(offered: str | None, supported: tuple[str, ...] | None = None) -> str | None:
    """The first protocol in our order of preference that the charger offered.

    Offers arrive comma-separated with optional spaces ("ocpp2.0.1, ocpp1.6"); tokens are case-sensitive
    (RFC 6455 4.1), so "OCPP1.6" is not "ocpp1.6".
    """
    if not offered:
        return None
    offers = {token.strip() for token in offered.split(",") if token.strip()}
    candidates = supported if supported is not None else preferred_subprotocols()
    return next((protocol for protocol in candidates if protocol in offers), None)
