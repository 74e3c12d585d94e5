"""Platform staff verify cooperatives and manage the catalogue in the Wagtail admin."""

import pytest
from django.urls import reverse

from catalog.models import Product
from cooperatives.models import Cooperative, VerificationStatus
from tests.factories import CooperativeFactory, UserFactory, make_product


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


def _edit_url(model, pk):
    return reverse(f"wagtailsnippets_{model._meta.app_label}_{model._meta.model_name}:edit", args=[pk])


def _form_data(response):
    """The edit form's current values, as a browser would post them back."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


@pytest.mark.django_db
def test_staff_verifies_a_cooperative_and_it_becomes_public(client, staff):
    cooperative = CooperativeFactory(verification_status=VerificationStatus.PENDING, name="COOPNIS")
    make_product(cooperative, name="Panela pulverizada")
    assert client.get("/catalogo/?q=panela").content.decode().count("Panela pulverizada") == 0
    client.force_login(staff)
    url = _edit_url(Cooperative, cooperative.pk)
    data = _form_data(client.get(url))
    data["verification_status"] = VerificationStatus.VERIFIED
    data["nit"] = "900123456-8"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    cooperative.refresh_from_db()
    assert cooperative.is_verified() and cooperative.verified_at is not None
    assert "<mark>Panela</mark> pulverizada" in client.get("/catalogo/?q=panela").content.decode()


@pytest.mark.django_db
def test_staff_edit_of_a_product_keeps_search_text_fresh(client, staff):
    product = make_product(name="Yuca fresca")
    client.force_login(staff)
    url = _edit_url(Product, product.pk)
    data = _form_data(client.get(url))
    data["name"] = "Ñame espino"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    product.refresh_from_db()
    assert "name espino" in product.search_text


@pytest.mark.django_db
def test_workspace_users_cannot_open_the_admin(client, manager):
    client.force_login(manager)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code in (302, 403)
