"""A business registers itself; it waits for staff, who are told by e-mail once it is saved.

Until staff approve it, its member cannot order in its name (checkout offers only approved
organisations); once approved, she can.
"""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext

from market import services
from market.exceptions import DuplicateNitError
from market.models import BuyerOrganization, DeliveryAddress, Municipality, OrganizationMember
from orders.models import Order
from tests.factories import CooperativeFactory, UserFactory, make_product
from tests.orders.factories import fill_cart

URL = "/organizacion/registrar/"
WAITING = "Your organisation is waiting for approval."


def _data(**overrides):
    data = {
        "kind": "hotel",
        "legal_name": "Hotel Ribera del Pance S.A.S.",
        "nit": "890.301.880-6",
        "billing_address": "Avenida 6N # 23-45",
        "municipality": "76001",
        "email": "Compras@HotelRibera.co",
        "phone": "300 555 0110",
        "entrega-label": "Cocina principal",
        "entrega-address": "Avenida 6N # 23-45, calle lateral",
        "entrega-instructions": "De 6 a 10 a. m.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def staff(db):
    """Two active staff who review; an inactive one and a plain user who must not be written to."""
    UserFactory(email="antigua@minga.co", is_staff=True, is_active=False)
    UserFactory(email="cliente@example.org")
    return [
        UserFactory(email="revisora@minga.co", is_staff=True),
        UserFactory(email="admin@minga.co", is_staff=True, is_superuser=True),
    ]


@pytest.fixture
def owner(db):
    return UserFactory(email="compras@hotelribera.co")


def _nothing_saved():
    assert not BuyerOrganization.objects.filter(legal_name="Hotel Ribera del Pance S.A.S.").exists()
    assert not OrganizationMember.objects.exists()
    assert not DeliveryAddress.objects.exists()


def test_the_url_is_spanish_under_the_language_prefix():
    assert reverse("market:organization_register") == URL


def test_registering_creates_a_pending_organisation_and_tells_staff_once_after_commit(
    client, owner, staff, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(URL, _data())
        assert mail.outbox == []  # nothing is sent before the registration commits
    assert len(callbacks) == 1

    organization = BuyerOrganization.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("market:organization_detail", args=[organization.pk])
    assert organization.status == "pending" and not organization.is_approved()
    assert (organization.credit_days, organization.credit_limit_cop) == (0, 0)
    assert organization.nit == "890301880-6"  # normalised
    assert organization.phone == "+573005550110"
    assert organization.email == "compras@hotelribera.co"
    member = OrganizationMember.objects.get()
    assert (member.organization, member.user, member.can_order) == (organization, owner, True)
    address = DeliveryAddress.objects.get()
    assert (address.organization, address.label) == (organization, "Cocina principal")
    assert address.municipality.code == "76001"  # the first address is in the billing municipality
    assert address.instructions == "De 6 a 10 a. m."

    callbacks[0]()
    assert sorted(address for m in mail.outbox for address in m.to) == ["admin@minga.co", "revisora@minga.co"]
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox), "one message per staff member"
    message = mail.outbox[0]
    assert "Hotel Ribera del Pance S.A.S." in message.subject
    admin_url = "http://testserver" + reverse(
        "wagtailsnippets_market_buyerorganization:edit", args=[organization.pk]
    )
    assert admin_url in message.body
    assert "890301880-6" in message.body and "compras@hotelribera.co" in message.body

    page = client.get(response.url)
    assert page.status_code == 200
    assert gettext(WAITING) in page.content.decode()


def test_without_active_staff_nobody_is_written_to(client, owner, django_capture_on_commit_callbacks):
    UserFactory(email="antigua@minga.co", is_staff=True, is_active=False)
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(URL, _data()).status_code == 302
    assert mail.outbox == []


def test_the_first_delivery_address_is_optional(client, owner, staff, django_capture_on_commit_callbacks):
    client.force_login(owner)
    data = _data(**{"entrega-label": "", "entrega-address": "", "entrega-instructions": ""})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, data)
    assert response.status_code == 302
    assert BuyerOrganization.objects.get().delivery_addresses.count() == 0
    assert len(mail.outbox) == len(staff)  # one review e-mail per active staff member


def test_a_half_filled_first_address_is_refused(client, owner, staff):
    client.force_login(owner)
    response = client.post(URL, _data(**{"entrega-address": ""}))
    assert response.status_code == 400
    assert "address" in response.context["address_form"].errors
    _nothing_saved()


def test_a_duplicate_nit_is_a_clear_error_and_nothing_is_saved(
    client, owner, staff, django_capture_on_commit_callbacks
):
    # Staff typed it in the admin with dots; she types it without: still the same NIT.
    BuyerOrganization.objects.create(
        kind="hotel",
        legal_name="Hotel Dann Carlton",
        nit="890.301.880-6",
        billing_address="Av. Colombia 1-60",
        municipality=Municipality.objects.get(code="76001"),
    )
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(URL, _data(nit="8903018806"))
    assert response.status_code == 400
    [error] = response.context["form"].errors["nit"]
    assert error == gettext(
        "An organisation with this NIT is already registered. If you work there, ask the "
        "person who registered it, or write to us, to add you as a member."
    )
    assert "Hotel Dann Carlton" not in response.content.decode()  # whose NIT it is stays private
    assert BuyerOrganization.objects.count() == 1
    assert not OrganizationMember.objects.exists() and not DeliveryAddress.objects.exists()
    assert callbacks == [] and mail.outbox == []


def test_two_registrations_of_one_nit_at_the_same_moment_keep_one(owner, staff, monkeypatch):
    """The check passed for both; the unique constraint refuses the second, as a clear error."""
    services.organization_register(
        user=owner,
        kind="hotel",
        legal_name="Primero",
        nit="890301880-6",
        billing_address="Calle 1",
        municipality=Municipality.objects.get(code="76001"),
        email="a@example.org",
    )
    monkeypatch.setattr(services, "nit_taken", lambda nit: False)
    with pytest.raises(DuplicateNitError):
        services.organization_register(
            user=UserFactory(),
            kind="hotel",
            legal_name="Segundo",
            nit="890301880-6",
            billing_address="Calle 2",
            municipality=Municipality.objects.get(code="76001"),
            email="b@example.org",
        )
    assert list(BuyerOrganization.objects.values_list("legal_name", flat=True)) == ["Primero"]
    assert OrganizationMember.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():  # the constraint is the last word
        BuyerOrganization.objects.create(
            kind="hotel",
            legal_name="Tercero",
            nit="890301880-6",
            billing_address="Calle 3",
            municipality=Municipality.objects.get(code="76001"),
        )


def test_a_wrong_check_digit_is_refused(client, owner, staff, django_capture_on_commit_callbacks):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, _data(nit="890.301.880-5"))
    assert response.status_code == 400
    assert response.context["form"].errors["nit"] == [
        gettext("The NIT check digit does not match. Check the number.")
    ]
    _nothing_saved()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "field, value",
    [("phone", "12"), ("municipality", "99999"), ("kind", "broker"), ("email", "no-es-correo")],
)
def test_other_bad_values_are_refused(client, owner, field, value):
    client.force_login(owner)
    response = client.post(URL, _data(**{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    _nothing_saved()


def test_not_signed_in_goes_to_the_login_page_and_nothing_is_saved(client, staff):
    for response in (client.get(URL), client.post(URL, _data())):
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    _nothing_saved()
    assert mail.outbox == []


def test_the_form_offers_the_municipalities_grouped_by_department(client, owner):
    client.force_login(owner)
    html = client.get(URL).content.decode()
    assert '<optgroup label="Valle del Cauca">' in html
    assert '<option value="76001">Cali</option>' in html
    # A name found in several departments says which one it is.
    assert '<option value="76100">Bolívar (Valle del Cauca)</option>' in html
    assert html.count("<option") > 1100


def test_the_order_list_links_to_registration_and_to_her_organisations(client, owner):
    other = BuyerOrganization.objects.create(
        kind="shop",
        legal_name="Tienda De Otra",
        nit="900123456-8",
        billing_address="Calle 1",
        municipality=Municipality.objects.get(code="76001"),
    )
    OrganizationMember.objects.create(organization=other, user=UserFactory())
    client.force_login(owner)
    html = client.get(reverse("orders:list")).content.decode()
    assert URL in html and "Tienda De Otra" not in html
    mine = services.organization_register(
        user=owner,
        kind="hotel",
        legal_name="Hotel Propio",
        nit="890301880-6",
        billing_address="Calle 2",
        municipality=Municipality.objects.get(code="76001"),
        email="a@example.org",
    )
    html = client.get(reverse("orders:list")).content.decode()
    assert reverse("market:organization_detail", args=[mine.pk]) in html and "Hotel Propio" in html


# --- Approval decides whether she may order for it -------------------------------------------


@pytest.fixture
def registered(client, owner, staff, django_capture_on_commit_callbacks):
    """Registered through the page, by `owner`, signed in on `client`; the staff e-mail sent."""
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, _data())
    return BuyerOrganization.objects.get()


@pytest.fixture
def cart(owner):
    cooperative = CooperativeFactory(offers_delivery=True, delivery_fee_cop=5000)
    product = make_product(cooperative, name="Yuca fresca", price_cop=2500, stock=Decimal("40"))
    fill_cart(owner, [(product, 4)])
    return product


def _checkout_for(client, organization, **data):
    payload = {
        "buyer": str(organization.pk),
        "delivery_method": "pickup",
        "payment_method": "transfer",
        "purchase_order_number": "OC-1",
    }
    payload.update(data)
    return client.post(reverse("orders:checkout"), payload)


def test_a_pending_organisation_cannot_order(client, registered, cart):
    page = client.get(reverse("orders:checkout")).content.decode()
    assert f'value="{registered.pk}"' not in page
    assert "Cocina principal" not in page  # its saved address is not offered either
    response = _checkout_for(client, registered)
    assert response.status_code == 400
    assert not Order.objects.exists()
    cart.refresh_from_db()
    assert cart.stock == Decimal("40")


def test_a_rejected_organisation_cannot_order(client, registered, cart):
    registered.status = "rejected"
    registered.save()
    assert _checkout_for(client, registered).status_code == 400
    assert not Order.objects.exists()


def test_once_staff_approve_it_she_orders_for_it_with_its_saved_address(client, registered, staff, cart):
    # Staff approve it and grant credit in the Wagtail admin, as they do.
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("wagtailsnippets_market_buyerorganization:edit", args=[registered.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"status": "approved", "credit_days": "15", "credit_limit_cop": "500000"})
    assert client.post(url, data).status_code == 302
    registered.refresh_from_db()
    assert registered.is_approved() and registered.has_credit()

    client.force_login(registered.members.get().user)
    detail = client.get(reverse("market:organization_detail", args=[registered.pk])).content.decode()
    assert gettext(WAITING) not in detail
    assert "$\xa0500.000" in detail
    page = client.get(reverse("orders:checkout")).content.decode()
    assert f'value="{registered.pk}"' in page
    address = registered.delivery_addresses.get()
    response = _checkout_for(
        client,
        registered,
        delivery_method="delivery",
        saved_address=str(address.pk),
        payment_method="invoice",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    order = Order.objects.get()
    assert order.organization == registered
    assert order.delivery_address.startswith("Cocina principal: Avenida 6N # 23-45, calle lateral, Cali")
    assert order.due_on is not None


def test_one_person_cannot_flood_staff_with_registrations(client, owner, staff):
    from market.models import OrganizationStatus
    from market.services import MAX_PENDING_REGISTRATIONS
    from tests.orders.factories import make_organization

    for _ in range(MAX_PENDING_REGISTRATIONS):
        make_organization(member=owner, status=OrganizationStatus.PENDING)
    client.force_login(owner)
    response = client.post(URL, _data())
    assert response.status_code == 400
    assert BuyerOrganization.objects.count() == MAX_PENDING_REGISTRATIONS
    assert not mail.outbox
    errors = " ".join(response.context["form"].non_field_errors())
    assert str(MAX_PENDING_REGISTRATIONS) in errors and errors in response.content.decode()


def test_a_line_break_in_the_name_is_one_line_and_staff_are_still_told(
    client, owner, staff, django_capture_on_commit_callbacks
):
    """A pasted name with a line break used to be stored as typed, and the staff e-mail then
    failed silently (a line break is not allowed in a subject)."""
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            _data(legal_name="Hotel Ribera\r\ndel Pance\nS.A.S.", billing_address="Avenida 6N\n# 23-45"),
        )
    assert response.status_code == 302
    organization = BuyerOrganization.objects.get()
    assert organization.legal_name == "Hotel Ribera del Pance S.A.S."
    assert organization.billing_address == "Avenida 6N # 23-45"
    assert len(mail.outbox) == 2
    assert all("Hotel Ribera del Pance S.A.S." in m.subject for m in mail.outbox)


def test_a_name_stored_with_a_line_break_still_reaches_staff(
    owner, staff, django_capture_on_commit_callbacks
):
    """Rows written before names were cleaned (or by staff in the admin) still send."""
    from market.notifications import organization_registered

    organization = BuyerOrganization.objects.create(
        kind="hotel",
        legal_name="Hotel\nViejo",
        nit="890301880-6",
        billing_address="Calle 1",
        municipality=Municipality.objects.get(code="76001"),
        email="viejo@example.org",
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        organization_registered(organization)
    assert [m.subject for m in mail.outbox] == ["[Minga] Organización por revisar: Hotel Viejo"] * 2
