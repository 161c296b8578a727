import pytest
from django.core.cache import cache

from consortium import selectors as consortium_selectors
from consortium.models import ConsortiumSettings
from tests.consortium.factories import (
    CoordinatorFactory,
    HelpdeskFactory,
    LibraryFactory,
)


@pytest.fixture
def library_a(db):
    return LibraryFactory(code="alib", name="Library A")


@pytest.fixture
def library_b(db):
    return LibraryFactory(code="blib", name="Library B")


@pytest.fixture
def coordinator_a(library_a):
    return CoordinatorFactory(library=library_a, username="alib-coord")


@pytest.fixture
def helpdesk(db):
    return HelpdeskFactory(username="helpdesk")


@pytest.fixture(autouse=True)
def empty_cache():
    """The cache is a shared Redis: start every test with nothing in it, and
    with no consortium settings or calendars remembered from an earlier test's database."""
    cache.clear()
    ConsortiumSettings.forget()
    consortium_selectors.forget_calendars()
    yield
