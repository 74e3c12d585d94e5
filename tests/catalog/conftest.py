from pathlib import Path

import pytest

from tests.factories import UserFactory, make_product


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """Each test stores uploads in its own empty folder, so 'nothing was stored' is checkable."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def product(cooperative):
    return make_product(cooperative)


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True)
