"""The driver app's pure rules: distances, which sites are near, and what a station shows as available."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.domain.sites import Site
from shared.domain.stations import (
    Connection,
    ConnectorState,
    EvseAvailability,
    OperationalStatus,
    connector_key,
)
from shared.management.driver import haversine_km, sites_within, station_availability
from tests.builders import T0, a_station

GRACE = timedelta(minutes=5)


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ((52.5200, 13.4050), (48.1372, 11.5756), 504.2),  # Berlin - Munich
        ((51.5074, -0.1278), (40.7128, -74.0060), 5570.2),  # London - New York
        ((0.0, 179.9), (0.0, -179.9), 22.2),  # across the antimeridian
        ((10.0, 10.0), (10.0, 10.0), 0.0),
    ],
)
def test_haversine_distances(a: tuple[float, float], b: tuple[float, float], km: float) -> None:
    assert haversine_km(*a, *b) == pytest.approx(km, abs=1.0)
    assert haversine_km(*a, *b) == pytest.approx(haversine_km(*b, *a))


def _site(site_id: str, latitude: float | None, longitude: float | None) -> Site:
    return Site(
        tenant_id="t", site_id=site_id, name=site_id, latitude=latitude, longitude=longitude, created_at=T0
    )


def test_sites_within_a_radius_nearest_first_and_only_those_on_the_map() -> None:
    sites = [
        _site("far", 52.60, 13.40),  # ~9 km north
        _site("near", 52.53, 13.40),
        _site("unmapped", None, None),
        _site("out", 53.50, 13.40),  # ~109 km
    ]
    found = sites_within(sites, 52.52, 13.40, radius_km=10)
    assert [site.site_id for site, _ in found] == ["near", "far"]
    assert found[0][1] == pytest.approx(1.1, abs=0.1)


def _connector(evse_id: int, status: str, connector_id: int = 1) -> tuple[str, ConnectorState]:
    return connector_key(evse_id, connector_id), ConnectorState(
        evse_id=evse_id, connector_id=connector_id, status=status, reported_at=T0
    )


def _online(**overrides: object) -> dict[str, object]:
    return {"connection": Connection(connection_id="c", protocol="ocpp1.6", connected_at=T0), **overrides}


def test_an_online_station_shows_each_evse_and_what_is_available() -> None:
    station = a_station(
        **_online(
            connectors=dict(
                [_connector(1, "Available"), _connector(2, "Charging"), _connector(3, "Preparing")]
            )
        )
    )
    availability = station_availability(station, T0, GRACE)
    assert availability.state == "online"
    assert [(c.connector_id, c.status, c.available) for c in availability.connectors] == [
        (1, "Available", True),
        (2, "Charging", False),
        (3, "Preparing", False),
    ]
    assert availability.available_connectors == 1


def test_an_evse_with_one_free_connector_of_two_is_available() -> None:
    station = a_station(
        **_online(connectors=dict([_connector(1, "Occupied", 1), _connector(1, "Available", 2)]))
    )
    assert station_availability(station, T0, GRACE).available_connectors == 1


def test_a_faulted_connector_makes_the_station_faulted_and_an_inoperative_evse_unavailable() -> None:
    station = a_station(
        **_online(
            connectors=dict([_connector(1, "Faulted"), _connector(2, "Available")]),
            availability={
                "2": EvseAvailability(
                    evse_id=2, operational_status=OperationalStatus.INOPERATIVE, changed_at=T0
                )
            },
        )
    )
    availability = station_availability(station, T0, GRACE)
    assert availability.state == "faulted"
    assert [(c.status, c.available) for c in availability.connectors] == [
        ("Faulted", False),
        ("Unavailable", False),
    ]


def test_a_disconnected_station_has_nothing_available() -> None:
    station = a_station(connectors=dict([_connector(1, "Available")]), disconnected_at=T0)
    assert station_availability(station, T0 + timedelta(minutes=1), GRACE).state == "reconnecting"
    gone = station_availability(station, T0 + timedelta(hours=1), GRACE)
    assert gone.state == "offline" and gone.available_connectors == 0
