"""The Market Builder's forms in the Wagtail admin (`cms.markets.builder_views`): a new
market in one form (with every product as an offer and its pickup slots), the offers and
slot generators of an existing market, an order taken by phone, and the new dates of a
market's copy.

Dates and times use the phone's own pickers (`type="date"`, `"time"`, `"datetime-local"`):
no JavaScript needed, and nothing to close before the next field.
"""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cms.markets.building import MAX_DISCOUNT, MIN_SLOT_MINUTES, SlotPlan
from cms.markets.slots import slot_label
from cms.models import PickupPoint
from cooperatives.models import Cooperative
from market.forms import OneTimeKeyField
from market.models import Municipality
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


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


def _datetime_field(label, **kwargs):
    return forms.DateTimeField(
        label=label,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        **kwargs,
    )


def _date_field(label, **kwargs):
    return forms.DateField(
        label=label,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **kwargs,
    )


def _time_field(label, **kwargs):
    return forms.TimeField(
        label=label,
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        **kwargs,
    )


class CooperativeChoices(forms.ModelMultipleChoiceField):
    """Verified cooperatives only: one "En revisión" is neither listed nor accepted."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Cooperative.objects.verified().select_related("municipality").order_by("name"),
            widget=forms.CheckboxSelectMultiple,
            **kwargs,
        )

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.municipality.name})" if obj.municipality_id else obj.name


class PointChoice(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=PickupPoint.objects.select_related("municipality").order_by("name"), **kwargs
        )

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.municipality.name})"


def _discount_field(**kwargs):
    return forms.DecimalField(
        label=gettext_lazy("Discount on the catalogue price (%)"),
        required=False,
        min_value=0,
        max_value=MAX_DISCOUNT,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "size": 4}),
        help_text=gettext_lazy("Optional, e.g. 10. Each offer can be changed or removed afterwards."),
        **kwargs,
    )


class _SlotFields(forms.Form):
    """The slot generator: one pickup point, from a time to a time, every N minutes."""

    slots_from = _time_field(gettext_lazy("First slot starts at"), required=False)
    slots_to = _time_field(gettext_lazy("Last slot ends at"), required=False)
    slots_every = forms.IntegerField(
        label=gettext_lazy("Each slot lasts (minutes)"),
        required=False,
        initial=60,
        min_value=MIN_SLOT_MINUTES,
        max_value=24 * 60,
    )
    slots_capacity = forms.IntegerField(
        label=gettext_lazy("Buyers per slot"), required=False, min_value=1, max_value=10_000
    )

    def slot_plan(self, day, *, required: bool) -> SlotPlan | None:
        """The plan from the cleaned data, or None when it was left empty (and not required);
        adds the form errors of a half-filled one."""
        data = self.cleaned_data
        names = ("slots_from", "slots_to", "slots_capacity")
        if not required and not any(data.get(name) for name in names) and not self.has_error("slots_from"):
            return None
        for name in names:
            if data.get(name) in (None, "") and not self.has_error(name):
                self.add_error(name, _("Needed to make the pickup slots."))
        if any(self.has_error(name) for name in (*names, "slots_every")) or day is None:
            return None
        return SlotPlan(
            day=day,
            start=data["slots_from"],
            end=data["slots_to"],
            every=data.get("slots_every") or 60,
            capacity=data["slots_capacity"],
        )


class MarketNewForm(_SlotFields):
    """A whole market in one form: name, clock, participating cooperatives, every product of
    theirs as an offer, and pickup slots on market day. Everything can be changed after."""

    title = forms.CharField(label=gettext_lazy("Market name"), max_length=255)
    opens_at = _datetime_field(gettext_lazy("Orders from"))
    closes_at = _datetime_field(gettext_lazy("Orders until"))
    market_day = _date_field(
        gettext_lazy("Market day"),
        required=False,
        help_text=gettext_lazy("When buyers collect. Empty: the day after orders close."),
    )
    cooperatives = CooperativeChoices(
        label=gettext_lazy("Participating cooperatives"),
        help_text=gettext_lazy("Only verified cooperatives can take part."),
    )
    all_products = forms.BooleanField(
        label=gettext_lazy("Offer every available product of these cooperatives"),
        required=False,
        initial=True,
        help_text=gettext_lazy("At the catalogue price, for the quantity in stock."),
    )
    discount = _discount_field()
    pickup_point = PointChoice(label=gettext_lazy("Pickup point"), required=False)
    municipality = forms.ModelChoiceField(
        label=gettext_lazy("Municipality"),
        queryset=Municipality.objects.order_by("name"),
        required=False,
        help_text=gettext_lazy("Empty: the municipality of the pickup point."),
    )

    field_order = [
        "title",
        "opens_at",
        "closes_at",
        "market_day",
        "cooperatives",
        "all_products",
        "discount",
        "pickup_point",
        "slots_from",
        "slots_to",
        "slots_every",
        "slots_capacity",
        "municipality",
    ]

    def clean(self):
        cleaned = super().clean()
        opens_at, closes_at = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", _("The market must close after it opens."))
        if closes_at and not cleaned.get("market_day") and not self.has_error("market_day"):
            cleaned["market_day"] = timezone.localdate(closes_at) + timedelta(days=1)
        point = cleaned.get("pickup_point")
        cleaned["slot_plan"] = None
        if point is not None:
            cleaned["slot_plan"] = self.slot_plan(cleaned.get("market_day"), required=True)
        elif any(cleaned.get(name) for name in ("slots_from", "slots_to", "slots_capacity")):
            self.add_error("pickup_point", _("Choose where buyers collect, or leave the slot times empty."))
        if cleaned.get("municipality") is None and not self.has_error("municipality"):
            if point is not None:
                cleaned["municipality"] = point.municipality
            else:
                self.add_error("municipality", _("Choose the municipality, or a pickup point."))
        return cleaned


class OffersAddForm(forms.Form):
    """Every available product of the participating cooperatives as offers, in one step."""

    discount = _discount_field()


class SlotsGenerateForm(_SlotFields):
    """Pickup slots at one place on one market day, every N minutes, N buyers each."""

    pickup_point = PointChoice(label=gettext_lazy("Pickup point"))
    day = _date_field(gettext_lazy("Day"))

    field_order = ["pickup_point", "day", "slots_from", "slots_to", "slots_every", "slots_capacity"]

    def clean(self):
        cleaned = super().clean()
        cleaned["slot_plan"] = self.slot_plan(cleaned.get("day"), required=True)
        return cleaned


class MarketCopyForm(forms.Form):
    """New dates for a copy of a market; everything else is copied."""

    opens_at = _datetime_field(gettext_lazy("Orders from"))
    closes_at = _datetime_field(gettext_lazy("Orders until"))
    market_day = _date_field(gettext_lazy("Market day"))

    def clean(self):
        cleaned = super().clean()
        opens_at, closes_at = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", _("The market must close after it opens."))
        return cleaned
