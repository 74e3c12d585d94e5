"""On SQLite the search reads FTS5 (migration 0006) and stops after `MAX_RESULTS` products,
so that a search costs the same at 2,000 products as at 100,000 (the `search-100k` row of
`make bench`). What made it grow, and must not come back:

- `bm25`, which counts every product that says each word before its first row (3 to 7 ms
  per probe for a common word at 100,000 products): the rank is made in Python from the
  few rows read (`SqliteSearch.rank`).
- The vocabulary table (`fts5vocab`), which counts a word's products to answer whether it
  exists, looked up for hundreds of variants: the typo fallback asks FTS5's MATCH, and not
  for a word some product says.
- A scan of `catalog_product`: EXPLAIN QUERY PLAN says the probe starts from the FTS index
  and reaches each product by its key."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import search
from catalog.models import Product
from catalog.selectors import product_search
from tests.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 search (PostgreSQL's plans: test_search_plan.py)")


def query_plan(queryset) -> list[str]:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [row[3] for row in cursor.fetchall()]


def executed(call) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        call()
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("name_only", [True, False])
@pytest.mark.parametrize("groups", [[["cafe"]], [["cafe"], ["anori"]], [["caf*"]], [["yuca", "yucas"]]])
def test_a_probe_starts_from_the_fts_index_and_reads_products_by_key(cooperative, name_only, groups):
    base = product_search(category=None).base.order_by()  # the catalogue's public filters
    probe = search.SqliteSearch.matches(base, groups, name_only=name_only)
    plan = query_plan(probe.values_list("id", "name")[: search.MAX_RESULTS])
    assert plan[0].startswith("SCAN catalog_product_fts VIRTUAL TABLE INDEX 0:M"), plan
    assert "SEARCH catalog_product USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
    assert not [step for step in plan if step.startswith("SCAN") and "fts" not in step], plan
    assert not [step for step in plan if "TEMP B-TREE" in step], plan  # no sort: it stops at the LIMIT


def test_a_search_reads_no_global_statistics(asoyupguz):
    for text in ["yuca", "yuka", "caf", "yuca fersca"]:
        sql = executed(lambda text=text: search.rank_products(Product.objects.public(), text))
        assert not [q for q in sql if "bm25" in q or "_vocab" in q], (text, sql)


def test_the_rank_is_where_the_words_are(asoyupguz):
    ranked = search.rank_products(Product.objects.public(), "yuca")
    found = list(Product.objects.filter(pk__in=ranked.ids).values_list("pk", "name"))
    names = [dict(found)[pk] for pk in ranked.ids]
    assert names[:2] == ["Yuca fresca", "Almidón agrio"]  # name, then description
    assert set(names[2:]) == {"Huevos criollos", "Plátano hartón"}  # only the cooperative's text


def test_a_known_word_is_not_corrected_and_a_typo_is_in_one_statement(asoyupguz):
    (sql,) = executed(lambda: search.corrections(search.SqliteSearch, ["yuka", "yuca", "fersca"]))
    assert "MATCH" in sql and "_vocab" not in sql
    assert search.corrections(search.SqliteSearch, ["yuka", "yuca", "fersca"]) == {
        "yuka": ["yuca"],
        "yuca": [],  # a product says it: meant, not a typo
        "fersca": ["fresca"],
    }


def test_a_search_runs_a_few_queries_whatever_matches(asoyupguz, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 3)
    for n in range(8):
        make_product(asoyupguz, name=f"Yuca {n}")
    for text, most in [("yuca", 2), ("almidon", 1), ("yuka", 4), ("caf", 2), ("zzzzqq", 3)]:
        assert (
            len(executed(lambda text=text: search.rank_products(Product.objects.public(), text))) <= most
        ), text
