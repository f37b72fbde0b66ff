"""The DynamoDB client and the conversions between domain documents and DynamoDB items."""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError

from shared.aws_clients import client
from shared.domain.errors import InvalidRequestError
from shared.storage.attribute_values import from_attribute_value, to_attribute_value

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

__all__ = ["DynamoDBClient", "dynamodb_client", "from_item", "to_attribute_value", "to_item"]


@lru_cache(maxsize=1)
def dynamodb_client() -> DynamoDBClient:
    """Built once per warm container; endpoint and region come from the environment (moto locally)."""
    built: DynamoDBClient = client("dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 4}))
    return built


def to_item(document: dict[str, Any]) -> dict[str, Any]:
    return {key: to_attribute_value(value) for key, value in document.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: from_attribute_value(value) for key, value in item.items()}


def is_conditional_check_failure(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons", [])
        return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons)
    return False


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    """Pagination cursor handed to API clients: opaque, URL-safe."""
    if not last_evaluated_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_evaluated_key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidRequestError("cursor is not one this API issued") from error
    if not isinstance(decoded, dict):
        raise InvalidRequestError("cursor is not one this API issued")
    return decoded


def query_page(
    client: DynamoDBClient, request: dict[str, Any], cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a query, resumed from an API cursor. A cursor that was tampered with, or belongs to
    another query, is the caller's error, not ours."""
    start = decode_cursor(cursor)
    if start is not None:
        request = {**request, "ExclusiveStartKey": start}
    try:
        response = client.query(**request)
    except ParamValidationError as error:
        raise InvalidRequestError("cursor is not one this API issued") from error
    except ClientError as error:
        if start is not None and error.response.get("Error", {}).get("Code") == "ValidationException":
            raise InvalidRequestError("cursor does not belong to this query") from error
        raise
    items = [from_item(item) for item in response.get("Items", [])]
    return items, encode_cursor(response.get("LastEvaluatedKey"))


def get_document(client: DynamoDBClient, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    response = client.get_item(TableName=table, Key=key)
    item = response.get("Item")
    return from_item(item) if item else None


def put_if_absent(client: DynamoDBClient, table: str, document: dict[str, Any], key_attribute: str) -> bool:
    """Writes a new item; False (and nothing written) when an item with the same key exists."""
    try:
        client.put_item(
            TableName=table,
            Item=to_item(document),
            ConditionExpression="attribute_not_exists(#key)",
            ExpressionAttributeNames={"#key": key_attribute},
        )
    except ClientError as error:
        if is_conditional_check_failure(error):
            return False
        raise
    return True


def field_updates(changes: dict[str, Any], condition_values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The UpdateExpression and its names and values for a set of fields: a value sets its field,
    ``None`` removes it. ``condition_values`` are the extra ``:placeholders`` a condition uses."""
    sets = {key: value for key, value in changes.items() if value is not None}
    removes = [key for key, value in changes.items() if value is None]
    expression = "SET " + ", ".join(f"#{key} = :{key}" for key in sets)
    if removes:
        expression += " REMOVE " + ", ".join(f"#{key}" for key in removes)
    values = {f":{key}": to_attribute_value(value) for key, value in sets.items()}
    values.update(condition_values or {})
    return {
        "UpdateExpression": expression,
        "ExpressionAttributeNames": {f"#{key}": key for key in [*sets, *removes]},
        "ExpressionAttributeValues": values,
    }
