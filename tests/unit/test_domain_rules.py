"""Pure rules: ID token evaluation, meter readings, subprotocol negotiation, claims, passwords, boot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.api.auth import principal_from_claims
from shared.charging.provisioning import decide_boot
from shared.domain.commands import CommandStatus, status_from_call_result
from shared.domain.errors import ForbiddenError
from shared.domain.id_tokens import AuthorizationStatus, IdTokenStatus, evaluate_id_token
from shared.domain.sessions import ENERGY_REGISTER, MeterValue, SampledValue, latest_reading
from shared.domain.stations import RegistrationPolicy, is_valid_station_id
from shared.domain.tenancy import Role
from shared.gateway.passwords import hash_password, verify_password
from shared.ocpp.protocols import negotiate_subprotocol
from shared.settings import Settings
from tests.builders import T0, an_id_token


@pytest.mark.parametrize(
    ("status", "expires_at", "expected"),
    [
        (IdTokenStatus.ACCEPTED, None, AuthorizationStatus.ACCEPTED),
        (IdTokenStatus.BLOCKED, None, AuthorizationStatus.BLOCKED),
        (IdTokenStatus.EXPIRED, None, AuthorizationStatus.EXPIRED),
        (IdTokenStatus.ACCEPTED, T0 - timedelta(seconds=1), AuthorizationStatus.EXPIRED),
        (IdTokenStatus.ACCEPTED, T0 + timedelta(days=1), AuthorizationStatus.ACCEPTED),
        (IdTokenStatus.BLOCKED, T0 - timedelta(days=1), AuthorizationStatus.BLOCKED),
    ],
)
def test_id_token_evaluation(
    status: IdTokenStatus, expires_at: datetime | None, expected: AuthorizationStatus
) -> None:
    info = evaluate_id_token(an_id_token(status=status, expires_at=expires_at, parent_id_token="FLEET"), T0)
    assert info.status is expected and info.parent_id_token == "FLEET"


def test_unknown_token_is_invalid() -> None:
    assert evaluate_id_token(None, T0).status is AuthorizationStatus.INVALID


def _meter(moment: datetime, *samples: SampledValue) -> MeterValue:
    return MeterValue(timestamp=moment, sampled_value=list(samples))


def test_latest_energy_prefers_newest_total_and_converts_units() -> None:
    values = [
        _meter(T0, SampledValue(value="5", unit="kWh")),
        _meter(
            T0 + timedelta(minutes=1),
            SampledValue(value="2100", measurand=ENERGY_REGISTER, phase="L1"),
            SampledValue(value="6000", measurand=ENERGY_REGISTER),
            SampledValue(value="7.2", measurand="Power.Active.Import", unit="kW"),
        ),
    ]
    assert latest_reading(values, ENERGY_REGISTER) == 6000
    assert latest_reading(values, "Power.Active.Import") == 7200


def test_signed_and_unparseable_values_are_skipped() -> None:
    values = [_meter(T0, SampledValue(value="abc"), SampledValue(value="AAE=", format="SignedData"))]
    assert latest_reading(values, ENERGY_REGISTER) is None


@given(
    st.lists(
        st.tuples(st.integers(0, 10_000), st.text(max_size=8), st.sampled_from(["Wh", "kWh", None, "V"])),
        max_size=6,
    )
)
def test_latest_reading_never_fails(samples: list[tuple[int, str, str | None]]) -> None:
    values = [
        _meter(T0 + timedelta(seconds=offset), SampledValue(value=text, unit=unit))
        for offset, text, unit in samples
    ]
    result = latest_reading(values, ENERGY_REGISTER)
    assert result is None or isinstance(result, float)


@pytest.mark.parametrize(
    ("offered", "expected"),
    [
        ("ocpp1.6", "ocpp1.6"),
        ("ocpp2.0.1, ocpp1.6", "ocpp1.6"),
        ("ocpp2.0.1,ocpp1.6 ", "ocpp1.6"),
        ("ocpp2.0.1", None),
        ("OCPP1.6", None),
        ("", None),
        (None, None),
    ],
)
def test_subprotocol_negotiation(offered: str | None, expected: str | None) -> None:
    assert negotiate_subprotocol(offered, ("ocpp1.6",)) == expected


def test_claims_as_api_gateway_renders_them() -> None:
    principal = principal_from_claims({"sub": "u1", "tenant_id": "t1", "cognito:groups": "[operator viewer]"})
    assert principal.tenant_id == "t1" and principal.roles == frozenset({Role.OPERATOR, Role.VIEWER})
    listed = principal_from_claims({"custom:tenant_id": "t2", "cognito:groups": ["admin", "unknown"]})
    assert listed.tenant_id == "t2" and listed.roles == frozenset({Role.ADMIN})
    with pytest.raises(ForbiddenError):
        principal_from_claims({"cognito:groups": "[admin]"})


def test_password_hash_is_salted_and_verifies() -> None:
    first, second = hash_password("0123456789abcdef"), hash_password("0123456789abcdef")
    assert first != second and "0123456789abcdef" not in first
    assert verify_password("0123456789abcdef", first) and not verify_password("0123456789abcdeF", first)
    assert not verify_password("x", "garbage")


@pytest.mark.parametrize("station_id", ["CP-1", "a.b_c*d=e+f|g@h", "X" * 48])
def test_valid_station_ids(station_id: str) -> None:
    assert is_valid_station_id(station_id)


@pytest.mark.parametrize("station_id", ["", "a:b", "a/b", "X" * 49, "a b", "é"])
def test_invalid_station_ids(station_id: str) -> None:
    assert not is_valid_station_id(station_id)


def test_boot_interval_stays_under_api_gateway_idle_timeout() -> None:
    settings = Settings()
    accepted = decide_boot(RegistrationPolicy.ACCEPTED, settings, T0)
    pending = decide_boot(RegistrationPolicy.PENDING, settings, T0)
    assert accepted.status is RegistrationPolicy.ACCEPTED and accepted.interval_seconds < 600
    assert (
        pending.status is RegistrationPolicy.PENDING
        and pending.interval_seconds == settings.boot_retry_interval_seconds
    )


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"status": "Accepted"}, CommandStatus.ACCEPTED),
        ({"status": "Unlocked"}, CommandStatus.ACCEPTED),
        ({"status": "RebootRequired"}, CommandStatus.ACCEPTED),
        ({"status": "Rejected"}, CommandStatus.REJECTED),
        ({"status": "UnlockFailed"}, CommandStatus.REJECTED),
        ({"status": "NotSupported"}, CommandStatus.REJECTED),
        ({"configurationKey": []}, CommandStatus.ACCEPTED),
    ],
)
def test_command_status_from_answer(payload: dict[str, object], expected: CommandStatus) -> None:
    assert status_from_call_result(payload) is expected


def test_settings_reject_heartbeat_beyond_idle_timeout() -> None:
    with pytest.raises(ValueError, match="heartbeat_interval_seconds"):
        Settings(heartbeat_interval_seconds=600)


def test_connectivity_grace_after_routine_disconnect() -> None:
    from shared.domain.stations import Connection
    from tests.builders import a_station

    grace = timedelta(seconds=120)
    online = a_station(connection=Connection(connection_id="c", protocol="ocpp1.6", connected_at=T0))
    dropped = a_station(disconnected_at=T0)
    assert online.connectivity(T0, grace) == "online"
    assert dropped.connectivity(T0 + timedelta(seconds=60), grace) == "reconnecting"
    assert dropped.connectivity(T0 + timedelta(seconds=121), grace) == "offline"
    assert a_station(disconnected_at=T0, blocked=True).connectivity(T0, grace) == "offline"
    assert a_station().connectivity(T0, grace) == "offline"


def test_live_readings_are_projected_when_they_say_something_new() -> None:

    from shared.charging.live_sessions import worth_projecting
    from shared.domain.sessions import LiveReading

    t0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    steady = LiveReading(at=t0, energy_register_wh=1000, power_w=7000, current_a={"L1": 30.0})
    minute = timedelta(minutes=1)
    assert worth_projecting(None, steady)
    assert not worth_projecting(
        steady, steady.model_copy(update={"at": t0 + minute, "energy_register_wh": 1117})
    )
    assert worth_projecting(steady, steady.model_copy(update={"at": t0 + minute, "power_w": 3000}))
    assert worth_projecting(steady, steady.model_copy(update={"at": t0 + minute, "current_a": {"L1": 16.0}}))
    assert worth_projecting(steady, steady.model_copy(update={"at": t0 + 5 * minute}))
    assert worth_projecting(steady, steady.model_copy(update={"at": t0 + minute, "energy_register_wh": 1600}))
