"""Reads of conversations with their visibility rules, and the payloads the
widget and the desk read."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from chat.events import iso, message_payload
from chat.models import Conversation, Message
from consortium import selectors as consortium_selectors
from consortium.models import ConsortiumSettings, Queue, Staff


def live_monitored_queue_ids(staff: Staff, at: datetime) -> list[int]:
    return list(
        consortium_selectors.fresh_monitors(at)
        .filter(staff=staff)
        .values_list("queue_id", flat=True)
    )


def _offered_to(queue_ids, at: datetime, staff_id: int | None = None) -> Q:
    """Waiting chats offered on `queue_ids` at `at`: transferred to a queue in
    them, or untransferred on their local queue, or on a co-op queue of
    theirs once the co-op instant has passed; and chats transferred to
    `staff_id` by name."""
    untransferred = Q(transfer_to__isnull=True, transfer_queue__isnull=True)
    q = Q(transfer_to__isnull=True, transfer_queue_id__in=queue_ids) | (
        untransferred
        & (Q(queue_id__in=queue_ids) | Q(coop_at__lte=at, library__coops__in=queue_ids))
    )
    if staff_id is not None:
        q |= Q(transfer_to_id=staff_id)
    return q


def acceptable_by(staff: Staff, at: datetime) -> QuerySet[Conversation]:
    """Waiting chats `staff` may pick up at `at`, in pickup order (residents
    first, then longest waiting). A librarian who transferred a chat away
    cannot take it back from the list."""
    if not staff.is_active or staff.role not in Staff.CHAT_ROLES:
        return Conversation.objects.none()
    queue_ids = live_monitored_queue_ids(staff, at)
    ids = (
        Conversation.objects.waiting()
        .filter(_offered_to(queue_ids, at, staff.pk))
        .exclude(transferred_from=staff)
        .values("pk")
    )
    return Conversation.objects.filter(pk__in=ids).pickup_order()


def librarians_who_could_take(
    conversation: Conversation, at: datetime, *, include_busy: bool = True
) -> list[int]:
    """Ids of online librarians to whom a waiting chat is offered now."""
    if conversation.transfer_to_id:
        return [conversation.transfer_to_id]
    if conversation.transfer_queue_id:
        queue_ids = [conversation.transfer_queue_id]
    else:
        queue_ids = [conversation.queue_id]
        if conversation.coop_at and conversation.coop_at <= at:
            queue_ids += list(
                conversation.library.coops.active().values_list("pk", flat=True)
            )
    staff = (
        consortium_selectors.fresh_monitors(at)
        .filter(queue_id__in=queue_ids, staff__role__in=Staff.CHAT_ROLES)
        .exclude(staff_id=conversation.transferred_from_id)
        .values_list("staff_id", flat=True)
        .distinct()
    )
    ids = list(staff)
    if not include_busy:
        busy = dict(
            Conversation.objects.active()
            .filter(librarian_id__in=ids)
            .values_list("librarian_id")
            .annotate(n=Count("pk"))
        )
        limits = dict(Staff.objects.filter(pk__in=ids).values_list("pk", "max_chats"))
        ids = [pk for pk in ids if busy.get(pk, 0) < limits[pk]]
    return ids


def active_chat_count(staff: Staff) -> int:
    return Conversation.objects.active().filter(librarian=staff).count()


def messages_after(
    conversation: Conversation, seq: int, *, include_notes: bool
) -> QuerySet[Message]:
    """Messages with a sequence number above `seq`: what a reconnecting client
    missed. Patrons never receive internal notes."""
    messages = (
        conversation.messages.filter(seq__gt=seq)
        .select_related("author__library", "attachment", "conversation")
        .order_by("seq")
    )
    if not include_notes:
        messages = messages.exclude(sender=Message.Sender.NOTE)
    return messages


def messages_payload(conversation, after: int, *, for_patron: bool) -> list[dict]:
    return [
        message_payload(m, for_patron=for_patron)
        for m in messages_after(conversation, after, include_notes=not for_patron)
    ]


def patron_position(conversation: Conversation, at: datetime) -> int | None:
    """1 for the next chat to be picked up among those competing for the same
    librarians; None unless waiting."""
    if conversation.status != Conversation.Status.WAITING:
        return None
    if conversation.transfer_to_id:
        return 1
    if conversation.transfer_queue_id:
        competing = Q(transfer_queue_id=conversation.transfer_queue_id)
    else:
        competing = Q(queue_id=conversation.queue_id)
        if conversation.coop_at and conversation.coop_at <= at:
            coops = list(conversation.library.coops.values_list("pk", flat=True))
            competing |= Q(coop_at__lte=at, library__coops__in=coops)
    earlier = Q(requested_at__lt=conversation.requested_at) | Q(
        requested_at=conversation.requested_at, pk__lt=conversation.pk
    )
    if conversation.resident:
        ahead = Q(resident=True) & earlier
    else:
        ahead = Q(resident=True) | earlier
    ids = (
        Conversation.objects.waiting()
        .filter(competing)
        .filter(ahead)
        .exclude(pk=conversation.pk)
        .values("pk")
    )
    return Conversation.objects.filter(pk__in=ids).count() + 1


def patron_state(conversation: Conversation, at: datetime | None = None) -> dict:
    at = at or timezone.now()
    ended = conversation.status in (
        Conversation.Status.ENDED,
        Conversation.Status.MISSED,
    )
    return {
        "status": conversation.status,
        "position": patron_position(conversation, at),
        "waiting_since": iso(conversation.waiting_since),
        "requested_at": iso(conversation.requested_at),
        "librarian": conversation.librarian.chat_name
        if conversation.librarian_id
        else None,
        "last_seq": conversation.last_seq,
        "transcript_url": reverse(
            "chat-transcript", args=[conversation.transcript_token]
        )
        if ended
        else None,
        "library": {
            "code": conversation.library.code,
            "name": conversation.library.name,
        },
    }


def waiting_payload(staff: Staff, at: datetime | None = None) -> list[dict]:
    at = at or timezone.now()
    config = ConsortiumSettings.load()
    chats = acceptable_by(staff, at).select_related(
        "library", "queue", "transferred_from__library"
    )[:100]
    rows = []
    for c in chats:
        waited = (at - c.waiting_since).total_seconds()
        rows.append(
            {
                "id": c.pk,
                "library": {"code": c.library.code, "name": c.library.name},
                "queue": c.queue.code,
                "question": c.question[:300],
                "patron_name": c.patron_name,
                "patron_status": c.get_patron_status_display(),
                "resident": c.resident,
                "requested_at": iso(c.requested_at),
                "waiting_since": iso(c.waiting_since),
                "at_risk": waited >= config.pickup_seconds,
                "highlight": waited >= config.waiting_highlight_seconds,
                "transfer": {
                    "from": c.transferred_from.chat_name,
                    "note": c.transfer_note,
                }
                if c.transferred_from_id
                else None,
                "for_me": c.transfer_to_id == staff.pk,
            }
        )
    return rows


def my_chats(staff: Staff) -> QuerySet[Conversation]:
    """Active chats of `staff`, and ended ones still waiting for a wrap-up."""
    return (
        Conversation.objects.filter(librarian=staff)
        .filter(
            Q(status=Conversation.Status.ACTIVE)
            | Q(status=Conversation.Status.ENDED, wrapped_up_at__isnull=True)
        )
        .select_related("library")
        .order_by("accepted_at")
    )


def mine_payload(staff: Staff) -> list[dict]:
    return [
        {
            "id": c.pk,
            "status": c.status,
            "library": {"code": c.library.code, "name": c.library.name},
            "question": c.question[:300],
            "patron_name": c.patron_name,
            "last_seq": c.last_seq,
            "wrapped_up": c.wrapped_up_at is not None,
        }
        for c in my_chats(staff)
    ]


def on_duty(at: datetime | None = None) -> list[dict]:
    """Librarians online now, their queues and open chat counts (SPEC L12)."""
    at = at or timezone.now()
    monitors = (
        consortium_selectors.fresh_monitors(at)
        .select_related("staff__library", "queue")
        .order_by("staff__username", "queue__code")
    )
    people: dict[int, dict] = {}
    for m in monitors:
        row = people.setdefault(
            m.staff_id,
            {
                "id": m.staff_id,
                "name": m.staff.chat_name,
                "library": m.staff.library.name if m.staff.library_id else "Help desk",
                "queues": [],
                "chats": 0,
            },
        )
        row["queues"].append(m.queue.code)
    counts = (
        Conversation.objects.active()
        .filter(librarian_id__in=people)
        .values_list("librarian_id")
        .annotate(n=Count("pk"))
    )
    for staff_id, n in counts:
        people[staff_id]["chats"] = n
    return list(people.values())


def can_view(staff: Staff, conversation: Conversation) -> bool:
    """Staff who may open a chat in the desk: its librarian, the help desk,
    the librarian it is transferred to, and librarians it is offered to."""
    if not staff.is_active or staff.role not in Staff.CHAT_ROLES:
        return False
    if staff.is_helpdesk or conversation.librarian_id == staff.pk:
        return True
    if conversation.status == Conversation.Status.WAITING:
        return acceptable_by(staff, timezone.now()).filter(pk=conversation.pk).exists()
    return False


def detail_payload(conversation: Conversation, staff: Staff) -> dict:
    """Everything the desk shows of one chat, with the side pane (SPEC L4)."""
    library = conversation.library
    now = timezone.now()
    prior = []
    if conversation.patron_email:
        prior = [
            {
                "id": c.pk,
                "requested_at": iso(c.requested_at),
                "question": c.question[:200],
            }
            for c in Conversation.objects.filter(
                patron_email__iexact=conversation.patron_email
            )
            .exclude(pk=conversation.pk)
            .order_by("-requested_at")[:10]
        ]
    online = consortium_selectors.fresh_monitors(now).exclude(staff=staff)
    librarians = {}
    for m in online.select_related("staff__library"):
        librarians.setdefault(m.staff_id, {"id": m.staff_id, "name": m.staff.chat_name})
    queue_ids = set(online.values_list("queue_id", flat=True))
    queues = [
        {"id": q.pk, "code": q.code, "name": q.name}
        for q in Queue.objects.filter(pk__in=queue_ids, active=True).order_by("code")
        if consortium_selectors.queue_is_open(q, now)
    ]
    site = settings.SITE_URL.rstrip("/")
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "library": {
            "code": library.code,
            "name": library.name,
            "hours_url": site + library.get_absolute_url(),
            "website": library.website,
        },
        "queue": {
            "id": conversation.queue_id,
            "code": conversation.queue.code,
            "name": conversation.queue.name,
        },
        "question": conversation.question,
        "patron": {
            "name": conversation.patron_name,
            "email": conversation.patron_email,
            "status": conversation.patron_status,
            "status_label": conversation.get_patron_status_display(),
            "resident": conversation.resident,
            "referrer_url": conversation.referrer_url,
            "browser": conversation.user_agent,
        },
        "requested_at": iso(conversation.requested_at),
        "accepted_at": iso(conversation.accepted_at),
        "ended_at": iso(conversation.ended_at),
        "librarian": {
            "id": conversation.librarian_id,
            "name": conversation.librarian.chat_name,
        }
        if conversation.librarian_id
        else None,
        "mine": conversation.librarian_id == staff.pk,
        "last_seq": conversation.last_seq,
        "messages": messages_payload(conversation, 0, for_patron=False),
        "wrapped_up": conversation.wrapped_up_at is not None,
        "wrapup": {
            "resolution": conversation.resolution,
            "question_type": conversation.question_type,
            "read_scale": conversation.read_scale,
            "bad_patron": conversation.bad_patron,
        }
        if conversation.wrapped_up_at
        else None,
        "prior": prior,
        "transfer_targets": {"librarians": list(librarians.values()), "queues": queues},
        "non_resident": not conversation.resident,
        "is_coop": staff.library_id != library.pk,
    }
