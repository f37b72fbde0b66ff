"""API Gateway (v2) access-log settings: a log group and a JSON line format."""

from __future__ import annotations

import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_logs as logs


@jsii.implements(apigwv2.IAccessLogSettings)
class JsonAccessLogSettings:
    """``IAccessLogSettings`` is a jsii interface, not a struct: Python implements it with a class."""

    def __init__(self, group: logs.ILogGroup, fields: str) -> None:
        self._destination = apigwv2.LogGroupLogDestination(group)
        self._format = apigateway.AccessLogFormat.custom(fields)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return self._format
