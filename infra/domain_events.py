"""EventBridge: the bus the handlers publish domain events to (EVENT_BUS_NAME), with a replay archive."""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_events as events
from constructs import Construct

from infra.constants import EVENT_ARCHIVE_RETENTION_DAYS


class DomainEvents(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        # Named by CDK from the construct path: two stacks in one account never collide.
        self.bus = events.EventBus(self, "Bus", description="CSMS domain events (sessions, stations, ...)")
        self.bus.archive(
            "Archive",
            description="Replay domain events into a new consumer or after a consumer bug",
            event_pattern=events.EventPattern(account=[Aws.ACCOUNT_ID]),
            retention=Duration.days(EVENT_ARCHIVE_RETENTION_DAYS),
        )
