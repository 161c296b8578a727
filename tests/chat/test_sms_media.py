"""Pictures and files sent by text (MMS, issue 18): fetched from Twilio's
media addresses only, with the account's credentials for Twilio alone,
checked by content like a chat's files, stored on the text's message and
pushed to the desk; whatever fails is told to the librarian in one note,
once. The transport is faked at `requests.get`."""

from email import message_from_bytes, policy
from pathlib import Path

import pytest
import requests
from django.db import transaction

from chat import events, tasks
from chat.models import Attachment, Conversation, Message, SmsMessage
from chat.services import conversations
from chat.sms import media
from consortium.services import DomainError
from tests.chat.conftest import NOW, open_all_week
from tests.consortium.factories import LibraryFactory, QueueFactory, StaffFactory

pytestmark = pytest.mark.django_db

SID, TOKEN = "AC0123456789abcdef", "test-auth-token"
MEDIA = "https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages/MM1/Media/ME"
CDN = "https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC0123/"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 120


def real_png() -> bytes:
    """The PNG of a real client's mail (tests/chat/emails)."""
    raw = (Path(__file__).parent / "emails" / "attachments_pdf_png.eml").read_bytes()
    for part in message_from_bytes(raw, policy=policy.default).iter_attachments():
        content = part.get_content()
        if content.startswith(b"\x89PNG\r\n\x1a\n"):
            return content
    raise AssertionError("no PNG in the sample mail")


PNG = real_png()


class FakeResponse:
    def __init__(self, status=200, body=b"", headers=None):
        self.status_code = status
        self.body = body
        self.headers = headers or {}
        self.closed = False

    def iter_content(self, chunk_size):
        for start in range(0, len(self.body), chunk_size):
            yield self.body[start : start + chunk_size]

    def close(self):
        self.closed = True


class Transport:
    """Answers `requests.get` from `routes` (url -> response or exception)
    and records each call."""

    def __init__(self, routes):
        self.routes = routes
        self.calls = []

    def __call__(self, url, **kwargs):
        self.calls.append((url, kwargs))
        answer = self.routes[url]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture(autouse=True)
def twilio_settings(settings):
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = TOKEN


@pytest.fixture
def transport(monkeypatch):
    def install(routes):
        fake = Transport(routes)
        monkeypatch.setattr(media.requests, "get", fake)
        return fake

    return install


@pytest.fixture
def published(monkeypatch):
    sent = []
    monkeypatch.setattr(events, "publish_now", lambda group, e: sent.append((group, e)))
    return sent


@pytest.fixture
def librarian():
    return StaffFactory(library=LibraryFactory(code="spring"))


@pytest.fixture
def sms(librarian):
    """An inbound text with two media, in a conversation `librarian` holds."""
    library = librarian.library
    conversation = Conversation.objects.create(
        channel=Conversation.Channel.SMS,
        library=library,
        queue=open_all_week(QueueFactory(library=library)),
        question="[2 picture(s) or file(s) sent by text]",
        patron_phone="+18505550123",
        requested_at=NOW,
        waiting_since=NOW,
        accepted_at=NOW,
        status=Conversation.Status.ACTIVE,
        librarian=librarian,
        last_patron_at=NOW,
        last_seq=1,
    )
    with transaction.atomic():
        message = conversations._store(
            conversations._locked(conversation.pk),
            sender=Message.Sender.PATRON,
            body=conversation.question,
            now=NOW,
        )
    return SmsMessage.objects.create(
        message=message,
        direction=SmsMessage.Direction.INBOUND,
        sid="SM1",
        status=SmsMessage.Status.RECEIVED,
        num_media=2,
    )


def fetch(sms, urls, capture):
    with capture(execute=True):
        return tasks.sms_fetch_media(sms.pk, urls)


def notes(sms):
    return list(
        sms.message.conversation.messages.filter(
            sender=Message.Sender.NOTE
        ).values_list("body", flat=True)
    )


def test_a_picture_is_fetched_through_twilios_redirect_and_pushed_to_the_desk(
    sms, librarian, transport, published, django_capture_on_commit_callbacks
):
    fake = transport(
        {
            MEDIA + "1": FakeResponse(302, headers={"Location": CDN + "a1"}),
            CDN + "a1": FakeResponse(200, PNG, {"Content-Length": str(len(PNG))}),
        }
    )
    assert fetch(sms, [MEDIA + "1"], django_capture_on_commit_callbacks) == 1
    [attachment] = Attachment.objects.filter(message=sms.message)
    assert (attachment.content_type, attachment.size) == ("image/png", len(PNG))
    assert attachment.name == "text-1-1.png"
    assert attachment.file.read() == PNG
    assert attachment.conversation_id == sms.message.conversation_id
    # Twilio's credentials go to Twilio only, never to the CDN.
    assert [(url, kw["auth"]) for url, kw in fake.calls] == [
        (MEDIA + "1", (SID, TOKEN)),
        (CDN + "a1", None),
    ]
    assert all(
        kw["timeout"] == 10 and kw["allow_redirects"] is False and kw["stream"]
        for _, kw in fake.calls
    )
    assert all(response.closed for response in fake.routes.values())
    desk = [e for g, e in published if g == events.staff_group(librarian.pk)]
    assert len(desk) == 1 and desk[0]["type"] == "chat.message"
    assert desk[0]["message"]["seq"] == sms.message.seq
    assert [a["content_type"] for a in desk[0]["message"]["attachments"]] == [
        "image/png"
    ]
    assert notes(sms) == []


def test_a_text_with_its_files_is_not_fetched_again(
    sms, transport, published, django_capture_on_commit_callbacks
):
    fake = transport({MEDIA + "1": FakeResponse(200, PNG)})
    assert fetch(sms, [MEDIA + "1"], django_capture_on_commit_callbacks) == 1
    assert fetch(sms, [MEDIA + "1"], django_capture_on_commit_callbacks) == 0
    assert len(fake.calls) == 1
    assert Attachment.objects.filter(message=sms.message).count() == 1


def test_a_file_of_a_refused_type_is_noted_for_the_librarian_and_the_rest_kept(
    sms, transport, published, django_capture_on_commit_callbacks
):
    fake = transport(
        {MEDIA + "1": FakeResponse(200, PNG), MEDIA + "2": FakeResponse(200, EXE)}
    )
    urls = [MEDIA + "1", MEDIA + "2"]
    assert fetch(sms, urls, django_capture_on_commit_callbacks) == 1
    assert [a.content_type for a in Attachment.objects.filter(message=sms.message)] == [
        "image/png"
    ]
    [note] = notes(sms)
    assert note.startswith("1 of the 2 pictures or files the patron texted could")
    assert "file 2: this kind of file cannot be shared" in note
    # The note is the librarian's: never pushed to the patron.
    patron = [
        e for g, e in published if g == events.patron_group(sms.message.conversation_id)
    ]
    assert all(e["message"]["sender"] != "note" for e in patron)
    # Run again (a redelivered task): nothing fetched, no second note.
    assert fetch(sms, urls, django_capture_on_commit_callbacks) == 0
    assert len(fake.calls) == 2 and len(notes(sms)) == 1


def test_a_refused_only_file_is_noted_once_and_not_fetched_again(
    sms, transport, published, django_capture_on_commit_callbacks
):
    fake = transport({MEDIA + "1": FakeResponse(200, EXE)})
    assert fetch(sms, [MEDIA + "1"], django_capture_on_commit_callbacks) == 0
    assert notes(sms) == [
        "The picture or file the patron texted could not be fetched: this kind "
        "of file cannot be shared (images, PDFs, Word, Excel or PowerPoint files "
        "and plain text can). Ask the patron to send it again if you need it."
    ]
    assert fetch(sms, [MEDIA + "1"], django_capture_on_commit_callbacks) == 0
    assert len(fake.calls) == 1 and len(notes(sms)) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://api.twilio.com/2010-04-01/Accounts/AC0123/Messages/MM1/Media/ME1",
        "https://metadata.internal/latest/meta-data/",
        "https://169.254.169.254/latest/meta-data/",
        "https://api.twilio.com.attacker.example/Media/ME1",
        "https://eviltwilio.com/Media/ME1",
        "https://user:pw@api.twilio.com/Media/ME1",
        "https://api.twilio.com:8443/Media/ME1",
        "file:///etc/passwd",
    ],
)
def test_an_address_off_twilios_media_hosts_is_never_requested(
    sms, transport, published, django_capture_on_commit_callbacks, url
):
    fake = transport({})
    assert fetch(sms, [url], django_capture_on_commit_callbacks) == 0
    assert fake.calls == []
    [note] = notes(sms)
    assert "not one of Twilio's media addresses" in note


def test_a_host_of_the_optional_setting_is_fetched(
    sms, settings, transport, published, django_capture_on_commit_callbacks
):
    settings.SMS_MEDIA_HOSTS = ["media.example-provider.net"]
    url = "https://media.example-provider.net/m/1"
    transport({url: FakeResponse(200, PNG)})
    assert fetch(sms, [url], django_capture_on_commit_callbacks) == 1


def test_a_redirect_off_https_is_not_followed(
    sms, transport, published, django_capture_on_commit_callbacks
):
    fake = transport(
        {MEDIA + "1": FakeResponse(307, headers={"Location": "http://cdn.example/a"})}
    )
    assert fetch(sms, [MEDIA + "1"], django_capture_on_commit_callbacks) == 0
    assert len(fake.calls) == 1
    assert "redirected it to an address that is not https" in notes(sms)[0]


def test_endless_redirects_stop(
    sms, transport, published, django_capture_on_commit_callbacks
):
    fake = transport(
        {MEDIA + "1": FakeResponse(302, headers={"Location": MEDIA + "1"})}
    )
    assert fetch(sms, [MEDIA + "1"], django_capture_on_commit_callbacks) == 0
    assert len(fake.calls) == media.MAX_REDIRECTS + 1
    assert "redirected it too many times" in notes(sms)[0]


def test_a_file_over_the_chat_limit_is_refused(
    sms, monkeypatch, transport, published, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(media, "MAX_FILE_BYTES", 2**20)
    transport(
        {
            # Declared too large: refused before reading.
            MEDIA + "1": FakeResponse(200, b"", {"Content-Length": "5000000"}),
            # Not declared: stopped once past the limit.
            MEDIA + "2": FakeResponse(200, PNG + b"\x00" * 2**20),
        }
    )
    assert (
        fetch(sms, [MEDIA + "1", MEDIA + "2"], django_capture_on_commit_callbacks) == 0
    )
    [note] = notes(sms)
    assert note.count("it is over 1 MB, the limit for files") == 2
    assert not Attachment.objects.exists()


def test_the_chat_file_limit_applies(sms):
    from chat.services import files

    assert media.MAX_FILE_BYTES == files.MAX_FILE_BYTES


def test_network_failures_and_errors_are_noted_not_raised(
    sms, transport, published, django_capture_on_commit_callbacks
):
    transport(
        {
            MEDIA + "1": requests.Timeout("read timed out"),
            MEDIA + "2": requests.ConnectionError("refused"),
            MEDIA + "3": FakeResponse(404),
            MEDIA + "4": FakeResponse(200, b""),
            MEDIA + "5": FakeResponse(200, PNG),
        }
    )
    urls = [MEDIA + str(n) for n in range(1, 6)]
    assert fetch(sms, urls, django_capture_on_commit_callbacks) == 1
    [note] = notes(sms)
    assert "file 1: Twilio did not answer within 10 seconds" in note
    assert "file 2: Twilio could not be reached" in note
    assert "file 3: Twilio answered HTTP 404" in note
    assert "file 4: the file is empty" in note
    assert "file 5" not in note
    assert Attachment.objects.get(message=sms.message).name == "text-1-5.png"


def test_nothing_in_the_log_names_the_patron_or_the_address(
    sms, transport, published, django_capture_on_commit_callbacks, caplog
):
    transport({MEDIA + "1": FakeResponse(200, EXE)})
    with caplog.at_level("WARNING", logger="chat.sms.media"):
        fetch(sms, [MEDIA + "1"], django_capture_on_commit_callbacks)
    assert caplog.records
    assert "+1850" not in caplog.text and "twilio.com" not in caplog.text


def test_urls_must_be_a_list_of_addresses(sms):
    for urls in ("https://api.twilio.com/x", [None], ["x" * 2001], [""]):
        with pytest.raises(DomainError):
            media.sms_media_fetch(sms_id=sms.pk, urls=urls)


def test_a_text_out_or_an_unknown_one_is_not_fetched(sms, transport):
    fake = transport({})
    SmsMessage.objects.filter(pk=sms.pk).update(direction=SmsMessage.Direction.OUTBOUND)
    assert media.sms_media_fetch(sms_id=sms.pk, urls=[MEDIA + "1"]) == 0
    assert media.sms_media_fetch(sms_id=999999, urls=[MEDIA + "1"]) == 0
    assert fake.calls == []
