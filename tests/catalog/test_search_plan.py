"""On PostgreSQL the search and the catalogue's first page are read from their indexes
(migrations 0004 and 0006), never by scanning every product: EXPLAIN, on 2,000 analysed
products, says which index the planner chose. At this size the planner still finds it
cheaper to walk the little table until a search probe's LIMIT is reached (at 100,000 it
reads the GIN index: see the README for the plan and its times), so the probe is explained
with plain scans switched off and without the public filters: an expression the GIN index
cannot serve would still show a sequential scan."""

import pytest
from django.db import connection, transaction

from catalog import search
from catalog.models import Product
from tests.factories import make_product

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def plan(queryset, *, seqscan=True) -> str:
    sql, params = queryset.query.sql_with_params()
    return explain(sql, params, seqscan=seqscan)


def explain(sql, params, *, seqscan=True) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if not seqscan:
            cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def products(cooperative):
    """2,000 products, one of them coffee, and the planner's statistics about them."""
    template = make_product(cooperative, name="Café especial")
    words = ["Yuca", "Panela", "Miel", "Plátano", "Cacao", "Queso", "Huevos", "Ñame"]
    Product.objects.bulk_create(
        Product(
            cooperative=cooperative,
            category=template.category,
            name=f"{words[n % len(words)]} {n}",
            slug=f"producto-{n}",
            description="Del campo.",
            search_text=f"{words[n % len(words)].lower()} {n} del campo",
            price_cop=1000,
        )
        for n in range(1999)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_product")


@pytest.mark.parametrize("words", [["cafe"], ["caf*"], ["cafe*", "cafr"]])
@pytest.mark.parametrize("name_only", [True, False])
def test_the_search_reads_the_full_text_index(products, name_only, words):
    probe = search.PostgresSearch.matches(Product.objects.all(), [words], name_only=name_only)
    text = plan(probe.order_by().values_list("id", "search_rank")[: search.MAX_RESULTS], seqscan=False)
    assert "catalog_product_search_vector" in text, text
    assert "Seq Scan on catalog_product" not in text, text


def test_a_typo_is_looked_up_in_the_trigram_index(products):
    text = explain(
        "SELECT minga_fold(name) FROM catalog_product ORDER BY %s <<-> minga_fold(name) LIMIT 40", ["yuka"]
    )
    assert "catalog_product_name_trgm" in text, text


def test_the_catalogue_first_page_walks_its_order_index_and_stops(products):
    listing = Product.objects.public().order_by("-is_available", "name", "id")[:24]
    text = plan(listing)
    assert "product_listing_order" in text, text
    assert "Sort" not in text.split("product_listing_order")[0], text


def test_the_search_vector_follows_every_write(cooperative):
    product = make_product(cooperative, name="Yuca fresca")
    Product.objects.filter(pk=product.pk).update(name="Ñame espino")  # no service, no signal
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM catalog_product WHERE id = %s", [product.pk])
        vector = cursor.fetchone()[0]
    assert "'name':1A" in vector and "'yuca':1A" not in vector
