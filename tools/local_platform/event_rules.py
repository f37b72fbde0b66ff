"""EventBridge rules delivered locally to the same handlers, by moto's own rule evaluation.

Each declared ``EventRule`` becomes a rule on the platform's bus in moto, with the rule's event pattern,
targeting an SQS queue of its own (moto delivers to SQS but cannot invoke a Lambda without Docker). One
thread per rule long-polls its queue and hands each event to the target function as an asynchronous
invocation (:mod:`tools.local_platform.async_invocations`), which is how EventBridge invokes Lambda. So the
handlers publish with boto3 exactly as in the cloud, moto decides what matches, and the target receives
EventBridge's envelope: version, id, detail-type, source, account, time, region, resources, detail.

The queue is a local artifact: its target carries an input transformer that forwards the whole event
(``<aws.events.event.json>``), because moto's default input drops ``account``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shared.catalog import EventRule
from tools.local_platform.async_invocations import AsyncInvoker

log = logging.getLogger(__name__)

ENVELOPE_FIELDS = (
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
)
"""What EventBridge delivers to a target (https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html)."""
_POLL_SECONDS = 1


def rule_queue_name(rule: EventRule) -> str:
    return f"csms-rule-{rule.name}"


def envelope(delivered: dict[str, Any]) -> dict[str, Any]:
    """The event as a Lambda target gets it: moto adds ``ingestion-time``, EventBridge does not deliver it."""
    return {name: delivered[name] for name in ENVELOPE_FIELDS if name in delivered}


class EventRuleDelivery:
    def __init__(
        self,
        rules: Sequence[EventRule],
        invocations: AsyncInvoker,
        *,
        events: Any,
        sqs: Any,
        bus_name: str,
    ) -> None:
        self._rules = tuple(rules)
        self._invocations = invocations
        self._events = events
        self._sqs = sqs
        self._bus = bus_name
        self._queue_urls: dict[str, str] = {}
        self._stopping = threading.Event()
        self._pollers = ThreadPoolExecutor(
            max_workers=max(1, len(self._rules)), thread_name_prefix="event-rule"
        )
        self.delivered = 0

    def provision(self) -> None:
        for rule in self._rules:
            url = str(self._sqs.create_queue(QueueName=rule_queue_name(rule))["QueueUrl"])
            arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            self._events.put_rule(
                Name=rule.name,
                EventBusName=self._bus,
                EventPattern=json.dumps(rule.event_pattern()),
                State="ENABLED",
                Description=rule.description or rule.name,
            )
            self._events.put_targets(
                Rule=rule.name,
                EventBusName=self._bus,
                Targets=[
                    {
                        "Id": rule.target.name,
                        "Arn": arn,
                        "InputTransformer": {"InputTemplate": "<aws.events.event.json>"},
                    }
                ],
            )
            self._invocations.provision_dead_letter_queue(rule.target.name)
            self._queue_urls[rule.name] = url

    def start(self) -> None:
        for rule in self._rules:
            self._pollers.submit(self._poll, rule, self._queue_urls[rule.name])

    def _poll(self, rule: EventRule, queue_url: str) -> None:
        while not self._stopping.is_set():
            try:
                messages = self._sqs.receive_message(
                    QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=_POLL_SECONDS
                ).get("Messages", [])
            except Exception:
                if self._stopping.is_set():
                    return
                log.exception("polling %s failed", rule.name)
                self._stopping.wait(_POLL_SECONDS)
                continue
            for message in messages:
                self._invocations.submit(rule.target.name, envelope(json.loads(message["Body"])))
                self.delivered += 1
            if messages:
                self._sqs.delete_message_batch(
                    QueueUrl=queue_url,
                    Entries=[
                        {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)
                    ],
                )

    def stop(self) -> None:
        """Pollers notice within one long poll; the threads are not waited for."""
        self._stopping.set()
        self._pollers.shutdown(wait=False, cancel_futures=True)
