"""CloudWatch: the operations dashboard and the alarms that page someone (through one SNS topic)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constants import (
    ALARM_PERIOD_MINUTES,
    DASHBOARD_NAME,
    HANDLER_ERROR_MIN_INVOCATIONS,
    HANDLER_ERROR_RATE_PERCENT,
    METRICS_NAMESPACE,
    SERVICE_NAME,
    CustomMetric,
)
from infra.naming import pascal_case

_ALARM_PERIOD = Duration.minutes(ALARM_PERIOD_MINUTES)
_MINUTE = Duration.minutes(1)
_WIDTH = 12
_AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
_WORKFLOW_FAILURES_SEARCH = (
    "SEARCH('{AWS/States,StateMachineArn} MetricName=\"ExecutionsFailed\"', 'Sum', 300)"
)


def _custom(metric_name: str, statistic: str = "Sum", period: Duration = _MINUTE) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=metric_name,
        dimensions_map={"service": SERVICE_NAME},
        statistic=statistic,
        period=period,
    )


class Operations(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: dict[str, lambda_.Function],
        dead_letter_queues: dict[str, sqs.Queue],
        websocket_stage: apigwv2.WebSocketStage,
        state_machines: Sequence[sfn.StateMachine] = (),
        alarm_email: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarm_topic = sns.Topic(self, "AlarmTopic", display_name="CSMS alarms", enforce_ssl=True)
        if alarm_email:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms: list[cloudwatch.Alarm] = []
        self._stage = websocket_stage

        for name, function in functions.items():
            self._function_alarms(name, function)
        for name, queue in dead_letter_queues.items():
            self._alarm(
                f"{pascal_case(name)}DlqDepth",
                queue.metric_approximate_number_of_messages_visible(
                    statistic="Maximum", period=_ALARM_PERIOD
                ),
                threshold=1,
                description=f"{name}: an asynchronous invocation failed all retries and waits in its DLQ",
            )
        for state_machine in state_machines:
            self._alarm(
                f"{state_machine.node.id}Failures",
                state_machine.metric_failed(statistic="Sum", period=_ALARM_PERIOD),
                threshold=1,
                description=f"{state_machine.node.id}: a workflow execution failed",
            )
        self.dashboard = self._dashboard(functions)

    def _function_alarms(self, name: str, function: lambda_.Function) -> None:
        error_rate = cloudwatch.MathExpression(
            expression=f"IF(invocations >= {HANDLER_ERROR_MIN_INVOCATIONS}, 100 * errors / invocations, 0)",
            using_metrics={
                "errors": function.metric_errors(statistic="Sum", period=_ALARM_PERIOD),
                "invocations": function.metric_invocations(statistic="Sum", period=_ALARM_PERIOD),
            },
            label=f"{name} error rate (%)",
            period=_ALARM_PERIOD,
        )
        self._alarm(
            f"{pascal_case(name)}ErrorRate",
            error_rate,
            threshold=HANDLER_ERROR_RATE_PERCENT,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            description=f"{name}: more than {HANDLER_ERROR_RATE_PERCENT}% of invocations failed",
        )
        self._alarm(
            f"{pascal_case(name)}Throttles",
            function.metric_throttles(statistic="Sum", period=_ALARM_PERIOD),
            threshold=1,
            description=f"{name}: invocations were throttled (account concurrency exhausted?)",
        )

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        comparison: cloudwatch.ComparisonOperator = _AT_LEAST,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=comparison,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(actions.SnsAction(self.alarm_topic))
        self.alarms.append(alarm)

    def _websocket(self, metric_name: str, statistic: str = "Sum") -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name=metric_name,
            dimensions_map={"ApiId": self._stage.api.api_id, "Stage": self._stage.stage_name},
            statistic=statistic,
            period=_MINUTE,
        )

    def _dashboard(self, functions: dict[str, lambda_.Function]) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=DASHBOARD_NAME)
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Connected stations",
                left=[_custom(CustomMetric.CONNECTED_STATIONS, statistic="Maximum")],
                right=[
                    _custom(CustomMetric.STATION_CONNECTIONS),
                    _custom(CustomMetric.CONNECTIONS_REFUSED),
                    self._websocket("ConnectCount"),
                ],
                width=_WIDTH,
            ),
            cloudwatch.GraphWidget(
                title="OCPP messages per minute",
                left=[self._websocket("MessageCount"), _custom(CustomMetric.STATION_MESSAGES)],
                right=[
                    _custom(CustomMetric.REJECTED_FRAMES),
                    _custom(CustomMetric.DOMAIN_EVENTS_NOT_PUBLISHED),
                    self._websocket("ClientError"),
                    self._websocket("IntegrationError"),
                ],
                width=_WIDTH,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Handler errors",
                left=[
                    fn.metric_errors(label=name, statistic="Sum", period=_MINUTE)
                    for name, fn in functions.items()
                ],
                width=_WIDTH,
            ),
            cloudwatch.GraphWidget(
                title="Handler latency (p99)",
                left=[
                    fn.metric_duration(label=name, statistic="p99", period=_MINUTE)
                    for name, fn in functions.items()
                ],
                width=_WIDTH,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Charging sessions",
                left=[_custom(CustomMetric.SESSIONS_STARTED), _custom(CustomMetric.SESSIONS_STOPPED)],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Allocation runs",
                left=[_custom(CustomMetric.ALLOCATION_RUNS)],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Workflow failures",
                left=[
                    cloudwatch.MathExpression(
                        expression=_WORKFLOW_FAILURES_SEARCH, label="", period=_ALARM_PERIOD
                    )
                ],
                width=8,
            ),
        )
        dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24))
        return dashboard
