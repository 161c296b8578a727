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
def empty_cache(monkeypatch):
    """The cache is a shared Redis: start every test with nothing in it, and
    with no consortium settings or calendars remembered from an earlier test's database.

    Within a test the settings and calendars kept per process do not expire
    by the clock: a save forgets them (signals), and a statement count does
    not depend on whether a slow machine crossed a 5-second boundary between
    two requests (CI counted one more statement on the policy page list so)."""
    cache.clear()
    ConsortiumSettings.forget()
    consortium_selectors.forget_calendars()
    monkeypatch.setattr(ConsortiumSettings, "CACHE_SECONDS", 10**9)
    monkeypatch.setattr(consortium_selectors, "CALENDAR_CACHE_SECONDS", 10**9)
    yield
