"""Reads for catalogue pages. Each owns its joins and prefetches, so that a page runs the
same few queries for 10 products or 10,000."""

from django.db.models import Prefetch, Q, QuerySet

from catalog.models import Category, Certification, Product, ProductPhoto
from cooperatives.models import Cooperative
from market.models import Department
from market.text import search_words


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


def product_search(
    *,
    text: str = "",
    category: Category | None = None,
    cooperative: Cooperative | None = None,
    department: Department | None = None,
    municipality=None,
    certification: Certification | None = None,
) -> QuerySet:
    qs = Product.objects.public()
    for word in search_words(text):
        qs = qs.filter(search_text__contains=word)
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
    return product_cards(qs).order_by("-is_available", "name", "id")


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
        "categories": list(Category.objects.filter(parent__isnull=True)),
        "cooperatives": list(Cooperative.objects.verified().only("id", "name", "slug")),
        "departments": list(
            Department.objects.filter(municipalities__cooperatives__verification_status="verified").distinct()
        ),
        "certifications": list(Certification.objects.all()),
    }


def cooperative_profile(*, slug: str) -> Cooperative | None:
    return Cooperative.objects.verified().with_place().filter(slug=slug).first()
