"""An order's messages are written once per event, recipient and channel, and sent once,
however often the job that sends them runs (the outbox: `market.messages`)."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from market.messages.sending import message_deliver, messages_send_due
from market.models import Message, MessageState
from orders import notifications
from tests.factories import MembershipFactory, UserFactory, make_product
from tests.orders.factories import place_order


@pytest.fixture
def order(db, cooperative):
    MembershipFactory(cooperative=cooperative, role="manager", user__email="gerente@example.org")
    buyer = UserFactory(email="rosa@example.org")
    return place_order(buyer, [(make_product(cooperative, name="Panela"), "2")])


def _send_all():
    for pk in Message.objects.filter(state=MessageState.QUEUED).values_list("pk", flat=True):
        message_deliver(message_id=pk)


def test_the_order_placed_event_written_twice_is_one_message_each_sent_once(order):
    Message.objects.all().delete()
    mail.outbox.clear()
    with transaction.atomic():
        notifications.order_placed(order)
        notifications.order_placed(order)  # the same event again: nothing more
    assert sorted(Message.objects.values_list("address", flat=True)) == [
        "gerente@example.org",
        "rosa@example.org",
    ]
    _send_all()
    _send_all()  # the job runs again: nothing is queued any more
    for pk in Message.objects.values_list("pk", flat=True):
        message_deliver(message_id=pk)  # even asked by id
    assert sorted(m.to[0] for m in mail.outbox) == ["gerente@example.org", "rosa@example.org"]


def test_a_send_that_fails_half_way_sends_only_the_rest_on_the_retry(order, monkeypatch):
    Message.objects.all().delete()
    mail.outbox.clear()
    with transaction.atomic():
        notifications.order_placed(order)
    failed = []
    real_send = EmailMultiAlternatives.send

    def send_then_die(message, *args, **kwargs):
        if "gerente@example.org" in message.to and not failed:
            failed.append("died")
            raise ConnectionResetError("the SMTP connection dropped")
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send_then_die)
    _send_all()
    assert [m.to for m in mail.outbox] == [["rosa@example.org"]]
    manager = Message.objects.get(address="gerente@example.org")
    assert manager.state == MessageState.QUEUED and manager.attempts == 1 and manager.send_after
    assert "connection dropped" in manager.error
    with time_machine.travel(manager.send_after + timedelta(seconds=1)):
        assert messages_send_due() == 1  # the retry, once its backoff is over
    assert sorted(m.to[0] for m in mail.outbox) == ["gerente@example.org", "rosa@example.org"]
    assert Message.objects.get(pk=manager.pk).state == MessageState.SENT


def test_a_worker_killed_while_sending_an_email_sends_it_again_with_the_same_message_id(order):
    """SMTP cannot be asked whether it took a message: it goes again, under the same
    Message-ID, which mail clients show once. Never a second, different e-mail."""
    Message.objects.all().delete()
    mail.outbox.clear()
    with transaction.atomic():
        notifications.order_placed(order)
    buyer_message = Message.objects.get(address="rosa@example.org")
    message_deliver(message_id=buyer_message.pk)
    # The worker sent it and died before recording it: the row still says "sending".
    Message.objects.filter(pk=buyer_message.pk).update(
        state=MessageState.SENDING, sending_at=timezone.now() - timedelta(hours=1)
    )
    assert message_deliver(message_id=buyer_message.pk) == MessageState.SENT
    assert message_deliver(message_id=buyer_message.pk) == MessageState.SENT  # and again: nothing
    copies = [m for m in mail.outbox if m.to == ["rosa@example.org"]]
    assert len(copies) == 2
    assert {m.extra_headers["Message-ID"] for m in copies} == {f"<minga-message-{buyer_message.pk}@minga.co>"}
    buyer_message.refresh_from_db()
    assert buyer_message.attempts == 2 and buyer_message.error == ""


def test_a_message_being_sent_right_now_is_left_to_its_worker(order):
    from market.jobs import EffectInProgress

    Message.objects.all().delete()
    with transaction.atomic():
        notifications.order_placed(order)
    message = Message.objects.get(address="rosa@example.org")
    Message.objects.filter(pk=message.pk).update(state=MessageState.SENDING, sending_at=timezone.now())
    with pytest.raises(EffectInProgress):
        message_deliver(message_id=message.pk)


def test_two_changes_of_one_order_are_two_messages(order):
    from orders.models import OrderEvent

    Message.objects.all().delete()
    mail.outbox.clear()
    first = OrderEvent.objects.record(order_id=order.pk, to_status=order.status, reason="weight")
    second = OrderEvent.objects.record(order_id=order.pk, to_status=order.status, reason="weight")
    with transaction.atomic():
        notifications.order_changed(order, event_id=first.pk, change="Panela: 1,8 kg.")
        notifications.order_changed(order, event_id=second.pk, change="Panela: 1,9 kg.")
        notifications.order_changed(order, event_id=second.pk, change="Panela: 1,9 kg.")
    _send_all()
    assert [m.to for m in mail.outbox] == [["rosa@example.org"], ["rosa@example.org"]]


def test_a_rolled_back_event_writes_and_sends_nothing(order):
    Message.objects.all().delete()
    mail.outbox.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        notifications.order_ready(order)
        raise RuntimeError("the event failed")
    assert not Message.objects.exists()
    assert mail.outbox == []
