"""Runs the platform's Lambda functions the way the Lambda service would call them.

Each catalog function runs in its own worker process (:class:`ProcessFunction`, see
``function_worker``): started on its first invocation (a cold start), with only the environment CDK
gives that function, its own module caches, and its grants enforced on every AWS request. Handlers that
tests pass as overrides (fakes, closures) run in this process instead (:class:`ThreadFunction`), with
the grants enforced per thread; ``isolation="thread"`` runs every function that way.

Events and results pass through ``json`` both ways, as in Lambda. A function error reaches the caller as
:class:`FunctionError` carrying Lambda's error payload; an invocation longer than the function's timeout
fails with ``Sandbox.Timedout`` (the worker's thread is not killed: the only deviation).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import json
import logging
import multiprocessing
import multiprocessing.context
import threading
import time
import traceback
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.catalog import FunctionSpec
from tools.local_platform import function_worker
from tools.local_platform.grants import GrantPolicy, Resources, install_grant_hook, invoking
from tools.local_platform.lambda_context import (
    FunctionUnavailableError,
    Handler,
    LambdaContext,
    import_handler,
)

log = logging.getLogger(__name__)

Isolation = Literal["process", "thread"]
__all__ = ["FunctionError", "FunctionUnavailableError", "Handler", "LambdaContext", "LambdaRuntime"]


@dataclass
class InvocationStats:
    """Per function: what ``csms-local`` prints when it stops (durations as the caller waited for them)."""

    invocations: int = 0
    errors: int = 0
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))

    def record(self, seconds: float, failed: bool) -> None:
        self.invocations += 1
        self.errors += failed
        self.recent.append(seconds)

    def summary(self) -> str:
        if not self.recent:
            return f"{self.invocations} invocations"
        ordered = sorted(self.recent)

        def at(share: float) -> float:
            return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

        return (
            f"{self.invocations} invocations, {self.errors} errors, "
            f"ms p50 {at(0.5):.0f} p95 {at(0.95):.0f} p99 {at(0.99):.0f} max {ordered[-1] * 1000:.0f}"
        )


class FunctionError(Exception):
    """The function failed; ``payload`` is what Lambda returns (errorType, errorMessage, stackTrace)."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        super().__init__(str(payload.get("errorMessage", "")))
        self.payload = dict(payload)

    @property
    def error_type(self) -> str:
        return str(self.payload.get("errorType", "Unhandled"))


def _timed_out(spec: FunctionSpec) -> FunctionError:
    return FunctionError(
        {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"Task timed out after {spec.timeout_seconds:.2f} seconds",
        }
    )


def _error_from(error: BaseException) -> FunctionError:
    payload = function_worker.error_payload(error)
    return FunctionError(payload)


class ThreadFunction:
    """A function run on this process's threads (test overrides, or ``isolation="thread"``)."""

    def __init__(
        self, spec: FunctionSpec, handler: Handler | None, executor: ThreadPoolExecutor, arn: str
    ) -> None:
        self.spec = spec
        self._handler = handler
        self._executor = executor
        self._arn = arn
        self.policy: GrantPolicy | None = None

    def _resolve(self) -> Handler:
        if self._handler is None:
            self._handler = import_handler(self.spec.handler)
        return self._handler

    def call(self, event_text: str) -> Any:
        """Runs the handler in the calling thread; raises FunctionError, FunctionUnavailableError."""
        handler = self._resolve()
        context = LambdaContext(
            function_name=self.spec.name,
            memory_limit_in_mb=self.spec.memory_mb,
            invoked_function_arn=self._arn,
            aws_request_id=str(uuid.uuid4()),
            timeout_seconds=self.spec.timeout_seconds,
        )
        try:
            if self.policy is None:
                result = handler(json.loads(event_text), context)
            else:
                with invoking(self.policy):
                    result = handler(json.loads(event_text), context)
            return json.loads(json.dumps(result))
        except Exception as error:
            raise _error_from(error) from error

    def submit(self, event_text: str) -> concurrent.futures.Future[Any]:
        return self._executor.submit(self.call, event_text)

    def begin_stop(self) -> None:
        pass

    def finish_stop(self, deadline: float) -> None:
        pass


class ProcessFunction:
    """A function in its own worker process; the process starts on the first invocation."""

    def __init__(
        self,
        spec: FunctionSpec,
        context: multiprocessing.context.BaseContext,
        arn: str,
        concurrency: int,
        environment: Callable[[], dict[str, str]],
        resources: Callable[[], Resources],
    ) -> None:
        self.spec = spec
        self._context = context
        self._arn = arn
        self._concurrency = concurrency
        self._environment = environment
        self._resources = resources
        self._lock = threading.Lock()
        self._connection: Any = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._pending: dict[int, concurrent.futures.Future[Any]] = {}
        self._ids = itertools.count()
        self._ready = threading.Event()
        self._unavailable: str | None = None
        self._reserved = 0
        self.cold_starts = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.is_alive() else None

    def _start(self) -> None:
        parent, child = self._context.Pipe(duplex=True)
        self._ready.clear()
        self._process = self._context.Process(  # type: ignore[attr-defined]
            target=function_worker.serve,
            args=(child, self.spec, self._environment(), self._resources(), self._concurrency, self._arn),
            name=f"lambda:{self.spec.name}",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._connection = parent
        self.cold_starts += 1
        threading.Thread(
            target=self._read, args=(parent,), name=f"{self.spec.name}-answers", daemon=True
        ).start()

    def _read(self, connection: Any) -> None:
        while True:
            try:
                message = connection.recv()
            except (EOFError, OSError):
                break
            if message[0] == function_worker.READY:
                self._ready.set()
            elif message[0] == function_worker.UNAVAILABLE:
                self._unavailable = str(message[1])
                log.error("%s cannot start: %s", self.spec.name, self._unavailable)
                break
            else:
                _, request_id, succeeded, text = message
                with self._lock:
                    future = self._pending.pop(request_id, None)
                if future is None or future.done():
                    continue
                if succeeded:
                    future.set_result(json.loads(text))
                else:
                    future.set_exception(FunctionError(json.loads(text)))
        self._connection_lost(connection)

    def _connection_lost(self, connection: Any) -> None:
        with self._lock:
            if self._connection is connection:
                self._connection = None
            pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                if self._unavailable is not None:
                    future.set_exception(FunctionUnavailableError(self._unavailable))
                else:
                    future.set_exception(
                        FunctionError({"errorType": "Runtime.ExitError", "errorMessage": "the worker exited"})
                    )

    @property
    def busy(self) -> int:
        """Invocations sent and not yet answered, and those a ``ScalingFunction`` chose it for."""
        with self._lock:
            return len(self._pending) + self._reserved

    def reserve(self) -> None:
        """Counts as busy until the reserved invocation is submitted (``submit(reserved=True)``)."""
        with self._lock:
            self._reserved += 1

    def submit(self, event_text: str, *, reserved: bool = False) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            if reserved:
                self._reserved -= 1
            if self._unavailable is not None:
                future.set_exception(FunctionUnavailableError(self._unavailable))
                return future
            if self._connection is None:
                self._start()
            request_id = next(self._ids)
            self._pending[request_id] = future
            try:
                self._connection.send((request_id, event_text, str(uuid.uuid4())))
            except (OSError, ValueError) as error:
                self._pending.pop(request_id, None)
                future.set_exception(
                    FunctionError({"errorType": "Runtime.ExitError", "errorMessage": str(error)})
                )
        return future

    def call(self, event_text: str, *, reserved: bool = False) -> Any:
        try:
            return self.submit(event_text, reserved=reserved).result(timeout=self.spec.timeout_seconds)
        except concurrent.futures.TimeoutError:
            raise _timed_out(self.spec) from None

    def begin_stop(self) -> None:
        """Asks the worker to exit; invocations still running are abandoned, as a recycled container's."""
        with self._lock:
            connection = self._connection
        if connection is not None:
            with contextlib.suppress(OSError, ValueError):
                connection.send(None)

    def finish_stop(self, deadline: float) -> None:
        with self._lock:
            process, self._process = self._process, None
            connection, self._connection = self._connection, None
        if process is not None:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(1.0)
        if connection is not None:
            connection.close()

    def stop(self) -> None:
        self.begin_stop()
        self.finish_stop(time.monotonic() + 1.0)


class ScalingFunction:
    """A function as Lambda runs it: each execution environment (worker process) handles one invocation
    at a time, and another is started when every existing one is busy, up to ``max_environments``
    (beyond that, invocations queue, where Lambda would throttle). Handlers may keep per-invocation
    state in module globals (powertools' resolver does), exactly as they may in Lambda."""

    def __init__(self, make_environment: Callable[[], ProcessFunction], max_environments: int) -> None:
        self._make = make_environment
        self._max = max(1, max_environments)
        self._environments: list[ProcessFunction] = []
        self._lock = threading.Lock()
        first = make_environment()
        self.spec = first.spec
        self._environments.append(first)

    @property
    def pid(self) -> int | None:
        return next((e.pid for e in self._environments if e.pid is not None), None)

    @property
    def cold_starts(self) -> int:
        return sum(e.cold_starts for e in self._environments)

    def _pick(self) -> ProcessFunction:
        """Chooses and reserves under one lock, so two concurrent invocations never both take the same
        idle environment; the chosen one's worker starts (a cold start) outside it."""
        with self._lock:
            idle = [e for e in self._environments if e.busy == 0]
            if idle:
                chosen = idle[0]
            elif len(self._environments) < self._max:
                chosen = self._make()
                self._environments.append(chosen)
            else:
                chosen = min(self._environments, key=lambda e: e.busy)
            chosen.reserve()
            return chosen

    def submit(self, event_text: str) -> concurrent.futures.Future[Any]:
        return self._pick().submit(event_text, reserved=True)

    def call(self, event_text: str) -> Any:
        return self._pick().call(event_text, reserved=True)

    def begin_stop(self) -> None:
        for environment in self._environments:
            environment.begin_stop()

    def finish_stop(self, deadline: float) -> None:
        for environment in self._environments:
            environment.finish_stop(deadline)

    def stop(self) -> None:
        self.begin_stop()
        self.finish_stop(time.monotonic() + 1.0)


_fork_server_lock = threading.Lock()


def worker_context() -> multiprocessing.context.BaseContext:
    """Workers fork from a server that has the heavy third-party modules imported (set once per process)."""
    with _fork_server_lock:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["tools.local_platform.worker_preload"])
        return context


class LambdaRuntime:
    """Resolves functions by name and runs them: ``invoke`` on the event loop, ``call`` from other threads."""

    def __init__(
        self,
        functions: Sequence[FunctionSpec],
        *,
        region: str,
        account_id: str,
        overrides: Mapping[str, Handler] | None = None,
        workers: int = 16,
        isolation: Isolation = "process",
        function_concurrency: int = 8,
    ) -> None:
        self._specs = {spec.name: spec for spec in functions}
        self._region = region
        self._account_id = account_id
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lambda")
        self._environment: Callable[[FunctionSpec], dict[str, str]] = lambda spec: {}
        self._resources: Resources | None = None
        self._hosts: dict[str, ThreadFunction | ScalingFunction] = {}
        self.stats: defaultdict[str, InvocationStats] = defaultdict(InvocationStats)
        overrides = dict(overrides or {})
        context = worker_context() if isolation == "process" else None
        for spec in functions:
            arn = self.function_arn(spec.name)
            if spec.name in overrides or context is None:
                self._hosts[spec.name] = ThreadFunction(spec, overrides.get(spec.name), self._executor, arn)
            else:
                self._hosts[spec.name] = ScalingFunction(
                    lambda spec=spec, arn=arn: ProcessFunction(  # type: ignore[misc]
                        spec,
                        context,
                        arn,
                        1,  # one invocation at a time per execution environment, as in Lambda
                        environment=lambda: self._environment(spec),
                        resources=self._require_resources,
                    ),
                    function_concurrency,
                )

    def configure(self, environment: Callable[[FunctionSpec], dict[str, str]], resources: Resources) -> None:
        """What the functions see and may touch, known once the platform's endpoints are up."""
        self._environment = environment
        self._resources = resources
        install_grant_hook()
        for host in self._hosts.values():
            if isinstance(host, ThreadFunction):
                host.policy = GrantPolicy(host.spec, resources)

    def _require_resources(self) -> Resources:
        if self._resources is None:
            raise RuntimeError("the runtime is not configured")
        return self._resources

    def function_arn(self, function_name: str) -> str:
        return f"arn:aws:lambda:{self._region}:{self._account_id}:function:{function_name}"

    def spec(self, function_name: str) -> FunctionSpec:
        return self._specs[function_name]

    def has(self, function_name: str) -> bool:
        return function_name in self._hosts

    def worker_pids(self) -> dict[str, int]:
        return {
            name: pid
            for name, host in self._hosts.items()
            if isinstance(host, ScalingFunction) and (pid := host.pid) is not None
        }

    async def invoke(self, function_name: str, event: dict[str, Any]) -> Any:
        """Run the function; its failure propagates as FunctionError (or FunctionUnavailableError)."""
        host = self._hosts[function_name]
        started = time.monotonic()
        failed = True
        try:
            future = host.submit(json.dumps(event))
            result = await asyncio.wait_for(asyncio.wrap_future(future), timeout=host.spec.timeout_seconds)
            failed = False
            return result
        except TimeoutError:
            raise _timed_out(host.spec) from None
        finally:
            self.stats[function_name].record(time.monotonic() - started, failed)

    def call(self, function_name: str, event: Any) -> Any:
        """Run the function from a thread that is not the event loop's (Step Functions tasks)."""
        return self._hosts[function_name].call(json.dumps(event))

    def shutdown(self, grace_seconds: float = 1.0) -> None:
        """Stops every worker within ``grace_seconds`` (then kills what is left)."""
        for host in self._hosts.values():
            host.begin_stop()
        deadline = time.monotonic() + grace_seconds
        for host in self._hosts.values():
            try:
                host.finish_stop(deadline)
            except Exception:
                log.warning("stopping %s failed: %s", host.spec.name, traceback.format_exc())
        self._executor.shutdown(wait=False, cancel_futures=True)
