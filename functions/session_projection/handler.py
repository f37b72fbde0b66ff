from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics
from shared.storage.streams import meter_values_from_stream, partial_batch_response
from shared.wiring import get_platform


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return partial_batch_response(get_platform().live_sessions.project(meter_values_from_stream(event)))
