"""Phone-first people: sign up and sign in with a mobile number and a code by SMS, choose
the channels of their messages, stop e-mails by a signed link."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from market.messages.recipients import Recipient
from market.messages.sms import is_gsm, sms_segments
from market.messages.stop_views import stop_url
from market.models import Message, MessageOptOut, User
from tests.factories import DEMO_PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _fresh_sign_up_limits():
    """allauth's per-IP sign-up and login limits count in the default cache, which lives as
    long as the worker: what another file's sign-ups counted must not refuse these (429)."""
    from django.core.cache import cache

    cache.clear()


def last_code(phone: str) -> str:
    """The six digits of the last code written to `phone` in the outbox."""
    message = Message.objects.filter(kind="login_code", address=phone).order_by("-pk").first()
    assert message is not None, f"no code was sent to {phone}"
    assert message.channel == "sms"
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def signed_in_as(client) -> int | None:
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id else None


def phone_person(phone: str, **fields) -> User:
    user = User.objects.create(email=None, phone=phone, phone_verified=True, first_name="Rosa", **fields)
    user.set_unusable_password()
    user.save()
    return user


@pytest.mark.django_db
def test_sign_up_with_only_a_phone_then_a_code_signs_her_in(client):
    response = client.post(reverse("account_signup_phone"), {"first_name": "Rosa", "phone": "300 555 0101"})
    assert response.status_code == 302 and response["Location"] == reverse("account_verify_phone")
    user = User.objects.get(phone="+573005550101")
    assert user.email is None and not user.phone_verified and not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert signed_in_as(client) is None  # not before the code comes back

    message = Message.objects.get(kind="login_code", address="+573005550101")
    assert message.channel == "sms" and message.state == "queued"
    assert message.body.startswith("Su codigo de Minga es ")  # Spanish, folded to GSM-7
    assert is_gsm(message.body) and sms_segments(message.body) == ("GSM-7", 1)
    code = last_code("+573005550101")

    wrong = "000000" if code != "000000" else "111111"
    response = client.post(reverse("account_verify_phone"), {"action": "verify", "code": wrong})
    assert response.status_code == 200 and response.context["form"].errors
    assert signed_in_as(client) is None

    response = client.post(reverse("account_verify_phone"), {"action": "verify", "code": code})
    assert response.status_code == 302
    assert signed_in_as(client) == user.pk
    user.refresh_from_db()
    assert user.phone_verified and user.email is None


@pytest.mark.django_db
def test_sign_in_later_with_the_phone_and_a_code(client):
    rosa = phone_person("+573005550102")
    response = client.post(reverse("account_request_login_code"), {"phone": "3005550102"})
    assert response.status_code == 302 and response["Location"] == reverse("account_confirm_login_code")
    code = last_code("+573005550102")
    assert len(code) == 6
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert signed_in_as(client) == rosa.pk


@pytest.mark.django_db
def test_a_wrong_code_does_not_sign_her_in(client):
    phone_person("+573005550103")
    client.post(reverse("account_request_login_code"), {"phone": "+57 300 555 0103"})
    code = last_code("+573005550103")
    for wrong in ("123456", "654321"):
        if wrong == code:
            continue
        response = client.post(reverse("account_confirm_login_code"), {"code": wrong})
        assert response.status_code == 200 and "code" in response.context["form"].errors
    assert signed_in_as(client) is None


@pytest.mark.django_db
def test_an_unknown_number_gets_no_code_and_creates_nobody(client):
    client.post(reverse("account_request_login_code"), {"phone": "3005550199"})
    assert not Message.objects.filter(kind="login_code").exists()
    # The number is told, once, how to create an account (and nobody learns it on the page).
    notice = Message.objects.get(kind="no_account", address="+573005550199")
    assert "/cuenta/registro/celular/" in notice.body and sms_segments(notice.body) == ("GSM-7", 1)
    assert not User.objects.filter(phone="+573005550199").exists()


@pytest.mark.django_db
def test_a_landline_is_refused_with_a_clear_message(client):
    response = client.post(reverse("account_signup_phone"), {"first_name": "Rosa", "phone": "601 234 5678"})
    assert response.status_code == 200
    assert "teléfono fijo" in " ".join(response.context["form"].errors["phone"])
    response = client.post(reverse("account_signup_phone"), {"first_name": "Rosa", "phone": "12ab"})
    assert "no es un número de celular" in " ".join(response.context["form"].errors["phone"])
    assert not User.objects.filter(first_name="Rosa").exists()
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_second_account_with_the_same_verified_phone_is_refused(client):
    rosa = phone_person("+573005550104")
    response = client.post(reverse("account_signup_phone"), {"first_name": "Otra", "phone": "300 555 0104"})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["phone"])
    assert "Ya hay una cuenta con este celular" in errors
    assert reverse("account_request_login_code") in errors  # she is shown how to sign in
    response = client.post(
        reverse("account_signup"),
        {
            "email": "otra@example.org",
            "password1": "siembra-de-cacao-77",
            "password2": "siembra-de-cacao-77",
            "first_name": "Otra",
            "phone": "3005550104",
        },
    )
    assert response.status_code == 200 and "phone" in response.context["form"].errors
    assert list(User.objects.filter(phone="+573005550104")) == [rosa]


@pytest.mark.django_db
def test_email_sign_up_with_a_mobile_stores_it_unverified_with_consent_then_verifies_it(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "marta@example.org",
            "password1": "siembra-de-cacao-77",
            "password2": "siembra-de-cacao-77",
            "first_name": "Marta",
            "phone": "300 555 0105",
            "whatsapp_consent": "on",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="marta@example.org")
    assert user.phone == "+573005550105" and not user.phone_verified and user.whatsapp_consent_at
    # The e-mail is verified first, as before; no SMS is needed to get in.
    assert not Message.objects.filter(kind="login_code").exists()
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[-1].body, re.M).group(1)
    response = client.post(reverse("account_email_verification_sent"), {"code": code})
    assert signed_in_as(client) == user.pk
    # Then she is asked to verify her mobile.
    assert response["Location"] == reverse("account_change_phone")
    page = client.get(response["Location"])
    assert page.status_code == 200 and "+573005550105" in page.content.decode()
    response = client.post(reverse("account_change_phone"), {"action": "verify"})
    assert response.status_code == 302 and response["Location"] == reverse("account_verify_phone")
    response = client.post(reverse("account_verify_phone"), {"code": last_code("+573005550105")})
    user.refresh_from_db()
    assert user.phone_verified
    # WhatsApp first (she agreed), then SMS, then e-mail.
    assert [c for c, _a, problem in Recipient.of(user).channels() if not problem] == [
        "whatsapp",
        "sms",
        "email",
    ]


@pytest.mark.django_db
def test_email_sign_up_without_a_mobile_is_unchanged(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "lucia@example.org",
            "password1": "siembra-de-cacao-77",
            "password2": "siembra-de-cacao-77",
            "first_name": "Lucía",
            "whatsapp_consent": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="lucia@example.org")
    assert user.phone == "" and user.whatsapp_consent_at is None  # no number, nothing agreed to
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[-1].body, re.M).group(1)
    response = client.post(reverse("account_email_verification_sent"), {"code": code})
    assert signed_in_as(client) == user.pk and response["Location"] == "/"
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_email_and_password_sign_in_still_works(client):
    buyer = UserFactory(email="ana@example.org")
    response = client.post(reverse("account_login"), {"login": "ana@example.org", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and signed_in_as(client) == buyer.pk


@pytest.mark.django_db
def test_a_code_goes_through_the_twilio_api(client, twilio_stub, django_capture_on_commit_callbacks):
    phone_person("+573005550106")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"phone": "3005550106"})
    sent = twilio_stub.sent_to("+573005550106")
    assert len(sent) == 1
    code = re.search(r"\b(\d{6})\b", sent[0]["body"]).group(1)
    assert Message.objects.get(kind="login_code").state == "sent"
    client.post(reverse("account_confirm_login_code"), {"code": code})
    assert signed_in_as(client) is not None


# --- Her message settings -----------------------------------------------------------------


@pytest.mark.django_db
def test_message_settings_save_her_order_and_her_whatsapp_consent(client):
    user = UserFactory(email="paula@example.org", phone="+573005550107", phone_verified=True)
    client.force_login(user)
    url = reverse("market:message_settings")
    assert url == "/cuenta/mensajes/"
    page = client.get(url).content.decode()
    assert "WhatsApp" in page and "Acepto que Minga me envíe mensajes por WhatsApp" in page

    response = client.post(url, {"first": "whatsapp", "others": ["email"]})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.message_channels == "whatsapp,email" and user.whatsapp_consent_at is not None
    assert [c for c, _a, _p in Recipient.of(user).channels()] == ["whatsapp", "email"]

    client.post(url, {"first": "email", "others": ["sms", "email"]})
    user.refresh_from_db()
    assert user.message_channels == "email,sms" and user.whatsapp_consent_at is None  # withdrawn

    client.post(url, {"first": "none"})
    user.refresh_from_db()
    assert user.message_channels == "" and Recipient.of(user).channels() == []


@pytest.mark.django_db
def test_message_settings_offer_only_what_she_has_and_link_to_verify(client):
    user = UserFactory(email="sara@example.org", phone="+573005550108", phone_verified=False)
    client.force_login(user)
    url = reverse("market:message_settings")
    page = client.get(url).content.decode()
    assert reverse("account_change_phone") in page and "no está verificado" in page
    only_email = UserFactory(email="eva@example.org")
    client.force_login(only_email)
    response = client.post(url, {"first": "whatsapp"})
    assert response.status_code == 200 and "first" in response.context["form"].errors
    only_email.refresh_from_db()
    assert only_email.message_channels is None


def test_message_settings_need_sign_in(client):
    response = client.get(reverse("market:message_settings"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


# --- The stop link in e-mails ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_stop_link_asks_then_stops_the_emails(client):
    url = stop_url("Ana@Example.org")
    page = client.get(url)
    assert page.status_code == 200 and "an***@example.org" in page.content.decode()
    assert not MessageOptOut.objects.exists()  # a mail scanner opening the link stops nothing
    response = client.post(url)
    assert response.status_code == 200
    assert MessageOptOut.objects.filter(address="ana@example.org", channel="email").exists()
    client.post(url)
    assert MessageOptOut.objects.count() == 1


@pytest.mark.django_db
def test_a_forged_stop_link_is_not_found(client):
    good = stop_url("ana@example.org")
    token = good.rstrip("/").rsplit("/", 1)[1]
    forged = reverse("messages:stop", args=[token[:-2] + ("AA" if not token.endswith("AA") else "BB")])
    for url in (forged, reverse("messages:stop", args=["bWFsYUBleGFtcGxlLm9yZw"])):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert not MessageOptOut.objects.exists()
