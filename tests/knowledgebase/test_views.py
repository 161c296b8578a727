"""The knowledge base's pages and the desk's look-ups: staff-only sections
never reach a patron-facing response (pages, FAQ search, widget, transcript),
rich text is sanitised on display even when the database holds script, and
the desk's JSON endpoints check who asks and what they ask for."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from chat import services as chat_services
from chat.models import Conversation
from consortium import services as consortium_services
from knowledgebase import services
from knowledgebase.models import Faq, PolicySection, Visibility
from tests.chat.conftest import open_all_week
from tests.consortium.factories import (
    CoordinatorFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

MARKER = "STAFFONLY-7731"
STAFF_BODY = (
    f"<p>{MARKER} proxy password help for off-campus database access: sign in "
    "to EZproxy as coop-desk.</p>"
)


@pytest.fixture
def library():
    library = LibraryFactory(code="sprc", name="Springfield College")
    open_all_week(QueueFactory(library=library))
    return library


@pytest.fixture
def coordinator(library):
    return CoordinatorFactory(library=library)


def section(coordinator, library, kind, body, visibility=Visibility.PUBLIC):
    return services.section_save(
        actor=coordinator,
        section=PolicySection(
            page=services.page_for(library),
            kind=kind,
            visibility=visibility,
            body=body,
        ),
    )


def faq(coordinator, library, question, answer, **kwargs):
    return services.faq_save(
        actor=coordinator,
        faq=Faq(library=library, question=question, answer=answer, **kwargs),
    )


@pytest.fixture
def kb(library, coordinator):
    """Public borrowing and e-resources sections, a staff-only e-resources
    section holding the marker, a published and an unpublished FAQ."""
    return {
        "borrowing": section(
            coordinator,
            library,
            "borrowing",
            "<p>Renew books online up to three times.</p>"
            "<script>alert('borrowing')</script>",
        ),
        "eresources": section(
            coordinator,
            library,
            "eresources",
            "<p>Off-campus database access goes through the proxy: sign in with "
            "your campus password.</p>",
        ),
        "staff": section(
            coordinator, library, "eresources", STAFF_BODY, Visibility.STAFF
        ),
        "renew": faq(
            coordinator,
            library,
            "How do I renew my books?",
            "<p>Sign in to <strong>My account</strong> and press Renew.</p>",
        ),
        "draft": faq(
            coordinator,
            library,
            "Draft: proxy password for staff",
            f"<p>{MARKER} draft answer</p>",
            published=False,
        ),
    }


@pytest.fixture
def librarian(library):
    staff = StaffFactory(library=library)
    consortium_services.queue_monitor_start(
        actor=staff, queue_id=library.queues.get().pk
    )
    return staff


def accepted_chat(library, librarian, question="How do I renew my books?"):
    chat = chat_services.conversation_start(
        library=library, question=question, patron_name="Ann"
    )
    chat_services.conversation_accept(conversation_id=chat.pk, actor=librarian)
    return Conversation.objects.get(pk=chat.pk)


def assert_no_leak(response, echo: str = ""):
    """Nothing of the staff-only section in the response (apart from the
    patron's own search words, `echo`, shown back in the search box)."""
    assert response.status_code == 200, response.status_code
    text = response.content.decode()
    if echo:
        text = text.replace(escape(echo), "")
    assert MARKER.lower() not in text.lower()
    assert "coop-desk" not in text and "EZproxy" not in text


# --- Patron-facing pages: no staff-only content, ever -------------------------------


def test_the_policy_page_shows_public_sections_in_order_with_anchors(client, kb):
    response = client.get("/libraries/sprc/policies/")
    assert_no_leak(response)
    html = response.content.decode()
    assert 'id="borrowing"' in html and 'id="eresources"' in html
    assert html.index('id="borrowing"') < html.index('id="eresources"')
    assert "Renew books online up to three times." in html
    assert "Off-campus database access" in html
    assert "<script" not in html


def test_the_faq_list_search_and_detail_leave_out_staff_only_entries(client, kb):
    listing = client.get("/libraries/sprc/faq/")
    assert_no_leak(listing)
    assert "How do I renew my books?" in listing.content.decode()
    assert "Draft: proxy" not in listing.content.decode()

    # The marker's own words find the public section about the proxy, and
    # never the staff-only one (nor the unpublished FAQ).
    for words in (
        f"{MARKER} proxy password help",
        "proxy password",
        "EZproxy coop-desk",
        "off-campus database access",
    ):
        found = client.get("/libraries/sprc/faq/", {"q": words})
        assert_no_leak(found, echo=words)
    found = client.get("/libraries/sprc/faq/", {"q": "proxy password"})
    assert "/libraries/sprc/policies/#eresources" in found.content.decode()

    detail = client.get(f"/libraries/sprc/faq/{kb['renew'].slug}/")
    assert_no_leak(detail)
    assert "<strong>My account</strong>" in detail.content.decode()
    assert client.get(f"/libraries/sprc/faq/{kb['draft'].slug}/").status_code == 404
    assert client.get("/libraries/sprc/faq/no-such-question/").status_code == 404


def test_unknown_and_inactive_libraries_have_no_pages(client, kb, library):
    for path in ("policies/", "faq/", f"faq/{kb['renew'].slug}/"):
        assert client.get(f"/libraries/nope/{path}").status_code == 404
    library.active = False
    library.save()
    for path in ("policies/", "faq/", f"faq/{kb['renew'].slug}/"):
        assert client.get(f"/libraries/sprc/{path}").status_code == 404


def test_the_search_box_echoes_the_query_inert(client, kb):
    response = client.get("/libraries/sprc/faq/", {"q": "<script>alert(1)</script>"})
    html = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_the_hours_page_links_policies_and_faq_and_leaks_nothing(client, kb):
    response = client.get("/libraries/sprc/")
    assert_no_leak(response)
    html = response.content.decode()
    assert 'href="/libraries/sprc/policies/"' in html
    assert 'href="/libraries/sprc/faq/"' in html


def test_the_widget_and_its_status_and_script_leak_nothing(client, kb):
    assert_no_leak(client.get("/chat/sprc/"))
    assert_no_leak(client.get("/chat/sprc/?embed=1&lang=es"))
    assert_no_leak(client.get("/widget/sprc/status.json"))
    assert_no_leak(client.get("/widget/embed.js"))


def test_a_transcript_of_a_chat_answered_with_suggestions_leaks_nothing(
    client, kb, library, librarian
):
    chat = accepted_chat(
        library, librarian, question="Off-campus proxy password to renew books?"
    )
    client.force_login(librarian)
    hits = client.get("/desk/kb/suggest", {"conversation": chat.pk}).json()["hits"]
    assert any(h["staff_only"] and MARKER in h["text"] for h in hits)
    link = next(h["url"] for h in hits if h["kind"] == "faq")
    chat_services.message_post(
        conversation_id=chat.pk,
        sender="librarian",
        author=librarian,
        body=f"Here is how: {link}",
    )
    chat_services.message_post(
        conversation_id=chat.pk,
        sender="note",
        author=librarian,
        body="Checked the staff-only e-resources notes.",
    )
    client.logout()
    state = client.get(f"/chat/c/{chat.patron_token}/state")
    assert_no_leak(state)
    assert_no_leak(client.get(f"/chat/c/{chat.patron_token}/messages"))
    client.post(f"/chat/c/{chat.patron_token}/end")
    url = client.get(f"/chat/c/{chat.patron_token}/state").json()["transcript_url"]
    transcript = client.get(url)
    assert_no_leak(transcript)
    assert link in transcript.content.decode()
    assert "staff-only e-resources notes" not in transcript.content.decode()
    assert_no_leak(client.get(url, {"format": "txt"}))


# --- Rich text is inert wherever it came from ------------------------------------


def test_script_is_stored_sanitised(kb):
    stored = PolicySection.objects.get(pk=kb["borrowing"].pk)
    assert "<script" not in stored.body and "alert" not in stored.body
    assert "Renew books online" in stored.text


RAW = (
    "<p>Raw row</p><script>alert('pwned')</script><img src=x onerror=alert(1)>"
    '<a href="javascript:alert(2)">click</a><iframe src="https://evil.example"></iframe>'
)


def test_raw_html_written_around_the_services_is_sanitised_on_display(client, kb):
    PolicySection.objects.filter(pk=kb["borrowing"].pk).update(body=RAW)
    Faq.objects.filter(pk=kb["renew"].pk).update(answer=RAW)
    for url in (
        "/libraries/sprc/policies/",
        f"/libraries/sprc/faq/{kb['renew'].slug}/",
    ):
        html = client.get(url).content.decode()
        assert "Raw row" in html
        for bad in ("<script", "pwned", "onerror", "javascript:", "<iframe"):
            assert bad not in html, (url, bad)


# --- Query counts -------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_pages_queries_do_not_grow_with_entries(
    client, kb, library, coordinator
):
    before = {
        url: count_queries(client, url)
        for url in ("/libraries/sprc/policies/", "/libraries/sprc/faq/")
    }
    for kind in ("hours", "accounts", "ill", "distance", "contacts", "local"):
        section(coordinator, library, kind, f"<p>About {kind}.</p>")
    for n in range(10):
        faq(coordinator, library, f"Question number {n}?", f"<p>Answer {n}.</p>")
    for url, n in before.items():
        assert count_queries(client, url) == n, url
    assert count_queries(client, "/libraries/sprc/faq/?q=question") <= 6


# --- The desk's look-ups ------------------------------------------------------------


def test_the_desk_search_flags_staff_only_sections_and_links_the_public_ones(
    client, kb, library
):
    other = LibraryFactory(code="gcsu", name="Georgia College")
    client.force_login(StaffFactory(library=other))  # a co-op librarian
    body = client.get("/desk/kb/search", {"q": "proxy password", "library": "sprc"})
    assert body.status_code == 200
    hits = body.json()["hits"]
    staff = [h for h in hits if h["staff_only"]]
    assert len(staff) == 1 and staff[0]["url"] is None
    assert MARKER in staff[0]["text"] and MARKER in staff[0]["excerpt"]
    public = next(h for h in hits if not h["staff_only"])
    assert public["url"] == "http://testserver/libraries/sprc/policies/#eresources"
    assert public["library"] == {"code": "sprc", "name": "Springfield College"}

    renew = client.get("/desk/kb/search", {"q": "renew", "library": ""}).json()
    faq_hit = next(h for h in renew["hits"] if h["kind"] == "faq")
    assert faq_hit["url"] == f"http://testserver/libraries/sprc/faq/{kb['renew'].slug}/"
    assert all(h["title"] != "Draft: proxy password for staff" for h in renew["hits"])
    only_other = client.get("/desk/kb/search", {"q": "renew", "library": "gcsu"})
    assert only_other.json()["hits"] == []


@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "Type some words"),
        ({"q": "   "}, "Type some words"),
        ({"q": "renew", "library": "nope"}, "No library"),
    ],
)
def test_bad_desk_searches_are_a_clear_400(client, kb, librarian, params, message):
    client.force_login(librarian)
    response = client.get("/desk/kb/search", params)
    assert response.status_code == 400 and message in response.json()["error"]


def test_the_desk_suggests_the_patron_librarys_entries_for_the_question(
    client, kb, library, librarian
):
    chat = accepted_chat(library, librarian, question="Can I renew my books?")
    client.force_login(librarian)
    body = client.get("/desk/kb/suggest", {"conversation": chat.pk}).json()
    assert body["library"] == {"code": "sprc", "name": "Springfield College"}
    assert body["hits"][0]["title"] == "How do I renew my books?"
    assert body["hits"][0]["url"].startswith("http://testserver/libraries/sprc/faq/")


def test_suggestions_read_the_patrons_first_messages_too(
    client, kb, library, librarian
):
    chat = accepted_chat(library, librarian, question="Hello")
    chat_services.message_post(
        conversation_id=chat.pk,
        sender="patron",
        body="I need off-campus database access",
        client_id="p1",
    )
    client.force_login(librarian)
    hits = client.get("/desk/kb/suggest", {"conversation": chat.pk}).json()["hits"]
    assert {h["title"] for h in hits} >= {"E-resources and database access"}
    assert any(h["staff_only"] and MARKER in h["text"] for h in hits)


def test_the_desk_look_ups_need_a_signed_in_staff_member(
    client, kb, library, librarian
):
    chat = chat_services.conversation_start(library=library, question="renew?")
    for url, params in (
        ("/desk/kb/search", {"q": "renew"}),
        ("/desk/kb/suggest", {"conversation": chat.pk}),
        ("/desk/kb/libraries", {}),
    ):
        response = client.get(url, params)
        assert response.status_code == 401 and "Sign in" in response.json()["error"]
    assert client.post("/desk/kb/search", {"q": "renew"}).status_code in (401, 405)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"conversation": ""},
        {"conversation": "abc"},
        {"conversation": "-1"},
        {"conversation": "1.5"},
        {"conversation": "²"},
        {"conversation": "9" * 30},
        {"ticket": "x"},
        {"conversation": "1", "ticket": "1"},
    ],
)
def test_bad_suggestion_parameters_are_a_clear_400(client, librarian, params):
    client.force_login(librarian)
    response = client.get("/desk/kb/suggest", params)
    assert response.status_code == 400
    assert response.json()["error"]


def test_a_chat_the_librarian_cannot_see_is_not_found(client, kb, library, librarian):
    chat = accepted_chat(library, librarian)
    stranger = StaffFactory(library=LibraryFactory(code="far"))
    client.force_login(stranger)
    response = client.get("/desk/kb/suggest", {"conversation": chat.pk})
    assert response.status_code == 404 and "not yours" in response.json()["error"]
    missing = client.get("/desk/kb/suggest", {"conversation": 999999})
    assert missing.status_code == 404
    assert MARKER not in missing.content.decode() + response.content.decode()


def ticket_for(library, question="How do I renew books by email?"):
    conversation = chat_services.offline_question_create(
        library=library, question=question, email="pat@example.org"
    )
    return conversation.ticket


def test_interns_get_ticket_suggestions_but_not_chat_ones(
    client, kb, library, librarian
):
    ticket = ticket_for(library)
    intern = StaffFactory(library=library, role="intern")
    client.force_login(intern)
    body = client.get("/desk/kb/suggest", {"ticket": ticket.pk})
    assert body.status_code == 200
    assert body.json()["hits"][0]["title"] == "How do I renew my books?"
    assert client.get("/desk/kb/search", {"q": "renew"}).status_code == 200
    chat = chat_services.conversation_start(library=library, question="renew?")
    refused = client.get("/desk/kb/suggest", {"conversation": chat.pk})
    assert refused.status_code == 403


def test_another_librarys_ticket_is_not_found(client, kb, library):
    ticket = ticket_for(library)
    client.force_login(StaffFactory(library=LibraryFactory(code="far"), role="intern"))
    response = client.get("/desk/kb/suggest", {"ticket": ticket.pk})
    assert response.status_code == 404
    assert client.get(f"/desk/tickets/{ticket.pk}/").status_code == 404


def test_the_ticket_page_shows_suggestions_with_the_staff_only_badge(
    client, kb, library
):
    ticket = ticket_for(
        library, question="Off-campus proxy password, and how to renew?"
    )
    client.force_login(StaffFactory(library=library, role="intern"))
    html = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Policies &amp; FAQ" in html
    assert "How do I renew my books?" in html
    assert "Staff only" in html and MARKER in html
    assert f"/libraries/sprc/faq/{kb['renew'].slug}/" in html
    searched = client.get(f"/desk/tickets/{ticket.pk}/", {"kb": "<b>renew</b>"})
    assert "Results for “&lt;b&gt;renew&lt;/b&gt;”" in searched.content.decode()


def test_the_desk_lists_libraries_for_its_filter(client, kb, librarian):
    client.force_login(librarian)
    libraries = client.get("/desk/kb/libraries").json()["libraries"]
    assert {"code": "sprc", "name": "Springfield College"} in libraries


def test_the_desk_page_carries_the_panel_and_its_addresses(client, librarian):
    client.force_login(librarian)
    html = client.get("/desk/").content.decode()
    assert 'data-suggest="/desk/kb/suggest"' in html
    assert "Policies &amp; FAQ" in html


def test_canned_messages_still_fill_in_the_faq_address(client, kb, library, librarian):
    chat = accepted_chat(library, librarian)
    client.force_login(librarian)
    groups = client.get(f"/desk/api/conversations/{chat.pk}/canned").json()["groups"]
    assert groups
    assert json.dumps(groups).count(MARKER) == 0


@pytest.mark.parametrize("code", ["a\x00b", "A B", "x" * 60, "<script>"])
def test_a_malformed_library_code_in_the_desk_search_is_a_clear_400(
    client, kb, librarian, code
):
    client.force_login(librarian)
    response = client.get("/desk/kb/search", {"q": "renew", "library": code})
    assert response.status_code == 400
    assert "No library with code" in response.json()["error"]
