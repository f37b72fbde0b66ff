"""Domain errors. The API turns them into HTTP responses in one place (shared/api/errors.py)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(DomainError):
    pass


class AlreadyExistsError(DomainError):
    pass


class ConflictError(DomainError):
    pass


class ForbiddenError(DomainError):
    pass


class InvalidRequestError(DomainError):
    pass


class StationGoneError(DomainError):
    """The station's registration no longer exists (deleted, or its id registered again since this
    connection was authorized): nothing may be written for it."""


class StationRestrictedError(DomainError):
    """The station may not do this in its current state (OCPP: not yet Accepted by the CSMS)."""


class OutOfRangeError(DomainError):
    """A value the station sent is syntactically fine but outside what the platform accepts."""


class PayloadTooLargeError(DomainError):
    """A call would not fit in one API Gateway WebSocket message (128 KB)."""


class PaymentFailedError(DomainError):
    """The payment provider declined or failed a payment the caller asked for (a wallet top-up)."""
