"""The cooperative's workspace opens on the orders waiting for her, with their counts; the
statement of the month is one tap away; rejecting an order is a dangerous action that asks
for its reason only when she opens it."""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import transitions
from orders.models import Fulfilment, FulfilmentStatus, OrderEvent
from tests.factories import UserFactory
from tests.orders.factories import make_organization, place_order


def _home(seller) -> str:
    return reverse("orders:workspace_home", args=[seller.cooperative.slug])


def _fulfilment(order, seller) -> Fulfilment:
    return Fulfilment.objects.get(order=order, cooperative=seller.cooperative)


def _move(order, seller, *statuses):
    for status in statuses:
        transitions.fulfilment_transition(
            fulfilment=_fulfilment(order, seller), to=status, actor=seller.manager
        )


def _counts(html: str) -> list[str]:
    """The three counts, in the order she acts: new, to get ready, to hand over."""
    counts = re.search(r'<ul class="counts">(.*?)</ul>', html, re.S)
    assert counts, "the counts are on the page"
    return re.findall(r"<strong>(\d+)</strong>", counts[1])


@pytest.fixture
def orders(seller_a, seller_b, household):
    """Two new orders, one confirmed, one ready, one handed over, one rejected; and an order
    of the other cooperative only."""
    new_1 = place_order(household, [(seller_a.product, "1")])
    new_2 = place_order(household, [(seller_a.product, "2"), (seller_b.product, "1")])
    confirmed = place_order(household, [(seller_a.product, "3")])
    _move(confirmed, seller_a, FulfilmentStatus.CONFIRMED)
    ready = place_order(household, [(seller_a.product, "4")])
    _move(ready, seller_a, FulfilmentStatus.CONFIRMED, FulfilmentStatus.READY)
    done = place_order(household, [(seller_a.product, "5")])
    _move(done, seller_a, FulfilmentStatus.CONFIRMED, FulfilmentStatus.READY, FulfilmentStatus.HANDED_OVER)
    rejected = place_order(household, [(seller_a.product, "6")])
    transitions.fulfilment_transition(
        fulfilment=_fulfilment(rejected, seller_a), to="rejected", actor=seller_a.manager, reason="Sin yuca"
    )
    other = place_order(household, [(seller_b.product, "2")])
    return {"new": [new_1, new_2], "confirmed": confirmed, "ready": ready, "done": done, "other": other}


def test_the_workspace_opens_on_the_orders_waiting_for_her_with_counts(client, seller_a, orders):
    client.force_login(seller_a.manager)

    landing = client.get(reverse("cooperatives:workspace_index"))
    assert landing.status_code == 302 and landing["Location"] == _home(seller_a)
    html = client.get(_home(seller_a)).content.decode()

    assert "Pedidos que la esperan" in html
    assert _counts(html) == ["2", "1", "1"]  # new to confirm, confirmed to get ready, ready to hand over
    for label in ("nuevos, por confirmar", "confirmados, por alistar", "listos, por entregar"):
        assert label in html
    listed = re.findall(r">(MG-[A-Z0-9]+)</a>", html)
    new_numbers = [order.number for order in orders["new"]]
    assert sorted(listed[:2]) == sorted(new_numbers), "new orders first"
    assert listed[2:] == [orders["confirmed"].number, orders["ready"].number]
    assert orders["done"].number not in html and orders["other"].number not in html
    # Each count opens the full list at that step.
    assert reverse("orders:fulfilment_list", args=["yuqueros"]) + "?status=pending" in html


def test_the_statement_of_the_month_is_linked_for_managers_only(client, seller_a, orders):
    client.force_login(seller_a.manager)
    with time_machine.travel("2026-05-20 09:00 -0500", tick=False):
        html = client.get(_home(seller_a)).content.decode()
    statement = reverse("orders:statement", args=["yuqueros"]) + "?from=2026-05-01&amp;to=2026-05-31"
    assert statement in html
    assert "Estado de cuenta de mayo" in html

    client.force_login(seller_a.member)
    member_html = client.get(_home(seller_a)).content.decode()
    assert reverse("orders:statement", args=["yuqueros"]) not in member_html
    assert reverse(
        "orders:fulfilment_confirm", args=["yuqueros", _fulfilment(orders["new"][0], seller_a).pk]
    ) not in (member_html)


def test_a_new_order_is_confirmed_from_the_first_screen_and_she_comes_back_to_it(client, seller_a, orders):
    fulfilment = _fulfilment(orders["new"][0], seller_a)
    client.force_login(seller_a.manager)

    response = client.post(
        reverse("orders:fulfilment_confirm", args=["yuqueros", fulfilment.pk]), {"next": "home"}
    )

    assert response.status_code == 302 and response["Location"] == _home(seller_a)
    fulfilment.refresh_from_db()
    assert fulfilment.status == FulfilmentStatus.CONFIRMED
    assert _counts(client.get(_home(seller_a)).content.decode()) == ["1", "2", "1"]


def test_a_next_that_is_not_home_goes_back_to_the_order(client, seller_a, orders):
    fulfilment = _fulfilment(orders["new"][0], seller_a)
    client.force_login(seller_a.manager)
    response = client.post(
        reverse("orders:fulfilment_confirm", args=["yuqueros", fulfilment.pk]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("orders:fulfilment_detail", args=["yuqueros", fulfilment.pk])


def test_nothing_waiting_says_so(client, seller_a):
    client.force_login(seller_a.manager)
    html = client.get(_home(seller_a)).content.decode()
    assert _counts(html) == ["0", "0", "0"]
    assert "Nada la espera" in html


def test_the_first_screen_is_404_to_anyone_outside_the_cooperative(client, seller_a, seller_b, household):
    for user in (seller_b.manager, household, UserFactory()):
        client.force_login(user)
        assert client.get(_home(seller_a)).status_code == 404
    client.logout()
    assert client.get(_home(seller_a)).status_code == 302  # to the login


def test_the_first_screen_runs_the_same_queries_for_3_or_30_waiting_orders(client, seller_a, household):
    hotel = make_organization(member=household)
    client.force_login(seller_a.manager)

    def count() -> int:
        client.get(_home(seller_a))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_home(seller_a)).status_code == 200
        return len(queries)

    for index in range(3):
        place_order(household, [(seller_a.product, "1")], organization=hotel if index % 2 else None)
    three = count()
    for index in range(27):
        place_order(household, [(seller_a.product, "1")], organization=hotel if index % 2 else None)
    assert count() == three
    assert three <= 8


# --- Rejecting: a dangerous action, its reason asked only when used ------------------------


def test_reject_is_behind_a_details_marked_dangerous(client, seller_a, orders):
    fulfilment = _fulfilment(orders["new"][0], seller_a)
    client.force_login(seller_a.manager)
    html = client.get(reverse("orders:fulfilment_detail", args=["yuqueros", fulfilment.pk])).content.decode()

    details = re.search(r'<details class="danger" id="reject">(.*?)</details>', html, re.S)
    assert details, "the rejection is folded away"
    assert "<summary>Rechazar pedido</summary>" in details[1]
    assert 'name="reason"' in details[1] and 'class="danger"' in details[1]
    outside = html.replace(details[0], "")
    assert not re.search(
        r'<input[^>]*name="reason"', re.sub(r"<details.*?</details>", "", outside, flags=re.S)
    ), "every reason is asked only inside a folded part"
    # Rejecting one line is folded away too.
    line = fulfilment.lines.get()
    line_reject = reverse("orders:fulfilment_line_reject", args=["yuqueros", fulfilment.pk, line.pk])
    assert re.search(
        rf'<details class="danger"><summary>Rechazar esta línea.*?{re.escape(line_reject)}', outside, re.S
    )
    # The safe action stays in plain sight, outside the folded part.
    confirm = reverse("orders:fulfilment_confirm", args=["yuqueros", fulfilment.pk])
    assert confirm in html and confirm not in details[1]


def test_reject_without_a_reason_changes_nothing_and_says_why(client, seller_a, orders):
    fulfilment = _fulfilment(orders["new"][0], seller_a)
    client.force_login(seller_a.manager)
    url = reverse("orders:fulfilment_reject", args=["yuqueros", fulfilment.pk])

    response = client.post(url, {"reason": "   "}, follow=True)

    fulfilment.refresh_from_db()
    assert fulfilment.status == FulfilmentStatus.PENDING
    assert "Cuéntele al comprador por qué rechaza el pedido." in response.content.decode()

    client.post(url, {"reason": "La creciente del río tapó la vía"})
    fulfilment.refresh_from_db()
    assert fulfilment.status == FulfilmentStatus.REJECTED
    event = OrderEvent.objects.filter(fulfilment=fulfilment).latest("pk")
    assert event.reason == "La creciente del río tapó la vía"


def test_a_handed_over_order_offers_no_rejection(client, seller_a, orders):
    fulfilment = _fulfilment(orders["done"], seller_a)
    client.force_login(seller_a.manager)
    html = client.get(reverse("orders:fulfilment_detail", args=["yuqueros", fulfilment.pk])).content.decode()
    assert '<details class="danger"' not in html and 'name="reason"' not in html
