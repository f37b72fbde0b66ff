"""OCPP frames per second through the $default handler, in-process, state in moto; and AWS requests per
message type, counted with botocore events, for an OCPP 1.6 and an OCPP 2.0.1 station's typical messages
(one code path, parameterised by protocol). Prints its figures and writes bench/results/ocpp-throughput.json.

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
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        # As deployed (infra: log level INFO, metrics on): the log bytes measured are what CloudWatch ingests.
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_METRICS_NAMESPACE": "Csms",
        "EVENT_BUS_NAME": "csms-bench",
        "MANAGEMENT_API_ENDPOINT": "http://127.0.0.1:1",
    }
)

import boto3
from moto import mock_aws

RESULTS = Path(__file__).parent / "results" / "ocpp-throughput.json"
READS = {"GetItem", "Query", "Scan", "BatchGetItem"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}

# The reference workload of ../shared/aws-facts.md, per charger and month (30 days), in 1.6 message names;
# each protocol below says what the same traffic is called in it.
MONTH_MESSAGES: dict[str, int] = {
    "Heartbeat": 30 * 24 * 3600 // 300,
    "MeterValues": 30 * 4 * 120,
    "StartTransaction": 30 * 4,
    "StopTransaction": 30 * 4,
    "Authorize": 30 * 4,
    "StatusNotification": 30 * 4 * 4,
}
PRICE_PER_MILLION = {"write": 0.625, "read": 0.125, "events": 1.0}
LOG_USD_PER_GB = 0.50
TRANSACTION = "<transactionId of the StartTransaction answer>"
# What a misbehaving charger costs in logs: schema-violating frames of growing size.
BAD_FRAMES_16: dict[str, Any] = {
    "invalid 31 KB BootNotification": [
        2,
        "bad1",
        "BootNotification",
        {"chargePointVendor": "x" * 31_000, "chargePointModel": "X"},
    ],
    "unknown action": [2, "bad2", "MakeCoffee", {"strength": 11}],
    "not JSON": "{{{",
}
BAD_FRAMES_201: dict[str, Any] = {
    **BAD_FRAMES_16,
    "invalid 31 KB BootNotification": [
        2,
        "bad1",
        "BootNotification",
        {"chargingStation": {"vendorName": "x" * 31_000, "model": "X"}, "reason": "PowerUp"},
    ],
}
CLOCK_ALIGNED_METER_VALUES = 2
"""2.0.1 MeterValues per station outside its transaction (clock-aligned, idle EVSE): in a transaction the
samples travel in TransactionEvent Updated (2.0.1 J02), which the meter-values count sets."""
HANDLERS = (
    "functions.ws_authorizer.handler",
    "functions.ws_connect.handler",
    "functions.ws_default.handler",
    "functions.ws_disconnect.handler",
    "functions.operator_api.handler",
    "functions.command_sender.handler",
    "functions.command_timeouts.handler",
    "functions.session_projection.handler",
)


@contextlib.contextmanager
def _captured_output() -> Any:
    """Everything a handler writes: powertools' log handler keeps the stream it was built with, so it is
    pointed at the capture too (EMF metric lines go through print)."""
    from shared.observability import logger

    captured = io.StringIO()
    stream_handler = logger.registered_handler
    previous = stream_handler.setStream(captured)  # type: ignore[attr-defined]
    try:
        with contextlib.redirect_stdout(captured):
            yield captured
    finally:
        stream_handler.setStream(previous)  # type: ignore[attr-defined]


def _all_meter_records(client: Any) -> list[Any]:
    from shared.domain.sessions import MeterValuesRecord
    from shared.storage.dynamo import from_item
    from shared.storage.tables import METER_VALUES

    items = client.scan(TableName=METER_VALUES.default_name)["Items"]
    return [MeterValuesRecord.model_validate(from_item(item)) for item in items]


def _with_transaction(frame: Any, transaction_id: int | None) -> Any:
    if (
        isinstance(frame, list)
        and isinstance(frame[-1], dict)
        and frame[-1].get("transactionId") == TRANSACTION
    ):
        return [*frame[:-1], {**frame[-1], "transactionId": transaction_id}]
    return frame


# Modules a handler imports on its first event rather than at import (what its first event adds to the
# cold start): measured too, so that deferring an import never hides its cost.
FIRST_USE: dict[str, tuple[str, ...]] = {
    "functions.ws_default.handler": (
        "shared.ocpp.router",
        "shared.ocpp.v16.plugin",
        "shared.charging.services",
    ),
    "functions.operator_api.handler": ("shared.api.routes", "shared.ocpp.outbound", "shared.ocpp.v16.plugin"),
    "functions.command_sender.handler": ("shared.ocpp.outbound", "shared.ocpp.v16.plugin"),
    "functions.command_timeouts.handler": ("shared.ocpp.outbound",),
    "functions.session_projection.handler": ("shared.charging.live_sessions",),
}


def _process_ms(code: str, runs: int) -> float:
    timings = []
    for _ in range(runs):
        begin = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        )
        timings.append((time.perf_counter() - begin) * 1000)
    return statistics.median(timings)


def bare_interpreter_ms(runs: int) -> float:
    return _process_ms("pass", runs)


def cold_start(module: str, first_use: tuple[str, ...], runs: int, bare_ms: float) -> dict[str, float]:
    """Whole-process import of a handler module, alone and with what its first event imports, over a
    bare interpreter's start (median of ``runs``)."""
    total = _process_ms(f"import {module}", runs)
    first = _process_ms("; ".join(f"import {name}" for name in (module, *first_use)), runs)
    return {
        "importMs": round(total, 1),
        "overBareMs": round(total - bare_ms, 1),
        "withFirstUseImportsOverBareMs": round(first - bare_ms, 1),
    }


def cold_starts(runs: int) -> dict[str, Any]:
    """Each handler's cold start before its first event, on this machine."""
    bare = bare_interpreter_ms(runs)
    figures = {
        module.split(".")[1]: cold_start(module, FIRST_USE.get(module, ()), runs, bare) for module in HANDLERS
    }
    return {"bareInterpreterMs": round(bare, 1), "runs": runs, "handlers": figures}


class RequestCounter:
    def __init__(self) -> None:
        self.current: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.current[model.name] += 1

    def take(self) -> Counter[str]:
        taken, self.current = self.current, Counter()
        return taken


def frames_16(station: int, heartbeats: int, meter_values: int) -> list[tuple[str, list[Any]]]:
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
            # 7.2 kW, sampled every minute: 120 Wh a sample
            {"value": str(120 * (i + 1)), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
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
                        "transactionId": TRANSACTION,
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
                    "transactionId": TRANSACTION,
                    "meterStop": 120 * meter_values,
                    "timestamp": "2026-11-27T10:00:00Z",
                    "reason": "EVDisconnected",
                },
            ],
        )
    )
    return frames


def _samples_201(energy_wh: int, context: str) -> list[dict[str, Any]]:
    """The 1.6 bench's sample (7.2 kW, three phases) as 2.0.1 carries it: numbers, unitOfMeasure."""
    return [
        {
            "value": energy_wh,
            "context": context,
            "measurand": "Energy.Active.Import.Register",
            "unitOfMeasure": {"unit": "Wh"},
        },
        {
            "value": 7200,
            "context": context,
            "measurand": "Power.Active.Import",
            "unitOfMeasure": {"unit": "W"},
        },
        *(
            {
                "value": 10.0,
                "context": context,
                "measurand": "Current.Import",
                "phase": phase,
                "unitOfMeasure": {"unit": "A"},
            }
            for phase in ("L1", "L2", "L3")
        ),
    ]


def frames_201(station: int, heartbeats: int, meter_values: int) -> list[tuple[str, list[Any]]]:
    """The same day as ``frames_16`` for a 2.0.1 station: the station names its transaction, and the
    transaction's start, samples and stop are TransactionEvent Started, Updated and Ended."""
    transaction_id = f"BENCH-TX-{station:04d}"
    token = {"idToken": "BENCH", "type": "ISO14443"}

    def status(message_id: str, connector_status: str, timestamp: str) -> tuple[str, list[Any]]:
        payload = {"timestamp": timestamp, "connectorStatus": connector_status, "evseId": 1, "connectorId": 1}
        return ("StatusNotification", [2, message_id, "StatusNotification", payload])

    def event(
        event_type: str, seq_no: int, trigger: str, timestamp: str, meter: list[dict[str, Any]], **info: Any
    ) -> tuple[str, list[Any]]:
        payload: dict[str, Any] = {
            "eventType": event_type,
            "timestamp": timestamp,
            "triggerReason": trigger,
            "seqNo": seq_no,
            "transactionInfo": {"transactionId": transaction_id, **info},
            "meterValue": [{"timestamp": timestamp, "sampledValue": meter}],
        }
        if event_type == "Started":
            payload["evse"] = {"id": 1, "connectorId": 1}
            payload["idToken"] = token
        return (f"TransactionEvent {event_type}", [2, f"t{seq_no}", "TransactionEvent", payload])

    frames: list[tuple[str, list[Any]]] = [
        (
            "BootNotification",
            [
                2,
                "b",
                "BootNotification",
                {"chargingStation": {"vendorName": "Bench", "model": "B1"}, "reason": "PowerUp"},
            ],
        ),
        status("s0", "Available", "2026-11-27T08:00:00Z"),
    ]
    frames += [("Heartbeat", [2, f"h{i}", "Heartbeat", {}]) for i in range(heartbeats)]
    frames += [
        (
            "MeterValues",
            [
                2,
                f"c{i}",
                "MeterValues",
                {
                    "evseId": 1,
                    "meterValue": [
                        {
                            "timestamp": f"2026-11-27T07:{15 * (i % 4):02d}:00Z",
                            "sampledValue": [
                                {
                                    "value": 0,
                                    "context": "Sample.Clock",
                                    "measurand": "Energy.Active.Import.Register",
                                    "unitOfMeasure": {"unit": "Wh"},
                                }
                            ],
                        }
                    ],
                },
            ],
        )
        for i in range(CLOCK_ALIGNED_METER_VALUES)
    ]
    frames += [
        ("Authorize", [2, "a", "Authorize", {"idToken": token}]),
        status("s1", "Occupied", "2026-11-27T08:01:00Z"),
        event(
            "Started",
            0,
            "Authorized",
            "2026-11-27T08:01:01Z",
            _samples_201(0, "Transaction.Begin")[:1],
            chargingState="Charging",
        ),
    ]
    for i in range(meter_values):
        timestamp = f"2026-11-27T08:{2 + i % 58:02d}:00Z"
        frames.append(
            event(
                "Updated",
                i + 1,
                "MeterValuePeriodic",
                timestamp,
                _samples_201(120 * (i + 1), "Sample.Periodic"),
            )
        )
    frames.append(
        event(
            "Ended",
            meter_values + 1,
            "EVCommunicationLost",
            "2026-11-27T10:00:00Z",
            _samples_201(120 * meter_values, "Transaction.End")[:1],
            chargingState="Idle",
            stoppedReason="EVDisconnected",
        )
    )
    return frames


@dataclass(frozen=True)
class Workload:
    """What differs between protocols; the run around it is one."""

    subprotocol: str
    station_prefix: str
    frames: Callable[[int, int, int], list[tuple[str, list[Any]]]]
    bad_frames: dict[str, Any]
    month_names: dict[str, str]
    """The reference workload's 1.6 message names as this protocol's kinds, where they differ."""
    csms_transaction_id_from: str | None = None
    """The message whose answer carries the transaction id the CSMS assigned (1.6); 2.0.1 stations name it."""


WORKLOADS = (
    Workload(
        "ocpp1.6",
        "BENCH",
        frames_16,
        BAD_FRAMES_16,
        month_names={},
        csms_transaction_id_from="StartTransaction",
    ),
    Workload(
        "ocpp2.0.1",
        "BENCH201",
        frames_201,
        BAD_FRAMES_201,
        month_names={
            "MeterValues": "TransactionEvent Updated",
            "StartTransaction": "TransactionEvent Started",
            "StopTransaction": "TransactionEvent Ended",
        },
    ),
)


def _station_frames(
    workload: Workload,
    platform: Any,
    handler: Any,
    context: Any,
    counter: RequestCounter,
    index: int,
    heartbeats: int,
    meter_values: int,
    measured: dict[str, Any],
) -> dict[str, Any]:
    """Connects one station and sends its day; returns its authorizer context (for the bad frames)."""
    from shared.domain.base import utc_now
    from shared.domain.stations import Station
    from shared.gateway import websocket
    from tests.events import connect_event, message_event

    station_id = f"{workload.station_prefix}-{index:04d}"
    station = Station(station_id=station_id, tenant_id="bench", created_at=utc_now())
    platform.stations.create(station)
    authorizer = {
        "stationId": station_id,
        "tenantId": "bench",
        "registrationId": station.registration_id,
        "registration": "Accepted",
        "protocol": workload.subprotocol,
    }
    connection = f"{workload.station_prefix}-conn-{index}"
    with _captured_output():
        websocket.connect(platform, connect_event(authorizer, connection, protocols=workload.subprotocol))
    counter.take()
    transaction_id = None
    for kind, frame in workload.frames(index, heartbeats, meter_values):
        event = message_event(authorizer, _with_transaction(frame, transaction_id), connection)
        # logs and EMF metric lines: what CloudWatch Logs ingests
        with _captured_output() as captured:
            begin = time.perf_counter()
            response = handler(event, context)
            spent = time.perf_counter() - begin
        measured["elapsed"] += spent
        measured["timings"][kind].append(spent)
        measured["logBytes"][kind] += len(captured.getvalue().encode())
        reply = json.loads(response["body"])
        if reply[0] != 3:
            raise RuntimeError(f"{workload.subprotocol} {kind} was refused: {reply}")
        if kind == workload.csms_transaction_id_from:
            transaction_id = reply[2]["transactionId"]
        measured["requests"][kind].update(counter.take())
        measured["messages"][kind] += 1
    return authorizer


def _run_workload(
    workload: Workload,
    platform: Any,
    client: Any,
    counter: RequestCounter,
    stations: int,
    heartbeats: int,
    meter_values: int,
) -> dict[str, Any]:
    from functions.ws_default.handler import handler
    from shared.catalog import WS_DEFAULT
    from tests.events import lambda_context, message_event

    context = lambda_context(WS_DEFAULT)
    measured: dict[str, Any] = {
        "elapsed": 0.0,
        "timings": defaultdict(list),
        "requests": defaultdict(Counter),
        "messages": Counter(),
        "logBytes": Counter(),
    }
    authorizer: dict[str, Any] = {}
    for index in range(stations):
        authorizer = _station_frames(
            workload, platform, handler, context, counter, index, heartbeats, meter_values, measured
        )
    # Off the charger path: the meter-values stream, one record per 60 s batch per session (the
    # batching window), through the session projection; its writes per in-transaction meter message
    # (values sent outside a transaction are not projected, so they are not counted either).
    counter.take()
    projected_messages = 0
    for index in range(stations):
        station_id = f"{workload.station_prefix}-{index:04d}"
        for record in sorted(
            (
                r
                for r in _all_meter_records(client)
                if r.station_id == station_id and r.transaction_id is not None
            ),
            key=lambda r: r.sample_key,
        ):
            platform.live_sessions.project([(record.sample_key, record)])
            projected_messages += 1
    projection_writes = sum(n for op, n in counter.take().items() if op in WRITES)
    bad_frame_logs: dict[str, int] = {}
    for name, frame in workload.bad_frames.items():
        with _captured_output() as captured:
            handler(
                message_event(authorizer, frame, f"{workload.station_prefix}-conn-{stations - 1}"), context
            )
        bad_frame_logs[name] = len(captured.getvalue().encode())
    return _figures(workload, measured, projection_writes, projected_messages, bad_frame_logs)


def _figures(
    workload: Workload,
    measured: dict[str, Any],
    projection_writes: int,
    projected_messages: int,
    bad_frame_logs: dict[str, int],
) -> dict[str, Any]:
    messages: Counter[str] = measured["messages"]
    requests: dict[str, Counter[str]] = measured["requests"]
    timings: dict[str, list[float]] = measured["timings"]
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
            "logBytesPerMessage": round(measured["logBytes"][kind] / count),
            "requests": dict(requests[kind]),
        }
    month = {workload.month_names.get(name, name): count for name, count in MONTH_MESSAGES.items()}
    month_writes = sum(n * per_type[k]["dynamodbWritesPerMessage"] for k, n in month.items())
    month_reads = sum(n * per_type[k]["dynamodbReadsPerMessage"] for k, n in month.items())
    month_events = sum(n * per_type[k]["putEventsPerMessage"] for k, n in month.items())
    month_log_bytes = sum(n * per_type[k]["logBytesPerMessage"] for k, n in month.items())
    # The heartbeat's lastSeen write happens once per interval per container; the run above had one.
    month_projection_writes = round(
        month[workload.month_names.get("MeterValues", "MeterValues")]
        * projection_writes
        / max(projected_messages, 1)
    )
    return {
        "framesPerSecond": round(total / measured["elapsed"], 1),
        "frames": total,
        "seconds": round(measured["elapsed"], 3),
        "perMessageType": per_type,
        "logBytesPerRejectedFrame": bad_frame_logs,
        "referenceWorkloadPerChargerMonth": {
            "messages": month,
            "dynamodbWrites": round(month_writes),
            "sessionProjectionWrites": month_projection_writes,
            "dynamodbReads": round(month_reads),
            "putEvents": round(month_events),
            "dynamodbAndEventsUsd": round(
                (
                    (month_writes + month_projection_writes) * PRICE_PER_MILLION["write"]
                    + month_reads * PRICE_PER_MILLION["read"]
                    + month_events * PRICE_PER_MILLION["events"]
                )
                / 1e6,
                5,
            ),
            "logBytes": round(month_log_bytes),
            "logsUsd": round(month_log_bytes / 1e9 * LOG_USD_PER_GB, 5),
            "note": "heartbeat writes depend on container reuse: one lastSeen write per station per warm "
            "container per LAST_SEEN_WRITE_INTERVAL_SECONDS; this run used one container",
        },
    }


def run(stations: int, heartbeats: int, meter_values: int) -> dict[str, Any]:
    """Each protocol's stations in turn, against one platform (one moto state, one warm container)."""
    from shared.domain.base import utc_now
    from shared.domain.id_tokens import IdToken
    from shared.storage.tables import ALL_TABLES, create_table_request
    from shared.wiring import get_platform

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
        protocols = {
            workload.subprotocol: _run_workload(
                workload, platform, client, counter, stations, heartbeats, meter_values
            )
            for workload in WORKLOADS
        }
    return {
        "benchmark": "ocpp-throughput",
        "machine": {"python": host.python_version(), "processor": host.machine(), "cpus": os.cpu_count()},
        "parameters": {
            "stations": stations,
            "heartbeatsPerStation": heartbeats,
            "meterValuesPerStation": meter_values,
            "clockAlignedMeterValuesPerStation": {"ocpp1.6": 0, "ocpp2.0.1": CLOCK_ALIGNED_METER_VALUES},
        },
        "protocols": protocols,
    }


def _print_protocol(subprotocol: str, result: dict[str, Any]) -> None:
    print(
        f"{subprotocol}: {result['frames']} frames in {result['seconds']} s: "
        f"{result['framesPerSecond']} frames/s (moto in-process)"
    )
    print(f"{'message':<26}{'mean ms':>9}{'p95 ms':>9}{'reads':>7}{'writes':>8}{'events':>8}{'log B':>7}")
    for kind, row in result["perMessageType"].items():
        print(
            f"{kind:<26}{row['meanMs']:>9.2f}{row['p95Ms']:>9.2f}{row['dynamodbReadsPerMessage']:>7.2f}"
            f"{row['dynamodbWritesPerMessage']:>8.2f}{row['putEventsPerMessage']:>8.2f}"
            f"{row['logBytesPerMessage']:>7}"
        )
    for name, size in result["logBytesPerRejectedFrame"].items():
        print(f"log bytes for a rejected frame ({name}): {size}")
    month = result["referenceWorkloadPerChargerMonth"]
    print(
        f"reference charger-month: {month['dynamodbWrites']} writes (+{month['sessionProjectionWrites']} "
        f"session projection), {month['dynamodbReads']} reads, {month['putEvents']} events = "
        f"${month['dynamodbAndEventsUsd']}; logs {month['logBytes'] / 1e6:.1f} MB = ${month['logsUsd']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=20, help="per protocol")
    parser.add_argument("--heartbeats", type=int, default=10)
    parser.add_argument("--meter-values", type=int, default=20)
    parser.add_argument("--cold-start-runs", type=int, default=7, help="0 skips the cold-start figures")
    arguments = parser.parse_args()
    result = run(arguments.stations, arguments.heartbeats, arguments.meter_values)
    if arguments.cold_start_runs:
        result["coldStart"] = cold_starts(arguments.cold_start_runs)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for subprotocol, figures in result["protocols"].items():
        _print_protocol(subprotocol, figures)
    cold = result.get("coldStart")
    if cold:
        bare = cold["bareInterpreterMs"]
        print(f"cold start, median of {cold['runs']} process runs (bare interpreter {bare} ms):")
        for name, figures in cold["handlers"].items():
            print(
                f"  {name:<20} {figures['importMs']:>7.0f} ms  (+{figures['overBareMs']:.0f} ms over bare; "
                f"+{figures['withFirstUseImportsOverBareMs']:.0f} ms with what its first event imports)"
            )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
