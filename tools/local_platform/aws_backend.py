"""DynamoDB, EventBridge, SQS, Step Functions and S3 served by an embedded moto server, provisioned like
the CDK stack.

S3 is there for presigned URLs: chargers download firmware images and upload diagnostics over plain
HTTP to moto (path-style URLs on its address; moto serves an unsigned request with X-Amz-* query
parameters as S3 and does not check the signature or the x-amz-checksum-sha256 of an upload).

The server is moto's own WSGI application on a threaded werkzeug server (what ``ThreadedMotoServer``
runs), built here so that a middleware can watch DynamoDB writes (``data_retention``), request logging
costs nothing, and ``stop`` releases the port at once.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

import boto3
from botocore.config import Config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from shared.settings import Settings
from shared.storage.buckets import ALL_BUCKETS
from shared.storage.tables import ALL_TABLES, create_table_request

EVENT_BUS_NAME = "csms-events"
PAYMENT_SECRET_NAME = "csms-payment-provider"
"""The payment provider's secret, empty as the stack deploys it (Stripe not configured). Functions get its
name in STRIPE_SECRET_ARN: Secrets Manager takes a name wherever it takes an ARN, and moto's ARNs end in
a random suffix."""
PAYMENT_SECRET_PLACEHOLDER = '{"apiKey": "", "webhookSecret": ""}'
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def default_settings() -> Settings:
    """Settings defaults only: the platform names its tables itself, whatever the shell exports."""
    return Settings.model_construct()


def client(service: str, endpoint_url: str, region: str) -> Any:
    """The platform's own clients (provisioning, rule delivery, sweeping): no grants apply to them."""
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        config=Config(retries={"max_attempts": 2}, max_pool_connections=16),
        **DUMMY_CREDENTIALS,
    )


def provision(endpoint_url: str, region: str) -> None:
    settings = default_settings()
    dynamodb = client("dynamodb", endpoint_url, region)
    for table in ALL_TABLES:
        name = settings.table_name(table)
        dynamodb.create_table(**create_table_request(table, name))
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )
    client("events", endpoint_url, region).create_event_bus(Name=EVENT_BUS_NAME)
    s3 = client("s3", endpoint_url, region)
    for bucket in ALL_BUCKETS:
        s3.create_bucket(Bucket=settings.bucket_name(bucket))
    client("secretsmanager", endpoint_url, region).create_secret(
        Name=PAYMENT_SECRET_NAME, SecretString=PAYMENT_SECRET_PLACEHOLDER
    )


class PortInUseError(OSError):
    pass


class _Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves a host: moto works it out again on every
    request, by listing its package directory under a lock that serialises all requests (about a tenth
    of the platform's CPU under load, measured with py-spy). The mapping never changes."""

    def __init__(self, create_app: Any) -> None:
        super().__init__(create_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]


class _QuietRequestHandler(MotoRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per request would bury the handlers' own logs (and costs a lock per request)."""


class MotoBackend:
    def __init__(self, host: str, port: int, middleware: Callable[[WSGIApp], WSGIApp] | None = None) -> None:
        self._host = host
        self._port = port
        self._middleware = middleware
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> str:
        app: WSGIApp = _Dispatcher(create_backend_app)
        if self._middleware is not None:
            app = self._middleware(app)
        try:
            self._server = make_server(
                self._host, self._port, app, threaded=True, request_handler=_QuietRequestHandler
            )
        except OSError as error:
            raise PortInUseError(
                f"moto port {self._host}:{self._port} is in use ({error.strerror})"
            ) from error
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="moto", daemon=True
        )
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        # moto keeps its state per process, not per server: a platform started again in the same
        # process (tests) must not find the previous one's tables.
        self._post("/moto-api/reset", None)
        return self.url

    def configure(self, settings: dict[str, Any]) -> None:
        """moto's own settings (``/moto-api/config``), e.g. executing state machines."""
        self._post("/moto-api/config", settings)

    def _post(self, path: str, body: dict[str, Any] | None) -> None:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self.url = ""
