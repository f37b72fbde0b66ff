"""The site model: what the API will accept, the field each inconsistency names, and the network
and snapshot it becomes for the allocator."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest

from shared.energy import Wiring, allocate
from shared.energy.network import compile_network, row_magnitudes
from shared.energy.site import (
    EnergySite,
    SessionDemand,
    SiteMeasurements,
    SiteModelError,
    StationPlacement,
    check_site,
    check_station,
    fail_safe_warnings,
    parse_grid_signal,
    parse_site,
    parse_station,
    site_network,
    site_snapshot,
    station_wiring,
)
from tests.energy.builders import NOW


def a_site(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "siteId": "depot",
        "gridLimitAmps": 48,
        "circuits": [
            {"circuitId": "main-panel", "limitAmps": 40},
            {"circuitId": "bay-1", "parentId": "main-panel", "limitAmps": 32},
        ],
    }
    document.update(overrides)
    return document


def a_station(station_id: str = "SIM-001", **overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"stationId": station_id, "siteId": "depot", "maxCurrentAmps": 32}
    document.update(overrides)
    return document


def fields_of(error: pytest.ExceptionInfo[SiteModelError]) -> list[str]:
    return [p.field for p in error.value.problems]


def test_a_consistent_site_parses_from_camel_case() -> None:
    site = parse_site(a_site(gridLimitKw=40, phases=3, voltage=230))

    assert site.circuits[1].parent_id == "main-panel"
    # 40 kW over three 230 V phases is 58 A a phase; the 48 A given in amperes is stricter
    assert site.grid_limit_per_phase_amps == 48
    assert site.to_document()["gridLimitAmps"] == 48


def test_grid_limit_in_kw_becomes_amperes_per_phase() -> None:
    site = parse_site(a_site(gridLimitAmps=None, gridLimitKw=33.12, circuits=[]))

    assert site.grid_limit_per_phase_amps == pytest.approx(48)


@pytest.mark.parametrize(
    ("circuits", "field", "words"),
    [
        (
            [{"circuitId": "a", "limitAmps": 40}, {"circuitId": "b", "parentId": "a", "limitAmps": 63}],
            "circuits.1.limitAmps",
            "above its parent a",
        ),
        ([{"circuitId": "a", "limitAmps": 63}], "circuits.0.limitAmps", "above the grid connection"),
        ([{"circuitId": "a", "parentId": "nowhere", "limitAmps": 16}], "circuits.0.parentId", "unknown"),
        (
            [
                {"circuitId": "a", "parentId": "b", "limitAmps": 16},
                {"circuitId": "b", "parentId": "a", "limitAmps": 16},
            ],
            "circuits.0.parentId",
            "loop",
        ),
        ([{"circuitId": "a", "parentId": "a", "limitAmps": 16}], "circuits.0.parentId", "itself"),
        (
            [{"circuitId": "a", "limitAmps": 16}, {"circuitId": "a", "limitAmps": 16}],
            "circuits.1.circuitId",
            "duplicate",
        ),
    ],
)
def test_an_inconsistent_circuit_tree_names_the_field(
    circuits: list[dict[str, Any]], field: str, words: str
) -> None:
    with pytest.raises(SiteModelError) as error:
        parse_site(a_site(circuits=circuits))

    assert field in fields_of(error)
    assert words in error.value.message or any(words in p.problem for p in error.value.problems)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"gridLimitAmps": -5}, "gridLimitAmps"),
        ({"gridLimitAmps": 1e9}, "gridLimitAmps"),
        ({"gridLimitAmps": None}, "gridLimitAmps"),
        ({"voltage": 5}, "voltage"),
        ({"phases": 2}, "phases"),
        ({"circuits": [{"circuitId": "a", "limitAmps": 0}]}, "circuits.0.limitAmps"),
        ({"battery": {"capacityKwh": 50, "maxChargeKw": 10, "maxDischargeKw": -1}}, "battery.maxDischargeKw"),
        (
            {
                "battery": {
                    "capacityKwh": 50,
                    "maxChargeKw": 10,
                    "maxDischargeKw": 10,
                    "minSocPercent": 80,
                    "maxSocPercent": 20,
                }
            },
            "battery.minSocPercent",
        ),
        ({"priorityGroups": {"taxis": 0}}, "priorityGroups.taxis"),
    ],
)
def test_negative_absurd_or_missing_limits_name_the_field(override: dict[str, Any], field: str) -> None:
    with pytest.raises(SiteModelError) as error:
        parse_site(a_site(**override))

    assert field in fields_of(error)
    assert error.value.message.startswith(fields_of(error)[0])


def test_a_station_on_a_circuit_of_another_site_names_circuit_id() -> None:
    depot = parse_site(a_site())
    other = parse_site(a_site(siteId="office", circuits=[{"circuitId": "office-panel", "limitAmps": 32}]))

    with pytest.raises(SiteModelError) as error:
        parse_station(a_station(circuitId="office-panel"), depot)

    assert fields_of(error) == ["circuitId"]
    assert "not a circuit of site depot" in error.value.message
    assert (
        parse_station(a_station(siteId="office", circuitId="office-panel"), other).circuit_id
        == "office-panel"
    )


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"maxCurrentAmps": -1}, "maxCurrentAmps"),
        ({"maxCurrentAmps": 50_000}, "maxCurrentAmps"),
        ({"minCurrentAmps": 40}, "minCurrentAmps"),
        ({"failSafeCurrentAmps": 40}, "failSafeCurrentAmps"),
        ({"phaseRotation": "XYZ"}, "phaseRotation"),
        ({"connection": "star"}, "connection"),
        ({"evseIds": [1, 1]}, "evseIds"),
        ({"allowedCurrentsAmps": [6, 64]}, "allowedCurrentsAmps"),
    ],
)
def test_a_bad_station_names_the_field(override: dict[str, Any], field: str) -> None:
    with pytest.raises(SiteModelError) as error:
        parse_station(a_station(**override), parse_site(a_site()))

    assert field in fields_of(error)


def test_a_station_of_an_unknown_site_names_site_id() -> None:
    with pytest.raises(SiteModelError) as error:
        parse_station(a_station(), None)

    assert fields_of(error) == ["siteId"]


def test_a_single_phase_site_refuses_three_phase_and_line_to_line_stations() -> None:
    site = parse_site(a_site(phases=1, circuits=[]))

    assert [p.field for p in check_station(StationPlacement.model_validate(a_station(phases=3)), site)] == [
        "phases"
    ]
    line_to_line = StationPlacement.model_validate(a_station(phases=1, connection="lineToLine"))
    assert [p.field for p in check_station(line_to_line, site)] == ["connection"]


@pytest.mark.parametrize(
    ("rotation", "connection", "wiring", "voltage"),
    [
        ("RST", "lineToNeutral", Wiring.A, 230),
        ("STR", "lineToNeutral", Wiring.B, 230),
        ("TRS", "lineToNeutral", Wiring.C, 230),
        ("RST", "lineToLine", Wiring.AB, 230 * math.sqrt(3)),
        ("SRT", "lineToLine", Wiring.AB, 230 * math.sqrt(3)),
        ("STR", "lineToLine", Wiring.BC, 230 * math.sqrt(3)),
        ("TRS", "lineToLine", Wiring.CA, 230 * math.sqrt(3)),
    ],
)
def test_phase_rotation_puts_a_single_phase_charger_on_the_sites_phase(
    rotation: str, connection: str, wiring: Wiring, voltage: float
) -> None:
    station = StationPlacement.model_validate(
        a_station(phases=1, phaseRotation=rotation, connection=connection)
    )

    assert station_wiring(station, parse_site(a_site())) == (wiring, pytest.approx(voltage))


def test_a_three_phase_charger_loads_every_line_and_draws_three_times_the_power() -> None:
    site = parse_site(a_site(circuits=[]))
    network = site_network(site, [StationPlacement.model_validate(a_station(phaseRotation="TSR"))])

    evse = network.evses[0]
    assert evse.wiring == Wiring.ABC
    assert evse.watts_per_amp == pytest.approx(3 * 230)
    compiled = compile_network(network)
    assert row_magnitudes(compiled, [16.0]) == pytest.approx([16.0, 16.0, 16.0])


def test_a_station_with_two_evses_shares_its_maximum() -> None:
    site = parse_site(a_site())
    station = StationPlacement.model_validate(a_station(evseIds=[1, 2], circuitId="bay-1", maxCurrentAmps=32))
    sessions = [
        SessionDemand(
            station_id="SIM-001", evse_id=e, energy_wanted_kwh=30, departure=NOW + timedelta(hours=3)
        )
        for e in (1, 2)
    ]

    snapshot = site_snapshot(site, [station], sessions, NOW)
    currents = allocate(snapshot).currents_amps

    assert {e.circuit_id for e in snapshot.network.evses} == {"station:SIM-001"}
    assert sum(currents.values()) == pytest.approx(32, abs=0.01)


def test_ten_chargers_on_a_48_amp_connection_never_exceed_it() -> None:
    # Given the site: ten 32 A three-phase chargers under a 48 A connection
    site = parse_site(a_site(circuits=[]))
    stations = [StationPlacement.model_validate(a_station(f"SIM-{n:03d}")) for n in range(10)]
    sessions = [
        SessionDemand(
            station_id=s.station_id,
            evse_id=1,
            energy_wanted_kwh=10 + n,
            departure=NOW + timedelta(hours=2 + n),
            drawn_amps_per_phase=[6, 6, 6] if n % 2 else [],
            offered_current_amps=6 if n % 2 else None,
        )
        for n, s in enumerate(stations)
    ]

    # When
    snapshot = site_snapshot(site, stations, sessions, NOW)
    allocation = allocate(snapshot)

    # Then every line of the connection carries at most 48 A, and its capacity is used
    compiled = compile_network(snapshot.network)
    magnitudes = row_magnitudes(compiled, [allocation.currents_amps[e] for e in compiled.evse_ids])
    assert max(magnitudes) <= 48 + 1e-6
    assert max(magnitudes) >= 48 - 1
    # and every car already charging keeps at least its 6 A
    assert all(allocation.currents_amps[f"SIM-{n:03d}/1"] >= 6 for n in range(1, 10, 2))


def test_an_offline_station_counts_at_its_fail_safe_current_and_gets_nothing_new() -> None:
    site = parse_site(a_site(circuits=[], failSafeCurrentAmps=10))
    stations = [StationPlacement.model_validate(a_station(f"SIM-{n}")) for n in range(2)]
    sessions = [
        SessionDemand(
            station_id=s.station_id, evse_id=1, energy_wanted_kwh=40, departure=NOW + timedelta(hours=2)
        )
        for s in stations
    ]

    allocation = allocate(site_snapshot(site, stations, sessions, NOW, offline_station_ids=["SIM-0"]))

    assert allocation.currents_amps["SIM-0/1"] == 10
    assert allocation.currents_amps["SIM-1/1"] == pytest.approx(32)
    # 10 A + 32 A of the 48 A: nothing more fits the online one (it is at its maximum)
    assert allocation.currents_amps["SIM-0/1"] + allocation.currents_amps["SIM-1/1"] <= 48


def test_priority_groups_and_measurements_reach_the_snapshot() -> None:
    site = parse_site(
        a_site(
            circuits=[],
            priorityGroups={"taxis": 3},
            battery={"capacityKwh": 100, "maxChargeKw": 30, "maxDischargeKw": 30, "minSocPercent": 20},
        )
    )
    stations = [StationPlacement.model_validate(a_station())]
    sessions = [SessionDemand(station_id="SIM-001", evse_id=1, energy_wanted_kwh=5, priority_group="taxis")]

    snapshot = site_snapshot(
        site,
        stations,
        sessions,
        NOW,
        measurements=SiteMeasurements(base_load_kw=[4, 5], solar_kw=[7], battery_soc_percent=50),
    )

    assert snapshot.sessions[0].priority_weight == 3
    power = snapshot.site_power
    assert power is not None and power.battery is not None
    assert power.battery.state_of_charge_kwh == pytest.approx(50)
    assert power.battery.min_state_of_charge_kwh == pytest.approx(20)
    assert power.base_load_kw == (4, 5) and power.solar_kw == (7,)
    assert power.import_limit_kw == pytest.approx(48 * 3 * 230 / 1000)


def test_a_battery_state_of_charge_outside_0_to_100_percent_is_refused() -> None:
    with pytest.raises(ValueError, match=r"batterySocPercent"):
        SiteMeasurements.model_validate({"batterySocPercent": 120})


def test_fail_safe_currents_that_would_overload_the_connection_are_warned_about() -> None:
    site = parse_site(a_site(circuits=[], failSafeCurrentAmps=6))
    stations = [StationPlacement.model_validate(a_station(f"SIM-{n}")) for n in range(10)]

    warnings = fail_safe_warnings(stations[0], site, stations)

    assert [w.field for w in warnings] == ["failSafeCurrentAmps"] * 3
    assert "60.0 A, above its 48 A" in warnings[0].problem
    assert fail_safe_warnings(stations[0], site, stations[:8]) == []


def test_grid_signals_through_the_api_name_the_field() -> None:
    good = parse_grid_signal(
        {
            "kind": "importLimit",
            "startsAt": "2026-03-04T17:00:00Z",
            "endsAt": "2026-03-04T19:00:00Z",
            "value": 40,
        }
    )
    assert good.kind == "import_limit" and good.value == 40 and good.source == "api"

    for document, field in (
        (
            {
                "kind": "importLimit",
                "startsAt": "2026-03-04T19:00:00Z",
                "endsAt": "2026-03-04T17:00:00Z",
                "value": 40,
            },
            "endsAt",
        ),
        (
            {
                "kind": "importLimit",
                "startsAt": "2026-03-04T17:00:00Z",
                "endsAt": "2026-03-04T19:00:00Z",
                "value": -1,
            },
            "value",
        ),
        (
            {
                "kind": "volts",
                "startsAt": "2026-03-04T17:00:00Z",
                "endsAt": "2026-03-04T19:00:00Z",
                "value": 1,
            },
            "kind",
        ),
    ):
        with pytest.raises(SiteModelError) as error:
            parse_grid_signal(document)
        assert field in fields_of(error)


def test_check_site_is_empty_for_a_good_site() -> None:
    assert check_site(EnergySite.model_validate(a_site())) == []


@pytest.mark.parametrize(("station_max", "each"), [(32, 10), (16, 8)])
def test_an_offline_two_evse_station_counts_each_evse_at_its_fail_safe_within_the_station_cap(
    station_max: float, each: float
) -> None:
    site = parse_site(a_site(circuits=[], failSafeCurrentAmps=10))
    station = StationPlacement.model_validate(a_station(evseIds=[1, 2], maxCurrentAmps=station_max))

    snapshot = site_snapshot(site, [station], [], NOW, offline_station_ids=["SIM-001"])

    assert [s.fixed_draw_amps for s in snapshot.sessions] == [each, each]
