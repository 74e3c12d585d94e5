"""Signing up and signing in by code speak to the person with *usted*, like the rest of the
site: allauth's Spanish says *tú* ("Introduce el código", "introdúcelo pronto"), and the
project's templates and catalogue say it the other way. Each page is read as a person reads
it (text and the form's placeholders), including its error and the e-mail with the code."""

import re
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from market.models import User

pytestmark = pytest.mark.django_db

TU_WORDS = [
    "tu", "tus", "ti", "te", "tienes", "introduce", "introdúcelo", "ingresa", "ingrésalo", "revisa",
    "puedes", "has", "estás", "quieres", "eres", "olvidaste", "necesitas", "debes", "podrás",
    "recibirás", "escribe", "escríbelo", "crea", "usa", "confirma", "verifica", "inténtalo",
    "vuelve", "haz", "ten", "decides", "inicias",
]  # fmt: skip
TU = re.compile(r"(?<![\wáéíóúñ])(" + "|".join(TU_WORDS) + r")(?![\wáéíóúñ])", re.IGNORECASE)

SIGNUP = {
    "email": "ana@example.org",
    "password1": "siembra-de-cacao-77",
    "password2": "siembra-de-cacao-77",
    "first_name": "Ana",
    "last_name": "Restrepo",
}


@pytest.fixture(autouse=True)
def _fresh_sign_up_limits():
    """allauth's per-IP sign-up and login limits count in the default cache, which lives as
    long as the worker: what another file's sign-ups counted must not refuse these (429)."""
    from django.core.cache import cache

    cache.clear()


class _Read(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in ("placeholder", "aria-label", "title") and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(" ".join(data.split()))


def read(response) -> str:
    assert response.status_code == 200, response.status_code
    parser = _Read()
    parser.feed(response.content.decode())
    return "\n".join(parser.texts)


def tu_forms(text: str) -> list[str]:
    return [match.group(0) for match in TU.finditer(text)]


def test_the_check_finds_tu_forms():
    assert tu_forms("Hemos enviado un código a tu correo. Introdúcelo pronto.") == ["tu", "Introdúcelo"]
    assert tu_forms("Le enviamos un código a su correo. Escríbalo pronto; tiene unos minutos.") == []


def test_signup_page_says_usted(client):
    text = read(client.get(reverse("account_signup")))
    assert tu_forms(text) == [], text
    assert "¿Ya tiene una cuenta?" in text


def test_signup_with_a_mobile_says_usted(client):
    text = read(client.get(reverse("account_signup_phone")))
    assert tu_forms(text) == [], text


def test_the_signup_code_step_says_usted_and_so_does_its_email(client):
    client.post(reverse("account_signup"), SIGNUP)
    assert User.objects.filter(email="ana@example.org").exists()
    text = read(client.get(reverse("account_email_verification_sent")))
    assert tu_forms(text) == [], text
    assert "ana@example.org" in text
    (email,) = mail.outbox
    assert tu_forms(email.body) == [], email.body
    assert "Este es su código de verificación del correo" in email.body

    wrong = read(client.post(reverse("account_email_verification_sent"), {"code": "AAAA-AAAA"}))
    assert tu_forms(wrong) == [], wrong


def test_login_by_code_pages_say_usted(client, buyer):
    text = read(client.get(reverse("account_request_login_code")))
    assert tu_forms(text) == [], text
    assert "Escriba su celular o su correo" in text

    response = client.post(reverse("account_request_login_code"), {"email": buyer.email}, follow=True)
    text = read(response)
    assert tu_forms(text) == [], text
    assert "Escriba su código para entrar" in text
    assert tu_forms(mail.outbox[-1].body) == [], mail.outbox[-1].body

    wrong = read(client.post(reverse("account_confirm_login_code"), {"code": "AAAA-AAAA"}))
    assert tu_forms(wrong) == [], wrong


def test_allauth_strings_that_say_tu_are_given_usted():
    """allauth's own phrases the project overrides (its catalogue says them with tú)."""
    with translation.override("es"):
        phrases = [
            translation.gettext(
                "We've sent a code to %(recipient)s. The code expires shortly, so please enter it soon."
            ),
            translation.gettext("Enter Email Verification Code"),
            translation.gettext("Enter Phone Verification Code"),
            translation.gettext("Be patient, you are sending too many requests."),
        ]
    assert all(tu_forms(phrase) == [] for phrase in phrases), phrases
    assert phrases[1] == "Escriba el código de verificación del correo"
