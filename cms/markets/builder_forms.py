"""The Market Builder's forms in the Wagtail admin (`cms.markets.builder_views`): an order
taken by phone, and the new dates of a market's copy."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.widgets import AdminDateInput, AdminDateTimeInput

from cms.markets.slots import slot_label
from market.forms import OneTimeKeyField
from market.phones import normalize_phone
from market.units import QuantityError, parse_quantity
from orders.models import DeliveryMethod, PaymentMethod


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
    # Posted twice (a double tap, a slow connection), it places one order.
    checkout_key = OneTimeKeyField()

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
