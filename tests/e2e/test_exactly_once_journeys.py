"""The edge of a sale in a real browser, on a phone: the same basket's checkout in two tabs
makes one order, and the second tab lands on it saying so; a pickup slot that filled while
the buyer chose is named as full, and the basket is kept."""

import re

from playwright.sync_api import expect

from cms.models import SlotUsage
from orders.models import Order
from tests.e2e.helpers import san_jose_market, slot_places
from tests.e2e.helpers import sign_in as _sign_in
from tests.factories import UserFactory

ORDER_URL = re.compile(r"/pedidos/(?P<number>[^/]+)/$")


def _fill_basket(page, market, name, quantity):
    page.goto(market.url)
    card = page.locator("article.card", has=page.locator("h3", has_text=name))
    card.locator('input[name="quantity"]').fill(quantity)
    with page.expect_navigation():
        card.locator('button[type="submit"]').click()


def _confirm(page, slot):
    page.locator(f'input[name="slot"][value="{slot.pk}"]').check()
    page.locator('input[name="payment_method"][value="cash"]').check()
    with page.expect_navigation():
        page.locator('main form.stack button[type="submit"]').click()


def test_one_basket_checked_out_in_two_tabs_is_one_order(phone):
    market, _cachama, _yuca = san_jose_market()
    _early, late = market.slots.order_by("starts_at")
    buyer = UserFactory(first_name="Marleny", last_name="Sepúlveda")
    _sign_in(phone, buyer)
    _fill_basket(phone, market, "Yuca fresca", "3")

    # Two tabs of the same checkout (she tapped the link twice), both filled in.
    second = phone.context.new_page()
    for page in (phone, second):
        page.goto(market.url + "pedido/")
    _confirm(phone, late)
    first_number = ORDER_URL.search(phone.url)["number"]
    _confirm(second, late)

    assert ORDER_URL.search(second.url)["number"] == first_number
    expect(second.locator("ul.messages")).to_contain_text(f"Su pedido {first_number} ya estaba hecho")
    assert Order.objects.filter(buyer=buyer).count() == 1
    second.screenshot(path="test-artifacts/e2e/two-tabs-one-order.png", full_page=True)
    second.close()
    phone.goto(market.url)
    assert slot_places(phone, late) == "14"  # one place, not two


def test_a_slot_that_filled_meanwhile_is_named_full_and_the_basket_kept(phone):
    market, _cachama, _yuca = san_jose_market()
    early, late = market.slots.order_by("starts_at")
    buyer = UserFactory(first_name="Luz Dary", last_name="Mosquera")
    _sign_in(phone, buyer)
    _fill_basket(phone, market, "Yuca fresca", "2")
    phone.goto(market.url + "pedido/")
    # While she reads the page, the last places of the early slot are taken.
    SlotUsage.objects.update_or_create(slot=early, defaults={"taken": early.capacity})
    _confirm(phone, early)

    expect(phone.locator("main")).to_contain_text("se llenó mientras usted elegía")
    expect(phone.locator(f'input[name="slot"][value="{early.pk}"]')).to_have_count(0)
    assert not Order.objects.filter(buyer=buyer).exists()
    _confirm(phone, late)
    assert ORDER_URL.search(phone.url)
    assert Order.objects.filter(buyer=buyer).count() == 1
