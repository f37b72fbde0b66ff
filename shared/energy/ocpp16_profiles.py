"""OCPP 1.6J smart charging payloads for the neutral ``ChargingProfile`` (to move under
shared/ocpp/v16/ with the other 1.6 mappers).

Every payload built here is validated against the ocpp package's 1.6 JSON schema before it is
returned, so a payload the charger would refuse as a FormationViolation never leaves. OCPP 1.6
rules applied (section 3.13 and 5.16): a ChargePointMaxProfile goes to connector 0; a TxProfile
to the transaction's connector (a charger without a transaction there rejects it); a profile
with a start time is ``Absolute``, one without is ``Relative`` (to the transaction's start); a
new profile with the same id, or the same stack level and purpose, replaces the old one.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from ocpp.messages import get_validator
from ocpp.v16.enums import ChargingProfilePurposeType

from shared.domain.base import to_iso
from shared.energy.profiles import ChargerCapabilities, ChargingProfile, ProfilePurpose, RateUnit

CALL = 2
CALL_RESULT = 3
OCPP_VERSION = "1.6"


class ProfileOutcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    NOT_SUPPORTED = "not_supported"
    """The charger has no smart charging (or not for this profile)."""


_DECIMAL_SCHEMAS = frozenset({(CALL, "SetChargingProfile"), (CALL_RESULT, "GetCompositeSchedule")})
"""As ``shared.ocpp.v16.plugin`` reads them: the ocpp package caches one validator per schema whatever
its ``parse_float``, so both must ask for the same one (floats of one decimal compare as Decimal)."""


def _validated(action: str, payload: dict[str, Any], message_type: int = CALL) -> dict[str, Any]:
    as_decimal = (message_type, action) in _DECIMAL_SCHEMAS
    validator = get_validator(
        message_type, action, OCPP_VERSION, parse_float=decimal.Decimal if as_decimal else float
    )
    subject = json.loads(json.dumps(payload), parse_float=decimal.Decimal) if as_decimal else payload
    errors = sorted(validator.iter_errors(subject), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path) or action
        raise ValueError(f"{action} payload invalid at {where}: {errors[0].message}")
    return payload


def set_charging_profile_payload(profile: ChargingProfile) -> dict[str, Any]:
    """The SetChargingProfile.req payload for a neutral profile."""
    schedule: dict[str, Any] = {
        "chargingRateUnit": profile.rate_unit.value,
        "chargingSchedulePeriod": [
            {
                "startPeriod": period.start_seconds,
                "limit": round(period.limit, 1),
                **({"numberPhases": period.number_phases} if period.number_phases is not None else {}),
            }
            for period in profile.periods
        ],
    }
    if profile.duration_seconds is not None:
        schedule["duration"] = profile.duration_seconds
    if profile.start_schedule is not None:
        schedule["startSchedule"] = to_iso(profile.start_schedule)
    body: dict[str, Any] = {
        "chargingProfileId": profile.profile_id,
        "stackLevel": profile.stack_level,
        "chargingProfilePurpose": ChargingProfilePurposeType(profile.purpose.value).value,
        "chargingProfileKind": "Absolute" if profile.start_schedule is not None else "Relative",
        "chargingSchedule": schedule,
    }
    if profile.transaction_id is not None:
        body["transactionId"] = profile.transaction_id
    if profile.valid_from is not None:
        body["validFrom"] = to_iso(profile.valid_from)
    if profile.valid_to is not None:
        body["validTo"] = to_iso(profile.valid_to)
    if profile.purpose == ProfilePurpose.TX and profile.evse_id == 0:
        raise ValueError("a TxProfile goes to the transaction's connector, not connector 0")
    return _validated("SetChargingProfile", {"connectorId": profile.evse_id, "csChargingProfiles": body})


def clear_charging_profile_payload(
    profile_id: int | None = None,
    connector_id: int | None = None,
    purpose: ProfilePurpose | None = None,
    stack_level: int | None = None,
) -> dict[str, Any]:
    """The ClearChargingProfile.req payload; no criteria clears every profile."""
    payload: dict[str, Any] = {}
    if profile_id is not None:
        payload["id"] = profile_id
    if connector_id is not None:
        payload["connectorId"] = connector_id
    if purpose is not None:
        payload["chargingProfilePurpose"] = purpose.value
    if stack_level is not None:
        payload["stackLevel"] = stack_level
    return _validated("ClearChargingProfile", payload)


def profile_outcome(response: Mapping[str, Any]) -> ProfileOutcome:
    """SetChargingProfile.conf's status as an outcome (a payload that fails the schema is a rejection)."""
    try:
        status = _validated("SetChargingProfile", dict(response), CALL_RESULT)["status"]
    except ValueError:
        return ProfileOutcome.REJECTED
    return {
        "Accepted": ProfileOutcome.ACCEPTED,
        "Rejected": ProfileOutcome.REJECTED,
        "NotSupported": ProfileOutcome.NOT_SUPPORTED,
    }[status]


def capabilities_from_configuration(keys: Iterable[Mapping[str, Any]]) -> ChargerCapabilities:
    """A charger's smart charging capabilities from its GetConfiguration.conf ``configurationKey``
    list (section 9.4); keys it does not report keep the defaults."""
    values = {str(k.get("key")): str(k.get("value", "")) for k in keys}
    fields: dict[str, Any] = {}
    units = values.get("ChargingScheduleAllowedChargingRateUnit")
    if units:
        parsed = []
        for unit in units.replace(" ", "").split(","):
            if unit == "Current":
                parsed.append(RateUnit.AMPS)
            elif unit == "Power":
                parsed.append(RateUnit.WATTS)
        if parsed:
            fields["rate_units"] = parsed
    for key, field in (
        ("ChargeProfileMaxStackLevel", "max_stack_level"),
        ("ChargingScheduleMaxPeriods", "max_periods"),
    ):
        raw = values.get(key, "")
        if raw.strip().isdigit():
            fields[field] = int(raw)
    return ChargerCapabilities(**fields)
