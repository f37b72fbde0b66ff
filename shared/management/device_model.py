"""Configuration and device model, whatever the protocol: 1.6 configuration keys and 2.0.1
components/variables are one stored model (``shared.domain.device_model``), read and written through each
protocol's own calls, and browsed as stored."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.domain.commands import Command
from shared.domain.device_model import (
    ComponentRef,
    DeviceVariable,
    ReportProgress,
    VariableQuery,
    VariableWrite,
)
from shared.domain.stations import station_key
from shared.domain.tenancy import Principal
from shared.management.station_control import new_request_id

if TYPE_CHECKING:
    from shared.ocpp.plugin import ReportBase
    from shared.wiring import Platform


def read(platform: Platform, principal: Principal, station_id: str, queries: list[VariableQuery]) -> Command:
    """1.6: GetConfiguration (no queries: every key); 2.0.1: GetVariables. Values read land in the model."""
    return platform.outbound.send_intent(principal.tenant_id, station_id, lambda m: m.read_variables(queries))


def write(
    platform: Platform, principal: Principal, station_id: str, writes: list[VariableWrite]
) -> list[Command]:
    """1.6: one ChangeConfiguration per key (sent one after another); 2.0.1: one SetVariables. What the
    station accepts lands in the model; every per-variable result is in the command's response."""
    return platform.outbound.send_intents(
        principal.tenant_id, station_id, lambda m: m.write_variables(writes)
    )


def request_report(
    platform: Platform, principal: Principal, station_id: str, report_base: ReportBase
) -> Command:
    """2.0.1: GetBaseReport (the station answers in NotifyReport parts); 1.6: GetConfiguration."""
    request_id = new_request_id()
    return platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda m: m.request_report(request_id, report_base)
    )


def browse(
    platform: Platform,
    principal: Principal,
    station_id: str,
    component: str | None,
    configuration_keys: bool,
    limit: int,
    cursor: str | None,
) -> tuple[list[DeviceVariable], str | None]:
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    return platform.device_model.list_variables(
        station_key(station_id, station.registration_id),
        ComponentRef(name=component) if component else None,
        configuration_keys,
        limit,
        cursor,
    )


def reports(platform: Platform, principal: Principal, station_id: str) -> list[ReportProgress]:
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    return platform.device_model.list_reports(station_key(station_id, station.registration_id))
