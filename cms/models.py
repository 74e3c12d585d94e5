"""Wagtail pages. The home page lists what is on offer; markets come in a later issue."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from catalog import selectors as catalog_selectors
from catalog.models import Product
from cooperatives.models import Cooperative


class HomePage(Page):
    intro = models.CharField(
        _("intro"),
        max_length=255,
        blank=True,
        default=_("Buy directly from the peasant cooperatives of Colombia."),
    )
    how_it_works = RichTextField(
        _("how it works"), blank=True, features=["bold", "italic", "ol", "ul", "link"]
    )

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("how_it_works")]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["cooperatives"] = list(Cooperative.objects.verified().with_place()[:6])
        context["products"] = list(
            catalog_selectors.product_cards(Product.objects.available()).order_by("-created_at")[:8]
        )
        return context
