"""The OpenAPI document: powertools generates it from the routes; this finishes it so that it says
what the API does.

powertools adds a 422 ``HTTPValidationError`` answer to every route because validation is on; this
API answers invalid input with 400 and the ``ErrorBody`` schema instead (shared/api/errors.py), so
those are removed. Every POST documents its ``Idempotency-Key`` header (shared/api/idempotency.py).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from shared.api.idempotency import IDEMPOTENCY_HEADER

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

TITLE = "Serverless CSMS operator API"
DESCRIPTION = (
    "Stations, sites, ID tokens, sessions and commands of one tenant. Bearer JWT; the tenant comes from "
    "the token's tenant_id claim, roles (admin, operator, viewer, property_owner, energy_provider, "
    "fleet_manager, driver) from cognito:groups. Each operation's x-permission says what it needs and "
    "x-roles which roles hold it and how far: tenant (all of it), sites (the token's site_ids claim) or "
    "account (the billing account in its account_id claim). A record outside the caller's reach is 404, "
    "a list holds only what is within it."
)
_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_POWERTOOLS_VALIDATION_REF = "#/components/schemas/HTTPValidationError"
IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": "Retrying a POST with the same key (per tenant, for 24 hours) returns the first answer",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}


def configure(app: APIGatewayHttpResolver) -> None:
    """Document metadata; the security scheme is added when the document is built (its pydantic
    models cost cold start that only the document needs)."""
    app.configure_openapi(title=TITLE, version="1.0.0", description=DESCRIPTION)


def build_document(app: APIGatewayHttpResolver) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(app.get_openapi_json_schema())
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.get("responses", {})
            validation = responses.get("422", {})
            ref = validation.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
            if ref == _POWERTOOLS_VALIDATION_REF:
                del responses["422"]
            if method == "post":
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            if operation.get("x-permission"):
                operation["security"] = [{"bearer": []}]
    schemas = document.get("components", {}).get("schemas", {})
    for name in _VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    _drop_unreferenced(schemas, json.dumps(document.get("paths", {})))
    document.setdefault("components", {})["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    return document


def _drop_unreferenced(schemas: dict[str, Any], paths_text: str) -> None:
    """powertools also adds schemas for errors this API never answers (ResponseValidationError)."""
    text = paths_text + json.dumps(schemas)
    unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
    while unused:
        for name in unused:
            del schemas[name]
        text = paths_text + json.dumps(schemas)
        unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
