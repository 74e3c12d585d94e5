"""Nothing is cut off and nothing scrolls sideways on a 360 px phone, for every role.

Each page is visited as the person who uses it, on a 360 px wide mobile window, and fails
when the page is wider than the window (`scrollWidth > clientWidth`) or when any visible
element's right edge passes the window's (a table in its own scrolling box, a button pushed
off-screen). Every page's screenshot is kept in `test-artifacts/e2e/no-overflow/`.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cms.markets.channel import market_key
from cooperatives.models import MembershipRole
from orders import services as order_services
from orders import transitions
from orders.models import Fulfilment
from tests.cms.factories import make_builder
from tests.e2e.conftest import CHROMIUM_ARGS, TIMEOUT_MS  # noqa: F401  (one browser setup)
from tests.e2e.helpers import san_jose_market
from tests.factories import MembershipFactory, UserFactory, make_product
from tests.orders.factories import fill_cart, make_organization, place_order

WIDTH = 360
# What sticks out: the page itself, then up to ten elements, named so that the fix is findable.
OVERFLOW_JS = """() => {
  const root = document.documentElement, width = root.clientWidth, found = [];
  if (root.scrollWidth > width) found.push(`page: scrollWidth ${root.scrollWidth} > ${width}`);
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || box.right <= width + 0.5) continue;
    if (getComputedStyle(el).visibility === 'hidden') continue;
    const classes = typeof el.className === 'string' ? el.className.trim().split(/\\s+/).join('.') : '';
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (classes ? '.' + classes : '');
    const text = (el.innerText || '').trim().slice(0, 30);
    found.push(`${name} "${text}": right ${Math.round(box.right)} > ${width}`);
    if (found.length > 10) break;
  }
  return found;
}"""


def _folder(request) -> Path:
    folder = Path(request.config.rootpath) / "test-artifacts" / "e2e" / "no-overflow"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _narrow_phone(browser, base_url: str, user):
    """A 360 px phone signed in as `user` (her session made by the test client)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": WIDTH, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="es-CO",
        timezone_id="America/Bogota",
    )
    context.set_default_timeout(TIMEOUT_MS)
    host = urlsplit(base_url).hostname
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host, "path": "/"}]
    )
    return context


def _visit_all(request, browser, base_url, user, role: str, pages: dict[str, str]) -> dict[str, list[str]]:
    """Visit each page; return what overflows on each (empty lists for pages that fit)."""
    context = _narrow_phone(browser, base_url, user)
    page = context.new_page()
    problems = {}
    try:
        for name, url in pages.items():
            response = page.goto(url)
            assert response.status == 200, f"{role} {name}: {url} answered {response.status}"
            assert "/cuenta/login/" not in page.url, f"{role} {name}: sent to the login"
            # Folded parts (a rejection, filters) are opened: what they hold must fit too.
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            problems[name] = page.evaluate(OVERFLOW_JS)
            page.screenshot(path=str(_folder(request) / f"{role}-{name}.png"), full_page=True)
    finally:
        context.close()
    return problems


def _assert_fits(problems: dict[str, list[str]]):
    wide = {name: found for name, found in problems.items() if found}
    assert not wide, "\n".join(f"{name}: {found}" for name, found in wide.items())


@pytest.fixture
def world(e2e_server):
    """A Guaviare market with orders, a catalogue order, and the people who act on them."""
    market, cachama, yuca = san_jose_market()
    fish = cachama.cooperative
    fish.offers_delivery, fish.delivery_fee_cop = True, 5000
    fish.save(update_fields=["offers_delivery", "delivery_fee_cop"])
    manager = MembershipFactory(cooperative=fish, role=MembershipRole.MANAGER).user
    hotel_buyer = UserFactory(first_name="María Fernanda", last_name="Castañeda Villamizar")
    hotel = make_organization(member=hotel_buyer, legal_name="Hotel Campestre Las Palmeras del Guaviare SAS")
    buyer = UserFactory(first_name="Marleny", last_name="Sepúlveda Ochoa", phone="+573101234567")
    long_name = make_product(
        fish,
        name="Bocachico fresco eviscerado de la laguna Negra, empacado al vacío",
        price_cop=1234567,
        stock=Decimal("12345.5"),
    )
    catalog_order = place_order(
        buyer,
        [(cachama, "2,5"), (long_name, "10,5")],
        delivery_method="delivery",
        delivery_address="Vereda Caño Blanco, finca La Esperanza, kilómetro 12 vía a El Retorno",
        notes="Por favor llamar al 310 123 4567 antes de llegar a la finca",
    )
    place_order(
        hotel_buyer,
        [(cachama, "5"), (long_name, "1")],
        organization=hotel,
        purchase_order_number="OC-2026-000123",
    )
    confirmed = place_order(buyer, [(long_name, "2")])
    transitions.fulfilment_transition(
        fulfilment=Fulfilment.objects.get(order=confirmed), to="confirmed", actor=manager
    )
    cart = order_services.cart_get(user=buyer, create=True, channel_key=market_key(market))
    order_services.cart_set_quantity(cart=cart, product_id=cachama.pk, raw_quantity="2,5")
    order_services.cart_set_quantity(cart=cart, product_id=yuca.pk, raw_quantity="3")
    market_order = order_services.order_place(
        buyer=buyer,
        cart=cart,
        choice=order_services.CheckoutChoice(
            delivery_method="pickup",
            payment_method="cash",
            slot_id=market.slots.order_by("starts_at").first().pk,
        ),
    )
    # Her baskets are not empty while she shops: the catalogue's and the market's.
    fill_cart(buyer, [(long_name, "1,5"), (cachama, "2")])
    market_cart = order_services.cart_get(user=buyer, create=True, channel_key=market_key(market))
    order_services.cart_set_quantity(cart=market_cart, product_id=yuca.pk, raw_quantity="4")
    fulfilment = Fulfilment.objects.get(order=catalog_order)
    builder = make_builder(first_name="Constructora")
    market.owner = builder
    market.save(update_fields=["owner"])
    return {
        "market": market,
        "fish": fish,
        "manager": manager,
        "buyer": buyer,
        "builder": builder,
        "catalog_order": catalog_order,
        "market_order": market_order,
        "fulfilment": fulfilment,
        "closes": timezone.now() + timedelta(days=3),
    }


def test_a_buyers_pages_fit_a_360_px_phone(request, browser, e2e_server, world):
    pages = {
        "cart": reverse("orders:cart"),
        "my-orders": reverse("orders:list"),
        "order-lines": reverse("orders:detail", args=[world["catalog_order"].number]),
        "market-order": reverse("orders:detail", args=[world["market_order"].number]),
        "market": world["market"].url,
        "catalogue": reverse("catalog:list"),
    }
    _assert_fits(_visit_all(request, browser, e2e_server, world["buyer"], "buyer", pages))


def test_a_cooperative_managers_pages_fit_a_360_px_phone(request, browser, e2e_server, world):
    slug, fulfilment, market = world["fish"].slug, world["fulfilment"], world["market"]
    pages = {
        "workspace": reverse("orders:workspace_home", args=[slug]),
        "orders": reverse("orders:fulfilment_list", args=[slug]),
        "order": reverse("orders:fulfilment_detail", args=[slug, fulfilment.pk]),
        "packing": reverse("orders:fulfilment_packing_list", args=[slug, fulfilment.pk]),
        "products": reverse("catalog:workspace_products", args=[slug]),
        "new-product": reverse("catalog:workspace_product_add", args=[slug]),
        "markets": reverse("cms:workspace_markets", args=[slug]),
        "market": reverse("cms:workspace_market", args=[slug, market.pk]),
        "market-packing": reverse("cms:workspace_market_packing", args=[slug, market.pk]),
        "statement": reverse("orders:statement", args=[slug]),
    }
    _assert_fits(_visit_all(request, browser, e2e_server, world["manager"], "manager", pages))


def test_a_market_builders_market_list_fits_a_360_px_phone(request, browser, e2e_server, world):
    pages = {"cms-markets": reverse("cms_market_list")}
    _assert_fits(_visit_all(request, browser, e2e_server, world["builder"], "builder", pages))
