"""DynamoDB and EventBridge served by an embedded moto server, provisioned like the CDK stack."""

from __future__ import annotations

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


class MotoBackend:
    def __init__(self, host: str, port: int) -> None:
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self.url = ""

    def start(self) -> str:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        # moto keeps its state per process, not per server: a platform started again in the same
        # process (tests) must not find the previous one's tables.
        with urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")):
            pass
        return self.url

    def stop(self) -> None:
        self._server.stop()
