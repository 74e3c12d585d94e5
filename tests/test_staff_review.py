"""Platform staff review cooperatives and buyer organisations in the Wagtail admin: the
dashboard says what waits, with counts and links; a cooperative is verified only with its
NIT; the people are told of the decision; the admin's messages agree with any noun; NITs and
money read the Colombian way in the lists."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms.wagtail_hooks import staff_review_panel  # noqa: F401  (the panel is registered)
from cooperatives.models import Cooperative, VerificationStatus
from market.models import BuyerOrganization, Message, OrganizationStatus
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory
from tests.helpers import snippet_edit_url, snippet_post
from tests.orders.factories import make_organization

pytestmark = pytest.mark.django_db

NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _list_url(model):
    return reverse(f"wagtailsnippets_{model._meta.app_label}_{model._meta.model_name}:list")


def _flash(response) -> list[str]:
    """The admin's messages, without the "Editar" button Wagtail appends."""
    return [str(m).split("<span", 1)[0].strip() for m in get_messages(response.wsgi_request)]


# --- The dashboard ------------------------------------------------------------------------


def test_the_dashboard_tells_staff_what_waits_with_counts_and_links(client, staff):
    first = CooperativeFactory(name="Piscícola Miranda", verification_status=VerificationStatus.PENDING)
    CooperativeFactory(name="Asoprocaña", verification_status=VerificationStatus.PENDING)
    CooperativeFactory(name="Ya Verificada")
    hotel = make_organization(legal_name="Hotel Ribera S.A.S.", status=OrganizationStatus.PENDING)
    make_organization(legal_name="Restaurante Aprobado", status=OrganizationStatus.APPROVED)

    page = client.get(reverse("wagtailadmin_home")).content.decode()

    assert "Esperan su revisión" in page
    assert "2 cooperativas por verificar" in page
    assert "1 organización compradora por aprobar" in page
    assert f'href="{snippet_edit_url(Cooperative, first.pk)}"' in page
    assert f'href="{snippet_edit_url(BuyerOrganization, hotel.pk)}"' in page
    assert "Ya Verificada" not in page and "Restaurante Aprobado" not in page


def test_the_dashboard_says_when_nothing_waits(client, staff):
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "0 cooperativas por verificar" in page and "Nada pendiente." in page


def test_a_long_queue_links_to_the_filtered_list_and_costs_no_more_queries(client, staff):
    CooperativeFactory(verification_status=VerificationStatus.PENDING)
    client.get(reverse("wagtailadmin_home"))  # warm up: the first request also fills caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("wagtailadmin_home"))
    for _ in range(7):
        CooperativeFactory(verification_status=VerificationStatus.PENDING)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "8 cooperativas por verificar" in page
    assert f'href="{_list_url(Cooperative)}?verification_status=pending"' in page
    assert page.count(f'href="{_list_url(Cooperative).rstrip("/")}/edit/') == 5
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_market_builder_sees_no_review_panel(client):
    builder = UserFactory()
    from django.contrib.auth.models import Group

    from market.models import MARKET_BUILDERS_GROUP

    builder.groups.add(Group.objects.get(name=MARKET_BUILDERS_GROUP))
    CooperativeFactory(name="Piscícola Miranda", verification_status=VerificationStatus.PENDING)
    client.force_login(builder)
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Esperan su revisión" not in page and "Piscícola Miranda" not in page


# --- Verifying a cooperative ----------------------------------------------------------------


def test_verifying_a_cooperative_without_its_nit_is_refused_and_tells_nobody(client, staff):
    cooperative = CooperativeFactory(
        name="Piscícola Miranda", nit="", verification_status=VerificationStatus.PENDING
    )
    MembershipFactory(cooperative=cooperative)
    response = snippet_post(client, cooperative, verification_status=VerificationStatus.VERIFIED)
    assert response.status_code == 200
    assert response.context["form"].errors["nit"] == [
        "Escriba el NIT de la cooperativa antes de verificarla."
    ]
    assert "Escriba el NIT de la cooperativa antes de verificarla." in response.content.decode()
    cooperative.refresh_from_db()
    assert cooperative.verification_status == VerificationStatus.PENDING
    assert not Message.objects.exists()


def test_verifying_with_the_nit_tells_the_managers_and_the_message_agrees(
    client, staff, django_capture_on_commit_callbacks
):
    cooperative = CooperativeFactory(
        name="Piscícola Miranda", nit="", verification_status=VerificationStatus.PENDING
    )
    MembershipFactory(cooperative=cooperative, user=UserFactory(email="gerente@miranda.co"))
    with django_capture_on_commit_callbacks(execute=True):
        response = snippet_post(
            client,
            cooperative,
            verification_status=VerificationStatus.VERIFIED,
            nit="900.123.456-8",
        )
    assert response.status_code == 302, response.context["form"].errors
    cooperative.refresh_from_db()
    assert cooperative.is_verified() and cooperative.nit == "900123456-8"
    told = Message.objects.filter(kind="cooperative_verified", address="gerente@miranda.co")
    assert told.count() == 1
    assert _flash(response) == ["Se guardaron los cambios: Cooperativa «Piscícola Miranda»."]


def test_a_verified_cooperative_without_a_nit_can_still_be_edited(client, staff):
    """The rule is for the decision: an older verified cooperative keeps being editable."""
    cooperative = CooperativeFactory(nit="", verification_status=VerificationStatus.VERIFIED)
    response = snippet_post(client, cooperative, known_for="Panela")
    assert response.status_code == 302, response.context["form"].errors


def test_refusing_an_organisation_tells_its_members_and_the_message_agrees(
    client, staff, django_capture_on_commit_callbacks
):
    member = UserFactory(email="compras@hotelribera.co")
    organization = make_organization(
        member=member, legal_name="Hotel Ribera S.A.S.", status=OrganizationStatus.PENDING
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = snippet_post(
            client,
            organization,
            status=OrganizationStatus.REJECTED,
            decision_reason="El NIT no corresponde a la razón social.",
        )
    assert response.status_code == 302, response.context["form"].errors
    assert Message.objects.filter(kind="organization_refused", address="compras@hotelribera.co").exists()
    (flash,) = _flash(response)
    assert flash == "Se guardaron los cambios: Organización compradora «Hotel Ribera S.A.S.»."


# --- The lists ------------------------------------------------------------------------------


def test_lists_show_nits_and_money_the_colombian_way(client, staff):
    CooperativeFactory(name="Piscícola Miranda", nit="900123456-8")
    make_organization(legal_name="Hotel Ribera S.A.S.", nit="890301880-6", credit_limit_cop=5_000_000)

    cooperatives = client.get(_list_url(Cooperative)).content.decode()
    organizations = client.get(_list_url(BuyerOrganization)).content.decode()

    assert "900.123.456-8" in cooperatives
    assert "890.301.880-6" in organizations and "890301880-6" not in organizations
    assert f"${NBSP}5.000.000" in organizations and "5000000" not in organizations
