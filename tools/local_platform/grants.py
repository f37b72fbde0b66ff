"""IAM, as far as the catalog grants it: each function may call only what its ``FunctionSpec`` lists.

CDK turns a ``FunctionSpec`` into one least-privilege role (infra/functions.py, infra/workflows.py); this
module turns the same spec into a check that runs before every AWS request a function makes locally (a
botocore ``before-call`` hook), answering what AWS would answer to a missing grant: DynamoDB, EventBridge
and Step Functions ``AccessDeniedException`` (HTTP 400), the ``@connections`` API ``ForbiddenException``
(403). Requests made outside an invocation (the platform's own provisioning, tests' clients) pass.

What it checks is the identity-based policy CDK generates: DynamoDB actions per table (and its indexes)
from ``TABLE_ACCESS_ACTIONS``, ``events:PutEvents`` on the platform's bus, ``execute-api:ManageConnections``,
``states:StartExecution`` on the workflows the function starts, ``states:SendTask*``, the S3 actions of
``BUCKET_ACCESS_ACTIONS`` on the buckets it lists (presigning needs no request, so it is not checked: AWS
checks the signer's permissions when the URL is used, which moto does not), and reading the payment
provider's secret (``secretsmanager:GetSecretValue``, ``reads_payment_secret``). Any other service is
denied, as a role without that statement would be.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.handlers

from shared.catalog import BUCKET_ACCESS_ACTIONS, TABLE_ACCESS_ACTIONS, FunctionSpec
from shared.settings import default_bucket_environment
from shared.storage.buckets import ALL_BUCKETS, BucketDefinition
from shared.storage.tables import TableDefinition

_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_CONNECTION_OPERATIONS = frozenset({"PostToConnection", "GetConnection", "DeleteConnection"})
_TASK_RESPONSES = frozenset({"SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"})
_START_OPERATIONS = frozenset({"StartExecution", "StartSyncExecution"})
_S3_ACTIONS = {
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
}


def _local_buckets() -> dict[str, BucketDefinition]:
    names = default_bucket_environment()
    return {names[bucket.env_var]: bucket for bucket in ALL_BUCKETS}


@dataclass(frozen=True)
class Denial:
    status: int
    code: str
    message: str


@dataclass(frozen=True)
class Resources:
    """Where the catalog's grants point locally: table names, the bus, the state machines."""

    tables: Mapping[str, TableDefinition]
    """Local table name → its definition."""
    event_bus_name: str
    state_machine_names: Mapping[str, str]
    """State machine ARN → workflow name."""
    region: str
    account_id: str
    buckets: Mapping[str, BucketDefinition] = field(default_factory=_local_buckets)
    """Local bucket name → its definition."""


class GrantPolicy:
    """What one function may do; ``check`` returns the denial AWS would answer, or None."""

    def __init__(self, spec: FunctionSpec, resources: Resources) -> None:
        self.spec = spec
        self._resources = resources
        self._table_actions = {
            definition: {action.removeprefix("dynamodb:") for action in TABLE_ACCESS_ACTIONS[access]}
            for definition, access in spec.tables.items()
        }

    @property
    def role_arn(self) -> str:
        return (
            f"arn:aws:sts::{self._resources.account_id}:assumed-role/{self.spec.name}-role/{self.spec.name}"
        )

    def check(self, service: str, operation: str, request: Mapping[str, Any]) -> Denial | None:
        if service == "dynamodb":
            return self._dynamodb(operation, _json_body(request))
        if service == "eventbridge":
            return self._events(operation, _json_body(request))
        if service == "apigatewaymanagementapi":
            if operation in _CONNECTION_OPERATIONS and self.spec.manages_connections:
                return None
            return Denial(403, "ForbiddenException", "Forbidden")
        if service == "sfn":
            return self._states(operation, _json_body(request))
        if service == "secrets-manager" and operation == "GetSecretValue" and self.spec.reads_payment_secret:
            return None  # CDK grants read on the payment provider's one secret
        if service == "s3":
            return self._s3(operation, str(request.get("bucket", "")))
        return self._denied(f"{service}:{operation}", "*")

    def _s3(self, operation: str, bucket_name: str) -> Denial | None:
        action = _S3_ACTIONS.get(operation, f"s3:{operation}")
        definition = self._resources.buckets.get(bucket_name)
        access = self.spec.buckets.get(definition) if definition is not None else None
        if access is not None and action in BUCKET_ACCESS_ACTIONS[access]:
            return None
        denial = self._denied(action, f"arn:aws:s3:::{bucket_name}")
        return Denial(403, "AccessDenied", denial.message)

    def _denied(self, action: str, resource: str) -> Denial:
        return Denial(
            400,
            "AccessDeniedException",
            f"User: {self.role_arn} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action",
        )

    def _table_arn(self, name: str) -> str:
        return f"arn:aws:dynamodb:{self._resources.region}:{self._resources.account_id}:table/{name}"

    def _dynamodb(self, operation: str, body: Mapping[str, Any]) -> Denial | None:
        for table_name, action in _dynamodb_accesses(operation, body):
            definition = self._resources.tables.get(table_name)
            allowed = self._table_actions.get(definition, set()) if definition is not None else set()
            if action not in allowed:
                return self._denied(f"dynamodb:{action}", self._table_arn(table_name))
        return None

    def _events(self, operation: str, body: Mapping[str, Any]) -> Denial | None:
        bus = self._resources.event_bus_name
        bus_arn = f"arn:aws:events:{self._resources.region}:{self._resources.account_id}:event-bus/{bus}"
        if operation != "PutEvents" or not self.spec.publishes_events:
            return self._denied(f"events:{operation}", bus_arn)
        for entry in body.get("Entries", []):
            if entry.get("EventBusName", "default") not in (bus, bus_arn):
                return self._denied("events:PutEvents", str(entry.get("EventBusName", "default")))
        return None

    def _states(self, operation: str, body: Mapping[str, Any]) -> Denial | None:
        if operation in _TASK_RESPONSES and self.spec.completes_workflow_tasks:
            return None
        if operation in _START_OPERATIONS:
            arn = str(body.get("stateMachineArn", ""))
            workflow = self._resources.state_machine_names.get(arn)
            if workflow is not None and workflow in self.spec.starts_workflows:
                return None
            return self._denied(f"states:{operation}", arn or "*")
        return self._denied(f"states:{operation}", "*")


def _json_body(request: Mapping[str, Any]) -> Mapping[str, Any]:
    body = request.get("body") or b"{}"
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, Mapping) else {}


def _dynamodb_accesses(operation: str, body: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(table, action) pairs a DynamoDB request needs, as IAM authorises them."""
    if operation in ("BatchGetItem", "BatchWriteItem"):
        for table in body.get("RequestItems", {}):
            yield table, operation
    elif operation in ("TransactWriteItems", "TransactGetItems"):
        for item in body.get("TransactItems", []):
            for kind, request in item.items():
                yield request.get("TableName", ""), _TRANSACT_ACTIONS.get(kind, "GetItem")
    else:
        yield str(body.get("TableName", "")), operation


# --- the hook ----------------------------------------------------------------------------------

_current = threading.local()
_installed = False
_install_lock = threading.Lock()
_process_policy: GrantPolicy | None = None


def current_policy() -> GrantPolicy | None:
    """The invoking function's policy: the thread's (in-process functions) or the process's (a worker)."""
    policy: GrantPolicy | None = getattr(_current, "policy", None)
    return policy if policy is not None else _process_policy


@contextmanager
def invoking(policy: GrantPolicy) -> Iterator[None]:
    """Marks the current thread as running ``policy``'s function (in-process invocations)."""
    previous = getattr(_current, "policy", None)
    _current.policy = policy
    try:
        yield
    finally:
        _current.policy = previous


def set_process_policy(policy: GrantPolicy) -> None:
    """A function worker process runs one function: every request it makes is that function's."""
    global _process_policy
    _process_policy = policy


class _HttpResponse:
    """What botocore reads of an HTTP response when a ``before-call`` handler answers instead."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}
        self.content = b""
        self.raw = None


def _enforce(
    model: Any, params: Mapping[str, Any], context: Mapping[str, Any] | None = None, **_: Any
) -> tuple[_HttpResponse, dict[str, Any]] | None:
    policy = current_policy()
    if policy is None:
        return None
    service = model.service_model.service_id.hyphenize()
    if service == "s3":  # the bucket travels in the URL; botocore keeps the parameter in the context
        params = {**params, "bucket": ((context or {}).get("input_params") or {}).get("Bucket", "")}
    denial = policy.check(service, model.name, params)
    if denial is None:
        return None
    return _HttpResponse(denial.status), {
        "Error": {"Code": denial.code, "Message": denial.message},
        "ResponseMetadata": {"HTTPStatusCode": denial.status},
    }


def install_grant_hook() -> None:
    """Registers the check on every botocore session: those created from now on (botocore's built-in
    handlers) and boto3's default session if it exists already. Clients built before this call are not
    checked. Idempotent, and a no-op for requests made outside an invocation."""
    global _installed
    with _install_lock:
        if _installed:
            return
        botocore.handlers.BUILTIN_HANDLERS.append(("before-call", _enforce))
        if boto3.DEFAULT_SESSION is not None:
            boto3.DEFAULT_SESSION.events.register("before-call", _enforce)
        _installed = True
