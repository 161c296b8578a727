"""`manage.py seed_demo`: a realistic demo consortium, safe to run again.

Nine member libraries of every type in two time zones (Eastern and Central),
a local queue each plus three co-op queues, 36 staff in every role, terms,
posted hours, holidays, closures, liaisons, referral agreements, an
announcement and a problem report. Rows are found by their natural keys and
brought back to the values below, so a second run changes nothing.
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand
from django.db import transaction

from consortium import services
from consortium.audit import acting_as
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

DEMO_PASSWORD = "askdemo-2026"
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
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo consortium ready: {Library.objects.count()} libraries, "
                f"{Queue.objects.count()} queues, {Staff.objects.count()} staff."
            )
        )

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
        self._canned(libraries)

    def _canned(self, libraries):
        """The global canned messages come with the chat app's migrations; one
        demo library shows how its own greeting overrides the global one."""
        from chat.models import CannedMessage

        CannedMessage.objects.update_or_create(
            library=libraries["sprc"],
            key="greeting",
            defaults={
                "group": CannedMessage.Group.GREETING,
                "title": "Greeting (Springfield College)",
                "body": "Hi {patron_name}! This is {librarian_name}. Thanks for "
                "asking the Springfield College Library; let me take a look.",
            },
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
