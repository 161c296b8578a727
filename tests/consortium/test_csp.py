"""The Content-Security-Policy (django-csp, settings.CONTENT_SECURITY_POLICY)
on every kind of page: scripts and styles only from this site, no plugins, no
<base> elsewhere, framing only where a library's website embeds the chat; and
no page renders an inline script or style the policy would block."""

import json
import re

import pytest

from consortium import services as consortium_services
from tests.chat.conftest import open_all_week
from tests.consortium.factories import (
    CoopQueueFactory,
    HelpdeskFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)
STYLE_TAG = re.compile(r"<style\b([^>]*)>", re.I)
STYLE_ATTR = re.compile(r"<[a-z][^>]*\sstyle=", re.I)
HANDLER_ATTR = re.compile(r"<[a-z][^>]*\son[a-z]+=", re.I)


def policy(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy, directive by directive."""
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(response, *, frame_ancestors=("'none'",)):
    assert response.status_code == 200, response.status_code
    csp = policy(response)
    nonce = [v for v in csp["script-src"] if v.startswith("'nonce-")]
    assert [v for v in csp["script-src"] if v not in nonce] == ["'self'"]
    style_nonce = [v for v in csp["style-src"] if v.startswith("'nonce-")]
    # A hash allows one exact <style> (the KB editor's), never style="".
    hashes = [v for v in csp["style-src"] if v.startswith("'sha256-")]
    extra = [*style_nonce, *hashes]
    assert [v for v in csp["style-src"] if v not in extra] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert tuple(csp["frame-ancestors"]) == tuple(frame_ancestors)
    html = response.content.decode()
    for attrs, body in SCRIPT_TAG.findall(html):
        if "application/json" in attrs:  # json_script: data, never run
            continue
        assert "src=" in attrs or (nonce and f'nonce="{nonce[0][7:-1]}"' in attrs), (
            f"inline script without a nonce: {attrs} {body[:80]}"
        )
    for attrs in STYLE_TAG.findall(html):
        assert style_nonce and f'nonce="{style_nonce[0][7:-1]}"' in attrs, attrs
    assert not STYLE_ATTR.search(html), STYLE_ATTR.search(html).group(0)
    assert not HANDLER_ATTR.search(html), HANDLER_ATTR.search(html).group(0)
    return csp


@pytest.fixture
def library():
    library = LibraryFactory(
        code="web",
        website="https://web.example.org/",
        widget_origins="https://catalog.example.org",
    )
    open_all_week(QueueFactory(library=library))
    return library


@pytest.fixture
def librarian(library):
    return StaffFactory(library=library)


def test_the_desk_has_the_strict_policy(client, librarian):
    client.force_login(librarian)
    assert_strict(client.get("/desk/"))
    assert_strict(client.get("/desk/tickets/"))
    assert_strict(client.get("/desk/directory/"))


def test_the_patron_page_may_be_framed_by_the_library_websites_only(client, library):
    response = client.get("/chat/web/?embed=1")
    assert_strict(
        response,
        frame_ancestors=(
            "'self'",
            "https://web.example.org",
            "https://catalog.example.org",
        ),
    )
    assert "X-Frame-Options" not in response


def test_a_transcript_may_be_framed_by_the_library_websites_only(
    client, library, librarian
):
    consortium_services.queue_monitor_start(
        actor=librarian, queue_id=library.queues.get().pk
    )
    token = client.post(
        "/chat/web/start",
        json.dumps({"question": "Do you have tax forms?"}),
        content_type="application/json",
    ).json()["token"]
    assert client.post(f"/chat/c/{token}/end").status_code == 200
    url = client.get(f"/chat/c/{token}/state").json()["transcript_url"]
    assert_strict(
        client.get(url),
        frame_ancestors=(
            "'self'",
            "https://web.example.org",
            "https://catalog.example.org",
        ),
    )


def test_other_pages_cannot_be_framed_at_all(client, library):
    response = client.get("/libraries/")
    assert_strict(response)
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/libraries/",
        "/libraries/web/",
        "/libraries/web/faq/",
        "/widget/demo/web/",
        "/accounts/login/",
    ],
)
def test_public_pages_have_the_strict_policy(client, library, url):
    assert_strict(client.get(url))


def test_the_referral_directory_and_problem_form_have_it(client, librarian):
    client.force_login(librarian)
    assert_strict(client.get("/desk/directory/"))
    assert_strict(client.get("/desk/problem-reports/new/"))


def test_the_knowledge_base_pages_have_the_strict_policy(client, library):
    from knowledgebase import services as kb_services
    from knowledgebase.models import Faq, PolicySection
    from tests.consortium.factories import CoordinatorFactory

    coordinator = CoordinatorFactory(library=library)
    kb_services.section_save(
        actor=coordinator,
        section=PolicySection(
            page=kb_services.page_for(library),
            kind="borrowing",
            visibility="public",
            body="<p>Renew books online.</p>",
        ),
    )
    faq = kb_services.faq_save(
        actor=coordinator,
        faq=Faq(library=library, question="Can I print?", answer="<p>Yes.</p>"),
    )
    assert_strict(client.get("/libraries/web/policies/"))
    assert_strict(client.get("/libraries/web/faq/"))
    assert_strict(client.get(faq.get_absolute_url()))


def test_the_scheduling_pages_have_the_strict_policy(client, library):
    helpdesk = HelpdeskFactory()
    client.force_login(helpdesk)
    assert_strict(client.get("/schedule/"))
    assert_strict(client.get("/schedule/grid/"))
    coop = CoopQueueFactory(code="coop-csp")
    assert_strict(client.get(f"/schedule/grid/{coop.code}/"))


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/consortium/library/",
        "/admin/consortium/library/add/",
        "/admin/knowledgebase/policypage/",
        "/admin/chat/conversation/",
        "/admin/auditlog/logentry/",
    ],
)
def test_admin_pages_have_the_strict_policy(client, library, url):
    client.force_login(HelpdeskFactory(is_superuser=True, is_staff=True))
    assert_strict(client.get(url))


def test_a_library_change_form_and_its_history_have_it(client, library):
    client.force_login(HelpdeskFactory(is_superuser=True, is_staff=True))
    assert_strict(client.get(f"/admin/consortium/library/{library.pk}/change/"))
    assert_strict(client.get(f"/admin/consortium/library/{library.pk}/history/"))


def test_the_api_docs_load_no_inline_script(client):
    docs = client.get("/api/docs/")
    assert_strict(docs)
    start = client.get("/api/docs/?script=")
    assert start.status_code == 200
    assert start["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in start.content
    # ReDoc (styled-components) alone may use inline styles, never scripts.
    redoc = client.get("/api/redoc/")
    assert policy(redoc)["script-src"] == ["'self'"]
    assert policy(redoc)["style-src"] == ["'self'", "'unsafe-inline'"]
    assert not [
        a for a, _ in SCRIPT_TAG.findall(redoc.content.decode()) if "src=" not in a
    ]
    assert b"fonts.googleapis.com" not in redoc.content


def test_the_embed_script_and_attachments_keep_their_own_headers(client, library):
    script = client.get("/widget/embed.js")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("text/javascript")


def test_the_rich_text_editor_import_map_carries_the_nonce(client, library):
    from knowledgebase import services as kb_services

    page = kb_services.page_for(library)
    client.force_login(HelpdeskFactory(is_superuser=True, is_staff=True))
    response = client.get(f"/admin/knowledgebase/policypage/{page.pk}/change/")
    csp = assert_strict(response)
    nonce = [v for v in csp["script-src"] if v.startswith("'nonce-")]
    assert nonce, csp["script-src"]
    html = response.content.decode()
    assert f'<script type="importmap" nonce="{nonce[0][7:-1]}"' in html or (
        'type="importmap"' in html and f'nonce="{nonce[0][7:-1]}"' in html
    )
