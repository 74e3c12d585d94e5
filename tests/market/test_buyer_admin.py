"""Staff approve a buyer organisation and grant credit terms in the Wagtail admin."""

import pytest
from django.urls import reverse

from market.models import BuyerOrganization, Municipality
from tests.factories import UserFactory


@pytest.mark.django_db
def test_staff_approves_an_organisation_with_credit_terms(client):
    org = BuyerOrganization.objects.create(
        kind="hotel",
        legal_name="Hotel Río Cali",
        nit="890301880-6",
        billing_address="Av. 6N # 23-50",
        municipality=Municipality.objects.get(code="76001"),
    )
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = reverse("wagtailsnippets_market_buyerorganization:edit", args=[org.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"status": "approved", "credit_days": "30", "credit_limit_cop": "2000000"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    org.refresh_from_db()
    assert org.is_approved() and org.has_credit()
    assert (org.credit_days, org.credit_limit_cop) == (30, 2_000_000)


@pytest.mark.django_db
def test_credit_days_outside_the_terms_are_refused(client):
    org = BuyerOrganization.objects.create(
        kind="restaurant",
        legal_name="Restaurante La Olla",
        nit="900123456-8",
        billing_address="Cra 4 # 10-20",
        municipality=Municipality.objects.get(code="76001"),
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("wagtailsnippets_market_buyerorganization:edit", args=[org.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"status": "approved", "credit_days": "45", "credit_limit_cop": "1000"})
    assert client.post(url, data).status_code == 200
    org.refresh_from_db()
    assert org.credit_days == 0
