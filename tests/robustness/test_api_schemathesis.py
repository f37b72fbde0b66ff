"""Issue 18 item 15: schemathesis against the OpenAPI document, through the Lambda handler on moto.

Every documented operation is exercised with examples generated from its schema (valid and invalid,
bounded and seeded so that the run is the same each time): no answer may be a 5xx, and every answer
must be a documented status with the documented body.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.catalog import OPENAPI_PATH
from tests.builders import PlatformUnderTest
from tests.robustness.api_client import operator_api_on_moto, send, wsgi_app

MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))
"""Per operation and generation mode (valid and invalid input). Raise it for a longer run."""
PHASES = os.environ.get("API_FUZZ_PHASES", "examples,fuzzing").split(",")
"""schemathesis' coverage phase (every boundary of every field) finds more and takes minutes."""

schema = schemathesis.openapi.from_wsgi(OPENAPI_PATH, wsgi_app)
schema.config.generation.update(modes=list(GenerationMode), max_examples=MAX_EXAMPLES, deterministic=True)
schema.config.phases.update(phases=PHASES)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with operator_api_on_moto() as test_platform:
        # Some records to find, so that not every generated request ends in 404
        send("POST", "/v1/sites", body={"siteId": "depot-1", "name": "Depot"})
        send("POST", "/v1/stations", body={"stationId": "CP-1", "siteId": "depot-1"})
        send("POST", "/v1/id-tokens", body={"idToken": "TAG-1"})
        yield test_platform


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_operation_answers_as_documented(case: schemathesis.Case, env: PlatformUnderTest) -> None:
    response = case.call()
    case.validate_response(response, checks=CHECKS)
