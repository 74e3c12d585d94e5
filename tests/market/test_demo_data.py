"""`manage.py load_demo`: complete, realistic, idempotent, and never where it is not allowed."""

import ast
from io import StringIO
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.models import Revision

from catalog.models import Product, ProductPhoto
from cooperatives.models import Cooperative, Membership, Producer
from market.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from market.models import MARKET_BUILDERS_GROUP, User

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
            )
        },
        "products": sorted(Product.objects.values_list("pk", "updated_at", "search_text")),
        "passwords": sorted(User.objects.values_list("email", "password")),
        "cooperatives": sorted(Cooperative.objects.values_list("slug", "verified_at")),
        "product_producers": sorted(
            Product.producers.through.objects.values_list("product_id", "producer_id")
        ),
    }


@pytest.fixture
def demo(db):
    load_demo()


@pytest.mark.django_db
def test_second_run_changes_nothing():
    load_demo()
    first = snapshot()
    load_demo()
    assert snapshot() == first


@pytest.mark.django_db
def test_refuses_unless_demo_data_is_allowed(settings):
    settings.MINGA_ALLOW_DEMO_DATA = False
    with pytest.raises(CommandError, match="MINGA_ALLOW_DEMO_DATA"):
        call_command("load_demo", stdout=StringIO())
    assert not User.objects.filter(email__endswith="@minga.co").exists()
    assert not Cooperative.objects.exists()


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
    assert client.get(reverse("catalog:workspace_home", args=["coomulsepaz"])).status_code == 200


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
