"""Bad input in the admin gets a clear message and nothing is half-saved."""

from datetime import date

import pytest
from django.urls import reverse

from consortium.models import Closure, Library, PostedHours, Queue, Staff
from tests.consortium.factories import ClosureFactory, HoursFactory, QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hd_client(client, helpdesk):
    client.force_login(helpdesk)
    return client


def errors_of(response) -> str:
    assert response.status_code == 200, "the form should be shown again with errors"
    return response.content.decode()


def library_form(**overrides):
    data = {
        "name": "New Library",
        "code": "newlib",
        "library_type": "public",
        "active": "on",
        "timezone": "America/New_York",
        "website": "https://new.example.org/",
        "fallback_delay_seconds": 15,
    }
    data.update(overrides)
    return data


def queue_form(**overrides):
    data = {
        "code": "",
        "name": "Q",
        "kind": "local",
        "library": "",
        "timezone": "",
        "active": "on",
        "hours-TOTAL_FORMS": "0",
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_unknown_time_zone_is_refused(hd_client):
    response = hd_client.post(
        reverse("admin:consortium_library_add"), library_form(timezone="Mars/Olympus")
    )
    assert "is not a known time zone" in errors_of(response)
    assert not Library.objects.filter(code="newlib").exists()


def test_library_code_must_be_lower_case(hd_client):
    response = hd_client.post(
        reverse("admin:consortium_library_add"), library_form(code="NewLib")
    )
    assert "lower-case letters and digits" in errors_of(response)


def test_coop_queue_must_start_with_coop(hd_client):
    response = hd_client.post(
        reverse("admin:consortium_queue_add"),
        queue_form(code="statewide", kind="coop", timezone="America/New_York"),
    )
    assert "must start with “coop-”" in errors_of(response)
    assert not Queue.objects.filter(code="statewide").exists()


def test_local_queue_must_carry_its_library_code(hd_client, library_a):
    response = hd_client.post(
        reverse("admin:consortium_queue_add"),
        queue_form(code="science", library=library_a.pk),
    )
    assert "must be named “alib” or start with “alib-”" in errors_of(response)
    response = hd_client.post(
        reverse("admin:consortium_queue_add"),
        queue_form(code="alib-science", library=library_a.pk),
    )
    assert response.status_code == 302
    assert Queue.objects.filter(code="alib-science").exists()


def test_queue_codes_are_lower_case(hd_client, library_a):
    response = hd_client.post(
        reverse("admin:consortium_queue_add"),
        queue_form(code="Alib", library=library_a.pk),
    )
    assert "lower-case letters, digits and single hyphens" in errors_of(response)


def test_hours_ending_before_they_start_are_refused(hd_client, library_a):
    queue = QueueFactory(library=library_a)
    response = hd_client.post(
        reverse("admin:consortium_postedhours_add"),
        {
            "queue": queue.pk,
            "term_type": "semester",
            "weekday": 0,
            "opens": "17:00",
            "closes": "09:00",
        },
    )
    assert "Closing time 09:00 is not after opening time 17:00" in errors_of(response)
    assert not PostedHours.objects.exists()


def test_badly_written_times_are_refused(hd_client, library_a):
    queue = QueueFactory(library=library_a)
    response = hd_client.post(
        reverse("admin:consortium_postedhours_add"),
        {
            "queue": queue.pk,
            "term_type": "semester",
            "weekday": 0,
            "opens": "9am",
            "closes": "25:00",
        },
    )
    body = errors_of(response)
    assert "Enter a time as HH:MM" in body and "between 00:00 and 24:00" in body


def test_overlapping_hours_are_refused(hd_client, library_a):
    queue = QueueFactory(library=library_a)
    HoursFactory(queue=queue, weekday=0, opens=9 * 60, closes=12 * 60)
    response = hd_client.post(
        reverse("admin:consortium_postedhours_add"),
        {
            "queue": queue.pk,
            "term_type": "semester",
            "weekday": 0,
            "opens": "11:00",
            "closes": "14:00",
        },
    )
    assert "overlap 09:00–12:00" in errors_of(response)
    assert PostedHours.objects.count() == 1


def test_a_bad_inline_row_saves_nothing_of_the_queue(hd_client, library_a):
    queue = QueueFactory(library=library_a, name="Before")
    response = hd_client.post(
        reverse("admin:consortium_queue_change", args=[queue.pk]),
        queue_form(
            code=queue.code,
            name="After",
            library=library_a.pk,
            **{
                "hours-TOTAL_FORMS": "2",
                "hours-0-term_type": "semester",
                "hours-0-weekday": "0",
                "hours-0-opens": "09:00",
                "hours-0-closes": "17:00",
                "hours-1-term_type": "semester",
                "hours-1-weekday": "1",
                "hours-1-opens": "18:00",
                "hours-1-closes": "08:00",
            },
        ),
    )
    assert "is not after opening time" in errors_of(response)
    queue.refresh_from_db()
    assert queue.name == "Before" and not PostedHours.objects.exists()


def test_overlapping_closures_are_refused(hd_client, library_a):
    ClosureFactory(
        library=library_a,
        reason="Inventory",
        start_date=date(2027, 3, 1),
        end_date=date(2027, 3, 10),
    )
    response = hd_client.post(
        reverse("admin:consortium_closure_add"),
        {
            "library": library_a.pk,
            "reason": "Painting",
            "start_date": "2027-03-08",
            "end_date": "2027-03-12",
        },
    )
    assert "overlap the closure “alib: Inventory”" in errors_of(response)
    assert Closure.objects.count() == 1


def test_closure_ending_before_it_starts_is_refused(hd_client, library_a):
    response = hd_client.post(
        reverse("admin:consortium_closure_add"),
        {
            "library": library_a.pk,
            "reason": "Oops",
            "start_date": "2027-03-08",
            "end_date": "2027-03-01",
        },
    )
    assert "The last day cannot be before the first day" in errors_of(response)


def test_staff_user_names_follow_the_library_convention(hd_client, library_a):
    response = hd_client.post(
        reverse("admin:consortium_staff_add"),
        {
            "username": "rob",
            "role": "librarian",
            "library": library_a.pk,
            "password1": "x-long-pass-2026",
            "password2": "x-long-pass-2026",
        },
    )
    assert "have user names starting with “alib-”" in errors_of(response)
    assert not Staff.objects.filter(username="rob").exists()


def test_a_coordinator_needs_a_library(hd_client):
    response = hd_client.post(
        reverse("admin:consortium_staff_add"),
        {
            "username": "coord",
            "role": "coordinator",
            "library": "",
            "password1": "x-long-pass-2026",
            "password2": "x-long-pass-2026",
        },
    )
    assert "A site coordinator needs a home library" in errors_of(response)


def test_a_coordinator_coordinates_exactly_one_library(
    hd_client, coordinator_a, library_b
):
    """Coordination follows the single home library; assigning a second one is
    not possible, and moving it needs the user name of the new library."""
    response = hd_client.post(
        reverse("admin:consortium_staff_change", args=[coordinator_a.pk]),
        {
            "username": "alib-coord",
            "role": "coordinator",
            "library": [coordinator_a.library_id, library_b.pk],
            "is_active": "on",
            "max_chats": 3,
        },
    )
    assert "have user names starting with “blib-”" in errors_of(response)
    coordinator_a.refresh_from_db()
    assert coordinator_a.library.code == "alib"


def test_widget_origins_must_be_origins(hd_client):
    response = hd_client.post(
        reverse("admin:consortium_library_add"),
        library_form(widget_origins="https://catalog.example.org/search?q=1"),
    )
    assert "is not an origin" in errors_of(response)
