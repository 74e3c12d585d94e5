"""The local Twilio stub speaks the Messages API the way the real `twilio` SDK expects it.

Every test drives `twilio.rest.Client` itself against the stub (tests/twilio_stub.py); none
needs the database, none reaches the internet.
"""

import json
import re
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.twilio_stub import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SMS_FROM,
    WHATSAPP_FROM,
    StubRoutingHttpClient,
    TwilioStub,
    num_segments,
)

MOBILE = "+573001234567"
LANDLINE = "+576012345678"
TEMPLATE = "HX" + "b" * 32


def sdk(stub: TwilioStub, token: str = AUTH_TOKEN, **http) -> Client:
    return Client(ACCOUNT_SID, token, http_client=StubRoutingHttpClient(stub.url, **http))


class Receiver:
    """A tiny app: records each form POST (path with query, headers, params) and answers 200."""

    def __init__(self):
        self.posts: list[tuple[str, dict, dict]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                with receiver.arrived:
                    receiver.posts.append(
                        (self.path, dict(self.headers), dict(parse_qsl(body, keep_blank_values=True)))
                    )
                    receiver.arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def wait_for(self, count: int, timeout: float = 5) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.posts) >= count, timeout), self.posts

    def verifies(self, index: int = -1) -> bool:
        path, headers, params = self.posts[index]
        return RequestValidator(AUTH_TOKEN).validate(self.url + path, params, headers["X-Twilio-Signature"])


@pytest.fixture
def receiver():
    app = Receiver()
    yield app
    app.server.shutdown()
    app.server.server_close()


def test_the_fixture_points_settings_at_the_stub(twilio_stub, settings):
    assert settings.MINGA_SMS_PROVIDER == "twilio"
    assert re.fullmatch(r"AC[0-9a-f]{32}", settings.TWILIO_ACCOUNT_SID)
    assert settings.TWILIO_AUTH_TOKEN == AUTH_TOKEN
    assert twilio_stub.url == settings.TWILIO_API_BASE
    assert settings.TWILIO_SMS_FROM == "+15005550006"
    assert settings.TWILIO_WHATSAPP_FROM == "whatsapp:+14155238886"


def test_an_sms_is_created_and_read_back_as_a_twilio_message(twilio_stub):
    client = sdk(twilio_stub)
    message = client.messages.create(to=MOBILE, from_=SMS_FROM, body="Su pedido llega el sábado")

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert message.status == "queued"
    assert message.num_segments == "1"
    assert (message.to, message.from_, message.account_sid) == (MOBILE, SMS_FROM, ACCOUNT_SID)
    assert message.direction == "outbound-api"
    assert isinstance(message.date_created, datetime)  # the SDK parsed an RFC 2822 date
    assert message.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message.sid}.json"
    assert message.error_code is None

    fetched = client.messages(message.sid).fetch()
    assert (fetched.sid, fetched.body, fetched.status) == (message.sid, "Su pedido llega el sábado", "queued")

    [recorded] = twilio_stub.sent_to(MOBILE)
    assert recorded["sid"] == message.sid
    assert recorded["body"] == "Su pedido llega el sábado"
    assert recorded["from"] == SMS_FROM
    assert twilio_stub.messages == [recorded]


def test_an_unknown_message_is_a_404_with_code_20404(twilio_stub):
    with pytest.raises(TwilioRestException) as caught:
        sdk(twilio_stub).messages("SM" + "0" * 32).fetch()
    assert (caught.value.status, caught.value.code) == (404, 20404)


def test_a_wrong_token_is_refused_with_20003(twilio_stub):
    with pytest.raises(TwilioRestException) as caught:
        sdk(twilio_stub, token="not-the-token").messages.create(to=MOBILE, from_=SMS_FROM, body="Hola")
    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert "Authenticate" in caught.value.msg
    assert twilio_stub.messages == []
    assert twilio_stub.requests[-1].authorized is False


def test_a_landline_is_not_a_mobile_number(twilio_stub):
    twilio_stub.landlines.add(LANDLINE)
    with pytest.raises(TwilioRestException) as caught:
        sdk(twilio_stub).messages.create(to=LANDLINE, from_=SMS_FROM, body="Hola")
    assert (caught.value.status, caught.value.code) == (400, 21614)
    assert "not a valid mobile number" in caught.value.msg


@pytest.mark.parametrize("to", ["3001234567", "+57 300 123", "+57abc1234567", "+0573001234567"])
def test_a_malformed_number_is_21211(twilio_stub, to):
    with pytest.raises(TwilioRestException) as caught:
        sdk(twilio_stub).messages.create(to=to, from_=SMS_FROM, body="Hola")
    assert (caught.value.status, caught.value.code) == (400, 21211)


def test_whatsapp_free_text_outside_the_session_needs_a_template(twilio_stub):
    client = sdk(twilio_stub)
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=f"whatsapp:{MOBILE}", from_=WHATSAPP_FROM, body="Hola")
    assert (caught.value.status, caught.value.code) == (400, 63016)

    twilio_stub.session_open.add(MOBILE)  # she wrote to us in the last 24 hours
    message = client.messages.create(to=f"whatsapp:{MOBILE}", from_=WHATSAPP_FROM, body="Hola")
    assert message.status == "queued"


def test_a_whatsapp_template_goes_out_with_its_variables(twilio_stub):
    variables = json.dumps({"1": "Doña Rosa", "2": "sábado 7"})
    message = sdk(twilio_stub).messages.create(
        to=f"whatsapp:{MOBILE}", from_=WHATSAPP_FROM, content_sid=TEMPLATE, content_variables=variables
    )
    assert message.status == "queued"
    [recorded] = twilio_stub.sent_to(f"whatsapp:{MOBILE}")
    assert recorded["content_sid"] == TEMPLATE
    assert json.loads(recorded["content_variables"]) == {"1": "Doña Rosa", "2": "sábado 7"}
    assert twilio_stub.sent_to(MOBILE) == []  # SMS and WhatsApp addresses are told apart


def test_bad_template_parameters_are_refused(twilio_stub):
    client = sdk(twilio_stub)
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=f"whatsapp:{MOBILE}", from_=WHATSAPP_FROM, content_sid="HXnope")
    assert caught.value.code == 21655
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(
            to=f"whatsapp:{MOBILE}", from_=WHATSAPP_FROM, content_sid=TEMPLATE, content_variables="{not json"
        )
    assert caught.value.code == 21656
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=f"whatsapp:{MOBILE}", from_=SMS_FROM, content_sid=TEMPLATE)
    assert caught.value.code == 21910


def test_the_realistic_window_mode_fails_the_message_later(twilio_stub, receiver):
    """Real Twilio accepts a free-form WhatsApp message outside the window and fails it in
    the status callback with ErrorCode 63016."""
    twilio_stub.whatsapp_window = "async"
    message = sdk(twilio_stub).messages.create(
        to=f"whatsapp:{MOBILE}", from_=WHATSAPP_FROM, body="Hola", status_callback=receiver.url + "/status/"
    )
    assert message.status == "queued"
    assert twilio_stub.advance(message.sid, "failed") == 200
    params = receiver.posts[-1][2]
    assert (params["MessageStatus"], params["ErrorCode"], params["ChannelPrefix"]) == (
        "failed",
        "63016",
        "whatsapp",
    )
    assert twilio_stub.messages[0]["error_code"] == 63016


def test_fail_next_answers_500_then_recovers(twilio_stub):
    twilio_stub.fail_next(1)
    client = sdk(twilio_stub)
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=MOBILE, from_=SMS_FROM, body="Hola")
    assert caught.value.status == 500
    assert twilio_stub.messages == []  # a failed request sends nothing

    client.messages.create(to=MOBILE, from_=SMS_FROM, body="Hola")
    assert len(twilio_stub.sent_to(MOBILE)) == 1


def test_fail_next_429_is_twilios_too_many_requests(twilio_stub):
    twilio_stub.fail_next(2, status=429)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            sdk(twilio_stub).messages.create(to=MOBILE, from_=SMS_FROM, body="Hola")
        assert (caught.value.status, caught.value.code) == (429, 20429)


def test_a_slow_answer_is_a_client_timeout_yet_the_message_was_sent(twilio_stub):
    """The SDK does not wrap timeouts: requests' Timeout comes out, an OSError (IOError)."""
    twilio_stub.delay_next(2)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout) as caught:
        sdk(twilio_stub, timeout=0.3).messages.create(to=MOBILE, from_=SMS_FROM, body="Hola")
    assert time.monotonic() - started < 1.5
    assert isinstance(caught.value, OSError)
    assert len(twilio_stub.sent_to(MOBILE)) == 1  # the ambiguity a retry must live with


def test_status_callbacks_are_signed_as_twilio_signs_them(twilio_stub, receiver):
    callback = receiver.url + "/messages/twilio/status/?m=7"
    message = sdk(twilio_stub).messages.create(
        to=MOBILE, from_=SMS_FROM, body="Hola", status_callback=callback
    )
    assert twilio_stub.messages[0]["status_callback"] == callback

    assert twilio_stub.advance(message.sid, "sent") == 200
    assert twilio_stub.advance(message.sid, "undelivered", error_code=30003) == 200

    receiver.wait_for(2)
    (path, headers, sent), (_, _, undelivered) = receiver.posts
    assert path == "/messages/twilio/status/?m=7"
    assert headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert sent == {
        "ApiVersion": "2010-04-01",
        "AccountSid": ACCOUNT_SID,
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "MessageStatus": "sent",
        "SmsStatus": "sent",
        "From": SMS_FROM,
        "To": MOBILE,
    }
    assert (undelivered["MessageStatus"], undelivered["ErrorCode"]) == ("undelivered", "30003")
    assert receiver.verifies(0) and receiver.verifies(1)
    # The signature covers the URL's query and every parameter: a changed one fails.
    assert not RequestValidator(AUTH_TOKEN).validate(
        callback, {**sent, "MessageStatus": "delivered"}, headers["X-Twilio-Signature"]
    )
    assert not RequestValidator("other-token").validate(callback, sent, headers["X-Twilio-Signature"])

    fetched = sdk(twilio_stub).messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)
    assert [d.status for d in twilio_stub.deliveries] == [200, 200]


def test_advance_without_a_callback_only_moves_the_status(twilio_stub):
    message = sdk(twilio_stub).messages.create(to=MOBILE, from_=SMS_FROM, body="Hola")
    assert twilio_stub.advance(message.sid, "delivered") is None
    assert twilio_stub.messages[0]["status"] == "delivered"
    with pytest.raises(ValueError):
        twilio_stub.advance(message.sid, "lost")


def test_an_inbound_reply_is_signed_and_opens_the_whatsapp_session(twilio_stub, receiver):
    assert twilio_stub.inbound(receiver.url + "/messages/twilio/inbound/", MOBILE, "PARE") == 200
    path, _, params = receiver.posts[-1]
    assert (params["From"], params["To"], params["Body"], params["NumMedia"]) == (
        MOBILE,
        SMS_FROM,
        "PARE",
        "0",
    )
    assert params["AccountSid"] == ACCOUNT_SID and re.fullmatch(r"SM[0-9a-f]{32}", params["MessageSid"])
    assert receiver.verifies()

    twilio_stub.inbound(receiver.url + "/messages/twilio/inbound/", f"whatsapp:{MOBILE}", "Hola")
    assert receiver.posts[-1][2]["To"] == WHATSAPP_FROM
    assert receiver.verifies()
    message = sdk(twilio_stub).messages.create(to=f"whatsapp:{MOBILE}", from_=WHATSAPP_FROM, body="¡Hola!")
    assert message.status == "queued"  # free text now allowed


def test_auto_advance_posts_sent_then_delivered(receiver):
    stub = TwilioStub(auto_advance=True, auto_advance_delay=0.05).start()
    try:
        message = sdk(stub).messages.create(
            to=MOBILE, from_=SMS_FROM, body="Hola", status_callback=receiver.url + "/status/"
        )
        receiver.wait_for(2)
        assert [p[2]["MessageStatus"] for p in receiver.posts] == ["sent", "delivered"]
        assert {p[2]["MessageSid"] for p in receiver.posts} == {message.sid}
        assert receiver.verifies(0) and receiver.verifies(1)
        assert stub.messages[0]["status"] == "delivered"
    finally:
        stub.stop()


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("á" + "a" * 69, 1),  # "á" is not GSM-7: UCS-2, 70 a segment
        ("á" + "a" * 70, 2),
        ("é" * 160, 1),  # "é" is GSM-7
        ("€" * 80, 1),  # extension characters cost two septets
        ("€" * 81, 2),
        ("a" * 152 + "€", 1),  # 154 septets fit one segment
        ("a" * 152 + "€" + "a" * 8, 2),  # the escape moves to the second segment, not split
        ("🌽" * 35, 1),  # a surrogate pair is two UCS-2 units
        ("🌽" * 36, 2),
        ("", 1),
    ],
)
def test_segments_are_counted_as_carriers_count_them(body, segments):
    assert num_segments(body) == segments


@pytest.mark.parametrize(("body", "segments"), [("a" * 160, "1"), ("a" * 161, "2"), ("á" + "a" * 70, "2")])
def test_the_api_reports_segments(twilio_stub, body, segments):
    message = sdk(twilio_stub).messages.create(to=MOBILE, from_=SMS_FROM, body=body)
    assert message.num_segments == segments


def test_other_ways_to_point_the_sdk_elsewhere(twilio_stub):
    """`client.api.base_url` works for the Messages API alone (each domain keeps its own);
    an edge or region only picks another *.twilio.com host, which the routing client sends
    to the stub all the same, and it refuses any host that is not Twilio's."""
    client = Client(ACCOUNT_SID, AUTH_TOKEN)
    client.api.base_url = twilio_stub.url
    assert client.messages.create(to=MOBILE, from_=SMS_FROM, body="Hola").status == "queued"

    routed = Client(
        ACCOUNT_SID, AUTH_TOKEN, edge="sydney", http_client=StubRoutingHttpClient(twilio_stub.url)
    )
    assert routed.get_hostname("https://api.twilio.com/x") == "https://api.sydney.us1.twilio.com/x"
    assert routed.messages.create(to=MOBILE, from_=SMS_FROM, body="Hola").status == "queued"

    with pytest.raises(ValueError):
        StubRoutingHttpClient(twilio_stub.url).request("GET", "https://example.com/")
    assert urlsplit(twilio_stub.url).hostname == "127.0.0.1"


# --- Through Django's test client, when no server listens ------------------------------------


def _status_view(request):
    """What the app's view does: validate over the absolute URL and the POSTed form."""
    from django.http import HttpResponse

    valid = RequestValidator(AUTH_TOKEN).validate(
        request.build_absolute_uri(), request.POST, request.headers.get("X-Twilio-Signature", "")
    )
    return HttpResponse(request.POST["MessageStatus"], status=200 if valid else 403)


urlpatterns = []  # filled below: this module is its own urlconf for the next test


def test_callbacks_go_through_a_django_test_client(twilio_stub, client, settings):
    from django.urls import path

    urlpatterns[:] = [path("twilio/status/", _status_view)]
    settings.ROOT_URLCONF = __name__
    callback = "http://testserver/twilio/status/?m=42"
    message = sdk(twilio_stub).messages.create(
        to=MOBILE, from_=SMS_FROM, body="Hola", status_callback=callback
    )

    assert twilio_stub.advance(message.sid, "delivered", client=client) == 200
    assert twilio_stub.deliveries[-1].params["MessageStatus"] == "delivered"

    tampered = TwilioStub(auth_token="another-token")  # signs with the wrong token
    assert tampered.post_signed(callback, {"MessageStatus": "sent"}, client=client) == 403
    tampered.stop()
