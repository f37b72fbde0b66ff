"""The protocol registry is the only place a protocol is named."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from shared.gateway import websocket
from shared.ocpp import protocols
from tests.builders import PlatformUnderTest, a_station, platform_on_moto
from tests.events import authorizer_event, connect_event, message_event
from tests.unit import throwaway_protocol


@pytest.fixture
def throwaway() -> Iterator[None]:
    protocols.register(
        protocols.ProtocolEntry(
            throwaway_protocol.SUBPROTOCOL, "1.6", "tests.unit.throwaway_protocol", preference=1
        )
    )
    yield
    protocols.unregister(throwaway_protocol.SUBPROTOCOL)


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with platform_on_moto() as test_platform:
        test_platform.platform.stations.create(a_station())
        yield test_platform


def test_a_second_protocol_routes_without_touching_the_router(
    throwaway: None, env: PlatformUnderTest
) -> None:
    # Given a station that offers the throwaway protocol first
    offer = f"{throwaway_protocol.SUBPROTOCOL}, ocpp1.6"
    decision = websocket.authorize_connection(env.platform, authorizer_event("CP-1", protocols=offer))
    authorizer = decision["context"]
    connected = websocket.connect(env.platform, connect_event(authorizer, protocols=offer))
    # Then the registry's preference picks it, and its handler answers
    assert connected["headers"] == {"Sec-WebSocket-Protocol": throwaway_protocol.SUBPROTOCOL}
    reply = websocket.handle_message(env.platform, message_event(authorizer, [2, "h1", "Heartbeat", {}]))
    assert json.loads(reply["body"]) == [3, "h1", {"currentTime": "1999-12-31T23:59:59.000Z"}]
    # And its own error spelling and action set apply
    unknown = websocket.handle_message(
        env.platform, message_event(authorizer, [2, "x1", "Authorize", {"idTag": "A"}])
    )
    assert json.loads(unknown["body"])[2] == "TestNotImplemented"
    station = env.platform.stations.get("CP-1")
    assert station is not None and station.protocol == throwaway_protocol.SUBPROTOCOL


def test_the_catalog_offers_what_the_registry_holds() -> None:
    from shared.catalog import SUPPORTED_SUBPROTOCOLS

    assert protocols.preferred_subprotocols() == SUPPORTED_SUBPROTOCOLS
    assert "ocpp1.6" in SUPPORTED_SUBPROTOCOLS


def test_an_unknown_subprotocol_is_an_error_not_a_default() -> None:
    with pytest.raises(protocols.UnsupportedProtocolError):
        protocols.plugin_for("ocpp9.9")
