"""The chargers' WebSocket API: routes and authorizer from ``shared.catalog``, a throttled, logged stage.

OCPP-J frames are JSON arrays, so the route selection expression never matches and every frame goes
to ``$default``; its route response sends the Lambda's return value (the CALLRESULT) back on the
socket. Only ``$connect`` can carry an authorizer: it identifies the station once per connection.
"""

from __future__ import annotations

import json

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk.aws_apigatewayv2_authorizers import WebSocketLambdaAuthorizer
from aws_cdk.aws_apigatewayv2_integrations import WebSocketLambdaIntegration
from constructs import Construct

from infra.access_logs import JsonAccessLogSettings
from infra.constants import (
    WEBSOCKET_API_NAME,
    WEBSOCKET_STAGE_NAME,
    WEBSOCKET_THROTTLE_BURST,
    WEBSOCKET_THROTTLE_RATE_PER_SECOND,
)
from infra.functions import Functions
from infra.log_groups import log_group
from infra.nag import acknowledge
from infra.naming import pascal_case
from shared.catalog import (
    STATION_ID_QUERY_PARAMETER,
    WEBSOCKET_ROUTES,
    WEBSOCKET_ROUTES_WITH_RESPONSE,
    WS_AUTHORIZER,
)

CONNECT_ROUTE = "$connect"
AUTHORIZER_IDENTITY_SOURCE = f"route.request.querystring.{STATION_ID_QUERY_PARAMETER}"
"""Only the station id: a configured identity source that is missing makes API Gateway answer 401
without calling the authorizer, and chargers without a password send no Authorization header."""

ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "extendedRequestId": "$context.extendedRequestId",
        "requestTime": "$context.requestTime",
        "eventType": "$context.eventType",
        "routeKey": "$context.routeKey",
        "connectionId": "$context.connectionId",
        "status": "$context.status",
        "sourceIp": "$context.identity.sourceIp",
        "userAgent": "$context.identity.userAgent",
        "stationId": "$context.authorizer.principalId",
        "error": "$context.error.message",
        "authorizerError": "$context.authorizer.error",
        "integrationLatency": "$context.integrationLatency",
    },
    separators=(",", ":"),
)


class OcppWebSocketApi(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.api = apigwv2.WebSocketApi(
            self,
            "Api",
            api_name=WEBSOCKET_API_NAME,
            description="OCPP-J for chargers (reach it through the CloudFront edge: wss://<domain>/ocpp/<id>)",
        )
        self.access_logs = log_group(self, "AccessLogs")
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=WEBSOCKET_STAGE_NAME,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=WEBSOCKET_THROTTLE_RATE_PER_SECOND, burst_limit=WEBSOCKET_THROTTLE_BURST
            ),
            access_log_settings=JsonAccessLogSettings(self.access_logs, ACCESS_LOG_FORMAT),
        )

    def connect_routes(self, functions: Functions) -> None:
        """Wire the catalog's routes; the functions need this API's stage first, hence a second step."""
        authorizer = WebSocketLambdaAuthorizer(
            "StationAuthorizer",
            functions.function(WS_AUTHORIZER),
            identity_source=[AUTHORIZER_IDENTITY_SOURCE],
        )
        for route_key, spec in WEBSOCKET_ROUTES.items():
            route = self.api.add_route(
                route_key,
                integration=WebSocketLambdaIntegration(
                    f"{pascal_case(spec.name)}Integration", functions.function(spec)
                ),
                authorizer=authorizer if route_key == CONNECT_ROUTE else None,
                return_response=route_key in WEBSOCKET_ROUTES_WITH_RESPONSE,
            )
            if route_key != CONNECT_ROUTE:
                acknowledge(
                    route,
                    "AwsSolutions-APIG4",
                    f"API Gateway allows an authorizer only on $connect; {route_key} runs on a connection "
                    "the $connect authorizer has already admitted, and carries its context.",
                )
