"""The patron's rating of a chat that ended ("How did we do?", issue 19):
a score of 1 to 5 and an optional comment, once per conversation. The widget
asks for it; staff read it on the transcript, in the admin and the API."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from chat.models import Conversation, PatronRating
from chat.services.conversations import _locked
from consortium.services import DomainError

MAX_RATING_COMMENT_CHARS = 1000
RATED_STATUSES = (Conversation.Status.ENDED, Conversation.Status.MISSED)


class RatingRefused(DomainError):
    """A rating that cannot be stored. `status` is the HTTP answer: 409 when
    the chat cannot be rated (yet, or any more), 400 for a bad value."""

    def __init__(self, message: str, code: str, status: int):
        super().__init__(message, code)
        self.status = status


def clean_score(score: object) -> int:
    # JSON gives numbers as int; true/false are ints to Python and are not scores.
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise RatingRefused(
            "Choose a score from 1 to 5 (a whole number).", "invalid_score", 400
        )
    return score


def clean_comment(comment: object) -> str:
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise RatingRefused("The comment must be text.", "invalid_comment", 400)
    comment = comment.strip()
    if len(comment) > MAX_RATING_COMMENT_CHARS:
        raise RatingRefused(
            f"The comment is {len(comment):,} characters long; the limit is "
            f"{MAX_RATING_COMMENT_CHARS:,}.",
            "comment_too_long",
            400,
        )
    return comment


@transaction.atomic
def rating_submit(
    *,
    conversation: Conversation,
    score: object,
    comment: object = "",
    now: datetime | None = None,
) -> PatronRating:
    """Store the patron's rating of `conversation`: a live chat that has
    ended (answered or missed), not yet rated. `score` must be a whole
    number 1-5; `comment` is stripped and at most 1,000 characters. A second
    rating is refused and never changes the first.

    Validates the values before it reads anything; locks the conversation's
    row so that two submissions at once store one. No side effects (the
    patron's page reads `rated` in its state; the reports read the table)."""
    score = clean_score(score)
    comment = clean_comment(comment)
    locked = _locked(conversation.pk)
    if locked.channel != Conversation.Channel.CHAT:
        raise RatingRefused("Only a live chat can be rated.", "not_ratable", 409)
    if locked.status not in RATED_STATUSES:
        raise RatingRefused(
            "This chat has not ended yet: rate it once it is over.", "not_ended", 409
        )
    if PatronRating.objects.filter(conversation_id=locked.pk).exists():
        raise RatingRefused(
            "This chat has already been rated; a rating cannot be changed.",
            "already_rated",
            409,
        )
    return PatronRating.objects.create(
        conversation=locked,
        score=score,
        comment=comment,
        created_at=now or timezone.now(),
    )
