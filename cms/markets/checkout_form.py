"""The checkout form of a market's storefront (`cms.markets.storefront_views.market_checkout`)."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cms.markets.slots import slot_label
from orders.forms import CheckoutForm
from orders.models import DeliveryMethod


class SlotField(forms.TypedChoiceField):
    """The pickup slots with room; a slot of this market that filled while the buyer was on
    the page is named as full, not as an unknown choice."""

    def __init__(self, **kwargs):
        super().__init__(coerce=int, required=False, widget=forms.RadioSelect, **kwargs)
        self.full = set()

    def validate(self, value):
        if value not in self.empty_values and str(value) in self.full:
            raise forms.ValidationError(
                _("That pickup slot filled up while you were choosing. Choose another one."), code="full"
            )
        super().validate(value)


class MarketCheckoutForm(CheckoutForm):
    """Checkout in a market: a pickup slot with room, or the market's delivery."""

    slot = SlotField(label=gettext_lazy("Pickup slot"))

    def __init__(self, *args, event, slots, **kwargs):
        super().__init__(*args, delivery_offered=event.delivery_offered, **kwargs)
        self.event = event
        self.fields["slot"].choices = [(slot.pk, slot_label(slot)) for slot in slots if slot.remaining > 0]
        self.fields["slot"].full = {str(slot.pk) for slot in slots if slot.remaining <= 0}
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
