"""A Market Builder creates and edits markets through the Wagtail page form.

The POST is what the admin's form sends: the fields it renders, the inline formsets'
management fields (`offers-TOTAL_FORMS`…), and what its JavaScript adds (the StreamField
count, the comments formset).
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from cms.models import MarketEventPage, MarketOffer
from cooperatives.models import VerificationStatus
from tests.cms.factories import make_builder, make_market, market_index, pickup_point
from tests.factories import CooperativeFactory, make_product

pytestmark = pytest.mark.django_db


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _market_post(*, title, cooperatives, offers, slots, initial_offers=0, initial_slots=0, **extra):
    opens_at = timezone.now() + timedelta(days=2)
    data = nested_form_data(
        {
            "title": title,
            "slug": slugify(title),
            "intro": streamfield([]),
            "organisers": "Asociación de Mujeres del Guaviare",
            "municipality": "95001",
            "opens_at": _when(opens_at),
            "closes_at": _when(opens_at + timedelta(days=3)),
            "market_day": (opens_at + timedelta(days=4)).date().isoformat(),
            "market_day_end": "",
            "delivery_fee_cop": "0",
            "delivery_min_order_cop": "0",
            "delivery_area": "",
            "offers": inline_formset(offers, initial=initial_offers),
            "slots": inline_formset(slots, initial=initial_slots),
            "comments": inline_formset([]),
        }
    )
    data["cooperatives"] = [str(c.pk) for c in cooperatives]
    data.update(extra)
    return data


def _offer(product, price="5000", quantity="20", **fields):
    return {
        "product": str(product.pk),
        "price_cop": price,
        "quantity": quantity,
        "max_per_buyer": "",
        **fields,
    }


def _slot(point, **fields):
    start = timezone.now() + timedelta(days=6)
    return {
        "pickup_point": str(point.pk),
        "starts_at": _when(start),
        "ends_at": _when(start + timedelta(hours=1)),
        "capacity": "10",
        **fields,
    }


@pytest.fixture
def builder():
    return make_builder()


@pytest.fixture
def add_url():
    return reverse("wagtailadmin_pages:add", args=["cms", "marketeventpage", market_index().pk])


def test_the_rendered_form_has_the_formsets_this_post_fills(client, builder, add_url):
    client.force_login(builder)
    html = client.get(add_url).content.decode()
    for name in (
        "offers-TOTAL_FORMS",
        "offers-__prefix__-product",
        "slots-__prefix__-pickup_point",
        "opens_at",
    ):
        assert f'name="{name}"' in html


def test_builder_creates_a_market_and_submits_it_for_moderation(client, builder, add_url):
    cooperative = CooperativeFactory()
    araza = make_product(cooperative, name="Arazá")
    client.force_login(builder)
    data = _market_post(
        title="Mercado de la Calle 8",
        cooperatives=[cooperative],
        offers=[_offer(araza)],
        slots=[_slot(pickup_point())],
        **{"action-submit": "Enviar"},
    )
    response = client.post(add_url, data)
    assert response.status_code == 302, response.context["form"].errors
    event = MarketEventPage.objects.get(title="Mercado de la Calle 8")
    assert event.owner == builder and not event.live
    assert event.get_latest_revision_as_object().offers.get().product == araza
    state = WorkflowState.objects.get(object_id=str(event.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.workflow.name == "Aprobación del equipo de Minga"
    assert client.get(reverse("wagtailadmin_pages:edit", args=[event.pk])).status_code == 200


def test_offer_of_a_non_participating_cooperative_is_refused(client, builder, add_url):
    participating, outsider = CooperativeFactory(), CooperativeFactory(name="Cooperativa ajena")
    outsider_product = make_product(outsider, name="Cachama")
    client.force_login(builder)
    data = _market_post(
        title="Mercado sin permiso",
        cooperatives=[participating],
        offers=[_offer(outsider_product)],
        slots=[_slot(pickup_point())],
    )
    response = client.post(add_url, data)
    assert response.status_code == 200
    errors = response.context["form"].formsets["offers"].forms[0].errors
    assert "Cooperativa ajena" in str(errors["product"])
    assert not MarketEventPage.objects.filter(title="Mercado sin permiso").exists()


def test_offer_of_an_unverified_cooperative_is_refused(client, builder, add_url):
    pending = CooperativeFactory(verification_status=VerificationStatus.PENDING, name="Cooperativa nueva")
    product = make_product(pending, name="Queso campesino")
    client.force_login(builder)
    data = _market_post(
        title="Mercado pendiente",
        cooperatives=[pending],
        offers=[_offer(product)],
        slots=[_slot(pickup_point())],
    )
    response = client.post(add_url, data)
    assert response.status_code == 200
    # "En revisión" cannot be ticked: it is not offered, and a forged id is not a valid choice.
    assert "cooperatives" in response.context["form"].errors
    assert "Cooperativa nueva" not in client.get(add_url).content.decode()
    assert not MarketEventPage.objects.filter(title="Mercado pendiente").exists()


def test_editing_her_market_with_an_outsiders_offer_is_refused(client, builder):
    cooperative, outsider = CooperativeFactory(), CooperativeFactory(name="Cooperativa ajena")
    araza = make_product(cooperative, name="Arazá")
    foreign = make_product(outsider, name="Cachama")
    event = make_market(offers=[(araza, 5000, 20)], owner=builder, publish=False)
    offer, slot = event.offers.get(), event.slots.get()
    client.force_login(builder)
    data = _market_post(
        title=event.title,
        cooperatives=[cooperative],
        offers=[_offer(araza, id=str(offer.pk)), _offer(foreign)],
        slots=[_slot(slot.pickup_point, id=str(slot.pk))],
        initial_offers=1,
        initial_slots=1,
        slug=event.slug,
    )
    response = client.post(reverse("wagtailadmin_pages:edit", args=[event.pk]), data)
    assert response.status_code == 200
    assert "Cooperativa ajena" in str(response.context["form"].formsets["offers"].forms[1].errors)
    revision = MarketEventPage.objects.get(pk=event.pk).get_latest_revision_as_object()
    assert [o.product for o in revision.offers.all()] == [araza]
    assert list(MarketOffer.objects.filter(page=event).values_list("product", flat=True)) == [araza.pk]
