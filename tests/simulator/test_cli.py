"""``csms-sim`` as a process: N chargers with the given prefix, time compression, exit when done."""

from __future__ import annotations

import asyncio
import sys

import pytest

from tests.simulator.fake_csms import FakeCsms, running_csms

pytestmark = pytest.mark.xdist_group("simulator")


async def test_runs_a_fleet_and_exits_when_its_sessions_are_done() -> None:
    async with running_csms(FakeCsms(known_tags={"TAG-CLI"})) as csms:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tools.simulator",
            *("--url", csms.url, "--count", "2", "--prefix", "CLI-", "--id-tag", "TAG-CLI"),
            *("--sessions", "1", "--session-minutes", "2", "--meter-interval", "30", "--time-scale", "600"),
            "--exit-when-done",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert {station for station, action, _ in csms.messages if action == "StopTransaction"} == {
        "CLI-001",
        "CLI-002",
    }
    summary = stdout.decode()
    assert "CLI-001 (OCPP 1.6): boot Accepted" in summary
    assert "CLI-002 (OCPP 1.6): boot Accepted" in summary
