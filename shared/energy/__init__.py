"""Site load allocation: how much current each EVSE may offer now, within the site's limits."""

from shared.energy.allocator import DEFAULT_TUNING, Tuning, allocate
from shared.energy.models import (
    ActiveSession,
    Allocation,
    Circuit,
    Evse,
    SiteNetwork,
    SiteSnapshot,
    Tariff,
    Transformer,
    Wiring,
)

__all__ = [
    "DEFAULT_TUNING",
    "ActiveSession",
    "Allocation",
    "Circuit",
    "Evse",
    "SiteNetwork",
    "SiteSnapshot",
    "Tariff",
    "Transformer",
    "Tuning",
    "Wiring",
    "allocate",
]
