"""Our attribute-value codec maps documents exactly as boto3's TypeSerializer/TypeDeserializer do."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from shared.storage.attribute_values import from_attribute_value, to_attribute_value

documents = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e100, max_value=1e100)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=15,
)


def _as_decimals(value: Any) -> Any:
    """boto3 takes numbers as Decimal only; the platform's own code converted floats by their repr."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _as_decimals(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_as_decimals(inner) for inner in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    return value


@given(documents)
def test_the_codec_matches_boto3(document: Any) -> None:
    try:
        expected = TypeSerializer().serialize(_as_decimals(document))
    except (TypeError, ArithmeticError):
        # boto3 refuses it (a number DynamoDB cannot hold exactly): so must we
        with pytest.raises((TypeError, ArithmeticError)):
            to_attribute_value(document)
        return
    assert to_attribute_value(document) == expected
    assert from_attribute_value(expected) == _plain(TypeDeserializer().deserialize(expected))


def test_what_dynamodb_cannot_hold_is_refused() -> None:
    for value in (float("inf"), float("nan"), 10**40 + 1):
        with pytest.raises((TypeError, ArithmeticError)):
            to_attribute_value(value)
