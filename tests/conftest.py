"""Shared fixtures. AWS is moto, in-process; nothing here reaches a real account."""

from __future__ import annotations

import os

# Before anything imports boto3 clients: no real credentials, no real endpoints.
for _name in (
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_EVENTBRIDGE",
    "AWS_ENDPOINT_URL_SFN",
    "MANAGEMENT_API_ENDPOINT",
    "EVENT_BUS_NAME",
):
    os.environ.pop(_name, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_NAMESPACE": "CsmsTest",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        # jsii (aws-cdk-lib) works on this machine's Node 20; its end-of-life banner would bury failures.
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
)
