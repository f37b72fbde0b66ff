"""Logger and metrics (one instance each per Lambda container), and the tracer for functions that use it.

Service name, log level and metrics namespace come from the standard powertools environment
variables (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

_SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "csms")

logger = Logger(service=_SERVICE)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Csms"), service=_SERVICE)


@lru_cache(maxsize=1)
def get_tracer() -> Tracer:
    """Built on first use: the X-Ray SDK costs 0.2 to 0.3 s of cold start, which the charger-facing
    functions (authorizer, $connect, $default) do not pay; Lambda's active tracing still records them."""
    from aws_lambda_powertools import Tracer

    return Tracer(service=_SERVICE)


HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


def tracing_enabled() -> bool:
    """powertools' own rule: tracing runs inside Lambda unless POWERTOOLS_TRACE_DISABLED is true."""
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() in ("1", "true")
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ and not disabled


def capture_lambda_handler_if_tracing(handler: HandlerT) -> HandlerT:
    """The tracer's handler decorator where tracing is on; elsewhere (tests, the local platform) the
    X-Ray SDK is never imported."""
    if not tracing_enabled():
        return handler
    return cast(HandlerT, get_tracer().capture_lambda_handler(handler))
