"""The outbox: one row per event, recipient and channel; sent once by the real `twilio` SDK
against the local stub; retries with backoff, then the person's next channel; signed
callbacks; "PARE"."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from market.messages.outbox import Notice, notify
from market.messages.recipients import Recipient
from market.messages.sending import message_deliver, message_resend, messages_send_due
from market.messages.sms import gsm_text, sms_segments
from market.models import Message, MessageOptOut, MessageState

# A notice of the orders app, with all three channels and real templates.
from orders.notifications import ORDER_READY
from tests.factories import MembershipFactory, UserFactory, make_product
from tests.orders.factories import place_order

MOBILE = "+573001234567"
OTHER_MOBILE = "+573109876543"
LANDLINE = "+576014567890"  # Bogotá, fixed line


@pytest.fixture
def order(db, cooperative):
    MembershipFactory(cooperative=cooperative, role="manager")
    buyer = UserFactory(email="rosa@example.org", phone=MOBILE, phone_verified=True)
    placed = place_order(buyer, [(make_product(cooperative, name="Panela"), "2")])
    Message.objects.all().delete()
    mail.outbox.clear()
    return placed


def _ready(order, **recipient):
    with transaction.atomic():
        notify(
            ORDER_READY,
            event=f"test_ready:{order.pk}",
            about=f"order:{order.pk}",
            to=[Recipient(**recipient) if recipient else Recipient.of(order.buyer)],
            context={"order": order, "url": "http://testserver/p/", "handover_line": "Recogida."},
            subject_fields={"number": order.number},
        )


def _send_queued():
    for pk in Message.objects.filter(state=MessageState.QUEUED).values_list("pk", flat=True):
        message_deliver(message_id=pk)


def _rows(order):
    return list(Message.objects.about(f"order:{order.pk}").values_list("channel", "state"))


# --- Channels in her order ---------------------------------------------------------------


def test_a_verified_mobile_gets_sms_first_with_email_on_standby(order, twilio_stub):
    _ready(order)
    assert _rows(order) == [("sms", "queued"), ("email", "standby")]
    _send_queued()
    assert _rows(order) == [("sms", "sent"), ("email", "skipped")]
    (sms,) = twilio_stub.sent_to(MOBILE)
    assert order.number in sms["body"] and "listo" in sms["body"]
    assert mail.outbox == []
    message = Message.objects.get(channel="sms")
    assert message.provider_id == sms["sid"] and message.attempts == 1


def test_whatsapp_when_she_agreed_goes_as_its_approved_template(order, twilio_stub, settings):
    order.buyer.whatsapp_consent_at = timezone.now()
    order.buyer.save()
    _ready(order)
    assert _rows(order) == [("whatsapp", "queued"), ("sms", "standby"), ("email", "standby")]
    _send_queued()
    (sent,) = twilio_stub.sent_to(f"whatsapp:{MOBILE}")
    assert sent["content_sid"] == settings.TWILIO_CONTENT_SIDS["minga_pedido_listo"]
    assert f'"1": "{order.number}"' in sent["content_variables"]
    assert _rows(order) == [("whatsapp", "sent"), ("sms", "skipped"), ("email", "skipped")]


def test_an_unverified_number_is_a_visible_failure_and_email_goes_instead(order, twilio_stub):
    order.buyer.phone_verified = False
    order.buyer.message_channels = "sms,email"
    order.buyer.save()
    _ready(order)
    sms = Message.objects.get(channel="sms")
    assert sms.state == MessageState.FAILED and "not verified" in sms.error
    _send_queued()
    assert twilio_stub.messages == []
    assert [m.to for m in mail.outbox] == [["rosa@example.org"]]


def test_a_person_without_an_account_is_reached_by_her_phone(order, twilio_stub):
    _ready(order, phone=OTHER_MOBILE, name="Doña Carmen", language="es")
    assert _rows(order) == [("sms", "queued")]
    _send_queued()
    assert len(twilio_stub.sent_to(OTHER_MOBILE)) == 1
    assert Message.objects.get().user is None


def test_her_language_is_english_when_she_ordered_in_english(order, twilio_stub):
    _ready(order, phone=OTHER_MOBILE, language="en")
    _send_queued()
    (sms,) = twilio_stub.sent_to(OTHER_MOBILE)
    assert "is ready" in sms["body"]


# --- Provider errors: retry, then fall back -----------------------------------------------


def test_a_landline_fails_at_once_and_falls_back_to_email(order, twilio_stub):
    order.buyer.phone = LANDLINE
    order.buyer.save()
    _ready(order)
    sms = Message.objects.get(channel="sms")
    assert sms.state == MessageState.FAILED and "landline" in sms.error
    _send_queued()
    assert twilio_stub.messages == [] and [m.to for m in mail.outbox] == [["rosa@example.org"]]


def test_a_number_the_provider_refuses_falls_back_to_the_next_channel(order, twilio_stub):
    twilio_stub.landlines.add(MOBILE)  # the provider knows better: not a mobile
    _ready(order)
    _send_queued()
    _send_queued()  # the fallback, queued after the failure
    sms = Message.objects.get(channel="sms")
    assert sms.state == MessageState.FAILED and "21614" in sms.error
    email = Message.objects.get(channel="email")
    assert email.state == MessageState.SENT and email.fallback_of_id == sms.pk
    assert [m.to for m in mail.outbox] == [["rosa@example.org"]]


def test_a_provider_outage_is_retried_with_backoff_then_falls_back(order, twilio_stub, settings):
    settings.MINGA_MESSAGE_ATTEMPTS = 3
    twilio_stub.fail_next(10, status=503)
    _ready(order)
    _send_queued()
    sms = Message.objects.get(channel="sms")
    assert sms.state == MessageState.QUEUED and sms.attempts == 1 and "503" in sms.error
    first_wait = sms.send_after - timezone.now()
    with time_machine.travel(sms.send_after + timedelta(seconds=1)):
        messages_send_due()
    sms.refresh_from_db()
    assert sms.attempts == 2 and sms.send_after - timezone.now() > first_wait  # it doubles
    with time_machine.travel(sms.send_after + timedelta(seconds=1)):
        messages_send_due()  # third attempt fails: the e-mail goes instead
    sms.refresh_from_db()
    assert sms.state == MessageState.FAILED and sms.attempts == 3
    _send_queued()
    assert [m.to for m in mail.outbox] == [["rosa@example.org"]]
    assert twilio_stub.messages == []  # nothing was half-sent


def test_a_provider_timeout_is_retried_not_lost(order, twilio_stub, settings):
    settings.TWILIO_TIMEOUT_SECONDS = 0.3
    twilio_stub.fail_next(1, status=500)
    _ready(order)
    _send_queued()
    sms = Message.objects.get(channel="sms")
    assert sms.state == MessageState.QUEUED
    with time_machine.travel(sms.send_after + timedelta(seconds=1)):
        messages_send_due()
    sms.refresh_from_db()
    assert sms.state == MessageState.SENT and len(twilio_stub.sent_to(MOBILE)) == 1


def test_a_template_variable_whatsapp_would_refuse_fails_visibly_and_sms_goes(order, twilio_stub):
    order.buyer.whatsapp_consent_at = timezone.now()
    order.buyer.save()
    with transaction.atomic():
        notify(
            ORDER_READY,
            event="long",
            about=f"order:{order.pk}",
            to=[Recipient.of(order.buyer)],
            context={"order": order, "url": "http://testserver/p/", "handover_line": "x" * 1100},
            subject_fields={"number": order.number},
        )
    whatsapp = Message.objects.get(channel="whatsapp")
    assert whatsapp.state == MessageState.FAILED and "1024" in whatsapp.error
    _send_queued()
    assert Message.objects.get(channel="sms").state == MessageState.SENT


def test_a_template_without_an_approved_id_goes_by_sms(order, twilio_stub, settings):
    settings.TWILIO_CONTENT_SIDS = "{}"
    order.buyer.whatsapp_consent_at = timezone.now()
    order.buyer.save()
    _ready(order)
    _send_queued()
    _send_queued()
    assert "no approved content id" in Message.objects.get(channel="whatsapp").error
    assert len(twilio_stub.sent_to(MOBILE)) == 1


def test_staff_resend_a_failed_message_once(order, twilio_stub):
    twilio_stub.landlines.add(MOBILE)
    order.buyer.message_channels = "sms"
    order.buyer.save()
    _ready(order)
    _send_queued()
    sms = Message.objects.get(channel="sms")
    assert sms.state == MessageState.FAILED
    twilio_stub.landlines.discard(MOBILE)
    message_resend(message=sms)
    message_resend(message=sms)  # a double click
    _send_queued()
    assert Message.objects.get(pk=sms.pk).state == MessageState.SENT
    assert len(twilio_stub.sent_to(MOBILE)) == 1


# --- Delivery callbacks -------------------------------------------------------------------


def test_a_signed_callback_marks_it_delivered_and_a_replay_changes_nothing(order, twilio_stub, client):
    _ready(order)
    _send_queued()
    (sent,) = twilio_stub.sent_to(MOBILE)
    assert twilio_stub.advance(sent["sid"], "sent", client=client) == 204
    assert twilio_stub.advance(sent["sid"], "delivered", client=client) == 204
    message = Message.objects.get(channel="sms")
    assert message.state == MessageState.DELIVERED and message.delivered_at
    # A replayed "sent" (or a late one) does not move it back.
    assert twilio_stub.advance(sent["sid"], "sent", client=client) == 204
    assert Message.objects.get(pk=message.pk).state == MessageState.DELIVERED


def test_a_forged_callback_is_refused_and_changes_nothing(order, twilio_stub, client):
    _ready(order)
    _send_queued()
    (sent,) = twilio_stub.sent_to(MOBILE)
    url = reverse("messages:twilio_status") + f"?m={Message.objects.get(channel='sms').pk}"
    forged = {"MessageSid": sent["sid"], "MessageStatus": "failed", "AccountSid": "AC1"}
    assert client.post(url, forged).status_code == 403
    assert client.post(url, forged, headers={"X-Twilio-Signature": "bm9wZQ=="}).status_code == 403
    assert Message.objects.get(channel="sms").state == MessageState.SENT
    assert Message.objects.get(channel="email").state == MessageState.SKIPPED


def test_an_undelivered_callback_falls_back_to_the_next_channel(order, twilio_stub, client):
    _ready(order)
    _send_queued()
    (sent,) = twilio_stub.sent_to(MOBILE)
    Message.objects.filter(channel="email").update(state=MessageState.STANDBY)  # as before sending
    assert twilio_stub.advance(sent["sid"], "undelivered", error_code=30003, client=client) == 204
    sms = Message.objects.get(channel="sms")
    assert sms.state == MessageState.FAILED and "30003" in sms.error
    _send_queued()
    assert [m.to for m in mail.outbox] == [["rosa@example.org"]]


def test_a_callback_for_a_message_whose_worker_died_before_recording_it_still_lands(
    order, twilio_stub, client
):
    _ready(order)
    _send_queued()
    (sent,) = twilio_stub.sent_to(MOBILE)
    # The worker died after Twilio accepted it, before it wrote the id: "interrupted".
    Message.objects.filter(channel="sms").update(
        state=MessageState.FAILED, provider_id="", error="interrupted"
    )
    assert twilio_stub.advance(sent["sid"], "delivered", client=client) == 204
    message = Message.objects.get(channel="sms")
    assert message.state == MessageState.DELIVERED and message.provider_id == sent["sid"]


# --- "PARE" -------------------------------------------------------------------------------


def test_pare_stops_sms_to_that_number_and_inicio_starts_it_again(order, twilio_stub, client):
    url = "http://testserver" + reverse("messages:twilio_incoming")
    assert twilio_stub.inbound(url, MOBILE, "Pare", client=client) == 200
    assert MessageOptOut.objects.filter(address=MOBILE, channel="sms").exists()
    _ready(order)
    assert _rows(order) == [("email", "queued")]  # no SMS row at all: she said stop
    assert twilio_stub.inbound(url, MOBILE, "INICIO", client=client) == 200
    assert not MessageOptOut.objects.exists()


def test_a_forged_reply_stops_nothing(order, client):
    response = client.post(reverse("messages:twilio_incoming"), {"From": MOBILE, "Body": "PARE"})
    assert response.status_code == 403
    assert not MessageOptOut.objects.exists()


# --- SMS segments -------------------------------------------------------------------------


def test_sms_spanish_is_written_to_stay_in_gsm7():
    text = gsm_text("Su pedido está listo. Recogida en el Parque Principal, día miércoles.")
    assert "á" not in text and "í" not in text and "é" in text
    assert sms_segments(text) == ("GSM-7", 1)
    assert sms_segments("a" * 160) == ("GSM-7", 1)
    assert sms_segments("a" * 161) == ("GSM-7", 2)
    assert sms_segments("á" + "a" * 70) == ("UCS-2", 2)


def test_a_notice_without_a_channel_she_has_writes_nothing(db):
    silent = Notice(kind="silent", subject=gettext_lazy("Hi"), sms="orders/messages/order_ready.sms.txt")
    with transaction.atomic():
        assert notify(silent, event="e", to=[Recipient(email="a@example.org")], context={}) == []
    assert not Message.objects.exists()


# --- A worker killed mid-send ---------------------------------------------------------------


def test_an_sms_twilio_took_before_its_worker_died_is_not_sent_again(order, twilio_stub):
    _ready(order)
    _send_queued()
    (sent,) = twilio_stub.sent_to(MOBILE)
    # Twilio took it; the worker died before it wrote the id down.
    stale = timezone.now() - timedelta(hours=1)
    Message.objects.filter(channel="sms").update(state=MessageState.SENDING, sending_at=stale, provider_id="")
    Message.objects.filter(channel="email").update(state=MessageState.STANDBY)
    sms = Message.objects.get(channel="sms")
    assert message_deliver(message_id=sms.pk) == MessageState.SENT
    sms.refresh_from_db()
    assert sms.provider_id == sent["sid"]
    assert len(twilio_stub.sent_to(MOBILE)) == 1  # asked, not sent twice
    assert Message.objects.get(channel="email").state == MessageState.SKIPPED


def test_an_sms_twilio_never_got_is_sent_when_its_worker_died(order, twilio_stub):
    _ready(order)
    sms = Message.objects.get(channel="sms")
    stale = timezone.now() - timedelta(hours=1)
    Message.objects.filter(pk=sms.pk).update(state=MessageState.SENDING, sending_at=stale, attempts=1)
    messages_send_due()  # the sweep finds it stuck and takes it over
    assert Message.objects.get(pk=sms.pk).state == MessageState.SENT
    assert len(twilio_stub.sent_to(MOBILE)) == 1
