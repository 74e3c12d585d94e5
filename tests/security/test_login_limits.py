"""Login limits that fit how Colombians connect.

A whole town can sit behind one public address (carrier-grade NAT), and behind a load balancer
every request carries the proxy's address: limits count per account first, and the per-address
ceilings let an opening rush through. The admins' own login forms are not a way around them.
"""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from market.models import User
from tests.factories import DEMO_PASSWORD, UserFactory

TOWN = "190.24.7.1"  # one carrier-grade NAT address for everybody


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Rate-limit counters live in the cache: every test starts and ends with none."""
    cache.clear()
    yield
    cache.clear()


def _login(email: str, password: str = DEMO_PASSWORD, *, address: str = TOWN, **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    return client, response


def _signed_in(client, user) -> bool:
    return client.session.get(SESSION_KEY) == str(user.pk)


@pytest.mark.django_db
def test_three_hundred_buyers_behind_one_address_all_get_in_within_a_minute():
    buyers = [UserFactory(email=f"compradora{n}@example.org") for n in range(300)]
    refused = []
    for buyer in buyers:
        client, response = _login(buyer.email)
        if response.status_code != 302 or not _signed_in(client, buyer):
            refused.append((buyer.email, response.status_code))
    assert refused == []


@pytest.mark.django_db
def test_some_typos_in_the_rush_do_not_lock_out_the_town():
    """A tenth of the rush mistypes once, then gets in: the town's address is not locked."""
    buyers = [UserFactory(email=f"vecina{n}@example.org") for n in range(60)]
    for buyer in buyers[::10]:
        _client, response = _login(buyer.email, "clave-equivocada")
        assert response.status_code == 200
    for buyer in buyers:
        client, response = _login(buyer.email)
        assert response.status_code == 302 and _signed_in(client, buyer), buyer.email


@pytest.mark.django_db
def test_ten_wrong_passwords_for_one_account_are_refused_whatever_the_address():
    victim = UserFactory(email="victima@example.org")
    outcomes = []
    for attempt in range(10):
        client, response = _login(victim.email, f"adivinanza-{attempt}", address=f"10.0.{attempt}.9")
        outcomes.append("Demasiados intentos" in response.content.decode() or response.status_code == 429)
        assert not _signed_in(client, victim)
    # Five guesses are answered "wrong password"; from the sixth on, every address is refused.
    assert outcomes == [False] * 5 + [True] * 5
    # Even the right password, from yet another address, is refused while the limit lasts.
    client, response = _login(victim.email, address="172.16.5.5")
    assert response.status_code != 302 and not _signed_in(client, victim)
    # Other accounts behind those addresses are not affected.
    other = UserFactory(email="otra@example.org")
    client, response = _login(other.email, address="10.0.3.9")
    assert response.status_code == 302 and _signed_in(client, other)


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_client_address_comes_from_x_forwarded_for(settings):
    """Many accounts guessed from one client behind the proxy hit that client's ceiling only."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip,5/5m/key"}
    UserFactory(email="a@example.org")
    for _ in range(3):
        _login("a@example.org", "mal", address="10.1.1.1", HTTP_X_FORWARDED_FOR="201.5.5.5")
    _client, response = _login("a@example.org", "mal", address="10.1.1.1", HTTP_X_FORWARDED_FOR="201.5.5.5")
    assert "Demasiados intentos" in response.content.decode() or response.status_code == 429
    # Another client through the same proxy is not blocked by the first one's failures.
    user = UserFactory(email="b@example.org")
    client, response = _login(user.email, address="10.1.1.1", HTTP_X_FORWARDED_FOR="181.6.6.6")
    assert response.status_code == 302 and _signed_in(client, user)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/cms/login/", "/django-admin/login/"])
def test_admin_login_forms_send_people_to_the_limited_site_login(path):
    staff = UserFactory(email="staff@example.org", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR=TOWN)
    response = client.get(path + "?next=/cms/pages/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=/cms/pages/"
    # A password posted to the admin's address signs nobody in: no unlimited guessing there.
    response = client.post(path, {"username": staff.email, "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert not _signed_in(client, staff)


@pytest.mark.django_db
def test_admin_login_guessing_is_limited_like_any_other_login():
    staff = UserFactory(email="jefa@example.org", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR=TOWN)
    response = client.get("/cms/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    for attempt in range(5):
        _login(staff.email, f"intento-{attempt}")
    client, response = _login(staff.email)
    assert not _signed_in(client, staff)
    assert User.objects.get(pk=staff.pk).last_login is None


@pytest.mark.django_db
def test_staff_sign_in_at_the_site_login_and_reach_the_admin():
    staff = UserFactory(email="editora@example.org", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR=TOWN)
    response = client.post(
        reverse("account_login") + "?next=/cms/", {"login": staff.email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/cms/"
    assert client.get("/cms/").status_code == 200


@pytest.mark.django_db
def test_login_codes_are_limited_per_account_not_per_town(mailoutbox):
    buyers = [UserFactory(email=f"codigo{n}@example.org") for n in range(40)]
    client = Client(REMOTE_ADDR=TOWN)
    for buyer in buyers:
        client.post(reverse("account_request_login_code"), {"email": buyer.email})
        client = Client(REMOTE_ADDR=TOWN)
    assert {m.to[0] for m in mailoutbox} == {b.email for b in buyers}
    mailoutbox.clear()
    for _ in range(5):
        Client(REMOTE_ADDR=f"10.9.9.{_}").post(
            reverse("account_request_login_code"), {"email": buyers[0].email}
        )
    # "3/m/key": with the rush's first code, three codes a minute for that account, then nothing.
    assert len(mailoutbox) == 2
