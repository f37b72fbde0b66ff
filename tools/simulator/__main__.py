"""``csms-sim``: run N simulated OCPP chargers (1.6J, 2.0.1, or a mix) against a CSMS URL."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import signal
from typing import Any

from tools.simulator import ChargerBase, simulated_charger
from tools.simulator.settings import ChargerSettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csms-sim", description=__doc__)
    parser.add_argument("--url", default="ws://127.0.0.1:9000/ocpp", help="chargers connect to <url>/<id>")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--prefix", default="SIM-", help="station ids are <prefix>001, <prefix>002, …")
    parser.add_argument("--password", help="HTTP Basic auth <stationId>:<password>")
    parser.add_argument("--id-tag", default="SIM-TAG-1")
    parser.add_argument("--connectors", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=1, help="sessions per charger (0: only answer)")
    parser.add_argument("--session-minutes", type=float, default=30.0, help="simulated session length")
    parser.add_argument("--meter-interval", type=float, default=60.0, help="simulated s between MeterValues")
    parser.add_argument("--time-scale", type=float, default=1.0, help="simulated seconds per real second")
    parser.add_argument("--heartbeat", type=float, help="real s between heartbeats (default: CSMS's)")
    parser.add_argument(
        "--protocol", choices=("1.6", "2.0.1"), default="1.6", help="OCPP version of every charger"
    )
    parser.add_argument(
        "--protocol-mix",
        type=float,
        help="share of 2.0.1 chargers in the fleet (0..1), spread evenly; overrides --protocol",
    )
    parser.add_argument(
        "--offline-after", type=float, help="real s after start when each charger goes offline"
    )
    parser.add_argument("--offline-seconds", type=float, default=30.0, help="real s it stays offline")
    parser.add_argument(
        "--replay-out-of-order",
        action="store_true",
        help="2.0.1: deliver the offline queue shuffled, one event twice",
    )
    parser.add_argument("--exit-when-done", action="store_true", help="exit after the planned sessions")
    parser.add_argument("--verbose", action="store_true", help="log every OCPP frame")
    return parser


def protocol_of(number: int, default: str, mix: float | None) -> str:
    """With a mix, charger ``number`` (1-based) is 2.0.1 when the running share of 2.0.1 chargers steps up
    at it: 0.5 alternates, 0.25 makes every fourth one 2.0.1, whatever the fleet size."""
    if mix is None:
        return default
    if not 0 <= mix <= 1:
        raise SystemExit("--protocol-mix is a share between 0 and 1")
    return "2.0.1" if math.floor(number * mix) > math.floor((number - 1) * mix) else "1.6"


async def _go_offline_later(charger: ChargerBase[Any], after: float, seconds: float) -> None:
    await asyncio.sleep(after)
    await charger.go_offline(seconds)


async def _all_sessions_done(chargers: list[ChargerBase[Any]]) -> None:
    for charger in chargers:
        await charger.planned_sessions_done.wait()


async def _run(arguments: argparse.Namespace) -> None:
    chargers = [
        simulated_charger(
            ChargerSettings(
                protocol=protocol_of(number, arguments.protocol, arguments.protocol_mix),
                replay_out_of_order=arguments.replay_out_of_order,
                station_id=f"{arguments.prefix}{number:03d}",
                url=arguments.url,
                password=arguments.password,
                id_tag=arguments.id_tag,
                connectors=arguments.connectors,
                sessions=arguments.sessions,
                session_seconds=arguments.session_minutes * 60,
                meter_interval_seconds=arguments.meter_interval,
                time_scale=arguments.time_scale,
                heartbeat_seconds=arguments.heartbeat,
            )
        )
        for number in range(1, arguments.count + 1)
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    for charger in chargers:
        await charger.start()
    offline = (
        [
            asyncio.ensure_future(
                _go_offline_later(charger, arguments.offline_after, arguments.offline_seconds)
            )
            for charger in chargers
        ]
        if arguments.offline_after is not None
        else []
    )
    finished: list[asyncio.Future[Any]] = [asyncio.ensure_future(stop.wait())]
    if arguments.exit_when_done:
        finished.append(asyncio.ensure_future(_all_sessions_done(chargers)))
    await asyncio.wait(finished, return_when=asyncio.FIRST_COMPLETED)
    for charger in chargers:
        await charger.stop()
    for waiter in (*finished, *offline):
        waiter.cancel()
    for charger in chargers:
        energy = sum(done.energy_wh for done in charger.completed_transactions)
        print(
            f"{charger.settings.station_id} (OCPP {charger.settings.protocol}): boot {charger.boot_status}, "
            f"{charger.boot_count} boot(s), transactions {charger.transaction_ids}, {energy} Wh"
        )


def main(argv: list[str] | None = None) -> None:
    arguments = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if not arguments.verbose:
        logging.getLogger("ocpp").setLevel(logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(arguments))


if __name__ == "__main__":
    main()
