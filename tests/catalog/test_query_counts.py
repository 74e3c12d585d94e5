"""Pages run the same few queries for a small catalogue and a big one (no N+1).

The catalogue grows from 10 to 200 products inside one test, and every page is measured
at both sizes: the counts must be equal and within the page's budget. Budgets are the
measured counts (second request to each page, so per-process caches such as content
types are warm); a page that starts costing more must say why in this table.
"""

import pytest
from django.urls import reverse
from wagtail.signal_handlers import disable_reference_index_auto_update

from catalog.models import Category, Certification
from market.models import Municipality
from tests.factories import CooperativeFactory, MembershipFactory, ProducerFactory, make_photo, make_product

BUDGET = {
    # site, locale (which translation of the home page), page, 2 checks; open and upcoming
    # markets; cooperatives; products, photos, renditions
    "home": 12,
    "catalogue": 8,  # 4 filter choices; count, products, photos, renditions
    # + the bound filter form checks the chosen category and department; the search's two
    # probes (names, then anywhere: catalog/search.py) replace the count
    "catalogue, filtered": 11,
    "product": 5,  # product, photos, renditions, certifications, producers
    "cooperative": 5,  # cooperative; count, products, photos, renditions
    "workspace products": 7,  # session, user, membership; products, photos, renditions; basket count
}
MAX_QUERIES = 12
PLACES = ["05040", "19001", "76001", "05001"]  # Anorí and Medellín are in Antioquia (05)
PAGE_SIZE = 24


@pytest.fixture
def quick_indexing(settings):
    """Building 200 products is quicker without Wagtail's search and reference indexes,
    which none of the measured pages read."""
    settings.WAGTAILSEARCH_BACKENDS = {
        name: {**backend, "AUTO_UPDATE": False} for name, backend in settings.WAGTAILSEARCH_BACKENDS.items()
    }
    with disable_reference_index_auto_update():
        yield


class GrowingCatalogue:
    """Products with a photo each, a seal and a producer family, over four cooperatives;
    even ones are cassava, odd ones coffee."""

    def __init__(self):
        self.cooperatives = [
            CooperativeFactory(municipality=Municipality.objects.get(code=c)) for c in PLACES
        ]
        self.producers = [ProducerFactory(cooperative=c) for c in self.cooperatives]
        self.manager = MembershipFactory(cooperative=self.cooperatives[0], role="manager").user
        self.organic = Certification.objects.get(code="organico")
        self.cassava, self.coffee = Category.objects.get(slug="yuca"), Category.objects.get(slug="cafe")
        self.products = []

    def grow_to(self, size: int) -> None:
        for n in range(len(self.products), size):
            cooperative = self.cooperatives[n % 4]
            if n % 2:
                product = make_product(cooperative, name=f"Café de altura {n}", category=self.coffee)
            else:
                product = make_product(cooperative, name=f"Yuca fresca {n}", category=self.cassava)
            product.certifications.add(self.organic)
            product.producers.add(self.producers[n % 4])
            make_photo(product, size=(8, 8))
            self.products.append(product)

    def pages(self) -> dict[str, tuple[str, int]]:
        """Each page's address and how many product cards it must show."""
        size, first = len(self.products), self.cooperatives[0]
        of_first = len(self.products[::4])
        # In Antioquia (05) are cooperatives 0 and 3; cassava (even n) is all in 0, none in 3.
        cassava_in_antioquia = of_first
        return {
            "home": ("/", min(size, 8)),
            "catalogue": (reverse("catalog:list"), min(size, PAGE_SIZE)),
            "catalogue, filtered": (
                reverse("catalog:list") + "?q=yuca&category=tuberculos-y-raices&department=05",
                min(cassava_in_antioquia, PAGE_SIZE),
            ),
            "product": (reverse("catalog:product_detail", args=[first.slug, self.products[0].slug]), 0),
            "cooperative": (
                reverse("catalog:cooperative_detail", args=[first.slug]),
                min(of_first, PAGE_SIZE),
            ),
            "workspace products": (reverse("catalog:workspace_products", args=[first.slug]), 0),
        }


def measure(client, catalogue, assert_max_queries) -> dict[str, int]:
    """Each page's query count; each within its budget and showing the cards it should."""
    counts = {}
    for name, (url, cards) in catalogue.pages().items():
        if name.startswith("workspace"):
            client.force_login(catalogue.manager)
        else:
            client.logout()
        client.get(url)
        with assert_max_queries(BUDGET[name], info=f"{name}, {len(catalogue.products)} products") as queries:
            response = client.get(url)
        assert response.status_code == 200, name
        html = response.content.decode()
        assert html.count('class="card"') == cards, name
        assert html.count("<img") >= cards, name  # every card shows its photo
        counts[name] = len(queries)
    return counts


@pytest.mark.parametrize("small, large", [(10, 200)])
def test_pages_run_the_same_few_queries_for_200_products_as_for_10(
    small, large, db, quick_indexing, client, django_assert_max_num_queries
):
    catalogue = GrowingCatalogue()
    catalogue.grow_to(small)
    queries_when_small = measure(client, catalogue, django_assert_max_num_queries)
    catalogue.grow_to(large)
    queries_when_large = measure(client, catalogue, django_assert_max_num_queries)

    assert queries_when_large == queries_when_small


def test_query_budgets_stay_small():
    assert max(BUDGET.values()) <= MAX_QUERIES
