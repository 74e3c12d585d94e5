"""The stop link at the foot of e-mails: `/mensajes/parar/<token>/`.

The token is the address signed with the site's key (`django.core.signing`, its own salt),
so a link stops only the address it was made for, and nobody can make one for another
address. It does not expire: an old e-mail's link must still work. GET shows a button (mail
scanners open links; they must not unsubscribe anybody); POST records the opt-out, which the
outbox honours for every later message (`MessageOptOut`, channel "email").
"""

from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from market.models import MessageChannel, MessageOptOut

SALT = "minga.messages.stop-email"


def stop_token(email: str) -> str:
    return signing.dumps(email.strip().lower(), salt=SALT, compress=True)


def stop_url(email: str) -> str:
    """The path of the stop link for `email` (prefix it with SITE_URL in an e-mail)."""
    return reverse("messages:stop", args=[stop_token(email)])


def _address(token: str) -> str:
    try:
        address = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise Http404 from None
    if not isinstance(address, str) or "@" not in address:
        raise Http404
    return address


def _masked(address: str) -> str:
    """ana.restrepo@example.org → an***@example.org: the page shows whose link it is, no more."""
    name, _at, domain = address.partition("@")
    return f"{name[:2]}***@{domain}"


@require_http_methods(["GET", "POST"])
def stop_email(request, token):
    address = _address(token)
    done = MessageOptOut.objects.filter(address=address, channel=MessageChannel.EMAIL).exists()
    if request.method == "POST" and not done:
        MessageOptOut.objects.get_or_create(address=address, channel=MessageChannel.EMAIL)
        done = True
    return render(request, "market/message_stop.html", {"address": _masked(address), "done": done})
