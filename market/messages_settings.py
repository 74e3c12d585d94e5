"""Her message settings: which channels, in which order, and her consent to WhatsApp.

Stored on the user (`message_channels`: "whatsapp,sms,email" in her order; "" none; None the
default order, see `market.messages.recipients`). Ticking WhatsApp is agreeing to the sentence
shown beside it (`WHATSAPP_CONSENT_TEXT`); its time is kept in `whatsapp_consent_at`, and
leaving WhatsApp out withdraws it.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from market.account_messages import WHATSAPP_CONSENT_TEXT
from market.models import MessageChannel

NONE = "none"


def available_channels(user) -> list[tuple[str, str]]:
    out = []
    if user.phone:
        out += [
            (MessageChannel.WHATSAPP, _("WhatsApp")),
            (MessageChannel.SMS, _("Text message (SMS)")),
        ]
    if user.email:
        out.append((MessageChannel.EMAIL, _("E-mail")))
    return out


def current_order(user) -> list[str]:
    """Her channels as the outbox reads them now."""
    if user.message_channels is not None:
        return [c for c in user.message_channels.split(",") if c]
    out = []
    if user.phone and user.phone_verified:
        if user.whatsapp_consent_at:
            out.append(MessageChannel.WHATSAPP)
        out.append(MessageChannel.SMS)
    if user.email:
        out.append(MessageChannel.EMAIL)
    return out


class MessageSettingsForm(forms.Form):
    first = forms.ChoiceField(label=_("Send my messages first by"), widget=forms.RadioSelect)
    others = forms.MultipleChoiceField(
        label=_("If that does not reach me, also by"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        channels = available_channels(user)
        order = [c for c in current_order(user) if c in dict(channels)]
        initial = {
            "first": order[0] if order else NONE,
            "others": order[1:],
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["first"].choices = channels + [(NONE, _("No messages: I will look on the website"))]
        self.fields["others"].choices = channels
        self.whatsapp_consent_text = WHATSAPP_CONSENT_TEXT

    def order(self) -> list[str]:
        first = self.cleaned_data["first"]
        if first == NONE:
            return []
        others = [c for c, _label in self.fields["others"].choices if c in self.cleaned_data["others"]]
        return [first] + [c for c in others if c != first]

    def save(self):
        user = self.user
        order = self.order()
        user.message_channels = ",".join(order)
        if MessageChannel.WHATSAPP in order:
            user.whatsapp_consent_at = user.whatsapp_consent_at or timezone.now()
        else:
            user.whatsapp_consent_at = None
        user.save(update_fields=["message_channels", "whatsapp_consent_at"])
        return user
