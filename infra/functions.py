"""Lambda: one function per ``shared.catalog.FUNCTIONS`` entry, each with its own least-privilege role.

The catalog says which tables a function reads or writes, whether it posts to ``@connections`` and
whether it publishes domain events; this module turns exactly that into IAM grants and environment
variables, so a permission is never granted that the catalog does not list.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, SecretValue
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as lambda_event_sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.bundling import CodeAssets
from infra.config import StackConfig
from infra.constants import (
    ASYNC_MAX_EVENT_AGE_SECONDS,
    ASYNC_RETRY_ATTEMPTS,
    DLQ_RETENTION_DAYS,
    DYNAMODB_READ_ACTIONS,
    DYNAMODB_WRITE_ACTIONS,
    METRICS_NAMESPACE,
    SERVICE_NAME,
    STREAM_BATCH_SIZE,
    STREAM_RETRY_ATTEMPTS,
)
from infra.log_groups import log_group
from infra.nag import acknowledge, arn_token, ref_token
from infra.naming import pascal_case
from infra.storage import Tables
from shared.catalog import BUCKET_ACCESS_ACTIONS, FUNCTIONS, FunctionSpec
from shared.settings import Settings
from shared.storage.buckets import BucketDefinition


def settings_env_var(field: str) -> str:
    """The environment variable behind a ``shared.settings.Settings`` field (fails loudly on a rename)."""
    if field not in Settings.model_fields:
        raise KeyError(f"shared.settings.Settings has no field {field!r}")
    return field.upper()


MANAGEMENT_API_ENDPOINT_ENV = settings_env_var("management_api_endpoint")
EVENT_BUS_NAME_ENV = settings_env_var("event_bus_name")
HEARTBEAT_INTERVAL_ENV = settings_env_var("heartbeat_interval_seconds")
STRIPE_SECRET_ENV = settings_env_var("stripe_secret_arn")
PAYMENT_SECRET_PLACEHOLDER = '{"apiKey": "", "webhookSecret": ""}'
"""Deployed empty (Stripe not configured); the operator puts the Stripe keys in after deploying."""


class Functions(Construct):
    """Python 3.11 on arm64, X-Ray active, powertools configured, a DLQ for asynchronous invocations."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: CodeAssets,
        tables: Tables,
        event_bus: events.IEventBus,
        connections_stage: apigwv2.WebSocketStage,
        config: StackConfig,
        buckets: Mapping[BucketDefinition, s3.IBucket] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._buckets = dict(buckets or {})
        self._code = code
        self._tables = tables
        self._event_bus = event_bus
        self._connections_stage = connections_stage
        self._config = config
        self._functions: dict[str, lambda_.Function] = {}
        self._dead_letter_queues: dict[str, sqs.Queue] = {}
        self.payment_secret: secretsmanager.Secret | None = None
        if any(spec.reads_payment_secret for spec in FUNCTIONS):
            self.payment_secret = self._payment_secret()
        for spec in FUNCTIONS:
            self._functions[spec.name] = self._function(spec)

    def _payment_secret(self) -> secretsmanager.Secret:
        secret = secretsmanager.Secret(
            self,
            "PaymentProviderSecret",
            description="Stripe API key and webhook signing secret (JSON: apiKey, webhookSecret); empty "
            "until an operator fills it in",
            secret_string_value=SecretValue.unsafe_plain_text(PAYMENT_SECRET_PLACEHOLDER),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "A Stripe API key is rotated in Stripe's dashboard, not by a Secrets Manager rotation Lambda; "
            "the operator replaces the secret value when they roll the key.",
        )
        return secret

    def function(self, spec: FunctionSpec) -> lambda_.Function:
        return self._functions[spec.name]

    @property
    def all(self) -> dict[str, lambda_.Function]:
        return dict(self._functions)

    @property
    def dead_letter_queues(self) -> dict[str, sqs.Queue]:
        return dict(self._dead_letter_queues)

    def _function(self, spec: FunctionSpec) -> lambda_.Function:
        scope = Construct(self, pascal_case(spec.name))
        role = iam.Role(
            scope,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{spec.name}: only what shared.catalog grants it",
        )
        logs_group = log_group(scope, "Logs")
        logs_group.grant_write(role)
        dead_letter_queue = sqs.Queue(
            scope,
            "AsyncDlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(DLQ_RETENTION_DAYS),
        )
        self._dead_letter_queues[spec.name] = dead_letter_queue

        function = lambda_.Function(
            scope,
            "Function",
            description=spec.description,
            runtime=lambda_.Runtime.PYTHON_3_11,
            architecture=lambda_.Architecture.ARM_64,
            handler=spec.handler,
            code=self._code.for_extras(spec.bundle_extras),
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            role=role,
            log_group=logs_group,
            tracing=lambda_.Tracing.ACTIVE,
            environment=self._environment(spec),
            dead_letter_queue=dead_letter_queue,
            retry_attempts=ASYNC_RETRY_ATTEMPTS,
            max_event_age=Duration.seconds(ASYNC_MAX_EVENT_AGE_SECONDS),
        )
        self._grant(spec, role)
        self._suppress(spec, role, function)
        if spec.stream_of is not None:
            # Batched, with partial batch responses: a failing record is retried alone, then parked in
            # the function's DLQ; the batching window bounds the projection's writes (shared.catalog).
            function.add_event_source(
                lambda_event_sources.DynamoEventSource(
                    self._tables.table(spec.stream_of),
                    starting_position=lambda_.StartingPosition.LATEST,
                    batch_size=STREAM_BATCH_SIZE,
                    max_batching_window=Duration.seconds(spec.stream_batching_window_seconds),
                    bisect_batch_on_error=True,
                    retry_attempts=STREAM_RETRY_ATTEMPTS,
                    report_batch_item_failures=True,
                    on_failure=lambda_event_sources.SqsDlq(dead_letter_queue),
                )
            )
        return function

    def _environment(self, spec: FunctionSpec) -> dict[str, str]:
        environment = {
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_LOG_LEVEL": self._config.log_level,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            HEARTBEAT_INTERVAL_ENV: str(self._config.heartbeat_interval_seconds),
        }
        for definition in spec.tables:
            environment[definition.env_var] = self._tables.table(definition).table_name
        for bucket in spec.buckets:
            environment[bucket.env_var] = self._bucket(bucket).bucket_name
        if spec.manages_connections:
            # Always the execute-api host: @connections through CloudFront or a custom domain is a 403.
            environment[MANAGEMENT_API_ENDPOINT_ENV] = self._connections_stage.callback_url
        if spec.publishes_events:
            environment[EVENT_BUS_NAME_ENV] = self._event_bus.event_bus_name
        if spec.reads_payment_secret and self.payment_secret is not None:
            environment[STRIPE_SECRET_ENV] = self.payment_secret.secret_arn
        return environment

    def _grant(self, spec: FunctionSpec, role: iam.Role) -> None:
        for definition, access in spec.tables.items():
            table = self._tables.table(definition)
            actions = DYNAMODB_READ_ACTIONS if access == "read" else DYNAMODB_WRITE_ACTIONS
            table.grant(role, *actions)  # the table and, if it has any, its indexes
        if spec.manages_connections:
            self._connections_stage.grant_management_api_access(role)
        if spec.publishes_events:
            self._event_bus.grant_put_events_to(role)
        for bucket_definition, bucket_access in spec.buckets.items():
            bucket = self._bucket(bucket_definition)
            actions = BUCKET_ACCESS_ACTIONS[bucket_access]
            object_actions = [action for action in actions if action != "s3:ListBucket"]
            role.add_to_policy(
                iam.PolicyStatement(actions=object_actions, resources=[bucket.arn_for_objects("*")])
            )
            if "s3:ListBucket" in actions:
                role.add_to_policy(
                    iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn])
                )

        if spec.reads_payment_secret and self.payment_secret is not None:
            self.payment_secret.grant_read(role)

    def _bucket(self, definition: BucketDefinition) -> s3.IBucket:
        if definition not in self._buckets:
            raise KeyError(f"no bucket for {definition.logical_id}: pass it to Functions(buckets=...)")
        return self._buckets[definition]

    def _suppress(self, spec: FunctionSpec, role: iam.Role, function: lambda_.Function) -> None:
        reason = (
            "X-Ray's PutTraceSegments/PutTelemetryRecords have no resource-level permissions; AWS documents "
            "'*' as their only resource."
        )
        acknowledge(role, "AwsSolutions-IAM5[Resource::*]", reason + " Nothing else in this role uses '*'.")
        for bucket in spec.buckets:
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{arn_token(self._bucket(bucket))}/*]",
                f"Objects of the {bucket.logical_id} bucket are keyed per tenant and request at run time; "
                f"the grant is the catalog's {spec.buckets[bucket]} access to that bucket only.",
            )
        for definition in spec.tables:
            if definition.indexes:
                table = self._tables.table(definition)
                acknowledge(
                    role,
                    f"AwsSolutions-IAM5[Resource::{arn_token(table)}/index/*]",
                    f"Queries on the GSIs of {definition.logical_id} need its index/* ARN; the grant covers "
                    f"that table only, as shared.catalog lists it for {spec.name}.",
                )
        if spec.manages_connections:
            stage = self._connections_stage
            acknowledge(
                role,
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:"
                f"{ref_token(stage.api)}/{stage.stage_name}/*/@connections/*]",
                "@connections ARNs end in the connection id, known only at run time; the grant is "
                "execute-api:ManageConnections on this API's own stage and nothing else.",
            )
        acknowledge(
            function,
            "AwsSolutions-L1",
            f"The project targets Python 3.11 (pyproject requires-python, wheels bundled for cp311 arm64); "
            f"moving {spec.name} to a newer runtime is a project-wide decision, not a stack one.",
        )
