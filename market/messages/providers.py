"""Where messages leave: one small interface, three providers.

* e-mail: Django's mail system (`EMAIL_BACKEND`), plain text with its HTML alternative.
* SMS and WhatsApp through Twilio (`MINGA_SMS_PROVIDER=twilio`), with the official `twilio`
  SDK. Why Twilio rather than Meta's WhatsApp Cloud API: one account, one SDK and one
  signature scheme for both SMS and WhatsApp (the Cloud API has no SMS, and Colombia's rural
  numbers need SMS), Colombian long codes and sender ids, per-message status callbacks signed
  with the account's token (`RequestValidator`), and WhatsApp templates through its Content
  API. `TWILIO_API_BASE` points the SDK at another host (the local stub in tests).
* console (the embedded default, `MINGA_SMS_PROVIDER=console`): SMS and WhatsApp are printed
  in the terminal running `make run`, as Django's console backend prints e-mails.

`send(message)` returns the provider's id. It raises `TransientError` for what may work later
(a timeout, a 5xx, a 429) and `PermanentError` for what never will (a landline, a number
WhatsApp does not know, an unapproved template): the sender retries the first and falls back
to her next channel on the second.
"""

import json
import sys
import threading
from datetime import timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from market.models import Message, MessageChannel


class TransientError(Exception):
    """It may work later: try again with backoff."""


class PermanentError(Exception):
    """It will not work on this channel: fall back to the next one."""


class EmailProvider:
    def already_sent(self, message: Message) -> str:
        """SMTP cannot be asked: "" (send again, with the same Message-ID: see `send`)."""
        return ""

    def send(self, message: Message) -> str:
        # One Message-ID per message, the same if it is ever sent again after a worker died
        # mid-send: mail clients show a repeated Message-ID once.
        msgid = f"<minga-message-{message.pk}@minga.co>"
        email = EmailMultiAlternatives(
            subject=message.subject, body=message.body, to=[message.address], headers={"Message-ID": msgid}
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        try:
            email.send()
        except (OSError, TimeoutError) as exc:  # SMTP refused or unreachable: later
            raise TransientError(str(exc)) from exc
        return msgid


class ConsoleProvider:
    """SMS and WhatsApp printed, for the embedded default (nothing leaves the machine)."""

    _lock = threading.Lock()

    def already_sent(self, message: Message) -> str:
        return ""

    def send(self, message: Message) -> str:
        with self._lock:
            head = f"---------- {message.get_channel_display()} → {message.address} ----------"
            sys.stdout.write(f"{head}\n{message.body}\n\n")
            sys.stdout.flush()
        return f"console-{message.pk}"


def _status_callback(message: Message) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("messages:twilio_status") + f"?m={message.pk}"


class TwilioProvider:
    # Twilio error codes that no retry will change.
    PERMANENT = {21211, 21214, 21408, 21610, 21612, 21614, 63003, 63016, 63024, 63032}

    def already_sent(self, message: Message) -> str:
        """The id of this message if Twilio already took it (its worker died before keeping the
        id): the messages to her number since the attempt began, matched by text or template."""
        from twilio.base.exceptions import TwilioException

        to = f"whatsapp:{message.address}" if message.channel == MessageChannel.WHATSAPP else message.address
        since = message.sending_at - timedelta(minutes=1) if message.sending_at else None
        try:
            found = twilio_client().messages.list(to=to, date_sent_after=since, limit=50)
        except (TwilioException, OSError) as exc:
            raise TransientError(f"Twilio unreachable while checking an interrupted send: {exc}") from exc
        text = fill_for(message)
        for sent in found:
            if (sent.body or "") == text:
                return sent.sid
        return ""

    def send(self, message: Message) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        client = twilio_client()
        kwargs = {"status_callback": _status_callback(message)}
        if message.channel == MessageChannel.WHATSAPP:
            sid = content_sids().get(_sid_key(message))
            if not sid:
                raise PermanentError(f"WhatsApp template {message.template} has no approved content id")
            kwargs.update(
                to=f"whatsapp:{message.address}",
                from_=settings.TWILIO_WHATSAPP_FROM,
                content_sid=sid,
                content_variables=json.dumps({str(n): v for n, v in enumerate(message.variables, start=1)}),
            )
        else:
            kwargs.update(to=message.address, from_=settings.TWILIO_SMS_FROM, body=message.body)
        try:
            sent = client.messages.create(**kwargs)
        except TwilioRestException as exc:
            if exc.code in self.PERMANENT or (400 <= (exc.status or 0) < 500 and exc.status != 429):
                raise PermanentError(f"Twilio {exc.code}: {exc.msg}") from exc
            raise TransientError(f"Twilio {exc.status} {exc.code}: {exc.msg}") from exc
        except (TwilioException, OSError) as exc:  # timeouts, refused connections
            raise TransientError(f"Twilio unreachable: {exc}") from exc
        return sent.sid


def _sid_key(message: Message) -> str:
    from market.messages.whatsapp_templates import TEMPLATES

    template = TEMPLATES.get(message.template)
    return template.sid_key(message.language) if template else message.template


def fill_for(message: Message) -> str:
    """The text Twilio shows for this message: its body, or the template filled in."""
    return message.body


def content_sids() -> dict:
    value = settings.TWILIO_CONTENT_SIDS
    return json.loads(value) if isinstance(value, str) else dict(value or {})


@lru_cache(maxsize=4)
def _client(sid: str, token: str, base: str, timeout: float):
    from twilio.base.exceptions import TwilioException
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    class RoutedHttpClient(TwilioHttpClient):
        """The SDK's own HTTP client, sent to TWILIO_API_BASE instead of api.twilio.com."""

        def request(self, method, url, *args, **kwargs):
            if base:
                # Any Twilio host (TWILIO_EDGE/REGION in the environment rename it) goes to
                # TWILIO_API_BASE, and nothing else leaves: never the real API from a test.
                parts = urlsplit(url)
                if not (parts.hostname or "").endswith(".twilio.com"):
                    raise TwilioException(f"Refusing to call {parts.hostname} instead of TWILIO_API_BASE")
                url = base.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
            return super().request(method, url, *args, **kwargs)

    return Client(sid, token, http_client=RoutedHttpClient(timeout=timeout))


def twilio_client():
    return _client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        settings.TWILIO_API_BASE,
        float(settings.TWILIO_TIMEOUT_SECONDS),
    )


def provider_for(channel: str):
    if channel == MessageChannel.EMAIL:
        return EmailProvider()
    if settings.MINGA_SMS_PROVIDER == "twilio":
        return TwilioProvider()
    return ConsoleProvider()


__all__ = ["PermanentError", "TransientError", "provider_for", "twilio_client"]
