"""EventBridge rules from ``shared.catalog.EVENT_RULES`` (domain events on the platform's bus) and
``shared.catalog.SCHEDULES`` (``rate()``/``cron()`` on the default bus, where EventBridge requires
schedules), each delivered to its catalog function.

EventBridge invokes Lambda asynchronously: a function error is retried by Lambda and then lands in the
function's own asynchronous DLQ (infra/functions.py). What EventBridge itself could not deliver
(throttled, function missing, permission lost) is retried up to ``RULE_RETRY_ATTEMPTS`` times within
``RULE_MAX_EVENT_AGE_HOURS`` and then kept in this construct's delivery DLQ, which Operations alarms on.
No rule, no resource: with empty registries the stack has none.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constants import DLQ_RETENTION_DAYS
from infra.nag import acknowledge
from infra.naming import pascal_case
from shared.catalog import EVENT_RULES, SCHEDULES, EventRule, ScheduleRule

RULE_RETRY_ATTEMPTS = 8
RULE_MAX_EVENT_AGE_HOURS = 24


class EventRules(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.IEventBus,
        functions: dict[str, lambda_.Function],
        rules: Sequence[EventRule] = EVENT_RULES,
        schedules: Sequence[ScheduleRule] = SCHEDULES,
    ) -> None:
        super().__init__(scope, construct_id)
        self._functions = functions
        self.rules: list[events.Rule] = []
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        if not rules and not schedules:
            return
        self._delivery_dlq = sqs.Queue(
            self,
            "DeliveryDlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(DLQ_RETENTION_DAYS),
        )
        self.dead_letter_queues["event_rule_delivery"] = self._delivery_dlq
        acknowledge(
            self._delivery_dlq,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the rule targets below (their DeadLetterConfig); "
            "cdk-nag recognises Lambda and SQS redrive DLQs only, not EventBridge target DLQs.",
        )
        for rule in rules:
            pattern = rule.event_pattern()
            self.rules.append(
                events.Rule(
                    self,
                    pascal_case(rule.name),
                    description=rule.description or f"{rule.name}: {', '.join(rule.detail_types)}",
                    event_bus=bus,
                    event_pattern=events.EventPattern(
                        source=pattern["source"],
                        detail_type=pattern["detail-type"],
                        detail=pattern.get("detail"),
                    ),
                    targets=[self._target(rule.target.name, None)],
                )
            )
        for schedule in schedules:
            self.rules.append(
                events.Rule(
                    self,
                    pascal_case(schedule.name),
                    description=schedule.description or f"{schedule.name}: {schedule.expression}",
                    schedule=events.Schedule.expression(schedule.expression),
                    targets=[self._target(schedule.target.name, schedule.input)],
                )
            )

    def _target(self, function_name: str, constant_input: dict[str, object] | None) -> targets.LambdaFunction:
        return targets.LambdaFunction(
            self._functions[function_name],
            event=events.RuleTargetInput.from_object(constant_input) if constant_input is not None else None,
            dead_letter_queue=self._delivery_dlq,
            retry_attempts=RULE_RETRY_ATTEMPTS,
            max_event_age=Duration.hours(RULE_MAX_EVENT_AGE_HOURS),
        )
