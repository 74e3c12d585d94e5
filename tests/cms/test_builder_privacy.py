"""A Market Builder sees her own markets in the Wagtail admin, never another builder's:
not in the page explorer, its search, the page chooser, a page's history or bulk actions,
and never another builder's e-mail address."""

import pytest
from django.urls import reverse

from tests.cms.factories import make_builder, make_market, market_index
from tests.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_builders():
    ana = make_builder(email="ana.constructora@example.org")
    rosa = make_builder(email="rosa.constructora@example.org")
    product = make_product(name="Arazá")
    hers = make_market(title="Mercado de Ana en Mocoa", owner=ana, offers=[(product, 5000, 10)])
    other = make_market(
        title="Mercado secreto de Rosa", owner=rosa, offers=[(product, 5000, 10)], publish=False
    )
    return ana, rosa, hers, other


SECRETS = ("Mercado secreto de Rosa", "rosa.constructora@example.org")


def _clean(response):
    body = response.content.decode()
    return [secret for secret in SECRETS if secret in body]


def test_explorer_search_and_chooser_list_only_her_markets(client, two_builders):
    ana, _rosa, hers, other = two_builders
    client.force_login(ana)
    index = market_index()
    listing = client.get(reverse("wagtailadmin_explore", args=[index.pk]))
    assert listing.status_code == 200 and "Mercado de Ana en Mocoa" in listing.content.decode()
    assert _clean(listing) == []
    assert _clean(client.get(reverse("wagtailadmin_explore", args=[index.pk]) + "?q=Rosa")) == []
    search = client.get(reverse("wagtailadmin_pages:search") + "?q=Mercado", follow=True)
    assert search.redirect_chain[-1][0] == reverse("cms_market_list")
    assert "Mercado de Ana en Mocoa" in search.content.decode() and _clean(search) == []
    assert _clean(client.get(reverse("wagtailadmin_choose_page") + "?q=Mercado")) == []
    assert _clean(client.get(reverse("wagtailadmin_choose_page_child", args=[index.pk]))) == []


@pytest.mark.parametrize(
    "url",
    [
        "wagtailadmin_pages:history",
        "wagtailadmin_pages:edit",
        "wagtailadmin_pages:view_draft",
        "wagtailadmin_pages:revisions_index",
        "wagtailadmin_pages:workflow_history",
        "wagtailadmin_pages:usage",
    ],
)
def test_another_builders_market_pages_answer_404(client, two_builders, url):
    ana, _rosa, _hers, other = two_builders
    client.force_login(ana)
    response = client.get(reverse(url, args=[other.pk]))
    assert response.status_code in (403, 404), url
    assert _clean(response) == []


def test_bulk_actions_do_not_name_another_builders_market(client, two_builders):
    ana, _rosa, _hers, other = two_builders
    client.force_login(ana)
    for action in ("publish", "unpublish", "delete", "move"):
        url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", action]) + f"?id={other.pk}"
        response = client.get(url)
        assert _clean(response) == [], action


def test_staff_still_see_every_market(client, two_builders, admin_user):
    _ana, _rosa, _hers, other = two_builders
    client.force_login(admin_user)
    listing = client.get(reverse("wagtailadmin_explore", args=[market_index().pk]))
    assert "Mercado secreto de Rosa" in listing.content.decode()
    assert client.get(reverse("wagtailadmin_pages:history", args=[other.pk])).status_code == 200
