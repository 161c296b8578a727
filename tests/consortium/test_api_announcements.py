"""Announcements and problem reports over the REST API (SPEC C6, C7, A2):
the permission matrix (help desk, coordinators of A and B, librarian,
intern, anonymous), bad input in the one error format with nothing
half-saved, stale writes, the resolve action and flat query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consortium import services
from consortium.models import Announcement, ProblemReport, Staff
from tests.api_helpers import assert_error, client_for, ids, stale_patch, url
from tests.consortium.factories import CoordinatorFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(library_a, library_b, helpdesk, coordinator_a):
    return {
        "a": library_a,
        "b": library_b,
        "helpdesk": helpdesk,
        "coord_a": coordinator_a,
        "coord_b": CoordinatorFactory(library=library_b, username="blib-coord"),
        "librarian": StaffFactory(library=library_a, username="alib-lib"),
        "librarian_b": StaffFactory(library=library_b, username="blib-lib"),
        "intern": StaffFactory(
            library=library_a, username="alib-intern", role=Staff.Role.INTERN
        ),
    }


def announcement(world, title="Upgrade on Saturday", **kw):
    return services.announcement_save(
        actor=world["helpdesk"],
        announcement=Announcement(title=title, body="The desk is down 8-9.", **kw),
    )


def report(world, who="librarian", summary="No sound on new chats"):
    return services.problem_report_create(
        actor=world[who], summary=summary, details="Chrome 140", page_url="/desk/"
    )


NEW = {"title": "Holiday hours", "body": "Closed on the 25th."}


# --- Announcements: permission matrix ---------------------------------------------------


def test_anonymous_gets_401_on_every_announcement_endpoint(world):
    row = announcement(world)
    client = client_for(None)
    for response in (
        client.get(url("announcements")),
        client.get(url("announcements", row.pk)),
        client.post(url("announcements"), NEW, format="json"),
        client.patch(url("announcements", row.pk), {"title": "x"}, format="json"),
        client.delete(url("announcements", row.pk)),
    ):
        assert_error(response, 401, "not_authenticated")
    assert Announcement.objects.get().title == "Upgrade on Saturday"


@pytest.mark.parametrize("role", ["librarian", "intern"])
def test_librarians_and_interns_get_403_on_announcements(world, role):
    row = announcement(world)
    client = client_for(world[role])
    for response in (
        client.get(url("announcements")),
        client.get(url("announcements", row.pk)),
        client.post(url("announcements"), NEW, format="json"),
        client.patch(url("announcements", row.pk), {"title": "x"}, format="json"),
        client.delete(url("announcements", row.pk)),
    ):
        assert_error(response, 403, "permission_denied")
    assert Announcement.objects.get().title == "Upgrade on Saturday"


def test_helpdesk_posts_changes_and_deletes_announcements(
    world, django_capture_on_commit_callbacks
):
    client = client_for(world["helpdesk"])
    with django_capture_on_commit_callbacks() as callbacks:
        created = client.post(
            url("announcements"), NEW | {"email_staff": True}, format="json"
        )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["author"] == "helpdesk" and body["emailed_at"] is None
    assert len(callbacks) == 1  # the email to all staff, after commit
    pk = body["id"]
    assert pk in ids(client.get(url("announcements")))
    changed = client.patch(
        url("announcements", pk), {"title": "Holiday closing"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["title"] == "Holiday closing"
    assert Announcement.objects.get(pk=pk).title == "Holiday closing"
    assert client.delete(url("announcements", pk)).status_code == 204
    assert_error(client.get(url("announcements", pk)), 404, "not_found")
    assert not Announcement.objects.filter(pk=pk).exists()


def test_author_and_emailed_at_are_read_only(world):
    row = announcement(world)
    client = client_for(world["helpdesk"])
    response = client.patch(
        url("announcements", row.pk),
        {"author": "alib-coord", "emailed_at": "2026-01-01T00:00:00Z", "body": "New"},
        format="json",
    )
    assert response.status_code == 200, response.content
    row.refresh_from_db()
    assert row.author == world["helpdesk"] and row.emailed_at is None
    assert row.body == "New"


@pytest.mark.parametrize("who", ["coord_a", "coord_b"])
def test_coordinators_read_announcements_but_change_nothing(world, who):
    row = announcement(world)
    client = client_for(world[who])
    assert row.pk in ids(client.get(url("announcements")))
    read = client.get(url("announcements", row.pk))
    assert read.status_code == 200 and read.json()["title"] == row.title
    assert_error(client.get(url("announcements", 987654)), 404, "not_found")
    for response in (
        client.post(url("announcements"), NEW, format="json"),
        client.put(url("announcements", row.pk), NEW, format="json"),
        client.patch(url("announcements", row.pk), {"title": "Mine"}, format="json"),
        client.delete(url("announcements", row.pk)),
    ):
        assert_error(response, 403, "permission_denied")
    assert list(Announcement.objects.values_list("title", flat=True)) == [row.title]


def test_current_filter_shows_what_the_desk_shows_now(world):
    now = timezone.now()
    shown = announcement(world, title="Shown")
    expired = announcement(
        world,
        title="Expired",
        published_at=now - timedelta(days=10),
        expires_at=now - timedelta(days=1),
    )
    scheduled = announcement(
        world, title="Scheduled", published_at=now + timedelta(days=2)
    )
    client = client_for(world["coord_a"])
    assert ids(client.get(url("announcements") + "?current=true")) == {shown.pk}
    assert ids(client.get(url("announcements") + "?current=false")) == {
        expired.pk,
        scheduled.pk,
    }


# --- Announcements: bad input ------------------------------------------------------


def test_expiry_before_publication_is_a_field_error_and_nothing_is_saved(world):
    client = client_for(world["helpdesk"])
    payload = NEW | {
        "published_at": "2027-03-10T09:00:00Z",
        "expires_at": "2027-03-01T09:00:00Z",
    }
    response = client.post(url("announcements"), payload, format="json")
    error = assert_error(response, 400, "invalid", field="expires_at")
    assert "expire after" in error["fields"]["expires_at"][0]
    assert not Announcement.objects.exists()
    row = announcement(world)
    response = client.patch(
        url("announcements", row.pk),
        {"title": "Changed", "expires_at": "2000-01-01T00:00:00Z"},
        format="json",
    )
    assert_error(response, 400, field="expires_at")
    row.refresh_from_db()
    assert row.title == "Upgrade on Saturday" and row.expires_at is None


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"title": ["x"]}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"published_at": "next Tuesday"}, "published_at"),
        ({"email_staff": "maybe"}, "email_staff"),
        ({"body": None}, "body"),
    ],
)
def test_wrong_types_are_400_with_the_field(world, payload, field):
    client = client_for(world["helpdesk"])
    response = client.post(url("announcements"), NEW | payload, format="json")
    assert_error(response, 400, "invalid", field=field)
    assert not Announcement.objects.exists()


def test_unknown_announcement_fields_are_named(world):
    response = client_for(world["helpdesk"]).post(
        url("announcements"), NEW | {"colour": "red", "pinned": True}, format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {
        "colour": ["Unknown field."],
        "pinned": ["Unknown field."],
    }
    assert not Announcement.objects.exists()


def test_stale_if_match_on_an_announcement_is_412_and_changes_nothing(world):
    row = announcement(world)
    client = client_for(world["helpdesk"])
    etag = client.get(url("announcements", row.pk))["ETag"]
    stale = stale_patch(
        client,
        url("announcements", row.pk),
        {"title": "Moved to Sunday"},
        {"title": "Cancelled"},
    )
    assert_error(stale, 412, "stale")
    assert Announcement.objects.get(pk=row.pk).title == "Moved to Sunday"
    assert_error(client.delete(url("announcements", row.pk), HTTP_IF_MATCH=etag), 412)
    assert Announcement.objects.filter(pk=row.pk).exists()


def test_announcement_list_query_count_does_not_grow_with_the_page(
    world, django_assert_num_queries
):
    authors = [world["helpdesk"]] + [
        StaffFactory(library=None, role=Staff.Role.HELPDESK) for _ in range(4)
    ]
    for n in range(20):
        world["helpdesk"] = authors[n % len(authors)]
        announcement(world, title=f"News {n}")
    client = client_for(authors[0])
    with CaptureQueriesContext(connection) as small:
        page = client.get(url("announcements") + "?page_size=2").json()
        assert len(page["results"]) == 2
    with django_assert_num_queries(len(small)):
        page = client.get(url("announcements") + "?page_size=20").json()
        assert len(page["results"]) == 20


# --- Problem reports: permission matrix --------------------------------------------


def test_anonymous_gets_401_on_problem_reports(world):
    row = report(world)
    client = client_for(None)
    for response in (
        client.get(url("problem-reports")),
        client.get(url("problem-reports", row.pk)),
        client.post(
            url("problem-reports", row.pk, "resolve"),
            {"resolution": "x"},
            format="json",
        ),
    ):
        assert_error(response, 401, "not_authenticated")
    assert ProblemReport.objects.get().status == ProblemReport.Status.OPEN


@pytest.mark.parametrize("role", ["librarian", "intern"])
def test_librarians_and_interns_get_403_on_problem_reports(world, role):
    row = report(world)
    client = client_for(world[role])
    for response in (
        client.get(url("problem-reports")),
        client.get(url("problem-reports", row.pk)),
        client.post(
            url("problem-reports", row.pk, "resolve"),
            {"resolution": "x"},
            format="json",
        ),
    ):
        assert_error(response, 403, "permission_denied")
    assert ProblemReport.objects.get().status == ProblemReport.Status.OPEN


def test_helpdesk_sees_every_report_and_filters_them(world):
    a, b = report(world), report(world, who="librarian_b", summary="Slow desk")
    done = report(world, summary="Typing indicator stuck")
    services.problem_report_resolve(
        actor=world["helpdesk"], report_id=done.pk, resolution="Fixed in 2.3"
    )
    client = client_for(world["helpdesk"])
    assert ids(client.get(url("problem-reports"))) == {a.pk, b.pk, done.pk}
    assert ids(client.get(url("problem-reports") + "?status=open")) == {a.pk, b.pk}
    assert ids(client.get(url("problem-reports") + "?library=blib")) == {b.pk}
    assert ids(
        client.get(url("problem-reports") + "?library=alib&status=resolved")
    ) == {done.pk}
    assert_error(client.get(url("problem-reports") + "?status=lost"), 400)
    row = client.get(url("problem-reports", done.pk)).json()
    assert row["reporter"] == "alib-lib" and row["library"] == "alib"
    assert row["resolved_by"] == "helpdesk" and row["resolution"] == "Fixed in 2.3"


@pytest.mark.parametrize("who,own,other", [("coord_a", 0, 1), ("coord_b", 1, 0)])
def test_coordinators_read_their_librarys_reports_and_other_ids_are_404(
    world, who, own, other
):
    rows = (report(world), report(world, who="librarian_b"))
    mine, theirs = rows[own], rows[other]
    client = client_for(world[who])
    assert ids(client.get(url("problem-reports"))) == {mine.pk}
    assert client.get(url("problem-reports", mine.pk)).status_code == 200
    assert_error(client.get(url("problem-reports", theirs.pk)), 404, "not_found")
    assert_error(
        client.post(
            url("problem-reports", theirs.pk, "resolve"),
            {"resolution": "x"},
            format="json",
        ),
        404,
        "not_found",
    )


def test_coordinators_cannot_resolve_even_their_own_librarys_reports(world):
    # The admin lets coordinators view problem reports only; resolving is the
    # help desk's (`problem_report_resolve`).
    row = report(world)
    response = client_for(world["coord_a"]).post(
        url("problem-reports", row.pk, "resolve"),
        {"resolution": "Restarted"},
        format="json",
    )
    assert_error(response, 403, "permission_denied")
    row.refresh_from_db()
    assert row.status == ProblemReport.Status.OPEN and row.resolution == ""


def test_problem_reports_are_not_filed_changed_or_deleted_over_the_api(world):
    row = report(world)
    client = client_for(world["helpdesk"])
    filed = client.post(
        url("problem-reports"), {"summary": "From the API"}, format="json"
    )
    assert_error(filed, 403)  # as in the admin: nobody adds them there
    for response in (
        client.put(url("problem-reports", row.pk), {"summary": "x"}, format="json"),
        client.patch(
            url("problem-reports", row.pk), {"status": "resolved"}, format="json"
        ),
        client.delete(url("problem-reports", row.pk)),
    ):
        assert_error(response, 405)
    row.refresh_from_db()
    assert ProblemReport.objects.count() == 1
    assert row.summary == "No sound on new chats"
    assert row.status == ProblemReport.Status.OPEN


# --- Problem reports: resolve --------------------------------------------------------


def test_helpdesk_resolves_a_report_once(world):
    row = report(world)
    client = client_for(world["helpdesk"])
    target = url("problem-reports", row.pk, "resolve")
    response = client.post(
        target, {"resolution": "  Cleared the cache. "}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "resolved" and body["resolved_by"] == "helpdesk"
    assert body["resolution"] == "Cleared the cache." and body["resolved_at"]
    again = client.post(target, {"resolution": "Again"}, format="json")
    error = assert_error(again, 400, "invalid")
    assert "already resolved" in error["message"] and error["fields"] == {}
    row.refresh_from_db()
    assert row.resolution == "Cleared the cache."


@pytest.mark.parametrize(
    "payload,field",
    [
        ({}, "resolution"),
        ({"resolution": ""}, "resolution"),
        ({"resolution": "   "}, "resolution"),
        ({"resolution": None}, "resolution"),
        ({"resolution": ["Fixed"]}, "resolution"),
        ({"resolution": "Fixed", "status": "resolved"}, "status"),
    ],
)
def test_resolve_needs_a_resolution_and_nothing_else(world, payload, field):
    row = report(world)
    response = client_for(world["helpdesk"]).post(
        url("problem-reports", row.pk, "resolve"), payload, format="json"
    )
    assert_error(response, 400, "invalid", field=field)
    row.refresh_from_db()
    assert row.status == ProblemReport.Status.OPEN and row.resolved_by is None


def test_problem_report_list_query_count_does_not_grow_with_the_page(
    world, django_assert_num_queries
):
    for n in range(20):
        lib = world["a"] if n % 2 else world["b"]
        who = StaffFactory(library=lib)
        row = services.problem_report_create(actor=who, summary=f"Problem {n}")
        if n % 3 == 0:
            services.problem_report_resolve(
                actor=world["helpdesk"], report_id=row.pk, resolution="Done"
            )
    client = client_for(world["helpdesk"])
    with CaptureQueriesContext(connection) as small:
        page = client.get(url("problem-reports") + "?page_size=2").json()
        assert len(page["results"]) == 2
    with django_assert_num_queries(len(small)):
        page = client.get(url("problem-reports") + "?page_size=20").json()
        assert len(page["results"]) == 20
