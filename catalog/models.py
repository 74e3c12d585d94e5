"""What cooperatives sell: categories, products, their photos and certifications."""

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cooperatives.models import Cooperative, Producer, VerificationStatus
from market.units import Unit

MONTHS = [
    (1, _("January")),
    (2, _("February")),
    (3, _("March")),
    (4, _("April")),
    (5, _("May")),
    (6, _("June")),
    (7, _("July")),
    (8, _("August")),
    (9, _("September")),
    (10, _("October")),
    (11, _("November")),
    (12, _("December")),
]


class Category(models.Model):
    """A node of the seeded category tree (frutas, verduras, café...)."""

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=90, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name


class Certification(models.Model):
    """A seal a product can carry: orgánico, BPA-ICA, registro INVIMA, comercio justo..."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")

    def __str__(self):
        return self.name


class ProductQuerySet(models.QuerySet):
    def public(self):
        """Products anyone may see: not hidden, from a verified cooperative."""
        return self.filter(
            is_hidden=False,
            cooperative__verification_status=VerificationStatus.VERIFIED,
        )

    def available(self):
        """Public products that can be ordered now (in stock or made to order)."""
        return (
            self.public()
            .filter(is_available=True)
            .filter(models.Q(stock__isnull=True) | models.Q(stock__gt=0))
        )


class Product(models.Model):
    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.KG)
    price_cop = models.PositiveIntegerField(
        _("price per unit (COP)"), help_text=_("Whole pesos, no decimals.")
    )
    min_quantity = models.DecimalField(
        _("minimum quantity"), max_digits=8, decimal_places=3, default=Decimal("1")
    )
    quantity_step = models.DecimalField(
        _("quantity step"),
        max_digits=8,
        decimal_places=3,
        default=Decimal("1"),
        help_text=_("e.g. 0,5 to sell by half kilo."),
    )
    stock = models.DecimalField(
        _("stock on hand"),
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Leave empty when the product is made to order."),
    )
    is_available = models.BooleanField(_("available"), default=True)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    certifications = models.ManyToManyField(
        Certification, blank=True, related_name="products", verbose_name=_("certifications")
    )
    harvest_months = models.PositiveSmallIntegerField(
        _("harvest months"), default=0, help_text=_("Bit mask: bit 0 is January.")
    )
    producers = models.ManyToManyField(
        Producer, blank=True, related_name="products", verbose_name=_("producers")
    )
    # Lower-case, accent-free copy of name, description and cooperative for search.
    search_text = models.TextField(editable=False, blank=True, default="")
    # The one-time key of the form that created it: a double tap on "Save" finds this product
    # instead of making a second one (catalog.services.product_save).
    form_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "slug"], name="product_slug_unique"),
            models.UniqueConstraint(
                fields=["cooperative", "form_key"],
                condition=~models.Q(form_key=""),
                name="product_form_key_once",
            ),
            models.CheckConstraint(condition=models.Q(price_cop__gt=0), name="product_price_positive"),
            models.CheckConstraint(
                condition=models.Q(min_quantity__gt=0), name="product_min_quantity_positive"
            ),
            models.CheckConstraint(condition=models.Q(quantity_step__gt=0), name="product_step_positive"),
            models.CheckConstraint(
                condition=models.Q(stock__isnull=True) | models.Q(stock__gte=0),
                name="product_stock_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(harvest_months__lt=4096), name="product_harvest_months_mask"
            ),
        ]
        indexes = [
            models.Index(fields=["is_hidden", "category"]),
            # The catalogue's order: its first page reads 24 rows of this index, not the table.
            models.Index(
                fields=["-is_available", "name", "id"],
                condition=models.Q(is_hidden=False),
                name="product_listing_order",
            ),
        ]

    def __str__(self):
        return self.name

    def is_made_to_order(self) -> bool:
        return self.stock is None

    def is_in_stock(self) -> bool:
        return self.stock is None or self.stock > 0

    def can_be_ordered(self) -> bool:
        return (
            self.is_available and not self.is_hidden and self.is_in_stock() and self.cooperative.is_verified()
        )

    def harvest_month_numbers(self) -> list[int]:
        return [m for m in range(1, 13) if self.harvest_months & (1 << (m - 1))]

    def harvest_month_labels(self) -> list[str]:
        labels = dict(MONTHS)
        return [labels[m] for m in self.harvest_month_numbers()]


class ProductPhoto(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.CASCADE, related_name="product_photos")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("product photo")
        verbose_name_plural = _("product photos")

    def __str__(self):
        return f"{self.product} #{self.position}"
