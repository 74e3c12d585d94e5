"""Stories about the cooperatives and their families: written in the CMS, listed newest
first, linked to the cooperative's products; people are named only with their agreement."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Locale, Page
from wagtail.rich_text import RichText

from cms.models import StoryIndexPage, StoryPage
from tests.factories import CooperativeFactory, ProducerFactory, make_photo, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def story_index(db):
    home = Page.objects.get(depth=2)
    index = home.add_child(instance=StoryIndexPage(title="Historias", slug="historias"))
    index.save_revision().publish()
    return index


@pytest.fixture
def cooperative(db):
    return CooperativeFactory(name="COOMULSEPAZ")


def make_story(index, *, title, cooperative=None, published_on=date(2026, 10, 1), image=None, **fields):
    story = index.add_child(
        instance=StoryPage(
            title=title,
            intro=f"{title}: resumen",
            body=[("paragraph", RichText("<p>Lo que cambió para las familias.</p>"))],
            cooperative=cooperative,
            published_on=published_on,
            hero_image=image,
            **fields,
        )
    )
    story.save_revision().publish()
    return story


def test_a_story_links_its_cooperative_and_shows_its_products(client, story_index, cooperative):
    make_product(cooperative, name="Plántulas de cacao clonal")
    make_product(CooperativeFactory(name="Otra"), name="Yuca de otra cooperativa")
    story = make_story(story_index, title="Las viveristas de Anorí", cooperative=cooperative)
    page = client.get(story.url).content.decode()
    assert "Las viveristas de Anorí" in page
    assert f'href="/cooperativas/{cooperative.slug}/"' in page
    assert "Plántulas de cacao clonal" in page
    assert "Yuca de otra cooperativa" not in page
    assert 'property="og:title"' in page


def test_producers_are_named_only_with_their_agreement(story_index, cooperative):
    producer = ProducerFactory(cooperative=cooperative, name="María Elena Restrepo")
    story = StoryPage(title="Una familia de viveristas", intro="Resumen", cooperative=cooperative)
    story.producers = [producer]
    with pytest.raises(ValidationError) as refused:
        story_index.add_child(instance=story)
    assert "people_agreed" in refused.value.message_dict
    assert not StoryPage.objects.exists()

    story = StoryPage(
        title="Una familia de viveristas", intro="Resumen", cooperative=cooperative, people_agreed=True
    )
    story.producers = [producer]
    story_index.add_child(instance=story)
    story.save_revision().publish()
    assert StoryPage.objects.get().producers.get() == producer


def test_a_story_cannot_name_another_cooperatives_producer(story_index, cooperative):
    stranger = ProducerFactory(cooperative=CooperativeFactory(name="Otra"), name="Luz Dary Gómez")
    story = StoryPage(title="Historia", intro="Resumen", cooperative=cooperative, people_agreed=True)
    story.producers = [stranger]
    with pytest.raises(ValidationError) as refused:
        story_index.add_child(instance=story)
    assert "Luz Dary Gómez" in str(refused.value.message_dict["producers"])


def test_the_story_page_shows_the_named_producers(client, story_index, cooperative):
    producer = ProducerFactory(cooperative=cooperative, name="María Elena Restrepo")
    story = StoryPage(title="Una familia", intro="Resumen", cooperative=cooperative, people_agreed=True)
    story.producers = [producer]
    story_index.add_child(instance=story)
    story.save_revision().publish()
    assert "María Elena Restrepo" in client.get(story.url).content.decode()


def test_the_index_lists_stories_newest_first_and_in_pages(client, story_index, cooperative):
    for day in range(1, 15):
        make_story(story_index, title=f"Historia número {day:02d}", published_on=date(2026, 10, day))
    draft = story_index.add_child(instance=StoryPage(title="Borrador sin publicar", intro="x", live=False))
    assert not draft.live
    first = client.get(story_index.url).content.decode()
    assert first.count('class="card"') == StoryIndexPage.PER_PAGE
    assert first.index("Historia número 14") < first.index("Historia número 13")
    assert "Borrador sin publicar" not in first
    second = client.get(story_index.url + "?page=2").content.decode()
    assert second.count('class="card"') == 14 - StoryIndexPage.PER_PAGE
    assert "Historia número 01" in second


def test_the_index_runs_the_same_queries_for_2_or_12_stories_with_images(client, story_index, cooperative):
    product = make_product(cooperative, name="Miel")
    image = make_photo(product, size=(16, 16)).image

    def measure():
        client.get(story_index.url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(story_index.url)
        assert response.status_code == 200
        return len(queries), response.content.decode().count('class="card"')

    for n in range(2):
        make_story(story_index, title=f"Historia {n}", cooperative=cooperative, image=image)
    few, shown = measure()
    assert shown == 2
    for n in range(2, 12):
        make_story(story_index, title=f"Historia {n}", cooperative=cooperative, image=image)
    many, shown = measure()
    assert shown == 12
    assert many == few, f"queries grow with the stories: {few} for 2, {many} for 12"


def test_home_lists_the_latest_stories_in_the_visitors_language(client, story_index, cooperative):
    for day in (1, 2, 3, 4):
        make_story(
            story_index,
            title=f"Relato del día {day}",
            cooperative=cooperative,
            published_on=date(2026, 10, day),
        )
    home = client.get("/").content.decode()
    assert "Relato del día 4" in home and "Relato del día 2" in home
    assert "Relato del día 1" not in home  # three at most

    english = Locale.objects.get(language_code="en")
    home_page = Page.objects.get(depth=2)
    home_page.specific.copy_for_translation(english).save_revision().publish()
    translated_index = story_index.copy_for_translation(english)
    translated_index.save_revision().publish()
    story = StoryPage.objects.get(title="Relato del día 4")
    copy = story.copy_for_translation(english)
    copy.title = "Story of day 4"
    copy.save_revision().publish()
    english_home = client.get("/en/").content.decode()
    assert "<strong>Story of day 4</strong>" in english_home
    assert "<strong>Relato del día 4</strong>" not in english_home
    assert "<strong>Relato del día 3</strong>" in english_home, "an untranslated story is listed in Spanish"


def test_home_leaves_out_stories_in_a_private_section(client, story_index, cooperative):
    from wagtail.models import PageViewRestriction

    make_story(story_index, title="Historia reservada", cooperative=cooperative)
    assert "Historia reservada" in client.get("/").content.decode()
    PageViewRestriction.objects.create(page=story_index, restriction_type="password", password="clave")
    assert "Historia reservada" not in client.get("/").content.decode()


def test_home_links_to_all_the_stories(client, story_index):
    make_story(story_index, title="Una historia")
    assert f'href="{story_index.url}"' in client.get("/").content.decode()
