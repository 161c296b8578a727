"""Coverage requirements over the REST API (SPEC S1, A2): read by everyone
with admin access, set only by the help desk through `requirements_set`
(`POST coverage-requirements/set/`, the one way to add, change or remove
them); bad input in the one error format with nothing half-saved; flat
query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling import services
from scheduling.models import CoverageRequirement
from tests.api_helpers import assert_error, client_for, ids
from tests.consortium.factories import CoopQueueFactory, QueueFactory, TermFactory

pytestmark = pytest.mark.django_db

SET = "/api/v1/coverage-requirements/set/"


def url(pk=None):
    return "/api/v1/coverage-requirements/" + (f"{pk}/" if pk else "")


def require(w, weekdays=(0,), hours=(9, 12), librarians=1, queue=None, term=None):
    services.requirements_set(
        actor=w.helpdesk,
        queue=queue or w.queue,
        term=term or w.spring,
        weekdays=list(weekdays),
        from_hour=hours[0],
        to_hour=hours[1],
        librarians=librarians,
    )


def payload(w, **kw):
    body = {
        "queue": "coop-state",
        "term": w.spring.pk,
        "weekdays": [1, 3],
        "from_hour": 14,
        "to_hour": 17,
        "librarians": 2,
    }
    return body | kw


def stored():
    return sorted(
        CoverageRequirement.objects.values_list(
            "queue__code", "term_id", "weekday", "hour", "librarians"
        )
    )


# --- Permission matrix --------------------------------------------------------------


def test_anonymous_is_401(world):
    require(world)
    row = CoverageRequirement.objects.first()
    client = client_for(None)
    for response in (
        client.get(url()),
        client.get(url(row.pk)),
        client.post(SET, payload(world), format="json"),
    ):
        assert_error(response, 401, "not_authenticated")
    assert len(stored()) == 3


@pytest.mark.parametrize("who", ["rob", "intern"])
def test_librarians_and_interns_get_403(world, who):
    require(world)
    row = CoverageRequirement.objects.first()
    client = client_for(getattr(world, who))
    for response in (
        client.get(url()),
        client.get(url(row.pk)),
        client.post(SET, payload(world), format="json"),
    ):
        assert_error(response, 403, "permission_denied")
    assert len(stored()) == 3


@pytest.mark.parametrize("who", ["coord_a", "coord_c"])
def test_coordinators_read_the_coop_requirements_but_cannot_set_them(world, who):
    # Requirements belong to co-op queues (no library): every coordinator reads
    # them, as in the admin, and only the help desk may add or change them.
    require(world)
    before = stored()
    client = client_for(getattr(world, who))
    listed = client.get(url())
    assert listed.json()["count"] == 3
    row = CoverageRequirement.objects.first()
    assert client.get(url(row.pk)).json()["librarians"] == 1
    assert_error(client.get(url(987654)), 404, "not_found")
    assert_error(client.post(SET, payload(world), format="json"), 403)
    assert_error(client.post(SET, payload(world, librarians=0), format="json"), 403)
    assert stored() == before


def test_helpdesk_sets_changes_and_removes_requirements(world):
    w = world
    client = client_for(w.helpdesk)
    response = client.post(SET, payload(w), format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["notes"] == []
    assert [
        (r["weekday"], r["hour"], r["librarians"]) for r in body["requirements"]
    ] == [
        (1, 14, 2),
        (1, 15, 2),
        (1, 16, 2),
        (3, 14, 2),
        (3, 15, 2),
        (3, 16, 2),
    ]
    assert {r["queue"] for r in body["requirements"]} == {"coop-state"}
    assert {r["term"] for r in body["requirements"]} == {w.spring.pk}
    assert len(stored()) == 6
    # Setting hours again replaces their number, and only in that range.
    response = client.post(
        SET, payload(w, weekdays=[3], from_hour=15, librarians=4), format="json"
    )
    assert [(r["hour"], r["librarians"]) for r in response.json()["requirements"]] == [
        (15, 4),
        (16, 4),
    ]
    assert stored().count(("coop-state", w.spring.pk, 3, 14, 2)) == 1
    # 0 removes them.
    response = client.post(
        SET, payload(w, weekdays=[1, 3], librarians=0), format="json"
    )
    assert response.status_code == 200 and response.json()["requirements"] == []
    assert stored() == []


def test_a_missing_hour_on_the_spring_forward_sunday_is_noted(world):
    response = client_for(world.helpdesk).post(
        SET,
        payload(world, weekdays=[6], from_hour=0, to_hour=4, librarians=1),
        format="json",
    )
    assert response.status_code == 200, response.content
    (note,) = response.json()["notes"]
    assert "02:00–03:00" in note and "Mar 14, 2027" in note
    assert len(response.json()["requirements"]) == 4


def test_there_is_no_plain_create_change_or_delete(world):
    require(world)
    row = CoverageRequirement.objects.first()
    before = stored()
    client = client_for(world.helpdesk)
    for response in (
        client.post(url(), payload(world), format="json"),
        client.put(url(row.pk), {"librarians": 5}, format="json"),
        client.patch(url(row.pk), {"librarians": 5}, format="json"),
        client.delete(url(row.pk)),
    ):
        assert_error(response, 405)
    assert_error(client_for(world.coord_a).post(url(), {}, format="json"), 403)
    assert stored() == before


def test_filters_by_queue_term_and_weekday(world):
    w = world
    other = CoopQueueFactory(code="coop-academic")
    require(w, weekdays=[0, 2], hours=(9, 10))
    require(w, weekdays=[0], hours=(9, 10), queue=other)
    require(w, weekdays=[0], hours=(9, 10), term=w.fall)
    client = client_for(w.coord_a)

    def rows(query):
        return [
            (r["queue"], r["term"], r["weekday"])
            for r in client.get(url() + query).json()["results"]
        ]

    assert rows("?queue=coop-academic") == [("coop-academic", w.spring.pk, 0)]
    assert rows(f"?queue=coop-state&term={w.fall.pk}") == [("coop-state", w.fall.pk, 0)]
    assert rows(f"?queue=coop-state&term={w.spring.pk}&weekday=2") == [
        ("coop-state", w.spring.pk, 2)
    ]
    assert len(ids(client.get(url() + "?weekday=0"))) == 3
    assert_error(client.get(url() + "?term=987654"), 400, field="term")
    assert_error(client.get(url() + "?weekday=monday"), 400, field="weekday")


# --- Bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "change,field",
    [
        ({"weekdays": "1,3"}, "weekdays"),
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [7]}, "weekdays"),
        ({"weekdays": [-1]}, "weekdays"),
        ({"weekdays": [True]}, "weekdays"),
        ({"weekdays": ["Monday"]}, "weekdays"),
        ({"from_hour": "nine"}, "from_hour"),
        ({"from_hour": -1}, "from_hour"),
        ({"from_hour": 24}, "from_hour"),
        ({"from_hour": 9.5}, "from_hour"),
        ({"to_hour": 25}, "to_hour"),
        ({"to_hour": 0}, "to_hour"),
        ({"from_hour": 17, "to_hour": 14}, "to_hour"),
        ({"from_hour": 14, "to_hour": 14}, "to_hour"),
        ({"librarians": 51}, "librarians"),
        ({"librarians": -1}, "librarians"),
        ({"librarians": None}, "librarians"),
        ({"term": "spring"}, "term"),
        ({"term": 987654}, "term"),
        ({"queue": "coop-nope"}, "queue"),
        ({"queue": 12}, "queue"),
    ],
)
def test_bad_input_is_400_on_the_field_and_changes_nothing(world, change, field):
    require(world, weekdays=[1], hours=(14, 17), librarians=1)
    before = stored()
    response = client_for(world.helpdesk).post(
        SET, payload(world, **change), format="json"
    )
    assert_error(response, 400, "invalid", field=field)
    assert stored() == before


def test_every_field_is_required(world):
    for name in ("queue", "term", "weekdays", "from_hour", "to_hour", "librarians"):
        body = payload(world)
        del body[name]
        response = client_for(world.helpdesk).post(SET, body, format="json")
        assert_error(response, 400, "invalid", field=name)
    assert stored() == []


def test_unknown_fields_are_named_and_nothing_is_set(world):
    response = client_for(world.helpdesk).post(
        SET, payload(world, hour=3, library="alib"), format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {
        "hour": ["Unknown field."],
        "library": ["Unknown field."],
    }
    assert stored() == []


def test_a_local_queue_or_a_librarys_term_is_refused_on_the_field(world):
    w = world
    QueueFactory(library=w.lib_a, code="alib")
    own_term = TermFactory(
        library=w.lib_a, start_date=w.spring.start_date, end_date=w.spring.end_date
    )
    client = client_for(w.helpdesk)
    error = assert_error(
        client.post(SET, payload(w, queue="alib"), format="json"), 400, field="queue"
    )
    assert "co-op" in error["fields"]["queue"][0]
    error = assert_error(
        client.post(SET, payload(w, term=own_term.pk), format="json"),
        400,
        field="term",
    )
    assert "consortium term" in error["fields"]["term"][0]
    assert stored() == []


def test_a_body_that_is_not_an_object_is_400(world):
    response = client_for(world.helpdesk).post(SET, [1, 2], format="json")
    assert_error(response, 400, "invalid")
    assert stored() == []


# --- Query counts -------------------------------------------------------------------


def test_list_query_count_does_not_grow_with_the_page(world, django_assert_num_queries):
    w = world
    for n in range(4):
        queue = CoopQueueFactory(code=f"coop-q{n}")
        require(w, weekdays=[n], hours=(8, 13), queue=queue, term=w.fall)
    assert CoverageRequirement.objects.count() == 20
    client = client_for(w.coord_c)
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url() + "?page_size=2").json()["results"]) == 2
    with django_assert_num_queries(len(small)):
        assert len(client.get(url() + "?page_size=20").json()["results"]) == 20
