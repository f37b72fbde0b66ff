"""The catalog, the settings and the table definitions agree with each other and with functions/."""

from __future__ import annotations

import importlib

import pytest

from shared.catalog import FUNCTIONS, WEBSOCKET_ROUTES, FunctionSpec
from shared.settings import Settings
from shared.storage.tables import ALL_TABLES, TableDefinition, create_table_request


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_every_catalogued_handler_exists(spec: FunctionSpec) -> None:
    module_path, _, attribute = spec.handler.rpartition(".")
    assert module_path == f"functions.{spec.name}.handler"
    assert callable(getattr(importlib.import_module(module_path), attribute))


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda table: table.logical_id)
def test_every_table_has_a_setting(table: TableDefinition, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().table_name(table) == table.default_name
    monkeypatch.setenv(table.env_var, "from-the-stack")
    assert Settings().table_name(table) == "from-the-stack"


def test_table_requests_declare_every_key_once() -> None:
    for table in ALL_TABLES:
        request = create_table_request(table)
        names = [attribute["AttributeName"] for attribute in request["AttributeDefinitions"]]
        assert len(names) == len(set(names))


def test_websocket_routes_are_the_three_api_gateway_needs() -> None:
    assert set(WEBSOCKET_ROUTES) == {"$connect", "$disconnect", "$default"}
