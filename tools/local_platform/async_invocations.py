"""Lambda's asynchronous invocation (``InvocationType=Event``), which is how EventBridge invokes a rule's
target: queued, retried ``ASYNC_RETRY_ATTEMPTS`` times on a function error, then sent with the error to the
function's dead-letter queue (here an SQS queue in moto, ``<function>-async-dlq``).

AWS waits about one and then two minutes between attempts; locally the delays are ``retry_delays``
(seconds), short enough for tests.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from tools.local_platform.lambda_context import FunctionUnavailableError
from tools.local_platform.lambda_runtime import FunctionError, LambdaRuntime

log = logging.getLogger(__name__)

ASYNC_RETRY_ATTEMPTS = 2
"""As infra/constants.py ASYNC_RETRY_ATTEMPTS (the deployed functions' setting; tests/infra compares)."""
DEFAULT_RETRY_DELAYS = (1.0, 2.0)


class AsyncInvoker(Protocol):
    """What rule delivery and the scheduler need: Lambda's ``InvocationType=Event``."""

    def submit(self, function_name: str, event: dict[str, Any]) -> None: ...

    def provision_dead_letter_queue(self, function_name: str) -> str: ...


def dead_letter_queue_name(function_name: str) -> str:
    return f"{function_name}-async-dlq"


class AsyncInvocations:
    def __init__(
        self,
        runtime: LambdaRuntime,
        sqs: Any,
        *,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    ) -> None:
        if len(retry_delays) != ASYNC_RETRY_ATTEMPTS:
            raise ValueError(f"one delay per retry ({ASYNC_RETRY_ATTEMPTS})")
        self._runtime = runtime
        self._sqs = sqs
        self._delays = tuple(retry_delays)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._queue_urls: dict[str, str] = {}
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="async-dlq")
        self.outcomes: Counter[str] = Counter()
        """``succeeded``, ``retried``, ``dead_lettered`` (tests and the shutdown log read these)."""

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def provision_dead_letter_queue(self, function_name: str) -> str:
        url = self._queue_urls.get(function_name)
        if url is None:
            url = str(self._sqs.create_queue(QueueName=dead_letter_queue_name(function_name))["QueueUrl"])
            self._queue_urls[function_name] = url
        return url

    def submit(self, function_name: str, event: dict[str, Any]) -> None:
        """Accepts the event (HTTP 202 in Lambda) from any thread; the invocation happens later."""
        if self._loop is None:
            raise RuntimeError("not bound to an event loop")
        self._loop.call_soon_threadsafe(self._start, function_name, event)

    def _start(self, function_name: str, event: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._invoke(function_name, event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _invoke(self, function_name: str, event: dict[str, Any]) -> None:
        for attempt in range(ASYNC_RETRY_ATTEMPTS + 1):
            try:
                await self._runtime.invoke(function_name, event)
            except (FunctionError, FunctionUnavailableError) as error:
                if attempt < ASYNC_RETRY_ATTEMPTS:
                    self.outcomes["retried"] += 1
                    await asyncio.sleep(self._delays[attempt])
                    continue
                self.outcomes["dead_lettered"] += 1
                log.warning(
                    "%s failed %d times; event kept in its DLQ: %s", function_name, attempt + 1, error
                )
                await asyncio.get_running_loop().run_in_executor(
                    self._io, self._dead_letter, function_name, event, error
                )
                return
            self.outcomes["succeeded"] += 1
            return

    def send_dead_letter(self, function_name: str, body: str) -> None:
        """Parks ``body`` in the function's DLQ (a stream mapping's on-failure destination)."""
        self._sqs.send_message(QueueUrl=self.provision_dead_letter_queue(function_name), MessageBody=body)

    def _dead_letter(self, function_name: str, event: dict[str, Any], error: Exception) -> None:
        code = error.error_type if isinstance(error, FunctionError) else "Runtime.ImportModuleError"
        self._sqs.send_message(
            QueueUrl=self.provision_dead_letter_queue(function_name),
            MessageBody=json.dumps(event),
            # The attributes Lambda adds to a dead-lettered event.
            MessageAttributes={
                "RequestID": {"DataType": "String", "StringValue": "local"},
                "ErrorCode": {"DataType": "String", "StringValue": code},
                "ErrorMessage": {"DataType": "String", "StringValue": str(error)[:1000] or code},
            },
        )

    async def idle(self) -> None:
        """Waits until no invocation is pending (tests; wrap in ``asyncio.timeout``)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=1)
        self._io.shutdown(wait=False, cancel_futures=True)
