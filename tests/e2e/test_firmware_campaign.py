"""Issue 16's "done when", end to end: the local platform with the real handlers runs the campaign and
station-update workflows (the ASL the stack deploys) on moto's Step Functions, 20 simulated OCPP 1.6J
chargers download the image from moto's S3 through presigned URLs, and the operator API reports.

Deadlines and ticks are seconds here (function environment), so one campaign takes well under a minute.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.conftest import DEMO_PASSWORD, OperatorClient, clear_warm_container_caches, start_charger
from tools.local_platform import LocalPlatform, PlatformConfig
from tools.simulator import SimulatedCharger
from tools.simulator.device_management import simulator_image

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

FAST_CAMPAIGNS = {
    "FIRMWARE_CAMPAIGN_TICK_SECONDS": "1",
    "FIRMWARE_RETRY_SECONDS": "1",
}
NEW_VERSION = "2.0.0"
STATION_TIMEOUT_SECONDS = 25
"""Long enough for 20 chargers on a busy 2-core machine, short enough to wait out for the offline one."""
FINAL_CAMPAIGN = {"completed", "halted", "cancelled"}


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[LocalPlatform]:
    clear_warm_container_caches()
    local = LocalPlatform(
        PlatformConfig(
            gateway_port=0, moto_port=0, state_dir=tmp_path / "state", function_environment=FAST_CAMPAIGNS
        )
    )
    await local.start()
    try:
        yield local
    finally:
        await local.stop()
        clear_warm_container_caches()


async def _register_firmware(operator: OperatorClient, session: aiohttp.ClientSession) -> str:
    image = simulator_image(NEW_VERSION)
    status, registered = await operator.call(
        "POST",
        "/firmware",
        {
            "version": NEW_VERSION,
            "vendor": "CSMS Simulator",
            "models": ["SIM-AC22"],
            "checksumSha256": hashlib.sha256(image).hexdigest(),
            "sizeBytes": len(image),
        },
    )
    assert status == 201, registered
    upload = registered["upload"]
    async with session.put(upload["url"], data=image, headers=upload.get("headers") or {}) as response:
        assert response.status == 200, await response.text()
    return str(registered["firmwareId"])


async def _fleet(
    platform: LocalPlatform,
    operator: OperatorClient,
    chargers: list[SimulatedCharger],
    outcomes: dict[str, str],
    offline: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    """Registers and boots every station (``outcomes``: how its update ends); ``offline`` ones go away.
    The fleet is mixed: even-numbered stations speak OCPP 2.0.1 (UpdateFirmware with a requestId, its
    FirmwareStatusNotifications, a boot with reason FirmwareUpdate), the others 1.6."""
    for station_id in outcomes:
        status, body = await operator.call(
            "POST", "/stations", {"stationId": station_id, "password": DEMO_PASSWORD}
        )
        assert status == 201, body
    started: list[SimulatedCharger] = []
    for station_id, outcome in outcomes.items():
        # one at a time: twenty cold connects at once on a loaded 2-core machine time out their handshakes
        charger = await start_charger(
            platform,
            chargers,
            station_id,
            firmware_version="1.0.0",
            firmware_outcome=outcome,
            protocol=_protocol(station_id),
            firmware_step_seconds=30.0,  # 0.1 s at time_scale 300
        )
        await charger.wait_until(lambda c: c.online and c.boot_status == "Accepted", within=60)
        started.append(charger)
    for charger in started:
        if charger.settings.station_id in offline:
            await charger.stop()
    for station_id in offline:
        await _until(operator, f"/stations/{station_id}", lambda s: s["online"] is False, within=15)
    return list(outcomes)


def _protocol(station_id: str) -> str:
    return "2.0.1" if int(station_id[-1]) % 2 == 0 else "1.6"


async def _until(operator: OperatorClient, path: str, done: Any, within: float) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            status, body = await operator.call("GET", path)
            assert status == 200, body
            if done(body):
                return dict(body)
            await asyncio.sleep(0.25)


async def _campaign(operator: OperatorClient, firmware_id: str, station_ids: list[str]) -> str:
    status, created = await operator.call(
        "POST",
        "/firmware-campaigns",
        {
            "firmwareId": firmware_id,
            "target": {"stationIds": station_ids},
            "canarySize": 2,
            "maxConcurrent": 6,
            "failureThresholdPercent": 20,
            "stationTimeoutSeconds": STATION_TIMEOUT_SECONDS,
        },
    )
    assert status == 201, created
    campaign_id = str(created["campaignId"])
    status, started = await operator.call("POST", f"/firmware-campaigns/{campaign_id}/start")
    assert status in (200, 202), started
    return campaign_id


def _states(campaign: dict[str, Any]) -> dict[str, str]:
    return {station["stationId"]: station["state"] for station in campaign["stations"]}


async def test_a_campaign_over_20_chargers_completes_with_2_failures_and_one_offline(
    platform: LocalPlatform,
    operator: OperatorClient,
    chargers: list[SimulatedCharger],
    http_session: aiohttp.ClientSession,
) -> None:
    # Given 20 chargers on 1.0.0: two fail their update, one loses its Installed notification (the boot
    # into 2.0.0 says it is installed), one goes offline for good
    outcomes = {f"FW-{index:02d}": "Installed" for index in range(1, 21)}
    outcomes |= {
        "FW-04": "InstallationFailed",
        "FW-09": "CorruptDownload",
        "FW-12": "LoseInstalledNotification",
    }
    station_ids = await _fleet(platform, operator, chargers, outcomes, offline={"FW-15"})
    firmware_id = await _register_firmware(operator, http_session)

    # When a campaign with a canary of 2 and a 20 % threshold runs
    campaign_id = await _campaign(operator, firmware_id, station_ids)
    campaign = await _until(
        operator,
        f"/firmware-campaigns/{campaign_id}",
        lambda c: c["status"] in FINAL_CAMPAIGN,
        within=STATION_TIMEOUT_SECONDS + 60,
    )

    # Then it completes: 2 failed (not above 20 % of 20), the offline one offline, the rest installed
    assert campaign["status"] == "completed", campaign
    assert campaign["counts"] | {} == {
        "pending": 0,
        "downloading": 0,
        "installing": 0,
        "installed": 17,
        "failed": 2,
        "offline": 1,
        "skipped": 0,
    }
    states = _states(campaign)
    assert (states["FW-04"], states["FW-09"], states["FW-15"], states["FW-12"]) == (
        "failed",
        "failed",
        "offline",
        "installed",
    )
    by_id = {station["stationId"]: station for station in campaign["stations"]}
    assert by_id["FW-01"]["wave"] == by_id["FW-02"]["wave"] == 0  # the canary wave
    assert {by_id[s]["wave"] for s in station_ids[2:]} - {0}, "later stations ran in later waves"
    assert by_id["FW-09"]["firmwareStatus"] == "DownloadFailed"  # the checksum did not match
    installed = [c for c in chargers if c.settings.station_id not in {"FW-04", "FW-09", "FW-15"}]
    assert {c.firmware_version for c in installed} == {NEW_VERSION}

    # And the failures are alerts
    def firmware_alerts(listing: dict[str, Any]) -> set[str]:
        return {a["stationId"] for a in listing["items"] if a["kind"] == "FirmwareUpdateFailed"}

    alerts = await _until(operator, "/alerts", lambda body: len(firmware_alerts(body)) >= 2, within=15)
    assert firmware_alerts(alerts) == {"FW-04", "FW-09"}


async def test_a_campaign_halts_at_5_failures_and_pauses_and_resumes_mid_wave(
    platform: LocalPlatform,
    operator: OperatorClient,
    chargers: list[SimulatedCharger],
    http_session: aiohttp.ClientSession,
) -> None:
    # Given 20 chargers of which 5 (after the canary) fail to install
    failing = {"FW-03", "FW-05", "FW-06", "FW-08", "FW-10"}
    outcomes = {
        f"FW-{index:02d}": ("InstallationFailed" if f"FW-{index:02d}" in failing else "Installed")
        for index in range(1, 21)
    }
    station_ids = await _fleet(platform, operator, chargers, outcomes)
    firmware_id = await _register_firmware(operator, http_session)
    campaign_id = await _campaign(operator, firmware_id, station_ids)
    path = f"/firmware-campaigns/{campaign_id}"

    # When it is paused once the canary is through and the next wave has started
    await _until(
        operator, path, lambda c: sum(1 for s in c["stations"] if s["wave"] >= 1 and s["startedAt"]) > 0, 30
    )
    status, paused = await operator.call("POST", f"{path}/pause")
    assert status in (200, 202), paused
    assert paused["status"] == "paused"
    # Then the stations already updating finish, and no new one starts while it is paused
    quiet = await _until(
        operator,
        path,
        lambda c: (
            c["counts"]["downloading"] + c["counts"]["installing"] == 0
            and all(s["state"] != "pending" or not s["startedAt"] for s in c["stations"])
        ),
        within=STATION_TIMEOUT_SECONDS + 10,
    )
    started_while_paused = {s["stationId"] for s in quiet["stations"] if s["startedAt"]}
    await asyncio.sleep(3)  # three driver ticks
    status, still = await operator.call("GET", path)
    assert status == 200 and still["status"] == "paused"
    assert {s["stationId"] for s in still["stations"] if s["startedAt"]} == started_while_paused
    assert len(started_while_paused) < 20

    # When it resumes, it goes on until the failures exceed 20 % of the 20 targets
    status, resumed = await operator.call("POST", f"{path}/resume")
    assert status in (200, 202), resumed
    campaign = await _until(
        operator, path, lambda c: c["status"] in FINAL_CAMPAIGN, within=STATION_TIMEOUT_SECONDS + 60
    )
    assert campaign["status"] == "halted", campaign
    assert campaign["counts"]["failed"] == 5
    states = _states(campaign)
    assert {s for s, state in states.items() if state == "failed"} == failing
    # the updates running at the halt finish; no station is started after it: the rest are skipped
    settled = await _until(
        operator,
        path,
        lambda c: (
            c["counts"]["downloading"] + c["counts"]["installing"] == 0
            and all(s["state"] != "pending" or not s["startedAt"] for s in c["stations"])
        ),
        within=STATION_TIMEOUT_SECONDS + 10,
    )
    assert settled["status"] == "halted"
    counts = settled["counts"]
    assert counts["skipped"] > 0 and counts["pending"] == 0
    assert counts["installed"] + counts["failed"] + counts["skipped"] == 20
    assert all(not s["startedAt"] for s in settled["stations"] if s["state"] == "skipped")


@pytest.mark.parametrize("station_id", ["DIAG-1", "DIAG-2"])  # 1.6 GetDiagnostics, 2.0.1 GetLog
async def test_a_diagnostics_upload_from_a_charger_lands_in_the_bucket(
    platform: LocalPlatform, operator: OperatorClient, chargers: list[SimulatedCharger], station_id: str
) -> None:
    # Given a connected charger
    await _fleet(platform, operator, chargers, {station_id: "Installed"})

    # When diagnostics are requested
    path = f"/stations/{station_id}/diagnostics"
    status, requested = await operator.call("POST", path, {"timeoutSeconds": 30})
    assert status == 202, requested

    # Then the charger uploads to the presigned URL, the request is uploaded and the file is in the bucket
    listing = await _until(
        operator,
        path,
        lambda body: body["items"] and body["items"][0]["status"] not in ("requested", "uploading"),
        within=30,
    )
    (upload,) = listing["items"]
    assert upload["status"] == "uploaded", upload
    s3 = platform.aws_client("s3")
    contents = s3.list_objects_v2(Bucket="csms-diagnostics").get("Contents", [])
    objects = [item for item in contents if station_id in item["Key"]]
    assert len(objects) == 1 and objects[0]["Size"] == upload["sizeBytes"] > 0
    body = s3.get_object(Bucket="csms-diagnostics", Key=objects[0]["Key"])["Body"].read()
    assert f"diagnostics of {station_id}".encode() in body
    async with aiohttp.ClientSession() as session, session.get(upload["downloadUrl"]) as response:
        assert response.status == 200
        assert await response.read() == body
