"""A Market Builder on her phone (390 px): a market like the demo one (13 offers, 5 pickup
slots) from scratch, and a copy of a past market, each counted action by action and ending
with the market sent for approval.

What counts as one action (`Actions`): every click, fill, select, check and submit she does
on a page; the count starts when she is signed in on the public site (signing in is the same
for everything she does and is not part of building a market). Page loads that follow her
clicks are not actions; nothing is typed into the address bar.
"""

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from wagtail.models import WorkflowState

from catalog.models import Category
from cms.models import MarketEventPage, PickupPoint
from cooperatives.models import VerificationStatus
from market.models import Municipality
from tests.cms.factories import make_builder, make_market
from tests.e2e.helpers import GUAVIARE, fits_the_phone, local, sign_in
from tests.factories import CooperativeFactory, make_product

FROM_SCRATCH_BUDGET = 15
COPY_BUDGET = 5


class Actions:
    """Her actions on `page`, counted: each method is one action (a click, a fill, a
    select, a check or a submit) and is written to `log` so a failing budget says which."""

    def __init__(self, page):
        self.page = page
        self.log: list[str] = []

    @property
    def count(self) -> int:
        return len(self.log)

    def _note(self, kind: str, what: str) -> None:
        self.log.append(f"{kind} {what}")

    def click(self, locator, what: str) -> None:
        self._note("click", what)
        locator.click()

    def fill(self, locator, value: str, what: str) -> None:
        self._note("fill", what)
        locator.fill(value)

    def select(self, locator, what: str, **option) -> None:
        self._note("select", what)
        locator.select_option(**option)

    def check(self, locator, what: str) -> None:
        self._note("check", what)
        locator.check()

    def submit(self, locator, what: str) -> None:
        """A click on a submit button, waiting for the page it loads."""
        self._note("submit", what)
        with self.page.expect_navigation():
            locator.click()


def _shot(page, request, name: str) -> None:
    folder = Path(request.config.rootpath) / "test-artifacts" / "e2e"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{request.node.name}-{name}.png"), full_page=True)


# Four cooperatives and their 13 products, as in the demo market of San José del Guaviare.
GOODS = {
    "Frutos del Guaviare": [
        ("Cachama", 14_000),
        ("Pulpa de arazá", 9_000),
        ("Pulpa de copoazú", 9_500),
        ("Pulpa de borojó", 8_000),
    ],
    "ASOYUPGUZ": [
        ("Yuca fresca", 1_800),
        ("Casabe", 6_000),
        ("Almidón de yuca", 7_000),
        ("Plátano hartón", 2_500),
    ],
    "Cacao de Paz del Putumayo": [
        ("Chocolate de mesa", 12_000),
        ("Miel de abejas", 25_000),
        ("Huevos criollos", 18_000),
        ("Panela de trapiche", 5_000),
    ],
    "Asociación Campesina del Anchicayá": [("Café tostado y molido", 22_000)],
}


def _guaviare_goods():
    guaviare = Municipality.objects.get(code=GUAVIARE)
    category = Category.objects.first()
    cooperatives = []
    for name, products in GOODS.items():
        cooperative = CooperativeFactory(name=name, municipality=guaviare)
        cooperatives.append(cooperative)
        for product, price in products:
            make_product(cooperative, name=product, price_cop=price, stock=Decimal("40"), category=category)
    pending = CooperativeFactory(
        name="Cooperativa en revisión", municipality=guaviare, verification_status=VerificationStatus.PENDING
    )
    make_product(pending, name="Queso campesino", category=category)
    point = PickupPoint.objects.create(
        name="Parque Principal de San José del Guaviare",
        address="Calle 8 con Carrera 22",
        municipality=guaviare,
    )
    return cooperatives, point


def _sent_for_approval(market) -> bool:
    return WorkflowState.objects.filter(
        object_id=str(market.pk), status=WorkflowState.STATUS_IN_PROGRESS
    ).exists()


def test_a_market_like_the_demo_one_from_scratch_in_15_actions(phone, request):
    cooperatives, point = _guaviare_goods()
    builder = make_builder(first_name="Sandra Milena")
    closes = timezone.localdate() + timedelta(days=4)
    opens = closes - timedelta(days=3)
    title = "Mercado campesino de San José del Guaviare"

    page = phone
    sign_in(page, builder)
    her = Actions(page)

    her.click(page.get_by_role("link", name="Administrar mis mercados"), "the header's link to her markets")
    page.wait_for_url(re.compile(r"/cms/$"))
    expect(page.locator(".builder-home")).to_be_visible()
    her.click(page.locator(".builder-home").get_by_role("link", name="Nuevo mercado"), "Nuevo mercado")
    page.wait_for_url(re.compile(r"/cms/mercados/nuevo/$"))
    assert fits_the_phone(page)
    # A cooperative "En revisión" is not offered.
    expect(page.locator("main")).not_to_contain_text("Cooperativa en revisión")

    her.fill(page.locator("#id_title"), title, "the market's name")
    her.fill(page.locator("#id_opens_at"), f"{opens:%Y-%m-%d}T08:00", "orders open")
    her.fill(page.locator("#id_closes_at"), f"{closes:%Y-%m-%d}T18:00", "orders close")
    for cooperative in cooperatives:
        her.check(page.get_by_label(f"{cooperative.name} (", exact=False), cooperative.name)
    expect(page.locator("#id_all_products")).to_be_checked()  # every product, by default
    her.fill(page.locator("#id_discount"), "10", "a 10 % discount")
    her.select(page.locator("#id_pickup_point"), "the pickup point", value=str(point.pk))
    her.fill(page.locator("#id_slots_from"), "07:00", "first slot starts")
    her.fill(page.locator("#id_slots_to"), "12:00", "last slot ends")
    her.fill(page.locator("#id_slots_capacity"), "15", "buyers per slot")
    _shot(page, request, "form")
    her.submit(page.get_by_role("button", name="Crear y enviar a aprobación"), "create and send for approval")

    page.wait_for_url(re.compile(r"/cms/mercados/$"))
    expect(page.locator(".messages")).to_contain_text("se envió a aprobación")
    market = MarketEventPage.objects.get(title=title)
    assert market.owner == builder and not market.live
    assert _sent_for_approval(market)
    assert market.municipality.code == GUAVIARE
    assert market.market_day == closes + timedelta(days=1)
    offers = list(market.offers.select_related("product"))
    assert len(offers) == 13
    assert {o.product.name: o.price_cop for o in offers}["Cachama"] == 12_600  # 14.000 less 10 %
    slots = list(market.slots.all())
    assert [timezone.localtime(s.starts_at).strftime("%H:%M") for s in slots] == [
        "07:00",
        "08:00",
        "09:00",
        "10:00",
        "11:00",
    ]
    assert {s.capacity for s in slots} == {15}
    assert fits_the_phone(page)
    print(f"From scratch: {her.count} actions", *her.log, sep="\n  ")
    assert her.count <= FROM_SCRATCH_BUDGET, her.log


def test_a_copy_of_a_past_market_sent_for_approval_in_5_actions(phone, request):
    cooperatives, point = _guaviare_goods()
    builder = make_builder(first_name="Sandra Milena")
    products = [p for c in cooperatives for p in c.products.order_by("name")]
    closed = timezone.now() - timedelta(days=20)
    day = timezone.localdate(closed) + timedelta(days=1)
    past = make_market(
        title="Mercado campesino de noviembre",
        opens_at=closed - timedelta(days=3),
        closes_at=closed,
        offers=[(p, p.price_cop - 500, 30) for p in products],
        slots=[(point, local(day, f"{hour:02d}:00"), 15) for hour in range(7, 12)],
        owner=builder,
    )
    assert past.offers.count() == 13 and past.slots.count() == 5

    page = phone
    sign_in(page, builder)
    her = Actions(page)
    her.click(page.get_by_role("link", name="Administrar mis mercados"), "the header's link to her markets")
    page.wait_for_url(re.compile(r"/cms/$"))
    _shot(page, request, "home")
    her.click(page.locator(".builder-home").get_by_role("link", name="Copiar").first, "Copiar")
    page.wait_for_url(re.compile(rf"/cms/mercados/{past.pk}/copiar/$"))
    assert fits_the_phone(page)
    her.submit(page.get_by_role("button", name="Crear y enviar a aprobación"), "create and send for approval")

    page.wait_for_url(re.compile(r"/cms/mercados/$"))
    copy = MarketEventPage.objects.exclude(pk=past.pk).get()
    assert copy.owner == builder and _sent_for_approval(copy)
    assert copy.offers.count() == 13 and copy.slots.count() == 5
    assert copy.opens_at > timezone.now()
    # Her Mercados list on the phone: the copy is there and no action is cut off.
    expect(page.locator(".builder-markets")).to_contain_text("En aprobación")
    assert fits_the_phone(page)
    for action in page.locator(".builder-actions a").all():
        box = action.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, action.inner_text()
    print(f"Copy: {her.count} actions", *her.log, sep="\n  ")
    assert her.count <= COPY_BUDGET, her.log


@pytest.mark.parametrize("width", [360])
def test_her_screens_fit_a_small_phone(browser, e2e_server, request, width):
    _cooperatives, point = _guaviare_goods()
    builder = make_builder()
    make_market(title="Mercado campesino de San José", owner=builder)
    context = browser.new_context(
        base_url=e2e_server, viewport={"width": width, "height": 780}, is_mobile=True, locale="es-CO"
    )
    page = context.new_page()
    try:
        sign_in(page, builder)
        for url in ("/cms/", "/cms/mercados/", "/cms/mercados/nuevo/"):
            page.goto(url)
            _shot(page, request, url.strip("/").replace("/", "-"))
            assert fits_the_phone(page), url
    finally:
        context.close()
