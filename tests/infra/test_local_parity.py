"""The local platform gives each function what the stack gives it: the same environment variables, and
the same constants where the two must agree."""

from __future__ import annotations

import pytest

from infra import constants
from infra.naming import pascal_case
from shared.catalog import FUNCTIONS, FunctionSpec
from tests.infra.conftest import Synth
from tools.local_platform import async_invocations, environment
from tools.local_platform.environment import LocalEndpoints, catalog_environment

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_each_local_function_gets_the_variables_the_stack_sets(
    default_synth: Synth, spec: FunctionSpec
) -> None:
    resources = default_synth.template["Resources"]
    stem = f"Functions{pascal_case(spec.name)}Function"
    (function,) = [
        resource
        for key, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Function" and key.startswith(stem)
    ]
    deployed = set(function["Properties"]["Environment"]["Variables"])
    local = set(
        catalog_environment(
            spec, LocalEndpoints(moto_url=None, management_api_url="http://x", region="r", account_id="a")
        )
    )
    assert local == deployed


def test_the_constants_the_local_platform_mirrors_are_the_stacks() -> None:
    assert async_invocations.ASYNC_RETRY_ATTEMPTS == constants.ASYNC_RETRY_ATTEMPTS
    assert environment.SERVICE_NAME == constants.SERVICE_NAME
    assert environment.METRICS_NAMESPACE == constants.METRICS_NAMESPACE
    assert environment.DEFAULT_HEARTBEAT_INTERVAL_SECONDS == constants.DEFAULT_HEARTBEAT_INTERVAL_SECONDS
