"""Browser journeys: Playwright (sync API) driving the machine's Chromium against pytest-django's
live server.

- Playwright never downloads a browser: Chromium comes from CHROMIUM_PATH (`make e2e` sets it,
  `make chromium` installs Debian's package).
- Playwright's sync API keeps an asyncio loop running in the test thread; Django's ORM would then
  raise SynchronousOnlyOperation, hence DJANGO_ALLOW_ASYNC_UNSAFE (tests only).
- The live server needs a transactional database, which is flushed after each test. Data seeded by
  migrations (categories, geography, Wagtail's root and home pages) would then be gone for the next
  test, so the page fixtures ask for `django_db_serialized_rollback`, which restores it.
- Uploaded media are served through `tests/e2e/urls.py` (DEBUG is off in tests).
- After every test, pass or fail, each page's last state is saved as a full-page screenshot in
  `test-artifacts/e2e/`.
- `other_phone("name")` opens further people (a browser context each, with its own cookies)
  in the same journey, e.g. a buyer and two cooperative managers.
"""

import os
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
PAGE_FIXTURES = ("phone", "desktop")


def pytest_configure(config):
    # WhiteNoise looks for STATIC_ROOT (filled by collectstatic); the live server serves static
    # files from the finders instead, so its absence is expected here.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.access(executable, os.X_OK):
        pytest.fail(f"Chromium not found at {executable}: run `make chromium` (or set CHROMIUM_PATH).")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def e2e_server(live_server, django_db_serialized_rollback, settings):
    """The live server with media served; its URL."""
    settings.ROOT_URLCONF = "tests.e2e.urls"
    return live_server.url


def _screenshot_path(request, name: str, *, always_suffix: bool = False) -> Path:
    folder = Path(request.config.rootpath) / "test-artifacts" / "e2e"
    folder.mkdir(parents=True, exist_ok=True)
    used = [f for f in PAGE_FIXTURES if f in request.fixturenames]
    suffix = f"-{name}" if always_suffix or len(used) > 1 else ""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.name)
    return folder / f"{safe}{suffix}.png"


def _page(request, browser, base_url: str, name: str, *, always_suffix: bool = False, **context_options):
    context = browser.new_context(base_url=base_url, **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        try:
            path = _screenshot_path(request, name, always_suffix=always_suffix)
            page.screenshot(path=str(path), full_page=True)
        finally:
            context.close()


PHONE_OPTIONS = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "locale": "es-CO",
    "timezone_id": "America/Bogota",
}


@pytest.fixture
def phone(request, browser, e2e_server):
    """A phone on a slow-ish Colombian day: small screen, touch, Spanish, Bogotá time."""
    yield from _page(request, browser, e2e_server, "phone", **PHONE_OPTIONS)


@pytest.fixture
def other_phone(request, browser, e2e_server):
    """Opens more phones on demand, each its own browser context (its own cookies: another
    person): `other_phone("manager-north")`. Each one's last state is saved as
    `<test>-<name>.png`."""
    opened = []

    def open_phone(name: str):
        pages = _page(request, browser, e2e_server, name, always_suffix=True, **PHONE_OPTIONS)
        page = next(pages)
        opened.append(pages)
        return page

    yield open_phone
    errors = []
    for pages in reversed(opened):
        try:
            pages.close()  # runs `_page`'s `finally`: screenshot, then close the context
        except Exception as error:  # close every context even when one screenshot fails
            errors.append(error)
    if errors:
        raise errors[0]


@pytest.fixture
def desktop(request, browser, e2e_server):
    yield from _page(
        request,
        browser,
        e2e_server,
        "desktop",
        viewport={"width": 1280, "height": 900},
        locale="es-CO",
        timezone_id="America/Bogota",
    )
