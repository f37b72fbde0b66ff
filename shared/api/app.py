"""The operator API resolver: one Router per resource, the caller and the platform injected with
``Depends``, errors mapped in one place, OpenAPI generated from the code.

Tests replace the platform with ``app.dependency_overrides[current_platform] = lambda: ...``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig

from shared.api import openapi
from shared.api.body import parse_json_body
from shared.api.errors import register_error_handlers
from shared.api.idempotency import IDEMPOTENCY_HEADER
from shared.api.routes import (
    alerts,
    billing,
    billing_records,
    commands,
    diagnostics,
    driver,
    energy,
    firmware,
    id_tokens,
    onboarding,
    openapi_document,
    sessions,
    sites,
    station_control,
    station_data,
    stations,
    vehicles,
)
from shared.settings import get_settings

_origins = get_settings().cors_allowed_origins
# Browsers send CORS preflights without a token; the resolver answers them (204) before any route.
app = APIGatewayHttpResolver(
    enable_validation=True,
    json_body_deserializer=parse_json_body,
    cors=CORSConfig(
        allow_origin=_origins[0] if _origins else "*",
        extra_origins=_origins[1:],
        allow_headers=["Authorization", "Content-Type", IDEMPOTENCY_HEADER],
        max_age=3600,
    ),
)
openapi.configure(app)
register_error_handlers(app)
for resource in (
    openapi_document,
    sites,
    energy,
    onboarding,
    stations,
    id_tokens,
    sessions,
    commands,
    station_control,
    station_data,
    firmware,
    diagnostics,
    alerts,
    billing,
    billing_records,
    vehicles,
    driver,
):
    app.include_router(resource.router)


def _decoded_path(raw_path: str) -> str:
    """HTTP API hands the path over percent-encoded (rawPath): ``/v1/stations/SIM%2D001`` must reach the
    route as ``SIM-001``. Each segment is decoded on its own, so an encoded '/' never splits a segment."""
    return "/".join(unquote(segment).replace("/", "%2F") for segment in raw_path.split("/"))


def resolve(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if isinstance(event.get("rawPath"), str):
        event = {**event, "rawPath": _decoded_path(event["rawPath"])}
    return app.resolve(event, context)
