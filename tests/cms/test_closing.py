"""Closing notifications: each cooperative's list and each buyer's reminder, exactly once."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django.utils.text import capfirst

from cms.markets.closing import markets_close_due
from cms.models import MarketClosing, MarketOrder
from cooperatives.models import MembershipRole
from market.messages.sending import message_deliver
from market.models import Message, MessageState
from orders import services as order_services
from orders.handover import time_window
from orders.models import OrderStatus
from tests.cms.factories import make_market
from tests.cms.test_cooperative_market import place_market_order
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory, make_product
from tests.helpers import race


def _build():
    """A market open now that closes in an hour, with orders from three buyers."""
    now = timezone.now()
    frutos = CooperativeFactory(name="Frutos del Guaviare", slug="frutos")
    pesca = CooperativeFactory(name="Piscícola La Macarena", slug="macarena")
    quiet = CooperativeFactory(name="Cacaoteros del Ariari", slug="ariari")
    managers = {
        "frutos": [
            MembershipFactory(
                cooperative=frutos, role=MembershipRole.MANAGER, user__email=f"frutos{i}@example.org"
            ).user
            for i in (1, 2)
        ],
        "macarena": [MembershipFactory(cooperative=pesca, user__email="pesca@example.org").user],
        "ariari": [MembershipFactory(cooperative=quiet, user__email="cacao@example.org").user],
    }
    MembershipFactory(cooperative=frutos, role=MembershipRole.MEMBER, user__email="socia@example.org")
    araza = make_product(frutos, name="Arazá", price_cop=6000, stock=None)
    cachama = make_product(pesca, name="Cachama", price_cop=14000, stock=None, quantity_step=Decimal("0.5"))
    cacao = make_product(quiet, name="Cacao", price_cop=9000, stock=None)
    event = make_market(
        title="Mercado del Guaviare",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(hours=1),
        offers=[(araza, 5000, 20), (cachama, 12000, 30), (cacao, 8000, 10)],
        delivery_offered=True,
    )
    buyers = {
        "rosa": UserFactory(first_name="Rosa", last_name="Pérez", email="rosa@example.org"),
        "luz": UserFactory(first_name="Luz", last_name="Gómez", email="luz@example.org"),
        "ana": UserFactory(first_name="Ana", last_name="Ruiz", email="ana@example.org"),
    }
    orders = {
        "rosa": place_market_order(buyers["rosa"], event, [(araza, 2), (cachama, "1.5")]),
        "luz": place_market_order(buyers["luz"], event, [(araza, 3)], delivery_method="delivery"),
        "ana": place_market_order(buyers["ana"], event, [(cachama, 1)]),
    }
    return {"event": event, "managers": managers, "buyers": buyers, "orders": orders}


@pytest.fixture
def market(db):
    world = _build()
    # The orders' own messages (placed, new order) leave now: what follows is the closing's.
    for pk in Message.objects.filter(state=MessageState.QUEUED).values_list("pk", flat=True):
        message_deliver(message_id=pk)
    mail.outbox.clear()
    return world


def _run(capture, now=None):
    with capture(execute=True):
        return markets_close_due(now=now)


def _by_recipient():
    return {tuple(sorted(m.to)): m for m in mail.outbox}


def test_before_the_close_nothing_is_sent(market, django_capture_on_commit_callbacks):
    with time_machine.travel(market["event"].closes_at - timedelta(seconds=1), tick=False):
        assert _run(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
    assert not MarketClosing.objects.exists()


def test_after_the_close_each_cooperative_and_each_buyer_is_told_once(
    market, django_capture_on_commit_callbacks
):
    event = market["event"]
    with time_machine.travel(event.closes_at + timedelta(minutes=3), tick=False):
        assert _run(django_capture_on_commit_callbacks) == 1
    sent = _by_recipient()
    # Each manager her own message (the outbox: one message per person and channel).
    assert set(sent) == {
        ("frutos1@example.org",),
        ("frutos2@example.org",),
        ("pesca@example.org",),
        ("cacao@example.org",),
        ("rosa@example.org",),
        ("luz@example.org",),
        ("ana@example.org",),
    }
    assert len(mail.outbox) == 7

    frutos = sent[("frutos1@example.org",)]
    assert sent[("frutos2@example.org",)].body == frutos.body
    assert frutos.subject == "[Minga] Mercado del Guaviare cerró: lo que trae Frutos del Guaviare"
    assert "Arazá: 5 kilos (2 pedidos)" in frutos.body
    assert "Rosa Pérez" in frutos.body and "Luz Gómez" in frutos.body and "Parque principal" in frutos.body
    assert "Carrera 20 # 8-15" in frutos.body
    assert "Cachama" not in frutos.body and "Ana Ruiz" not in frutos.body
    html = frutos.alternatives[0][0]
    assert "Arazá" in html and "Cachama" not in html and "/espacio/frutos/mercados/" in html
    assert "Nadie pidió" in sent[("cacao@example.org",)].body

    rosa = sent[("rosa@example.org",)]
    assert market["orders"]["rosa"].number in rosa.subject
    slot = event.slots.get()
    assert "Parque principal" in rosa.body and "Calle 8 # 22-10" in rosa.body
    assert capfirst(time_window(slot.starts_at, slot.ends_at)) in rosa.body  # the day and window in words
    assert "Arazá" in rosa.body and "Cachama" in rosa.body
    assert "Parque principal" in rosa.alternatives[0][0]
    luz = sent[("luz@example.org",)]
    assert "Carrera 20 # 8-15" in luz.body and "entrega" in luz.subject.lower()

    assert MarketClosing.objects.filter(event=event).count() == 1
    assert not MarketOrder.objects.filter(event=event, reminder_sent_at__isnull=True).exists()


def test_running_the_job_twice_sends_nothing_more(market, django_capture_on_commit_callbacks):
    after = market["event"].closes_at + timedelta(minutes=1)
    with time_machine.travel(after, tick=False):
        assert _run(django_capture_on_commit_callbacks) == 1
    sent = len(mail.outbox)
    with time_machine.travel(after + timedelta(minutes=5), tick=False):
        assert _run(django_capture_on_commit_callbacks) == 0
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("close_markets", stdout=out)
    assert "0" in out.getvalue()
    assert len(mail.outbox) == sent


def test_the_command_closes_due_markets(market, django_capture_on_commit_callbacks):
    out = StringIO()
    after = market["event"].closes_at + timedelta(minutes=1)
    with time_machine.travel(after, tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("close_markets", stdout=out)
    assert out.getvalue().strip() == "markets closed 1"
    assert len(mail.outbox) == 7


def test_a_cancelled_order_gets_no_reminder_and_is_not_in_the_lists(
    market, django_capture_on_commit_callbacks
):
    order_services.order_cancel_by_buyer(order=market["orders"]["ana"], buyer=market["buyers"]["ana"])
    with time_machine.travel(market["event"].closes_at + timedelta(minutes=1), tick=False):
        _run(django_capture_on_commit_callbacks)
    sent = _by_recipient()
    assert ("ana@example.org",) not in sent
    assert "Ana Ruiz" not in sent[("pesca@example.org",)].body
    assert len(mail.outbox) == 6


def test_a_card_order_paid_after_the_close_gets_its_reminder_on_a_later_run(
    market, django_capture_on_commit_callbacks
):
    order = market["orders"]["ana"]
    type(order).objects.filter(pk=order.pk).update(status=OrderStatus.AWAITING_PAYMENT)
    after = market["event"].closes_at + timedelta(minutes=1)
    with time_machine.travel(after, tick=False):
        _run(django_capture_on_commit_callbacks)
    assert ("ana@example.org",) not in _by_recipient()
    type(order).objects.filter(pk=order.pk).update(status=OrderStatus.PLACED)
    with time_machine.travel(after + timedelta(minutes=10), tick=False):
        assert _run(django_capture_on_commit_callbacks) == 0
        assert _run(django_capture_on_commit_callbacks) == 0
    assert [m.to for m in mail.outbox].count(["ana@example.org"]) == 1


def test_a_failed_reminder_is_tried_again_on_the_next_run(market, django_capture_on_commit_callbacks):
    after = market["event"].closes_at + timedelta(minutes=1)
    real_send = mail.EmailMultiAlternatives.send

    def flaky(message, *args, **kwargs):
        if message.to == ["rosa@example.org"]:
            raise OSError("SMTP down")
        return real_send(message, *args, **kwargs)

    with (
        time_machine.travel(after, tick=False),
        mock.patch.object(mail.EmailMultiAlternatives, "send", flaky),
    ):
        _run(django_capture_on_commit_callbacks)
    # Her reminder is written once (the mark is set with it) and waits in the outbox for
    # its retry; the next run of the job sends it.
    assert MarketOrder.objects.get(order=market["orders"]["rosa"]).reminder_sent_at is not None
    waiting = Message.objects.get(address="rosa@example.org", kind="pickup_reminder")
    assert waiting.state == MessageState.QUEUED and waiting.attempts == 1 and "SMTP down" in waiting.error
    assert [m.to for m in mail.outbox].count(["rosa@example.org"]) == 0
    with time_machine.travel(after + timedelta(minutes=5), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("close_markets", stdout=StringIO())
        with django_capture_on_commit_callbacks(execute=True):
            call_command("close_markets", stdout=StringIO())
    assert [m.to for m in mail.outbox].count(["rosa@example.org"]) == 1
    assert len(mail.outbox) == 7


def test_a_market_whose_day_passed_is_not_announced(market, django_capture_on_commit_callbacks):
    event = market["event"]
    with time_machine.travel(event.market_day + timedelta(days=2), tick=False):
        assert _run(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_closing_twice_at_once_sends_one_set_of_emails():
    world = _build()
    mail.outbox.clear()  # the placement e-mails, sent on commit here
    after = world["event"].closes_at + timedelta(minutes=1)
    with time_machine.travel(after, tick=True):
        outcomes, errors = race(lambda: markets_close_due(now=after), times=2)
    results = [closed for _call, closed in outcomes]
    assert errors == []
    assert sorted(results) == [0, 1]
    assert len(mail.outbox) == 7
    assert len({tuple(m.to) for m in mail.outbox}) == 7
    assert MarketClosing.objects.count() == 1
