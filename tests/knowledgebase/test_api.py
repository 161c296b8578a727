"""The knowledge base's REST resources: the permission matrix (help desk,
coordinators of A and B, librarian, anonymous) with other libraries' ids,
sanitised bodies, placeholder errors in the one error format, mark reviewed,
versions and restore, search, and flat query counts."""

from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consortium.models import Staff
from knowledgebase import services
from knowledgebase.models import CannedMessage, Faq, PolicyPage, PolicySection
from tests.api_helpers import assert_error, client_for, ids, stale_patch
from tests.consortium.factories import (
    CoordinatorFactory,
    LibraryFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db
_n = count(1)
KINDS = list(PolicySection.Kind.values)


def section(lib, kind="borrowing", visibility="public", body="<p>Loans</p>"):
    return services.section_save(
        actor=Staff.objects.get(username="helpdesk"),
        section=PolicySection(
            page=services.page_for(lib), kind=kind, visibility=visibility, body=body
        ),
    )


def faq(lib, question=None, **kw):
    return services.faq_save(
        actor=Staff.objects.get(username="helpdesk"),
        faq=Faq(
            library=lib,
            question=question or f"Question {next(_n)}?",
            answer="<p>Answer</p>",
            **kw,
        ),
    )


def canned(lib, key=None, body="Hello {patron_name}"):
    return services.canned_save(
        actor=Staff.objects.get(username="helpdesk"),
        canned=CannedMessage(
            library=lib,
            group="greeting",
            key=key or f"k{next(_n)}",
            title="Hello",
            body=body,
        ),
    )


MAKE = {
    "policy-pages": lambda lib: services.page_for(lib),
    "policy-sections": lambda lib: section(lib),
    "faqs": lambda lib: faq(lib),
    "canned-messages": lambda lib: canned(lib),
}


def create_payload(resource, world, lib):
    code = lib.code
    if resource == "policy-sections":
        page = services.page_for(lib)
        return {"page": page.pk, "kind": "ill", "visibility": "staff", "body": "x"}
    if resource == "faqs":
        return {"library": code, "question": "Can I print?", "answer": "<p>Yes</p>"}
    if resource == "canned-messages":
        return {
            "library": code,
            "group": "closing",
            "key": "bye",
            "title": "Bye",
            "body": "Goodbye {patron_name}",
        }
    return None


def url(resource, pk=None, extra=""):
    return f"/api/v1/{resource}/" + (f"{pk}/" if pk else "") + extra


@pytest.fixture
def world(library_a, library_b, helpdesk, coordinator_a):
    return {
        "a": library_a,
        "b": library_b,
        "helpdesk": helpdesk,
        "coord_a": coordinator_a,
        "coord_b": CoordinatorFactory(library=library_b, username="blib-coord"),
        "librarian": StaffFactory(library=library_a, username="alib-lib"),
    }


RESOURCES = list(MAKE)


# --- Permission matrix -------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES + ["kb-search"])
def test_anonymous_gets_401(world, resource):
    client = client_for(None)
    assert_error(client.get(url(resource) + "?q=loans"), 401, "not_authenticated")
    if resource != "kb-search":
        row = MAKE[resource](world["a"])
        assert_error(client.get(url(resource, row.pk)), 401)
        assert_error(client.post(url(resource), {}, format="json"), 401)


@pytest.mark.parametrize("resource", RESOURCES + ["kb-search"])
def test_librarian_gets_403_like_in_the_admin(world, resource):
    client = client_for(world["librarian"])
    assert_error(client.get(url(resource) + "?q=loans"), 403, "permission_denied")
    if resource != "kb-search":
        row = MAKE[resource](world["a"])
        assert_error(client.get(url(resource, row.pk)), 403)
        payload = create_payload(resource, world, world["a"]) or {}
        assert_error(client.post(url(resource), payload, format="json"), 403)


@pytest.mark.parametrize("resource", RESOURCES)
def test_helpdesk_reads_every_library(world, resource):
    row_a, row_b = MAKE[resource](world["a"]), MAKE[resource](world["b"])
    client = client_for(world["helpdesk"])
    assert {row_a.pk, row_b.pk} <= ids(client.get(url(resource)))
    assert client.get(url(resource, row_b.pk)).status_code == 200


@pytest.mark.parametrize("resource", RESOURCES)
def test_coordinator_sees_own_library_only_other_ids_404(world, resource):
    row_a, row_b = MAKE[resource](world["a"]), MAKE[resource](world["b"])
    for me, mine, theirs in (
        ("coord_a", row_a, row_b),
        ("coord_b", row_b, row_a),
    ):
        client = client_for(world[me])
        listed = ids(client.get(url(resource)))
        assert mine.pk in listed and theirs.pk not in listed
        assert client.get(url(resource, mine.pk)).status_code == 200
        assert_error(client.get(url(resource, theirs.pk)), 404, "not_found")
        if resource != "policy-pages":
            assert_error(client.patch(url(resource, theirs.pk), {}, format="json"), 404)


@pytest.mark.parametrize("resource", ["policy-sections", "faqs", "canned-messages"])
@pytest.mark.parametrize("who", ["helpdesk", "coord_a"])
def test_create_for_own_library(world, resource, who):
    client = client_for(world[who])
    response = client.post(
        url(resource), create_payload(resource, world, world["a"]), format="json"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("resource", ["policy-sections", "faqs", "canned-messages"])
def test_coordinator_cannot_create_for_another_library(world, resource):
    client = client_for(world["coord_a"])
    payload = create_payload(resource, world, world["b"])
    error = assert_error(client.post(url(resource), payload, format="json"), 400)
    assert set(error["fields"]) & {"page", "library"}
    model = {"policy-sections": PolicySection, "faqs": Faq}.get(resource, CannedMessage)
    assert not model.objects.filter(
        **(
            {"page__library": world["b"]}
            if resource == "policy-sections"
            else {"library": world["b"]}
        )
    ).exists()


def test_pages_cannot_be_created_or_deleted(world):
    page = services.page_for(world["a"])
    client = client_for(world["helpdesk"])
    assert client.post(url("policy-pages"), {}, format="json").status_code == 405
    assert client.delete(url("policy-pages", page.pk)).status_code == 405
    assert (
        client.delete(url("policy-sections", section(world["a"]).pk)).status_code == 405
    )


# --- Canned messages: global ones --------------------------------------------------


def test_global_canned_readable_by_coordinators_writable_by_helpdesk(world):
    glob = canned(None, key="api-test-global")
    coord = client_for(world["coord_a"])
    assert glob.pk in ids(coord.get(url("canned-messages")))
    assert coord.get(url("canned-messages", glob.pk)).json()["library"] is None
    assert_error(
        coord.patch(url("canned-messages", glob.pk), {"title": "X"}, format="json"),
        403,
    )
    response = coord.post(
        url("canned-messages"),
        {"library": None, "group": "greeting", "key": "g2", "title": "G", "body": "Hi"},
        format="json",
    )
    assert_error(response, 403)
    assert not CannedMessage.objects.filter(key="g2").exists()
    hd = client_for(world["helpdesk"])
    response = hd.patch(url("canned-messages", glob.pk), {"title": "X"}, format="json")
    assert response.status_code == 200, response.content
    assert CannedMessage.objects.get(pk=glob.pk).title == "X"


def test_unknown_placeholder_is_a_field_error(world):
    client = client_for(world["coord_a"])
    payload = create_payload("canned-messages", world, world["a"])
    payload["body"] = "Hi {patron_nmae}"
    error = assert_error(
        client.post(url("canned-messages"), payload, format="json"), 400, "invalid"
    )
    assert "patron_nmae" in error["fields"]["body"][0]
    assert not CannedMessage.objects.filter(key="bye").exists()


# --- Sections: sanitising, visibility, versions ----------------------------------


def test_script_in_section_body_is_stored_sanitised(world):
    client = client_for(world["coord_a"])
    payload = create_payload("policy-sections", world, world["a"])
    payload["body"] = '<p onclick="x()">Hi<script>alert(1)</script></p>'
    response = client.post(url("policy-sections"), payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()["body"]
    stored = PolicySection.objects.get(pk=response.json()["id"]).body
    assert body == stored
    assert "script" not in stored and "onclick" not in stored and "Hi" in stored
    assert response.json()["visibility"] == "staff"
    assert response.json()["staff_only"] is True


def test_section_filters_and_page_separates_staff_only(world):
    pub = section(world["a"], "hours", "public", "<p>Open</p>")
    staff = section(world["a"], "eresources", "staff", "<p>Proxy login</p>")
    section(world["b"], "hours", "public")
    client = client_for(world["helpdesk"])
    assert ids(client.get(url("policy-sections") + "?library=alib")) == {
        pub.pk,
        staff.pk,
    }
    assert ids(
        client.get(url("policy-sections") + "?library=alib&visibility=staff")
    ) == {staff.pk}
    assert ids(client.get(url("policy-sections") + "?kind=hours&library=alib")) == {
        pub.pk
    }
    page = client.get(url("policy-pages", pub.page_id)).json()
    assert [s["id"] for s in page["public_sections"]] == [pub.pk]
    assert [s["id"] for s in page["staff_only_sections"]] == [staff.pk]
    assert page["public_url"].startswith("http://testserver/")


def test_section_versions_and_restore(world):
    row = section(world["a"], body="<p>First</p>")
    client = client_for(world["coord_a"])
    response = client.patch(
        url("policy-sections", row.pk),
        {"body": "<p>Second</p>", "reason": "Update"},
        format="json",
    )
    assert response.status_code == 200, response.content
    versions = client.get(url("policy-sections", row.pk, "versions/")).json()
    assert [v["who"] for v in versions] == ["alib-coord", "helpdesk"]
    assert versions[0]["reason"] == "Update"
    first = versions[-1]["history_id"]
    response = client.post(
        url("policy-sections", row.pk, "restore/"), {"history_id": first}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["body"] == "<p>First</p>"
    assert len(client.get(url("policy-sections", row.pk, "versions/")).json()) == 3
    # Another library's version, or another entry's, is refused.
    other = section(world["b"])
    other_version = other.history.first().history_id
    assert_error(
        client.post(
            url("policy-sections", row.pk, "restore/"),
            {"history_id": other_version},
            format="json",
        ),
        400,
    )
    assert_error(client.get(url("policy-sections", other.pk, "versions/")), 404)
    assert_error(
        client.post(
            url("policy-sections", other.pk, "restore/"),
            {"history_id": other_version},
            format="json",
        ),
        404,
    )


def test_faq_restore(world):
    row = faq(world["a"], question="Old question?")
    client = client_for(world["helpdesk"])
    client.patch(url("faqs", row.pk), {"question": "New?"}, format="json")
    first = client.get(url("faqs", row.pk, "versions/")).json()[-1]["history_id"]
    response = client.post(
        url("faqs", row.pk, "restore/"), {"history_id": first}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["question"] == "Old question?"


# --- Pages -------------------------------------------------------------------------


def test_mark_reviewed(world):
    page = services.page_for(world["a"])
    response = client_for(world["coord_a"]).post(
        url("policy-pages", page.pk, "mark-reviewed/")
    )
    assert response.status_code == 200, response.content
    assert response.json()["reviewed_by"] == "alib-coord"
    page.refresh_from_db()
    assert page.last_reviewed_at is not None and page.reviewed_by == world["coord_a"]
    assert_error(
        client_for(world["coord_b"]).post(
            url("policy-pages", page.pk, "mark-reviewed/")
        ),
        404,
    )


def test_review_interval_is_the_help_desks(world):
    page = services.page_for(world["a"])
    coord = client_for(world["coord_a"])
    error = assert_error(
        coord.patch(
            url("policy-pages", page.pk), {"review_interval_days": 30}, format="json"
        ),
        400,
    )
    assert "review_interval_days" in error["fields"]
    hd = client_for(world["helpdesk"])
    response = hd.patch(
        url("policy-pages", page.pk), {"review_interval_days": 30}, format="json"
    )
    assert response.status_code == 200, response.content
    assert PolicyPage.objects.get(pk=page.pk).review_interval_days == 30


# --- FAQs --------------------------------------------------------------------------


def test_faq_url_filters_and_search(world):
    shown = faq(world["a"], question="Can I renew books?")
    hidden = faq(world["a"], question="Draft", published=False)
    faq(world["b"], question="Can I renew at B?")
    client = client_for(world["helpdesk"])
    row = client.get(url("faqs", shown.pk)).json()
    assert row["url"] == f"http://testserver/libraries/alib/faq/{shown.slug}/"
    assert client.get(url("faqs", hidden.pk)).json()["url"] is None
    assert ids(client.get(url("faqs") + "?library=alib&published=false")) == {hidden.pk}
    assert ids(client.get(url("faqs") + "?library=alib&search=renew")) == {shown.pk}


# --- Search ------------------------------------------------------------------------


def test_search_includes_staff_only_without_a_url(world):
    section(world["a"], "eresources", "staff", "<p>Proxy password for databases</p>")
    section(world["a"], "accounts", "public", "<p>Reset your password online</p>")
    section(world["b"], "accounts", "public", "<p>Password help at B</p>")
    client = client_for(world["helpdesk"])
    response = client.get(url("kb-search") + "?q=password&library=alib")
    assert response.status_code == 200, response.content
    hits = response.json()
    assert {h["library"] for h in hits} == {"alib"}
    staff = [h for h in hits if h["staff_only"]]
    public = [h for h in hits if not h["staff_only"]]
    assert staff and public
    assert all(h["url"] is None for h in staff)
    assert all(h["url"].startswith("http://testserver/") for h in public)
    assert set(hits[0]) == {
        "kind",
        "id",
        "title",
        "library",
        "staff_only",
        "url",
        "excerpt",
    }
    # A coordinator searches their own library only.
    coord = client_for(world["coord_a"])
    assert {
        h["library"] for h in coord.get(url("kb-search") + "?q=password").json()
    } == {"alib"}
    assert_error(coord.get(url("kb-search") + "?q=password&library=blib"), 400)


@pytest.mark.parametrize(
    "query",
    ["", "?q=", "?q=x&library=BAD%20CODE", "?q=x&library=nosuch", "?q=x&limit=0"],
)
def test_search_bad_params_are_400(world, query):
    error = assert_error(
        client_for(world["helpdesk"]).get(url("kb-search") + query), 400
    )
    assert error["fields"]


# --- Query counts ------------------------------------------------------------------


@pytest.mark.parametrize(
    "resource", ["policy-sections", "faqs", "canned-messages", "policy-pages"]
)
def test_list_query_count_does_not_grow_with_the_page(
    world, resource, django_assert_num_queries
):
    for _ in range(20):
        lib = LibraryFactory()
        row = MAKE[resource](lib)
        if resource == "policy-pages":
            section(lib, "hours", "public")
            section(lib, "hours", "staff")
    client = client_for(world["helpdesk"])
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url(resource) + "?page_size=2").json()["results"]) == 2
    with django_assert_num_queries(len(small)):
        assert len(client.get(url(resource) + "?page_size=20").json()["results"]) == 20
    assert row


def test_stale_if_match_on_a_faq_is_412_and_changes_nothing(world):
    row = faq(world["a"], question="Can I renew online?")
    client = client_for(world["coord_a"])
    versions = len(client.get(url("faqs", row.pk, "versions/")).json())
    stale = stale_patch(
        client,
        url("faqs", row.pk),
        {"question": "Can I renew my loans online?"},
        {"question": "Renewals?"},
    )
    assert_error(stale, 412, "stale")
    assert Faq.objects.get(pk=row.pk).question == "Can I renew my loans online?"
    # The fresh change is one new version; the stale one none.
    assert len(client.get(url("faqs", row.pk, "versions/")).json()) == versions + 1
