"""Context values are validated before anything reaches CloudFormation; suppressions need reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from infra.config import ConfigError, StackConfig
from infra.nag import acknowledge

# One xdist worker runs the whole suite, so the stack is synthesized once (see conftest).
pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

CERTIFICATE = "arn:aws:acm:us-east-1:111111111111:certificate/abc"


def test_defaults_need_no_context() -> None:
    config = StackConfig.from_mapping({})
    assert config.custom_domain is None
    assert config.bundle_dependencies is True
    assert config.heartbeat_interval_seconds == 300
    assert config.manage_api_gateway_account is True


def test_context_strings_from_the_cli_are_understood() -> None:
    # Given -c values, which the CDK CLI passes as strings
    config = StackConfig.from_mapping(
        {
            "bundleDependencies": "false",
            "domainName": "ocpp.example.org",
            "certificateArn": CERTIFICATE,
            "corsAllowedOrigins": "https://a.example.org, http://localhost:5173",
            "logLevel": "debug",
            "heartbeatIntervalSeconds": "240",
        }
    )
    assert config.bundle_dependencies is False
    assert config.custom_domain is not None and config.custom_domain.domain_name == "ocpp.example.org"
    assert config.cors_allowed_origins == ("https://a.example.org", "http://localhost:5173")
    assert config.log_level == "DEBUG"
    assert config.heartbeat_interval_seconds == 240


@pytest.mark.parametrize(
    "context",
    [
        {"domainName": "ocpp.example.org"},
        {"certificateArn": CERTIFICATE},
        {"domainName": "ocpp.example.org", "certificateArn": "arn:aws:acm:eu-west-1:1:certificate/x"},
        {"domainName": "ocpp.example.org", "certificateArn": CERTIFICATE, "hostedZoneId": "Z1"},
        {"corsAllowedOrigins": "*"},
        {"corsAllowedOrigins": "https://example.org/path"},
        {"heartbeatIntervalSeconds": 600},
        {"logLevel": "LOUD"},
        {"alarmEmail": "not-an-address"},
        {"bundleDependencies": "maybe"},
    ],
)
def test_inconsistent_context_is_refused(context: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        StackConfig.from_mapping(context)


def test_a_suppression_without_a_real_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="real reason"):
        acknowledge(None, "AwsSolutions-S1", "because")  # type: ignore[arg-type]


def test_an_unacknowledged_finding_fails_synthesis(tmp_path: Path) -> None:
    # Given the same plugin wiring as infra.application, on a bucket that breaks AwsSolutions-S1/S10
    app = App(outdir=str(tmp_path))
    s3.Bucket(Stack(app, "Bad"), "Bucket")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    # Then synthesis fails: the green synth in test_stack.py is a real gate, not a silent report
    with pytest.raises(RuntimeError, match="AwsSolutions-S1"):
        app.synth()
