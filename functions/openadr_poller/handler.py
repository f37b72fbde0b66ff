from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.energy.vens import poll_every_site
from shared.observability import logger, metrics
from shared.wiring import get_platform


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    platform = get_platform()
    return poll_every_site(platform.energy, platform.events, platform.clock)
