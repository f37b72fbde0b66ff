"""The WebSocket lifecycle of a charger: authorize, connect, each message, disconnect.

Each function takes the API Gateway event as it arrives and returns what API Gateway expects, so the
handlers in functions/ stay one line.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from shared.catalog import STATION_ID_QUERY_PARAMETER, SUPPORTED_SUBPROTOCOLS
from shared.domain.base import utc_now
from shared.domain.events import StationConnected, StationDisconnected
from shared.domain.stations import Connection, StationContext, is_valid_station_id
from shared.gateway.passwords import verify_password
from shared.observability import logger, metrics
from shared.ocpp.protocols import negotiate_subprotocol
from shared.ocpp.router import handle_station_frame
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


@dataclass(frozen=True)
class _Policy:
    allow: bool
    principal: str
    context: dict[str, str]


def _policy_response(event: dict[str, Any], policy: _Policy) -> dict[str, Any]:
    return {
        "principalId": policy.principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow" if policy.allow else "Deny",
                    "Resource": event.get("methodArn", "*"),
                }
            ],
        },
        "context": policy.context,
    }


def authorize_connection(platform: Platform, event: dict[str, Any]) -> dict[str, Any]:
    """REQUEST authorizer on $connect: a known, unblocked station, with the right password if it has one.

    Unknown or blocked stations are denied (403); a missing or wrong password is 401 (OCPP security
    profiles 1/2). The context carries everything later events need, so no message looks the station up.
    """
    station_id = (event.get("queryStringParameters") or {}).get(STATION_ID_QUERY_PARAMETER, "")
    if not is_valid_station_id(station_id):
        return _policy_response(event, _Policy(False, station_id or "unknown", {}))
    station = platform.stations.get(station_id)
    if station is None or station.blocked:
        logger.info("connection refused", extra={"stationId": station_id, "known": station is not None})
        metrics.add_metric(name="ConnectionsRefused", unit="Count", value=1)
        return _policy_response(event, _Policy(False, station_id, {}))
    if station.password_hash is not None:
        credentials = _basic_credentials(_header(event.get("headers"), "Authorization"))
        if (
            credentials is None
            or credentials[0] != station_id
            or not verify_password(credentials[1], station.password_hash)
        ):
            logger.info("wrong credentials", extra={"stationId": station_id})
            metrics.add_metric(name="ConnectionsRefused", unit="Count", value=1)
            raise UnauthorizedError()
    context = {"stationId": station.station_id, "tenantId": station.tenant_id}
    protocol = negotiate_subprotocol(
        _header(event.get("headers"), "Sec-WebSocket-Protocol"), SUPPORTED_SUBPROTOCOLS
    )
    if protocol is not None:
        # $connect negotiates the same way and refuses (400) when nothing matches; the context carries
        # the result so that $default knows the version without a lookup.
        context["protocol"] = protocol
    if station.site_id:
        context["siteId"] = station.site_id
    return _policy_response(event, _Policy(True, station_id, context))


def station_context(event: dict[str, Any]) -> StationContext:
    request_context = event["requestContext"]
    authorizer = request_context.get("authorizer") or {}
    return StationContext(
        station_id=authorizer["stationId"],
        tenant_id=authorizer["tenantId"],
        site_id=authorizer.get("siteId"),
        protocol=authorizer.get("protocol", "ocpp1.6"),
        connection_id=request_context["connectionId"],
    )


def connect(platform: Platform, event: dict[str, Any]) -> dict[str, Any]:
    """$connect: picks the subprotocol (the one header that reaches the charger), records the connection."""
    protocol = negotiate_subprotocol(
        _header(event.get("headers"), "Sec-WebSocket-Protocol"), SUPPORTED_SUBPROTOCOLS
    )
    if protocol is None:
        return {
            "statusCode": 400,
            "body": f"offer one of these subprotocols: {', '.join(SUPPORTED_SUBPROTOCOLS)}",
        }
    station = station_context(event)
    now = utc_now()
    source_ip = (event["requestContext"].get("identity") or {}).get("sourceIp")
    platform.stations.record_connection(
        station.station_id,
        Connection(
            connection_id=station.connection_id, protocol=protocol, connected_at=now, source_ip=source_ip
        ),
    )
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
    now = utc_now()
    if platform.stations.clear_connection(station.station_id, station.connection_id, now):
        platform.events.publish(
            [StationDisconnected(tenant_id=station.tenant_id, station_id=station.station_id, occurred_at=now)]
        )
    return {"statusCode": 200}


def handle_message(platform: Platform, event: dict[str, Any]) -> dict[str, Any]:
    """$default: the reply (if any) goes back through the route response, costing no @connections call."""
    station = station_context(event)
    body = event.get("body")
    if event.get("isBase64Encoded") and isinstance(body, str):
        body = base64.b64decode(body).decode("utf-8", errors="replace")
    metrics.add_metric(name="StationMessages", unit="Count", value=1)
    reply = handle_station_frame(platform, station, body)
    return {"statusCode": 200, "body": reply} if reply is not None else {"statusCode": 200}
