"""Publishing a market costs the same few queries plus one write per offer (issue 13).

Publishing a market of 300 offers took 54 s, of 1,000 offers 372 s: Wagtail re-indexed the
page's references after the save of every inline offer, each time reading the whole page
again (n × n), the revision's content checked each offer's product and page with a query
apiece, and the live counters were synced with two queries per offer.

What is left per offer is django-modelcluster writing each inline row with its own
INSERT or UPDATE when the page is saved; everything else is a fixed number of queries.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import ReferenceIndex

from catalog.models import Product
from cms.models import MarketEventPage, MarketStock, SlotUsage
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, make_product

# The writes of the inline rows (one per offer per page save); nothing else per offer.
WRITES_PER_OFFER = 1
SLACK = 3


def _products(count: int) -> list[Product]:
    cooperatives = [CooperativeFactory() for _ in range(3)]
    first = make_product(cooperatives[0], name="Producto 0")
    products = [first]
    for n in range(1, count):
        copy = Product.objects.get(pk=first.pk)
        copy.pk = None
        copy.cooperative = cooperatives[n % 3]
        copy.name, copy.slug = f"Producto {n}", f"producto-{n}"
        copy.save()
        products.append(copy)
    return products


def _publish_edit(event: MarketEventPage, *, more: Decimal) -> int:
    """What the Market Builder does: change every offer's quantity, save a revision, publish."""
    page = MarketEventPage.objects.get(pk=event.pk).get_latest_revision_as_object()
    offers = list(page.offers.all())
    for offer in offers:
        offer.quantity += more
    page.offers = offers
    with CaptureQueriesContext(connection) as queries:
        page.save_revision().publish()
    return len(queries)


@pytest.fixture
def products(db):
    return _products(40)


def test_publishing_adds_one_write_per_offer_and_nothing_else(products):
    small = make_market(title="Mercado chico", offers=[(p, 1000, 10) for p in products[:5]])
    large = make_market(title="Mercado grande", offers=[(p, 1000, 10) for p in products])
    few = _publish_edit(small, more=Decimal("1"))
    many = _publish_edit(large, more=Decimal("1"))
    extra_offers = len(products) - 5
    assert many - few <= WRITES_PER_OFFER * extra_offers + SLACK, (few, many)
    # The live counters followed the published quantities, one row per offer.
    assert set(MarketStock.objects.filter(event=large).values_list("planned", flat=True)) == {Decimal("11")}
    assert MarketStock.objects.filter(event=large).count() == len(products)


def test_first_publish_writes_each_offer_once_per_save(products):
    """Created (the page saved with its offers) then published (saved again)."""
    with CaptureQueriesContext(connection) as few:
        make_market(title="Mercado chico", offers=[(p, 1000, 10) for p in products[:5]])
    with CaptureQueriesContext(connection) as many:
        event = make_market(title="Mercado grande", offers=[(p, 1000, 10) for p in products])
    extra_offers = len(products) - 5
    assert len(many) - len(few) <= 2 * WRITES_PER_OFFER * extra_offers + SLACK, (len(few), len(many))
    assert SlotUsage.objects.filter(slot__page=event).count() == 1


def test_publishing_keeps_what_was_sold_and_follows_removed_offers(products):
    event = make_market(offers=[(p, 1000, 10) for p in products[:3]])
    MarketStock.objects.filter(event=event, product=products[0]).update(sold=Decimal("4"))
    page = MarketEventPage.objects.get(pk=event.pk).get_latest_revision_as_object()
    offers = [o for o in page.offers.all() if o.product_id != products[2].pk]
    for offer in offers:
        offer.quantity = Decimal("12")
    page.offers = offers
    page.save_revision().publish()
    stock = {s.product_id: s for s in MarketStock.objects.filter(event=event)}
    assert (stock[products[0].pk].planned, stock[products[0].pk].sold) == (Decimal("12"), Decimal("4"))
    assert stock[products[1].pk].planned == Decimal("12")
    # No longer offered: nothing more may be sold of it.
    assert stock[products[2].pk].planned == stock[products[2].pk].sold == Decimal("0")


def test_the_reference_index_still_lists_every_offered_product(products):
    """The per-row re-indexing is off during the save; one pass after it indexes the page."""
    event = make_market(offers=[(p, 1000, 10) for p in products[:6]])
    referenced = set(
        ReferenceIndex.get_references_for_object(event)
        .filter(to_content_type__model="product")
        .values_list("to_object_id", flat=True)
    )
    assert referenced == {str(p.pk) for p in products[:6]}
    page = MarketEventPage.objects.get(pk=event.pk).get_latest_revision_as_object()
    page.offers = [o for o in page.offers.all() if o.product_id != products[0].pk]
    page.save_revision().publish()
    referenced = set(
        ReferenceIndex.get_references_for_object(event)
        .filter(to_content_type__model="product")
        .values_list("to_object_id", flat=True)
    )
    assert referenced == {str(p.pk) for p in products[1:6]}


def test_a_revision_naming_a_missing_pickup_point_falls_back_to_the_librarys_checks(products):
    """When a reference is gone, modelcluster's own per-row checks decide, as before."""
    event = make_market(offers=[(p, 1000, 10) for p in products[:2]])
    revision = event.get_latest_revision()
    content = dict(revision.content)
    content["offers"] = [dict(row) for row in content["offers"]]
    assert MarketEventPage._child_references_exist(content)
    content["offers"][0]["product"] = 10**9
    assert not MarketEventPage._child_references_exist(content)
