"""The statistics are counted by the database (`GROUP BY`, PostgreSQL's
`PERCENTILE_CONT` or SQLite's registered aggregate): a small October and
March of 2026 worked out by hand, across both of New York's clock changes,
gives the same figures on both databases, and the answer is the shape its
serializer documents."""

import random
from datetime import date, timedelta

import pytest

from chat import statistics
from chat.api.statistics import StatisticsSerializer
from chat.models import Conversation, Ticket
from tests.api_helpers import client_for
from tests.chat.test_statistics_api import conversation as chat
from tests.chat.test_statistics_api import utc
from tests.consortium.factories import (
    HelpdeskFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

C = Conversation


@pytest.fixture
def library(db):
    library = LibraryFactory(code="alib", name="Library A")
    QueueFactory(library=library)
    return library


@pytest.fixture
def clock_changes(library):
    """Six questions around New York's clock changes of 2026:

    - 1 November, when 02:00 EDT falls back to 01:00 EST: chats at 01:30 EDT
      (wait 10 s, 100 s long) and 01:30 EST (20 s, 200 s), both Sunday's
      hour 01; one at 00:30 EDT (40 s, 300 s); one at 23:30 EDT on Saturday
      31 October (80 s, 400 s), already 1 November in UTC.
    - 8 March, when 02:00 EST springs to 03:00 EDT: a missed chat at 03:30
      EDT and an email at 01:59 EST, answered by email 3 hours later.
    """
    rob = StaffFactory(library=library, username="alib-rob")
    chat(library, utc(2026, 11, 1, 5, 30), librarian=rob, wait=10, duration=100)
    chat(library, utc(2026, 11, 1, 6, 30), librarian=rob, wait=20, duration=200)
    chat(library, utc(2026, 11, 1, 4, 30), librarian=rob, wait=40, duration=300)
    chat(library, utc(2026, 11, 1, 3, 30), librarian=rob, wait=80, duration=400)
    chat(library, utc(2026, 3, 8, 7, 30), status=C.Status.MISSED)
    emailed = chat(
        library, utc(2026, 3, 8, 6, 59), channel=C.Channel.EMAIL, status=C.Status.TICKET
    )
    Ticket.objects.create(
        conversation=emailed,
        library=library,
        source=Ticket.Source.EMAIL,
        email="pat@example.org",
        due_at=emailed.requested_at + timedelta(days=1),
        created_at=emailed.requested_at,
        first_response_at=emailed.requested_at + timedelta(hours=3),
        assignee=rob,
        status=Ticket.Status.WAITING,
    )


def figures(by):
    period = statistics.Period(
        date(2026, 3, 1), date(2026, 11, 30), statistics.consortium_zone()
    )
    return statistics.conversation_statistics(
        C.objects.all(), period=period, by=by, libraries=None
    )


def by_key(by):
    return {group["key"]: group for group in figures(by)["groups"]}


def test_totals_are_counted_and_interpolated_by_the_database(clock_changes):
    totals = figures("channel")["totals"]
    assert (totals["asked"], totals["answered"], totals["missed"]) == (6, 4, 1)
    assert totals["missed_rate"] == 0.2  # 1 missed of 5 live chats
    assert (totals["tickets"], totals["tickets_answered"]) == (1, 1)
    # Waits 10, 20, 40, 80: the 90th percentile is 40 + 0.7 × 40.
    assert totals["wait_seconds"] == {
        "count": 4,
        "median": 30.0,
        "p90": 68.0,
        "max": 80.0,
    }
    assert totals["duration_seconds"] == {"count": 4, "median": 250.0, "p90": 370.0}
    assert totals["ticket_first_response_hours"] == {
        "count": 1,
        "median": 3.0,
        "p90": 3.0,
    }
    assert totals["channels"] == {"chat": 5, "sms": 0, "email": 1}


def test_both_one_thirties_of_the_fall_back_night_are_sunday_hour_one(clock_changes):
    hours = by_key("hour_of_week")
    assert len(hours) == 168
    one = hours["6-01"]
    # 01:30 EDT and 01:30 EST on 1 November, and 01:59 EST on 8 March.
    assert (one["asked"], one["answered"], one["tickets"]) == (3, 2, 1)
    assert one["wait_seconds"] == {"count": 2, "median": 15.0, "p90": 19.0, "max": 20.0}
    assert one["duration_seconds"]["median"] == 150.0
    assert one["ticket_first_response_hours"] == {
        "count": 1,
        "median": 3.0,
        "p90": 3.0,
    }
    assert hours["6-00"]["asked"] == 1  # 00:30 EDT
    assert hours["5-23"]["asked"] == 1  # Saturday 23:30 EDT, Sunday in UTC
    # 03:30 EDT on spring-forward day: there was no 02:00 hour that night.
    assert (hours["6-03"]["asked"], hours["6-03"]["missed_rate"]) == (1, 1.0)
    assert hours["6-02"]["asked"] == 0
    assert sum(group["asked"] for group in hours.values()) == 6


def test_days_weeks_and_months_are_new_york_s(clock_changes):
    days = by_key("day")
    assert days["2026-11-01"]["asked"] == 3
    assert days["2026-10-31"]["asked"] == 1
    march = days["2026-03-08"]
    assert (march["asked"], march["missed"], march["missed_rate"]) == (2, 1, 1.0)
    weeks = by_key("week")
    assert weeks["2026-10-26"]["asked"] == 4  # Monday 26 October to Sunday 1st
    assert weeks["2026-03-02"]["asked"] == 2
    months = by_key("month")
    assert [months[m]["asked"] for m in ("2026-03", "2026-10", "2026-11")] == [2, 1, 3]


def test_answering_library_groups_help_desk_and_unanswered(clock_changes, library):
    helpdesk = HelpdeskFactory(username="helpdesk")
    chat(library, utc(2026, 6, 2, 15), librarian=helpdesk, wait=5, duration=50)
    groups = by_key("answering_library")
    assert groups["alib"]["asked"] == 5  # Rob's four chats and his email answer
    assert groups["helpdesk"]["asked"] == 1
    assert groups["unanswered"]["missed"] == 1


def test_percentiles_agree_with_the_documented_interpolation(library):
    rob = StaffFactory(library=library, username="alib-rob")
    rng = random.Random(15)
    waits = [rng.randint(1, 900) + rng.randint(0, 999999) / 1e6 for _ in range(37)]
    start = utc(2026, 5, 4, 14)
    for n, wait in enumerate(waits):
        chat(library, start + timedelta(minutes=n), librarian=rob, wait=wait)
    wait = figures("library")["totals"]["wait_seconds"]
    ordered = sorted(waits)
    assert wait["median"] == round(statistics.percentile(ordered, 50), 1)
    assert wait["p90"] == round(statistics.percentile(ordered, 90), 1)
    assert wait["max"] == round(ordered[-1], 1)


@pytest.mark.parametrize("by", statistics.BY_CHOICES)
def test_the_answer_is_what_its_serializer_documents(clock_changes, by):
    helpdesk = HelpdeskFactory(username="helpdesk")
    response = client_for(helpdesk).get(
        f"/api/v1/statistics/?from=2026-03-01&to=2026-11-30&by={by}"
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert StatisticsSerializer(data).data == data
