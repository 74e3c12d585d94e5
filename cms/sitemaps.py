"""sitemap.xml: every public page in both languages, the public products and cooperatives.

Markets spread through WhatsApp, but search engines are how a hotel's buyer finds a
cooperative's coffee. Pages list each translation under its own address; products and
cooperatives are listed in Spanish and English with `hreflang` alternates.
"""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from wagtail.models import Page

from catalog.models import Product
from cooperatives.models import Cooperative


class PageSitemap(Sitemap):
    """Live, public Wagtail pages of every language (the site root excluded)."""

    def items(self):
        return Page.objects.live().public().filter(depth__gt=1).order_by("path")

    def location(self, page):
        return page.url

    def lastmod(self, page):
        return page.last_published_at


class ProductSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return Product.objects.public().select_related("cooperative").order_by("pk")

    def location(self, product):
        return reverse("catalog:product_detail", args=[product.cooperative.slug, product.slug])

    def lastmod(self, product):
        return product.updated_at


class CooperativeSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return Cooperative.objects.verified().order_by("pk")

    def location(self, cooperative):
        return reverse("catalog:cooperative_detail", args=[cooperative.slug])


SITEMAPS = {"pages": PageSitemap, "products": ProductSitemap, "cooperatives": CooperativeSitemap}
