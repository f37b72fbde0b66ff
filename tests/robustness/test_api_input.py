"""Issue 18 item 13 and 15: input the platform cannot store is a 400 (or 413) naming the problem,
never a 500. Each case was a 500 (or stored nonsense) before."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.builders import PlatformUnderTest
from tests.robustness.api_client import operator_api_on_moto, send

HUGE_INTEGER = 10**39  # DynamoDB numbers hold 38 digits


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with operator_api_on_moto() as test_platform:
        assert send("POST", "/v1/stations", body={"stationId": "CP-1"}).status == 201
        yield test_platform


def assert_refused(answer: Any, *, status: int = 400, naming: str) -> None:
    assert answer.status == status, answer.text
    assert naming in answer.body["message"], answer.body


def test_body_that_is_not_utf8_is_400(env: PlatformUnderTest) -> None:
    # Given bytes that are not UTF-8 (API Gateway hands them over base64-encoded)
    body = b'{"name": "\xff\xfe"}'
    # When they are posted
    answer = send("POST", "/v1/sites", body=body)
    # Then the body is named as the problem
    assert_refused(answer, naming="UTF-8")


def test_base64_body_that_is_utf8_is_read(env: PlatformUnderTest) -> None:
    answer = send("POST", "/v1/sites", body='{"name": "Dépôt"}'.encode())
    assert answer.status == 201 and answer.body["name"] == "Dépôt"
    assert base64  # the event builder base64-encodes only non-UTF-8 bodies, as API Gateway does


def test_deeply_nested_body_is_400(env: PlatformUnderTest) -> None:
    nested = "[" * 1000 + "]" * 1000
    body = '{"action": "DataTransfer", "payload": {"vendorId": "x", "data": "y", "extra": ' + nested + "}}"
    assert_refused(send("POST", "/v1/stations/CP-1/commands", body=body), naming="nested")
    assert_refused(send("POST", "/v1/sites", body=nested), naming="nested")


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_date_that_overflows_in_utc_is_400(env: PlatformUnderTest, moment: str) -> None:
    created = send("POST", "/v1/id-tokens", body={"idToken": "TAG-1", "expiresAt": moment})
    assert_refused(created, naming="expiresAt")
    assert send("POST", "/v1/id-tokens", body={"idToken": "TAG-1"}).status == 201
    assert_refused(send("PATCH", "/v1/id-tokens/TAG-1", body={"expiresAt": moment}), naming="expiresAt")
    assert_refused(send("GET", "/v1/sessions", query={"from": moment}), naming="from")


def test_command_payload_with_a_39_digit_integer_is_400(env: PlatformUnderTest) -> None:
    body = {
        "action": "TriggerMessage",
        "payload": {"requestedMessage": "Heartbeat", "connectorId": HUGE_INTEGER},
    }
    assert_refused(send("POST", "/v1/stations/CP-1/commands", body=body), naming="38 digits")
    body = {"action": "ChangeAvailability", "payload": {"connectorId": -HUGE_INTEGER, "type": "Operative"}}
    assert_refused(send("POST", "/v1/stations/CP-1/commands", body=body), naming="38 digits")


@pytest.mark.parametrize("number", ["1e200", "1e-200", "1e400"])
def test_command_payload_with_a_number_dynamodb_cannot_hold_is_400(
    env: PlatformUnderTest, number: str
) -> None:
    body = '{"action": "DataTransfer", "payload": {"vendorId": "x", "data": "y", "n": ' + number + "}}"
    assert_refused(send("POST", "/v1/stations/CP-1/commands", body=body), naming="out of range")


@pytest.mark.parametrize("evse_id", ["1e40", str(10**40), str(2**31)])
def test_evse_id_1e40_is_400(env: PlatformUnderTest, evse_id: str) -> None:
    # 10**40 written out reached DynamoDB (decimal.Rounded) and the frame; 1e40 as a float did not
    body = '{"idToken": "TAG-1", "evseId": ' + evse_id + "}"
    assert send("POST", "/v1/stations/CP-1/remote-start", body=body).status == 400
    body = '{"evseId": ' + evse_id + "}"
    assert send("POST", "/v1/stations/CP-1/remote-stop", body=body).status == 400


@pytest.mark.parametrize("limit", ["NaN", "Infinity", "-Infinity"])
def test_charging_profile_limit_that_is_not_a_number_is_400(env: PlatformUnderTest, limit: str) -> None:
    profile = (
        '{"chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile", '
        '"chargingProfileKind": "Absolute", "chargingSchedule": {"chargingRateUnit": "A", '
        '"chargingSchedulePeriod": [{"startPeriod": 0, "limit": ' + limit + "}]}}"
    )
    body = (
        '{"action": "SetChargingProfile", "payload": {"connectorId": 1, "csChargingProfiles": '
        + profile
        + "}}"
    )
    assert_refused(send("POST", "/v1/stations/CP-1/commands", body=body), naming=limit)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/sites", '{"name": "\\ud800"}'),
        ("/v1/sites", '{"name": "ok", "\\udfff": 1}'),
        (
            "/v1/stations/CP-1/commands",
            '{"action": "DataTransfer", "payload": {"vendorId": "x", "data": "\\ud800"}}',
        ),
    ],
)
def test_lone_surrogate_in_a_string_is_400(env: PlatformUnderTest, path: str, body: str) -> None:
    assert_refused(send("POST", path, body=body), naming="surrogate")


def test_paired_surrogates_are_an_ordinary_character(env: PlatformUnderTest) -> None:
    answer = send("POST", "/v1/sites", body='{"name": "plug \\ud83d\\udd0c"}')
    assert answer.status == 201 and answer.body["name"] == "plug \U0001f50c"


@pytest.mark.parametrize("kilobytes", [140, 450])
def test_command_whose_frame_exceeds_the_websocket_limit_is_413(
    env: PlatformUnderTest, kilobytes: int
) -> None:
    body = {"action": "DataTransfer", "payload": {"vendorId": "x", "data": "a" * (kilobytes * 1024)}}
    answer = send("POST", "/v1/stations/CP-1/commands", body=body)
    assert_refused(answer, status=413, naming="131072 bytes")
    assert send("GET", "/v1/stations/CP-1/commands").body["items"] == []


def test_command_just_under_the_websocket_limit_is_sent(env: PlatformUnderTest) -> None:
    body = {"action": "DataTransfer", "payload": {"vendorId": "x", "data": "a" * (127 * 1024)}}
    assert send("POST", "/v1/stations/CP-1/commands", body=body).status == 202


# --- item 15: lax validation ------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Mars/Olympus", "America", "../../etc/passwd", "localtime", ""])
def test_site_time_zone_must_be_an_iana_zone(env: PlatformUnderTest, zone: str) -> None:
    assert_refused(send("POST", "/v1/sites", body={"name": "Depot", "timezone": zone}), naming="timezone")


def test_site_time_zone_that_exists_is_kept(env: PlatformUnderTest) -> None:
    answer = send("POST", "/v1/sites", body={"name": "Depot", "timezone": "Europe/Berlin"})
    assert answer.status == 201 and answer.body["timezone"] == "Europe/Berlin"


def test_id_token_longer_than_an_ocpp16_id_tag_is_400(env: PlatformUnderTest) -> None:
    assert_refused(send("POST", "/v1/id-tokens", body={"idToken": "T" * 21}), naming="idToken")
    assert_refused(
        send("POST", "/v1/id-tokens", body={"idToken": "TAG-2", "parentIdToken": "P" * 21}),
        naming="parentIdToken",
    )
    assert send("POST", "/v1/id-tokens", body={"idToken": "T" * 20}).status == 201
    assert_refused(
        send("POST", "/v1/stations/CP-1/remote-start", body={"idToken": "T" * 21}), naming="idToken"
    )


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None])
def test_blocked_must_be_a_json_boolean(env: PlatformUnderTest, value: Any) -> None:
    assert_refused(send("PATCH", "/v1/stations/CP-1", body={"blocked": value}), naming="blocked")
    assert send("GET", "/v1/stations/CP-1").body["blocked"] is False


def test_evse_id_must_be_a_json_integer(env: PlatformUnderTest) -> None:
    for evse_id in ["1", 1.5, True]:
        body = {"idToken": "TAG-1", "evseId": evse_id}
        assert_refused(send("POST", "/v1/stations/CP-1/remote-start", body=body), naming="evseId")


def test_id_token_status_cannot_be_cleared(env: PlatformUnderTest) -> None:
    # null used to remove the stored status (read back as Accepted)
    assert send("POST", "/v1/id-tokens", body={"idToken": "TAG-1", "status": "Blocked"}).status == 201
    assert_refused(send("PATCH", "/v1/id-tokens/TAG-1", body={"status": None}), naming="status")
    assert send("GET", "/v1/id-tokens/TAG-1").body["status"] == "Blocked"


def test_session_window_that_ends_before_it_starts_is_400(env: PlatformUnderTest) -> None:
    query = {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    assert_refused(send("GET", "/v1/sessions", query=query), naming="from")
    query = {"stationId": "CP-1", **query}
    assert_refused(send("GET", "/v1/sessions", query=query), naming="from")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/stations/" + "S" * 3000,
        "/v1/sites/" + "s" * 3000,
        "/v1/id-tokens/" + "T" * 3000,
        "/v1/sessions/" + "x" * 3000,
        "/v1/commands/" + "c" * 3000,
    ],
)
def test_identifier_no_record_can_have_is_400(env: PlatformUnderTest, path: str) -> None:
    # DynamoDB refuses keys over 2 KB with a ValidationException
    answer = send("GET", path)
    assert answer.status == 400 and "path field" in answer.body["message"], answer.text


def test_query_filter_no_record_can_match_is_400(env: PlatformUnderTest) -> None:
    assert_refused(send("GET", "/v1/sessions", query={"stationId": "S" * 3000}), naming="stationId")
    assert_refused(send("GET", "/v1/stations", query={"siteId": "s" * 3000}), naming="siteId")


def test_every_error_body_has_the_documented_shape(env: PlatformUnderTest) -> None:
    answer = send("POST", "/v1/sites", body={"name": 5})
    assert answer.status == 400
    assert set(answer.body) == {"message", "errors"}
    assert answer.body["errors"][0]["field"] == "body field 'name'"
    assert json.dumps(answer.body)
