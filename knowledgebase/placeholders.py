"""Placeholders of canned messages (K6): which exist, and filling them in.
The result is plain text, shown as text everywhere (widget, desk,
transcript), so a value can never become markup."""

from __future__ import annotations

import re

PLACEHOLDERS = (
    "patron_name",
    "librarian_name",
    "librarian_library",
    "library_name",
    "library_hours_url",
    "library_url",
    "library_faq_url",
)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def unknown_placeholders(body: str) -> list[str]:
    return sorted({m for m in PLACEHOLDER.findall(body) if m not in PLACEHOLDERS})


def fill(body: str, values: dict[str, str]) -> str:
    """Replace each known placeholder with its value; anything else stays as
    typed (the admin refuses unknown placeholders on save)."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), body)
