"""``Idempotency-Key`` on every POST, through powertools' idempotency utility.

A client that retries a POST with the same key gets the first answer again instead of a second
station, token or command. Keys are scoped per tenant (two tenants may pick the same key), and per
billing account for an account-scoped caller (a driver); the same key with a different request is
refused with 422 and a key whose first request is still running with 409, as
draft-ietf-httpapi-idempotency-key says. Only successful answers are kept: a request that failed may
be retried with its key. Records live in the IDEMPOTENCY table for 24 hours.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response

from shared.api.dependencies import Caller, PlatformDependency
from shared.domain.errors import DomainError, InvalidRequestError

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
else:
    APIGatewayHttpResolver = NextMiddleware = object

IDEMPOTENCY_HEADER = "Idempotency-Key"
KEEP_ANSWERS_SECONDS = 24 * 3600
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class IdempotencyKeyReusedError(DomainError):
    """The same Idempotency-Key with another request."""


class IdempotencyKeyInUseError(DomainError):
    """The first request with this key is still running."""


def idempotency_key(app: APIGatewayHttpResolver) -> str | None:
    key = app.current_event.headers.get(IDEMPOTENCY_HEADER)  # case-insensitive
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise InvalidRequestError(f"header {IDEMPOTENCY_HEADER}: 1 to 255 printable ASCII characters")
    return key


def idempotent_post(
    app: APIGatewayHttpResolver, next_middleware: NextMiddleware, caller: Caller, platform: PlatformDependency
) -> Response[Any]:
    key = idempotency_key(app)
    if key is None:
        return next_middleware(app)
    # Imported here: most requests carry no key, and the utility costs cold start.
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    from shared.storage.tables import IDEMPOTENCY

    config = IdempotencyConfig(
        event_key_jmespath="[tenant, key]",
        payload_validation_jmespath="request",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=KEEP_ANSWERS_SECONDS,
    )
    config.register_lambda_context(app.lambda_context)
    persistence = DynamoDBPersistenceLayer(
        table_name=platform.settings.table_name(IDEMPOTENCY), boto3_client=platform.dynamodb
    )

    def answer(request: dict[str, Any]) -> dict[str, Any]:
        response = next_middleware(app)
        return {
            "statusCode": response.status_code,
            "contentType": response.content_type,
            "body": response.body,
        }

    once = idempotent_function(
        data_keyword_argument="request",
        persistence_store=persistence,
        config=config,
        key_prefix="operator-api",
    )(answer)
    event = app.current_event
    try:
        kept = once(
            request={
                "tenant": caller.tenant_id,
                # An account-scoped caller (a driver) has keys of its own: another driver of the tenant
                # picking the same key must not get this one's answer.
                "key": key if caller.account_id is None else f"account:{caller.account_id}:{key}",
                "request": {"method": event.http_method, "path": event.path, "body": event.json_body},
            }
        )
    except IdempotencyValidationError as error:
        raise IdempotencyKeyReusedError(
            f"header {IDEMPOTENCY_HEADER}: this key was used for a different request"
        ) from error
    except IdempotencyAlreadyInProgressError as error:
        raise IdempotencyKeyInUseError(
            f"header {IDEMPOTENCY_HEADER}: the first request with this key is still being processed"
        ) from error
    return Response(status_code=kept["statusCode"], content_type=kept["contentType"], body=kept["body"])
