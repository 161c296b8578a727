"""In a real browser (the machine's Chromium, driven by Playwright): a
librarian signs in, monitors a queue on the desk, and the "Chat now" button
embedded on a library's website turns online."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.browser.conftest import ROOT, free_port, needs_chromium, wait_for

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The demo consortium served by Daphne on SQLite in a temporary folder."""
    var = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="consortium.settings", ASKTOGETHER_VAR_DIR=str(var)
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "seed_demo", "-v0"], env=env, cwd=ROOT, check=True)
    port = free_port()
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "consortium.asgi:application",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    site = tmp_path_factory.mktemp("site")
    site_port = free_port()
    (site / "index.html").write_text(
        "<!doctype html><title>Springfield College Library</title><h1>Library</h1>"
        '<div data-asktogether-library="sprc"></div>'
        f'<script src="http://localhost:{port}/widget/embed.js" async></script>'
    )
    website = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(site_port), "-b", "127.0.0.1"],
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://localhost:{port}/libraries/")
        wait_for(f"http://127.0.0.1:{site_port}/")
        yield f"http://localhost:{port}", f"http://127.0.0.1:{site_port}/"
    finally:
        for process in (web, website):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)


def test_monitoring_on_the_desk_turns_the_chat_now_button_online(server, browser):
    base, website = server
    patron = browser.new_page()
    patron.goto(website)
    button = patron.locator("a.asktogether-chat")
    button.wait_for()
    assert button.get_attribute("data-online") == "false"
    assert "see our hours" in button.inner_text()

    desk = browser.new_page()
    desk.goto(f"{base}/desk/")
    assert "/accounts/login/" in desk.url
    desk.fill("#id_username", "sprc-rob")
    desk.fill("#id_password", "askdemo-2026")
    desk.click("button[type=submit]")
    desk.wait_for_url(f"{base}/desk/")
    desk.get_by_text("Connected.").wait_for()
    row = desk.locator("tr", has_text="coop-statewide")
    row.get_by_role("button", name="Monitor").click()
    row.locator("button[aria-pressed=true]").wait_for()

    # The status is cached for up to 10 s; the button polls every 30 s.
    time.sleep(10.5)
    patron.reload()
    patron.locator("a.asktogether-chat[data-online=true]").wait_for(timeout=10000)
    assert "a librarian is online" in patron.locator("a.asktogether-chat").inner_text()
    hours = browser.new_page()
    hours.goto(f"{base}/libraries/sprc/")
    assert "online now" in hours.content()


def test_an_idle_librarian_stops_monitoring_after_30_minutes(server, browser):
    base, _ = server
    context = browser.new_context()
    context.clock.install()
    desk = context.new_page()
    desk.goto(f"{base}/accounts/login/?next=/desk/")
    desk.fill("#id_username", "gcsu-erin")
    desk.fill("#id_password", "askdemo-2026")
    desk.click("button[type=submit]")
    desk.wait_for_url(f"{base}/desk/")
    desk.get_by_text("Connected.").wait_for()
    row = desk.locator("tr", has_text="coop-academic")
    row.get_by_role("button", name="Monitor").click()
    row.locator("button[aria-pressed=true]").wait_for()
    desk.clock.run_for("29:00")
    assert row.locator("button[aria-pressed=true]").count() == 1
    desk.clock.run_for("02:00")
    row.locator("button[aria-pressed=false]").wait_for()
    desk.get_by_text("you stopped monitoring").wait_for()
    context.close()
