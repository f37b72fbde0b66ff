"""Signing in and being sent back: the local link and pasted token, expired and tampered tokens, and
the cloud's Cognito hosted-UI flow (authorization code + PKCE) against an intercepted fake Cognito."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.web.conftest import LIVE_TIMEOUT_MS, Tenant, sign_in

pytestmark = [pytest.mark.web, pytest.mark.xdist_group("web")]

EXPIRED = "Your session expired. Sign in again."
REFUSED = "The API refused your token (expired, revoked or tampered with). Sign in again."


def sign_in_message(page: Page) -> str:
    return page.get_by_test_id("signin-message").inner_text()


def test_the_printed_link_signs_in_and_leaves_the_address_bar(
    page: Page, base_url: str, tenant: Tenant
) -> None:
    # When the operator opens the link `make run` prints
    sign_in(page, base_url, tenant.token)

    # Then the overview opens for the token's tenant, and the token is no longer in the address
    expect(page.get_by_test_id("who")).to_have_text(f"{tenant.name} · admin")
    assert "token" not in page.url
    assert page.url.endswith("#/")


def test_a_pasted_token_signs_in_and_sign_out_returns(page: Page, base_url: str, tenant: Tenant) -> None:
    # Given the sign-in page
    page.goto(f"{base_url}/")
    expect(page.get_by_role("heading", name="Sign in to the CSMS dashboard")).to_be_visible()

    # When a viewer token is pasted
    page.get_by_label("Operator token (JWT)").fill(tenant.issue_token(["viewer"]))
    page.get_by_role("button", name="Sign in").click()

    # Then the dashboard shows who is signed in; signing out brings the sign-in page back
    expect(page.get_by_test_id("who")).to_have_text(f"{tenant.name} · viewer")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Operator token (JWT)")).to_be_visible()


def test_something_that_is_no_jwt_is_refused_at_the_form(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    page.get_by_label("Operator token (JWT)").fill("<script>not a token</script>")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signin-problem")).to_have_text(
        "This is not a JWT (three base64url parts separated by dots)."
    )


def test_an_expired_link_lands_on_sign_in_with_a_message(page: Page, base_url: str, tenant: Tenant) -> None:
    expired = tenant.issue_token(["admin"], ttl_seconds=-60)
    page.goto(f"{base_url}/#token={expired}")
    expect(page.get_by_test_id("signin-message")).to_contain_text("This token expired on")


def test_a_token_expiring_while_in_use_returns_to_sign_in(page: Page, base_url: str, tenant: Tenant) -> None:
    # Given an operator signed in with a token that has seconds to live
    sign_in(page, base_url, tenant.issue_token(["admin"], ttl_seconds=3))

    # When it expires, with the page left open
    # Then the app goes back to sign-in by itself and says why
    expect(page.get_by_test_id("signin-message")).to_have_text(EXPIRED, timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("sessionStorage.getItem('csms.token')") is None


def test_a_tampered_token_is_refused_by_the_api_and_returns_to_sign_in(
    page: Page, base_url: str, tenant: Tenant
) -> None:
    # Given a token whose payload was changed to another tenant (the signature no longer matches)
    header, payload, signature = tenant.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["tenant_id"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")

    # When it is used: the browser cannot tell, the API's authorizer can
    page.goto(f"{base_url}/#token={header}.{forged}.{signature}")

    # Then the first API call's 401 sends the app back to sign-in with the message
    expect(page.get_by_test_id("signin-message")).to_have_text(REFUSED)
    assert page.evaluate("sessionStorage.getItem('csms.token')") is None


# --- the cloud: Cognito hosted UI, authorization code with PKCE ----------------------------------

COGNITO = "https://auth.example.test"
CLIENT_ID = "dashboard-client-id"


def test_hosted_ui_sign_in_uses_pkce_and_sends_the_id_token(
    browser: Browser, base_url: str, tenant: Tenant
) -> None:
    # Given the app configured for Cognito (as CDK's config.json does), with Cognito faked by
    # intercepting its two endpoints in the browser (nothing leaves the machine)
    context = browser.new_context(bypass_csp=True)  # the cloud CSP allows the Cognito domain
    page = context.new_page()
    seen: dict[str, dict[str, list[str]]] = {}
    id_token = tenant.issue_token(["operator"])

    def config(route: Route) -> None:
        body = {"apiBaseUrl": "/v1", "auth": {"mode": "cognito", "domain": COGNITO, "clientId": CLIENT_ID}}
        route.fulfill(json=body)

    def authorize(route: Route) -> None:
        query = parse_qs(urlparse(route.request.url).query)
        seen["authorize"] = query
        back = (
            f"{query['redirect_uri'][0]}?{urlencode({'code': 'one-time-code', 'state': query['state'][0]})}"
        )
        route.fulfill(status=302, headers={"Location": back})

    def token(route: Route) -> None:
        form = parse_qs(route.request.post_data or "")
        seen["token"] = form
        route.fulfill(
            json={"id_token": id_token, "access_token": "unused", "token_type": "Bearer", "expires_in": 3600},
            headers={"Access-Control-Allow-Origin": "*"},
        )

    page.route(f"{base_url}/config.json", config)
    page.route(f"{COGNITO}/oauth2/authorize*", authorize)
    page.route(f"{COGNITO}/oauth2/token", token)

    # When the operator presses Sign in and "signs in" at the hosted UI
    page.goto(f"{base_url}/")
    page.get_by_role("button", name="Sign in").click()

    # Then the dashboard opens with the ID token's identity
    expect(page.get_by_test_id("who")).to_have_text(f"{tenant.name} · operator")
    assert "code=" not in page.url
    # and the flow was the PKCE one: S256 challenge up front, the matching verifier at the token call
    authorize_query, token_form = seen["authorize"], seen["token"]
    assert authorize_query["response_type"] == ["code"]
    assert authorize_query["client_id"] == [CLIENT_ID]
    assert authorize_query["code_challenge_method"] == ["S256"]
    assert authorize_query["redirect_uri"] == [f"{base_url}/"]
    assert set(authorize_query["scope"][0].split()) >= {"openid"}
    verifier = token_form["code_verifier"][0]
    assert len(verifier) >= 43
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert authorize_query["code_challenge"] == [challenge]
    assert token_form["grant_type"] == ["authorization_code"]
    assert token_form["code"] == ["one-time-code"]
    assert token_form["client_id"] == [CLIENT_ID]
    assert "client_secret" not in token_form
    context.close()


def test_hosted_ui_answer_with_a_foreign_state_is_refused(browser: Browser, base_url: str) -> None:
    # A code arriving for a sign-in this tab never started (login CSRF) is not exchanged.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    exchanged: list[str] = []
    page.route(
        f"{base_url}/config.json",
        lambda route: route.fulfill(
            json={"apiBaseUrl": "/v1", "auth": {"mode": "cognito", "domain": COGNITO, "clientId": CLIENT_ID}}
        ),
    )

    def exchange(route: Route) -> None:
        exchanged.append(route.request.url)
        route.abort()

    page.route(f"{COGNITO}/oauth2/token", exchange)
    page.goto(f"{base_url}/?code=stolen&state=not-mine")
    expect(page.get_by_test_id("signin-message")).to_contain_text("does not belong to a sign-in started here")
    assert exchanged == []
    assert "code=" not in page.url
    context.close()


def test_token_expiry_is_read_from_the_claims(page: Page, base_url: str, tenant: Tenant) -> None:
    # The app reads exp the way the API does: a token still valid for an hour is kept.
    sign_in(page, base_url, tenant.issue_token(["admin"], ttl_seconds=3600))
    expires = page.evaluate(
        "import('/app/auth/session.js').then((m) => m.currentUser().expiresAt.getTime() / 1000)"
    )
    assert abs(expires - (time.time() + 3600)) < 60
