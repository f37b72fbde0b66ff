def test_percent_encoded_path_segments_reach_the_route_decoded() -> None:
    """Found by the dashboard: GET /v1/stations/SIM%2D001 answered 404."""
    from shared.api.app import _decoded_path

    assert _decoded_path("/v1/stations/SIM%2D001") == "/v1/stations/SIM-001"
    assert _decoded_path("/v1/sessions/CP-1%3Areg%3A7") == "/v1/sessions/CP-1:reg:7"
    assert _decoded_path("/v1/stations/a%2Fb/commands") == "/v1/stations/a%2Fb/commands"
