"""Platform staff manage categories and products in the Wagtail admin."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from catalog import services
from catalog.models import Category, Certification, Product
from cooperatives.models import Cooperative


class ProductViewSet(SnippetViewSet):
    model = Product
    icon = "tag"
    menu_label = _("Products")
    list_display = ["name", "cooperative", "category", "price_cop", "stock", "is_available", "is_hidden"]
    list_filter = ["is_available", "is_hidden", "category", "unit"]
    search_fields = ["name", "description"]
    panels = [
        FieldPanel("cooperative"),
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("category"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("unit"), FieldPanel("price_cop")]),
        FieldRowPanel([FieldPanel("min_quantity"), FieldPanel("quantity_step"), FieldPanel("stock")]),
        FieldRowPanel([FieldPanel("is_available"), FieldPanel("is_hidden")]),
        FieldPanel("certifications"),
        FieldPanel("producers"),
    ]


class CategoryViewSet(SnippetViewSet):
    model = Category
    icon = "folder-open-inverse"
    menu_label = _("Categories")
    list_display = ["name", "parent", "position"]
    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("parent"), FieldPanel("position")]


class CertificationViewSet(SnippetViewSet):
    model = Certification
    icon = "success"
    menu_label = _("Certifications")
    panels = [FieldPanel("code"), FieldPanel("name")]


class CatalogGroup(SnippetViewSetGroup):
    items = (ProductViewSet, CategoryViewSet, CertificationViewSet)
    menu_icon = "tag"
    menu_label = _("Catalogue")
    menu_name = "catalogue"


register_snippet(CatalogGroup)


@hooks.register("after_edit_snippet")
@hooks.register("after_create_snippet")
def refresh_product(request, instance):
    """Edits in the admin go through the same service as the workspace (slug, search text)."""
    if isinstance(instance, Product):
        services.product_save(product=instance)


@hooks.register("after_edit_snippet")
def refresh_search_text(request, instance):
    """A product's search text says its cooperative's and its category's names (and what the
    cooperative is known for): renaming either refreshes its products' in bulk."""
    if isinstance(instance, Cooperative):
        services.search_text_refresh(cooperative=instance)
    elif isinstance(instance, Category):
        services.search_text_refresh(category=instance)
