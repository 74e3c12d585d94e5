import unicodedata


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
