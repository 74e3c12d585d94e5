"""Who a message goes to and on which channels, in her order.

A recipient is a person with an account (her channels are her choice, `User.message_channels`,
or the default: WhatsApp when she agreed to it, SMS, e-mail), or a phone number for someone
without an account (a phone order taken by a Market Builder, an "Avísenme"), or a bare
e-mail address (staff). A channel she cannot get is still listed, with the reason, so that
the outbox writes a visible failed row and goes on to the next channel.
"""

from dataclasses import dataclass

import phonenumbers
from django.conf import settings

from market.models import MessageChannel, MessageOptOut

DEFAULT_ORDER = (MessageChannel.WHATSAPP, MessageChannel.SMS, MessageChannel.EMAIL)


@dataclass(frozen=True)
class Recipient:
    user: object | None = None
    phone: str = ""
    email: str = ""
    name: str = ""
    language: str = ""
    # A person without an account who agreed to WhatsApp (a phone order, an "Avísenme").
    whatsapp: bool = False

    @classmethod
    def of(cls, user, *, language: str = "") -> "Recipient":
        return cls(user=user, language=language or getattr(user, "language", "") or "")

    @property
    def key(self) -> str:
        if self.user is not None:
            return f"user:{self.user.pk}"
        if self.phone:
            return f"phone:{self.phone}"
        return f"email:{(self.email or '').lower()}"

    @property
    def lang(self) -> str:
        return self.language or settings.LANGUAGE_CODE

    def addresses(self) -> list[str]:
        """Her phone and e-mail, as opt-outs are kept."""
        user = self.user
        phone = user.phone if user is not None else self.phone
        email = (user.email if user is not None else self.email) or ""
        return [a for a in (phone, email.lower()) if a]

    def channels(self, *, stopped: set | None = None) -> list[tuple[str, str, str]]:
        """[(channel, address, problem)] in her order; `problem` says why she can't get it there."""
        user = self.user
        if user is not None:
            phone, email = user.phone, user.email or ""
            chosen = user.message_channels
            order = [c for c in chosen.split(",") if c] if chosen is not None else list(_default(user))
        elif self.phone:
            phone, email = self.phone, self.email
            order = ([MessageChannel.WHATSAPP] if self.whatsapp else []) + [MessageChannel.SMS]
            if email:
                order.append(MessageChannel.EMAIL)
        else:
            phone, email, order = "", self.email, [MessageChannel.EMAIL]
        if stopped is None:
            stopped = stopped_for([self])
        out = []
        for channel in order:
            address = email if channel == MessageChannel.EMAIL else phone
            if (address.lower() if channel == MessageChannel.EMAIL else address, channel) in stopped:
                continue  # she said stop: not a failure, nothing to send there
            out.append((channel, address, _problem(channel, address, user)))
        return out


def _default(user) -> list[str]:
    out = []
    if user.phone and user.phone_verified:
        if user.whatsapp_consent_at:
            out.append(MessageChannel.WHATSAPP)
        out.append(MessageChannel.SMS)
    if user.email:
        out.append(MessageChannel.EMAIL)
    return out


def stopped_for(recipients) -> set[tuple[str, str]]:
    """{(address, channel)} the recipients asked to stop, in one query."""
    addresses = {a for r in recipients for a in r.addresses()}
    if not addresses:
        return set()
    return set(MessageOptOut.objects.filter(address__in=addresses).values_list("address", "channel"))


def mobile_problem(phone: str) -> str:
    """Why SMS cannot go to `phone` ("" when it can): malformed, or not a mobile number."""
    try:
        number = phonenumbers.parse(phone, "CO")
    except phonenumbers.NumberParseException:
        return "not a phone number"
    if not phonenumbers.is_valid_number(number):
        return "not a valid phone number"
    kind = phonenumbers.number_type(number)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return "a landline, not a mobile number"
    return ""


def _problem(channel: str, address: str, user) -> str:
    if not address:
        return "no e-mail address" if channel == MessageChannel.EMAIL else "no mobile number"
    if channel == MessageChannel.EMAIL:
        return ""
    if user is not None and not user.phone_verified:
        return "the mobile number is not verified yet"
    if channel == MessageChannel.WHATSAPP and user is not None and not user.whatsapp_consent_at:
        return "no consent to WhatsApp messages"
    return mobile_problem(address)
