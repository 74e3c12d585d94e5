"""`manage.py load_demo`: complete, realistic and idempotent.

The demo is loaded once for the module; each test reads it, or runs the command again, in
its own savepoint. The refusal, which needs a database without the demo, is in
test_demo_guards.py."""

import ast
import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Locale, Revision

from catalog.models import Product, ProductPhoto
from cms.models import (
    MarketClosing,
    MarketEventPage,
    MarketIndexPage,
    MarketOffer,
    MarketOrder,
    MarketStock,
    PickupPoint,
    PickupSlot,
    SlotUsage,
    StoryIndexPage,
    StoryPage,
)
from cooperatives.models import Cooperative, Membership, Producer
from market.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from market.models import MARKET_BUILDERS_GROUP, User
from orders.models import Cart, Order, OrderLine
from tests.helpers import built_once

SEED_MUNICIPALITIES = {"05040", "86571", "86568", "76233", "95001"}
PENDING_SLUG = "piscicola-miranda"


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Row counts, plus values a careless re-run would rewrite (timestamps, hashes)."""
    Image = get_image_model()
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (
                User,
                EmailAddress,
                Cooperative,
                Membership,
                Producer,
                Product,
                ProductPhoto,
                Image,
                Revision,
                MarketEventPage,
                MarketOffer,
                PickupPoint,
                PickupSlot,
                MarketStock,
                SlotUsage,
                MarketOrder,
                MarketClosing,
                Order,
                OrderLine,
                Cart,
            )
        },
        "markets": sorted(
            MarketEventPage.objects.values_list("slug", "opens_at", "closes_at", "latest_revision_id")
        ),
        "stock": sorted(MarketStock.objects.values_list("pk", "planned", "sold")),
        "products": sorted(Product.objects.values_list("pk", "updated_at", "search_text")),
        "passwords": sorted(User.objects.values_list("email", "password")),
        "cooperatives": sorted(Cooperative.objects.values_list("slug", "verified_at")),
        "product_producers": sorted(
            Product.producers.through.objects.values_list("product_id", "producer_id")
        ),
    }


@pytest.fixture(scope="module")
def _demo_rows(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, load_demo):
        yield


@pytest.fixture
def demo(_demo_rows, db):
    """The demo as a first `load_demo` leaves it: loaded once, what a test changes is rolled back."""


def test_second_run_changes_nothing(demo):
    first = snapshot()
    load_demo()
    assert snapshot() == first


def test_demo_cooperatives_are_verified_in_the_seed_municipalities(demo):
    verified = Cooperative.objects.verified()
    assert verified.count() >= 5
    assert set(verified.values_list("municipality_id", flat=True)) >= SEED_MUNICIPALITIES
    names = set(verified.values_list("name", flat=True))
    assert {"COOMULSEPAZ", "ASOYUPGUZ"} <= names
    for cooperative in verified:
        assert cooperative.verified_at is not None
        assert cooperative.story and cooperative.known_for
        cooperative.full_clean()  # NIT check digits, E.164 phones
    assert sum(1 for c in verified if c.nit) >= 4


def test_products_are_many_photographed_and_sensible(demo):
    products = Product.objects.all()
    assert products.count() >= 35
    assert not products.filter(photos__isnull=True).exists()
    assert Product.objects.public().count() >= 35
    assert products.filter(stock__isnull=True).exists()  # made to order
    assert products.filter(stock=0).exists()  # sold out
    assert products.filter(certifications__isnull=False).exists()
    assert products.exclude(harvest_months=0).exists()
    assert not products.filter(producers__isnull=True).exists()
    for product in products.prefetch_related("producers"):
        assert {p.cooperative_id for p in product.producers.all()} == {product.cooperative_id}


def test_pending_cooperative_is_not_public(demo):
    pending = Cooperative.objects.get(slug=PENDING_SLUG)
    assert not pending.is_verified()
    assert pending.products.exists()
    assert not Product.objects.public().filter(cooperative=pending).exists()
    page = Client().get(reverse("catalog:list")).content.decode()
    assert pending.name not in page
    assert "Tilapia roja" not in page


def test_producers_are_mostly_women_and_gender_needs_consent(demo):
    for cooperative in Cooperative.objects.all():
        assert 6 <= cooperative.producers.count() <= 12
    assert not Producer.objects.filter(consents_to_aggregate=False).exclude(gender="").exists()
    recorded = Producer.objects.filter(consents_to_aggregate=True).exclude(gender="")
    women = recorded.filter(gender="female").count()
    assert 0.6 <= women / recorded.count() <= 0.9
    assert Producer.objects.filter(consents_to_aggregate=True).count() > Producer.objects.count() / 2


def test_demo_accounts_sign_in_through_allauth(demo):
    cache.clear()  # allauth's login rate limits live in the cache
    for email, _role in DEMO_ACCOUNTS:
        client = Client()
        response = client.post(reverse("account_login"), {"login": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert client.session.get("_auth_user_id") == str(User.objects.get(email=email).pk), email


def test_demo_roles(demo):
    admin = User.objects.get(email="admin@minga.co")
    assert admin.is_superuser and admin.is_staff
    assert User.objects.filter(is_staff=True).count() == 1
    assert User.objects.get(email="constructora@minga.co").groups.filter(name=MARKET_BUILDERS_GROUP).exists()
    managed = Membership.objects.managers().values_list("user__email", "cooperative__name")
    assert ("gestora.coomulsepaz@minga.co", "COOMULSEPAZ") in managed
    assert ("gestor.asoyupguz@minga.co", "ASOYUPGUZ") in managed
    assert set(Cooperative.objects.verified().values_list("pk", flat=True)) == set(
        Membership.objects.managers().values_list("cooperative_id", flat=True)
    )
    socia = Membership.objects.get(user__email="socia.coomulsepaz@minga.co")
    assert not socia.is_manager()
    assert not Membership.objects.filter(user__email__in=["comprador@minga.co", "hotel@minga.co"]).exists()
    client = Client()
    client.force_login(User.objects.get(email="gestora.coomulsepaz@minga.co"))
    assert client.get(reverse("catalog:workspace_products", args=["coomulsepaz"])).status_code == 200


def test_home_page_shows_the_demo_cooperatives(demo):
    response = Client().get("/")
    assert response.status_code == 200
    page = response.content.decode()
    for name in Cooperative.objects.verified().values_list("name", flat=True):
        assert name in page
    assert Cooperative.objects.get(slug=PENDING_SLUG).name not in page
    assert "Constructoras de Mercado" in page


def test_market_imports_no_app_to_its_left():
    """The command finds the apps' demo modules by name; market never imports them."""
    root = Path(__file__).resolve().parents[2] / "market"
    for path in (root / "demo.py", root / "management" / "commands" / "load_demo.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                assert module.split(".")[0] not in {"cooperatives", "catalog", "orders", "cms"}, path


# --- Markets -------------------------------------------------------------------------------

OPEN_SLUG = "mercado-campesino-san-jose-del-guaviare"
UPCOMING_SLUG = "mercado-campesino-de-anori"
CLOSED_SLUG = "mercado-campesino-bioseguro-de-anori"


def _market(slug: str) -> MarketEventPage:
    return MarketEventPage.objects.originals().get(slug=slug)


def test_three_markets_open_upcoming_and_closed_owned_by_the_market_builder(demo):
    now = timezone.now()
    builder = User.objects.get(email="constructora@minga.co")
    index = MarketIndexPage.objects.get(locale=Locale.get_default())
    assert (index.title, index.slug, index.live) == ("Mercados campesinos", "mercados", True)
    markets = {slug: _market(slug) for slug in (OPEN_SLUG, UPCOMING_SLUG, CLOSED_SLUG)}
    assert {slug: m.state_at(now) for slug, m in markets.items()} == {
        OPEN_SLUG: "open",
        UPCOMING_SLUG: "upcoming",
        CLOSED_SLUG: "closed",
    }
    for market in markets.values():
        assert market.live and not market.has_unpublished_changes
        assert market.owner == builder
        assert market.get_parent().specific == index
        # Published, so the live counters exist: one per offered product, one per slot.
        assert MarketStock.objects.filter(event=market).count() == market.offers.count() > 0
        assert SlotUsage.objects.filter(slot__page=market).count() == market.slots.count() > 0
        # Offers only from participating, verified cooperatives.
        participating = {c.pk for c in market.cooperatives.all() if c.is_verified()}
        assert {o.product.cooperative_id for o in market.offers.all()} <= participating
        market.full_clean()
    guaviare = markets[OPEN_SLUG]
    assert guaviare.municipality.name == "San José del Guaviare"
    assert guaviare.opens_at < now - timedelta(hours=12) and guaviare.closes_at > now + timedelta(days=2)
    assert markets[UPCOMING_SLUG].opens_at > now + timedelta(days=4)
    assert markets[CLOSED_SLUG].closes_at < now - timedelta(days=7)


def test_open_market_has_three_cooperatives_two_pickup_points_and_delivery(demo):
    market = _market(OPEN_SLUG)
    offers = list(market.offers.select_related("product__cooperative"))
    assert len({o.product.cooperative_id for o in offers}) >= 3
    for offer in offers:
        assert 0 < offer.price_cop < offer.product.price_cop  # a bit below the catalogue
    slots = list(market.slots.select_related("pickup_point"))
    per_point = {}
    for slot in slots:
        per_point.setdefault(slot.pickup_point.name, []).append(slot)
        assert timezone.localtime(slot.starts_at).date() == market.market_day
        assert 10 <= slot.capacity <= 20
    assert len(per_point) == 2 and all(2 <= len(s) <= 3 for s in per_point.values())
    assert market.delivery_offered and market.delivery_fee_cop > 0 and market.delivery_area
    html = Client().get(market.url).content.decode()
    assert "Parque Principal de San José del Guaviare" in html and "Coliseo Municipal" in html
    assert html.count('class="add-to-cart"') == len(offers)


def test_pickup_points_have_street_addresses_that_do_not_repeat_their_names(demo):
    points = list(PickupPoint.objects.select_related("municipality"))
    assert len(points) == 4
    for point in points:
        # "Parque Principal de Anorí, Parque Principal, frente a la iglesia" read twice.
        first_words = " ".join(point.name.split()[:2]).lower()
        assert first_words not in point.address.lower(), point.address
        assert re.search(r"(Calle|Carrera) \d+", point.address), point.address
        assert "barrio" in point.address or "Centro" in point.address, point.address


def test_upcoming_market_in_anori_offers_coomulsepaz_seedlings_and_fertiliser(demo):
    market = _market(UPCOMING_SLUG)
    assert market.municipality.name == "Anorí"
    assert set(market.cooperatives.values_list("name", flat=True)) == {"COOMULSEPAZ"}
    categories = set(market.offers.values_list("product__category__slug", flat=True))
    assert {"plantulas", "abonos-e-insumos"} <= categories
    assert len({s.pickup_point_id for s in market.slots.all()}) == 1
    html = Client().get(market.url).content.decode()
    assert "/calendario" in html and 'class="add-to-cart"' not in html


def test_closed_market_has_real_orders_and_a_public_summary_without_buyer_names(demo):
    market = _market(CLOSED_SLUG)
    orders = Order.objects.filter(channel_key=f"market:{market.pk}")
    assert orders.count() >= 3
    assert orders.values("buyer").distinct().count() >= 3
    for order in orders:
        assert market.opens_at <= order.placed_at < market.closes_at
        assert order.lines.exists() and order.total_cop > 0
        assert order.market_link.event_id == market.pk
    # Stock and slots were taken through the market's counters.
    sold = sum(s.sold for s in MarketStock.objects.filter(event=market))
    assert sold == sum(line.quantity for line in OrderLine.objects.filter(order__in=orders))
    pickups = MarketOrder.objects.filter(event=market, slot__isnull=False).count()
    assert sum(u.taken for u in SlotUsage.objects.filter(slot__page=market)) == pickups > 0
    assert MarketClosing.objects.filter(event=market).exists()  # its closing e-mails are history

    html = Client().get(market.url).content.decode()
    summary = re.search(r'<section class="summary">(.*?)</section>', html, re.S)
    assert summary, "the closed market shows its summary"
    text = " ".join(re.sub(r"<[^>]+>", " ", summary.group(1)).split())
    assert f"{orders.count()} " in text and re.search(r"\d+ (cooperativas|cooperatives)", text), text
    for buyer in User.objects.filter(orders__in=orders).distinct():
        for name in (buyer.get_full_name(), buyer.first_name, buyer.last_name, buyer.email):
            assert name not in html, name


def test_market_index_and_home_list_the_markets(demo):
    html = Client().get("/mercados/").content.decode()
    for slug in (OPEN_SLUG, UPCOMING_SLUG, CLOSED_SLUG):
        assert f"/mercados/{slug}/" in html
    home = Client().get("/").content.decode()
    assert f"/mercados/{OPEN_SLUG}/" in home and f"/mercados/{UPCOMING_SLUG}/" in home


def test_a_later_run_reopens_the_open_market_and_keeps_it_upcoming(demo):
    open_market, upcoming = _market(OPEN_SLUG), _market(UPCOMING_SLUG)
    slot = open_market.slots.first()
    SlotUsage.objects.filter(slot=slot).update(taken=3)
    later = timezone.now() + timedelta(days=10)
    with time_machine.travel(later):
        load_demo()
        now = timezone.now()
        moved, moved_upcoming = _market(OPEN_SLUG), _market(UPCOMING_SLUG)
        assert moved.state_at(now) == "open" and moved_upcoming.state_at(now) == "upcoming"
        assert moved.live and not moved.has_unpublished_changes
        assert moved.market_day - open_market.market_day == timedelta(days=10)
        assert upcoming.market_day < moved_upcoming.market_day
        for market in (moved, moved_upcoming):
            for s in market.slots.all():
                assert timezone.localtime(s.starts_at).date() == market.market_day
        # Same slot rows, so what was booked stays booked.
        assert SlotUsage.objects.get(slot_id=slot.pk).taken == 3
        assert _market(CLOSED_SLUG).state_at(now) == "closed"
        assert MarketEventPage.objects.originals().count() == 3
        # The English pages moved with their originals.
        english = Locale.objects.get(language_code="en")
        assert moved.get_translation(english).closes_at == moved.closes_at


def test_english_pages_and_stories(demo, client):
    english = Locale.objects.get(language_code="en")
    guaviare = _market(OPEN_SLUG)
    guaviare_en = guaviare.get_translation(english)
    assert guaviare_en.live and guaviare_en.title == "San José del Guaviare peasant market"
    assert guaviare_en.trading_event.pk == guaviare.pk and not guaviare_en.offers.exists()
    page = client.get(guaviare_en.url).content.decode()
    assert "San José del Guaviare peasant market" in page
    assert page.count('class="card"') == guaviare.offers.count()
    home_en = client.get("/en/").content.decode()
    assert "Buy directly from the peasant cooperatives" in home_en
    assert "The nursery women of Anorí founded their cooperative" in home_en
    # Two stories in Spanish about real cooperatives of the demo, one translated.
    stories = StoryPage.objects.filter(locale=Locale.get_default()).select_related("cooperative")
    assert {s.cooperative.slug for s in stories} == {"coomulsepaz", "frutos-del-guaviare"}
    assert StoryPage.objects.filter(locale=english).count() == 1
    index = StoryIndexPage.objects.get(locale=Locale.get_default())
    listing = client.get(index.url).content.decode()
    assert listing.count('class="card"') == 2
