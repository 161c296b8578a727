"""`/reports/` (SPEC R1, R2): the figures of the hand-counted October 2026 of
tests/chat/test_statistics_api.py (plus one co-op answer of A for B) in the
page's tables, who may read which library, the CSV downloads (tables and the
streamed records, personal data only for those entitled), bad filters, and a
query count that does not grow with the data."""

import csv
import io
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, connections
from django.test import AsyncClient, Client
from django.test.utils import CaptureQueriesContext

from chat import report_views
from chat.models import Conversation, PatronRating
from chat.report_views import downloads
from consortium.models import Staff
from tests.chat.test_statistics_api import (  # noqa: F401  (the fixture)
    conversation,
    utc,
    world,
)
from tests.consortium.factories import QueueFactory, StaffFactory

pytestmark = pytest.mark.django_db

URL = "/reports/"
OCTOBER = "from=2026-10-01&to=2026-10-31"
C = Conversation


@pytest.fixture
def coop(world):  # noqa: F811
    """The October of `world` plus a chat of B answered by Rob (A) for the
    cooperative, whose patron gave a name and an email address."""
    world.rob_for_b = conversation(
        world.lib_b,
        utc(2026, 10, 8, 18, 0),  # Thursday 14:00 in New York
        librarian=world.rob,
        wait=20,
        duration=240,
        resolution=C.Resolution.ANSWERED,
        patron_name="Bea Other",
        patron_email="bea@example.org",
    )
    C.objects.filter(pk=world.answered.pk).update(
        patron_name="=HYPERLINK(1)",
        patron_email="ann@example.org",
        read_scale=2,
        patron_status=C.PatronStatus.UNDERGRADUATE,
        resident=False,
    )
    C.objects.filter(pk=world.b_chat.pk).update(read_scale=4)
    PatronRating.objects.create(conversation=world.answered, score=5)
    PatronRating.objects.create(conversation=world.rob_for_b, score=2)
    return world


def get(user, query=""):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(URL + ("?" + query if query else ""))


def page(user, query=OCTOBER):
    response = get(user, query)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def tables(response) -> dict:
    return {t.name: t for _, ts in response.context["sections"] for t in ts}


def rows(table) -> dict:
    return {row[0]: row[1:] for row in table.rows}


def parsed(response) -> list[list[str]]:
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    return list(csv.reader(io.StringIO(body.decode())))


# --- Figures against the hand-counted fixture -----------------------------------------


def test_help_desk_sees_every_library_and_the_co_op_balance(coop):
    t = tables(page(coop.helpdesk))
    # A: 4 asked; Rob's chat and Nan's email answered at home, Cal (B) took
    # the follow-up, one missed; Rob gave B one answer. B: 2 asked, its own
    # Cal answered one, Rob (A) took the other; Cal gave A the follow-up.
    assert rows(t["coop_balance"]) == {
        "Library A": [4, 2, 1, 0, 1, 1, 0.0, None],
        "Library B": [2, 1, 1, 0, 0, 1, 0.0, None],
    }
    assert rows(t["channels"]) == {
        "Live chat": [5, 4, 1, 1, 1],
        "SMS": [0, 0, 0, 0, 0],
        "Email": [1, 0, 0, 1, 1],
    }


def test_hour_of_week_heat_map_counts_each_hour_in_new_york(coop):
    heat = rows(tables(page(coop.helpdesk))["hour_of_week"])
    assert list(heat) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert heat["Mon"][10] == 1  # the answered chat, 10:00
    assert heat["Tue"][11] == 1 and heat["Tue"][8] == 1  # follow-up, email
    assert heat["Thu"][14] == 1  # Rob's co-op answer
    assert heat["Sat"][23] == 1  # the missed chat, 23:59:59 on 31 October
    assert sum(sum(cells) for cells in heat.values()) == 6


def test_trend_waits_and_counts_per_day(coop):
    t = tables(page(coop.helpdesk))
    trend = rows(t["trend"])
    assert len(trend) == 31  # 31 days: trend by day by default
    assert trend["Mon 5 Oct 2026"] == [1, 0, 0, 1]
    assert trend["Tue 20 Oct 2026"] == [0, 0, 1, 1]
    waits = rows(t["waits"])
    assert waits["Mon 5 Oct 2026"] == [1, 30.0, 30.0]
    assert waits["Thu 1 Oct 2026"] == [0, None, None]
    assert rows(t["missed"])["Sat 31 Oct 2026"] == [1, 100.0]
    assert rows(t["durations"])["Mon 5 Oct 2026"] == [1, 10.0, 10.0]
    assert rows(t["email_first_response"])["Tue 20 Oct 2026"] == [1, 1, 3.0, 3.0]
    # Both tickets answered well inside their 48 hours.
    assert rows(t["email_deadline"])["Tue 20 Oct 2026"] == [1, 1, 100.0]
    assert rows(t["email_deadline"])["Mon 5 Oct 2026"] == [0, 0, None]
    assert rows(t["resolutions"])["Answered"] == [3]
    assert rows(t["question_types"])["Research"] == [1]


def test_read_scale_patrons_and_ratings_of_the_period(coop):
    t = tables(page(coop.helpdesk))
    read = rows(t["read_scale"])
    assert (read["2"], read["4"], read["Not recorded"]) == ([1], [1], [4])
    statuses = rows(t["patron_statuses"])
    assert statuses["Undergraduate student"] == [1]
    assert sum(n for (n,) in statuses.values()) == 6
    assert rows(t["residency"]) == {
        "Resident of the service area": [5],
        "Not a resident": [1],
    }
    assert rows(t["ratings"]) == {
        "1 of 5": [0],
        "2 of 5": [1],
        "3 of 5": [0],
        "4 of 5": [0],
        "5 of 5": [1],
    }
    assert t["ratings"].note == "2 ratings, mean 3.5 of 5."
    # No texts in this October: a row per day, all zero, no share.
    assert rows(t["sms_deadline"])["Mon 5 Oct 2026"] == [0, 0, 0, 0, None]


def test_trend_by_week_is_keyed_by_monday(coop):
    trend = tables(page(coop.helpdesk, OCTOBER + "&trend=week"))["trend"]
    assert [row[0] for row in trend.rows][:2] == [
        "Week of Mon 28 Sep 2026",
        "Week of Mon 5 Oct 2026",
    ]
    assert rows(trend)["Week of Mon 5 Oct 2026"][-1] == 4


def test_channel_and_queue_filters_narrow_every_table(coop):
    t = tables(page(coop.helpdesk, OCTOBER + "&channel=email"))
    assert rows(t["channels"])["Live chat"][0] == 0
    assert rows(t["channels"])["Email"][0] == 1
    queue_b = coop.lib_b.queues.get()
    t = tables(page(coop.helpdesk, OCTOBER + f"&queue={queue_b.code}"))
    assert rows(t["coop_balance"])["Library B"][0] == 2
    assert rows(t["coop_balance"])["Library A"][0] == 0


# --- Who sees what ---------------------------------------------------------------------


def test_coordinator_sees_their_patrons_and_their_co_op_answers(coop):
    response = page(coop.coord_a)
    assert response.context["library"] == coop.lib_a
    t = tables(response)
    # Only their own library; Rob's answer for B is A's gift.
    assert rows(t["coop_balance"]) == {"Library A": [4, 2, 1, 0, 1, 1, 0.0, None]}
    # A's four: at home twice, by B once, missed once.
    assert rows(t["answered_by"]) == {
        "Library A": [2],
        "Library B": [1],
        "Not answered": [1],
    }
    # The volume is A's own: B's chats are not counted.
    assert sum(row[-1] for row in t["trend"].rows) == 4
    assert b"Library asked from</label>" not in response.content


def test_coordinator_naming_another_library_gets_an_error_and_no_figures(coop):
    response = get(coop.coord_a, OCTOBER + "&library=blib")
    assert response.status_code == 400
    assert "No library with the code “blib” in your scope." in response.text
    assert "sections" not in response.context
    assert "Bea" not in response.text


def test_coordinator_cannot_download_another_librarys_table_or_records(coop):
    for download in ("channels", "records"):
        response = get(coop.coord_a, OCTOBER + f"&library=blib&csv={download}")
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("who", ["librarian", "intern"])
def test_staff_without_an_admin_role_get_403(coop, who):
    user = (
        coop.rob
        if who == "librarian"
        else StaffFactory(library=coop.lib_a, role=Staff.Role.INTERN)
    )
    assert get(user).status_code == 403
    assert get(user, OCTOBER + "&csv=records").status_code == 403


def test_anonymous_is_sent_to_sign_in(coop):
    response = get(None)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_desk_links_to_reports_for_coordinators_only(coop):
    client = Client()
    client.force_login(coop.coord_a)
    assert b'href="/reports/"' in client.get("/desk/").content
    client.force_login(coop.rob)
    assert b'href="/reports/"' not in client.get("/desk/").content


# --- Bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, message",
    [
        (
            "from=2026-10-31&to=2026-10-01",
            "To: The last day 2026-10-01 is before the first day 2026-10-31.",
        ),
        (
            "from=2016-01-01&to=2026-01-01",
            "From: A period is at most two years (731 days).",
        ),
        ("from=2026-10-01", "To: Give both `from` and `to` (YYYY-MM-DD)."),
        ("from=yesterday&to=2026-10-01", "From: Date has wrong format."),
        (
            OCTOBER + "&period=last-month",
            "Period: Give the days one way only: from/to or period.",
        ),
        (OCTOBER + "&library=nowhere", "No library with the code “nowhere”"),
        (OCTOBER + "&library=<b>x</b>", "the code “&lt;b&gt;x&lt;/b&gt;” in"),
        (OCTOBER + "&queue=nowhere", "Queue: No queue with the code “nowhere”"),
        (OCTOBER + "&channel=fax", "Channel: “fax” is not a channel: give chat"),
        (OCTOBER + "&trend=year", "Trend by: Select a valid choice."),
        (OCTOBER + "&csv=secrets", "Download: there is no table named “secrets”."),
    ],
)
def test_bad_filters_are_explained_on_the_page(coop, query, message):
    response = get(coop.helpdesk, query)
    assert response.status_code == 400
    assert message in response.text
    assert 'role="alert"' in response.text
    assert "sections" not in response.context


def test_a_coordinator_cannot_filter_by_another_librarys_queue(coop):
    other = coop.lib_b.queues.get()
    response = get(coop.coord_a, OCTOBER + f"&queue={other.code}")
    assert response.status_code == 400
    assert f"No queue with the code “{other.code}” in your scope." in response.text


def test_empty_form_fields_mean_not_given(coop):
    response = page(coop.helpdesk, OCTOBER + "&period=&library=&queue=&channel=")
    assert response.context["period"].days == 31


# --- CSV ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["channels", "coop_balance", "trend", "hour_of_week"])
def test_every_table_downloads_as_the_csv_of_its_figures(coop, name):
    table = tables(page(coop.helpdesk))[name]
    response = get(coop.helpdesk, OCTOBER + f"&csv={name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="asktogether-{name.replace("_", "-")}'
        '-2026-10-01-2026-10-31.csv"'
    )
    header, *body = parsed(response)
    assert header == table.columns
    assert body == [["" if c is None else str(c) for c in row] for row in table.rows]


def test_every_table_of_the_page_is_downloadable_by_its_name(coop):
    assert set(tables(page(coop.coord_a))) == set(report_views.SOURCES)
    assert set(tables(page(coop.helpdesk))) == set(report_views.SOURCES) - {
        "answered_by"  # of one library's patrons
    }
    response = get(coop.helpdesk, OCTOBER + "&csv=answered_by")
    assert response.status_code == 400
    assert "is of one library: choose it." in response.text
    response = get(coop.helpdesk, OCTOBER + "&library=alib&csv=answered_by")
    assert response.status_code == 200


def test_a_tables_csv_counts_only_that_table(coop):
    client = Client()
    client.force_login(coop.helpdesk)
    client.get(URL + "?" + OCTOBER)
    with CaptureQueriesContext(connection) as whole:
        client.get(URL + "?" + OCTOBER)
    with CaptureQueriesContext(connection) as one:
        client.get(URL + "?" + OCTOBER + "&csv=hour_of_week")
    statistics_queries = [q for q in one if "GROUP BY" in q["sql"]]
    assert len(statistics_queries) == 1  # its own grouping, not the page's
    assert len(one) < len(whole)


def test_table_cells_are_escaped_and_heat_cells_coloured_by_share_of_the_top():
    table = report_views.Table("x", "X", ["Library", "Asked"], [["<b>L</b>", None]])
    assert table.body_html() == (
        '<tr><th scope="row">&lt;b&gt;L&lt;/b&gt;</th><td>—</td></tr>'
    )
    heat = report_views.Table("h", "H", ["Day", "0", "1", "2"], [["Mon", 0, 1, 4]])
    heat.chart = "heat"
    assert heat.body_html() == (
        '<tr><th scope="row">Mon</th><td class="heat-0">0</td>'
        '<td class="heat-2">1</td><td class="heat-5">4</td></tr>'
    )


def test_cells_that_would_start_a_formula_are_neutralised():
    assert report_views.excel_safe("=SUM(A1)") == "'=SUM(A1)"
    assert report_views.excel_safe("+1") == "'+1"
    assert report_views.excel_safe("-1") == "'-1"
    assert report_views.excel_safe("@cmd") == "'@cmd"
    assert report_views.excel_safe("Library A") == "Library A"
    assert report_views.excel_safe(-1) == -1  # a number stays a number
    assert report_views.excel_safe(None) == ""


def test_records_stream_with_personal_data_for_the_help_desk(coop):
    response = get(coop.helpdesk, OCTOBER + "&csv=records")
    assert response.status_code == 200 and response.streaming
    assert "records-2026-10-01-2026-10-31.csv" in response["Content-Disposition"]
    header, *body = parsed(response)
    assert header[:3] == ["Conversation", "Channel", "Library asked from"]
    assert header[-3:] == ["Patron name", "Patron email", "Patron phone"]
    assert len(body) == 6  # October's six conversations, in order
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in body}
    answered = by_id[coop.answered.pk]
    assert answered["Patron name"] == "'=HYPERLINK(1)"  # Excel-safe
    assert answered["Library asked from"] == "alib"
    assert answered["Answering librarian"] == "alib-rob"
    assert answered["Librarian's library"] == "alib"
    assert answered["Requested"] == "2026-10-05T10:00:00-04:00"
    assert (answered["Wait (s)"], answered["Duration (s)"]) == ("30.0", "600.0")
    assert (answered["Missed"], answered["Resolution"]) == ("no", "answered")
    assert by_id[coop.missed.pk]["Missed"] == "yes"
    assert by_id[coop.rob_for_b.pk]["Patron email"] == "bea@example.org"


def test_records_withhold_other_libraries_patrons_from_a_coordinator(coop):
    header, *body = parsed(get(coop.coord_a, OCTOBER + "&csv=records"))
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in body}
    # A's four and Rob's answer for B; never B's own chat.
    assert set(by_id) == {
        coop.answered.pk,
        coop.followed_up.pk,
        coop.missed.pk,
        coop.emailed.pk,
        coop.rob_for_b.pk,
    }
    assert by_id[coop.answered.pk]["Patron email"] == "ann@example.org"
    other = by_id[coop.rob_for_b.pk]
    assert (other["Patron name"], other["Patron email"]) == ("[withheld]",) * 2
    # Naming their own library: only its patrons.
    header, *body = parsed(get(coop.coord_a, OCTOBER + "&library=alib&csv=records"))
    assert coop.rob_for_b.pk not in {int(row[0]) for row in body}


@pytest.mark.django_db(transaction=True)
async def test_records_stream_in_batches_under_asgi(coop):
    """Under ASGI (daphne in production) the records come as an asynchronous
    stream: Django would read a synchronous one whole before sending it."""
    client = AsyncClient()
    await client.aforce_login(coop.helpdesk)
    response = await client.get(URL + "?" + OCTOBER + "&csv=records")
    assert response.status_code == 200
    assert response.streaming and response.is_async
    body = b"".join([chunk async for chunk in response.streaming_content])
    header, *rows = list(csv.reader(io.StringIO(body.decode())))
    assert header[0] == "Conversation" and len(rows) == 6
    # The view's connection lives in the request's thread: closed there.
    await sync_to_async(connections.close_all)()


async def test_async_batches_hold_500_lines_each():
    lines = (f"{n}\n" for n in range(1200))
    chunks = [chunk async for chunk in downloads._async_batches(lines)]
    assert [chunk.count("\n") for chunk in chunks] == [500, 500, 200]


# --- Speed ----------------------------------------------------------------------------


def _queries(user) -> int:
    client = Client()
    client.force_login(user)
    client.get(URL + "?" + OCTOBER)  # session and user loaded once
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL + "?" + OCTOBER).status_code == 200
    return len(queries)


def test_the_page_runs_the_same_queries_whatever_the_data(coop):
    before = (_queries(coop.helpdesk), _queries(coop.coord_a))
    chats = []
    for n in range(30):
        chats.append(
            conversation(
                coop.lib_a if n % 2 else coop.lib_b,
                utc(2026, 10, 1 + n, 12) + timedelta(minutes=n),
                librarian=coop.cal if n % 3 else coop.rob,
                wait=n,
                duration=60 * n,
                resolution=C.Resolution.ANSWERED,
            )
        )
    other = QueueFactory(library=coop.lib_a, code="alib-2")
    C.objects.filter(pk__in=[c.pk for c in chats[::5]]).update(queue=other)
    assert (_queries(coop.helpdesk), _queries(coop.coord_a)) == before
