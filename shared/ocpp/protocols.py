"""The OCPP versions the platform speaks, keyed by WebSocket subprotocol. OCPP 2.0.1 joins here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.ocpp.v16 import actions as v16_actions


@dataclass(frozen=True)
class OcppProtocol:
    subprotocol: str
    ocpp_version: str
    """As the ocpp package names its schema folders."""
    csms_initiated_actions: frozenset[str]
    error_code: Callable[[str], str]
    """Maps an ocpp-package error code to this version's spelling."""


V16 = OcppProtocol(
    subprotocol=v16_actions.SUBPROTOCOL,
    ocpp_version=v16_actions.OCPP_VERSION,
    csms_initiated_actions=v16_actions.CSMS_INITIATED_ACTIONS,
    error_code=v16_actions.error_code_for_v16,
)

PROTOCOLS: dict[str, OcppProtocol] = {V16.subprotocol: V16}


def protocol_for(subprotocol: str) -> OcppProtocol:
    try:
        return PROTOCOLS[subprotocol]
    except KeyError as error:
        raise ValueError(f"unsupported OCPP subprotocol {subprotocol!r}") from error


def negotiate_subprotocol(offered: str | None, supported: tuple[str, ...]) -> str | None:
    """The first protocol in our order of preference that the charger offered.

    Offers arrive comma-separated with optional spaces ("ocpp2.0.1, ocpp1.6"); tokens are case-sensitive
    (RFC 6455 4.1), so "OCPP1.6" is not "ocpp1.6".
    """
    if not offered:
        return None
    offers = {token.strip() for token in offered.split(",") if token.strip()}
    return next((protocol for protocol in supported if protocol in offers), None)
