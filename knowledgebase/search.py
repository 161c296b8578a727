"""Full-text search over policy sections and FAQs (K3), and the desk's
suggestions from a patron's question.

On PostgreSQL: `to_tsvector('english', …)` with GIN indexes (migration 0001),
`websearch`-style OR of the question's words, ranked with `ts_rank` (FAQ
questions weigh more than answers). Elsewhere (the embedded SQLite default)
the same words are matched with LIKE and ranked in Python: term frequency
with a light stemmer, title matches weighted up, rare words weighted up.

Staff-only sections are searched only when `staff=True` (the desk); the
patron-facing callers never pass it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q

from knowledgebase.models import Faq, PolicySection, Visibility

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset(
    """a about above after again all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers him his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or
    other our ours out over own same she should so some such than that the their them
    then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours hi hello
    thanks thank please library librarian question need know want get find help
    looking hey tell ask im i'm""".split()
)
MAX_TERMS = 12
# Rows the SQLite path ranks in Python: the whole knowledge base of a
# consortium is a few hundred rows, so this never cuts a real one.
RECALL = 5000


def terms(text: str) -> list[str]:
    """The words of `text` worth searching for, in order, without repeats."""
    seen = []
    for word in WORD.findall((text or "").lower()):
        word = word.removesuffix("'s")
        if "'" in word:
            continue  # contractions: I'll, we're, don't
        if len(word) < 2 or word in STOPWORDS or word in seen:
            continue
        seen.append(word)
    return seen[:MAX_TERMS]


def stem(word: str) -> str:
    """A light English stemmer giving one form per word, enough to match
    renew/renewing/renewed/renewals, copy/copies, fine/fines, close/closed."""
    if word.endswith("ss"):
        return word  # access, class
    for suffix, tail in (
        ("ations", ""),
        ("ation", ""),
        ("ings", ""),
        ("ing", ""),
        ("ies", "i"),
        ("ied", "i"),
        ("als", ""),
        ("al", ""),
        ("ed", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + tail
            break
    if word.endswith("ss"):
        return word  # classes -> class
    if len(word) > 3 and word[-1] == "e":
        word = word[:-1]  # close/closes, fine/fines, database/databases
    if len(word) > 3 and word[-1] == "y":
        word = word[:-1] + "i"  # copy/copies, policy/policies
    return word


def _recall(word_stem: str) -> str:
    """What LIKE looks for: a prefix every form of the word starts with."""
    return word_stem[:-1] if word_stem.endswith("i") else word_stem


@dataclass
class Hit:
    kind: str  # "section" or "faq"
    obj: object
    score: float

    @property
    def library(self):
        return self.obj.library if self.kind == "faq" else self.obj.page.library

    @property
    def title(self) -> str:
        if self.kind == "faq":
            return self.obj.question
        return self.obj.get_kind_display()

    @property
    def staff_only(self) -> bool:
        return self.kind == "section" and self.obj.visibility == Visibility.STAFF

    @property
    def text(self) -> str:
        return self.obj.text

    @property
    def url(self) -> str:
        return self.obj.get_absolute_url()


def _sections(library_ids, staff: bool):
    qs = PolicySection.objects.exclude(text="").select_related("page__library")
    if not staff:
        qs = qs.filter(visibility=Visibility.PUBLIC)
    if library_ids is not None:
        qs = qs.filter(page__library_id__in=library_ids)
    return qs.filter(page__library__active=True)


def _faqs(library_ids):
    qs = Faq.objects.published().select_related("library")
    if library_ids is not None:
        qs = qs.filter(library_id__in=library_ids)
    return qs.filter(library__active=True)


def search(
    query: str,
    *,
    library_ids: list[int] | None = None,
    staff: bool = False,
    limit: int = 10,
) -> list[Hit]:
    """Sections and FAQs matching any word of `query`, most relevant first."""
    words = terms(query)
    if not words:
        return []
    if connection.vendor == "postgresql":
        hits = _search_postgres(words, library_ids, staff)
    else:
        hits = _search_python(words, library_ids, staff)
    # An entry that answers more of the question's words comes first; the
    # engine's rank orders entries that answer as many.
    stems = [stem(w) for w in words]
    hits.sort(key=lambda h: (-_coverage(h, stems), -h.score, h.title))
    return hits[:limit]


def _tokens(text: str) -> list[str]:
    return [stem(w) for w in WORD.findall(text.lower())]


def _coverage(hit: Hit, stems: list[str]) -> int:
    tokens = _tokens(hit.title if hit.kind == "faq" else "") + _tokens(hit.text)
    return sum(1 for s in stems if _count(tokens, s))


def _search_postgres(words, library_ids, staff) -> list[Hit]:
    # Each word as an English prefix query ("undergrad" finds
    # "undergraduates"); words are [a-z0-9] only, so the raw syntax is safe.
    raw = " | ".join(f"{w}:*" if len(w) >= 4 else w for w in words)
    query = SearchQuery(raw, config="english", search_type="raw")
    section_vector = SearchVector("text", weight="B", config="english")
    faq_vector = SearchVector("question", weight="A", config="english") + SearchVector(
        "text", weight="B", config="english"
    )
    hits = [
        Hit("section", s, s.rank)
        for s in _sections(library_ids, staff)
        .annotate(
            v=section_vector, rank=SearchRank(section_vector, query, normalization=1)
        )
        .filter(v=query)
        .order_by("-rank")[:50]
    ]
    hits += [
        Hit("faq", f, f.rank)
        for f in _faqs(library_ids)
        .annotate(v=faq_vector, rank=SearchRank(faq_vector, query, normalization=1))
        .filter(v=query)
        .order_by("-rank")[:50]
    ]
    return hits


def _search_python(words, library_ids, staff) -> list[Hit]:
    stems = [stem(w) for w in words]
    match = Q()
    for s in stems:
        match |= Q(text__icontains=_recall(s))
    sections = list(_sections(library_ids, staff).filter(match)[:RECALL])
    faq_match = match
    for s in stems:
        faq_match |= Q(question__icontains=_recall(s))
    faqs = list(_faqs(library_ids).filter(faq_match)[:RECALL])
    documents = [("section", s, "", s.text) for s in sections] + [
        ("faq", f, f.question, f.text) for f in faqs
    ]
    if not documents:
        return []
    tokenised = [(_tokens(title), _tokens(body)) for _, _, title, body in documents]
    n = len(documents)
    idf = {
        s: math.log(1 + n / (1 + sum(1 for t, b in tokenised if s in t or s in b)))
        for s in stems
    }
    hits = []
    for (kind, obj, _, _), (title, body) in zip(documents, tokenised, strict=True):
        score = 0.0
        for s in stems:
            tf = 3 * _count(title, s) + _count(body, s)
            if tf:
                score += idf[s] * (1 + math.log(tf))
        if score:
            # Long sections should not win by length alone.
            hits.append(Hit(kind, obj, score / math.sqrt(1 + len(body) / 200)))
    return hits


def _count(tokens: list[str], word_stem: str) -> int:
    """Occurrences of a query word's stem; a stem of 4+ letters also matches
    longer words it starts ("undergrad" in "undergraduates")."""
    if len(word_stem) >= 4:
        return sum(1 for t in tokens if t.startswith(word_stem))
    return tokens.count(word_stem)


def suggest(question: str, library, *, limit: int = 5) -> list[Hit]:
    """The patron library's entries most relevant to `question`, for the
    librarian answering it (staff-only sections included: the desk is staff)."""
    return search(question, library_ids=[library.pk], staff=True, limit=limit)


def excerpt(hit: Hit, query: str, width: int = 220) -> str:
    """A plain-text window of the entry around the first matching word."""
    text = hit.text.replace("\n", " ")
    lowered = text.lower()
    positions = [lowered.find(stem(w)) for w in terms(query)]
    positions = [p for p in positions if p >= 0]
    start = max(0, min(positions) - 60) if positions else 0
    chunk = text[start : start + width]
    return ("…" if start else "") + chunk + ("…" if start + width < len(text) else "")


__all__ = ["Hit", "excerpt", "search", "suggest", "terms"]
