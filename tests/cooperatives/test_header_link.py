""" "Mi cooperativa" is in the header only for people who belong to a cooperative: noted at
sign-in and when she accepts an invitation, so pages pay no query for it."""

import pytest
from django.urls import reverse
from django.utils import translation

from cooperatives.models import MembershipRole
from tests.factories import InvitationFactory, UserFactory

LINK_TEXT = "My cooperative"


def home_header(client) -> str:
    with translation.override("en"):
        path = reverse("catalog:list")
    html = client.get(path).content.decode()
    return html.split("</header>", 1)[0]


@pytest.mark.django_db
def test_a_buyer_sees_no_cooperative_link_and_a_manager_does(client, manager):
    buyer = UserFactory()
    client.force_login(buyer)
    assert LINK_TEXT not in home_header(client)
    assert "Mis pedidos" in home_header(client) or "My orders" in home_header(client)

    client.force_login(manager)
    assert LINK_TEXT in home_header(client)
    assert reverse("cooperatives:workspace_index") in home_header(client)


@pytest.mark.django_db
def test_accepting_an_invitation_shows_the_link_at_once(client, cooperative, manager):
    invitee = UserFactory(email="nueva@example.org")
    invitation = InvitationFactory(
        cooperative=cooperative, email=invitee.email, role=MembershipRole.MEMBER, invited_by=manager
    )
    client.force_login(invitee)
    assert LINK_TEXT not in home_header(client)

    with translation.override("en"):
        accept = reverse("cooperatives:invitation_accept", args=[invitation.token])
    assert client.post(accept).status_code == 302

    assert LINK_TEXT in home_header(client)
