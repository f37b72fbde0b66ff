"""The operator HTTP API: payload format 2.0 events, the JWT authorizer, response mapping."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import aiohttp
import jwt
import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model

from shared.api.auth import principal_from_claims
from tests.local_platform.conftest import FakeHandlers
from tools.local_platform import LocalPlatform
from tools.local_platform.__main__ import main
from tools.local_platform.http_events import render_claim
from tools.local_platform.operator_tokens import AUDIENCE, ISSUER

pytestmark = pytest.mark.xdist_group("local_platform")


async def request(
    platform: LocalPlatform, method: str, path: str, token: str | None = None, **kwargs: Any
) -> tuple[int, dict[str, str], bytes]:
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, platform.endpoints.gateway_url + path, headers=headers, **kwargs) as response,
    ):
        return response.status, dict(response.headers), await response.read()


async def test_openapi_document_needs_no_token(platform: LocalPlatform, fake_handlers: FakeHandlers) -> None:
    status, _, _ = await request(platform, "GET", "/v1/openapi.json")
    assert status == 200
    event = fake_handlers.of("operator_api")[0]
    assert event["routeKey"] == "GET /v1/openapi.json"
    assert "authorizer" not in event["requestContext"]
    assert "pathParameters" not in event


@pytest.mark.parametrize("case", ["missing", "garbage", "wrong-signature", "expired", "wrong-audience"])
async def test_bad_tokens_get_401_without_invoking_the_lambda(
    platform: LocalPlatform, fake_handlers: FakeHandlers, case: str
) -> None:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "tenant_id": "demo", "iat": now, "exp": now + 60}
    tokens = {
        "missing": None,
        "garbage": "not-a-jwt",
        "wrong-signature": jwt.encode(claims, "another-secret-of-thirty-two-bytes!", algorithm="HS256"),
        "expired": platform.tokens.issue("demo", ["admin"], ttl_seconds=-10),
        "wrong-audience": platform.tokens.issue("demo", ["admin"], extra_claims={"aud": "someone-else"}),
    }
    status, _, body = await request(platform, "GET", "/v1/stations", tokens[case])
    assert status == 401
    assert json.loads(body) == {"message": "Unauthorized"}
    assert fake_handlers.of("operator_api") == []


async def test_event_is_payload_format_2_with_claims_rendered_as_api_gateway_does(
    platform: LocalPlatform, fake_handlers: FakeHandlers
) -> None:
    token = platform.tokens.issue("tenant-x", ["operator", "viewer"])
    status, _, _ = await request(
        platform,
        "POST",
        "/v1/stations/CP-1/commands?a=1&a=2&b=",
        token,
        headers={"X-Custom": "one", "Cookie": "c1=v1; c2=v2"},
        data=b'{"action": "Reset"}',
    )
    assert status == 200
    event = fake_handlers.of("operator_api")[0]
    APIGatewayProxyEventV2Model.model_validate(event)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /v1/{proxy+}"
    assert event["rawPath"] == "/v1/stations/CP-1/commands"
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["pathParameters"] == {"proxy": "stations/CP-1/commands"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["headers"]["x-custom"] == "one"
    assert "cookie" not in event["headers"]
    assert all(name == name.lower() for name in event["headers"])
    assert event["body"] == '{"action": "Reset"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "$default"
    assert context["http"]["method"] == "POST"
    assert context["http"]["path"] == "/v1/stations/CP-1/commands"
    claims = context["authorizer"]["jwt"]["claims"]
    assert claims["tenant_id"] == "tenant-x"
    assert claims["cognito:groups"] == "[operator viewer]"
    assert claims["exp"].isdigit()
    assert all(isinstance(value, str) for value in claims.values())
    assert context["authorizer"]["jwt"]["scopes"] == ["csms/api"]


def test_claim_rendering() -> None:
    assert render_claim(["admin"]) == "[admin]"
    assert render_claim(["a", "b"]) == "[a b]"
    assert render_claim([]) == "[]"
    assert render_claim(True) == "true"
    assert render_claim(1700000000) == "1700000000"
    assert render_claim({"b": 1, "a": "x"}) == "map[a:x b:1]"


@pytest.mark.parametrize(
    ("lambda_result", "expected_status", "expected_body", "expected_header"),
    [
        (
            {"statusCode": 202, "headers": {"X-Id": "7"}, "body": '{"commandId": "7"}'},
            202,
            b'{"commandId": "7"}',
            ("X-Id", "7"),
        ),
        ({"message": "hi"}, 200, b'{"message": "hi"}', ("Content-Type", "application/json")),
        ("plain", 200, b"plain", ("Content-Type", "application/json")),
        (
            {"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(b"\x00\x01").decode()},
            200,
            b"\x00\x01",
            None,
        ),
        ({"statusCode": 204}, 204, b"", None),
    ],
)
async def test_lambda_results_map_to_responses_by_format_2_rules(
    platform: LocalPlatform,
    fake_handlers: FakeHandlers,
    lambda_result: Any,
    expected_status: int,
    expected_body: bytes,
    expected_header: tuple[str, str] | None,
) -> None:
    fake_handlers.operator = lambda event: lambda_result
    status, headers, body = await request(
        platform, "GET", "/v1/stations", platform.tokens.issue("t", ["viewer"])
    )
    assert (status, body) == (expected_status, expected_body)
    if expected_header:
        assert headers[expected_header[0]] == expected_header[1]


async def test_failing_lambda_is_a_500(platform: LocalPlatform, fake_handlers: FakeHandlers) -> None:
    def crash(event: dict[str, Any]) -> Any:
        raise RuntimeError("boom")

    fake_handlers.operator = crash
    status, _, body = await request(platform, "GET", "/v1/stations", platform.tokens.issue("t", ["viewer"]))
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})


async def test_unknown_path_is_404(platform: LocalPlatform) -> None:
    status, _, body = await request(platform, "GET", "/v2/stations")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})


def test_issue_token_cli_mints_tokens_for_other_tenants(
    platform: LocalPlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    main(
        [
            "--issue-token",
            "--tenant",
            "other",
            "--roles",
            "operator,viewer",
            "--state-dir",
            str(platform.config.state_dir),
        ]
    )
    token = capsys.readouterr().out.strip()
    claims = platform.tokens.verify(token)
    assert claims["tenant_id"] == "other"
    assert claims["cognito:groups"] == ["operator", "viewer"]


@pytest.mark.parametrize(
    ("arguments", "site_ids", "account_id"),
    [
        (["--roles", "property_owner", "--site-ids", "depot, mall"], {"depot", "mall"}, None),
        (["--roles", "fleet_manager", "--account-id", "ACC-FLEET"], None, "ACC-FLEET"),
    ],
)
def test_issue_token_cli_carries_the_scope(
    platform: LocalPlatform,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    site_ids: set[str] | None,
    account_id: str | None,
) -> None:
    main(["--issue-token", "--tenant", "t", *arguments, "--state-dir", str(platform.config.state_dir)])
    claims = platform.tokens.verify(capsys.readouterr().out.strip())
    # as the operator Lambda reads them once API Gateway rendered them
    principal = principal_from_claims({name: render_claim(value) for name, value in claims.items()})
    assert principal.site_ids == (frozenset(site_ids) if site_ids is not None else None)
    assert principal.account_id == account_id


def test_demo_token_is_written_for_the_demo_tenant(platform: LocalPlatform) -> None:
    token = (platform.config.state_dir / "operator-token").read_text().strip()
    claims = platform.tokens.verify(token)
    assert (claims["tenant_id"], claims["cognito:groups"]) == ("demo", ["admin"])
    assert claims["exp"] - time.time() > 300 * 24 * 3600
