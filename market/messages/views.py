"""Twilio's callbacks: delivery status and incoming replies ("PARE"), both signed.

Every request is checked with the SDK's `RequestValidator` against the address Twilio was
given (SITE_URL + path + query): a forged or altered request gets 403 and changes nothing. A
replayed status changes nothing either: a message's state only moves forward (queued →
sent → delivered; failed or undelivered only before delivered).
"""

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from market.messages.sending import fallback_queue
from market.models import Message, MessageChannel, MessageOptOut, MessageState

STOP_WORDS = {"PARE", "PARAR", "STOP", "BAJA", "CANCELAR", "UNSUBSCRIBE", "DETENER"}
START_WORDS = {"INICIO", "START", "ALTA", "SEGUIR"}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
RANK = {
    MessageState.STANDBY: 0,
    MessageState.QUEUED: 0,
    MessageState.SENDING: 1,
    MessageState.SENT: 2,
    MessageState.FAILED: 2,
    MessageState.DELIVERED: 3,
}


def _signed(request) -> bool:
    from twilio.request_validator import RequestValidator

    url = settings.SITE_URL.rstrip("/") + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    return bool(settings.TWILIO_AUTH_TOKEN) and RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(
        url, request.POST.dict(), signature
    )


@csrf_exempt
@require_POST
def twilio_status(request):
    if not _signed(request):
        return HttpResponseForbidden("Invalid signature.")
    sid = request.POST.get("MessageSid", "")
    status = request.POST.get("MessageStatus", "")
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(provider_id=sid).first() if sid else None
        if message is None and request.GET.get("m", "").isdigit():
            # A message whose worker died before it recorded the provider's id.
            message = Message.objects.select_for_update().filter(pk=int(request.GET["m"])).first()
            if message is not None and message.provider_id and message.provider_id != sid:
                message = None
        if message is None:
            return HttpResponse(status=204)
        _apply(message, sid, status, request.POST.get("ErrorCode", ""))
    return HttpResponse(status=204)


def _apply(message: Message, sid: str, status: str, error_code: str) -> None:
    now = timezone.now()
    if status == "delivered" or status == "read":
        if message.state != MessageState.DELIVERED:
            Message.objects.filter(pk=message.pk).update(
                state=MessageState.DELIVERED,
                delivered_at=now,
                provider_id=sid,
                sent_at=message.sent_at or now,
            )
            Message.objects.filter(
                event=message.event, recipient=message.recipient, state=MessageState.STANDBY
            ).update(state=MessageState.SKIPPED)
    elif status in ("sent", "queued", "accepted", "sending"):
        if RANK.get(message.state, 0) < RANK[MessageState.SENT] and message.state != MessageState.FAILED:
            Message.objects.filter(pk=message.pk).update(
                state=MessageState.SENT, sent_at=message.sent_at or now, provider_id=sid
            )
    elif status in ("failed", "undelivered") and message.state in (
        MessageState.SENT,
        MessageState.SENDING,
        MessageState.QUEUED,
    ):
        Message.objects.filter(pk=message.pk).update(
            state=MessageState.FAILED, error=f"{status} (Twilio error {error_code or '?'})"
        )
        message.refresh_from_db()
        fallback_queue(message)


@csrf_exempt
@require_POST
def twilio_incoming(request):
    """A reply to one of our numbers: "PARE"/"STOP" stops that channel, "INICIO" starts it again."""
    if not _signed(request):
        return HttpResponseForbidden("Invalid signature.")
    sender = request.POST.get("From", "")
    channel = MessageChannel.WHATSAPP if sender.startswith("whatsapp:") else MessageChannel.SMS
    phone = sender.removeprefix("whatsapp:")
    word = request.POST.get("Body", "").strip().upper().rstrip(".!")
    if phone and word in STOP_WORDS:
        message_stop(address=phone, channel=channel)
    elif phone and word in START_WORDS:
        MessageOptOut.objects.filter(address=phone, channel=channel).delete()
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


def message_stop(*, address: str, channel: str) -> None:
    """No more messages to `address` on `channel`, whoever it belongs to."""
    MessageOptOut.objects.get_or_create(address=address, channel=channel)
