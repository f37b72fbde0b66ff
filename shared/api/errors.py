"""Domain and validation errors become JSON HTTP errors here, and only here.

Every error body is ``{"message": ..., "errors": [...]}`` (``errors`` only for invalid fields), the
``ErrorBody`` schema the OpenAPI document promises for each status listed in ``STATUS_BY_ERROR``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from shared.api.idempotency import IdempotencyKeyInUseError, IdempotencyKeyReusedError
from shared.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    PayloadTooLargeError,
    PaymentFailedError,
)

STATUS_BY_ERROR: dict[type[DomainError], HTTPStatus] = {
    NotFoundError: HTTPStatus.NOT_FOUND,
    AlreadyExistsError: HTTPStatus.CONFLICT,
    ConflictError: HTTPStatus.CONFLICT,
    ForbiddenError: HTTPStatus.FORBIDDEN,
    InvalidRequestError: HTTPStatus.BAD_REQUEST,
    PayloadTooLargeError: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    PaymentFailedError: HTTPStatus.PAYMENT_REQUIRED,
    IdempotencyKeyInUseError: HTTPStatus.CONFLICT,
    IdempotencyKeyReusedError: HTTPStatus.UNPROCESSABLE_ENTITY,
}


def error_response(status: HTTPStatus, message: str, **extra: object) -> Response[dict[str, object]]:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body={"message": message, **extra}
    )


def _field_path(location: tuple[object, ...]) -> str:
    # loc is ("body", "stationId") or ("query", "limit"): say where, then which field.
    parts = [str(part) for part in location]
    if parts and parts[0] == "body" and all(part.isdigit() for part in parts[1:]):
        return "body"  # pydantic points JSON syntax errors at a character offset
    return f"{parts[0]} field '{'.'.join(parts[1:])}'" if len(parts) > 1 else parts[0] if parts else "request"


def _problem(problem: dict[str, Any]) -> dict[str, str]:
    return {
        "field": _field_path(tuple(problem.get("loc", ()))),
        "problem": str(problem.get("msg", problem.get("type"))),
    }


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(DomainError)
    def handle_domain_error(error: DomainError) -> Response[dict[str, object]]:
        status = next(
            (code for kind, code in STATUS_BY_ERROR.items() if isinstance(error, kind)),
            HTTPStatus.BAD_REQUEST,
        )
        return error_response(status, error.message)

    @app.exception_handler(RequestUnsupportedContentType)
    def handle_content_type(error: RequestUnsupportedContentType) -> Response[dict[str, object]]:
        return error_response(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "body: send application/json")

    @app.exception_handler(RequestValidationError)
    def handle_validation_error(error: RequestValidationError) -> Response[dict[str, object]]:
        problems = [_problem(problem) for problem in error.errors()]
        first = problems[0] if problems else {"field": "request", "problem": "invalid"}
        return error_response(
            HTTPStatus.BAD_REQUEST, f"{first['field']}: {first['problem']}", errors=problems
        )

    @app.exception_handler(ValueError)
    def handle_body_in_another_format(error: ValueError) -> Response[dict[str, object]]:
        # powertools parses form and multipart bodies itself, and raises ValueError on a malformed
        # one (a multipart body without boundary) before any route runs. Every body here is JSON.
        content_type = app.current_event.headers.get("content-type") or ""
        if content_type and not content_type.lower().startswith("application/json"):
            return error_response(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "body: send application/json")
        raise error

    @app.exception_handler(UnicodeDecodeError)
    def handle_undecodable_body(error: UnicodeDecodeError) -> Response[dict[str, object]]:
        # API Gateway hands a body that is not UTF-8 over base64-encoded; powertools decodes it as
        # UTF-8 before any route runs. Our own code decodes nothing else.
        return error_response(HTTPStatus.BAD_REQUEST, f"body: not UTF-8 text (byte {error.start})")

    @app.not_found
    def handle_not_found(_: Exception) -> Response[dict[str, object]]:
        return error_response(
            HTTPStatus.NOT_FOUND, f"no route {app.current_event.http_method} {app.current_event.path}"
        )
