import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from market.models import User


@pytest.fixture(autouse=True)
def _fresh_sign_up_limits():
    """allauth's per-IP sign-up and login limits count in the default cache, which lives as
    long as the worker: what another file's sign-ups counted must not refuse these (429)."""
    from django.core.cache import cache

    cache.clear()


@pytest.mark.django_db
def test_signup_needs_email_verification_then_logs_in(client, django_capture_on_commit_callbacks):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "ana@example.org",
            "password1": "siembra-de-cacao-77",
            "password2": "siembra-de-cacao-77",
            "first_name": "Ana",
            "last_name": "Restrepo",
            "phone": "300 123 4567",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="ana@example.org")
    assert user.phone == "+573001234567"
    assert user.get_full_name() == "Ana Restrepo"
    # Mandatory verification: not logged in until the code is confirmed.
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in client.session
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[-1].body, re.M).group(1)
    response = client.post(reverse("account_email_verification_sent"), {"code": code})
    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_signup_with_bad_phone_is_refused_and_creates_nobody(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "luz@example.org",
            "password1": "siembra-de-cacao-77",
            "password2": "siembra-de-cacao-77",
            "first_name": "Luz",
            "phone": "12ab",
        },
    )
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert not User.objects.filter(email="luz@example.org").exists()


@pytest.mark.django_db
def test_login_by_code_is_offered_and_sends_a_code(client, buyer):
    page = client.get(reverse("account_login"))
    assert reverse("account_request_login_code") in page.content.decode()
    client.post(reverse("account_request_login_code"), {"email": buyer.email})
    assert mail.outbox and buyer.email in mail.outbox[-1].to


@pytest.mark.django_db
def test_account_pages_use_the_site_layout(client):
    html = client.get(reverse("account_login")).content.decode()
    assert 'href="/static/css/minga.css"' in html
    assert 'lang="es"' in html
