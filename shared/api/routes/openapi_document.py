"""/v1/openapi.json: the document, served without a token."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.api import openapi
from shared.catalog import OPENAPI_PATH

router = Router()
_document: dict[str, Any] | None = None


@router.get(OPENAPI_PATH, include_in_schema=False)
def openapi_document() -> Response[dict[str, Any]]:
    global _document
    if _document is None:
        # Built once per container; router.api_resolver is the app that included this router.
        _document = openapi.build_document(router.api_resolver)  # type: ignore[arg-type]
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=_document)
