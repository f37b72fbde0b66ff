"""From allocation to charging profiles: boot fail-safes, TxProfiles in the unit the charger takes,
the change threshold, pause/resume hysteresis, staging, and what each protocol sends for them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ocpp.messages import MessageType

from shared.domain.charging_profiles import ProfileCriteria
from shared.domain.charging_profiles import ProfilePurpose as TransportPurpose
from shared.energy import Allocation
from shared.energy.profiles import (
    ChargerCapabilities,
    ChargingProfile,
    LimitInForce,
    ProfileOutcome,
    ProfilePurpose,
    ProfileRules,
    RateUnit,
    SchedulePeriod,
    after_sending,
    boot_profiles,
    decide_limits,
    default_amps_per_evse,
    profile_outcome,
    profiles_for,
    staged,
    station_defaults,
    to_transport,
    tx_profile,
)
from shared.energy.site import EnergySite, StationPlacement
from shared.ocpp.dispatch import validate_payload
from shared.ocpp.protocols import plugin_for
from tests.energy.builders import NOW

SITE = EnergySite(site_id="depot", grid_limit_amps=48, fail_safe_current_amps=8)
STATION = StationPlacement(station_id="SIM-001", site_id="depot", max_current_amps=32)


def sent(profile: ChargingProfile, subprotocol: str = "ocpp1.6") -> dict[str, Any]:
    """The SetChargingProfile payload the station's protocol sends, checked against its schema."""
    plugin = plugin_for(subprotocol)
    call = plugin.mappers.set_charging_profile(profile.evse_id, to_transport(profile))
    validate_payload(plugin, MessageType.Call, call.action, call.payload)
    return call.payload


def v16_capabilities(keys: list[dict[str, Any]]) -> ChargerCapabilities:
    return plugin_for("ocpp1.6").mappers.charging_capabilities({"configurationKey": keys})


def held(amps: float, minutes_ago: float = 1, paused_minutes_ago: float | None = None) -> LimitInForce:
    return LimitInForce(
        limit_amps=amps,
        sent_at=NOW - timedelta(minutes=minutes_ago),
        paused_since=None if paused_minutes_ago is None else NOW - timedelta(minutes=paused_minutes_ago),
    )


def test_boot_profiles_cap_the_station_and_hold_new_transactions_at_the_fail_safe() -> None:
    cap, default = boot_profiles(STATION, SITE, ChargerCapabilities(), NOW)

    assert (cap.purpose, cap.evse_id, cap.limit_now) == (ProfilePurpose.STATION_MAX, 0, 32)
    assert (default.purpose, default.limit_now, default.start_schedule) == (
        ProfilePurpose.TX_DEFAULT,
        8,
        None,
    )
    assert sent(default)["csChargingProfiles"]["chargingProfileKind"] == "Relative"
    assert sent(cap) == {
        "connectorId": 0,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32.0, "numberPhases": 3}],
                "startSchedule": "2026-03-04T08:00:00.000Z",
            },
        },
    }


def test_a_tx_profile_is_valid_for_a_while_and_in_watts_for_a_charger_that_takes_only_watts() -> None:
    watts_only = v16_capabilities([{"key": "ChargingScheduleAllowedChargingRateUnit", "value": "Power"}])

    profile = tx_profile(STATION, SITE, 1, 15.37, watts_only, NOW, transaction_id="7")
    payload = sent(profile)

    body = payload["csChargingProfiles"]
    assert payload["connectorId"] == 1
    assert body["transactionId"] == 7 and body["stackLevel"] == 1 and body["chargingProfileId"] == 101
    # floored to 0.1 A first (never above the allocation), then 3 x 230 V
    assert body["chargingSchedule"]["chargingRateUnit"] == "W"
    assert body["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 15.3 * 690
    assert body["validTo"] == "2026-03-04T08:15:00.000Z"


def test_capabilities_from_get_configuration() -> None:
    caps = v16_capabilities(
        [
            {"key": "ChargingScheduleAllowedChargingRateUnit", "value": "Current, Power"},
            {"key": "ChargeProfileMaxStackLevel", "value": "2", "readonly": True},
            {"key": "ChargingScheduleMaxPeriods", "value": "oops"},
        ]
    )

    assert caps.rate_unit == RateUnit.AMPS and caps.max_stack_level == 2 and caps.max_periods == 24


def test_an_invalid_profile_is_never_built() -> None:
    with pytest.raises(ValueError, match="whole station"):
        ChargingProfile(
            profile_id=1,
            station_id="S",
            evse_id=1,
            purpose=ProfilePurpose.STATION_MAX,
            stack_level=0,
            rate_unit=RateUnit.AMPS,
            periods=[SchedulePeriod(start_seconds=0, limit=10)],
        )


def test_the_same_tx_profile_in_2_0_1_terms() -> None:
    profile = tx_profile(STATION, SITE, 1, 15.37, ChargerCapabilities(), NOW, transaction_id="TX-9")

    payload = sent(profile, "ocpp2.0.1")

    assert payload["evseId"] == 1
    body = payload["chargingProfile"]
    assert (body["chargingProfilePurpose"], body["transactionId"], body["stackLevel"]) == (
        "TxProfile",
        "TX-9",
        1,
    )
    assert body["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"] == 15.3
    with pytest.raises(Exception, match="integer"):
        sent(profile)  # a 1.6 station's transaction ids are integers


def test_capabilities_from_2_0_1_variables() -> None:
    def result(name: str, value: str | None, status: str = "Accepted") -> dict[str, Any]:
        found = {
            "attributeStatus": status,
            "component": {"name": "SmartChargingCtrlr"},
            "variable": {"name": name},
        }
        return {**found, "attributeValue": value} if value is not None else found

    caps = plugin_for("ocpp2.0.1").mappers.charging_capabilities(
        {
            "getVariableResult": [
                result("RateUnit", "W"),
                result("ProfileStackLevel", "3"),
                result("PeriodsPerSchedule", None, "UnknownVariable"),
            ]
        }
    )

    assert caps.rate_units == [RateUnit.WATTS] and caps.max_stack_level == 3 and caps.max_periods == 24


def test_clear_and_answers() -> None:
    clear = plugin_for("ocpp1.6").mappers.clear_charging_profile(
        ProfileCriteria(evse_id=1, purpose=TransportPurpose.TX)
    )
    assert clear.payload == {"connectorId": 1, "chargingProfilePurpose": "TxProfile"}
    assert profile_outcome({"status": "Accepted"}) == ProfileOutcome.ACCEPTED
    assert profile_outcome({"status": "NotSupported"}) == ProfileOutcome.NOT_SUPPORTED
    assert profile_outcome({"status": "Maybe"}) == ProfileOutcome.REJECTED


def test_small_increases_wait_and_decreases_go_out() -> None:
    decisions = decide_limits(
        {"a": 16.5, "b": 14.0, "c": 20.0, "d": 0.0, "e": 10.0},
        {"a": held(16), "b": held(16), "c": held(16), "d": held(16)},
        NOW,
    )

    assert decisions["a"].send_amps is None and decisions["a"].reason == "below-threshold"
    assert (decisions["b"].send_amps, decisions["b"].reason) == (14.0, "decrease")
    assert (decisions["c"].send_amps, decisions["c"].reason) == (20.0, "increase")
    assert (decisions["d"].send_amps, decisions["d"].reason) == (0.0, "pause")
    assert (decisions["e"].send_amps, decisions["e"].reason) == (10.0, "new")
    first, then = staged(decisions, {"a": held(16), "b": held(16), "c": held(16), "d": held(16)})
    assert first == ["b", "d"] and then == ["c", "e"]
    # a first limit below the fail-safe it replaces frees room too
    assert staged(decisions, {}, {"e": 16})[0] == ["e"]


def test_a_small_decrease_is_held_only_while_the_limits_in_force_stay_feasible() -> None:
    in_force = {"a": held(16), "b": held(16)}

    roomy = decide_limits(
        {"a": 15.6, "b": 16}, in_force, NOW, feasible=lambda limits: sum(limits.values()) <= 40
    )
    tight = decide_limits(
        {"a": 15.6, "b": 16}, in_force, NOW, feasible=lambda limits: sum(limits.values()) <= 31.6
    )

    assert roomy["a"].send_amps is None and roomy["a"].reason == "within-slack"
    assert tight["a"].send_amps == 15.6


def test_a_paused_evse_is_not_resumed_before_the_minimum_pause() -> None:
    recent = decide_limits({"a": 10}, {"a": held(0, minutes_ago=2, paused_minutes_ago=2)}, NOW)
    settled = decide_limits({"a": 10}, {"a": held(0, minutes_ago=6, paused_minutes_ago=6)}, NOW)

    assert recent["a"].send_amps is None and recent["a"].reason == "min-pause"
    assert (settled["a"].send_amps, settled["a"].reason) == (10, "resume")


def test_a_car_that_waited_for_room_since_it_arrived_starts_at_once() -> None:
    # its first limit was 0 (no room yet): it never charged, so it was never paused
    waited = after_sending({}, {"a": 0.0}, NOW - timedelta(minutes=1))
    assert waited["a"].paused_since is None
    decision = decide_limits({"a": 10}, waited, NOW)["a"]
    assert (decision.send_amps, decision.reason) == (10, "resume")
    # whereas a car paused after charging waits out the minimum pause, also through a second pause
    charged = after_sending({}, {"a": 10.0}, NOW - timedelta(minutes=3))
    paused = after_sending(charged, {"a": 0.0}, NOW - timedelta(minutes=2))
    paused = after_sending(paused, {"a": 0.0}, NOW - timedelta(minutes=1))
    assert paused["a"].paused_since == NOW - timedelta(minutes=2)
    assert decide_limits({"a": 10}, paused, NOW)["a"].reason == "min-pause"


def test_an_unchanged_limit_is_refreshed_before_its_profile_expires() -> None:
    decisions = decide_limits({"a": 16}, {"a": held(16, minutes_ago=8)}, NOW)

    assert (decisions["a"].send_amps, decisions["a"].reason) == (16, "refresh")


def test_no_profile_for_an_uncontrolled_charger() -> None:
    allocation = Allocation(currents_amps={"SIM-001/1": 12.0}, schedule_amps={}, method="lp")
    decisions = decide_limits({"SIM-001/1": 12.0}, {}, NOW)

    assert len(profiles_for(allocation, decisions, SITE, [STATION], {}, NOW)) == 1
    assert profiles_for(allocation, decisions, SITE, [STATION], {}, NOW, uncontrolled=["SIM-001/1"]) == []


@settings(max_examples=80, deadline=None)
@given(
    wants=st.lists(st.one_of(st.just(0.0), st.floats(0, 32)), min_size=2, max_size=40),
    minutes_between=st.integers(1, 5),
)
def test_limits_never_flap_and_never_exceed_the_allocation(wants: list[float], minutes_between: int) -> None:
    # Given one EVSE whose allocation moves about at every run
    rules = ProfileRules()
    in_force: dict[str, LimitInForce] = {}
    moment: datetime = NOW
    pauses: list[datetime] = []
    resumes: list[datetime] = []
    for want in wants:
        # When each run's decision is sent and accepted
        decision = decide_limits({"a": want}, in_force, moment, rules)["a"]
        before = in_force.get("a")
        if decision.send_amps is not None:
            in_force = after_sending(in_force, {"a": decision.send_amps}, moment)
        limit = in_force["a"].limit_amps
        # Then what is in force is never above this run's allocation
        assert limit <= want + 1e-9
        if before is not None and before.limit_amps > 0.05 and limit <= 0.05:
            pauses.append(moment)
        if before is not None and before.limit_amps <= 0.05 < limit:
            resumes.append(moment)
        moment += timedelta(minutes=minutes_between)
    # and no resume comes sooner than the minimum pause after the pause before it
    for resumed in resumes:
        paused = max((p for p in pauses if p < resumed), default=None)
        if paused is not None:
            assert (resumed - paused).total_seconds() >= rules.min_pause_seconds


def test_boot_profiles_hold_new_transactions_at_the_default_the_site_allows() -> None:
    _, default = boot_profiles(STATION, SITE, ChargerCapabilities(), NOW, default_amps=0.0)
    assert default.purpose == ProfilePurpose.TX_DEFAULT and default.limit_now == 0.0
    _, capped = boot_profiles(STATION, SITE, ChargerCapabilities(), NOW, default_amps=50.0)
    assert capped.limit_now == 8.0, "never above the fail-safe"


def test_a_two_evse_station_default_counts_each_evse_within_the_station_cap() -> None:
    station = StationPlacement(station_id="CP-2", site_id="depot", max_current_amps=10, evse_ids=[1, 2])
    assert default_amps_per_evse(station, 8.0) == 5.0
    assert default_amps_per_evse(station, 4.0) == 4.0


@settings(max_examples=200, deadline=None)
@given(
    fail_safes=st.dictionaries(
        st.sampled_from([f"CP-{n}" for n in range(12)]), st.sampled_from([0.0, 3.0, 6.0, 8.0]), max_size=12
    ),
    room=st.floats(min_value=0, max_value=100),
    holding=st.sets(st.sampled_from([f"CP-{n}" for n in range(12)])),
)
def test_station_defaults_keep_the_most_fail_safes_that_fit(
    fail_safes: dict[str, float], room: float, holding: set[str]
) -> None:
    def fits(stations: Any) -> bool:
        return sum(fail_safes[s] for s in stations) <= room

    defaults = station_defaults(fail_safes, holding, fits)
    kept = [s for s, amps in defaults.items() if amps > 0]
    assert set(defaults) == set(fail_safes)
    assert all(defaults[s] in (0.0, fail_safes[s]) for s in fail_safes), "a fail-safe or 0, nothing between"
    assert fits(kept), "never more than the site has room for"
    # the most that fit in the order: those already holding theirs first, then by id
    order = sorted((s for s in fail_safes if fail_safes[s] > 0), key=lambda s: (s not in holding, s))
    assert kept == [] or set(kept) == set(order[: len(kept)])
    if len(kept) < len(order):
        assert not fits(order[: len(kept) + 1]), "one more would not fit"
