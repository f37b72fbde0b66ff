"""The dashboard in the cloud: web/ deployed to the dashboard bucket with a generated config.json, served
by CloudFront with the content security policy, and signed in through Cognito's hosted UI (code + PKCE)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.dashboard_site import WEB_EXCLUDES, WEB_ROOT, content_security_policy, runtime_config
from tests.infra.conftest import Synth
from tests.infra.test_stack import logical_id, of_type, references
from tools.local_platform.static_site import CONTENT_SECURITY_POLICY as LOCAL_POLICY

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

PSEUDO = {"AWS::Region": "eu-west-1", "AWS::URLSuffix": "amazonaws.com", "AWS::AccountId": "123456789012"}


def flatten(value: Any) -> str:
    """A CloudFormation string (Fn::Join of literals, pseudo parameters and refs) as readable text."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(flatten(part) for part in parts)
    if "Ref" in value:
        return PSEUDO.get(value["Ref"], f"<{value['Ref']}>")
    if "Fn::GetAtt" in value:
        return f"<{value['Fn::GetAtt'][0]}.{value['Fn::GetAtt'][1]}>"
    raise AssertionError(f"unexpected intrinsic {value}")


@pytest.fixture(scope="module")
def resources(default_synth: Synth) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = default_synth.template["Resources"]
    return found


@pytest.fixture(scope="module")
def deployment(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (only,) = [r["Properties"] for r in resources.values() if r["Type"] == "Custom::CDKBucketDeployment"]
    return only


def asset_directory(synth: Synth, object_key: str) -> Path:
    assets = json.loads((synth.outdir / f"{synth.stack_name}.assets.json").read_text())
    (path,) = [
        file["source"]["path"]
        for file in assets["files"].values()
        if any(destination["objectKey"] == object_key for destination in file["destinations"].values())
    ]
    return synth.outdir / path


def test_web_folder_goes_to_the_dashboard_bucket_and_invalidates_cloudfront(
    resources: dict[str, dict[str, Any]], deployment: dict[str, Any]
) -> None:
    assert deployment["DestinationBucketName"] == {
        "Ref": logical_id(resources, "AWS::S3::Bucket", "ObjectStorageDashboard")
    }
    assert deployment["DistributionId"] == {
        "Ref": logical_id(resources, "AWS::CloudFront::Distribution", "DashboardSiteDistribution")
    }
    assert deployment["DistributionPaths"] == ["/*"]
    assert deployment["Prune"] is True
    # No content hashes in the file names (no build step): browsers revalidate every file.
    assert deployment["SystemMetadata"] == {"cache-control": "no-cache"}


def test_the_deployed_files_are_web_s_files(default_synth: Synth, deployment: dict[str, Any]) -> None:
    files_key = deployment["SourceObjectKeys"][0]
    deployed = {
        path.relative_to(asset_directory(default_synth, files_key)).as_posix()
        for path in asset_directory(default_synth, files_key).rglob("*")
        if path.is_file()
    }
    in_repository = {path.relative_to(WEB_ROOT).as_posix() for path in WEB_ROOT.rglob("*") if path.is_file()}
    assert deployed == in_repository - set(WEB_EXCLUDES)
    assert {"index.html", "app/main.js", "vendor/preact.js", "vendor/chart.umd.min.js"} <= deployed


def test_config_json_names_this_stack_s_api_and_hosted_ui(
    default_synth: Synth, resources: dict[str, dict[str, Any]], deployment: dict[str, Any]
) -> None:
    # Given the generated file (deploy-time values stand as markers, filled in by the custom resource)
    config_key = deployment["SourceObjectKeys"][1]
    text = (asset_directory(default_synth, config_key) / "config.json").read_text()
    markers = deployment["SourceMarkers"][1]
    for marker, value in markers.items():
        text = text.replace(marker, flatten(value))

    # Then it is the app's configuration with this stack's API (under /v1), hosted UI and client
    api = logical_id(resources, "AWS::ApiGatewayV2::Api", "OperatorApi")
    domain = logical_id(resources, "AWS::Cognito::UserPoolDomain", "OperatorIdentity")
    client = logical_id(resources, "AWS::Cognito::UserPoolClient", "OperatorIdentity")
    assert json.loads(text) == runtime_config(
        api_base_url=f"<{api}.ApiEndpoint>/v1",
        hosted_ui_url=f"https://<{domain}>.auth.eu-west-1.amazoncognito.com",
        client_id=f"<{client}>",
    )
    assert json.loads(text)["auth"]["mode"] == "cognito"


def test_hosted_ui_is_the_code_grant_back_to_the_dashboard_only(resources: dict[str, dict[str, Any]]) -> None:
    (client,) = [c["Properties"] for c in of_type(resources, "AWS::Cognito::UserPoolClient").values()]
    distribution = logical_id(resources, "AWS::CloudFront::Distribution", "DashboardSiteDistribution")
    dashboard = f"https://<{distribution}.DomainName>/"
    assert client["AllowedOAuthFlows"] == ["code"]  # no implicit grant: tokens never ride in a URL
    assert client["GenerateSecret"] is False  # a public client; PKCE protects the code
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert [flatten(url) for url in client["CallbackURLs"]] == [dashboard]
    assert [flatten(url) for url in client["LogoutURLs"]] == [dashboard]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    (domain,) = [d["Properties"] for d in of_type(resources, "AWS::Cognito::UserPoolDomain").values()]
    assert flatten(domain["Domain"]) == "csms-123456789012"
    assert references(domain["UserPoolId"]) == {
        logical_id(resources, "AWS::Cognito::UserPool", "OperatorIdentity")
    }


def test_hosted_ui_prefix_follows_the_stack_name(custom_domain_synth: Synth) -> None:
    resources = custom_domain_synth.template["Resources"]
    (domain,) = [d["Properties"] for d in of_type(resources, "AWS::Cognito::UserPoolDomain").values()]
    assert flatten(domain["Domain"]) == "csmscustomdomain-123456789012"
    assert re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", flatten(domain["Domain"]))


def test_distribution_sends_the_content_security_policy(resources: dict[str, dict[str, Any]]) -> None:
    policy_id = logical_id(resources, "AWS::CloudFront::ResponseHeadersPolicy", "DashboardSite")
    headers = resources[policy_id]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = flatten(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert csp == content_security_policy("eu-west-1", "amazonaws.com")
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 365 * 24 * 3600
    distribution = resources[
        logical_id(resources, "AWS::CloudFront::Distribution", "DashboardSiteDistribution")
    ]
    behavior = distribution["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": policy_id}


def test_cloud_and_local_policies_differ_only_in_where_the_api_is() -> None:
    def directives(policy: str) -> dict[str, str]:
        return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())

    cloud, local = directives(content_security_policy("eu-west-1", "amazonaws.com")), directives(LOCAL_POLICY)
    assert {k: v for k, v in cloud.items() if k != "connect-src"} == {
        k: v for k, v in local.items() if k != "connect-src"
    }
    assert local["connect-src"] == "'self'"
    assert cloud["connect-src"].split() == [
        "'self'",
        "https://*.execute-api.eu-west-1.amazonaws.com",
        "https://*.auth.eu-west-1.amazoncognito.com",
    ]
