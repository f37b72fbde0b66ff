"""How the local platform serves the dashboard (tools/local_platform/static_site.py), the link `make run`
prints, and the vendored libraries (checked against web/vendor/manifest.json)."""

from __future__ import annotations

import hashlib
import http.client
import json
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.web.conftest import BackgroundPlatform
from tools.local_platform.__main__ import banner
from tools.local_platform.static_site import CONTENT_SECURITY_POLICY, WEB_ROOT

pytestmark = [pytest.mark.web, pytest.mark.xdist_group("web")]


def raw_get(
    platform: BackgroundPlatform, path: str, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """The path exactly as given: no client-side normalisation of ../ or %2e."""
    address = urlparse(platform.base_url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_index_is_served_with_the_security_headers(local_platform: BackgroundPlatform) -> None:
    status, headers, body = raw_get(local_platform, "/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY  # no inline script may run
    assert headers["x-content-type-options"] == "nosniff"
    assert b'<script type="module" src="app/main.js">' in body


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/app/main.js", "text/javascript; charset=utf-8"),
        ("/vendor/preact.js", "text/javascript; charset=utf-8"),
        ("/styles.css", "text/css; charset=utf-8"),
        ("/favicon.svg", "image/svg+xml"),
    ],
)
def test_modules_get_a_type_browsers_run(
    local_platform: BackgroundPlatform, path: str, content_type: str
) -> None:
    status, headers, _ = raw_get(local_platform, path)
    assert (status, headers["content-type"]) == (200, content_type)


def test_config_says_same_origin_and_local_sign_in(local_platform: BackgroundPlatform) -> None:
    status, headers, body = raw_get(local_platform, "/config.json")
    assert (status, headers["content-type"].split(";")[0]) == (200, "application/json")
    assert json.loads(body) == {"apiBaseUrl": "/v1", "auth": {"mode": "local"}}


@pytest.mark.parametrize(
    "path",
    [
        "/../pyproject.toml",
        "/%2e%2e/pyproject.toml",
        "/app/../../pyproject.toml",
        "/app/%2e%2e/%2e%2e/pyproject.toml",
        "/README.md",  # in web/, but not a dashboard file type
        "/vendor/vendor.sh",
        "/no-such-file.js",
        "/app",  # a folder
    ],
)
def test_anything_else_is_the_platform_s_json_404(local_platform: BackgroundPlatform, path: str) -> None:
    status, _, body = raw_get(local_platform, path)
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})


def test_only_get_and_head_reach_the_files(local_platform: BackgroundPlatform) -> None:
    assert raw_get(local_platform, "/index.html", "HEAD")[0] == 200
    status, _, body = raw_get(local_platform, "/index.html", "POST")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})


def test_the_api_still_answers_beside_the_files(local_platform: BackgroundPlatform) -> None:
    status, _, body = raw_get(local_platform, "/v1/openapi.json")
    assert status == 200 and "paths" in json.loads(body)
    status, _, _ = raw_get(local_platform, "/v1/stations")
    assert status == 401


def test_make_run_prints_the_sign_in_link(local_platform: BackgroundPlatform) -> None:
    platform = local_platform.platform
    text = banner(platform.endpoints, platform.config, platform.demo_token)
    assert f"{platform.endpoints.gateway_url}/#token={platform.demo_token}" in text


def test_vendored_files_are_the_published_ones() -> None:
    vendor = WEB_ROOT / "vendor"
    manifest = json.loads((vendor / "manifest.json").read_text())
    assert set(manifest) == {
        "preact.js",
        "hooks.js",
        "htm.js",
        "chart.umd.min.js",
        "qrcode.js",
        "qrcode-utf8.js",
    }
    for name, entry in manifest.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == entry["sha256"], name
    licences = (vendor / "LICENSES.txt").read_text()
    for entry in manifest.values():
        assert f"== {entry['package']}-{entry['version']} ==" in licences


def test_every_module_the_app_imports_exists() -> None:
    """No build step: a typo in an import path would only show in a browser, so check them all here."""
    import re

    app = WEB_ROOT / "app"
    missing = []
    for module in app.rglob("*.js"):
        for target in re.findall(r'(?:from|import)\s*\(?\s*"(\.{1,2}/[^"]+)"', module.read_text()):
            if not (module.parent / target).resolve().is_file():
                missing.append(f"{module.relative_to(WEB_ROOT)} → {target}")
    assert missing == []
    assert Path(WEB_ROOT / "index.html").is_file()
