"""Request bodies parsed strictly: what JSON allows but the platform cannot store is the caller's error.

Python's json module accepts NaN and Infinity, integers of any length, lone UTF-16 surrogates
(``"\\ud800"``) and nesting until the interpreter's recursion limit. DynamoDB holds numbers of at most
38 digits between 1e-130 and 1e126, strings only as valid UTF-8, and nested values at most 32 levels
deep; each of these used to surface as a 500 on the first write. They are 400s here, naming the
problem, before any route runs.
"""

from __future__ import annotations

import json
import math
from typing import Any

from shared.domain.errors import InvalidRequestError

MAX_DEPTH = 32
"""DynamoDB's limit for nested attributes; no body of this API needs more than a few levels."""
MAX_NUMBER_DIGITS = 38
_LARGEST_MAGNITUDE = 1e126
_SMALLEST_MAGNITUDE = 1e-130


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise InvalidRequestError(f"body: an integer has more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _number(text: str) -> float:
    value = float(text)
    magnitude = abs(value)
    if not math.isfinite(value) or magnitude >= _LARGEST_MAGNITUDE or 0 < magnitude < _SMALLEST_MAGNITUDE:
        raise InvalidRequestError(f"body: the number {text[:40]} is out of range")
    return value


def _constant(name: str) -> Any:
    raise InvalidRequestError(f"body: {name} is not a JSON number")


def _refuse_surrogates(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidRequestError(
            "body: a string holds a lone UTF-16 surrogate (not valid Unicode)"
        ) from error


def _check_structure(value: Any) -> None:
    """Depth and strings, without recursion (the body may be nested deeper than Python's stack)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _refuse_surrogates(item)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise InvalidRequestError(f"body: nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                for key, inner in item.items():
                    _refuse_surrogates(key)
                    pending.append((inner, depth + 1))
            else:
                pending.extend((inner, depth + 1) for inner in item)


def parse_json_body(text: str) -> Any:
    """The resolver's JSON deserializer. Syntax errors stay ``json.JSONDecodeError`` (powertools turns
    them into a validation error); everything else it cannot store is an InvalidRequestError."""
    try:
        value = json.loads(text, parse_int=_integer, parse_float=_number, parse_constant=_constant)
    except RecursionError as error:
        raise InvalidRequestError(f"body: nested deeper than {MAX_DEPTH} levels") from error
    _check_structure(value)
    return value
