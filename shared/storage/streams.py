"""DynamoDB stream events, as a stream-triggered function receives them: records out, and the
partial-batch response (ReportBatchItemFailures) back."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
from pydantic import ValidationError

from shared.domain.sessions import MeterValuesRecord
from shared.observability import logger
from shared.storage.dynamo import from_item


def meter_values_from_stream(event: dict[str, Any]) -> list[tuple[str, MeterValuesRecord]]:
    """(sequence number, record) for every meter-values item the batch inserted or changed."""
    records: list[tuple[str, MeterValuesRecord]] = []
    for record in DynamoDBStreamEvent(event).records:
        image = (record.raw_event.get("dynamodb") or {}).get("NewImage")
        sequence = record.dynamodb.sequence_number if record.dynamodb else None
        if not image or sequence is None:
            continue  # a TTL removal or a record without an image: nothing to project
        try:
            records.append((sequence, MeterValuesRecord.model_validate(from_item(image))))
        except ValidationError:
            logger.warning("stream record is no meter-values record", extra={"sequenceNumber": sequence})
    return records


def partial_batch_response(failed_sequence_numbers: list[str]) -> dict[str, Any]:
    """Only these records are retried by the event source mapping."""
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed_sequence_numbers]}
