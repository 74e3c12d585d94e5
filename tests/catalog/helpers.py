from django.utils import translation


def spanish(message: str) -> str:
    """The app's own `message` as Spanish-speaking users read it (Spanish is the default)."""
    with translation.override("es"):
        return translation.gettext(message)
