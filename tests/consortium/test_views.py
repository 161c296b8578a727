"""Public hours pages, the Chat now status endpoint, the embed snippet and the desk."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from consortium import services
from consortium.admin import embed_snippet
from consortium.models import ProblemReport
from tests.consortium.factories import (
    CoopQueueFactory,
    HoursFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

ALL_DAY = {"opens": 0, "closes": 24 * 60}


@pytest.fixture
def always_open_queue():
    queue = QueueFactory(library=LibraryFactory(code="open", name="Open Library"))
    for day in range(7):
        HoursFactory(queue=queue, weekday=day, **ALL_DAY)
    return queue


def test_status_is_offline_when_nobody_monitors(client, always_open_queue):
    response = client.get(reverse("widget-status", args=["open"]))
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert body["online"] is False
    assert body["queues"][0] == {
        "code": "open",
        "open": True,
        "online": False,
        "next_opening": None,
    }


def test_status_is_online_while_a_librarian_monitors(client, always_open_queue):
    librarian = StaffFactory(library=always_open_queue.library)
    services.queue_monitor_start(actor=librarian, queue_id=always_open_queue.pk)
    assert client.get(reverse("widget-status", args=["open"])).json()["online"] is True


def test_status_is_shared_for_a_few_seconds(client, always_open_queue):
    url = reverse("widget-status", args=["open"])
    assert client.get(url).json()["online"] is False
    services.queue_monitor_start(
        actor=StaffFactory(library=always_open_queue.library),
        queue_id=always_open_queue.pk,
    )
    assert client.get(url).json()["online"] is False  # cached answer
    from django.core.cache import cache

    cache.clear()  # what expiry does after STATUS_CACHE_SECONDS
    assert client.get(url).json()["online"] is True


def test_status_is_online_through_a_coop_queue(client):
    library = LibraryFactory(code="coopmember")
    QueueFactory(library=library)  # local queue: no hours, closed
    coop = CoopQueueFactory(code="coop-all")
    for day in range(7):
        HoursFactory(queue=coop, weekday=day, **ALL_DAY)
    library.coops.add(coop)
    services.queue_monitor_start(
        actor=StaffFactory(library=LibraryFactory()), queue_id=coop.pk
    )
    body = client.get(reverse("widget-status", args=["coopmember"])).json()
    assert body["online"] is True
    assert [q["online"] for q in body["queues"]] == [False, True]


def test_status_of_an_unknown_library_is_a_clear_404(client):
    response = client.get(reverse("widget-status", args=["nope"]))
    assert response.status_code == 404
    assert response.json() == {"error": "No library with code “nope”."}


def test_hours_page_lists_posted_hours_closures_and_holidays(client, always_open_queue):
    library = always_open_queue.library
    today = timezone.localdate()
    library.closures.create(
        reason="Flood repairs",
        start_date=today + timedelta(days=3),
        end_date=today + timedelta(days=4),
    )
    page = client.get(reverse("library-hours", args=["open"])).content.decode()
    assert "Open Library: chat hours" in page
    assert "00:00–24:00" in page
    assert "Flood repairs" in page


def test_hours_page_escapes_user_text(client, always_open_queue):
    library = always_open_queue.library
    library.closures.create(
        reason="<script>alert(1)</script>",
        start_date=timezone.localdate(),
        end_date=timezone.localdate(),
    )
    page = client.get(reverse("library-hours", args=["open"])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_embed_snippet_points_at_the_embed_script_and_library():
    library = LibraryFactory(code="snip")
    snippet = embed_snippet(library)
    assert 'data-asktogether-library="snip"' in snippet
    assert 'src="http://testserver/widget/embed.js"' in snippet
    assert (
        "allow http://testserver in its script-src, frame-src and connect-src"
        in snippet
    )


def test_library_admin_page_shows_the_snippet(client, coordinator_a, library_a):
    client.force_login(coordinator_a)
    page = client.get(
        reverse("admin:consortium_library_change", args=[library_a.pk])
    ).content.decode()
    assert "data-asktogether-library=&quot;alib&quot;" in page


def test_embed_script_reads_the_status_endpoint(client):
    response = client.get(reverse("widget-embed"))
    assert response["Content-Type"].startswith("text/javascript")
    assert "/status.json" in response.content.decode()


def test_a_librarian_reports_a_problem(
    client, library_a, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(StaffFactory(library=library_a))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("problem-report-new"),
            {"summary": "Sound alerts do not play", "details": "Firefox 140"},
            HTTP_USER_AGENT="Firefox/140",
        )
    assert response.status_code == 302
    report = ProblemReport.objects.get()
    assert report.library == library_a and report.browser == "Firefox/140"
    assert len(callbacks) == 1


def test_an_empty_problem_report_is_refused(client, library_a):
    client.force_login(StaffFactory(library=library_a))
    response = client.post(reverse("problem-report-new"), {"summary": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not ProblemReport.objects.exists()


def test_desk_lists_own_and_coop_queues_only(client, library_a):
    own = QueueFactory(library=library_a)
    coop = CoopQueueFactory()
    other = QueueFactory()
    client.force_login(StaffFactory(library=library_a))
    queues = set(client.get(reverse("desk")).context["queues"])
    assert queues == {own, coop}
    assert other not in queues


def test_desk_requires_sign_in(client):
    response = client.get(reverse("desk"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_desk_searches_liaisons_and_referrals_across_libraries(
    client, library_a, library_b
):
    from consortium.models import Liaison, ReferralAgreement

    Liaison.objects.create(
        library=library_b, subject="Marine biology", name="Erin Shah", email="e@b.org"
    )
    Liaison.objects.create(
        library=library_a, subject="Nursing", name="Nan", email="n@a.org"
    )
    ReferralAgreement.objects.create(
        from_library=library_a, to_library=library_b, subject="Marine science"
    )
    client.force_login(StaffFactory(library=library_a))
    response = client.get(reverse("directory"), {"q": "marine"})
    assert [liaison.name for liaison in response.context["liaisons"]] == ["Erin Shah"]
    assert [r.subject for r in response.context["referrals"]] == ["Marine science"]
    assert "Library B" in response.content.decode()


def test_the_directory_is_for_signed_in_staff(client):
    assert client.get(reverse("directory")).status_code == 302
