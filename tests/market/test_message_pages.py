"""Who sees which messages: the buyer those about her order, the cooperative its own with
whether they were delivered, staff the failures (with a button to send again)."""

import pytest
from django.db import transaction
from django.urls import reverse

from market.models import Message, MessageState
from orders import notifications
from tests.factories import MembershipFactory, UserFactory, make_product
from tests.orders.factories import place_order


@pytest.fixture
def order(db, cooperative):
    MembershipFactory(cooperative=cooperative, role="manager", user__email="gerente@example.org")
    buyer = UserFactory(email="rosa@example.org")
    placed = place_order(buyer, [(make_product(cooperative, name="Panela"), "2")])
    Message.objects.all().delete()
    with transaction.atomic():
        notifications.order_placed(placed)
    return placed


def test_the_buyer_sees_what_she_was_told_about_her_order(client, order):
    Message.objects.filter(address="rosa@example.org").update(state=MessageState.DELIVERED)
    client.force_login(order.buyer)
    page = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    listed = page[page.index('class="message-list"') :].split("</section>")[0]
    assert "Lo que le avisamos" in listed and "entregado" in listed.lower()
    assert "Recibimos su pedido" in listed
    assert "Nuevo pedido" not in listed  # the cooperative's messages are not hers


def test_another_buyer_gets_404_not_the_messages(client, order):
    client.force_login(UserFactory())
    assert client.get(reverse("orders:detail", args=[order.number])).status_code == 404


def test_the_cooperative_sees_whether_its_messages_left(client, order, cooperative):
    manager = cooperative.memberships.get(role="manager").user
    fulfilment = order.fulfilments.get()
    Message.objects.filter(address="gerente@example.org").update(state=MessageState.FAILED, error="x")
    client.force_login(manager)
    page = client.get(
        reverse("orders:fulfilment_detail", args=[cooperative.slug, fulfilment.pk])
    ).content.decode()
    listed = page[page.index('class="message-list"') :].split("</section>")[0]
    assert "Mensajes a su cooperativa" in listed and "falló" in listed.lower()
    assert "Nuevo pedido" in listed
    assert "Recibimos su pedido" not in listed  # the buyer's own message is not theirs to see


def test_staff_see_failures_and_send_one_again_once(client, order):
    failed = Message.objects.get(address="rosa@example.org")
    Message.objects.filter(pk=failed.pk).update(state=MessageState.FAILED, error="SMTP 554 refused")
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    page = client.get(reverse("market_messages")).content.decode()
    assert "SMTP 554 refused" in page and "rosa@example.org" in page
    url = reverse("market_message_resend", args=[failed.pk])
    assert client.post(url).status_code == 302
    failed.refresh_from_db()
    assert failed.state == MessageState.QUEUED and failed.error == ""
    client.post(url)  # a second click: it is not failed any more, nothing happens
    assert Message.objects.filter(address="rosa@example.org").count() == 1


def test_a_market_builder_or_buyer_gets_404_on_the_staff_page(client, order):
    client.force_login(order.buyer)
    assert client.get(reverse("market_messages")).status_code in (302, 404)
    message = Message.objects.first()
    Message.objects.filter(pk=message.pk).update(state=MessageState.FAILED)
    client.post(reverse("market_message_resend", args=[message.pk]))
    assert Message.objects.get(pk=message.pk).state == MessageState.FAILED
