"""Writes on the catalogue: products and their photos."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.images import get_image_model

from catalog.exceptions import PhotoLimitError
from catalog.models import Category, Product, ProductPhoto
from cooperatives.models import Cooperative
from market import page_cache
from market.images import PHOTO_SPECS
from market.text import fold

MAX_PHOTOS_PER_PRODUCT = 6
REFRESH_BATCH = 500  # products per UPDATE when a cooperative or a category is renamed


def _search_text(name, description, category_name, cooperative_name, known_for) -> str:
    """What the search reads of a product besides its name and description (see catalog.search)."""
    return fold(" ".join([name, description, category_name or "", cooperative_name, known_for]))


def _unique_slug(product: Product) -> str:
    base = slugify(product.name)[:120] or "producto"
    slug, n = base, 2
    siblings = Product.objects.filter(cooperative_id=product.cooperative_id).exclude(pk=product.pk)
    while siblings.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def product_save(*, product: Product, certifications=None, producers=None) -> Product:
    """Validate and save a product, keeping its slug unique and its search text fresh."""
    with transaction.atomic():
        if not product.slug:
            product.slug = _unique_slug(product)
        product.search_text = _search_text(
            product.name,
            product.description,
            product.category.name if product.category_id else "",
            product.cooperative.name,
            product.cooperative.known_for,
        )
        product.updated_at = timezone.now()
        product.full_clean()
        product.save()
        if certifications is not None:
            product.certifications.set(certifications)
        if producers is not None:
            product.producers.set([p for p in producers if p.cooperative_id == product.cooperative_id])
    return product


def product_create(
    *,
    product: Product,
    form_key: str = "",
    certifications=None,
    producers=None,
    photo=None,
    uploaded_by=None,
) -> tuple[Product, bool]:
    """Save a new product, with its first photo if one came: `(product, created)`.

    `form_key` is the one-time key of the form that was shown: the same form posted twice
    (a double tap, a retry after a timeout) finds the product the first post made, and
    `created` is False. The key is unique within the cooperative, so two posts at once
    meet at the index and the second finds the first's product.
    """
    earlier = _product_with_key(product.cooperative_id, form_key)
    if earlier is not None:
        return earlier, False
    product.form_key = form_key
    try:
        with transaction.atomic():
            product = product_save(product=product, certifications=certifications, producers=producers)
            if photo is not None:
                product_photo_add(product=product, file=photo, uploaded_by=uploaded_by)
    except (IntegrityError, ValidationError):
        # Met the first post at the key: `full_clean` saw its row, or the unique index did.
        earlier = _product_with_key(product.cooperative_id, form_key)
        if earlier is None:
            raise
        return earlier, False
    return product, True


def search_text_refresh(*, cooperative: Cooperative | None = None, category: Category | None = None) -> int:
    """After a cooperative or a category was saved (renamed, or what it is known for
    changed): the search text of its products, whose text says its name. One read, and one
    UPDATE per `REFRESH_BATCH` products whose text changed (none when nothing did), so the
    search indexes' triggers follow. Returns how many products changed."""
    products = Product.objects.order_by("pk")
    if cooperative is not None:
        products = products.filter(cooperative=cooperative)
    if category is not None:
        products = products.filter(category=category)
    rows = products.values_list(
        "pk",
        "name",
        "description",
        "category__name",
        "cooperative__name",
        "cooperative__known_for",
        "search_text",
    )
    with transaction.atomic():
        changed = [
            Product(pk=pk, search_text=text)
            for pk, *parts, old in rows.iterator(chunk_size=2000)
            if (text := _search_text(*parts)) != old
        ]
        Product.objects.bulk_update(changed, ["search_text"], batch_size=REFRESH_BATCH)
        if changed:
            page_cache.pages_changed()  # cached search pages list them by their old text
    return len(changed)


def _product_with_key(cooperative_id: int, form_key: str) -> Product | None:
    if not form_key:
        return None
    return Product.objects.filter(cooperative_id=cooperative_id, form_key=form_key).first()


def product_set_hidden(*, product: Product, hidden: bool) -> Product:
    Product.objects.filter(pk=product.pk).update(is_hidden=hidden, updated_at=timezone.now())
    page_cache.pages_changed()  # no save, so no signal: cached pages and counts still show it
    product.is_hidden = hidden
    return product


def product_photo_add(*, product: Product, file, uploaded_by=None) -> ProductPhoto:
    """Store an already-cleaned upload (see market.images) as a Wagtail image.

    The renditions pages use are made now, so that no page render writes.
    """
    Image = get_image_model()
    with transaction.atomic():
        count = product.photos.count()
        if count >= MAX_PHOTOS_PER_PRODUCT:
            raise PhotoLimitError
        image = Image(title=product.name[:255], file=file, uploaded_by_user=uploaded_by)
        image._set_image_file_metadata()
        image.save()
        image.get_renditions(*PHOTO_SPECS)
        return ProductPhoto.objects.create(product=product, image=image, position=count)


def product_photo_delete(*, photo: ProductPhoto) -> None:
    with transaction.atomic():
        image = photo.image
        photo.delete()
        if not image.product_photos.exists():
            image.delete()
