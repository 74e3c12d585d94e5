import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import mark_safe

_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower-case and strip accents, so that `cafe` finds `Café` and `ñame` finds `Ñame`."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def one_line(text) -> str:
    """Every run of whitespace, line breaks included, as one space: for names and subjects."""
    return " ".join(str(text or "").split())


def search_words(text: str, *, limit: int = 8) -> list[str]:
    """The folded words of a search, without control characters (PostgreSQL refuses a NUL)."""
    folded = fold(text)
    cleaned = "".join(" " if unicodedata.category(c).startswith("C") else c for c in folded)
    return cleaned.split()[:limit]


def highlight(text, terms) -> str:
    """`text`, HTML-escaped, with each word that is one of `terms` (folded words, as a search
    understood them; `caf*` stands for words that start with `caf`) in `<mark>`:
    `highlight("Café de Anorí", ["cafe"])` gives `<mark>Café</mark> de Anorí`."""
    text = str(text or "")
    terms = [t for t in (terms or []) if t]
    if not terms:
        return escape(text)
    parts, last = [], 0
    for match in _WORD.finditer(text):
        word = fold(match.group())
        if any(word == t or (t.endswith("*") and word.startswith(t[:-1])) for t in terms):
            parts += [escape(text[last : match.start()]), "<mark>", escape(match.group()), "</mark>"]
            last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # every piece of text above was escaped
