"""A cooperative's markets in its workspace: its own offers, confirming quantities before
opening, and once closed what to bring and the packing list per buyer."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.markets.channel import market_key
from cms.models import MarketStock
from cooperatives.models import MembershipRole
from orders import services as order_services
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory, make_product
from tests.helpers import market_stock


def place_market_order(buyer, event, items, *, delivery_method="pickup"):
    """A buyer's market order through the cart and `order_place`, as in the storefront."""
    cart = order_services.cart_get(user=buyer, create=True, channel_key=market_key(event))
    for product, quantity in items:
        order_services.cart_set_quantity(cart=cart, product_id=product.pk, raw_quantity=str(quantity))
    choice = order_services.CheckoutChoice(
        delivery_method=delivery_method,
        payment_method="cash",
        slot_id=event.slots.first().pk if delivery_method == "pickup" else None,
        delivery_address="Carrera 20 # 8-15, San José" if delivery_method == "delivery" else "",
    )
    return order_services.order_place(buyer=buyer, cart=cart, choice=choice)


class Side:
    def __init__(self, name, slug, product_name, price):
        self.cooperative = CooperativeFactory(name=name, slug=slug)
        self.manager = MembershipFactory(cooperative=self.cooperative, role=MembershipRole.MANAGER).user
        self.member = MembershipFactory(cooperative=self.cooperative, role=MembershipRole.MEMBER).user
        self.product = make_product(
            self.cooperative, name=product_name, price_cop=price, stock=None, quantity_step=Decimal("0.5")
        )

    def client(self, *, as_member=False):
        client = Client()
        client.force_login(self.member if as_member else self.manager)
        return client


@pytest.fixture
def world(db):
    now = timezone.now()
    a = Side("Frutos del Guaviare", "frutos", "Arazá", 6000)
    b = Side("Piscícola La Macarena", "macarena", "Cachama", 14000)
    upcoming = make_market(
        title="Mercado de Anorí",
        opens_at=now + timedelta(days=2),
        closes_at=now + timedelta(days=5),
        offers=[(a.product, 5000, 20), (b.product, 12000, 30)],
    )
    return {"a": a, "b": b, "upcoming": upcoming, "now": now}


def _url(side, event, name="cms:workspace_market"):
    return reverse(name, args=[side.cooperative.slug, event.pk])


# --- What each cooperative sees ------------------------------------------------------------


def test_markets_list_shows_participating_markets_by_state(world):
    a = world["a"]
    now = world["now"]
    make_market(title="Mercado abierto", offers=[(a.product, 5000, 10)])
    make_market(
        title="Mercado pasado",
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(days=8),
        offers=[(a.product, 5000, 10)],
    )
    make_market(title="Mercado ajeno", offers=[(world["b"].product, 12000, 10)])
    html = a.client(as_member=True).get(reverse("cms:workspace_markets", args=["frutos"])).content.decode()
    assert "Mercado de Anorí" in html and "Mercado abierto" in html and "Mercado pasado" in html
    assert "Mercado ajeno" not in html
    assert html.index("Mercado abierto") < html.index("Mercado de Anorí") < html.index("Mercado pasado")


def test_detail_shows_only_own_offers_with_price_planned_confirmed_sold(world):
    a, event = world["a"], world["upcoming"]
    response = a.client(as_member=True).get(_url(a, event))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Arazá" in html and "$\xa05.000" in html and "20" in html
    assert "Cachama" not in html and "12.000" not in html
    # A member reads but has no form.
    assert 'name="quantity"' not in html
    assert 'name="quantity"' in a.client().get(_url(a, event)).content.decode()


def test_market_of_another_cooperative_is_404(world):
    b = world["b"]
    other = make_market(title="Solo Frutos", offers=[(world["a"].product, 5000, 10)])
    assert b.client().get(_url(b, other)).status_code == 404
    assert b.client().get(_url(b, other, "cms:workspace_market_packing")).status_code == 404


# --- Confirming quantities before opening ----------------------------------------------------


def test_manager_lowers_a_quantity(world):
    a, event = world["a"], world["upcoming"]
    response = a.client().post(_url(a, event), {"product": a.product.pk, "quantity": "12,5"})
    assert response.status_code == 302
    stock = market_stock(event, a.product)
    assert stock.confirmed == Decimal("12.5") and stock.confirmed_by == a.manager
    assert stock.capacity == Decimal("12.5")
    html = a.client().get(_url(a, event)).content.decode()
    assert "12,5" in html


def test_confirming_above_planned_is_refused(world):
    a, event = world["a"], world["upcoming"]
    response = a.client().post(_url(a, event), {"product": a.product.pk, "quantity": "25"})
    assert response.status_code == 400
    assert "Confirme entre 0 y 20." in response.content.decode()
    assert market_stock(event, a.product).confirmed is None


def test_confirming_below_what_is_sold_is_refused(world):
    a, event = world["a"], world["upcoming"]
    MarketStock.objects.filter(event=event, product=a.product).update(sold=Decimal("4"))
    response = a.client().post(_url(a, event), {"product": a.product.pk, "quantity": "3"})
    assert response.status_code == 400
    assert "Ya se vendieron 4." in response.content.decode()
    assert market_stock(event, a.product).confirmed is None


def test_an_unreadable_quantity_is_an_error(world):
    a, event = world["a"], world["upcoming"]
    response = a.client().post(_url(a, event), {"product": a.product.pk, "quantity": "mucho"})
    assert response.status_code == 400
    assert market_stock(event, a.product).confirmed is None


def test_confirming_after_opening_is_refused_and_the_page_is_read_only(world):
    a, event = world["a"], world["upcoming"]
    with time_machine.travel(event.opens_at + timedelta(seconds=1), tick=False):
        response = a.client().post(_url(a, event), {"product": a.product.pk, "quantity": "10"})
        assert response.status_code == 400
        html = response.content.decode()
        assert "ya abrió" in html
        assert 'name="quantity"' not in a.client().get(_url(a, event)).content.decode()
    assert market_stock(event, a.product).confirmed is None


def test_manager_of_another_cooperative_cannot_confirm_its_offer(world):
    a, b, event = world["a"], world["b"], world["upcoming"]
    before = list(MarketStock.objects.order_by("pk").values())
    # B's own page for the same market, posting A's product id.
    response = b.client().post(_url(b, event), {"product": a.product.pk, "quantity": "1"})
    assert response.status_code == 400
    assert "no está entre sus ofertas" in response.content.decode()
    assert list(MarketStock.objects.order_by("pk").values()) == before


def test_member_post_is_404_and_changes_nothing(world):
    a, event = world["a"], world["upcoming"]
    response = a.client(as_member=True).post(_url(a, event), {"product": a.product.pk, "quantity": "1"})
    assert response.status_code == 404
    assert market_stock(event, a.product).confirmed is None


def test_outsider_without_membership_gets_404(world):
    client = Client()
    client.force_login(UserFactory())
    event = world["upcoming"]
    assert client.get(_url(world["a"], event)).status_code == 404
    assert (
        client.post(_url(world["a"], event), {"product": world["a"].product.pk, "quantity": "1"}).status_code
        == 404
    )


# --- After the close: what to bring, packing list --------------------------------------------


@pytest.fixture
def closed_market(world):
    a, b = world["a"], world["b"]
    now = world["now"]
    event = make_market(
        title="Mercado del Guaviare",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(hours=1),
        offers=[(a.product, 5000, 20), (b.product, 12000, 30)],
        delivery_offered=True,
    )
    rosa = UserFactory(first_name="Rosa", last_name="Pérez")
    luz = UserFactory(first_name="Luz", last_name="Gómez")
    place_market_order(rosa, event, [(a.product, 2), (b.product, "1.5")])
    place_market_order(luz, event, [(a.product, 3)], delivery_method="delivery")
    place_market_order(UserFactory(first_name="Solo", last_name="Pescado"), event, [(b.product, 1)])
    return event


def test_closed_market_shows_what_to_bring_and_packing_list_with_own_lines_only(world, closed_market):
    a = world["a"]
    with time_machine.travel(closed_market.closes_at + timedelta(minutes=1)):
        detail = a.client(as_member=True).get(_url(a, closed_market)).content.decode()
        packing = a.client(as_member=True).get(_url(a, closed_market, "cms:workspace_market_packing"))
    assert "Qué traer" in detail
    assert "Arazá" in detail and "Cachama" not in detail
    html = packing.content.decode()
    assert packing.status_code == 200
    assert "Rosa Pérez" in html and "Luz Gómez" in html
    assert "Cachama" not in html and "Solo Pescado" not in html
    assert "Carrera 20 # 8-15" in html and "Parque principal" in html


def test_market_pages_run_the_same_queries_for_more_orders(world, closed_market):
    a = world["a"]
    client = a.client()
    urls = [_url(a, closed_market), _url(a, closed_market, "cms:workspace_market_packing")]

    def queries():
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured))
        return counts

    queries()  # warm up: the first request also fills caches (Wagtail's site root paths)
    before = queries()
    for _ in range(5):
        place_market_order(UserFactory(), closed_market, [(a.product, 1)], delivery_method="delivery")
    assert queries() == before
