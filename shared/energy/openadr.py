"""The platform as an OpenADR 3.0 VEN: programs and events from a VTN, turned into grid signals.

No OpenADR 3 client on PyPI fits: ``openadr3-client`` (ElaadNL, the maintained one) needs
Python >= 3.12 (our Lambdas run 3.11); ``openadr3``/``python-oa3-client`` bring httpx, pendulum
and openapi-core into the allocator's bundle; ``toadr3`` is asyncio/aiohttp only. What a VEN needs
for limits and prices is small, so it is modelled here from the 3.0.1 OpenAPI document
(``components/schemas``: program, event, interval, intervalPeriod, valuesMap,
eventPayloadDescriptor) and the User Guide's conventions:

- an interval without its own ``intervalPeriod`` follows the previous one (the first starts at the
  event's ``intervalPeriod.start``), each lasting the event's duration; interval ``id`` is not a
  sequence number, list order is;
- a start of ``0001-01-01`` means now; a duration of ``P9999Y`` (or ``PT0S`` for a limit) means
  until further notice;
- ``IMPORT_CAPACITY_LIMIT`` values are power (units from the payload descriptor, KW when absent),
  ``PRICE`` values are per unit of energy (KWH when absent).

Every poll returns the program's whole current set of signals: an event the VTN deleted simply
stops appearing, so the caller replaces the site's OpenADR signals with each poll's result.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.base import parse_timestamp
from shared.energy.models import GridSignal

IMPORT_CAPACITY_LIMIT = "IMPORT_CAPACITY_LIMIT"
PRICE = "PRICE"
UNTIL_FURTHER_NOTICE = timedelta(days=366)
"""How long an open-ended interval is taken to last: a poll refreshes it long before."""
_NOW_MARKER = "0001-01-01"
_DURATION = re.compile(
    r"^P(?:(?P<years>\d+(?:\.\d+)?)Y)?(?:(?P<months>\d+(?:\.\d+)?)M)?(?:(?P<weeks>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<days>\d+(?:\.\d+)?)D)?(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
POWER_TO_KW = {"KW": 1.0, "W": 0.001, "MW": 1000.0}
PRICE_PER_KWH = {"KWH": 1.0, "WH": 1000.0, "MWH": 0.001}


class _Spec(BaseModel):
    """OpenADR's JSON names as they are (``programID``), unknown fields ignored."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class IntervalPeriod(_Spec):
    start: str
    duration: str | None = None
    randomize_start: str | None = Field(default=None, alias="randomizeStart")


class Point(_Spec):
    x: float
    y: float


class ValuesMap(_Spec):
    type: str = Field(min_length=1, max_length=128)
    values: list[float | int | str | bool | Point] = Field(default_factory=list)


class Interval(_Spec):
    id: int
    interval_period: IntervalPeriod | None = Field(default=None, alias="intervalPeriod")
    payloads: list[ValuesMap] = Field(default_factory=list)


class EventPayloadDescriptor(_Spec):
    payload_type: str = Field(alias="payloadType")
    units: str | None = None
    currency: str | None = None


class Program(_Spec):
    id: str | None = None
    program_name: str = Field(alias="programName")
    interval_period: IntervalPeriod | None = Field(default=None, alias="intervalPeriod")
    payload_descriptors: list[dict[str, Any]] | None = Field(default=None, alias="payloadDescriptors")
    targets: list[ValuesMap] | None = None


class Event(_Spec):
    id: str | None = None
    program_id: str = Field(alias="programID")
    event_name: str | None = Field(default=None, alias="eventName")
    priority: int | None = Field(default=None, ge=0)
    targets: list[ValuesMap] | None = None
    payload_descriptors: list[EventPayloadDescriptor] | None = Field(default=None, alias="payloadDescriptors")
    interval_period: IntervalPeriod | None = Field(default=None, alias="intervalPeriod")
    intervals: list[Interval] = Field(default_factory=list)


def parse_duration(value: str | None) -> timedelta | None:
    """An ISO 8601 duration; None for ``PT0S``, ``P9999Y`` or no duration (until further notice).
    Months count 30 days and years 365, as OpenADR durations are spans, not calendar arithmetic."""
    if value is None:
        return None
    match = _DURATION.match(value.strip())
    if match is None or value.strip() in ("P", "PT"):
        raise ValueError(f"not an ISO 8601 duration: {value!r}")
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    if parts.get("years", 0) >= 9999:
        return None
    span = timedelta(
        days=parts.get("years", 0) * 365
        + parts.get("months", 0) * 30
        + parts.get("weeks", 0) * 7
        + parts.get("days", 0),
        hours=parts.get("hours", 0),
        minutes=parts.get("minutes", 0),
        seconds=parts.get("seconds", 0),
    )
    return None if span == timedelta(0) else span


def _start(value: str, now: datetime) -> datetime:
    return now if value.startswith(_NOW_MARKER) else parse_timestamp(value)


def _units(event: Event, program: Program | None, payload_type: str) -> str | None:
    for descriptor in event.payload_descriptors or ():
        if descriptor.payload_type == payload_type and descriptor.units:
            return descriptor.units.upper()
    for raw in (program.payload_descriptors or ()) if program is not None else ():
        if raw.get("payloadType") == payload_type and raw.get("units"):
            return str(raw["units"]).upper()
    return None


def interval_windows(event: Event, now: datetime) -> list[tuple[Interval, datetime, datetime]]:
    """Each interval with its start and end (open-ended ones until ``UNTIL_FURTHER_NOTICE``)."""
    windows = []
    default = event.interval_period
    cursor = _start(default.start, now) if default is not None else None
    default_length = parse_duration(default.duration) if default is not None else None
    for interval in event.intervals:
        own = interval.interval_period
        start = _start(own.start, now) if own is not None else cursor
        if start is None:
            continue  # neither the event nor the interval says when: nothing to apply
        length = (
            parse_duration(own.duration) if own is not None and own.duration is not None else default_length
        )
        end = start + (length if length is not None else UNTIL_FURTHER_NOTICE)
        windows.append((interval, start, end))
        cursor = end
    return windows


def event_signals(event: Event, now: datetime, program: Program | None = None) -> list[GridSignal]:
    """The import limits and prices an event carries, as grid signals; other payload types,
    non-numeric values and intervals already over are left out."""
    signals = []
    for interval, start, end in interval_windows(event, now):
        if end <= now:
            continue
        for payload in interval.payloads:
            if payload.type not in (IMPORT_CAPACITY_LIMIT, PRICE) or not payload.values:
                continue
            raw = payload.values[0]
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                continue
            units = _units(event, program, payload.type)
            if payload.type == IMPORT_CAPACITY_LIMIT:
                factor = POWER_TO_KW.get(units or "KW")
                kind = "import_limit"
            else:
                factor = PRICE_PER_KWH.get(units or "KWH")
                kind = "price"
            if factor is None or (kind == "import_limit" and raw < 0):
                continue
            signals.append(
                GridSignal(
                    kind=kind,
                    starts_at=start,
                    ends_at=end,
                    value=float(raw) * factor,
                    source=f"openadr:{event.id or event.event_name or event.program_id}:{interval.id}",
                )
            )
    return signals


def events_to_signals(
    events: Sequence[Event], now: datetime, program: Program | None = None
) -> list[GridSignal]:
    """Every signal of every event, ordered by start then source (deterministic)."""
    signals = [s for event in events for s in event_signals(event, now, program)]
    return sorted(signals, key=lambda s: (s.starts_at, s.source or "", s.kind))


class HttpClient(Protocol):
    """What the poller needs from HTTP: a JSON GET and a form POST, each giving (status, body)."""

    def get_json(
        self, url: str, params: Sequence[tuple[str, str]], headers: Mapping[str, str]
    ) -> tuple[int, Any]: ...

    def post_form(self, url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> tuple[int, Any]: ...


class UrllibHttpClient:
    """The standard library's HTTP, with a timeout: enough for a poll a minute."""

    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self.timeout_seconds = timeout_seconds

    def _send(self, request: urllib.request.Request) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                body = response.read()
                return response.status, json.loads(body) if body else None
        except urllib.error.HTTPError as error:
            body = error.read()
            try:
                return error.code, json.loads(body) if body else None
            except ValueError:
                return error.code, None

    def get_json(
        self, url: str, params: Sequence[tuple[str, str]], headers: Mapping[str, str]
    ) -> tuple[int, Any]:
        query = urllib.parse.urlencode(list(params))
        full = f"{url}?{query}" if query else url
        return self._send(urllib.request.Request(full, headers={"Accept": "application/json", **headers}))

    def post_form(self, url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> tuple[int, Any]:
        data = urllib.parse.urlencode(dict(form)).encode()
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                **headers,
            },
        )
        return self._send(request)


class VtnError(Exception):
    """The VTN answered with an error, or with something that is not OpenADR."""


class ClientCredentials:
    """OAuth 2.0 client credentials (OpenADR 3's ``/auth/token``), the token kept until shortly
    before it expires."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        http: HttpClient,
        scope: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token_url = token_url
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        if scope:
            self._form["scope"] = scope
        self._http = http
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0

    def __call__(self) -> str:
        if self._token is None or self._clock() >= self._expires:
            status, body = self._http.post_form(self._token_url, self._form, {})
            if status != 200 or not isinstance(body, dict) or "access_token" not in body:
                raise VtnError(f"token request answered {status}")
            self._token = str(body["access_token"])
            self._expires = self._clock() + max(float(body.get("expires_in", 300)) - 30.0, 0.0)
        return self._token


class VtnPoller:
    """Reads a VTN's programs and events over its REST API (paged with skip/limit)."""

    def __init__(
        self,
        base_url: str,
        http: HttpClient,
        token: Callable[[], str] | None = None,
        page_size: int = 50,
        max_pages: int = 20,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._http = http
        self._token = token
        self._page_size = min(page_size, 50)  # the API's maximum
        self._max_pages = max_pages

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token()}"} if self._token is not None else {}

    def _all(self, path: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in range(self._max_pages):
            paged = [*params, ("skip", str(page * self._page_size)), ("limit", str(self._page_size))]
            status, body = self._http.get_json(f"{self._base}{path}", paged, self._headers())
            if status != 200:
                detail = body.get("title") or body.get("detail") if isinstance(body, dict) else None
                raise VtnError(f"GET {path} answered {status}" + (f": {detail}" if detail else ""))
            if not isinstance(body, list):
                raise VtnError(f"GET {path} did not answer a list")
            items += [item for item in body if isinstance(item, dict)]
            if len(body) < self._page_size:
                break
        return items

    def programs(self) -> list[Program]:
        return [Program.model_validate(p) for p in self._all("/programs", [])]

    def program_named(self, name: str) -> Program | None:
        return next((p for p in self.programs() if p.program_name == name), None)

    def events(
        self, program_id: str, target_type: str | None = None, target_values: Sequence[str] = ()
    ) -> list[Event]:
        params = [("programID", program_id)]
        if target_type is not None:
            params.append(("targetType", target_type))
            params += [("targetValues", value) for value in target_values]
        events = []
        for raw in self._all("/events", params):
            try:
                events.append(Event.model_validate(raw))
            except ValueError:
                continue  # one malformed event must not hide the others
        return events

    def signals(
        self,
        program: Program,
        now: datetime | None = None,
        target_type: str | None = None,
        target_values: Sequence[str] = (),
    ) -> list[GridSignal]:
        """The program's current signals for this VEN's targets."""
        if program.id is None:
            raise VtnError(f"program {program.program_name} has no id")
        moment = now or datetime.now(UTC)
        return events_to_signals(self.events(program.id, target_type, target_values), moment, program)
