"""Logger, tracer and metrics: one instance each per Lambda container.

Service name, log level and metrics namespace come from the standard powertools environment
variables (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE).
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

_SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "csms")

logger = Logger(service=_SERVICE)
tracer = Tracer(service=_SERVICE)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Csms"), service=_SERVICE)
