"""The REST API of the consortium core (SPEC A1-A4): the permission matrix
over every endpoint, the one error format, query counts and the schema."""

from datetime import date
from itertools import count

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from consortium.models import Closure, Holiday, Library, Queue, Staff
from tests.api_helpers import assert_error, client_for, ids, url
from tests.consortium.factories import (
    ClosureFactory,
    CoopQueueFactory,
    CoordinatorFactory,
    HolidayFactory,
    HoursFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
    TermFactory,
)

pytestmark = pytest.mark.django_db
_n = count(1)


def queue_of(lib):
    return Queue.objects.filter(library=lib).first() or QueueFactory(library=lib)


# resource -> (make a row of `lib`, create payload for `lib`, change payload)
MAKE = {
    "libraries": lambda lib: lib if lib else LibraryFactory(),
    "queues": lambda lib: QueueFactory(library=lib, code=f"{lib.code}-q{next(_n)}"),
    "hours": lambda lib: HoursFactory(
        queue=queue_of(lib), opens=next(_n) % 1000, closes=1440
    ),
    "terms": lambda lib: TermFactory(
        library=lib, start_date=date(2026, 9, 1), end_date=date(2026, 12, 20)
    ),
    "holidays": lambda lib: HolidayFactory(
        start_date=date(2026, 12, 25), end_date=date(2026, 12, 25)
    ),
    "closures": lambda lib: ClosureFactory(
        library=lib, start_date=date(2026, 10, 1), end_date=date(2026, 10, 1)
    ),
    "staff": lambda lib: StaffFactory(library=lib),
}
CREATE = {
    "libraries": lambda c: {
        "code": "newlib",
        "name": "New Library",
        "library_type": "public",
        "website": "https://new.example.org/",
    },
    "queues": lambda c: {"code": f"{c}-sci", "name": "Science", "library": c},
    "hours": lambda c: {
        "queue": c,
        "term_type": "summer",
        "weekday": 2,
        "opens": "10:00",
        "closes": "12:00",
    },
    "terms": lambda c: {
        "name": "Spring 2027",
        "term_type": "semester",
        "library": c,
        "start_date": "2027-01-10",
        "end_date": "2027-05-01",
    },
    "holidays": lambda c: {
        "name": "New Year",
        "start_date": "2027-01-01",
        "end_date": "2027-01-01",
    },
    "closures": lambda c: {
        "library": c,
        "reason": "Flood",
        "start_date": "2027-03-01",
        "end_date": "2027-03-02",
    },
    "staff": lambda c: {
        "username": f"{c}-newbie",
        "role": "librarian",
        "library": c,
        "password": "a-Long-pass-phrase-42",
    },
}
CHANGE = {
    "libraries": {"contact_phone": "555-0100"},
    "queues": {"name": "Renamed"},
    "hours": {"closes": "23:00"},
    "terms": {"name": "Renamed"},
    "holidays": {"name": "Renamed"},
    "closures": {"reason": "Renamed"},
    "staff": {"first_name": "Robin"},
}
RESOURCES = list(MAKE)
SCOPED = [r for r in RESOURCES if r != "holidays"]
# What a coordinator may do to their own library's rows: the admin's answers.
COORDINATOR = {  # resource: (create, change own, delete own)
    "libraries": (403, 200, 403),
    "queues": (403, 200, 403),
    "hours": (201, 200, 204),
    "terms": (201, 200, 204),
    "holidays": (403, 403, 403),
    "closures": (201, 200, 204),
    "staff": (201, 200, 204),
}


@pytest.fixture
def world(library_a, library_b, helpdesk, coordinator_a):
    QueueFactory(library=library_a)
    QueueFactory(library=library_b)
    return {
        "a": library_a,
        "b": library_b,
        "helpdesk": helpdesk,
        "coord_a": coordinator_a,
        "coord_b": CoordinatorFactory(library=library_b, username="blib-coord"),
        "librarian": StaffFactory(library=library_a, username="alib-lib"),
        "intern": StaffFactory(
            library=library_a, username="alib-intern", role=Staff.Role.INTERN
        ),
    }


# --- Permission matrix -------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_anonymous_gets_401_on_every_endpoint(world, resource):
    row = MAKE[resource](world["a"])
    client = client_for(None)
    for response in (
        client.get(url(resource)),
        client.get(url(resource, row.pk)),
        client.post(url(resource), CREATE[resource]("alib"), format="json"),
        client.patch(url(resource, row.pk), CHANGE[resource], format="json"),
        client.delete(url(resource, row.pk)),
    ):
        assert_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("role", ["librarian", "intern"])
@pytest.mark.parametrize("resource", RESOURCES)
def test_librarians_and_interns_get_403_like_in_the_admin(world, resource, role):
    row = MAKE[resource](world["a"])
    client = client_for(world[role])
    for response in (
        client.get(url(resource)),
        client.get(url(resource, row.pk)),
        client.post(url(resource), CREATE[resource]("alib"), format="json"),
        client.patch(url(resource, row.pk), CHANGE[resource], format="json"),
        client.delete(url(resource, row.pk)),
    ):
        assert_error(response, 403, "permission_denied")
    assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("resource", RESOURCES)
def test_helpdesk_lists_creates_changes_and_deletes_everywhere(world, resource):
    row_a, row_b = MAKE[resource](world["a"]), MAKE[resource](world["b"])
    client = client_for(world["helpdesk"])
    assert {row_a.pk, row_b.pk} <= ids(client.get(url(resource)))
    assert client.get(url(resource, row_b.pk)).status_code == 200
    response = client.patch(url(resource, row_b.pk), CHANGE[resource], format="json")
    assert response.status_code == 200, response.content
    for field, value in CHANGE[resource].items():
        assert response.json()[field] == value
    created = client.post(url(resource), CREATE[resource]("blib"), format="json")
    assert created.status_code == 201, created.content
    new_id = created.json()["id"]
    assert client.delete(url(resource, new_id)).status_code == 204
    assert client.get(url(resource, new_id)).status_code == 404


@pytest.mark.parametrize("resource", SCOPED)
def test_coordinator_sees_only_their_library_and_guessed_ids_are_404(world, resource):
    row_a, row_b = MAKE[resource](world["a"]), MAKE[resource](world["b"])
    client = client_for(world["coord_a"])
    listed = ids(client.get(url(resource)))
    assert row_a.pk in listed and row_b.pk not in listed
    for response in (
        client.get(url(resource, row_b.pk)),
        client.put(url(resource, row_b.pk), CREATE[resource]("blib"), format="json"),
        client.patch(url(resource, row_b.pk), CHANGE[resource], format="json"),
        client.delete(url(resource, row_b.pk)),
        client.get(url(resource, 987654)),
    ):
        assert_error(response, 404, "not_found")
    assert type(row_b).objects.filter(pk=row_b.pk).exists()
    # Coordinator B sees A's row no more than A sees B's.
    assert client_for(world["coord_b"]).get(url(resource, row_a.pk)).status_code == 404


@pytest.mark.parametrize("resource", RESOURCES)
def test_coordinator_writes_what_the_admin_lets_them(world, resource):
    may_create, may_change, may_delete = COORDINATOR[resource]
    client = client_for(world["coord_a"])
    own = MAKE[resource](world["a"])
    assert client.get(url(resource, own.pk)).status_code == 200
    response = client.post(url(resource), CREATE[resource]("alib"), format="json")
    assert response.status_code == may_create, response.content
    response = client.patch(url(resource, own.pk), CHANGE[resource], format="json")
    assert response.status_code == may_change, response.content
    victim = MAKE[resource](world["a"]) if resource != "libraries" else own
    assert client.delete(url(resource, victim.pk)).status_code == may_delete
    if may_create == 201:
        # ...but never for another library: its code is not a choice.
        other = client.post(url(resource), CREATE[resource]("blib"), format="json")
        field = "queue" if resource == "hours" else "library"
        assert field in assert_error(other, 400)["fields"]


def test_coordinator_reads_coop_queues_and_consortium_terms_but_cannot_change_them(
    world,
):
    coop = CoopQueueFactory()
    term = TermFactory(
        library=None, start_date=date(2026, 9, 1), end_date=date(2026, 12, 1)
    )
    client = client_for(world["coord_a"])
    assert coop.pk in ids(client.get(url("queues")))
    assert client.get(url("queues", coop.pk)).status_code == 200
    assert_error(
        client.patch(url("queues", coop.pk), {"name": "x"}, format="json"), 403
    )
    assert term.pk in ids(client.get(url("terms")))
    assert_error(client.delete(url("terms", term.pk)), 403)
    assert Queue.objects.get(pk=coop.pk).name != "x"


def test_coordinator_cannot_change_fields_the_admin_shows_them_read_only(world):
    client = client_for(world["coord_a"])
    response = client.patch(
        url("libraries", world["a"].pk),
        {"name": "Mine now", "code": "alib", "contact_phone": "555"},
        format="json",
    )
    assert assert_error(response, 400)["fields"] == {
        "name": ["Only the help desk can change this."]
    }
    assert Library.objects.get(pk=world["a"].pk).name == "Library A"


def test_only_the_helpdesk_creates_helpdesk_accounts(world):
    payload = {"username": "desk2", "role": "helpdesk"}
    response = client_for(world["coord_a"]).post(url("staff"), payload, format="json")
    assert_error(response, 403, "permission_denied")
    assert not Staff.objects.filter(username="desk2").exists()
    response = client_for(world["helpdesk"]).post(url("staff"), payload, format="json")
    assert response.status_code == 201, response.content


def test_staff_passwords_are_set_but_never_shown(world):
    client = client_for(world["helpdesk"])
    response = client.patch(
        url("staff", world["librarian"].pk),
        {"password": "another-Long-phrase-77"},
        format="json",
    )
    assert response.status_code == 200
    assert "password" not in response.json()
    assert "password" not in client.get(url("staff")).json()["results"][0]
    world["librarian"].refresh_from_db()
    assert world["librarian"].check_password("another-Long-phrase-77")
    weak = client.patch(
        url("staff", world["librarian"].pk), {"password": "123"}, format="json"
    )
    assert "password" in assert_error(weak, 400)["fields"]


# --- Bad input ---------------------------------------------------------------------------


def test_unknown_fields_are_rejected_and_named(world):
    client = client_for(world["helpdesk"])
    response = client.patch(
        url("libraries", world["a"].pk),
        {"name": "Renamed", "colour": "red", "is_superuser": True},
        format="json",
    )
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {
        "colour": ["Unknown field."],
        "is_superuser": ["Unknown field."],
    }
    assert Library.objects.get(pk=world["a"].pk).name == "Library A"


@pytest.mark.parametrize(
    "resource,payload,field",
    [
        ("libraries", {"fallback_delay_seconds": "lots"}, "fallback_delay_seconds"),
        ("libraries", {"fallback_delay_seconds": 10_000}, "fallback_delay_seconds"),
        ("libraries", {"active": [1]}, "active"),
        ("hours", {"opens": 900}, "opens"),
        ("hours", {"opens": "25:00"}, "opens"),
        ("terms", {"start_date": "next week"}, "start_date"),
        ("closures", {"library": 12}, "library"),
    ],
)
def test_wrong_types_are_400_with_the_field(world, resource, payload, field):
    row = MAKE[resource](world["a"])
    response = client_for(world["helpdesk"]).patch(
        url(resource, row.pk), payload, format="json"
    )
    assert field in assert_error(response, 400)["fields"]


def test_a_body_that_is_not_an_object_is_400(world):
    response = client_for(world["helpdesk"]).post(
        url("holidays"), [1, 2], format="json"
    )
    assert_error(response, 400)


def test_model_rules_come_back_as_field_errors(world):
    client = client_for(world["helpdesk"])
    response = client.post(
        url("queues"),
        {"code": "coop-x", "name": "X", "kind": "local", "library": "alib"},
        format="json",
    )
    assert "code" in assert_error(response, 400)["fields"]
    response = client.post(
        url("closures"),
        {
            "library": "alib",
            "reason": "Oops",
            "start_date": "2027-03-05",
            "end_date": "2027-03-01",
        },
        format="json",
    )
    assert "end_date" in assert_error(response, 400)["fields"]
    assert not Closure.objects.exists()


def test_deleting_a_library_in_use_is_a_409_and_deletes_nothing(world):
    response = client_for(world["helpdesk"]).delete(url("libraries", world["a"].pk))
    assert_error(response, 409, "conflict")
    assert Library.objects.filter(pk=world["a"].pk).exists()


def test_stale_update_is_refused_with_412(world):
    client = client_for(world["helpdesk"])
    read = client.get(
        url(
            "holidays",
            HolidayFactory(start_date=date(2026, 7, 4), end_date=date(2026, 7, 4)).pk,
        )
    )
    etag, pk = read["ETag"], read.json()["id"]
    changed = client.patch(
        url("holidays", pk), {"name": "Fourth"}, format="json", HTTP_IF_MATCH=etag
    )
    assert changed.status_code == 200
    stale = client.patch(
        url("holidays", pk), {"name": "Fifth"}, format="json", HTTP_IF_MATCH=etag
    )
    assert_error(stale, 412, "stale")
    assert Holiday.objects.get(pk=pk).name == "Fourth"


def test_page_size_is_capped_not_refused(world):
    response = client_for(world["helpdesk"]).get(url("staff") + "?page_size=1000000")
    assert response.status_code == 200
    assert response.json()["count"] == Staff.objects.count()
    response = client_for(world["helpdesk"]).get(url("staff") + "?page_size=2")
    assert len(response.json()["results"]) == 2


def test_token_authentication_and_filters(world):
    token = Token.objects.create(user=world["helpdesk"])
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    QueueFactory(library=world["a"], code="alib-sci", active=False)
    CoopQueueFactory(code="coop-state")

    def codes(q):
        return [r["code"] for r in client.get(url("queues") + q).json()["results"]]

    assert codes("?kind=coop") == ["coop-state"]
    assert codes("?library=alib&ordering=code") == ["alib", "alib-sci"]
    assert codes("?library=alib&active=true") == ["alib"]
    assert codes("?search=sci") == ["alib-sci"]
    assert_error(client.get(url("queues") + "?kind=nope"), 400)


def test_long_closure_through_the_api_forwards_tickets(world):
    response = client_for(world["helpdesk"]).post(
        url("closures"),
        {
            "library": "alib",
            "reason": "Renovation",
            "start_date": "2027-01-04",
            "end_date": "2027-03-31",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["forwards_tickets"] is True


# --- Query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_list_query_count_does_not_grow_with_the_page(
    world, resource, django_assert_num_queries
):
    libraries = [LibraryFactory() for _ in range(20)]
    for lib in libraries:
        row = MAKE[resource](lib)
        if resource == "libraries":
            row.coops.add(CoopQueueFactory())
    client = client_for(world["helpdesk"])
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url(resource) + "?page_size=2").json()["results"]) == 2
    with django_assert_num_queries(len(small)):
        assert len(client.get(url(resource) + "?page_size=20").json()["results"]) == 20


# --- Schema and docs ---------------------------------------------------------------------


def test_schema_is_openapi_3_and_describes_errors(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3")
    assert schema["info"]["title"] == "AskTogether help-desk API"
    operation = schema["paths"]["/api/v1/libraries/{id}/"]["patch"]
    assert {"200", "400", "401", "403", "404", "412"} <= set(operation["responses"])


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_work_offline(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn.jsdelivr" not in html and "unpkg" not in html
