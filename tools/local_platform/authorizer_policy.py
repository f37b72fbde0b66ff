"""Evaluates the IAM policy a Lambda REQUEST authorizer returns against the $connect method ARN."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def _matches(patterns: list[str], value: str) -> bool:
    # IAM wildcards: * any run of characters, ? one character; fnmatch's [..] classes do not occur in ARNs.
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


def is_allowed(policy_document: Mapping[str, Any] | None, method_arn: str) -> bool:
    """Allowed when some Allow statement covers ``execute-api:Invoke`` on the ARN and no Deny does."""
    if not policy_document:
        return False
    statements = policy_document.get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    allowed = False
    for statement in statements:
        actions = _as_list(statement.get("Action"))
        resources = _as_list(statement.get("Resource"))
        if not (_matches(actions, "execute-api:Invoke") and _matches(resources, method_arn)):
            continue
        effect = str(statement.get("Effect", "")).lower()
        if effect == "deny":
            return False
        allowed = allowed or effect == "allow"
    return allowed
