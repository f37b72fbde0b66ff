"""The environment the in-process Lambdas see, applied before any handler module is imported
(handlers read their settings and build their clients at cold start)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from tools.local_platform.aws_backend import DUMMY_CREDENTIALS, EVENT_BUS_NAME, default_settings


def lambda_environment(*, moto_url: str | None, management_api_url: str, region: str) -> dict[str, str]:
    environment = {
        "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "MANAGEMENT_API_ENDPOINT": management_api_url,
        "EVENT_BUS_NAME": EVENT_BUS_NAME,
        "POWERTOOLS_SERVICE_NAME": "csms",
        "POWERTOOLS_METRICS_NAMESPACE": "Csms",
        "POWERTOOLS_TRACE_DISABLED": "true",
        **default_settings().table_environment(),
    }
    if moto_url:
        # botocore derives these names from each service's id: EventBridge and SFN. The
        # EVENTS/STEPFUNCTIONS spellings are set as well for code that reads them itself.
        for service in ("DYNAMODB", "EVENTS", "EVENTBRIDGE", "STEPFUNCTIONS", "SFN"):
            environment[f"AWS_ENDPOINT_URL_{service}"] = moto_url
    return environment


class EnvironmentOverlay:
    """Applies variables to ``os.environ`` and restores the previous values on ``restore``, so a
    platform started inside a test run leaves the process as it found it."""

    def __init__(self, variables: Mapping[str, str]) -> None:
        self._variables = dict(variables)
        self._previous: dict[str, str | None] = {}

    def apply(self) -> None:
        for name, value in self._variables.items():
            self._previous.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def restore(self) -> None:
        for name, value in self._previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._previous.clear()
