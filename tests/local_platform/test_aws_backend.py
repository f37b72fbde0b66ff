"""The embedded moto server: tables from the shared definitions, the event bus, and the Lambda
environment pointing at it while the platform runs (and restored afterwards)."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest

from shared.settings import Settings
from shared.storage.tables import ALL_TABLES
from tests.local_platform.conftest import FakeHandlers
from tools.local_platform import LocalPlatform, PlatformConfig
from tools.local_platform.authorizer_policy import is_allowed

pytestmark = pytest.mark.xdist_group("local_platform")


async def test_moto_has_every_table_and_the_bus_and_the_environment_points_there(
    tmp_path: Path, fake_handlers: FakeHandlers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.setenv("STATIONS_TABLE", "someone-elses-table")
    local = LocalPlatform(
        PlatformConfig(gateway_port=0, moto_port=0, state_dir=tmp_path),
        handler_overrides=fake_handlers.overrides(),
    )
    endpoints = await local.start()
    try:
        assert endpoints.moto_url
        assert os.environ["AWS_ENDPOINT_URL_DYNAMODB"] == endpoints.moto_url
        assert os.environ["MANAGEMENT_API_ENDPOINT"] == endpoints.gateway_url
        assert os.environ["EVENT_BUS_NAME"] == "csms-events"
        # The handlers' own settings resolve to the tables that exist
        settings = Settings()
        dynamodb = boto3.client("dynamodb")
        events = boto3.client("events")
        assert dynamodb.meta.endpoint_url == endpoints.moto_url
        assert events.meta.endpoint_url == endpoints.moto_url
        assert sorted(dynamodb.list_tables()["TableNames"]) == sorted(
            settings.table_name(t) for t in ALL_TABLES
        )
        for table in ALL_TABLES:
            description = dynamodb.describe_table(TableName=settings.table_name(table))["Table"]
            assert description["KeySchema"][0]["AttributeName"] == table.partition_key.name
            assert {index["IndexName"] for index in description.get("GlobalSecondaryIndexes", [])} == {
                index.name for index in table.indexes
            }
        assert any(bus["Name"] == "csms-events" for bus in events.list_event_buses()["EventBuses"])
    finally:
        await local.stop()
    assert "AWS_ENDPOINT_URL_DYNAMODB" not in os.environ
    assert os.environ["STATIONS_TABLE"] == "someone-elses-table"


def test_policy_evaluation() -> None:
    arn = "arn:aws:execute-api:us-east-1:000000000000:localws/local/$connect"

    def policy(*statements: tuple[str, str]) -> dict[str, object]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": e, "Resource": r} for e, r in statements
            ],
        }

    assert is_allowed(policy(("Allow", arn)), arn)
    assert is_allowed(policy(("Allow", "arn:aws:execute-api:us-east-1:000000000000:localws/*")), arn)
    assert not is_allowed(policy(("Allow", "arn:aws:execute-api:us-east-1:000000000000:other/*")), arn)
    assert not is_allowed(policy(("Allow", arn), ("Deny", "*")), arn)
    assert not is_allowed(None, arn)
