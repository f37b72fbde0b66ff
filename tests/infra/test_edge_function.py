"""The CloudFront Function's JavaScript, run under node with CloudFront-shaped events.

Station ids are checked against shared.domain.stations.STATION_ID_PATTERN at the edge already.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from infra.constants import WEBSOCKET_STAGE_NAME
from infra.ocpp_edge import edge_function_code
from shared.catalog import STATION_ID_QUERY_PARAMETER

pytestmark = [
    pytest.mark.infra,
    pytest.mark.xdist_group("infra"),
    pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run the CloudFront Function"),
]


def run_edge_function(uri: str, querystring: dict[str, Any] | None = None) -> dict[str, Any]:
    event = {
        "version": "1.0",
        "context": {"eventType": "viewer-request"},
        "viewer": {"ip": "192.0.2.1"},
        "request": {
            "method": "GET",
            "uri": uri,
            "querystring": querystring or {},
            "headers": {"sec-websocket-protocol": {"value": "ocpp1.6"}},
            "cookies": {},
        },
    }
    script = edge_function_code(WEBSOCKET_STAGE_NAME) + (
        f"\nprocess.stdout.write(JSON.stringify(handler({json.dumps(event)})));\n"
    )
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=30)
    output: dict[str, Any] = json.loads(result.stdout)
    return output


def test_station_id_moves_from_the_path_to_the_query_string() -> None:
    request = run_edge_function("/ocpp/CP-001")
    assert request["uri"] == f"/{WEBSOCKET_STAGE_NAME}"
    assert request["querystring"] == {STATION_ID_QUERY_PARAMETER: {"value": "CP-001"}}
    assert request["headers"]["sec-websocket-protocol"] == {"value": "ocpp1.6"}


def test_trailing_slash_is_tolerated() -> None:
    assert run_edge_function("/ocpp/CP-001/")["querystring"][STATION_ID_QUERY_PARAMETER]["value"] == "CP-001"


@pytest.mark.parametrize(
    ("path_segment", "query_value"),
    [("CP+1=a", "CP%2B1%3Da"), ("CP%2B1%3Da", "CP%2B1%3Da"), ("cp@site.example|2", "cp%40site.example%7C2")],
)
def test_ids_reach_the_origin_as_one_encoded_value(path_segment: str, query_value: str) -> None:
    # '+' would decode to a space and '=' could start a second parameter: both are re-encoded
    request = run_edge_function(f"/ocpp/{path_segment}")
    assert request["querystring"] == {STATION_ID_QUERY_PARAMETER: {"value": query_value}}


def test_a_client_supplied_station_id_is_overwritten() -> None:
    request = run_edge_function(
        "/ocpp/CP-001", {STATION_ID_QUERY_PARAMETER: {"value": "SOMEONE-ELSE"}, "x": {"value": "1"}}
    )
    assert request["querystring"] == {STATION_ID_QUERY_PARAMETER: {"value": "CP-001"}}


@pytest.mark.parametrize(
    ("uri", "status"),
    [
        ("/", 404),
        ("/prod", 404),
        ("/other/CP-001", 404),
        ("/ocpp/", 400),
        ("/ocpp/site/CP-001", 400),
        ("/ocpp/%E0%A4%A", 400),
        ("/ocpp/%2Fetc", 400),
        ("/ocpp/" + "x" * 49, 400),
        ("/ocpp/CP%201", 400),
        ("/ocpp/CP%26x", 400),
    ],
)
def test_anything_else_is_refused_at_the_edge(uri: str, status: int) -> None:
    assert run_edge_function(uri)["statusCode"] == status
