"""DynamoDB and EventBridge served by an embedded moto server, provisioned like the CDK stack."""

from __future__ import annotations

import socket
import urllib.request
from typing import Any

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

from shared.settings import Settings
from shared.storage.tables import ALL_TABLES, create_table_request

EVENT_BUS_NAME = "csms-events"
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def default_settings() -> Settings:
    """Settings defaults only: the platform names its tables itself, whatever the shell exports."""
    return Settings.model_construct()


def _client(service: str, endpoint_url: str, region: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        config=Config(retries={"max_attempts": 2}),
        **DUMMY_CREDENTIALS,
    )


def provision(endpoint_url: str, region: str) -> None:
    settings = default_settings()
    dynamodb = _client("dynamodb", endpoint_url, region)
    for table in ALL_TABLES:
        name = settings.table_name(table)
        dynamodb.create_table(**create_table_request(table, name))
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )
    _client("events", endpoint_url, region).create_event_bus(Name=EVENT_BUS_NAME)


class PortInUseError(OSError):
    pass


def _ensure_port_free(host: str, port: int) -> None:
    """ThreadedMotoServer waits forever when its thread cannot bind, so find out first."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PortInUseError(f"moto port {host}:{port} is in use ({error.strerror})") from error


class MotoBackend:
    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self.url = ""

    def start(self) -> str:
        _ensure_port_free(self._host, self._port)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        # moto keeps its state per process, not per server: a platform started again in the same
        # process (tests) must not find the previous one's tables.
        with urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")):
            pass
        return self.url

    def stop(self) -> None:
        if self.url:
            self._server.stop()
            self.url = ""
