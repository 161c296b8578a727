"""The patron's endpoints that store something (start a chat, leave an
offline question, send a file) refuse a request from another site's page:
an `Origin` that is neither this site nor one of the library's websites is a
JSON 403 and nothing is stored. No Origin at all (curl, an old browser's
same-origin post) is allowed."""

import io
import json

import pytest

from chat.models import Attachment, Conversation, Ticket
from consortium import services as consortium_services
from tests.chat.conftest import open_all_week
from tests.consortium.factories import LibraryFactory, QueueFactory, StaffFactory

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
    b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
ALLOWED = [
    None,  # no Origin header
    "http://testserver",  # this site (tests: SITE_URL and the test host)
    "https://web.example.org",  # the library's website
    "https://Catalog.Example.org",  # one of its other widget origins
]
REFUSED = [
    "https://evil.example.com",
    "https://web.example.org.evil.example.com",
    "http://web.example.org",  # the website, but not over HTTPS
    "https://other.example.org",  # another library's website
    "null",
]


@pytest.fixture
def library():
    LibraryFactory(code="other", website="https://other.example.org/")
    library = LibraryFactory(
        code="web",
        name="Webster Library",
        website="https://web.example.org/about",
        widget_origins="https://catalog.example.org",
    )
    open_all_week(QueueFactory(library=library))
    return library


@pytest.fixture
def librarian(library):
    staff = StaffFactory(library=library)
    consortium_services.queue_monitor_start(
        actor=staff, queue_id=library.queues.get().pk
    )
    return staff


def headers(origin):
    return {} if origin is None else {"HTTP_ORIGIN": origin}


def post_json(client, url, data, origin):
    return client.post(
        url, json.dumps(data), content_type="application/json", **headers(origin)
    )


def assert_refused(response, origin):
    assert response.status_code == 403
    message = response.json()["error"]
    assert origin in message and "Webster Library's website" in message


@pytest.mark.parametrize("origin", ALLOWED)
def test_a_chat_starts_from_this_site_or_the_library_website(
    client, library, librarian, origin
):
    response = post_json(client, "/chat/web/start", {"question": "Hi?"}, origin)
    assert response.status_code == 201, response.json()
    assert Conversation.objects.count() == 1


@pytest.mark.parametrize("origin", REFUSED)
def test_a_chat_from_another_site_is_refused_and_nothing_stored(
    client, library, librarian, origin
):
    response = post_json(client, "/chat/web/start", {"question": "Hi?"}, origin)
    assert_refused(response, origin)
    assert not Conversation.objects.exists()


@pytest.mark.parametrize("origin", ALLOWED)
def test_an_offline_question_is_taken_from_allowed_origins(client, library, origin):
    data = {"question": "Hours?", "email": "ann@example.org"}
    response = post_json(client, "/chat/web/offline", data, origin)
    assert response.status_code == 201, response.json()
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("origin", REFUSED)
def test_an_offline_question_from_another_site_is_refused(client, library, origin):
    data = {"question": "Hours?", "email": "ann@example.org"}
    response = post_json(client, "/chat/web/offline", data, origin)
    assert_refused(response, origin)
    assert not Conversation.objects.exists() and not Ticket.objects.exists()


def upload(client, token, origin):
    image = io.BytesIO(PNG)
    image.name = "map.png"
    return client.post(
        f"/chat/c/{token}/files", {"file": image, "client_id": "f1"}, **headers(origin)
    )


@pytest.fixture
def token(client, library, librarian):
    return post_json(client, "/chat/web/start", {"question": "Hi?"}, None).json()[
        "token"
    ]


@pytest.mark.parametrize("origin", ALLOWED)
def test_a_file_is_taken_from_allowed_origins(client, token, origin):
    assert upload(client, token, origin).status_code == 201
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize("origin", REFUSED)
def test_a_file_from_another_site_is_refused_and_not_stored(client, token, origin):
    assert_refused(upload(client, token, origin), origin)
    assert not Attachment.objects.exists()
    conversation = Conversation.objects.get(patron_token=token)
    assert (
        not conversation.messages.filter(sender="patron").exclude(body="Hi?").exists()
    )
