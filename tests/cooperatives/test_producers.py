"""Managers keep the list of producing families; gender is recorded only with consent."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from cooperatives import services
from cooperatives.models import Gender, Producer
from tests.factories import CooperativeFactory, ProducerFactory

CONSENT_ERROR = "Record gender only with the producer's consent to aggregate reports."


def url(name, *args):
    # English, so that the error text asserted below does not depend on the Spanish catalogue.
    with translation.override("en"):
        return reverse(f"cooperatives:{name}", args=args)


def rows():
    return list(Producer.objects.order_by("pk").values())


def form_data(**overrides):
    data = {"name": "Doña Rosa Quintero", "village": "Vereda El Carmen", "is_active": "on"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- Manager ------------------------------------------------------------------------------


def test_manager_adds_a_producer_to_their_cooperative(client, cooperative, manager):
    client.force_login(manager)

    response = client.post(
        url("producer_add", cooperative.slug),
        form_data(gender=Gender.FEMALE, consents_to_aggregate="on"),
    )

    assert response.status_code == 302
    assert response["Location"] == url("producer_list", cooperative.slug)
    producer = Producer.objects.get()
    assert producer.cooperative == cooperative
    assert producer.name == "Doña Rosa Quintero"
    assert producer.village == "Vereda El Carmen"
    assert producer.gender == Gender.FEMALE
    assert producer.consents_to_aggregate
    assert producer.is_active


def test_manager_adds_a_producer_without_personal_data(client, cooperative, manager):
    client.force_login(manager)

    client.post(url("producer_add", cooperative.slug), form_data(village=""))

    producer = Producer.objects.get()
    assert (producer.gender, producer.village, producer.consents_to_aggregate) == ("", "", False)


def test_manager_edits_a_producer(client, cooperative, manager):
    producer = ProducerFactory(cooperative=cooperative, name="Rosa")
    client.force_login(manager)

    assert client.get(url("producer_edit", cooperative.slug, producer.pk)).status_code == 200
    response = client.post(
        url("producer_edit", cooperative.slug, producer.pk), form_data(name="Rosa Quintero", is_active=None)
    )

    assert response.status_code == 302
    producer.refresh_from_db()
    assert producer.name == "Rosa Quintero"
    assert producer.is_active is False
    assert Producer.objects.count() == 1


def test_posted_cooperative_is_ignored(client, cooperative, manager):
    other = CooperativeFactory()
    client.force_login(manager)

    client.post(url("producer_add", cooperative.slug), form_data(cooperative=other.pk))

    assert Producer.objects.get().cooperative == cooperative
    assert not other.producers.exists()


def test_gender_without_consent_is_refused_with_a_clear_error(client, cooperative, manager):
    client.force_login(manager)

    response = client.post(url("producer_add", cooperative.slug), form_data(gender=Gender.FEMALE))

    assert response.status_code == 200
    assert response.context["form"].errors["gender"] == [CONSENT_ERROR]
    assert CONSENT_ERROR.replace("'", "&#x27;") in response.content.decode()
    assert not Producer.objects.exists()


def test_withdrawing_consent_while_gender_is_recorded_is_refused(client, cooperative, manager):
    producer = ProducerFactory(cooperative=cooperative, gender=Gender.MALE, consents_to_aggregate=True)
    before = rows()
    client.force_login(manager)

    response = client.post(
        url("producer_edit", cooperative.slug, producer.pk), form_data(name="Otro", gender=Gender.MALE)
    )

    assert response.context["form"].errors["gender"] == [CONSENT_ERROR]
    assert rows() == before


def test_withdrawing_consent_and_clearing_gender_is_accepted(client, cooperative, manager):
    producer = ProducerFactory(cooperative=cooperative, gender=Gender.MALE, consents_to_aggregate=True)
    client.force_login(manager)

    client.post(url("producer_edit", cooperative.slug, producer.pk), form_data(gender=""))

    producer.refresh_from_db()
    assert (producer.gender, producer.consents_to_aggregate) == ("", False)


def test_service_refuses_gender_without_consent(cooperative):
    """The rule holds outside the workspace form too (Wagtail admin, demo data, scripts)."""
    producer = Producer(cooperative=cooperative, name="Rosa", gender=Gender.FEMALE)

    with pytest.raises(ValidationError) as error:
        services.producer_save(producer=producer)

    assert [e.code for e in error.value.error_dict["gender"]] == ["gender_without_consent"]
    with translation.override("en"):
        assert error.value.message_dict == {"gender": [CONSENT_ERROR]}
    assert not Producer.objects.exists()


# --- Member and outsiders -------------------------------------------------------------------


def test_member_can_list_producers(client, cooperative, member):
    ProducerFactory(cooperative=cooperative, name="Rosa Quintero")
    ProducerFactory(name="Familia de otra cooperativa")
    client.force_login(member)

    response = client.get(url("producer_list", cooperative.slug))

    assert response.status_code == 200
    assert list(response.context["producers"].values_list("name", flat=True)) == ["Rosa Quintero"]
    assert "Familia de otra cooperativa" not in response.content.decode()


def test_member_cannot_add_a_producer(client, cooperative, member):
    client.force_login(member)

    assert client.get(url("producer_add", cooperative.slug)).status_code == 404
    assert client.post(url("producer_add", cooperative.slug), form_data()).status_code == 404
    assert not Producer.objects.exists()


def test_member_cannot_edit_a_producer(client, cooperative, member):
    producer = ProducerFactory(cooperative=cooperative)
    before = rows()
    client.force_login(member)

    response = client.post(url("producer_edit", cooperative.slug, producer.pk), form_data(name="Cambiado"))

    assert response.status_code == 404
    assert rows() == before


def test_producer_of_another_cooperative_cannot_be_edited_through_own_url(client, cooperative, manager):
    foreign = ProducerFactory(name="Familia ajena")
    before = rows()
    client.force_login(manager)

    assert client.get(url("producer_edit", cooperative.slug, foreign.pk)).status_code == 404
    response = client.post(url("producer_edit", cooperative.slug, foreign.pk), form_data(name="Robada"))

    assert response.status_code == 404
    assert rows() == before


def test_outsider_cannot_list_producers(client, cooperative, outsider):
    ProducerFactory(cooperative=cooperative)
    client.force_login(outsider)

    assert client.get(url("producer_list", cooperative.slug)).status_code == 404


def test_anonymous_is_sent_to_login(client, cooperative):
    response = client.get(url("producer_list", cooperative.slug))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
