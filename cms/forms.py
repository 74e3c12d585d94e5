from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminPageForm

from orders.forms import CheckoutForm
from orders.models import DeliveryMethod


class MarketEventPageForm(WagtailAdminPageForm):
    """Offers may only use products of the market's participating, verified cooperatives."""

    def clean(self):
        cleaned = super().clean()
        cooperatives = cleaned.get("cooperatives")
        if cooperatives is None or "offers" not in self.formsets:
            return cleaned
        allowed = {c.pk for c in cooperatives if c.verification_status == "verified"}
        for form in self.formsets["offers"].forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            product = form.cleaned_data.get("product")
            if product is not None and product.cooperative_id not in allowed:
                form.add_error(
                    "product",
                    _("%(cooperative)s is not a participating, verified cooperative of this market.")
                    % {"cooperative": product.cooperative.name},
                )
        return cleaned


class MarketCheckoutForm(CheckoutForm):
    """Checkout in a market: a pickup slot with room, or the market's delivery."""

    slot = forms.TypedChoiceField(
        label=gettext_lazy("Pickup slot"), coerce=int, required=False, widget=forms.RadioSelect
    )

    def __init__(self, *args, event, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["slot"].choices = [
            (
                slot.pk,
                _("%(place)s · %(start)s–%(end)s (%(left)s places left)")
                % {
                    "place": slot.pickup_point.name,
                    "start": date_format(timezone.localtime(slot.starts_at), "D j M H:i"),
                    "end": date_format(timezone.localtime(slot.ends_at), "H:i"),
                    "left": slot.remaining,
                },
            )
            for slot in slots
            if slot.remaining > 0
        ]
        if not event.delivery_offered:
            self.fields["delivery_method"].choices = [(DeliveryMethod.PICKUP, DeliveryMethod.PICKUP.label)]
        self.order_fields(["buyer", "delivery_method", "slot", "delivery_address", "payment_method"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("delivery_method") == DeliveryMethod.PICKUP and not cleaned.get("slot"):
            self.add_error("slot", _("Choose a pickup slot."))
        return cleaned

    def choice(self):
        choice = super().choice()
        choice.slot_id = self.cleaned_data.get("slot") or None
        return choice
