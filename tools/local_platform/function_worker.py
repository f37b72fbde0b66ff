"""One Lambda function's execution environment: a process with exactly the environment CDK gives that
function, its own warm-container state (module caches, clients), and the catalog's grants enforced on
every AWS request it makes.

Started by :class:`tools.local_platform.lambda_runtime.ProcessFunction` from a fork server that has the
heavy third-party modules imported already (``worker_preload``), so a cold start costs our own imports
only. Requests and answers travel as JSON text over a multiprocessing pipe: a handler's event and return
value go through ``json`` exactly as the Lambda runtime's do, so a value Lambda could not serialize fails
here too. The platform gives each environment one invocation at a time, as Lambda gives a container
(``lambda_runtime.ScalingFunction`` starts more environments when all are busy): handlers may keep
per-invocation state in globals, as powertools' resolver does.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from shared.catalog import FunctionSpec
from tools.local_platform.grants import GrantPolicy, Resources, install_grant_hook, set_process_policy
from tools.local_platform.lambda_context import LambdaContext, import_handler

READY = "ready"
UNAVAILABLE = "unavailable"
RESULT = "result"


def error_payload(error: BaseException) -> dict[str, Any]:
    """The body Lambda returns for an unhandled exception (``FunctionError: Unhandled``)."""
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": "",
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


def serve(
    connection: Connection,
    spec: FunctionSpec,
    environment: dict[str, str],
    resources: Resources,
    concurrency: int,
    invoked_function_arn: str,
) -> None:
    # Ctrl-C reaches the whole process group; the platform stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):  # Linux: ps and top show the function's name (15 characters)
        Path("/proc/self/comm").write_text(spec.name[:15])
    os.environ.clear()
    os.environ.update(environment)
    set_process_policy(GrantPolicy(spec, resources))
    install_grant_hook()
    try:
        handler = import_handler(spec.handler)
    except Exception as error:
        connection.send((UNAVAILABLE, str(error)))
        return
    connection.send((READY,))

    sending = threading.Lock()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=spec.name)

    def run(request_id: int, event_text: str, aws_request_id: str) -> None:
        context = LambdaContext(
            function_name=spec.name,
            memory_limit_in_mb=spec.memory_mb,
            invoked_function_arn=invoked_function_arn,
            aws_request_id=aws_request_id,
            timeout_seconds=spec.timeout_seconds,
        )
        try:
            result = handler(json.loads(event_text), context)
            answer: tuple[Any, ...] = (RESULT, request_id, True, json.dumps(result))
        except Exception as error:
            payload = error_payload(error)
            payload["requestId"] = aws_request_id
            traceback.print_exception(error)
            answer = (RESULT, request_id, False, json.dumps(payload))
        with sending:
            connection.send(answer)

    try:
        while True:
            try:
                message = connection.recv()
            except (EOFError, OSError):
                break  # the platform died
            if message is None:
                break  # the platform stops
            request_id, event_text, aws_request_id = message
            pool.submit(run, request_id, event_text, aws_request_id or str(uuid.uuid4()))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        os._exit(0)  # invocations still running die with the environment, as a recycled container's do
