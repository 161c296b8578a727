"""How many public reply fixtures each reply-trimming candidate gets right.

Usage: python bench/reply_trimming.py [--baseline REV]

Fixtures: tests/chat/emails/replies/<source>/*.txt with expected.json (see
SOURCES.md there). Candidates: the project's trim_reply (chat/mail/quotes.py),
the trimming code as it was at REV (the "Quoted history" section of
chat/mail/inbound.py, default cc9925a, before issue 16), and, when they are
importable in the running interpreter, mail-parser-reply and talon (neither is
a project dependency: run this with an interpreter that has them to compare).
Prints per candidate and per language: correct / fixtures.
"""

import argparse
import importlib.util
import json
import re
import subprocess
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "chat" / "emails" / "replies"
LANGUAGES = "en es fr de pt it pl nl da no sv zh ja other-date".split()


def load_fixtures():
    for expected_file in sorted(FIXTURES.glob("*/expected.json")):
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        for name, entry in expected.items():
            text = (expected_file.parent / name).read_text(encoding="utf-8")
            yield f"{expected_file.parent.name}/{name}", text, entry


def visible_ok(result: str, entry: dict) -> bool:
    """Whether `result` is the expected visible text of a fixture."""
    result = (result or "").strip()
    if "visible" in entry:
        return result == entry["visible"].strip()
    return (
        result.startswith(entry.get("starts", ""))
        and result.endswith(entry.get("ends", ""))
        and all(part in result for part in entry.get("includes", []))
        and not any(part in result for part in entry.get("excludes", []))
    )


def project_candidate():
    spec = importlib.util.spec_from_file_location(
        "quotes", ROOT / "chat" / "mail" / "quotes.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.trim_reply


def baseline_candidate(rev: str):
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:chat/mail/inbound.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    section = source.split("# Quoted history", 1)[1].split("# Attachments", 1)[0]
    namespace = {"re": re}
    exec(section.split("\n", 1)[1], namespace)  # noqa: S102 - our own history
    return namespace["_trim_reply"]


def mail_parser_reply_candidates():
    try:
        from mailparser_reply import EmailReplyParser
        from mailparser_reply.constants import MAIL_LANGUAGES
    except ImportError:
        return {}
    parser = EmailReplyParser(
        languages=[language for language in MAIL_LANGUAGES if language != "david"]
    )

    def content(text):
        return parser.parse_reply(text) or text

    def body(text):
        mail = parser.read(text)
        return mail.replies[0].body if mail.replies else text

    return {"mail-parser-reply (content)": content, "mail-parser-reply (body)": body}


def talon_candidates():
    try:
        from talon import quotations
        from talon.signature.bruteforce import extract_signature
    except ImportError:
        return {}

    def quotes_only(text):
        return quotations.extract_from_plain(text)

    def with_signature(text):
        return extract_signature(quotations.extract_from_plain(text))[0]

    return {"talon": quotes_only, "talon + bruteforce signature": with_signature}


def main():
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--baseline", default="cc9925a")
    rev = arguments.parse_args().baseline
    candidates = {f"before ({rev})": baseline_candidate(rev)}
    candidates.update(mail_parser_reply_candidates())
    candidates.update(talon_candidates())
    candidates["trim_reply (chat/mail/quotes.py)"] = project_candidate()
    fixtures = list(load_fixtures())
    totals = defaultdict(int)
    for _, _, entry in fixtures:
        totals[entry["language"]] += 1
    languages = [language for language in LANGUAGES if totals[language]]
    print(f"{len(fixtures)} fixtures")
    print("| candidate | " + " | ".join(languages) + " | all |")
    print("|---" * (len(languages) + 2) + "|")
    failures = {}
    for label, trim in candidates.items():
        correct = defaultdict(int)
        failures[label] = []
        for name, text, entry in fixtures:
            try:
                ok = visible_ok(trim(text), entry)
            except Exception:  # noqa: BLE001 - a crash counts as a miss
                ok = False
            correct[entry["language"]] += ok
            if not ok:
                failures[label].append(name)
        cells = [f"{correct[language]}/{totals[language]}" for language in languages]
        print(
            f"| {label} | "
            + " | ".join(cells)
            + f" | {sum(correct.values())}/{len(fixtures)} |"
        )
    for label, names in failures.items():
        print(f"\n{label} misses {len(names)}: " + ", ".join(names))


if __name__ == "__main__":
    main()
