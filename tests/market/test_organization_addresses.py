"""The organisation's page for its members, and its delivery addresses.

Members who may order add and remove addresses; a member who only sees cannot. Anyone who
is not a member (staff included: they use the Wagtail admin) gets 404, for the page and for
any address id, including another organisation's address under her own organisation's URL.
"""

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from market import services
from market.exceptions import OrganizationError
from market.models import DeliveryAddress, Municipality, OrganizationMember, OrganizationStatus
from market.services import AddressInput
from tests.factories import UserFactory
from tests.orders.factories import make_organization


def _address(organization, label, *, instructions=""):
    return DeliveryAddress.objects.create(
        organization=organization,
        label=label,
        address="Avenida 6N # 23-45",
        municipality=Municipality.objects.get(code="76001"),
        instructions=instructions,
    )


@pytest.fixture
def people(db):
    return {
        "member": UserFactory(email="compras@hotelribera.co", first_name="Marta", last_name="Ríos"),
        "viewer": UserFactory(email="contadora@hotelribera.co", first_name="Luz", last_name="Pérez"),
        "outsider": UserFactory(email="otra@example.org"),
        "other_member": UserFactory(email="compras@clubcampestre.co"),
        "staff": UserFactory(is_staff=True, is_superuser=True),
    }


@pytest.fixture
def hotel(people):
    hotel = make_organization(
        member=people["member"], legal_name="Hotel Ribera", credit_days=30, credit_limit_cop=2_000_000
    )
    OrganizationMember.objects.create(organization=hotel, user=people["viewer"], can_order=False)
    hotel.kitchen = _address(hotel, "Cocina principal", instructions="INDICACION-PRIVADA")
    return hotel


@pytest.fixture
def club(people):
    club = make_organization(member=people["other_member"], legal_name="Club Campestre")
    club.kitchen = _address(club, "Cocina del club")
    return club


def _as(client, user):
    client.force_login(user)
    return client


def _detail(org):
    return reverse("market:organization_detail", args=[org.pk])


def _add(org):
    return reverse("market:address_add", args=[org.pk])


def _remove(org, address):
    return reverse("market:address_remove", args=[org.pk, address.pk])


NEW = {
    "label": "Bodega",
    "address": "Calle 5 # 3-20",
    "municipality": "05001",
    "instructions": "Tocar timbre",
}


def test_urls_are_spanish():
    assert reverse("market:organization_detail", args=[7]) == "/organizacion/7/"
    assert reverse("market:address_add", args=[7]) == "/organizacion/7/direcciones/nueva/"
    assert reverse("market:address_remove", args=[7, 3]) == "/organizacion/7/direcciones/3/quitar/"


def test_a_member_sees_status_credit_members_and_addresses(client, people, hotel):
    html = _as(client, people["member"]).get(_detail(hotel)).content.decode()
    assert "Hotel Ribera" in html and hotel.nit in html
    assert "$\xa02.000.000" in html  # credit terms, approved
    assert "Marta Ríos" in html and "Luz Pérez" in html
    assert "Cocina principal" in html and "INDICACION-PRIVADA" in html
    assert _add(hotel) in html and _remove(hotel, hotel.kitchen) in html
    assert gettext("Your organisation is waiting for approval.") not in html


def test_a_pending_organisation_says_it_waits_and_shows_no_credit(client, people, hotel):
    hotel.status = OrganizationStatus.PENDING
    hotel.save()
    html = _as(client, people["member"]).get(_detail(hotel)).content.decode()
    assert gettext("Your organisation is waiting for approval.") in html
    assert "$\xa02.000.000" not in html


def test_a_member_adds_an_address(client, people, hotel):
    _as(client, people["member"])
    assert client.get(_add(hotel)).status_code == 200
    response = client.post(_add(hotel), NEW)
    assert response.status_code == 302 and response.url == _detail(hotel)
    added = hotel.delivery_addresses.get(label="Bodega")
    assert (added.address, added.municipality.code, added.instructions) == (
        "Calle 5 # 3-20",
        "05001",
        "Tocar timbre",
    )
    assert "Bodega" in client.get(_detail(hotel)).content.decode()


def test_an_incomplete_address_is_refused(client, people, hotel):
    _as(client, people["member"])
    response = client.post(_add(hotel), {**NEW, "municipality": "", "label": ""})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"label", "municipality"}
    assert hotel.delivery_addresses.count() == 1


def test_a_member_removes_an_address(client, people, hotel):
    response = _as(client, people["member"]).post(_remove(hotel, hotel.kitchen))
    assert response.status_code == 302 and response.url == _detail(hotel)
    assert not hotel.delivery_addresses.exists()
    # A second time it is gone: 404, nothing else happens.
    assert client.post(_remove(hotel, hotel.kitchen)).status_code == 404


def test_removing_needs_post(client, people, hotel):
    assert _as(client, people["member"]).get(_remove(hotel, hotel.kitchen)).status_code == 405
    assert hotel.delivery_addresses.count() == 1


def test_a_member_who_only_sees_cannot_change_addresses(client, people, hotel):
    _as(client, people["viewer"])
    html = client.get(_detail(hotel)).content.decode()
    assert "Cocina principal" in html
    assert _add(hotel) not in html and _remove(hotel, hotel.kitchen) not in html
    assert client.get(_add(hotel)).status_code == 404
    assert client.post(_add(hotel), NEW).status_code == 404
    assert client.post(_remove(hotel, hotel.kitchen)).status_code == 404
    assert list(hotel.delivery_addresses.values_list("label", flat=True)) == ["Cocina principal"]


@pytest.mark.parametrize("who", ["outsider", "other_member", "staff"])
def test_anyone_not_a_member_gets_404_and_nothing_changes(client, people, hotel, club, who):
    _as(client, people[who])
    for response in (
        client.get(_detail(hotel)),
        client.get(_add(hotel)),
        client.post(_add(hotel), NEW),
        client.post(_remove(hotel, hotel.kitchen)),
    ):
        assert response.status_code == 404
        body = response.content.decode()
        assert "Hotel Ribera" not in body and "INDICACION-PRIVADA" not in body
    assert list(hotel.delivery_addresses.values_list("label", flat=True)) == ["Cocina principal"]


def test_a_missing_organisation_is_the_same_404(client, people):
    assert _as(client, people["member"]).get("/organizacion/999999/").status_code == 404


def test_another_organisations_address_under_her_own_url_is_404(client, people, hotel, club):
    _as(client, people["member"])
    assert client.post(_remove(hotel, club.kitchen)).status_code == 404  # her org, their address
    assert client.post(_remove(club, club.kitchen)).status_code == 404  # their org
    assert client.post(_remove(club, hotel.kitchen)).status_code == 404  # their org, her address
    assert DeliveryAddress.objects.filter(pk__in=[club.kitchen.pk, hotel.kitchen.pk]).count() == 2


def test_anonymous_is_sent_to_sign_in(client, hotel):
    for response in (
        client.get(_detail(hotel)),
        client.get(_add(hotel)),
        client.post(_remove(hotel, hotel.kitchen)),
    ):
        assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    assert hotel.delivery_addresses.count() == 1


def test_the_page_runs_the_same_queries_for_one_address_or_many(
    client, people, hotel, django_assert_max_num_queries
):
    _as(client, people["member"])
    client.get(_detail(hotel))
    for n in range(10):
        _address(hotel, f"Bodega {n}")
        OrganizationMember.objects.create(organization=hotel, user=UserFactory())
    with django_assert_max_num_queries(6):
        assert client.get(_detail(hotel)).status_code == 200


def test_the_services_refuse_a_member_who_may_not_order_even_without_the_views(people, hotel, club):
    """The rule lives in the service too: a view that forgot its check still could not write."""
    data = AddressInput(label="X", address="Calle 1", municipality=Municipality.objects.get(code="76001"))
    for actor in (people["viewer"], people["outsider"], people["other_member"]):
        with pytest.raises(OrganizationError):
            services.delivery_address_add(organization=hotel, actor=actor, data=data)
        with pytest.raises(OrganizationError):
            services.delivery_address_remove(organization=hotel, actor=actor, address_id=hotel.kitchen.pk)
    # Her own organisation cannot reach another's address.
    assert not services.delivery_address_remove(
        organization=hotel, actor=people["member"], address_id=club.kitchen.pk
    )
    assert DeliveryAddress.objects.count() == 2


def test_an_organisation_keeps_a_short_list_of_addresses(client, people, hotel):
    from market.services import MAX_DELIVERY_ADDRESSES

    for n in range(MAX_DELIVERY_ADDRESSES - hotel.delivery_addresses.count()):
        _address(hotel, f"Sede {n}")
    _as(client, people["member"])
    response = client.post(_add(hotel), NEW)
    assert response.status_code == 400
    assert str(MAX_DELIVERY_ADDRESSES) in response.content.decode()
    assert hotel.delivery_addresses.count() == MAX_DELIVERY_ADDRESSES
    assert not hotel.delivery_addresses.filter(label="Bodega").exists()
