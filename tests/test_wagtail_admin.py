"""Platform staff verify cooperatives and manage the catalogue in the Wagtail admin."""

import pytest
from django.urls import reverse

from catalog.models import Product
from cooperatives.models import Cooperative, VerificationStatus
from tests.factories import CooperativeFactory, UserFactory, make_product
from tests.helpers import form_values, snippet_edit_url


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.mark.django_db
def test_staff_verifies_a_cooperative_and_it_becomes_public(client, staff):
    cooperative = CooperativeFactory(verification_status=VerificationStatus.PENDING, name="COOPNIS")
    make_product(cooperative, name="Panela pulverizada")
    assert client.get("/catalogo/?q=panela").content.decode().count("Panela pulverizada") == 0
    client.force_login(staff)
    url = snippet_edit_url(Cooperative, cooperative.pk)
    data = form_values(client.get(url).context["form"])
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
    url = snippet_edit_url(Product, product.pk)
    data = form_values(client.get(url).context["form"])
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
