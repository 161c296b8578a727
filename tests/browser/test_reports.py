"""A site coordinator reads the reports of the demo's last 30 days: every
chart is drawn on its canvas under the strict Content-Security-Policy, every
chart has its table, a table downloads as CSV from the page, and axe-core
(tests/browser/vendor/axe.min.js) finds no WCAG 2.2 A/AA violation."""

import csv
import io
from pathlib import Path

from tests.browser.conftest import needs_chromium

pytestmark = needs_chromium

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) =>
    v.id + ": " + v.help + " at " + v.nodes.map((n) => n.target.join(" ")).join(", "));
}"""


def test_a_coordinator_reads_charts_and_tables_and_downloads_a_csv(stack, browser):
    context = browser.new_context(accept_downloads=True)
    # An init script goes in through the DevTools protocol, not the page: the
    # page's own policy (no inline scripts) stays as it is for the test.
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.goto(f"{stack.base}/accounts/login/?next=/reports/")
    page.fill("#id_username", "sprc-coord")
    page.fill("#id_password", "askdemo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.base}/reports/")

    page.select_option("#f-period", "last-30-days")
    page.get_by_role("button", name="Show reports").click()
    page.wait_for_url("**/reports/?*period=last-30-days*")
    heading = page.get_by_role("heading", level=1)
    assert "Reports:" in heading.inner_text()

    charts = page.evaluate(
        "JSON.parse(document.getElementById('report-charts').textContent)"
    )
    assert len(charts) >= 10
    # Chart.js draws each chart: a Chart instance on every canvas.
    page.wait_for_function(
        "(ids) => ids.every((id) => window.Chart && Chart.getChart(id))",
        arg=[c["id"] for c in charts],
    )
    canvases = page.locator("canvas")
    assert canvases.count() == len(charts)
    for chart in charts:
        table = page.locator(f"#r-{chart['id'].removeprefix('chart-')} table")
        assert table.locator("caption").count() == 1
        assert table.locator("th[scope=col]").count() >= 2
    # The heat map is a table (no canvas) with the 7 days as row headers.
    heat = page.locator("table.heat")
    assert heat.locator("tbody th[scope=row]").all_inner_texts() == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    ]
    # The demo's history makes the charts meaningful: questions were asked.
    totals = page.locator("#r-trend tbody tr td:last-child").all_inner_texts()
    assert sum(int(t) for t in totals) > 0

    with page.expect_download() as download:
        page.locator("#r-channels a", has_text="Download CSV").click()
    path = download.value.path()
    assert download.value.suggested_filename.startswith("asktogether-channels-")
    header, *rows = list(csv.reader(io.StringIO(Path(path).read_text())))
    assert header[:2] == ["Channel", "Asked"]
    shown = page.locator("#r-channels tbody tr")
    assert [r[0] for r in rows] == shown.locator("th").all_inner_texts()
    assert [r[1] for r in rows] == shown.locator("td:nth-of-type(1)").all_inner_texts()

    violations = page.evaluate(AXE_RUN, WCAG)
    assert violations == [], "\n".join(violations)
    context.close()


def test_a_coordinator_asking_for_another_library_is_told_so(stack, browser):
    context = browser.new_context()
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.goto(f"{stack.base}/accounts/login/?next=/reports/")
    page.fill("#id_username", "sprc-coord")
    page.fill("#id_password", "askdemo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.base}/reports/")
    page.goto(f"{stack.base}/reports/?library=gcsu&from=2026-01-31&to=2026-01-01")
    alert = page.get_by_role("alert")
    assert "No library with the code “gcsu” in your scope." in alert.inner_text()
    assert page.locator("canvas").count() == 0
    page.goto(f"{stack.base}/reports/?from=2026-01-31&to=2026-01-01")
    assert "The last day 2026-01-01 is before the first day 2026-01-31." in (
        page.get_by_role("alert").inner_text()
    )
    # What was typed stays in the form, to be corrected.
    assert page.locator("#f-from").input_value() == "2026-01-31"
    violations = page.evaluate(AXE_RUN, WCAG)
    assert violations == [], "\n".join(violations)
    context.close()
