"""Alerts about the schedule (S4-S6) and notices to the people involved.

An alert is a row of `Alert` with a unique (kind, key): the first process to
insert it writes the email (an `AlertEmail`), every other beat, worker or retry
finds the row and does nothing. Emails are sent after commit by
`scheduling.tasks.send_alert_email`, which claims `sent_at` so each leaves once.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from consortium import selectors as core
from consortium.db import is_unique_violation
from consortium.models import ConsortiumSettings, Library, Queue, Staff
from scheduling import selectors
from scheduling.models import Alert, AlertEmail, Shift, ShiftEvent, SubstitutionRequest

Kind = Alert.Kind


# --- Formatting ------------------------------------------------------------------------


def when(start: datetime, end: datetime, zones: list[zoneinfo.ZoneInfo]) -> str:
    """ "Tue Dec 1, 14:00–16:00 EST (13:00–15:00 CST)": the first zone in full,
    other zones' clock times in brackets."""
    first, *others = zones
    s, e = start.astimezone(first), end.astimezone(first)
    text = f"{s:%a %b %-d, %H:%M}–{e:%H:%M %Z}"
    seen = {s.strftime("%Z")}
    extra = []
    for zone in others:
        s2, e2 = start.astimezone(zone), end.astimezone(zone)
        if s2.strftime("%Z") in seen:
            continue
        seen.add(s2.strftime("%Z"))
        extra.append(f"{s2:%H:%M}–{e2:%H:%M %Z}")
    return text + (f" ({', '.join(extra)})" if extra else "")


def queue_zones(queue: Queue) -> list[zoneinfo.ZoneInfo]:
    """The queue's zone first, then the zones of the libraries staffing it."""
    names = [queue.tz_name]
    libraries = (
        queue.member_libraries.filter(active=True)
        if queue.is_coop
        else Library.objects.filter(pk=queue.library_id)
    )
    for name in libraries.values_list("timezone", flat=True).order_by("timezone"):
        if name not in names:
            names.append(name)
    return [zoneinfo.ZoneInfo(n) for n in names]


def _url(name: str, *args) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def _who(staff: Staff | None) -> str:
    if staff is None:
        return "nobody"
    library = f" ({staff.library.name})" if staff.library_id else ""
    return f"{staff.get_full_name() or staff.username}{library}"


# --- Recipients ------------------------------------------------------------------------


def coordinators(library_id: int) -> list[str]:
    return list(
        Staff.objects.filter(
            library_id=library_id, role=Staff.Role.COORDINATOR, is_active=True
        )
        .exclude(email="")
        .values_list("email", flat=True)
    )


def _emails(*staff: Staff | None) -> list[str]:
    return [s.email for s in staff if s is not None and s.email]


# --- Writing alerts --------------------------------------------------------------------


def outbox(to: list[str], subject: str, body: str) -> AlertEmail | None:
    """Store an email and send it after commit."""
    from scheduling import tasks

    to = list(dict.fromkeys(a for a in to if a))
    if not to:
        return None
    config = ConsortiumSettings.load()
    email = AlertEmail.objects.create(
        to="\n".join(to), subject=f"[{config.name}] {subject}"[:300], body=body
    )
    tasks.send_alert_email.delay_on_commit(email.pk)
    return email


def claim(kind: str, key: str, **links) -> Alert | None:
    """Insert the alert (kind, key), or None when another run already did.
    The savepoint keeps the caller's transaction usable after a duplicate."""
    try:
        with transaction.atomic():
            return Alert.objects.create(kind=kind, key=key[:120], **links)
    except IntegrityError as error:
        if is_unique_violation(error, Alert, "alert_once_per_stage"):
            return None
        raise


def unclaimed(wanted: list[tuple]) -> list[tuple]:
    """The (kind, key, …) entries of `wanted` not alerted yet, read in one
    query, so a sweep that finds nothing new writes nothing."""
    if not wanted:
        return []
    known = set(
        Alert.objects.filter(
            kind__in={w[0] for w in wanted}, key__in=[w[1] for w in wanted]
        ).values_list("kind", "key")
    )
    return [w for w in wanted if (w[0], w[1]) not in known]


def _attach(alerts: list[Alert], email: AlertEmail | None) -> None:
    if email is not None:
        Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(email=email)


# --- Give-ups and substitutes (S3, S4) ---------------------------------------------------


def _offer_lines(offer: SubstitutionRequest) -> str:
    shift = offer.shift
    return (
        f"Shift: {shift.queue.name} — {when(shift.starts_at, shift.ends_at, queue_zones(shift.queue))}\n"
        f"Library: {shift.library.name}\n"
        f"Given up by: {_who(offer.offered_by)}\n"
        f"Reason: {offer.reason or '—'}\n\n"
        f"Claim it: {_url('schedule-mine')}#open-shifts\n"
    )


def alert_last_minute(offer: SubstitutionRequest) -> None:
    """S4: a shift given up less than 24 h ahead — listserv and help desk, once."""
    alert = claim(
        Kind.LAST_MINUTE,
        f"offer:{offer.pk}",
        shift=offer.shift,
        queue=offer.shift.queue,
    )
    if alert is None:
        return
    config = ConsortiumSettings.load()
    email = outbox(
        [
            config.listserv_email,
            config.helpdesk_email,
            *coordinators(offer.shift.library_id),
        ],
        f"URGENT: substitute needed within 24 h: {offer.shift.queue.code}",
        "A librarian cannot cover a shift that starts within 24 hours. "
        "Can you take it?\n\n" + _offer_lines(offer),
    )
    _attach([alert], email)


def alert_widened(offer: SubstitutionRequest) -> None:
    """S3: a shift nobody in its library took is offered to everyone — listserv, once."""
    alert = claim(
        Kind.WIDENED, f"offer:{offer.pk}", shift=offer.shift, queue=offer.shift.queue
    )
    if alert is None:
        return
    config = ConsortiumSettings.load()
    email = outbox(
        [config.listserv_email],
        f"Substitute needed: {offer.shift.queue.code}",
        "A shift is looking for a substitute from any member library.\n\n"
        + _offer_lines(offer),
    )
    _attach([alert], email)


def notify_pending(offer: SubstitutionRequest) -> None:
    shift = offer.shift
    outbox(
        coordinators(shift.library_id),
        f"Approve a substitute: {shift.queue.code}",
        f"{_who(offer.claimed_by)} offers to cover this shift. Approve or turn it "
        f"down: {_url('schedule-mine')}#approvals\n\n" + _offer_lines(offer),
    )


def notify_filled(offer: SubstitutionRequest) -> None:
    shift = offer.shift
    zones = queue_zones(shift.queue)
    outbox(
        _emails(offer.offered_by, offer.claimed_by) + coordinators(shift.library_id),
        f"Shift covered: {shift.queue.code}",
        f"{_who(offer.claimed_by)} covers {shift.queue.name}, "
        f"{when(shift.starts_at, shift.ends_at, zones)}, in place of "
        f"{_who(offer.offered_by)}.\n",
    )


def notify_rejected(offer: SubstitutionRequest, claimer: Staff, note: str) -> None:
    shift = offer.shift
    outbox(
        _emails(claimer),
        f"Substitute not approved: {shift.queue.code}",
        f"The coordinator of {shift.library.name} did not approve your offer to cover "
        f"{shift.queue.name}, {when(shift.starts_at, shift.ends_at, queue_zones(shift.queue))}."
        f"\n{note}\n",
    )


# --- Shift-gap alerts (S6) --------------------------------------------------------------


def _gap_lines(gaps, zones_for) -> list[str]:
    return [
        f"- {g.queue.name}: {when(g.starts_at, g.ends_at, zones_for(g.queue))} — "
        f"{g.count} of {g.required} librarians scheduled"
        for g in gaps
    ]


def _shift_lines(shifts, zones_for) -> list[str]:
    lines = []
    for s in shifts:
        offer = next(iter(s.offers.all()), None)
        state = f"given up by {_who(offer.offered_by)}" if offer else "nobody assigned"
        lines.append(
            f"- {s.queue.name} ({s.library.name}): "
            f"{when(s.starts_at, s.ends_at, zones_for(s.queue))} — {state}"
        )
    return lines


RUN_LOOKAHEAD = timedelta(hours=24)


def gaps_urgent(*, now: datetime | None = None) -> int:
    """S6: unfilled shifts and hours below requirement in the next 48 h (the
    consortium setting), each alerted to the listserv once. Returns how many
    new gaps were alerted."""
    now = now or timezone.now()
    config = ConsortiumSettings.load()
    end = now + timedelta(hours=config.urgent_gap_hours)
    shifts = [
        # Given-up shifts have alerts of their own (widened, last minute).
        s
        for s in selectors.unfilled_shifts(now, end)
        if s.assignee_id is None
    ]
    gaps = []
    for queue in selectors.coop_queues():
        # A run of short hours that starts in the window is alerted whole, so
        # the listserv hears of it once, not hour by hour as the window slides.
        runs = selectors.coverage_gaps(
            queue, now, end + RUN_LOOKAHEAD, given_up_count=True
        )
        gaps += [g for g in runs if g.starts_at < end]
    with transaction.atomic():
        wanted = [
            (Kind.URGENT_SHIFT, f"shift:{s.pk}:{s.starts_at:%Y%m%dT%H%MZ}", s)
            for s in shifts
        ] + [
            (Kind.URGENT_HOUR, f"{g.queue.pk}:{cell.starts_at:%Y%m%dT%H%MZ}", g)
            for g in gaps
            for cell in g.hours
        ]
        alerts, fresh = [], []
        for kind, key, thing in unclaimed(wanted):
            links = (
                {"shift": thing, "queue": thing.queue}
                if kind == Kind.URGENT_SHIFT
                else {"queue": thing.queue}
            )
            alert = claim(kind, key, **links)
            if alert:
                alerts.append(alert)
                if thing not in fresh:
                    fresh.append(thing)
        new_shifts = [t for t in fresh if isinstance(t, Shift)]
        new_gaps = [t for t in fresh if not isinstance(t, Shift)]
        if not alerts:
            return 0
        body = [
            f"These gaps in the next {config.urgent_gap_hours} hours still need a "
            "librarian. Claim a shift or tell your coordinator.",
            "",
        ]
        if new_gaps:
            body += ["Hours below the required number of librarians:"]
            body += _gap_lines(new_gaps, queue_zones) + [""]
        if new_shifts:
            body += ["Shifts nobody is covering:"]
            body += _shift_lines(new_shifts, queue_zones) + [""]
        body += [f"Open shifts: {_url('schedule-mine')}#open-shifts"]
        email = outbox(
            [config.listserv_email],
            f"URGENT: {len(new_gaps) + len(new_shifts)} unfilled gap(s) in the next "
            f"{config.urgent_gap_hours} h",
            "\n".join(body),
        )
        _attach(alerts, email)
    return len(new_gaps) + len(new_shifts)


DIGEST_HOUR = 7  # local time at which each library's daily digest goes out


def gaps_digest(*, now: datetime | None = None) -> int:
    """S6: once a day (from 07:00 in the library's zone) each library's
    coordinators get its unfilled shifts and the gaps of its co-op queues in
    the next 14 days (the consortium setting). Keyed by library and local
    date. Returns how many digests were written."""
    now = now or timezone.now()
    config = ConsortiumSettings.load()
    end = now + timedelta(days=config.unfilled_digest_days)
    candidates = []
    for library in Library.objects.active().order_by("code"):
        local = now.astimezone(library.zone)
        if local.hour >= DIGEST_HOUR:
            candidates.append(
                (Kind.DIGEST, f"{library.pk}:{local.date():%Y-%m-%d}", library)
            )
    due = [(library, key) for _, key, library in unclaimed(candidates)]
    if not due:
        return 0
    gaps_by_queue = {}
    written = 0
    for library, key in due:
        with transaction.atomic():
            alert = claim(Kind.DIGEST, key)
            if alert is None:
                continue
            zones_for = lambda q, lib=library: [lib.zone, *queue_zones(q)]  # noqa: E731
            shifts = selectors.unfilled_shifts(now, end, library=library)
            gaps = []
            for queue in library.coops.active().order_by("code"):
                if queue.pk not in gaps_by_queue:
                    gaps_by_queue[queue.pk] = selectors.coverage_gaps(queue, now, end)
                gaps += gaps_by_queue[queue.pk]
            to = coordinators(library.pk)
            if not (shifts or gaps) or not to:
                continue  # the row records that today's digest had nothing to say
            body = [
                f"Unfilled shifts and coverage gaps for {library.name} in the next "
                f"{config.unfilled_digest_days} days (times in {library.timezone}).",
                "",
            ]
            if shifts:
                body += [f"{library.name}'s shifts nobody is covering:"]
                body += _shift_lines(shifts, zones_for) + [""]
            if gaps:
                body += ["Co-op hours below the required number of librarians:"]
                body += _gap_lines(gaps, zones_for) + [""]
            body += [f"Week grids: {_url('schedule-grid-index')}"]
            email = outbox(
                to,
                f"Daily digest: {len(shifts)} unfilled shift(s), {len(gaps)} gap(s)",
                "\n".join(body),
            )
            _attach([alert], email)
            written += 1
    return written


# --- Attendance (S5) -----------------------------------------------------------------------


def attendance_check(*, now: datetime | None = None) -> int:
    """S5: a few minutes (the consortium setting) into a shift, its librarian
    either monitors the shift's queue (present) or is a no-show: the
    coordinator of the librarian's library and the help desk are alerted,
    once. Presence is `consortium.selectors.live_monitors`, which the desk's
    presence socket keeps fresh. Each shift is checked once (conditional
    update on `attendance_checked_at`)."""
    now = now or timezone.now()
    config = ConsortiumSettings.load()
    grace = timedelta(minutes=config.attendance_check_minutes)
    due = Shift.objects.live().filter(
        attendance_checked_at__isnull=True,
        assignee__isnull=False,
        starts_at__lte=now - grace,
        ends_at__gt=now,
    )
    checked = 0
    for shift_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            if not Shift.objects.filter(
                pk=shift_id, attendance_checked_at__isnull=True
            ).update(attendance_checked_at=now):
                continue
            shift = (
                Shift.objects.select_related("queue", "library", "assignee__library")
                .prefetch_related("offers")
                .get(pk=shift_id)
            )
            checked += 1
            given_up = any(
                o.status in (*SubstitutionRequest.OPEN_STATUSES, "expired")
                and o.offered_by_id == shift.assignee_id
                for o in shift.offers.all()
            )
            if given_up:
                continue  # given up and not taken: not a no-show, a gap
            present = (
                core.live_monitors(shift.queue, now)
                .filter(staff_id=shift.assignee_id)
                .exists()
            )
            shift.attendance = (
                Shift.Attendance.PRESENT if present else Shift.Attendance.NO_SHOW
            )
            shift.save(update_fields=["attendance"])
            ShiftEvent.objects.create(
                shift=shift,
                at=now,
                kind=ShiftEvent.Kind.PRESENT if present else ShiftEvent.Kind.NO_SHOW,
            )
            if not present:
                _alert_no_show(shift, config)
    return checked


def _alert_no_show(shift: Shift, config) -> None:
    alert = claim(Kind.NO_SHOW, f"shift:{shift.pk}", shift=shift, queue=shift.queue)
    if alert is None:
        return
    librarian = shift.assignee
    zones = (
        [librarian.library.zone, *queue_zones(shift.queue)]
        if librarian.library_id
        else queue_zones(shift.queue)
    )
    email = outbox(
        [*coordinators(librarian.library_id), config.helpdesk_email],
        f"No-show: {_who(librarian)} on {shift.queue.code}",
        f"{_who(librarian)} is scheduled on {shift.queue.name}, "
        f"{when(shift.starts_at, shift.ends_at, zones)}, and was not monitoring the "
        f"queue {config.attendance_check_minutes} minutes after the start.\n\n"
        f"Shift: {_url('schedule-shift', shift.pk)}\n",
    )
    _attach([alert], email)


def insufficient_check(*, now: datetime | None = None) -> int:
    """S5: a few minutes into each hour, a co-op queue with fewer librarians
    monitoring than required is "insufficient help on the desk": the listserv
    and the help desk are told, once per queue and hour."""
    now = now or timezone.now()
    config = ConsortiumSettings.load()
    grace = timedelta(minutes=config.attendance_check_minutes)
    raised = 0
    for queue in selectors.coop_queues():
        cells = selectors.coverage(
            queue, now - timedelta(hours=1), now + timedelta(seconds=1)
        )
        cell = next((c for c in cells if c.starts_at <= now < c.ends_at), None)
        if cell is None or not cell.required or now < cell.starts_at + grace:
            continue
        online = core.live_monitors(queue, now).values("staff_id").distinct().count()
        if online >= cell.required:
            continue
        with transaction.atomic():
            alert = claim(
                Kind.INSUFFICIENT,
                f"{queue.pk}:{cell.starts_at:%Y%m%dT%H%MZ}",
                queue=queue,
            )
            if alert is None:
                continue
            email = outbox(
                [config.listserv_email, config.helpdesk_email],
                f"Insufficient help on the desk: {queue.code}",
                f"{queue.name} has {online} of {cell.required} required librarians "
                f"online ({when(cell.starts_at, cell.ends_at, queue_zones(queue))}). "
                "If you can, monitor the queue now.\n\n"
                f"Week grid: {_url('schedule-grid', queue.code)}\n",
            )
            _attach([alert], email)
            raised += 1
    return raised


def unsent_emails(*, now: datetime | None = None, older_than: int = 300):
    """Emails written but never sent (a lost task, a dead worker)."""
    now = now or timezone.now()
    return AlertEmail.objects.filter(
        sent_at__isnull=True, created_at__lte=now - timedelta(seconds=older_than)
    ).values_list("pk", flat=True)
