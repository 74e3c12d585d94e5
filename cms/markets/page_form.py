"""The Wagtail editor's form for a market page (`MarketEventPage.base_form_class`)."""

from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminPageForm

from cms.markets.product_chooser import MarketProductChooser
from cooperatives.models import Cooperative


class MarketEventPageForm(WagtailAdminPageForm):
    """Offers may only use products of the market's participating, verified cooperatives.

    A translation (an English page of a Spanish market) only translates texts: its clock,
    place and delivery terms are shown as the original's and cannot be changed here, and
    offers and pickup slots are managed on the original.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "cooperatives" in self.fields:
            # One "En revisión" is neither offered nor accepted (a forged id is "not a valid choice").
            self.fields["cooperatives"].queryset = Cooperative.objects.verified().order_by("name")
        self._scope_product_chooser()
        self.original = None
        if self.instance.pk and self.instance.is_translation:
            self.original = self.instance.trading_event
            note = _("Set on the original market page (%(title)s).") % {"title": self.original.title}
            for name in self.instance.TRADING_FIELDS:
                field_name = name.removesuffix("_id")
                if field_name in self.fields:
                    self.fields[field_name].disabled = True
                    self.fields[field_name].help_text = note
                    self.initial[field_name] = getattr(self.original, name)

    def _scope_product_chooser(self) -> None:
        """The offers' product chooser lists this market's cooperatives' products
        (`cms.markets.product_chooser`), in the rows shown and in the rows added."""
        formset = self.formsets.get("offers")
        if formset is None:
            return
        market_id = self.instance.pk

        def scope(form):
            widget = form.fields["product"].widget
            if isinstance(widget, MarketProductChooser):
                widget.market_id = market_id

        base = formset.form

        class ScopedOfferForm(base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                scope(self)

        ScopedOfferForm.__name__ = base.__name__
        formset.form = ScopedOfferForm
        for form in formset.forms:
            scope(form)

    def is_valid(self):
        # ClusterForm cleans the page's fields (and runs `clean`) before its formsets, so
        # the offers can only be checked against the cooperatives once both are cleaned.
        valid = super().is_valid()
        return self._check_translation() and self._check_offers() and valid

    def _check_translation(self) -> bool:
        if self.original is None:
            return True
        ok = True
        for name in ("offers", "slots"):
            formset = self.formsets.get(name)
            if formset is None:
                continue
            for form in formset.forms:
                data = getattr(form, "cleaned_data", None) or {}
                if data and not data.get("DELETE"):
                    ok = False
                    form.add_error(
                        None,
                        _("Offers and pickup slots are managed on the original market page (%(title)s).")
                        % {"title": self.original.title},
                    )
        return ok

    def _check_offers(self) -> bool:
        cooperatives = getattr(self, "cleaned_data", {}).get("cooperatives")
        if cooperatives is None or "offers" not in self.formsets:
            return True
        allowed = {c.pk for c in cooperatives if c.verification_status == "verified"}
        ok = True
        for form in self.formsets["offers"].forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            product = form.cleaned_data.get("product")
            if product is not None and product.cooperative_id not in allowed:
                ok = False
                form.add_error(
                    "product",
                    _("%(cooperative)s is not a participating, verified cooperative of this market.")
                    % {"cooperative": product.cooperative.name},
                )
        return ok
