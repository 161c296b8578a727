"""Reads of conversations with their visibility rules, and the payloads the
widget and the desk read."""

from __future__ import annotations

import json
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from chat.events import iso, message_payload, waiting_gone
from chat.models import ChatTimer, Conversation, Message, PatronRating
from consortium import selectors as consortium_selectors
from consortium.models import ConsortiumSettings, Library, Queue, Staff


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
        # `conversation.messages` hands each message `conversation` itself.
        conversation.messages.filter(seq__gt=seq)
        .select_related("author__library")
        .prefetch_related("attachments")
        .order_by("seq")
    )
    if not include_notes:
        messages = messages.exclude(sender=Message.Sender.NOTE)
    if conversation.channel == Conversation.Channel.SMS:
        messages = messages.select_related("sms")
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


def waiting_positions(at: datetime) -> dict[int, int]:
    """`patron_position` of every waiting chat, in two queries whatever their
    number: for the waiting patrons of a process, who are all told at once
    that positions moved. Chats competing for the same librarians (the same
    transfer queue; or the same local queue, plus, once at the co-op,
    the chats of every library sharing a co-op queue) are sorted once in
    pickup order (`pickup_key`), and a chat's position is its place there."""
    rows = list(
        Conversation.objects.waiting().values(
            "pk",
            "queue_id",
            "library_id",
            "resident",
            "requested_at",
            "coop_at",
            "transfer_to_id",
            "transfer_queue_id",
        )
    )
    if not rows:
        return {}
    coops: dict[int, set[int]] = {}
    for library_id, queue_id in Library.coops.through.objects.values_list(
        "library_id", "queue_id"
    ):
        coops.setdefault(library_id, set()).add(queue_id)
    no_coops: set[int] = set()

    def at_coop(row) -> bool:
        return row["coop_at"] is not None and row["coop_at"] <= at

    def competing(key) -> list[dict]:
        kind, value, shared = key
        if kind == "transfer":
            return [r for r in rows if r["transfer_queue_id"] == value]
        return [
            r
            for r in rows
            if r["queue_id"] == value
            or (
                shared
                and at_coop(r)
                and not shared.isdisjoint(coops.get(r["library_id"], no_coops))
            )
        ]

    order = {}  # competing set -> {chat: position}
    positions = {}
    for row in rows:
        if row["transfer_to_id"]:
            positions[row["pk"]] = 1
            continue
        if row["transfer_queue_id"]:
            key = ("transfer", row["transfer_queue_id"], None)
        else:
            shared = frozenset(coops.get(row["library_id"], no_coops))
            key = ("queue", row["queue_id"], shared if at_coop(row) else None)
        if key not in order:
            ranked = sorted(
                competing(key),
                key=lambda r: (not r["resident"], r["requested_at"], r["pk"]),
            )
            order[key] = {r["pk"]: place for place, r in enumerate(ranked, 1)}
        positions[row["pk"]] = order[key][row["pk"]]
    return positions


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
        # Whether the patron rated it (`chat.services.ratings`): one more
        # read, only once it has ended.
        "rated": ended
        and PatronRating.objects.filter(conversation_id=conversation.pk).exists(),
        "library": {
            "code": conversation.library.code,
            "name": conversation.library.name,
        },
    }


# What `patron_state` (and `patron_position`) read of a chat, its library
# and its librarian: a patron's state is read on every connect and change,
# and these are a fifth of the three rows' columns.
PATRON_STATE_FIELDS = (
    "status",
    "library__code",
    "library__name",
    "queue",
    "transfer_to",
    "transfer_queue",
    "coop_at",
    "requested_at",
    "waiting_since",
    "resident",
    "last_seq",
    "transcript_token",
    "librarian__display_name",
    "librarian__first_name",
    "librarian__username",
    "librarian__library__name",
)


def patron_state_read(
    conversation_id: int, at: datetime | None = None
) -> tuple[Conversation, dict]:
    """The chat (only the columns of `PATRON_STATE_FIELDS`) and its
    `patron_state`, in one read, two while it waits (its position)."""
    conversation = (
        Conversation.objects.select_related("library", "librarian__library")
        .only(*PATRON_STATE_FIELDS)
        .get(pk=conversation_id)
    )
    return conversation, patron_state(conversation, at)


WAITING_LIST_LENGTH = 100


class WaitingBoard:
    """What the desks' waiting lists are made of, read once for many desks:
    who monitors which queues, and the waiting chats offered on each set of
    queues monitored. A desk's list (`waiting_payload`) is then filtered from
    it in memory, the same as `acceptable_by` reads it from the database."""

    def __init__(self, at: datetime, staff: Staff | None = None):
        self.at = at
        self.config = ConsortiumSettings.load()
        monitors = consortium_selectors.fresh_monitors(at).order_by("queue_id")
        if staff is not None:
            monitors = monitors.filter(staff=staff)
        queues_of: dict[int, list[int]] = {}
        for staff_id, queue_id in monitors.values_list("staff_id", "queue_id"):
            queues_of.setdefault(staff_id, []).append(queue_id)
        self.queues_of = {pk: tuple(ids) for pk, ids in queues_of.items()}
        rows = Conversation.objects.waiting().select_related(
            "library", "queue", "transferred_from__library"
        )
        self.offered: dict[tuple, list[Conversation]] = {}
        self.transferred: dict[tuple, list[Conversation]] = {}
        for queue_ids in set(self.queues_of.values()):
            offered = rows.filter(
                pk__in=Conversation.objects.filter(_offered_to(queue_ids, at))
                .order_by()
                .values("pk")
            )
            # Chats nobody transferred are offered alike to every librarian
            # on these queues: the first 100 are all any of them can see.
            self.offered[queue_ids] = list(
                offered.filter(transferred_from__isnull=True).pickup_order()[
                    :WAITING_LIST_LENGTH
                ]
            )
            self.transferred[queue_ids] = list(
                offered.filter(transferred_from__isnull=False)
            )
        named = rows.filter(transfer_to__isnull=False)
        if staff is not None:
            named = named.filter(transfer_to=staff)
        self.named = list(named)
        listed = [*self.named]
        for rows_of in (self.offered, self.transferred):
            for chats in rows_of.values():
                listed += chats
        self.sms_due = sms_due_times(
            {c.pk for c in listed if c.channel == Conversation.Channel.SMS}
        )
        self._rows: dict[int, dict] = {}

    def chats_for(self, staff: Staff) -> list[Conversation]:
        """`acceptable_by(staff, at)[:100]`, from memory."""
        if not staff.is_active or staff.role not in Staff.CHAT_ROLES:
            return []
        queue_ids = self.queues_of.get(staff.pk, ())
        chats = list(self.offered.get(queue_ids, ())) if queue_ids else []
        chats += [
            c
            for c in self.transferred.get(queue_ids, ())
            if c.transferred_from_id != staff.pk
        ]
        chats += [
            c
            for c in self.named
            if c.transfer_to_id == staff.pk and c.transferred_from_id != staff.pk
        ]
        chats.sort(key=lambda c: (not c.resident, c.requested_at, c.pk))
        return chats[:WAITING_LIST_LENGTH]

    def row(self, c: Conversation) -> dict:
        """A chat's entry in the waiting list, less `for_me`."""
        if c.pk not in self._rows:
            self._rows[c.pk] = waiting_row(
                c, self.at, self.config, self.sms_due.get(c.pk)
            )
        return self._rows[c.pk]


def waiting_row(
    c: Conversation,
    at: datetime,
    config: ConsortiumSettings,
    reply_due: datetime | None = None,
) -> dict:
    """A chat's entry in a desk's waiting list, less `for_me`. `reply_due`:
    an SMS conversation's `sms_due_times` (read by the caller: rows are
    built on the event loop, where nothing may query)."""
    waited = (at - c.waiting_since).total_seconds()
    return {
        "id": c.pk,
        "library": {"code": c.library.code, "name": c.library.name},
        "queue": c.queue.code,
        "channel": c.channel,
        "reply_due_at": iso(reply_due) if reply_due else None,
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
    }


def sms_due_times(conversation_ids) -> dict[int, datetime]:
    """When the answers of these SMS conversations' unanswered texts are due
    (their overdue timers, `timers.schedule_sms_deadline`; a fired one stays
    as the time it became overdue), in one read."""
    if not conversation_ids:
        return {}
    return dict(
        ChatTimer.objects.filter(
            conversation_id__in=conversation_ids, kind=ChatTimer.Kind.SMS_OVERDUE
        ).values_list("conversation_id", "due_at")
    )


def sms_reply_due(c: Conversation) -> str | None:
    """`sms_due_times` of one conversation, as payloads carry it; no read for
    a live chat."""
    if c.channel != Conversation.Channel.SMS:
        return None
    return iso(sms_due_times([c.pk]).get(c.pk))


def pickup_key(c: Conversation) -> list:
    """Sorts waiting chats as `Conversation.objects.pickup_order()` does:
    residents first, then the longest waiting."""
    return [0 if c.resident else 1, c.requested_at.timestamp(), c.pk]


def waiting_event(
    conversation_id: int,
    at: datetime | None = None,
    *,
    stored: Conversation | None = None,
) -> dict:
    """What every desk is told when one chat's place on the waiting lists
    may have changed, read once after commit: `desk.waiting_offer` with its
    row, pre-encoded, and the librarians who may pick it up (`acceptable_by`
    for each of them lists it); or `desk.waiting_gone`. `seq` orders the
    events of one chat: the patron's question, every pickup and transfer
    append a message. `stored`: the chat as its transaction stored it (see
    `events.publish_waiting`), not read again."""
    at = at or timezone.now()
    c = stored or (
        Conversation.objects.waiting()
        .select_related("library", "queue", "transferred_from__library")
        .filter(pk=conversation_id)
        .first()
    )
    if c is None:
        seq = (
            Conversation.objects.filter(pk=conversation_id)
            .values_list("last_seq", flat=True)
            .first()
        )
        return waiting_gone(conversation_id, seq or 0)
    due = sms_due_times([c.pk]) if c.channel == Conversation.Channel.SMS else {}
    row = waiting_row(c, at, ConsortiumSettings.load(), due.get(c.pk))
    return {
        "type": "desk.waiting_offer",
        "conversation": c.pk,
        "seq": c.last_seq,
        "staff": librarians_who_could_take(c, at),
        "key": pickup_key(c),
        "transfer_to": c.transfer_to_id,
        "frame": json.dumps({"type": "waiting_add", "chat": {**row, "for_me": False}}),
        "frame_for_me": json.dumps(
            {"type": "waiting_add", "chat": {**row, "for_me": True}}
        )
        if c.transfer_to_id
        else None,
    }


def waiting_board(at: datetime | None = None) -> WaitingBoard:
    """The waiting lists of every librarian online, for `waiting_payload`."""
    return WaitingBoard(at or timezone.now())


def waiting_payload(
    staff: Staff, at: datetime | None = None, *, board: WaitingBoard | None = None
) -> list[dict]:
    """The chats `staff` may pick up, in pickup order (at most 100). Pass a
    `waiting_board` to serve many librarians from one read."""
    board = board or WaitingBoard(at or timezone.now(), staff)
    return [
        {**board.row(c), "for_me": c.transfer_to_id == staff.pk}
        for c in board.chats_for(staff)
    ]


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
            "channel": c.channel,
            "reply_due_at": sms_reply_due(c),
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
        .order_by("staff__username", "queue__code")
        .values_list(
            "staff_id",
            "staff__display_name",
            "staff__first_name",
            "staff__username",
            "staff__library__name",
            "queue__code",
        )
    )
    people: dict[int, dict] = {}
    for staff_id, display, first, username, library, queue in monitors:
        # Read as values, not models: four models per monitor cost more
        # than the read.
        if staff_id not in people:
            people[staff_id] = {
                "id": staff_id,
                "name": Staff.compose_chat_name(display, first, username, library),
                "library": library or "Help desk",
                "queues": [],
                "chats": 0,
            }
        people[staff_id]["queues"].append(queue)
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


def transfer_targets(staff: Staff, now: datetime) -> dict:
    """Online librarians other than `staff`, and open queues someone monitors."""
    online = consortium_selectors.fresh_monitors(now).exclude(staff=staff)
    librarians = {}
    for m in online.select_related("staff__library"):
        librarians.setdefault(m.staff_id, {"id": m.staff_id, "name": m.staff.chat_name})
    queues = (
        Queue.objects.filter(pk__in=online.values("queue_id"), active=True)
        .select_related("library")
        .order_by("code")
    )
    # Each is monitored by someone: online is open, read for all at once.
    open_now = consortium_selectors.queues_online(queues, now)
    return {
        "librarians": list(librarians.values()),
        "queues": [
            {"id": q.pk, "code": q.code, "name": q.name}
            for q in queues
            if q.pk in open_now
        ],
    }


def detail_payload(
    conversation: Conversation, staff: Staff, *, with_transfer_targets: bool = True
) -> dict:
    """Everything the desk shows of one chat, with the side pane (SPEC L4).
    The socket's frames leave out the transfer targets (who is online, which
    queues are open: dozens of rows in a co-op, stale in a minute); the desk
    reads them over HTTP when the transfer form opens."""
    library = conversation.library
    now = timezone.now()
    prior = []
    if conversation.patron_phone:
        # The number's earlier texts to this library (index conversation_sms_thread).
        prior = [
            {
                "id": c.pk,
                "requested_at": iso(c.requested_at),
                "question": c.question[:200],
            }
            for c in Conversation.objects.filter(
                library_id=conversation.library_id,
                patron_phone=conversation.patron_phone,
            )
            .exclude(pk=conversation.pk)
            .order_by("-requested_at")[:10]
        ]
    elif conversation.patron_email:
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
    site = settings.SITE_URL.rstrip("/")
    payload = {
        "id": conversation.pk,
        "status": conversation.status,
        "channel": conversation.channel,
        "reply_due_at": sms_reply_due(conversation),
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
            "phone": conversation.patron_phone,
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
        "non_resident": not conversation.resident,
        "is_coop": staff.library_id != library.pk,
    }
    if with_transfer_targets:
        payload["transfer_targets"] = transfer_targets(staff, now)
    return payload
