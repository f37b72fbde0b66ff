"""/v1/alerts: what needs an operator's attention, and acknowledging it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from shared.api import device_schemas as schemas
from shared.api.access import Permission
from shared.api.dependencies import Caller, PlatformDependency
from shared.api.routes.params import Cursor, Limit, StationIdQuery
from shared.api.routing import operation
from shared.management import alerts
from shared.monitoring.models import Alert, AlertStatus

router = Router()
TAGS = ["alerts"]
AlertIdPath = Annotated[str, Path(pattern=schemas.ALERT_ID_PATTERN)]


def _view(alert: Alert) -> schemas.AlertView:
    return schemas.AlertView.model_validate(alert.model_dump())


@operation(router, "GET", "/v1/alerts", Permission.READ, tags=TAGS)
def list_alerts(
    caller: Caller,
    platform: PlatformDependency,
    status: Annotated[AlertStatus, Query()] = AlertStatus.OPEN,
    station_id: StationIdQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.AlertList:
    """Newest first: stations offline past their reconnect grace, faulted connectors, failed firmware
    updates, boot loops, security events."""
    items, next_cursor = alerts.list_alerts(platform, caller, status, limit, cursor, station_id)
    return schemas.AlertList(items=[_view(item) for item in items], next_cursor=next_cursor)


@operation(router, "GET", "/v1/alerts/<alert_id>", Permission.READ, tags=TAGS)
def get_alert(alert_id: AlertIdPath, caller: Caller, platform: PlatformDependency) -> schemas.AlertView:
    return _view(alerts.get_alert(platform, caller, alert_id))


@operation(router, "POST", "/v1/alerts/<alert_id>/acknowledge", Permission.WRITE, tags=TAGS)
def acknowledge_alert(
    alert_id: AlertIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.AlertView:
    """Idempotent; the next occurrence of the same problem opens a new alert."""
    return _view(alerts.acknowledge(platform, caller, alert_id))
