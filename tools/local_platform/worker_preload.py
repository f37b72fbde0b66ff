"""Imported once by the function workers' fork server, so each worker (a Lambda cold start) forks with
the third-party libraries loaded and pays only for our own modules. Nothing here reads the environment
at import time: each function sets its own before importing its handler."""

import boto3  # noqa: F401
import botocore.session  # noqa: F401
import ocpp.v16  # noqa: F401
import pydantic  # noqa: F401
import pydantic_settings  # noqa: F401
from aws_lambda_powertools import Logger, Metrics  # noqa: F401
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver  # noqa: F401
from aws_lambda_powertools.utilities import idempotency  # noqa: F401
