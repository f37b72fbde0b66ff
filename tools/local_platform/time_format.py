"""Timestamps in the formats API Gateway writes into events."""

from __future__ import annotations

from datetime import UTC, datetime

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def clf_time(epoch_seconds: float) -> str:
    """``requestTime`` / ``time``: common log format, e.g. ``12/Mar/2020:19:03:58 +0000``.
    Month names are spelled out here because ``%b`` follows the process locale."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return f"{moment:%d}/{_MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:%S} +0000"


def iso8601_millis(epoch_seconds: float) -> str:
    """``@connections`` GET timestamps, e.g. ``2020-03-12T19:03:58.123Z``."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
