import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _language_does_not_leak():
    """A request to an `/en/` URL leaves English active in the thread; later tests expect none."""
    yield
    translation.deactivate()
