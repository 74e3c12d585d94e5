"""The product chooser of a market's offers in the page editor: only available products of
the market's participating, verified cooperatives, with a search box.

The editor's offer rows get `MarketProductChooser` with the market's id
(`cms.markets.page_form`); the modal then lists the products of the cooperatives ticked in
the market's latest revision (what she last saved), or of every verified cooperative while
the market has never been saved. The list is a help, not the rule: the page form refuses
any product, however it was posted, whose cooperative does not take part.
"""

from django import forms
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.widgets.chooser import BaseChooser

from catalog.models import Product
from cooperatives.models import VerificationStatus
from market.money import format_cop
from market.text import search_words

URL_NAME = "market_products:choose"


class MarketProductChooser(BaseChooser):
    """The offer's product field; `market_id` scopes the modal to that market."""

    model = Product
    choose_one_text = _("Choose a product")
    choose_another_text = _("Choose another product")
    link_to_chosen_text = _("Edit this product")
    icon = "tag"
    market_id = None

    def get_chooser_modal_url(self):
        url = reverse(URL_NAME)
        return f"{url}?market={self.market_id}" if self.market_id else url


class ProductSearchForm(BaseFilterForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Product or cooperative")}),
    )

    def filter(self, objects):
        query = self.cleaned_data.get("q") or ""
        for word in search_words(query):
            objects = objects.filter(search_text__contains=word)
        self.is_searching = bool(query.strip())
        self.search_query = query
        return objects


def market_products(user, market_id: str | None):
    """What the chooser lists for `user` and the market `market_id` (404: not hers)."""
    from cms.markets import permissions  # cms.models imports this module for its widget

    products = Product.objects.available().select_related("cooperative")
    if market_id:
        try:
            pk = int(market_id)
        except ValueError as error:
            raise Http404 from error
        event = permissions.builder_market(user, pk)
        draft = event.get_latest_revision_as_object()
        cooperatives = [
            c.pk for c in draft.cooperatives.all() if c.verification_status == VerificationStatus.VERIFIED
        ]
        products = products.filter(cooperative_id__in=cooperatives)
    return products.order_by("cooperative__name", "name", "pk")


class _ListMixin:
    filter_form_class = ProductSearchForm
    per_page = 25

    def get_object_list(self):
        return market_products(self.request.user, self.request.GET.get("market"))

    def apply_object_list_ordering(self, objects):
        return objects

    @property
    def columns(self):
        return [
            self.title_column,
            Column("cooperative", label=_("Cooperative"), accessor=lambda p: p.cooperative.name),
            Column("price", label=_("Catalogue price"), accessor=lambda p: format_cop(p.price_cop)),
        ]


class ChooseView(_ListMixin, chooser_views.ChooseView):
    pass


class ChooseResultsView(_ListMixin, chooser_views.ChooseResultsView):
    pass


class MarketProductChooserViewSet(ChooserViewSet):
    model = Product
    icon = "tag"
    choose_one_text = _("Choose a product")
    choose_another_text = _("Choose another product")
    register_widget = False  # only the market offers use it (`MarketProductChooser`)
    preserve_url_parameters = ["multiple", "market"]
    choose_view_class = ChooseView
    choose_results_view_class = ChooseResultsView


market_product_chooser = MarketProductChooserViewSet("market_products", url_prefix="mercados/productos")
