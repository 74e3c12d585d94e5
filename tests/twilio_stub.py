"""A tiny local stand-in for Twilio's Messages API, for tests that drive the real `twilio` SDK.

`TwilioStub` runs `http.server` in a thread on 127.0.0.1 (a free port) and answers what Minga
calls, shaped as Twilio answers it:

* `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (To, From, Body, ContentSid,
  ContentVariables, StatusCallback, MessagingServiceSid): 201 and a Message resource (sid
  "SM" + 32 hex, status "queued", `num_segments` counted as carriers count them: GSM-7 160/153
  septets, UCS-2 70/67 code units, RFC 2822 dates, uri, subresource_uris...).
* `GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json`.

It checks HTTP Basic auth (account sid, auth token) and answers errors in Twilio's JSON
(`{"code", "message", "more_info", "status"}`), so the SDK raises its own
`TwilioRestException` with the real code: 20003 bad credentials (401), 20404 unknown resource,
21211 invalid To, 21614 a landline (`stub.landlines`), 21602/21603 no body/no From, 21910 a
WhatsApp/SMS From-To mismatch, 63016 free-form WhatsApp outside the 24-hour window (a To not in
`stub.session_open` and no ContentSid). Real Twilio accepts that last message (201) and fails it
later, in the status callback, with ErrorCode 63016: `stub.whatsapp_window = "async"` does that;
the default, "sync", answers 400 at once.

Faults: `fail_next(n, status=500)`, `delay_next(seconds)` (the message is still created, the
answer comes late: the client times out not knowing it was sent), `landlines.add(number)`.

Callbacks are signed like Twilio signs them (X-Twilio-Signature from the SDK's own
`RequestValidator(auth_token).compute_signature(url, params)`): `advance(sid, status)` posts
the status callback, `inbound(url, from_, body)` posts an incoming SMS/WhatsApp reply; both
go over HTTP, or through a Django test client (`client=`) when no server listens. With
`auto_advance=True` every created message goes "sent" then "delivered" by itself (e2e).

The `twilio_stub` fixture (registered in tests/conftest.py) starts one and points settings
at it; `StubRoutingHttpClient` sends the SDK to it in this module's own tests. Nothing here
reaches the internet.
"""

import base64
import binascii
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qsl, urlencode, urlsplit
from urllib.request import Request, urlopen

import pytest
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "5ca1ab1e" * 4
SMS_FROM = "+15005550006"
WHATSAPP_FROM = "whatsapp:+14155238886"
API_VERSION = "2010-04-01"
TWILIO_API = "https://api.twilio.com"

STATUSES = {"queued", "accepted", "sending", "sent", "delivered", "undelivered", "failed", "read", "canceled"}
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_MESSAGES = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages(?:/(?P<sid>[^/]+))?\.json$")

# GSM 03.38: the basic set costs one septet, the extension set two (escape + char).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("\f^{}\\[~]|€")


def num_segments(body: str) -> int:
    """How many SMS segments carry `body`: GSM-7 when every character is in GSM 03.38 (160
    septets alone, 153 each when concatenated), else UCS-2 (70 UTF-16 units, 67 each). A
    two-unit character (an escape, a surrogate pair) never straddles two segments."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in body):
        costs = [2 if c in GSM7_EXTENSION else 1 for c in body]
        single, multi = 160, 153
    else:
        costs = [len(c.encode("utf-16-le")) // 2 for c in body]
        single, multi = 70, 67
    if sum(costs) <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments, used = segments + 1, 0
        used += cost
    return segments


def twilio_error(code: int, message: str, status: int) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class StubError(Exception):
    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status, self.payload = status, twilio_error(code, message, status)


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, str] = field(default_factory=dict)
    authorized: bool = True


@dataclass
class Delivery:
    """A callback the stub posted: where, what, and what the app answered."""

    url: str
    params: dict[str, str]
    signature: str
    status: int


def _bare(number: str) -> str:
    return number.removeprefix("whatsapp:")


def sign(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio sends for a form POST to `url`, by the SDK's own code."""
    return RequestValidator(token).compute_signature(url, params)


class TwilioStub:
    def __init__(
        self,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        *,
        auto_advance: bool = False,
        auto_advance_delay: float = 0.2,
        whatsapp_window: str = "sync",
    ):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.auto_advance = auto_advance
        self.auto_advance_delay = auto_advance_delay
        self.whatsapp_window = whatsapp_window  # "sync": 400 63016 at once; "async": 201, then failed
        self.landlines: set[str] = set()
        self.session_open: set[str] = set()  # WhatsApp numbers that wrote in the last 24 hours
        self.requests: list[Recorded] = []
        self.deliveries: list[Delivery] = []
        self._messages: dict[str, dict] = {}  # sid -> Twilio's resource
        self._extra: dict[str, dict] = {}  # sid -> what the resource does not show
        self._fail: list[int] = []
        self._delays: list[float] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._workers: list[threading.Thread] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "TwilioStub":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # cuts delays short
        for worker in list(self._workers):
            worker.join(timeout=5)
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    # --- What tests read ----------------------------------------------------------------------

    @property
    def messages(self) -> list[dict]:
        """Every created message, oldest first: sid, to, from, body, content_sid,
        content_variables, status_callback, messaging_service_sid, status, error_code."""
        with self._lock:
            return [self._summary(sid) for sid in self._messages]

    def sent_to(self, number: str) -> list[dict]:
        """Messages to exactly `number` ("+57..." for SMS, "whatsapp:+57..." for WhatsApp)."""
        return [m for m in self.messages if m["to"] == number]

    def resource(self, sid: str) -> dict:
        """The Message resource as the API shows it."""
        with self._lock:
            return dict(self._messages[sid])

    def _summary(self, sid: str) -> dict:
        resource, extra = self._messages[sid], self._extra[sid]
        return {
            "sid": sid,
            "to": resource["to"],
            "from": resource["from"],
            "body": resource["body"],
            "content_sid": extra["content_sid"],
            "content_variables": extra["content_variables"],
            "status_callback": extra["status_callback"],
            "messaging_service_sid": resource["messaging_service_sid"],
            "status": resource["status"],
            "error_code": resource["error_code"],
        }

    # --- Fault injection ----------------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """The next `n` API requests are answered `status` (Twilio's error JSON) and do nothing."""
        with self._lock:
            self._fail.extend([status] * n)

    def delay_next(self, seconds: float, n: int = 1) -> None:
        """The next `n` API requests are carried out, then answered `seconds` late."""
        with self._lock:
            self._delays.extend([seconds] * n)

    # --- The API --------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, form: dict, authorization: str | None
    ) -> tuple[int, dict, float]:
        """One API request: (status, JSON body, seconds to wait before answering)."""
        with self._lock:
            authorized = self._authorized(authorization)
            self.requests.append(Recorded(method, path, dict(form), authorized))
            delay = self._delays.pop(0) if self._delays else 0.0
            if not authorized:
                return 401, twilio_error(20003, "Authenticate", 401), delay
            if self._fail:
                status = self._fail.pop(0)
                reason = {429: "Too Many Requests", 503: "Service Unavailable"}.get(
                    status, "Internal Server Error"
                )
                return status, twilio_error(20000 + status, reason, status), delay
            try:
                status, body = self._route(method, path, form)
            except StubError as error:
                return error.status, error.payload, delay
        return status, body, delay

    def _authorized(self, authorization: str | None) -> bool:
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(f"{user}:{password}", f"{self.account_sid}:{self.auth_token}")

    def _route(self, method: str, path: str, form: dict) -> tuple[int, dict]:
        match = _MESSAGES.match(path)
        if not match or match["account"] != self.account_sid:
            raise StubError(404, 20404, f"The requested resource {path} was not found")
        if method == "POST" and match["sid"] is None:
            return 201, self._create(form)
        if method == "GET" and match["sid"] is not None:
            if match["sid"] not in self._messages:
                raise StubError(404, 20404, f"The requested resource {path} was not found")
            return 200, dict(self._messages[match["sid"]])
        if method == "GET":
            return 200, self._list(path, form)
        raise StubError(405, 20004, "Method not allowed")

    def _list(self, path: str, query: dict) -> dict:
        """GET Messages.json?To=…&DateSent>=YYYY-MM-DD: newest first, one page, as Twilio pages."""
        rows = [
            dict(m)
            for m in reversed(list(self._messages.values()))
            if ("To" not in query or m["to"] == query["To"])
            and ("From" not in query or m["from"] == query["From"])
        ]
        size = int(query.get("PageSize", 50))
        return {
            "messages": rows[:size],
            "uri": path,
            "first_page_uri": path,
            "next_page_uri": None,
            "previous_page_uri": None,
            "page": 0,
            "page_size": size,
            "start": 0,
            "end": max(len(rows[:size]) - 1, 0),
        }

    def _create(self, form: dict) -> dict:
        to, from_ = form.get("To", ""), form.get("From")
        service = form.get("MessagingServiceSid")
        body, content_sid = form.get("Body", ""), form.get("ContentSid")
        whatsapp = to.startswith("whatsapp:")
        if not to:
            raise StubError(400, 21604, "A 'To' phone number is required.")
        if not _E164.match(_bare(to)):
            raise StubError(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not from_ and not service:
            raise StubError(400, 21603, "A 'From' phone number is required.")
        if from_ and from_.startswith("whatsapp:") != whatsapp:
            raise StubError(400, 21910, "Invalid From and To pair. From and To should be of the same channel")
        if not body and not content_sid and not form.get("MediaUrl"):
            raise StubError(400, 21602, "Message body is required.")
        if len(body) > 1600:
            raise StubError(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if content_sid and not re.fullmatch(r"HX[0-9a-f]{32}", content_sid):
            raise StubError(400, 21655, "The ContentSid is Invalid.")
        variables = form.get("ContentVariables")
        if variables is not None:
            try:
                if not isinstance(json.loads(variables), dict):
                    raise ValueError
            except ValueError:
                raise StubError(400, 21656, "The ContentVariables Parameter is invalid.") from None
        if not whatsapp and _bare(to) in self.landlines:
            raise StubError(400, 21614, "'To' number is not a valid mobile number")
        doomed = None
        if whatsapp and not content_sid and not self._in_session(to):
            if self.whatsapp_window != "async":
                raise StubError(
                    400,
                    63016,
                    "Failed to send freeform message because you are outside the allowed window. "
                    "If you are using WhatsApp, please use a Message Template.",
                )
            doomed = 63016
        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=False)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        self._messages[sid] = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "1" if whatsapp else str(num_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service and not from_ else "queued",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": to,
            "uri": uri,
        }
        self._extra[sid] = {
            "content_sid": content_sid,
            "content_variables": variables,
            "status_callback": form.get("StatusCallback"),
            "doomed": doomed,
        }
        if self.auto_advance:
            self._spawn(self._auto_advance, sid)
        return dict(self._messages[sid])

    def _in_session(self, to: str) -> bool:
        return to in self.session_open or _bare(to) in self.session_open

    # --- What happens after: status callbacks and replies ---------------------------------------

    def advance(self, sid: str, status: str, error_code: int | None = None, *, client=None) -> int | None:
        """Move a message to `status` and post Twilio's signed status callback to its
        StatusCallback (through `client`, a Django test client, when given). Returns the
        status the app answered, or None when the message has no callback."""
        if status not in STATUSES:
            raise ValueError(f"not a Twilio message status: {status}")
        with self._lock:
            resource, extra = self._messages[sid], self._extra[sid]
            resource["status"] = status
            resource["date_updated"] = formatdate(usegmt=False)
            if status == "sent" and not resource["date_sent"]:
                resource["date_sent"] = resource["date_updated"]
            if error_code is None and status in ("failed", "undelivered"):
                error_code = extra["doomed"] or 30008  # 30008: unknown error
            if error_code is not None:
                resource["error_code"] = error_code
            callback = extra["status_callback"]
            params = {
                "ApiVersion": API_VERSION,
                "AccountSid": self.account_sid,
                "MessageSid": sid,
                "SmsSid": sid,
                "MessageStatus": status,
                "SmsStatus": status,
                "From": resource["from"] or "",
                "To": resource["to"],
            }
            if resource["messaging_service_sid"]:
                params["MessagingServiceSid"] = resource["messaging_service_sid"]
            if resource["to"].startswith("whatsapp:"):
                params["ChannelPrefix"] = "whatsapp"
            if error_code is not None:
                params["ErrorCode"] = str(error_code)
        if not callback:
            return None
        return self.post_signed(callback, params, client=client)

    def inbound(
        self,
        url: str,
        from_: str,
        body: str,
        to: str | None = None,
        *,
        profile_name: str = "Rosa",
        client=None,
    ) -> int:
        """An incoming SMS or WhatsApp message ("PARE", "STOP"...), posted signed to `url`.
        `to` defaults to the stub's own number for the channel; a WhatsApp message opens
        its sender's 24-hour session. Returns the status the app answered."""
        whatsapp = from_.startswith("whatsapp:")
        sid = "SM" + secrets.token_hex(16)
        params = {
            "ApiVersion": API_VERSION,
            "AccountSid": self.account_sid,
            "MessageSid": sid,
            "SmsSid": sid,
            "SmsMessageSid": sid,
            "SmsStatus": "received",
            "From": from_,
            "To": to or (WHATSAPP_FROM if whatsapp else SMS_FROM),
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
        }
        if whatsapp:
            params.update(WaId=_bare(from_).lstrip("+"), ProfileName=profile_name, MessageType="text")
            with self._lock:
                self.session_open.add(_bare(from_))
        return self.post_signed(url, params, client=client)

    def post_signed(self, url: str, params: dict, *, client=None) -> int:
        """POST a form to `url` as Twilio does: urlencoded, X-Twilio-Signature signed with
        the auth token over the full URL (query string included) and the sorted params."""
        signature = sign(url, params, self.auth_token)
        if client is not None:
            parts = urlsplit(url)
            response = client.post(
                parts.path + (f"?{parts.query}" if parts.query else ""),
                data=urlencode(params),
                content_type="application/x-www-form-urlencoded",
                secure=parts.scheme == "https",
                headers={
                    "Host": parts.netloc,
                    "X-Twilio-Signature": signature,
                    "User-Agent": "TwilioProxy/1.1",
                },
            )
            status = response.status_code
        else:
            request = Request(
                url,
                data=urlencode(params).encode(),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                    "X-Twilio-Signature": signature,
                    "User-Agent": "TwilioProxy/1.1",
                },
                method="POST",
            )
            try:
                with urlopen(request, timeout=10) as response:
                    status = response.status
            except HTTPError as error:
                status = error.code
            except (URLError, OSError):
                status = 0
        with self._lock:
            self.deliveries.append(Delivery(url, dict(params), signature, status))
        return status

    def _spawn(self, target, *args) -> None:
        worker = threading.Thread(target=target, args=args, daemon=True)
        self._workers.append(worker)
        worker.start()

    def _auto_advance(self, sid: str) -> None:
        doomed = self._extra[sid]["doomed"]
        steps = [("failed", doomed)] if doomed else [("sent", None), ("delivered", None)]
        for status, code in steps:
            if self._stopping.wait(self.auto_advance_delay):
                return
            self.advance(sid, status, code)


def _handler(stub: TwilioStub):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _dispatch(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else parts.query
            form = dict(parse_qsl(raw, keep_blank_values=True))
            status, payload, delay = stub.handle(method, parts.path, form, self.headers.get("Authorization"))
            if delay and stub._stopping.wait(delay):
                return
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Twilio-Request-Id", "RQ" + secrets.token_hex(16))
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up waiting
                pass

        def do_GET(self):
            self._dispatch("GET")

        def do_POST(self):
            self._dispatch("POST")

    return Handler


class StubRoutingHttpClient(TwilioHttpClient):
    """The SDK's own HTTP client, sending what it would send to https://api.twilio.com (or
    any *.twilio.com host an edge or region makes) to `base_url` instead. For this module's
    tests; the app has its own. It refuses any other host, so nothing reaches the internet."""

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        if parts.hostname is None or not (
            parts.hostname == "twilio.com" or parts.hostname.endswith(".twilio.com")
        ):
            raise ValueError(f"StubRoutingHttpClient: not a Twilio URL: {url}")
        url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def twilio_stub(settings):
    """`twilio_stub`: a running `TwilioStub`; settings point the app's Twilio provider at it
    (MINGA_SMS_PROVIDER, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_BASE,
    TWILIO_SMS_FROM, TWILIO_WHATSAPP_FROM). Stopped after the test."""
    stub = TwilioStub().start()
    settings.MINGA_SMS_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_API_BASE = stub.url
    settings.TWILIO_SMS_FROM = SMS_FROM
    settings.TWILIO_WHATSAPP_FROM = WHATSAPP_FROM
    yield stub
    stub.stop()
