"""SPEC C8: a coordinator of library A never sees or changes library B's rows
in the admin; the help desk sees all."""

from datetime import date

import pytest
from django.urls import reverse

from consortium.models import Closure, Liaison, PostedHours, ReferralAgreement, Staff
from tests.consortium.factories import (
    ClosureFactory,
    CoopQueueFactory,
    HoursFactory,
    QueueFactory,
    StaffFactory,
    TermFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows_b(library_b):
    """One row of every scoped model, all belonging to library B."""
    queue = QueueFactory(library=library_b)
    return {
        "library": library_b,
        "queue": queue,
        "staff": StaffFactory(library=library_b, username="blib-sam"),
        "term": TermFactory(
            library=library_b, start_date=date(2027, 1, 1), end_date=date(2027, 1, 31)
        ),
        "postedhours": HoursFactory(queue=queue),
        "closure": ClosureFactory(
            library=library_b, start_date=date(2027, 2, 1), end_date=date(2027, 2, 2)
        ),
        "liaison": Liaison.objects.create(
            library=library_b, subject="Law", name="B", email="b@b.org"
        ),
        "referralagreement": ReferralAgreement.objects.create(
            from_library=library_b, to_library=QueueFactory().library, subject="Law"
        ),
    }


@pytest.fixture
def coord_client(client, coordinator_a):
    client.force_login(coordinator_a)
    return client


def admin_url(obj, view):
    meta = obj._meta
    name = (
        "consortium_staff"
        if meta.model_name == "staff"
        else f"consortium_{meta.model_name}"
    )
    return reverse(f"admin:{name}_{view}", args=[obj.pk])


@pytest.mark.parametrize(
    "key",
    [
        "library",
        "queue",
        "staff",
        "term",
        "postedhours",
        "closure",
        "liaison",
        "referralagreement",
    ],
)
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_coordinator_gets_404_for_every_url_of_another_librarys_row(
    coord_client, rows_b, key, view
):
    obj = rows_b[key]
    assert coord_client.get(admin_url(obj, view)).status_code == 404
    assert coord_client.post(admin_url(obj, view), {"post": "yes"}).status_code == 404
    type(obj).objects.get(pk=obj.pk)  # still there


@pytest.mark.parametrize("key", ["staff", "closure", "liaison", "postedhours"])
def test_coordinator_gets_404_for_the_audit_history_of_another_librarys_row(
    coord_client, rows_b, key
):
    obj = rows_b[key]
    url = reverse(f"admin:consortium_{obj._meta.model_name}_auditlog", args=[obj.pk])
    assert coord_client.get(url).status_code == 404


def test_changelists_show_only_the_coordinators_library(
    coord_client, rows_b, library_a
):
    own = ClosureFactory(
        library=library_a,
        reason="Inventory",
        start_date=date(2027, 3, 1),
        end_date=date(2027, 3, 1),
    )
    response = coord_client.get(reverse("admin:consortium_closure_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [own]
    response = coord_client.get(reverse("admin:consortium_staff_changelist"))
    usernames = {s.username for s in response.context["cl"].queryset}
    assert usernames == {"alib-coord"}
    response = coord_client.get(reverse("admin:consortium_library_changelist"))
    assert list(response.context["cl"].queryset) == [library_a]


def test_search_does_not_reach_other_libraries(coord_client, rows_b):
    response = coord_client.get(
        reverse("admin:consortium_staff_changelist"), {"q": "blib"}
    )
    assert list(response.context["cl"].queryset) == []


def test_actions_ignore_rows_of_other_libraries(coord_client, rows_b):
    closure = rows_b["closure"]
    response = coord_client.post(
        reverse("admin:consortium_closure_changelist"),
        {"action": "delete_selected", "_selected_action": [closure.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert Closure.objects.filter(pk=closure.pk).exists()


def test_foreign_key_choices_are_limited_to_the_coordinators_library(
    coord_client, library_a, rows_b
):
    QueueFactory(library=library_a)
    response = coord_client.get(reverse("admin:consortium_closure_add"))
    assert list(response.context["adminform"].form.fields["library"].queryset) == [
        library_a
    ]
    response = coord_client.get(reverse("admin:consortium_postedhours_add"))
    queues = response.context["adminform"].form.fields["queue"].queryset
    assert {q.library_id for q in queues} == {library_a.pk}


def test_referral_target_may_be_any_library(coord_client, library_a, library_b):
    response = coord_client.get(reverse("admin:consortium_referralagreement_add"))
    form = response.context["adminform"].form
    assert list(form.fields["from_library"].queryset) == [library_a]
    assert set(form.fields["to_library"].queryset) >= {library_a, library_b}


def test_coordinator_cannot_post_a_row_into_another_library(coord_client, library_b):
    response = coord_client.post(
        reverse("admin:consortium_closure_add"),
        {
            "library": library_b.pk,
            "reason": "Sneaky",
            "start_date": "2027-04-01",
            "end_date": "2027-04-02",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Closure.objects.filter(reason="Sneaky").exists()


def test_coordinator_cannot_move_own_staff_to_another_library(
    coord_client, library_a, library_b
):
    librarian = StaffFactory(library=library_a, username="alib-kim")
    response = coord_client.post(
        admin_url(librarian, "change"),
        {
            "username": "alib-kim",
            "role": "librarian",
            "library": library_b.pk,
            "is_active": "on",
            "max_chats": 3,
        },
    )
    assert response.status_code == 200
    librarian.refresh_from_db()
    assert librarian.library == library_a


def test_coordinator_cannot_create_help_desk_accounts(coord_client, library_a):
    response = coord_client.get(reverse("admin:consortium_staff_add"))
    roles = [
        value for value, _ in response.context["adminform"].form.fields["role"].choices
    ]
    assert "helpdesk" not in roles
    response = coord_client.post(
        reverse("admin:consortium_staff_add"),
        {
            "username": "alib-boss",
            "role": "helpdesk",
            "library": library_a.pk,
            "password1": "x-long-pass-2026",
            "password2": "x-long-pass-2026",
        },
    )
    assert not Staff.objects.filter(username="alib-boss").exists()


def test_coordinator_adds_a_librarian_to_their_library(coord_client, library_a):
    response = coord_client.post(
        reverse("admin:consortium_staff_add"),
        {
            "username": "alib-new",
            "role": "librarian",
            "library": library_a.pk,
            "first_name": "New",
            "password1": "x-long-pass-2026",
            "password2": "x-long-pass-2026",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    staff = Staff.objects.get(username="alib-new")
    assert staff.library == library_a and staff.check_password("x-long-pass-2026")


def test_coordinator_sees_consortium_rows_read_only(coord_client, helpdesk):
    coop = CoopQueueFactory()
    hours = HoursFactory(queue=coop)
    response = coord_client.get(admin_url(hours, "change"))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    response = coord_client.post(
        admin_url(hours, "change"),
        {
            "term_type": "semester",
            "weekday": 1,
            "opens": "00:00",
            "closes": "01:00",
            "queue": coop.pk,
        },
    )
    assert response.status_code == 403
    hours.refresh_from_db()
    assert hours.weekday == 0


def test_coordinator_cannot_reach_settings_or_group_admin(coord_client):
    assert (
        coord_client.get(
            reverse("admin:consortium_consortiumsettings_changelist")
        ).status_code
        == 403
    )
    assert (
        coord_client.get("/admin/django_celery_beat/periodictask/").status_code == 403
    )


def test_librarians_have_no_admin(client, library_a):
    client.force_login(StaffFactory(library=library_a))
    response = client.get(reverse("admin:consortium_closure_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_help_desk_sees_every_library(client, helpdesk, rows_b, library_a):
    client.force_login(helpdesk)
    response = client.get(reverse("admin:consortium_library_changelist"))
    assert set(response.context["cl"].queryset) >= {library_a, rows_b["library"]}
    for key in ("library", "staff", "closure", "postedhours"):
        assert client.get(admin_url(rows_b[key], "change")).status_code == 200
    assert (
        client.get(
            reverse("admin:consortium_consortiumsettings_changelist")
        ).status_code
        == 200
    )
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 200


def test_coordinator_edits_hours_of_own_queue_inline(coord_client, library_a):
    queue = QueueFactory(library=library_a)
    url = admin_url(queue, "change")
    response = coord_client.post(
        url,
        {
            "name": "A chat",
            "first_response_hours": "",
            "hours-TOTAL_FORMS": "1",
            "hours-INITIAL_FORMS": "0",
            "hours-MIN_NUM_FORMS": "0",
            "hours-MAX_NUM_FORMS": "1000",
            "hours-0-term_type": "semester",
            "hours-0-weekday": "2",
            "hours-0-opens": "09:00",
            "hours-0-closes": "24:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert PostedHours.objects.get(queue=queue).closes == 24 * 60


def test_posted_hours_are_shown_and_entered_as_hh_mm(coord_client, library_a):
    queue = QueueFactory(library=library_a)
    HoursFactory(queue=queue, weekday=0, opens=9 * 60 + 30, closes=24 * 60)
    page = coord_client.get(admin_url(queue, "change")).content.decode()
    assert 'value="09:30"' in page and 'value="24:00"' in page
    assert (
        'type="number"' not in page.split('id="hours-group"')[1].split("</fieldset>")[0]
    )


def test_saving_a_queue_keeps_its_posted_hours(coord_client, library_a):
    """Re-submitting the change form as the browser shows it changes nothing."""
    queue = QueueFactory(library=library_a)
    hours = HoursFactory(queue=queue, weekday=0, opens=9 * 60, closes=17 * 60)
    response = coord_client.post(
        admin_url(queue, "change"),
        {
            "name": "Renamed",
            "first_response_hours": "",
            "hours-TOTAL_FORMS": "1",
            "hours-INITIAL_FORMS": "1",
            "hours-MIN_NUM_FORMS": "0",
            "hours-MAX_NUM_FORMS": "1000",
            "hours-0-id": hours.pk,
            "hours-0-queue": queue.pk,
            "hours-0-term_type": "semester",
            "hours-0-weekday": "0",
            "hours-0-opens": "09:00",
            "hours-0-closes": "17:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    hours.refresh_from_db()
    assert (hours.opens, hours.closes) == (540, 1020)


def test_a_coordinators_library_is_preselected(coord_client, library_a):
    form = (
        coord_client.get(reverse("admin:consortium_closure_add"))
        .context["adminform"]
        .form
    )
    assert form.fields["library"].empty_label is None
    assert list(form.fields["library"].queryset) == [library_a]


def test_a_resolved_problem_reports_resolution_cannot_be_erased(
    client, helpdesk, library_a
):
    from consortium import services

    report = services.problem_report_create(
        actor=StaffFactory(library=library_a), summary="Alerts silent"
    )
    services.problem_report_resolve(
        actor=helpdesk, report_id=report.pk, resolution="Browser setting"
    )
    client.force_login(helpdesk)
    client.post(admin_url(report, "change"), {"resolution": ""})
    report.refresh_from_db()
    assert report.resolution == "Browser setting"
