"""Path and query parameters shared by several resources, validated before any route runs."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from shared.api.schemas import COMMAND_ID_PATTERN, IDENTIFIER_PATTERN, SESSION_ID_PATTERN
from shared.domain.stations import STATION_ID_PATTERN

Limit = Annotated[int, Query(ge=1, le=100, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=2048, description="nextCursor of the previous page")]

StationIdPath = Annotated[str, Path(pattern=STATION_ID_PATTERN, description="The station's id")]
SiteIdPath = Annotated[str, Path(pattern=IDENTIFIER_PATTERN)]
IdTokenPath = Annotated[str, Path(pattern=r"^[\x21-\x7e]{1,36}$")]
SessionIdPath = Annotated[
    str, Path(pattern=SESSION_ID_PATTERN, description="stationId:registrationId:transactionId")
]
CommandIdPath = Annotated[str, Path(pattern=COMMAND_ID_PATTERN)]

StationIdQuery = Annotated[str | None, Query(alias="stationId", pattern=STATION_ID_PATTERN)]
SiteIdQuery = Annotated[str | None, Query(alias="siteId", pattern=IDENTIFIER_PATTERN)]
