"""EventBridge: SessionStopped starts the per-session billing workflow, the schedule the monthly run."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.billing.workflow_tasks import on_trigger
from shared.observability import logger, metrics
from shared.wiring import get_platform


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return on_trigger(get_platform().billing, event)
