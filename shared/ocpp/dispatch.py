"""One CALL from a station, dispatched to its protocol's handler in the same invocation.

The ocpp package supplies routing (``@on``), the JSON schemas and the typed payloads; this module is the
RPC framework around them, synchronous because one Lambda invocation handles one frame (the ocpp
package's ChargePoint is built for a long-lived asyncio connection). Error codes follow OCPP-J:
- an action the version does not define is NotImplemented, one it defines but we do not handle is
  NotSupported (OCPP-J 1.6 section 4.2.3; the ocpp package swaps them, mobilityhouse/ocpp #426, #493);
- enum, pattern and range violations are PropertyConstraintViolation, minItems/maxItems
  OccurrenceConstraintViolation, wrong types TypeConstraintViolation, missing fields ProtocolError.
"""

from __future__ import annotations

import decimal
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError as SchemaValidationError
from ocpp.charge_point import camel_to_snake_case, remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import (
    FormatViolationError,
    InternalError,
    NotImplementedError,
    NotSupportedError,
    OccurrenceConstraintViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    ProtocolError,
    SecurityError,
    TypeConstraintViolationError,
)
from ocpp.messages import Call, CallError, CallResult, MessageType, get_validator

from shared.domain.errors import (
    InvalidRequestError,
    OutOfRangeError,
    StationGoneError,
    StationRestrictedError,
)
from shared.domain.onboarding import ENROLLING_ACTIONS
from shared.domain.stations import RegistrationPolicy, StationContext
from shared.observability import logger
from shared.ocpp.plugin import ProtocolPlugin, StationHandler

MAX_PAYLOAD_DEPTH = 32
"""Deeper payloads are no OCPP message (the deepest schema nests about 8 levels)."""
MAX_STORED_INTEGER = 10**38
"""DynamoDB numbers hold 38 significant digits; anything larger cannot be stored, so it is refused."""

_PROPERTY_VALIDATORS = frozenset(
    {"enum", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "format"}
)
_OCCURRENCE_VALIDATORS = frozenset({"minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties"})
_TYPE_VALIDATORS = frozenset({"type", "maxLength", "minLength"})


@dataclass(frozen=True)
class MessageContext:
    """What every handler gets first: who sent the message, its OCPP message id, and the payload as sent
    (camelCase; the keyword arguments are snake_case, which changes the keys of free-form data such as a
    2.0.1 DataTransfer object)."""

    station: StationContext
    message_id: str
    payload: Mapping[str, Any] = field(default_factory=dict)


def _schema_error(
    error: SchemaValidationError, missing_field_error: type[OCPPError] = ProtocolError
) -> OCPPError:
    where = ".".join(str(part) for part in error.absolute_path) or "payload"
    cause = {"cause": f"{where}: {error.message}"[:200]}
    if error.validator in _TYPE_VALIDATORS:
        return TypeConstraintViolationError(details=cause)
    if error.validator in _PROPERTY_VALIDATORS:
        return PropertyConstraintViolationError(details=cause)
    if error.validator in _OCCURRENCE_VALIDATORS:
        return OccurrenceConstraintViolationError(details=cause)
    if error.validator == "required":
        return missing_field_error(details=cause)
    return FormatViolationError(details=cause)


def _validator(plugin: ProtocolPlugin, message_type: int, action: str) -> tuple[Draft4Validator, bool]:
    as_decimal = (message_type, action) in plugin.decimal_actions
    try:
        validator = get_validator(
            message_type, action, plugin.ocpp_version, parse_float=decimal.Decimal if as_decimal else float
        )
    except (OSError, ValueError) as error:
        raise NotSupportedError(details={"cause": f"no schema for {action}"}) from error
    return validator, as_decimal


def validate_payload(plugin: ProtocolPlugin, message_type: int, action: str, payload: dict[str, Any]) -> None:
    """Checks a payload against the version's JSON schema (raises the OCPP-J error for the first problem)."""
    validator, as_decimal = _validator(plugin, message_type, action)
    # The 1.6 schedule schemas constrain floats to one decimal: compare as Decimal, not binary floats.
    subject = json.loads(json.dumps(payload), parse_float=decimal.Decimal) if as_decimal else payload
    try:
        validator.validate(subject)
    except SchemaValidationError as error:
        raise _schema_error(error, plugin.missing_field_error) from None


def _walk(value: Any) -> Iterator[tuple[Any, int]]:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        yield current, depth
        if isinstance(current, dict):
            stack.extend((item, depth + 1) for item in current.values())
            stack.extend((key, depth + 1) for key in current)
        elif isinstance(current, list):
            stack.extend((item, depth + 1) for item in current)


def check_storable(payload: Any) -> None:
    """What schemas do not say but storage needs: bounded depth, text that is valid Unicode (a lone
    surrogate escape such as ``\\ud800`` cannot be encoded), integers DynamoDB can hold, finite numbers
    (JSON has no NaN or Infinity; ``1e400`` parses as infinity)."""
    for value, depth in _walk(payload):
        if depth > MAX_PAYLOAD_DEPTH:
            raise FormatViolationError(
                details={"cause": f"payload nests deeper than {MAX_PAYLOAD_DEPTH} levels"}
            )
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise FormatViolationError(
                    details={"cause": "text contains a lone UTF-16 surrogate"}
                ) from None
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            if abs(value) >= MAX_STORED_INTEGER:
                raise PropertyConstraintViolationError(details={"cause": "integer out of range"})
        elif isinstance(value, float) and not math.isfinite(value):
            raise PropertyConstraintViolationError(details={"cause": "number is not finite"})


def _error_for_domain(error: Exception) -> OCPPError | None:
    if isinstance(error, StationGoneError | StationRestrictedError):
        return SecurityError(details={"cause": str(error)})
    if isinstance(error, OutOfRangeError | InvalidRequestError):
        return PropertyConstraintViolationError(details={"cause": str(error)})
    return None


def dispatch_call(
    plugin: ProtocolPlugin, handler: StationHandler, station: StationContext, call: Call
) -> CallResult | CallError:
    try:
        return _dispatch(plugin, handler, station, call)
    except OCPPError as error:
        return call.create_call_error(error)


def _dispatch(
    plugin: ProtocolPlugin, handler: StationHandler, station: StationContext, call: Call
) -> CallResult | CallError:
    if call.action not in plugin.actions:
        raise NotImplementedError(
            details={"cause": f"{call.action} is not an OCPP {plugin.ocpp_version} action"}
        )
    handlers = handler.route_map.get(call.action, {})
    on_action = handlers.get("_on_action")
    if on_action is None:
        raise NotSupportedError(details={"cause": f"{call.action} is not handled by this CSMS"})
    if station.registration is not RegistrationPolicy.ACCEPTED and call.action not in (
        plugin.allowed_before_acceptance.get(station.registration, frozenset())
    ):
        raise SecurityError(
            details={"cause": f"station is {station.registration.value}: {call.action} is not allowed yet"}
        )
    if station.enrolling and call.action not in ENROLLING_ACTIONS:
        raise SecurityError(details={"cause": f"station is not registered: {call.action} is not allowed"})
    validate_payload(plugin, MessageType.Call, call.action, call.payload)
    check_storable(call.payload)
    context = MessageContext(station=station, message_id=call.unique_id, payload=call.payload)
    try:
        result = on_action(context, **camel_to_snake_case(call.payload))
    except OCPPError:
        raise
    except Exception as error:
        mapped = _error_for_domain(error)
        if mapped is not None:
            raise mapped from error
        logger.exception(
            "handler failed",
            extra={"stationId": station.station_id, "action": call.action, "messageId": call.unique_id},
        )
        raise InternalError(details={"cause": "the CSMS could not process this message"}) from error
    payload = snake_to_camel_case(remove_nones(serialize_as_dict(result)))
    try:
        validate_payload(plugin, MessageType.CallResult, call.action, payload)
    except OCPPError as error:
        logger.error(
            "reply does not match its schema",
            extra={"stationId": station.station_id, "action": call.action, "code": error.code},
        )
        raise InternalError(details={"cause": "the CSMS built an invalid reply"}) from error
    return call.create_call_result(payload)
