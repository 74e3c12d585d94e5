"""Home, catalogue and product pages stay light for a cheap phone on rural 3G (issue 5's
budgets; the market storefront has its own in tests/cms/test_storefront_budget.py).

- The same number of queries for 10 products as for 300, at most `MAX_QUERIES`.
- HTML + CSS at most 50 KB gzipped together, with 300 products.
- No JavaScript at all; every image lazy, with width and height, in WebP; nothing fetched
  from another host.

The 300 products are made once for the module (inside a transaction rolled back at its
end); every page is fetched at 10 products and at 300, and the tests read those answers.
"""

import gzip
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.signal_handlers import disable_reference_index_auto_update

from catalog.models import Category, Certification
from market.models import Municipality
from tests.cms.test_storefront_budget import CSS, GZIP_BUDGET, MAX_QUERIES, SHARE_PREFIX, Page
from tests.factories import CooperativeFactory, ProducerFactory, make_photo, make_product

SIZES = (10, 300)
PLACES = ["05040", "19001", "76001", "05001"]  # Anorí and Medellín are in Antioquia (05)
PAGES = ("home", "catalogue", "catalogue, filtered", "product")
PAGE_SIZE = 24


def cards(name: str, size: int) -> int:
    """How many product cards the page shows at `size` products."""
    # Cassava (even n) in Antioquia (05) is all in the first cooperative: every fourth product.
    return {"home": min(size, 8), "catalogue": min(size, PAGE_SIZE), "product": 0}.get(
        name, min(len(range(0, size, 4)), PAGE_SIZE)
    )


# pytest-django sets up only the databases its tests ask for; these read the module's answers.
pytestmark = pytest.mark.django_db


@dataclass
class Answer:
    queries: int
    status: int
    body: bytes

    @property
    def html(self) -> str:
        return self.body.decode()


class Catalogue:
    """Cheap products with a tiny photo, a seal and a producer family over four
    cooperatives; even ones are cassava, odd ones coffee."""

    def __init__(self):
        self.cooperatives = [
            CooperativeFactory(municipality=Municipality.objects.get(code=c)) for c in PLACES
        ]
        self.producers = [ProducerFactory(cooperative=c) for c in self.cooperatives]
        self.organic = Certification.objects.get(code="organico")
        self.cassava, self.coffee = Category.objects.get(slug="yuca"), Category.objects.get(slug="cafe")
        self.products = []

    def grow_to(self, size: int) -> None:
        for n in range(len(self.products), size):
            cooperative = self.cooperatives[n % 4]
            fields = {"stock": None, "quantity_step": Decimal("1"), "price_cop": 3000 + n}
            if n % 2:
                product = make_product(
                    cooperative, name=f"Café de altura {n}", category=self.coffee, **fields
                )
            else:
                product = make_product(cooperative, name=f"Yuca fresca {n}", category=self.cassava, **fields)
            product.certifications.add(self.organic)
            product.producers.add(self.producers[n % 4])
            make_photo(product, size=(8, 8))
            self.products.append(product)

    def urls(self) -> dict[str, str]:
        first = self.products[0]
        return {
            "home": "/",
            "catalogue": reverse("catalog:list"),
            "catalogue, filtered": reverse("catalog:list")
            + "?q=yuca&category=tuberculos-y-raices&department=05",
            "product": reverse("catalog:product_detail", args=[first.cooperative.slug, first.slug]),
        }


def _fetch(client, url: str) -> Answer:
    client.get(url)  # warm per-process caches (content types, site root)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return Answer(len(queries), response.status_code, response.content)


@pytest.fixture(scope="module")
def answers(django_db_setup, django_db_blocker) -> dict[tuple[str, int], Answer]:
    """Every page's answer at 10 and at 300 products, keyed by (page, size)."""
    get_image_model().get_rendition_model().cache_backend.clear()
    quiet_search = {
        name: {**backend, "AUTO_UPDATE": False} for name, backend in settings.WAGTAILSEARCH_BACKENDS.items()
    }
    made = {}
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(WAGTAILSEARCH_BACKENDS=quiet_search), disable_reference_index_auto_update():
            catalogue = Catalogue()
            client = Client()
            for size in SIZES:
                catalogue.grow_to(size)
                for name, url in catalogue.urls().items():
                    made[name, size] = _fetch(client, url)
        transaction.set_rollback(True)
    get_image_model().get_rendition_model().cache_backend.clear()
    return made


@pytest.mark.parametrize("name", PAGES)
def test_queries_are_the_same_for_10_and_300_products_and_few(answers, name):
    small, large = (answers[name, size] for size in SIZES)
    assert small.status == large.status == 200, name
    for size in SIZES:  # the pages show what they should, so the counts mean something
        assert answers[name, size].html.count('class="card"') == cards(name, size), (name, size)
    assert small.queries == large.queries, f"{name}: {small.queries} queries for 10, {large.queries} for 300"
    assert large.queries <= MAX_QUERIES, f"{name}: {large.queries} queries"


@pytest.mark.parametrize("name", PAGES)
def test_html_and_css_weigh_at_most_50_kb_gzip(answers, name):
    answer = answers[name, SIZES[-1]]
    weight = len(gzip.compress(answer.body)) + len(gzip.compress(CSS.read_bytes()))
    assert weight <= GZIP_BUDGET, f"{name}: HTML + CSS {weight} B gzip"


@pytest.mark.parametrize("name", PAGES)
def test_no_javascript(answers, name):
    page = Page(answers[name, SIZES[-1]].html)
    assert not page.all("script"), name
    assert not any(attr.startswith("on") for _tag, attrs in page.tags for attr in attrs), name
    assert not any(
        value.strip().lower().startswith("javascript:")
        for _tag, attrs in page.tags
        for value in attrs.values()
    ), name


@pytest.mark.parametrize("name", PAGES)
def test_images_are_lazy_sized_webp(answers, name):
    images = Page(answers[name, SIZES[-1]].html).all("img")
    assert images, f"{name}: no product photo shown"
    for img in images:
        assert img.get("loading") == "lazy", (name, img)
        assert img.get("width", "").isdigit() and img.get("height", "").isdigit(), (name, img)
        assert img.get("src", "").endswith(".webp"), (name, img)
        assert img.get("alt") is not None, (name, img)


@pytest.mark.parametrize("name", PAGES)
def test_nothing_is_fetched_from_another_host(answers, name):
    page = Page(answers[name, SIZES[-1]].html)
    external = [
        value
        for _tag, attrs in page.tags
        for attr in ("src", "href", "action", "srcset", "poster", "data")
        if (value := attrs.get(attr, "")).startswith(("http://", "https://", "//"))
    ]
    assert all(url.startswith(SHARE_PREFIX) for url in external), (name, external)
    stylesheets = [a["href"] for a in page.all("link") if a.get("rel") == "stylesheet"]
    assert stylesheets == [settings.STATIC_URL + "css/minga.css"], (name, stylesheets)
