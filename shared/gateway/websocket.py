"""The WebSocket lifecycle of a charger: authorize, connect, each message, disconnect.

Each function takes the API Gateway event as it arrives and returns what API Gateway expects, so the
handlers in functions/ stay one line.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponseWebSocket,
)
from aws_lambda_powertools.utilities.data_classes.api_gateway_websocket_event import APIGatewayWebSocketEvent

from shared.catalog import STATION_ID_QUERY_PARAMETER
from shared.domain.errors import StationGoneError
from shared.domain.events import StationConnected, StationDisconnected
from shared.domain.stations import Connection, RegistrationPolicy, StationContext, is_valid_station_id
from shared.gateway.enrollment import admit_unregistered, is_enrolling
from shared.gateway.passwords import verify_password
from shared.observability import logger, metrics
from shared.ocpp.protocols import negotiate_subprotocol, preferred_subprotocols
from shared.wiring import Platform


class UnauthorizedError(Exception):
    """Raised by the authorizer: API Gateway answers 401 when the message is exactly 'Unauthorized'."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def _header(headers: dict[str, str] | None, name: str) -> str | None:
    """Header names arrive in any case."""
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, password = decoded.partition(":")
    return (user, password) if separator else None


def _policy(event: dict[str, Any], principal: str, context: dict[str, str] | None) -> dict[str, Any]:
    """An Allow for $connect with the connection's context, or a Deny (API Gateway answers 403)."""
    response = APIGatewayAuthorizerResponseWebSocket.from_route_arn(
        event["methodArn"], principal_id=principal, context=context
    )
    if context is None:
        response.deny_all_routes()
    else:
        response.allow_route("$connect")
    return response.asdict()


def authorize_connection(platform: Platform, event: dict[str, Any]) -> dict[str, Any]:
    """REQUEST authorizer on $connect: a known, unblocked station, with the right password if it has one.

    An unknown station presenting its tenant's enrollment secret connects to wait for approval
    (``shared.gateway.enrollment``). Other unknown or blocked stations are denied (403); a missing or
    wrong password is 401 (OCPP security profiles 1/2). The context carries everything later events
    need, so no message looks the station up.
    """
    request = APIGatewayWebSocketEvent(event)
    station_id = request.query_string_parameters.get(STATION_ID_QUERY_PARAMETER, "")
    if not is_valid_station_id(station_id):
        return _policy(event, "unknown", None)
    station = platform.stations.get(station_id)
    if station is None:
        # Its tenant's enrollment secret lets it wait for approval; anything else is refused as before.
        enrolling = admit_unregistered(
            platform,
            station_id,
            _basic_credentials(_header(request.headers, "Authorization")),
            negotiate_subprotocol(_header(request.headers, "Sec-WebSocket-Protocol")),
        )
        if enrolling is not None:
            return _policy(event, station_id, enrolling)
    if station is None or station.blocked:
        logger.info("connection refused", extra={"stationId": station_id, "known": station is not None})
        metrics.add_metric(name="ConnectionsRefused", unit="Count", value=1)
        return _policy(event, station_id, None)
    if station.password_hash is not None:
        credentials = _basic_credentials(_header(request.headers, "Authorization"))
        if (
            credentials is None
            or credentials[0] != station_id
            or not verify_password(credentials[1], station.password_hash)
        ):
            logger.info("wrong credentials", extra={"stationId": station_id})
            metrics.add_metric(name="ConnectionsRefused", unit="Count", value=1)
            raise UnauthorizedError()
    context = {
        "stationId": station.station_id,
        "tenantId": station.tenant_id,
        "registrationId": station.registration_id,
        "registration": station.registration.value,
    }
    protocol = negotiate_subprotocol(_header(request.headers, "Sec-WebSocket-Protocol"))
    if protocol is not None:
        # $connect negotiates the same way and refuses (400) when nothing matches; the context carries
        # the result so that $default knows the version without a lookup.
        context["protocol"] = protocol
    if station.site_id:
        context["siteId"] = station.site_id
    return _policy(event, station_id, context)


def station_context(event: dict[str, Any]) -> StationContext:
    request_context = event["requestContext"]
    authorizer = request_context.get("authorizer") or {}
    return StationContext(
        station_id=authorizer["stationId"],
        tenant_id=authorizer["tenantId"],
        registration_id=authorizer["registrationId"],
        registration=RegistrationPolicy(authorizer.get("registration", RegistrationPolicy.ACCEPTED.value)),
        site_id=authorizer.get("siteId"),
        # Always present: $connect refuses (400) the connections for which the authorizer found no protocol.
        protocol=authorizer["protocol"],
        connection_id=request_context["connectionId"],
        enrolling=is_enrolling(authorizer),
    )


def connect(platform: Platform, event: dict[str, Any]) -> dict[str, Any]:
    """$connect: picks the subprotocol (the one header that reaches the charger), records the connection.

    A station holds one connection: when a new one is accepted, the older one (if still open) is closed,
    so the station never reads offline while it is connected, and commands always go to the newest."""
    request = APIGatewayWebSocketEvent(event)
    protocol = negotiate_subprotocol(_header(request.headers, "Sec-WebSocket-Protocol"))
    if protocol is None:
        return {
            "statusCode": 400,
            "body": f"offer one of these subprotocols: {', '.join(preferred_subprotocols())}",
        }
    station = station_context(event)
    if station.enrolling:
        # Waiting for approval: the connection is remembered on its pending entry (approval or rejection
        # closes it so that the charger reconnects at once); no station, so no StationConnected.
        if not platform.onboarding.record_connection(
            station.tenant_id, station.station_id, station.connection_id
        ):
            return {"statusCode": 403}
        return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": protocol}}
    now = platform.clock()
    try:
        previous = platform.stations.record_connection(
            station.station_id,
            station.registration_id,
            Connection(
                connection_id=station.connection_id,
                protocol=protocol,
                connected_at=now,
                source_ip=request.request_context.identity.source_ip,
            ),
        )
    except StationGoneError:
        logger.info("station deleted while connecting", extra={"stationId": station.station_id})
        return {"statusCode": 403}
    if previous is not None and previous.connection_id != station.connection_id and platform.connections:
        logger.info(
            "older connection closed",
            extra={"stationId": station.station_id, "connectionId": previous.connection_id},
        )
        platform.connections.close(previous.connection_id)
    platform.events.publish(
        [
            StationConnected(
                tenant_id=station.tenant_id, station_id=station.station_id, occurred_at=now, protocol=protocol
            )
        ]
    )
    metrics.add_metric(name="StationConnections", unit="Count", value=1)
    return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": protocol}}


def disconnect(platform: Platform, event: dict[str, Any]) -> dict[str, Any]:
    """A late $disconnect of a connection the station already replaced changes nothing."""
    station = station_context(event)
    if station.enrolling:
        return {"statusCode": 200}
    now = platform.clock()
    if platform.stations.clear_connection(station.station_id, station.connection_id, now):
        platform.events.publish(
            [StationDisconnected(tenant_id=station.tenant_id, station_id=station.station_id, occurred_at=now)]
        )
    return {"statusCode": 200}


def handle_message(platform: Platform, event: dict[str, Any]) -> dict[str, Any]:
    """$default: the reply (if any) goes back through the route response, costing no @connections call."""
    request = APIGatewayWebSocketEvent(event)
    station = station_context(event)
    metrics.add_metric(name="StationMessages", unit="Count", value=1)
    # A binary frame stays bytes: if it is not UTF-8 the charger gets a FormatViolation, not a 500.
    body: str | bytes | None = (
        base64.b64decode(request.body) if request.is_base64_encoded and request.body else request.body
    )
    reply = platform.router.handle(station, body)
    return {"statusCode": 200, "body": reply} if reply is not None else {"statusCode": 200}
