"""Tasks for the jobs tests (a real module: the database backend stores tasks by import path)."""

import smtplib

from django.core.mail import EmailMessage
from django_tasks import task

from market.jobs import effect_once

# The test sets FAIL_ON to addresses whose sending raises (an SMTP server that drops us).
FAIL_ON: set[str] = set()


@task(backend="jobs")
def always_fails() -> None:
    raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@task(backend="jobs")
def add(a: int, b: int) -> int:
    return a + b


@task(backend="jobs")
def tell(event: int, addresses: list[str]) -> None:
    """One e-mail per address about `event`, each at most once (the pattern of the notifications)."""
    for address in addresses:
        message = EmailMessage(subject=f"Event {event}", body="-", to=[address])

        def send(message=message, address=address):
            if address in FAIL_ON:
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            message.send()

        effect_once(f"tell:{event}:{address}:email", send)
