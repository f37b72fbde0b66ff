"""The meter-values table's DynamoDB stream, as the session projection function receives it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
from pydantic import ValidationError

from shared.charging.live_sessions import LiveSessions, StreamedRecord
from shared.domain.sessions import MeterValuesRecord
from shared.observability import logger
from shared.storage.dynamo import from_item


def project_meter_stream(live_sessions: LiveSessions, event: dict[str, Any]) -> dict[str, Any]:
    """Answers with the stream's partial-batch response (ReportBatchItemFailures): only the records
    whose projection failed are retried."""
    streamed: list[StreamedRecord] = []
    for record in DynamoDBStreamEvent(event).records:
        image = (record.raw_event.get("dynamodb") or {}).get("NewImage")
        sequence = record.dynamodb.sequence_number if record.dynamodb else None
        if not image or sequence is None:
            continue  # a TTL removal or a record without an image: nothing to project
        try:
            streamed.append(StreamedRecord(sequence, MeterValuesRecord.model_validate(from_item(image))))
        except ValidationError:
            logger.warning("stream record is no meter-values record", extra={"sequenceNumber": sequence})
    failed = live_sessions.project(streamed)
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}
