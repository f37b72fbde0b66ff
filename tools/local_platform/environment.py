"""The environments the local Lambdas see.

``function_environment`` is one function's, built from its ``FunctionSpec`` exactly as infra/functions.py
and infra/workflows.py build it for the deployed function (tests/infra compares the two), plus what the
Lambda runtime itself sets and the local endpoints. ``platform_environment`` is this process's while the
platform runs: the union of every function's (for handlers run in-process) and moto's settings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shared.catalog import FunctionSpec
from shared.workflows.definitions import WorkflowSpec
from tools.local_platform.aws_backend import DUMMY_CREDENTIALS, EVENT_BUS_NAME, default_settings

SERVICE_NAME = "csms"
METRICS_NAMESPACE = "Csms"
"""As infra/constants.py: POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE."""
DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 300
"""As infra/constants.py DEFAULT_HEARTBEAT_INTERVAL_SECONDS (the stack always sets it)."""

# botocore derives these names from each service's id (EventBridge, SFN); the EVENTS/STEPFUNCTIONS
# spellings are set as well for code that reads them itself.
_MOTO_SERVICES = ("DYNAMODB", "EVENTS", "EVENTBRIDGE", "STEPFUNCTIONS", "SFN", "SQS")


@dataclass(frozen=True)
class LocalEndpoints:
    moto_url: str | None
    management_api_url: str
    region: str
    account_id: str
    log_level: str = "INFO"
    heartbeat_interval_seconds: int = DEFAULT_HEARTBEAT_INTERVAL_SECONDS
    state_machine_arns: Mapping[str, str] = field(default_factory=dict)
    """Workflow name → local state machine ARN."""
    charger_url: str = "ws://127.0.0.1:9000/ocpp"
    """What chargers connect to (the gateway's ``/ocpp`` path)."""
    extra: Mapping[str, str] = field(default_factory=dict)
    """Set for every function (like a CDK context value that reaches every function's environment)."""


def catalog_environment(spec: FunctionSpec, endpoints: LocalEndpoints) -> dict[str, str]:
    """What the stack sets for this function: nothing the catalog does not grant it."""
    settings = default_settings()
    environment = {
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_LOG_LEVEL": endpoints.log_level,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "HEARTBEAT_INTERVAL_SECONDS": str(endpoints.heartbeat_interval_seconds),
    }
    for table in spec.tables:
        environment[table.env_var] = settings.table_name(table)
    if spec.manages_connections:
        environment["MANAGEMENT_API_ENDPOINT"] = endpoints.management_api_url
    if spec.publishes_events:
        environment["EVENT_BUS_NAME"] = EVENT_BUS_NAME
    if spec.tells_charger_url:
        environment["OCPP_PUBLIC_URL"] = endpoints.charger_url
    for workflow in spec.starts_workflows:
        arn = endpoints.state_machine_arns.get(workflow, "")
        environment[WorkflowSpec.arn_env_var_for(workflow)] = arn
    return environment


def runtime_environment(spec: FunctionSpec, endpoints: LocalEndpoints) -> dict[str, str]:
    """What the Lambda runtime sets (reserved variables), with dummy credentials, and the local endpoints."""
    environment = {
        "AWS_REGION": endpoints.region,
        "AWS_DEFAULT_REGION": endpoints.region,
        "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
        "LAMBDA_TASK_ROOT": str(Path(__file__).resolve().parents[2]),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        # No X-Ray daemon locally; in the cloud the functions trace (Tracing.ACTIVE).
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    if endpoints.moto_url:
        for service in _MOTO_SERVICES:
            environment[f"AWS_ENDPOINT_URL_{service}"] = endpoints.moto_url
    return environment


def function_environment(spec: FunctionSpec, endpoints: LocalEndpoints) -> dict[str, str]:
    return {**runtime_environment(spec, endpoints), **catalog_environment(spec, endpoints), **endpoints.extra}


def platform_environment(functions: tuple[FunctionSpec, ...], endpoints: LocalEndpoints) -> dict[str, str]:
    """This process's environment while the platform runs: every function's variables (in-process
    handlers read them), moto's account, and moto's own port for the Step Functions interpreter."""
    environment: dict[str, str] = {}
    for spec in functions:
        environment.update(catalog_environment(spec, endpoints))
    environment.update(
        {
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
            "AWS_REGION": endpoints.region,
            "AWS_DEFAULT_REGION": endpoints.region,
            "POWERTOOLS_TRACE_DISABLED": "true",
            # moto answers for this account (events' "account", ARNs) whatever the access key.
            "MOTO_ACCOUNT_ID": endpoints.account_id,
            **endpoints.extra,
        }
    )
    environment.update(default_settings().table_environment())
    if endpoints.moto_url:
        for service in _MOTO_SERVICES:
            environment[f"AWS_ENDPOINT_URL_{service}"] = endpoints.moto_url
        # The Step Functions interpreter sends service integrations to localhost:$MOTO_PORT.
        environment["MOTO_PORT"] = endpoints.moto_url.rsplit(":", 1)[1]
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
