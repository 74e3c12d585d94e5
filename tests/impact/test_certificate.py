"""An institutional buyer's yearly certificate of purchases from small producers (Ley 2046)."""

import pytest
from django.test import Client
from django.urls import reverse

from market.models import BuyerOrganization
from tests.factories import UserFactory
from tests.impact.fixtures import build

pytestmark = pytest.mark.django_db


def test_the_hotel_gets_its_purchases_by_municipality_of_origin():
    world = build()
    hotel = BuyerOrganization.objects.get()
    buyer = hotel.members.get().user
    client = Client()
    client.force_login(buyer)
    page = client.get(reverse("impact:purchases_certificate", args=[hotel.pk, 2026]))
    html = page.content.decode()
    assert page.status_code == 200
    # Cassava 5 kg x 2.000 from Anorí; eggs 2 dozen x 12.000 from San José del Guaviare.
    assert "Anorí" in html and "05040" in html and "$\xa010.000" in html
    assert "San José del Guaviare" in html and "$\xa024.000" in html
    assert "$\xa034.000" in html
    assert "Ley 2046 de 2020" in html
    assert world["household"].email not in html


def test_another_organisations_certificate_or_a_future_year_is_404():
    build()
    hotel = BuyerOrganization.objects.get()
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(reverse("impact:purchases_certificate", args=[hotel.pk, 2026])).status_code == 404
    member = Client()
    member.force_login(hotel.members.get().user)
    assert member.get(reverse("impact:purchases_certificate", args=[hotel.pk, 2999])).status_code == 404
