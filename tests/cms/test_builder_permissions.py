"""Market Builders in the Wagtail admin: their own markets, nothing else in the page tree."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page, WorkflowPage

from cms.models import HomePage, MarketIndexPage, PickupPoint
from market.models import MARKET_BUILDERS_GROUP
from tests.cms.factories import make_builder, make_market, market_index
from tests.factories import UserFactory, make_product

pytestmark = pytest.mark.django_db


def _edit(client, page):
    return client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))


@pytest.fixture
def builder():
    return make_builder()


@pytest.fixture
def product():
    return make_product(name="Arazá")


def test_the_site_has_a_market_index_where_builders_may_add_but_not_publish():
    index = MarketIndexPage.objects.get()
    assert index.slug == "mercados" and index.live
    assert isinstance(index.get_parent().specific, HomePage)
    group = Group.objects.get(name=MARKET_BUILDERS_GROUP)
    codenames = set(
        GroupPagePermission.objects.filter(group=group, page=index).values_list(
            "permission__codename", flat=True
        )
    )
    assert codenames == {"add_page"}
    assert WorkflowPage.objects.get(page=index).workflow.name == "Aprobación del equipo de Minga"
    assert group.permissions.filter(codename="access_admin").exists()
    assert set(
        group.permissions.filter(content_type__model="pickuppoint").values_list("codename", flat=True)
    ) == {
        "add_pickuppoint",
        "change_pickuppoint",
        "view_pickuppoint",
    }
    image_perms = GroupCollectionPermission.objects.filter(
        group=group, collection=Collection.get_first_root_node()
    )
    assert {"add_image", "choose_image"} <= set(image_perms.values_list("permission__codename", flat=True))


def test_the_permissions_migration_can_run_again_without_duplicates():
    migration = importlib.import_module("cms.migrations.0004_market_builders_permissions")
    group = Group.objects.get(name=MARKET_BUILDERS_GROUP)
    before = (group.permissions.count(), group.page_permissions.count(), group.collection_permissions.count())
    migration.grant(django_apps, None)
    after = (group.permissions.count(), group.page_permissions.count(), group.collection_permissions.count())
    assert after == before
    assert MarketIndexPage.objects.count() == 1
    assert not any(Page.find_problems())


def test_builder_edits_her_own_market(client, builder, product):
    event = make_market(offers=[(product, 5000, 10)], owner=builder)
    client.force_login(builder)
    assert _edit(client, event).status_code == 200


def test_builder_cannot_edit_another_builders_market(client, builder, product):
    other = make_market(offers=[(product, 5000, 10)], owner=make_builder())
    client.force_login(builder)
    response = _edit(client, other)
    assert response.status_code == 404  # the admin does not even confirm that it exists
    assert reverse("wagtailadmin_pages:edit", args=[other.pk]) not in response.get("Location", "")


def test_builder_cannot_edit_the_home_page_nor_the_market_index(client, builder):
    client.force_login(builder)
    home = Page.objects.get(depth=2)
    for page in (home, market_index()):
        response = _edit(client, page)
        assert response.status_code in (302, 403), page


def test_builder_cannot_add_pages_outside_the_market_index(client, builder):
    client.force_login(builder)
    home = Page.objects.get(depth=2)
    url = reverse("wagtailadmin_pages:add", args=["cms", "standardpage", home.pk])
    assert client.get(url).status_code in (302, 403)
    url = reverse("wagtailadmin_pages:add", args=["cms", "marketeventpage", market_index().pk])
    assert client.get(url).status_code == 200


def test_builder_sees_only_her_own_reports(client, builder, product):
    own = make_market(offers=[(product, 5000, 10)], owner=builder)
    other = make_market(offers=[(product, 5000, 10)], owner=make_builder())
    client.force_login(builder)
    assert client.get(reverse("cms_market_report", args=[own.pk])).status_code == 200
    for name in ("cms_market_report", "cms_market_assist", "cms_market_copy"):
        assert client.get(reverse(name, args=[other.pk])).status_code == 404, name
    listing = client.get(reverse("cms_market_list")).content.decode()
    assert reverse("cms_market_report", args=[own.pk]) in listing
    assert reverse("cms_market_report", args=[other.pk]) not in listing


def test_a_builder_removed_from_the_group_loses_her_reports(client, builder, product):
    event = make_market(offers=[(product, 5000, 10)], owner=builder)
    builder.groups.clear()
    builder.user_permissions.add(*Group.objects.get(name=MARKET_BUILDERS_GROUP).permissions.all())
    client.force_login(builder)
    assert client.get(reverse("cms_market_report", args=[event.pk])).status_code == 404


def test_staff_see_every_report(client, product):
    event = make_market(offers=[(product, 5000, 10)], owner=make_builder())
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(reverse("cms_market_report", args=[event.pk])).status_code == 200


def test_report_button_on_the_page_header_and_markets_menu(client, builder, product):
    event = make_market(offers=[(product, 5000, 10)], owner=builder)
    client.force_login(builder)
    html = _edit(client, event).content.decode()
    assert reverse("cms_market_report", args=[event.pk]) in html
    assert reverse("cms_market_list") in html


def test_builder_adds_a_pickup_point_snippet(client, builder):
    client.force_login(builder)
    url = reverse("wagtailsnippets_cms_pickuppoint:add")
    response = client.post(
        url, {"name": "Coliseo", "address": "Carrera 20 # 10-5", "municipality": "95001", "instructions": ""}
    )
    assert response.status_code == 302
    assert PickupPoint.objects.filter(name="Coliseo").exists()


def test_a_cooperative_manager_gets_no_admin_access(client, manager, product):
    event = make_market(offers=[(product, 5000, 10)], owner=make_builder())
    client.force_login(manager)
    assert client.get(reverse("wagtailadmin_home")).status_code in (302, 403)
    assert client.get(reverse("cms_market_report", args=[event.pk])).status_code in (302, 403)


def test_her_submit_button_names_the_workflow_in_spanish(client, builder):
    event = make_market(owner=builder, publish=False)
    client.force_login(builder)
    page = _edit(client, event).content.decode()
    assert "Aprobación del equipo de Minga" in page
    assert "Moderators" not in page
