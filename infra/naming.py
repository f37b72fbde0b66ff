"""Construct ids derived from the shared catalog's snake_case names."""

from __future__ import annotations


def pascal_case(name: str) -> str:
    """``ws_default`` → ``WsDefault``."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)
