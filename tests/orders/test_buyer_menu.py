""" "Mi cooperativa" in the menu is for people who belong to one; others never see it."""

from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory

LINK = 'href="/espacio/"'


def test_a_household_buyer_does_not_see_my_cooperative(client, db):
    client.force_login(UserFactory())
    assert LINK not in client.get(reverse("catalog:list")).content.decode()


def test_a_member_sees_my_cooperative(client, db):
    member = MembershipFactory(role="member").user
    client.force_login(member)
    assert LINK in client.get(reverse("catalog:list")).content.decode()
    assert LINK in client.get(reverse("orders:list")).content.decode()  # remembered, still shown


def test_the_answer_follows_the_person_signed_in(client, db):
    member = MembershipFactory(role="manager").user
    client.force_login(member)
    assert LINK in client.get(reverse("catalog:list")).content.decode()
    client.force_login(UserFactory())  # another person on the same browser
    assert LINK not in client.get(reverse("catalog:list")).content.decode()


def test_an_anonymous_visitor_does_not_see_it(client, db):
    assert LINK not in client.get(reverse("catalog:list")).content.decode()
