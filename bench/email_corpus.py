"""Email intake against the public corpus: the confusion table.

    .venv/bin/python bench/email_corpus.py            # Markdown to stdout
    .venv/bin/python bench/email_corpus.py --misses   # and every miss

Delivers every file of tests/chat/emails/corpus (origins in its SOURCES.md)
as a new question and as a reply to a closed ticket (tests/chat/corpus.py),
in a throw-away test database (SQLite unless DATABASE_URL is set), and
prints what intake made of each kind of mail, the deliveries per second,
and the target counts. Then the second pass: the sender of each automatic
mail that opened a ticket blocked from that ticket, as the help desk does,
and the same senders' later mail; and the whole corpus again with those
blocks in place (what they cost people's mail). docs/email-intake.md
quotes its output.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from tests.chat import corpus
        from tests.chat.conftest import open_all_week
        from tests.consortium.factories import (
            HelpdeskFactory,
            LibraryFactory,
            QueueFactory,
        )

        library = LibraryFactory(code="corpus", ticket_email=corpus.ADDRESS)
        open_all_week(QueueFactory(library=library))
        helpdesk = HelpdeskFactory(username="corpus-helpdesk")
        started = time.perf_counter()
        outcomes = corpus.deliver_all(library)
        seconds = time.perf_counter() - started
        print(corpus.markdown(outcomes))
        print(
            f"\n{len(outcomes)} deliveries of {len(outcomes) // 2} files in "
            f"{seconds:.1f} s ({len(outcomes) / seconds:.0f} per second, "
            f"{connection.vendor})"
        )
        paths = set(corpus.unmarked(outcomes))
        rows = [row for row in corpus.labelled() if row["path"] in paths]
        after = corpus.deliver_after_blocking(library, helpdesk, rows)
        in_order = corpus.deliver_in_arrival_order(library, helpdesk, rows)
        everyone = corpus.deliver_all_blocked(library, helpdesk, rows)
        print(corpus.blocklist_markdown(outcomes, after, in_order, everyone))
        if args.misses:
            for o in [*outcomes, *after, *everyone]:
                if not o.ok:
                    print(
                        f"MISS {o.scenario} {o.path} ({o.kind}): {o.status} {o.reason}"
                    )
        return 0
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
