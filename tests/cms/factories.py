"""Markets for tests: built as Wagtail pages and published, as a Market Builder would."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone
from wagtail.models import Page

from cms.models import MarketEventPage, MarketIndexPage, MarketOffer, PickupPoint, PickupSlot
from market.models import MARKET_BUILDERS_GROUP, Municipality
from tests.factories import UserFactory


def market_index() -> MarketIndexPage:
    index = MarketIndexPage.objects.first()
    if index is None:
        home = Page.objects.get(depth=2)
        index = home.add_child(instance=MarketIndexPage(title="Mercados campesinos", slug="mercados"))
    return index


def pickup_point(name="Parque principal", municipality_code="95001") -> PickupPoint:
    return PickupPoint.objects.create(
        name=name, address="Calle 8 # 22-10", municipality=Municipality.objects.get(code=municipality_code)
    )


def make_market(
    *,
    title="Mercado campesino del Guaviare",
    opens_at=None,
    closes_at=None,
    offers=(),
    slots=None,
    cooperatives=None,
    owner=None,
    delivery_offered=False,
    delivery_fee_cop=0,
    delivery_min_order_cop=0,
    publish=True,
) -> MarketEventPage:
    """`offers`: (product, price_cop, quantity[, max_per_buyer]); `slots`: (point, starts_at, capacity)."""
    now = timezone.now()
    opens_at = opens_at or now - timedelta(days=1)
    closes_at = closes_at or now + timedelta(days=3)
    event = MarketEventPage(
        title=title,
        slug=None,
        municipality=Municipality.objects.get(code="95001"),
        opens_at=opens_at,
        closes_at=closes_at,
        market_day=(closes_at + timedelta(days=1)).date(),
        delivery_offered=delivery_offered,
        delivery_fee_cop=delivery_fee_cop,
        delivery_min_order_cop=delivery_min_order_cop,
        owner=owner,
    )
    event.offers = [
        MarketOffer(
            product=o[0],
            price_cop=o[1],
            quantity=Decimal(str(o[2])),
            max_per_buyer=Decimal(str(o[3])) if len(o) > 3 and o[3] is not None else None,
        )
        for o in offers
    ]
    if slots is None:
        point = pickup_point()
        start = closes_at + timedelta(days=1, hours=2)
        slots = [(point, start, 10)]
    event.slots = [
        PickupSlot(pickup_point=p, starts_at=start, ends_at=start + timedelta(hours=1), capacity=cap)
        for p, start, cap in slots
    ]
    coops = cooperatives if cooperatives is not None else {o[0].cooperative for o in offers}
    event.cooperatives = list(coops)
    from django.utils.text import slugify

    event.slug = slugify(title)[:50] + f"-{MarketEventPage.objects.count() + 1}"
    market_index().add_child(instance=event)
    revision = event.save_revision(user=owner)
    if publish:
        # Staff approve a builder's market in the moderation workflow; this stands for it.
        revision.publish(user=owner, skip_permission_checks=True)
    event.refresh_from_db()
    return event


def make_builder(**fields):
    """A Market Builder: a person in the "Market builders" group (permissions: cms/0004)."""
    user = UserFactory(**fields)
    user.groups.add(Group.objects.get(name=MARKET_BUILDERS_GROUP))
    return user
