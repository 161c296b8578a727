"""A small consortium to schedule: co-op queue `coop-state` (Eastern, open
07:00–23:00 in semester terms, every day), an Eastern library A and a Central
library C that both staff it, two consortium terms (Spring 2027 holds the
March 14 spring-forward and Fall 2027 the November 7 fall-back)."""

from datetime import UTC, date, datetime

import pytest

from consortium.models import ConsortiumSettings, Staff, TermType
from tests.consortium.factories import (
    CoopQueueFactory,
    CoordinatorFactory,
    HelpdeskFactory,
    HoursFactory,
    LibraryFactory,
    StaffFactory,
    TermFactory,
)


class World:
    pass


@pytest.fixture
def world(db):
    w = World()
    config = ConsortiumSettings.load()
    config.listserv_email = "askref-l@example.org"
    config.helpdesk_email = "helpdesk@example.org"
    config.save()
    w.queue = CoopQueueFactory(code="coop-state", name="Statewide")
    for weekday in range(7):
        for term_type in (TermType.SEMESTER, TermType.BREAK):
            HoursFactory(
                queue=w.queue,
                term_type=term_type,
                weekday=weekday,
                opens=0,
                closes=1440,
            )
    w.lib_a = LibraryFactory(code="alib", name="Library A")
    w.lib_c = LibraryFactory(code="clib", name="Library C", timezone="America/Chicago")
    w.lib_x = LibraryFactory(code="xlib", name="Library X (not a member)")
    w.lib_a.coops.add(w.queue)
    w.lib_c.coops.add(w.queue)
    w.spring = TermFactory(
        name="Spring 2027", start_date=date(2027, 1, 11), end_date=date(2027, 5, 7)
    )
    w.fall = TermFactory(
        name="Fall 2027", start_date=date(2027, 8, 23), end_date=date(2027, 12, 10)
    )
    w.coord_a = CoordinatorFactory(library=w.lib_a, username="alib-coord")
    w.coord_c = CoordinatorFactory(library=w.lib_c, username="clib-coord")
    w.rob = StaffFactory(library=w.lib_a, username="alib-rob", first_name="Rob")
    w.nan = StaffFactory(library=w.lib_a, username="alib-nan", first_name="Nan")
    w.cal = StaffFactory(library=w.lib_c, username="clib-cal", first_name="Cal")
    w.xen = StaffFactory(library=w.lib_x, username="xlib-xen", first_name="Xen")
    w.intern = StaffFactory(
        library=w.lib_a, username="alib-int", role=Staff.Role.INTERN
    )
    w.helpdesk = HelpdeskFactory(username="helpdesk")
    # Before both terms: everything is in the future.
    w.now = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
    return w


@pytest.fixture(autouse=True)
def alert_emails_send_at_once(monkeypatch):
    """No worker runs in tests: an alert email queued after commit is sent
    in-process, through the same task."""
    from scheduling import tasks

    monkeypatch.setattr(
        tasks.send_alert_email, "delay", lambda pk: tasks.send_alert_email(pk)
    )
