"""`make bench` (reports): the `/reports/` page at 100,000 conversations, on
PostgreSQL (issue 19: p95 under 300 ms per report page).

Uses bench/lists.py's database (`asktogether_bench_lists`) and seeding: the
demo consortium plus 51 libraries and three years of history, 100,000
conversations and 1,000,000 messages, seeded once and then reused (`--reseed`
to start again). Then it times, in-process with Django's test `Client` and
`DEBUG=False`, the report page of the last year as the help desk (every
library; and one library, by month) and as a site coordinator, and the CSV
of a table, each warmed up and then timed `--repeat` times, with the queries
of one more request; and once, the streamed CSV of the conversation records
of two years (the most a period may be), with its rows and the peak memory
the response took while it was read (it streams: it never holds the table).

    flock /tmp/bench.lock .venv/bin/python bench/reports.py
    flock /tmp/bench.lock .venv/bin/python bench/reports.py --repeat 10
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lists  # noqa: E402  (bench/lists.py: the database, seeding, timing)

TARGET_P95_MS = 300


def _collect_static_once() -> None:
    """DEBUG=False serves hashed names from the manifest, which an earlier
    run of bench/lists.py may have collected before the reports' files."""
    from django.conf import settings
    from django.core.management import call_command

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists() or "chat/reports/main.js" not in manifest.read_text():
        call_command("collectstatic", interactive=False, verbosity=0)


def pages(today) -> list[tuple[str, str, str]]:
    year = f"from={today - timedelta(days=364)}&to={today}"
    return [
        ("helpdesk", "page, every library, 1 year", f"/reports/?{year}"),
        (
            "helpdesk",
            "page, one library, 1 year by month",
            f"/reports/?{year}&library=gcsu&trend=month",
        ),
        ("coordinator", "page, own library, 1 year", f"/reports/?{year}"),
        ("helpdesk", "CSV of a table (trend)", f"/reports/?{year}&csv=trend"),
        ("coordinator", "CSV of a table (co-op)", f"/reports/?{year}&csv=coop_balance"),
    ]


def records(client, today) -> dict:
    """The records CSV of the longest period, read to the end once."""
    path = f"/reports/?from={today - timedelta(days=730)}&to={today}&csv=records"
    tracemalloc.start()
    t0 = time.perf_counter()
    response = client.get(path)
    assert response.status_code == 200 and response.streaming, response
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"rows": lines - 1, "seconds": seconds, "peak_mb": peak / 2**20}


def main(argv=None) -> int:
    args = lists.parse_args(argv)
    lists.prepare_database(args)
    lists.setup_django(args)
    lists.seed()
    _collect_static_once()
    from django.utils import timezone

    lists.print_sizes()
    made, _users = lists.clients()
    today = timezone.localdate()
    print(f"Target: p95 under {TARGET_P95_MS} ms per report page.")
    header = f"{'who':<12} {'report':<38} {'p50 ms':>8} {'p95 ms':>8} {'queries':>7}"
    print(header)
    print("-" * len(header))
    over = []
    for who, label, path in pages(today):
        figures = lists.measure(made[who], path, args)
        flag = f"  > {TARGET_P95_MS} ms" if figures["p95"] > TARGET_P95_MS else ""
        if flag:
            over.append(f"{who} {label}")
        print(
            f"{who:<12} {label:<38} {figures['p50']:8.1f} {figures['p95']:8.1f} "
            f"{figures['queries']:7d}{flag}",
            flush=True,
        )
    streamed = records(made["helpdesk"], today)
    print(
        f"helpdesk     records CSV, 2 years: {streamed['rows']:,} rows in "
        f"{streamed['seconds']:.1f} s, peak {streamed['peak_mb']:.1f} MB traced"
    )
    print(
        f"\n{len(pages(today))} report requests measured; "
        + (f"over {TARGET_P95_MS} ms p95: " + ", ".join(over) if over else "all under ")
        + ("" if over else f"{TARGET_P95_MS} ms p95.")
    )
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
