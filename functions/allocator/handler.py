from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.energy.service import handle_allocator_event
from shared.observability import logger, metrics
from shared.wiring import get_platform


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_allocator_event(get_platform().site_allocator, event)
