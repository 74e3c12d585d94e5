from pathlib import Path

import pytest

from tests.factories import CooperativeFactory, UserFactory, make_product


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


@pytest.fixture
def asoyupguz():
    """The cooperative whose text says "yuca" everywhere, as ASOYUPGUZ's does."""
    coop = CooperativeFactory(
        name="Asociación de Yuqueros de Puerto Guzmán", known_for="yuca, plátano y huevos"
    )
    make_product(coop, name="Huevos criollos", description="Gallinas en pastoreo.")
    make_product(coop, name="Plátano hartón", description="Racimo de plátano verde.")
    make_product(coop, name="Almidón agrio", description="Hecho con yuca de la región, secado al sol.")
    make_product(coop, name="Yuca fresca", description="Recién arrancada.")
    return coop
