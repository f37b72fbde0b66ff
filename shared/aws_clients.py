"""AWS clients built straight from botocore, once per warm container.

boto3 adds nothing the Lambdas use (no resources, no S3 transfers) but costs about a quarter of a
handler's import time (it loads s3transfer): the charger-facing functions start faster without it.
Region, credentials and endpoints come from the environment exactly as boto3 would read them
(``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL_<SERVICE>`` for moto locally).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.config import Config

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


def client(service: str, *, endpoint_url: str | None = None, config: Config | None = None) -> Any:
    # botocore sessions are not thread-safe while creating clients (the local platform runs handlers on
    # threads); created clients are.
    with _lock:
        return _session().create_client(service, endpoint_url=endpoint_url, config=config)
