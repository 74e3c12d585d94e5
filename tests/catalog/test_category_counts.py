"""Finding by category: the catalogue lists its categories with how many products each
holds (a subcategory's products count under its parent), hides the empty ones, and a
market groups its offers under the very same categories."""

import re

from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Category
from catalog.selectors import catalog_categories, categories_with_counts
from catalog.services import product_set_hidden
from cooperatives.models import VerificationStatus
from market import page_cache
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, make_product


def _catalogue(client, **params) -> str:
    return client.get(reverse("catalog:list"), params).content.decode()


def _category_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="tabs" aria-label="[^"]+">(.*?)</nav>', html, re.S).group(1)
    return [" ".join(t.split()) for t in re.findall(r">([^<>]+\(\d+\))<", nav)]


def test_categories_have_their_counts_and_empty_ones_are_hidden(client, db):
    coop = CooperativeFactory()
    yuca, platano = Category.objects.get(slug="yuca"), Category.objects.get(slug="platano")
    make_product(coop, name="Yuca", category=yuca)
    make_product(coop, name="Plátano hartón", category=platano)
    make_product(coop, name="Miel", category=Category.objects.get(slug="miel"))
    make_product(coop, name="Miel escondida", category=Category.objects.get(slug="miel"), is_hidden=True)
    unverified = CooperativeFactory(verification_status=VerificationStatus.PENDING)
    make_product(unverified, name="Cacao", category=Category.objects.get(slug="cacao"))

    counts = {c.slug: c.product_count for c in categories_with_counts()}
    assert counts == {"tuberculos-y-raices": 2, "miel": 1}

    html = _catalogue(client)
    assert _category_links(html) == ["Tubérculos y raíces (2)", "Miel (1)"]
    assert '<option value="miel">Miel (1)</option>' in html
    assert "Cacao" not in html and "Frutas" not in html  # empty, and hidden


def test_a_category_link_keeps_the_search_words_and_filters_to_it(client, db):
    coop = CooperativeFactory()
    make_product(coop, name="Yuca fresca", category=Category.objects.get(slug="yuca"))
    make_product(coop, name="Miel fresca", category=Category.objects.get(slug="miel"))

    html = _catalogue(client, q="fresca")
    assert 'href="?q=fresca&amp;category=miel"' in html
    chosen = _catalogue(client, q="fresca", category="miel")
    assert "<strong>Miel (1)</strong>" in chosen
    names = chosen.replace("<mark>", "").replace("</mark>", "")  # the search marks its words
    assert "Miel fresca" in names and "Yuca fresca" not in names
    assert 'href="?q=fresca">' in chosen  # "Everything" drops only the category
    # A category that does not exist (or is empty) shows everything, never an error.
    assert "Yuca fresca" in _catalogue(client, category="no-existe")


def test_a_market_uses_the_catalogues_categories(client, db):
    coop = CooperativeFactory()
    yuca = make_product(coop, name="Yuca", category=Category.objects.get(slug="yuca"))
    platano = make_product(coop, name="Plátano", category=Category.objects.get(slug="platano"))
    miel = make_product(coop, name="Miel", category=Category.objects.get(slug="miel"))
    event = make_market(offers=[(yuca, 1500, 10), (platano, 1200, 10), (miel, 20000, 5)])

    html = client.get(event.url).content.decode()
    assert _category_links(html) == ["Tubérculos y raíces (2)", "Miel (1)"]  # the catalogue's order
    assert _category_links(html) == _category_links(_catalogue(client))
    roots = client.get(event.url + "?categoria=tuberculos-y-raices").content.decode()
    assert roots.count('class="card"') == 2 and "Miel</h3>" not in roots
    # A subcategory's own slug is not one of the listed categories: everything is shown.
    assert client.get(event.url + "?categoria=yuca").content.decode().count('class="card"') == 3


def test_the_catalogue_counts_once_until_something_changes(db, settings, django_capture_on_commit_callbacks):
    settings.CACHES = {
        **settings.CACHES,
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    caches[page_cache.ALIAS].clear()
    coop = CooperativeFactory()
    miel = Category.objects.get(slug="miel")
    with django_capture_on_commit_callbacks(execute=True):
        honey = make_product(coop, name="Miel", category=miel)

    def counts():
        return {c.slug: c.product_count for c in catalog_categories()}

    assert counts() == {"miel": 1}
    with CaptureQueriesContext(connection) as queries:
        assert counts() == {"miel": 1}
    assert len(queries) == 0  # every other catalogue page reads them from the page cache

    with django_capture_on_commit_callbacks(execute=True):
        make_product(coop, name="Miel de monte", category=miel)
    assert counts() == {"miel": 2}
    with django_capture_on_commit_callbacks(execute=True):
        product_set_hidden(product=honey, hidden=True)
    assert counts() == {"miel": 1}
    caches[page_cache.ALIAS].clear()
