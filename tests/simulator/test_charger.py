"""The simulated charger against a minimal ``ocpp``-library central system: boot, heartbeats,
a charging session with realistic meter values, the CSMS-initiated calls, and reconnection."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ocpp.v16 import call
from ocpp.v16.enums import RegistrationStatus

from tests.simulator.fake_csms import FakeCsms, running_csms
from tools.simulator import ChargerSettings, SimulatedCharger

pytestmark = pytest.mark.xdist_group("simulator")

FAST = {"session_seconds": 120.0, "meter_interval_seconds": 30.0, "time_scale": 600.0}


@pytest.fixture
async def csms() -> AsyncIterator[FakeCsms]:
    async with running_csms(FakeCsms()) as running:
        yield running


async def started(csms: FakeCsms, **overrides: Any) -> SimulatedCharger:
    settings = ChargerSettings(**{"station_id": "SIM-001", "url": csms.url, "id_tag": "TAG-OK", **overrides})
    charger = SimulatedCharger(settings)
    await charger.start()
    return charger


async def test_boots_charges_and_stops_with_realistic_meter_values(csms: FakeCsms) -> None:
    charger = await started(csms, sessions=1, **FAST)
    try:
        await charger.wait_until(lambda c: c.planned_sessions_done.is_set())
    finally:
        await charger.stop()

    assert charger.boot_status == "Accepted"
    boot = csms.of("BootNotification")[0]
    assert (boot["charge_point_vendor"], boot["charge_point_model"]) == ("CSMS Simulator", "SIM-AC22")
    assert csms.of("Authorize") == [{"id_tag": "TAG-OK"}]
    start = csms.of("StartTransaction")[0]
    stop = csms.of("StopTransaction")[0]
    assert stop["transaction_id"] == 1001 == charger.transaction_ids[0]
    assert stop["reason"] == "Local"
    assert stop["meter_stop"] > start["meter_start"]
    # 120 simulated seconds at 11 kW is about 367 Wh
    assert 300 <= stop["meter_stop"] - start["meter_start"] <= 380
    assert [sample["sampled_value"][0]["context"] for sample in stop["transaction_data"]] == [
        "Transaction.Begin",
        "Transaction.End",
    ]

    meter_values = csms.of("MeterValues")
    assert len(meter_values) == 4  # at 30, 60, 90 and 120 s
    sampled = meter_values[0]["meter_value"][0]["sampled_value"]
    kinds = {(value.get("measurand"), value.get("phase"), value["unit"]) for value in sampled}
    assert kinds == {
        ("Energy.Active.Import.Register", None, "Wh"),
        ("Power.Active.Import", None, "W"),
        ("Current.Import", "L1", "A"),
        ("Current.Import", "L2", "A"),
        ("Current.Import", "L3", "A"),
        ("Voltage", "L1-N", "V"),
        ("Voltage", "L2-N", "V"),
        ("Voltage", "L3-N", "V"),
        ("SoC", None, "Percent"),
    }
    registers = [
        int(value["value"])
        for sample in meter_values
        for value in sample["meter_value"][0]["sampled_value"]
        if value["measurand"] == "Energy.Active.Import.Register"
    ]
    assert registers == sorted(registers)
    assert all(sample["transaction_id"] == 1001 for sample in meter_values)

    connector_1 = [s["status"] for s in csms.of("StatusNotification") if s["connector_id"] == 1]
    assert connector_1 == ["Available", "Preparing", "Charging", "Finishing", "Available"]
    assert {s["connector_id"] for s in csms.of("StatusNotification")} == {0, 1, 2}


async def test_unknown_tag_is_not_charged(csms: FakeCsms) -> None:
    charger = await started(csms, sessions=1, id_tag="TAG-UNKNOWN", **FAST)
    try:
        await charger.wait_until(lambda c: c.planned_sessions_done.is_set())
    finally:
        await charger.stop()
    assert charger.authorize_results == ["Invalid"]
    assert csms.of("StartTransaction") == []


async def test_heartbeats_at_the_interval_the_csms_returns(csms: FakeCsms) -> None:
    csms.heartbeat_interval = 1
    charger = await started(csms, sessions=0)
    try:
        await csms.wait_for("Heartbeat", 2)
    finally:
        await charger.stop()
    assert charger.configuration.value("HeartbeatInterval") == "1"


async def test_pending_boot_is_retried_until_accepted(csms: FakeCsms) -> None:
    csms.boot_statuses = [RegistrationStatus.pending]
    charger = await started(csms, sessions=0, heartbeat_seconds=0.1)
    try:
        await charger.wait_until(lambda c: c.boot_status == "Accepted")
    finally:
        await charger.stop()
    assert charger.boot_count == 2


async def test_remote_start_and_remote_stop(csms: FakeCsms) -> None:
    charger = await started(csms, sessions=0, session_seconds=3600.0, time_scale=1.0)
    try:
        await charger.wait_until(lambda c: c.online)
        central = csms.sessions["SIM-001"]
        accepted = await central.call(call.RemoteStartTransaction(id_tag="TAG-REMOTE", connector_id=2))
        assert accepted.status == "Accepted"
        start = (await csms.wait_for("StartTransaction"))[0]
        assert (start["id_tag"], start["connector_id"]) == ("TAG-REMOTE", 2)
        assert csms.of("Authorize") == []  # AuthorizeRemoteTxRequests is false

        busy = await central.call(call.RemoteStartTransaction(id_tag="TAG-REMOTE", connector_id=2))
        assert busy.status == "Rejected"

        await charger.wait_until(lambda c: bool(c.transaction_ids))
        stopped = await central.call(call.RemoteStopTransaction(transaction_id=charger.transaction_ids[0]))
        assert stopped.status == "Accepted"
        stop = (await csms.wait_for("StopTransaction"))[0]
        assert stop["reason"] == "Remote"
        unknown = await central.call(call.RemoteStopTransaction(transaction_id=999))
        assert unknown.status == "Rejected"
    finally:
        await charger.stop()
    assert [received.action for received in charger.received_calls] == [
        "RemoteStartTransaction",
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "RemoteStopTransaction",
    ]


async def test_reset_reconnects_and_boots_again(csms: FakeCsms) -> None:
    charger = await started(csms, sessions=0)
    try:
        await charger.wait_until(lambda c: c.online)
        answer = await csms.sessions["SIM-001"].call(call.Reset(type="Soft"))
        assert answer.status == "Accepted"
        await charger.wait_until(lambda c: c.boot_count == 2 and c.online)
    finally:
        await charger.stop()
    assert csms.connection_count == 2
    assert charger.connect_count == 2


async def test_configuration_availability_unlock_and_trigger(csms: FakeCsms) -> None:
    charger = await started(csms, sessions=0)
    try:
        await charger.wait_until(lambda c: c.online)
        central = csms.sessions["SIM-001"]

        everything = await central.call(call.GetConfiguration())
        keys = {entry["key"]: entry for entry in everything.configuration_key}
        assert {"HeartbeatInterval", "MeterValueSampleInterval", "NumberOfConnectors"} <= set(keys)
        assert keys["NumberOfConnectors"] == {"key": "NumberOfConnectors", "readonly": True, "value": "2"}
        some = await central.call(call.GetConfiguration(key=["HeartbeatInterval", "Nope"]))
        assert [entry["key"] for entry in some.configuration_key] == ["HeartbeatInterval"]
        assert some.unknown_key == ["Nope"]

        changes = [
            await central.call(call.ChangeConfiguration(key=key, value=value))
            for key, value in (("MeterValueSampleInterval", "15"), ("NumberOfConnectors", "9"), ("Nope", "1"))
        ]
        assert [change.status for change in changes] == ["Accepted", "Rejected", "NotSupported"]

        unavailable = await central.call(call.ChangeAvailability(connector_id=1, type="Inoperative"))
        assert unavailable.status == "Accepted"
        await csms.wait_for("StatusNotification", 4)
        assert csms.of("StatusNotification")[-1] | {"timestamp": None} == {
            "connector_id": 1,
            "error_code": "NoError",
            "status": "Unavailable",
            "timestamp": None,
        }

        assert (await central.call(call.UnlockConnector(connector_id=2))).status == "Unlocked"
        assert (await central.call(call.UnlockConnector(connector_id=7))).status == "NotSupported"

        triggered = await central.call(call.TriggerMessage(requested_message="Heartbeat"))
        assert triggered.status == "Accepted"
        await csms.wait_for("Heartbeat")
        triggered = await central.call(call.TriggerMessage(requested_message="DiagnosticsStatusNotification"))
        await csms.wait_for("DiagnosticsStatusNotification")
    finally:
        await charger.stop()


async def test_session_survives_the_csms_closing_the_socket(csms: FakeCsms) -> None:
    # API Gateway closes every connection after 2 h, in the middle of sessions too
    charger = await started(
        csms, sessions=1, session_seconds=60.0, meter_interval_seconds=10.0, time_scale=60.0
    )
    try:
        await csms.wait_for("MeterValues")
        await csms.connections["SIM-001"].close(code=1001, reason="Going away")
        await charger.wait_until(lambda c: c.planned_sessions_done.is_set())
    finally:
        await charger.stop()
    assert csms.connection_count == 2
    assert charger.boot_count == 2
    assert len(csms.of("StartTransaction")) == 1
    assert len(csms.of("StopTransaction")) == 1


async def test_sends_basic_auth_and_retries_when_refused() -> None:
    expected = "Basic " + base64.b64encode(b"SIM-001:s3cret").decode()
    async with running_csms(FakeCsms(required_authorization=expected)) as csms:
        wrong = await started(csms, sessions=0, password="wrong", reconnect_delay_seconds=0.05)
        try:
            await wrong.wait_until(lambda c: len(c.connect_failures) >= 2)
        finally:
            await wrong.stop()
        assert wrong.connect_failures[:2] == ["401", "401"]
        assert wrong.connect_count == 0

        right = await started(csms, sessions=0, password="s3cret")
        try:
            await right.wait_until(lambda c: c.online)
        finally:
            await right.stop()


async def test_gives_up_on_nothing_when_the_csms_is_away() -> None:
    charger = SimulatedCharger(
        ChargerSettings(station_id="SIM-9", url="ws://127.0.0.1:9/ocpp", reconnect_delay_seconds=0.01)
    )
    await charger.start()
    try:
        await charger.wait_until(lambda c: len(c.connect_failures) >= 3)
    finally:
        await charger.stop()
    await asyncio.sleep(0)
    assert charger.boot_status is None
