"""On PostgreSQL the search and the catalogue's first page are read from their indexes
(migrations 0005, 0007, 0008 and 0009), never by scanning every product: EXPLAIN, on 2,000
analysed products, says which index the planner chose. At this size the planner still finds
it cheaper to walk the little table until a search probe's LIMIT is reached (at 100,000 it
reads the GIN index: see the README for the plan and its times), so the probe is explained
with plain scans switched off and without the public filters: an expression the GIN index
cannot serve would still show a sequential scan. The fallbacks (a typo, a word start) read
the vocabulary's key only, never the products, so their cost does not grow with them."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog import search
from catalog.models import Product
from tests.factories import make_product

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def plan(queryset, *, seqscan=True) -> str:
    sql, params = queryset.query.sql_with_params()
    return explain(sql, params, seqscan=seqscan)


def explain(sql, params, *, seqscan=True, off=("seqscan", "indexscan")) -> str:
    """The plan of `sql`; with `seqscan=False`, with the scans in `off` switched off."""
    with transaction.atomic(), connection.cursor() as cursor:
        if not seqscan:
            cursor.execute("; ".join(f"SET LOCAL enable_{scan} = off" for scan in off))
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
        cursor.execute("ANALYZE catalog_search_word")


def vocabulary() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM catalog_search_word")
        return {row[0] for row in cursor.fetchall()}


def executed(call) -> list[str]:
    """The SQL that `call()` ran, with its values in place, as the database received it."""
    with CaptureQueriesContext(connection) as queries:
        call()
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("words", [["cafe"], ["cafe", "cafetal"], ["cafe", "yuca", "miel"]])
@pytest.mark.parametrize(
    "name_only, index", [(True, "catalog_product_name_vector"), (False, "catalog_product_search_vector")]
)
def test_the_search_reads_the_full_text_index(products, name_only, index, words):
    probe = search.PostgresSearch.matches(Product.objects.all(), [words], name_only=name_only)
    text = plan(probe.order_by().values_list("id", "search_rank")[: search.MAX_RESULTS], seqscan=False)
    assert f"Bitmap Index Scan on {index}" in text, text
    assert "Seq Scan on catalog_product" not in text, text


def test_a_word_common_outside_names_is_looked_up_in_the_names_index(products):
    """Every product's text says "campo": none is named so, and the first probe knows it at once."""
    probe = search.PostgresSearch.matches(Product.objects.all(), [["campo"]], name_only=True)
    text = plan(probe.order_by().values_list("id", "search_rank")[: search.MAX_RESULTS])
    assert "Bitmap Index Scan on catalog_product_name_vector" in text, text
    assert list(probe) == []


def test_a_typo_is_looked_up_in_the_vocabularys_key(products):
    (sql,) = executed(lambda: search.corrections(search.PostgresSearch, ["yuka", "cafr"]))
    text = explain(sql, None, seqscan=False, off=["seqscan"])
    assert "Index Scan on catalog_search_word_pkey" in text or "using catalog_search_word_pkey" in text, text
    assert "Index Cond: (word = ANY (" in text, text
    assert "catalog_product" not in text, text
    assert search.corrections(search.PostgresSearch, ["yuka", "cafr"]) == {"yuka": ["yuca"], "cafr": ["cafe"]}


def test_a_word_start_reads_one_range_of_the_vocabularys_key(products, monkeypatch):
    (sql,) = executed(lambda: search.PostgresSearch.word_starts(["caf", "hue"]))
    text = explain(sql, None, seqscan=False, off=["seqscan", "bitmapscan"])
    assert "Index Only Scan using catalog_search_word_pkey" in text, text
    assert "Index Cond: ((word >= s.start) AND (word < s.below))" in text, text
    assert "Sort" not in text, text  # the first words of the range, in the index's order
    assert "catalog_product" not in text, text
    assert search.PostgresSearch.word_starts(["caf", "hue", "zzz"]) == {
        "caf": ["cafe"],
        "hue": ["huevos"],
        "zzz": [],
    }
    monkeypatch.setattr(search, "PREFIX_WORDS", 3)  # bounded: the first words of the range
    assert search.PostgresSearch.word_starts(["1"]) == {"1": ["1", "10", "100"]}


def test_the_vocabulary_follows_every_write(cooperative):
    from catalog.services import search_text_refresh

    product = make_product(cooperative, name="Yuca fresca", description="De Puerto Guzmán.")
    assert {"yuca", "fresca", "puerto", "guzman"} <= vocabulary()
    Product.objects.filter(pk=product.pk).update(name="Ñame espino")  # no service, no signal
    assert {"name", "espino"} <= vocabulary()
    Product.objects.bulk_create(
        [Product(cooperative=cooperative, category=product.category, name="Arazá", slug="a", price_cop=1)]
    )
    assert "araza" in vocabulary()
    product.search_text = "chontaduro"
    Product.objects.bulk_update([product], ["search_text"])
    assert "chontaduro" in vocabulary()
    cooperative.name = "Cabildo Kwe'sx"
    cooperative.save()
    search_text_refresh(cooperative=cooperative)
    assert "cabildo" in vocabulary()
    product.delete()
    assert "espino" in vocabulary()  # stays: it stands for nothing the probes then find
    assert search.rank_products(Product.objects.all(), "espimo").ids == []


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
