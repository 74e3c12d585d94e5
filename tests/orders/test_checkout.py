"""Checkout: one order, one fulfilment per cooperative, stock reserved all or nothing."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from catalog.models import Product
from market.models import BuyerOrganization, Municipality, OrganizationMember
from orders import services
from orders.models import CartLine, Fulfilment, Order, OrderEvent, OrderStatus
from tests.factories import CooperativeFactory, UserFactory, make_product


@pytest.fixture
def two_coops(db):
    a = CooperativeFactory(name="ASOYUPGUZ", offers_delivery=True, delivery_fee_cop=8000)
    b = CooperativeFactory(
        name="COOMULSEPAZ", offers_delivery=True, delivery_fee_cop=5000, free_delivery_from_cop=50000
    )
    yuca = make_product(a, name="Yuca", price_cop=2500, stock=Decimal("100"), quantity_step=Decimal("0.5"))
    abono = make_product(
        b,
        name="Abono orgánico",
        price_cop=45000,
        unit="bulto",
        stock=Decimal("3"),
        quantity_step=Decimal("1"),
    )
    return a, b, yuca, abono


def _cart(user, *items):
    cart = services.cart_get(user=user, create=True)
    for product, quantity in items:
        services.cart_set_quantity(cart=cart, product_id=product.pk, raw_quantity=quantity)
    return cart


def _post_checkout(client, **data):
    payload = {"buyer": "self", "delivery_method": "pickup", "payment_method": "cash"}
    payload.update(data)
    return client.post(reverse("orders:checkout"), payload)


def test_checkout_creates_one_order_with_a_fulfilment_per_cooperative(client, buyer, two_coops):
    a, b, yuca, abono = two_coops
    _cart(buyer, (yuca, "2.5"), (abono, "2"))
    client.force_login(buyer)
    response = _post_checkout(client, delivery_method="delivery", delivery_address="Calle 5 # 3-20, Mocoa")
    order = Order.objects.get()
    assert response.status_code == 302 and response.url == reverse("orders:detail", args=[order.number])
    assert order.status == OrderStatus.PLACED
    assert {f.cooperative for f in order.fulfilments.all()} == {a, b}
    # 2.5 kg × 2.500 = 6.250 (+ 8.000 fee); 2 bultos × 45.000 = 90.000 (free delivery from 50.000)
    assert order.subtotal_cop == 96250
    assert order.delivery_fee_cop == 8000
    assert order.total_cop == 104250
    fa = Fulfilment.objects.get(order=order, cooperative=a)
    assert (fa.subtotal_cop, fa.delivery_fee_cop, fa.total_cop) == (6250, 8000, 14250)
    assert Product.objects.get(pk=yuca.pk).stock == Decimal("97.5")
    assert Product.objects.get(pk=abono.pk).stock == Decimal("1")
    assert not CartLine.objects.exists()
    assert OrderEvent.objects.filter(order=order, to_status="placed").count() == 1


def test_short_line_reserves_nothing_and_names_each_short_line(client, buyer, two_coops):
    _a, _b, yuca, abono = two_coops
    _cart(buyer, (yuca, "2"), (abono, "3"))
    Product.objects.filter(pk=abono.pk).update(stock=Decimal("1"))  # someone else bought meanwhile
    client.force_login(buyer)
    response = _post_checkout(client)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Abono orgánico" in page and "1" in page
    assert not Order.objects.exists()
    assert Product.objects.get(pk=yuca.pk).stock == Decimal("100")
    assert Product.objects.get(pk=abono.pk).stock == Decimal("1")
    assert CartLine.objects.count() == 2


def test_price_is_read_from_the_database_not_the_form(client, buyer, two_coops):
    _a, _b, yuca, _abono = two_coops
    _cart(buyer, (yuca, "2"))
    Product.objects.filter(pk=yuca.pk).update(price_cop=3000)
    client.force_login(buyer)
    _post_checkout(client, price_cop="1", total_cop="1")
    assert Order.objects.get().total_cop == 6000


def test_product_hidden_after_it_was_added_is_refused_at_checkout(client, buyer, two_coops):
    _a, _b, yuca, _abono = two_coops
    _cart(buyer, (yuca, "2"))
    Product.objects.filter(pk=yuca.pk).update(is_hidden=True)
    client.force_login(buyer)
    response = _post_checkout(client)
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_minimum_order_per_cooperative(client, buyer, two_coops):
    a, _b, yuca, _abono = two_coops
    a.min_order_cop = 20000
    a.save()
    _cart(buyer, (yuca, "2"))
    client.force_login(buyer)
    response = _post_checkout(client)
    assert response.status_code == 400
    assert "ASOYUPGUZ" in response.content.decode()
    assert not Order.objects.exists()


def test_delivery_refused_when_a_cooperative_does_not_deliver(client, buyer, two_coops):
    a, _b, yuca, _abono = two_coops
    a.offers_delivery = False
    a.save()
    _cart(buyer, (yuca, "2"))
    client.force_login(buyer)
    assert _post_checkout(client, delivery_method="delivery", delivery_address="Cra 1").status_code == 400
    assert not Order.objects.exists()


def test_checkout_needs_sign_in(client, two_coops):
    response = client.get(reverse("orders:checkout"))
    assert response.status_code == 302 and reverse("account_login") in response.url


@pytest.fixture
def hotel(db, buyer):
    org = BuyerOrganization.objects.create(
        kind="hotel",
        legal_name="Hotel Dann Carlton Cali",
        nit="890301880-6",
        billing_address="Av. Colombia 1-60",
        municipality=Municipality.objects.get(code="76001"),
        status="approved",
        credit_days=30,
        credit_limit_cop=200000,
    )
    OrganizationMember.objects.create(organization=org, user=buyer)
    return org


def test_invoice_on_credit_sets_due_date_from_terms(client, buyer, hotel, two_coops):
    _a, _b, yuca, _abono = two_coops
    _cart(buyer, (yuca, "10"))
    client.force_login(buyer)
    with time_machine.travel("2026-11-20 10:00 -05:00", tick=False):
        response = _post_checkout(
            client, buyer=str(hotel.pk), payment_method="invoice", purchase_order_number="OC-7781"
        )
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.organization == hotel
    assert order.purchase_order_number == "OC-7781"
    assert order.due_on == date(2026, 12, 20)


def test_invoice_past_the_credit_limit_is_refused_with_a_clear_message(client, buyer, hotel, two_coops):
    _a, _b, yuca, abono = two_coops
    _cart(buyer, (abono, "3"), (yuca, "30"))  # 135.000 + 75.000 = 210.000 > 200.000
    client.force_login(buyer)
    response = _post_checkout(client, buyer=str(hotel.pk), payment_method="invoice")
    assert response.status_code == 400
    assert "$\xa0200.000" in response.content.decode()
    assert not Order.objects.exists()


def test_invoice_is_not_offered_to_a_household_or_unapproved_organisation(client, buyer, hotel, two_coops):
    _a, _b, yuca, _abono = two_coops
    hotel.status = "pending"
    hotel.save()
    _cart(buyer, (yuca, "2"))
    client.force_login(buyer)
    response = _post_checkout(client, payment_method="invoice")
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_buyer_cannot_order_for_someone_elses_organisation(client, hotel, two_coops):
    _a, _b, yuca, _abono = two_coops
    stranger = UserFactory()
    _cart(stranger, (yuca, "2"))
    client.force_login(stranger)
    response = _post_checkout(client, buyer=str(hotel.pk), payment_method="cash")
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_card_is_not_offered_without_stripe_keys(client, buyer, two_coops, settings):
    settings.STRIPE_SECRET_KEY = ""
    _a, _b, yuca, _abono = two_coops
    _cart(buyer, (yuca, "2"))
    client.force_login(buyer)
    page = client.get(reverse("orders:checkout")).content.decode()
    assert 'value="card"' not in page
    assert _post_checkout(client, payment_method="card").status_code == 400
    assert not Order.objects.exists()


def test_transfer_order_gets_a_unique_reference(client, buyer, two_coops):
    _a, _b, yuca, _abono = two_coops
    client.force_login(buyer)
    refs = set()
    for _ in range(2):
        _cart(buyer, (yuca, "1"))
        _post_checkout(client, payment_method="transfer")
    refs = {o.transfer_reference for o in Order.objects.all()}
    assert len(refs) == 2 and all(refs)


def test_another_buyers_order_number_is_a_404_everywhere(client, buyer, two_coops):
    _a, _b, yuca, _abono = two_coops
    owner = UserFactory()
    _cart(owner, (yuca, "1"))
    order = services.order_place(
        buyer=owner,
        cart=services.cart_get(user=owner),
        choice=services.CheckoutChoice(delivery_method="pickup", payment_method="cash"),
    )
    client.force_login(buyer)
    assert client.get(reverse("orders:detail", args=[order.number])).status_code == 404
    assert client.post(reverse("orders:cancel", args=[order.number])).status_code == 404
    assert client.post(reverse("orders:again", args=[order.number])).status_code == 404
    assert Order.objects.get().status == OrderStatus.PLACED


def test_order_again_refills_the_cart(client, buyer, two_coops):
    _a, _b, yuca, abono = two_coops
    _cart(buyer, (yuca, "2"), (abono, "1"))
    order = services.order_place(
        buyer=buyer,
        cart=services.cart_get(user=buyer),
        choice=services.CheckoutChoice(delivery_method="pickup", payment_method="cash"),
    )
    client.force_login(buyer)
    client.post(reverse("orders:again", args=[order.number]))
    assert {(line.product_id, line.quantity) for line in CartLine.objects.all()} == {
        (yuca.pk, Decimal("2")),
        (abono.pk, Decimal("1")),
    }
