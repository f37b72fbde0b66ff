"""``csms-local`` as a process: it stops within a few seconds of SIGTERM, with chargers connected and
its function workers running (it took about 90 s before)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tools.simulator import ChargerSettings, SimulatedCharger

pytestmark = pytest.mark.xdist_group("local_platform")

STOP_WITHIN_SECONDS = 5.0


async def _read_banner(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    text = ""
    async with asyncio.timeout(90):
        while "Operator token" not in text or not text.rstrip().endswith(("stationId>", "--count 1")):
            line = await process.stdout.readline()
            if not line:
                raise AssertionError(f"csms-local exited early:\n{text}")
            text += line.decode()
    return text


async def test_sigterm_stops_the_platform_within_seconds(tmp_path: Path) -> None:
    # Given csms-local running with connected chargers
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.local_platform",
        "--port",
        "0",
        "--moto-port",
        "0",
        "--state-dir",
        str(tmp_path),
        "--log-level",
        "WARNING",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    chargers: list[SimulatedCharger] = []
    try:
        banner = await _read_banner(process)
        websocket_url = re.search(r"(ws://\S+/ocpp)/<stationId>", banner)
        api_url = re.search(r"Operator API\s+(\S+?)/\.\.\.", banner)
        assert websocket_url and api_url, banner
        token = (tmp_path / "operator-token").read_text().strip()
        passwords: list[str] = []
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
            for number in range(3):
                async with http.post(
                    f"{api_url[1]}/stations", json={"stationId": f"STOP-{number}"}
                ) as response:
                    assert response.status == 201, await response.text()
                    passwords.append((await response.json())["password"])  # generated, shown once
        for number in range(3):
            charger = SimulatedCharger(
                ChargerSettings(
                    station_id=f"STOP-{number}",
                    url=websocket_url[1],
                    password=passwords[number],
                    sessions=0,
                    heartbeat_seconds=0.5,
                )
            )
            chargers.append(charger)
            await charger.start()
        async with asyncio.timeout(60):
            while not all(charger.online for charger in chargers):  # noqa: ASYNC110 - chargers' own tasks
                await asyncio.sleep(0.1)

        # When it is sent SIGTERM
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            output, _ = await process.communicate()
        took = time.monotonic() - started
    finally:
        for charger in chargers:
            await charger.stop()
        if process.returncode is None:
            process.kill()
            await process.wait()

    # Then it stopped cleanly, and fast
    assert process.returncode == 0, output.decode()
    assert "stopped in" in output.decode()
    assert took < STOP_WITHIN_SECONDS, f"took {took:.1f} s"
