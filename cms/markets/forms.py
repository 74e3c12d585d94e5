from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.widgets import AdminDateInput, AdminDateTimeInput

from market.phones import normalize_phone
from market.units import QuantityError, parse_quantity
from orders.forms import CheckoutForm
from orders.models import DeliveryMethod, PaymentMethod


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


def slot_label(slot) -> str:
    """A pickup slot as a buyer reads it; `slot.remaining` comes from `cms.markets.slots.market_slots`."""
    return _("%(place)s · %(start)s–%(end)s (%(left)s places left)") % {
        "place": slot.pickup_point.name,
        "start": date_format(timezone.localtime(slot.starts_at), "D j M H:i"),
        "end": date_format(timezone.localtime(slot.ends_at), "H:i"),
        "left": slot.remaining,
    }


class MarketCheckoutForm(CheckoutForm):
    """Checkout in a market: a pickup slot with room, or the market's delivery."""

    slot = forms.TypedChoiceField(
        label=gettext_lazy("Pickup slot"), coerce=int, required=False, widget=forms.RadioSelect
    )

    def __init__(self, *args, event, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["slot"].choices = [(slot.pk, slot_label(slot)) for slot in slots if slot.remaining > 0]
        if not event.delivery_offered:
            self.fields["delivery_method"].choices = [(DeliveryMethod.PICKUP, DeliveryMethod.PICKUP.label)]
        self.order_fields(
            ["buyer", "delivery_method", "slot", "saved_address", "delivery_address", "payment_method"]
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("delivery_method") == DeliveryMethod.PICKUP and not cleaned.get("slot"):
            self.add_error("slot", _("Choose a pickup slot."))
        return cleaned

    def choice(self):
        choice = super().choice()
        choice.slot_id = self.cleaned_data.get("slot") or None
        return choice


# --- The Market Builder's admin views -------------------------------------------------------


class AssistedOrderForm(forms.Form):
    """An order a Market Builder takes by phone or WhatsApp: who, what, where, how she pays.

    One quantity field per offer (`qty_<product id>`); the market's rules (clock, what is
    left, steps, slot capacity) are checked by the service, as for any buyer. Every slot is
    listed, full ones too, so the builder sees them; the service refuses a full one.
    """

    contact_name = forms.CharField(label=gettext_lazy("Buyer's name"), max_length=150)
    contact_phone = forms.CharField(
        label=gettext_lazy("Buyer's phone"),
        max_length=30,
        help_text=gettext_lazy("A 10-digit Colombian mobile or +country code."),
    )
    delivery_method = forms.ChoiceField(
        label=gettext_lazy("How she receives it"), choices=DeliveryMethod.choices, widget=forms.RadioSelect
    )
    slot = forms.TypedChoiceField(
        label=gettext_lazy("Pickup slot"), coerce=int, required=False, widget=forms.RadioSelect
    )
    delivery_address = forms.CharField(label=gettext_lazy("Delivery address"), max_length=300, required=False)
    payment_method = forms.ChoiceField(
        label=gettext_lazy("Payment"),
        choices=[
            (PaymentMethod.CASH, PaymentMethod.CASH.label),
            (PaymentMethod.TRANSFER, PaymentMethod.TRANSFER.label),
        ],
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes for the cooperatives"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, event, offers, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = offers
        self.fields["slot"].choices = [(slot.pk, slot_label(slot)) for slot in slots]
        if not event.delivery_offered:
            self.fields["delivery_method"].choices = [(DeliveryMethod.PICKUP, DeliveryMethod.PICKUP.label)]
            del self.fields["delivery_address"]
        self.fields["delivery_method"].initial = DeliveryMethod.PICKUP
        self.fields["payment_method"].initial = PaymentMethod.CASH
        for offer in offers:
            self.fields[self.quantity_field(offer)] = forms.CharField(
                label=offer.product.name,
                required=False,
                max_length=12,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
            )

    @staticmethod
    def quantity_field(offer) -> str:
        return f"qty_{offer.product_id}"

    def offer_rows(self):
        """(offer, its bound quantity field) for the template."""
        return [(offer, self[self.quantity_field(offer)]) for offer in self.offers]

    def clean_contact_phone(self):
        return normalize_phone(self.cleaned_data["contact_phone"])

    def clean(self):
        cleaned = super().clean()
        quantities = {}
        for offer in self.offers:
            name = self.quantity_field(offer)
            raw = (cleaned.get(name) or "").strip()
            if not raw:
                continue
            try:
                quantities[offer.product_id] = parse_quantity(raw)
            except QuantityError as error:
                self.add_error(name, error.message)
        if not quantities and not any(self.quantity_field(offer) in self.errors for offer in self.offers):
            self.add_error(None, _("Enter a quantity for at least one product."))
        cleaned["quantities"] = quantities
        method = cleaned.get("delivery_method")
        if method == DeliveryMethod.PICKUP and not cleaned.get("slot"):
            self.add_error("slot", _("Choose a pickup slot."))
        if method == DeliveryMethod.DELIVERY and not (cleaned.get("delivery_address") or "").strip():
            self.add_error("delivery_address", _("Enter the delivery address."))
        return cleaned


class MarketCopyForm(forms.Form):
    """New dates for a copy of a market; everything else is copied."""

    opens_at = forms.DateTimeField(label=gettext_lazy("opens at"), widget=AdminDateTimeInput)
    closes_at = forms.DateTimeField(label=gettext_lazy("closes at"), widget=AdminDateTimeInput)
    market_day = forms.DateField(label=gettext_lazy("market day"), widget=AdminDateInput)

    def clean(self):
        cleaned = super().clean()
        opens_at, closes_at = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", _("The market must close after it opens."))
        return cleaned
