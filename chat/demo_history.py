"""Past activity of the demo consortium (`manage.py seed_demo`): some sixty
days of questions, so that the statistics, the transcripts and the closed
tickets have something to show on a fresh install.

These rows are the record of what already happened, not a live path: they
are written directly (`bulk_create`), the way the services would have left
them when each chat ended and each ticket closed — live chats answered,
missed or lost, some continued by email (a closed `Ticket`), and questions
sent by email or the offline form, answered and closed. No timers, nothing
published, no email sent. Everything is drawn from a `random.Random` with a
fixed seed, so the same day gives the same history.

Times follow each library's posted hours (its local queue, the term in force,
holidays and closures) in the library's own time zone; a few questions come
after hours and are answered on the co-op queues by other libraries'
librarians, as are some the library's own staff did not pick up within its
fallback delay.

Beside them, drawn from a second random stream so the chats and emails above
stay the same: texts (SMS threads) to the libraries with an SMS number, most
answered within the 12-hour deadline and some not; patrons' answers to "How
did we do?" on a share of the answered chats; and a small set of chats from
a year before the history (`OLD_DAYS`), older than the consortium's default
retention period, for the retention job to scrub on a fresh install.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from chat.models import Conversation, Message, PatronRating, SmsMessage, Ticket
from chat.services.tickets import reply_domain
from chat.texts import system_text
from consortium import selectors as consortium_selectors
from consortium.models import ConsortiumSettings, Library, Queue, Staff

SEED = 20261124
DAYS = 60
# Days back of the year-old chats (older than the default 365-day retention).
OLD_DAYS = range(400, 380, -1)
OLD_CHATS_PER_DAY = 0.15  # times the weight

C = Conversation
R = Conversation.Resolution
QT = Conversation.QuestionType
PS = Conversation.PatronStatus
Sender = Message.Sender

# How busy each library is, relative to the others (a bigger, busier library
# asks more); unknown libraries count as 1.
WEIGHTS = {
    "sprc": 1.2,
    "gcsu": 1.4,
    "phcc": 0.9,
    "ocpl": 1.5,
    "mlpl": 0.9,
    "pbpl": 1.0,
    "shs": 0.5,
    "ems": 0.4,
    "atlaw": 0.6,
}
CHATS_PER_OPEN_HOUR = 0.08  # times the weight, while the local queue is open
AFTER_HOURS_CHATS = 0.07  # a day, times the weight, when it is closed
EMAILS_PER_DAY = 0.08  # times the weight (half on weekends)
AFTER_HOURS = (8 * 60, 23 * 60)  # when patrons ask at all, local time

# --- What patrons ask ------------------------------------------------------------

ACADEMIC, PUBLIC, SCHOOL, SPECIAL = "academic", "public", "school", "special"
ALL = (ACADEMIC, PUBLIC, SCHOOL, SPECIAL)


@dataclass(frozen=True)
class Question:
    kinds: tuple[str, ...]
    question_type: str
    read: tuple[int, int]
    question: str
    answer: str
    clarify: str = ""  # what the patron adds after the greeting, if anything


QUESTIONS = [
    Question(
        (ACADEMIC,),
        QT.RESEARCH,
        (3, 4),
        "I need peer-reviewed articles on how sea level rise affects Florida's "
        "coastal aquifers, for my environmental science paper.",
        "Try Academic Search Complete and GreenFILE (Databases A–Z on our "
        'website). Search ("sea level rise" OR "saltwater intrusion") AND '
        "aquifer* AND Florida, then tick Peer reviewed under Limit to. I found "
        "a dozen from the last five years, several in the Journal of Hydrology.",
        "It's a 10-page paper, due in two weeks.",
    ),
    Question(
        (ACADEMIC,),
        QT.KNOWN_ITEM,
        (2, 2),
        "Do you have the book Educated by Tara Westover? It's for my "
        "composition class.",
        "Yes: two print copies on the 2nd floor (CT275 .W46 A3 2018), one is "
        "on the shelf now, and an e-book anyone on campus can read at the same "
        "time. Here is the catalog record with both links.",
    ),
    Question(
        (ACADEMIC,),
        QT.ACCOUNT_LOGIN,
        (2, 3),
        "Off campus the databases keep sending me back to a login page.",
        "Start from the library website so the links go through our proxy, "
        "and sign in with your campus username (not your email address). If "
        "it still loops in Chrome, clear the cookies for the proxy address or "
        "try a private window.",
        "I'm at home, using Chrome.",
    ),
    Question(
        (ACADEMIC,),
        QT.E_RESOURCES,
        (2, 3),
        "JSTOR says I don't have access to an article my professor assigned.",
        "That journal's last three years are not in our JSTOR package. The "
        "same article is in ProQuest Central with full text; here is the "
        "permanent link. For anything we don't have, use Interlibrary Loan: "
        "articles usually arrive by email in a day or two.",
        "It's from 2023, in the Journal of Marine Systems.",
    ),
    Question(
        (ACADEMIC,),
        QT.POLICY_HOURS,
        (1, 1),
        "How late is the library open during finals week?",
        "During finals week the library stays open until midnight Monday to "
        "Thursday and until 9 p.m. on Friday; the hours page has every day.",
    ),
    Question(
        (ACADEMIC,),
        QT.DIRECTIONAL,
        (1, 1),
        "Where do I pick up an interlibrary loan book?",
        "At the circulation desk on the first floor, just inside the main "
        "entrance. Bring your student ID; they keep it for you for 10 days.",
    ),
    Question(
        (ACADEMIC,),
        QT.RESEARCH,
        (3, 5),
        "I'm writing a literature review on microplastics in Gulf of Mexico "
        "fish. Can you help me build a search strategy?",
        'Let\'s combine three concepts: (microplastic* OR "plastic debris") '
        'AND (fish* OR "marine biota") AND ("Gulf of Mexico" OR Gulf). Run it '
        "in Web of Science and Aquatic Sciences and Fisheries Abstracts, then "
        "follow the references of the two 2022 reviews that come up first.",
        "I'm a graduate student; I need everything since about 2015.",
    ),
    Question(
        (ACADEMIC,),
        QT.RESEARCH,
        (3, 4),
        "Where can I find statistics on the nursing shortage in Florida?",
        "The Florida Center for Nursing publishes yearly workforce reports "
        "with county figures; for articles, CINAHL with the subject heading "
        '"Personnel Shortage" and Florida. I sent you both links.',
        "It's for my nursing research class.",
    ),
    Question(
        (ACADEMIC,),
        QT.KNOWN_ITEM,
        (2, 2),
        "Is there an APA 7th edition manual I can borrow?",
        "There are three at the reserve desk (2-hour loan) and the APA Style "
        "website has free guides; the Purdue OWL pages are good for examples.",
    ),
    Question(
        (ACADEMIC, PUBLIC),
        QT.OTHER,
        (1, 2),
        "Can I print in color from my laptop?",
        "Yes: upload the file to the web print portal from the library "
        "website, then release it at any color printer with your card. Color "
        "is 25 cents a page.",
    ),
    Question(
        (PUBLIC,),
        QT.KNOWN_ITEM,
        (2, 2),
        "Is Fourth Wing available? The waiting list looked huge.",
        "It is popular: 60 holds on 20 print copies, so about six weeks. The "
        "e-audiobook on Libby has a shorter wait. I placed a hold on the print "
        "copy for you; you'll get an email when it's ready.",
        "Yes please, put me on the list for the book.",
    ),
    Question(
        (PUBLIC,),
        QT.ACCOUNT_LOGIN,
        (2, 2),
        "My PIN doesn't work in the Libby app.",
        "Libby uses your card number and the PIN from our catalog. I reset "
        "your PIN to the last four digits of your phone number; change it "
        "after you sign in under My Account.",
        "I got the card last month at the main library.",
    ),
    Question(
        (PUBLIC, ACADEMIC),
        QT.POLICY_HOURS,
        (1, 1),
        "Are you open on Veterans Day?",
        "Yes, all locations are open regular hours on Veterans Day. We close "
        "for Thanksgiving (Thursday and Friday).",
    ),
    Question(
        (PUBLIC,),
        QT.E_RESOURCES,
        (2, 3),
        "How do I get library e-books onto my Kindle?",
        "In Libby, borrow the book, then choose Read With… Kindle; Amazon "
        "opens and you tap Get Library Book. Make sure you are signed in to "
        "the Amazon account your Kindle uses.",
        "It's a Paperwhite.",
    ),
    Question(
        (PUBLIC,),
        QT.DIRECTIONAL,
        (1, 2),
        "Can I get a passport photo and apply for a passport at the library?",
        "The main library is a passport acceptance facility by appointment "
        "(book on the website); photos are taken there for $15. Bring the "
        "DS-11 form, your birth certificate and ID.",
    ),
    Question(
        (PUBLIC,),
        QT.OTHER,
        (1, 2),
        "Can I reserve a study room for Saturday afternoon?",
        "Yes: book it online under Services > Study rooms, up to two hours a "
        "day. Saturday 1–3 p.m. is still free in room B.",
    ),
    Question(
        (PUBLIC,),
        QT.RESEARCH,
        (3, 4),
        "I'm tracing my grandfather's family from Cuba. Which genealogy "
        "resources do you have?",
        "Ancestry Library Edition (free on library computers) and FamilySearch "
        "have Cuban civil and church records; the Florida Memory site has "
        "naturalization papers. The genealogy room on the 3rd floor has a "
        "volunteer on Tuesdays who knows Cuban records well.",
        "He came to Tampa around 1920.",
    ),
    Question(
        (PUBLIC,),
        QT.KNOWN_ITEM,
        (2, 3),
        "Do you have books on starting a food truck business in Florida?",
        "We have four, the newest is Running a Food Truck For Dummies (2023), "
        "and the Small Business Resource Center database has Florida licensing "
        "guides. The county's business librarian also meets people by "
        "appointment.",
    ),
    Question(
        (PUBLIC,),
        QT.E_RESOURCES,
        (2, 2),
        "How do I get free access to the New York Times?",
        "Create a free pass through the link on our eResources page with your "
        "library card; it lasts 72 hours and you can renew it as often as you "
        "like.",
    ),
    Question(
        (PUBLIC,),
        QT.POLICY_HOURS,
        (1, 2),
        "I just moved here. How do I get a library card?",
        "Sign up online and pick the card up at any branch with a photo ID "
        "and proof of your address (a lease or a utility bill). You can use "
        "e-books right away with the temporary number.",
    ),
    Question(
        (PUBLIC,),
        QT.RESEARCH,
        (2, 3),
        "I need help with my resume and finding job training programs.",
        "CareerSource has free training grants; the library's job lab (room "
        "104) has resume help on Mondays and Wednesdays, and LinkedIn Learning "
        "is free with your card.",
    ),
    Question(
        (SCHOOL,),
        QT.RESEARCH,
        (3, 3),
        "I need three primary sources about the Seminole Wars for history class.",
        "Florida Memory has letters and army reports from the Second Seminole "
        "War; search Seminole War and filter to Documents. The Library of "
        "Congress has maps of the period. The citation button on each page "
        "gives you the MLA citation.",
        "It's due Friday.",
    ),
    Question(
        (SCHOOL,),
        QT.KNOWN_ITEM,
        (1, 2),
        "Do you have the next Wings of Fire book?",
        "Yes, book 15 came in this week: one copy is on the new books shelf "
        "and one is on hold for you now. Pick it up at the media center desk.",
    ),
    Question(
        (SCHOOL,),
        QT.E_RESOURCES,
        (2, 2),
        "How do I log in to the school's e-book app?",
        "Open Sora, choose our school, and sign in with your student number "
        "and the same password you use for the school computers.",
    ),
    Question(
        (SCHOOL,),
        QT.POLICY_HOURS,
        (1, 1),
        "Is the media center open before school starts?",
        "Yes, from 7:30 every school day; bring your student ID.",
    ),
    Question(
        (SCHOOL, ACADEMIC),
        QT.RESEARCH,
        (2, 3),
        "How do I cite a website in MLA?",
        "Author. “Title of the Page.” Website Name, date published, URL. If "
        "there is no author, start with the title. The citation button in our "
        "databases does this for you.",
    ),
    Question(
        (SPECIAL, PUBLIC),
        QT.RESEARCH,
        (3, 4),
        "Where can I find Florida eviction forms and the law on notice periods?",
        "The notice periods are in chapter 83, part II of the Florida "
        "Statutes (the Residential Landlord and Tenant Act), section 83.56; "
        "the Florida Courts website has the approved landlord-tenant forms. "
        "We can help you find legal information but cannot give legal advice.",
        "I'm the tenant, not the landlord.",
    ),
    Question(
        (SPECIAL,),
        QT.KNOWN_ITEM,
        (2, 2),
        "Do you have Florida Jurisprudence 2d in print?",
        "Yes, the full set is on the 2nd floor (KFF 81 .F55), and it's on "
        "Westlaw on our public terminals too.",
    ),
    Question(
        (SPECIAL,),
        QT.DIRECTIONAL,
        (1, 1),
        "Can the public use the law library?",
        "Yes, anyone can use the collection and the public Westlaw terminals "
        "during opening hours; bring a photo ID to sign in.",
    ),
    Question(
        (SPECIAL,),
        QT.RESEARCH,
        (2, 3),
        "How do I look up a case from its citation, 123 So. 3d 456?",
        "That is volume 123 of the Southern Reporter, Third Series, page 456. "
        "On Westlaw type the citation into the search box; in print, the "
        "reporters are on the 1st floor in volume order.",
    ),
    Question(
        ALL,
        QT.POLICY_HOURS,
        (1, 1),
        "What are your hours this weekend?",
        "The hours page lists every day, with holiday closings. If you can't "
        "come in, you can always ask us here.",
    ),
    Question(
        ALL,
        QT.OTHER,
        (1, 1),
        "Is there free Wi-Fi in the library?",
        "Yes: join the library network, accept the terms and you are on; no "
        "password needed.",
    ),
    Question(
        (PUBLIC, ACADEMIC),
        QT.DIRECTIONAL,
        (1, 1),
        "Can I return a book I borrowed from another library here?",
        "Yes, books from any library in the consortium can go in our return "
        "slot; we send them back by courier, and they come off your card in a "
        "day or two.",
    ),
]

FOLLOWUP_TYPES = (QT.RESEARCH, QT.KNOWN_ITEM, QT.E_RESOURCES, QT.ACCOUNT_LOGIN)


@dataclass(frozen=True)
class EmailQuestion:
    kinds: tuple[str, ...]
    subject: str
    body: str
    reply: str


EMAIL_QUESTIONS = [
    EmailQuestion(
        (ACADEMIC,),
        "Thesis binding",
        "Hello, does the library still bind theses? I need two hardcover "
        "copies of my master's thesis by the end of the month.",
        "We no longer bind theses in-house, but the campus print shop does "
        "hardcover binding in about five working days ($28 a copy). Submit "
        "the PDF on their website and pick the copies up at the bookstore.",
    ),
    EmailQuestion(
        (ACADEMIC,),
        "Alumni access to databases",
        "I graduated in May. Can I still use the library databases for my job search?",
        "Alumni keep access to JSTOR's alumni collection and Business Source "
        "Complete; register for an alumni account on the library website. "
        "You are also welcome to use all databases on campus computers.",
    ),
    EmailQuestion(
        (PUBLIC,),
        "Donating books",
        "We are clearing out my mother's house and have about ten boxes of "
        "books. Do you accept donations?",
        "The Friends of the Library accept donations at the main library's "
        "loading dock on Tuesdays and Saturdays, 10 a.m. to 2 p.m. They can't "
        "take encyclopedias, textbooks older than five years or damp books.",
    ),
    EmailQuestion(
        (PUBLIC,),
        "Lost book",
        "I think I lost a library book (The Women by Kristin Hannah). What do I do?",
        "If it doesn't turn up, you can pay the replacement cost ($29) at any "
        "branch or online; if you find it within six months, bring it back "
        "and we refund you. I renewed it for now so it isn't overdue.",
    ),
    EmailQuestion(
        (PUBLIC,),
        "Exam proctoring",
        "Can the library proctor an online exam for my nursing course?",
        "Yes: the main library proctors exams on Tuesdays and Thursdays by "
        "appointment. Ask your instructor to email the exam details to the "
        "adult services desk, then book a time on our website.",
    ),
    EmailQuestion(
        (SCHOOL,),
        "Overdue notice",
        "My son got an overdue notice for a book he says he returned. Could "
        "you check the shelves?",
        "We found it: it was shelved without being checked in. The notice is "
        "cleared and nothing is owed. Sorry for the worry!",
    ),
    EmailQuestion(
        (SPECIAL,),
        "Copy of an old Florida statute",
        "I need the text of section 718.112 as it read in 2012. Where can I find it?",
        "We have the 2012 Florida Statutes in print and can scan the section "
        "for you (free up to 20 pages); historical versions are also on "
        "Westlaw at our public terminals. I attached the scan's link to this "
        "reply.",
    ),
    EmailQuestion(
        ALL,
        "Meeting room",
        "Is there a room I could book for a book club of eight people, one "
        "evening a month?",
        "Yes, the small meeting room seats twelve and is free for non-profit "
        "groups. Book up to three months ahead on the website; evenings end "
        "30 minutes before closing.",
    ),
    EmailQuestion(
        ALL,
        "Volunteering",
        "Hello, I'm retired and would like to volunteer at the library a few "
        "hours a week. Who do I contact?",
        "Thank you for offering! Fill in the volunteer form on our website; "
        "our volunteer coordinator will call you about shelving, the book "
        "sale and homework help.",
    ),
]

FIRST_NAMES = [
    "Aisha", "Brian", "Camila", "Darnell", "Emily", "Fatima", "Gabriel",
    "Hannah", "Isaac", "Jada", "Kevin", "Lucia", "Marcus", "Nadia", "Owen",
    "Priya", "Quinn", "Rosa", "Sean", "Tamika", "Victor", "Wendy", "Xavier",
    "Yasmin", "Zach", "Maya", "Diego", "Grace", "Tyrone", "Mei",
]  # fmt: skip
LAST_NAMES = [
    "Rahman", "Kowalski", "Torres", "Jackson", "Nguyen", "Ali", "Santos",
    "Weiss", "Moreno", "Williams", "Murphy", "Herrera", "Green", "Petrova",
    "Desai", "Baker", "Delgado", "Kim", "Brown", "Alvarez", "Cho", "Dupont",
    "Haddad", "Miller", "Lee", "Fernandez", "Owens", "Patel", "Rossi", "Young",
]  # fmt: skip
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/129.0 Safari/537.36",
]
PAGES = ["", "ask/", "research/", "hours/", "catalog/", "eresources/"]
GREETINGS = [
    "Hi{name}! This is {first}. Let me take a look at that for you.",
    "Hello{name}, thanks for your question. I'm checking now.",
    "Hi{name}, {first} here. Give me a minute to look into this.",
]
COOP_GREETING = (
    "Hi{name}, I'm {first}, a librarian at {own}, answering for {library} "
    "through Ask a Librarian. Let me look into this."
)
THANKS = [
    "Thank you so much!",
    "Perfect, thanks!",
    "That's exactly what I needed.",
    "Great, thanks for your help.",
    "Thanks, that helps a lot.",
]
GOODBYES = [
    "Glad I could help! If anything else comes up, just start a new chat.",
    "You're welcome. Have a great day!",
    "Happy to help. Good luck!",
    "Any time! Thanks for using Ask a Librarian.",
]
NOT_THERE = (
    "Are you still there? I'll close this chat in a minute; start a new one any time."
)
FOLLOWUP_ME = (
    "This needs more digging than I can do in chat. I'll email you at {email} by {day}."
)
FOLLOWUP_LIBRARY = (
    "{library}'s staff know their collection best: I'm passing your question "
    "to them and they will email you at {email} by {day}."
)
EMAIL_OK = "Email is fine, thank you."
FOLLOWUP_REPLY = "Following up on your chat question: {answer}"

# --- Texts, ratings ------------------------------------------------------------------

TEXTS_PER_DAY = 0.12  # times the weight, to a library with an SMS number


@dataclass(frozen=True)
class Text:
    question_type: str
    read: tuple[int, int]
    question: str
    answer: str


TEXTS = [
    Text(
        QT.POLICY_HOURS, (1, 1), "r u open sunday?", "Yes, Sunday 1-6 pm. See you then!"
    ),
    Text(
        QT.ACCOUNT_LOGIN,
        (2, 2),
        "how do i renew my books",
        "Sign in at the catalog, My Account > Checkouts > Renew all. Or reply with your card number's last 4 digits and we'll do it.",
    ),
    Text(
        QT.KNOWN_ITEM,
        (2, 2),
        "Do you have The Women by Kristin Hannah? Paper or ebook",
        "Both: 3 print copies (all out, 5 holds) and the ebook on Libby (wait about 3 weeks). Want me to place a hold?",
    ),
    Text(
        QT.POLICY_HOURS,
        (1, 2),
        "can i print from my phone at the library",
        "Yes: email the file to the address on the printer, then release it at the desk. 10 cents a page, b/w.",
    ),
    Text(
        QT.RESEARCH,
        (3, 3),
        "need 3 sources on food deserts for a paper due fri",
        "Try the Gale in Context: Opposing Viewpoints database (Databases A-Z), search food deserts. Also USDA's Food Access Research Atlas.",
    ),
    Text(
        QT.E_RESOURCES,
        (2, 3),
        "Libby says my card is not valid",
        "Cards over 3 years old need renewing first: bring an ID to any branch, or call us and we'll renew it on the phone.",
    ),
    Text(
        QT.POLICY_HOURS,
        (1, 1),
        "¿Están abiertos hoy?",
        "Sí, hoy de 10 a 8. ¡Los esperamos!",
    ),
]
RATING_SCORES = ([5, 4, 3, 2, 1], [55, 25, 10, 6, 4])
RATING_SHARE = 0.4  # of the answered chats
RATING_COMMENTS = [
    "So helpful, thank you!",
    "Fast and friendly.",
    "Found exactly what I needed.",
    "The librarian was patient with me.",
    "A bit slow to get started, but good answer.",
    "I was hoping for more sources.",
    "¡Muy amable, gracias!",
]


# --- Hours -------------------------------------------------------------------------


def _closed_intervals(intervals, start, end) -> list[tuple[int, int]]:
    """The minutes of [start, end) outside `intervals`."""
    gaps, at = [], start
    for opens, closes in sorted(intervals):
        if opens > at:
            gaps.append((at, min(opens, end)))
        at = max(at, closes)
    if at < end:
        gaps.append((at, end))
    return [(a, b) for a, b in gaps if b - a >= 30]


def _minute_in(rng, intervals) -> int:
    """A minute inside one of `intervals`, the longer ones likelier, not in
    the last ten minutes of one."""
    spans = [(a, max(a + 1, b - 10)) for a, b in intervals]
    total = sum(b - a for a, b in spans)
    pick = rng.uniform(0, total)
    for a, b in spans:
        if pick <= b - a:
            return int(a + pick)
        pick -= b - a
    return spans[-1][0]


def _poisson(rng, mean: float) -> int:
    """Knuth's method: fine for the small means used here."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# --- The generator -----------------------------------------------------------------


@dataclass
class Planned:
    """One conversation to write, its messages and maybe its ticket."""

    conversation: Conversation
    messages: list[dict] = field(default_factory=list)
    ticket: dict | None = None
    rating: dict | None = None

    def say(self, sender, body, at, author=None, **extra):
        self.messages.append(
            dict(sender=sender, body=body, at=at, author=author, **extra)
        )


class History:
    def __init__(self, *, now, days, rng, extra_rng=None):
        self.now, self.days, self.rng = now, days, rng
        # Texts, ratings and the year-old chats: a stream of their own.
        self.extra = extra_rng or random.Random(0)
        local = list(Queue.objects.local().active().order_by("code"))
        self.calendar = consortium_selectors.HoursCalendar(
            local,
            (now - timedelta(days=days + 2)).date(),
            (now + timedelta(days=2)).date(),
        )
        self.config = ConsortiumSettings.load()
        self.libraries = list(
            Library.objects.active().prefetch_related("coops").order_by("code")
        )
        self.queues = {}
        for queue in local:
            self.queues.setdefault(queue.library_id, queue)
        self.staff: dict[int, list[Staff]] = {}
        chat_staff = Staff.objects.filter(
            is_active=True,
            library__isnull=False,
            role__in=[Staff.Role.LIBRARIAN, Staff.Role.COORDINATOR],
        ).order_by("username")
        for person in chat_staff:
            self.staff.setdefault(person.library_id, []).append(person)
        self.by_id = {library.pk: library for library in self.libraries}
        self.coops = {
            library.pk: {q.code for q in library.coops.all()}
            for library in self.libraries
        }
        self.planned: list[Planned] = []

    # Who answers

    def own_librarian(self, library) -> Staff:
        people = self.staff[library.pk]
        # Librarians chat more than their coordinator.
        weights = [1 if p.role == Staff.Role.COORDINATOR else 3 for p in people]
        return self.rng.choices(people, weights)[0]

    def coop_librarian(self, library) -> Staff | None:
        """A librarian of another library sharing a co-op queue; those of a
        narrower co-op (academic with academic) likelier."""
        mine = self.coops[library.pk]
        people, weights = [], []
        for other in self.libraries:
            shared = mine & self.coops[other.pk]
            if other.pk == library.pk or not shared or other.pk not in self.staff:
                continue
            for person in self.staff[other.pk]:
                people.append(person)
                weights.append(3 if shared - {"coop-statewide"} else 1)
        return self.rng.choices(people, weights)[0] if people else None

    # Patrons

    def patron(self, library, *, email_needed=False):
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        gives_name = email_needed or rng.random() < 0.45
        email = ""
        if email_needed or rng.random() < 0.2:
            domain = rng.choice(["example.net", "example.org"])
            email = f"{first}.{last}{rng.randint(10, 99)}@{domain}".lower()
        kind = library.library_type
        if kind == ACADEMIC:
            status = rng.choices(
                [PS.UNDERGRADUATE, PS.GRADUATE, PS.FACULTY_STAFF, PS.PUBLIC],
                [60, 20, 10, 10],
            )[0]
        elif kind == SCHOOL:
            status = (
                PS.MIDDLE_SCHOOL if "middle" in library.name.lower() else PS.HIGH_SCHOOL
            )
        elif kind == PUBLIC:
            status = rng.choices(
                [PS.PUBLIC, PS.HIGH_SCHOOL, PS.UNDERGRADUATE], [80, 15, 5]
            )[0]
        else:
            status = rng.choices([PS.PUBLIC, PS.FACULTY_STAFF], [85, 15])[0]
        return dict(
            patron_name=f"{first} {last}" if gives_name else "",
            patron_email=email,
            patron_status=status,
            resident=rng.random() < 0.88,
            referrer_url=library.website + rng.choice(PAGES),
            user_agent=rng.choice(USER_AGENTS),
        )

    def question(self, library, *, types=None) -> Question:
        fitting = [
            q
            for q in QUESTIONS
            if library.library_type in q.kinds
            and (types is None or q.question_type in types)
        ]
        return self.rng.choice(fitting or QUESTIONS)

    # Days

    def answering_libraries(self):
        """(library, its local queue, weight, zone, today there) of each
        library with a local queue and chat staff."""
        for library in self.libraries:
            queue = self.queues.get(library.pk)
            if queue is None or library.pk not in self.staff:
                continue
            zone = library.zone
            today = self.now.astimezone(zone).date()
            yield library, queue, WEIGHTS.get(library.code, 1.0), zone, today

    def run(self) -> list[Planned]:
        rng = self.rng
        for library, queue, weight, zone, today in self.answering_libraries():
            for back in range(self.days, 0, -1):
                day = today - timedelta(days=back)
                if self.calendar.holiday(day):
                    continue
                intervals = self.calendar.open_intervals(queue, day)
                open_hours = sum(b - a for a, b in intervals) / 60
                for _ in range(
                    _poisson(rng, weight * CHATS_PER_OPEN_HOUR * open_hours)
                ):
                    at = self.instant(day, _minute_in(rng, intervals), zone)
                    self.chat(library, queue, at, after_hours=False)
                closed = _closed_intervals(intervals, *AFTER_HOURS)
                if closed and self.coops[library.pk]:
                    for _ in range(_poisson(rng, weight * AFTER_HOURS_CHATS)):
                        at = self.instant(day, _minute_in(rng, closed), zone)
                        self.chat(library, queue, at, after_hours=True)
                emails = weight * EMAILS_PER_DAY * (0.5 if day.weekday() >= 5 else 1)
                for _ in range(_poisson(rng, emails)):
                    minute = rng.randint(7 * 60, 23 * 60)
                    self.email(library, queue, self.instant(day, minute, zone))
        self.extras()
        return self.planned

    def extras(self) -> None:
        """Texts, ratings and the year-old chats, from `self.extra` (the
        chats and emails above drew nothing from it)."""
        main, self.rng = self.rng, self.extra
        try:
            for plan in self.planned:
                self.rating(plan)
            for library, queue, weight, zone, today in self.answering_libraries():
                if library.sms_number:
                    for back in range(self.days, 0, -1):
                        day = today - timedelta(days=back)
                        for _ in range(_poisson(self.rng, weight * TEXTS_PER_DAY)):
                            minute = self.rng.randint(8 * 60, 22 * 60)
                            self.text(library, queue, self.instant(day, minute, zone))
                for back in OLD_DAYS:
                    day = today - timedelta(days=back)
                    if day.weekday() >= 5:
                        continue
                    for _ in range(_poisson(self.rng, weight * OLD_CHATS_PER_DAY)):
                        minute = self.rng.randint(10 * 60, 17 * 60)
                        plan = self.chat(
                            library,
                            queue,
                            self.instant(day, minute, zone),
                            after_hours=False,
                        )
                        self.rating(plan)
        finally:
            self.rng = main

    def rating(self, plan) -> None:
        """Some patrons answer "How did we do?" when an answered chat ends."""
        conversation = plan.conversation
        answered = (
            conversation.channel == C.Channel.CHAT
            and conversation.status == C.Status.ENDED
            and conversation.resolution != R.LOST_CALL
        )
        if not answered or self.rng.random() >= RATING_SHARE:
            return
        score = self.rng.choices(*RATING_SCORES)[0]
        comment = self.rng.choice(RATING_COMMENTS) if self.rng.random() < 0.3 else ""
        plan.rating = dict(
            score=score,
            comment=comment,
            created_at=conversation.ended_at
            + timedelta(seconds=self.rng.randint(5, 60)),
        )

    def instant(self, day, minute, zone) -> datetime:
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
        return local.astimezone(UTC) + timedelta(seconds=self.rng.randint(0, 59))

    # One live chat

    def chat(self, library, queue, requested, *, after_hours):
        rng = self.rng
        roll = rng.random()
        outcome = (
            "missed"
            if roll < (0.1 if after_hours else 0.07)
            else "lost"
            if roll < 0.11
            else "followup"
            if roll < 0.18
            else "answered"
        )
        question = self.question(
            library, types=FOLLOWUP_TYPES if outcome == "followup" else None
        )
        patron = self.patron(library, email_needed=outcome == "followup")
        if outcome == "lost":
            patron["patron_email"] = ""  # Lost Call is refused with an email
        delay = timedelta(seconds=library.fallback_delay_seconds)
        conversation = Conversation(
            channel=C.Channel.CHAT,
            library=library,
            queue=queue,
            question=question.question,
            requested_at=requested,
            waiting_since=requested,
            last_patron_at=requested,
            coop_at=requested if after_hours else requested + delay,
            **patron,
        )
        plan = Planned(conversation)
        plan.say(Sender.PATRON, question.question, requested)
        if outcome == "missed":
            left = requested + timedelta(seconds=rng.randint(60, 360))
            conversation.status = C.Status.MISSED
            conversation.ended_at = left
            conversation.patron_last_seen = left - timedelta(seconds=20)
            plan.say(Sender.SYSTEM, system_text("left_before_pickup", "en"), left)
            self.planned.append(plan)
            return plan
        wait = self.wait()
        accepted = requested + timedelta(seconds=wait)
        coop = after_hours or (wait > delay.total_seconds() and rng.random() < 0.35)
        librarian = (coop and self.coop_librarian(library)) or self.own_librarian(
            library
        )
        minutes = rng.uniform(2, 5) if outcome == "lost" else rng.triangular(3, 20, 8)
        ended = accepted + timedelta(minutes=minutes)
        conversation.status = C.Status.ENDED
        conversation.librarian = librarian
        conversation.accepted_at = accepted
        conversation.accepted_seq = 1
        conversation.ended_at = ended
        plan.say(
            Sender.SYSTEM,
            system_text("joined", "en", name=librarian.chat_name),
            accepted,
        )
        name = " " + patron["patron_name"].split()[0] if patron["patron_name"] else ""
        if librarian.library_id != library.pk:
            greeting = COOP_GREETING.format(
                name=name,
                first=librarian.first_name,
                own=self.by_id[librarian.library_id].name,
                library=library.name,
            )
        else:
            greeting = rng.choice(GREETINGS).format(
                name=name, first=librarian.first_name
            )
        greeted = accepted + timedelta(seconds=rng.randint(8, 30))
        plan.say(Sender.LIBRARIAN, greeting, greeted, librarian)
        if outcome == "lost":
            plan.say(
                Sender.LIBRARIAN, NOT_THERE, ended - timedelta(seconds=40), librarian
            )
            patron_ended = False
        else:
            lines = []
            if question.clarify and rng.random() < 0.6:
                lines.append((Sender.PATRON, question.clarify))
            ticket = None
            if outcome == "followup":
                ticket = self.followup(plan, library, librarian, question, ended)
                text = (
                    FOLLOWUP_ME
                    if ticket["source"] == R.FOLLOWUP_ME
                    else FOLLOWUP_LIBRARY
                )
                lines.append(
                    (
                        Sender.LIBRARIAN,
                        text.format(
                            email=patron["patron_email"],
                            day=ticket["due_day"].strftime("%A"),
                            library=library.name,
                        ),
                    )
                )
                lines.append((Sender.PATRON, EMAIL_OK))
            else:
                lines.append((Sender.LIBRARIAN, question.answer))
                if rng.random() < 0.75:
                    lines.append((Sender.PATRON, rng.choice(THANKS)))
            lines.append((Sender.LIBRARIAN, rng.choice(GOODBYES)))
            for at, (sender, body) in zip(
                self.spread(greeted, ended, len(lines)), lines, strict=True
            ):
                plan.say(
                    sender, body, at, librarian if sender == Sender.LIBRARIAN else None
                )
            patron_ended = rng.random() < 0.4
        plan.say(
            Sender.SYSTEM,
            system_text("patron_ended", "en")
            if patron_ended
            else system_text("librarian_ended", "en", name=librarian.chat_name),
            ended,
        )
        conversation.wrapped_up_at = ended + timedelta(seconds=rng.randint(15, 150))
        conversation.resolution = {
            "lost": R.LOST_CALL,
            "answered": R.ANSWERED,
            "followup": plan.ticket["source"] if plan.ticket else R.ANSWERED,
        }[outcome]
        conversation.question_type = question.question_type
        conversation.read_scale = (
            1 if outcome == "lost" else rng.randint(*question.read)
        )
        if plan.ticket:
            self.ticket_thread(plan)
        self.planned.append(plan)
        return plan

    # One text thread

    def text(self, library, queue, requested) -> None:
        """A text answered by the library's own librarian by text: most
        within the first hours, some after the 12-hour deadline (a text
        that came late in the evening waits for the morning)."""
        rng = self.rng
        item = rng.choice(TEXTS)
        area = library.sms_number[2:5]
        phone = f"+1{area}55501{rng.randint(0, 99):02d}"
        hours = rng.choices(
            [
                rng.uniform(0.05, 1),
                rng.uniform(1, 6),
                rng.uniform(6, 12),
                rng.uniform(12.5, 18),
            ],
            [45, 30, 15, 10],
        )[0]
        accepted = requested + timedelta(hours=hours)
        latest = self.now - timedelta(minutes=30)
        if accepted + timedelta(minutes=30) > latest:
            return
        librarian = self.own_librarian(library)
        ended = accepted + timedelta(minutes=rng.uniform(5, 90))
        conversation = Conversation(
            channel=C.Channel.SMS,
            status=C.Status.ENDED,
            library=library,
            queue=queue,
            question=item.question,
            patron_phone=phone,
            patron_status=PS.PUBLIC,
            resident=rng.random() < 0.9,
            requested_at=requested,
            waiting_since=requested,
            last_patron_at=requested,
            patron_last_seen=requested,
            librarian=librarian,
            accepted_at=accepted,
            accepted_seq=1,
            ended_at=ended,
            wrapped_up_at=ended + timedelta(seconds=rng.randint(15, 150)),
            resolution=R.ANSWERED,
            question_type=item.question_type,
            read_scale=rng.randint(*item.read),
            lang="es" if "¿" in item.question else "en",
        )
        plan = Planned(conversation)
        plan.say(Sender.PATRON, item.question, requested, sms="in")
        plan.say(
            Sender.SYSTEM,
            system_text("joined", "en", name=librarian.chat_name),
            accepted,
        )
        answered = accepted + timedelta(seconds=rng.randint(20, 120))
        plan.say(Sender.LIBRARIAN, item.answer, answered, librarian, sms="out")
        if rng.random() < 0.6:
            thanks = "gracias!" if conversation.lang == "es" else "thx!"
            plan.say(Sender.PATRON, thanks, answered + timedelta(minutes=2), sms="in")
        plan.say(
            Sender.SYSTEM,
            system_text("librarian_ended", "en", name=librarian.chat_name),
            ended,
        )
        self.planned.append(plan)

    def wait(self) -> int:
        """Seconds before pickup: mostly under a minute, a few minutes at worst."""
        rng = self.rng
        band = rng.choices([(4, 15), (15, 60), (60, 150), (150, 400)], [35, 35, 20, 10])
        return rng.randint(*band[0])

    def spread(self, after, before, count) -> list[datetime]:
        """`count` increasing instants between `after` and `before`."""
        span = (before - after).total_seconds()
        points = sorted(self.rng.uniform(0.15, 0.95) for _ in range(count))
        return [after + timedelta(seconds=span * p) for p in points]

    def followup(self, plan, library, librarian, question, ended) -> dict:
        """A follow-up code: by the librarian (their library's inbox, claimed
        by them) or by the patron's library; answered by email and closed."""
        rng = self.rng
        mine = librarian.library_id == library.pk and rng.random() < 0.7
        due_day = (
            ended.astimezone(library.zone) + timedelta(days=rng.randint(1, 3))
        ).date()
        due_at = datetime.combine(due_day, time(23, 59), tzinfo=library.zone)
        plan.ticket = dict(
            source=R.FOLLOWUP_ME if mine else R.FOLLOWUP_LIBRARY,
            library=self.by_id[librarian.library_id] if mine else library,
            assignee=librarian if mine else self.own_librarian(library),
            email=plan.conversation.patron_email,
            subject="",
            due_at=due_at,
            due_day=due_day,
            reply=FOLLOWUP_REPLY.format(answer=question.answer),
        )
        return plan.ticket

    # One email question

    def email(self, library, queue, requested):
        rng = self.rng
        fitting = [q for q in EMAIL_QUESTIONS if library.library_type in q.kinds]
        item = rng.choice(fitting or EMAIL_QUESTIONS)
        patron = self.patron(library, email_needed=True)
        by_email = rng.random() < 0.5
        question = f"{item.subject}\n\n{item.body}" if by_email else item.body
        conversation = Conversation(
            channel=C.Channel.EMAIL,
            status=C.Status.TICKET,
            library=library,
            queue=queue,
            question=question,
            requested_at=requested,
            waiting_since=requested,
            last_patron_at=requested,
            patron_last_seen=requested,
            **patron,
        )
        if by_email:
            conversation.referrer_url = conversation.user_agent = ""
        plan = Planned(conversation)
        extra = {}
        if by_email:
            extra = dict(
                email_message_id=f"{secrets.token_hex(8)}@mail.{patron['patron_email'].split('@')[1]}",
                full_text=item.body,
            )
        plan.say(Sender.PATRON, item.body, requested, **extra)
        hours = queue.first_response_hours or self.config.ticket_first_response_hours
        plan.ticket = dict(
            source=Ticket.Source.EMAIL if by_email else Ticket.Source.OFFLINE_FORM,
            library=library,
            assignee=self.own_librarian(library),
            email=patron["patron_email"],
            subject=item.subject if by_email else "",
            due_at=requested + timedelta(hours=hours),
            reply=item.reply,
        )
        self.ticket_thread(plan)
        self.planned.append(plan)

    def ticket_thread(self, plan):
        """The emailed answer and the closing: by the librarian right after
        answering, or by the silence rule when the patron did not write back.
        Everything before `now`."""
        rng = self.rng
        ticket, conversation = plan.ticket, plan.conversation
        opened = conversation.wrapped_up_at or conversation.requested_at
        latest = self.now - timedelta(minutes=30)
        room = max(60.0, (latest - opened).total_seconds())
        answer_after = min(rng.uniform(0.5, 30) * 3600, room * rng.uniform(0.3, 0.8))
        answered = opened + timedelta(seconds=answer_after)
        librarian = ticket["assignee"]
        plan.say(
            Sender.LIBRARIAN,
            ticket["reply"],
            answered,
            librarian,
            reply=True,
            email_sent_at=answered + timedelta(seconds=rng.randint(2, 20)),
        )
        silence = timedelta(hours=self.config.ticket_autoclose_hours)
        if answered + silence < latest and rng.random() < 0.6:
            closed = answered + silence + timedelta(minutes=rng.randint(0, 2))
            hours = self.config.ticket_autoclose_hours
            note = f"Closed: no answer from the patron in {hours} hours."
        else:
            closed = answered + timedelta(seconds=rng.randint(20, 300))
            note = f"Closed by {librarian.chat_name}."
        plan.say(Sender.NOTE, note, closed)
        ticket.update(
            created_at=opened,
            first_response_at=answered,
            waiting_since=answered,
            closed_at=closed,
        )
        conversation.last_librarian_at = answered


def _write(planned: list[Planned]) -> None:
    conversations = [plan.conversation for plan in planned]
    for plan in planned:
        conversation = plan.conversation
        conversation.last_seq = len(plan.messages)
        for item in plan.messages:
            if item["sender"] == Sender.PATRON:
                conversation.last_patron_at = item["at"]
            elif item["sender"] == Sender.LIBRARIAN:
                conversation.last_librarian_at = item["at"]
        if conversation.channel == C.Channel.CHAT and conversation.ended_at:
            conversation.patron_last_seen = conversation.patron_last_seen or (
                conversation.ended_at
            )
    _bulk_create(Conversation, conversations, key="transcript_token")
    tickets = []
    for plan in planned:
        if plan.ticket is None:
            continue
        data = plan.ticket
        tickets.append(
            Ticket(
                conversation=plan.conversation,
                library=data["library"],
                assignee=data["assignee"],
                source=data["source"],
                status=Ticket.Status.CLOSED,
                email=data["email"],
                subject=data["subject"],
                due_at=data["due_at"],
                first_response_at=data["first_response_at"],
                waiting_since=data["waiting_since"],
                closed_at=data["closed_at"],
                created_at=data["created_at"],
            )
        )
    _bulk_create(Ticket, tickets, key="reply_token")
    ticket_ids = {t.conversation_id: t.pk for t in tickets}
    domain = reply_domain()
    messages = []
    for plan in planned:
        conversation = plan.conversation
        for seq, item in enumerate(plan.messages, start=1):
            email_id = item.get("email_message_id", "")
            if item.get("reply"):
                ticket_id = ticket_ids[conversation.pk]
                email_id = f"ticket-{ticket_id}.{secrets.token_hex(8)}@{domain}"
            messages.append(
                Message(
                    conversation=conversation,
                    seq=seq,
                    sender=item["sender"],
                    author=item["author"],
                    body=item["body"],
                    created_at=item["at"],
                    email_message_id=email_id,
                    full_text=item.get("full_text", ""),
                    email_sent_at=item.get("email_sent_at"),
                )
            )
    Message.objects.bulk_create(messages, batch_size=1000)
    _write_texts_and_ratings(planned)


def _write_texts_and_ratings(planned: list[Planned]) -> None:
    """The SMS rows of the texts' messages (delivered, with made-up
    provider ids) and the patrons' ratings."""
    texts = {
        (plan.conversation.pk, seq): item["sms"]
        for plan in planned
        for seq, item in enumerate(plan.messages, start=1)
        if item.get("sms")
    }
    sms_rows = []
    if texts:
        ids = {conversation_id for conversation_id, _seq in texts}
        stored = Message.objects.filter(conversation_id__in=ids).values_list(
            "conversation_id", "seq", "pk", "created_at"
        )
        for conversation_id, seq, pk, created_at in stored:
            direction = texts.get((conversation_id, seq))
            if direction is None:
                continue
            inbound = direction == "in"
            sms_rows.append(
                SmsMessage(
                    message_id=pk,
                    direction=SmsMessage.Direction.INBOUND
                    if inbound
                    else SmsMessage.Direction.OUTBOUND,
                    sid=("SM" if inbound else "SMd") + secrets.token_hex(15),
                    status=SmsMessage.Status.RECEIVED
                    if inbound
                    else SmsMessage.Status.DELIVERED,
                    sent_at=None if inbound else created_at,
                    status_at=created_at
                    if inbound
                    else created_at + timedelta(seconds=4),
                )
            )
    SmsMessage.objects.bulk_create(sms_rows, batch_size=1000)
    PatronRating.objects.bulk_create(
        [
            PatronRating(conversation=plan.conversation, **plan.rating)
            for plan in planned
            if plan.rating
        ],
        batch_size=1000,
    )


def has_history(now: datetime | None = None) -> bool:
    """Whether conversations already exist from before yesterday's end (a
    history seeded before, or real use): then none are added."""
    now = now or timezone.now()
    return Conversation.objects.filter(
        requested_at__lt=now - timedelta(days=1)
    ).exists()


@transaction.atomic
def seed_history(
    *, now: datetime | None = None, days: int = DAYS, seed: int = SEED
) -> int:
    """Create `days` days of past conversations (up to yesterday, in each
    library's zone) when there are none yet; returns how many were created.
    The same `seed`, day and demo consortium give the same history."""
    now = now or timezone.now()
    if has_history(now):
        return 0
    planned = History(
        now=now, days=days, rng=random.Random(seed), extra_rng=random.Random(seed + 1)
    ).run()
    _write(planned)
    return len(planned)


def _bulk_create(model, rows, *, key: str, batch: int = 500) -> None:
    """`bulk_create` with every row's primary key set afterwards, also on
    databases that do not return them (SQLite before 3.35): read back by the
    unique `key`."""
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        model.objects.bulk_create(chunk)
        if chunk and chunk[0].pk is None:
            keys = [getattr(row, key) for row in chunk]
            pks = dict(
                model.objects.filter(**{f"{key}__in": keys}).values_list(key, "pk")
            )
            for row in chunk:
                row.pk = pks[getattr(row, key)]
