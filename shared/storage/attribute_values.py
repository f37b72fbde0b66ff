"""Domain documents to DynamoDB attribute values and back, for the JSON documents the platform stores
(strings, numbers, booleans, null, maps, lists).

The same mapping as boto3's TypeSerializer/TypeDeserializer (tests/unit/test_attribute_values.py checks
them against each other with hypothesis), without importing boto3 (see shared/aws_clients.py). Numbers
go through Decimal, as DynamoDB requires: floats by their shortest repr, so 0.1 stays 0.1.
"""

from __future__ import annotations

from decimal import Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

# DynamoDB's number rules: 38 significant digits, exponents -130 to 125.
_DYNAMODB_CONTEXT = Context(Emin=-128, Emax=126, prec=38, traps=[Inexact, Overflow, Rounded, Underflow])


def _number(value: int | float | Decimal) -> str:
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise TypeError("Infinity and NaN are not supported by DynamoDB")
    return str(_DYNAMODB_CONTEXT.create_decimal(number))


def to_attribute_value(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": _number(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, dict):
        return {"M": {str(key): to_attribute_value(inner) for key, inner in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute_value(inner) for inner in value]}
    if isinstance(value, set | frozenset):
        if all(isinstance(inner, str) for inner in value):
            return {"SS": sorted(value)}
        return {"NS": [_number(inner) for inner in value]}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def _from_number(text: str) -> int | float:
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)


def from_attribute_value(attribute: dict[str, Any]) -> Any:
    ((kind, value),) = attribute.items()
    if kind == "S":
        return value
    if kind == "N":
        return _from_number(value)
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {key: from_attribute_value(inner) for key, inner in value.items()}
    if kind == "L":
        return [from_attribute_value(inner) for inner in value]
    if kind == "SS":
        return set(value)
    if kind == "NS":
        return {_from_number(inner) for inner in value}
    if kind == "B":
        return bytes(value)
    if kind == "BS":
        return {bytes(inner) for inner in value}
    raise TypeError(f"unknown DynamoDB attribute type {kind}")
