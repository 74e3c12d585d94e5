"""The anonymous page cache: the storefront, the home page and the catalogue list, rendered
once for every visitor who is not signed in, until something they show changes.

Most buyers arrive from a WhatsApp link, not signed in, at the same few pages. They get a
rendering kept in the `pages` cache (Redis in production with `REDIS_URL`, shared by every
app server; a folder of files in the embedded set-up, shared by every process of one
machine; see `market.settings`). What differs between visitors is filled per request:

- the CSRF token of every form (`csrfmiddlewaretoken`), so a cached page still posts;
- placeholders written by `deferred` (the basket count in the header), filled by the
  function registered under that name (`register_fill`): the app that knows the answer
  registers it, so this module depends on nothing above it.

Nothing shown may be staler than the change that made it wrong:

- Every cached page is stored under two shared versions, moved when the transaction that
  changed something commits, and every page renders afresh:
  - `pages_changed()`: what pages show changed (a product, a cooperative or a category
    saved, a page published);
  - `stock_changed()`: what is left changed (a sale, stock given back, a quantity confirmed).
  What pages remember besides themselves (`remembered`: routing, category counts) follows
  the first only, so a rush of sales renders pages again but never recounts a catalogue.
  The versions are read before rendering, so a page rendered while a sale commits is
  stored under the old ones.
- A page says until when it holds (`valid_until`: the market's closing or opening): a
  cached open storefront is never served at or after its `closes_at`.

A visitor with a session that holds flash messages is never served from (nor stored into)
the cache; a page may name a session key that excludes an anonymous visitor too
(`unless_session`: her basket in the market the storefront shows). Signed-in visitors are
served only the pages that say so (`serve(members=True)`: an open market's storefront),
from a rendering kept apart from the anonymous one, whose every part that is hers is a
`deferred` placeholder (her basket, her header links). `PageCacheMiddleware` answers
before any routing; `serve` renders and keeps what it missed.
"""

import functools
import hashlib
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

ALIAS = "pages"
VERSION_KEY = "pages:version"
STOCK_KEY = "pages:stock"
# Whatever the page says, an entry is dropped after this long (a safety net, not a rule).
LONGEST_SECONDS = 15 * 60
CSRF_PLACEHOLDER = "minga-csrf-placeholder"
_CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_DEFERRED = re.compile(r"<!--minga:(\w+):([\w:.-]*)-->")
HEADER = "X-Page-Cache"
MESSAGES_COOKIE = "messages"  # django.contrib.messages' cookie storage

_fills: dict[str, Callable[[HttpRequest, str], str]] = {}


def register_fill(name: str, fill: Callable[[HttpRequest, str], str]) -> None:
    """`fill(request, argument)` returns the HTML that replaces `deferred(name, argument)`."""
    _fills[name] = fill


def deferred(request: HttpRequest, name: str, argument: str = "") -> str:
    """What a template writes for a per-visitor fragment: the fragment itself, or while a page
    is rendered for the cache a placeholder that each request fills."""
    if rendering(request):
        if not re.fullmatch(r"\w+", name) or not re.fullmatch(r"[\w:.-]*", argument):
            raise ValueError(f"Not a placeholder: {name}:{argument}")
        return mark_safe(f"<!--minga:{name}:{argument}-->")  # checked just above: letters only
    return _fills[name](request, argument)


def pages_changed() -> None:
    """Something shown on cached pages changed: every cached page and every remembered value
    is made afresh once the current transaction commits (at once outside one)."""
    transaction.on_commit(functools.partial(_new_version, VERSION_KEY), robust=True)


def stock_changed() -> None:
    """What is left of something changed (a sale, stock given back): every cached page
    renders afresh once the current transaction commits; remembered values stay."""
    transaction.on_commit(functools.partial(_new_version, STOCK_KEY), robust=True)


def _new_version(key: str) -> None:
    version = time.time_ns()
    caches[ALIAS].set(key, version, None)
    if (pinned := _request_version.get()) is not None and "versions" in pinned:
        pinned["versions"][key] = version  # what this request shows next follows its own change


# The versions everything one request reads from the cache is kept under (its page, the parts
# it shares, the values it remembers): read once, in one read, and never a mix of two.
_request_version: ContextVar[dict | None] = ContextVar("minga_page_cache_version", default=None)


def _versions() -> dict[str, int]:
    pinned = _request_version.get()
    if pinned is not None and "versions" in pinned:
        return pinned["versions"]
    cache = caches[ALIAS]
    versions = cache.get_many([VERSION_KEY, STOCK_KEY])
    for key in (VERSION_KEY, STOCK_KEY):
        if key not in versions:
            # Lost (evicted, or a new cache): a new value, never an old one, so nothing stale returns.
            cache.add(key, time.time_ns(), None)
            versions[key] = cache.get(key, time.time_ns())
    if pinned is not None:
        pinned["versions"] = versions
    return versions


def _version() -> str:
    """The version of what pages show: both versions."""
    versions = _versions()
    return f"{versions[VERSION_KEY]}.{versions[STOCK_KEY]}"


def _audience(request: HttpRequest) -> str | None:
    """Whom a kept page may be served to: "anonymous" (not signed in), "member" (signed in),
    or None (never from the cache: a form posted, a message to show her)."""
    if request.method not in ("GET", "HEAD"):
        return None
    if request.COOKIES.get(MESSAGES_COOKIE):
        return None
    # Without a session cookie she is anonymous and has no messages: no query to know it.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return "anonymous"
    if "_messages" in request.session:
        return None
    return "member" if request.user.is_authenticated else "anonymous"


def _key(request: HttpRequest, version: str, audience: str) -> str:
    raw = "|".join(
        (
            version,
            audience,
            request.get_host(),
            request.path,
            translation.get_language() or "",
            request.GET.urlencode(),
        )
    )
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()


def cached(request: HttpRequest) -> HttpResponse | None:
    """The page from the cache for this visitor, filled for her, or None. A signed-in
    visitor only finds the pages kept for members (`serve(members=True)`)."""
    audience = _audience(request)
    if audience is None:
        return None
    entry = caches[ALIAS].get(_key(request, _version(), audience))
    if entry is None or (entry["until"] is not None and timezone.now() >= entry["until"]):
        return None
    if entry["unless_session"] and request.session.get(entry["unless_session"]):
        return None
    response = HttpResponse(_fill(request, entry["html"]), content_type=entry["type"])
    response[HEADER] = "hit"
    return response


class PageCacheMiddleware:
    """Answers from the page cache before any routing (Wagtail's takes several queries):
    last in `MIDDLEWARE`, so sessions, language and the CSRF cookie are still handled."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pinned = _request_version.set({})
        try:
            response = cached(request)
            if response is not None:
                return response
            request._page_cache_missed = True
            return self.get_response(request)
        finally:
            _request_version.reset(pinned)


def serve(
    request: HttpRequest,
    render: Callable[[], HttpResponse],
    *,
    valid_until: Callable[[], datetime | None] | None = None,
    unless_session: str = "",
    members: bool = False,
) -> HttpResponse:
    """The page for this visitor from the cache, or `render()` (then kept).

    `valid_until()` is called when the page is rendered: the moment it stops being true
    whatever else happens (a market's clock), or None. An anonymous visitor whose session
    holds `unless_session` (a basket the page shows, for instance) gets her own rendering.
    With `members`, signed-in visitors share one rendering too (kept apart from the
    anonymous one): everything in it that is hers must be a `deferred` part (her basket,
    her role links), and her CSRF token is filled like anyone's.
    """
    audience = _audience(request)
    if (
        audience is None
        or (audience == "member" and not members)
        or (audience == "anonymous" and unless_session and request.session.get(unless_session))
    ):
        return render()
    if not getattr(request, "_page_cache_missed", False) and (response := cached(request)) is not None:
        return response
    cache = caches[ALIAS]
    key = _key(request, _version(), audience)
    now = timezone.now()
    request._page_cache_rendering = True
    try:
        response = render()
        if hasattr(response, "render"):
            response = response.render()
    finally:
        request._page_cache_rendering = False
    if response.status_code != 200 or response.streaming or response.cookies:
        return response
    until = valid_until() if valid_until is not None else None
    html = _CSRF_VALUE.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<2>", response.content.decode(response.charset))
    timeout = LONGEST_SECONDS
    if until is not None:
        timeout = min(timeout, max(1, int((until - now).total_seconds()) + 1))
    if until is None or now < until:
        entry = {
            "html": html,
            "until": until,
            "type": response["Content-Type"],
            "unless_session": unless_session,
        }
        cache.set(key, entry, timeout)
    response.content = _fill(request, html).encode(response.charset)
    response[HEADER] = "miss"
    return response


def rendering(request: HttpRequest) -> bool:
    """Whether this request renders a page to be kept for every visitor of its kind (its
    per-visitor parts must then be `deferred`)."""
    return getattr(request, "_page_cache_rendering", False)


def _fill(request: HttpRequest, html: str) -> str:
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return _DEFERRED.sub(lambda match: _fills[match[1]](request, match[2]), html)


def cached_for_anonymous(view):
    """A function view served through `serve` (no clock: only `pages_changed` ends it)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        return serve(request, lambda: view(request, *args, **kwargs))

    return wrapper


def fragment(request: HttpRequest, name: str, render: Callable[[], str]) -> str:
    """A part of a page that is the same for every visitor, signed in or not (a market's
    offers), rendered once until the next `pages_changed()` and filled for this visitor
    (her CSRF token and the `deferred` placeholders). `name` must say everything the part
    depends on besides the version: the page, its language, the state, the choices made."""
    cache = caches[ALIAS]
    key = "fragment:" + hashlib.sha256(f"{_version()}|{name}".encode()).hexdigest()
    html = cache.get(key)
    if html is None:
        html = _CSRF_VALUE.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<2>", str(render()))
        cache.set(key, html, LONGEST_SECONDS)
    if rendering(request):
        return mark_safe(html)  # the whole page is being kept: it is filled when served
    return mark_safe(_fill(request, html))  # our own rendering, escaped when it was made


def remembered(name: str, compute: Callable[[], object]):
    """`compute()`, kept in the page cache until the next `pages_changed()`: for a small read
    that every page of a kind repeats (a market's categories and their counts). A sale does
    not forget it (`stock_changed`): what it computes must not depend on what is left."""
    cache = caches[ALIAS]
    key = f"value:{_versions()[VERSION_KEY]}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, LONGEST_SECONDS)
    return value
