"""OCPP frames per second through the $default handler, in-process, state in moto; and AWS requests per
message type, counted with botocore events. Prints its figures and writes bench/results/ocpp-throughput.json.

    .venv/bin/python -m bench.ocpp_throughput [--stations 20] [--heartbeats 10] [--meter-values 20]

Not a test: nothing here asserts a speed. moto is far slower than DynamoDB, so frames/s measures our
code plus moto; the request counts are exact and are what the cost model uses.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform as host
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "EVENT_BUS_NAME": "csms-bench",
        "MANAGEMENT_API_ENDPOINT": "http://127.0.0.1:1",
    }
)

import boto3
from moto import mock_aws

RESULTS = Path(__file__).parent / "results" / "ocpp-throughput.json"
READS = {"GetItem", "Query", "Scan", "BatchGetItem"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}

# The reference workload of ../shared/aws-facts.md, per charger and month (30 days).
MONTH_MESSAGES: dict[str, int] = {
    "Heartbeat": 30 * 24 * 3600 // 300,
    "MeterValues": 30 * 4 * 120,
    "StartTransaction": 30 * 4,
    "StopTransaction": 30 * 4,
    "Authorize": 30 * 4,
    "StatusNotification": 30 * 4 * 4,
}
PRICE_PER_MILLION = {"write": 0.625, "read": 0.125, "events": 1.0}


class RequestCounter:
    def __init__(self) -> None:
        self.current: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.current[model.name] += 1

    def take(self) -> Counter[str]:
        taken, self.current = self.current, Counter()
        return taken


def frames_for_station(station: int, heartbeats: int, meter_values: int) -> list[tuple[str, list[Any]]]:
    frames: list[tuple[str, list[Any]]] = [
        (
            "BootNotification",
            [2, "b", "BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "B1"}],
        ),
        (
            "StatusNotification",
            [
                2,
                "s0",
                "StatusNotification",
                {
                    "connectorId": 1,
                    "errorCode": "NoError",
                    "status": "Available",
                    "timestamp": "2026-11-27T08:00:00Z",
                },
            ],
        ),
    ]
    frames += [("Heartbeat", [2, f"h{i}", "Heartbeat", {}]) for i in range(heartbeats)]
    frames += [
        ("Authorize", [2, "a", "Authorize", {"idTag": "BENCH"}]),
        (
            "StartTransaction",
            [
                2,
                "st",
                "StartTransaction",
                {"connectorId": 1, "idTag": "BENCH", "meterStart": 0, "timestamp": "2026-11-27T08:01:00Z"},
            ],
        ),
        (
            "StatusNotification",
            [
                2,
                "s1",
                "StatusNotification",
                {
                    "connectorId": 1,
                    "errorCode": "NoError",
                    "status": "Charging",
                    "timestamp": "2026-11-27T08:01:01Z",
                },
            ],
        ),
    ]
    for i in range(meter_values):
        sample = [
            {"value": str(1000 * (i + 1)), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
            *(
                {"value": "10.0", "measurand": "Current.Import", "unit": "A", "phase": phase}
                for phase in ("L1", "L2", "L3")
            ),
        ]
        timestamp = f"2026-11-27T08:{2 + i % 58:02d}:00Z"
        frames.append(
            (
                "MeterValues",
                [
                    2,
                    f"m{i}",
                    "MeterValues",
                    {
                        "connectorId": 1,
                        "transactionId": 1,
                        "meterValue": [{"timestamp": timestamp, "sampledValue": sample}],
                    },
                ],
            )
        )
    frames.append(
        (
            "StopTransaction",
            [
                2,
                "x",
                "StopTransaction",
                {
                    "transactionId": 1,
                    "meterStop": 1000 * meter_values,
                    "timestamp": "2026-11-27T10:00:00Z",
                    "reason": "EVDisconnected",
                },
            ],
        )
    )
    return frames


def run(stations: int, heartbeats: int, meter_values: int) -> dict[str, Any]:
    from functions.ws_default.handler import handler
    from shared.catalog import WS_DEFAULT
    from shared.domain.base import utc_now
    from shared.domain.id_tokens import IdToken
    from shared.domain.stations import Station
    from shared.storage.tables import ALL_TABLES, create_table_request
    from shared.wiring import get_platform
    from tests.events import connect_event, lambda_context, message_event

    with mock_aws():
        client = boto3.client("dynamodb")
        for table in ALL_TABLES:
            client.create_table(**create_table_request(table))
        boto3.client("events").create_event_bus(Name="csms-bench")
        platform = get_platform()
        counter = RequestCounter()
        platform.dynamodb.meta.events.register("before-call.dynamodb.*", counter)
        from shared.gateway.events import eventbridge_client

        eventbridge_client().meta.events.register("before-call.events.*", counter)
        platform.id_tokens.create(IdToken(tenant_id="bench", id_token="BENCH", created_at=utc_now()))
        from shared.gateway import websocket

        timings: dict[str, list[float]] = defaultdict(list)
        requests: dict[str, Counter[str]] = defaultdict(Counter)
        messages: Counter[str] = Counter()
        context = lambda_context(WS_DEFAULT)
        started = time.perf_counter()
        quiet = contextlib.redirect_stdout(io.StringIO())  # EMF metric lines, printed by powertools
        quiet.__enter__()
        for index in range(stations):
            station_id = f"BENCH-{index:04d}"
            platform.stations.create(Station(station_id=station_id, tenant_id="bench", created_at=utc_now()))
            authorizer = {"stationId": station_id, "tenantId": "bench", "protocol": "ocpp1.6"}
            websocket.connect(platform, connect_event(authorizer, f"conn-{index}"))
            counter.take()
            for kind, frame in frames_for_station(index, heartbeats, meter_values):
                event = message_event(authorizer, frame, f"conn-{index}")
                begin = time.perf_counter()
                response = handler(event, context)
                timings[kind].append(time.perf_counter() - begin)
                reply = json.loads(response["body"])
                if reply[0] != 3:
                    raise RuntimeError(f"{kind} was refused: {reply}")
                requests[kind].update(counter.take())
                messages[kind] += 1
        elapsed = time.perf_counter() - started
        quiet.__exit__(None, None, None)
    total = sum(messages.values())
    per_type: dict[str, dict[str, Any]] = {}
    for kind, count in sorted(messages.items()):
        reads = sum(n for op, n in requests[kind].items() if op in READS) / count
        writes = sum(n for op, n in requests[kind].items() if op in WRITES) / count
        events = requests[kind].get("PutEvents", 0) / count
        per_type[kind] = {
            "messages": count,
            "meanMs": round(statistics.fmean(timings[kind]) * 1000, 3),
            "p95Ms": round(sorted(timings[kind])[int(0.95 * (len(timings[kind]) - 1))] * 1000, 3),
            "dynamodbReadsPerMessage": round(reads, 3),
            "dynamodbWritesPerMessage": round(writes, 3),
            "putEventsPerMessage": round(events, 3),
            "requests": dict(requests[kind]),
        }
    month_writes = sum(MONTH_MESSAGES[k] * per_type[k]["dynamodbWritesPerMessage"] for k in MONTH_MESSAGES)
    month_reads = sum(MONTH_MESSAGES[k] * per_type[k]["dynamodbReadsPerMessage"] for k in MONTH_MESSAGES)
    month_events = sum(MONTH_MESSAGES[k] * per_type[k]["putEventsPerMessage"] for k in MONTH_MESSAGES)
    return {
        "benchmark": "ocpp-throughput",
        "machine": {"python": host.python_version(), "processor": host.machine(), "cpus": os.cpu_count()},
        "parameters": {
            "stations": stations,
            "heartbeatsPerStation": heartbeats,
            "meterValuesPerStation": meter_values,
        },
        "framesPerSecond": round(total / elapsed, 1),
        "frames": total,
        "seconds": round(elapsed, 3),
        "perMessageType": per_type,
        "referenceWorkloadPerChargerMonth": {
            "messages": MONTH_MESSAGES,
            "dynamodbWrites": round(month_writes),
            "dynamodbReads": round(month_reads),
            "putEvents": round(month_events),
            "dynamodbAndEventsUsd": round(
                (
                    month_writes * PRICE_PER_MILLION["write"]
                    + month_reads * PRICE_PER_MILLION["read"]
                    + month_events * PRICE_PER_MILLION["events"]
                )
                / 1e6,
                5,
            ),
            "note": "heartbeat writes depend on container reuse: one lastSeen write per station per warm "
            "container per LAST_SEEN_WRITE_INTERVAL_SECONDS; this run used one container",
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=20)
    parser.add_argument("--heartbeats", type=int, default=10)
    parser.add_argument("--meter-values", type=int, default=20)
    arguments = parser.parse_args()
    result = run(arguments.stations, arguments.heartbeats, arguments.meter_values)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{result['frames']} frames in {result['seconds']} s: "
        f"{result['framesPerSecond']} frames/s (moto in-process)"
    )
    print(f"{'message':<20}{'mean ms':>9}{'p95 ms':>9}{'reads':>7}{'writes':>8}{'events':>8}")
    for kind, row in result["perMessageType"].items():
        print(
            f"{kind:<20}{row['meanMs']:>9.2f}{row['p95Ms']:>9.2f}{row['dynamodbReadsPerMessage']:>7.2f}"
            f"{row['dynamodbWritesPerMessage']:>8.2f}{row['putEventsPerMessage']:>8.2f}"
        )
    month = result["referenceWorkloadPerChargerMonth"]
    print(
        f"reference charger-month: {month['dynamodbWrites']} writes, {month['dynamodbReads']} reads, "
        f"{month['putEvents']} events = ${month['dynamodbAndEventsUsd']}"
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
