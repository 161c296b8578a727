"""Who reads which conversations, and with or without the patron's personal
data (SPEC R4, A2). The admin and the REST API both ask `visible_conversations`,
so they cannot drift apart.

- The help desk reads every conversation, personal data included.
- A site coordinator reads the conversations asked from their library and
  those whose email ticket is in their library's inbox, personal data
  included: the patron is theirs to answer.
- A site coordinator also reads, for transcript review, the conversations
  their own librarians answered for other libraries of the cooperative, but
  without the patron's personal data: the patron is another library's.
- Nobody else reads conversations here (librarians and interns use the desk).
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from chat.models import Conversation, Ticket
from consortium import scoping
from consortium.models import Staff

# The conversation fields that identify or locate the patron.
PERSONAL_FIELDS = (
    "patron_name",
    "patron_email",
    "patron_phone",
    "patron_ip",
    "referrer_url",
    "user_agent",
)
# Staff's free text about the conversation, which may quote the patron: shown
# redacted (`redact_text`) without personal data.
FREE_TEXT_FIELDS = ("question", "transfer_note", "bad_patron_reason")

WITHHELD = "[withheld]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Seven or more digits, possibly split by spaces, dots, dashes or brackets:
# phone, card and account numbers.
_NUMBER = re.compile(r"\+?\d(?:[\s().-]*\d){6,}")
# Between the digits of the patron's own number, however they wrote it.
_PHONE_SEPARATORS = r"[\s().\-/_\u2010-\u2015]*"


def visible_conversations(user, queryset: QuerySet | None = None) -> QuerySet:
    """`queryset` (all conversations by default) narrowed to those `user` may
    read, each annotated `personal_data`: whether its patron's personal data
    may be shown to `user`."""
    queryset = Conversation.objects.all() if queryset is None else queryset
    if scoping.is_helpdesk(user):
        return queryset.annotate(personal_data=Value(True, BooleanField()))
    if not scoping.is_coordinator(user):
        return queryset.none()
    library_id = user.library_id
    # The ids of each kind from its own index, in subqueries: an OR over
    # joined tables would read every conversation to find them.
    inbox = Ticket.objects.filter(library_id=library_id).order_by()
    readable = (
        Conversation.objects.filter(library_id=library_id)
        .order_by()
        .values("pk")
        .union(
            inbox.values("conversation_id"),
            Conversation.objects.filter(
                librarian__in=Staff.objects.filter(library_id=library_id)
            )
            .order_by()
            .values("pk"),
        )
    )
    theirs = Q(library_id=library_id) | Q(pk__in=inbox.values("conversation_id"))
    return queryset.filter(pk__in=readable).annotate(
        personal_data=Case(
            When(theirs, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def may_see_personal_data(user, conversation: Conversation) -> bool:
    """For a conversation not read through `visible_conversations`."""
    flag = getattr(conversation, "personal_data", None)
    if flag is not None:
        return bool(flag)
    return (
        visible_conversations(user)
        .filter(pk=conversation.pk, personal_data=True)
        .exists()
    )


@functools.lru_cache(maxsize=256)
def _own_phone(phone: str) -> re.Pattern | None:
    """The patron's number (E.164) in any writing: with or without its
    country code, its digits split by spaces, dots, dashes, slashes or
    brackets (+1 850 555 0123, (850) 555-0123, 850/555/0123)."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    national = str(number.national_number)
    if len(national) < 4:
        return None
    digits = _PHONE_SEPARATORS.join(national)
    country = _PHONE_SEPARATORS.join(str(number.country_code))
    return re.compile(
        rf"(?<!\d)(?:(?:\+|00)?{country}{_PHONE_SEPARATORS})?\(?{digits}(?!\d)"
    )


def redact_text(text: str, conversation: Conversation) -> str:
    """`text` with what identifies the patron replaced: email addresses,
    their own phone number (SMS) however written, other long numbers
    (phones, library cards), and the name they gave."""
    text = _EMAIL.sub("[email]", text)
    own = _own_phone(conversation.patron_phone) if conversation.patron_phone else None
    if own is not None:
        text = own.sub("[phone]", text)
    text = _NUMBER.sub("[number]", text)
    name = (conversation.patron_name or "").strip()
    for part in sorted({name, *name.split()}, key=len, reverse=True):
        if len(part) >= 2:
            text = re.sub(
                rf"(?<!\w){re.escape(part)}(?!\w)",
                "[patron]",
                text,
                flags=re.IGNORECASE,
            )
    return text


def rating_comment(conversation: Conversation, personal_data: bool) -> str:
    """The patron's rating comment (the patron's own text) as a reader
    sees it: redacted like the question when personal data is withheld."""
    comment = conversation.rating.comment
    return comment if personal_data else redact_text(comment, conversation)
