"""Reads for catalogue pages. Each owns its joins and prefetches, so that a page runs the
same few queries for 10 products or 10,000."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property

from catalog.models import Category, Certification, Product, ProductPhoto
from catalog.search import Ranked, query_words, rank_products
from cooperatives.models import Cooperative
from market import page_cache
from market.models import Department

LIST_COUNT_CAP = 1000  # a listing counts at most this many rows: "more than 1,000 products"


def photos_prefetch(lookup: str = "photos") -> Prefetch:
    """A product's photos with their images and renditions, in two queries for any number."""
    return Prefetch(
        lookup,
        queryset=ProductPhoto.objects.select_related("image").prefetch_related("image__renditions"),
    )


def product_cards(qs: QuerySet | None = None) -> QuerySet:
    """Products ready for a card: cooperative, place, category and photos in fixed queries."""
    qs = qs if qs is not None else Product.objects.public()
    return qs.select_related("cooperative__municipality__department", "category").prefetch_related(
        photos_prefetch()
    )


class ProductList:
    """The products a catalogue page lists, for Django's paginator: searched and ranked
    (`catalog.search`), or all of them in the catalogue's order. Either way a page costs
    the same few queries at 2,000 or 100,000 products: the count is capped (`capped` says
    so), a listing's first page reads its index (`product_listing_order`) and stops, and a
    page of results fetches its cards by id."""

    def __init__(self, base: QuerySet, ranked: Ranked | None = None):
        self.base, self.ranked = base, ranked

    @property
    def terms(self) -> list[str]:
        return self.ranked.terms if self.ranked else []

    @property
    def corrected(self) -> str:
        return self.ranked.corrected if self.ranked else ""

    @cached_property
    def _count(self) -> int:
        if self.ranked is not None:
            return len(self.ranked.ids)
        return self.base.order_by()[: LIST_COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        if self.ranked is not None:
            return self.ranked.capped
        return self._count > LIST_COUNT_CAP

    def __len__(self) -> int:
        return min(self._count, LIST_COUNT_CAP)

    def __getitem__(self, index: slice) -> list[Product]:
        if self.ranked is None:
            return list(product_cards(self.base)[index])
        ids = self.ranked.ids[index]
        cards = {p.pk: p for p in product_cards(Product.objects.filter(pk__in=ids))}
        for card in cards.values():
            card.search_terms = self.ranked.terms  # what the card marks (`highlight` filter)
        return [cards[pk] for pk in ids if pk in cards]


def product_search(
    *,
    text: str = "",
    category: Category | None = None,
    cooperative: Cooperative | None = None,
    department: Department | None = None,
    municipality=None,
    certification: Certification | None = None,
) -> ProductList:
    """The one search of the catalogue and the cooperative pages: filters, then `text`
    ranked by relevance (`catalog.search.rank_products`)."""
    qs = Product.objects.public()
    if category is not None:
        qs = qs.filter(Q(category=category) | Q(category__parent=category))
    if cooperative is not None:
        qs = qs.filter(cooperative=cooperative)
    if municipality is not None:
        qs = qs.filter(cooperative__municipality=municipality)
    elif department is not None:
        qs = qs.filter(cooperative__municipality__department=department)
    if certification is not None:
        qs = qs.filter(certifications=certification)
    if query_words(text):
        return ProductList(qs, rank_products(qs, text))
    return ProductList(qs.order_by("-is_available", "name", "id"))


def product_detail(*, cooperative_slug: str, product_slug: str) -> Product | None:
    return (
        product_cards(Product.objects.public())
        .prefetch_related("certifications", "producers")
        .filter(cooperative__slug=cooperative_slug, slug=product_slug)
        .first()
    )


def filter_choices() -> dict:
    """Everything the filter form offers, in four queries."""
    return {
        "categories": catalog_categories(),
        # Rows, not models: every catalogue page lists every verified cooperative (500 in the
        # `search-100k` bench); the form makes a model of the one chosen.
        "cooperatives": list(Cooperative.objects.verified().values_list("id", "name", "slug", named=True)),
        "departments": list(
            Department.objects.filter(municipalities__cooperatives__verification_status="verified").distinct()
        ),
        "certifications": list(Certification.objects.all()),
    }


def cooperative_profile(*, slug: str) -> Cooperative | None:
    return Cooperative.objects.verified().with_place().filter(slug=slug).first()


def categories_with_counts() -> list[Category]:
    """The top categories that have public products, each with `product_count` (its own
    products and its subcategories'), in the catalogue's order. The catalogue lists these
    and a market groups its offers under the same ones (`top_category`), so both read alike.

    Counting reads every public product, once, grouped by its top category in one query
    (as a market counts its offers); the catalogue keeps the answer in the page cache until
    the next change (`catalog_categories`)."""
    rows = (
        Product.objects.public()
        .annotate(
            top_id=Coalesce("category__parent_id", "category_id"),
            top_slug=Coalesce("category__parent__slug", "category__slug"),
            top_name=Coalesce("category__parent__name", "category__name"),
            top_position=Coalesce("category__parent__position", "category__position"),
        )
        .values("top_id", "top_slug", "top_name", "top_position")
        .annotate(count=Count("pk"))
        .order_by("top_position", "top_name")
    )
    categories = []
    for row in rows:
        category = Category(
            pk=row["top_id"], slug=row["top_slug"], name=row["top_name"], position=row["top_position"]
        )
        category.product_count = row["count"]
        categories.append(category)
    return categories


def catalog_categories() -> list[Category]:
    """`categories_with_counts`, counted once per change of the page cache (a product, a
    category or a cooperative saved, a sale...) rather than on every catalogue page."""
    return page_cache.remembered("catalog-categories", categories_with_counts)


def top_category(category: Category | None) -> Category | None:
    """The catalogue's category a product is listed under: its category's parent, if any.
    Reads `category.parent`: join it first."""
    if category is None:
        return None
    return category.parent if category.parent_id else category
