"""A tiny local stand-in for the Stripe API, for tests that drive the real `stripe` library.

`StripeStub` runs `http.server` in a thread on 127.0.0.1 (a free port) and implements what
Minga calls: Checkout Sessions (create, retrieve, expire), PaymentIntent capture and
cancel, refunds, and a "hosted checkout" page where the buyer presses Pay. It records
each request (method, path, Idempotency-Key, form body) and, like Stripe, replays the
stored answer for a repeated Idempotency-Key and refuses one reused with other parameters.

The `stripe_stub` fixture points settings at it (`STRIPE_API_BASE`, test keys); the
helpers at the end build events and sign them with the library's own
`stripe.WebhookSignature.generate_signature_header`. Nothing here reaches the internet.
"""

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit
from urllib.request import Request, urlopen

import pytest
import stripe
from django.urls import reverse

SECRET_KEY = "sk_test_minga_stub"
WEBHOOK_SECRET = "whsec_test_minga_stub"


@dataclass
class Recorded:
    method: str
    path: str
    idempotency_key: str | None
    form: dict[str, str] = field(default_factory=dict)


class StripeStub:
    def __init__(self):
        self.requests: list[Recorded] = []
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.webhook_url: str | None = None  # e2e: where the hosted page posts its events
        self._ids = itertools.count(1)
        self._idempotent: dict[str, tuple[str, int, dict]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "StripeStub":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- What tests read -------------------------------------------------------------------

    def calls(self, path_part: str = "", method: str = "POST") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and path_part in r.path]

    # --- Buyer actions on the hosted page ----------------------------------------------------

    def pay(self, session_id: str) -> dict:
        """The buyer pays: the card is authorised (manual capture), the session completes.
        Returns the `checkout.session.completed` event (posted to `webhook_url` if set)."""
        with self._lock:
            session = self.sessions[session_id]
            session.update(status="complete", payment_status="paid")
            self.intents[session["payment_intent"]]["status"] = "requires_capture"
        event = make_event("checkout.session.completed", dict(session))
        if self.webhook_url:
            post_event(self.webhook_url, event)
        return event

    def expire(self, session_id: str) -> dict:
        with self._lock:
            self.sessions[session_id].update(status="expired")
        return make_event("checkout.session.expired", dict(self.sessions[session_id]))

    # --- The API ---------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):04d}"

    def handle(self, method: str, path: str, form: dict, key: str | None) -> tuple[int, dict | str]:
        with self._lock:
            self.requests.append(Recorded(method, path, key, form))
            if key and method == "POST":
                stored = self._idempotent.get(key)
                if stored is not None:
                    if stored[0] != f"{path}?{sorted(form.items())}":
                        return 400, _error(
                            "idempotency_error",
                            "Keys for idempotent requests can only be "
                            "used with the same parameters they were first used with.",
                        )
                    return stored[1], stored[2]
            status, body = self._route(method, path, form)
            if key and method == "POST" and isinstance(body, dict):
                self._idempotent[key] = (f"{path}?{sorted(form.items())}", status, body)
            return status, body

    def _route(self, method: str, path: str, form: dict) -> tuple[int, dict | str]:
        parts = [p for p in path.split("/") if p]
        if method == "GET" and parts[:1] == ["checkout"]:
            return 200, self._hosted_page(parts[1])
        if parts[:1] != ["v1"]:
            return 404, _error("invalid_request_error", "Unrecognized request URL")
        resource = parts[1:]
        if resource == ["checkout", "sessions"] and method == "POST":
            return self._session_create(form)
        if resource[:2] == ["checkout", "sessions"] and len(resource) >= 3:
            session = self.sessions.get(resource[2])
            if session is None:
                return 404, _error("invalid_request_error", "No such checkout.session")
            if len(resource) == 3 and method == "GET":
                return 200, session
            if resource[3:] == ["expire"] and method == "POST":
                if session["status"] != "open":
                    return 400, _error("invalid_request_error", "Only open sessions can be expired.")
                session["status"] = "expired"
                return 200, session
        if resource[:1] == ["payment_intents"] and len(resource) == 3 and method == "POST":
            intent = self.intents.get(resource[1])
            if intent is None:
                return 404, _error("invalid_request_error", "No such payment_intent")
            return self._intent_action(intent, resource[2], form)
        if resource == ["refunds"] and method == "POST":
            return self._refund(form)
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({method} {path})")

    def _session_create(self, form: dict) -> tuple[int, dict]:
        expires_at = int(form.get("expires_at", time.time() + 86400))
        if expires_at < time.time() + 30 * 60 - 5:
            return 400, _error("invalid_request_error", "expires_at must be at least 30 minutes away")
        amount = int(form["line_items[0][price_data][unit_amount]"]) * int(form["line_items[0][quantity]"])
        currency = form["line_items[0][price_data][currency]"]
        session_id = self._new_id("cs")
        intent_id = self._new_id("pi")
        metadata = _sub(form, "metadata")
        self.intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": amount,
            "amount_received": 0,
            "currency": currency,
            "capture_method": form.get("payment_intent_data[capture_method]", "automatic"),
            "metadata": _sub(form, "payment_intent_data[metadata]"),
            "status": "requires_payment_method",
        }
        self.sessions[session_id] = {
            "id": session_id,
            "object": "checkout.session",
            "mode": form.get("mode", "payment"),
            "url": f"{self.url}/checkout/{session_id}",
            "amount_total": amount,
            "currency": currency,
            "client_reference_id": form.get("client_reference_id"),
            "metadata": metadata,
            "payment_intent": intent_id,
            "payment_status": "unpaid",
            "status": "open",
            "expires_at": expires_at,
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
        }
        return 200, self.sessions[session_id]

    def _intent_action(self, intent: dict, action: str, form: dict) -> tuple[int, dict]:
        if action == "capture":
            if intent["status"] != "requires_capture":
                return 400, _error("invalid_request_error", "This PaymentIntent could not be captured.")
            amount = int(form.get("amount_to_capture", intent["amount"]))
            if amount > intent["amount"]:
                return 400, _error("invalid_request_error", "amount_to_capture is above the amount")
            intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
            return 200, intent
        if action == "cancel":
            if intent["status"] in ("succeeded", "canceled"):
                return 400, _error("invalid_request_error", "This PaymentIntent could not be canceled.")
            intent.update(status="canceled", amount_capturable=0)
            return 200, intent
        return 404, _error("invalid_request_error", "Unrecognized request URL")

    def _refund(self, form: dict) -> tuple[int, dict]:
        intent = self.intents.get(form.get("payment_intent", ""))
        if intent is None or intent["status"] != "succeeded":
            return 400, _error("invalid_request_error", "Nothing to refund")
        refunded = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"])
        amount = int(form.get("amount", intent["amount_received"] - refunded))
        if refunded + amount > intent["amount_received"]:
            return 400, _error("invalid_request_error", "Refund is above what was charged")
        refund_id = self._new_id("re")
        self.refunds[refund_id] = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "status": "succeeded",
        }
        return 200, self.refunds[refund_id]

    def _hosted_page(self, session_id: str) -> str:
        session = self.sessions.get(session_id, {})
        return (
            "<!doctype html><html lang='es'><head><meta charset='utf-8'><title>Stub Checkout</title></head>"
            f"<body><h1>Stub Checkout</h1><p>{session.get('client_reference_id')} · "
            f"{session.get('amount_total')} {session.get('currency')}</p>"
            f"<form method='post' action='/checkout/{session_id}/pay'><button>Pay</button></form>"
            "</body></html>"
        )


def _handler(stub: StripeStub):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _dispatch(self, method: str) -> None:
            path = urlsplit(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else urlsplit(self.path).query
            form = dict(parse_qsl(body, keep_blank_values=True))
            if method == "POST" and path.startswith("/checkout/") and path.endswith("/pay"):
                return self._pay(path.split("/")[2])
            if path.startswith("/v1/") and self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
                return self._send(401, _error("invalid_request_error", "Invalid API Key provided"))
            status, payload = stub.handle(method, path, form, self.headers.get("Idempotency-Key"))
            self._send(status, payload)

        def _pay(self, session_id: str) -> None:
            stub.pay(session_id)
            self.send_response(303)
            self.send_header("Location", stub.sessions[session_id]["success_url"])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, status: int, payload) -> None:
            is_html = isinstance(payload, str)
            data = payload.encode() if is_html else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8" if is_html else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._dispatch("GET")

        def do_POST(self):
            self._dispatch("POST")

    return Handler


def _error(kind: str, message: str) -> dict:
    return {"error": {"type": kind, "message": message}}


def _sub(form: dict, prefix: str) -> dict:
    """`metadata[order_number]=X` -> {"order_number": "X"} for one level of nesting."""
    start = f"{prefix}["
    depth = prefix.count("[") + 1
    return {k[len(start) : -1]: v for k, v in form.items() if k.startswith(start) and k.count("[") == depth}


# --- Events and signatures ----------------------------------------------------------------

_event_ids = itertools.count(1)


def make_event(kind: str, obj: dict, *, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_test_{next(_event_ids):05d}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "type": kind,
        "livemode": False,
        "data": {"object": obj},
    }


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A real `Stripe-Signature` header, made by the library itself."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


def post_event(url: str, event: dict, *, secret: str = WEBHOOK_SECRET) -> int:
    """Deliver a signed event over HTTP (the e2e server); returns the status code."""
    payload = json.dumps(event)
    request = Request(
        url,
        data=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload, secret=secret)},
        method="POST",
    )
    try:
        with urlopen(request, timeout=10) as response:
            return response.status
    except Exception as error:  # an HTTPError carries the status
        return getattr(error, "code", 0)


def deliver(client, event: dict | str, *, secret: str = WEBHOOK_SECRET, timestamp=None, body=None):
    """POST a signed event to the webhook with Django's test client. `body` replaces the
    signed payload (a changed body keeps the old signature)."""
    payload = event if isinstance(event, str) else json.dumps(event)
    header = sign(payload, secret=secret, timestamp=timestamp)
    return client.post(
        reverse("orders:stripe_webhook"),
        data=body if body is not None else payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )


@pytest.fixture(name="stripe_stub")
def stripe_stub_fixture(settings):
    """`stripe_stub`: a running stub; settings point the real `stripe` library at it.
    Test modules import `stripe_stub_fixture` and ask for `stripe_stub`."""
    stub = StripeStub().start()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stub.url
    yield stub
    stub.stop()


# --- Card orders, as the app makes them -------------------------------------------------------


def start_checkout(order) -> str:
    """Open the order's Checkout Session at the stub; returns the session id."""
    from orders.models import Order
    from orders.payments import card_checkout

    card_checkout.card_checkout_start(
        order=order, success_url="http://testserver/ok/", cancel_url="http://testserver/back/"
    )
    return Order.objects.get(pk=order.pk).stripe_session_id


def authorise(client, stub: StripeStub, order, capture_callbacks):
    """The buyer pays on the hosted page and the signed completed event arrives."""
    session_id = start_checkout(order)
    event = stub.pay(session_id)
    with capture_callbacks(execute=True):
        response = deliver(client, event)
    assert response.status_code == 200, response.content
    order.refresh_from_db()
    return event
