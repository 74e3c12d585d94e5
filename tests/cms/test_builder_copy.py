"""Copying a past market into a new draft owned by the builder who copies it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cms.models import MarketEventPage
from tests.cms.factories import make_builder, make_market, pickup_point
from tests.factories import CooperativeFactory, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def builder():
    return make_builder()


@pytest.fixture
def past_market(builder):
    frutos, pesca = CooperativeFactory(name="Frutos del Guaviare"), CooperativeFactory(name="Piscícola")
    araza, cachama = make_product(frutos, name="Arazá"), make_product(pesca, name="Cachama")
    closes_at = timezone.now() - timedelta(days=10)
    plaza, colegio = pickup_point("Plaza"), pickup_point("Colegio")
    first = closes_at + timedelta(days=1)
    return make_market(
        title="Mercado de agosto",
        opens_at=closes_at - timedelta(days=3),
        closes_at=closes_at,
        offers=[(araza, 5000, 20, 4), (cachama, 12000, 30)],
        slots=[(plaza, first, 10), (colegio, first + timedelta(hours=2), 5)],
        owner=builder,
    )


def _offers(page):
    return [(o.product_id, o.price_cop, o.quantity, o.max_per_buyer) for o in page.offers.all()]


def _slots(page):
    return [(s.pickup_point_id, s.capacity) for s in page.slots.all()]


def _copy(client, event, *, days_later=30):
    opens_at = timezone.localtime(event.opens_at + timedelta(days=days_later))
    closes_at = timezone.localtime(event.closes_at + timedelta(days=days_later))
    return client.post(
        reverse("cms_market_copy", args=[event.pk]),
        {
            "opens_at": opens_at.strftime("%Y-%m-%d %H:%M"),
            "closes_at": closes_at.strftime("%Y-%m-%d %H:%M"),
            "market_day": (event.market_day + timedelta(days=days_later)).isoformat(),
        },
    )


def test_copy_is_a_draft_with_the_same_cooperatives_offers_and_shifted_slots(client, builder, past_market):
    client.force_login(builder)
    form = client.get(reverse("cms_market_copy", args=[past_market.pk])).context["form"]
    assert form.initial["opens_at"] > timezone.now()
    response = _copy(client, past_market)
    copy = MarketEventPage.objects.exclude(pk=past_market.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_pages:edit", args=[copy.pk])
    assert not copy.live and copy.owner == builder
    assert copy.get_parent().pk == past_market.get_parent().pk
    assert set(copy.cooperatives.all()) == set(past_market.cooperatives.all())
    assert _offers(copy) == _offers(past_market)
    shift = timedelta(days=30)
    assert _slots(copy) == _slots(past_market)
    assert [s.starts_at for s in copy.slots.all()] == [s.starts_at + shift for s in past_market.slots.all()]
    assert copy.market_day == past_market.market_day + shift
    assert copy.opens_at > timezone.now()
    assert client.get(response["Location"]).status_code == 200


def test_copying_twice_to_the_same_day_gives_two_drafts(client, builder, past_market):
    client.force_login(builder)
    assert _copy(client, past_market).status_code == 302
    assert _copy(client, past_market).status_code == 302
    assert MarketEventPage.objects.filter(live=False).count() == 2


def test_copy_needs_close_after_open(client, builder, past_market):
    client.force_login(builder)
    response = client.post(
        reverse("cms_market_copy", args=[past_market.pk]),
        {"opens_at": "2030-05-02 08:00", "closes_at": "2030-05-01 08:00", "market_day": "2030-05-03"},
    )
    assert response.status_code == 200 and "closes_at" in response.context["form"].errors
    assert MarketEventPage.objects.count() == 1


def test_another_builder_cannot_copy_it(client, past_market):
    client.force_login(make_builder())
    assert _copy(client, past_market).status_code == 404
    assert MarketEventPage.objects.count() == 1


def test_a_copy_can_be_sent_for_approval_at_once_without_what_can_no_longer_be_sold(
    client, builder, past_market
):
    from wagtail.models import WorkflowState

    from cooperatives.models import VerificationStatus

    pesca = past_market.offers.get(product__name="Cachama").product.cooperative
    pesca.verification_status = VerificationStatus.PENDING
    pesca.save(update_fields=["verification_status"])
    client.force_login(builder)
    opens_at = timezone.localtime(past_market.opens_at + timedelta(days=30))
    response = client.post(
        reverse("cms_market_copy", args=[past_market.pk]),
        {
            "opens_at": opens_at.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (opens_at + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "market_day": (past_market.market_day + timedelta(days=30)).isoformat(),
            "action-submit": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("cms_market_list")
    copy = MarketEventPage.objects.exclude(pk=past_market.pk).get()
    assert [o.product.name for o in copy.offers.all()] == ["Arazá"]
    assert list(copy.cooperatives.all()) == [
        past_market.offers.get(product__name="Arazá").product.cooperative
    ]
    assert WorkflowState.objects.filter(object_id=str(copy.pk), status="in_progress").exists()
