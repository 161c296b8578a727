"""Rich text of policy sections and FAQ answers: what the editor offers,
and the one sanitiser used on save and again on display."""

from __future__ import annotations

import html
import re

import nh3
from django_prose_editor.config import allowlist_from_extensions, expand_extensions

# What the editor offers; the sanitiser allows exactly the markup these make.
EDITOR_CONFIG = {
    "extensions": {
        "Bold": True,
        "Italic": True,
        "Underline": True,
        "Heading": {"levels": [3, 4]},
        "BulletList": True,
        "OrderedList": True,
        "ListItem": True,
        "Blockquote": True,
        "HardBreak": True,
        "HorizontalRule": True,
        "Link": {
            "enableTarget": False,
            "protocols": ["http", "https", "mailto", "tel"],
        },
        "Table": True,
        "TableRow": True,
        "TableHeader": True,
        "TableCell": True,
        "History": True,
    }
}

_CLEANER = nh3.Cleaner(
    **allowlist_from_extensions(expand_extensions(EDITOR_CONFIG["extensions"]))
)
_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|li|h\d|blockquote|tr|td|th)>|<br\s*/?>", re.I)
_SPACE = re.compile(r"[ \t]+")


def clean_html(value: str) -> str:
    """Markup reduced to what the editor makes: no script, no event
    handlers, no javascript: links. Safe to mark safe afterwards."""
    return _CLEANER.clean(value or "")


def to_text(value: str) -> str:
    """Plain text of rich text, for search and excerpts."""
    spaced = _BLOCK_END.sub("\n", clean_html(value))
    # Inline tags go without a trace ("<strong>3 weeks</strong>;" is
    # "3 weeks;"); block ends became line breaks above.
    text = html.unescape(_TAG.sub("", spaced))
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
