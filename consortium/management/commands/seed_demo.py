"""`manage.py seed_demo`: a realistic demo consortium, safe to run again.

Nine member libraries of every type in two time zones (Eastern and Central),
a local queue each plus three co-op queues, 36 staff in every role, terms,
posted hours, holidays, closures, liaisons, referral agreements, an
announcement and a problem report. Rows are found by their natural keys and
brought back to the values below, so a second run changes nothing.

The schedule: coverage requirements of the co-op queues, weekly shifts for
the fall and the winter break that cover most (not all) required hours, and
one shift given up and still offered to its library. Spring 2027 has
requirements but no weekly shifts yet, for a coordinator to build.

The knowledge base: every library's policy page in sections (one of them
staff-only, with proxy login help for co-op staff), a few FAQs each, and some
libraries' own greeting and goodbye; two pages are overdue for review.

Activity: two coordinators' schedule-change requests for the term under way,
waiting for the help desk; five open email tickets in four libraries' inboxes
(from the offline form and by email, through the services); and some sixty
days of past chats and tickets for the statistics (`chat.demo_history`).
Each is added once: a second run finds it and writes nothing.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from chat import demo_history
from chat.models import Conversation, InboundEmail, Ticket
from chat.services import inbound_email_receive, offline_question_create
from consortium import services
from consortium.audit import acting_as
from consortium.fields import parse_minutes
from consortium.models import (
    Announcement,
    Closure,
    ConsortiumSettings,
    Holiday,
    Liaison,
    Library,
    PostedHours,
    ProblemReport,
    Queue,
    ReferralAgreement,
    Staff,
    Term,
    TermType,
)
from consortium.services import DomainError
from knowledgebase import services as kb
from knowledgebase.demo_content import (
    KB_CANNED,
    KB_EARLIER,
    KB_FAQS,
    KB_LOCATIONS,
    KB_REVIEWED_DAYS_AGO,
    KB_SECTIONS,
    PUBLIC,
)
from knowledgebase.models import CannedMessage, Faq, PolicySection
from scheduling import services as schedule
from scheduling.models import (
    CoverageRequirement,
    ScheduleChangeRequest,
    Shift,
    ShiftSlot,
    SubstitutionRequest,
)

DEMO_PASSWORD = "askdemo-2026"
# The demo help desk's REST API token (docs/api.md); DEMO_API_TOKEN overrides it.
DEMO_API_TOKEN = "a5c7e0d1b2f3a4c5d6e7f8091a2b3c4d5e6f7a8b"
EASTERN = "America/New_York"
CENTRAL = "America/Chicago"

LIBRARIES = [
    # code, name, type, timezone, website domain, postcodes/state, co-ops
    (
        "sprc",
        "Springfield College Library",
        "academic",
        EASTERN,
        "library.springfield.edu",
        "FL",
        ["statewide", "academic"],
    ),
    (
        "gcsu",
        "Gulf Coast State University Libraries",
        "academic",
        EASTERN,
        "lib.gcsu.edu",
        "FL",
        ["statewide", "academic"],
    ),
    (
        "ocpl",
        "Orange County Public Library",
        "public",
        EASTERN,
        "ocpl.org",
        "32801, 32803, 32804, 32805, 32806",
        ["statewide", "public"],
    ),
    (
        "mlpl",
        "Miami Lakes Public Library",
        "public",
        EASTERN,
        "miamilakeslibrary.org",
        "33014, 33016, 33018",
        ["statewide", "public"],
    ),
    (
        "shs",
        "Seminole High School Library",
        "school",
        EASTERN,
        "seminolehs.k12.fl.us",
        "FL",
        ["statewide", "public"],
    ),
    (
        "atlaw",
        "Atlantic Law Library",
        "special",
        EASTERN,
        "atlanticlaw.org",
        "FL",
        ["statewide"],
    ),
    (
        "pbpl",
        "Pensacola Bay Public Library",
        "public",
        CENTRAL,
        "pensacolabaylibrary.org",
        "32501, 32502, 32503, 32504",
        ["statewide", "public"],
    ),
    (
        "phcc",
        "Panhandle Community College Library",
        "academic",
        CENTRAL,
        "library.phcc.edu",
        "FL",
        ["statewide", "academic"],
    ),
    (
        "ems",
        "Escambia Middle School Media Center",
        "school",
        CENTRAL,
        "ems.escambia.k12.fl.us",
        "FL",
        ["statewide", "public"],
    ),
]

# Each library's SMS number (the phone simulator, /sms/simulator/, texts
# them): Florida area codes with 555-0100 to 555-0199, the numbers the North
# American plan keeps for fiction, so no demo text reaches a real phone.
SMS_NUMBERS = {
    "sprc": "+18505550101",
    "gcsu": "+12395550102",
    "ocpl": "+14075550103",
    "mlpl": "+13055550104",
    "shs": "+14075550105",
    "atlaw": "+15615550106",
    "pbpl": "+18505550107",
    "phcc": "+18505550108",
    "ems": "+18505550109",
}

COOPS = [
    ("coop-statewide", "Ask a Librarian Statewide", EASTERN),
    ("coop-academic", "Academic Cooperative", EASTERN),
    ("coop-public", "Public Cooperative", EASTERN),
]

# username suffix, first, last, role — per library; help desk separately.
STAFF = {
    "sprc": [
        ("coord", "Maria", "Lopez", "coordinator"),
        ("rob", "Rob", "Coers", "librarian"),
        ("nancy", "Nancy", "Perez", "librarian"),
        ("eli", "Eli", "Brandt", "intern"),
    ],
    "gcsu": [
        ("coord", "Denise", "Walker", "coordinator"),
        ("erin", "Erin", "Shah", "librarian"),
        ("john", "John", "Okafor", "librarian"),
        ("tia", "Tia", "Morgan", "intern"),
    ],
    "ocpl": [
        ("coord", "Helen", "Brooks", "coordinator"),
        ("sam", "Sam", "Rivera", "librarian"),
        ("priya", "Priya", "Nair", "librarian"),
        ("leo", "Leo", "Grant", "librarian"),
    ],
    "mlpl": [
        ("coord", "Carlos", "Mendez", "coordinator"),
        ("ana", "Ana", "Suarez", "librarian"),
        ("kim", "Kim", "Tran", "librarian"),
    ],
    "shs": [
        ("coord", "Grace", "Hill", "coordinator"),
        ("paul", "Paul", "Bennett", "librarian"),
        ("ivy", "Ivy", "Cole", "librarian"),
    ],
    "atlaw": [
        ("coord", "Victor", "Stone", "coordinator"),
        ("ruth", "Ruth", "Feld", "librarian"),
        ("omar", "Omar", "Haddad", "librarian"),
    ],
    "pbpl": [
        ("coord", "Beth", "Harris", "coordinator"),
        ("wren", "Wren", "Ellis", "librarian"),
        ("dale", "Dale", "Price", "librarian"),
    ],
    "phcc": [
        ("coord", "Frank", "Adams", "coordinator"),
        ("june", "June", "Park", "librarian"),
        ("noah", "Noah", "Reyes", "librarian"),
        ("zoe", "Zoe", "Fox", "intern"),
    ],
    "ems": [
        ("coord", "Lily", "Chen", "coordinator"),
        ("mark", "Mark", "Dunn", "librarian"),
        ("sara", "Sara", "Quinn", "librarian"),
    ],
}
HELPDESK = [
    ("helpdesk", "Hana", "Kovacs"),
    ("helpdesk-tom", "Tom", "Bishop"),
    ("helpdesk-ivan", "Ivan", "Petrov"),
]

# Consortium calendar; Springfield College keeps its own semester dates.
TERMS = [
    (None, "Fall 2026", TermType.SEMESTER, date(2026, 8, 24), date(2026, 12, 11)),
    (
        None,
        "Winter break 2026–27",
        TermType.BREAK,
        date(2026, 12, 12),
        date(2027, 1, 10),
    ),
    (None, "Spring 2027", TermType.SEMESTER, date(2027, 1, 11), date(2027, 5, 7)),
    (
        None,
        "May intersession 2027",
        TermType.INTERSESSION,
        date(2027, 5, 8),
        date(2027, 5, 16),
    ),
    (None, "Summer 2027", TermType.SUMMER, date(2027, 5, 17), date(2027, 8, 15)),
    (
        "sprc",
        "Fall 2026 (Springfield)",
        TermType.SEMESTER,
        date(2026, 8, 31),
        date(2026, 12, 18),
    ),
    (
        "sprc",
        "Winter break (Springfield)",
        TermType.BREAK,
        date(2026, 12, 19),
        date(2027, 1, 17),
    ),
]

MON_THU, FRI, SAT, SUN = [0, 1, 2, 3], [4], [5], [6]
WEEKDAYS = MON_THU + FRI


def hours(days, opens, closes):
    return [(day, opens * 60, closes * 60) for day in days]


HOURS_BY_TYPE = {
    "academic": {
        TermType.SEMESTER: hours(MON_THU, 9, 21)
        + hours(FRI, 9, 17)
        + hours(SUN, 13, 21),
        TermType.INTERSESSION: hours(WEEKDAYS, 10, 16),
        TermType.BREAK: hours(WEEKDAYS, 10, 15),
        TermType.SUMMER: hours(MON_THU, 9, 18) + hours(FRI, 9, 13),
    },
    "public": {TermType.SEMESTER: hours(MON_THU, 10, 20) + hours(FRI + SAT, 10, 17)},
    "school": {
        TermType.SEMESTER: hours(WEEKDAYS, 8, 16),
        TermType.SUMMER: hours(MON_THU, 9, 13),
    },
    "special": {TermType.SEMESTER: hours(WEEKDAYS, 9, 17)},
}
ALL_WEEK = MON_THU + FRI + SAT + SUN
COOP_HOURS = {
    "coop-statewide": {t: hours(ALL_WEEK, 0, 24) for t in TermType.values},
    "coop-academic": {
        TermType.SEMESTER: hours(ALL_WEEK, 8, 24),
        TermType.BREAK: hours(WEEKDAYS, 9, 17),
        TermType.INTERSESSION: hours(WEEKDAYS, 9, 17),
        TermType.SUMMER: hours(WEEKDAYS, 8, 20),
    },
    "coop-public": {t: hours(ALL_WEEK, 8, 23) for t in TermType.values},
}

HOLIDAYS = [
    ("Thanksgiving", date(2026, 11, 26), date(2026, 11, 27)),
    ("Winter holidays", date(2026, 12, 24), date(2026, 12, 25)),
    ("New Year's Day", date(2027, 1, 1), date(2027, 1, 1)),
]
CLOSURES = [
    ("ocpl", "Main library renovation", date(2027, 1, 4), date(2027, 2, 5)),
    ("pbpl", "Staff development day", date(2026, 12, 4), date(2026, 12, 4)),
]
LIAISONS = [
    ("sprc", "Nursing", "Nancy Perez", "nperez@springfield.edu"),
    ("sprc", "Business", "Rob Coers", "rcoers@springfield.edu"),
    ("gcsu", "Marine biology", "Erin Shah", "eshah@gcsu.edu"),
    ("gcsu", "Engineering", "John Okafor", "jokafor@gcsu.edu"),
    ("phcc", "Allied health", "June Park", "jpark@phcc.edu"),
    ("atlaw", "Florida statutes", "Ruth Feld", "rfeld@atlanticlaw.org"),
]
REFERRALS = [
    (
        "sprc",
        "atlaw",
        "Legal research",
        "Case law and statutes beyond undergraduate needs.",
    ),
    ("ocpl", "atlaw", "Legal forms", "Self-help legal forms and court procedures."),
    ("shs", "ocpl", "Homework help", "Public library homework centre and tutoring."),
    ("phcc", "gcsu", "Marine science", "Specialist marine science collections."),
    ("pbpl", "phcc", "Nursing exams", "NCLEX preparation materials."),
]


# --- The schedule ------------------------------------------------------------------

FALL, WINTER, SPRING = "Fall 2026", "Winter break 2026–27", "Spring 2027"
SAT_SUN = SAT + SUN

# Librarians required (S1), per consortium term and co-op queue: rows of
# (weekdays, from hour, to hour, librarians), later rows overriding earlier.
SEMESTER_NEEDS = {
    # One librarian round the clock, two in the weekday daytime.
    "coop-statewide": [(ALL_WEEK, 0, 24, 1), (WEEKDAYS, 9, 17, 2)],
    "coop-academic": [(ALL_WEEK, 8, 24, 1)],  # its open hours
}
BREAK_NEEDS = {
    "coop-statewide": [(WEEKDAYS, 9, 17, 1), (SAT_SUN, 10, 16, 1)],
    "coop-academic": [(WEEKDAYS, 9, 17, 1)],
}
REQUIREMENTS = {FALL: SEMESTER_NEEDS, WINTER: BREAK_NEEDS, SPRING: SEMESTER_NEEDS}

# Weekly shifts (S2): (librarian, co-op queue, term, weekdays, starts, ends) in
# the queue's zone (Eastern). About three quarters of the required hours are
# covered; Fridays, the small hours and weekend evenings are thin on purpose.
SLOTS = [
    ("ocpl-sam", "coop-statewide", FALL, [0, 1, 2], "07:00", "09:00"),
    ("mlpl-ana", "coop-statewide", FALL, [3], "07:00", "09:00"),
    ("sprc-rob", "coop-statewide", FALL, WEEKDAYS, "09:00", "13:00"),
    ("gcsu-erin", "coop-statewide", FALL, MON_THU, "09:00", "13:00"),
    ("sprc-nancy", "coop-statewide", FALL, WEEKDAYS, "13:00", "17:00"),
    ("atlaw-ruth", "coop-statewide", FALL, MON_THU, "13:00", "17:00"),
    ("atlaw-omar", "coop-statewide", FALL, FRI, "13:00", "15:00"),
    ("ocpl-priya", "coop-statewide", FALL, MON_THU, "17:00", "20:00"),
    ("mlpl-kim", "coop-statewide", FALL, FRI, "17:00", "20:00"),
    ("pbpl-wren", "coop-statewide", FALL, MON_THU, "20:00", "23:00"),
    ("atlaw-omar", "coop-statewide", FALL, FRI, "20:00", "23:00"),
    ("phcc-noah", "coop-statewide", FALL, ALL_WEEK, "23:00", "24:00"),
    ("pbpl-dale", "coop-statewide", FALL, WEEKDAYS, "00:00", "03:00"),
    ("shs-paul", "coop-statewide", FALL, SAT, "07:00", "10:00"),
    ("ocpl-leo", "coop-statewide", FALL, SAT, "10:00", "14:00"),
    ("shs-ivy", "coop-statewide", FALL, SAT, "14:00", "18:00"),
    ("ems-sara", "coop-statewide", FALL, SAT, "18:00", "23:00"),
    ("mlpl-ana", "coop-statewide", FALL, SUN, "07:00", "13:00"),
    ("gcsu-john", "coop-statewide", FALL, SUN, "13:00", "17:00"),
    ("ems-sara", "coop-statewide", FALL, SUN, "17:00", "21:00"),
    ("phcc-june", "coop-academic", FALL, WEEKDAYS, "08:00", "12:00"),
    ("gcsu-john", "coop-academic", FALL, MON_THU, "12:00", "16:00"),
    ("phcc-noah", "coop-academic", FALL, WEEKDAYS, "16:00", "20:00"),
    ("sprc-nancy", "coop-academic", FALL, MON_THU, "20:00", "22:00"),
    ("gcsu-erin", "coop-academic", FALL, SAT, "10:00", "14:00"),
    ("gcsu-john", "coop-academic", FALL, SAT, "14:00", "18:00"),
    ("sprc-rob", "coop-academic", FALL, SUN, "13:00", "17:00"),
    ("phcc-june", "coop-academic", FALL, SUN, "17:00", "21:00"),
    ("shs-paul", "coop-public", FALL, MON_THU, "16:00", "18:00"),
    ("ems-mark", "coop-public", FALL, SAT, "10:00", "14:00"),
    ("sprc-rob", "coop-statewide", WINTER, [0, 2], "09:00", "13:00"),
    ("gcsu-erin", "coop-statewide", WINTER, [1, 3], "09:00", "13:00"),
    ("ocpl-sam", "coop-statewide", WINTER, FRI, "09:00", "13:00"),
    ("atlaw-ruth", "coop-statewide", WINTER, MON_THU, "13:00", "17:00"),
    ("mlpl-kim", "coop-statewide", WINTER, SAT, "10:00", "14:00"),
    ("phcc-june", "coop-academic", WINTER, WEEKDAYS, "09:00", "13:00"),
    ("gcsu-john", "coop-academic", WINTER, [0, 1, 2], "13:00", "17:00"),
]
GIVE_UP = ("gcsu-erin", "Presenting at the state library conference.")

# Schedule-change requests (S7) for the consortium term under way, waiting for
# the help desk: (coordinator, librarian, co-op queue, weekday, starts, ends,
# filed hours ago, reason). Both fill hours the statewide queue is short of.
CHANGE_REQUESTS = [
    (
        "gcsu-coord",
        "gcsu-john",
        "coop-statewide",
        4,
        "09:00",
        "13:00",
        26,
        "John's Friday teaching ended with the midterms. He can take a second "
        "Friday-morning seat on the statewide queue, which is one librarian "
        "short from 9 to 1.",
    ),
    (
        "pbpl-coord",
        "pbpl-wren",
        "coop-statewide",
        6,
        "21:00",
        "23:00",
        3,
        "Wren offers to cover Sunday evenings, 9 to 11 p.m. Eastern, which "
        "nobody staffs now; our patrons with Monday deadlines ask then.",
    ),
]

# Open email tickets, as patrons sent them: (library, how, minutes ago, name,
# email, patron status, subject, text). "form" is the offline form on the
# library's page, "email" a message to the library's ticket address. The
# second one is a legal question Orange County refers to the law library.
OPEN_TICKETS = [
    (
        "ocpl",
        "form",
        35,
        "Dorothy Klein",
        "dorothy.klein@example.net",
        "public",
        "",
        "Do you have James by Percival Everett in large print? If so, could you "
        "put a copy on hold for me at the Winter Park branch? I don't use the "
        "app, so an email when it's ready would be lovely.",
    ),
    (
        "ocpl",
        "form",
        95,
        "Luis Ramirez",
        "luis.ramirez@example.org",
        "public",
        "",
        "My landlord gave me a 3-day notice to pay or leave. Where do I find "
        "the forms to answer an eviction complaint in Orange County, and how "
        "long do I have to file them?",
    ),
    (
        "gcsu",
        "form",
        190,
        "Marcus Webb",
        "marcus.webb@example.org",
        "graduate",
        "",
        "I need the full text of “Seagrass loss and recovery in Tampa Bay, "
        "1950–2020” (Estuaries and Coasts, vol. 44, 2021). The database link "
        "says our subscription doesn't cover it. Could you get it through "
        "interlibrary loan? I need it before my thesis committee meets next "
        "week.",
    ),
    (
        "sprc",
        "email",
        470,
        "Jasmine Ortiz",
        "jasmine.ortiz@example.net",
        "undergraduate",
        "Citing a government report in APA",
        "Hello,\n\nI'm writing my final paper for NUR 3065 and cite a report "
        "from the Florida Department of Health (Behavioral Risk Factor "
        "Surveillance System). No author is listed. How do I cite it in APA 7th "
        "edition, and what goes in the in-text citation?\n\nThank you,\n"
        "Jasmine Ortiz\n",
    ),
    (
        "pbpl",
        "email",
        1150,
        "Tom Alvarez",
        "tom.alvarez@example.org",
        "public",
        "Proctoring an online exam",
        "Hi,\n\nI'm taking an online certification exam (CompTIA A+) and need "
        "a proctor. Does the library proctor exams, and could I book a Thursday "
        "afternoon? The exam takes about 90 minutes and needs a webcam.\n\n"
        "Thanks,\nTom Alvarez\n",
    ),
]


DAY_NAMES = [label for _, label in PostedHours.Weekday.choices]


def _day_range(days) -> str:
    days = sorted(days)
    if len(days) > 1 and days == list(range(days[0], days[-1] + 1)):
        return f"{DAY_NAMES[days[0]]}–{DAY_NAMES[days[-1]]}"
    return ", ".join(DAY_NAMES[day] for day in days)


def _clock(minutes: int) -> str:
    hour, minute = divmod(minutes, 60)
    if hour in (0, 24) and not minute:
        return "midnight"
    if hour == 12 and not minute:
        return "noon"
    suffix = "a.m." if hour < 12 else "p.m."
    hour = hour % 12 or 12
    return f"{hour}:{minute:02d} {suffix}" if minute else f"{hour} {suffix}"


class Command(BaseCommand):
    help = "Create or refresh the demo consortium (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        helpdesk = self._staff("helpdesk", "Hana", "Kovacs", Staff.Role.HELPDESK, None)
        with acting_as(helpdesk):
            config = ConsortiumSettings.load()
            config.name = "Ask a Librarian Florida (demo)"
            config.service_area = "FL"
            config.helpdesk_email = "helpdesk@askalibrarian.example.org"
            config.listserv_email = "askref-l@askalibrarian.example.org"
            config.save()
            self._seed(helpdesk)
            self._schedule(helpdesk)
        now = timezone.now()
        self._change_requests(now)
        history = demo_history.seed_history(now=now)
        self._open_tickets(now)
        token = self._api_token(helpdesk)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo consortium ready: {Library.objects.count()} libraries, "
                f"{Queue.objects.count()} queues, {Staff.objects.count()} staff."
            )
        )
        self.stdout.write(
            f"Schedule: {ShiftSlot.objects.count()} weekly shifts, "
            f"{Shift.objects.live().filter(starts_at__gt=timezone.now()).count()} "
            f"upcoming dated shifts, {CoverageRequirement.objects.count()} "
            "hourly coverage requirements."
        )
        self.stdout.write(f"API token of helpdesk (docs/api.md): {token.key}")
        self.stdout.write(self._activity_line(history))

    def _change_requests(self, now):
        """Pending schedule-change requests of two coordinators for the
        consortium term under way, filed through the service (so they are
        checked as on approval, and the help desk is emailed). A request for
        the same new shift, whatever became of it, is not filed again; with no
        term under way there is nothing to request."""
        today = timezone.localdate(now)
        term = (
            Term.objects.filter(
                library__isnull=True, start_date__lte=today, end_date__gte=today
            )
            .order_by("start_date")
            .first()
        )
        if term is None:
            self.stdout.write(
                "No consortium term is under way: no schedule-change request added."
            )
            return
        queues = {q.code: q for q in Queue.objects.coop()}
        for row in CHANGE_REQUESTS:
            coordinator, librarian, code, weekday, starts, ends, ago, reason = row
            coordinator = Staff.objects.get(username=coordinator)
            request = ScheduleChangeRequest(
                library=coordinator.library,
                action=ScheduleChangeRequest.Action.ADD,
                queue=queues[code],
                term=term,
                weekday=weekday,
                starts=parse_minutes(starts),
                ends=parse_minutes(ends),
                assignee=Staff.objects.get(username=librarian),
                reason=reason,
                created_at=now - timedelta(hours=ago),
            )
            if ScheduleChangeRequest.objects.filter(
                library=request.library,
                action=request.action,
                queue=request.queue,
                term=term,
                weekday=weekday,
                starts=request.starts,
            ).exists():
                continue
            try:
                with transaction.atomic(), acting_as(coordinator):
                    schedule.change_request_submit(actor=coordinator, request=request)
            except (ValidationError, DomainError, PermissionDenied) as error:
                self.stderr.write(
                    f"Schedule-change request of {coordinator.username} not "
                    f"added: {error}"
                )

    def _open_tickets(self, now):
        """Open email tickets, as the offline form and inbound email make
        them (nothing is emailed to the patrons). A ticket whose patron has
        asked before is not added again, wherever it has been moved since."""
        libraries = {library.code: library for library in Library.objects.all()}
        for number, row in enumerate(OPEN_TICKETS, start=1):
            code, how, ago, name, email, status, subject, text = row
            if Conversation.objects.filter(patron_email__iexact=email).exists():
                continue
            library, at = libraries[code], now - timedelta(minutes=ago)
            if how == "form":
                offline_question_create(
                    library=library,
                    question=text,
                    email=email,
                    patron_name=name,
                    patron_status=status,
                    referrer_url=f"{library.website}ask/",
                    user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
                    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 "
                    "Safari/537.36",
                    now=at,
                )
                continue
            message = EmailMessage()
            message["From"] = formataddr((name, email))
            message["To"] = library.ticket_email
            message["Subject"] = subject
            message["Date"] = format_datetime(at)
            domain = email.rsplit("@", 1)[1]
            message["Message-ID"] = f"<demo-{code}-{number}@mail.{domain}>"
            message.set_content(text)
            inbound = inbound_email_receive(
                raw=message.as_bytes(), via=InboundEmail.Via.PIPE, now=at
            )
            if inbound.status != InboundEmail.Status.CREATED:
                self.stderr.write(
                    f"The demo email from {email} made no ticket: "
                    f"{inbound.get_status_display()} {inbound.reason}"
                )

    def _activity_line(self, history: int) -> str:
        open_statuses = [
            Ticket.Status.OPEN,
            Ticket.Status.CLAIMED,
            Ticket.Status.WAITING,
        ]
        past = Conversation.objects.exclude(
            status__in=[Conversation.Status.WAITING, Conversation.Status.ACTIVE]
        ).exclude(ticket__status__in=open_statuses)
        span = past.aggregate(first=Min("requested_at"), last=Max("requested_at"))
        tickets = Ticket.objects.filter(status__in=open_statuses)
        inboxes = tickets.values("library").distinct().count()
        pending = ScheduleChangeRequest.objects.filter(
            status=ScheduleChangeRequest.Status.PENDING
        ).count()
        if span["first"]:
            first, last = (timezone.localdate(span[k]) for k in ("first", "last"))
            dates = f" from {first:%b} {first.day} to {last:%b} {last.day}, {last.year}"
        else:
            dates = ""
        added = f", {history} added now" if history else ""
        return (
            f"Activity: {past.count()} past conversations{dates}{added}; "
            f"{tickets.count()} open email tickets in {inboxes} inboxes "
            "(/api/v1/tickets/?status=open); "
            f"{pending} pending schedule-change request{'s' if pending != 1 else ''} "
            "(/api/v1/schedule-change-requests/?status=pending)."
        )

    def _api_token(self, helpdesk):
        """The demo help desk's API token; an existing token is kept."""
        key = os.environ.get("DEMO_API_TOKEN") or DEMO_API_TOKEN
        token, _ = Token.objects.get_or_create(user=helpdesk, defaults={"key": key})
        return token

    def _seed(self, helpdesk):
        coops = {}
        for code, name, tz in COOPS:
            coops[code], _ = Queue.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "kind": Queue.Kind.COOP,
                    "timezone": tz,
                    "library": None,
                },
            )
            self._hours(coops[code], COOP_HOURS[code])

        libraries = {}
        for code, name, kind, tz, domain, area, memberships in LIBRARIES:
            library, _ = Library.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "library_type": kind,
                    "timezone": tz,
                    "website": f"https://{domain}/",
                    "contact_email": f"ask@{domain}",
                    "contact_phone": "",
                    "ticket_email": f"ask-{code}@askalibrarian.example.org",
                    "service_area": area,
                    "fallback_delay_seconds": 15,
                    "sms_number": SMS_NUMBERS.get(code, ""),
                    # The law library vets who covers its shifts.
                    "substitutes_need_approval": code == "atlaw",
                    "active": True,
                },
            )
            library.coops.set([coops[f"coop-{m}"] for m in memberships])
            libraries[code] = library
            queue, _ = Queue.objects.update_or_create(
                code=code,
                defaults={
                    "name": f"{name} chat",
                    "kind": Queue.Kind.LOCAL,
                    "library": library,
                },
            )
            self._hours(queue, HOURS_BY_TYPE[kind])

        for username, first, last in HELPDESK:
            self._staff(username, first, last, Staff.Role.HELPDESK, None)
        for code, people in STAFF.items():
            for suffix, first, last, role in people:
                self._staff(f"{code}-{suffix}", first, last, role, libraries[code])

        for code, name, term_type, start, end in TERMS:
            Term.objects.update_or_create(
                library=libraries.get(code),
                name=name,
                defaults={"term_type": term_type, "start_date": start, "end_date": end},
            )
        for name, start, end in HOLIDAYS:
            Holiday.objects.update_or_create(
                name=name, defaults={"start_date": start, "end_date": end}
            )
        for code, reason, start, end in CLOSURES:
            closure = Closure.objects.filter(
                library=libraries[code], reason=reason
            ).first()
            closure = closure or Closure(library=libraries[code], reason=reason)
            closure.start_date, closure.end_date = start, end
            services.closure_save(actor=helpdesk, closure=closure)
        for code, subject, name, email in LIAISONS:
            Liaison.objects.update_or_create(
                library=libraries[code],
                subject=subject,
                defaults={"name": name, "email": email},
            )
        for source, target, subject, notes in REFERRALS:
            ReferralAgreement.objects.update_or_create(
                from_library=libraries[source],
                to_library=libraries[target],
                subject=subject,
                defaults={"notes": notes},
            )
        Announcement.objects.get_or_create(
            title="Thanksgiving closing",
            defaults={
                "body": "Ask a Librarian is closed Thursday and Friday, November 26–27. "
                "Email questions received then are answered from Monday.",
                "author": helpdesk,
            },
        )
        ProblemReport.objects.get_or_create(
            summary="Transcript emails arrive late",
            defaults={
                "reporter": Staff.objects.get(username="gcsu-erin"),
                "library": libraries["gcsu"],
                "details": "Two patrons said the transcript email took over an hour.",
            },
        )
        self._knowledge_base(libraries)

    def _schedule(self, helpdesk):
        """Requirements, weekly shifts and a give-up, through the scheduling
        services with the help desk as the actor (the fall is under way, so
        coordinators could not add its hours). Rows already as below are not
        written again, so a second run is quick and changes nothing."""
        terms = {t.name: t for t in Term.objects.filter(library__isnull=True)}
        queues = {q.code: q for q in Queue.objects.coop()}
        for term_name, needs in REQUIREMENTS.items():
            for code, rows in needs.items():
                self._requirements(helpdesk, queues[code], terms[term_name], rows)
        staff = {s.username: s for s in Staff.objects.filter(library__isnull=False)}
        for username, code, term_name, days, starts, ends in SLOTS:
            for day in days:
                self._slot(
                    helpdesk,
                    staff[username],
                    queues[code],
                    terms[term_name],
                    day,
                    parse_minutes(starts),
                    parse_minutes(ends),
                )
        self._give_up()

    def _requirements(self, helpdesk, queue, term, rows):
        wanted = {}
        for days, start, end, count in rows:
            for day in days:
                for hour in range(start, end):
                    wanted[(day, hour)] = count
        current = {
            (r.weekday, r.hour): r.librarians
            for r in CoverageRequirement.objects.filter(queue=queue, term=term)
        }
        if current == wanted:
            return
        calls = [(ALL_WEEK, 0, 24, 0)] if current else []
        # One call per run of equal hours, each row written once.
        runs = {}
        for day in ALL_WEEK:
            hour = 0
            while hour < 24:
                count = wanted.get((day, hour))
                end = hour + 1
                while end < 24 and wanted.get((day, end)) == count:
                    end += 1
                if count is not None:
                    runs.setdefault((hour, end, count), []).append(day)
                hour = end
        calls += [(days, start, end, n) for (start, end, n), days in runs.items()]
        for days, start, end, count in calls:
            schedule.requirements_set(
                actor=helpdesk,
                queue=queue,
                term=term,
                weekdays=days,
                from_hour=start,
                to_hour=end,
                librarians=count,
            )

    def _slot(self, helpdesk, librarian, queue, term, weekday, starts, ends):
        key = dict(
            library_id=librarian.library_id,
            queue=queue,
            term=term,
            weekday=weekday,
            starts=starts,
        )
        slot = ShiftSlot.objects.filter(**key).first()
        if slot is not None and (slot.ends, slot.assignee_id) == (ends, librarian.pk):
            return
        slot = slot or ShiftSlot(**key)
        slot.ends, slot.assignee = ends, librarian
        schedule.slot_save(actor=helpdesk, slot=slot)

    def _give_up(self):
        """One shift at least three days ahead, still offered to its library."""
        username, reason = GIVE_UP
        librarian = Staff.objects.get(username=username)
        if SubstitutionRequest.objects.filter(
            offered_by=librarian, status__in=SubstitutionRequest.OPEN_STATUSES
        ).exists():
            return
        shift = (
            Shift.objects.live()
            .filter(
                assignee=librarian,
                starts_at__gte=timezone.now() + timedelta(days=3),
            )
            .order_by("starts_at")
            .first()
        )
        if shift is not None:
            schedule.shift_give_up(actor=librarian, shift_id=shift.pk, reason=reason)

    def _knowledge_base(self, libraries):
        """Each library's policy page, FAQs and own canned messages, written
        through the knowledge-base services by the library's coordinator (so
        the history names them). Only what is missing is created — a section
        by library, kind and visibility, a FAQ by slug, a canned message by
        key — so a second run writes nothing and adds no history. The global
        canned messages come with the chat app's migrations."""
        today = timezone.localdate()
        coordinators = {
            staff.library_id: staff
            for staff in Staff.objects.filter(
                role=Staff.Role.COORDINATOR, username__endswith="-coord"
            )
        }
        liaisons = {}
        for liaison in Liaison.objects.order_by("subject"):
            liaisons.setdefault(liaison.library_id, []).append(liaison)
        for code, library in libraries.items():
            coordinator = coordinators[library.pk]
            page = kb.page_for(library)
            have = set(page.sections.values_list("kind", "visibility"))
            sections = [
                ("hours", PUBLIC, self._kb_hours(library)),
                *KB_SECTIONS[code],
                ("contacts", PUBLIC, self._kb_contacts(library, liaisons)),
            ]
            for kind, visibility, body in sections:
                if (kind, visibility) in have:
                    continue
                section = PolicySection(page=page, kind=kind, visibility=visibility)
                earlier = KB_EARLIER.get((code, kind, visibility))
                if earlier is not None:
                    section.body = earlier[0]
                    kb.section_save(actor=coordinator, section=section)
                section.body = body
                kb.section_save(
                    actor=coordinator,
                    section=section,
                    reason=earlier[1] if earlier else "",
                )
            if page.last_reviewed_at is None:
                kb.page_mark_reviewed(
                    actor=coordinator,
                    page_id=page.pk,
                    today=today - timedelta(days=KB_REVIEWED_DAYS_AGO[code]),
                )
            slugs = set(library.faqs.values_list("slug", flat=True))
            for position, (slug, question, answer) in enumerate(KB_FAQS[code]):
                if slug not in slugs:
                    kb.faq_save(
                        actor=coordinator,
                        faq=Faq(
                            library=library,
                            slug=slug,
                            question=question,
                            answer=answer,
                            position=position,
                        ),
                    )
        for code, key, group, title, body in KB_CANNED:
            library = libraries[code]
            if CannedMessage.objects.filter(library=library, key=key).exists():
                continue
            kb.canned_save(
                actor=coordinators[library.pk],
                canned=CannedMessage(
                    library=library, key=key, group=group, title=title, body=body
                ),
            )

    def _kb_hours(self, library) -> str:
        """The hours section from the library's posted semester hours."""
        rows = HOURS_BY_TYPE[library.library_type][TermType.SEMESTER]
        spans = {}
        for weekday, opens, closes in rows:
            spans.setdefault((opens, closes), []).append(weekday)
        hours_page = settings.SITE_URL.rstrip("/") + reverse(
            "library-hours", args=[library.code]
        )
        lines = "".join(
            f"<li>{_day_range(days)}: {_clock(opens)}–{_clock(closes)}</li>"
            for (opens, closes), days in spans.items()
        )
        return (
            f"<p>{KB_LOCATIONS[library.code]}</p>"
            f"<p>Regular hours (during the semester):</p><ul>{lines}</ul>"
            "<p>Break, summer and holiday hours, and days the library is closed, "
            f'are on the <a href="{hours_page}">hours page</a>.</p>'
        )

    def _kb_contacts(self, library, liaisons) -> str:
        people = "".join(
            f"<li>{liaison.subject}: {liaison.name}, "
            f'<a href="mailto:{liaison.email}">{liaison.email}</a></li>'
            for liaison in liaisons.get(library.pk, [])
        )
        return (
            f'<p>Questions by email: <a href="mailto:{library.contact_email}">'
            f"{library.contact_email}</a> (answered within two working days). "
            f'Website: <a href="{library.website}">{library.website}</a>.</p>'
            + (f"<p>Subject librarians:</p><ul>{people}</ul>" if people else "")
        )

    def _hours(self, queue, table):
        for term_type, rows in table.items():
            for weekday, opens, closes in rows:
                PostedHours.objects.get_or_create(
                    queue=queue,
                    term_type=term_type,
                    weekday=weekday,
                    opens=opens,
                    closes=closes,
                )

    def _staff(self, username, first, last, role, library):
        staff = Staff.objects.filter(username=username).first()
        if staff is None:
            staff = Staff(username=username)
            staff.set_password(DEMO_PASSWORD)
        domain = (
            library.website.split("//")[1].strip("/")
            if library
            else "askalibrarian.example.org"
        )
        staff.first_name, staff.last_name = first, last
        staff.email = f"{username.split('-')[-1]}@{domain}"
        staff.role, staff.library = role, library
        staff.display_name = (
            f"{first} from {library.name}" if library else f"{first} from the help desk"
        )
        staff.is_active = True
        staff.full_clean()
        staff.save()
        return staff
