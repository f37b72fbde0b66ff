"""A local HTTP stand-in for the few Stripe API v1 endpoints the provider calls, on loopback.

It answers with the shapes of Stripe's API reference (objects with ``id``/``object``, errors as
``{"error": {"type", "code", "decline_code", "message"}}`` with 402/400/503) and replays a response
for a repeated ``Idempotency-Key`` with the same parameters (400 ``idempotency_error`` for
different ones), as Stripe documents.

Behaviour is chosen by the payment method id, after Stripe's test payment methods:
``pm_card_visa`` succeeds, ``pm_card_chargeDeclinedInsufficientFunds`` is declined
(``insufficient_funds``), ``pm_card_tryAgainLater`` is declined (``try_again_later``),
``pm_processing`` stays ``processing``, ``pm_card_authenticationRequired`` ends in
``requires_action``, ``pm_api_error`` gets a 503 ``api_error``.

What it does NOT prove (see shared/billing/README.md): Stripe's real validation of parameters,
API-version differences, authentication, the 24-hour idempotency window, asynchronous events
arriving out of order or more than once, 3-D Secure flows, Radar, currency rules beyond amounts,
payouts, or that Stripe's webhook delivery reaches us.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

_DECLINES = {
    "pm_card_chargeDeclinedInsufficientFunds": ("insufficient_funds", "Your card has insufficient funds."),
    "pm_card_tryAgainLater": ("try_again_later", "Your card was declined."),
}


@dataclass
class StandIn:
    url: str = ""
    requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    """(method, path, headers, form) of every request received."""
    created_intents: int = 0
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    declines_left: dict[str, int] = field(default_factory=dict)
    """Payment method → how many more times it is declined before it succeeds (absent: always)."""
    _replays: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    _counter: int = 0

    def next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}_standin{self._counter:04d}"

    def handle(
        self, method: str, path: str, headers: dict[str, str], form: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        self.requests.append((method, path, headers, form))
        key = headers.get("idempotency-key")
        fingerprint = json.dumps([path, sorted(form.items())])
        if key is not None and key in self._replays:
            seen, status, body = self._replays[key]
            if seen != fingerprint:
                return 400, _error(
                    "idempotency_error",
                    None,
                    "Keys for idempotent requests can only be used with the same parameters"
                    " they were first used with.",
                )
            return status, body
        status, body = self._route(path, form)
        if key is not None and status < 500:
            self._replays[key] = (fingerprint, status, body)
        return status, body

    def _route(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if parts == ["v1", "customers"]:
            return 200, {
                "id": self.next_id("cus"),
                "object": "customer",
                "email": form.get("email"),
                "metadata": _metadata(form),
            }
        if len(parts) == 3 and parts[:2] == ["v1", "customers"]:
            default = form.get("invoice_settings[default_payment_method]")
            return 200, {
                "id": parts[2],
                "object": "customer",
                "invoice_settings": {"default_payment_method": default},
            }
        if len(parts) == 4 and parts[:2] == ["v1", "payment_methods"] and parts[3] == "attach":
            return 200, {
                "id": parts[2],
                "object": "payment_method",
                "customer": form.get("customer"),
                "type": "card",
            }
        if parts == ["v1", "payment_intents"]:
            return self._payment_intent(form)
        if len(parts) == 3 and parts[:2] == ["v1", "payment_intents"] and not form:
            intent = self.intents.get(parts[2])
            if intent is None:
                return 404, _error(
                    "invalid_request_error", "resource_missing", f"No such payment_intent: '{parts[2]}'"
                )
            return 200, intent
        if len(parts) == 4 and parts[:2] == ["v1", "payment_intents"] and parts[3] == "confirm":
            return self._confirm(parts[2], form)
        if parts == ["v1", "refunds"]:
            return 200, {
                "id": self.next_id("re"),
                "object": "refund",
                "amount": int(form["amount"]),
                "payment_intent": form.get("payment_intent"),
                "status": "succeeded",
                "metadata": _metadata(form),
            }
        return 404, _error(
            "invalid_request_error", "resource_missing", f"Unrecognized request URL (POST: {path})."
        )

    def _declined(self, method: str) -> bool:
        if method not in _DECLINES:
            return False
        left = self.declines_left.get(method)
        if left is None:
            return True
        self.declines_left[method] = left - 1
        return left > 0

    def _confirm(self, intent_id: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        intent = self.intents.get(intent_id)
        if intent is None:
            return 404, _error(
                "invalid_request_error", "resource_missing", f"No such payment_intent: '{intent_id}'"
            )
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            return 400, _error(
                "invalid_request_error",
                "payment_intent_unexpected_state",
                f"This PaymentIntent's status is {intent['status']}.",
            )
        method = form.get("payment_method") or str(intent["payment_method"])
        if self._declined(method):
            decline, message = _DECLINES[method]
            body = _error("card_error", "card_declined", message, decline_code=decline)
            body["error"]["payment_intent"] = intent
            return 402, body
        intent.update({"status": "succeeded", "payment_method": method, "last_payment_error": None})
        return 200, intent

    def _payment_intent(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        method = form.get("payment_method", "")
        if method == "pm_api_error":
            return 503, _error("api_error", None, "An unknown error occurred")
        self.created_intents += 1
        intent: dict[str, Any] = {
            "id": self.next_id("pi"),
            "object": "payment_intent",
            "amount": int(form["amount"]),
            "currency": form["currency"],
            "customer": form.get("customer"),
            "payment_method": method,
            "metadata": _metadata(form),
            "last_payment_error": None,
            "status": "succeeded",
        }
        self.intents[intent["id"]] = intent
        if self._declined(method):
            decline, message = _DECLINES[method]
            intent["status"] = "requires_payment_method"
            body = _error("card_error", "card_declined", message, decline_code=decline)
            body["error"]["payment_intent"] = intent
            return 402, body
        if method == "pm_processing":
            intent["status"] = "processing"
        if method == "pm_card_authenticationRequired":
            intent["status"] = "requires_action"
            intent["last_payment_error"] = {
                "type": "card_error",
                "code": "authentication_required",
                "message": "Authentication required.",
            }
        return 200, intent


def _metadata(form: dict[str, str]) -> dict[str, str]:
    return {key[len("metadata[") : -1]: value for key, value in form.items() if key.startswith("metadata[")}


def _error(kind: str, code: str | None, message: str, *, decline_code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    if decline_code:
        error["decline_code"] = decline_code
    return {"error": error}


@contextmanager
def running_standin() -> Iterator[StandIn]:
    standin = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.do_POST(method="GET")

        def do_POST(self, method: str = "POST") -> None:
            length = int(self.headers.get("content-length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, body = standin.handle(method, self.path.split("?", 1)[0], headers, form)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("request-id", f"req_{len(standin.requests)}")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
