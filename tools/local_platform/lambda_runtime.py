"""Runs the platform's Lambda handlers in-process, the way the Lambda service would call them.

Handlers are resolved lazily from the import paths in ``shared.catalog`` so the platform starts
even when a function is not written yet; the first event routed to it fails like a broken
deployment would (HTTP 500 / refused connection) and the log says which import failed.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from shared.catalog import FunctionSpec

Handler = Callable[[dict[str, Any], Any], Any]

log = logging.getLogger(__name__)


class FunctionUnavailableError(Exception):
    """The handler's module or attribute cannot be imported."""


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


class LambdaRuntime:
    """Resolves handlers by function name and invokes them on a thread pool."""

    def __init__(
        self,
        functions: Sequence[FunctionSpec],
        *,
        region: str,
        account_id: str,
        overrides: Mapping[str, Handler] | None = None,
        workers: int = 16,
    ) -> None:
        self._specs = {spec.name: spec for spec in functions}
        self._region = region
        self._account_id = account_id
        self._resolved: dict[str, Handler] = dict(overrides or {})
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lambda")

    def spec(self, function_name: str) -> FunctionSpec:
        return self._specs[function_name]

    def resolve(self, function_name: str) -> Handler:
        handler = self._resolved.get(function_name)
        if handler is None:
            handler = import_handler(self._specs[function_name].handler)
            self._resolved[function_name] = handler
        return handler

    def context_for(self, function_name: str) -> LambdaContext:
        spec = self._specs[function_name]
        return LambdaContext(
            function_name=spec.name,
            memory_limit_in_mb=spec.memory_mb,
            invoked_function_arn=(f"arn:aws:lambda:{self._region}:{self._account_id}:function:{spec.name}"),
            aws_request_id=str(uuid.uuid4()),
            timeout_seconds=spec.timeout_seconds,
        )

    async def invoke(self, function_name: str, event: dict[str, Any]) -> Any:
        """Run the handler; its exceptions propagate as the Lambda service reports a function error."""
        handler = self.resolve(function_name)
        context = self.context_for(function_name)
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        try:
            return await loop.run_in_executor(self._executor, handler, event, context)
        finally:
            log.debug("%s took %.1f ms", function_name, (time.monotonic() - started) * 1000)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
