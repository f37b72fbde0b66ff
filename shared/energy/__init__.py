"""Site load allocation: how much current each EVSE may offer now, within the site's limits.

- ``site``: the site as operators describe it (grid connection, circuits, station placement,
  battery, objective), its validation and its translation into the allocator's ``SiteSnapshot``.
- ``allocator``: ``allocate(snapshot)`` -> ``Allocation`` (pure, deterministic).
- ``profiles``: from an allocation to charging profiles (each protocol's mappers send them).
- ``supervision``: chargers that ignore their limit or reject their profile.
- ``openadr``: OpenADR 3.0 VTN events as grid signals.
"""

from shared.energy.allocator import DEFAULT_TUNING, Tuning, allocate
from shared.energy.models import (
    ActiveSession,
    Allocation,
    Battery,
    Circuit,
    Evse,
    GridSignal,
    SiteNetwork,
    SitePower,
    SiteSnapshot,
    Tariff,
    Transformer,
    Wiring,
)

__all__ = [
    "DEFAULT_TUNING",
    "ActiveSession",
    "Allocation",
    "Battery",
    "Circuit",
    "Evse",
    "GridSignal",
    "SiteNetwork",
    "SitePower",
    "SiteSnapshot",
    "Tariff",
    "Transformer",
    "Tuning",
    "Wiring",
    "allocate",
]
