import html
import re
import secrets
from collections import Counter
from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.safestring import SafeData, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from market.account_messages import WHATSAPP_CONSENT_TEXT
from market.models import Municipality, OrganizationKind
from market.money import format_cop
from market.nit import normalize_nit
from market.phones import normalize_phone
from market.services import AddressInput
from market.text import fold, one_line
from market.units import QUANTITY_PLACES, QuantityError, format_quantity, parse_quantity


class OneLineField(forms.CharField):
    """A name or address: a line break pasted or posted into it becomes a space."""

    def to_python(self, value):
        return one_line(super().to_python(value))


class OneTimeKeyField(forms.CharField):
    """A hidden one-time key, new each time the form is shown; optional when posted.

    The same form posted twice (a double tap, a retry, two servers) carries the same key, so
    the service finds what the first post made instead of making it again: the checkout's
    order (`orders.services.order_place`), a new product (`catalog.services.product_save`).
    """

    def __init__(self, **kwargs):
        super().__init__(
            required=False,
            max_length=64,
            widget=forms.HiddenInput,
            validators=[RegexValidator(r"^[A-Za-z0-9_-]*$")],
            **kwargs,
        )
        self.initial = new_one_time_key

    def clean(self, value):
        # A mangled key is treated as none: the service's own checks still hold.
        try:
            return super().clean(value)
        except forms.ValidationError:
            return ""


def new_one_time_key() -> str:
    return secrets.token_urlsafe(24)


# "1.000" or "12.500": a dot before groups of three digits. In Colombia that is a thousands
# separator; written by a phone keyboard it may be a decimal point. Asked again, never guessed.
_DOTTED_THOUSANDS = re.compile(r"^[1-9]\d{0,2}(\.\d{3})+$")


class QuantityInput(forms.TextInput):
    """A quantity shown the Colombian way: `0,5`, `25`, `1250` (never `25.000` for 25)."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, Decimal):
            return format_quantity(value)
        return super().format_value(value)


class QuantityField(forms.Field):
    """A quantity in the product's unit, as a person types it: `0,5`, `0.5`, `25`,
    `1.250,5`. Three decimals at most (`market.units.parse_quantity`, the cart's reader);
    `allow_zero` for a stock that ran out. A bare `1.000` is refused with a question, since
    a Colombian means a thousand and a phone's keypad may mean one."""

    widget = QuantityInput

    def __init__(self, *, allow_zero: bool = False, max_digits: int = 8, decimal_places: int = 3, **kwargs):
        for unused in ("max_value", "min_value", "step_size"):  # a model field's, for a number input
            kwargs.pop(unused, None)
        self.allow_zero = allow_zero
        self.maximum = Decimal(10 ** (max_digits - decimal_places)) - QUANTITY_PLACES
        super().__init__(**kwargs)

    def to_python(self, value):
        text = "".join(str(value if value is not None else "").split())
        if not text:
            return None
        if "," in text and "." in text:  # 1.250,5: dots group thousands, the comma is decimal
            text = text.replace(".", "")
        elif _DOTTED_THOUSANDS.match(text):
            raise forms.ValidationError(
                _("Do you mean %(whole)s? Write it without the dot. For decimals use a comma, e.g. 1,5.")
                % {"whole": text.replace(".", "")},
                code="ambiguous",
            )
        try:
            return parse_quantity(text, allow_zero=self.allow_zero, maximum=self.maximum)
        except QuantityError as error:
            # A form may word a code its own way ("The minimum must be greater than zero.").
            message = self.error_messages.get(error.code, error.message)
            raise forms.ValidationError(message, code=error.code) from None


class PesosInput(forms.TextInput):
    """Whole pesos shown grouped the Colombian way, without the sign: `25.000`."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "numeric", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, int):
            return format_cop(value).split("\N{NO-BREAK SPACE}", 1)[1]
        return super().format_value(value)


class PesosField(forms.IntegerField):
    """Whole pesos as a Colombian types them: `25000`, `25.000`, `$ 25.000`. Pesos have no
    cents here, so `12,50` is refused rather than rounded."""

    widget = PesosInput
    _GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+$")

    def to_python(self, value):
        text = "".join(str(value if value is not None else "").split()).removeprefix("$")
        if self._GROUPED.match(text):
            text = text.replace(".", "")
        elif text and not text.isdigit():
            raise forms.ValidationError(_("Write the price in whole pesos, e.g. 25.000."), code="invalid")
        return super().to_python(text)

    def widget_attrs(self, widget):
        return {}  # no min/max/step: they belong to a number input, which this is not


class SignupExtraForm(forms.Form):
    """Extra sign-up fields for allauth (ACCOUNT_SIGNUP_FORM_CLASS): name, and consent to
    WhatsApp for the mobile she gives. The mobile itself is allauth's phone field
    (ACCOUNT_SIGNUP_FIELDS "phone", `market.account_forms`), stored unverified by the adapter
    until a code sent to it comes back."""

    first_name = OneLineField(label=_("First name"), max_length=150)
    last_name = OneLineField(label=_("Last name"), max_length=150, required=False)
    whatsapp_consent = forms.BooleanField(
        label=WHATSAPP_CONSENT_TEXT,
        required=False,
    )

    def signup(self, request, user):
        user.first_name = self.cleaned_data["first_name"]
        user.last_name = self.cleaned_data.get("last_name", "")
        fields = ["first_name", "last_name"]
        if self.cleaned_data.get("whatsapp_consent") and user.phone:
            user.whatsapp_consent_at = timezone.now()
            fields.append("whatsapp_consent_at")
        user.save(update_fields=fields)


# --- Buyer organisations ------------------------------------------------------------------


def municipality_choices() -> list:
    """Colombia's municipalities for a <select>, grouped by department (<optgroup>), in
    alphabetical order as Spanish readers expect (accents folded). One query.

    No JavaScript: the phone's own list, where typing the first letters jumps to a name.
    A name found in several departments (Bolívar, La Unión...) carries its department, so
    the chosen option still says which one it is once the list is closed.
    """
    municipalities = sorted(
        Municipality.objects.select_related("department"),
        key=lambda m: (fold(m.department.name), fold(m.name)),
    )
    repeated = Counter(m.name for m in municipalities)
    groups: dict[str, list] = {}
    for m in municipalities:
        label = f"{m.name} ({m.department.name})" if repeated[m.name] > 1 else m.name
        groups.setdefault(m.department.name, []).append((m.code, label))
    return [("", _("Choose the municipality"))] + list(groups.items())


class CompactSelect(forms.Select):
    """A <select> written in one pass, one short line per option.

    Django renders a template per option, with blank lines around each: for the 1,103
    municipalities, or the catalogue's filter of every verified cooperative, that is about
    twice the bytes and many times the CPU of this. Each option is one f-string (no option
    dict, no `format_html`), since a catalogue page writes hundreds of them.
    """

    def render(self, name, value, attrs=None, renderer=None):
        values = set(self.format_value(value))
        chosen = False  # one option selected at most, the first that matches, as Django does

        def option(option_value, label) -> str:
            nonlocal chosen
            option_value = "" if option_value is None else str(option_value)
            selected = not chosen and option_value in values
            chosen = chosen or selected
            mark = " selected" if selected else ""
            return f'<option value="{_escape(option_value)}"{mark}>{_escape(label)}</option>'

        parts = [f'<select name="{_escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>']
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(f'<optgroup label="{_escape(option_value)}">')
                parts.extend(option(*choice) for choice in label)
                parts.append("</optgroup>")
            else:
                parts.append(option(option_value, label))
        parts.append("</select>")
        return mark_safe("\n".join(parts))  # every value and label escaped by `_escape`


def _escape(text) -> str:
    """`conditional_escape` without its lazy wrapper: escaped unless already safe markup."""
    return str(text) if isinstance(text, SafeData) else html.escape(str(text))


class MunicipalityField(forms.ModelChoiceField):
    """A municipality from Colombia's list, grouped by department (`municipality_choices`)."""

    widget = CompactSelect

    def __init__(self, **kwargs):
        kwargs.setdefault("label", capfirst(_("municipality")))
        kwargs.setdefault("error_messages", {"invalid_choice": _("Choose a municipality from the list.")})
        super().__init__(queryset=Municipality.objects.all(), **kwargs)
        self.choices = municipality_choices


class OrganizationRegisterForm(forms.Form):
    """A business registering itself; staff review it. The NIT needs its check digit."""

    kind = forms.ChoiceField(
        label=_("Kind of business"), choices=OrganizationKind.choices, widget=forms.RadioSelect
    )
    legal_name = OneLineField(
        label=capfirst(_("legal name")), max_length=200, help_text=_("As it appears in the RUT.")
    )
    nit = forms.CharField(
        label=_("NIT"),
        max_length=25,
        help_text=_("With its check digit, e.g. 900.123.456-8."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    billing_address = OneLineField(label=capfirst(_("billing address")), max_length=255)
    municipality = MunicipalityField()
    email = forms.EmailField(
        label=capfirst(_("billing e-mail")),
        help_text=_("Where invoices are sent."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        help_text=_("For WhatsApp messages about your orders, e.g. 300 123 4567."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def clean_nit(self):
        return normalize_nit(self.cleaned_data["nit"])

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])


class DeliveryAddressForm(forms.Form):
    """A saved delivery address of an organisation.

    At registration (`first=True`) it is optional and has no municipality of its own: an
    untouched form means "no address", and a first address is in the billing municipality
    (one list of 1,103 municipalities on the page is enough; others are added later).
    """

    label = OneLineField(label=capfirst(_("label")), max_length=80, help_text=_("e.g. Main kitchen"))
    address = OneLineField(label=capfirst(_("address")), max_length=255)
    municipality = MunicipalityField()
    instructions = OneLineField(
        label=capfirst(_("instructions")),
        max_length=255,
        required=False,
        help_text=_("Optional: entrance, receiving hours, who receives."),
    )

    def __init__(self, *args, first: bool = False, **kwargs):
        if first:
            kwargs.update(empty_permitted=True, use_required_attribute=False)
        super().__init__(*args, **kwargs)
        if first:
            del self.fields["municipality"]

    def address_input(self, *, municipality=None):
        """The cleaned address for the services (in `municipality` when the form has none),
        or None for an untouched optional form."""
        data = self.cleaned_data
        if not data:
            return None
        return AddressInput(
            label=data["label"],
            address=data["address"],
            municipality=data.get("municipality", municipality),
            instructions=data.get("instructions", ""),
        )
