"""The Market Builder's quick tools: a whole market in one form, every product of the
participating cooperatives as offers in one step, and the pickup-slot generator."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import WorkflowState

from cms.markets import building, services
from cms.markets.exceptions import MarketError
from cms.models import MarketEventPage
from cooperatives.models import VerificationStatus
from tests.cms.factories import make_builder, make_market, market_index, pickup_point
from tests.factories import CooperativeFactory, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def builder():
    market_index()
    return make_builder()


@pytest.fixture
def goods():
    """Two verified cooperatives (three available products, one hidden, one unavailable, one
    sold out) and one cooperative under review with a product of its own."""
    frutos = CooperativeFactory(name="Frutos del Guaviare")
    yuca_coop = CooperativeFactory(name="ASOYUPGUZ")
    pending = CooperativeFactory(name="En revisión", verification_status=VerificationStatus.PENDING)
    return {
        "frutos": frutos,
        "yuca_coop": yuca_coop,
        "pending": pending,
        "araza": make_product(frutos, name="Pulpa de arazá", price_cop=9000, stock=Decimal("40")),
        "cachama": make_product(frutos, name="Cachama", price_cop=14_000, stock=None),
        "yuca": make_product(yuca_coop, name="Yuca fresca", price_cop=1850, stock=Decimal("150")),
        "hidden": make_product(yuca_coop, name="Casabe", is_hidden=True),
        "unavailable": make_product(yuca_coop, name="Almidón", is_available=False),
        "sold_out": make_product(yuca_coop, name="Plátano", stock=Decimal("0")),
        "pending_product": make_product(pending, name="Miel"),
    }


def _new_market_post(goods, point, **changes):
    day = timezone.localdate() + timedelta(days=9)
    data = {
        "title": "Mercado campesino de diciembre",
        "opens_at": f"{day - timedelta(days=5):%Y-%m-%d}T08:00",
        "closes_at": f"{day - timedelta(days=1):%Y-%m-%d}T18:00",
        "market_day": f"{day:%Y-%m-%d}",
        "cooperatives": [goods["frutos"].pk, goods["yuca_coop"].pk],
        "all_products": "on",
        "discount": "10",
        "pickup_point": point.pk,
        "slots_from": "07:00",
        "slots_to": "12:00",
        "slots_every": "60",
        "slots_capacity": "15",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- Every product as offers ---------------------------------------------------------------------


def test_offers_are_the_available_products_of_verified_participants_less_the_discount(goods):
    offers = building.offers_for_cooperatives(
        [goods["frutos"], goods["yuca_coop"], goods["pending"]], discount=Decimal("10")
    )
    got = {o.product.name: (o.price_cop, o.quantity) for o in offers}
    assert got == {
        "Pulpa de arazá": (8100, Decimal("40")),
        "Cachama": (12_600, building.MADE_TO_ORDER_QUANTITY),  # made to order
        "Yuca fresca": (1665, Decimal("150")),  # 1.665 exactly
    }


def test_no_discount_keeps_the_catalogue_price_and_rounds_half_up(goods):
    offers = building.offers_for_cooperatives([goods["yuca_coop"]], discount=0)
    assert [(o.product_id, o.price_cop) for o in offers] == [(goods["yuca"].pk, 1850)]
    assert building.discounted_price(1850, Decimal("2.5")) == 1804  # 1803,75 → 1804
    assert building.discounted_price(1, Decimal("90")) == 1


@pytest.mark.parametrize("discount", ["-5", "91", "100", "abc", "NaN", "Infinity"])
def test_a_bad_discount_is_refused(goods, discount):
    with pytest.raises(MarketError, match="entre 0 y 90"):
        building.offers_for_cooperatives([goods["frutos"]], discount=discount)


def test_adding_every_product_to_a_market_adds_each_once(client, goods):
    builder = make_builder()
    market = make_market(
        offers=[(goods["araza"], 7000, 10)],
        cooperatives=[goods["frutos"], goods["yuca_coop"], goods["pending"]],
        owner=builder,
        opens_at=timezone.now() + timedelta(days=2),
        closes_at=timezone.now() + timedelta(days=5),
    )
    client.force_login(builder)
    url = reverse("cms_market_offers_add", args=[market.pk])
    response = client.post(url, {"discount": "10"})
    assert response.status_code == 302
    draft = MarketEventPage.objects.get(pk=market.pk).get_latest_revision_as_object()
    assert {o.product.name: o.price_cop for o in draft.offers.all()} == {
        "Pulpa de arazá": 7000,  # already offered: kept as it was
        "Cachama": 12_600,
        "Yuca fresca": 1665,
    }
    # Twice: nothing more.
    client.post(url, {"discount": "10"})
    assert MarketEventPage.objects.get(pk=market.pk).get_latest_revision_as_object().offers.count() == 3
    # The published market is unchanged until the draft is approved.
    assert market.offers.count() == 1


def test_a_bad_discount_on_a_market_is_refused_and_changes_nothing(client, goods):
    builder = make_builder()
    market = make_market(offers=[(goods["araza"], 7000, 10)], owner=builder)
    revisions = market.revisions.count()
    client.force_login(builder)
    response = client.post(reverse("cms_market_offers_add", args=[market.pk]), {"discount": "150"})
    assert response.status_code == 400
    assert "discount" in response.context["form"].errors
    assert market.revisions.count() == revisions


def test_another_builders_market_is_404(client, goods):
    market = make_market(offers=[(goods["araza"], 7000, 10)], owner=make_builder())
    client.force_login(make_builder())
    assert client.post(reverse("cms_market_offers_add", args=[market.pk]), {}).status_code == 404
    assert client.get(reverse("cms_market_slots_generate", args=[market.pk])).status_code == 404


# --- The slot generator --------------------------------------------------------------------------

DAY = date(2026, 12, 19)


def _plan(**changes):
    values = {"day": DAY, "start": time(7), "end": time(12), "every": 60, "capacity": 15}
    values.update(changes)
    return building.SlotPlan(**values)


def test_slots_run_from_start_to_end_every_n_minutes():
    times = building.slot_times(_plan(every=90, end=time(12)), first_day=DAY, last_day=DAY)
    local = [
        (timezone.localtime(s).strftime("%H:%M"), timezone.localtime(e).strftime("%H:%M")) for s, e in times
    ]
    assert local == [("07:00", "08:30"), ("08:30", "10:00"), ("10:00", "11:30")]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end": time(7)}, "debe terminar después"),
        ({"end": time(6)}, "debe terminar después"),
        ({"every": 5}, "al menos 10 minutos"),
        ({"every": 360}, "no cabe una franja de 360 minutos"),
        ({"capacity": 0}, "al menos a un comprador"),
        ({"day": DAY + timedelta(days=1)}, "el día de mercado"),
        ({"start": time(0), "end": time(23, 59), "every": 10}, "más de 48 franjas"),
    ],
)
def test_bad_ranges_are_refused_with_a_clear_error(changes, message):
    with pytest.raises(MarketError, match=message):
        building.slot_times(_plan(**changes), first_day=DAY, last_day=DAY)


def _market_for_slots(builder, point):
    now = timezone.now()
    return make_market(
        owner=builder,
        opens_at=now + timedelta(days=1),
        closes_at=now + timedelta(days=3),
        slots=[
            (
                point,
                timezone.make_aware(timezone.datetime.combine((now + timedelta(days=4)).date(), time(9, 30))),
                5,
            )
        ],
    )


def test_generating_twice_adds_no_duplicate_nor_overlap(client):
    builder, point = make_builder(), pickup_point("Coliseo")
    market = _market_for_slots(builder, point)
    client.force_login(builder)
    url = reverse("cms_market_slots_generate", args=[market.pk])
    data = {
        "pickup_point": point.pk,
        "day": market.market_day.isoformat(),
        "slots_from": "07:00",
        "slots_to": "12:00",
        "slots_every": "60",
        "slots_capacity": "20",
    }
    assert client.post(url, data).status_code == 302
    slots = list(MarketEventPage.objects.get(pk=market.pk).get_latest_revision_as_object().slots.all())
    # 09:00–10:00 and 10:00–11:00 would overlap the 09:30–10:30 slot already there.
    starts = sorted(timezone.localtime(s.starts_at).strftime("%H:%M") for s in slots)
    assert starts == ["07:00", "08:00", "09:30", "11:00"]
    assert sorted(s.capacity for s in slots) == [5, 20, 20, 20]
    revisions = market.revisions.count()
    response = client.post(url, data, follow=True)
    assert "Se agregaron 0 franjas" in response.content.decode()
    assert market.revisions.count() == revisions
    assert MarketEventPage.objects.get(pk=market.pk).get_latest_revision_as_object().slots.count() == 4


def test_another_point_at_the_same_time_is_no_overlap(client):
    builder, point, other = make_builder(), pickup_point("Coliseo"), pickup_point("Parque")
    market = _market_for_slots(builder, point)
    client.force_login(builder)
    added, skipped = services.market_slots_add(
        event=market,
        user=builder,
        pickup_point=other,
        plan=_plan(day=market.market_day, start=time(9), end=time(11)),
    )
    assert (added, skipped) == (2, 0)


def test_a_bad_slot_form_says_what_is_wrong_and_saves_nothing(client):
    builder, point = make_builder(), pickup_point("Coliseo")
    market = _market_for_slots(builder, point)
    revisions = market.revisions.count()
    client.force_login(builder)
    url = reverse("cms_market_slots_generate", args=[market.pk])
    response = client.post(
        url,
        {
            "pickup_point": point.pk,
            "day": market.market_day.isoformat(),
            "slots_from": "12:00",
            "slots_to": "08:00",
            "slots_every": "60",
            "slots_capacity": "0",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "slots_capacity" in errors
    response = client.post(
        url,
        {
            "pickup_point": point.pk,
            "day": market.market_day.isoformat(),
            "slots_from": "12:00",
            "slots_to": "08:00",
            "slots_every": "60",
            "slots_capacity": "10",
        },
    )
    assert response.status_code == 400
    assert "debe terminar después" in response.content.decode()
    assert market.revisions.count() == revisions


# --- A whole market in one form ------------------------------------------------------------------


def test_a_new_market_in_one_form_with_offers_and_slots_sent_for_approval(client, builder, goods):
    point = pickup_point("Parque Principal")
    client.force_login(builder)
    assert client.get(reverse("cms_market_new")).status_code == 200
    response = client.post(reverse("cms_market_new"), {**_new_market_post(goods, point), "action-submit": ""})
    assert response.status_code == 302, response.context["form"].errors
    market = MarketEventPage.objects.get(title="Mercado campesino de diciembre")
    assert market.owner == builder and not market.live
    assert market.municipality_id == point.municipality_id  # from the pickup point
    assert {o.product.name: o.price_cop for o in market.offers.all()} == {
        "Pulpa de arazá": 8100,
        "Cachama": 12_600,
        "Yuca fresca": 1665,
    }
    assert [(timezone.localtime(s.starts_at).hour, s.capacity) for s in market.slots.all()] == [
        (7, 15),
        (8, 15),
        (9, 15),
        (10, 15),
        (11, 15),
    ]
    assert WorkflowState.objects.filter(object_id=str(market.pk), status="in_progress").exists()


def test_a_new_draft_opens_the_editor_to_review_the_offers(client, builder, goods):
    point = pickup_point("Parque Principal")
    client.force_login(builder)
    response = client.post(reverse("cms_market_new"), _new_market_post(goods, point, discount=""))
    market = MarketEventPage.objects.get()
    assert response["Location"] == reverse("wagtailadmin_pages:edit", args=[market.pk])
    assert not WorkflowState.objects.filter(object_id=str(market.pk)).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Pulpa de arazá" in page and "id_offers-2-DELETE" in page  # each offer can be dropped


def test_an_unverified_cooperative_cannot_take_part(client, builder, goods):
    point = pickup_point("Parque Principal")
    client.force_login(builder)
    form = client.get(reverse("cms_market_new")).context["form"]
    assert goods["pending"] not in form.fields["cooperatives"].queryset
    response = client.post(
        reverse("cms_market_new"), _new_market_post(goods, point, cooperatives=[goods["pending"].pk])
    )
    assert response.status_code == 400 and "cooperatives" in response.context["form"].errors
    assert not MarketEventPage.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"closes_at": "2020-01-01T08:00"}, "closes_at"),
        ({"slots_capacity": ""}, "slots_capacity"),
        ({"discount": "95"}, "discount"),
        ({"pickup_point": "", "municipality": ""}, "municipality"),
    ],
)
def test_a_bad_new_market_is_refused_and_nothing_is_made(client, builder, goods, changes, field):
    point = pickup_point("Parque Principal")
    client.force_login(builder)
    response = client.post(reverse("cms_market_new"), _new_market_post(goods, point, **changes))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not MarketEventPage.objects.exists()


def test_slot_times_out_of_order_on_the_new_market_form(client, builder, goods):
    point = pickup_point("Parque Principal")
    client.force_login(builder)
    response = client.post(reverse("cms_market_new"), _new_market_post(goods, point, slots_to="06:00"))
    assert response.status_code == 400
    assert "debe terminar después" in response.content.decode()
    assert not MarketEventPage.objects.exists()


def test_only_market_builders_reach_the_new_market_form(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=False))
    assert client.get(reverse("cms_market_new")).status_code in (302, 403, 404)
