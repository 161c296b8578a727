"""`make bench-lists`: every list at the size of a statewide service after a
few years (issue 15), on PostgreSQL.

Seeds, into its own database (`asktogether_bench_lists` by default: created
if missing and migrated; never the development or test database), the demo
consortium (`seed_demo`) plus 51 more member libraries with a local queue,
posted hours and 15 staff each, then in bulk (multi-row `INSERT … SELECT
generate_series`, seeded `random()`) three years of history: 100,000
conversations on every channel (wrapped up: resolution, question type, READ
scale; missed; co-op give and take) with 1,000,000 messages, an email ticket
for every email question and chat follow-up (closed, or open, claimed and
waiting in the last two weeks) with its inbound email, a dated shift every
weekday of every library with its audit entry, and an alert with its email for
each unfilled shift. A second run reuses the data (the row counts tell); pass
`--reseed` to drop the database and start again.

Then it times, in-process with Django's test `Client` and `DEBUG=False`,
every API list under `/api/v1/` (each resource of the router; conversations
with `?search=` and filters; tickets; transcripts and ticket threads;
statistics of a year grouped every way; first and deep pages) and every admin
changelist (searches, filters and deep pages of the big ones), as the help
desk (the consortium admin) and as a site coordinator (scoped). Each is
warmed up, then timed `--repeat` times; the queries are counted on one more
request. It prints endpoint, p50 and p95 in ms, queries and rows (the rows on
the page, or the groups of a statistics answer), and flags every p95 over the
target (150 ms).

    .venv/bin/python bench/lists.py                  # seed once, then measure
    .venv/bin/python bench/lists.py --reseed         # new data
    .venv/bin/python bench/lists.py --only statistics --repeat 5
    .venv/bin/python bench/lists.py --json /tmp/lists.json

It needs PostgreSQL (127.0.0.1:5432 as postgres by default, or the server
`DATABASE_URL` names) and Redis (127.0.0.1:6379, database 7, keys under their
own prefix): a statewide service runs on PostgreSQL, and the figures of
SQLite would say nothing about it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 150
CONVERSATIONS = 100_000
MESSAGES = 1_000_000
EXTRA_LIBRARIES = 51
STAFF_PER_LIBRARY = 15
YEARS_OF_HISTORY = 3
SEED = 0.2026  # PostgreSQL's setseed(): the same data every time


# --- Arguments and the database -------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reseed", action="store_true", help="drop and seed again")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests each")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--slow-repeat",
        type=int,
        default=5,
        help="timed requests of an endpoint whose warm-up took over a second",
    )
    parser.add_argument("--only", default="", help="regex: endpoints to measure")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--db-name", default="asktogether_bench_lists")
    parser.add_argument("--pg-host", default=None)
    parser.add_argument("--pg-port", type=int, default=None)
    parser.add_argument("--pg-user", default=None)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    args = parser.parse_args(argv)
    server = _server_of(os.environ.get("DATABASE_URL", ""))
    args.pg_host = args.pg_host or server.get("host", "127.0.0.1")
    args.pg_port = args.pg_port or server.get("port", 5432)
    args.pg_user = args.pg_user or server.get("user", "postgres")
    if "bench" not in args.db_name:
        parser.error(f"Use a database name with 'bench' in it, not {args.db_name!r}.")
    return args


def _server_of(database_url: str) -> dict:
    """Host, port and user of a PostgreSQL `DATABASE_URL` (its database is
    not used); exits on any other database: this bench needs PostgreSQL."""
    if not database_url:
        return {}
    parts = urlsplit(database_url)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(
            f"bench/lists.py needs PostgreSQL; DATABASE_URL is {parts.scheme}:. "
            "Unset it (PostgreSQL on 127.0.0.1:5432) or point it at a PostgreSQL "
            "server: the bench uses its own database there."
        )
    server = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 5432}
    if parts.username:
        server["user"] = parts.username
    return server


def _admin_sql(args, sql: str) -> list:
    import psycopg

    try:
        conn = psycopg.connect(
            host=args.pg_host,
            port=args.pg_port,
            user=args.pg_user,
            password=os.environ.get("PGPASSWORD"),
            dbname="postgres",
            autocommit=True,
        )
    except psycopg.OperationalError as error:
        raise SystemExit(
            f"bench/lists.py needs PostgreSQL at {args.pg_host}:{args.pg_port} "
            f"(user {args.pg_user}): {error}"
        ) from error
    with conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def prepare_database(args) -> None:
    """Create the bench database if missing (first dropping it with
    `--reseed`)."""
    name = args.db_name
    if args.reseed:
        _admin_sql(args, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    exists = _admin_sql(args, f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
    if not exists:
        _admin_sql(args, f'CREATE DATABASE "{name}"')


def setup_django(args) -> None:
    var = Path(tempfile.gettempdir()) / f"asktogether-{args.db_name}"
    os.environ.update(
        {
            "DEBUG": "False",
            "SECRET_KEY": "bench-lists-not-secret",
            "SECURE_SSL_REDIRECT": "False",
            "SESSION_COOKIE_SECURE": "False",
            "CSRF_COOKIE_SECURE": "False",
            "SECURE_HSTS_SECONDS": "0",
            "ALLOWED_HOSTS": "testserver,localhost",
            "DATABASE_URL": (
                f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/"
                f"{args.db_name}"
            ),
            "DATABASE_POOL_SIZE": "2",
            "REDIS_URL": args.redis_url,
            "CACHE_PREFIX": f"bench-lists-{os.getpid()}",
            "CHANNELS_PREFIX": f"bench-lists-{os.getpid()}",
            "ASKTOGETHER_VAR_DIR": str(var / "var"),
            "STATIC_ROOT": str(var / "static"),
            "MEDIA_ROOT": str(var / "media"),
            "LOG_LEVEL": "ERROR",
        }
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "consortium.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    # DEBUG=False serves hashed static file names: the admin pages need the
    # manifest, collected once into the bench's own directory.
    if not (var / "static" / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


# --- Seeding ------------------------------------------------------------------------


def seeded() -> bool:
    from chat.models import Conversation, Message

    return (
        Conversation.objects.count() >= CONVERSATIONS
        and Message.objects.count() >= MESSAGES
    )


def seed() -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", interactive=False, verbosity=0)
    if seeded():
        print("Reusing the seeded data (--reseed to seed again).", flush=True)
        return
    from chat.models import Conversation

    if Conversation.objects.exists():
        raise SystemExit(
            "The bench database has data but not the bench's: run with --reseed."
        )
    started = time.perf_counter()
    call_command("seed_demo", verbosity=0)
    print(f"seed_demo: {time.perf_counter() - started:.1f} s", flush=True)
    with transaction.atomic():
        _libraries_and_staff()
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [SEED])
            for label, step in (
                ("conversations", _conversations),
                ("messages", _messages),
                ("tickets", _tickets),
                ("shifts", _shifts),
            ):
                t0 = time.perf_counter()
                rows = step(cursor)
                print(f"  {label}: {rows:,} rows in {time.perf_counter() - t0:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"Seeded in {time.perf_counter() - started:.0f} s.", flush=True)


BENCH_TYPES = ("public", "academic", "school", "special")


def _libraries_and_staff() -> None:
    """51 more libraries, each with a local queue (open 9-17 on weekdays in
    every term type), co-op memberships and 15 staff (a coordinator, an
    intern, librarians)."""
    from consortium.models import Library, PostedHours, Queue, Staff, TermType

    coops = {q.code: q for q in Queue.objects.filter(kind=Queue.Kind.COOP)}
    libraries = Library.objects.bulk_create(
        Library(
            code=f"b{n:02d}",
            name=f"Bench County Library {n:02d}",
            library_type=BENCH_TYPES[n % 4],
            timezone="America/New_York" if n % 5 else "America/Chicago",
            website=f"https://b{n:02d}.example.org/",
            contact_email=f"ask@b{n:02d}.example.org",
            ticket_email=f"tickets@b{n:02d}.example.org",
        )
        for n in range(1, EXTRA_LIBRARIES + 1)
    )
    membership = Library.coops.through
    links = []
    for library in libraries:
        links.append(membership(library=library, queue=coops["coop-statewide"]))
        extra = "coop-academic" if library.library_type == "academic" else "coop-public"
        if extra in coops:
            links.append(membership(library=library, queue=coops[extra]))
    membership.objects.bulk_create(links)
    queues = Queue.objects.bulk_create(
        Queue(code=lib.code, name=f"{lib.name} chat", library=lib) for lib in libraries
    )
    PostedHours.objects.bulk_create(
        PostedHours(
            queue=queue, term_type=term, weekday=day, opens=9 * 60, closes=17 * 60
        )
        for queue in queues
        for term in TermType.values
        for day in range(5)
    )
    first = ("Alex", "Sam", "Jo", "Lee", "Kai", "Ren", "Max", "Ari", "Noa", "Eve")
    last = ("Reed", "Cruz", "Shaw", "Webb", "Lowe", "Hale", "Pike", "Rowe", "Lamb")
    staff = []
    for library in libraries:
        for n in range(STAFF_PER_LIBRARY):
            role = Staff.Role.LIBRARIAN
            if n == 0:
                role = Staff.Role.COORDINATOR
            elif n == 1:
                role = Staff.Role.INTERN
            staff.append(
                Staff(
                    username=f"{library.code}-staff{n:02d}",
                    first_name=first[n % len(first)],
                    last_name=last[(n + library.pk) % len(last)],
                    email=f"staff{n:02d}@{library.code}.example.org",
                    role=role,
                    library=library,
                    is_staff=role == Staff.Role.COORDINATOR,
                    password="!bench",  # unusable: nobody logs in as them
                )
            )
    Staff.objects.bulk_create(staff)


SLOTS = 1000

QUESTIONS = [
    "Can I renew my books online? My card number is 2150 0012 3456 78.",
    "How do I get into the databases from home? It keeps asking me to log in.",
    "I need peer-reviewed articles on sea level rise and coastal aquifers.",
    "Do you have the book Educated by Tara Westover?",
    "JSTOR says I do not have access to an article my professor assigned.",
    "How late is the library open during finals week?",
    "How much does printing cost, and can I print from my laptop?",
    "I forgot my password for my library account.",
    "Where can I find census data for Leon County by zip code?",
    "Can you help me cite a government report in APA style?",
    "Is there a study room I can book for four people tomorrow?",
    "I need an interlibrary loan for a chapter of an out-of-print book.",
    "What are your hours this weekend?",
    "How do I download e-books to my Kindle?",
    "My hold says in transit for two weeks, where is it?",
    "I am looking for primary sources about the 1926 Miami hurricane.",
    "Can my child get a library card without me there?",
    "Do you have tax forms or can you help me find the 1040 instructions?",
    "How do I find my grandfather's obituary from 1962?",
    "Where is the nearest branch with a 3D printer?",
]
FIRST_NAMES = [
    "Maya", "Liam", "Olivia", "Noah", "Emma", "Ethan", "Ava", "Lucas", "Mia",
    "Mateo", "Sofia", "Elijah", "Isabella", "James", "Camila", "Aiden", "Zoe",
    "Jayden", "Aaliyah", "Carlos", "Priya", "Wei", "Fatima", "Dmitri", "Grace",
]  # fmt: skip
LAST_NAMES = [
    "Garcia", "Smith", "Johnson", "Nguyen", "Williams", "Brown", "Jones",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Patel", "Kim", "Davis",
    "Wilson", "Anderson", "Thomas", "Moore", "Jackson", "Okafor", "Cohen",
]  # fmt: skip
REPLIES = [
    "Hi, thanks for asking! Let me take a look for you.",
    "Could you tell me a bit more about what you need?",
    "It's for a class assignment due next week.",
    "Start from the library website so the links go through our proxy.",
    "Here is the catalog record: it is on the shelf on the 2nd floor.",
    "That worked, thank you so much!",
    "You can place a hold online and pick it up at any branch.",
    "I found three articles in Academic Search Complete; here are the links.",
    "Is there anything else I can help you with today?",
    "No, that's all. Have a great day!",
    "Interlibrary Loan usually takes a few days for articles.",
    "Our printing costs 10 cents a page for black and white.",
]
NOTES = [
    "Patron was very patient; ILL form sent.",
    "Referred to the law library per the referral agreement.",
    "Follow up by email once the hold arrives.",
]


def _sql_array(values) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"ARRAY[{quoted}]"


def _bench_tables(cursor) -> None:
    """Temporary tables the bulk inserts join: each library with its local
    queue, its chat staff and the other staff, and 1,000 slots shared out by
    weight (a uniform random slot picks a library by weight)."""
    from chat.demo_history import WEIGHTS
    from consortium.models import Library, Queue, Staff

    libraries = []
    for library in Library.objects.filter(active=True).order_by("pk"):
        queue = Queue.objects.filter(library=library, kind=Queue.Kind.LOCAL).first()
        chat = list(
            Staff.objects.filter(
                library=library,
                role__in=(Staff.Role.LIBRARIAN, Staff.Role.COORDINATOR),
                is_active=True,
            ).values_list("pk", flat=True)
        )
        if queue is None or not chat:
            continue
        # The demo's nine are the big ones (six times their weight in the demo
        # history), the bench's 51 weigh 1 each: about half the questions are
        # theirs.
        weight = 6 * WEIGHTS[library.code] if library.code in WEIGHTS else 1
        libraries.append((library.pk, queue.pk, chat, weight))
    cursor.execute(
        "CREATE TEMP TABLE bench_lib (idx int PRIMARY KEY, library_id bigint, "
        "queue_id bigint, staff bigint[])"
    )
    cursor.executemany(
        "INSERT INTO bench_lib VALUES (%s, %s, %s, %s)",
        [(i, lib, queue, staff) for i, (lib, queue, staff, _) in enumerate(libraries)],
    )
    total = sum(weight for *_, weight in libraries)
    slots, cumulative = [], 0.0
    for idx, (*_, weight) in enumerate(libraries):
        cumulative += weight
        while len(slots) < round(cumulative / total * SLOTS):
            slots.append((len(slots), idx))
    cursor.execute("CREATE TEMP TABLE bench_slot (slot int PRIMARY KEY, idx int)")
    cursor.executemany("INSERT INTO bench_slot VALUES (%s, %s)", slots)
    coop = Queue.objects.get(code="coop-statewide")
    cursor.execute("CREATE TEMP TABLE bench_coop AS SELECT %s::bigint AS id", [coop.pk])


def _conversations(cursor) -> int:
    """The rest of the 100,000 conversations, over three years: asked 08:00
    to 23:00 New York time (busier mid-day), 85 % live chat (8 % of them
    missed, a fifth answered by another library's librarian on the co-op
    queue), 5 % SMS, 10 % email (an email ticket)."""
    from chat.models import Conversation

    _bench_tables(cursor)
    wanted = CONVERSATIONS - Conversation.objects.count()
    days = 365 * YEARS_OF_HISTORY
    cursor.execute(
        f"""
        WITH g AS (
            SELECT i, random() AS r_lib, random() AS r_other, random() AS r_kind,
                   random() AS r_who, random() AS r_staff, random() AS r_wait,
                   random() AS r_dur, random() AS r_q, random() AS r_res,
                   random() AS r_first, random() AS r_last, random() AS r_seq,
                   random() AS r_read, random() AS r_ps, random() AS r_qt,
                   LEAST(
                       now() - interval '1 hour',
                       (date_trunc('day', now() AT TIME ZONE 'America/New_York')
                        - make_interval(days => floor(random() * {days})::int)
                        + make_interval(
                            mins => 480 + floor(
                                (random() + random() + random()) / 3 * 900
                            )::int,
                            secs => floor(random() * 60)::int
                        )) AT TIME ZONE 'America/New_York'
                   ) AS at
            FROM generate_series(1, %(wanted)s) AS i
        ),
        c AS (
            SELECT g.*, l.library_id, l.queue_id,
                   CASE WHEN r_kind < 0.85 THEN 'chat'
                        WHEN r_kind < 0.90 THEN 'sms' ELSE 'email' END AS channel,
                   r_who < 0.8 AS own,
                   l.staff[1 + floor(r_staff * cardinality(l.staff))::int] AS mine,
                   o.staff[1 + floor(r_staff * cardinality(o.staff))::int] AS theirs,
                   ({_sql_array(FIRST_NAMES)})[1 + floor(r_first * {len(FIRST_NAMES)})::int]
                     AS first_name,
                   ({_sql_array(LAST_NAMES)})[1 + floor(r_last * {len(LAST_NAMES)})::int]
                     AS last_name
            FROM g
            JOIN bench_slot s ON s.slot = floor(g.r_lib * {SLOTS})::int
            JOIN bench_lib l ON l.idx = s.idx
            JOIN bench_slot s2 ON s2.slot = floor(g.r_other * {SLOTS})::int
            JOIN bench_lib o ON o.idx = s2.idx
        ),
        d AS (
            SELECT c.*,
                   CASE WHEN channel = 'email' THEN 'ticket'
                        WHEN channel = 'chat' AND r_res < 0.08 THEN 'missed'
                        ELSE 'ended' END AS status,
                   CASE WHEN channel = 'email' THEN NULL
                        WHEN channel = 'chat' AND r_res < 0.08 THEN NULL
                        WHEN channel = 'sms' OR own THEN mine ELSE theirs END
                     AS librarian,
                   CASE WHEN channel = 'sms' THEN 60 + r_wait * 3600
                        ELSE 3 + power(r_wait, 3) * 600 END AS wait,
                   CASE WHEN channel = 'sms' THEN 600 + r_dur * 7200
                        ELSE 60 + power(r_dur, 2) * 2400 END AS duration
            FROM c
        )
        INSERT INTO chat_conversation (
            channel, status, patron_token, question, patron_name, patron_email,
            patron_phone, patron_status, resident, referrer_url, user_agent, requested_at,
            coop_at, accepted_at, ended_at, last_seq, librarian_id, library_id,
            queue_id, accepted_seq, bad_patron, bad_patron_reason, lang,
            last_librarian_at, last_patron_at, patron_ip, patron_ip_hash,
            patron_last_seen, question_type, read_scale, resolution,
            transcript_token, transfer_note, transfer_queue_id, transfer_to_id,
            transferred_from_id, waiting_since, wrapped_up_at
        )
        SELECT
            channel, status, md5('p' || i || random()),
            ({_sql_array(QUESTIONS)})[1 + floor(r_q * {len(QUESTIONS)})::int],
            first_name || ' ' || last_name,
            CASE WHEN channel = 'email' OR r_seq < 0.6
                 THEN lower(first_name || '.' || last_name) || (i %% 997)
                      || '@example.org'
                 ELSE '' END,
            CASE WHEN channel = 'sms' THEN '+1555' || lpad((i %% 10000000)::text, 7, '0')
                 ELSE '' END,
            ({_sql_array([v for v, _ in Conversation.PatronStatus.choices])})[
                1 + floor(r_ps * {len(Conversation.PatronStatus.choices)})::int],
            r_ps < 0.9,
            'https://www.example.org/library/ask',
            'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0',
            at,
            CASE WHEN channel = 'chat' AND NOT own THEN at + interval '15 seconds'
                 END,
            CASE WHEN librarian IS NOT NULL THEN at + make_interval(secs => wait) END,
            CASE WHEN status = 'missed' THEN at + interval '4 minutes'
                 WHEN librarian IS NOT NULL
                 THEN at + make_interval(secs => wait + duration) END,
            CASE WHEN status = 'missed' THEN 2
                 WHEN channel = 'email' THEN 3 + floor(r_seq * 4)::int
                 WHEN channel = 'sms' THEN 4 + floor(r_seq * 5)::int
                 ELSE 5 + floor(r_seq * 14)::int END,
            librarian, library_id,
            CASE WHEN channel = 'chat' AND NOT own THEN (SELECT id FROM bench_coop)
                 ELSE queue_id END,
            CASE WHEN librarian IS NOT NULL THEN 1 END,
            r_read < 0.003, CASE WHEN r_read < 0.003 THEN 'Abusive language' ELSE ''
            END,
            CASE WHEN r_first < 0.08 THEN 'es' ELSE 'en' END,
            CASE WHEN librarian IS NOT NULL
                 THEN at + make_interval(secs => wait + duration - 30) END,
            at + make_interval(secs => wait + duration - 60),
            NULL, md5('ip' || (i %% 40000)),
            at + make_interval(secs => wait + duration),
            CASE WHEN status = 'missed' THEN ''
                 ELSE ({_sql_array(Conversation.QuestionType.values)})[
                     1 + floor(r_qt * {len(Conversation.QuestionType.values)})::int]
            END,
            CASE WHEN status = 'ended' THEN 1 + floor(r_read * 6)::int END,
            CASE WHEN status = 'missed' OR channel = 'email' THEN ''
                 WHEN r_res < 0.78 THEN 'answered'
                 WHEN r_res < 0.86 THEN 'followup_library'
                 WHEN r_res < 0.91 THEN 'followup_me'
                 ELSE 'lost_call' END,
            md5('t' || i || random()), '', NULL, NULL, NULL, at,
            CASE WHEN status = 'ended'
                 THEN at + make_interval(secs => wait + duration + 90) END
        FROM d
        """,
        {"wanted": wanted},
    )
    return cursor.rowcount


def _messages(cursor) -> int:
    """Messages up to 1,000,000: the question, the system's "joined" line,
    then patron and librarian by turns, an internal note now and then; a
    conversation's `last_seq` messages, first nudged so the total is exact."""
    from chat.models import Message

    cursor.execute(
        "SELECT coalesce(sum(last_seq), 0) FROM chat_conversation c "
        "WHERE NOT EXISTS (SELECT 1 FROM chat_message m "
        "WHERE m.conversation_id = c.id)"
    )
    (planned,) = cursor.fetchone()
    missing = MESSAGES - Message.objects.count() - planned
    step = 1 if missing > 0 else -1
    cursor.execute(
        """
        UPDATE chat_conversation SET last_seq = last_seq + %(step)s
        WHERE id IN (
            SELECT id FROM chat_conversation c
            WHERE status = 'ended' AND channel = 'chat' AND last_seq > 6
              AND NOT EXISTS (SELECT 1 FROM chat_message m
                              WHERE m.conversation_id = c.id)
            ORDER BY id LIMIT %(rows)s
        )
        """,
        {"step": step, "rows": abs(missing)},
    )
    cursor.execute(
        f"""
        INSERT INTO chat_message (
            conversation_id, seq, sender, author_id, body, client_id, created_at,
            email_message_id, full_text, email_sent_at
        )
        SELECT c.id, s.seq, w.sender,
               CASE WHEN w.sender IN ('librarian', 'note') THEN c.librarian_id END,
               CASE WHEN s.seq = 1 THEN c.question
                    WHEN w.sender = 'system' THEN 'A librarian joined the chat.'
                    WHEN w.sender = 'note'
                    THEN ({_sql_array(NOTES)})[1 + (c.id % {len(NOTES)})::int]
                    ELSE ({_sql_array(REPLIES)})[
                        1 + ((c.id * 7 + s.seq) % {len(REPLIES)})::int]
               END,
               CASE WHEN w.sender = 'patron' THEN 'c' || s.seq ELSE '' END,
               c.requested_at + make_interval(secs => s.seq * 40),
               '', '', NULL
        FROM chat_conversation c
        CROSS JOIN LATERAL generate_series(1, c.last_seq) AS s(seq)
        CROSS JOIN LATERAL (
            SELECT CASE
                WHEN s.seq = 1 THEN 'patron'
                WHEN s.seq = 2 AND c.channel = 'chat' THEN 'system'
                WHEN c.librarian_id IS NULL THEN 'patron'
                WHEN s.seq = 4 AND c.id % 10 = 0 THEN 'note'
                WHEN s.seq % 2 = 1 THEN 'patron'
                ELSE 'librarian' END AS sender
        ) w
        WHERE NOT EXISTS (
            SELECT 1 FROM chat_message m WHERE m.conversation_id = c.id
        )
        """
    )
    return cursor.rowcount


def _tickets(cursor) -> int:
    """An email ticket for every email question and chat follow-up without
    one: closed after an answer, except in the last two weeks (open,
    claimed, waiting on the patron); an inbound email for each email
    question."""
    cursor.execute(
        """
        INSERT INTO chat_ticket (
            conversation_id, library_id, assignee_id, source, status, email,
            subject, due_at, first_response_at, waiting_since, closed_at,
            forwarded_to_helpdesk, reply_token, created_at
        )
        SELECT c.id, c.library_id, a.assignee,
               CASE WHEN c.channel = 'email' AND c.id % 3 = 0 THEN 'offline_form'
                    WHEN c.channel = 'email' THEN 'email'
                    ELSE c.resolution END,
               CASE WHEN NOT a.recent THEN 'closed'
                    WHEN c.id % 3 = 0 THEN 'open'
                    WHEN c.id % 3 = 1 THEN 'claimed' ELSE 'waiting' END,
               CASE WHEN c.patron_email = '' THEN 'patron' || c.id || '@example.org'
                    ELSE c.patron_email END,
               left(c.question, 80),
               a.created + interval '24 hours',
               CASE WHEN NOT a.recent OR c.id % 3 = 2
                    THEN a.created + make_interval(hours => (1 + c.id % 40)::int) END,
               CASE WHEN a.recent AND c.id % 3 = 2
                    THEN a.created + make_interval(hours => (1 + c.id % 40)::int) END,
               CASE WHEN NOT a.recent
                    THEN a.created + make_interval(hours => (72 + c.id % 40)::int) END,
               c.id % 50 = 0,
               substr(md5('r' || c.id || random()), 1, 16),
               a.created
        FROM chat_conversation c
        CROSS JOIN LATERAL (
            SELECT coalesce(c.ended_at, c.requested_at) AS created,
                   coalesce(c.ended_at, c.requested_at) > now() - interval '14 days'
                     AS recent,
                   CASE WHEN c.librarian_id IS NOT NULL THEN c.librarian_id
                        WHEN coalesce(c.ended_at, c.requested_at)
                             > now() - interval '14 days' AND c.id % 3 = 0 THEN NULL
                        ELSE (SELECT l.staff[1 + (c.id % cardinality(l.staff))::int]
                              FROM bench_lib l WHERE l.library_id = c.library_id)
                   END AS assignee
        ) a
        WHERE (c.channel = 'email'
               OR c.resolution IN ('followup_library', 'followup_me'))
          AND NOT EXISTS (SELECT 1 FROM chat_ticket t WHERE t.conversation_id = c.id)
        """
    )
    rows = cursor.rowcount
    cursor.execute(
        """
        INSERT INTO chat_inboundemail (
            via, raw, size, message_id, from_email, subject, received_at, status,
            reason, processed_at, ticket_id, attempts
        )
        SELECT 'webhook', convert_to('Subject: ' || t.subject, 'UTF8'),
               length(t.subject) + 9, '<' || t.id || '.bench@example.org>',
               t.email, t.subject, t.created_at, 'created', '', t.created_at, t.id, 1
        FROM chat_ticket t
        WHERE t.source = 'email'
          AND NOT EXISTS (SELECT 1 FROM chat_inboundemail e WHERE e.ticket_id = t.id)
        """
    )
    return rows + cursor.rowcount


def _shifts(cursor) -> int:
    """A 13:00-17:00 shift every weekday of every library's local queue for
    three years and the next eight weeks, each with its audit entry; about
    one in ten unfilled, with its urgent-gap alert and email."""
    from django.contrib.contenttypes.models import ContentType

    from consortium.models import Staff
    from scheduling.models import Shift

    helpdesk = Staff.objects.get(username="helpdesk")
    shift_type = ContentType.objects.get_for_model(Shift)
    days = 365 * YEARS_OF_HISTORY
    cursor.execute(
        f"""
        INSERT INTO scheduling_shift (
            library_id, queue_id, slot_id, date, starts_at, ends_at, assignee_id,
            assignee_overridden, status, attendance, attendance_checked_at, note
        )
        SELECT l.library_id, l.queue_id, NULL, d::date,
               (d + time '13:00') AT TIME ZONE 'America/New_York',
               (d + time '17:00') AT TIME ZONE 'America/New_York',
               CASE WHEN random() < 0.9
                    THEN l.staff[1 + floor(random() * cardinality(l.staff))::int] END,
               false, 'scheduled',
               CASE WHEN d < now() THEN 'present' ELSE '' END,
               CASE WHEN d < now() THEN (d + time '13:05')
                    AT TIME ZONE 'America/New_York' END,
               ''
        FROM bench_lib l
        CROSS JOIN generate_series(
            date_trunc('day', now()) - interval '{days} days',
            date_trunc('day', now()) + interval '56 days',
            interval '1 day'
        ) AS d
        WHERE extract(isodow FROM d) < 6
          AND l.library_id NOT IN (SELECT DISTINCT library_id FROM scheduling_shift)
        """
    )
    rows = cursor.rowcount
    cursor.execute(
        """
        INSERT INTO auditlog_logentry (
            object_pk, object_id, object_repr, action, changes, changes_text,
            timestamp, actor_id, content_type_id, additional_data
        )
        SELECT s.id::text, s.id, q.code || ' ' || to_char(s.date, 'Dy Mon DD'), 0,
               jsonb_build_object('status', jsonb_build_array(NULL, 'scheduled')),
               '', s.starts_at - interval '30 days', %(actor)s, %(ct)s,
               jsonb_build_object('library_id', s.library_id)
        FROM scheduling_shift s JOIN consortium_queue q ON q.id = s.queue_id
        WHERE s.slot_id IS NULL
        """,
        {"actor": helpdesk.pk, "ct": shift_type.pk},
    )
    rows += cursor.rowcount
    cursor.execute(
        """
        WITH gaps AS (
            SELECT s.id, s.queue_id, s.starts_at, q.code
            FROM scheduling_shift s JOIN consortium_queue q ON q.id = s.queue_id
            WHERE s.assignee_id IS NULL AND s.slot_id IS NULL
        ),
        emails AS (
            INSERT INTO scheduling_alertemail ("to", subject, body, created_at, sent_at)
            SELECT 'askref-l@askalibrarian.example.org',
                   'Unfilled shift: ' || code || ' ' || id,
                   'Nobody covers this shift yet.', starts_at - interval '48 hours',
                   starts_at - interval '48 hours'
            FROM gaps
            RETURNING id, subject
        )
        INSERT INTO scheduling_alert (kind, key, created_at, shift_id, queue_id,
                                      email_id)
        SELECT 'urgent_shift', 'bench-' || g.id, g.starts_at - interval '48 hours',
               g.id, g.queue_id, e.id
        FROM gaps g JOIN emails e ON e.subject = 'Unfilled shift: ' || g.code || ' '
                                                 || g.id
        """
    )
    return rows + 2 * cursor.rowcount


# --- What is measured ------------------------------------------------------------------


def endpoints(users) -> list[tuple[str, str, str]]:
    """(who, label, path) of every list measured; `who` is `helpdesk` or
    `coordinator`. Deep pages are 90 % of the way down what each reads."""
    from django.contrib import admin
    from django.utils import timezone

    from chat.models import Conversation, Ticket
    from chat.statistics import BY_CHOICES
    from consortium.api.urls import router

    today = timezone.localdate()
    year = f"from={today - timedelta(days=364)}&to={today}"
    # The admin's date filter, "This month", as it links it.
    first = timezone.localtime().replace(day=1, hour=0, minute=0, second=0)
    first = first.replace(microsecond=0)
    following = (first + timedelta(days=32)).replace(day=1)
    this_month = urlencode(
        {"requested_at__gte": str(first), "requested_at__lt": str(following)}
    )
    conversation = (
        Conversation.objects.filter(library__code="gcsu", status="ended")
        .order_by("-last_seq", "-pk")
        .first()
    )
    ticket = Ticket.objects.filter(library__code="gcsu").order_by("-pk").first()
    listed = []
    for who in ("helpdesk", "coordinator"):
        deep = _deep_pages(users[who])
        for prefix, _viewset, _ in router.registry:
            if prefix in ("statistics", "coverage-gaps", "kb-search"):
                continue
            listed.append((who, f"api {prefix}", f"/api/v1/{prefix}/"))
        listed += [
            (
                who,
                "api coverage-gaps",
                f"/api/v1/coverage-gaps/?queue=coop-statewide&from={today}&days=7",
            ),
            (who, "api kb-search", "/api/v1/kb-search/?q=database+password"),
            (
                who,
                "api conversations ?search=",
                "/api/v1/conversations/?search=aquifer",
            ),
            (
                who,
                "api conversations ?search=name",
                "/api/v1/conversations/?search=okafor",
            ),
            (
                who,
                "api conversations ?search=email",
                "/api/v1/conversations/?search=maya.garcia",
            ),
            (
                who,
                "api conversations filters",
                "/api/v1/conversations/?channel=chat&status=ended&resolution=answered",
            ),
            (
                who,
                "api conversations ?answering_library",
                "/api/v1/conversations/?answering_library=gcsu",
            ),
            (who, "api conversations ?library", "/api/v1/conversations/?library=gcsu"),
            (who, "api conversations from/to", f"/api/v1/conversations/?{year}"),
            (
                who,
                "api conversations ?has_ticket",
                "/api/v1/conversations/?has_ticket=true",
            ),
            (
                who,
                "api conversations ?ordering",
                "/api/v1/conversations/?ordering=-ended_at",
            ),
            (
                who,
                f"api conversations page {deep['api conversations']}",
                f"/api/v1/conversations/?page={deep['api conversations']}",
            ),
            (
                who,
                "api conversations transcript",
                f"/api/v1/conversations/{conversation.pk}/transcript/",
            ),
            (who, "api tickets ?status=open", "/api/v1/tickets/?status=open"),
            (who, "api tickets ?overdue", "/api/v1/tickets/?overdue=true"),
            (
                who,
                "api tickets ?helpdesk_inbox",
                "/api/v1/tickets/?helpdesk_inbox=true",
            ),
            (who, "api tickets ?search=", "/api/v1/tickets/?search=aquifer"),
            (
                who,
                f"api tickets page {deep['api tickets']}",
                f"/api/v1/tickets/?page={deep['api tickets']}",
            ),
            (who, "api tickets messages", f"/api/v1/tickets/{ticket.pk}/messages/"),
            (who, "api staff ?search=", "/api/v1/staff/?search=reed"),
            (who, "api shifts from/to", f"/api/v1/shifts/?from={today}&to={today}"),
            (who, "api shifts ?unfilled", "/api/v1/shifts/?unfilled=true"),
            (
                who,
                f"api shifts page {deep['api shifts']}",
                f"/api/v1/shifts/?page={deep['api shifts']}",
            ),
            (who, "api statistics (last month)", "/api/v1/statistics/"),
        ]
        for by in BY_CHOICES:
            listed.append(
                (
                    who,
                    f"api statistics year by={by}",
                    f"/api/v1/statistics/?{year}&by={by}",
                )
            )
        for model in admin.site._registry:
            opts = model._meta
            path = f"/admin/{opts.app_label}/{opts.model_name}/"
            listed.append((who, f"admin {opts.app_label}.{opts.model_name}", path))
        conversations = "/admin/chat/conversation/"
        listed += [
            (who, "admin conversation ?q=", f"{conversations}?q=aquifer"),
            (who, "admin conversation ?q=email", f"{conversations}?q=maya.garcia"),
            (
                who,
                "admin conversation ?status",
                f"{conversations}?status__exact=missed",
            ),
            (
                who,
                "admin conversation this month",
                f"{conversations}?{this_month}",
            ),
            (
                who,
                f"admin conversation p={deep['admin conversation']}",
                f"{conversations}?p={deep['admin conversation']}",
            ),
            (who, "admin ticket ?q=", "/admin/chat/ticket/?q=aquifer"),
            (who, "admin ticket ?status", "/admin/chat/ticket/?status__exact=open"),
            (
                who,
                f"admin ticket p={deep['admin ticket']}",
                f"/admin/chat/ticket/?p={deep['admin ticket']}",
            ),
            (who, "admin shift ?q=", "/admin/scheduling/shift/?q=reed"),
            (
                who,
                f"admin shift p={deep['admin shift']}",
                f"/admin/scheduling/shift/?p={deep['admin shift']}",
            ),
            (who, "admin staff ?q=", "/admin/consortium/staff/?q=reed"),
            (who, "admin logentry ?q=", "/admin/auditlog/logentry/?q=b07"),
            (
                who,
                f"admin logentry p={deep['admin logentry']}",
                f"/admin/auditlog/logentry/?p={deep['admin logentry']}",
            ),
        ]
    return listed


def _deep_pages(user) -> dict[str, int]:
    """The page 90 % of the way down each big list `user` reads."""
    from auditlog.models import LogEntry
    from django.contrib import admin

    from chat import privacy
    from chat.models import Conversation, Ticket
    from consortium import scoping
    from consortium.api.base import Pagination
    from scheduling.models import Shift

    if scoping.is_helpdesk(user):
        entries = LogEntry.objects.all()
    else:
        entries = LogEntry.objects.filter(additional_data__library_id=user.library_id)
    sizes = {
        "conversation": (Conversation, privacy.visible_conversations(user).count()),
        "ticket": (Ticket, scoping.visible(Ticket.objects.all(), user).count()),
        "shift": (Shift, scoping.visible(Shift.objects.all(), user).count()),
        "logentry": (LogEntry, entries.count()),
    }
    deep = {}
    for name, (model, count) in sizes.items():
        per_page = admin.site._registry[model].list_per_page
        deep[f"admin {name}"] = max(1, int(count / per_page * 0.9))
        deep[f"api {name}s"] = max(1, int(count / Pagination.page_size * 0.9))
    return deep


_RESULT_ROW = re.compile(rb"<tr[ >]")


def rows_of(response) -> int | None:
    """Rows on the page: an API list's `results`, a transcript's messages,
    a statistics answer's groups, an admin changelist's table rows."""
    if response["Content-Type"].startswith("application/json"):
        data = json.loads(response.content)
        if isinstance(data, list):
            return len(data)
        for key in ("results", "messages", "groups"):
            if key in data:
                return len(data[key])
        return None
    body = response.content
    start = body.find(b'id="result_list"')
    if start < 0:
        return 0
    end = body.find(b"</table>", start)
    return len(_RESULT_ROW.findall(body, start, end)) - 1  # less the header


def measure(client, path: str, args) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        t0 = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code == 403:
            raise PermissionError(path)  # not a list of this reader's role
        if response.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {response.status_code}")
        return response, elapsed

    warm = [get()[1] for _ in range(args.warmup)]
    repeat = args.repeat if max(warm, default=0) < 1000 else args.slow_repeat
    samples = sorted(get()[1] for _ in range(repeat))
    with CaptureQueriesContext(connection) as queries:
        response, _ = get()
    return {
        "p50": _nearest_rank(samples, 50),
        "p95": _nearest_rank(samples, 95),
        "n": repeat,
        "queries": len(queries),
        "rows": rows_of(response),
    }


def _nearest_rank(samples: list[float], p: int) -> float:
    """The `p`-th percentile of sorted `samples` by nearest rank: of 20
    requests, p95 is the 19th slowest, p50 the 10th."""
    return samples[max(0, math.ceil(p / 100 * len(samples)) - 1)]


def clients():
    from django.test import Client

    from consortium.models import Staff

    users = {
        "helpdesk": Staff.objects.get(username="helpdesk"),
        "coordinator": Staff.objects.get(username="gcsu-coord"),
    }
    made = {}
    for who, user in users.items():
        client = Client()
        client.force_login(user)
        made[who] = client
    return made, users


def main(argv=None) -> int:
    args = parse_args(argv)
    prepare_database(args)
    setup_django(args)
    seed()
    print_sizes()
    made, users = clients()
    only = re.compile(args.only) if args.only else None
    results = []
    header = f"{'who':<12} {'endpoint':<44} {'p50 ms':>8} {'p95 ms':>8} {'queries':>7} {'rows':>6}"
    print(header)
    print("-" * len(header))
    refused = []
    for who, label, path in endpoints(users):
        if only and not (only.search(label) or only.search(path)):
            continue
        try:
            figures = measure(made[who], path, args)
        except PermissionError:
            refused.append(f"{who} {label}")
            continue
        except RuntimeError as error:
            print(f"{who:<12} {label:<44} {error}")
            continue
        flag = "  > 150 ms" if figures["p95"] > TARGET_P95_MS else ""
        rows = "" if figures["rows"] is None else figures["rows"]
        print(
            f"{who:<12} {label:<44} {figures['p50']:8.1f} {figures['p95']:8.1f} "
            f"{figures['queries']:7d} {rows:>6}{flag}",
            flush=True,
        )
        results.append({"who": who, "endpoint": label, "path": path, **figures})
    over = [r for r in results if r["p95"] > TARGET_P95_MS]
    print(
        f"\n{len(results)} lists measured; {len(over)} over {TARGET_P95_MS} ms p95"
        + (
            ": " + ", ".join(f"{r['who']} {r['endpoint']}" for r in over)
            if over
            else "."
        )
    )
    if refused:
        print("Not lists of their role (403): " + ", ".join(refused) + ".")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


def print_sizes() -> None:
    from chat.models import Conversation, Message, Ticket
    from consortium.models import Library, Staff
    from scheduling.models import Shift

    sizes = ", ".join(
        f"{model.objects.count():,} {name}"
        for model, name in (
            (Library, "libraries"),
            (Staff, "staff"),
            (Conversation, "conversations"),
            (Message, "messages"),
            (Ticket, "tickets"),
            (Shift, "shifts"),
        )
    )
    print(f"Data: {sizes}.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
