"""The account-level CloudWatch role API Gateway needs before a WebSocket stage may write access logs.

REST and WebSocket APIs log through the role set in the API Gateway account settings (HTTP APIs do
not). It is one setting per account and region: when another stack already manages it, pass
``-c manageApiGatewayAccount=false``. Both resources are retained on stack deletion, so tearing this
stack down never breaks the logging of other APIs in the account.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.nag import acknowledge

_PUSH_TO_CLOUDWATCH = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"


class ApiGatewayAccount(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        role = iam.Role(
            self,
            "CloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway account setting: push WebSocket access logs to CloudWatch Logs",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(_PUSH_TO_CLOUDWATCH)],
        )
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        self.account = apigateway.CfnAccount(self, "Account", cloud_watch_role_arn=role.role_arn)
        self.account.apply_removal_policy(RemovalPolicy.RETAIN)
        acknowledge(
            role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/" + _PUSH_TO_CLOUDWATCH + "]",
            "The API Gateway account setting applies to every log group API Gateway writes in this "
            "account and region, so the AWS-maintained service-role policy made for exactly this purpose "
            "is the documented choice; a hand-written copy would need the same wildcards.",
        )
