import unicodedata


def fold(text: str) -> str:
    """Lower-case and strip accents, so that `cafe` finds `Café` and `ñame` finds `Ñame`."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
