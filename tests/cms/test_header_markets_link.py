"""The site header links to the markets list ("Mercados") on every page, at no query: the
link is a fixed address that sends the visitor on to the `MarketIndexPage`."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms.models import MarketIndexPage


def _header(html: str) -> str:
    return html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]


def test_every_header_links_to_the_markets_list_which_it_reaches(client, db):
    link = reverse("cms:markets")
    for page in ("/", reverse("catalog:list"), reverse("orders:cart")):
        header = _header(client.get(page).content.decode())
        assert f'<a href="{link}">Mercados</a>' in header, page

    index = MarketIndexPage.objects.live().get(locale__language_code="es")
    response = client.get(link)
    assert response.status_code == 302 and response["Location"] == index.url
    assert client.get(response["Location"]).status_code == 200


def test_in_english_it_reaches_the_list_under_the_english_prefix(client, db):
    response = client.get("/en/ir/mercados/")
    assert response.status_code == 302 and response["Location"].startswith("/en/")
    assert client.get(response["Location"]).status_code == 200


def test_the_link_costs_a_page_no_query(client, db):
    client.get(reverse("catalog:list"))  # warm what every page reads once per process
    with CaptureQueriesContext(connection) as with_link:
        html = client.get(reverse("catalog:list")).content.decode()
    assert reverse("cms:markets") in html
    assert not [q for q in with_link.captured_queries if "cms_marketindexpage" in q["sql"]]
