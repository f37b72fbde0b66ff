"""What the Lambda Python runtime hands a handler: the context object, and the handler resolved from
its ``module.attribute`` setting."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]


class FunctionUnavailableError(Exception):
    """The handler's module or attribute cannot be imported (Lambda's Runtime.ImportModuleError)."""


@dataclass
class LambdaContext:
    """The attributes of the Lambda Python runtime's context object that handlers and powertools use."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    timeout_seconds: int
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def import_handler(import_path: str) -> Handler:
    module_name, _, attribute = import_path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
        handler: Handler = getattr(module, attribute)
    except (ImportError, AttributeError) as error:
        raise FunctionUnavailableError(f"cannot import {import_path}: {error}") from error
    return handler
