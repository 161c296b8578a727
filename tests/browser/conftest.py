"""Shared set-up of the browser tests: the machine's Chromium driven by
Playwright, and the whole system (`manage.py run_all`: web, worker, beat) on
the demo consortium in a temporary folder."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

needs_chromium = pytest.mark.skipif(
    not shutil.which(CHROMIUM),
    reason=f"no Chromium at {CHROMIUM} (apt-get install -y chromium)",
)

# The demo's posted hours depend on the day; the tests need the patron's
# library and the Statewide co-op open whenever they run.
ALWAYS_OPEN = """
from consortium.models import Closure, Holiday, PostedHours, Queue, TermType
Holiday.objects.all().delete()
Closure.objects.all().delete()
for code in ("sprc", "coop-statewide"):
    queue = Queue.objects.get(code=code)
    queue.hours.all().delete()
    for term in TermType.values:
        for day in range(7):
            PostedHours.objects.create(queue=queue, term_type=term, weekday=day,
                                       opens=0, closes=24 * 60)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


@dataclass
class Stack:
    base: str
    env: dict
    log: Path

    def manage(self, *args, stdin: bytes | None = None) -> str:
        """Run a management command against this stack's database."""
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            check=True,
        ).stdout.decode()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, request):
    """`run_all` on a fresh demo database (SQLite in a temporary folder),
    with the patron's library and the co-op always open."""
    var = tmp_path_factory.mktemp("var")
    prefix = f"browser-{request.module.__name__.rsplit('.', 1)[-1]}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "PYTEST_ADDOPTS")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="consortium.settings",
        ASKTOGETHER_VAR_DIR=str(var),
        CHANNELS_PREFIX=prefix,
        CACHE_PREFIX=prefix,
    )
    if "REDIS_URL" in env:  # its own Redis database: no stray tasks from tests
        env["REDIS_URL"] = env["REDIS_URL"].rsplit("/", 1)[0] + "/8"
    port = free_port()
    stack = Stack(f"http://localhost:{port}", env, var / "run_all.log")
    stack.manage("migrate", "-v0")
    stack.manage("seed_demo", "-v0")
    stack.manage("shell", "-v", "0", "-c", ALWAYS_OPEN)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_all", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=stack.log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(f"{stack.base}/libraries/")
        yield stack
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


# Content-Security-Policy violations of the current test's pages: Chromium
# reports each on the console ("Refused to ... because it violates the
# following Content Security Policy directive"), and every page also logs its
# `securitypolicyviolation` events there, with the directive and the source.
CSP_VIOLATIONS: list[str] = []
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("Content Security Policy violation: " + e.violatedDirective +
    " blocked " + (e.blockedURI || "inline") + " in " + e.documentURI +
    " (" + (e.sourceFile || "") + ":" + e.lineNumber + ")");
});
"""


def _watch_csp(context):
    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(message.text)

    context.on("console", on_console)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    return context


@pytest.fixture(autouse=True)
def no_csp_violations():
    """Fail the test when one of its pages broke the Content-Security-Policy
    (settings.CONTENT_SECURITY_POLICY): something would not work for users."""
    CSP_VIOLATIONS.clear()
    yield
    found, CSP_VIOLATIONS[:] = list(CSP_VIOLATIONS), []
    assert not found, "Content-Security-Policy violations:\n" + "\n".join(found)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        # Every context and page the tests open reports CSP violations.
        new_context = browser.new_context

        def watched_context(*args, **kwargs):
            return _watch_csp(new_context(*args, **kwargs))

        def watched_page(*args, **kwargs):
            return watched_context(*args, **kwargs).new_page()

        browser.new_context = watched_context
        browser.new_page = watched_page
        yield browser
        browser.close()


def sign_in(browser, base, username, *, desk_connected=True):
    context = browser.new_context()
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{base}/accounts/login/?next=/desk/")
    page.fill("#id_username", username)
    page.fill("#id_password", "askdemo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/desk/")
    if desk_connected:
        page.get_by_text("Connected.").wait_for()
    return page
