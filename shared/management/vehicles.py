"""A fleet's vehicles under its billing account: register, list, change, remove. The route's scope
check has already placed the account inside the caller's reach (a fleet manager's own account)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from shared.billing.directory import AccountProfile
from shared.billing.vehicles import Vehicle, foreign_tokens
from shared.domain.errors import AlreadyExistsError, InvalidRequestError, NotFoundError
from shared.domain.tenancy import Principal

if TYPE_CHECKING:
    from shared.wiring import Platform


def _account(platform: Platform, principal: Principal, billing_account_id: str) -> AccountProfile:
    profile = platform.billing.accounts.profile(principal.tenant_id, billing_account_id)
    if profile is None:
        raise NotFoundError(f"billing account {billing_account_id} not found")
    return profile


def _tokens(account: AccountProfile, id_tokens: list[str]) -> list[str]:
    foreign = foreign_tokens(id_tokens, account.id_tokens)
    if foreign:
        raise InvalidRequestError(
            f"idTokens: {', '.join(foreign)} not paid for by billing account {account.billing_account_id}"
        )
    return sorted({token.upper() for token in id_tokens})


def create_vehicle(
    platform: Platform, principal: Principal, billing_account_id: str, fields: dict[str, Any]
) -> Vehicle:
    """``fields``: the vehicle's own (snake_case); ``vehicle_id`` generated when absent. The ID tokens
    must be the account's (400 naming the others)."""
    account = _account(platform, principal, billing_account_id)
    now = platform.clock()
    vehicle = Vehicle(
        **{
            **fields,
            "vehicle_id": fields.get("vehicle_id") or f"veh-{uuid.uuid4().hex[:12]}",
            "id_tokens": _tokens(account, fields.get("id_tokens") or []),
        },
        tenant_id=principal.tenant_id,
        billing_account_id=billing_account_id,
        created_at=now,
        updated_at=now,
    )
    if not platform.billing.accounts.put_vehicle(vehicle, create=True):
        raise AlreadyExistsError(f"vehicle {vehicle.vehicle_id} already exists")
    return vehicle


def get_vehicle(
    platform: Platform, principal: Principal, billing_account_id: str, vehicle_id: str
) -> Vehicle:
    vehicle = platform.billing.accounts.vehicle(principal.tenant_id, billing_account_id, vehicle_id)
    if vehicle is None:
        raise NotFoundError(f"vehicle {vehicle_id} not found")
    return vehicle


def list_vehicles(
    platform: Platform, principal: Principal, billing_account_id: str, limit: int, cursor: str | None
) -> tuple[list[Vehicle], str | None]:
    _account(platform, principal, billing_account_id)
    return platform.billing.accounts.list_vehicles(principal.tenant_id, billing_account_id, limit, cursor)


def change_vehicle(
    platform: Platform,
    principal: Principal,
    billing_account_id: str,
    vehicle_id: str,
    changes: dict[str, Any],
) -> Vehicle:
    """``changes``: only the fields given (snake_case); null clears an optional one."""
    vehicle = get_vehicle(platform, principal, billing_account_id, vehicle_id)
    if changes.get("name", "") is None:
        raise InvalidRequestError("name: must not be null")
    if "id_tokens" in changes:
        changes = {
            **changes,
            "id_tokens": _tokens(
                _account(platform, principal, billing_account_id), changes["id_tokens"] or []
            ),
        }
    changed = Vehicle.model_validate({**vehicle.model_dump(), **changes, "updated_at": platform.clock()})
    platform.billing.accounts.put_vehicle(changed)
    return changed


def delete_vehicle(
    platform: Platform, principal: Principal, billing_account_id: str, vehicle_id: str
) -> None:
    if not platform.billing.accounts.delete_vehicle(principal.tenant_id, billing_account_id, vehicle_id):
        raise NotFoundError(f"vehicle {vehicle_id} not found")
