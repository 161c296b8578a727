"""`make bench` (after bench/run.py): live chat under load, over real websockets.

Runs N concurrent chats against the production setup — uvicorn (uvloop,
httptools, websockets-sansio without per-message deflate) with two workers, DEBUG=False, PostgreSQL and
Redis — and, in the same run, the same load against a minimal pure-ASGI relay
(bench/echo_relay.py) on the same uvicorn: the ceiling of this machine.

Each chat is a patron socket (`POST /chat/<code>/start`, then /ws/chat/<token>/)
and a librarian desk socket (/ws/desk/, session cookie) that accepts it; by
default a librarian takes 5 chats on one desk socket (--chats-per-librarian).
At most --ramp-concurrency chats are between start and pickup at once. The
librarians, their sessions and their queue monitors are created directly in a
throw-away database (created, migrated, seeded with `seed_demo`, dropped at
the end); the bench library's local queue is made open around the clock there
(posted hours 00:00–24:00 every day for every term type, no holidays or
closures), so the bench does not depend on the clock. Redis uses a spare
database number, flushed before and after.

Phases: ramp (chats opened evenly over --ramp seconds), settle (until the
server is idle again), measure (every socket sends a message every
--interval seconds, first one at a random instant, with a unique client_id and
a timestamp in its body; the other side measures end-to-end latency when the
`message` frame arrives), drain (no more sends; wait for stragglers).

Prints latency p50/p95/p99, messages per second, lost (sent, never received
by the other side after the drain), duplicated (a seq or client_id received
twice), server RSS per connection, and the CPU used by each party.

    .venv/bin/python bench/chat_load.py                    # 500 chats + ceiling
    .venv/bin/python bench/chat_load.py --chats 1000 --duration 30
    .venv/bin/python bench/chat_load.py --find-max         # largest N, p95 < 500 ms

Each chat's patron posts from its own loopback address (127.x.y.z), as
patrons do from their own machines, so the per-address start limit (10 chats
per 10 minutes) does not refuse the bench.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import random
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS, TARGET_P99_MS, FIND_MAX_P95_MS = 50, 100, 500
TARGET_ROUTING_P95_MS, TARGET_RAMP_S, TARGET_KIB_PER_CONNECTION = 200, 30, 100
WAITING_ADD = '{"type": "waiting_add", "chat": {"id": '

FIND_MAX_STEPS = [100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000]
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- /proc: processes, memory, CPU --------------------------------------------------


def _proc_stat(pid: int):
    """(ppid, cpu ticks, comm) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), comm


def _all_procs() -> dict[int, tuple]:
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat:
                procs[int(entry)] = stat
    return procs


def descendants(root_pids) -> list[int]:
    procs = _all_procs()
    found, todo = [], [p for p in root_pids if p in procs]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(p for p, (ppid, _t, _c) in procs.items() if ppid == pid)
    return found


def rss_kib(pids) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_ticks(pids) -> int:
    return sum((_proc_stat(p) or (0, 0, ""))[1] for p in pids)


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class CpuMeter:
    """CPU used by groups of processes between start() and stop(), in % of one core."""

    def __init__(self, groups):
        self.groups = groups  # name -> callable returning pids

    def _sample(self):
        procs = _all_procs()
        pids = {name: list(get(procs)) for name, get in self.groups.items()}
        return (
            {
                name: sum(procs[p][1] for p in ps if p in procs)
                for name, ps in pids.items()
            },
            machine_ticks(),
            time.monotonic(),
        )

    def start(self):
        self.first = self._sample()

    def stop(self) -> dict:
        (a, (busy0, total0), t0), (b, (busy1, total1), t1) = self.first, self._sample()
        seconds = t1 - t0
        out = {
            name: 100.0 * (b[name] - a.get(name, 0)) / CLK_TCK / seconds for name in b
        }
        cores = os.cpu_count() or 1
        out["machine"] = 100.0 * cores * (busy1 - busy0) / max(1, total1 - total0)
        out["other processes"] = out["machine"] - sum(
            v for k, v in out.items() if k != "machine"
        )
        return out


def machine_busy(seconds: float = 3.0) -> float:
    """% of one core the whole machine uses now (other people's work too)."""
    busy0, total0 = machine_ticks()
    time.sleep(seconds)
    busy1, total1 = machine_ticks()
    return 100.0 * (os.cpu_count() or 1) * (busy1 - busy0) / max(1, total1 - total0)


# --- Servers --------------------------------------------------------------------------


class Server:
    """One server command (uvicorn), started in its own session, stopped by pid."""

    def __init__(self, name: str, argv: list[str], env: dict, port: int, log_dir: Path):
        self.name, self.argv, self.env, self.port = name, argv, env, port
        self.log_path = log_dir / f"{name}-{port}.log"
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", path, headers={"Host": "localhost"})
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer {path}:\n{self.log_tail()}")

    def pids(self) -> list[int]:
        return descendants([self.proc.pid]) if self.proc else []

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # our own session
                self.proc.wait()
        self.log.close()
        self.proc = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def log_problems(self) -> list[str]:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [
            line
            for line in text.splitlines()
            if "Traceback" in line or "ERROR" in line or "Error" in line[:80]
        ]


def uvicorn_argv(app: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--ws",
        "websockets-sansio",
        # As README's production command: chat frames are a few hundred
        # bytes, and a compressor per socket costs ~48 KiB (this bench).
        "--ws-per-message-deflate",
        "false",
        "--lifespan",
        "off",
        "--log-level",
        "warning",
        "--no-access-log",
    ]


# --- The throw-away database ------------------------------------------------------------


class Bench:
    """Environment, database and fixtures of one bench run (the parent process)."""

    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="asktogether-chatload-"))
        tag = f"chatload-{os.getpid()}-{secrets.token_hex(3)}"
        self.database_url = (
            f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/{args.db_name}"
        )
        self.redis_url = f"redis://{args.redis_host}:{args.redis_port}/{args.redis_db}"
        self.env = {
            "DEBUG": "False",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "SECURE_SSL_REDIRECT": "False",
            "SESSION_COOKIE_SECURE": "False",
            "CSRF_COOKIE_SECURE": "False",
            "SECURE_HSTS_SECONDS": "0",
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CHANNELS_PREFIX": tag,
            "CACHE_PREFIX": tag,
            "ASKTOGETHER_VAR_DIR": str(self.tmp / "var"),
            "STATIC_ROOT": str(self.tmp / "static"),
            "MEDIA_ROOT": str(self.tmp / "media"),
            "SITE_URL": f"http://localhost:{args.port}",
            "LOG_LEVEL": "WARNING",
        }
        self.librarians: list[tuple[int, str]] = []  # (staff id, session key)

    # Database ------------------------------------------------------------------------

    def _admin(self, sql: str):
        import psycopg

        with psycopg.connect(
            host=self.args.pg_host,
            port=self.args.pg_port,
            user=self.args.pg_user,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)

    def create_database(self):
        name = self.args.db_name
        if "bench" not in name:
            raise SystemExit(
                f"Refusing to drop and recreate {name!r}: use a *bench* name."
            )
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{name}"')

    def drop_database(self):
        from django.db import connections

        connections.close_all()
        self._admin(f'DROP DATABASE IF EXISTS "{self.args.db_name}" WITH (FORCE)')

    def flush_redis(self):
        import redis

        redis.Redis.from_url(self.redis_url).flushdb()

    def setup_django(self):
        os.environ.update(self.env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "consortium.settings"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()

    def seed(self):
        """migrate + seed_demo, then make the bench library's queue always open."""
        from django.core.management import call_command

        from consortium.models import Closure, Holiday, PostedHours, TermType

        call_command("migrate", verbosity=0)
        call_command("seed_demo", verbosity=0)
        self.locate()
        # Chats stay on the local queue (the co-op would join after an hour),
        # which is open around the clock, in this throw-away database only.
        self.library.fallback_delay_seconds = 3600
        self.library.save(update_fields=["fallback_delay_seconds"])
        Holiday.objects.all().delete()
        Closure.objects.filter(library=self.library).delete()
        PostedHours.objects.filter(queue=self.queue).delete()
        PostedHours.objects.bulk_create(
            PostedHours(
                queue=self.queue, term_type=term, weekday=day, opens=0, closes=24 * 60
            )
            for term in TermType.values
            for day in range(7)
        )

    def locate(self):
        from consortium.models import Library

        libraries = Library.objects.filter(active=True).order_by("code")
        if self.args.library:
            libraries = libraries.filter(code=self.args.library)
        self.library = next(
            (lib for lib in libraries if lib.queues.active().local().exists()), None
        )
        if self.library is None:
            raise SystemExit("No active library with a local queue to bench.")
        self.queue = self.library.queues.active().local().order_by("code").first()

    def reset(self, librarians: int):
        """No chats, no monitors, flushed Redis; `librarians` bench librarians
        with sessions, monitoring the bench queue (fresh heartbeats)."""
        from django.contrib.auth import (
            BACKEND_SESSION_KEY,
            HASH_SESSION_KEY,
            SESSION_KEY,
        )
        from django.contrib.sessions.backends.db import SessionStore
        from django.contrib.sessions.models import Session
        from django.db import connections

        from chat.models import Conversation
        from consortium.models import QueueMonitor, Staff
        from consortium.services import queue_monitor_start

        Conversation.objects.all().delete()
        QueueMonitor.objects.all().delete()
        Session.objects.all().delete()
        code = self.library.code
        bench_staff = Staff.objects.filter(username__startswith=f"{code}-bench")
        have = bench_staff.count()
        if librarians > have:
            Staff.objects.bulk_create(
                Staff(
                    username=f"{code}-bench{i:05d}",
                    role=Staff.Role.LIBRARIAN,
                    library=self.library,
                    display_name=f"Bench librarian {i} from {self.library.name}",
                    max_chats=10,
                    password="!",  # unusable
                )
                for i in range(have, librarians)
            )
        self.librarians = []
        for staff in bench_staff.order_by("username")[:librarians]:
            session = SessionStore()
            session[SESSION_KEY] = str(staff.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = staff.get_session_auth_hash()
            session.set_expiry(24 * 3600)
            session.create()
            self.librarians.append((staff.pk, session.session_key))
            queue_monitor_start(actor=staff, queue_id=self.queue.pk)
        connections.close_all()
        self.flush_redis()


# --- The load generator (child processes) -------------------------------------------------


def percentile(samples, p: float):
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


class Chat:
    __slots__ = (
        "i",
        "port",
        "token",
        "conv",
        "patron",
        "desk",
        "seen",
        "active",
    )

    def __init__(self, i, port):
        self.i, self.port = i, port
        self.token = self.conv = self.patron = self.desk = None
        # seqs pushed to each side; a resume reply may repeat a push (the
        # protocol's clients de-duplicate those), two pushes may not.
        self.seen = {"patron": set(), "desk": set()}
        self.active = None


class Desk:
    __slots__ = ("j", "session", "ws", "chats", "accepts", "task", "listed_at")

    def __init__(self, j, session):
        self.j, self.session = j, session
        self.ws = self.task = self.listed_at = None
        self.chats: dict[int, Chat] = {}
        self.accepts: dict[int, asyncio.Future] = {}


class LoadGen:
    """One asyncio process driving its share of the chats."""

    def __init__(self, cfg: dict, chat_ids: list[int], pipe, go):
        self.cfg, self.pipe, self.go = cfg, pipe, go
        self.mode = cfg["mode"]
        self.interval = cfg["interval"]
        ports = cfg["ports"]
        self.chats = [Chat(i, ports[i % len(ports)]) for i in chat_ids]
        per = cfg["chats_per_librarian"]
        self.desks: dict[int, Desk] = {}
        if self.mode == "chat":
            for chat in self.chats:
                j = chat.i // per
                if j not in self.desks:
                    self.desks[j] = Desk(j, cfg["sessions"][j])
                chat.desk = self.desks[j]
        self.sockets = []
        self.sent: dict[str, float] = {}  # client_id -> send instant
        self.acked: set[str] = set()
        self.delivered: set[str] = set()  # received by the other side
        self.received: set[tuple[str, str]] = set()  # (client_id, side)
        self.latency = {"patron->desk": [], "desk->patron": []}
        self.ack_latency = []
        self.dup_seq = self.dup_client = 0
        self.errors = Counter()
        self.frames = Counter()
        self.ramp_failures = Counter()
        self.closed_early = 0
        self.close_reasons = Counter()
        # Chats between their start and their pickup at once: bounds how many
        # patrons wait (each waiting patron re-reads its position on every
        # change) when the server picks up slower than the ramp starts.
        self.opening = asyncio.Semaphore(cfg["ramp_concurrency"])
        self.closing = False
        self.measuring = False
        self.lag = []
        # Routing: when each chat's start was sent, and when each desk first
        # listed it (its `waiting_add`); a desk counts for the chats started
        # after its first whole list arrived.
        self.started_at: dict[int, float] = {}
        self.start_ms: list[float] = []  # POST /start answered
        self.listed: dict[int, dict[int, float]] = {}

    # Plumbing --------------------------------------------------------------------

    async def connect(self, port, path, cookie=None):
        from websockets.asyncio.client import connect

        headers = {"Cookie": f"sessionid={cookie}"} if cookie else None
        ws = await connect(
            f"ws://127.0.0.1:{port}{path}",
            origin=f"http://localhost:{port}",
            additional_headers=headers,
            open_timeout=120,
            close_timeout=5,
            max_size=32 * 1024 * 1024,
            compression=None if self.cfg["no_deflate"] else "deflate",
        )
        self.sockets.append(ws)
        return ws

    async def post_start(self, chat: Chat) -> str:
        """POST /chat/<code>/start from the chat's own loopback address."""
        i = chat.i + self.cfg["address_offset"]
        source = f"127.{1 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"
        body = json.dumps(
            {
                "question": f"Bench chat {chat.i}: how fast is this chat?",
                "name": f"Bench patron {chat.i}",
                "patron_status": "public",
                "resident": True,
                "lang": "en",
            }
        ).encode()
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", chat.port, local_addr=(source, 0)
        )
        writer.write(
            (
                f"POST /chat/{self.cfg['library']}/start HTTP/1.1\r\n"
                f"Host: localhost:{chat.port}\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
            + body
        )
        raw = await reader.read()
        writer.close()
        head, _, payload = raw.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if b"transfer-encoding: chunked" in head.lower():
            payload = _unchunk(payload)
        if status != 201:
            raise RuntimeError(f"start: HTTP {status} {payload[:200]!r}")
        return json.loads(payload)["token"]

    async def lookup(self, token: str) -> int:
        async with self.db_lock:
            cursor = await self.db.execute(
                f"SELECT id FROM {self.cfg['conversation_table']} "
                "WHERE patron_token = %s",
                (token,),
            )
            row = await cursor.fetchone()
        return row[0]

    async def heartbeats(self, ws):
        await asyncio.sleep(random.uniform(0, 20))
        while not self.closing:
            try:
                await ws.send('{"type": "heartbeat"}')
            except Exception:  # noqa: BLE001 - the reader counts closed sockets
                return
            await asyncio.sleep(20)

    # Frames ------------------------------------------------------------------------

    def on_message(self, chat: Chat, side: str, message: dict, now: float):
        seen = chat.seen[side]
        if message["seq"] in seen:
            self.dup_seq += 1
            return
        seen.add(message["seq"])
        client_id = message.get("client_id") or ""
        if not client_id.startswith("b-"):
            return  # the question, system messages
        key = (client_id, side)
        if key in self.received:
            self.dup_client += 1
            return
        self.received.add(key)
        from_side = "patron" if message["sender"] == "patron" else "desk"
        if from_side == side:
            return  # our own message, pushed back to us
        self.delivered.add(client_id)
        sent_at = float(message["body"].rsplit("t=", 1)[1])
        self.latency[f"{from_side}->{side}"].append((now - sent_at) * 1000)

    def on_ack(self, frame: dict, now: float):
        client_id = frame.get("client_id", "")
        if client_id in self.sent and client_id not in self.acked:
            self.acked.add(client_id)
            self.ack_latency.append((now - self.sent[client_id]) * 1000)

    async def read_patron(self, chat: Chat):
        try:
            async for text in chat.patron:
                now = time.monotonic()
                frame = json.loads(text)
                kind = frame.get("type")
                self.frames[f"patron {kind}"] += 1
                if kind == "message":
                    self.on_message(chat, "patron", frame["message"], now)
                elif kind == "ack":
                    self.on_ack(frame, now)
                elif kind == "state":
                    status = frame["state"]["status"]
                    if status == "active" and chat.active and not chat.active.done():
                        chat.active.set_result(True)
                elif kind == "error":
                    self.errors[f"patron {frame.get('code')}"] += 1
        except Exception as error:  # noqa: BLE001 - counted below
            self.note_close(chat.patron, error)
            return
        self.note_close(chat.patron, None)

    async def read_desk(self, desk: Desk):
        try:
            async for text in desk.ws:
                now = time.monotonic()
                # Lists for every desk (waiting, on duty, mine) can be large:
                # skip parsing what the bench does not need.
                if text.startswith(WAITING_ADD):
                    self.frames["desk waiting_add"] += 1
                    conv = int(
                        text[len(WAITING_ADD) : text.index(",", len(WAITING_ADD))]
                    )
                    self.listed.setdefault(conv, {}).setdefault(desk.j, now)
                    continue
                head = text[:26]
                if head.startswith(('{"type": "on_duty"', '{"type": "waiting')):
                    kind = head[10:].split('"', 1)[0]
                    self.frames[f"desk {kind}"] += 1
                    if kind == "waiting" and desk.listed_at is None:
                        desk.listed_at = now
                    continue
                frame = json.loads(text)
                kind = frame.get("type")
                self.frames[f"desk {kind}"] += 1
                if kind == "message":
                    chat = desk.chats.get(frame["conversation"])
                    if chat is not None:
                        self.on_message(chat, "desk", frame["message"], now)
                elif kind == "ack":
                    self.on_ack(frame, now)
                elif kind == "accepted":
                    future = desk.accepts.pop(frame["conversation"]["id"], None)
                    if future and not future.done():
                        future.set_result(True)
                elif kind == "error":
                    self.errors[f"desk {frame.get('code')}"] += 1
                    future = desk.accepts.pop(frame.get("conversation"), None)
                    if future and not future.done():
                        future.set_exception(
                            RuntimeError(f"accept refused: {frame.get('code')}")
                        )
        except Exception as error:  # noqa: BLE001 - counted below
            self.note_close(desk.ws, error)
            return
        self.note_close(desk.ws, None)

    def note_close(self, ws, error):
        if self.closing:
            return
        self.closed_early += 1
        reason = (
            f"{type(error).__name__}: {error}" if error else f"closed {ws.close_code}"
        )
        self.close_reasons[reason[:150]] += 1

    # Ramp ----------------------------------------------------------------------------

    async def open_desk(self, desk: Desk, port: int):
        desk.ws = await self.connect(port, "/ws/desk/", cookie=desk.session)
        asyncio.ensure_future(self.read_desk(desk))
        await desk.ws.send('{"type": "heartbeat"}')
        asyncio.ensure_future(self.heartbeats(desk.ws))

    async def open_chat(self, chat: Chat, at: float):
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        step = "connecting"
        try:
            if self.mode == "echo":
                chat.patron = await self.connect(chat.port, f"/pair/{chat.i}/patron")
                asyncio.ensure_future(self.read_patron(chat))
                chat.desk = Desk(chat.i, None)
                chat.desk.ws = await self.connect(chat.port, f"/pair/{chat.i}/desk")
                chat.conv = chat.i
                chat.desk.chats[chat.i] = chat
                asyncio.ensure_future(self.read_desk(chat.desk))
                return True
            desk = chat.desk
            if desk.task is None:
                desk.task = asyncio.ensure_future(self.open_desk(desk, chat.port))
            await desk.task
            step = "starting"
            async with self.opening:
                return await self._start_and_accept(chat, desk)
        except Exception as error:  # noqa: BLE001 - reported as ramp failures
            self.ramp_failures[
                f"{step}: {type(error).__name__}: {str(error)[:120]}"
            ] += 1
            return False

    async def _start_and_accept(self, chat: Chat, desk: Desk):
        step = "starting"
        try:
            started = time.monotonic()
            chat.token = await self.post_start(chat)
            self.start_ms.append((time.monotonic() - started) * 1000)
            chat.active = asyncio.get_running_loop().create_future()
            chat.patron = await self.connect(chat.port, f"/ws/chat/{chat.token}/")
            asyncio.ensure_future(self.read_patron(chat))
            await chat.patron.send('{"type": "resume", "after": 0}')
            asyncio.ensure_future(self.heartbeats(chat.patron))
            chat.conv = await self.lookup(chat.token)
            self.started_at[chat.conv] = started
            desk.chats[chat.conv] = chat
            accepted = desk.accepts[chat.conv] = (
                asyncio.get_running_loop().create_future()
            )
            await desk.ws.send(
                json.dumps({"type": "accept", "conversation": chat.conv})
            )
            step = "waiting for accepted"
            await asyncio.wait_for(accepted, 90)
            step = "waiting for the patron's active state"
            await asyncio.wait_for(chat.active, 90)
            return True
        except Exception as error:  # noqa: BLE001 - reported as ramp failures
            self.ramp_failures[
                f"{step}: {type(error).__name__}: {str(error)[:120]}"
            ] += 1
            return False

    # Measure -------------------------------------------------------------------------

    async def send_loop(self, chat: Chat, side: str, end: float):
        ws = chat.patron if side == "patron" else chat.desk.ws
        first = time.monotonic() + random.uniform(0, self.interval)
        n = 0
        while True:
            at = first + n * self.interval
            if at >= end:
                return
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            n += 1
            client_id = f"b-{chat.i}-{side[0]}-{n}"
            now = time.monotonic()
            frame = {
                "type": "message",
                "body": f"Bench message {n} from the {side} of chat {chat.i}, t={now:.6f}",
                "client_id": client_id,
            }
            if side == "desk":
                frame["conversation"] = chat.conv
            self.sent[client_id] = now
            try:
                await ws.send(json.dumps(frame))
            except Exception:  # noqa: BLE001 - shows up as lost
                return

    async def lag_monitor(self):
        while not self.closing:
            before = time.monotonic()
            await asyncio.sleep(0.1)
            if self.measuring:
                self.lag.append((time.monotonic() - before - 0.1) * 1000)

    async def run(self):
        cfg = self.cfg
        loop = asyncio.get_running_loop()
        if self.mode == "chat":
            import psycopg

            self.db = await psycopg.AsyncConnection.connect(
                cfg["database_url"], autocommit=True
            )
            self.db_lock = asyncio.Lock()
        asyncio.ensure_future(self.lag_monitor())
        t0 = time.monotonic()
        n_total, ramp = cfg["chats"], cfg["ramp"]
        results = await asyncio.gather(
            *(
                self.open_chat(chat, t0 + ramp * chat.i / max(1, n_total))
                for chat in self.chats
            )
        )
        ready = [c for c, ok in zip(self.chats, results, strict=True) if ok]
        ramp_seconds = time.monotonic() - t0
        self.pipe.send(
            {
                "ramp_cpu_percent": 100.0 * _rusage_seconds() / ramp_seconds,
                "close_reasons": dict(self.close_reasons),
                "ready": len(ready),
                "ramp_seconds": ramp_seconds,
                "failures": dict(self.ramp_failures),
                "sockets": len(self.sockets),
            }
        )
        await loop.run_in_executor(None, self.go.wait)
        cpu0, start = _rusage_seconds(), time.monotonic()
        end = start + cfg["duration"]
        self.measuring = True
        senders = [
            self.send_loop(chat, side, end)
            for chat in ready
            for side in ("patron", "desk")
        ]
        await asyncio.gather(*senders)
        await asyncio.sleep(max(0.0, end - time.monotonic()))
        cpu1 = _rusage_seconds()
        self.measuring = False
        drain_end = time.monotonic() + cfg["drain"]
        while time.monotonic() < drain_end and len(self.delivered) < len(self.sent):
            await asyncio.sleep(0.1)
        drained = time.monotonic() - end
        lost = [cid for cid in self.sent if cid not in self.delivered]
        result = {
            "chats": len(ready),
            "sent": len(self.sent),
            "delivered": len(self.delivered),
            "lost": len(lost),
            "lost_examples": lost[:5],
            "unacked": len(set(self.sent) - self.acked),
            "dup_seq": self.dup_seq,
            "dup_client": self.dup_client,
            "latency": self.latency,
            "ack_latency": self.ack_latency,
            "errors": dict(self.errors),
            "frames": dict(self.frames),
            "closed_early": self.closed_early,
            "close_reasons": dict(self.close_reasons),
            "client_cpu_percent": 100.0 * (cpu1 - cpu0) / cfg["duration"],
            "loop_lag_p99_ms": percentile(self.lag, 0.99),
            "loop_lag_max_ms": max(self.lag) if self.lag else None,
            "drain_seconds": drained,
            "started_at": self.started_at,
            "start_ms": self.start_ms,
            "desk_listed_at": {d.j: d.listed_at for d in self.desks.values()},
            "listed": self.listed,
        }
        self.closing = True
        await asyncio.wait(
            [asyncio.ensure_future(ws.close()) for ws in self.sockets], timeout=15
        )
        if self.mode == "chat":
            await self.db.close()
        self.pipe.send(result)


def _rusage_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return out


def loadgen_main(cfg: dict, chat_ids: list[int], pipe, go):
    import uvloop

    try:
        uvloop.run(LoadGen(cfg, chat_ids, pipe, go).run())
    except Exception as error:  # noqa: BLE001 - the parent reports it
        pipe.send({"crash": repr(error)})


# --- One measured run (parent) ---------------------------------------------------------------


def wait_quiet(pids_of, most: float, threshold: float = 15.0) -> float:
    """Seconds until the server's CPU stays under `threshold` % of a core."""
    start, calm = time.monotonic(), 0
    while time.monotonic() - start < most:
        before = cpu_ticks(pids_of())
        time.sleep(1.0)
        used = 100.0 * (cpu_ticks(pids_of()) - before) / CLK_TCK
        calm = calm + 1 if used < threshold else 0
        if calm >= 2:
            break
    return time.monotonic() - start


def run_once(bench: Bench, kind: str, chats: int) -> dict:
    """Start the server(s), run the load, stop them. kind: chat | echo."""
    args = bench.args
    per = args.chats_per_librarian if kind == "chat" else 1
    ramp = args.ramp if args.ramp is not None else chats / args.ramp_rate
    background = machine_busy()
    if kind == "chat":
        librarians = -(-chats // per)
        bench.reset(librarians)
        servers = [
            Server(
                "asktogether",
                uvicorn_argv("consortium.asgi:application", args.port, args.workers),
                bench.env,
                args.port,
                bench.tmp,
            )
        ]
        ready_path = f"/widget/{bench.library.code}/status.json"
    else:
        servers = [
            Server(
                "echo",
                uvicorn_argv("bench.echo_relay:app", args.port + k, 1),
                {},
                args.port + k,
                bench.tmp,
            )
            for k in range(args.echo_processes)
        ]
        ready_path = "/"
    for server in servers:
        server.start()
    try:
        for server in servers:
            server.wait_ready(ready_path)
            for _ in range(4):  # warm every worker a little
                server.wait_ready(ready_path)

        def server_pids(_procs=None):
            return [p for s in servers for p in s.pids()]

        time.sleep(1.0)
        rss_before = rss_kib(server_pids())
        cfg = {
            "mode": kind,
            "chats": chats,
            "ramp": ramp,
            "duration": args.duration,
            "interval": args.interval,
            "drain": args.drain,
            "ports": [s.port for s in servers],
            "chats_per_librarian": per,
            "ramp_concurrency": args.ramp_concurrency,
            "no_deflate": args.no_deflate,
            "address_offset": bench.address_offset,
        }
        bench.address_offset += chats
        if kind == "chat":
            cfg.update(
                sessions=[key for _pk, key in bench.librarians],
                library=bench.library.code,
                database_url=bench.database_url,
                conversation_table=bench.conversation_table,
            )
        workers, pipes = [], []
        meter = CpuMeter(
            {
                "server": lambda procs: server_pids(),
                "load generator": lambda procs: [w.pid for w in workers],
                "postgres": lambda procs: [
                    p for p, (_pp, _t, comm) in procs.items() if comm == "postgres"
                ],
                "redis": lambda procs: [
                    p
                    for p, (_pp, _t, comm) in procs.items()
                    if comm.startswith("redis-serv")
                ],
            }
        )
        ctx = multiprocessing.get_context("spawn")
        go = ctx.Event()
        for k in range(args.client_processes):
            ids = [i for i in range(chats) if (i // per) % args.client_processes == k]
            parent_end, child_end = ctx.Pipe()
            process = ctx.Process(target=loadgen_main, args=(cfg, ids, child_end, go))
            process.start()
            workers.append(process)
            pipes.append(parent_end)
        t0 = time.monotonic()
        meter.start()
        readies = [_recv(p, ramp + 900) for p in pipes]
        ramp_seconds = time.monotonic() - t0
        ramp_cpu = meter.stop()
        settle = wait_quiet(server_pids, args.settle)
        rss_after = rss_kib(server_pids())
        sockets = sum(r.get("sockets", 0) for r in readies)
        print(
            f"  {kind}: {chats} chats up in {ramp_seconds:.0f} s, settled in "
            f"{settle:.0f} s; measuring {args.duration:g} s",
            flush=True,
        )
        go.set()
        meter.start()
        time.sleep(args.duration)
        cpu = meter.stop()
        outs = [_recv(p, args.drain + 120) for p in pipes]
        for process in workers:
            process.join(timeout=30)
        rss_end = rss_kib(server_pids())
    finally:
        for server in servers:
            server.stop()
    problems = [line for s in servers for line in s.log_problems()]
    if kind == "chat":
        bench.flush_redis()
    return summarize(
        kind,
        chats,
        ramp,
        args,
        readies,
        outs,
        ramp_seconds=ramp_seconds,
        settle=settle,
        sockets=sockets,
        rss=(rss_before, rss_after, rss_end),
        cpu=cpu,
        ramp_cpu=ramp_cpu,
        problems=problems,
        workers=args.workers if kind == "chat" else len(servers),
        background_cpu_percent=round(background, 1),
    )


def _recv(pipe, timeout: float) -> dict:
    if not pipe.poll(timeout):
        raise RuntimeError("A load generator did not answer in time.")
    message = pipe.recv()
    if "crash" in message:
        raise RuntimeError(f"A load generator crashed: {message['crash']}")
    return message


def summarize(kind, chats, ramp, args, readies, outs, **extra) -> dict:
    latency = {"patron->desk": [], "desk->patron": []}
    acks = []
    totals = Counter()
    errors, frames, failures = Counter(), Counter(), Counter()
    for out in outs:
        for direction, samples in out["latency"].items():
            latency[direction] += samples
        acks += out["ack_latency"]
        for key in (
            "sent",
            "delivered",
            "lost",
            "unacked",
            "dup_seq",
            "dup_client",
            "closed_early",
            "chats",
        ):
            totals[key] += out[key]
        errors.update(out["errors"])
        frames.update(out["frames"])
    routing = routing_latency(outs) if kind == "chat" else None
    closes = Counter()
    for ready in readies:
        failures.update(ready["failures"])
    for out in outs:
        closes.update(out["close_reasons"])
    both = latency["patron->desk"] + latency["desk->patron"]
    rss_before, rss_after, rss_end = extra.pop("rss")
    sockets = extra["sockets"]

    def pct(samples):
        return {
            p: round(percentile(samples, p / 100), 1) if samples else None
            for p in (50, 95, 99)
        } | {"max": round(max(samples), 1) if samples else None}

    return {
        "kind": kind,
        "chats": chats,
        "chats_ready": sum(r["ready"] for r in readies),
        "ramp": ramp,
        "duration": args.duration,
        "interval": args.interval,
        "latency_ms": pct(both),
        "latency_by_direction_ms": {d: pct(s) for d, s in latency.items()},
        "ack_ms": pct(acks),
        "messages_per_second": totals["delivered"] / args.duration,
        "sent": totals["sent"],
        "delivered": totals["delivered"],
        "lost": totals["lost"],
        "unacked": totals["unacked"],
        "duplicated": totals["dup_seq"] + totals["dup_client"],
        "dup_seq": totals["dup_seq"],
        "dup_client": totals["dup_client"],
        "closed_early": totals["closed_early"],
        "errors": dict(errors),
        "frames": dict(frames),
        "ramp_failures": dict(failures),
        "close_reasons": dict(closes),
        "client_ramp_cpu_percent": [round(r["ramp_cpu_percent"], 1) for r in readies],
        "rss_kib": {"before": rss_before, "connected": rss_after, "end": rss_end},
        "kib_per_connection": (rss_after - rss_before) / max(1, sockets),
        "client_cpu_percent": [round(o["client_cpu_percent"], 1) for o in outs],
        "client_loop_lag_p99_ms": [round(o["loop_lag_p99_ms"] or 0, 1) for o in outs],
        "drain_seconds": max(o["drain_seconds"] for o in outs),
        "cpu_percent": {k: round(v, 1) for k, v in extra.pop("cpu").items()},
        "ramp_cpu_percent": {k: round(v, 1) for k, v in extra.pop("ramp_cpu").items()},
        "client_processes": args.client_processes,
        "routing_ms": pct(routing["samples"]) if routing else None,
        "start_ms": pct([t for o in outs for t in o.get("start_ms", [])]),
        "routing_unlisted": routing["unlisted"] if routing else None,
        "routing_desks": routing["desks"] if routing else None,
        **extra,
    }


def routing_latency(outs) -> dict:
    """Per chat, patron `start` sent -> the chat listed on the last of the
    desks that were connected (their first whole list in) when it started:
    every bench librarian monitors the bench queue, so every such desk may
    pick it up. `unlisted`: (chat, desk) pairs that never listed it."""
    started, ready, listed = {}, {}, {}
    for out in outs:
        started.update(out["started_at"])
        ready.update({j: t for j, t in out["desk_listed_at"].items() if t is not None})
        for conv, seen in out["listed"].items():
            listed.setdefault(conv, {}).update(seen)
    samples, unlisted, pairs = [], 0, 0
    for conv, t0 in started.items():
        eligible = [j for j, t in ready.items() if t < t0]
        seen = listed.get(conv, {})
        missing = [j for j in eligible if j not in seen]
        unlisted += len(missing)
        pairs += len(eligible)
        if eligible and not missing:
            samples.append((max(seen[j] for j in eligible) - t0) * 1000)
    return {"samples": samples, "unlisted": unlisted, "desks": pairs}


# --- Reports -----------------------------------------------------------------------------


def _ms(p: dict) -> str:
    if p[50] is None:
        return "n/a"
    return f"p50 {p[50]:.1f}  p95 {p[95]:.1f}  p99 {p[99]:.1f}  max {p['max']:.1f} ms"


def report(result: dict, title: str):
    r = result
    print(f"\n== {title}")
    print(
        f"  chats            {r['chats_ready']}/{r['chats']} ready "
        f"({r['sockets']} sockets), ramp {r['ramp']:.0f} s took "
        f"{r['ramp_seconds']:.1f} s, settled in {r['settle']:.1f} s"
    )
    if r["ramp_failures"]:
        print(f"  ramp failures    {r['ramp_failures']}")
    if r["close_reasons"]:
        print(f"  sockets closed   {r['close_reasons']}")
    print(f"  end-to-end       {_ms(r['latency_ms'])}")
    for direction, p in r["latency_by_direction_ms"].items():
        print(f"    {direction:<13}  {_ms(p)}")
    print(f"  ack              {_ms(r['ack_ms'])}")
    if r.get("start_ms") and r["start_ms"][50] is not None:
        print(f"  POST start       {_ms(r['start_ms'])}")
    if r.get("routing_ms"):
        print(
            f"  routing          {_ms(r['routing_ms'])}  (patron start -> listed on "
            f"every eligible desk; {r['routing_desks']} chat x desk pairs, "
            f"{r['routing_unlisted']} never listed)"
        )
    print(
        f"  throughput       {r['messages_per_second']:.1f} messages/s delivered "
        f"({r['sent']} sent in {r['duration']} s, one per {r['interval']:g} s per side)"
    )
    print(
        f"  lost             {r['lost']}   duplicated {r['duplicated']} "
        f"(by seq {r['dup_seq']}, by client_id {r['dup_client']})   "
        f"unacked {r['unacked']}   sockets closed early {r['closed_early']}"
    )
    rss = r["rss_kib"]
    print(
        f"  server memory    {r['kib_per_connection']:.1f} KiB per connection "
        f"(RSS {rss['before'] / 1024:.0f} MiB idle -> {rss['connected'] / 1024:.0f} MiB "
        f"connected -> {rss['end'] / 1024:.0f} MiB at the end, {r['workers']} processes)"
    )
    cpu = r["cpu_percent"]
    print(
        f"  machine before   {r['background_cpu_percent']:.0f} % of one core busy "
        "with other work before the run"
    )
    print(
        "  cpu while measuring (% of one core, 200 = both): "
        + ", ".join(f"{k} {v:.0f}" for k, v in cpu.items())
    )
    if "ramp_cpu_percent" in r:
        print(
            "  cpu in the ramp:   "
            + ", ".join(f"{k} {v:.0f}" for k, v in r["ramp_cpu_percent"].items())
        )
    print(
        f"  load generator   {r['client_processes']} process(es), "
        f"CPU {r['client_cpu_percent']} % measuring, "
        f"{r['client_ramp_cpu_percent']} % in the ramp, event-loop lag p99 "
        f"{r['client_loop_lag_p99_ms']} ms"
    )
    if r["errors"]:
        print(f"  error frames     {r['errors']}")
    if r["problems"]:
        print(f"  server log       {len(r['problems'])} problem lines, e.g.:")
        for line in r["problems"][:5]:
            print(f"    {line[:160]}")


def verdict(result: dict) -> str:
    """The targets of a 500-chat run (issue 15), one by one."""
    p, routing = result["latency_ms"], result.get("routing_ms") or {}
    checks = [
        (
            f"p95 < {TARGET_P95_MS} ms, p99 < {TARGET_P99_MS} ms",
            p[95] is not None and p[95] < TARGET_P95_MS and p[99] < TARGET_P99_MS,
        ),
        (
            "0 lost, 0 duplicated, every chat picked up",
            result["lost"] == 0
            and result["duplicated"] == 0
            and result["chats_ready"] == result["chats"]
            and not result["ramp_failures"],
        ),
        (
            f"ramp < {TARGET_RAMP_S} s",
            result["ramp_seconds"] < TARGET_RAMP_S,
        ),
        (
            f"< {TARGET_KIB_PER_CONNECTION} KiB per connection",
            result["kib_per_connection"] < TARGET_KIB_PER_CONNECTION,
        ),
        (
            f"routing p95 < {TARGET_ROUTING_P95_MS} ms",
            routing.get(95) is not None
            and routing[95] < TARGET_ROUTING_P95_MS
            and result["routing_unlisted"] == 0,
        ),
    ]
    return "targets: " + "; ".join(
        f"{name} {'MET' if ok else 'MISSED'}" for name, ok in checks
    )


def ratio_to_ceiling(chat: dict, echo: dict) -> str:
    """How far the product is from this machine's pure relay, same run."""
    a, b = chat["latency_ms"], echo["latency_ms"]
    if a[50] is None or b[50] is None:
        return "ratio to the ceiling: n/a"
    return (
        "ratio to the ceiling (AskTogether / pure relay): latency "
        f"p50 {a[50] / b[50]:.1f}x, p95 {a[95] / b[95]:.1f}x, p99 {a[99] / b[99]:.1f}x; "
        f"memory per connection {chat['kib_per_connection'] / echo['kib_per_connection']:.1f}x; "
        f"ramp {chat['ramp_seconds'] / echo['ramp_seconds']:.1f}x"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--duration", type=float, default=60, help="seconds measured")
    parser.add_argument(
        "--ramp",
        type=float,
        default=None,
        help="seconds over which chats are opened (default: chats / --ramp-rate)",
    )
    parser.add_argument("--ramp-rate", type=float, default=25, help="chats/s")
    parser.add_argument(
        "--ramp-concurrency",
        type=int,
        default=20,
        help="most chats between start and pickup at once (per load process)",
    )
    parser.add_argument("--interval", type=float, default=5, help="s between messages")
    parser.add_argument("--drain", type=float, default=15, help="s to wait at the end")
    parser.add_argument("--settle", type=float, default=90, help="most s to settle")
    parser.add_argument("--find-max", action="store_true")
    parser.add_argument("--steps", default=",".join(map(str, FIND_MAX_STEPS)))
    parser.add_argument("--no-echo", action="store_true", help="skip the ceiling")
    parser.add_argument("--echo-only", action="store_true")
    parser.add_argument("--echo-processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument(
        "--chats-per-librarian",
        type=int,
        default=5,
        help="chats of one librarian, sharing their desk socket (1 to 10)",
    )
    parser.add_argument("--no-deflate", action="store_true")
    parser.add_argument("--library", default="", help="library code (default: first)")
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument("--db-name", default="asktogether_bench")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--redis-host", default="127.0.0.1")
    parser.add_argument("--redis-port", type=int, default=6379)
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--keep-db", action="store_true", help="do not drop it")
    parser.add_argument(
        "--reuse-db", action="store_true", help="use a kept database as it is"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.chats_per_librarian <= 10:
        parser.error("--chats-per-librarian is 1 to 10 (a librarian's max_chats)")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    bench = Bench(args)
    bench.address_offset = 0
    print(
        f"Live chat load bench: {os.cpu_count()} cores, uvicorn --workers "
        f"{args.workers} (uvloop, httptools, websockets-sansio, no deflate), DEBUG=False, "
        f"PostgreSQL {args.pg_host}:{args.pg_port}/{args.db_name}, Redis db "
        f"{args.redis_db}",
        flush=True,
    )
    results = {"machine": machine_description(), "args": vars(args), "runs": []}
    try:
        if not args.echo_only:
            t = time.monotonic()
            bench.flush_redis()
            if args.reuse_db:
                bench.setup_django()
                bench.locate()
            else:
                bench.create_database()
                bench.setup_django()
                bench.seed()
            from chat.models import Conversation

            bench.conversation_table = Conversation._meta.db_table
            print(
                f"database ready in {time.monotonic() - t:.0f} s; bench library "
                f"{bench.library.code} ({bench.library.name}), queue {bench.queue.code}",
                flush=True,
            )
        if args.find_max:
            find_max(bench, args, results)
        else:
            if not args.echo_only:
                result = run_once(bench, "chat", args.chats)
                results["runs"].append(result)
                report(result, f"AskTogether: {args.chats} chats")
                print("  " + verdict(result), flush=True)
            if not args.no_echo:
                result = run_once(bench, "echo", args.chats)
                results["runs"].append(result)
                report(
                    result,
                    f"Ceiling: pure-ASGI relay, {args.chats} pairs, "
                    f"{args.echo_processes} single-worker uvicorn processes",
                )
                if not args.echo_only:
                    print("  " + ratio_to_ceiling(results["runs"][0], result))
    finally:
        if not args.echo_only:
            try:
                bench.flush_redis()
            finally:
                if not (args.keep_db or args.reuse_db):
                    bench.drop_database()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))


def find_max(bench: Bench, args, results):
    steps = [int(s) for s in args.steps.split(",")]
    best = None
    print(f"\nfind-max: p95 under {FIND_MAX_P95_MS} ms, steps {steps}", flush=True)
    for n in steps:
        result = run_once(bench, "chat", n)
        results["runs"].append(result)
        report(result, f"AskTogether: {n} chats")
        p95 = result["latency_ms"][95]
        ok = (
            p95 is not None
            and p95 < FIND_MAX_P95_MS
            and result["chats_ready"] == n
            and result["lost"] == 0
        )
        print(f"  step {n}: {'ok' if ok else 'over'}", flush=True)
        if not ok:
            break
        best = n
    results["largest_n"] = best
    print(f"\nlargest N with p95 < {FIND_MAX_P95_MS} ms (all chats up, 0 lost): {best}")


def machine_description() -> str:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    return f"{os.cpu_count()} × {model}, {int(mem) // 1024 // 1024} GiB RAM"


if __name__ == "__main__":
    main()
