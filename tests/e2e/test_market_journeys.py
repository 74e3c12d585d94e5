"""Market journeys in a real browser: a Market Builder creates a market in the Wagtail admin
and staff approve it; a buyer on a phone orders in an open market and picks a pickup slot;
the builder finds the order in her market's consolidated list.

The "Market builders" group's admin rights come from migration cms/0004 (restored for every
test by `django_db_serialized_rollback`), so the builder here is an ordinary user in that
group: no staff flag, no superuser. Only starting data (cooperatives, products, pickup
points, people, and for the buyer's and the builder's journeys the market itself) is made in
Python; the rest goes through pages, forms and buttons.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from playwright.sync_api import expect

from cms.models import MarketEventPage, MarketIndexPage, MarketStock, SlotUsage
from market.models import MARKET_BUILDERS_GROUP
from orders import services as order_services
from orders.models import Order
from tests.cms.factories import make_market
from tests.e2e.helpers import guaviare_goods, san_jose_market, slot_places
from tests.e2e.helpers import local as _local
from tests.e2e.helpers import sign_in as _sign_in
from tests.e2e.helpers import text as _text
from tests.factories import UserFactory

ORDER_URL = re.compile(r"/pedidos/(?P<number>[^/]+)/$")
GUAVIARE = "95001"


def _market_builder(**names):
    builder = UserFactory(**names)
    builder.groups.add(Group.objects.get(name=MARKET_BUILDERS_GROUP))
    assert not builder.is_staff and not builder.is_superuser
    return builder


# --- a. The Market Builder creates a market in the Wagtail admin ---------------------------------


def _choose_in_modal(page, field_id: str, label: str) -> None:
    """Open the Wagtail chooser of the field `field_id` and pick the row reading `label`."""
    page.locator(f"#{field_id}-chooser .unchosen [data-chooser-action-choose]").click()
    modal = page.locator(".modal")
    choice = modal.locator("a[data-chooser-modal-choice]", has_text=label)
    expect(choice).to_be_visible()
    choice.click()
    expect(modal).to_be_hidden()
    expect(page.locator(f"#{field_id}")).not_to_have_value("")


def _type_date(page, selector: str, value: str) -> None:
    """Type into a Wagtail date(-time) widget and close its calendar pop-up.

    The pop-up opens 100 ms after the field gets focus and closes on Tab or blur; pressing
    Tab before it opened would leave it open over the page, so wait for it first."""
    field = page.locator(selector)
    field.fill(value)
    pickers = page.locator(".xdsoft_datetimepicker:visible")
    expect(pickers).to_have_count(1)
    field.press("Tab")
    expect(pickers).to_have_count(0)
    expect(field).to_have_value(value)


def test_market_builder_creates_and_publishes_a_market(desktop, other_phone):
    (fish, cachama), (cassava, yuca), point = guaviare_goods()
    builder = _market_builder(first_name="Sandra Milena", last_name="Cárdenas")
    staff = UserFactory(first_name="Equipo", last_name="Minga", is_staff=True, is_superuser=True)
    index = MarketIndexPage.objects.get()
    today = timezone.localdate()
    opens, closes, market_day = (today + timedelta(days=n) for n in (1, 4, 5))
    title = "Mercado campesino del Guaviare"

    # The builder signs in on the site, then opens the admin and her market index.
    page = desktop
    _sign_in(page, builder)
    page.goto("/cms/")
    expect(page.locator("body")).to_contain_text(builder.first_name)
    page.goto(f"/cms/pages/{index.pk}/")
    page.locator(f'a[href="/cms/pages/{index.pk}/add_subpage/"]').first.click()
    # The index takes only markets, so Wagtail goes straight to the new market's form.
    page.wait_for_url(re.compile(rf"/cms/pages/add/cms/marketeventpage/{index.pk}/$"))

    page.locator("#id_title").fill(title)
    page.locator("#id_organisers").fill("Constructoras de Mercado del Guaviare")
    page.locator("#id_municipality").select_option(GUAVIARE)
    _type_date(page, "#id_opens_at", f"{opens:%Y-%m-%d} 08:00")
    _type_date(page, "#id_closes_at", f"{closes:%Y-%m-%d} 18:00")
    _type_date(page, "#id_market_day", f"{market_day:%Y-%m-%d}")
    page.get_by_label(fish.name, exact=True).check()
    page.get_by_label(cassava.name, exact=True).check()

    # Offers: one per cooperative, products chosen in Wagtail's snippet chooser.
    for n, (product, price, quantity) in enumerate([(cachama, "12500", "40"), (yuca, "1600", "150")]):
        page.locator("#id_offers-ADD").click()
        prefix = f"#id_offers-{n}"
        _choose_in_modal(page, f"id_offers-{n}-product", product.name)
        expect(page.locator(f"{prefix}-product")).to_have_value(str(product.pk))
        page.locator(f"{prefix}-price_cop").fill(price)
        page.locator(f"{prefix}-quantity").fill(quantity)

    # A pickup slot at the pickup point, on market day.
    page.locator("#id_slots-ADD").click()
    _choose_in_modal(page, "id_slots-0-pickup_point", point.name)
    expect(page.locator("#id_slots-0-pickup_point")).to_have_value(str(point.pk))
    _type_date(page, "#id_slots-0-starts_at", f"{market_day:%Y-%m-%d} 08:00")
    _type_date(page, "#id_slots-0-ends_at", f"{market_day:%Y-%m-%d} 09:00")
    page.locator("#id_slots-0-capacity").fill("15")

    # A builder may not publish: she submits the market to staff for approval.
    assert page.locator('button[name="action-publish"]').count() == 0
    page.locator('footer [data-w-dropdown-target="toggle"]').click()
    with page.expect_navigation():
        page.locator('button[name="action-submit"]').click()
    expect(page.locator(".messages")).to_contain_text(title)

    market = MarketEventPage.objects.get(title=title)
    assert market.owner == builder and not market.live
    assert market.get_parent().pk == index.pk
    assert market.current_workflow_state is not None

    # Platform staff, on her phone, approve it: that publishes it.
    staff_phone = other_phone("staff")
    _sign_in(staff_phone, staff)
    staff_phone.goto(f"/cms/pages/{market.pk}/edit/")
    approve = staff_phone.locator(
        'button[data-workflow-action-name="approve"]:not([data-workflow-action-modal-url])'
    )
    if not approve.is_visible():
        staff_phone.locator('footer [data-w-dropdown-target="toggle"]').click()
    with staff_phone.expect_navigation():
        approve.click()

    market.refresh_from_db()
    assert market.live and not market.has_unpublished_changes
    # Publishing made the market's live counters.
    assert {s.product_id: s.planned for s in MarketStock.objects.filter(event=market)} == {
        cachama.pk: Decimal("40"),
        yuca.pk: Decimal("150"),
    }
    assert SlotUsage.objects.filter(slot__page=market).count() == 1

    # The market is public at its URL, with both offers at the market's prices.
    page.goto(market.url)
    expect(page.locator("h1")).to_have_text(title)
    offers = page.locator("article.card")
    expect(offers).to_have_count(2)
    expect(offers.filter(has_text=cachama.name)).to_contain_text("12.500")
    expect(page.locator("main")).to_contain_text("Constructoras de Mercado del Guaviare")


# --- b. A buyer orders in the open market on her phone --------------------------------------------


def test_buyer_orders_in_open_market_on_a_phone_and_picks_a_slot(phone):
    market, cachama, yuca = san_jose_market()
    early, late = market.slots.order_by("starts_at")
    buyer = UserFactory(first_name="Marleny", last_name="Sepúlveda")

    _sign_in(phone, buyer)
    # From the list of markets to the open one.
    phone.goto("/mercados/")
    phone.locator(f'main a[href="{market.url}"]').first.click()
    phone.wait_for_url(re.compile(rf"{re.escape(market.url)}$"))
    expect(phone.locator("h1")).to_have_text(market.title)
    assert slot_places(phone, late) == "15"
    for name, quantity in (("Cachama fresca", "2,5"), ("Yuca fresca", "3")):
        card = phone.locator("article.card", has=phone.locator("h3", has_text=name))
        card.locator('input[name="quantity"]').fill(quantity)
        with phone.expect_navigation():
            card.locator('button[type="submit"]').click()
        expect(card.locator("p.note")).to_contain_text(name)
    basket = phone.locator("#cesta")
    expect(basket).to_contain_text("Cachama fresca")
    expect(basket).to_contain_text("Yuca fresca")
    # 2,5 kg x 12.500 + 3 kg x 1.600 = 36.050
    expect(basket.locator("p.total strong")).to_have_text(re.compile(r"\$\s36\.050"))
    assert phone.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    basket.locator('a[href$="/pedido/"]').click()
    phone.wait_for_url(re.compile(r"/pedido/$"))
    phone.locator(f'input[name="slot"][value="{late.pk}"]').check()
    phone.locator('input[name="payment_method"][value="cash"]').check()
    with phone.expect_navigation():
        phone.locator('main form.stack button[type="submit"]').click()

    match = ORDER_URL.search(phone.url)
    assert match, phone.url
    number = match["number"]
    expect(phone.locator("ul.messages li.msg-success")).to_contain_text(number)
    expect(phone.locator("h1")).to_contain_text(number)
    expect(phone.locator("main p.total strong")).to_have_text(re.compile(r"\$\s36\.050"))

    order = Order.objects.get(number=number)
    assert order.market_link.event_id == market.pk and order.market_link.slot_id == late.pk
    # Back on the market page: one place less in her slot, the other slot untouched.
    phone.goto(market.url)
    assert slot_places(phone, late) == "14"
    assert slot_places(phone, early) == "10"
    expect(phone.locator("#cesta article, #cesta li", has_text="Cachama fresca")).to_have_count(0)


# --- c. The builder sees the order in her market's consolidated list ------------------------------


def test_builder_sees_the_order_in_the_consolidated_list(desktop):
    try:
        reverse("cms_market_report", args=[1])
    except NoReverseMatch:
        pytest.skip("The Market Builder report (admin URL `cms_market_report`) does not exist yet.")
    (fish, cachama), (cassava, yuca), point = guaviare_goods()
    builder = _market_builder(first_name="Sandra Milena", last_name="Cárdenas")
    market = make_market(
        title="Mercado campesino de San José",
        offers=[(cachama, 12500, 40), (yuca, 1600, 150)],
        slots=[(point, _local(timezone.localdate() + timedelta(days=4), "08:00"), 10)],
        owner=builder,
    )
    # A buyer ordered through the storefront's services.
    buyer = UserFactory(first_name="Marleny", last_name="Sepúlveda")
    cart = order_services.cart_get(user=buyer, create=True, channel_key=f"market:{market.pk}")
    order_services.cart_set_quantity(cart=cart, product_id=cachama.pk, raw_quantity="2.5")
    order_services.cart_set_quantity(cart=cart, product_id=yuca.pk, raw_quantity="3")
    order = order_services.order_place(
        buyer=buyer,
        cart=cart,
        choice=order_services.CheckoutChoice(
            delivery_method="pickup", payment_method="cash", slot_id=market.slots.get().pk
        ),
    )

    page = desktop
    _sign_in(page, builder)
    page.goto("/cms/")
    # The admin's "Markets" menu lists her markets, each with its report.
    page.locator(f'nav a[href="{reverse("cms_market_list")}"]').click()
    page.wait_for_url(re.compile(r"/cms/mercados/$"))
    page.locator(f'a[href="{reverse("cms_market_report", args=[market.pk])}"]').first.click()
    page.wait_for_url(re.compile(rf"/mercados/{market.pk}/informe/$"))

    consolidated = page.locator("#consolidado")
    for cooperative, product, quantity in ((fish, cachama, "2,5"), (cassava, yuca, "3")):
        heading = consolidated.locator("h3", has_text=cooperative.name)
        expect(heading).to_be_visible()
        row = heading.locator("xpath=following-sibling::table[1]").locator("tr", has_text=product.name)
        expect(row).to_have_count(1)
        cells = [_text(c) for c in row.locator("td").all_inner_texts()]
        assert cells[0] == product.name and cells[1].startswith(f"{quantity} "), cells
        assert cells[2] == "—", cells  # ordered, not delivered yet: its own column
        assert cells[3] == "1", cells  # one order
    # The packing list names the buyer and the order for the builder (never the public page).
    expect(page.locator(f"#pedido-{order.number}")).to_contain_text(buyer.first_name)
