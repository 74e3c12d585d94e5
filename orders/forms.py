import os
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from market.forms import OneTimeKeyField
from market.selectors import delivery_address_text, delivery_addresses
from orders.models import DeliveryMethod, PaymentMethod
from orders.statements import month_bounds
from orders.transfer_proofs import PROOF_MAX_BYTES, pdf_problem

SAVED_ADDRESS_NONE = ""
NOT_YOUR_ADDRESS = _("That saved address is not one of yours. Choose one from the list or write the address.")


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
    """Who orders, how she receives it and how she pays; the service checks it all again.

    `organizations` are the approved ones she may order for. When they have saved delivery
    addresses she may pick one (`saved_address`) instead of typing: it must belong to the
    organisation she orders for, and the order keeps a copy of its text. A saved address id
    that is not one of them is refused, whether or not the list is shown.
    """

    buyer = forms.ChoiceField(label=_("Who is ordering"), required=True)
    delivery_method = forms.ChoiceField(
        label=_("How you receive it"), choices=DeliveryMethod.choices, widget=forms.RadioSelect
    )
    saved_address = forms.ChoiceField(
        label=_("Saved delivery address"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_("For delivery to your organisation. Choose “Another address” to write one below."),
        error_messages={"invalid_choice": NOT_YOUR_ADDRESS},
    )
    delivery_address = forms.CharField(label=_("Delivery address"), max_length=300, required=False)
    payment_method = forms.ChoiceField(label=_("Payment"), widget=forms.RadioSelect)
    purchase_order_number = forms.CharField(
        label=_("Purchase order number"),
        max_length=50,
        required=False,
        help_text=_("Optional, when your organisation uses them: it is printed on the bill."),
    )
    notes = forms.CharField(
        label=_("Notes for the cooperatives"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    # One-time key of this page: the same form posted twice (a double tap, a retry, two
    # servers) finds the order the first post made (see orders.services.order_place).
    checkout_key = OneTimeKeyField()

    # Shown only when delivery is chosen (a <details> without JavaScript), see `delivery_fields`.
    DELIVERY_FIELDS = ("saved_address", "delivery_address")

    def __init__(
        self,
        *args,
        organizations,
        card_enabled: bool,
        ask_phone: bool = False,
        delivery_offered: bool = True,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.delivery_offered = delivery_offered
        if ask_phone:
            self._add_phone_field()
        self.organizations = {str(org.pk): org for org in organizations}
        self.fields["buyer"].choices = [("self", _("In my own name"))] + [
            (str(org.pk), org.legal_name) for org in organizations
        ]
        methods = [
            (PaymentMethod.CASH, PaymentMethod.CASH.label),
            (PaymentMethod.TRANSFER, PaymentMethod.TRANSFER.label),
        ]
        if any(org.has_credit() for org in organizations):
            methods.append((PaymentMethod.INVOICE, PaymentMethod.INVOICE.label))
        if card_enabled:
            methods.append((PaymentMethod.CARD, PaymentMethod.CARD.label))
        self.fields["payment_method"].choices = methods
        if not organizations:
            del self.fields["purchase_order_number"]  # only an organisation has purchase orders
        self._set_saved_addresses(organizations)
        if not delivery_offered:
            # Nothing in this basket can be delivered: no choice to make, no address to ask.
            self.fields["delivery_method"].choices = [(DeliveryMethod.PICKUP, DeliveryMethod.PICKUP.label)]
            for name in self.DELIVERY_FIELDS:
                self.fields.pop(name, None)
        self._set_initial(organizations, delivery_offered=delivery_offered)

    def _set_initial(self, organizations, *, delivery_offered: bool):
        """A person who orders for an organisation starts with it chosen: its name, its first
        saved address (and delivery, when the basket can be delivered) and its invoice terms."""
        organization = organizations[0] if organizations else None
        self.fields["buyer"].initial = str(organization.pk) if organization else "self"
        self.fields["payment_method"].initial = (
            PaymentMethod.INVOICE if organization and organization.has_credit() else PaymentMethod.CASH
        )
        self.fields["delivery_method"].initial = DeliveryMethod.PICKUP
        address = next(
            (
                a
                for a in self.saved_addresses.values()
                if organization and a.organization_id == organization.pk
            ),
            None,
        )
        if address is not None and "saved_address" in self.fields:
            self.fields["saved_address"].initial = str(address.pk)
            if delivery_offered:
                self.fields["delivery_method"].initial = DeliveryMethod.DELIVERY

    def delivery_chosen(self) -> bool:
        """Delivery is what the form shows chosen: posted, or the initial choice."""
        if self.is_bound:
            return self.data.get(self.add_prefix("delivery_method")) == DeliveryMethod.DELIVERY
        return self.fields["delivery_method"].initial == DeliveryMethod.DELIVERY

    def delivery_fields(self):
        return [self[name] for name in self.DELIVERY_FIELDS if name in self.fields]

    def layout(self) -> list[tuple[str, object]]:
        """The visible fields in order, the delivery ones together where the first of them
        stands: `("field", bound field)` or `("delivery", [bound fields])`."""
        rows, grouped = [], False
        for field in self.visible_fields():
            if field.name not in self.DELIVERY_FIELDS:
                rows.append(("field", field))
            elif not grouped:
                rows.append(("delivery", self.delivery_fields()))
                grouped = True
        return rows

    def delivery_open(self) -> bool:
        """The delivery fields are shown open when delivery is chosen or one of them is wrong."""
        return self.delivery_chosen() or any(field.errors for field in self.delivery_fields())

    def full_clean(self):
        super().full_clean()
        # On a phone the first wrong field is below the fold: the browser scrolls to it.
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["autofocus"] = True
                break

    def _add_phone_field(self):
        """For a buyer with no mobile on her account: an optional number for this order's
        messages (`Order.contact_phone`: SMS there first, her e-mail if it fails). A landline
        or a malformed number is refused with the reason; nothing else she typed is lost."""
        # Imported here: allauth's forms cannot load while the models do (see TransferProofForm).
        from market.account_forms import MobilePhoneField

        field = MobilePhoneField(
            label=_("Mobile number to tell you about your order"),
            required=False,
            help_text=_(
                "Optional. We send you a text message when your order is confirmed and when it is ready."
            ),
        )
        fields = list(self.fields.items())
        at = [name for name, _field in fields].index("notes")
        self.fields = dict(fields[:at] + [("contact_phone", field)] + fields[at:])

    def _set_saved_addresses(self, organizations):
        """Offer the organisations' saved addresses (one query, none for a household)."""
        addresses = delivery_addresses(organizations=organizations)
        self.saved_addresses = {str(address.pk): address for address in addresses}
        if not addresses:
            # Nothing to offer: no field, but a posted id is still refused in `clean`.
            del self.fields["saved_address"]
            return
        several = len({address.organization_id for address in addresses}) > 1
        names = {str(org.pk): org.legal_name for org in organizations}

        def label(address):
            text = delivery_address_text(address)
            return f"{names[str(address.organization_id)]} · {text}" if several else text

        field = self.fields["saved_address"]
        field.choices = [(SAVED_ADDRESS_NONE, _("Another address"))] + [
            (key, label(address)) for key, address in self.saved_addresses.items()
        ]
        field.initial = SAVED_ADDRESS_NONE

    @property
    def organization(self):
        return self.organizations.get(self.cleaned_data.get("buyer", "self"))

    def clean(self):
        cleaned = super().clean()
        if not self.delivery_offered:
            cleaned["delivery_address"] = ""  # pickup only: any address posted is not read
            return cleaned
        if "saved_address" in self.fields:
            key = cleaned.get("saved_address") or SAVED_ADDRESS_NONE
        else:
            key = (self.data.get(self.add_prefix("saved_address")) or "").strip()
            if key:
                self.add_error(None, NOT_YOUR_ADDRESS)
                return cleaned
        # A saved address chosen wins over typed text; a pickup ignores both.
        address = self.saved_addresses.get(key)
        if address is None or cleaned.get("delivery_method") != DeliveryMethod.DELIVERY:
            return cleaned  # typed (or no) address; a pickup needs none
        if "buyer" not in cleaned:
            return cleaned  # the buyer field has its own error
        organization = self.organization
        if organization is None or organization.pk != address.organization_id:
            owner = next(org for org in self.organizations.values() if org.pk == address.organization_id)
            self.add_error(
                "saved_address",
                _(
                    "This address belongs to %(name)s. Choose %(name)s under “Who is ordering”, "
                    "or choose “Another address” and write it."
                )
                % {"name": owner.legal_name},
            )
            return cleaned
        cleaned["delivery_address"] = delivery_address_text(address)
        return cleaned

    def choice(self):
        """What the buyer chose, for `orders.services.order_place`."""
        from orders.services import CheckoutChoice

        data = self.cleaned_data
        organization = self.organization
        return CheckoutChoice(
            organization=organization,
            delivery_method=data["delivery_method"],
            delivery_address=data.get("delivery_address") or "",
            payment_method=data["payment_method"],
            # A purchase order is the organisation's: typed for a personal order, it is dropped.
            purchase_order_number=(data.get("purchase_order_number") or "") if organization else "",
            notes=data["notes"],
            contact_phone=data.get("contact_phone") or "",
            checkout_key=data.get("checkout_key") or "",
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


# --- Documents: a transfer proof, a statement's period ----------------------------------------


class TransferProofForm(forms.Form):
    """A photo of the transfer receipt (cleaned by market.images, the one upload cleaner)
    or a PDF (checked by extension, size, its signature and for active content)."""

    file = forms.FileField(
        label=_("Proof of transfer"),
        help_text=_("A photo (JPG, PNG, WebP) or a PDF, up to 10 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".jpg,.jpeg,.png,.webp,.pdf,image/*,application/pdf"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > PROOF_MAX_BYTES:
            raise ValidationError(gettext("The file is larger than 10 MB."), code="too_big")
        extension = os.path.splitext(upload.name or "")[1].lower()
        if extension == ".pdf":
            upload.seek(0)
            problem = pdf_problem(upload.read())
            upload.seek(0)
            if problem:
                raise ValidationError(problem, code="invalid_pdf")
            upload.content_type = "application/pdf"
            return upload
        if extension in (".jpg", ".jpeg", ".png", ".webp"):
            # Imported here: wagtail.images.forms queries the database when imported, and this
            # module is imported while models load (cms.models -> cms.forms -> orders.forms).
            from market.images import PhotoField

            # Wagtail's validation (format matches extension, size, pixels) and metadata stripping.
            return PhotoField(required=True).clean(upload)
        raise ValidationError(gettext("Upload a photo (JPG, PNG, WebP) or a PDF."), code="invalid_type")


class StatementPeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, input_formats=["%Y-%m-%d"])
    end = forms.DateField(label=_("To"), required=False, input_formats=["%Y-%m-%d"])

    def period(self) -> tuple[date, date]:
        default_start, default_end = month_bounds(timezone.localdate())
        start = self.cleaned_data.get("start") or default_start
        end = self.cleaned_data.get("end") or (
            month_bounds(start)[1] if self.cleaned_data.get("start") else default_end
        )
        if end < start:
            raise ValidationError(gettext("The end date is before the start date."))
        if (end - start).days > 366:
            raise ValidationError(gettext("Choose a period of at most one year."))
        return start, end
