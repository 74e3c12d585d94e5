"""The Wagtail admin reads in Spanish for a Market Builder and for platform staff.

Signed in as each of them on the demo data, the test walks every admin screen they can reach
(the menu's links, every link on each screen, and the screens a link does not lead to: the
edit and create form of each page type, the snippets, the Mercados screens, reports,
settings, images, documents, account, the moderation workflow), one URL per kind of screen,
and fails on English words in what a person reads: text between tags and the menu's labels
(Wagtail draws its menu from JSON), not code, attributes nor the people's own data (page
titles, which an English translation has in English, product and user names).
"""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from wagtail.models import Page
from wagtail.users.models import UserProfile

from cms.models import MarketEventPage
from market.models import User
from tests.helpers import built_once

# Whole words, case-insensitive, none of them Spanish.
ENGLISH_WORDS = [
    "Save",
    "Saved",
    "Publish",
    "Published",
    "Delete",
    "Edit",
    "Edited",
    "Add",
    "Search",
    "Status",
    "Live",
    "Draft",
    "Dashboard",
    "Pages",
    "Images",
    "Reports",
    "Settings",
    "Help",
    "Cancel",
    "Preview",
    "History",
    "Choose",
    "Upload",
    "Updated",
    "Created",
    "Owner",
    "Locked",
    "Unlock",
    "Submit",
    "Workflow",
    "Workflows",
    "Tasks",
    "Snippets",
    "Documents",
    "Collections",
    "Users",
    "Groups",
    "Sites",
    "Redirects",
    "Comments",
    "Actions",
    "More",
    "View",
    "Filter",
    "Sort",
    "Toggle",
    "Checks",
    "Exploring",
    "Shortcuts",
    "Usage",
    "Item",
    "Any",
    "Anyone",
    "Words",
    "Readability",
    "Selected",
    "Explained",
    "Pickup",
    "Hero",
    "Moderators",
    "Approval",
    "Review",
    "Page",
    "Image",
    "Type",
    "Date",
    "Title",
    "Keyboard",
    "Theme",
    "Contrast",
    "Unknown",
    "the",
    "and",
    "of",
    "to",
    "by",
    "with",
    "your",
    "this",
    "there",
    "are",
    "is",
    "be",
    "for",
]
ENGLISH_PHRASES = [
    "Enviar a Moderators approval",
    "Hero image",
    "Pickup point",
    "Save Selected",
    "Toggle checks",
    "This data explained",
    "Exploring",
    "Page types usage",
    "Shortcuts",
]
ENGLISH = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH_WORDS + ENGLISH_PHRASES) + r")(?![\w-])",
    re.IGNORECASE,
)

# Screens that change or export something on GET, that are pop-ups of a form, or that are
# another copy of a screen already walked.
SKIPPED = re.compile(
    r"/logout|/delete|/unpublish|/revert|/lock/|/unlock/|/move/|/set_privacy|/convert_alias"
    r"|/workflow/(cancel|approve|reject|action)|/preview|/compare/|/chooser/|/bulk/"
    r"|/entregado|/reenviar|/reintentar|format=(csv|xlsx)|export=|/download|/i18n/|/jsi18n"
    r"|/revisions/\d+/view|/serve_view|/search/\?q="
)

SEEDS = [
    "/cms/",
    "/cms/pages/",
    "/cms/pages/search/?q=mercado",
    "/cms/mercados/",
    "/cms/reports/locked/",
    "/cms/reports/workflow/",
    "/cms/reports/workflow_tasks/",
    "/cms/reports/site-history/",
    "/cms/reports/aging-pages/",
    "/cms/reports/page-types-usage/",
    "/cms/workflows/list/",
    "/cms/workflows/tasks/index/",
    "/cms/images/",
    "/cms/images/multiple/add/",
    "/cms/documents/",
    "/cms/documents/multiple/add/",
    "/cms/account/",
    "/cms/users/",
    "/cms/groups/",
    "/cms/sites/",
    "/cms/locales/",
    "/cms/collections/",
    "/cms/redirects/",
    "/cms/searchpicks/",
]

# What each of them must have reached, whatever the links say.
MUST_REACH = {
    "builder": [
        "/cms/",
        "/cms/pages/N/",
        "edit cms.marketeventpage",
        "add cms.marketeventpage",
        "/cms/mercados/",
        "informe",
        "copiar",
        "pedido-asistido",
        "workflow history",
        "/cms/snippets/cms/pickuppoint/",
        "/cms/images/",
        "/cms/account/",
    ],
    "staff": [
        "/cms/",
        "/cms/pages/",
        "edit cms.marketeventpage",
        "edit cms.homepage",
        "edit cms.storypage",
        "add cms.standardpage",
        "/cms/mercados/",
        "informe",
        "/cms/reports/page-types-usage/",
        "/cms/workflows/list/",
        "/cms/snippets/cooperatives/cooperative/",
        "/cms/snippets/market/buyerorganization/",
        "/cms/images/",
        "/cms/documents/",
        "/cms/account/",
        "/cms/sites/",
    ],
}
MAX_SCREENS = 400

# Left in English, and why: (kind of screen, text).
KNOWN_GAPS = {
    # Wagtail's list of sites (staff only) fixes its column's label when it is imported,
    # before any language is active.
    ("/cms/sites/", "Root page"),
    # A label only screen readers read, which Wagtail fixes when its forms are imported.
    ("/cms/workflows/add/", "Page"),
    ("/cms/workflows/edit/N/", "Page"),
    ("/cms/groups/edit/N/", "Page"),
}


class _VisibleText(HTMLParser):
    """Text between tags (not scripts, styles, code nor a long list of options), the admin
    menu's labels, and the links to follow."""

    HIDDEN = {"script", "style", "code", "pre", "textarea", "svg", "template"}
    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "col", "area", "base", "embed"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.texts: list[str] = []
        self.links: list[str] = []
        self.options: list[str] = []
        self.sidebar = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "select":
            self.options = []
        if tag == "script" and attrs.get("id") == "wagtail-sidebar-props":
            self.sidebar = True
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag == "select" and len(self.options) <= 30:
            self.texts.extend(self.options)  # a short list is read; a long one is data
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass
        self.sidebar = False

    def handle_data(self, data):
        if self.sidebar:
            self._menu(json.loads(data))
            return
        if not data.strip() or any(tag in self.HIDDEN for tag in self.open):
            return
        (self.options if "option" in self.open else self.texts).append(" ".join(data.split()))

    def _menu(self, node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("label", "footer_text") and isinstance(value, str):
                    self.texts.append(value)
                elif key == "url" and isinstance(value, str):
                    self.links.append(value)
                else:
                    self._menu(value)
        elif isinstance(node, list):
            for value in node:
                self._menu(value)


def _kind(url: str) -> str:
    """One screen per kind: ids, pages of a list and its ordering make no other kind, and a
    snippet's history, usage or copy reads the same whatever the model (its list and forms
    do not: their labels are the model's)."""
    path = re.sub(r"/\d+(?=/)", "/N", urlsplit(url).path)
    path = re.sub(r"^/cms/snippets/\w+/\w+/(history|usage|copy)/", r"/cms/snippets/*/\1/", path)
    return re.sub(r"^/cms/pages/usage/\w+/\w+/", "/cms/pages/usage/*/", path)


def _data_strings() -> list[str]:
    """What people wrote, in whatever language: page titles, names. Also the names Django
    and Wagtail give groups and permissions in the database ("Moderators", "Can add
    product"): rows, not translations (see the README, "Languages")."""
    strings = set(Page.objects.values_list("title", flat=True))
    strings |= {u.get_full_name() for u in User.objects.all()}
    strings |= set(Group.objects.values_list("name", flat=True))
    strings |= set(Permission.objects.values_list("name", flat=True))
    return sorted((s for s in strings if s), key=len, reverse=True)


def _specific_screens(user) -> dict[str, str]:
    """The forms a link may not lead to, with their kind: the edit form and history of one
    page of each type she may edit, the create form of each type she may add, a market's
    own screens."""
    screens = {}
    for page in Page.objects.filter(depth__gt=1).order_by("path").specific():
        permissions = page.permissions_for_user(user)
        model = page.specific_class._meta.label_lower
        if permissions.can_edit():
            screens.setdefault(f"edit {model}", f"/cms/pages/{page.pk}/edit/")
            screens.setdefault(f"history {model}", f"/cms/pages/{page.pk}/history/")
        if permissions.can_add_subpage():
            for child in page.specific_class.creatable_subpage_models():
                add = f"/cms/pages/add/{child._meta.app_label}/{child._meta.model_name}/{page.pk}/"
                screens.setdefault(f"add {child._meta.label_lower}", add)
    market = MarketEventPage.objects.originals().filter(owner=user).first() or (
        MarketEventPage.objects.originals().first()
    )
    for screen in ("informe", "copiar", "pedido-asistido"):
        screens[screen] = f"/cms/mercados/{market.pk}/{screen}/"
    screens["workflow history"] = f"/cms/pages/{market.pk}/workflow_history/"
    return {url: kind for kind, url in screens.items()}


def walk(client, user, seeds=None, limit=MAX_SCREENS) -> tuple[dict[str, list[str]], set[str]]:
    """English found per screen, and the screens reached (answered 200)."""
    data = _data_strings()
    explicit = _specific_screens(user) if seeds is None else {}
    queue = list(seeds) if seeds is not None else SEEDS + list(explicit)
    kinds: set[str] = set()
    reached: set[str] = set()
    found: dict[str, list[str]] = {}
    while queue and len(kinds) < limit:
        url = queue.pop(0)
        kind = explicit.get(url) or _kind(url)
        if not url.startswith("/cms/") or SKIPPED.search(url) or kind in kinds:
            continue
        kinds.add(kind)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        reached.add(kind)
        parser = _VisibleText()
        parser.feed(response.content.decode())
        for text in parser.texts:
            if (kind, text) in KNOWN_GAPS:
                continue
            for datum in data:
                text = text.replace(datum, " ")
            words = [match.group(0) for match in ENGLISH.finditer(text)]
            if words:
                found.setdefault(url, []).append(f"{text!r}: {', '.join(words)}")
        queue.extend(link.split("#")[0] for link in parser.links)
    return found, reached


def _report(found: dict[str, list[str]]) -> str:
    lines = []
    for url, texts in sorted(found.items()):
        lines.append(url)
        lines.extend(f"    {text}" for text in sorted(set(texts)))
    return "\n".join(lines)


@pytest.fixture(scope="module")
def _demo_rows(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, lambda: call_command("load_demo", verbosity=0)):
        yield


@pytest.fixture
def demo(_demo_rows, db):
    """The demo data, loaded once for this file."""


@pytest.mark.parametrize(
    ("who", "email"), [("builder", "constructora@minga.co"), ("staff", "admin@minga.co")]
)
def test_every_admin_screen_reads_in_spanish(demo, client, who, email):
    user = User.objects.get(email=email)
    client.force_login(user)
    found, reached = walk(client, user)
    assert set(MUST_REACH[who]) <= reached, sorted(set(MUST_REACH[who]) - reached)
    assert len(reached) >= (25 if who == "builder" else 60), len(reached)
    assert not found, "English in the admin:\n" + _report(found)


def test_the_check_sees_english(demo, client):
    """The same walk fails on an admin in English, and reads only what a person reads."""
    staff = User.objects.get(email="admin@minga.co")
    profile = UserProfile.get_for_user(staff)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(staff)
    found, reached = walk(client, staff, seeds=["/cms/", "/cms/pages/"], limit=2)
    assert reached == {"/cms/", "/cms/pages/"}
    assert any("Dashboard" in text for text in found["/cms/"]), found
    parser = _VisibleText()
    parser.feed("<p>Exploring: Mercados</p><script>Save</script><b title='Edit'>Sí</b><code>Add</code>")
    assert [m.group(0) for t in parser.texts for m in ENGLISH.finditer(t)] == ["Exploring"]


def test_the_date_pickers_hidden_button_gets_a_spanish_label(demo, client):
    """Wagtail's date picker builds "Save Selected" in script; the admin hands it Spanish."""
    client.force_login(User.objects.get(email="constructora@minga.co"))
    page = client.get("/cms/").content.decode()
    assert 'src="/static/js/admin_datetimepicker_es.js" data-save-label="Guardar la selección"' in page


def test_a_market_builder_submits_to_a_workflow_named_in_spanish(demo, client):
    """The workflow and its task are data (cms/0009 names them): her button reads in Spanish."""
    builder = User.objects.get(email="constructora@minga.co")
    market = MarketEventPage.objects.originals().filter(owner=builder).first()
    client.force_login(builder)
    page = client.get(f"/cms/pages/{market.pk}/edit/").content.decode()
    assert "Enviar a Aprobación del equipo de Minga" in page
    assert "Moderators approval" not in page
