from django import forms
from django.utils.translation import gettext_lazy as _

from orders.models import DeliveryMethod, PaymentMethod


class CartLineForm(forms.Form):
    """Add or change a cart line. Only the product id and quantity are read from the POST;
    price and availability are always read again from the database."""

    product = forms.CharField(widget=forms.HiddenInput)
    quantity = forms.CharField(
        label=_("Quantity"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5, "autocomplete": "off"}),
    )


class CheckoutForm(forms.Form):
    buyer = forms.ChoiceField(label=_("Who is ordering"), required=True)
    delivery_method = forms.ChoiceField(
        label=_("How you receive it"), choices=DeliveryMethod.choices, widget=forms.RadioSelect
    )
    delivery_address = forms.CharField(label=_("Delivery address"), max_length=300, required=False)
    payment_method = forms.ChoiceField(label=_("Payment"), widget=forms.RadioSelect)
    purchase_order_number = forms.CharField(
        label=_("Purchase order number (organisations)"), max_length=50, required=False
    )
    notes = forms.CharField(
        label=_("Notes for the cooperatives"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, organizations, card_enabled: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {str(org.pk): org for org in organizations}
        self.fields["buyer"].choices = [("self", _("Myself"))] + [
            (str(org.pk), org.legal_name) for org in organizations
        ]
        self.fields["buyer"].initial = "self"
        methods = [
            (PaymentMethod.CASH, PaymentMethod.CASH.label),
            (PaymentMethod.TRANSFER, PaymentMethod.TRANSFER.label),
        ]
        if any(org.has_credit() for org in organizations):
            methods.append((PaymentMethod.INVOICE, PaymentMethod.INVOICE.label))
        if card_enabled:
            methods.append((PaymentMethod.CARD, PaymentMethod.CARD.label))
        self.fields["payment_method"].choices = methods
        self.fields["payment_method"].initial = PaymentMethod.CASH
        self.fields["delivery_method"].initial = DeliveryMethod.PICKUP

    @property
    def organization(self):
        return self.organizations.get(self.cleaned_data.get("buyer", "self"))

    def choice(self):
        """What the buyer chose, for `orders.services.order_place`."""
        from orders.services import CheckoutChoice

        data = self.cleaned_data
        return CheckoutChoice(
            organization=self.organization,
            delivery_method=data["delivery_method"],
            delivery_address=data["delivery_address"],
            payment_method=data["payment_method"],
            purchase_order_number=data["purchase_order_number"],
            notes=data["notes"],
        )


# --- The cooperative's workspace ---------------------------------------------------------


class RejectForm(forms.Form):
    """Rejecting a whole fulfilment: the buyer is told why."""

    reason = forms.CharField(max_length=255, strip=True)


class LineRejectForm(forms.Form):
    """Rejecting one line: the product names the reason, a note is optional."""

    reason = forms.CharField(max_length=255, strip=True, required=False)


class DeliveryForm(forms.Form):
    """The weight actually delivered for one line; the service reads the quantity."""

    line = forms.IntegerField(min_value=1)
    delivered_quantity = forms.CharField(max_length=20)
