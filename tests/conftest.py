import pytest
from django.db import connection

from tests.database import (  # noqa: F401  (the test database's fixtures and hooks)
    _note_a_transactional_test,
    django_db_setup,
    pytest_configure_node,
    pytest_runtest_teardown,
    pytest_unconfigure,
)
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory
from tests.twilio_stub import twilio_stub  # noqa: F401  (the local Twilio API)


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need real row locks: they run only against PostgreSQL."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def cooperative(db):
    return CooperativeFactory()


@pytest.fixture
def manager(cooperative):
    return MembershipFactory(cooperative=cooperative, role="manager").user


@pytest.fixture
def member(cooperative):
    return MembershipFactory(cooperative=cooperative, role="member").user


@pytest.fixture
def outsider(db):
    """A manager of another cooperative: must see nothing of `cooperative`."""
    return MembershipFactory(role="manager").user


@pytest.fixture
def buyer(db):
    return UserFactory()


@pytest.fixture(autouse=True)
def _default_language():
    """A request to /en/ activates English in this thread: never let it leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
