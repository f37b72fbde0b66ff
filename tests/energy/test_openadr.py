"""OpenADR 3.0 VEN: VTN events (as the 3.0.1 OpenAPI document shapes them) become grid signals,
and the poller reads them from a VTN over HTTP (here a stand-in VTN on loopback)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from shared.energy.openadr import (
    UNTIL_FURTHER_NOTICE,
    ClientCredentials,
    Event,
    UrllibHttpClient,
    VtnError,
    VtnPoller,
    events_to_signals,
    parse_duration,
)
from tests.energy.builders import NOW


def capacity_event(event_id: str = "evt-1", **overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": event_id,
        "objectType": "EVENT",
        "programID": "prog-1",
        "eventName": "evening limit",
        "priority": 0,
        "targets": [{"type": "SITE", "values": ["depot"]}],
        "payloadDescriptors": [
            {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": "IMPORT_CAPACITY_LIMIT", "units": "KW"}
        ],
        "intervalPeriod": {"start": "2026-03-04T17:00:00Z", "duration": "PT1H"},
        "intervals": [
            {"id": 7, "payloads": [{"type": "IMPORT_CAPACITY_LIMIT", "values": [40]}]},
            {"id": 3, "payloads": [{"type": "IMPORT_CAPACITY_LIMIT", "values": [25.5]}]},
        ],
    }
    event.update(overrides)
    return event


def test_intervals_follow_each_other_in_list_order() -> None:
    signals = events_to_signals([Event.model_validate(capacity_event())], NOW)

    assert [(s.kind, s.starts_at.hour, s.ends_at.hour, s.value) for s in signals] == [
        ("import_limit", 17, 18, 40.0),
        ("import_limit", 18, 19, 25.5),
    ]
    assert signals[0].source == "openadr:evt-1:7"


def test_prices_and_units_are_converted_and_other_payloads_left_out() -> None:
    event = capacity_event(
        payloadDescriptors=[
            {"payloadType": "PRICE", "units": "MWH", "currency": "EUR"},
            {"payloadType": "IMPORT_CAPACITY_LIMIT", "units": "W"},
        ],
        intervals=[
            {
                "id": 0,
                "intervalPeriod": {"start": "2026-03-04T09:00:00Z", "duration": "PT15M"},
                "payloads": [
                    {"type": "PRICE", "values": [120.0]},
                    {"type": "IMPORT_CAPACITY_LIMIT", "values": [30000]},
                    {"type": "GHG", "values": [200]},
                    {"type": "SIMPLE", "values": ["high"]},
                ],
            }
        ],
    )

    signals = events_to_signals([Event.model_validate(event)], NOW)

    assert sorted((s.kind, round(s.value, 9)) for s in signals) == [("import_limit", 30.0), ("price", 0.12)]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=15) for s in signals)


def test_now_marker_open_ended_and_past_intervals() -> None:
    open_ended = capacity_event(
        intervalPeriod={"start": "0001-01-01", "duration": "P9999Y"},
        intervals=[{"id": 0, "payloads": [{"type": "IMPORT_CAPACITY_LIMIT", "values": [20]}]}],
    )
    over = capacity_event("evt-2", intervalPeriod={"start": "2026-03-03T17:00:00Z", "duration": "PT1H"})

    signals = events_to_signals([Event.model_validate(open_ended), Event.model_validate(over)], NOW)

    assert len(signals) == 1
    assert signals[0].starts_at == NOW and signals[0].ends_at == NOW + UNTIL_FURTHER_NOTICE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1H", timedelta(hours=1)),
        ("PT15M", timedelta(minutes=15)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("PT0.5S", timedelta(seconds=0.5)),
        ("P1W", timedelta(days=7)),
        ("PT0S", None),
        ("P9999Y", None),
        (None, None),
    ],
)
def test_iso_durations(text: str | None, expected: timedelta | None) -> None:
    assert parse_duration(text) == expected


def test_a_bad_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_duration("one hour")


class StandInVtn(BaseHTTPRequestHandler):
    """A VTN with one program and seven events, two to a page, behind a bearer token."""

    events = [capacity_event(f"evt-{n}") for n in range(7)]
    requests: list[str] = []

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        form = parse_qs(self.rfile.read(length).decode())
        if self.path == "/auth/token" and form.get("client_secret") == ["s3cret"]:
            self._answer(200, {"access_token": "token-1", "token_type": "Bearer", "expires_in": 3600})
        else:
            self._answer(401, {"title": "bad credentials"})

    def do_GET(self) -> None:
        url = urlparse(self.path)
        self.requests.append(self.path)
        if self.headers.get("Authorization") != "Bearer token-1":
            self._answer(403, {"title": "Forbidden", "status": 403})
            return
        query = parse_qs(url.query)
        skip, limit = int(query["skip"][0]), int(query["limit"][0])
        if url.path == "/programs":
            self._answer(200, [{"id": "prog-1", "programName": "evening-capacity"}][skip : skip + limit])
        elif url.path == "/events":
            chosen = [e for e in self.events if e["programID"] == query["programID"][0]]
            self._answer(200, [*chosen, {"programID": "prog-1", "intervals": "broken"}][skip : skip + limit])
        else:
            self._answer(404, {"title": "Not Found"})


@pytest.fixture
def vtn() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInVtn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    StandInVtn.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_poller_reads_every_page_and_returns_the_programs_signals(vtn: str) -> None:
    http = UrllibHttpClient(timeout_seconds=5)
    poller = VtnPoller(
        vtn, http, ClientCredentials(f"{vtn}/auth/token", "ven-1", "s3cret", http), page_size=2
    )

    program = poller.program_named("evening-capacity")
    assert program is not None
    signals = poller.signals(program, NOW, target_type="SITE", target_values=["depot"])

    # seven events of two intervals each; the malformed eighth is skipped, not fatal
    assert len(signals) == 14
    assert {s.value for s in signals} == {40.0, 25.5}
    event_pages = [r for r in StandInVtn.requests if r.startswith("/events")]
    assert len(event_pages) == 5  # four full pages, then an empty one
    assert "targetType=SITE" in event_pages[0] and "targetValues=depot" in event_pages[0]


def test_the_poller_says_what_the_vtn_refused(vtn: str) -> None:
    http = UrllibHttpClient(timeout_seconds=5)

    with pytest.raises(VtnError, match="403: Forbidden"):
        VtnPoller(vtn, http).programs()
    with pytest.raises(VtnError, match="token request answered 401"):
        VtnPoller(vtn, http, ClientCredentials(f"{vtn}/auth/token", "ven-1", "wrong", http)).programs()
