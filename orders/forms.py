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
