"""Sign-up forms (allauth's, with Minga's phone rules).

* `SignupForm` (ACCOUNT_FORMS["signup"]): e-mail and password as before, and an optional
  mobile for WhatsApp and SMS, stored unverified with her consent to WhatsApp if she ticks it.
* `PhoneSignupForm`: only a mobile (no e-mail, no password); she signs in by a code.

A number already verified by another account is refused with a clear message (she is told
to sign in with a code instead): one account per verified number.
"""

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from market.messages.recipients import mobile_problem
from market.models import User
from market.phones import normalize_phone

NOT_A_MOBILE = _("This is not a mobile number. Write the 10 digits, e.g. 300 123 4567.")


class MobilePhoneField(forms.CharField):
    """A Colombian mobile (300 123 4567) or any mobile in international format, cleaned to
    E.164. Landlines and malformed numbers are refused: codes go by SMS."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "type": "tel",
                    "inputmode": "tel",
                    "autocomplete": "tel",
                    "placeholder": _("Mobile, e.g. 300 123 4567"),
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return ""
        try:
            phone = normalize_phone(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                _("This is not a mobile number. Write the 10 digits, e.g. 300 123 4567."),
                code="invalid_phone",
            ) from None
        problem = mobile_problem(phone)
        if problem.startswith("a landline"):
            raise forms.ValidationError(
                _("This is a landline: it cannot receive text messages. Write a mobile number."),
                code="landline",
            )
        if problem:
            raise forms.ValidationError(
                _("This is not a mobile number. Write the 10 digits, e.g. 300 123 4567."),
                code="invalid_phone",
            )
        return phone


def phone_taken_error():
    return forms.ValidationError(
        format_html(
            '{} <a href="{}">{}</a>',
            _("An account already uses this mobile number."),
            reverse("account_request_login_code"),
            _("Sign in with a code"),
        ),
        code="phone_taken",
    )


class SignupForm(AllauthSignupForm):
    field_order = ["first_name", "last_name", "email", "password1", "password2", "phone", "whatsapp_consent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        phone = self.fields["phone"]
        phone.label = _("Mobile phone (optional)")
        phone.help_text = _("For WhatsApp messages about your orders, e.g. 300 123 4567.")

    def _clean_phone(self) -> None:
        phone = self.cleaned_data.get("phone")
        if phone and User.objects.filter(phone=phone, phone_verified=True).exists():
            self.add_error("phone", phone_taken_error())


class PhoneSignupForm(SignupForm):
    """Only a mobile: the code sent to it is her way in."""

    field_order = ["first_name", "last_name", "phone", "whatsapp_consent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("email", "email2", "password1", "password2"):
            self.fields.pop(name, None)
            self._signup_fields.pop(name, None)
        self._signup_fields["phone"] = {"required": True}
        phone = self.fields["phone"]
        phone.required = True
        phone.label = _("Mobile number")
        phone.help_text = _("We will send a code to it by text message (SMS).")

    def _clean_phone(self) -> None:
        from allauth.account.adapter import get_adapter

        phone = self.cleaned_data.get("phone")
        if phone and get_adapter().get_user_by_phone(phone) is not None:
            self.add_error("phone", phone_taken_error())
