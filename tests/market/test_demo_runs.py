"""`manage.py load_demo` on an empty database: idempotent, moving its markets along when run
later, refused where demo data is not allowed; and market never imports the apps it loads."""

import ast
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Locale, Revision

from catalog.models import Product, ProductPhoto
from cms.models import (
    MarketClosing,
    MarketEventPage,
    MarketOffer,
    MarketOrder,
    MarketStock,
    PickupPoint,
    PickupSlot,
    SlotUsage,
)
from cooperatives.models import Cooperative, Membership, Producer
from market.models import User
from orders.models import Cart, Order, OrderLine
from tests.market.test_demo_data import CLOSED_SLUG, OPEN_SLUG, UPCOMING_SLUG, _market, load_demo


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


@pytest.mark.django_db
def test_a_later_run_reopens_the_open_market_and_keeps_it_upcoming():
    load_demo()
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
