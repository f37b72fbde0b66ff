"""CloudWatch log groups with the stack's retention (Lambda, API Gateway access logs, Step Functions)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constants import LOG_RETENTION_DAYS

_RETENTION = {
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}[LOG_RETENTION_DAYS]


def log_group(scope: Construct, construct_id: str) -> logs.LogGroup:
    """Named by CloudFormation; retained on stack deletion so an incident can still be read afterwards."""
    return logs.LogGroup(
        scope,
        construct_id,
        retention=_RETENTION,
        removal_policy=RemovalPolicy.RETAIN,
    )
