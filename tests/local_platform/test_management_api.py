"""``@connections`` through a real boto3 ``apigatewaymanagementapi`` client, as the handlers use it."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
from dataclasses import replace
from typing import Any

import boto3
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from shared.catalog import FUNCTIONS, WS_AUTHORIZER, WS_CONNECT
from tests.local_platform.conftest import FakeHandlers, allow_station
from tools.local_platform import LocalPlatform, PlatformConfig

pytestmark = pytest.mark.xdist_group("local_platform")


def management_client(endpoint_url: str) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


async def open_connection(platform: LocalPlatform, fake_handlers: FakeHandlers, station_id: str) -> Any:
    socket = await connect(
        f"{platform.endpoints.websocket_url}/{station_id}",
        subprotocols=[Subprotocol("ocpp1.6")],
        user_agent_header="sim-charger/1.0",
    )
    connect_events = await fake_handlers.wait_for("ws_connect")
    return socket, connect_events[-1]["requestContext"]["connectionId"]


async def test_post_get_and_delete_reach_the_socket(
    platform: LocalPlatform, fake_handlers: FakeHandlers
) -> None:
    client = management_client(platform.endpoints.management_api_url)
    socket, connection_id = await open_connection(platform, fake_handlers, "CP-1")

    # When a frame is posted, the charger receives it as a text frame
    frame = json.dumps([2, "c-1", "Reset", {"type": "Soft"}])
    await asyncio.to_thread(client.post_to_connection, ConnectionId=connection_id, Data=frame.encode())
    assert await socket.recv() == frame

    # GET describes the connection
    described = await asyncio.to_thread(client.get_connection, ConnectionId=connection_id)
    assert isinstance(described["ConnectedAt"], datetime.datetime)
    assert isinstance(described["LastActiveAt"], datetime.datetime)
    assert described["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "sim-charger/1.0"}

    # DELETE closes it like API Gateway, and $disconnect follows
    await asyncio.to_thread(client.delete_connection, ConnectionId=connection_id)
    with pytest.raises(ConnectionClosed):
        await socket.recv()
    disconnect_event = (await fake_handlers.wait_for("ws_disconnect"))[0]
    assert disconnect_event["requestContext"]["connectionId"] == connection_id
    assert disconnect_event["requestContext"]["disconnectStatusCode"] == 1000

    # Then the id is gone
    with pytest.raises(client.exceptions.GoneException):
        await asyncio.to_thread(client.post_to_connection, ConnectionId=connection_id, Data=b"late")


async def test_unknown_and_closed_connections_raise_gone(
    platform: LocalPlatform, fake_handlers: FakeHandlers
) -> None:
    client = management_client(platform.endpoints.management_api_url)
    with pytest.raises(client.exceptions.GoneException) as gone:
        await asyncio.to_thread(client.post_to_connection, ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    with pytest.raises(client.exceptions.GoneException):
        await asyncio.to_thread(client.get_connection, ConnectionId="AAAAAAAAAAAAAAA=")

    socket, connection_id = await open_connection(platform, fake_handlers, "CP-1")
    await socket.close()
    await fake_handlers.wait_for("ws_disconnect")
    with pytest.raises(client.exceptions.GoneException):
        await asyncio.to_thread(client.post_to_connection, ConnectionId=connection_id, Data=b"x")


async def test_payload_over_128_kb_is_refused(platform: LocalPlatform, fake_handlers: FakeHandlers) -> None:
    client = management_client(platform.endpoints.management_api_url)
    socket, connection_id = await open_connection(platform, fake_handlers, "CP-1")
    with pytest.raises(client.exceptions.PayloadTooLargeException):
        await asyncio.to_thread(
            client.post_to_connection, ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1)
        )
    await socket.close()


async def test_handler_posts_through_the_endpoint_in_its_environment(
    platform: LocalPlatform, fake_handlers: FakeHandlers
) -> None:
    # Given a $default handler that answers through @connections, built from its environment as
    # the real handlers are
    def post_back(event: dict[str, Any]) -> dict[str, Any]:
        client = management_client(os.environ["MANAGEMENT_API_ENDPOINT"])
        client.post_to_connection(ConnectionId=event["requestContext"]["connectionId"], Data=b"pushed")
        return {"statusCode": 200}

    fake_handlers.default = post_back
    socket, _ = await open_connection(platform, fake_handlers, "CP-1")
    await socket.send('[2, "1", "Heartbeat", {}]')
    assert await socket.recv() == "pushed"
    await socket.close()


async def test_posting_during_connect_is_gone(
    platform_config: PlatformConfig, fake_handlers: FakeHandlers
) -> None:
    # $connect may post (it closes a station's older connection), so the call reaches the gateway,
    # which answers about the connection being opened as API Gateway does before the upgrade.
    functions = tuple(
        replace(spec, manages_connections=True) if spec.name == WS_CONNECT.name else spec
        for spec in FUNCTIONS
    )
    platform = LocalPlatform(
        platform_config, handler_overrides=fake_handlers.overrides(), functions=functions
    )
    await platform.start()
    outcomes: list[str] = []

    def post_too_early(event: dict[str, Any]) -> dict[str, Any]:
        client = management_client(os.environ["MANAGEMENT_API_ENDPOINT"])
        try:
            client.post_to_connection(ConnectionId=event["requestContext"]["connectionId"], Data=b"hi")
        except client.exceptions.GoneException:
            outcomes.append("gone")
        return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "ocpp1.6"}}

    fake_handlers.connect = post_too_early
    try:
        socket, _ = await open_connection(platform, fake_handlers, "CP-1")
        await socket.close()
    finally:
        await platform.stop()
    assert outcomes == ["gone"]


async def test_a_function_without_the_grant_cannot_post(
    platform: LocalPlatform, fake_handlers: FakeHandlers
) -> None:
    # Given the $connect authorizer, which the catalog does not let manage connections
    assert not WS_AUTHORIZER.manages_connections
    outcomes: list[str] = []
    endpoint = platform.endpoints.management_api_url

    def post_anyway(event: dict[str, Any]) -> dict[str, Any]:
        client = management_client(os.environ.get("MANAGEMENT_API_ENDPOINT", endpoint))
        try:
            client.post_to_connection(ConnectionId=event["requestContext"]["connectionId"], Data=b"hi")
        except client.exceptions.ForbiddenException:
            outcomes.append("forbidden")
        return allow_station(event)

    # When it posts anyway
    fake_handlers.authorize = post_anyway
    socket, _ = await open_connection(platform, fake_handlers, "CP-1")
    await socket.close()
    # Then it is refused as IAM would refuse it (API Gateway answers 403 ForbiddenException)
    assert outcomes == ["forbidden"]
