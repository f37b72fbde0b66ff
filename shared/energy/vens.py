"""The platform as an OpenADR 3 VEN for each site that follows a program: each poll replaces the
site's OpenADR signals with what the VTN says now (``openadr.VtnPoller``), and a change runs the
site's allocation at once (``SiteInputsChanged``).

A VTN that cannot be reached (or answers an error) leaves the previous poll's signals in force:
dropping an import limit because the utility's server hiccuped would be the unsafe reading. The
error is kept with them, for the operator.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from shared.domain.events import SiteInputsChanged
from shared.energy.openadr import ClientCredentials, HttpClient, UrllibHttpClient, VtnError, VtnPoller
from shared.energy.records import GridSignalRecord, OpenAdrProgram, OpenAdrSignals, SiteEnergy
from shared.observability import logger
from shared.ports import EnergyStore, EventPublisher

SIGNAL_RECORD_DAYS = 7
_tokens: dict[tuple[str, str], ClientCredentials] = {}
"""OAuth tokens per (token URL, client), kept while the container is warm."""


def _token(program: OpenAdrProgram, http: HttpClient) -> Callable[[], str] | None:
    if program.token_url is None or program.client_id is None:
        return None
    key = (program.token_url, program.client_id)
    if key not in _tokens:
        _tokens[key] = ClientCredentials(
            program.token_url, program.client_id, program.client_secret or "", http
        )
    return _tokens[key]


def _signal_id(source: str) -> str:
    return "openadr-" + hashlib.sha256(source.encode()).hexdigest()[:16]


def poll_site(
    energy: EnergyStore, events: EventPublisher, config: SiteEnergy, now: datetime, http: HttpClient
) -> OpenAdrSignals | None:
    program = config.openadr
    if program is None:
        return None
    previous = energy.get_openadr(config.tenant_id, config.site_id)
    try:
        poller = VtnPoller(program.vtn_url, http, _token(program, http))
        found = poller.program_named(program.program_name)
        if found is None:
            raise VtnError(f"the VTN has no program named {program.program_name}")
        signals = poller.signals(found, now, program.target_type, program.target_values)
    except (VtnError, OSError, ValueError) as error:
        logger.warning("OpenADR poll failed", extra={"siteId": config.site_id, "error": str(error)[:200]})
        kept = OpenAdrSignals(
            signals=previous.signals if previous is not None else [], polled_at=now, error=str(error)[:500]
        )
        energy.put_openadr(config.tenant_id, config.site_id, kept)
        return kept
    expires = int(now.timestamp()) + SIGNAL_RECORD_DAYS * 86_400
    records = [
        GridSignalRecord(
            signal_id=_signal_id(signal.source or ""),
            kind=signal.kind,
            starts_at=signal.starts_at,
            ends_at=signal.ends_at,
            value=signal.value,
            source=signal.source or "openadr",
            created_at=now,
            expires_at=max(expires, int(signal.ends_at.timestamp()) + 86_400),
        )
        for signal in signals
    ]
    polled = OpenAdrSignals(signals=records, polled_at=now)
    energy.put_openadr(config.tenant_id, config.site_id, polled)

    def essence(batch: OpenAdrSignals | None) -> list[tuple[Any, ...]]:
        if batch is None:
            return []
        return [(s.kind, s.starts_at, s.ends_at, s.value, s.source) for s in batch.signals]

    if essence(previous) != essence(polled):
        events.publish(
            [
                SiteInputsChanged(
                    tenant_id=config.tenant_id,
                    occurred_at=now,
                    site_id=config.site_id,
                    reason="openadr",
                )
            ]
        )
    return polled


def poll_every_site(
    energy: EnergyStore,
    events: EventPublisher,
    clock: Callable[[], datetime],
    http: HttpClient | None = None,
) -> dict[str, int]:
    client = http or UrllibHttpClient()
    summary = {"sites": 0, "polled": 0, "failed": 0}
    for tenant_id, site_id in energy.managed_sites():
        summary["sites"] += 1
        config = energy.get_site(tenant_id, site_id)
        if config is None or config.openadr is None:
            continue
        result = poll_site(energy, events, config, clock(), client)
        if result is not None:
            summary["failed" if result.error else "polled"] += 1
    return summary
