"""The "Avísenme cuando abra" form of an upcoming market, and what its page shows of it.

A person signed in asks with one tap (her own channels); anyone else gives a mobile number
(SMS) and may tick WhatsApp. The same number, or the same person, twice is one watch.
"""

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _

from cms.models import MarketEventPage, MarketWatch
from market.account_forms import MobilePhoneField

SESSION_KEY = "market_watch:%s"  # the numbers this browser asked for, per market


def readable_phone(e164: str) -> str:
    """ "300 765 4321" for a Colombian mobile, the international form for any other."""
    if e164.startswith("+57") and len(e164) == 13:
        digits = e164[3:]
        return f"{digits[:3]}\u00a0{digits[3:6]}\u00a0{digits[6:]}"
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class MarketWatchForm(forms.Form):
    phone = MobilePhoneField(
        label=_("Your mobile number"), help_text=_("One message when it opens, nothing else.")
    )
    whatsapp = forms.BooleanField(
        label=_("Send it to me by WhatsApp instead (I agree that Minga writes to me there)."),
        required=False,
    )

    def __init__(self, *args, signed_in: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if signed_in:  # one tap: her own number or e-mail, her own channels
            self.fields.clear()


def watch_context(*, event: MarketEventPage, request, form: MarketWatchForm | None = None) -> dict:
    """What an upcoming market's page needs for the form: the form, or that she already asked
    (signed in: one query; anyone else: the number this browser gave)."""
    user = request.user
    if user.is_authenticated:
        if MarketWatch.objects.filter(event=event, user=user).exists():
            return {"watching": True}
    else:
        phones = request.session.get(SESSION_KEY % event.pk) or []
        if phones and form is None:
            return {"watching": True, "watching_phone": readable_phone(phones[-1])}
    return {
        "watching": False,
        "watching_phone": "",
        "watch_form": form or MarketWatchForm(signed_in=user.is_authenticated),
    }
