"""HTML compressed by the application (`GZipMiddleware`), for phones on rural 3G.

Static files are compressed ahead of time and served by WhiteNoise, which answers before
this middleware is reached; photos (JPEG, WebP) and files are already compressed, so only
text is compressed here: HTML, and the few JSON, XML, calendar and plain-text answers.

BREACH: a page that reflects what the visitor sent next to a secret, compressed, can leak
the secret through its length. What Minga relies on, in Django 5.2:
- `GZipMiddleware` adds between 0 and 100 random bytes (the gzip header's file name) to
  every compressed response ("Heal The Breach", `max_random_bytes`), so the length an
  attacker measures is noisy and the attack needs far more requests;
- the CSRF token in a page is masked afresh on every response (`get_token` salts it), so
  the secret itself never repeats from one response to the next;
- sessions live in an HttpOnly cookie, never in a page.
"""

from django.middleware.gzip import GZipMiddleware

COMPRESSIBLE = ("text/", "application/json", "application/xml", "application/javascript", "image/svg+xml")


class TextGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware (its BREACH mitigation included), for text responses only."""

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith(COMPRESSIBLE):
            return response
        return super().process_response(request, response)
