"""The WebSocket API: authorizer and $connect before the upgrade, subprotocol negotiation, event
shapes (checked against the powertools parser models, an independent reading of AWS's events),
the $default route response, and the quotas that close sockets."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from tests.local_platform.conftest import FakeHandlers, UnauthorizedError
from tools.local_platform import LocalPlatform, PlatformConfig

pytestmark = pytest.mark.xdist_group("local_platform")

OCPP16 = Subprotocol("ocpp1.6")
OCPP201 = Subprotocol("ocpp2.0.1")


def station_url(platform: LocalPlatform, station_id: str, query: str = "") -> str:
    return f"{platform.endpoints.websocket_url}/{station_id}{query}"


async def test_offer_of_several_protocols_gets_exactly_the_one_connect_chose(
    platform: LocalPlatform, fake_handlers: FakeHandlers
) -> None:
    # Given a charger offering "ocpp2.0.1, ocpp1.6" (comma and space, as websockets sends it)
    async with connect(station_url(platform, "CP-1"), subprotocols=[OCPP201, OCPP16]) as socket:
        # Then the handshake carries the protocol the $connect handler returned
        assert socket.subprotocol == "ocpp1.6"
    connect_event = (await fake_handlers.wait_for("ws_connect"))[0]
    assert connect_event["headers"]["Sec-WebSocket-Protocol"] == "ocpp2.0.1, ocpp1.6"


async def test_charger_offering_no_protocol_we_speak_is_refused(
    platform: LocalPlatform, fake_handlers: FakeHandlers
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(station_url(platform, "CP-1"), subprotocols=[OCPP201]):
            pass
    assert refused.value.response.status_code == 400
    assert fake_handlers.of("ws_disconnect") == []


async def test_no_protocol_header_reaches_the_client_when_connect_returns_none(
    platform: LocalPlatform, fake_handlers: FakeHandlers
) -> None:
    # Given a $connect handler that accepts without choosing (aiohttp alone would pick "ocpp1.6")
    fake_handlers.connect = lambda event: {"statusCode": 200}
    async with connect(station_url(platform, "CP-1"), subprotocols=[OCPP16]) as socket:
        assert socket.subprotocol is None


async def test_authorizer_failing_with_unauthorized_answers_401_before_connect(
    platform: LocalPlatform, fake_handlers: FakeHandlers
) -> None:
    def refuse(event: dict[str, object]) -> object:
        raise UnauthorizedError

    fake_handlers.authorize = refuse
    with pytest.raises(InvalidStatus) as refused:
        async with connect(station_url(platform, "CP-1"), subprotocols=[OCPP16]):
            pass
    assert refused.value.response.status_code == 401
    assert fake_handlers.of("ws_connect") == []


async def test_deny_policy_answers_403(platform: LocalPlatform, fake_handlers: FakeHandlers) -> None:
    def deny(event: dict[str, object]) -> object:
        statement = {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": event["methodArn"]}
        return {"principalId": "x", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}

    fake_handlers.authorize = deny
    with pytest.raises(InvalidStatus) as refused:
        async with connect(station_url(platform, "CP-1"), subprotocols=[OCPP16]):
            pass
    assert refused.value.response.status_code == 403
    assert fake_handlers.of("ws_connect") == []


async def test_authorizer_event_has_the_station_id_moved_into_the_query_string(
    platform: LocalPlatform, fake_handlers: FakeHandlers
) -> None:
    credentials = base64.b64encode(b"CP 7:secret").decode()
    async with connect(
        station_url(platform, "CP%207", "?site=north&stationId=spoofed"),
        subprotocols=[OCPP16],
        additional_headers={"Authorization": f"Basic {credentials}"},
    ):
        pass
    event = (await fake_handlers.wait_for("ws_authorizer"))[0]
    assert event["type"] == "REQUEST"
    assert event["methodArn"] == "arn:aws:execute-api:us-east-1:000000000000:localws/local/$connect"
    assert event["queryStringParameters"] == {"site": "north", "stationId": "CP 7"}
    assert event["multiValueQueryStringParameters"] == {"site": ["north"], "stationId": ["CP 7"]}
    assert event["headers"]["Authorization"] == f"Basic {credentials}"
    assert event["multiValueHeaders"]["Upgrade"] == ["websocket"]
    assert event["stageVariables"] == {}
    context = event["requestContext"]
    assert (context["routeKey"], context["eventType"], context["messageDirection"]) == (
        "$connect",
        "CONNECT",
        "IN",
    )
    assert context["connectionId"].endswith("=")
    assert len(context["connectionId"]) == 16


async def test_connect_message_and_disconnect_events_carry_the_authorizer_context(
    platform: LocalPlatform, fake_handlers: FakeHandlers
) -> None:
    # Given a connected charger
    async with connect(station_url(platform, "CP-1"), subprotocols=[OCPP16]) as socket:
        # When it sends a CALL
        await socket.send(json.dumps([2, "m-1", "Heartbeat", {}]))
        # Then the $default route response comes back on the socket
        assert json.loads(await socket.recv()) == [3, "m-1", {"echo": {}}]
        await socket.close(code=1000, reason="bye")

    connect_event = (await fake_handlers.wait_for("ws_connect"))[0]
    message_event = (await fake_handlers.wait_for("ws_default"))[0]
    disconnect_event = (await fake_handlers.wait_for("ws_disconnect"))[0]
    APIGatewayWebSocketConnectEventModel.model_validate(connect_event)
    APIGatewayWebSocketMessageEventModel.model_validate(message_event)
    APIGatewayWebSocketDisconnectEventModel.model_validate(disconnect_event)

    assert "Upgrade" not in connect_event["headers"]
    assert connect_event["queryStringParameters"] == {"stationId": "CP-1"}
    assert message_event["body"] == '[2, "m-1", "Heartbeat", {}]'
    assert message_event["isBase64Encoded"] is False
    assert message_event["requestContext"]["messageId"]
    assert (
        disconnect_event["requestContext"]["disconnectStatusCode"],
        disconnect_event["requestContext"]["disconnectReason"],
    ) == (1000, "bye")
    connection_ids = {
        e["requestContext"]["connectionId"] for e in (connect_event, message_event, disconnect_event)
    }
    assert len(connection_ids) == 1
    expected_authorizer = {
        "principalId": "CP-1",
        "stationId": "CP-1",
        "tenantId": "tenant-a",
        "passwordRequired": "false",
        "connectors": "2",
        "integrationLatency": 0,
    }
    for event in (connect_event, message_event, disconnect_event):
        assert event["requestContext"]["authorizer"] == expected_authorizer


async def test_failing_default_handler_gets_api_gateway_error_frame(
    platform: LocalPlatform, fake_handlers: FakeHandlers
) -> None:
    def crash(event: dict[str, object]) -> object:
        raise RuntimeError("boom")

    fake_handlers.default = crash
    async with connect(station_url(platform, "CP-1"), subprotocols=[OCPP16]) as socket:
        await socket.send('[2, "m-1", "Heartbeat", {}]')
        reply = json.loads(await socket.recv())
    assert reply["message"] == "Internal server error"
    assert set(reply) == {"message", "connectionId", "requestId"}


async def test_frame_over_32_kb_closes_with_1009(
    platform: LocalPlatform, fake_handlers: FakeHandlers
) -> None:
    async with connect(station_url(platform, "CP-1"), subprotocols=[OCPP16]) as socket:
        await socket.send("x" * (33 * 1024))
        with pytest.raises(ConnectionClosed):
            await socket.recv()
    assert socket.close_code == 1009
    disconnect_event = (await fake_handlers.wait_for("ws_disconnect"))[0]
    assert disconnect_event["requestContext"]["disconnectStatusCode"] == 1009
    assert fake_handlers.of("ws_default") == []


async def test_message_over_128_kb_in_small_frames_closes_with_1009(
    platform: LocalPlatform, fake_handlers: FakeHandlers
) -> None:
    async with connect(station_url(platform, "CP-1"), subprotocols=[OCPP16]) as socket:
        await socket.send("y" * (60 * 1024))  # one frame: too big
    assert socket.close_code == 1009

    async with connect(station_url(platform, "CP-2"), subprotocols=[OCPP16]) as socket:
        fake_handlers.default = lambda event: {"statusCode": 200, "body": str(len(event["body"]))}
        await socket.send(["z" * (30 * 1024)] * 3)  # 90 KB in 30 KB frames: fine
        assert await socket.recv() == str(90 * 1024)
        await socket.send(["z" * (30 * 1024)] * 5)  # 150 KB in 30 KB frames: too big
        await socket.wait_closed()
    assert socket.close_code == 1009


@pytest.mark.parametrize(
    "platform_config_overrides",
    [{"idle_timeout_seconds": 0.3}],
)
async def test_idle_connection_is_closed_going_away(
    platform_config_overrides: dict[str, float], platform_config: PlatformConfig, fake_handlers: FakeHandlers
) -> None:
    config = PlatformConfig(**{**platform_config.__dict__, **platform_config_overrides})
    local = LocalPlatform(config, handler_overrides=fake_handlers.overrides())
    await local.start()
    try:
        async with connect(station_url(local, "CP-1"), subprotocols=[OCPP16]) as socket:
            await socket.wait_closed()
        assert socket.close_code == 1001
        disconnect_event = (await fake_handlers.wait_for("ws_disconnect"))[0]
        assert disconnect_event["requestContext"]["disconnectStatusCode"] == 1001
        assert disconnect_event["requestContext"]["disconnectReason"] == "Going away"
    finally:
        await local.stop()


async def test_connection_lifetime_is_capped_even_when_busy(
    platform_config: PlatformConfig, fake_handlers: FakeHandlers
) -> None:
    config = PlatformConfig(**{**platform_config.__dict__, "max_connection_seconds": 0.6})
    local = LocalPlatform(config, handler_overrides=fake_handlers.overrides())
    await local.start()
    try:
        async with connect(station_url(local, "CP-1"), subprotocols=[OCPP16]) as socket:
            for number in range(100):
                if socket.close_code is not None:
                    break
                await socket.send(json.dumps([2, str(number), "Heartbeat", {}]))
                await asyncio.sleep(0.1)
        assert socket.close_code == 1001
        assert fake_handlers.of("ws_default")
    finally:
        await local.stop()
