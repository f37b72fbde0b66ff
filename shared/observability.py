"""Logger, tracer and metrics: one instance each per Lambda container.

Service name, log level and metrics namespace come from the standard powertools environment
variables (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="csms")
tracer = Tracer(service="csms")
metrics = Metrics(namespace="Csms", service="csms")
