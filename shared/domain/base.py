"""Base model and time helpers shared by every domain model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """UTC, millisecond precision, 'Z' suffix: sortable as a string, which DynamoDB sort keys rely on."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(value: str) -> datetime:
    """An OCPP dateTime (RFC 3339); firmware that omits the offset is taken to mean UTC."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _as_utc(moment: datetime) -> datetime:
    """Every stored moment is UTC; one whose offset pushes it outside years 1 to 9999 in UTC
    (``0001-01-01T00:00:00+01:00``) cannot be stored or compared, so it is refused at the edge."""
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("date-time is outside the years 1 to 9999 in UTC") from error


UtcDatetime = Annotated[
    datetime, AfterValidator(_as_utc), PlainSerializer(to_iso, return_type=str, when_used="json")
]


class DomainModel(BaseModel):
    """camelCase on the wire and in DynamoDB, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_document(self) -> dict[str, object]:
        """The JSON-ready camelCase form used for DynamoDB items and API bodies."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
