"""The operators' HTTP API: routes from ``shared.catalog.HTTP_ROUTES``, JWT-authorized, CORS, throttled."""

from __future__ import annotations

import json

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct

from infra.access_logs import JsonAccessLogSettings
from infra.constants import (
    CORS_ALLOWED_HEADERS,
    CORS_ALLOWED_METHODS,
    CORS_MAX_AGE_SECONDS,
    HTTP_API_NAME,
    HTTP_THROTTLE_BURST,
    HTTP_THROTTLE_RATE_PER_SECOND,
)
from infra.log_groups import log_group
from infra.nag import acknowledge
from infra.operator_identity import OperatorIdentity
from shared.catalog import HTTP_ROUTES, OPENAPI_PATH

DEFAULT_STAGE = "$default"
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "routeKey": "$context.routeKey",
        "path": "$context.path",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "sourceIp": "$context.identity.sourceIp",
        "userAgent": "$context.identity.userAgent",
        "subject": "$context.authorizer.claims.sub",
        "authorizerError": "$context.authorizer.error",
        "integrationError": "$context.integrationErrorMessage",
        "integrationLatency": "$context.integrationLatency",
    },
    separators=(",", ":"),
)


class OperatorApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction,
        identity: OperatorIdentity,
        cors_allowed_origins: list[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigwv2.HttpApi(
            self,
            "Api",
            api_name=HTTP_API_NAME,
            description="CSMS operator API (v1), JWT from the Cognito user pool",
            create_default_stage=False,
            cors_preflight=apigwv2.CorsPreflightOptions(
                allow_origins=cors_allowed_origins,
                allow_methods=[apigwv2.CorsHttpMethod(method) for method in CORS_ALLOWED_METHODS],
                allow_headers=list(CORS_ALLOWED_HEADERS),
                max_age=Duration.seconds(CORS_MAX_AGE_SECONDS),
                allow_credentials=False,  # bearer tokens, never cookies
            ),
        )
        self.access_logs = log_group(self, "AccessLogs")
        self.stage = apigwv2.HttpStage(
            self,
            "Stage",
            http_api=self.api,
            stage_name=DEFAULT_STAGE,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=HTTP_THROTTLE_RATE_PER_SECOND, burst_limit=HTTP_THROTTLE_BURST
            ),
            access_log_settings=JsonAccessLogSettings(self.access_logs, ACCESS_LOG_FORMAT),
        )
        integration = HttpLambdaIntegration("OperatorApiIntegration", handler)
        authorizer = identity.jwt_authorizer()
        for route in HTTP_ROUTES:
            routes = self.api.add_routes(
                path=route.path,
                methods=[apigwv2.HttpMethod(route.method)],
                integration=integration,
                authorizer=authorizer if route.authorized else apigwv2.HttpNoneAuthorizer(),
            )
            if not route.authorized:
                self._acknowledge_public(
                    routes,
                    f"{route.method} {route.path} is declared public in shared.catalog (authorized=False)"
                    + (": the OpenAPI document holds no tenant data." if route.path == OPENAPI_PATH else "."),
                )
            if route.authorized and route.method == "ANY":
                # ANY also matches the browser's CORS preflight, which carries no token: the JWT
                # authorizer would answer 401 and the browser would block every call. A more specific,
                # unauthenticated OPTIONS route on the same path takes the preflight instead.
                preflight = self.api.add_routes(
                    path=route.path,
                    methods=[apigwv2.HttpMethod.OPTIONS],
                    integration=integration,
                    authorizer=apigwv2.HttpNoneAuthorizer(),
                )
                self._acknowledge_public(
                    preflight,
                    f"OPTIONS {route.path} only answers CORS preflights, "
                    "which browsers send without credentials; it returns no data.",
                )

    @staticmethod
    def _acknowledge_public(routes: list[apigwv2.HttpRoute], reason: str) -> None:
        for public in routes:
            acknowledge(public, "AwsSolutions-APIG4", reason)
