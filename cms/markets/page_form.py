"""The Wagtail editor's form for a market page (`MarketEventPage.base_form_class`)."""

from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminPageForm


class MarketEventPageForm(WagtailAdminPageForm):
    """Offers may only use products of the market's participating, verified cooperatives.

    A translation (an English page of a Spanish market) only translates texts: its clock,
    place and delivery terms are shown as the original's and cannot be changed here, and
    offers and pickup slots are managed on the original.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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
