"""The patron's rating of a chat ("How did we do?", issue 19): the service's
rules, the widget's endpoint (token, origin, bad input, once only), the
patron's state, the API and the admin."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import selectors, services
from chat.models import Conversation, PatronRating
from consortium.models import Staff
from tests.api_helpers import client_for
from tests.chat.conftest import NOW, accepted_chat, monitor, start
from tests.consortium.factories import (
    CoordinatorFactory,
    HelpdeskFactory,
    LibraryFactory,
)

pytestmark = pytest.mark.django_db


def ended_chat(setup, **kwargs):
    chat = accepted_chat(setup, **kwargs)
    services.conversation_end(conversation_id=chat.pk, now=NOW + timedelta(minutes=5))
    chat.refresh_from_db()
    return chat


def refusal(**kwargs) -> services.RatingRefused:
    with pytest.raises(services.RatingRefused) as caught:
        services.rating_submit(**kwargs)
    return caught.value


# --- The service ----------------------------------------------------------------------


def test_a_rating_of_an_ended_chat_is_stored_with_its_comment_stripped(setup):
    chat = ended_chat(setup)
    rating = services.rating_submit(
        conversation=chat, score=4, comment="  Very helpful, thanks!\n ", now=NOW
    )
    stored = PatronRating.objects.get(conversation=chat)
    assert (stored.score, stored.comment, stored.created_at) == (
        4,
        "Very helpful, thanks!",
        NOW,
    )
    assert rating == stored


def waiting_chat(setup):
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    return start(library)


def test_a_chat_nobody_picked_up_can_be_rated_too(setup):
    chat = waiting_chat(setup)
    services.conversation_end(conversation_id=chat.pk)
    chat.refresh_from_db()
    assert chat.status == Conversation.Status.MISSED
    services.rating_submit(conversation=chat, score=1, comment="Nobody came.")
    assert chat.rating.score == 1


@pytest.mark.parametrize("score", [0, 6, -1, "x", "3", 3.0, 2.5, True, None, [4]])
def test_a_score_other_than_a_whole_number_from_1_to_5_is_refused(setup, score):
    chat = ended_chat(setup)
    error = refusal(conversation=chat, score=score)
    assert error.message == "Choose a score from 1 to 5 (a whole number)."
    assert (error.code, error.status) == ("invalid_score", 400)
    assert not PatronRating.objects.exists()


def test_a_comment_over_1000_characters_is_refused_not_cut(setup):
    chat = ended_chat(setup)
    error = refusal(conversation=chat, score=5, comment="é" * 1001)
    assert error.message == (
        "The comment is 1,001 characters long; the limit is 1,000."
    )
    assert (error.code, error.status) == ("comment_too_long", 400)
    # 1,000 characters (spaces around it do not count) are fine.
    services.rating_submit(conversation=chat, score=5, comment=" " + "é" * 1000 + " ")
    assert len(chat.rating.comment) == 1000


def test_a_comment_that_is_not_text_is_refused(setup):
    error = refusal(conversation=ended_chat(setup), score=3, comment={"a": 1})
    assert (error.message, error.code) == (
        "The comment must be text.",
        "invalid_comment",
    )


def test_an_open_chat_cannot_be_rated(setup):
    waiting = waiting_chat(setup)
    for chat in (waiting, accepted_chat(setup)):
        error = refusal(conversation=chat, score=5)
        assert error.message == "This chat has not ended yet: rate it once it is over."
        assert (error.code, error.status) == ("not_ended", 409)
    assert not PatronRating.objects.exists()


def test_an_email_ticket_cannot_be_rated(setup):
    ticket = services.offline_question_create(
        library=setup[0], question="Opening hours?", email="pat@example.net"
    )
    error = refusal(conversation=ticket, score=5)
    assert (error.message, error.code, error.status) == (
        "Only a live chat can be rated.",
        "not_ratable",
        409,
    )


def test_a_second_rating_is_refused_and_the_first_stays(setup):
    chat = ended_chat(setup)
    services.rating_submit(conversation=chat, score=2, comment="Slow")
    error = refusal(conversation=chat, score=5, comment="Actually great")
    assert error.message == (
        "This chat has already been rated; a rating cannot be changed."
    )
    assert (error.code, error.status) == ("already_rated", 409)
    stored = PatronRating.objects.get()
    assert (stored.score, stored.comment) == (2, "Slow")


def test_the_patrons_state_says_whether_the_chat_was_rated(setup):
    chat = accepted_chat(setup)
    assert selectors.patron_state(chat)["rated"] is False
    services.conversation_end(conversation_id=chat.pk)
    chat.refresh_from_db()
    assert selectors.patron_state(chat)["rated"] is False
    services.rating_submit(conversation=chat, score=5)
    assert selectors.patron_state(chat)["rated"] is True


# --- The endpoint -----------------------------------------------------------------------


def rate(client, token, data, **kwargs):
    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return client.post(
        f"/chat/c/{token}/rating", body, content_type="application/json", **kwargs
    )


def test_the_patron_rates_an_ended_chat_and_the_state_says_so(client, setup):
    chat = ended_chat(setup)
    response = rate(client, chat.patron_token, {"score": 5, "comment": " Great "})
    assert response.status_code == 201
    data = response.json()
    assert data["rating"] == {"score": 5, "comment": "Great"}
    assert data["state"]["rated"] is True
    assert client.get(f"/chat/c/{chat.patron_token}/state").json()["rated"] is True


def test_rating_twice_is_409_and_never_changes_the_rating(client, setup):
    chat = ended_chat(setup)
    assert rate(client, chat.patron_token, {"score": 3}).status_code == 201
    response = rate(client, chat.patron_token, {"score": 1, "comment": "Changed"})
    assert response.status_code == 409
    assert response.json()["code"] == "already_rated"
    assert response.json()["error"] == (
        "This chat has already been rated; a rating cannot be changed."
    )
    stored = PatronRating.objects.get()
    assert (stored.score, stored.comment) == (3, "")


def test_an_unknown_token_or_another_channels_token_is_404(client, setup):
    ticket = services.offline_question_create(
        library=setup[0], question="Opening hours?", email="pat@example.net"
    )
    for token in ("no-such-token", ticket.patron_token, "x" * 500):
        response = rate(client, token, {"score": 5})
        assert response.status_code == 404
        assert response.json()["error"] == "This chat does not exist or has expired."
    assert not PatronRating.objects.exists()


@pytest.mark.parametrize(
    "score, message",
    [
        (0, "Choose a score from 1 to 5 (a whole number)."),
        (6, "Choose a score from 1 to 5 (a whole number)."),
        ("x", "Choose a score from 1 to 5 (a whole number)."),
    ],
)
def test_bad_scores_are_400_with_the_field(client, setup, score, message):
    chat = ended_chat(setup)
    response = rate(client, chat.patron_token, {"score": score})
    assert response.status_code == 400
    assert response.json() == {
        "error": message,
        "code": "invalid_score",
        "fields": {"score": [message]},
    }
    assert not PatronRating.objects.exists()


def test_a_missing_score_is_400(client, setup):
    chat = ended_chat(setup)
    response = rate(client, chat.patron_token, {"comment": "Nice"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_score"


def test_a_huge_comment_is_400_and_nothing_is_stored(client, setup):
    chat = ended_chat(setup)
    response = rate(client, chat.patron_token, {"score": 4, "comment": "a" * 100_000})
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "comment_too_long"
    assert data["fields"] == {
        "comment": ["The comment is 100,000 characters long; the limit is 1,000."]
    }
    assert not PatronRating.objects.exists()


@pytest.mark.parametrize(
    "body, message",
    [
        ("{not json", "The request body is not valid JSON."),
        ("[5]", "The request body must be a JSON object."),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(client, setup, body, message):
    chat = ended_chat(setup)
    response = rate(client, chat.patron_token, body)
    assert response.status_code == 400
    assert response.json()["error"] == message
    assert not PatronRating.objects.exists()


def test_a_form_post_is_400(client, setup):
    chat = ended_chat(setup)
    response = client.post(f"/chat/c/{chat.patron_token}/rating", {"score": "5"})
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


def test_a_still_active_chat_is_409(client, setup):
    chat = accepted_chat(setup)
    response = rate(client, chat.patron_token, {"score": 5})
    assert response.status_code == 409
    assert response.json()["code"] == "not_ended"
    assert not PatronRating.objects.exists()


def test_another_sites_page_cannot_rate(client, setup):
    chat = ended_chat(setup)
    response = rate(
        client, chat.patron_token, {"score": 1}, HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    assert not PatronRating.objects.exists()
    # The library's own site (and this one) may.
    response = rate(
        client, chat.patron_token, {"score": 4}, HTTP_ORIGIN="http://testserver"
    )
    assert response.status_code == 201


def test_only_post_is_allowed(client, setup):
    chat = ended_chat(setup)
    assert client.get(f"/chat/c/{chat.patron_token}/rating").status_code == 405


# --- What staff read ----------------------------------------------------------------------


@pytest.fixture
def rated(setup):
    """An ended chat of `home` rated with a comment naming the patron."""
    chat = ended_chat(setup, patron_name="Maria Lopez", patron_email="m@example.net")
    services.rating_submit(
        conversation=chat,
        score=4,
        comment="<b>Thanks</b>, write to m@example.net",
        now=NOW,
    )
    return chat


def test_the_api_carries_the_rating_or_null(setup, rated):
    helpdesk = HelpdeskFactory(library=None)
    unrated = ended_chat(setup)
    client = client_for(helpdesk)
    rows = {
        row["id"]: row for row in client.get("/api/v1/conversations/").json()["results"]
    }
    assert rows[rated.pk]["rating"] == {
        "score": 4,
        "comment": "<b>Thanks</b>, write to m@example.net",
        "created_at": "2026-03-02T10:00:00-05:00",
    }
    assert rows[unrated.pk]["rating"] is None
    detail = client.get(f"/api/v1/conversations/{rated.pk}/").json()
    assert detail["rating"]["score"] == 4
    transcript = client.get(f"/api/v1/conversations/{rated.pk}/transcript/").json()
    assert transcript["rating"]["comment"] == "<b>Thanks</b>, write to m@example.net"
    unrated_transcript = client.get(f"/api/v1/conversations/{unrated.pk}/transcript/")
    assert unrated_transcript.json()["rating"] is None


def test_the_api_list_reads_ratings_with_the_conversations(setup, rated):
    client = client_for(HelpdeskFactory(library=None))
    client.get("/api/v1/conversations/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/conversations/")
    for _ in range(5):
        services.rating_submit(conversation=ended_chat(setup), score=3)
    with CaptureQueriesContext(connection) as many:
        data = client.get("/api/v1/conversations/").json()
    assert sum(1 for row in data["results"] if row["rating"]) == 6
    assert len(many) == len(few)


def test_the_rating_comment_is_redacted_without_personal_data(setup, rated):
    """The answering library's coordinator reviews the chat without the
    patron's personal data: the comment's address is redacted too."""
    away = setup[4].library
    Conversation.objects.filter(pk=rated.pk).update(librarian=setup[4])
    coordinator = CoordinatorFactory(library=away)
    client = client_for(coordinator)
    row = client.get(f"/api/v1/conversations/{rated.pk}/").json()
    assert row["personal_data"] is False
    assert "m@example.net" not in row["rating"]["comment"]
    assert row["rating"]["score"] == 4
    transcript = client.get(f"/api/v1/conversations/{rated.pk}/transcript/").json()
    assert "m@example.net" not in transcript["rating"]["comment"]


def test_the_admin_shows_the_rating_inert(client, setup, rated):
    client.force_login(HelpdeskFactory(library=None))
    page = client.get(f"/admin/chat/conversation/{rated.pk}/change/").content.decode()
    assert "Patron rating" in page
    assert "★★★★☆" in page and "4 of 5" in page
    assert "&lt;b&gt;Thanks&lt;/b&gt;, write to m@example.net" in page
    assert "<b>Thanks</b>" not in page
    listing = client.get("/admin/chat/conversation/").content.decode()
    assert "4 of 5" in listing


def test_the_admin_says_when_a_chat_was_not_rated(client, setup):
    chat = ended_chat(setup)
    client.force_login(HelpdeskFactory(library=None))
    page = client.get(f"/admin/chat/conversation/{chat.pk}/change/").content.decode()
    assert "Not rated" in page


def test_the_admin_redacts_the_comment_for_the_answering_coordinator(
    client, setup, rated
):
    Conversation.objects.filter(pk=rated.pk).update(librarian=setup[4])
    coordinator = CoordinatorFactory(library=setup[4].library)
    assert coordinator.role == Staff.Role.COORDINATOR
    client.force_login(coordinator)
    page = client.get(f"/admin/chat/conversation/{rated.pk}/change/").content.decode()
    assert "4 of 5" in page
    assert "m@example.net" not in page


def test_another_librarys_coordinator_does_not_see_the_rating(client, rated):
    client.force_login(CoordinatorFactory(library=LibraryFactory(code="other")))
    response = client.get(f"/admin/chat/conversation/{rated.pk}/change/")
    assert response.status_code in (302, 404)
    api = client_for(CoordinatorFactory(library=LibraryFactory(code="other2")))
    assert api.get(f"/api/v1/conversations/{rated.pk}/").status_code == 404
