"""The local runtime scales a function as Lambda does: concurrent invocations never share an
environment while another may be started (an environment handles one invocation at a time)."""

from __future__ import annotations

import concurrent.futures
import threading
import time
from typing import Any, cast

from tools.local_platform.lambda_runtime import ProcessFunction, ScalingFunction


class SlowStartingEnvironment:
    """Registers its invocation only after a cold start, as a worker process does."""

    spec = object()

    def __init__(self) -> None:
        self.invocations: list[str] = []
        self._reserved = 0
        self._running = 0
        self._lock = threading.Lock()

    @property
    def busy(self) -> int:
        with self._lock:
            return self._running + self._reserved

    def reserve(self) -> None:
        with self._lock:
            self._reserved += 1

    def submit(self, event_text: str, *, reserved: bool = False) -> concurrent.futures.Future[Any]:
        time.sleep(0.05)  # the cold start, before the invocation counts as running
        with self._lock:
            self._reserved -= 1 if reserved else 0
            self._running += 1
            self.invocations.append(event_text)
        done: concurrent.futures.Future[Any] = concurrent.futures.Future()
        done.set_result(None)
        return done


def test_concurrent_invocations_take_different_environments() -> None:
    made: list[SlowStartingEnvironment] = []

    def make() -> ProcessFunction:
        made.append(SlowStartingEnvironment())
        return cast(ProcessFunction, made[-1])

    function = ScalingFunction(make, max_environments=4)
    start = threading.Barrier(3)

    def invoke(name: str) -> None:
        start.wait()
        function.submit(name)

    threads = [threading.Thread(target=invoke, args=(f"event-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(len(environment.invocations) for environment in made) == [1, 1, 1]
