"""Fleet alerts to people: every ``AlertRaised`` on the domain bus goes to an SNS topic (TLS-only,
as the alarm topic), e-mailed to the ``alertEmail`` context address when one is given. Subscribe a pager, chat
integration or ticketing system to the topic for anything else."""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from shared.catalog import EVENT_SOURCE

ALERT_RAISED = "AlertRaised"


class AlertNotifications(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, bus: events.IEventBus, alert_email: str | None
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Topic", display_name="CSMS fleet alerts", enforce_ssl=True)
        if alert_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alert_email))
        self.rule = events.Rule(
            self,
            "AlertRaised",
            description="Fleet alerts to the alert topic",
            event_bus=bus,
            event_pattern=events.EventPattern(source=[EVENT_SOURCE], detail_type=[ALERT_RAISED]),
            targets=[
                targets.SnsTopic(
                    self.topic,
                    message=events.RuleTargetInput.from_text(
                        f"[{events.EventField.from_path('$.detail.severity')}] "
                        f"{events.EventField.from_path('$.detail.kind')} at station "
                        f"{events.EventField.from_path('$.detail.stationId')}: "
                        f"{events.EventField.from_path('$.detail.message')} "
                        f"(tenant {events.EventField.from_path('$.detail.tenantId')}, alert "
                        f"{events.EventField.from_path('$.detail.alertId')})"
                    ),
                )
            ],
        )
