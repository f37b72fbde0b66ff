"""Issue 18 item 15: the OpenAPI document says what the API answers. It promised a 422 for invalid
input (which is 400 here) and left out the 400/401/403/404/409 the API does answer."""

from __future__ import annotations

import re
from typing import Any

import pytest

from shared.api import openapi
from shared.api.app import app
from shared.catalog import HTTP_ROUTES, OPENAPI_PATH

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.build_document(app)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in document["paths"].items() for method, op in ops.items()]


def test_no_operation_promises_powertools_validation_errors(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ResponseValidationError" not in schemas
    for method, path, op in operations(document):
        unprocessable = op["responses"].get("422", {}).get("content", {}).get("application/json", {})
        assert unprocessable.get("schema") in (None, ERROR_REF), (method, path)


PUBLIC = {
    (route.method.lower(), re.sub(r"<(\w+)>", r"{\1}", route.path))
    for route in HTTP_ROUTES
    if not route.authorized and route.path != OPENAPI_PATH
}
"""A provider's signed webhook: no operator token, and its sender's own event id makes it idempotent."""


def test_every_operation_documents_the_errors_it_answers(document: dict[str, Any]) -> None:
    for method, path, op in operations(document):
        codes = set(op["responses"])
        if (method, path) in PUBLIC:
            assert "400" in codes and not op.get("security"), (method, path)
            continue
        assert {"400", "401", "403"} <= codes, (method, path)
        if "{" in path:
            assert "404" in codes, (method, path)
        if method == "post":
            assert {"409", "422", "415"} <= codes, (method, path)
            assert any(parameter["name"] == "Idempotency-Key" for parameter in op["parameters"]), path
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")):
                assert response["content"]["application/json"]["schema"] == ERROR_REF, (method, path, code)
        assert op["security"] == [{"bearer": []}]


def test_commands_document_the_frame_limit(document: dict[str, Any]) -> None:
    assert "413" in document["paths"]["/v1/stations/{station_id}/commands"]["post"]["responses"]


def test_registration_documents_what_to_type_into_the_charger(document: dict[str, Any]) -> None:
    created = document["paths"]["/v1/stations"]["post"]["responses"]["201"]["content"]["application/json"]
    assert created["schema"] == {"$ref": "#/components/schemas/StationRegistered"}
    fields = document["components"]["schemas"]["StationRegistered"]["properties"]
    assert {"ocppUrl", "subprotocols", "basicAuthUser", "password"} <= set(fields)


def test_error_body_schema(document: dict[str, Any]) -> None:
    error = document["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["message"] and set(error["properties"]) == {"message", "errors"}
