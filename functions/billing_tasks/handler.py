"""Billing workflow task: ``{"task": "<name>", ...input}`` → the task's output (shared/billing/tasks.py)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.billing.workflow_tasks import run_task
from shared.observability import logger, metrics
from shared.wiring import get_platform


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_task(get_platform().billing, event)
