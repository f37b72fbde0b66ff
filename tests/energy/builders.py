"""Test data builders for site snapshots: valid defaults, override what the test is about."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta

from shared.energy import ActiveSession, Circuit, Evse, SiteNetwork, SiteSnapshot, Transformer, Wiring

NOW = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
# The LP path needs highspy and numpy, which the project's runtime does not (yet) install.
HAS_HIGHS = importlib.util.find_spec("highspy") is not None and importlib.util.find_spec("numpy") is not None


def a_session(evse_id: str, **overrides: object) -> ActiveSession:
    fields: dict[str, object] = {
        "evse_id": evse_id,
        "energy_wanted_kwh": 20.0,
        "estimated_departure": NOW + timedelta(hours=8),
    }
    fields.update(overrides)
    return ActiveSession.model_validate(fields)


def a_three_phase_site(secondary_limit_amps: float = 30.0) -> SiteNetwork:
    """Six line-to-line chargers (two per pair of lines) and a 6 A-minimum pod of two more."""
    evses = [
        Evse(evse_id=f"{wiring.value}-{n}", wiring=wiring, voltage=208, max_current_amps=32)
        for wiring in (Wiring.AB, Wiring.BC, Wiring.CA)
        for n in (1, 2)
    ]
    evses += [
        Evse(
            evse_id=f"pod-{n}",
            circuit_id="pod",
            wiring=Wiring.AB,
            voltage=208,
            max_current_amps=32,
            allowed_pilots_amps=(8, 16, 24, 32),
        )
        for n in (1, 2)
    ]
    return SiteNetwork(
        transformer=Transformer(
            secondary_limit_amps=secondary_limit_amps,
            primary_limit_amps=secondary_limit_amps * 120 / 277,
            turns_ratio=4,
        ),
        circuits=(Circuit(circuit_id="pod", limit_amps=40),),
        evses=tuple(evses),
    )


def a_snapshot(network: SiteNetwork, sessions: list[ActiveSession], **overrides: object) -> SiteSnapshot:
    fields: dict[str, object] = {"now": NOW, "network": network, "sessions": tuple(sessions)}
    fields.update(overrides)
    return SiteSnapshot.model_validate(fields)
