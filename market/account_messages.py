"""The messages of sign-up and sign-in, sent through the outbox (`market.messages`).

A code goes by SMS (or WhatsApp first, when she chose it and agreed to it), written in the
outbox in its own small transaction and sent as soon as it commits: the person is waiting
on the code page.
"""

from django.db import transaction
from django.utils.translation import get_language, gettext_lazy

from market.messages.outbox import Notice, notify
from market.messages.recipients import Recipient
from market.models import MessageChannel

# The sentence she agrees to when she ticks WhatsApp (sign-up, her message settings); the
# time she ticked it is `User.whatsapp_consent_at`.
WHATSAPP_CONSENT_TEXT = gettext_lazy(
    "I agree that Minga sends me messages by WhatsApp about my account and my orders. "
    "I can stop them at any time."
)

LOGIN_CODE = Notice(
    kind="login_code",
    subject=gettext_lazy("Your Minga code"),
    sms="account/messages/login_code.sms.txt",
    whatsapp="minga_codigo",
)
ACCOUNT_EXISTS = Notice(
    kind="account_exists",
    subject=gettext_lazy("You already have a Minga account"),
    sms="account/messages/account_exists.sms.txt",
)
NO_ACCOUNT = Notice(
    kind="no_account",
    subject=gettext_lazy("No Minga account with this number"),
    sms="account/messages/no_account.sms.txt",
)


def _wants_whatsapp_first(user) -> bool:
    """She agreed to WhatsApp and put it before SMS (or left the default order)."""
    if user is None or not user.whatsapp_consent_at:
        return False
    chosen = user.message_channels
    if chosen is None:
        return True
    order = [c for c in chosen.split(",") if c]
    if MessageChannel.WHATSAPP not in order:
        return False
    return MessageChannel.SMS not in order or order.index(MessageChannel.WHATSAPP) < order.index(
        MessageChannel.SMS
    )


def send_login_code(*, phone: str, code: str, user=None) -> None:
    """A sign-in or verification code to `phone` (SMS; WhatsApp first if she chose it)."""
    recipient = Recipient(phone=phone, language=get_language() or "", whatsapp=_wants_whatsapp_first(user))
    with transaction.atomic():
        notify(LOGIN_CODE, event=f"login_code:{phone}:{code}", to=[recipient], context={"code": code})


def send_account_notice(notice: Notice, *, phone: str, sign_in_url: str, event: str) -> None:
    """A one-off SMS (an account already exists / no account with this number)."""
    recipient = Recipient(phone=phone, language=get_language() or "")
    with transaction.atomic():
        notify(notice, event=event, to=[recipient], context={"url": sign_in_url})
